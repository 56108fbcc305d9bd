//! Email/query and Email/get (RFC 8621 sections 4.4 and 4.2): filtering
//! (`filter`), every sort and collapseThreads (`email_sort`), and the
//! properties of Email/get.

use super::{account_id, ids_arg, properties_arg, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use tresor_message::{Address, decode_text};
use tresor_store::mail::{EmailId, EmailMeta, EmailState};
use tresor_types::time::rfc3339;

const PROPERTIES: &[&str] = &[
    "id",
    "blobId",
    "threadId",
    "mailboxIds",
    "keywords",
    "size",
    "receivedAt",
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
    "bodyStructure",
    "textBody",
    "htmlBody",
    "attachments",
    "bodyValues",
];

/// RFC 8621's default Email/get properties.
const DEFAULT: &[&str] = &[
    "id",
    "blobId",
    "threadId",
    "mailboxIds",
    "keywords",
    "size",
    "receivedAt",
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

pub fn query(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let filter = match args.get("filter") {
        None | Some(Value::Null) => None,
        Some(f) => Some(super::filter::parse(f)?),
    };
    let sort = super::email_sort::parse(args.get("sort"))?;
    let collapse = args.get("collapseThreads").and_then(Value::as_bool).unwrap_or(false);
    // (receivedAt, id) for every message in scope: one mailbox when the
    // filter names one at the top, else all of them.
    let mut found: Vec<(i64, EmailId)> = Vec::new();
    let mailboxes = match filter.as_ref().and_then(super::filter::top_mailbox) {
        Some(m) => {
            if ctx.account.mailbox(m)?.is_none() {
                return Err(MethodError::invalid("inMailbox: no such mailbox"));
            }
            vec![m]
        }
        None => ctx.account.mailboxes()?.iter().map(|m| m.id).collect(),
    };
    for m in mailboxes {
        found.extend(ctx.account.uid_entries(m)?.into_iter().map(|(_, e)| (e.received_at, e.email)));
    }
    found.sort();
    found.dedup_by_key(|(_, id)| *id);
    if let Some(f) = &filter {
        let mut kept = Vec::with_capacity(found.len());
        for (at, id) in found {
            if super::filter::Candidate::new(ctx, id, at).matches(f)? {
                kept.push((at, id));
            }
        }
        found = kept;
    }
    let found = super::email_sort::order(ctx, found, &sort, collapse)?;
    let total = found.len();
    let position = args.get("position").and_then(Value::as_i64).unwrap_or(0);
    let start = if position < 0 { total.saturating_sub(position.unsigned_abs() as usize) } else { (position as usize).min(total) };
    let limit = match args.get("limit") {
        None | Some(Value::Null) => usize::MAX,
        Some(v) => v.as_u64().ok_or_else(|| MethodError::invalid("limit must be a non-negative integer"))? as usize,
    };
    let page: Vec<String> = found[start..].iter().take(limit).map(|id| ids::email(*id)).collect();
    let mut out = json!({
        "accountId": account_id,
        "queryState": state(ctx),
        "canCalculateChanges": false,
        "position": start,
        "ids": page,
    });
    if args.get("calculateTotal").and_then(Value::as_bool) == Some(true) {
        out["total"] = total.into();
    }
    Ok(out)
}

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let Some(wanted) = ids_arg(args)? else {
        return Err(MethodError::new("requestTooLarge"));
    };
    let properties = properties_arg(args, PROPERTIES, DEFAULT)?;
    if args.get("bodyProperties").is_some_and(|v| !v.is_null()) {
        return Err(MethodError::invalid("bodyProperties is not supported yet"));
    }
    let flag = |name: &str| args.get(name).and_then(Value::as_bool).unwrap_or(false);
    let values = BodyValues {
        text: flag("fetchTextBodyValues"),
        html: flag("fetchHTMLBodyValues"),
        all: flag("fetchAllBodyValues"),
        max_bytes: match args.get("maxBodyValueBytes") {
            None | Some(Value::Null) => usize::MAX,
            Some(v) => {
                v.as_u64().filter(|n| *n > 0).ok_or_else(|| MethodError::invalid("maxBodyValueBytes must be a positive integer"))? as usize
            }
        },
    };
    let mut list = Vec::new();
    let mut not_found = Vec::new();
    for w in wanted {
        let found = match ids::parse_email(&w) {
            Some(id) => match (ctx.account.email_meta(id)?, ctx.account.email_state(id)?) {
                (Some(meta), Some(state)) => Some((id, meta, state)),
                _ => None,
            },
            None => None,
        };
        match found {
            Some((id, meta, state)) => {
                let needs_raw = properties
                    .iter()
                    .any(|p| matches!(p.as_str(), "bodyStructure" | "textBody" | "htmlBody" | "attachments" | "bodyValues"));
                let raw = if needs_raw { Some(ctx.account.read_blob(meta.blob)?) } else { None };
                list.push(email(id, &meta, &state, &properties, raw.as_deref(), &values));
            }
            None => not_found.push(w),
        }
    }
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

struct BodyValues {
    text: bool,
    html: bool,
    all: bool,
    max_bytes: usize,
}

fn email(id: EmailId, meta: &EmailMeta, state: &EmailState, properties: &[String], raw: Option<&[u8]>, values: &BodyValues) -> Value {
    let s = &meta.summary;
    let env = &s.envelope;
    let mut obj = Map::new();
    for p in properties {
        let v = match p.as_str() {
            "id" => ids::email(id).into(),
            "blobId" => ids::blob(meta.blob).into(),
            "threadId" => ids::thread(meta.thread).into(),
            "mailboxIds" => Value::Object(state.mailboxes.iter().map(|(m, _)| (ids::mailbox(*m), Value::Bool(true))).collect()),
            "keywords" => Value::Object(state.keywords.iter().map(|k| (k.clone(), Value::Bool(true))).collect()),
            "size" => meta.size.into(),
            "receivedAt" => rfc3339(meta.received_at).into(),
            "messageId" => s.message_id.as_ref().map(|m| vec![m.clone()]).into(),
            "inReplyTo" => (!s.in_reply_to.is_empty()).then(|| s.in_reply_to.clone()).into(),
            "references" => (!s.references.is_empty()).then(|| s.references.clone()).into(),
            "sender" => addresses(&env.sender, &env.from),
            "from" => addresses(&env.from, &[]),
            "to" => addresses(&env.to, &[]),
            "cc" => addresses(&env.cc, &[]),
            "bcc" => addresses(&env.bcc, &[]),
            "replyTo" => addresses(&env.reply_to, &env.from),
            "subject" => env.subject.as_deref().map(decode_text).into(),
            "sentAt" => s.sent_at.map(rfc3339).into(),
            "hasAttachment" => s.has_attachment.into(),
            "preview" => s.preview.clone().into(),
            "bodyStructure" => body_part(id, meta, raw.unwrap_or_default(), &s.root),
            "textBody" => part_list(id, meta, raw.unwrap_or_default(), &s.text_body),
            "htmlBody" => part_list(id, meta, raw.unwrap_or_default(), &s.html_body),
            "attachments" => part_list(id, meta, raw.unwrap_or_default(), &s.attachments),
            "bodyValues" => body_values(meta, raw.unwrap_or_default(), values),
            _ => continue,
        };
        obj.insert(p.clone(), v);
    }
    Value::Object(obj)
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

/// The part a JMAP partId names.
fn find<'a>(meta: &'a EmailMeta, part_id: &str) -> Option<&'a tresor_message::BodyPart> {
    meta.summary.part(&tresor_message::parse_path(part_id)?)
}

/// RFC 8621 EmailBodyPart; `size` is the decoded size, as the RFC asks.
fn body_part(email: EmailId, meta: &EmailMeta, raw: &[u8], p: &tresor_message::BodyPart) -> Value {
    let mut v = json!({
        "partId": p.part_id,
        "type": format!("{}/{}", p.content_type, p.subtype),
        "name": p.file_name(),
        "disposition": p.disposition.as_ref().map(|d| d.kind.to_ascii_lowercase()),
        "cid": p.id.as_deref().map(|c| c.trim_start_matches('<').trim_end_matches('>').to_owned()),
        "language": (!p.language.is_empty()).then(|| p.language.clone()),
        "location": p.location,
    });
    if p.is_multipart() {
        v["subParts"] = p.children.iter().map(|c| body_part(email, meta, raw, c)).collect();
        v["blobId"] = Value::Null;
        v["size"] = 0.into();
        v["charset"] = Value::Null;
    } else {
        let id = p.part_id.as_deref().unwrap_or("1");
        v["blobId"] = crate::blob::part_id(email, id).into();
        v["size"] = tresor_message::decoded_part(raw, p).len().into();
        let default_charset = p.content_type.eq_ignore_ascii_case("text").then_some("us-ascii");
        v["charset"] = p.param("charset").or(default_charset).map(|c| c.to_ascii_lowercase()).into();
    }
    v
}

fn part_list(email: EmailId, meta: &EmailMeta, raw: &[u8], part_ids: &[String]) -> Value {
    part_ids.iter().filter_map(|id| find(meta, id)).map(|p| body_part(email, meta, raw, p)).collect()
}

fn body_values(meta: &EmailMeta, raw: &[u8], want: &BodyValues) -> Value {
    let s = &meta.summary;
    let mut chosen: Vec<&String> = Vec::new();
    if want.all {
        chosen.extend(s.text_body.iter().chain(&s.html_body).chain(&s.attachments));
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
        let Some(text) = find(meta, id).and_then(|p| tresor_message::decoded_text(raw, p)) else { continue };
        let truncated = text.len() > want.max_bytes;
        let mut end = text.len().min(want.max_bytes);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        out.insert(id.clone(), json!({ "value": &text[..end], "isEncodingProblem": false, "isTruncated": truncated }));
    }
    Value::Object(out)
}
