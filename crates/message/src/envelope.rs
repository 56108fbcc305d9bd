//! A message header's ENVELOPE and the other message-level facts read from
//! it: threading ids, the Date as a timestamp, the decoded Subject.

use mail_parser::HeaderValue;
use mail_parser::parsers::MessageStream;

use crate::address;
use crate::header::{self, Field};
use crate::model::{Address, Envelope};

/// Builds the IMAP ENVELOPE of a message header block.
pub(crate) fn envelope(block: &[u8]) -> Envelope {
    let mut env = Envelope::default();
    let mut sender = None;
    let mut reply_to = None;
    // The first occurrence of a field counts; later duplicates are ignored.
    for field in header::fields(block) {
        let raw = |slot: &mut Option<Vec<u8>>| {
            if slot.is_none() {
                *slot = Some(header::unfold(field.value));
            }
        };
        let list = |slot: &mut Option<Vec<Address>>| {
            if slot.is_none() {
                *slot = Some(address::parse_list(&header::unfold(field.value)));
            }
        };
        let name = field.name.to_ascii_lowercase();
        match name.as_slice() {
            b"date" => raw(&mut env.date),
            b"subject" => raw(&mut env.subject),
            b"in-reply-to" => raw(&mut env.in_reply_to),
            b"message-id" => raw(&mut env.message_id),
            b"sender" => list(&mut sender),
            b"reply-to" => list(&mut reply_to),
            b"from" | b"to" | b"cc" | b"bcc" => {
                let target = match name.as_slice() {
                    b"from" => &mut env.from,
                    b"to" => &mut env.to,
                    b"cc" => &mut env.cc,
                    _ => &mut env.bcc,
                };
                if target.is_empty() {
                    *target = address::parse_list(&header::unfold(field.value));
                }
            }
            _ => {}
        }
    }
    // RFC 3501: an absent or empty Sender or Reply-To is filled from From.
    env.sender = sender.filter(|s| !s.is_empty()).unwrap_or_else(|| env.from.clone());
    env.reply_to = reply_to.filter(|r| !r.is_empty()).unwrap_or_else(|| env.from.clone());
    env
}

/// Message ids of a Message-ID, In-Reply-To or References field, without
/// angle brackets (an id written without them is taken as is).
pub(crate) fn ids(block: &[u8], name: &str) -> Vec<String> {
    let Some(value) = header::first(block, name) else {
        return Vec::new();
    };
    match MessageStream::new(value).parse_id() {
        HeaderValue::Text(id) => vec![id.into_owned()],
        HeaderValue::TextList(ids) => ids.into_iter().map(|id| id.into_owned()).collect(),
        _ => Vec::new(),
    }
}

/// The Date field as unix seconds, if it parses to a plausible date.
pub(crate) fn sent_at(block: &[u8]) -> Option<i64> {
    let value = header::first(block, "Date")?;
    match MessageStream::new(value).parse_date() {
        HeaderValue::DateTime(date) if date.is_valid() => Some(date.to_timestamp()),
        _ => None,
    }
}

/// A field decoded for people: RFC 2047 words and charsets resolved.
pub(crate) fn decoded_text(field: &Field<'_>) -> String {
    match MessageStream::new(field.value).parse_unstructured() {
        HeaderValue::Text(text) => text.into_owned(),
        _ => String::new(),
    }
}

/// The decoded Subject, or "" without one.
pub(crate) fn subject(block: &[u8]) -> String {
    header::fields(block).find(|f| f.is("Subject")).map(|f| decoded_text(&f)).unwrap_or_default()
}
