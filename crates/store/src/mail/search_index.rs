//! The sealed word index behind JMAP's text filters: one key per (field,
//! word, email), `tag || HMAC(account index key, field || word)[..12] ||
//! email`, with an empty value. No word is readable on disk (the hash is keyed
//! per account, and goes with the account's key at purge); what the keys do
//! show is which emails share some unknown word, the same as their sizes and
//! dates show about them. Entries are written and deleted in the message's own
//! transaction, so the index never disagrees with the mail.
//!
//! Words: runs of letters and digits, lower-cased; longer than 64 bytes are
//! not indexed. A query word matches whole words (like Cyrus or Stalwart),
//! not substrings; IMAP SEARCH keeps its substring scan (RFC 3501 asks for it).

use crate::{
    Result,
    account::{Account, WriteTxn},
    keys,
    mail::EmailId,
};
use std::collections::BTreeSet;
use tresor_message::{MessageSummary, SearchHeader, TextSource};

/// Where a word was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Body = 0,
    Subject = 1,
    From = 2,
    To = 3,
    Cc = 4,
    Bcc = 5,
}

impl Field {
    pub const ALL: [Field; 6] = [Field::Body, Field::Subject, Field::From, Field::To, Field::Cc, Field::Bcc];

    fn of(source: TextSource) -> Field {
        match source {
            TextSource::Body => Field::Body,
            TextSource::Header(SearchHeader::Subject) => Field::Subject,
            TextSource::Header(SearchHeader::From) => Field::From,
            TextSource::Header(SearchHeader::To) => Field::To,
            TextSource::Header(SearchHeader::Cc) => Field::Cc,
            TextSource::Header(SearchHeader::Bcc) => Field::Bcc,
        }
    }
}

const MAX_WORD: usize = 64;
const HASH: usize = 12;
/// Set once every message of the account is in the index.
const READY: [u8; 1] = [keys::ACC_SEARCH_READY];

/// The words of a text, as the index and queries see them.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty() && w.len() <= MAX_WORD).map(|w| w.to_lowercase())
}

/// Every (field, word) of a message.
fn terms(raw: &[u8], summary: &MessageSummary) -> BTreeSet<(Field, String)> {
    let mut out = BTreeSet::new();
    for (source, text) in tresor_message::text_for_search(raw, summary) {
        let field = Field::of(source);
        out.extend(words(&text).map(|w| (field, w)));
    }
    out
}

fn term_prefix(account: &Account, field: Field, word: &str) -> Vec<u8> {
    let mut name = vec![field as u8];
    name.extend_from_slice(word.as_bytes());
    let hash = account.key.name_hash(b"search-term", &name);
    let mut k = vec![keys::ACC_TERM];
    k.extend_from_slice(&hash[..HASH]);
    k
}

fn term_key(account: &Account, field: Field, word: &str, email: EmailId) -> Vec<u8> {
    let mut k = term_prefix(account, field, word);
    k.extend_from_slice(&email.0.to_be_bytes());
    k
}

impl WriteTxn<'_> {
    pub(crate) fn index_email(&mut self, email: EmailId, raw: &[u8], summary: &MessageSummary) {
        for (field, word) in terms(raw, summary) {
            let k = term_key(self.account, field, &word, email);
            self.put_empty(k);
        }
    }

    pub(crate) fn unindex_email(&mut self, email: EmailId, raw: &[u8], summary: &MessageSummary) {
        for (field, word) in terms(raw, summary) {
            let k = term_key(self.account, field, &word, email);
            self.delete(k);
        }
    }
}

impl Account {
    /// Indexes every message if that has not been done (accounts whose mail
    /// predates the index); later messages are indexed as they arrive.
    pub fn ensure_search_index(&self) -> Result<()> {
        if self.get::<()>(&READY)?.is_some() {
            return Ok(());
        }
        let mut seen = BTreeSet::new();
        for mailbox in self.mailboxes()? {
            for (_, entry) in self.uid_entries(mailbox.id)? {
                if !seen.insert(entry.email) {
                    continue;
                }
                let Some(meta) = self.email_meta(entry.email)? else { continue };
                let raw = self.read_blob(meta.blob)?;
                let mut txn = self.begin()?;
                txn.index_email(entry.email, &raw, &meta.summary);
                txn.commit()?;
            }
        }
        let mut txn = self.begin()?;
        txn.put(READY.to_vec(), &());
        txn.commit()?;
        Ok(())
    }

    /// The emails with `word` (one word, as [`words`] makes them) in any of
    /// `fields`, in id order.
    pub fn search_word(&self, fields: &[Field], word: &str) -> Result<Vec<EmailId>> {
        let mut out = Vec::new();
        for field in fields {
            let (from, to) = keys::prefix_range(term_prefix(self, *field, word));
            self.db.scan(&self.ks, &from, &to, false, &mut |k, _| {
                if k.len() == 1 + HASH + 8 {
                    out.push(EmailId(keys::be_u64(&k[1 + HASH..])));
                }
                std::ops::ControlFlow::Continue(())
            })?;
        }
        if fields.len() > 1 {
            out.sort_unstable();
            out.dedup();
        }
        Ok(out)
    }
}
