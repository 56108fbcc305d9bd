//! Uploaded blobs (JMAP upload): sealed in the account's keyspace like any
//! message blob, held only until a message is made from them or they expire,
//! so an abandoned upload leaves the disk (and the account's usage) on its own.

use crate::{
    Result, UnixTime,
    account::Account,
    keys::{self, Key},
};

fn record(blob: u64) -> Vec<u8> {
    Key::new(keys::ACC_UPLOAD).u64(blob).build()
}

impl Account {
    /// Stores an upload; returns its blob number.
    pub fn put_upload(&self, bytes: &[u8], now: UnixTime) -> Result<u64> {
        self.check_writable()?;
        let mut txn = self.begin()?;
        let blob = txn.put_blob(bytes);
        txn.put(record(blob), &(now, bytes.len() as u64));
        txn.commit()?;
        Ok(blob)
    }

    /// An upload's bytes, if it exists (and is an upload, not a message blob).
    pub fn read_upload(&self, blob: u64) -> Result<Option<Vec<u8>>> {
        if self.get::<(UnixTime, u64)>(&record(blob))?.is_none() {
            return Ok(None);
        }
        self.read_blob(blob).map(Some)
    }

    pub fn delete_upload(&self, blob: u64) -> Result<()> {
        let mut txn = self.begin()?;
        txn.delete(record(blob));
        txn.delete_blob(blob);
        txn.commit()?;
        Ok(())
    }

    /// Deletes uploads made before `before`; returns how many.
    pub fn expire_uploads(&self, before: UnixTime) -> Result<usize> {
        let old: Vec<u64> = self
            .scan::<(UnixTime, u64)>(vec![keys::ACC_UPLOAD])?
            .into_iter()
            .filter(|(_, (at, _))| *at < before)
            .map(|(k, _)| keys::be_u64(&k[1..]))
            .collect();
        for blob in &old {
            self.delete_upload(*blob)?;
        }
        Ok(old.len())
    }
}
