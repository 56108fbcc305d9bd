//! Thread assignment at delivery (RFC 5256 REFERENCES, simplified to what JMAP
//! needs: a message joins the thread of any message it references or that
//! references it). Message-IDs are looked up by keyed hash, never stored as keys.

use crate::{
    Result,
    account::{Account, WriteTxn},
    keys::{self, Key},
    mail::message::EmailId,
};
use tresor_message::MessageSummary;

impl WriteTxn<'_> {
    pub(crate) fn assign_thread(&mut self, summary: &MessageSummary, email: EmailId) -> Result<u64> {
        let ids: Vec<&String> = summary.message_id.iter().chain(&summary.in_reply_to).chain(&summary.references).collect();
        let ref_keys: Vec<Vec<u8>> = ids
            .iter()
            .map(|id| Key::new(keys::ACC_THREAD_REF).hash(&self.account.key.name_hash(b"message-id", id.as_bytes())).build())
            .collect();
        let mut thread = None;
        for k in &ref_keys {
            if let Some(t) = self.account.get::<u64>(k)? {
                thread = Some(t);
                break;
            }
        }
        let thread = match thread {
            Some(t) => t,
            None => {
                let t = self.counters.next_thread;
                self.counters.next_thread += 1;
                t
            }
        };
        for k in ref_keys {
            self.put(k, &thread);
        }
        self.put(Key::new(keys::ACC_THREAD_MEMBER).u64(thread).u64(email.0).build(), &());
        Ok(thread)
    }
}

impl Account {
    /// The emails of a thread, in id (arrival) order.
    pub fn thread_members(&self, thread: u64) -> Result<Vec<EmailId>> {
        let prefix = Key::new(keys::ACC_THREAD_MEMBER).u64(thread).build();
        Ok(self.scan::<()>(prefix)?.into_iter().map(|(k, ())| EmailId(keys::be_u64(&k[9..]))).collect())
    }
}
