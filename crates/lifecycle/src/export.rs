//! `account export`: one archive with everything the account holds, so a user
//! can always leave with all of it. A tar with
//!
//! - `mail/<mailbox>/<uid>.eml`: every message, byte-exact as stored;
//! - `mbox/<mailbox>.mbox`: the same messages per mailbox as mboxrd (LF line
//!   ends, `>From ` quoting), for mail clients that import mbox;
//! - `settings.json`: mailboxes with their roles, subscriptions and retention;
//!   sending identities, the vacation response and outgoing submissions;
//! - `manifest.json` (last): counts, and every file with its size and SHA-256;
//!
//! optionally age-encrypted to a passphrase or a recipient the user chose.
//! Streamed: one message is in memory at a time, whatever the account's size
//! (an mbox's size is computed in a first pass, as tar needs it up front).

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use tresor_store::{
    Account,
    mail::{EmailId, Mailbox, MailboxId, Role},
};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Store(#[from] tresor_store::Error),
    #[error("writing the archive: {0}")]
    Io(#[from] io::Error),
    #[error("encryption: {0}")]
    Encrypt(String),
}

/// Who can open the archive.
pub enum Protection {
    None,
    Passphrase(age::secrecy::SecretString),
    /// An age recipient (`age1…`).
    Recipient(String),
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
    pub mbox: String,
    pub messages: u64,
}

#[derive(Debug, Serialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Serialize)]
struct Settings {
    retention_days: Option<u32>,
    mailboxes: Vec<MailboxSettings>,
    /// Sending identities (JMAP Identity), as the user set them.
    identities: Vec<IdentitySettings>,
    vacation: VacationSettings,
    /// Outgoing submissions still known to the server and what became of them.
    submissions: Vec<SubmissionSettings>,
}

#[derive(Serialize)]
struct IdentitySettings {
    name: String,
    email: String,
    reply_to: Option<Vec<(Option<String>, String)>>,
    bcc: Option<Vec<(Option<String>, String)>>,
    text_signature: String,
    html_signature: String,
}

#[derive(Serialize)]
struct VacationSettings {
    enabled: bool,
    from: Option<String>,
    to: Option<String>,
    subject: Option<String>,
    text: Option<String>,
    html: Option<String>,
}

#[derive(Serialize)]
struct SubmissionSettings {
    mail_from: String,
    rcpt_to: Vec<String>,
    send_at: String,
    status: &'static str,
    /// Per recipient: (address, SMTP reply).
    replies: Vec<(String, String)>,
}

#[derive(Serialize)]
struct MailboxSettings {
    name: String,
    role: Option<&'static str>,
    subscribed: bool,
    retention_days: Option<u32>,
}

/// Writes the archive to `out`; `progress(done, total)` after each message.
pub fn export(
    account: &Account,
    out: impl Write,
    protection: Protection,
    now: i64,
    progress: impl FnMut(u64, u64),
) -> Result<Manifest, Error> {
    match protection {
        Protection::None => write_tar(account, out, now, progress),
        Protection::Passphrase(p) => {
            let enc = age::Encryptor::with_user_passphrase(p);
            encrypted(enc, account, out, now, progress)
        }
        Protection::Recipient(r) => {
            let recipient: age::x25519::Recipient = r.parse().map_err(|e: &str| Error::Encrypt(format!("recipient {r:?}: {e}")))?;
            let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(|e| Error::Encrypt(e.to_string()))?;
            encrypted(enc, account, out, now, progress)
        }
    }
}

fn encrypted(enc: age::Encryptor, account: &Account, out: impl Write, now: i64, progress: impl FnMut(u64, u64)) -> Result<Manifest, Error> {
    let mut sink = Finishing { inner: Some(enc.wrap_output(out)?) };
    let manifest = write_tar(account, &mut sink, now, progress)?;
    sink.inner.take().expect("finished once").finish()?.flush()?;
    Ok(manifest)
}

/// Lets the tar builder write through `&mut` while we keep the stream to finish it.
struct Finishing<W: Write> {
    inner: Option<age::stream::StreamWriter<W>>,
}

impl<W: Write> Write for Finishing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.as_mut().expect("open").write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.as_mut().expect("open").flush()
    }
}

fn write_tar(account: &Account, out: impl Write, now: i64, mut progress: impl FnMut(u64, u64)) -> Result<Manifest, Error> {
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
        let entries = account.uid_entries(mailbox.id)?;
        for (uid, entry) in &entries {
            let raw = account.read_message(entry.email)?;
            let path = format!("mail/{dir}/{uid}.eml");
            append(&mut tar, &path, raw.len() as u64, &raw[..], now)?;
            manifest.files.push(FileEntry { path, size: raw.len() as u64, sha256: hex(&Sha256::digest(&raw)) });
            done += 1;
            progress(done, total);
        }
        let mbox_path = format!("mbox/{dir}.mbox");
        let emails: Vec<(EmailId, i64)> = entries.iter().map(|(_, e)| (e.email, e.received_at)).collect();
        let size = mbox_size(account, &emails)?;
        let mut reader = Hashing { inner: MboxReader::new(account, emails), hasher: Sha256::new() };
        append(&mut tar, &mbox_path, size, &mut reader, now)?;
        manifest.files.push(FileEntry { path: mbox_path.clone(), size, sha256: hex(&reader.hasher.finalize()) });
        manifest.mailboxes.push(MailboxEntry {
            name: mailbox.name.clone(),
            path: format!("mail/{dir}"),
            mbox: mbox_path,
            messages: entries.len() as u64,
        });
    }
    manifest.messages = done;

    use tresor_store::mail::outbound::UndoStatus;
    let vacation = account.vacation()?;
    let settings = Settings {
        retention_days: account.settings()?.retention_days,
        mailboxes: mailboxes.iter().map(mailbox_settings).collect(),
        identities: account
            .identities()?
            .into_iter()
            .map(|(_, i)| IdentitySettings {
                name: i.name,
                email: i.email,
                reply_to: i.reply_to,
                bcc: i.bcc,
                text_signature: i.text_signature,
                html_signature: i.html_signature,
            })
            .collect(),
        vacation: VacationSettings {
            enabled: vacation.enabled,
            from: vacation.from.map(tresor_types::time::rfc3339),
            to: vacation.to.map(tresor_types::time::rfc3339),
            subject: vacation.subject,
            text: vacation.text,
            html: vacation.html,
        },
        submissions: account
            .submissions()?
            .into_iter()
            .map(|(_, s)| SubmissionSettings {
                mail_from: s.mail_from,
                rcpt_to: s.rcpt_to,
                send_at: tresor_types::time::rfc3339(s.send_at),
                status: match s.undo_status {
                    UndoStatus::Pending => "pending",
                    UndoStatus::Final => "sent",
                    UndoStatus::Canceled => "canceled",
                },
                replies: s.delivery.into_iter().map(|r| (r.address, r.smtp_reply)).collect(),
            })
            .collect(),
    };
    let json = serde_json::to_vec_pretty(&settings).expect("settings serialize");
    append(&mut tar, "settings.json", json.len() as u64, &json[..], now)?;
    manifest.files.push(FileEntry { path: "settings.json".into(), size: json.len() as u64, sha256: hex(&Sha256::digest(&json)) });

    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    append(&mut tar, "manifest.json", json.len() as u64, &json[..], now)?;
    tar.into_inner()?.flush()?;
    Ok(manifest)
}

fn mailbox_settings(m: &Mailbox) -> MailboxSettings {
    let role = m.role.map(Role::name);
    MailboxSettings { name: m.name.clone(), role, subscribed: m.subscribed, retention_days: m.retention_days }
}

fn append(tar: &mut tar::Builder<impl Write>, path: &str, size: u64, data: impl Read, now: i64) -> io::Result<()> {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(0o600);
    h.set_mtime(now.max(0) as u64);
    h.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut h, path, data)
}

/// One message as an mboxrd entry: `From ` line, LF line ends, `>`-quoting of
/// lines matching `^>*From `, and a blank line after.
fn mbox_entry(raw: &[u8], received_at: i64) -> Vec<u8> {
    let mut out = format!("From MAILER-DAEMON {}\n", tresor_types::time::asctime(received_at)).into_bytes();
    for line in raw.split_inclusive(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let unquoted = line.iter().position(|b| *b != b'>').map_or(&[][..], |i| &line[i..]);
        if unquoted.starts_with(b"From ") {
            out.push(b'>');
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

fn mbox_size(account: &Account, emails: &[(EmailId, i64)]) -> Result<u64, Error> {
    let mut size = 0;
    for (email, at) in emails {
        size += mbox_entry(&account.read_message(*email)?, *at).len() as u64;
    }
    Ok(size)
}

/// Produces an mbox lazily, one message at a time.
struct MboxReader<'a> {
    account: &'a Account,
    emails: std::vec::IntoIter<(EmailId, i64)>,
    buf: Vec<u8>,
    pos: usize,
}

impl<'a> MboxReader<'a> {
    fn new(account: &'a Account, emails: Vec<(EmailId, i64)>) -> Self {
        MboxReader { account, emails: emails.into_iter(), buf: Vec::new(), pos: 0 }
    }
}

impl Read for MboxReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            let Some((email, at)) = self.emails.next() else { return Ok(0) };
            let raw = self.account.read_message(email).map_err(io::Error::other)?;
            self.buf = mbox_entry(&raw, at);
            self.pos = 0;
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(out)?;
        self.hasher.update(&out[..n]);
        Ok(n)
    }
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

    #[test]
    fn mbox_entries_quote_from_lines_mboxrd_style() {
        let e = mbox_entry(b"Subject: x\r\n\r\nFrom here\r\n>From there\r\nfrom lower\r\n", 0);
        assert_eq!(
            String::from_utf8(e).unwrap(),
            "From MAILER-DAEMON Thu Jan  1 00:00:00 1970\nSubject: x\n\n>From here\n>>From there\nfrom lower\n\n"
        );
    }
}
