//! Email/query sorting (RFC 8621 4.4.2): every sort property, with the
//! `i;ascii-casemap` / `i;unicode-casemap` collations, and `collapseThreads`.
//! Ties fall back to arrival, newest first, so a page never shuffles between
//! two identical queries.

use crate::request::{Ctx, MethodError};
use serde_json::Value;
use std::{cmp::Ordering, collections::HashSet};
use tresor_store::mail::{EmailId, EmailMeta};

pub struct Comparator {
    key: Key,
    ascending: bool,
}

enum Key {
    ReceivedAt,
    Size,
    From,
    To,
    Subject,
    SentAt,
    HasKeyword(String),
    AllInThreadHaveKeyword(String),
    SomeInThreadHaveKeyword(String),
}

/// Whether a message's place depends on the other messages of its thread.
pub fn depends_on_thread(sort: &[Comparator]) -> bool {
    sort.iter().any(|c| matches!(c.key, Key::AllInThreadHaveKeyword(_) | Key::SomeInThreadHaveKeyword(_)))
}

fn unsupported(why: &str) -> MethodError {
    MethodError::described("unsupportedSort", why)
}

pub fn parse(sort: Option<&Value>) -> Result<Vec<Comparator>, MethodError> {
    let items = match sort {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(MethodError::bad_argument("sort", "sort must be an array")),
    };
    items
        .iter()
        .map(|item| {
            let property = item
                .get("property")
                .and_then(Value::as_str)
                .ok_or_else(|| MethodError::bad_argument("sort", "a comparator needs a property"))?;
            let ascending = item.get("isAscending").and_then(Value::as_bool).unwrap_or(true);
            match item.get("collation").and_then(Value::as_str) {
                None | Some("i;unicode-casemap") | Some("i;ascii-casemap") | Some("i;ascii-numeric") => {}
                Some(other) => return Err(unsupported(&format!("collation {other} is not supported"))),
            }
            let keyword = || {
                item.get("keyword")
                    .and_then(Value::as_str)
                    .map(|k| k.to_ascii_lowercase())
                    .ok_or_else(|| MethodError::bad_argument("sort", format!("{property} needs a keyword")))
            };
            let key = match property {
                "receivedAt" => Key::ReceivedAt,
                "size" => Key::Size,
                "from" => Key::From,
                "to" => Key::To,
                "subject" => Key::Subject,
                "sentAt" => Key::SentAt,
                "hasKeyword" => Key::HasKeyword(keyword()?),
                "allInThreadHaveKeyword" => Key::AllInThreadHaveKeyword(keyword()?),
                "someInThreadHaveKeyword" => Key::SomeInThreadHaveKeyword(keyword()?),
                other => return Err(unsupported(&format!("cannot sort by {other}"))),
            };
            Ok(Comparator { key, ascending })
        })
        .collect()
}

/// One candidate with what its comparators need.
struct Row {
    id: EmailId,
    received: i64,
    meta: Option<EmailMeta>,
    keys: Vec<SortValue>,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Int(i64),
    /// receivedAt with the id as the tie-break: arrival order within a second.
    Arrival(i64, u64),
    Text(String),
}

/// The ids in query order: `found` is (receivedAt, id) after filtering.
pub fn order(ctx: &Ctx<'_>, found: Vec<(i64, EmailId)>, sort: &[Comparator], collapse: bool) -> Result<Vec<EmailId>, MethodError> {
    let default = [Comparator { key: Key::ReceivedAt, ascending: false }];
    let sort = if sort.is_empty() { &default[..] } else { sort };
    // The common case (a mailbox by arrival): no record to read, no keys to build.
    if let ([Comparator { key: Key::ReceivedAt, ascending }], false) = (sort, collapse) {
        let mut found = found;
        if *ascending {
            found.sort_unstable();
        } else {
            found.sort_unstable_by(|a, b| b.cmp(a));
        }
        return Ok(found.into_iter().map(|(_, id)| id).collect());
    }
    let needs_meta = collapse || sort.iter().any(|c| !matches!(c.key, Key::ReceivedAt | Key::HasKeyword(_)));
    let mut rows = Vec::with_capacity(found.len());
    for (received, id) in found {
        let meta = if needs_meta { ctx.account.email_meta(id)? } else { None };
        if needs_meta && meta.is_none() {
            continue;
        }
        let mut row = Row { id, received, meta, keys: Vec::with_capacity(sort.len()) };
        for c in sort {
            row.keys.push(value(ctx, &row, &c.key)?);
        }
        rows.push(row);
    }
    rows.sort_by(|a, b| {
        for (i, c) in sort.iter().enumerate() {
            let o = a.keys[i].cmp(&b.keys[i]);
            let o = if c.ascending { o } else { o.reverse() };
            if o != Ordering::Equal {
                return o;
            }
        }
        b.received.cmp(&a.received).then(b.id.cmp(&a.id))
    });
    let mut seen_threads = HashSet::new();
    Ok(rows.into_iter().filter(|r| !collapse || r.meta.as_ref().is_some_and(|m| seen_threads.insert(m.thread))).map(|r| r.id).collect())
}

fn value(ctx: &Ctx<'_>, row: &Row, key: &Key) -> Result<SortValue, MethodError> {
    let meta = || row.meta.as_ref().expect("loaded for this key");
    let has = |id: EmailId, k: &str| -> Result<bool, MethodError> {
        Ok(ctx.account.email_state(id)?.is_some_and(|s| s.keywords.iter().any(|x| x == k)))
    };
    Ok(match key {
        Key::ReceivedAt => SortValue::Arrival(row.received, row.id.0),
        Key::Size => SortValue::Int(meta().size as i64),
        Key::SentAt => SortValue::Int(meta().summary.sent_at.unwrap_or(row.received)),
        Key::Subject => SortValue::Text(meta().summary.base_subject.to_lowercase()),
        Key::From => SortValue::Text(first_address(&meta().summary.envelope.from)),
        Key::To => SortValue::Text(first_address(&meta().summary.envelope.to)),
        Key::HasKeyword(k) => SortValue::Int(has(row.id, k)? as i64),
        Key::AllInThreadHaveKeyword(k) | Key::SomeInThreadHaveKeyword(k) => {
            let members = ctx.account.thread_members(meta().thread)?;
            let mut hits = 0;
            for m in &members {
                hits += has(*m, k)? as usize;
            }
            let all = matches!(key, Key::AllInThreadHaveKeyword(_));
            SortValue::Int(if all { (hits == members.len()) as i64 } else { (hits > 0) as i64 })
        }
    })
}

/// RFC 8621: the first address's name, or its email when it has none.
fn first_address(list: &[tresor_message::Address]) -> String {
    let Some(a) = list.iter().find(|a| a.host.is_some()) else { return String::new() };
    if let Some(name) = a.name.as_deref().map(tresor_message::decode_text).filter(|n| !n.is_empty()) {
        return name.to_lowercase();
    }
    let part = |b: &Option<Vec<u8>>| b.as_deref().map(String::from_utf8_lossy).unwrap_or_default().into_owned();
    format!("{}@{}", part(&a.mailbox), part(&a.host)).to_lowercase()
}
