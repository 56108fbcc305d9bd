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
            let (ctx, email) = (self.ctx, self.email);
            let raw = self.raw.get_or_insert_with(|| (ctx.raw)(email).unwrap_or_default());
            self.texts = Some(tresor_message::text_for_search(raw, &self.meta.summary).map(|(s, t)| (s, fold(&t))).collect());
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
    let received_day = || c.meta.received_at.div_euclid(86_400);
    // RFC 9051: SENT* compare the Date: header's own date, its time and zone
    // disregarded; without a readable one, the internal date's.
    let sent_day = || {
        let summary = &c.meta.summary;
        summary
            .envelope
            .date
            .as_deref()
            .and_then(header_day)
            .unwrap_or_else(|| summary.sent_at.unwrap_or(c.meta.received_at).div_euclid(86_400))
    };
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
            DateKind::Before => received_day() < *d,
            DateKind::On => received_day() == *d,
            DateKind::Since => received_day() >= *d,
            DateKind::SentBefore => sent_day() < *d,
            DateKind::SentOn => sent_day() == *d,
            DateKind::SentSince => sent_day() >= *d,
        },
        Node::Header(HeaderKind::Known(h), needle) => {
            lazy.texts().iter().any(|(source, text)| *source == TextSource::Header(*h) && text.contains(needle.as_str()))
        }
        Node::Header(HeaderKind::Named(name), needle) => {
            let (start, end) = c.meta.summary.root.header;
            let header = lazy.raw().get(start as usize..end as usize).unwrap_or_default();
            header_values(header, name).any(|v| needle.is_empty() || fold(&tresor_message::decode_text(v)).contains(needle.as_str()))
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
    use crate::codec::command::{SearchKey as K, SeqRange};
    use tresor_store::mail::MailboxId;

    /// The message as seq 3 / uid 30 of a mailbox with 5 messages (max UID
    /// 50), received 2023-11-14 22:13:20 UTC, flagged \Seen, modseq 5.
    struct Probe {
        matched: bool,
        loads: u32,
    }

    fn probe(raw: &[u8], key: K, charset: Option<&str>, saved: Option<&[u32]>) -> Probe {
        let summary = tresor_message::parse(raw);
        let meta = EmailMeta { blob: 1, size: raw.len() as u64, received_at: 1_700_000_000, thread: 3, summary };
        let state = EmailState { mailboxes: vec![(MailboxId(1), 30)], keywords: vec!["$seen".into(), "$label1".into()], modseq: 5 };
        let loads = std::cell::Cell::new(0);
        let load = |_: EmailId| {
            loads.set(loads.get() + 1);
            Some(raw.to_vec())
        };
        let eid = |e: EmailId| tresor_store::ids::email(e);
        let tid = |t: u64| tresor_store::ids::thread(t);
        let recent = |uid: u32| uid == 50;
        let ctx = Ctx { max_seq: 5, max_uid: 50, saved, now: 1_700_000_100, raw: &load, email_id: &eid, thread_id: &tid, recent: &recent };
        let c = Candidate { seq: 3, uid: 30, email: EmailId(1), meta: &meta, state: &state };
        let q = prepare(&key, charset).unwrap();
        let mut cache = None;
        let matched = matches(&q, &c, &ctx, &mut cache);
        Probe { matched, loads: loads.get() }
    }

    fn run(raw: &[u8], key: K, charset: Option<&str>) -> bool {
        let p = probe(raw, key, charset, None);
        assert!(p.loads <= 1, "the message is loaded at most once");
        p.matched
    }

    fn s(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    fn set(ranges: &[(SeqNum, SeqNum)]) -> SequenceSet {
        SequenceSet::Ranges(ranges.iter().map(|&(from, to)| SeqRange { from, to }).collect())
    }

    const QP: &[u8] = b"From: =?UTF-8?Q?Jos=C3=A9?= <j@example.org>\r\nSubject: =?UTF-8?B?w5xiZXJ3ZWlzdW5n?=\r\nX-Tag: Alpha Beta\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nDie Stra=C3=9Fe ist gesperrt\r\n";

    const MIXED: &[u8] = b"From: Ann <ann@example.org>\r\nTo: Bob <bob@example.net>, carol@example.com\r\nCc: =?ISO-8859-1?Q?J=F6rg?= <joerg@example.de>\r\nSubject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=\r\nDate: Sat, 24 Mar 2007 23:00:00 +0200\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=xx\r\n\r\n--xx\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nViele Gr=C3=BC=C3=9Fe\r\n--xx\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+U2Now7ZuZW4gV29jaGVuZW5kZTwvcD4=\r\n--xx\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nc2VjcmV0IG5lZWRsZQ==\r\n--xx--\r\n";

    #[test]
    fn decoded_text_matches() {
        assert!(run(QP, K::Body(s("straße")), Some("UTF-8")));
        assert!(!run(QP, K::Body(s("STRASSE")), None));
        assert!(run(QP, K::Subject(s("überweisung")), Some("utf-8")));
        assert!(run(QP, K::From(b"jos".to_vec()), None));
        assert!(run(QP, K::Header("x-tag".into(), b"beta".to_vec()), None));
        assert!(!run(QP, K::Header("X-None".into(), b"".to_vec()), None));
        assert!(run(QP, K::Header("X-TAG".into(), b"".to_vec()), None));
        assert!(run(QP, K::Text(b"alpha".to_vec()), None));
        assert!(!run(QP, K::Body(b"alpha".to_vec()), None));
        // ISO-8859-1 search string for an UTF-8 body.
        assert!(run(QP, K::Body(b"stra\xdfe".to_vec()), Some("ISO-8859-1")));
        assert!(prepare(&K::All, Some("X-NOPE")).is_err());
    }

    #[test]
    fn multipart_parts_are_decoded() {
        // Quoted-printable UTF-8, found in either case.
        assert!(run(MIXED, K::Body(s("grüße")), Some("UTF-8")));
        assert!(!run(MIXED, K::Body(s("GRÜSSE")), Some("UTF-8")));
        assert!(run(MIXED, K::Body(s("VIELE GRÜ")), Some("UTF-8")));
        // Base64 HTML, markup reduced to text.
        assert!(run(MIXED, K::Body(s("schönen wochenende")), Some("UTF-8")));
        assert!(!run(MIXED, K::Body(s("<p>")), None));
        // Attachments are not text.
        assert!(!run(MIXED, K::Body(s("needle")), None));
        // Encoded-words in headers.
        assert!(run(MIXED, K::Subject(s("grüße aus köln")), Some("UTF-8")));
        assert!(run(MIXED, K::Cc(s("jörg")), Some("UTF-8")));
        assert!(run(MIXED, K::Cc(b"j\xd6rg".to_vec()), Some("iso-8859-1")));
        assert!(run(MIXED, K::To(s("carol@")), None));
        assert!(!run(MIXED, K::From(s("bob")), None));
        assert!(!run(MIXED, K::Bcc(s("a")), None));
        // TEXT: headers (any field) and body.
        assert!(run(MIXED, K::Text(s("mime-version")), None));
        assert!(run(MIXED, K::Text(s("viele")), None));
        assert!(!run(MIXED, K::Body(s("mime-version")), None));
    }

    #[test]
    fn cheap_keys_never_load_the_message() {
        let day = Date { year: 2023, month: 11, day: 14 };
        for key in [
            K::All,
            K::Seen,
            K::Unseen,
            K::Flagged,
            K::Keyword("$Label1".into()),
            K::Unkeyword("\\Seen".into()),
            K::Larger(10),
            K::Smaller(10),
            K::Since(day),
            K::On(day),
            K::Before(day),
            K::SentOn(day),
            K::Older(10),
            K::Younger(10),
            K::ModSeq(3),
            K::Uid(set(&[(SeqNum::Value(1), SeqNum::Star)])),
            K::New,
            K::Old,
            K::Not(Box::new(K::Or(Box::new(K::Draft), Box::new(K::Deleted)))),
        ] {
            assert_eq!(probe(MIXED, key.clone(), None, None).loads, 0, "{key:?}");
        }
        // Once loaded, one message serves every text key.
        let key = K::And(vec![K::Body(s("viele")), K::Text(s("ann")), K::Header("Date".into(), s("2007")), K::Subject(s("köln"))]);
        let p = probe(MIXED, key, Some("UTF-8"), None);
        assert!(p.matched);
        assert_eq!(p.loads, 1);
    }

    #[test]
    fn flag_and_size_keys() {
        assert!(run(QP, K::Seen, None));
        assert!(run(QP, K::Not(Box::new(K::Unseen)), None));
        assert!(run(QP, K::Keyword("\\seen".into()), None));
        assert!(run(QP, K::Keyword("$LABEL1".into()), None));
        assert!(!run(QP, K::Keyword("\\Recent".into()), None));
        assert!(run(QP, K::Unkeyword("\\Recent".into()), None));
        assert!(!run(QP, K::Flagged, None));
        assert!(run(QP, K::Larger(10), None));
        assert!(!run(QP, K::Larger(QP.len() as u64), None));
        assert!(run(QP, K::Smaller(QP.len() as u64 + 1), None));
        assert!(run(QP, K::Younger(1000), None));
        assert!(!run(QP, K::Younger(10), None));
        assert!(run(QP, K::Older(10), None));
        assert!(run(QP, K::ModSeq(5), None));
        assert!(!run(QP, K::ModSeq(6), None));
        assert!(run(QP, K::EmailId("M1".into()), None));
        assert!(!run(QP, K::EmailId("M2".into()), None));
        assert!(run(QP, K::ThreadId("T3".into()), None));
        // Not \Recent in this session (only UID 50 is), so OLD, not NEW.
        assert!(!run(QP, K::Recent, None));
        assert!(!run(QP, K::New, None));
        assert!(run(QP, K::Old, None));
    }

    #[test]
    fn dates_compare_by_day() {
        let d = |year, month, day| Date { year, month, day };
        // Internal date: 2023-11-14 (UTC).
        assert!(run(QP, K::Since(d(2023, 11, 14)), None));
        assert!(run(QP, K::On(d(2023, 11, 14)), None));
        assert!(!run(QP, K::Before(d(2023, 11, 14)), None));
        assert!(run(QP, K::Before(d(2023, 11, 15)), None));
        assert!(!run(QP, K::Since(d(2023, 11, 15)), None));
        // The Date: header's own day, though it is 21:00 on the 24th in UTC.
        assert!(run(MIXED, K::SentOn(d(2007, 3, 24)), None));
        assert!(run(MIXED, K::SentBefore(d(2007, 3, 25)), None));
        assert!(!run(MIXED, K::SentSince(d(2007, 3, 25)), None));
        // No Date: header: the internal date stands in.
        assert!(run(QP, K::SentOn(d(2023, 11, 14)), None));
    }

    #[test]
    fn sets_use_sequence_numbers_uids_and_the_saved_result() {
        use SeqNum::{Star, Value as V};
        let hit = |key| probe(QP, key, None, None).matched;
        assert!(hit(K::SequenceSet(set(&[(V(3), V(3))]))));
        assert!(hit(K::SequenceSet(set(&[(V(4), V(2))]))));
        assert!(!hit(K::SequenceSet(set(&[(V(1), V(2)), (V(4), Star)]))));
        assert!(hit(K::SequenceSet(set(&[(V(3), Star)]))));
        assert!(hit(K::Uid(set(&[(V(30), V(30))]))));
        assert!(!hit(K::Uid(set(&[(V(3), V(3))]))));
        assert!(hit(K::Uid(set(&[(Star, V(20))]))));
        assert!(!hit(K::Uid(set(&[(Star, Star)]))));
        // `$`: saved UIDs, for both forms; no saved result is the empty set.
        let saved = [10, 30, 40];
        assert!(probe(QP, K::SequenceSet(SequenceSet::Saved), None, Some(&saved)).matched);
        assert!(probe(QP, K::Uid(SequenceSet::Saved), None, Some(&saved)).matched);
        assert!(!probe(QP, K::Uid(SequenceSet::Saved), None, Some(&[3])).matched);
        assert!(!probe(QP, K::Uid(SequenceSet::Saved), None, None).matched);
    }

    #[test]
    fn header_days() {
        let day = |y, m, d| tresor_types::time::days_from_civil(y, m, d);
        assert_eq!(header_day(b"Sat, 24 Mar 2007 23:00:00 +0200"), Some(day(2007, 3, 24)));
        assert_eq!(header_day(b"1 Jan 99 00:00 GMT"), Some(day(1999, 1, 1)));
        assert_eq!(header_day(b"Mon, 3 February 2020 10:00 -0500"), Some(day(2020, 2, 3)));
        assert_eq!(header_day(b"yesterday"), None);
    }
}
