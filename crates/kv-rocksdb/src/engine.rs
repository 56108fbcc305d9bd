//! The node's engine: main and keyring instances open for the process's life,
//! shard instances opened on demand and kept in a bounded LRU set.

use crate::db::{RocksDb, Shared};
use rocksdb::{Cache, WriteBufferManager};
use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, Weak},
};
use tresor_kv::{AUDIT, DIRECTORY, Db, Engine, Error, KEYRING, Result, SCHEDULE};

/// Memory and file budgets, shared by every instance.
#[derive(Debug, Clone)]
pub struct Tuning {
    pub block_cache_bytes: usize,
    pub write_buffer_bytes: usize,
    /// Shard instances kept open when idle; more may be open while in use.
    pub open_shards: usize,
    pub max_open_files_per_db: i32,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning { block_cache_bytes: 128 << 20, write_buffer_bytes: 128 << 20, open_shards: 64, max_open_files_per_db: 64 }
    }
}

pub struct RocksEngine {
    root: PathBuf,
    shared: Shared,
    main: Arc<RocksDb>,
    keyring: Arc<RocksDb>,
    shards: Mutex<ShardSet>,
    open_shards: usize,
}

/// Open shards. `live` holds weak handles to every instance still in use, so a
/// shard evicted from `recent` while a caller holds it is reused, never opened a
/// second time (RocksDB's LOCK would refuse that anyway).
#[derive(Default)]
struct ShardSet {
    live: HashMap<u32, Weak<RocksDb>>,
    recent: Vec<(u32, Arc<RocksDb>)>,
}

impl RocksEngine {
    pub fn open(root: &Path, tuning: &Tuning) -> Result<Self> {
        std::fs::create_dir_all(root.join("shards")).map_err(|e| Error::Io(format!("{}: {e}", root.display())))?;
        let cache = Cache::new_lru_cache(tuning.block_cache_bytes);
        let write_buffers = WriteBufferManager::new_write_buffer_manager_with_cache(tuning.write_buffer_bytes, false, cache.clone());
        let shared = Shared { cache, write_buffers, max_open_files: tuning.max_open_files_per_db };
        let main = Arc::new(RocksDb::open(&root.join("main"), &[DIRECTORY, SCHEDULE, AUDIT], &shared)?);
        let keyring = Arc::new(RocksDb::open(&root.join("keyring"), &[KEYRING], &shared)?);
        Ok(RocksEngine { root: root.to_owned(), shared, main, keyring, shards: Mutex::default(), open_shards: tuning.open_shards.max(1) })
    }

    fn shard_path(&self, n: u32) -> PathBuf {
        self.root.join("shards").join(format!("{n:06}"))
    }
}

impl Engine for RocksEngine {
    fn main(&self) -> Arc<dyn Db> {
        self.main.clone()
    }

    fn keyring(&self) -> Arc<dyn Db> {
        self.keyring.clone()
    }

    fn shard(&self, n: u32) -> Result<Arc<dyn Db>> {
        let mut set = self.shards.lock().unwrap();
        if let Some(i) = set.recent.iter().position(|(id, _)| *id == n) {
            let entry = set.recent.remove(i);
            let db = entry.1.clone();
            set.recent.push(entry);
            return Ok(db);
        }
        let db = match set.live.get(&n).and_then(Weak::upgrade) {
            Some(db) => db,
            None => {
                // Opening holds the lock: two callers must never open one shard twice.
                let db = Arc::new(RocksDb::open(&self.shard_path(n), &[], &self.shared)?);
                tracing::debug!(shard = n, "opened shard");
                db
            }
        };
        set.live.insert(n, Arc::downgrade(&db));
        set.recent.push((n, db.clone()));
        if set.recent.len() > self.open_shards {
            set.recent.remove(0);
        }
        set.live.retain(|_, w| w.strong_count() > 0);
        Ok(db)
    }

    fn shards(&self) -> Result<Vec<u32>> {
        let dir = self.root.join("shards");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))? {
            let entry = entry.map_err(|e| Error::Io(e.to_string()))?;
            if let Some(n) = entry.file_name().to_str().and_then(|s| s.parse().ok()) {
                out.push(n);
            }
        }
        out.sort();
        Ok(out)
    }

    fn open_shards(&self) -> usize {
        let set = self.shards.lock().unwrap();
        set.live.values().filter(|w| w.strong_count() > 0).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tresor_kv::Batch;

    #[test]
    fn shards_open_on_demand_and_reopen_after_restart() {
        let dir = tempfile::tempdir().unwrap();
        let tuning = Tuning { open_shards: 2, ..Tuning::default() };
        {
            let e = RocksEngine::open(dir.path(), &tuning).unwrap();
            assert_eq!(e.open_shards(), 0);
            for n in 0..4 {
                let s = e.shard(n).unwrap();
                s.create_keyspace("a1").unwrap();
                let mut b = Batch::new();
                b.put("a1", vec![n as u8], *b"v");
                s.write(b, true).unwrap();
            }
            assert_eq!(e.open_shards(), 2, "idle shards beyond the bound are closed");
            let held = e.shard(0).unwrap();
            let again = e.shard(0).unwrap();
            assert!(Arc::ptr_eq(&held, &again));
            assert_eq!(e.shards().unwrap(), vec![0, 1, 2, 3]);
        }
        let e = RocksEngine::open(dir.path(), &tuning).unwrap();
        assert_eq!(e.shard(3).unwrap().get("a1", &[3]).unwrap().as_deref(), Some(&b"v"[..]));
        assert!(e.main().get(DIRECTORY, b"x").unwrap().is_none());
    }

    #[test]
    fn second_open_of_a_locked_dir_fails_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let _first = RocksEngine::open(dir.path(), &Tuning::default()).unwrap();
        match RocksEngine::open(dir.path(), &Tuning::default()) {
            Err(Error::Locked(_)) => {}
            Err(e) => panic!("expected Locked, got {e}"),
            Ok(_) => panic!("second open succeeded"),
        }
    }

    #[test]
    fn dropped_keyspace_and_deleted_values_leave_the_files() {
        let dir = tempfile::tempdir().unwrap();
        let e = RocksEngine::open(dir.path(), &Tuning::default()).unwrap();
        let s = e.shard(0).unwrap();
        s.create_keyspace("gone").unwrap();
        let canary = b"CANARY-kv-rocksdb-7f3a".repeat(400);
        let mut b = Batch::new();
        b.put("gone", *b"k", canary.clone());
        s.write(b, true).unwrap();
        // A deleted blob sharing a blob file with a live one must go too.
        s.create_keyspace("mixed").unwrap();
        let mut b = Batch::new();
        b.put("mixed", *b"live", b"LIVE-BLOB-VALUE-1234".repeat(400)).put("mixed", *b"dead", b"DEAD-BLOB-VALUE-9876".repeat(400));
        s.write(b, true).unwrap();
        s.compact(Some("mixed")).unwrap();
        assert!(files_contain(dir.path(), b"DEAD-BLOB-VALUE-9876"));
        let mut b = Batch::new();
        b.delete("mixed", *b"dead");
        s.write(b, true).unwrap();
        s.compact(Some("mixed")).unwrap();
        assert!(!files_contain(dir.path(), b"DEAD-BLOB-VALUE-9876"), "a deleted blob stayed in a shared blob file");
        assert!(files_contain(dir.path(), b"LIVE-BLOB-VALUE-1234"));
        assert_eq!(s.get("mixed", b"live").unwrap().unwrap().len(), 20 * 400);
        let mut b = Batch::new();
        b.put(KEYRING, *b"k", canary.clone());
        e.keyring().write(b, true).unwrap();
        s.compact(None).unwrap();
        assert!(files_contain(dir.path(), b"CANARY-kv-rocksdb-7f3a"));

        s.drop_keyspace("gone").unwrap();
        s.compact(None).unwrap();
        let mut b = Batch::new();
        b.delete(KEYRING, *b"k");
        e.keyring().write(b, true).unwrap();
        e.keyring().compact(Some(KEYRING)).unwrap();
        drop(s);
        drop(e);
        assert!(!files_contain(dir.path(), b"CANARY-kv-rocksdb-7f3a"), "a deleted value is still in a file");
    }

    fn files_contain(dir: &Path, needle: &[u8]) -> bool {
        std::fs::read_dir(dir).unwrap().flatten().any(|e| {
            let p = e.path();
            if p.is_dir() {
                files_contain(&p, needle)
            } else {
                std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle))
            }
        })
    }
}
