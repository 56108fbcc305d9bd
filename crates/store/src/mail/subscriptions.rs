//! Subscriptions to names that have no mailbox (RFC 9051 6.3.7: a client may
//! subscribe to a name that does not exist, and deleting a subscribed
//! mailbox keeps the subscription). A mailbox's own subscription is its
//! `subscribed` flag, so IMAP and JMAP read one value; only the subscriptions
//! without a mailbox live here, sealed, keyed by a keyed hash of the name.

use crate::{
    Result,
    account::{Account, WriteTxn},
    keys::{self, Key},
};

pub(crate) fn key(account: &Account, name: &str) -> Vec<u8> {
    Key::new(keys::ACC_SUBSCRIPTION).hash(&account.key.name_hash(b"subscription", name.as_bytes())).build()
}

impl Account {
    /// Names subscribed that have no mailbox, sorted.
    pub fn orphan_subscriptions(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self.scan::<String>(vec![keys::ACC_SUBSCRIPTION])?.into_iter().map(|(_, n)| n).collect();
        names.sort();
        Ok(names)
    }

    /// Subscribes (or unsubscribes) a name that has no mailbox. Returns
    /// whether anything changed.
    pub fn set_orphan_subscription(&self, name: &str, on: bool) -> Result<bool> {
        self.check_writable()?;
        let mut txn = self.begin()?;
        let k = key(self, name);
        let present = self.get::<String>(&k)?.is_some();
        if present == on {
            return Ok(false);
        }
        if on {
            txn.put(k, &name.to_owned());
        } else {
            txn.delete(k);
        }
        txn.commit()?;
        Ok(true)
    }
}

impl WriteTxn<'_> {
    /// A deleted mailbox's subscription outlives it.
    pub(crate) fn keep_subscription(&mut self, name: &str) {
        let k = key(self.account, name);
        self.put(k, &name.to_owned());
    }
}
