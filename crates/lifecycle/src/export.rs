//! `account export`: a tar archive with one `.eml` per message under a folder per
//! mailbox (`mail/<mailbox>/<uid>.eml`, byte-exact as stored) and
//! `manifest.json` listing every file with its size and SHA-256, written last.
//!
//! Streamed: one message is in memory at a time, whatever the account's size.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::Write;
use tresor_store::{Account, mail::MailboxId};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Store(#[from] tresor_store::Error),
    #[error("writing the archive: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Serialize)]
pub struct Manifest {
    pub format: &'static str,
    pub exported_at: String,
    pub mailboxes: Vec<MailboxEntry>,
    pub messages: u64,
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Serialize)]
pub struct MailboxEntry {
    pub name: String,
    pub path: String,
    pub messages: u64,
}

#[derive(Debug, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// Writes the archive; `progress(done, total)` is called after each message.
pub fn export(account: &Account, out: impl Write, now: i64, mut progress: impl FnMut(u64, u64)) -> Result<Manifest, Error> {
    let mut tar = tar::Builder::new(out);
    let mailboxes = account.mailboxes()?;
    let total = account.counters().messages;
    let mut manifest = Manifest {
        format: "tresor-export-1",
        exported_at: tresor_types::time::rfc3339(now),
        mailboxes: Vec::new(),
        messages: 0,
        files: Vec::new(),
    };
    let mut done = 0;
    let mut used_paths = std::collections::HashSet::new();
    for mailbox in &mailboxes {
        let dir = unique(folder_path(&mailbox.name, mailbox.id), &mut used_paths);
        let uids = account.uids(mailbox.id)?;
        for (uid, email) in &uids {
            let raw = account.read_message(*email)?;
            let path = format!("mail/{dir}/{uid}.eml");
            append(&mut tar, &path, &raw, now)?;
            manifest.files.push(FileEntry { path, size: raw.len() as u64, sha256: hex(&Sha256::digest(&raw)) });
            done += 1;
            progress(done, total);
        }
        manifest.mailboxes.push(MailboxEntry { name: mailbox.name.clone(), path: format!("mail/{dir}"), messages: uids.len() as u64 });
    }
    manifest.messages = done;
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    append(&mut tar, "manifest.json", &json, now)?;
    tar.into_inner()?.flush()?;
    Ok(manifest)
}

fn append(tar: &mut tar::Builder<impl Write>, path: &str, data: &[u8], now: i64) -> std::io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o600);
    h.set_mtime(now.max(0) as u64);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, path, data)
}

/// A safe relative path for a mailbox name: hierarchy kept, but no component
/// may be empty, `.`/`..`, or hold control characters or NUL.
fn folder_path(name: &str, id: MailboxId) -> String {
    let parts: Vec<String> = name
        .split('/')
        .map(|c| {
            let c: String = c.chars().map(|ch| if ch.is_control() || ch == '\\' { '_' } else { ch }).collect();
            match c.as_str() {
                "" | "." | ".." => format!("_{c}_"),
                _ => c,
            }
        })
        .collect();
    if parts.is_empty() { format!("mailbox-{}", id.0) } else { parts.join("/") }
}

fn unique(path: String, used: &mut std::collections::HashSet<String>) -> String {
    let mut p = path.clone();
    let mut n = 2;
    while !used.insert(p.clone()) {
        p = format!("{path}~{n}");
        n += 1;
    }
    p
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folder_paths_are_safe() {
        assert_eq!(folder_path("INBOX", MailboxId(1)), "INBOX");
        assert_eq!(folder_path("Work/2026", MailboxId(2)), "Work/2026");
        assert_eq!(folder_path("../etc", MailboxId(3)), "_.._/etc");
        assert_eq!(folder_path("a//b", MailboxId(3)), "a/__/b");
    }
}
