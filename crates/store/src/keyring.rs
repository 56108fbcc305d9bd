//! The keyring database: the directory key and every account's data key, each
//! wrapped to the master key with age. Kept in its own database so a backup of
//! account data never holds a key, and a purge can make a key's deletion physical
//! by compacting this small database alone.

use crate::{Error, Result, account::AccountId, keys, store::Guard};
use tresor_crypto::{DataKey, MasterKey};
use tresor_kv::{Batch, Db, KEYRING};

/// Unwraps the directory key, creating it on a fresh keyring.
pub(crate) fn directory_key(db: &dyn Db, master: &MasterKey, guard: &Guard) -> Result<DataKey> {
    let k = [keys::KEYRING_DIRECTORY];
    match db.get(KEYRING, &k)? {
        Some(wrapped) => master.unwrap(&wrapped).map_err(|_| Error::WrongMasterKey),
        None => {
            if has_account_keys(db)? {
                // Account keys without a directory key: the keyring is damaged, and
                // making a new directory key would orphan every account.
                return Err(Error::Integrity("keyring has account keys but no directory key"));
            }
            let key = DataKey::generate();
            let mut b = Batch::new();
            b.put(KEYRING, k.to_vec(), master.wrap(&key));
            guard.write(db, b)?;
            Ok(key)
        }
    }
}

fn has_account_keys(db: &dyn Db) -> Result<bool> {
    let (from, to) = keys::prefix_range(vec![keys::KEYRING_ACCOUNT]);
    Ok(tresor_kv::last(db, KEYRING, &from, &to)?.is_some())
}

pub(crate) fn account_key_id(id: AccountId) -> Vec<u8> {
    keys::Key::new(keys::KEYRING_ACCOUNT).u64(id.0).build()
}

pub(crate) fn account_key(db: &dyn Db, master: &MasterKey, id: AccountId) -> Result<Option<DataKey>> {
    match db.get(KEYRING, &account_key_id(id))? {
        Some(wrapped) => master.unwrap(&wrapped).map(Some).map_err(|_| Error::WrongMasterKey),
        None => Ok(None),
    }
}

pub(crate) fn put_account_key(db: &dyn Db, master: &MasterKey, guard: &Guard, id: AccountId, key: &DataKey) -> Result<()> {
    let mut b = Batch::new();
    b.put(KEYRING, account_key_id(id), master.wrap(key));
    guard.write(db, b)
}
