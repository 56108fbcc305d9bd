//! Typed sealed values: serialize with postcard, seal under a [`DataKey`] bound to
//! (keyspace, key). The only way records reach or leave the engine.

use crate::{Error, Result};
use serde::{Serialize, de::DeserializeOwned};
use tresor_crypto::DataKey;
use tresor_kv::Db;

pub fn seal<T: Serialize>(key: &DataKey, ks: &str, k: &[u8], value: &T) -> Vec<u8> {
    let plain = zeroize::Zeroizing::new(postcard::to_stdvec(value).expect("records always serialize"));
    key.seal(ks.as_bytes(), k, &plain)
}

pub fn open<T: DeserializeOwned>(key: &DataKey, ks: &str, k: &[u8], sealed: &[u8]) -> Result<T> {
    let plain = zeroize::Zeroizing::new(key.open(ks.as_bytes(), k, sealed).map_err(|_| Error::Integrity("seal"))?);
    postcard::from_bytes(&plain).map_err(|_| Error::Integrity("record format"))
}

pub fn get<T: DeserializeOwned>(db: &dyn Db, key: &DataKey, ks: &str, k: &[u8]) -> Result<Option<T>> {
    match db.get(ks, k)? {
        Some(v) => open(key, ks, k, &v).map(Some),
        None => Ok(None),
    }
}
