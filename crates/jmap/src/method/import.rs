//! Email/import (RFC 8621 section 4.8): a message from an uploaded blob into
//! mailboxes, parsed once like a delivery, through the same append path. Any
//! blob of the account will do: an upload, a stored message, an attached
//! message's part. An upload is kept an hour after the import (RFC 8620 6),
//! then the retention sweep removes it.

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
    let emails =
        args.get("emails").and_then(Value::as_object).ok_or_else(|| MethodError::bad_argument("emails", "emails must be an object"))?;
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
        // Destroyed since it was checked, by another request.
        StoreError::NoMailbox => invalid_property("mailboxIds"),
        e => set_error("serverFail", e.to_string()),
    };
    // Every property is checked before the blob is read, and all the bad
    // ones are named at once.
    let mut bad = Vec::new();
    let blob_id = spec.get("blobId").and_then(Value::as_str).filter(|b| crate::blob::is_well_formed(b));
    if blob_id.is_none() {
        bad.push("blobId");
    }
    let mailboxes: Option<Vec<MailboxId>> = spec
        .get("mailboxIds")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty() && m.values().all(|v| v == &Value::Bool(true)))
        .and_then(|m| m.keys().map(|m| ids::parse_mailbox(m)).collect());
    if mailboxes.is_none() {
        bad.push("mailboxIds");
    }
    let keywords = match spec.get("keywords") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(k) => super::keywords(k),
    };
    if keywords.is_none() {
        bad.push("keywords");
    }
    let received_at = match spec.get("receivedAt") {
        None | Some(Value::Null) => Some(tresor_types::time::now()),
        Some(v) => v.as_str().and_then(super::filter::parse_utc),
    };
    if received_at.is_none() {
        bad.push("receivedAt");
    }
    let (Some(blob_id), Some(mailboxes), Some(keywords), Some(received_at)) = (blob_id, mailboxes, keywords, received_at) else {
        return Err(json!({ "type": "invalidProperties", "properties": bad }));
    };
    for m in &mailboxes {
        if ctx.account.mailbox(*m).map_err(fail)?.is_none() {
            return Err(invalid_property("mailboxIds"));
        }
    }
    let raw = crate::blob::download(ctx.account, blob_id).ok_or_else(|| set_error("blobNotFound", "no such blob"))?;
    let (&first, rest) = mailboxes.split_first().expect("checked non-empty");
    let summary = tresor_message::parse(&raw);
    let appended =
        ctx.account.append_in(NewMessage { raw: &raw, summary: &summary, mailbox: first, keywords, received_at }, rest).map_err(fail)?;
    // The message is stored: a failure to shorten the upload's life must
    // not make the import look failed (a retry would store it twice).
    if let Some(upload) = ids::parse_upload(blob_id).or_else(|| ids::parse_blob(blob_id))
        && let Err(e) = ctx.account.upload_used(upload, tresor_types::time::now())
    {
        tracing::warn!(account = ctx.account.id.0, "import: upload {upload:x} keeps its day: {e}");
    }
    let meta = ctx.account.email_meta(appended.email).map_err(fail)?.ok_or_else(|| set_error("serverFail", "vanished"))?;
    Ok(json!({ "id": ids::email(appended.email), "blobId": ids::blob(meta.blob), "threadId": ids::thread(meta.thread), "size": meta.size }))
}
