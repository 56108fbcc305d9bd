//! The directory of accounts, sealed under the directory key: a copy of the data
//! directory does not reveal who the customers are. Logins and aliases are found
//! through keyed hashes; the account records hold logins, password hashes, state
//! and quota.
//!
//! Creating an account touches three databases (keyring, a shard, main), so it
//! is journaled: a pending record is written first and the directory record last
//! (the commit point); [`Store::open`] rolls back a creation a crash interrupted.

use crate::{
    Error, Result, UnixTime,
    account::{Account, AccountId},
    keyring, keys,
    keys::Key,
    sealed,
    store::Store,
};
use serde::{Deserialize, Serialize};
use tresor_crypto::password;
use tresor_kv::{Batch, DIRECTORY};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub id: u64,
    pub login: String,
    pub aliases: Vec<String>,
    /// argon2id PHC string.
    pub password: String,
    pub state: AccountState,
    pub quota: Quota,
    pub shard: u32,
    pub created_at: UnixTime,
}

impl AccountRecord {
    pub fn account_id(&self) -> AccountId {
        AccountId(self.id)
    }

    pub fn addresses(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.login.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountState {
    Active,
    /// Readable until `purge_at`, receiving nothing.
    Terminating {
        purge_at: UnixTime,
    },
}

/// Limits; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub bytes: Option<u64>,
    pub messages: Option<u64>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct DirMeta {
    shard: u32,
    in_shard: u32,
}

/// A creation in progress: enough to undo it.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    id: u64,
    shard: u32,
}

const DIR_PENDING: u8 = b'P';

pub struct NewAccount<'a> {
    pub login: &'a str,
    pub password: &'a str,
    pub aliases: &'a [String],
    pub quota: Option<Quota>,
    pub now: UnixTime,
}

/// Lower-cases and checks an address: `local@domain`, no spaces or controls.
pub fn normalize_address(addr: &str) -> Result<String> {
    let a = addr.trim().to_lowercase();
    let bad = |why: &str| Error::invalid("address", format!("{addr:?}: {why}"));
    let (local, domain) = a.rsplit_once('@').ok_or_else(|| bad("expected local@domain"))?;
    if local.is_empty() || domain.is_empty() || !domain.contains('.') && domain != "localhost" {
        return Err(bad("expected local@domain"));
    }
    if a.len() > 254 || a.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:\\[]".contains(c)) || local.contains('@') {
        return Err(bad("contains characters not allowed in an address"));
    }
    Ok(a)
}

fn address_key(store: &Store, normalized: &str) -> Vec<u8> {
    Key::new(keys::DIR_ADDRESS).hash(&store.dir_key.name_hash(b"address", normalized.as_bytes())).build()
}

fn account_key(id: u64) -> Vec<u8> {
    Key::new(keys::DIR_ACCOUNT).u64(id).build()
}

impl Store {
    pub fn create_account(&self, new: NewAccount<'_>) -> Result<AccountRecord> {
        self.guard.check()?;
        let login = normalize_address(new.login)?;
        let mut aliases = Vec::new();
        for a in new.aliases {
            let a = normalize_address(a)?;
            if a != login && !aliases.contains(&a) {
                aliases.push(a);
            }
        }
        if new.password.is_empty() {
            return Err(Error::invalid("password", "must not be empty"));
        }
        // Hash before taking the lock: it is the slow part.
        let password = password::hash(new.password, self.config.password_cost).map_err(|e| Error::invalid("password", e.to_string()))?;

        let _lock = self.directory_lock.lock().unwrap();
        let main = self.engine.main();
        if self.lookup_exact(&login)?.is_some() {
            return Err(Error::AccountExists(login));
        }
        for a in &aliases {
            if self.lookup_exact(a)?.is_some() {
                return Err(Error::AddressTaken(a.clone()));
            }
        }
        let id = loop {
            let id = rand::random::<u64>();
            if id != 0 && main.get(DIRECTORY, &account_key(id))?.is_none() {
                break id;
            }
        };
        let meta_key = [keys::DIR_META];
        let mut meta: DirMeta = sealed::get(&*main, &self.dir_key, DIRECTORY, &meta_key)?.unwrap_or_default();
        if meta.in_shard >= self.config.accounts_per_shard {
            meta.shard += 1;
            meta.in_shard = 0;
        }
        let shard = meta.shard;
        meta.in_shard += 1;

        // 1. journal, 2. key, 3. keyspace with its mailboxes, 4. directory (commit).
        let pending_key = Key::new(DIR_PENDING).u64(id).build();
        let mut b = Batch::new();
        b.put(DIRECTORY, pending_key.clone(), sealed::seal(&self.dir_key, DIRECTORY, &pending_key, &Pending { id, shard }));
        b.put(DIRECTORY, meta_key.to_vec(), sealed::seal(&self.dir_key, DIRECTORY, &meta_key, &meta));
        self.guard.write(&*main, b)?;

        let key = self.new_data_key();
        keyring::put_account_key(&*self.engine.keyring(), &self.master, &self.guard, AccountId(id), &key)?;
        let db = self.engine.shard(shard)?;
        db.create_keyspace(&AccountId(id).keyspace()).inspect_err(|_| self.guard.poison())?;
        Account::initialize(AccountId(id), &key, &*db, &self.guard, new.now, &self.config.default_mailboxes)?;

        let record = AccountRecord {
            id,
            login,
            aliases,
            password,
            state: AccountState::Active,
            quota: new.quota.unwrap_or(self.config.default_quota),
            shard,
            created_at: new.now,
        };
        let mut b = Batch::new();
        self.put_record(&mut b, &record);
        for a in record.addresses() {
            let k = address_key(self, a);
            b.put(DIRECTORY, k.clone(), sealed::seal(&self.dir_key, DIRECTORY, &k, &id));
        }
        b.delete(DIRECTORY, pending_key);
        self.guard.write(&*main, b)?;
        tracing::info!(account = %AccountId(id), shard, "account created");
        crate::audit::record(self, crate::audit::Event::AccountCreated { account: AccountId(id) }, new.now)?;
        Ok(record)
    }

    fn put_record(&self, b: &mut Batch, record: &AccountRecord) {
        let k = account_key(record.id);
        b.put(DIRECTORY, k.clone(), sealed::seal(&self.dir_key, DIRECTORY, &k, record));
    }

    /// Replaces a record (state, quota, password), keeping the address index.
    pub(crate) fn update_record(&self, record: &AccountRecord) -> Result<()> {
        let mut b = Batch::new();
        self.put_record(&mut b, record);
        self.guard.write(&*self.engine.main(), b)?;
        self.refresh_policy(record);
        Ok(())
    }

    pub fn record(&self, id: AccountId) -> Result<Option<AccountRecord>> {
        sealed::get(&*self.engine.main(), &self.dir_key, DIRECTORY, &account_key(id.0))
    }

    fn lookup_exact(&self, normalized: &str) -> Result<Option<u64>> {
        sealed::get(&*self.engine.main(), &self.dir_key, DIRECTORY, &address_key(self, normalized))
    }

    /// The account an address delivers to: its login or an alias, with
    /// plus-addressing (`alice+tag@example.com` reaches `alice@example.com`).
    pub fn find_address(&self, addr: &str) -> Result<Option<AccountRecord>> {
        let Ok(a) = normalize_address(addr) else {
            return Ok(None);
        };
        let id = match self.lookup_exact(&a)? {
            Some(id) => Some(id),
            None => match a.split_once('@') {
                Some((local, domain)) if local.contains('+') => {
                    let base = local.split('+').next().unwrap_or_default();
                    if base.is_empty() { None } else { self.lookup_exact(&format!("{base}@{domain}"))? }
                }
                _ => None,
            },
        };
        match id {
            Some(id) => self.record(AccountId(id)),
            None => Ok(None),
        }
    }

    /// The login's account if the password matches. Unknown logins cost a hash
    /// too, so timing does not tell which logins exist.
    pub fn authenticate(&self, login: &str, password: &str) -> Result<Option<AccountRecord>> {
        let record = match normalize_address(login) {
            Ok(l) => match self.lookup_exact(&l)? {
                Some(id) => self.record(AccountId(id))?.filter(|r| r.login == l),
                None => None,
            },
            Err(_) => None,
        };
        match record {
            Some(r) => {
                let now = std::time::Instant::now();
                let key = self.logins.key(&r.login, password, &r.password);
                if self.logins.hit(&key, now) {
                    return Ok(Some(r));
                }
                if password::verify(&r.password, password) {
                    self.logins.insert(key, now);
                    Ok(Some(r))
                } else {
                    Ok(None)
                }
            }
            None => {
                let _ = password::verify(DUMMY_HASH, password);
                Ok(None)
            }
        }
    }

    pub fn list_accounts(&self) -> Result<Vec<AccountRecord>> {
        let main = self.engine.main();
        let (from, to) = keys::prefix_range(vec![keys::DIR_ACCOUNT]);
        let mut out = Vec::new();
        for (k, v) in tresor_kv::collect(&*main, DIRECTORY, &from, &to)? {
            out.push(sealed::open::<AccountRecord>(&self.dir_key, DIRECTORY, &k, &v)?);
        }
        out.sort_by(|a, b| a.login.cmp(&b.login));
        Ok(out)
    }

    /// The record for a login (not an alias): what the CLI's NAME means.
    pub fn account_by_login(&self, login: &str) -> Result<AccountRecord> {
        let l = normalize_address(login).map_err(|_| Error::NoAccount)?;
        let id = self.lookup_exact(&l)?.ok_or(Error::NoAccount)?;
        self.record(AccountId(id))?.filter(|r| r.login == l).ok_or(Error::NoAccount)
    }

    pub fn set_password(&self, login: &str, new_password: &str) -> Result<()> {
        if new_password.is_empty() {
            return Err(Error::invalid("password", "must not be empty"));
        }
        let hash = password::hash(new_password, self.config.password_cost).map_err(|e| Error::invalid("password", e.to_string()))?;
        let _lock = self.directory_lock.lock().unwrap();
        let mut r = self.account_by_login(login)?;
        r.password = hash;
        self.update_record(&r)
    }

    pub fn set_state(&self, login: &str, state: AccountState) -> Result<AccountRecord> {
        let _lock = self.directory_lock.lock().unwrap();
        let mut r = self.account_by_login(login)?;
        r.state = state;
        self.update_record(&r)?;
        Ok(r)
    }

    pub fn set_quota(&self, login: &str, quota: Quota) -> Result<AccountRecord> {
        let _lock = self.directory_lock.lock().unwrap();
        let mut r = self.account_by_login(login)?;
        r.quota = quota;
        self.update_record(&r)?;
        Ok(r)
    }

    /// Undoes creations a crash interrupted before their commit point.
    pub(crate) fn recover_pending_creations(&self) -> Result<()> {
        let main = self.engine.main();
        let (from, to) = keys::prefix_range(vec![DIR_PENDING]);
        for (k, v) in tresor_kv::collect(&*main, DIRECTORY, &from, &to)? {
            let p: Pending = sealed::open(&self.dir_key, DIRECTORY, &k, &v)?;
            tracing::warn!(account = %AccountId(p.id), "rolling back an interrupted account creation");
            let committed = main.get(DIRECTORY, &account_key(p.id))?.is_some();
            if !committed {
                let mut b = Batch::new();
                b.delete(tresor_kv::KEYRING, keyring::account_key_id(AccountId(p.id)));
                self.guard.write(&*self.engine.keyring(), b)?;
                self.engine.shard(p.shard)?.drop_keyspace(&AccountId(p.id).keyspace())?;
            }
            let mut b = Batch::new();
            b.delete(DIRECTORY, k);
            self.guard.write(&*main, b)?;
        }
        Ok(())
    }
}

/// A valid argon2id hash of a random string, verified against for unknown
/// logins so a failed login costs the same whether or not the login exists.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$6cZ1b7vFJ1tH8Yx7r0oZy1m7qGJb3JpXl1yqYHk8n0A";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_normalize() {
        assert_eq!(normalize_address(" Alice@Example.COM ").unwrap(), "alice@example.com");
        assert_eq!(normalize_address("testuser1@localhost").unwrap(), "testuser1@localhost");
        for bad in ["", "alice", "@example.com", "alice@", "a b@example.com", "a@b@c.com", "<a@b.com>", "a@nodot"] {
            assert!(normalize_address(bad).is_err(), "{bad}");
        }
    }
}
