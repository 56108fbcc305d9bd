//! [`Account`]: an unlocked account — its id, its data key, its keyspace, and the
//! lock that orders its writes. Holding one is the capability to touch that
//! account; the key is zeroized when the last handle is dropped.

use crate::{
    Error, Result, UnixTime,
    directory::{AccountRecord, AccountState, Quota},
    keys, sealed,
    store::Guard,
};
use serde::{Deserialize, Serialize};
use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard, RwLock},
};
use tokio::sync::watch;
use tresor_crypto::DataKey;
use tresor_kv::{Batch, Db};

/// An account's opaque id. Random, so ids reveal neither logins nor order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountId(pub u64);

impl AccountId {
    /// The account's keyspace (column family) name: the id, nothing else.
    pub fn keyspace(self) -> String {
        format!("a{:016x}", self.0)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// What the directory says about an account that writes must obey.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub state: AccountState,
    pub quota: Quota,
}

impl Policy {
    pub(crate) fn of(r: &AccountRecord) -> Policy {
        Policy { state: r.state, quota: r.quota }
    }
}

/// The account's counters, persisted in one record and cached under the write
/// lock. `modseq` is the head of the change log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Counters {
    pub modseq: u64,
    pub next_mailbox: u32,
    pub next_email: u64,
    pub next_thread: u64,
    pub next_blob: u64,
    pub bytes: u64,
    pub messages: u64,
}

/// A mailbox's UID entries in UID order, shared by readers at one modseq.
pub type UidEntries = Arc<Vec<(u32, crate::mail::UidEntry)>>;
/// A query's result: email ids in order, shared by readers at one modseq.
pub type QueryResult = Arc<Vec<crate::mail::EmailId>>;

pub struct Account {
    pub id: AccountId,
    pub(crate) key: DataKey,
    pub(crate) db: Arc<dyn Db>,
    pub(crate) ks: String,
    pub(crate) guard: Arc<Guard>,
    counters: Mutex<Counters>,
    policy: RwLock<Policy>,
    /// Set when a purge starts: no write may reach the dropped keyspace (a
    /// failed write would poison the whole store).
    retired: std::sync::atomic::AtomicBool,
    /// Each mailbox's UID entries as of a modseq: reads at the same modseq
    /// share one scan (opening the inbox of a large account is then a copy,
    /// not thousands of decryptions). Ids and dates only, in RAM only.
    pub(crate) uid_cache: Mutex<std::collections::HashMap<crate::mail::MailboxId, (u64, UidEntries)>>,
    /// Decoded `EmailMeta` records (they never change; a destroyed email's
    /// entry goes when its transaction commits). Bounded; RAM only.
    pub(crate) meta_cache: Mutex<std::collections::HashMap<crate::mail::EmailId, Arc<crate::mail::EmailMeta>>>,
    /// Each mailbox's counts as of a modseq (see `uid_cache`).
    pub(crate) counts_cache: Mutex<std::collections::HashMap<crate::mail::MailboxId, (u64, crate::mail::MailboxCounts)>>,
    /// Recent query results (ordered email ids) by the caller's key, as of a modseq.
    query_cache: Mutex<std::collections::VecDeque<(u64, String, QueryResult)>>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account").field("id", &self.id).finish_non_exhaustive()
    }
}

/// The write lock of one account, with its counters. Writes build a batch under
/// it, commit through [`WriteTxn::commit`], and only then is the change visible.
pub struct WriteTxn<'a> {
    pub(crate) account: &'a Account,
    pub counters: MutexGuard<'a, Counters>,
    pub batch: Batch,
    before: Counters,
    /// Change-log entries written in this transaction (their index under the modseq).
    pub(crate) logged: u32,
    /// Email states written by this transaction, so later steps see them.
    pub(crate) pending_states: std::collections::HashMap<crate::mail::EmailId, crate::mail::EmailState>,
    /// Emails this transaction destroys: out of the meta cache once committed.
    pub(crate) destroyed: Vec<crate::mail::EmailId>,
    /// Set once the batch is written: dropped before that (an error, a
    /// panic), the transaction gives back the ids and modseq it took.
    committed: bool,
}

impl Drop for WriteTxn<'_> {
    fn drop(&mut self) {
        if !self.committed {
            *self.counters = self.before.clone();
        }
    }
}

impl Account {
    pub(crate) fn initialize(
        id: AccountId,
        key: &DataKey,
        db: &dyn Db,
        guard: &Guard,
        now: UnixTime,
        roles: &[crate::mail::Role],
    ) -> Result<()> {
        let ks = id.keyspace();
        // Ids start at random points, so one account's ids are (almost
        // surely) none of another's: a client mixing up accounts gets
        // notFound, and an id says nothing about how much mail an account
        // ever had. INBOX alone is always `B1`.
        let start = |bits: u32| rand::Rng::gen_range(&mut rand::thread_rng(), 1u64 << (bits - 4)..1u64 << bits);
        let mut counters = Counters {
            next_mailbox: start(24) as u32,
            next_email: start(36),
            next_thread: start(36),
            next_blob: start(36),
            ..Counters::default()
        };
        let mut b = Batch::new();
        crate::mail::mailbox::create_defaults(key, &ks, &mut counters, &mut b, now, roles);
        let k = [keys::ACC_STATE];
        b.put(&ks, k.to_vec(), sealed::seal(key, &ks, &k, &counters));
        guard.write(db, b)
    }

    pub(crate) fn load(id: AccountId, key: DataKey, db: Arc<dyn Db>, guard: Arc<Guard>, policy: Policy) -> Result<Account> {
        let ks = id.keyspace();
        let counters: Counters = sealed::get(&*db, &key, &ks, &[keys::ACC_STATE])?.ok_or(Error::Integrity("account state missing"))?;
        Ok(Account {
            id,
            key,
            db,
            ks,
            guard,
            counters: Mutex::new(counters),
            policy: RwLock::new(policy),
            retired: Default::default(),
            uid_cache: Default::default(),
            meta_cache: Default::default(),
            counts_cache: Default::default(),
            query_cache: Default::default(),
        })
    }

    /// Refuses every later write; waits for a write in progress to finish.
    pub(crate) fn retire(&self) {
        let _writes = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        self.retired.store(true, std::sync::atomic::Ordering::Release);
    }

    pub fn policy(&self) -> Policy {
        *self.policy.read().unwrap()
    }

    pub(crate) fn set_policy(&self, p: Policy) {
        *self.policy.write().unwrap() = p;
    }

    pub fn counters(&self) -> Counters {
        self.counters.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Head of the change log.
    pub fn modseq(&self) -> u64 {
        self.counters.lock().unwrap_or_else(|e| e.into_inner()).modseq
    }

    /// A query's result computed at the current modseq, if it is cached:
    /// repeating a query (reopening a mailbox, paging) costs nothing until
    /// the account changes. `key` names the query (filter, sort, options).
    pub fn cached_query<E>(
        &self,
        key: &str,
        compute: impl FnOnce() -> std::result::Result<Vec<crate::mail::EmailId>, E>,
    ) -> std::result::Result<QueryResult, E> {
        const KEEP: usize = 8;
        let modseq = self.modseq();
        {
            let cache = self.query_cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((_, _, ids)) = cache.iter().find(|(m, k, _)| *m == modseq && k == key) {
                return Ok(ids.clone());
            }
        }
        let ids = Arc::new(compute()?);
        if self.modseq() == modseq {
            let mut cache = self.query_cache.lock().unwrap_or_else(|e| e.into_inner());
            cache.retain(|(m, _, _)| *m == modseq);
            if cache.len() >= KEEP {
                cache.pop_front();
            }
            cache.push_back((modseq, key.to_owned(), ids.clone()));
        }
        Ok(ids)
    }

    /// Wakes whenever the change log advances; the value is the new head.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.guard.subscribe(self.id, self.modseq())
    }

    /// Starts a write. Refused when the store is poisoned.
    pub fn begin(&self) -> Result<WriteTxn<'_>> {
        self.guard.check()?;
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        if self.retired.load(std::sync::atomic::Ordering::Acquire) {
            return Err(Error::NoAccount);
        }
        let before = counters.clone();
        Ok(WriteTxn {
            account: self,
            counters,
            batch: Batch::new(),
            before,
            logged: 0,
            pending_states: Default::default(),
            destroyed: Vec::new(),
            committed: false,
        })
    }

    pub(crate) fn seal<T: Serialize>(&self, k: &[u8], v: &T) -> Vec<u8> {
        sealed::seal(&self.key, &self.ks, k, v)
    }

    pub(crate) fn get<T: serde::de::DeserializeOwned>(&self, k: &[u8]) -> Result<Option<T>> {
        sealed::get(&*self.db, &self.key, &self.ks, k)
    }

    pub(crate) fn scan<T: serde::de::DeserializeOwned>(&self, prefix: Vec<u8>) -> Result<Vec<(Vec<u8>, T)>> {
        let (from, to) = keys::prefix_range(prefix);
        tresor_kv::collect(&*self.db, &self.ks, &from, &to)?
            .into_iter()
            .map(|(k, v)| sealed::open(&self.key, &self.ks, &k, &v).map(|t| (k, t)))
            .collect()
    }

    /// Reads raw sealed bytes and opens them (for blobs, which are not postcard).
    pub(crate) fn get_raw(&self, k: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.db.get(&self.ks, k)? {
            Some(v) => self.key.open(self.ks.as_bytes(), k, &v).map(Some).map_err(|_| Error::Integrity("seal")),
            None => Ok(None),
        }
    }

    /// The account's keyspace name (for tests and diagnostics; not secret).
    pub fn keyspace(&self) -> &str {
        &self.ks
    }

    /// The account data key's public id (for deletion receipts).
    pub fn key_id(&self) -> String {
        self.key.key_id()
    }
}

impl WriteTxn<'_> {
    pub fn put<T: Serialize>(&mut self, k: Vec<u8>, v: &T) {
        let sealed = self.account.seal(&k, v);
        self.batch.put(&self.account.ks, k, sealed);
    }

    pub fn put_raw(&mut self, k: Vec<u8>, plain: &[u8]) {
        let sealed = self.account.key.seal(self.account.ks.as_bytes(), &k, plain);
        self.batch.put(&self.account.ks, k, sealed);
    }

    pub fn delete(&mut self, k: Vec<u8>) {
        self.batch.delete(&self.account.ks, k);
    }

    /// A key whose presence is the data (the search index): its value is
    /// empty, so there is nothing to seal.
    pub(crate) fn put_empty(&mut self, k: Vec<u8>) {
        self.batch.put(&self.account.ks, k, Vec::new());
    }

    pub fn account(&self) -> &Account {
        self.account
    }

    /// The modseq this transaction's changes carry (allocated once per txn).
    pub fn modseq(&mut self) -> u64 {
        if self.counters.modseq == self.before.modseq {
            self.counters.modseq += 1;
        }
        self.counters.modseq
    }

    /// Writes the batch durably (fsynced) and publishes the new change-log head.
    /// On failure the cached counters roll back and the store is poisoned.
    pub fn commit(mut self) -> Result<u64> {
        if self.batch.is_empty() {
            // Nothing written: what it took goes back (`drop`).
            return Ok(self.before.modseq);
        }
        let k = [keys::ACC_STATE];
        let counters = self.counters.clone();
        self.put(k.to_vec(), &counters);
        let batch = std::mem::take(&mut self.batch);
        // On failure `drop` rolls the cached counters back.
        self.account.guard.write(&*self.account.db, batch)?;
        self.committed = true;
        if !self.destroyed.is_empty() {
            let mut cache = self.account.meta_cache.lock().unwrap_or_else(|e| e.into_inner());
            for e in &self.destroyed {
                cache.remove(e);
            }
        }
        let seq = self.counters.modseq;
        if seq != self.before.modseq {
            self.account.guard.notify(self.account.id, seq);
        }
        Ok(seq)
    }
}
