//! Decoded text for IMAP SEARCH TEXT/BODY/SUBJECT/FROM/... and JMAP text
//! filters: header values with RFC 2047 resolved, and every text part's
//! content with transfer encoding, charset and HTML undone.

use mail_parser::parsers::MessageStream;
use mail_parser::{Addr, Address as ParsedAddress, HeaderValue};

use crate::decode::part_text;
use crate::envelope::decoded_text;
use crate::header::{self, Field};
use crate::model::{BodyPart, MessageSummary};

/// Where a piece of searchable text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSource {
    /// A header field of the message itself.
    Header(SearchHeader),
    /// The body: text parts, and the headers and text of attached messages
    /// (IMAP BODY searches the whole body, attached messages included).
    Body,
}

/// The header fields whose decoded text is offered for search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchHeader {
    Subject,
    From,
    To,
    Cc,
    Bcc,
}

impl SearchHeader {
    const ALL: [SearchHeader; 5] = [Self::Subject, Self::From, Self::To, Self::Cc, Self::Bcc];

    pub fn name(self) -> &'static str {
        match self {
            Self::Subject => "Subject",
            Self::From => "From",
            Self::To => "To",
            Self::Cc => "Cc",
            Self::Bcc => "Bcc",
        }
    }
}

/// Searchable text of a message: first the decoded Subject, From, To, Cc and
/// Bcc (addresses as `Name <local@domain>`, comma separated; one item per
/// field occurrence), then the decoded text of each text part in section
/// order. Non-text parts yield nothing.
pub fn text_for_search(raw: &[u8], summary: &MessageSummary) -> impl Iterator<Item = (TextSource, String)> {
    let mut out = Vec::new();
    let block = slice(raw, summary.root.header);
    for (header, text) in header_texts(block) {
        out.push((TextSource::Header(header), text));
    }
    body_texts(raw, &summary.root, &mut out);
    out.into_iter()
}

fn body_texts(raw: &[u8], part: &BodyPart, out: &mut Vec<(TextSource, String)>) {
    if let Some(text) = part_text(raw, part) {
        out.push((TextSource::Body, text));
    }
    for child in &part.children {
        body_texts(raw, child, out);
    }
    if let Some(nested) = &part.message {
        for (_, text) in header_texts(slice(raw, nested.root.header)) {
            out.push((TextSource::Body, text));
        }
        body_texts(raw, &nested.root, out);
    }
}

fn header_texts(block: &[u8]) -> Vec<(SearchHeader, String)> {
    let mut out = Vec::new();
    for field in header::fields(block) {
        let Some(header) = SearchHeader::ALL.into_iter().find(|h| field.is(h.name())) else {
            continue;
        };
        let text = match header {
            SearchHeader::Subject => decoded_text(&field),
            _ => addresses_text(&field),
        };
        if !text.is_empty() {
            out.push((header, text));
        }
    }
    out
}

fn addresses_text(field: &Field<'_>) -> String {
    let mut items = Vec::new();
    match MessageStream::new(field.value).parse_address() {
        HeaderValue::Address(ParsedAddress::List(list)) => {
            items.extend(list.iter().filter_map(address_text));
        }
        HeaderValue::Address(ParsedAddress::Group(groups)) => {
            for group in &groups {
                items.extend(group.name.as_ref().map(|n| n.to_string()));
                items.extend(group.addresses.iter().filter_map(address_text));
            }
        }
        _ => {}
    }
    items.join(", ")
}

fn address_text(addr: &Addr<'_>) -> Option<String> {
    match (addr.name(), addr.address()) {
        (Some(name), Some(email)) => Some(format!("{name} <{email}>")),
        (Some(text), None) | (None, Some(text)) => Some(text.to_owned()),
        (None, None) => None,
    }
}

fn slice(raw: &[u8], range: (u32, u32)) -> &[u8] {
    raw.get(range.0 as usize..range.1 as usize).unwrap_or_default()
}
