//! Email/query filters (RFC 8621 section 4.4.1): conditions and AND/OR/NOT
//! operators, evaluated per message. Text conditions decode the message on
//! the fly (charset-aware, over decoded MIME parts) — correct, but linear in the
//! mailbox size until a sealed search index exists.

use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::Value;
use tresor_message::{SearchHeader, TextSource};
use tresor_store::mail::{EmailId, EmailMeta, EmailState, MailboxId};

#[derive(Clone)]
pub enum Filter {
    And(Vec<Filter>),
    Or(Vec<Filter>),
    Not(Vec<Filter>),
    InMailbox(MailboxId),
    InMailboxOtherThan(Vec<MailboxId>),
    Before(i64),
    After(i64),
    MinSize(u64),
    MaxSize(u64),
    HasKeyword(String),
    NotKeyword(String),
    HasAttachment(bool),
    /// allInThreadHaveKeyword / someInThreadHaveKeyword / noneInThreadHaveKeyword.
    ThreadKeyword(ThreadQuantifier, String),
    Text(Where, String),
    /// `header`: the field exists (None) or its decoded value contains the text.
    Header(String, Option<String>),
    /// A text condition answered by the search index: the emails it matches.
    Found(std::collections::HashSet<EmailId>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum ThreadQuantifier {
    All,
    Some,
    None,
}

impl Filter {
    /// Answers every text condition from the account's search index: a
    /// message matches when it has each word of the text in the fields asked
    /// for (any of them for `text`). Text without a word (punctuation only)
    /// is left to the scan.
    pub fn use_index(self, ctx: &Ctx<'_>) -> Result<Filter, MethodError> {
        use tresor_store::mail::search_index::{Field, words};
        Ok(match self {
            Filter::And(c) => Filter::And(c.into_iter().map(|f| f.use_index(ctx)).collect::<Result<_, _>>()?),
            Filter::Or(c) => Filter::Or(c.into_iter().map(|f| f.use_index(ctx)).collect::<Result<_, _>>()?),
            Filter::Not(c) => Filter::Not(c.into_iter().map(|f| f.use_index(ctx)).collect::<Result<_, _>>()?),
            Filter::Text(w, needle) if words(&needle).next().is_some() => {
                ctx.account.ensure_search_index()?;
                let fields: &[Field] = match w {
                    Where::Anywhere => &Field::ALL,
                    Where::Body => &[Field::Body],
                    Where::Header(SearchHeader::Subject) => &[Field::Subject],
                    Where::Header(SearchHeader::From) => &[Field::From],
                    Where::Header(SearchHeader::To) => &[Field::To],
                    Where::Header(SearchHeader::Cc) => &[Field::Cc],
                    Where::Header(SearchHeader::Bcc) => &[Field::Bcc],
                };
                let mut found: Option<Vec<EmailId>> = None;
                for word in words(&needle) {
                    let with = ctx.account.search_word(fields, &word)?;
                    found = Some(match found {
                        None => with,
                        Some(f) => f.into_iter().filter(|e| with.binary_search(e).is_ok()).collect(),
                    });
                }
                Filter::Found(found.unwrap_or_default().into_iter().collect())
            }
            other => other,
        })
    }

    /// The filter without a top-level `inMailbox: m` (already applied by
    /// scanning only that mailbox); None when nothing else is left.
    pub fn without_mailbox(self, m: MailboxId) -> Option<Filter> {
        match self {
            Filter::InMailbox(x) if x == m => None,
            Filter::And(c) => {
                let mut dropped = false;
                let rest: Vec<Filter> = c
                    .into_iter()
                    .filter(|f| {
                        let drop = !dropped && matches!(f, Filter::InMailbox(x) if *x == m);
                        dropped |= drop;
                        !drop
                    })
                    .collect();
                if rest.is_empty() { None } else { Some(Filter::And(rest)) }
            }
            other => Some(other),
        }
    }

    fn has_text(&self) -> bool {
        match self {
            Filter::And(c) | Filter::Or(c) | Filter::Not(c) => c.iter().any(Filter::has_text),
            Filter::Text(..) => true,
            _ => false,
        }
    }

    /// [`Filter::use_index`] if there is any text condition.
    pub fn indexed(self, ctx: &Ctx<'_>) -> Result<Filter, MethodError> {
        if self.has_text() { self.use_index(ctx) } else { Ok(self) }
    }

    /// Whether a message's match can change when another message changes.
    pub fn depends_on_thread(&self) -> bool {
        match self {
            Filter::And(c) | Filter::Or(c) | Filter::Not(c) => c.iter().any(Filter::depends_on_thread),
            Filter::ThreadKeyword(..) => true,
            _ => false,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Anywhere,
    Body,
    Header(SearchHeader),
}

fn date(v: &Value) -> Result<i64, MethodError> {
    let s = v.as_str().ok_or_else(|| MethodError::bad_argument("filter", "dates are UTCDate strings"))?;
    parse_utc(s).ok_or_else(|| MethodError::bad_argument("filter", format!("not a UTCDate: {s:?}")))
}

/// `2026-11-23T22:46:10Z` -> unix seconds.
pub fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d, hh, mm, ss) = (n(0..4)?, n(5..7)?, n(8..10)?, n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    Some(tresor_types::time::days_from_civil(y, m, d) * 86_400 + hh * 3600 + mm * 60 + ss)
}

pub fn parse(v: &Value) -> Result<Filter, MethodError> {
    let obj = v.as_object().ok_or_else(|| MethodError::bad_argument("filter", "a filter is an object"))?;
    if let Some(op) = obj.get("operator") {
        let conditions = obj
            .get("conditions")
            .and_then(Value::as_array)
            .ok_or_else(|| MethodError::bad_argument("filter", "an operator needs conditions"))?
            .iter()
            .map(parse)
            .collect::<Result<Vec<_>, _>>()?;
        return match op.as_str() {
            Some("AND") => Ok(Filter::And(conditions)),
            Some("OR") => Ok(Filter::Or(conditions)),
            Some("NOT") => Ok(Filter::Not(conditions)),
            _ => Err(MethodError::bad_argument("filter", "operator must be AND, OR or NOT")),
        };
    }
    let mut all = Vec::new();
    for (k, v) in obj {
        let text = |w: Where| -> Result<Filter, MethodError> {
            Ok(Filter::Text(
                w,
                v.as_str().ok_or_else(|| MethodError::bad_argument("filter", format!("{k} must be a string")))?.to_lowercase(),
            ))
        };
        let mailbox = |v: &Value| {
            ids::parse_mailbox(v.as_str().unwrap_or_default())
                .ok_or_else(|| MethodError::bad_argument("filter", format!("{k}: no such mailbox")))
        };
        all.push(match k.as_str() {
            "inMailbox" => Filter::InMailbox(mailbox(v)?),
            "inMailboxOtherThan" => Filter::InMailboxOtherThan(
                v.as_array()
                    .ok_or_else(|| MethodError::bad_argument("filter", "inMailboxOtherThan"))?
                    .iter()
                    .map(mailbox)
                    .collect::<Result<_, _>>()?,
            ),
            "before" => Filter::Before(date(v)?),
            "after" => Filter::After(date(v)?),
            "minSize" => Filter::MinSize(v.as_u64().ok_or_else(|| MethodError::bad_argument("filter", "minSize"))?),
            "maxSize" => Filter::MaxSize(v.as_u64().ok_or_else(|| MethodError::bad_argument("filter", "maxSize"))?),
            "hasKeyword" => {
                Filter::HasKeyword(v.as_str().ok_or_else(|| MethodError::bad_argument("filter", "hasKeyword"))?.to_ascii_lowercase())
            }
            "notKeyword" => {
                Filter::NotKeyword(v.as_str().ok_or_else(|| MethodError::bad_argument("filter", "notKeyword"))?.to_ascii_lowercase())
            }
            "hasAttachment" => Filter::HasAttachment(v.as_bool().ok_or_else(|| MethodError::bad_argument("filter", "hasAttachment"))?),
            "allInThreadHaveKeyword" | "someInThreadHaveKeyword" | "noneInThreadHaveKeyword" => {
                let q = match k.as_str() {
                    "allInThreadHaveKeyword" => ThreadQuantifier::All,
                    "someInThreadHaveKeyword" => ThreadQuantifier::Some,
                    _ => ThreadQuantifier::None,
                };
                Filter::ThreadKeyword(
                    q,
                    v.as_str().ok_or_else(|| MethodError::bad_argument("filter", format!("{k} must be a string")))?.to_ascii_lowercase(),
                )
            }
            "header" => {
                let parts: Vec<&str> = v.as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
                match (v.as_array().map(Vec::len), parts.as_slice()) {
                    (Some(1), [name]) => Filter::Header(name.to_ascii_lowercase(), None),
                    (Some(2), [name, value]) => Filter::Header(name.to_ascii_lowercase(), Some(value.to_lowercase())),
                    _ => return Err(MethodError::bad_argument("filter", "header must be [name] or [name, value]")),
                }
            }
            "text" => text(Where::Anywhere)?,
            "body" => text(Where::Body)?,
            "from" => text(Where::Header(SearchHeader::From))?,
            "to" => text(Where::Header(SearchHeader::To))?,
            "cc" => text(Where::Header(SearchHeader::Cc))?,
            "bcc" => text(Where::Header(SearchHeader::Bcc))?,
            "subject" => text(Where::Header(SearchHeader::Subject))?,
            other => {
                return Err(MethodError::described("unsupportedFilter", format!("filter {other:?} is not supported yet")));
            }
        });
    }
    Ok(Filter::And(all))
}

/// One message under evaluation; its decoded text is computed at most once.
pub struct Candidate<'a> {
    pub ctx: &'a Ctx<'a>,
    pub email: EmailId,
    pub received_at: i64,
    meta: Option<EmailMeta>,
    state: Option<EmailState>,
    text: Option<Vec<(TextSource, String)>>,
}

impl<'a> Candidate<'a> {
    pub fn new(ctx: &'a Ctx<'a>, email: EmailId, received_at: i64) -> Self {
        Candidate { ctx, email, received_at, meta: None, state: None, text: None }
    }

    fn meta(&mut self) -> Result<&EmailMeta, MethodError> {
        if self.meta.is_none() {
            self.meta = Some(self.ctx.account.email_meta(self.email)?.ok_or_else(|| MethodError::new("serverFail"))?);
        }
        Ok(self.meta.as_ref().expect("just loaded"))
    }

    fn state(&mut self) -> Result<&EmailState, MethodError> {
        if self.state.is_none() {
            self.state = Some(self.ctx.account.email_state(self.email)?.ok_or_else(|| MethodError::new("serverFail"))?);
        }
        Ok(self.state.as_ref().expect("just loaded"))
    }

    fn text(&mut self) -> Result<&[(TextSource, String)], MethodError> {
        if self.text.is_none() {
            let meta = self.meta()?.clone();
            let raw = self.ctx.account.read_blob(meta.blob)?;
            self.text = Some(tresor_message::text_for_search(&raw, &meta.summary).map(|(w, t)| (w, t.to_lowercase())).collect());
        }
        Ok(self.text.as_deref().expect("just computed"))
    }

    pub fn matches(&mut self, f: &Filter) -> Result<bool, MethodError> {
        Ok(match f {
            Filter::And(all) => {
                for c in all {
                    if !self.matches(c)? {
                        return Ok(false);
                    }
                }
                true
            }
            Filter::Or(any) => {
                for c in any {
                    if self.matches(c)? {
                        return Ok(true);
                    }
                }
                false
            }
            Filter::Not(none) => {
                for c in none {
                    if self.matches(c)? {
                        return Ok(false);
                    }
                }
                true
            }
            Filter::InMailbox(m) => self.state()?.mailboxes.iter().any(|(x, _)| x == m),
            Filter::InMailboxOtherThan(ms) => self.state()?.mailboxes.iter().any(|(x, _)| !ms.contains(x)),
            Filter::Before(t) => self.received_at < *t,
            Filter::After(t) => self.received_at >= *t,
            Filter::MinSize(n) => self.meta()?.size >= *n,
            Filter::MaxSize(n) => self.meta()?.size < *n,
            Filter::HasKeyword(k) => self.state()?.keywords.contains(k),
            Filter::NotKeyword(k) => !self.state()?.keywords.contains(k),
            Filter::HasAttachment(b) => self.meta()?.summary.has_attachment == *b,
            Filter::ThreadKeyword(q, k) => {
                let thread = self.meta()?.thread;
                let mut with = 0;
                let members = self.ctx.account.thread_members(thread)?;
                for m in &members {
                    if self.ctx.account.email_state(*m)?.is_some_and(|s| s.keywords.contains(k)) {
                        with += 1;
                    }
                }
                match q {
                    ThreadQuantifier::All => with == members.len() && with > 0,
                    ThreadQuantifier::Some => with > 0,
                    ThreadQuantifier::None => with == 0,
                }
            }
            Filter::Found(set) => set.contains(&self.email),
            Filter::Header(name, value) => {
                let meta = self.meta()?.clone();
                let (start, end) = meta.summary.root.header;
                let block = self.ctx.account.read_blob_range(meta.blob, u64::from(start), u64::from(end - start))?;
                crate::headers::fields(&block).any(|(n, v)| {
                    n.eq_ignore_ascii_case(name)
                        && value.as_ref().is_none_or(|want| {
                            crate::headers::parse_value(v, crate::headers::Form::Text)
                                .as_str()
                                .is_some_and(|t| t.to_lowercase().contains(want.as_str()))
                        })
                })
            }
            Filter::Text(w, needle) => self.text()?.iter().any(|(src, t)| {
                let place = match (w, src) {
                    (Where::Anywhere, _) => true,
                    (Where::Body, TextSource::Body) => true,
                    (Where::Header(h), TextSource::Header(s)) => h == s,
                    _ => false,
                };
                place && t.contains(needle.as_str())
            }),
        })
    }
}

/// The mailbox an `inMailbox` at the top level names, to narrow the scan.
pub fn top_mailbox(f: &Filter) -> Option<MailboxId> {
    match f {
        Filter::InMailbox(m) => Some(*m),
        Filter::And(all) => all.iter().find_map(top_mailbox),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates() {
        assert_eq!(super::parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(super::parse_utc("2026-11-23T22:46:40Z"), Some(1_795_474_000));
        assert_eq!(super::parse_utc("2026-13-01T00:00:00Z"), None);
        assert_eq!(super::parse_utc("2026-11-23 22:46:40Z"), None);
    }
}
