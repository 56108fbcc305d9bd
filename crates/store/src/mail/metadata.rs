//! Annotations (IMAP METADATA, RFC 5464): private entries per mailbox and for
//! the account ("server" entries), keyed by a keyed hash of the entry name.
//! One entry is Tresor's own: `/private/vendor/tresor/retention-days`, which
//! reads and writes the retention setting itself (on a mailbox, or on the
//! account for the server entry), so users set retention from any IMAP client.

use crate::{
    Error, Result,
    account::Account,
    keys::{self, Key},
    mail::{MailboxId, MailboxPatch},
};

pub const RETENTION_ENTRY: &str = "/private/vendor/tresor/retention-days";
/// RFC 5464 limits this server enforces (advertised by IMAP as MAXSIZE).
pub const MAX_VALUE: usize = 64 * 1024;
pub const MAX_ENTRIES: usize = 256;

fn key(account: &Account, mailbox: Option<MailboxId>, entry: &str) -> Vec<u8> {
    let scope = mailbox.map_or(0, |m| m.0);
    Key::new(keys::ACC_METADATA).u32(scope).hash(&account.key.name_hash(b"metadata", entry.to_ascii_lowercase().as_bytes())).build()
}

/// Entry names: `/private/...` or `/shared/...`, printable, no `*`, `%` or `//`.
fn validate(entry: &str) -> Result<()> {
    let ok = (entry.starts_with("/private/") || entry.starts_with("/shared/"))
        && !entry.ends_with('/')
        && !entry.contains("//")
        && entry.chars().all(|c| !c.is_control() && c != '*' && c != '%');
    if ok { Ok(()) } else { Err(Error::invalid("metadata entry", "must start with /private/ or /shared/")) }
}

impl Account {
    /// The value of `entry` on `mailbox` (None: the account-wide entry).
    pub fn metadata(&self, mailbox: Option<MailboxId>, entry: &str) -> Result<Option<Vec<u8>>> {
        validate(entry)?;
        if entry.eq_ignore_ascii_case(RETENTION_ENTRY) {
            let days = match mailbox {
                Some(m) => self.mailbox(m)?.ok_or(Error::NoMailbox)?.retention_days,
                None => self.settings()?.retention_days,
            };
            return Ok(days.map(|d| d.to_string().into_bytes()));
        }
        Ok(self.get::<(String, Vec<u8>)>(&key(self, mailbox, entry))?.map(|(_, v)| v))
    }

    /// Every entry on `mailbox` (or the account), with its name as first set.
    pub fn metadata_entries(&self, mailbox: Option<MailboxId>) -> Result<Vec<(String, Vec<u8>)>> {
        let prefix = Key::new(keys::ACC_METADATA).u32(mailbox.map_or(0, |m| m.0)).build();
        let mut out: Vec<(String, Vec<u8>)> = self.scan::<(String, Vec<u8>)>(prefix)?.into_iter().map(|(_, e)| e).collect();
        if let Some(v) = self.metadata(mailbox, RETENTION_ENTRY)? {
            out.push((RETENTION_ENTRY.to_owned(), v));
        }
        out.sort();
        Ok(out)
    }

    /// Sets (`Some`) or removes (`None`) an entry.
    pub fn set_metadata(&self, mailbox: Option<MailboxId>, entry: &str, value: Option<&[u8]>) -> Result<()> {
        self.check_writable()?;
        validate(entry)?;
        if entry.eq_ignore_ascii_case(RETENTION_ENTRY) {
            let days = match value {
                None => None,
                Some(v) => Some(
                    std::str::from_utf8(v)
                        .ok()
                        .and_then(|s| s.trim().parse::<u32>().ok())
                        .ok_or_else(|| Error::invalid("retention-days", "a whole number of days"))?,
                ),
            };
            return match mailbox {
                Some(m) => self.update_mailbox(m, MailboxPatch { retention_days: Some(days), ..Default::default() }).map(drop),
                None => self.set_account_retention(days.filter(|d| *d > 0)),
            };
        }
        if let Some(m) = mailbox
            && self.mailbox(m)?.is_none()
        {
            return Err(Error::NoMailbox);
        }
        if value.is_some_and(|v| v.len() > MAX_VALUE) {
            return Err(Error::invalid("metadata value", format!("larger than {MAX_VALUE} octets")));
        }
        let k = key(self, mailbox, entry);
        let mut txn = self.begin()?;
        match value {
            Some(v) => {
                let exists = self.get::<(String, Vec<u8>)>(&k)?.is_some();
                if !exists && self.metadata_entries(mailbox)?.len() >= MAX_ENTRIES {
                    return Err(Error::invalid("metadata", "too many entries"));
                }
                txn.put(k, &(entry.to_owned(), v.to_vec()));
            }
            None => txn.delete(k),
        }
        txn.modseq();
        txn.commit()?;
        Ok(())
    }
}
