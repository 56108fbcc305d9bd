//! User-defined retention: "keep mail in this mailbox N days" (by arrival
//! time), per mailbox or account-wide. A mailbox's own setting wins; `0` means
//! keep forever (an explicit override of the account-wide setting); unset
//! inherits it. The sweep expunges through the same path as a user's expunge
//! (so sessions are told and the change log records it), then compacts the
//! account's keyspace so the bytes leave the disk.

use crate::{Result, UnixTime, account::Account, keys, mail::mailbox::Mailbox};
use serde::{Deserialize, Serialize};

/// Account-wide settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub retention_days: Option<u32>,
}

const SETTINGS: [u8; 1] = [keys::ACC_SETTINGS];

/// The outcome of one sweep of one account.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SweepReport {
    pub expunged: u64,
    pub mailboxes: Vec<(String, u64)>,
}

impl Account {
    pub fn settings(&self) -> Result<Settings> {
        Ok(self.get(&SETTINGS)?.unwrap_or_default())
    }

    /// Sets the account-wide retention (`None`: keep forever unless a mailbox says otherwise).
    pub fn set_account_retention(&self, days: Option<u32>) -> Result<()> {
        let mut txn = self.begin()?;
        let mut s: Settings = self.get(&SETTINGS)?.unwrap_or_default();
        s.retention_days = days;
        txn.modseq();
        txn.put(SETTINGS.to_vec(), &s);
        txn.commit()?;
        Ok(())
    }

    /// The retention that applies to `mailbox`, in days (`None`: forever).
    pub fn effective_retention(&self, mailbox: &Mailbox, settings: &Settings) -> Option<u32> {
        match mailbox.retention_days {
            Some(0) => None,
            Some(d) => Some(d),
            None => settings.retention_days.filter(|d| *d > 0),
        }
    }

    /// Expunges every message older than its mailbox's retention at `now`.
    pub fn sweep(&self, now: UnixTime) -> Result<SweepReport> {
        let settings = self.settings()?;
        let mut report = SweepReport::default();
        for mailbox in self.mailboxes()? {
            let Some(days) = self.effective_retention(&mailbox, &settings) else { continue };
            let cutoff = now - i64::from(days) * 86_400;
            let old: Vec<u32> =
                self.uid_entries(mailbox.id)?.into_iter().filter(|(_, e)| e.received_at < cutoff).map(|(uid, _)| uid).collect();
            let mut n = 0;
            for chunk in old.chunks(1000) {
                n += self.expunge(mailbox.id, chunk)?.len() as u64;
            }
            if n > 0 {
                report.expunged += n;
                report.mailboxes.push((mailbox.name.clone(), n));
            }
        }
        // Uploads whose lifetime ended leave with the sweep.
        let expired = self.expire_uploads(now)?;
        if report.expunged > 0 || expired > 0 {
            // Deleted values leave the SSTs, the blob files and the WAL.
            self.db.compact(Some(&self.ks))?;
        }
        Ok(report)
    }
}
