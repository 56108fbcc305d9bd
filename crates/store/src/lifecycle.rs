//! Termination and purge, at the storage level.
//!
//! A terminated account keeps its data, receives nothing, and has a due entry in
//! the `schedule` keyspace. Its purge runs in this order, each step durable
//! before the next, with a journal entry (in `schedule`) written first so a
//! crash anywhere is finished by [`Store::resume_purges`] at the next start:
//!
//! 1. delete the wrapped key from the keyring and compact the keyring database,
//!    so the key is in no file (crypto-shredding: every byte of the account
//!    left anywhere, backups included, is noise from here on);
//! 2. drop the account's column family and compact its shard (its files go);
//! 3. delete the directory record, its address index entries and its schedule
//!    entries, and compact the main database;
//! 4. write an audit line without personal data, and remove the journal.

use crate::{
    Error, Result, UnixTime,
    account::AccountId,
    audit,
    directory::{AccountRecord, AccountState},
    keyring,
    keys::{self, Key},
    sealed,
    store::Store,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tresor_kv::{Batch, DIRECTORY, KEYRING, SCHEDULE};

const SCHED_PURGE: u8 = b'T';
const SCHED_JOURNAL: u8 = b'G';

/// What a purge destroyed: the content of a deletion receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PurgeReport {
    /// SHA-256 of the account id, hex: names the account without naming anyone.
    pub account_hash: String,
    /// The destroyed data key's public id.
    pub key_id: String,
    pub messages: u64,
    pub bytes: u64,
    pub mailboxes: u64,
    pub started_at: UnixTime,
    pub key_destroyed_at: UnixTime,
    pub finished_at: UnixTime,
}

/// The journal of a purge in progress.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    id: u64,
    shard: u32,
    addresses: Vec<String>,
    report: PurgeReport,
    step: u8,
}

fn purge_entry(at: UnixTime, id: u64) -> Vec<u8> {
    Key::new(SCHED_PURGE).u64(at.max(0) as u64).u64(id).build()
}

fn journal_key(id: u64) -> Vec<u8> {
    Key::new(SCHED_JOURNAL).u64(id).build()
}

pub fn account_hash(id: AccountId) -> String {
    Sha256::digest(id.0.to_be_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Stops the account receiving mail and schedules its purge.
    pub fn terminate(&self, login: &str, purge_at: UnixTime, now: UnixTime) -> Result<AccountRecord> {
        let _lock = self.directory_lock.lock().unwrap();
        let mut r = self.account_by_login(login)?;
        let main = self.engine.main();
        let mut b = Batch::new();
        if let AccountState::Terminating { purge_at: old } = r.state {
            b.delete(SCHEDULE, purge_entry(old, r.id));
        }
        r.state = AccountState::Terminating { purge_at };
        let k = Key::new(keys::DIR_ACCOUNT).u64(r.id).build();
        b.put(DIRECTORY, k.clone(), sealed::seal(&self.dir_key, DIRECTORY, &k, &r));
        let pk = purge_entry(purge_at, r.id);
        b.put(SCHEDULE, pk.clone(), sealed::seal(&self.dir_key, SCHEDULE, &pk, &()));
        self.guard.write(&*main, b)?;
        self.refresh_policy(&r);
        audit::record(self, audit::Event::AccountTerminated { account: r.account_id(), purge_at }, now)?;
        Ok(r)
    }

    /// Accounts whose purge is due at `now`.
    pub fn due_purges(&self, now: UnixTime) -> Result<Vec<AccountId>> {
        let from = vec![SCHED_PURGE];
        let to = Key::new(SCHED_PURGE).u64(now.max(0) as u64 + 1).build();
        Ok(tresor_kv::collect(&*self.engine.main(), SCHEDULE, &from, &to)?
            .into_iter()
            .map(|(k, _)| AccountId(keys::be_u64(&k[9..])))
            .collect())
    }

    /// Purges an account now, whatever its state. Idempotent.
    pub fn purge(&self, id: AccountId, now: UnixTime) -> Result<PurgeReport> {
        let main = self.engine.main();
        let jk = journal_key(id.0);
        let journal = match sealed::get::<Journal>(&*main, &self.dir_key, SCHEDULE, &jk)? {
            Some(j) => j,
            None => {
                let record = self.record(id)?.ok_or(Error::NoAccount)?;
                let account = self.account(id)?;
                let counters = account.counters();
                let report = PurgeReport {
                    account_hash: account_hash(id),
                    key_id: account.key_id(),
                    messages: counters.messages,
                    bytes: counters.bytes,
                    mailboxes: account.mailboxes()?.len() as u64,
                    started_at: now,
                    key_destroyed_at: 0,
                    finished_at: 0,
                };
                drop(account);
                let j =
                    Journal { id: id.0, shard: record.shard, addresses: record.addresses().map(str::to_owned).collect(), report, step: 0 };
                self.save_journal(&j)?;
                j
            }
        };
        self.run_purge(journal, now)
    }

    fn save_journal(&self, j: &Journal) -> Result<()> {
        let jk = journal_key(j.id);
        let mut b = Batch::new();
        b.put(SCHEDULE, jk.clone(), sealed::seal(&self.dir_key, SCHEDULE, &jk, j));
        self.guard.write(&*self.engine.main(), b)
    }

    fn run_purge(&self, mut j: Journal, now: UnixTime) -> Result<PurgeReport> {
        let id = AccountId(j.id);
        // The key leaves memory first: no handle may use it again.
        self.evict(id);
        if j.step < 1 {
            let keyring = self.engine.keyring();
            let mut b = Batch::new();
            b.delete(KEYRING, keyring::account_key_id(id));
            self.guard.write(&*keyring, b)?;
            keyring.compact(Some(KEYRING))?;
            j.step = 1;
            j.report.key_destroyed_at = now;
            self.save_journal(&j)?;
            tracing::info!(account = %id, "purge: key destroyed");
        }
        if j.step < 2 {
            let shard = self.engine.shard(j.shard)?;
            shard.drop_keyspace(&id.keyspace())?;
            shard.compact(None)?;
            j.step = 2;
            self.save_journal(&j)?;
        }
        if j.step < 3 {
            let main = self.engine.main();
            let mut b = Batch::new();
            b.delete(DIRECTORY, Key::new(keys::DIR_ACCOUNT).u64(j.id).build());
            for a in &j.addresses {
                b.delete(DIRECTORY, Key::new(keys::DIR_ADDRESS).hash(&self.dir_key.name_hash(b"address", a.as_bytes())).build());
            }
            for k in self.token_keys_of(j.id)? {
                b.delete(DIRECTORY, k);
            }
            for (k, _) in tresor_kv::collect(&*main, SCHEDULE, &[SCHED_PURGE], &[SCHED_PURGE + 1])? {
                if keys::be_u64(&k[9..]) == j.id {
                    b.delete(SCHEDULE, k);
                }
            }
            self.guard.write(&*main, b)?;
            j.step = 3;
            j.addresses.clear();
            self.save_journal(&j)?;
        }
        j.report.finished_at = now;
        audit::record(
            self,
            audit::Event::AccountPurged {
                account_hash: j.report.account_hash.clone(),
                key_id: j.report.key_id.clone(),
                messages: j.report.messages,
            },
            now,
        )?;
        let main = self.engine.main();
        let mut b = Batch::new();
        b.delete(SCHEDULE, journal_key(j.id));
        self.guard.write(&*main, b)?;
        // The journal held the addresses until step 3; compact so no old
        // version of it (or of the directory record) stays in a file.
        main.compact(None)?;
        tracing::info!(account = %id, "purge finished");
        Ok(j.report)
    }

    /// Finishes purges a crash interrupted; returns their reports.
    pub fn resume_purges(&self, now: UnixTime) -> Result<Vec<PurgeReport>> {
        let main = self.engine.main();
        let mut out = Vec::new();
        for (k, v) in tresor_kv::collect(&*main, SCHEDULE, &[SCHED_JOURNAL], &[SCHED_JOURNAL + 1])? {
            let j: Journal = sealed::open(&self.dir_key, SCHEDULE, &k, &v)?;
            tracing::warn!(account = %AccountId(j.id), step = j.step, "resuming an interrupted purge");
            out.push(self.run_purge(j, now)?);
        }
        Ok(out)
    }
}
