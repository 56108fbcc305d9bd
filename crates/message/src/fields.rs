//! The MIME header fields of one entity (Content-Type and friends), read with
//! mail-parser's field parsers, which handle comments and RFC 2231.

use mail_parser::parsers::MessageStream;
use mail_parser::{ContentType, HeaderValue};

use crate::header::{self, Field};
use crate::model::Disposition;

/// What an entity's header says about its content.
#[derive(Debug, Clone)]
pub(crate) struct MimeFields {
    pub content_type: String,
    pub subtype: String,
    pub params: Vec<(String, String)>,
    pub id: Option<String>,
    pub description: Option<String>,
    pub encoding: String,
    pub md5: Option<String>,
    pub disposition: Option<Disposition>,
    pub language: Vec<String>,
    pub location: Option<String>,
}

impl MimeFields {
    pub fn is_multipart(&self) -> bool {
        self.content_type == "multipart"
    }

    /// message/rfc822 or message/global (RFC 9051 treats both as messages).
    pub fn is_message(&self) -> bool {
        self.content_type == "message" && matches!(self.subtype.as_str(), "rfc822" | "global")
    }

    /// A multipart boundary, if this is a multipart that has a usable one.
    pub fn boundary(&self) -> Option<&str> {
        let boundary = self.params.iter().find(|(k, _)| k == "boundary")?;
        (self.is_multipart() && !boundary.1.is_empty()).then_some(boundary.1.as_str())
    }

    /// Whether the body is stored as is, so an encapsulated message in it can
    /// be parsed in place (RFC 2046 allows only these for message/rfc822).
    pub fn is_identity_encoded(&self) -> bool {
        ["7bit", "8bit", "binary"].iter().any(|e| self.encoding.eq_ignore_ascii_case(e))
    }
}

/// Reads the MIME fields of `block`. `in_digest` selects the default type
/// that RFC 2046 gives a part of a multipart/digest.
pub(crate) fn read(block: &[u8], in_digest: bool) -> MimeFields {
    let mut fields = MimeFields {
        content_type: String::new(),
        subtype: String::new(),
        params: Vec::new(),
        id: None,
        description: None,
        encoding: "7bit".to_owned(),
        md5: None,
        disposition: None,
        language: Vec::new(),
        location: None,
    };
    let mut seen = [false; SLOTS.len()];
    for field in header::fields(block) {
        let Some(slot) = SLOTS.iter().position(|name| field.is(name)) else {
            continue;
        };
        // The first occurrence of each field counts, as in other servers.
        if std::mem::replace(&mut seen[slot], true) {
            continue;
        }
        match slot {
            0 => content_type(&field, &mut fields),
            1 => fields.id = Some(header::unfold_str(field.value)),
            2 => fields.description = Some(header::unfold_str(field.value)),
            3 => fields.encoding = encoding_token(field.value),
            4 => fields.md5 = Some(header::unfold_str(field.value)),
            5 => fields.disposition = disposition(&field),
            6 => fields.language = language(&field),
            _ => fields.location = Some(header::unfold_str(field.value)),
        }
    }
    let needs_default =
        fields.content_type.is_empty() || fields.subtype.is_empty() || (fields.is_multipart() && fields.boundary().is_none());
    if needs_default {
        // RFC 2045 section 5.2: a missing or invalid Content-Type means
        // text/plain; charset=us-ascii (message/rfc822 inside a digest).
        // A multipart without a boundary cannot be split, so it is invalid too.
        if in_digest {
            fields.content_type = "message".to_owned();
            fields.subtype = "rfc822".to_owned();
            fields.params = Vec::new();
        } else {
            fields.content_type = "text".to_owned();
            fields.subtype = "plain".to_owned();
            fields.params = vec![("charset".to_owned(), "us-ascii".to_owned())];
        }
    }
    fields
}

const SLOTS: [&str; 8] = [
    "Content-Type",
    "Content-ID",
    "Content-Description",
    "Content-Transfer-Encoding",
    "Content-MD5",
    "Content-Disposition",
    "Content-Language",
    "Content-Location",
];

fn content_type(field: &Field<'_>, fields: &mut MimeFields) {
    if let Some(ct) = parse_content_type(field.value) {
        fields.content_type = ct.c_type.trim().to_ascii_lowercase();
        fields.subtype = ct.c_subtype.as_deref().unwrap_or_default().trim().to_ascii_lowercase();
        fields.params = params(&ct);
    }
}

fn disposition(field: &Field<'_>) -> Option<Disposition> {
    let ct = parse_content_type(field.value)?;
    Some(Disposition { kind: ct.c_type.trim().to_ascii_lowercase(), params: params(&ct) }).filter(|d| !d.kind.is_empty())
}

fn language(field: &Field<'_>) -> Vec<String> {
    match MessageStream::new(field.value).parse_comma_separared() {
        HeaderValue::Text(tag) => vec![tag.into_owned()],
        HeaderValue::TextList(tags) => tags.into_iter().map(|t| t.into_owned()).collect(),
        _ => Vec::new(),
    }
}

/// The transfer encoding's token, without comments or stray parameters.
fn encoding_token(value: &[u8]) -> String {
    let value = header::unfold_str(value);
    let token = value.split(|c: char| c.is_whitespace() || c == '(' || c == ';').next().unwrap_or_default();
    if token.is_empty() { "7bit".to_owned() } else { token.to_owned() }
}

fn parse_content_type(value: &[u8]) -> Option<ContentType<'_>> {
    match MessageStream::new(value).parse_content_type() {
        HeaderValue::ContentType(ct) => Some(ct),
        _ => None,
    }
}

fn params(ct: &ContentType<'_>) -> Vec<(String, String)> {
    ct.attributes().unwrap_or_default().iter().map(|a| (a.name.to_string(), a.value.to_string())).collect()
}
