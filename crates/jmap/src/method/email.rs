//! Email/query and Email/get (RFC 8621 sections 4.4 and 4.2), for what is
//! implemented so far: `inMailbox` filtering, `receivedAt` sorting, and the
//! metadata properties of Email/get.

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
];

pub fn query(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let filter = args.get("filter").and_then(Value::as_object);
    let mailbox = match filter {
        None => None,
        Some(f) => {
            if let Some(k) = f.keys().find(|k| *k != "inMailbox") {
                return Err(MethodError { kind: "unsupportedFilter", description: Some(format!("filter {k:?} is not supported yet")) });
            }
            match f.get("inMailbox").and_then(Value::as_str) {
                Some(id) => Some(ids::parse_mailbox(id).ok_or_else(|| MethodError::invalid("inMailbox: no such mailbox"))?),
                None => None,
            }
        }
    };
    let mut ascending = false;
    if let Some(sort) = args.get("sort").and_then(Value::as_array) {
        for s in sort {
            if s.get("property").and_then(Value::as_str) != Some("receivedAt") {
                return Err(MethodError { kind: "unsupportedSort", description: Some("only receivedAt is supported yet".into()) });
            }
            ascending = s.get("isAscending").and_then(Value::as_bool).unwrap_or(true);
        }
    }
    if args.get("collapseThreads").and_then(Value::as_bool) == Some(true) {
        return Err(MethodError::invalid("collapseThreads is not supported yet"));
    }
    // (receivedAt, id) for every message in scope.
    let mut found: Vec<(i64, EmailId)> = Vec::new();
    let mailboxes = match mailbox {
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
    if !ascending {
        found.reverse();
    }
    let total = found.len();
    let position = args.get("position").and_then(Value::as_i64).unwrap_or(0);
    let start = if position < 0 { total.saturating_sub(position.unsigned_abs() as usize) } else { (position as usize).min(total) };
    let limit = match args.get("limit") {
        None | Some(Value::Null) => usize::MAX,
        Some(v) => v.as_u64().ok_or_else(|| MethodError::invalid("limit must be a non-negative integer"))? as usize,
    };
    let page: Vec<String> = found[start..].iter().take(limit).map(|(_, id)| ids::email(*id)).collect();
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
    let properties = properties_arg(
        args,
        PROPERTIES,
        &[
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
        ],
    )?;
    for unsupported in ["bodyProperties", "fetchTextBodyValues", "fetchHTMLBodyValues", "fetchAllBodyValues", "maxBodyValueBytes"] {
        if args.get(unsupported).is_some_and(|v| !v.is_null() && v != &Value::Bool(false)) {
            return Err(MethodError::invalid(format!("{unsupported} is not supported yet")));
        }
    }
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
            Some((id, meta, state)) => list.push(email(id, &meta, &state, &properties)),
            None => not_found.push(w),
        }
    }
    Ok(json!({ "accountId": account_id, "state": state(ctx), "list": list, "notFound": not_found }))
}

fn email(id: EmailId, meta: &EmailMeta, state: &EmailState, properties: &[String]) -> Value {
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
