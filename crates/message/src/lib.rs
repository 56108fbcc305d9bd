//! Tresor's message parse step. A message is parsed once, at delivery, into a
//! [`MessageSummary`] that the store seals next to the blob; IMAP FETCH
//! (ENVELOPE, BODYSTRUCTURE, BODY[section], BINARY[section]) and JMAP
//! Email/get are then served from the summary plus byte ranges of the raw
//! message, never by parsing it again.
//!
//! Architecture invariant: this crate knows no protocol framing and no
//! storage. It turns bytes into plain values; the IMAP and JMAP crates decide
//! how to write them out.

mod address;
mod decode;
mod envelope;
mod fields;
mod header;
mod jmap;
mod mime;
mod model;
mod search;
mod section;
mod subject;

pub use decode::{decoded_part, decoded_text};
pub use model::{Address, BodyPart, Disposition, Envelope, MessageSummary, Nested};
pub use search::{SearchHeader, TextSource, text_for_search};
pub use section::{SectionText, parse_path, section};
pub use subject::{base_subject, is_reply};

/// A raw header value decoded for people (RFC 2047 encoded-words and charsets
/// resolved): JMAP's `asText` form, and display names of addresses.
pub fn decode_text(raw: &[u8]) -> String {
    let mut v = raw.to_vec();
    v.extend_from_slice(b"\r\n");
    match mail_parser::parsers::MessageStream::new(&v).parse_unstructured() {
        mail_parser::HeaderValue::Text(t) => t.trim().to_owned(),
        _ => String::new(),
    }
}

/// Parses a raw RFC 5322 message. Never fails: malformed mail is still
/// stored, so whatever cannot be read as structure becomes a text/plain part
/// covering the bytes in question.
///
/// Offsets are exact for the bytes given: if the message has bare LF line
/// endings, the ranges (and IMAP sizes) count them as they are.
pub fn parse(raw: &[u8]) -> MessageSummary {
    let mut root = mime::Walker::new(raw).message();
    section::assign_ids(&mut root, "");

    let header = &raw[root.header.0 as usize..root.header.1 as usize];
    let lists = jmap::body_lists(&root);
    MessageSummary {
        size: raw.len() as u64,
        sent_at: envelope::sent_at(header),
        envelope: envelope::envelope(header),
        message_id: envelope::ids(header, "Message-ID").into_iter().next(),
        in_reply_to: envelope::ids(header, "In-Reply-To"),
        references: envelope::ids(header, "References"),
        base_subject: base_subject(&envelope::subject(header)),
        preview: jmap::preview(raw, &root, &lists.text),
        has_attachment: jmap::has_attachment(&root, &lists.attachments),
        text_body: lists.text,
        html_body: lists.html,
        attachments: lists.attachments,
        root,
    }
}
