//! `tresor init --data-dir DIR`: a complete, working set-up in one directory —
//! `config.toml` (every key of `config.toml.example`, storage under DIR/data),
//! a fresh `master.key` (0600) and a self-signed certificate under `tls/`.
//! Never overwrites: an existing master key is somebody's only way into their data.

use anyhow::{Context, Result, bail};
use std::{io::Write, os::unix::fs::OpenOptionsExt, path::Path, process::ExitCode};
use tresor_crypto::MasterKey;

/// The documented example, with every key and its default.
pub const EXAMPLE: &str = include_str!("../../../config.toml.example");

pub fn run(dir: &Path) -> Result<ExitCode> {
    let dir = std::path::absolute(dir)?;
    write_setup(&dir, &Listen::production())?;
    println!("wrote {}", dir.join("config.toml").display());
    println!("master key: {} (keep it apart from backups of the data)", dir.join("master.key").display());
    println!("start with: tresor serve --config {}", dir.join("config.toml").display());
    Ok(ExitCode::SUCCESS)
}

/// Listener addresses written into a generated config.
pub struct Listen {
    pub imap: String,
    pub imap_tls: String,
    pub lmtp: String,
    pub http: String,
    pub http_tls: String,
}

impl Listen {
    pub fn production() -> Listen {
        Listen {
            imap: "0.0.0.0:143".into(),
            imap_tls: "0.0.0.0:993".into(),
            lmtp: "127.0.0.1:24".into(),
            http: "0.0.0.0:8080".into(),
            http_tls: "0.0.0.0:8443".into(),
        }
    }
}

pub fn write_setup(dir: &Path, listen: &Listen) -> Result<()> {
    let config = dir.join("config.toml");
    let master = dir.join("master.key");
    for p in [&config, &master] {
        if p.exists() {
            bail!("{} already exists; refusing to overwrite it", p.display());
        }
    }
    std::fs::create_dir_all(dir.join("tls")).with_context(|| format!("creating {}", dir.display()))?;
    write_private(&master, MasterKey::generate_file().as_bytes())?;
    let token: String = (0..32).map(|_| format!("{:02x}", rand::random::<u8>())).collect();
    write_private(&dir.join("admin.token"), format!("{token}\n").as_bytes())?;
    crate::tls::write_self_signed(&["localhost"], &dir.join("tls/cert.pem"), &dir.join("tls/key.pem"))?;
    std::fs::write(&config, config_text(dir, listen)).with_context(|| format!("writing {}", config.display()))?;
    Ok(())
}

/// The example with this set-up's paths and addresses filled in.
fn config_text(dir: &Path, l: &Listen) -> String {
    let d = dir.display();
    let mut out = String::new();
    let mut section = "";
    for line in EXAMPLE.lines() {
        let t = line.trim_start();
        if t.starts_with('[') {
            section = t.trim_end_matches(|c: char| c != ']');
        }
        let key = t.split('=').next().unwrap_or("").trim();
        let value = match (section, key) {
            ("[storage]", "path") => Some(format!("\"{d}/data\"")),
            ("[keys]", "master") => Some(format!("\"{d}/master.key\"")),
            ("[tls]", "cert") => Some(format!("\"{d}/tls/cert.pem\"")),
            ("[tls]", "key") => Some(format!("\"{d}/tls/key.pem\"")),
            ("[imap]", "listen") => Some(format!("[\"{}\"]", l.imap)),
            ("[imap]", "listen_tls") => Some(format!("[\"{}\"]", l.imap_tls)),
            ("[lmtp]", "listen") => Some(format!("[\"{}\"]", l.lmtp)),
            ("[http]", "listen") => Some(format!("[\"{}\"]", l.http)),
            ("[http]", "listen_tls") => Some(format!("[\"{}\"]", l.http_tls)),
            ("[admin]", "token_file") => Some(format!("\"{d}/admin.token\"")),
            _ => None,
        };
        match value {
            Some(v) if !t.starts_with('#') && t.contains('=') => out.push_str(&format!("{key} = {v}\n")),
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        let mut out = Vec::new();
        for (section, v) in &table {
            for k in v.as_table().unwrap().keys() {
                out.push(format!("{section}.{k}"));
            }
        }
        out.sort();
        out
    }

    #[test]
    fn generated_config_has_every_example_key_and_loads() {
        let dir = tempfile::tempdir().unwrap();
        write_setup(dir.path(), &Listen::production()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
        assert_eq!(keys(&text), keys(EXAMPLE));
        let c = crate::config::Config::load(&dir.path().join("config.toml")).unwrap();
        assert_eq!(c.storage.path, dir.path().join("data"));
        crate::tls::server_config(&c.tls.cert, &c.tls.key).unwrap();
        crate::open::master_key(&c).unwrap();
        assert!(write_setup(dir.path(), &Listen::production()).is_err(), "never overwrites");
    }

    #[test]
    fn example_lowers_with_defaults_only() {
        let raw: crate::config::raw::RawConfig = toml::from_str(EXAMPLE).unwrap();
        crate::config::Config::lower(raw, Path::new("/etc/tresor/config.toml")).unwrap();
    }
}
