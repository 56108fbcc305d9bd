//! SEARCH evaluation for one message. Strings are decoded from the command's
//! charset once ([`prepare`]), then matched case-insensitively as substrings
//! of decoded text: header values with RFC 2047 resolved, body parts with
//! transfer encoding and charset undone. A key that needs only flags, sizes
//! or dates never loads the message.

use crate::codec::command::{Date, SearchKey, SeqNum, SequenceSet};
use tresor_message::{SearchHeader, TextSource};
use tresor_store::mail::{EmailId, EmailMeta, EmailState};

#[derive(Debug, PartialEq, Eq)]
pub enum SearchError {
    BadCharset,
}

/// A prepared search: [`SearchKey`] with its strings decoded and folded.
#[derive(Debug)]
pub struct Query(Node);

#[derive(Debug)]
enum Node {
    And(Vec<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
    All,
    Seq(SequenceSet),
    Uid(SequenceSet),
    Keyword(String, bool),
    Header(HeaderKind, String),
    Body(String),
    Text(String),
    Date(DateKind, i64),
    Larger(u64),
    Smaller(u64),
    Older(u64),
    Younger(u64),
    ModSeq(u64),
    EmailId(String),
    ThreadId(String),
    /// `\Recent` in this session.
    Recent,
    Nothing,
}

#[derive(Debug)]
enum HeaderKind {
    Known(SearchHeader),
    Named(String),
}

#[derive(Debug, Clone, Copy)]
enum DateKind {
    Before,
    On,
    Since,
    SentBefore,
    SentOn,
    SentSince,
}

pub struct Candidate<'a> {
    pub seq: u32,
    pub uid: u32,
    pub email: EmailId,
    pub meta: &'a EmailMeta,
    pub state: &'a EmailState,
}

pub struct Ctx<'a> {
    pub max_seq: u32,
    pub max_uid: u32,
    /// SEARCHRES `$`: saved UIDs, ascending.
    pub saved: Option<&'a [u32]>,
    pub now: i64,
    pub raw: &'a dyn Fn(EmailId) -> Option<Vec<u8>>,
    pub email_id: &'a dyn Fn(EmailId) -> String,
    pub thread_id: &'a dyn Fn(u64) -> String,
    /// Whether a UID is `\Recent` in this session.
    pub recent: &'a dyn Fn(u32) -> bool,
}

pub fn prepare(key: &SearchKey, charset: Option<&str>) -> Result<Query, SearchError> {
    let decode = decoder(charset)?;
    Ok(Query(node(key, &decode)))
}

type Decode = Box<dyn Fn(&[u8]) -> String>;

fn decoder(charset: Option<&str>) -> Result<Decode, SearchError> {
    match charset.map(str::to_ascii_lowercase).as_deref() {
        None | Some("us-ascii") | Some("utf-8") | Some("utf8") => Ok(Box::new(|b: &[u8]| String::from_utf8_lossy(b).into_owned())),
        Some(other) => match mail_parser::decoders::charsets::map::charset_decoder(other.as_bytes()) {
            Some(f) => Ok(Box::new(f)),
            None => Err(SearchError::BadCharset),
        },
    }
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

fn node(key: &SearchKey, decode: &Decode) -> Node {
    let text = |b: &Vec<u8>| fold(&decode(b));
    match key {
        SearchKey::And(keys) => Node::And(keys.iter().map(|k| node(k, decode)).collect()),
        SearchKey::Or(a, b) => Node::Or(Box::new(node(a, decode)), Box::new(node(b, decode))),
        SearchKey::Not(k) => Node::Not(Box::new(node(k, decode))),
        SearchKey::All => Node::All,
        SearchKey::Recent => Node::Recent,
        SearchKey::Old => Node::Not(Box::new(Node::Recent)),
        SearchKey::New => Node::And(vec![Node::Recent, Node::Keyword("$seen".into(), false)]),
        SearchKey::SequenceSet(s) => Node::Seq(s.clone()),
        SearchKey::Uid(s) => Node::Uid(s.clone()),
        SearchKey::Answered => Node::Keyword("$answered".into(), true),
        SearchKey::Deleted => Node::Keyword("$deleted".into(), true),
        SearchKey::Draft => Node::Keyword("$draft".into(), true),
        SearchKey::Flagged => Node::Keyword("$flagged".into(), true),
        SearchKey::Seen => Node::Keyword("$seen".into(), true),
        SearchKey::Unanswered => Node::Keyword("$answered".into(), false),
        SearchKey::Undeleted => Node::Keyword("$deleted".into(), false),
        SearchKey::Undraft => Node::Keyword("$draft".into(), false),
        SearchKey::Unflagged => Node::Keyword("$flagged".into(), false),
        SearchKey::Unseen => Node::Keyword("$seen".into(), false),
        SearchKey::Keyword(k) | SearchKey::Unkeyword(k) => {
            let present = matches!(key, SearchKey::Keyword(_));
            match super::render::keyword_of_flag(k) {
                Some(k) => Node::Keyword(k, present),
                // A flag that cannot be stored is on no message.
                None if present => Node::Nothing,
                None => Node::All,
            }
        }
        SearchKey::Bcc(s) => Node::Header(HeaderKind::Known(SearchHeader::Bcc), text(s)),
        SearchKey::Cc(s) => Node::Header(HeaderKind::Known(SearchHeader::Cc), text(s)),
        SearchKey::From(s) => Node::Header(HeaderKind::Known(SearchHeader::From), text(s)),
        SearchKey::To(s) => Node::Header(HeaderKind::Known(SearchHeader::To), text(s)),
        SearchKey::Subject(s) => Node::Header(HeaderKind::Known(SearchHeader::Subject), text(s)),
        SearchKey::Header(name, s) => Node::Header(HeaderKind::Named(name.to_ascii_lowercase()), text(s)),
        SearchKey::Body(s) => Node::Body(text(s)),
        SearchKey::Text(s) => Node::Text(text(s)),
        SearchKey::Before(d) => Node::Date(DateKind::Before, day(d)),
        SearchKey::On(d) => Node::Date(DateKind::On, day(d)),
        SearchKey::Since(d) => Node::Date(DateKind::Since, day(d)),
        SearchKey::SentBefore(d) => Node::Date(DateKind::SentBefore, day(d)),
        SearchKey::SentOn(d) => Node::Date(DateKind::SentOn, day(d)),
        SearchKey::SentSince(d) => Node::Date(DateKind::SentSince, day(d)),
        SearchKey::Larger(n) => Node::Larger(*n),
        SearchKey::Smaller(n) => Node::Smaller(*n),
        SearchKey::Older(n) => Node::Older(*n),
        SearchKey::Younger(n) => Node::Younger(*n),
        SearchKey::ModSeq(n) => Node::ModSeq(*n),
        SearchKey::EmailId(id) => Node::EmailId(id.clone()),
        SearchKey::ThreadId(id) => Node::ThreadId(id.clone()),
    }
}

/// Days since the epoch of an IMAP date.
fn day(d: &Date) -> i64 {
    tresor_types::time::days_from_civil(d.year as i64, d.month as i64, d.day as i64)
}

/// What a message's text costs to get: loaded at most once per message.
struct Lazy<'a, 'c> {
    ctx: &'c Ctx<'a>,
    email: EmailId,
    meta: &'c EmailMeta,
    raw: &'c mut Option<Vec<u8>>,
    texts: Option<Vec<(TextSource, String)>>,
}

impl Lazy<'_, '_> {
    fn raw(&mut self) -> &[u8] {
        if self.raw.is_none() {
            *self.raw = Some((self.ctx.raw)(self.email).unwrap_or_default());
        }
        self.raw.as_deref().unwrap_or_default()
    }

    fn texts(&mut self) -> &[(TextSource, String)] {
        if self.texts.is_none() {
            let meta = self.meta;
            let raw = self.raw().to_vec();
            self.texts = Some(tresor_message::text_for_search(&raw, &meta.summary).map(|(s, t)| (s, fold(&t))).collect());
        }
        self.texts.as_deref().unwrap_or_default()
    }
}

pub fn matches(q: &Query, c: &Candidate, ctx: &Ctx, raw_cache: &mut Option<Vec<u8>>) -> bool {
    let mut lazy = Lazy { ctx, email: c.email, meta: c.meta, raw: raw_cache, texts: None };
    eval(&q.0, c, ctx, &mut lazy)
}

fn in_set(set: &SequenceSet, n: u32, max: u32, saved: Option<&[u32]>, uid: u32) -> bool {
    match set {
        SequenceSet::Saved => saved.is_some_and(|s| s.binary_search(&uid).is_ok()),
        SequenceSet::Ranges(ranges) => {
            let v = |s: SeqNum| match s {
                SeqNum::Star => max,
                SeqNum::Value(v) => v,
            };
            ranges.iter().any(|r| {
                let (a, b) = (v(r.from), v(r.to));
                (a.min(b)..=a.max(b)).contains(&n)
            })
        }
    }
}

fn eval(node: &Node, c: &Candidate, ctx: &Ctx, lazy: &mut Lazy) -> bool {
    let received_day = c.meta.received_at.div_euclid(86_400);
    // RFC 9051: SENT* compare the Date: header's own date, its time and zone
    // disregarded.
    let sent_day = c
        .meta
        .summary
        .envelope
        .date
        .as_deref()
        .and_then(header_day)
        .unwrap_or_else(|| c.meta.summary.sent_at.unwrap_or(c.meta.received_at).div_euclid(86_400));
    match node {
        Node::And(nodes) => nodes.iter().all(|n| eval(n, c, ctx, lazy)),
        Node::Or(a, b) => eval(a, c, ctx, lazy) || eval(b, c, ctx, lazy),
        Node::Not(n) => !eval(n, c, ctx, lazy),
        Node::All => true,
        Node::Nothing => false,
        Node::Recent => (ctx.recent)(c.uid),
        Node::Seq(set) => in_set(set, c.seq, ctx.max_seq, ctx.saved, c.uid),
        Node::Uid(set) => in_set(set, c.uid, ctx.max_uid, ctx.saved, c.uid),
        Node::Keyword(k, present) => c.state.keywords.iter().any(|x| x == k) == *present,
        Node::Larger(n) => c.meta.size > *n,
        Node::Smaller(n) => c.meta.size < *n,
        Node::Older(n) => ctx.now - c.meta.received_at >= *n as i64,
        Node::Younger(n) => ctx.now - c.meta.received_at <= *n as i64,
        Node::ModSeq(n) => c.state.modseq >= *n,
        Node::EmailId(id) => (ctx.email_id)(c.email) == *id,
        Node::ThreadId(id) => (ctx.thread_id)(c.meta.thread) == *id,
        Node::Date(kind, d) => match kind {
            DateKind::Before => received_day < *d,
            DateKind::On => received_day == *d,
            DateKind::Since => received_day >= *d,
            DateKind::SentBefore => sent_day < *d,
            DateKind::SentOn => sent_day == *d,
            DateKind::SentSince => sent_day >= *d,
        },
        Node::Header(HeaderKind::Known(h), needle) => {
            lazy.texts().iter().any(|(source, text)| *source == TextSource::Header(*h) && text.contains(needle.as_str()))
        }
        Node::Header(HeaderKind::Named(name), needle) => {
            let header = {
                let raw = lazy.raw();
                let (start, end) = c.meta.summary.root.header;
                raw.get(start as usize..end as usize).unwrap_or_default().to_vec()
            };
            header_values(&header, name).any(|v| needle.is_empty() || fold(&tresor_message::decode_text(v)).contains(needle.as_str()))
        }
        Node::Body(needle) => lazy.texts().iter().any(|(source, text)| *source == TextSource::Body && text.contains(needle.as_str())),
        Node::Text(needle) => {
            if lazy.texts().iter().any(|(_, text)| text.contains(needle.as_str())) {
                return true;
            }
            // Other header fields count for TEXT too.
            let raw = lazy.raw();
            let (start, end) = c.meta.summary.root.header;
            let header = raw.get(start as usize..end as usize).unwrap_or_default();
            fold(&String::from_utf8_lossy(header)).contains(needle.as_str())
        }
    }
}

/// The calendar day written in a Date: header (`Sat, 24 Mar 2007 23:00 +0200`
/// is 24 Mar 2007), as days since the epoch.
fn header_day(raw: &[u8]) -> Option<i64> {
    const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
    let text = std::str::from_utf8(raw).ok()?;
    let words: Vec<&str> = text.split(|c: char| c.is_whitespace() || c == ',').filter(|w| !w.is_empty()).collect();
    words.windows(3).find_map(|w| {
        let day: i64 = w[0].parse().ok().filter(|d| (1..=31).contains(d))?;
        let month = MONTHS.iter().position(|m| w[1].len() >= 3 && m.eq_ignore_ascii_case(&w[1][..3]))? as i64 + 1;
        let mut year: i64 = w[2].parse().ok()?;
        if w[2].len() <= 2 {
            year += if year < 50 { 2000 } else { 1900 };
        }
        Some(tresor_types::time::days_from_civil(year, month, day))
    })
}

/// Raw values (after the colon, unfolded line ends kept) of the fields
/// named `name` (lower case) in a header block.
fn header_values<'h>(block: &'h [u8], name: &'h str) -> impl Iterator<Item = &'h [u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < block.len() {
            let start = pos;
            let mut end = next_line(block, pos);
            if block[start..end].iter().all(|&b| b == b'\r' || b == b'\n') {
                pos = block.len();
                return None;
            }
            while end < block.len() && matches!(block[end], b' ' | b'\t') {
                end = next_line(block, end);
            }
            pos = end;
            let field = &block[start..end];
            if let Some(colon) = field.iter().position(|&b| b == b':')
                && field[..colon].trim_ascii().eq_ignore_ascii_case(name.as_bytes())
            {
                return Some(field[colon + 1..].trim_ascii());
            }
        }
        None
    })
}

fn next_line(block: &[u8], from: usize) -> usize {
    block[from..].iter().position(|&b| b == b'\n').map_or(block.len(), |i| from + i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::command::SearchKey as K;
    use tresor_store::mail::MailboxId;

    fn run(raw: &[u8], key: K, charset: Option<&str>) -> bool {
        let summary = tresor_message::parse(raw);
        let meta = EmailMeta { blob: 1, size: raw.len() as u64, received_at: 1_700_000_000, thread: 3, summary };
        let state = EmailState { mailboxes: vec![(MailboxId(1), 1)], keywords: vec!["$seen".into()], modseq: 5 };
        let loads = std::cell::Cell::new(0);
        let load = |_: EmailId| {
            loads.set(loads.get() + 1);
            Some(raw.to_vec())
        };
        let eid = |e: EmailId| tresor_store::ids::email(e);
        let tid = |t: u64| tresor_store::ids::thread(t);
        let recent = |_: u32| false;
        let ctx =
            Ctx { max_seq: 1, max_uid: 1, saved: None, now: 1_700_000_100, raw: &load, email_id: &eid, thread_id: &tid, recent: &recent };
        let c = Candidate { seq: 1, uid: 1, email: EmailId(1), meta: &meta, state: &state };
        let q = prepare(&key, charset).unwrap();
        let mut cache = None;
        let r = matches(&q, &c, &ctx, &mut cache);
        assert!(loads.get() <= 1);
        r
    }

    const QP: &[u8] = b"From: =?UTF-8?Q?Jos=C3=A9?= <j@example.org>\r\nSubject: =?UTF-8?B?w5xiZXJ3ZWlzdW5n?=\r\nX-Tag: Alpha Beta\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nDie Stra=C3=9Fe ist gesperrt\r\n";

    #[test]
    fn decoded_text_matches() {
        assert!(run(QP, K::Body("straße".as_bytes().to_vec()), Some("UTF-8")));
        assert!(run(QP, K::Body("STRASSE".as_bytes().to_vec()), None) == false);
        assert!(run(QP, K::Subject("überweisung".as_bytes().to_vec()), Some("utf-8")));
        assert!(run(QP, K::From(b"jos".to_vec()), None));
        assert!(run(QP, K::Header("x-tag".into(), b"beta".to_vec()), None));
        assert!(run(QP, K::Header("X-None".into(), b"".to_vec()), None) == false);
        assert!(run(QP, K::Text(b"alpha".to_vec()), None));
        assert!(run(QP, K::Body(b"alpha".to_vec()), None) == false);
        // ISO-8859-1 search string for an UTF-8 body.
        assert!(run(QP, K::Body(b"stra\xdfe".to_vec()), Some("ISO-8859-1")));
        assert!(prepare(&K::All, Some("X-NOPE")).is_err());
    }

    #[test]
    fn flag_and_size_keys() {
        assert!(run(QP, K::Seen, None));
        assert!(run(QP, K::Not(Box::new(K::Unseen)), None));
        assert!(run(QP, K::Larger(10), None));
        assert!(run(QP, K::Younger(1000), None));
        assert!(run(QP, K::ModSeq(5), None));
        assert!(!run(QP, K::ModSeq(6), None));
        assert!(run(QP, K::EmailId("M1".into()), None));
        assert!(run(QP, K::Since(Date { year: 2023, month: 11, day: 14 }), None));
        assert!(!run(QP, K::Before(Date { year: 2023, month: 11, day: 14 }), None));
    }
}
