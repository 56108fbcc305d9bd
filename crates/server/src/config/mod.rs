//! Configuration: [`raw`] is the TOML as written; [`Config::load`] lowers it once
//! into validated per-subsystem structs (paths resolved against the config file's
//! directory, sizes and durations parsed, addresses parsed), so nothing downstream
//! parses strings or falls back to defaults on its own.

pub mod raw;

use anyhow::{Context, Result, bail};
use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::Duration,
};
use tresor_types::{ByteSize, HumanDuration};

#[derive(Debug, Clone)]
pub struct Config {
    /// The file this came from (the admin socket lives next to it).
    pub file: PathBuf,
    pub storage: Storage,
    pub master_key: PathBuf,
    pub tls: Tls,
    pub imap: Listeners,
    pub http: Listeners,
    pub lmtp: Lmtp,
    pub lifecycle: Lifecycle,
    pub submission: Submission,
    pub default_quota: tresor_store::directory::Quota,
    /// The mailboxes a new account gets besides INBOX, by role.
    pub default_mailboxes: Vec<tresor_store::mail::Role>,
    pub admin_socket: PathBuf,
    /// The admin API's bearer token; `None` disables the API.
    pub admin_token: Option<tresor_types::Secret<String>>,
    pub log_level: String,
}

#[derive(Debug, Clone)]
pub struct Storage {
    pub path: PathBuf,
    pub accounts_per_shard: u32,
    pub tuning: tresor_kv_rocksdb::Tuning,
}

#[derive(Debug, Clone)]
pub struct Lifecycle {
    pub export_window: HumanDuration,
    pub receipts: PathBuf,
    pub check_interval: Duration,
    pub sweep_interval: Duration,
    pub retention_min_days: u32,
    /// 0: no maximum.
    pub retention_max_days: u32,
    pub audit_days: u32,
}

impl Lifecycle {
    /// Whether a user may set `days` of retention (0 = keep forever).
    pub fn check_retention(&self, days: u32) -> Result<()> {
        if days == 0 {
            if self.retention_max_days > 0 {
                bail!("retention must be at most {} days on this server", self.retention_max_days);
            }
            return Ok(());
        }
        if days < self.retention_min_days {
            bail!("retention must be at least {} days on this server", self.retention_min_days);
        }
        if self.retention_max_days > 0 && days > self.retention_max_days {
            bail!("retention must be at most {} days on this server", self.retention_max_days);
        }
        Ok(())
    }
}

/// Outgoing mail: JMAP EmailSubmission and vacation replies go to one smarthost.
#[derive(Debug, Clone)]
pub struct Submission {
    /// `host:port`; None: sending is off (EmailSubmission/set is refused).
    pub smarthost: Option<(String, u16)>,
    pub security: Security,
    pub credentials: Option<(String, tresor_types::Secret<String>)>,
    /// PEM roots to verify the smarthost with; None: the system bundle.
    pub ca_file: Option<PathBuf>,
    pub vacation_period: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// STARTTLS, required.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No TLS: only to a smarthost on loopback.
    None,
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone, Default)]
pub struct Listeners {
    pub plain: Vec<SocketAddr>,
    pub tls: Vec<SocketAddr>,
}

#[derive(Debug, Clone)]
pub struct Lmtp {
    pub listen: Vec<SocketAddr>,
    pub protocol: tresor_lmtp::Config,
}

impl Config {
    /// Which file a subcommand uses: `--config`, then `$TRESOR_CONFIG`, then `./config.toml`.
    pub fn locate(flag: Option<&Path>) -> PathBuf {
        flag.map(Path::to_path_buf)
            .or_else(|| std::env::var_os("TRESOR_CONFIG").filter(|v| !v.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("config.toml"))
    }

    pub fn load(file: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(file).with_context(|| format!("cannot read config {}", file.display()))?;
        let raw: raw::RawConfig =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("config {}: {}", file.display(), one_line(&e.to_string())))?;
        Config::lower(raw, file).with_context(|| format!("config {}", file.display()))
    }

    pub fn lower(raw: raw::RawConfig, file: &Path) -> Result<Config> {
        let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
        let path = |s: &str, key: &str| -> Result<PathBuf> {
            if s.is_empty() {
                bail!("{key} must not be empty");
            }
            Ok(base.join(s))
        };
        let size = |s: &str, key: &str| -> Result<u64> { Ok(s.parse::<ByteSize>().with_context(|| key.to_string())?.0) };
        let addrs = |v: &[String], key: &str| -> Result<Vec<SocketAddr>> {
            v.iter().map(|a| a.parse().with_context(|| format!("{key}: {a:?} is not an address:port"))).collect()
        };
        let s = &raw.storage;
        if s.accounts_per_shard == 0 {
            bail!("storage.accounts_per_shard must be at least 1");
        }
        let storage = Storage {
            path: path(&s.path, "storage.path")?,
            accounts_per_shard: s.accounts_per_shard,
            tuning: tresor_kv_rocksdb::Tuning {
                block_cache_bytes: size(&s.block_cache, "storage.block_cache")? as usize,
                write_buffer_bytes: size(&s.write_buffer, "storage.write_buffer")? as usize,
                open_shards: s.open_shards.max(1),
                ..tresor_kv_rocksdb::Tuning::default()
            },
        };
        let master_key = path(&raw.keys.master, "keys.master")?;
        if master_key.starts_with(&storage.path) {
            bail!("keys.master must not be inside storage.path: a copy of the data directory must not carry its key");
        }
        let idle: HumanDuration = raw.lmtp.idle_timeout.parse().context("lmtp.idle_timeout")?;
        let hostname = if raw.lmtp.hostname.is_empty() { system_hostname() } else { raw.lmtp.hostname.clone() };
        let lmtp = Lmtp {
            listen: addrs(&raw.lmtp.listen, "lmtp.listen")?,
            protocol: tresor_lmtp::Config {
                hostname,
                max_message_size: size(&raw.lmtp.max_message_size, "lmtp.max_message_size")?,
                max_recipients: raw.lmtp.max_recipients.max(1),
                idle_timeout: Duration::from_secs(idle.as_secs().max(1)),
                ..tresor_lmtp::Config::default()
            },
        };
        let sub = &raw.submission;
        let smarthost = match sub.smarthost.as_str() {
            "" => None,
            h => {
                let (host, port) = h.rsplit_once(':').context("submission.smarthost must be host:port")?;
                let port: u16 = port.parse().context("submission.smarthost: bad port")?;
                Some((host.trim_start_matches('[').trim_end_matches(']').to_owned(), port))
            }
        };
        let security = match sub.security.as_str() {
            "starttls" => Security::StartTls,
            "tls" => Security::Tls,
            "none" => Security::None,
            other => bail!("submission.security must be starttls, tls or none, not {other:?}"),
        };
        if security == Security::None
            && let Some((host, _)) = &smarthost
            && !host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
            && host != "localhost"
        {
            bail!("submission.security = \"none\" is only allowed for a smarthost on loopback");
        }
        let credentials = match (sub.username.as_str(), sub.password_file.as_str()) {
            ("", "") => None,
            ("", _) | (_, "") => bail!("submission.username and submission.password_file go together"),
            (user, f) => {
                let p = path(f, "submission.password_file")?;
                let pw = std::fs::read_to_string(&p).with_context(|| format!("submission.password_file {}", p.display()))?;
                Some((user.to_owned(), tresor_types::Secret::new(pw.trim_end_matches(['\r', '\n']).to_owned())))
            }
        };
        let submission = Submission {
            smarthost,
            security,
            credentials,
            ca_file: if sub.ca_file.is_empty() { None } else { Some(path(&sub.ca_file, "submission.ca_file")?) },
            vacation_period: interval(&sub.vacation_period, "submission.vacation_period")?,
        };
        let quota_bytes = size(&raw.accounts.default_quota, "accounts.default_quota")?;
        let default_mailboxes = raw
            .accounts
            .mailboxes
            .iter()
            .map(|r| match tresor_store::mail::Role::from_name(r) {
                Some(tresor_store::mail::Role::Inbox) | None => {
                    bail!("accounts.mailboxes: {r:?} is not one of drafts, sent, junk, trash, archive")
                }
                Some(role) => Ok(role),
            })
            .collect::<Result<Vec<_>>>()?;
        for (i, role) in default_mailboxes.iter().enumerate() {
            if default_mailboxes[..i].contains(role) {
                bail!("accounts.mailboxes: {:?} is listed twice (one mailbox per role)", raw.accounts.mailboxes[i]);
            }
        }
        let admin_socket = if raw.admin.socket.is_empty() { base.join("tresor.sock") } else { path(&raw.admin.socket, "admin.socket")? };
        Ok(Config {
            storage,
            master_key,
            tls: Tls { cert: path(&raw.tls.cert, "tls.cert")?, key: path(&raw.tls.key, "tls.key")? },
            imap: Listeners { plain: addrs(&raw.imap.listen, "imap.listen")?, tls: addrs(&raw.imap.listen_tls, "imap.listen_tls")? },
            http: Listeners { plain: addrs(&raw.http.listen, "http.listen")?, tls: addrs(&raw.http.listen_tls, "http.listen_tls")? },
            lmtp,
            lifecycle: Lifecycle {
                export_window: raw.lifecycle.export_window.parse().context("lifecycle.export_window")?,
                receipts: path(&raw.lifecycle.receipts, "lifecycle.receipts")?,
                check_interval: interval(&raw.lifecycle.check_interval, "lifecycle.check_interval")?,
                sweep_interval: interval(&raw.lifecycle.sweep_interval, "lifecycle.sweep_interval")?,
                retention_min_days: raw.lifecycle.retention_min_days,
                retention_max_days: raw.lifecycle.retention_max_days,
                audit_days: raw.lifecycle.audit_days.max(1),
            },
            submission,
            default_quota: tresor_store::directory::Quota {
                bytes: (quota_bytes > 0).then_some(quota_bytes),
                messages: (raw.accounts.default_quota_messages > 0).then_some(raw.accounts.default_quota_messages),
            },
            default_mailboxes,
            admin_socket,
            admin_token: match raw.admin.token_file.as_str() {
                "" => None,
                f => {
                    let p = path(f, "admin.token_file")?;
                    let t = std::fs::read_to_string(&p).with_context(|| format!("admin.token_file {}", p.display()))?.trim().to_owned();
                    if t.len() < 16 {
                        bail!("admin.token_file {}: the token must be at least 16 characters", p.display());
                    }
                    Some(tresor_types::Secret::new(t))
                }
            },
            log_level: raw.log.level,
            file,
        })
    }
}

fn interval(s: &str, key: &str) -> Result<Duration> {
    let d: HumanDuration = s.parse().with_context(|| key.to_string())?;
    Ok(Duration::from_secs(d.as_secs().max(1)))
}

fn system_hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lower(toml_text: &str) -> Result<Config> {
        let raw: raw::RawConfig = toml::from_str(toml_text).map_err(|e| anyhow::anyhow!("{e}"))?;
        Config::lower(raw, Path::new("/etc/tresor/config.toml"))
    }

    #[test]
    fn defaults_lower() {
        let c = lower("").unwrap();
        assert_eq!(c.storage.path, Path::new("/var/lib/tresor"));
        assert_eq!(c.lmtp.listen, vec!["127.0.0.1:24".parse().unwrap()]);
        assert_eq!(c.lifecycle.export_window.as_secs(), 30 * 86_400);
        assert_eq!(c.lifecycle.receipts, Path::new("/etc/tresor/receipts"));
        assert_eq!(c.admin_socket, Path::new("/etc/tresor/tresor.sock"));
    }

    #[test]
    fn relative_paths_resolve_against_the_config_dir() {
        let c = lower("[storage]\npath = \"data\"\n[keys]\nmaster = \"master.key\"").unwrap();
        assert_eq!(c.storage.path, Path::new("/etc/tresor/data"));
        assert_eq!(c.master_key, Path::new("/etc/tresor/master.key"));
    }

    #[test]
    fn bad_values_are_errors() {
        for bad in [
            "[lifecycle]\nexport_window = \"30\"",
            "[lmtp]\nlisten = [\"nonsense\"]",
            "[storage]\nblock_cache = \"lots\"",
            "[storage]\npath = \"/d\"\n[keys]\nmaster = \"/d/master.key\"",
            "[storage]\npathh = \"/d\"",
            "[lmtp]\nmax_message_size = \"64X\"",
            "[accounts]\nmailboxes = [\"inbox\"]",
            "[accounts]\nmailboxes = [\"trash\", \"sent\", \"trash\"]",
        ] {
            assert!(lower(bad).is_err(), "{bad}");
        }
    }
}
