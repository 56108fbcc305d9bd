//! RocksDB behind the [`tresor_kv`] seam.
//!
//! On disk, under the storage path:
//!
//! ```text
//! main/          directory, schedule, audit
//! keyring/       keyring (its own instance: backed up and purged on its own)
//! shards/000000/ one column family per account, at most `accounts_per_shard` of them
//! shards/000001/ ...
//! ```
//!
//! RocksDB's cost per column family grows with their number in one DB (the OPTIONS
//! file listing every column family is rewritten on each create; opening reads them
//! all), so accounts are spread over shard instances holding a bounded number each.
//! Shards are opened on first use and kept in a bounded set; every instance shares
//! one block cache, one write-buffer manager (memtables of all accounts count
//! against one budget) and RocksDB's process-wide background thread pool, so memory
//! and start-up time do not grow with the number of accounts.

mod db;
mod engine;

pub use engine::{RocksEngine, Tuning};
