//! Uploaded blobs (JMAP upload): sealed in the account's keyspace like any
//! message blob, and expired by the retention sweep, so an abandoned upload
//! leaves the disk (and the account's usage) on its own: a day after the
//! upload, or an hour after a message was imported from it (RFC 8620 6 keeps
//! a blob at least an hour; a client retrying an import must still find it).

use crate::{
    Result, UnixTime,
    account::Account,
    keys::{self, Key},
};

/// Seconds an upload is kept.
pub const UPLOAD_LIFETIME: i64 = 86_400;
/// Seconds an upload is kept once a message was made from it.
const USED_UPLOAD_LIFETIME: i64 = 3_600;

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

    /// A message was made from this upload: it expires an hour from `now`
    /// instead of a day after the upload.
    pub fn upload_used(&self, blob: u64, now: UnixTime) -> Result<()> {
        // Read under the write lock: the sweep may be deleting this upload.
        let mut txn = self.begin()?;
        let Some((at, size)) = self.get::<(UnixTime, u64)>(&record(blob))? else { return Ok(()) };
        let at = at.min(now - UPLOAD_LIFETIME + USED_UPLOAD_LIFETIME);
        txn.put(record(blob), &(at, size));
        txn.commit()?;
        Ok(())
    }

    /// Deletes the uploads whose lifetime ended by `now`; returns how many.
    pub fn expire_uploads(&self, now: UnixTime) -> Result<usize> {
        let before = now - UPLOAD_LIFETIME;
        let old: Vec<u64> = self
            .scan::<(UnixTime, u64)>(vec![keys::ACC_UPLOAD])?
            .into_iter()
            .filter(|(_, (at, _))| *at < before)
            .map(|(k, _)| keys::be_u64(&k[1..]))
            .collect();
        let mut deleted = 0;
        for blob in old {
            // Checked again under the write lock: an import may just have
            // used it (its hour then starts at that import).
            let mut txn = self.begin()?;
            if self.get::<(UnixTime, u64)>(&record(blob))?.is_some_and(|(at, _)| at < before) {
                txn.delete(record(blob));
                txn.delete_blob(blob);
                txn.commit()?;
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}
