//! What an account sends: identities (the From addresses it may use), the
//! vacation response, and submissions waiting for or done with the smarthost.
//! All sealed in the account's keyspace like its mail; every change is logged
//! so JMAP `/changes` and push see it.
//!
//! A submission keeps its own sealed copy of the message (taken when it is
//! created, as RFC 8621 7.5 asks), so editing or deleting the draft afterwards
//! does not change what is sent. The copy is deleted once the smarthost has
//! answered for every recipient or the user cancels.

use crate::{
    Error, Result, UnixTime,
    account::Account,
    changes::{Change, ObjectOp},
    keys::{self, Key},
};
use serde::{Deserialize, Serialize};

/// One sending identity (RFC 8621 6.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub name: String,
    pub email: String,
    pub reply_to: Option<Vec<(Option<String>, String)>>,
    pub bcc: Option<Vec<(Option<String>, String)>>,
    pub text_signature: String,
    pub html_signature: String,
}

/// The vacation response (RFC 8621 8.1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vacation {
    pub enabled: bool,
    pub from: Option<UnixTime>,
    pub to: Option<UnixTime>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl Vacation {
    /// Whether it answers mail arriving at `now`.
    pub fn active(&self, now: UnixTime) -> bool {
        self.enabled && self.from.is_none_or(|f| now >= f) && self.to.is_none_or(|t| now < t)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UndoStatus {
    Pending,
    Final,
    Canceled,
}

/// What the smarthost said about one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientStatus {
    pub address: String,
    /// The SMTP reply, e.g. `250 2.0.0 Ok: queued as 4F3...`.
    pub smtp_reply: String,
    /// JMAP's `delivered`: "queued", "yes", "no" or "unknown".
    pub delivered: String,
}

/// An EmailSubmission (RFC 8621 7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submission {
    pub identity: u64,
    pub email: u64,
    pub thread: u64,
    pub mail_from: String,
    /// `MAIL FROM` parameters other than the hold ones, as given.
    pub mail_from_params: Vec<(String, Option<String>)>,
    pub rcpt_to: Vec<String>,
    pub send_at: UnixTime,
    pub created: UnixTime,
    pub undo_status: UndoStatus,
    pub delivery: Vec<RecipientStatus>,
    /// The sealed copy of the message to send (a blob number); None once sent.
    pub blob: Option<u64>,
    /// Failed attempts so far, and when the next one is due.
    pub attempts: u32,
    pub last_error: Option<String>,
}

const VACATION: [u8; 1] = [keys::ACC_VACATION];

fn identity_key(id: u64) -> Vec<u8> {
    Key::new(keys::ACC_IDENTITY).u64(id).build()
}

fn submission_key(id: u64) -> Vec<u8> {
    Key::new(keys::ACC_SUBMISSION).u64(id).build()
}

fn replied_key(account: &Account, sender: &str) -> Vec<u8> {
    Key::new(keys::ACC_VACATION_SENT).hash(&account.key.name_hash(b"vacation-sender", sender.to_ascii_lowercase().as_bytes())).build()
}

impl Account {
    pub fn identities(&self) -> Result<Vec<(u64, Identity)>> {
        Ok(self.scan::<Identity>(vec![keys::ACC_IDENTITY])?.into_iter().map(|(k, v)| (keys::be_u64(&k[1..]), v)).collect())
    }

    /// Creates (`id` None) or replaces an identity; returns its id.
    pub fn put_identity(&self, id: Option<u64>, identity: &Identity) -> Result<u64> {
        self.check_writable()?;
        let (id, op) = match id {
            Some(id) => (id, ObjectOp::Updated),
            None => (self.identities()?.last().map_or(1, |(last, _)| last + 1), ObjectOp::Created),
        };
        let mut txn = self.begin()?;
        txn.put(identity_key(id), identity);
        txn.log(Change::Identity { id, op });
        txn.commit()?;
        Ok(id)
    }

    pub fn delete_identity(&self, id: u64) -> Result<bool> {
        self.check_writable()?;
        if self.get::<Identity>(&identity_key(id))?.is_none() {
            return Ok(false);
        }
        let mut txn = self.begin()?;
        txn.delete(identity_key(id));
        txn.log(Change::Identity { id, op: ObjectOp::Destroyed });
        txn.commit()?;
        Ok(true)
    }

    pub fn vacation(&self) -> Result<Vacation> {
        Ok(self.get(&VACATION)?.unwrap_or_default())
    }

    /// Sets the vacation response; a new text answers everyone again.
    pub fn set_vacation(&self, vacation: &Vacation) -> Result<()> {
        self.check_writable()?;
        let replied: Vec<Vec<u8>> = self.scan::<UnixTime>(vec![keys::ACC_VACATION_SENT])?.into_iter().map(|(k, _)| k).collect();
        let mut txn = self.begin()?;
        txn.put(VACATION.to_vec(), vacation);
        for k in replied {
            txn.delete(k);
        }
        txn.log(Change::Vacation);
        txn.commit()?;
        Ok(())
    }

    /// Records that `sender` gets a vacation reply at `now`, unless one went
    /// to them within `period` seconds: true when a reply should be sent.
    pub fn claim_vacation_reply(&self, sender: &str, now: UnixTime, period: i64) -> Result<bool> {
        let key = replied_key(self, sender);
        if self.get::<UnixTime>(&key)?.is_some_and(|at| now - at < period) {
            return Ok(false);
        }
        let mut txn = self.begin()?;
        txn.put(key, &now);
        txn.commit()?;
        Ok(true)
    }

    pub fn submissions(&self) -> Result<Vec<(u64, Submission)>> {
        Ok(self.scan::<Submission>(vec![keys::ACC_SUBMISSION])?.into_iter().map(|(k, v)| (keys::be_u64(&k[1..]), v)).collect())
    }

    pub fn submission(&self, id: u64) -> Result<Option<Submission>> {
        self.get(&submission_key(id))
    }

    /// Queues a submission with its own copy of `message`; returns its id.
    pub fn create_submission(&self, mut submission: Submission, message: &[u8]) -> Result<u64> {
        self.check_writable()?;
        let id = self.submissions()?.last().map_or(1, |(last, _)| last + 1);
        let mut txn = self.begin()?;
        submission.blob = Some(txn.put_blob(message));
        txn.put(submission_key(id), &submission);
        txn.log(Change::Submission { id, op: ObjectOp::Created });
        txn.commit()?;
        OUTBOX.push(self.id);
        Ok(id)
    }

    /// The message a pending submission sends.
    pub fn submission_message(&self, submission: &Submission) -> Result<Vec<u8>> {
        self.read_blob(submission.blob.ok_or(Error::NoMessage)?)
    }

    /// Replaces a submission's record; its message copy goes when it is no
    /// longer pending.
    pub fn update_submission(&self, id: u64, mut submission: Submission) -> Result<()> {
        let mut txn = self.begin()?;
        if submission.undo_status != UndoStatus::Pending
            && let Some(blob) = submission.blob.take()
        {
            txn.delete_blob(blob);
        }
        txn.put(submission_key(id), &submission);
        txn.log(Change::Submission { id, op: ObjectOp::Updated });
        txn.commit()?;
        Ok(())
    }

    pub fn delete_submission(&self, id: u64) -> Result<bool> {
        let Some(s) = self.submission(id)? else { return Ok(false) };
        let mut txn = self.begin()?;
        if let Some(blob) = s.blob {
            txn.delete_blob(blob);
        }
        txn.delete(submission_key(id));
        txn.log(Change::Submission { id, op: ObjectOp::Destroyed });
        txn.commit()?;
        Ok(true)
    }
}

/// Accounts with submissions to send: the submission path adds to it and
/// wakes the server's sender, which takes the set and works through it.
pub struct Outbox {
    due: std::sync::Mutex<std::collections::BTreeSet<u64>>,
    wake: tokio::sync::Notify,
}

pub static OUTBOX: Outbox =
    Outbox { due: std::sync::Mutex::new(std::collections::BTreeSet::new()), wake: tokio::sync::Notify::const_new() };

impl Outbox {
    pub fn push(&self, account: crate::AccountId) {
        self.due.lock().unwrap_or_else(|e| e.into_inner()).insert(account.0);
        self.wake.notify_one();
    }

    pub fn take(&self) -> Vec<crate::AccountId> {
        std::mem::take(&mut *self.due.lock().unwrap_or_else(|e| e.into_inner())).into_iter().map(crate::AccountId).collect()
    }

    pub async fn notified(&self) {
        self.wake.notified().await
    }
}
