//! Blobs (raw messages) in sealed chunks. Chunks keep every value bounded (large
//! values go to RocksDB blob files, out of the compaction path) and let a
//! partial fetch read only what it needs; each chunk is bound to its blob id and
//! position by the seal's associated data, so chunks cannot be reordered.

use crate::{
    Error, Result,
    account::{Account, WriteTxn},
    keys::{self, Key},
};

pub const CHUNK: usize = 256 * 1024;

fn chunk_key(blob: u64, n: u32) -> Vec<u8> {
    Key::new(keys::ACC_BLOB).u64(blob).u32(n).build()
}

impl WriteTxn<'_> {
    /// Adds a new blob to the transaction; returns its id.
    pub fn put_blob(&mut self, bytes: &[u8]) -> u64 {
        let id = self.counters.next_blob;
        self.counters.next_blob += 1;
        if bytes.is_empty() {
            self.put_raw(chunk_key(id, 0), b"");
        }
        for (n, chunk) in bytes.chunks(CHUNK).enumerate() {
            self.put_raw(chunk_key(id, n as u32), chunk);
        }
        id
    }

    pub fn delete_blob(&mut self, blob: u64) {
        let (from, to) = keys::prefix_range(Key::new(keys::ACC_BLOB).u64(blob).build());
        self.batch.delete_range(&self.account.ks, from, to);
    }
}

impl Account {
    /// The whole blob.
    pub fn read_blob(&self, blob: u64) -> Result<Vec<u8>> {
        self.read_blob_range(blob, 0, u64::MAX)
    }

    /// `len` bytes from `offset` (clamped to the blob's end).
    pub fn read_blob_range(&self, blob: u64, offset: u64, len: u64) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let end = offset.saturating_add(len);
        let mut n = (offset / CHUNK as u64) as u32;
        loop {
            let start = n as u64 * CHUNK as u64;
            if start >= end {
                break;
            }
            let Some(chunk) = self.get_raw(&chunk_key(blob, n))? else {
                if n == 0 {
                    return Err(Error::NoMessage);
                }
                break;
            };
            let from = offset.saturating_sub(start) as usize;
            let to = ((end - start) as usize).min(chunk.len());
            if from < to {
                out.extend_from_slice(&chunk[from..to]);
            }
            if chunk.len() < CHUNK {
                break;
            }
            n += 1;
        }
        Ok(out)
    }
}
