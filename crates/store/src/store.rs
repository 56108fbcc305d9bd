//! [`Store`]: opening the engine with the master key, the write gate that poisons
//! on failure, and the bounded cache of unlocked accounts.

use crate::{
    Error, Result,
    account::{Account, AccountId, Policy},
    directory::{AccountRecord, Quota},
    keyring,
};
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};
use tokio::sync::watch;
use tresor_crypto::{DataKey, MasterKey, password};
use tresor_kv::{Batch, Db, Engine};

#[derive(Debug, Clone)]
pub struct StoreConfig {
    /// Account keyspaces per shard database (RocksDB's per-column-family costs grow
    /// with their number in one instance).
    pub accounts_per_shard: u32,
    pub password_cost: password::Cost,
    /// Quota given to accounts created without one.
    pub default_quota: Quota,
    /// Unlocked account keys kept in memory when idle.
    pub key_cache: usize,
    /// The mailboxes a new account gets besides INBOX, by role.
    pub default_mailboxes: Vec<crate::mail::Role>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            accounts_per_shard: 100,
            password_cost: password::Cost::default(),
            default_quota: Quota::default(),
            key_cache: 10_000,
            default_mailboxes: crate::mail::Role::DEFAULTS.iter().map(|(r, _)| *r).filter(|r| *r != crate::mail::Role::Inbox).collect(),
        }
    }
}

/// What the store and every account handle share: the poison flag and the
/// change subscriptions (which must outlive any one account handle).
pub(crate) struct Guard {
    poisoned: AtomicBool,
    watchers: Mutex<HashMap<AccountId, watch::Sender<u64>>>,
}

impl Guard {
    /// The single door for writes: refuses when poisoned, poisons on failure.
    pub fn write(&self, db: &dyn Db, batch: Batch) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) {
            return Err(Error::Poisoned);
        }
        db.write(batch, true).map_err(|e| {
            self.poisoned.store(true, Ordering::Release);
            tracing::error!(error = %e, "write failed: store poisoned, refusing all further writes");
            Error::Kv(e)
        })
    }

    pub fn check(&self) -> Result<()> {
        if self.poisoned.load(Ordering::Acquire) { Err(Error::Poisoned) } else { Ok(()) }
    }

    pub fn poison(&self) {
        self.poisoned.store(true, Ordering::Release);
    }

    pub fn notify(&self, id: AccountId, seq: u64) {
        let mut w = self.watchers.lock().unwrap();
        if let Some(tx) = w.get(&id)
            && tx.send(seq).is_err()
        {
            w.remove(&id);
        }
    }

    pub fn subscribe(&self, id: AccountId, current: u64) -> watch::Receiver<u64> {
        let mut w = self.watchers.lock().unwrap();
        match w.get(&id) {
            Some(tx) if tx.receiver_count() > 0 => tx.subscribe(),
            _ => {
                let (tx, rx) = watch::channel(current);
                w.insert(id, tx);
                rx
            }
        }
    }
}

pub struct Store {
    pub(crate) engine: Arc<dyn Engine>,
    pub(crate) master: MasterKey,
    pub(crate) dir_key: DataKey,
    pub(crate) config: StoreConfig,
    pub(crate) guard: Arc<Guard>,
    /// Unlocked accounts, with when each was last handed out.
    accounts: Mutex<HashMap<AccountId, (Arc<Account>, std::time::Instant)>>,
    /// Recently verified logins (skips argon2id for repeated logins).
    pub(crate) logins: crate::login_cache::LoginCache,
    /// Serialises account creation, rename of addresses and purge bookkeeping.
    pub(crate) directory_lock: Mutex<()>,
}

impl Store {
    /// Opens the store: unwraps the directory key (creating it on a fresh data
    /// directory) and finishes any account creation a crash interrupted.
    pub fn open(engine: Arc<dyn Engine>, master: MasterKey, config: StoreConfig) -> Result<Store> {
        let guard = Arc::new(Guard { poisoned: AtomicBool::new(false), watchers: Mutex::default() });
        let dir_key = keyring::directory_key(&*engine.keyring(), &master, &guard)?;
        let store = Store {
            engine,
            master,
            dir_key,
            config,
            guard,
            accounts: Mutex::default(),
            logins: crate::login_cache::LoginCache::new(),
            directory_lock: Mutex::default(),
        };
        store.recover_pending_creations()?;
        Ok(store)
    }

    pub fn master_key(&self) -> &MasterKey {
        &self.master
    }

    pub fn config(&self) -> &StoreConfig {
        &self.config
    }

    pub fn engine(&self) -> &Arc<dyn Engine> {
        &self.engine
    }

    pub fn is_poisoned(&self) -> bool {
        self.guard.check().is_err()
    }

    /// The unlocked account: from the cache, or by unwrapping its key.
    pub fn account(&self, id: AccountId) -> Result<Arc<Account>> {
        if let Some((a, used)) = self.accounts.lock().unwrap().get_mut(&id) {
            *used = std::time::Instant::now();
            return Ok(a.clone());
        }
        let record = self.record(id)?.ok_or(Error::NoAccount)?;
        let key = keyring::account_key(&*self.engine.keyring(), &self.master, id)?.ok_or(Error::Integrity("account key missing"))?;
        let db = self.engine.shard(record.shard)?;
        let account = Arc::new(Account::load(id, key, db, self.guard.clone(), Policy::of(&record))?);
        let mut cache = self.accounts.lock().unwrap();
        if let Some((existing, _)) = cache.get(&id) {
            return Ok(existing.clone());
        }
        if cache.len() >= self.config.key_cache {
            // Evict idle handles only: one in use must keep receiving policy updates.
            let idle: Vec<AccountId> =
                cache.iter().filter(|(_, (a, _))| Arc::strong_count(a) == 1).map(|(k, _)| *k).take(cache.len() / 8 + 1).collect();
            for k in idle {
                cache.remove(&k);
            }
        }
        cache.insert(id, (account.clone(), std::time::Instant::now()));
        Ok(account)
    }

    /// Drops cached handles nobody holds and nobody asked for in `idle`: their
    /// keys are zeroized and their shard may close. Returns how many went.
    pub fn evict_idle(&self, idle: std::time::Duration) -> usize {
        let mut cache = self.accounts.lock().unwrap();
        let before = cache.len();
        cache.retain(|_, (a, used)| Arc::strong_count(a) > 1 || used.elapsed() < idle);
        before - cache.len()
    }

    /// Pushes a changed directory record (state, quota) into a cached handle.
    pub(crate) fn refresh_policy(&self, record: &AccountRecord) {
        if let Some((a, _)) = self.accounts.lock().unwrap().get(&AccountId(record.id)) {
            a.set_policy(Policy::of(record));
        }
    }

    /// Drops a cached handle: its key is zeroized once no caller holds it.
    pub(crate) fn evict(&self, id: AccountId) {
        if let Some((a, _)) = self.accounts.lock().unwrap().remove(&id) {
            a.retire();
        }
    }

    pub(crate) fn new_data_key(&self) -> DataKey {
        DataKey::generate()
    }
}
