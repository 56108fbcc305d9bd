//! An in-memory [`Engine`] for unit tests of the layers above: same semantics as
//! the RocksDB engine (atomic batches, ordered scans, keyspaces), no durability.

use crate::{Batch, Db, Engine, Error, Op, Result, Visit};
use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex},
};

type Keyspace = BTreeMap<Vec<u8>, Vec<u8>>;

#[derive(Default)]
pub struct MemoryDb {
    keyspaces: Mutex<HashMap<String, Keyspace>>,
}

impl MemoryDb {
    pub fn with_keyspaces(names: &[&str]) -> Self {
        let db = MemoryDb::default();
        for n in names {
            db.create_keyspace(n).expect("in-memory create cannot fail");
        }
        db
    }
}

impl Db for MemoryDb {
    fn create_keyspace(&self, name: &str) -> Result<()> {
        self.keyspaces.lock().unwrap().entry(name.to_owned()).or_default();
        Ok(())
    }

    fn drop_keyspace(&self, name: &str) -> Result<()> {
        self.keyspaces.lock().unwrap().remove(name);
        Ok(())
    }

    fn keyspaces(&self) -> Vec<String> {
        self.keyspaces.lock().unwrap().keys().cloned().collect()
    }

    fn get(&self, ks: &str, key: &[u8]) -> Result<Option<Vec<u8>>> {
        let map = self.keyspaces.lock().unwrap();
        Ok(map.get(ks).ok_or_else(|| Error::NoKeyspace(ks.into()))?.get(key).cloned())
    }

    fn scan(&self, ks: &str, from: &[u8], to: &[u8], reverse: bool, visit: &mut Visit<'_>) -> Result<()> {
        // Copy out first so `visit` may call back into the engine.
        let items: Vec<(Vec<u8>, Vec<u8>)> = {
            let map = self.keyspaces.lock().unwrap();
            let space = map.get(ks).ok_or_else(|| Error::NoKeyspace(ks.into()))?;
            if from >= to {
                return Ok(());
            }
            space.range(from.to_vec()..to.to_vec()).map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let mut visit_one = |(k, v): &(Vec<u8>, Vec<u8>)| visit(k, v).is_break();
        if reverse {
            items.iter().rev().any(&mut visit_one);
        } else {
            items.iter().any(&mut visit_one);
        }
        Ok(())
    }

    fn write(&self, batch: Batch, _sync: bool) -> Result<()> {
        let mut map = self.keyspaces.lock().unwrap();
        for op in &batch.ops {
            let ks = match op {
                Op::Put { ks, .. } | Op::Delete { ks, .. } | Op::DeleteRange { ks, .. } => ks,
            };
            if !map.contains_key(ks) {
                return Err(Error::NoKeyspace(ks.clone()));
            }
        }
        for op in batch.ops {
            match op {
                Op::Put { ks, key, value } => {
                    map.get_mut(&ks).unwrap().insert(key, value);
                }
                Op::Delete { ks, key } => {
                    map.get_mut(&ks).unwrap().remove(&key);
                }
                Op::DeleteRange { ks, from, to } => {
                    map.get_mut(&ks).unwrap().retain(|k, _| k < &from || k >= &to);
                }
            }
        }
        Ok(())
    }

    fn compact(&self, _ks: Option<&str>) -> Result<()> {
        Ok(())
    }
}

pub struct MemoryEngine {
    main: Arc<MemoryDb>,
    keyring: Arc<MemoryDb>,
    shards: Mutex<HashMap<u32, Arc<MemoryDb>>>,
}

impl Default for MemoryEngine {
    fn default() -> Self {
        MemoryEngine {
            main: Arc::new(MemoryDb::with_keyspaces(&[crate::DIRECTORY, crate::SCHEDULE, crate::AUDIT])),
            keyring: Arc::new(MemoryDb::with_keyspaces(&[crate::KEYRING])),
            shards: Mutex::default(),
        }
    }
}

impl Engine for MemoryEngine {
    fn main(&self) -> Arc<dyn Db> {
        self.main.clone()
    }

    fn keyring(&self) -> Arc<dyn Db> {
        self.keyring.clone()
    }

    fn shard(&self, n: u32) -> Result<Arc<dyn Db>> {
        Ok(self.shards.lock().unwrap().entry(n).or_default().clone())
    }

    fn shards(&self) -> Result<Vec<u32>> {
        let mut v: Vec<u32> = self.shards.lock().unwrap().keys().copied().collect();
        v.sort();
        Ok(v)
    }

    fn open_shards(&self) -> usize {
        self.shards.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_scans_and_keyspaces() {
        let db = MemoryDb::with_keyspaces(&["a"]);
        let mut b = Batch::new();
        b.put("a", *b"k1", *b"v1").put("a", *b"k2", *b"v2").put("a", *b"k3", *b"v3");
        db.write(b, true).unwrap();
        assert_eq!(db.get("a", b"k2").unwrap().as_deref(), Some(&b"v2"[..]));
        let all = crate::collect(&db, "a", b"k", b"l").unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(crate::last(&db, "a", b"k", b"k3").unwrap().unwrap().0, b"k2");
        let mut b = Batch::new();
        b.delete_range("a", *b"k1", *b"k3");
        db.write(b, true).unwrap();
        assert_eq!(crate::collect(&db, "a", b"k", b"l").unwrap().len(), 1);
        let mut bad = Batch::new();
        bad.put("a", *b"x", *b"y").put("nope", *b"x", *b"y");
        assert!(db.write(bad, true).is_err());
        assert_eq!(db.get("a", b"x").unwrap(), None, "a failed batch writes nothing");
    }
}
