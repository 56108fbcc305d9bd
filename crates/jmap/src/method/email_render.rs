//! The content properties of an Email (RFC 8621 4.1), shared by Email/get (a
//! stored message) and Email/parse (any blob): header fields in every form,
//! addresses, the body structure with `bodyProperties`, and body values.
//! Storage properties (id, mailboxIds, keywords, ...) are the callers'.

use crate::{
    headers::{self, HeaderProperty},
    request::MethodError,
};
use serde_json::{Map, Value, json};
use tresor_message::{Address, BodyPart, MessageSummary, decode_text};
use tresor_store::mail::EmailId;

/// The content properties Email/get and Email/parse know, besides `header:*`.
pub const CONTENT: &[&str] = &[
    "messageId",
    "inReplyTo",
    "references",
    "sender",
    "from",
    "to",
    "cc",
    "bcc",
    "replyTo",
    "subject",
    "sentAt",
    "hasAttachment",
    "preview",
    "headers",
    "bodyStructure",
    "textBody",
    "htmlBody",
    "attachments",
    "bodyValues",
];

/// RFC 8621's default content properties (Email/get adds its storage ones;
/// Email/parse's default is exactly this).
pub const DEFAULT_CONTENT: &[&str] = &[
    "messageId",
    "inReplyTo",
    "references",
    "sender",
    "from",
    "to",
    "cc",
    "bcc",
    "replyTo",
    "subject",
    "sentAt",
    "hasAttachment",
    "preview",
    "bodyValues",
    "textBody",
    "htmlBody",
    "attachments",
];

/// Properties that need the message's bytes (the rest come from the summary).
pub fn needs_raw(property: &str) -> bool {
    matches!(property, "headers" | "bodyStructure" | "textBody" | "htmlBody" | "attachments" | "bodyValues")
        || property.starts_with("header:")
}

const BODY_PROPERTIES: &[&str] =
    &["partId", "blobId", "size", "headers", "name", "type", "charset", "disposition", "cid", "language", "location", "subParts"];
const DEFAULT_BODY_PROPERTIES: &[&str] =
    &["partId", "blobId", "size", "name", "type", "charset", "disposition", "cid", "language", "location"];

/// Checks a requested property list against `storage` (the caller's own
/// properties) and the content ones; `header:` properties are validated.
pub fn check_properties(requested: Option<&Value>, storage: &[&str], default: &[&str]) -> Result<Vec<String>, MethodError> {
    match requested {
        None | Some(Value::Null) => Ok(default.iter().map(|s| s.to_string()).collect()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|p| {
                let p = p.as_str().ok_or_else(|| MethodError::bad_argument("properties", "properties must be strings"))?;
                if storage.contains(&p) || CONTENT.contains(&p) || HeaderProperty::parse(p).is_some() {
                    Ok(p.to_owned())
                } else {
                    Err(MethodError::bad_argument("properties", format!("unknown or unsupported property {p:?}")))
                }
            })
            .collect(),
        _ => Err(MethodError::bad_argument("properties", "properties must be null or an array")),
    }
}

/// `bodyProperties`, `fetch*BodyValues` and `maxBodyValueBytes`.
pub struct BodyOptions {
    properties: Vec<String>,
    text: bool,
    html: bool,
    all: bool,
    max_bytes: usize,
}

impl BodyOptions {
    pub fn parse(args: &Map<String, Value>) -> Result<BodyOptions, MethodError> {
        let properties = match args.get("bodyProperties") {
            None | Some(Value::Null) => DEFAULT_BODY_PROPERTIES.iter().map(|s| s.to_string()).collect(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|p| match p.as_str() {
                    Some(p) if BODY_PROPERTIES.contains(&p) || HeaderProperty::parse(p).is_some() => Ok(p.to_owned()),
                    _ => Err(MethodError::bad_argument("bodyProperties", format!("unknown body property {p}"))),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(MethodError::bad_argument("bodyProperties", "bodyProperties must be null or an array")),
        };
        let flag = |name: &str| args.get(name).and_then(Value::as_bool).unwrap_or(false);
        Ok(BodyOptions {
            properties,
            text: flag("fetchTextBodyValues"),
            html: flag("fetchHTMLBodyValues"),
            all: flag("fetchAllBodyValues"),
            // An UnsignedInt, not nullable (RFC 8621 4.2); an explicit 0 is
            // refused as Cyrus does, since a client sending it means a limit.
            max_bytes: match args.get("maxBodyValueBytes") {
                None => usize::MAX,
                Some(v) => v
                    .as_u64()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| MethodError::bad_argument("maxBodyValueBytes", "maxBodyValueBytes must be a positive integer"))?
                    as usize,
            },
        })
    }
}

/// Whose bytes these are, for the blob ids of parts.
pub enum Origin {
    /// A stored message: parts are `P<email>-<part>`.
    Email(EmailId),
    /// Any blob (Email/parse): parts are `Q<blobId>-<part>`.
    Blob(String),
}

/// One message's content, ready to render.
pub struct Content<'a> {
    pub summary: &'a MessageSummary,
    /// The raw message; empty when no requested property needs it.
    pub raw: &'a [u8],
    pub origin: Origin,
}

impl Content<'_> {
    /// The value of a content property, or None if `property` is not one.
    pub fn property(&self, property: &str, body: &BodyOptions) -> Option<Value> {
        let s = self.summary;
        let env = &s.envelope;
        Some(match property {
            "messageId" => s.message_id.as_ref().map(|m| vec![m.clone()]).into(),
            "inReplyTo" => (!s.in_reply_to.is_empty()).then(|| s.in_reply_to.clone()).into(),
            "references" => (!s.references.is_empty()).then(|| s.references.clone()).into(),
            "sender" => addresses(&env.sender, &env.from),
            "from" => addresses(&env.from, &[]),
            "to" => addresses(&env.to, &[]),
            "cc" => addresses(&env.cc, &[]),
            "bcc" => addresses(&env.bcc, &[]),
            "replyTo" => addresses(&env.reply_to, &env.from),
            "subject" => env.subject.as_deref().map(|s| decode_text(s).trim().to_owned()).into(),
            // A Date (RFC 8621 1.4): the header's own offset, as header:Date:asDate.
            "sentAt" => env.date.as_deref().map_or(Value::Null, |d| headers::parse_value(d, headers::Form::Date)),
            "hasAttachment" => s.has_attachment.into(),
            "preview" => s.preview.clone().into(),
            "headers" => headers::all(self.header_block(&s.root)),
            "bodyStructure" => self.body_part(&s.root, body),
            "textBody" => self.part_list(&s.text_body, body),
            "htmlBody" => self.part_list(&s.html_body, body),
            "attachments" => self.part_list(&s.attachments, body),
            "bodyValues" => self.body_values(body),
            other => HeaderProperty::parse(other)?.value(self.header_block(&s.root)),
        })
    }

    fn header_block(&self, part: &BodyPart) -> &[u8] {
        self.raw.get(part.header.0 as usize..part.header.1 as usize).unwrap_or_default()
    }

    fn part_blob_id(&self, part_id: &str) -> String {
        match &self.origin {
            Origin::Email(email) => crate::blob::part_id(*email, part_id),
            Origin::Blob(blob) => crate::blob::blob_part_id(blob, part_id),
        }
    }

    /// RFC 8621 EmailBodyPart; `size` is the decoded size, as the RFC asks.
    fn body_part(&self, p: &BodyPart, body: &BodyOptions) -> Value {
        let multipart = p.is_multipart();
        let mut v = Map::new();
        for prop in &body.properties {
            let value = match prop.as_str() {
                "partId" => (!multipart).then(|| p.part_id.clone().unwrap_or_else(|| "1".into())).into(),
                "blobId" => (!multipart).then(|| self.part_blob_id(p.part_id.as_deref().unwrap_or("1"))).into(),
                "size" => if multipart { 0 } else { tresor_message::decoded_part(self.raw, p).len() }.into(),
                "headers" => headers::all(self.header_block(p)),
                "name" => p.file_name().into(),
                "type" => format!("{}/{}", p.content_type, p.subtype).into(),
                "charset" => {
                    let default_charset = (!multipart && p.content_type.eq_ignore_ascii_case("text")).then_some("us-ascii");
                    if multipart { Value::Null } else { p.param("charset").or(default_charset).map(|c| c.to_ascii_lowercase()).into() }
                }
                "disposition" => p.disposition.as_ref().map(|d| d.kind.to_ascii_lowercase()).into(),
                "cid" => p.id.as_deref().map(|c| c.trim().trim_start_matches('<').trim_end_matches('>').to_owned()).into(),
                "language" => (!p.language.is_empty()).then(|| p.language.clone()).into(),
                "location" => p.location.clone().into(),
                // A leaf has none; asked for explicitly, that is an empty list.
                "subParts" if !multipart => json!([]),
                "subParts" => continue,
                other => match HeaderProperty::parse(other) {
                    Some(h) => h.value(self.header_block(p)),
                    None => continue,
                },
            };
            v.insert(prop.clone(), value);
        }
        if multipart {
            v.insert("subParts".into(), p.children.iter().map(|c| self.body_part(c, body)).collect());
        }
        Value::Object(v)
    }

    fn part_list(&self, part_ids: &[String], body: &BodyOptions) -> Value {
        part_ids.iter().filter_map(|id| self.find(id)).map(|p| self.body_part(p, body)).collect()
    }

    /// The part a JMAP partId names.
    fn find(&self, part_id: &str) -> Option<&BodyPart> {
        self.summary.part(&tresor_message::parse_path(part_id)?)
    }

    fn body_values(&self, want: &BodyOptions) -> Value {
        let s = self.summary;
        let mut chosen: Vec<&String> = Vec::new();
        if want.all {
            // Every text/* part of bodyStructure.
            fn walk<'p>(p: &'p BodyPart, out: &mut Vec<&'p String>) {
                if p.is_multipart() {
                    p.children.iter().for_each(|c| walk(c, out));
                } else if p.content_type.eq_ignore_ascii_case("text") {
                    out.extend(p.part_id.as_ref());
                }
            }
            walk(&s.root, &mut chosen);
        } else {
            if want.text {
                chosen.extend(&s.text_body);
            }
            if want.html {
                chosen.extend(&s.html_body);
            }
        }
        let mut out = Map::new();
        for id in chosen {
            if out.contains_key(id.as_str()) {
                continue;
            }
            let Some(part) = self.find(id) else { continue };
            if !part.content_type.eq_ignore_ascii_case("text") {
                continue;
            }
            // RFC 8621 4.1.4: "with any CRLF replaced with a single LF".
            let Some(text) = tresor_message::decoded_text(self.raw, part).map(|t| t.replace("\r\n", "\n")) else { continue };
            let truncated = text.len() > want.max_bytes;
            let mut end = text.len().min(want.max_bytes);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let encoding_problem = text.contains('\u{FFFD}');
            out.insert(id.clone(), json!({ "value": &text[..end], "isEncodingProblem": encoding_problem, "isTruncated": truncated }));
        }
        Value::Object(out)
    }
}

/// JMAP `EmailAddress[]` from envelope addresses (group markers skipped);
/// `null` when the header is absent. The envelope fills Sender and Reply-To
/// from From for IMAP; JMAP reports only what the header says, so a copy of
/// `filled_from` counts as absent.
fn addresses(list: &[Address], filled_from: &[Address]) -> Value {
    if list.is_empty() || (!filled_from.is_empty() && list == filled_from) {
        return Value::Null;
    }
    let out: Vec<Value> = list
        .iter()
        .filter(|a| a.host.is_some())
        .map(|a| {
            let mailbox = String::from_utf8_lossy(a.mailbox.as_deref().unwrap_or_default());
            let host = String::from_utf8_lossy(a.host.as_deref().unwrap_or_default());
            json!({ "name": a.name.as_deref().map(decode_text), "email": format!("{mailbox}@{host}") })
        })
        .collect();
    Value::Array(out)
}
