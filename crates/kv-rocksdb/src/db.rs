//! One RocksDB instance as a [`tresor_kv::Db`].

use rocksdb::{
    BlockBasedOptions, BottommostLevelCompaction, Cache, ColumnFamilyDescriptor, CompactOptions, DBCompressionType, DBRecoveryMode,
    DBWithThreadMode, FlushOptions, LogLevel, MultiThreaded, Options, ReadOptions, WriteBatch, WriteBufferManager, WriteOptions,
};
use std::path::Path;
use tresor_kv::{Batch, Db, Error, Op, Result};

type Rocks = DBWithThreadMode<MultiThreaded>;

/// RocksDB's default share of blob files that ordinary compactions relocate.
const BLOB_GC_AGE_CUTOFF: &str = "0.25";

/// What every instance shares.
pub(crate) struct Shared {
    pub cache: Cache,
    pub write_buffers: WriteBufferManager,
    pub max_open_files: i32,
}

pub(crate) struct RocksDb {
    db: Rocks,
    cf_opts: Options,
}

impl RocksDb {
    /// Opens (creating if missing) the instance at `path` with `required` column
    /// families plus whatever already exists there.
    pub fn open(path: &Path, required: &[&str], shared: &Shared) -> Result<Self> {
        let db_opts = db_options(shared);
        let cf_opts = cf_options(shared);
        let mut names: Vec<String> = match Rocks::list_cf(&db_opts, path) {
            Ok(names) => names,
            Err(_) if !path.join("CURRENT").exists() => Vec::new(),
            Err(e) => return Err(map_err(e)),
        };
        for r in required.iter().chain(["default"].iter()) {
            if !names.iter().any(|n| n == r) {
                names.push((*r).to_owned());
            }
        }
        let descriptors = names.iter().map(|n| ColumnFamilyDescriptor::new(n, cf_opts.clone()));
        let db = Rocks::open_cf_descriptors(&db_opts, path, descriptors).map_err(map_err)?;
        Ok(RocksDb { db, cf_opts })
    }

    fn cf(&self, name: &str) -> Result<std::sync::Arc<rocksdb::BoundColumnFamily<'_>>> {
        self.db.cf_handle(name).ok_or_else(|| Error::NoKeyspace(name.to_owned()))
    }
}

fn db_options(shared: &Shared) -> Options {
    let mut o = Options::default();
    o.create_if_missing(true);
    o.create_missing_column_families(true);
    o.set_write_buffer_manager(&shared.write_buffers);
    o.set_max_open_files(shared.max_open_files);
    // Recover everything that was synced; a torn last record is dropped, never
    // treated as corruption of acknowledged data (acknowledged = synced).
    o.set_wal_recovery_mode(DBRecoveryMode::PointInTime);
    // Old WALs hold sealed values only, but a purge must be able to make a
    // deletion physical: no recycled or archived WALs.
    o.set_recycle_log_file_num(0);
    o.set_wal_ttl_seconds(0);
    o.set_keep_log_file_num(2);
    o.set_log_level(LogLevel::Warn);
    o.set_max_total_wal_size(64 << 20);
    o.set_paranoid_checks(true);
    o.set_avoid_unnecessary_blocking_io(true);
    // Concurrent deliveries: the next write group fills the WAL while the
    // previous one inserts into memtables.
    o.set_enable_pipelined_write(true);
    o.set_delete_obsolete_files_period_micros(60 * 1_000_000);
    o
}

fn cf_options(shared: &Shared) -> Options {
    let mut o = Options::default();
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(&shared.cache);
    table.set_bloom_filter(10.0, false);
    table.set_cache_index_and_filter_blocks(true);
    o.set_block_based_table_factory(&table);
    // Values are sealed (random-looking): compression would cost CPU for nothing.
    o.set_compression_type(DBCompressionType::None);
    // Large values (message bodies, in chunks) go to blob files, out of the
    // compaction path; blob GC reclaims them after deletes.
    o.set_enable_blob_files(true);
    o.set_min_blob_size(4096);
    o.set_enable_blob_gc(true);
    o.set_blob_gc_age_cutoff(BLOB_GC_AGE_CUTOFF.parse().expect("a number"));
    o.set_write_buffer_size(4 << 20);
    o
}

pub(crate) fn map_err(e: rocksdb::Error) -> Error {
    let s = e.into_string();
    if s.contains("lock") && s.contains("LOCK") {
        Error::Locked(s)
    } else if s.starts_with("Corruption") {
        Error::Corruption(s)
    } else {
        Error::Io(s)
    }
}

impl Db for RocksDb {
    fn create_keyspace(&self, name: &str) -> Result<()> {
        if self.db.cf_handle(name).is_some() {
            return Ok(());
        }
        self.db.create_cf(name, &self.cf_opts).map_err(map_err)
    }

    fn drop_keyspace(&self, name: &str) -> Result<()> {
        if self.db.cf_handle(name).is_none() {
            return Ok(());
        }
        self.db.drop_cf(name).map_err(map_err)
    }

    fn keyspaces(&self) -> Vec<String> {
        // The multi-threaded DB does not list its handles; ask the files.
        Rocks::list_cf(&Options::default(), self.db.path()).unwrap_or_default()
    }

    fn get(&self, ks: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let cf = self.cf(ks)?;
        self.db.get_pinned_cf(&cf, key).map(|v| v.map(|v| v.to_vec())).map_err(map_err)
    }

    fn scan(&self, ks: &str, from: &[u8], to: &[u8], reverse: bool, visit: &mut tresor_kv::Visit<'_>) -> Result<()> {
        if from >= to {
            return Ok(());
        }
        let cf = self.cf(ks)?;
        let mut ro = ReadOptions::default();
        ro.set_iterate_lower_bound(from);
        ro.set_iterate_upper_bound(to);
        // The raw iterator lends each key and value: no allocation per item.
        let mut it = self.db.raw_iterator_cf_opt(&cf, ro);
        if reverse {
            it.seek_to_last();
        } else {
            it.seek(from);
        }
        while it.valid() {
            let (Some(k), Some(v)) = (it.key(), it.value()) else { break };
            if visit(k, v).is_break() {
                break;
            }
            if reverse {
                it.prev();
            } else {
                it.next();
            }
        }
        it.status().map_err(map_err)
    }

    fn write(&self, batch: Batch, sync: bool) -> Result<()> {
        let mut wb = WriteBatch::default();
        for op in &batch.ops {
            match op {
                Op::Put { ks, key, value } => wb.put_cf(&self.cf(ks)?, key, value),
                Op::Delete { ks, key } => wb.delete_cf(&self.cf(ks)?, key),
                Op::DeleteRange { ks, from, to } => wb.delete_range_cf(&self.cf(ks)?, from, to),
            }
        }
        let mut wo = WriteOptions::default();
        // Concurrent synced writers are grouped by RocksDB's write leader into one
        // WAL write and one fsync: group commit across connections for free.
        wo.set_sync(sync);
        self.db.write_opt(wb, &wo).map_err(map_err)
    }

    fn compact(&self, ks: Option<&str>) -> Result<()> {
        let names = match ks {
            Some(n) => vec![n.to_owned()],
            None => self.keyspaces(),
        };
        let mut fo = FlushOptions::default();
        fo.set_wait(true);
        let mut co = CompactOptions::default();
        co.set_bottommost_level_compaction(BottommostLevelCompaction::Force);
        co.set_exclusive_manual_compaction(true);
        for n in &names {
            let Some(cf) = self.db.cf_handle(n) else {
                continue;
            };
            self.db.flush_cf_opt(&cf, &fo).map_err(map_err)?;
            // Blob GC normally relocates only the oldest quarter of blob files; a
            // blob file holding one live and one deleted message would keep the
            // deleted bytes. For this compaction, relocate every live blob so
            // each file that held a deleted value is rewritten or dropped.
            self.db.set_options_cf(&cf, &[("blob_garbage_collection_age_cutoff", "1.0")]).map_err(map_err)?;
            self.db.compact_range_cf_opt(&cf, None::<&[u8]>, None::<&[u8]>, &co);
            self.db.set_options_cf(&cf, &[("blob_garbage_collection_age_cutoff", BLOB_GC_AGE_CUTOFF)]).map_err(map_err)?;
        }
        // A WAL is obsolete once every column family's memtable that used it is
        // flushed; flush the rest so the old WAL (holding the deleted values) goes.
        for n in self.keyspaces() {
            if let Some(cf) = self.db.cf_handle(&n) {
                self.db.flush_cf_opt(&cf, &fo).map_err(map_err)?;
            }
        }
        self.db.flush_wal(true).map_err(map_err)?;
        Ok(())
    }
}
