//! RFC 8621 section 4.1.2: header fields as `headers` (name and raw value, in
//! order) and as `header:{name}[:as{Form}][:all]` properties. The header block
//! is split here, byte-exact; each form's value is parsed with mail-parser's
//! field parsers (addresses and groups, message ids, dates, RFC 2047 text).

use mail_parser::{Address, HeaderValue, parsers::MessageStream};
use serde_json::{Value, json};

/// How a `header:` property asks for the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Raw,
    Text,
    Addresses,
    GroupedAddresses,
    MessageIds,
    Date,
    Urls,
}

/// A parsed `header:Name:asForm:all` property name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderProperty {
    pub name: String,
    pub form: Form,
    pub all: bool,
}

impl HeaderProperty {
    /// Parses a property name; `None` when it is not a `header:` property or
    /// is malformed, or the form is not allowed for that header field
    /// (RFC 8621 4.1.2: e.g. From only as Addresses, GroupedAddresses or Raw).
    pub fn parse(property: &str) -> Option<HeaderProperty> {
        let rest = property.strip_prefix("header:")?;
        let mut pieces = rest.split(':');
        let name = pieces.next().filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_graphic() && b != b':'))?;
        let rest: Vec<&str> = pieces.collect();
        let (form, all) = match rest.as_slice() {
            [] => (Form::Raw, false),
            ["all"] => (Form::Raw, true),
            [form] => (parse_form(form)?, false),
            [form, "all"] => (parse_form(form)?, true),
            _ => return None,
        };
        if !form_allowed(name, form) {
            return None;
        }
        Some(HeaderProperty { name: name.to_owned(), form, all })
    }

    /// The property's value for a header block: the last instance (or null),
    /// or every instance with `:all`.
    pub fn value(&self, header_block: &[u8]) -> Value {
        let values = fields(header_block).filter(|(n, _)| n.eq_ignore_ascii_case(&self.name)).map(|(_, v)| parse_value(v, self.form));
        if self.all { Value::Array(values.collect()) } else { values.last().unwrap_or(Value::Null) }
    }
}

fn parse_form(s: &str) -> Option<Form> {
    Some(match s {
        "asRaw" => Form::Raw,
        "asText" => Form::Text,
        "asAddresses" => Form::Addresses,
        "asGroupedAddresses" => Form::GroupedAddresses,
        "asMessageIds" => Form::MessageIds,
        "asDate" => Form::Date,
        "asURLs" => Form::Urls,
        _ => return None,
    })
}

/// RFC 8621 4.1.2's table: the forms allowed for the header fields it names;
/// any other field may use every form.
fn form_allowed(name: &str, form: Form) -> bool {
    let lower = name.to_ascii_lowercase();
    let is = |names: &[&str]| names.contains(&lower.as_str());
    match form {
        Form::Raw => true,
        Form::Text => !is(ADDRESS_FIELDS) && !is(ID_FIELDS) && !is(DATE_FIELDS) && !is(URL_FIELDS),
        Form::Addresses | Form::GroupedAddresses => !is(TEXT_FIELDS) && !is(ID_FIELDS) && !is(DATE_FIELDS) && !is(URL_FIELDS),
        Form::MessageIds => !is(TEXT_FIELDS) && !is(ADDRESS_FIELDS) && !is(DATE_FIELDS) && !is(URL_FIELDS),
        Form::Date => !is(TEXT_FIELDS) && !is(ADDRESS_FIELDS) && !is(ID_FIELDS) && !is(URL_FIELDS),
        Form::Urls => !is(TEXT_FIELDS) && !is(ADDRESS_FIELDS) && !is(ID_FIELDS) && !is(DATE_FIELDS),
    }
}

const ADDRESS_FIELDS: &[&str] = &[
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "resent-from",
    "resent-sender",
    "resent-reply-to",
    "resent-to",
    "resent-cc",
    "resent-bcc",
];
const ID_FIELDS: &[&str] = &["message-id", "in-reply-to", "references", "resent-message-id"];
const DATE_FIELDS: &[&str] = &["date", "resent-date"];
const URL_FIELDS: &[&str] = &["list-help", "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive"];
const TEXT_FIELDS: &[&str] = &["subject", "comments", "keywords", "list-id"];

/// The fields of a header block in order: (name, value) where the value is
/// everything after the colon up to and including the field's last line end.
pub fn fields(block: &[u8]) -> impl Iterator<Item = (&str, &[u8])> {
    let mut rest = block;
    std::iter::from_fn(move || {
        loop {
            if rest.is_empty() || rest.starts_with(b"\r\n") || rest.starts_with(b"\n") {
                return None;
            }
            // One field: its first line and every continuation line.
            let mut end = 0;
            loop {
                end += rest[end..].iter().position(|&b| b == b'\n').map_or(rest.len() - end, |i| i + 1);
                if end >= rest.len() || !matches!(rest[end], b' ' | b'\t') {
                    break;
                }
            }
            let (field, tail) = rest.split_at(end);
            rest = tail;
            let Some(colon) = field.iter().position(|&b| b == b':') else { continue };
            let Ok(name) = std::str::from_utf8(&field[..colon]) else { continue };
            let name = name.trim_end_matches([' ', '\t']);
            if name.is_empty() || name.contains(|c: char| c.is_whitespace()) {
                continue; // not a field: skipped, as mail-parser does
            }
            return Some((name, &field[colon + 1..]));
        }
    })
}

/// `headers`: every field as {name, value} with the raw value.
pub fn all(block: &[u8]) -> Value {
    fields(block).map(|(name, value)| json!({ "name": name, "value": raw(value) })).collect()
}

/// The raw form: the value without its terminating line end.
fn raw(value: &[u8]) -> String {
    let v = value.strip_suffix(b"\n").unwrap_or(value);
    let v = v.strip_suffix(b"\r").unwrap_or(v);
    String::from_utf8_lossy(v).into_owned()
}

fn with_line_end(value: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    if value.ends_with(b"\n") { value.into() } else { [value, b"\r\n"].concat().into() }
}

pub fn parse_value(value: &[u8], form: Form) -> Value {
    let bytes = with_line_end(value);
    match form {
        Form::Raw => raw(value).into(),
        // RFC 8621 4.1.2.2: decoded, unfolded, trimmed, then NFC-normalised.
        Form::Text => {
            use unicode_normalization::UnicodeNormalization;
            let text = match MessageStream::new(&bytes).parse_unstructured() {
                HeaderValue::Text(t) => t.trim().to_owned(),
                HeaderValue::TextList(l) => l.join(",").trim().to_owned(),
                _ => String::new(),
            };
            // Only leading SP goes; trailing white space stays (the parser
            // trims it, so it is put back from the raw value).
            let unfolded = raw(value).replace("\r\n", "").replace('\n', "");
            let trailing = &unfolded[unfolded.trim_end().len()..];
            let text = if text.is_empty() { unfolded.trim_start_matches(' ').to_owned() } else { text + trailing };
            text.nfc().collect::<String>().into()
        }
        Form::Addresses => match MessageStream::new(&bytes).parse_address() {
            HeaderValue::Address(Address::List(list)) => list.iter().map(address).collect(),
            HeaderValue::Address(Address::Group(groups)) => groups.iter().flat_map(|g| g.addresses.iter().map(address)).collect(),
            _ => json!([]),
        },
        Form::GroupedAddresses => match MessageStream::new(&bytes).parse_address() {
            HeaderValue::Address(Address::List(list)) => {
                json!([{ "name": null, "addresses": list.iter().map(address).collect::<Vec<_>>() }])
            }
            HeaderValue::Address(Address::Group(groups)) => groups
                .iter()
                .map(|g| json!({ "name": g.name.as_deref(), "addresses": g.addresses.iter().map(address).collect::<Vec<_>>() }))
                .collect(),
            _ => json!([]),
        },
        Form::MessageIds => match MessageStream::new(&bytes).parse_id() {
            HeaderValue::Text(id) => json!([id]),
            HeaderValue::TextList(ids) => ids.into(),
            _ => Value::Null,
        },
        Form::Date => match MessageStream::new(&bytes).parse_date() {
            HeaderValue::DateTime(d) if d.is_valid() => d.to_rfc3339().into(),
            _ => Value::Null,
        },
        Form::Urls => urls(&bytes),
    }
}

fn address(a: &mail_parser::Addr<'_>) -> Value {
    json!({ "name": a.name.as_deref(), "email": a.address.as_deref().unwrap_or_default() })
}

/// asURLs: the `<...>` items of a comma-separated list (RFC 2369), comments
/// and text outside the brackets ignored; null when there is none.
fn urls(bytes: &[u8]) -> Value {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut rest = text.as_ref();
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else { break };
        let url: String = rest[open + 1..open + close].chars().filter(|c| !c.is_whitespace()).collect();
        out.push(Value::from(url));
        rest = &rest[open + close + 1..];
    }
    if out.is_empty() { Value::Null } else { Value::Array(out) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BLOCK: &[u8] = b"From: \"Joe Q.\" <joe@example.com>\r\nTo: Team: a@x.org, B <b@y.org>;, c@z.org\r\n\
Subject: =?utf-8?q?caf=C3=A9?=\r\n  au lait\r\nMessage-ID: <1@x> \r\nReferences: <a@x>\r\n <b@x>\r\n\
Date: Tue, 1 Jul 2003 10:52:37 +0200\r\nList-Unsubscribe: <mailto:u@x.org>, (web) <https://x.org/u>\r\n\
X-Custom:  raw\tvalue \r\nReceived: one\r\nReceived: two\r\n\r\nbody";

    fn prop(p: &str) -> Value {
        HeaderProperty::parse(p).unwrap_or_else(|| panic!("{p}")).value(BLOCK)
    }

    #[test]
    fn every_form_reads_the_fields_it_is_allowed_for() {
        assert_eq!(prop("header:X-Custom"), json!("  raw\tvalue "));
        assert_eq!(prop("header:x-custom:asText"), json!("raw\tvalue "), "trailing white space stays (RFC 8621 4.1.2.2)");
        assert_eq!(prop("header:Subject:asText"), json!("café au lait"));
        assert_eq!(prop("header:From:asAddresses"), json!([{ "name": "Joe Q.", "email": "joe@example.com" }]));
        assert_eq!(
            prop("header:To:asGroupedAddresses"),
            json!([
                { "name": "Team", "addresses": [{ "name": null, "email": "a@x.org" }, { "name": "B", "email": "b@y.org" }] },
                { "name": null, "addresses": [{ "name": null, "email": "c@z.org" }] },
            ])
        );
        assert_eq!(prop("header:To:asAddresses").as_array().map(Vec::len), Some(3));
        assert_eq!(prop("header:Message-ID:asMessageIds"), json!(["1@x"]));
        assert_eq!(prop("header:References:asMessageIds"), json!(["a@x", "b@x"]));
        assert_eq!(prop("header:Date:asDate"), json!("2003-07-01T10:52:37+02:00"));
        assert_eq!(prop("header:List-Unsubscribe:asURLs"), json!(["mailto:u@x.org", "https://x.org/u"]));
        assert_eq!(prop("header:Received:all"), json!([" one", " two"]));
        assert_eq!(prop("header:Received"), json!(" two"));
        assert_eq!(prop("header:Missing:asText"), Value::Null);
        assert_eq!(prop("header:Missing:asText:all"), json!([]));
    }

    #[test]
    fn forms_are_refused_where_the_rfc_forbids_them() {
        for bad in [
            "header:From:asText",
            "header:Subject:asAddresses",
            "header:Date:asMessageIds",
            "header:X:asBogus",
            "header:",
            "header:X:all:all",
            "header:X:asRaw:all:x",
        ] {
            assert_eq!(HeaderProperty::parse(bad), None, "{bad}");
        }
        assert!(HeaderProperty::parse("header:X-Thing:asDate:all").is_some());
    }

    #[test]
    fn headers_lists_every_field_raw_in_order() {
        let all = all(BLOCK);
        assert_eq!(all.as_array().map(Vec::len), Some(10));
        assert_eq!(all[2], json!({ "name": "Subject", "value": " =?utf-8?q?caf=C3=A9?=\r\n  au lait" }));
    }
}
