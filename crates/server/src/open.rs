//! Opening the store from the config, with one clear line for each way it can
//! fail: missing or wrong master key, a data dir locked by another process.

use crate::config::Config;
use anyhow::{Context, Result, anyhow};
use std::sync::Arc;
use tresor_crypto::MasterKey;
use tresor_kv_rocksdb::RocksEngine;
use tresor_store::{Store, StoreConfig};

pub fn master_key(config: &Config) -> Result<MasterKey> {
    let path = &config.master_key;
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| anyhow!("master key {}: {e}", path.display()))?);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(path = %path.display(), "master key file is readable by group or others; chmod 600 it");
        }
    }
    MasterKey::from_file_text(&text).with_context(|| format!("master key {}", path.display()))
}

pub fn store(config: &Config) -> Result<Store> {
    let master = master_key(config)?;
    let engine = RocksEngine::open(&config.storage.path, &config.storage.tuning).map_err(|e| match e {
        tresor_kv::Error::Locked(_) => {
            anyhow!("data dir {} is locked by another process (another tresor serve?)", config.storage.path.display())
        }
        e => anyhow!("data dir {}: {e}", config.storage.path.display()),
    })?;
    let store_config = StoreConfig {
        accounts_per_shard: config.storage.accounts_per_shard,
        default_quota: config.default_quota,
        default_mailboxes: config.default_mailboxes.clone(),
        ..StoreConfig::default()
    };
    Store::open(Arc::new(engine), master, store_config).map_err(|e| match e {
        tresor_store::Error::WrongMasterKey => {
            anyhow!("master key {} does not open data dir {}", config.master_key.display(), config.storage.path.display())
        }
        e => anyhow!("data dir {}: {e}", config.storage.path.display()),
    })
}
