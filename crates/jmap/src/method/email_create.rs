//! Email/set create (RFC 8621 section 4.6): a message built from JMAP
//! properties (addresses, subject, a text and/or HTML body from bodyValues)
//! with mail-builder, then stored through the same append path as a delivery.
//! Attachments and raw headers are not supported yet and refused per object.

use super::set_error;
use crate::{ids, request::Ctx};
use mail_builder::{
    MessageBuilder,
    headers::{address::Address, date::Date, message_id::MessageId},
};
use serde_json::{Map, Value, json};
use tresor_store::mail::{MailboxId, NewMessage};

const SUPPORTED: &[&str] = &[
    "mailboxIds",
    "keywords",
    "from",
    "to",
    "cc",
    "bcc",
    "replyTo",
    "subject",
    "sentAt",
    "textBody",
    "htmlBody",
    "bodyValues",
    "receivedAt",
];

fn addresses(v: Option<&Value>) -> Result<Option<Vec<(Option<String>, String)>>, Value> {
    let Some(v) = v.filter(|v| !v.is_null()) else { return Ok(None) };
    let list = v.as_array().ok_or_else(|| set_error("invalidProperties", "addresses are a list"))?;
    list.iter()
        .map(|a| {
            let email = a["email"].as_str().filter(|e| e.contains('@') && !e.contains(['\r', '\n', '<', '>']));
            let email = email.ok_or_else(|| set_error("invalidProperties", "an address needs a valid email"))?;
            Ok((a["name"].as_str().map(str::to_owned), email.to_owned()))
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn to_header(list: &[(Option<String>, String)]) -> Address<'_> {
    Address::new_list(list.iter().map(|(n, e)| Address::new_address(n.as_deref(), e.as_str())).collect())
}

/// The value of the first part of `textBody`/`htmlBody`, from `bodyValues`.
fn body(spec: &Map<String, Value>, which: &str) -> Result<Option<String>, Value> {
    let Some(parts) = spec.get(which).and_then(Value::as_array) else { return Ok(None) };
    let Some(part) = parts.first() else { return Ok(None) };
    let id = part["partId"].as_str().ok_or_else(|| set_error("invalidProperties", format!("{which}: partId is required")))?;
    let value = spec
        .get("bodyValues")
        .and_then(|b| b[id]["value"].as_str())
        .ok_or_else(|| set_error("invalidProperties", format!("{which}: no bodyValues for {id}")))?;
    Ok(Some(value.to_owned()))
}

pub fn create(ctx: &Ctx<'_>, spec: &Value) -> Result<Value, Value> {
    let spec = spec.as_object().ok_or_else(|| set_error("invalidProperties", "an Email is an object"))?;
    if let Some(k) = spec.keys().find(|k| !SUPPORTED.contains(&k.as_str())) {
        return Err(set_error("invalidProperties", format!("{k} is not supported in create yet")));
    }
    let mailboxes: Vec<MailboxId> = spec
        .get("mailboxIds")
        .and_then(Value::as_object)
        .ok_or_else(|| set_error("invalidProperties", "mailboxIds is required"))?
        .keys()
        .map(|m| ids::parse_mailbox(m).ok_or_else(|| set_error("invalidProperties", "mailboxIds: no such mailbox")))
        .collect::<Result<_, _>>()?;
    let fail = |e: tresor_store::Error| match e {
        tresor_store::Error::OverQuota(_) => set_error("overQuota", "the account is over quota"),
        e => set_error("serverFail", e.to_string()),
    };
    for m in &mailboxes {
        if ctx.account.mailbox(*m).map_err(fail)?.is_none() {
            return Err(set_error("invalidProperties", "mailboxIds: no such mailbox"));
        }
    }
    let Some((&first, rest)) = mailboxes.split_first() else {
        return Err(set_error("invalidProperties", "an email must be in at least one mailbox"));
    };
    let now = tresor_types::time::now();
    let sent_at = match spec.get("sentAt").and_then(Value::as_str) {
        Some(d) => super::filter::parse_utc(d).ok_or_else(|| set_error("invalidProperties", "sentAt is not a date"))?,
        None => now,
    };
    let (from, to, cc, bcc, reply_to) = (
        addresses(spec.get("from"))?,
        addresses(spec.get("to"))?,
        addresses(spec.get("cc"))?,
        addresses(spec.get("bcc"))?,
        addresses(spec.get("replyTo"))?,
    );
    let text = body(spec, "textBody")?;
    let html = body(spec, "htmlBody")?;
    let message_id = format!("{:032x}@tresor", rand::random::<u128>());
    let mut b = MessageBuilder::new().message_id(MessageId::new(message_id.as_str())).date(Date::new(sent_at));
    if let Some(l) = &from {
        b = b.from(to_header(l));
    }
    if let Some(l) = &to {
        b = b.to(to_header(l));
    }
    if let Some(l) = &cc {
        b = b.cc(to_header(l));
    }
    if let Some(l) = &bcc {
        b = b.bcc(to_header(l));
    }
    if let Some(l) = &reply_to {
        b = b.reply_to(to_header(l));
    }
    if let Some(s) = spec.get("subject").and_then(Value::as_str) {
        b = b.subject(s);
    }
    if let Some(t) = &text {
        b = b.text_body(t.as_str());
    }
    if let Some(h) = &html {
        b = b.html_body(h.as_str());
    }
    if text.is_none() && html.is_none() {
        b = b.text_body("");
    }
    let raw = b.write_to_vec().map_err(|e| set_error("serverFail", e.to_string()))?;
    let keywords: Vec<String> =
        spec.get("keywords").and_then(Value::as_object).map(|k| k.keys().map(|k| k.to_ascii_lowercase()).collect()).unwrap_or_default();
    let summary = tresor_message::parse(&raw);
    let appended =
        ctx.account.append(NewMessage { raw: &raw, summary: &summary, mailbox: first, keywords, received_at: now }).map_err(fail)?;
    for m in rest {
        ctx.account.copy(first, &[appended.uid], *m).map_err(fail)?;
    }
    let meta = ctx.account.email_meta(appended.email).map_err(fail)?.ok_or_else(|| set_error("serverFail", "vanished"))?;
    Ok(json!({ "id": ids::email(appended.email), "blobId": ids::blob(meta.blob), "threadId": ids::thread(meta.thread), "size": meta.size }))
}
