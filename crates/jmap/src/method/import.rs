//! Email/import (RFC 8621 section 4.8): a message from an uploaded blob into
//! mailboxes, parsed once like a delivery, through the same append path; the
//! upload is deleted once the message exists.

use super::{account_id, invalid_property, set_error, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use tresor_store::{
    Error as StoreError,
    mail::{MailboxId, NewMessage},
};

pub fn import(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let old_state = super::writable_state(ctx, args)?;
    let emails = args.get("emails").and_then(Value::as_object).ok_or_else(|| MethodError::invalid("emails must be an object"))?;
    let (mut created, mut not_created) = (Map::new(), Map::new());
    for (cid, spec) in emails {
        match one(ctx, spec) {
            Ok(v) => {
                created.insert(cid.clone(), v);
            }
            Err(e) => {
                not_created.insert(cid.clone(), e);
            }
        }
    }
    let obj_or_null = |m: Map<String, Value>| if m.is_empty() { Value::Null } else { Value::Object(m) };
    Ok(
        json!({ "accountId": account_id, "oldState": old_state, "newState": state(ctx), "created": obj_or_null(created), "notCreated": Value::Object(not_created) }),
    )
}

fn one(ctx: &Ctx<'_>, spec: &Value) -> Result<Value, Value> {
    let spec = spec.as_object().ok_or_else(|| set_error("invalidProperties", "an EmailImport is an object"))?;
    let fail = |e: StoreError| match e {
        StoreError::OverQuota(_) => set_error("overQuota", "the account is over quota"),
        e => set_error("serverFail", e.to_string()),
    };
    let blob_id = spec.get("blobId").and_then(Value::as_str).ok_or_else(|| invalid_property("blobId"))?;
    let upload = ids::parse_upload(blob_id).ok_or_else(|| set_error("blobNotFound", "no such uploaded blob"))?;
    let raw = ctx.account.read_upload(upload).map_err(fail)?.ok_or_else(|| set_error("blobNotFound", "no such uploaded blob"))?;
    let mailboxes: Vec<MailboxId> = spec
        .get("mailboxIds")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid_property("mailboxIds"))?
        .keys()
        .map(|m| ids::parse_mailbox(m).ok_or_else(|| invalid_property("mailboxIds")))
        .collect::<Result<_, _>>()?;
    let Some((&first, rest)) = mailboxes.split_first() else {
        return Err(invalid_property("mailboxIds"));
    };
    for m in &mailboxes {
        if ctx.account.mailbox(*m).map_err(fail)?.is_none() {
            return Err(invalid_property("mailboxIds"));
        }
    }
    let keywords: Vec<String> =
        spec.get("keywords").and_then(Value::as_object).map(|k| k.keys().map(|k| k.to_ascii_lowercase()).collect()).unwrap_or_default();
    let received_at = match spec.get("receivedAt").and_then(Value::as_str) {
        Some(d) => super::filter::parse_utc(d).ok_or_else(|| invalid_property("receivedAt"))?,
        None => tresor_types::time::now(),
    };
    let summary = tresor_message::parse(&raw);
    let appended = ctx.account.append(NewMessage { raw: &raw, summary: &summary, mailbox: first, keywords, received_at }).map_err(fail)?;
    for m in rest {
        ctx.account.copy(first, &[appended.uid], *m).map_err(fail)?;
    }
    ctx.account.delete_upload(upload).map_err(fail)?;
    let meta = ctx.account.email_meta(appended.email).map_err(fail)?.ok_or_else(|| set_error("serverFail", "vanished"))?;
    Ok(json!({ "id": ids::email(appended.email), "blobId": ids::blob(meta.blob), "threadId": ids::thread(meta.thread), "size": meta.size }))
}
