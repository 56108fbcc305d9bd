//! The config file as written: every key optional, with the defaults that
//! `config.toml.example` documents. Unknown keys are errors (a typo must not
//! silently fall back to a default).

use serde::Deserialize;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConfig {
    pub storage: RawStorage,
    pub keys: RawKeys,
    pub tls: RawTls,
    pub imap: RawListeners,
    pub lmtp: RawLmtp,
    pub http: RawListeners,
    pub lifecycle: RawLifecycle,
    pub submission: RawSubmission,
    pub accounts: RawAccounts,
    pub admin: RawAdmin,
    pub log: RawLog,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStorage {
    pub path: String,
    pub accounts_per_shard: u32,
    pub block_cache: String,
    pub write_buffer: String,
    pub open_shards: usize,
}

impl Default for RawStorage {
    fn default() -> Self {
        RawStorage {
            path: "/var/lib/tresor".into(),
            accounts_per_shard: 100,
            block_cache: "128M".into(),
            write_buffer: "128M".into(),
            open_shards: 64,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawKeys {
    pub master: String,
}

impl Default for RawKeys {
    fn default() -> Self {
        RawKeys { master: "/etc/tresor/master.key".into() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTls {
    pub cert: String,
    pub key: String,
}

impl Default for RawTls {
    fn default() -> Self {
        RawTls { cert: "/etc/tresor/cert.pem".into(), key: "/etc/tresor/key.pem".into() }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawListeners {
    pub listen: Vec<String>,
    pub listen_tls: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLmtp {
    pub listen: Vec<String>,
    pub hostname: String,
    pub max_message_size: String,
    pub max_recipients: usize,
    pub idle_timeout: String,
}

impl Default for RawLmtp {
    fn default() -> Self {
        RawLmtp {
            listen: vec!["127.0.0.1:24".into()],
            hostname: String::new(),
            max_message_size: "64M".into(),
            max_recipients: 1000,
            idle_timeout: "5m".into(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLifecycle {
    pub export_window: String,
    pub receipts: String,
    pub check_interval: String,
    pub sweep_interval: String,
    pub retention_min_days: u32,
    pub retention_max_days: u32,
    pub audit_days: u32,
}

impl Default for RawLifecycle {
    fn default() -> Self {
        RawLifecycle {
            export_window: "30d".into(),
            receipts: "receipts".into(),
            check_interval: "1m".into(),
            sweep_interval: "6h".into(),
            retention_min_days: 1,
            retention_max_days: 0,
            audit_days: 365,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAccounts {
    pub default_quota: String,
    pub default_quota_messages: u64,
    pub mailboxes: Vec<String>,
}

impl Default for RawAccounts {
    fn default() -> Self {
        RawAccounts {
            default_quota: "10G".into(),
            default_quota_messages: 0,
            mailboxes: ["drafts", "sent", "junk", "trash", "archive"].map(String::from).to_vec(),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAdmin {
    pub socket: String,
    pub token_file: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLog {
    pub level: String,
}

impl Default for RawLog {
    fn default() -> Self {
        RawLog { level: "info".into() }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawSubmission {
    pub smarthost: String,
    pub security: String,
    pub username: String,
    pub password_file: String,
    pub ca_file: String,
    pub vacation_period: String,
}

impl Default for RawSubmission {
    fn default() -> Self {
        RawSubmission {
            smarthost: String::new(),
            security: "starttls".into(),
            username: String::new(),
            password_file: String::new(),
            ca_file: String::new(),
            vacation_period: "7d".into(),
        }
    }
}
