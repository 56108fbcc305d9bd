//! The storage seam. The store talks to an [`Engine`] of databases ([`Db`]), each an
//! ordered key-value store split into named keyspaces (RocksDB's column families).
//! A write [`Batch`] is atomic within one `Db`.
//!
//! Architecture invariant: this crate has no RocksDB (or any engine) in its
//! dependency tree, so another engine — a distributed one — can hold accounts
//! without touching the store. `tresor-kv-rocksdb` is the production engine;
//! [`memory::MemoryEngine`] serves unit tests.
//!
//! The engine stores bytes it cannot read: the store seals every value before it
//! gets here and builds keys from type tags and numeric ids only.

pub mod memory;

use std::{ops::ControlFlow, sync::Arc};

/// The global keyspaces of the main database.
pub const DIRECTORY: &str = "directory";
pub const SCHEDULE: &str = "schedule";
pub const AUDIT: &str = "audit";
/// The only keyspace of the keyring database (kept apart from the account data).
pub const KEYRING: &str = "keyring";

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The engine failed to read or write; for writes, durability is unknown.
    #[error("storage I/O: {0}")]
    Io(String),
    /// Another process holds the database.
    #[error("storage is locked by another process: {0}")]
    Locked(String),
    #[error("storage corruption: {0}")]
    Corruption(String),
    #[error("no keyspace {0:?}")]
    NoKeyspace(String),
}

/// What [`Db::scan`] calls with each (key, value); it breaks to stop the scan.
pub type Visit<'a> = dyn FnMut(&[u8], &[u8]) -> ControlFlow<()> + 'a;

/// The whole storage of one node: a main database (directory, schedule, audit), a
/// keyring database of its own, and numbered shard databases holding account
/// keyspaces, opened when first needed.
pub trait Engine: Send + Sync + 'static {
    fn main(&self) -> Arc<dyn Db>;
    fn keyring(&self) -> Arc<dyn Db>;
    /// Opens (creating if needed) shard `n`.
    fn shard(&self, n: u32) -> Result<Arc<dyn Db>>;
    /// The shards that exist in storage, open or not.
    fn shards(&self) -> Result<Vec<u32>>;
    /// How many shard databases are open right now (for metrics and tests).
    fn open_shards(&self) -> usize;
}

/// One database: ordered keyspaces with atomic multi-keyspace batches.
pub trait Db: Send + Sync {
    /// Creates a keyspace; a no-op if it exists.
    fn create_keyspace(&self, name: &str) -> Result<()>;
    /// Drops a keyspace and (eventually, see [`Db::compact`]) its files; a no-op if
    /// it does not exist.
    fn drop_keyspace(&self, name: &str) -> Result<()>;
    fn keyspaces(&self) -> Vec<String>;
    fn get(&self, ks: &str, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// Visits `[from, to)` in key order (or reverse order), until `visit` breaks.
    fn scan(&self, ks: &str, from: &[u8], to: &[u8], reverse: bool, visit: &mut Visit<'_>) -> Result<()>;
    /// Applies `batch` atomically. With `sync`, returns only once the batch is on
    /// stable storage (the WAL fsynced); concurrent synced writers share an fsync.
    fn write(&self, batch: Batch, sync: bool) -> Result<()>;
    /// Makes deletions physical: flushes memtables, compacts the keyspace's whole
    /// range to the bottom level, and lets obsolete files (old WALs, dropped
    /// keyspaces' tables) go.
    fn compact(&self, ks: Option<&str>) -> Result<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Put {
        ks: String,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        ks: String,
        key: Vec<u8>,
    },
    /// Deletes `[from, to)`.
    DeleteRange {
        ks: String,
        from: Vec<u8>,
        to: Vec<u8>,
    },
}

/// An atomic group of writes to one [`Db`].
#[derive(Debug, Default, Clone)]
pub struct Batch {
    pub ops: Vec<Op>,
}

impl Batch {
    pub fn new() -> Self {
        Batch::default()
    }

    pub fn put(&mut self, ks: &str, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(Op::Put { ks: ks.to_owned(), key: key.into(), value: value.into() });
        self
    }

    pub fn delete(&mut self, ks: &str, key: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(Op::Delete { ks: ks.to_owned(), key: key.into() });
        self
    }

    pub fn delete_range(&mut self, ks: &str, from: impl Into<Vec<u8>>, to: impl Into<Vec<u8>>) -> &mut Self {
        self.ops.push(Op::DeleteRange { ks: ks.to_owned(), from: from.into(), to: to.into() });
        self
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    pub fn append(&mut self, other: Batch) {
        self.ops.extend(other.ops);
    }
}

/// Convenience over [`Db::scan`]: collects `[from, to)`.
/// The keys in `[from, to)`, without their values.
pub fn collect_keys(db: &dyn Db, ks: &str, from: &[u8], to: &[u8]) -> Result<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    db.scan(ks, from, to, false, &mut |k, _| {
        out.push(k.to_vec());
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

pub fn collect(db: &dyn Db, ks: &str, from: &[u8], to: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    db.scan(ks, from, to, false, &mut |k, v| {
        out.push((k.to_vec(), v.to_vec()));
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

/// The last entry of `[from, to)`, if any.
pub fn last(db: &dyn Db, ks: &str, from: &[u8], to: &[u8]) -> Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut out = None;
    db.scan(ks, from, to, true, &mut |k, v| {
        out = Some((k.to_vec(), v.to_vec()));
        ControlFlow::Break(())
    })?;
    Ok(out)
}
