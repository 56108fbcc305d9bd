//! Email/set create (RFC 8621 4.6): a message built from JMAP properties with
//! mail-builder, then stored through the same append path as a delivery.
//! Bodies come from `bodyValues` (by `partId`) or from blobs (by `blobId`),
//! either as `textBody`/`htmlBody`/`attachments` or as a full `bodyStructure`;
//! header fields from the convenience properties or `header:Name:asForm`.
//! Every rule of section 4.6 that makes a creation invalid is checked first,
//! so nothing half-built is ever stored.

use super::set_error;
use crate::{
    headers::{Form, HeaderProperty},
    ids,
    request::Ctx,
};
use mail_builder::{
    MessageBuilder,
    headers::{HeaderType, address::Address, content_type::ContentType, date::Date, message_id::MessageId, raw::Raw, text::Text},
    mime::{BodyPart, MimePart},
};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use tresor_store::mail::{MailboxId, NewMessage};

/// Properties the server sets; a client may not give them.
const SERVER_SET: &[&str] = &["id", "blobId", "threadId", "size", "hasAttachment", "preview"];
/// Convenience properties and the header field each one is.
const CONVENIENCE: &[(&str, &str)] = &[
    ("messageId", "message-id"),
    ("inReplyTo", "in-reply-to"),
    ("references", "references"),
    ("sender", "sender"),
    ("from", "from"),
    ("to", "to"),
    ("cc", "cc"),
    ("bcc", "bcc"),
    ("replyTo", "reply-to"),
    ("subject", "subject"),
    ("sentAt", "date"),
];

/// Header fields a message has at most once (RFC 5322 3.6).
const ONCE: &[&str] = &["date", "from", "sender", "reply-to", "to", "cc", "bcc", "message-id", "in-reply-to", "references", "subject"];

/// The body part that is the message's root, with the path naming it in
/// errors: the bodyStructure, or the only part of the three lists.
fn root_part<'a>(structure: Option<&'a Value>, bodies: [&'a Option<Value>; 2], attachments: &[&'a Value]) -> (String, Option<&'a Value>) {
    if let Some(s) = structure {
        return ("bodyStructure".into(), Some(s));
    }
    let mut parts = [("textBody/0", bodies[0].as_ref()), ("htmlBody/0", bodies[1].as_ref())]
        .into_iter()
        .filter_map(|(path, p)| Some((path.to_owned(), p?)))
        .chain(attachments.iter().enumerate().map(|(i, p)| (format!("attachments/{i}"), *p)));
    match (parts.next(), parts.next()) {
        (Some((path, p)), None) => (path, Some(p)),
        _ => (String::new(), None),
    }
}

/// `invalidProperties` naming the property (`why` documents the rule here;
/// SetErrors carry no description, see `set_error`).
fn invalid(property: &str, why: impl Into<String>) -> Value {
    let _ = why.into();
    json!({ "type": "invalidProperties", "properties": [property] })
}

type Addresses = Vec<(Option<String>, String)>;

fn addresses(property: &str, v: &Value) -> Result<Addresses, Value> {
    let list = v.as_array().ok_or_else(|| invalid(property, "addresses are a list"))?;
    list.iter()
        .map(|a| {
            let email = a["email"].as_str().filter(|e| !e.contains(['\r', '\n', '<', '>']));
            let email = email.ok_or_else(|| invalid(property, "an address needs an email"))?;
            Ok((a["name"].as_str().map(str::to_owned), email.to_owned()))
        })
        .collect()
}

fn address_header(list: &Addresses) -> Address<'_> {
    Address::new_list(list.iter().map(|(n, e)| Address::new_address(n.as_deref(), e.as_str())).collect())
}

fn message_ids(property: &str, v: &Value) -> Result<Vec<String>, Value> {
    let list = v.as_array().ok_or_else(|| invalid(property, "message ids are a list"))?;
    list.iter()
        .map(|i| i.as_str().filter(|s| !s.is_empty() && !s.contains(['<', '>', ' ', '\r', '\n'])).map(str::to_owned))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| invalid(property, "not a message id"))
}

/// RFC 3339 `date-time` (with `Z` or an offset, fractions ignored) -> unix seconds.
pub fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let base = super::filter::parse_utc(&format!("{}Z", &s[..19]))?;
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let n = |a: u8, b: u8| (a as char).to_digit(10).zip((b as char).to_digit(10)).map(|(x, y)| i64::from(x * 10 + y));
            let secs = n(*h1, *h2)? * 3600 + n(*m1, *m2)? * 60;
            if *sign == b'+' { secs } else { -secs }
        }
        _ => return None,
    };
    Some(base - offset)
}

/// A header field value given as `header:Name:asForm` (one value).
fn header_value<'a>(property: &str, form: Form, v: &'a Value) -> Result<HeaderType<'a>, Value> {
    let bad = || invalid(property, "bad value for this header form");
    Ok(match form {
        Form::Raw => HeaderType::Raw(Raw::new(v.as_str().ok_or_else(bad)?.trim_start())),
        Form::Text => HeaderType::Text(Text::new(v.as_str().ok_or_else(bad)?)),
        Form::Addresses => {
            let list = addresses(property, v)?;
            HeaderType::Address(Address::new_list(list.into_iter().map(|(n, e)| Address::new_address(n, e)).collect()))
        }
        Form::GroupedAddresses => {
            let groups = v.as_array().ok_or_else(bad)?;
            let mut out = Vec::new();
            for g in groups {
                let list = addresses(property, &g["addresses"])?;
                let members: Vec<Address> = list.into_iter().map(|(n, e)| Address::new_address(n, e)).collect();
                match g["name"].as_str() {
                    Some(name) => out.push(Address::new_group(Some(name.to_owned()), members)),
                    None => out.extend(members),
                }
            }
            HeaderType::Address(Address::new_list(out))
        }
        Form::MessageIds => HeaderType::MessageId(MessageId::new_list(message_ids(property, v)?.into_iter())),
        Form::Date => HeaderType::Date(Date::new(v.as_str().and_then(parse_date).ok_or_else(bad)?)),
        Form::Urls => {
            let urls: Vec<&str> = v.as_array().ok_or_else(bad)?.iter().map(|u| u.as_str().ok_or_else(bad)).collect::<Result<_, _>>()?;
            HeaderType::Raw(Raw::new(urls.iter().map(|u| format!("<{u}>")).collect::<Vec<_>>().join(", ")))
        }
    })
}

/// Every `header:` property of an object, checked: (field name, form, values).
fn header_properties<'a>(obj: &'a Map<String, Value>, top_level: bool) -> Result<Vec<(String, HeaderType<'a>)>, Value> {
    let mut out = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (k, v) in obj.iter().filter(|(k, _)| k.starts_with("header:")) {
        let h = HeaderProperty::parse(k).ok_or_else(|| invalid(k, "not a valid header property"))?;
        let lower = h.name.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(invalid(k, "the same header field is given twice"));
        }
        seen.push(lower.clone());
        if top_level && lower.starts_with("content-") {
            return Err(invalid(k, "Content-* header fields belong to body parts"));
        }
        if lower == "content-transfer-encoding" {
            return Err(invalid(k, "the server chooses the transfer encoding"));
        }
        if top_level
            && let Some((p, _)) = CONVENIENCE.iter().find(|(_, field)| *field == lower)
            && obj.contains_key(*p)
        {
            return Err(invalid(k, format!("given both as {p} and as {k}")));
        }
        if h.all {
            let all = v.as_array().ok_or_else(|| invalid(k, ":all takes a list"))?;
            if all.len() > 1 && ONCE.contains(&lower.as_str()) {
                return Err(invalid(k, format!("{} is allowed once in a message (RFC 5322 3.6)", h.name)));
            }
            for one in all {
                out.push((h.name.clone(), header_value(k, h.form, one)?));
            }
        } else {
            out.push((h.name.clone(), header_value(k, h.form, v)?));
        }
    }
    Ok(out)
}

/// Turns one EmailBodyPart (create form) into a MIME part.
/// `path` names the part in errors (`bodyStructure/subParts/1`, `textBody/0`).
fn part<'a>(
    ctx: &Ctx<'_>,
    p: &'a Value,
    values: &'a Map<String, Value>,
    missing_blobs: &mut Vec<String>,
    path: &str,
) -> Result<MimePart<'a>, Value> {
    let invalid = |property: &str, why: &str| invalid(&format!("{path}/{property}"), why);
    let obj = p.as_object().ok_or_else(|| invalid("", "a body part is an object"))?;
    if obj.contains_key("headers") {
        return Err(invalid("headers", "set header fields one by one as header: properties"));
    }
    let kind = obj.get("type").and_then(Value::as_str);
    let mut part = if let Some(subs) = obj.get("subParts").and_then(Value::as_array) {
        let kind = kind.unwrap_or("multipart/mixed");
        if !kind.to_ascii_lowercase().starts_with("multipart/") {
            return Err(invalid("subParts", "only a multipart has subParts"));
        }
        let children = subs
            .iter()
            .enumerate()
            .map(|(i, s)| part(ctx, s, values, missing_blobs, &format!("{path}/subParts/{i}")))
            .collect::<Result<Vec<_>, _>>()?;
        MimePart::new(ContentType::new(kind.to_owned()), BodyPart::Multipart(children))
    } else {
        let content: BodyPart = match (obj.get("partId").and_then(Value::as_str), obj.get("blobId").and_then(Value::as_str)) {
            (Some(_), Some(_)) => return Err(invalid("partId", "a part has a partId or a blobId, not both")),
            (Some(id), None) => {
                if obj.get("charset").is_some_and(|c| !c.is_null()) {
                    return Err(invalid("charset", "a part from bodyValues is UTF-8"));
                }
                if obj.get("size").is_some_and(|c| !c.is_null()) {
                    return Err(invalid("size", "the server sets the size of a part from bodyValues"));
                }
                let value = values.get(id).and_then(|v| v["value"].as_str()).ok_or_else(|| invalid("partId", "no bodyValue for it"))?;
                BodyPart::Text(Cow::Borrowed(value))
            }
            (None, Some(blob)) => match crate::blob::download(ctx.account, blob) {
                Some(bytes) => {
                    if let Some(size) = obj.get("size").and_then(Value::as_u64)
                        && size != bytes.len() as u64
                    {
                        return Err(invalid("size", "size does not match the blob"));
                    }
                    BodyPart::Binary(Cow::Owned(bytes))
                }
                None => {
                    missing_blobs.push(blob.to_owned());
                    BodyPart::Binary(Cow::Borrowed(&[]))
                }
            },
            (None, None) => return Err(invalid("partId", "a part needs a partId or a blobId")),
        };
        let default = if matches!(content, BodyPart::Text(_)) { "text/plain" } else { "application/octet-stream" };
        let kind = kind.unwrap_or(default);
        let is_text = kind.to_ascii_lowercase().starts_with("text/");
        // A bodyValue of a non-text type is bytes (no charset is added to it).
        let content = match content {
            BodyPart::Text(t) if !is_text => BodyPart::Binary(match t {
                Cow::Borrowed(b) => Cow::Borrowed(b.as_bytes()),
                Cow::Owned(o) => Cow::Owned(o.into_bytes()),
            }),
            other => other,
        };
        let mut ct = ContentType::new(kind.to_owned());
        match (&content, obj.get("charset").and_then(Value::as_str)) {
            // The narrowest charset that holds the text.
            (BodyPart::Text(t), _) => ct = ct.attribute("charset", if t.is_ascii() { "us-ascii" } else { "utf-8" }),
            (_, Some(c)) if is_text => ct = ct.attribute("charset", c.to_owned()),
            _ => {}
        }
        if let Some(name) = obj.get("name").and_then(Value::as_str)
            && obj.get("disposition").and_then(Value::as_str) != Some("attachment")
        {
            ct = ct.attribute("name", name.to_owned());
        }
        MimePart::new(ct, content)
    };
    match (obj.get("disposition").and_then(Value::as_str), obj.get("name").and_then(Value::as_str)) {
        (Some("attachment"), name) => part = part.attachment(name.unwrap_or("attachment").to_owned()),
        (Some("inline"), _) => part = part.inline(),
        _ => {}
    }
    if let Some(cid) = obj.get("cid").and_then(Value::as_str) {
        part = part.cid(cid.to_owned());
    }
    if let Some(langs) = obj.get("language").and_then(Value::as_array) {
        let langs: Vec<&str> = langs.iter().filter_map(Value::as_str).collect();
        if !langs.is_empty() {
            part = part.language(langs.join(", "));
        }
    }
    if let Some(location) = obj.get("location").and_then(Value::as_str) {
        part = part.location(location.to_owned());
    }
    let headers = header_properties(obj, false).map_err(|mut e| {
        if let Some(p) = e["properties"][0].as_str() {
            e["properties"][0] = format!("{path}/{p}").into();
        }
        e
    })?;
    for (name, value) in headers {
        part = part.header(name, value);
    }
    Ok(part)
}

pub fn create(ctx: &Ctx<'_>, spec: &Value) -> Result<Value, Value> {
    let spec = spec.as_object().ok_or_else(|| set_error("invalidProperties", "an Email is an object"))?;
    for k in spec.keys() {
        let known = matches!(
            k.as_str(),
            "mailboxIds" | "keywords" | "receivedAt" | "bodyStructure" | "textBody" | "htmlBody" | "attachments" | "bodyValues"
        ) || CONVENIENCE.iter().any(|(p, _)| p == k)
            || k.starts_with("header:");
        if SERVER_SET.contains(&k.as_str()) || k == "headers" || !known {
            return Err(invalid(k, format!("{k} cannot be set")));
        }
    }
    let mailboxes: Vec<MailboxId> = spec
        .get("mailboxIds")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid("mailboxIds", "mailboxIds is required"))?
        .iter()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .map(|(m, _)| ids::parse_mailbox(m).ok_or_else(|| invalid("mailboxIds", "no such mailbox")))
        .collect::<Result<_, _>>()?;
    let fail = |e: tresor_store::Error| match e {
        tresor_store::Error::OverQuota(_) => set_error("overQuota", "the account is over quota"),
        // Destroyed since it was checked, by another request.
        tresor_store::Error::NoMailbox => invalid("mailboxIds", "no such mailbox"),
        e => set_error("serverFail", e.to_string()),
    };
    for m in &mailboxes {
        if ctx.account.mailbox(*m).map_err(fail)?.is_none() {
            return Err(invalid("mailboxIds", "no such mailbox"));
        }
    }
    let Some((&first, rest)) = mailboxes.split_first() else {
        return Err(invalid("mailboxIds", "an email must be in at least one mailbox"));
    };

    // Body values: only the value may be given.
    let empty = Map::new();
    let values = match spec.get("bodyValues") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(v)) => v,
        Some(_) => return Err(invalid("bodyValues", "bodyValues is an object")),
    };
    for (id, v) in values {
        if v["value"].as_str().is_none() {
            return Err(invalid("bodyValues", format!("{id}: value is required")));
        }
        let bad: Vec<String> = ["isEncodingProblem", "isTruncated"]
            .iter()
            .filter(|f| v.get(**f) == Some(&Value::Bool(true)))
            .map(|f| format!("bodyValues/{id}/{f}"))
            .collect();
        if !bad.is_empty() {
            return Err(json!({ "type": "invalidProperties", "properties": bad }));
        }
    }
    let list = |k: &str| -> Result<Vec<&Value>, Value> {
        match spec.get(k) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.iter().collect()),
            Some(_) => Err(invalid(k, format!("{k} is a list"))),
        }
    };
    let (text, html, attachments) = (list("textBody")?, list("htmlBody")?, list("attachments")?);
    let structure = spec.get("bodyStructure").filter(|v| !v.is_null());
    if structure.is_some() {
        // bodyStructure excludes the three lists: name each one given.
        let given: Vec<&str> =
            ["textBody", "htmlBody", "attachments"].into_iter().filter(|k| spec.get(*k).is_some_and(|v| !v.is_null())).collect();
        if !given.is_empty() {
            return Err(json!({ "type": "invalidProperties", "properties": given }));
        }
    }
    for (k, l, kind) in [("textBody", &text, "text/plain"), ("htmlBody", &html, "text/html")] {
        if l.len() > 1 {
            return Err(invalid(k, format!("{k} has at most one part")));
        }
        if let Some(t) = l.first().and_then(|p| p["type"].as_str())
            && !t.eq_ignore_ascii_case(kind)
        {
            return Err(invalid(k, format!("{k} is {kind}")));
        }
    }

    // textBody and htmlBody parts with their type filled in.
    let typed = |p: Option<&&Value>, kind: &str| {
        p.map(|p| {
            let mut p = (*p).clone();
            if p.get("type").is_none_or(Value::is_null) {
                p["type"] = kind.into();
            }
            p
        })
    };
    let (text_part, html_part) = (typed(text.first(), "text/plain"), typed(html.first(), "text/html"));
    let mut missing = Vec::new();
    let body = match structure {
        Some(s) => Some(part(ctx, s, values, &mut missing, "bodyStructure")?),
        None => {
            let text = text_part.as_ref().map(|p| part(ctx, p, values, &mut missing, "textBody/0")).transpose()?;
            let html = html_part.as_ref().map(|p| part(ctx, p, values, &mut missing, "htmlBody/0")).transpose()?;
            let main = match (text, html) {
                (Some(t), Some(h)) => Some(MimePart::new(ContentType::new("multipart/alternative"), BodyPart::Multipart(vec![t, h]))),
                (t, h) => t.or(h),
            };
            let attached = attachments
                .iter()
                .enumerate()
                .map(|(i, p)| part(ctx, p, values, &mut missing, &format!("attachments/{i}")))
                .collect::<Result<Vec<_>, _>>()?;
            match (main, attached.is_empty()) {
                (main, true) => main,
                (main, false) => {
                    let mut parts: Vec<MimePart> = main.into_iter().collect();
                    parts.extend(attached);
                    Some(MimePart::new(ContentType::new("multipart/mixed"), BodyPart::Multipart(parts)))
                }
            }
        }
    };
    if !missing.is_empty() {
        return Err(json!({ "type": "blobNotFound", "notFound": missing }));
    }

    // Header fields.
    let mut b = MessageBuilder::new();
    for (p, _) in CONVENIENCE {
        let Some(v) = spec.get(*p).filter(|v| !v.is_null()) else { continue };
        b = match *p {
            "messageId" => {
                let list = message_ids(p, v)?;
                match list.first() {
                    Some(id) => b.message_id(MessageId::new(id.clone())),
                    None => b,
                }
            }
            "inReplyTo" => b.in_reply_to(MessageId::new_list(message_ids(p, v)?.into_iter())),
            "references" => b.references(MessageId::new_list(message_ids(p, v)?.into_iter())),
            "subject" => b.subject(v.as_str().ok_or_else(|| invalid(p, "subject is a string"))?.to_owned()),
            "sentAt" => b.date(Date::new(v.as_str().and_then(parse_date).ok_or_else(|| invalid(p, "sentAt is a Date"))?)),
            field => {
                let list = addresses(p, v)?;
                let header = address_header(&list);
                let header: Address<'static> = owned_address(header);
                match field {
                    "sender" => b.sender(header),
                    "from" => b.from(header),
                    "to" => b.to(header),
                    "cc" => b.cc(header),
                    "bcc" => b.bcc(header),
                    _ => b.reply_to(header),
                }
            }
        };
    }
    for (name, value) in header_properties(spec, true)? {
        b = b.header(name, value);
    }
    b = match body {
        Some(mut body) => {
            // The root part's header fields (all but Content-*) are the
            // message's: they share its header block, so a Message-ID or
            // Date given there is the message's own, and a field RFC 5322
            // allows once may not also come from the Email's properties.
            let (own, content): (Vec<_>, Vec<_>) =
                std::mem::take(&mut body.headers).into_iter().partition(|(n, _)| !n.to_ascii_lowercase().starts_with("content-"));
            body.headers = content;
            let clashing: Vec<String> = own
                .iter()
                .map(|(n, _)| n.to_ascii_lowercase())
                .filter(|n| ONCE.contains(&n.as_str()) && b.headers.iter().any(|(m, _)| m.eq_ignore_ascii_case(n)))
                .collect();
            if !clashing.is_empty() {
                let (path, root) = root_part(structure, [&text_part, &html_part], &attachments);
                let named = root.and_then(Value::as_object).into_iter().flatten().filter_map(|(k, _)| {
                    let h = HeaderProperty::parse(k)?;
                    clashing.contains(&h.name.to_ascii_lowercase()).then(|| format!("{path}/{k}"))
                });
                return Err(json!({ "type": "invalidProperties", "properties": named.collect::<Vec<_>>() }));
            }
            b.headers.extend(own);
            b.body(body)
        }
        None => b.text_body(""),
    };
    // mail-builder looks for these spellings only, and makes a Message-ID
    // naming this host when it finds none: ours names no host.
    for (name, _) in &mut b.headers {
        if let Some(canonical) = ["Message-ID", "Date", "MIME-Version"].into_iter().find(|c| name.eq_ignore_ascii_case(c)) {
            *name = canonical.into();
        }
    }
    if !b.headers.iter().any(|(n, _)| n == "Message-ID") {
        b = b.message_id(MessageId::new(format!("{:032x}@tresor", rand::random::<u128>())));
    }
    if !b.headers.iter().any(|(n, _)| n == "Date") {
        b = b.date(Date::new(tresor_types::time::now()));
    }
    let raw = b.write_to_vec().map_err(|e| set_error("serverFail", e.to_string()))?;

    let now = tresor_types::time::now();
    let received_at = match spec.get("receivedAt") {
        None | Some(Value::Null) => now,
        Some(d) => d.as_str().and_then(parse_date).ok_or_else(|| invalid("receivedAt", "receivedAt is a UTCDate"))?,
    };
    let keywords = match spec.get("keywords") {
        None | Some(Value::Null) => Vec::new(),
        Some(k) => super::keywords(k).ok_or_else(|| invalid("keywords", "keywords map keywords to true"))?,
    };
    let summary = tresor_message::parse(&raw);
    let appended =
        ctx.account.append_in(NewMessage { raw: &raw, summary: &summary, mailbox: first, keywords, received_at }, rest).map_err(fail)?;
    let meta = ctx.account.email_meta(appended.email).map_err(fail)?.ok_or_else(|| set_error("serverFail", "vanished"))?;
    Ok(json!({ "id": ids::email(appended.email), "blobId": ids::blob(meta.blob), "threadId": ids::thread(meta.thread), "size": meta.size }))
}

/// An address header that owns its strings (the builder outlives the spec borrow).
fn owned_address(a: Address<'_>) -> Address<'static> {
    match a {
        Address::Address(e) => Address::new_address(e.name.map(|n| n.into_owned()), e.email.into_owned()),
        Address::Group(g) => Address::new_group(g.name.map(|n| n.into_owned()), g.addresses.into_iter().map(owned_address).collect()),
        Address::List(l) => Address::new_list(l.into_iter().map(owned_address).collect()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_with_offsets() {
        assert_eq!(super::parse_date("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(super::parse_date("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(super::parse_date("1969-12-31T19:00:00.250-05:00"), Some(0));
        assert_eq!(super::parse_date("1970-01-01 00:00:00Z"), None);
        assert_eq!(super::parse_date("1970-01-01T00:00:00+0100"), None);
    }
}
