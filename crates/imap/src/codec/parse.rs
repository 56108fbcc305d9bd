//! The command parser: one complete command (lines with their literals
//! inline, CRLF line ends, as [`super::framing`] hands it over) to a
//! [`Tagged`]. Hand-written recursive descent over a cursor; it never panics
//! and never allocates more than the input.

use super::command::*;
use zeroize::Zeroizing;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub tag: Option<String>,
    pub message: String,
}

type R<T> = Result<T, String>;

pub fn command(input: &[u8]) -> Result<Tagged, ParseError> {
    let mut p = Parser { input, pos: 0, depth: 0 };
    let tag = match p.tag() {
        Ok(t) => t,
        Err(message) => return Err(ParseError { tag: None, message }),
    };
    let result = p.sp().and_then(|_| p.command()).and_then(|c| {
        p.crlf()?;
        if p.pos != input.len() { Err("unexpected data after the command".into()) } else { Ok(c) }
    });
    match result {
        Ok(command) => Ok(Tagged { tag, command }),
        Err(message) => Err(ParseError { tag: Some(tag), message }),
    }
}

struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
    /// Nesting of search keys, bounded so no input can exhaust the stack.
    depth: u32,
}

fn is_atom_char(b: u8) -> bool {
    super::encode::is_atom_char(b) || b >= 0x80
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    fn at(&self, s: &[u8]) -> bool {
        self.input.len() >= self.pos + s.len() && self.input[self.pos..self.pos + s.len()].eq_ignore_ascii_case(s)
    }

    fn eat(&mut self, s: &[u8]) -> bool {
        if self.at(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &[u8]) -> R<()> {
        if self.eat(s) { Ok(()) } else { Err(format!("expected {}", String::from_utf8_lossy(s))) }
    }

    fn sp(&mut self) -> R<()> {
        self.expect(b" ")
    }

    fn crlf(&mut self) -> R<()> {
        self.expect(b"\r\n")
    }

    fn tag(&mut self) -> R<String> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            if super::encode::is_astring_char(b) && b != b'+' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if self.pos == start {
            return Err("missing tag".into());
        }
        Ok(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
    }

    /// 1*ATOM-CHAR (8-bit bytes allowed, as UTF-8 atoms in IMAP4rev2).
    fn atom(&mut self) -> R<&'a [u8]> {
        let start = self.pos;
        while self.peek().is_some_and(is_atom_char) {
            self.pos += 1;
        }
        if self.pos == start { Err("expected an atom".into()) } else { Ok(&self.input[start..self.pos]) }
    }

    fn atom_str(&mut self) -> R<String> {
        let a = self.atom()?;
        String::from_utf8(a.to_vec()).map_err(|_| "invalid UTF-8".into())
    }

    fn number(&mut self) -> R<u64> {
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start || self.pos - start > 19 {
            return Err("expected a number".into());
        }
        std::str::from_utf8(&self.input[start..self.pos]).unwrap_or("x").parse().map_err(|_| "number too large".into())
    }

    fn nz_number(&mut self) -> R<u32> {
        let n = self.number()?;
        if n == 0 || n > u32::MAX as u64 { Err("expected a non-zero 32-bit number".into()) } else { Ok(n as u32) }
    }

    fn quoted(&mut self) -> R<Vec<u8>> {
        self.expect(b"\"")?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => return Err("unterminated quoted string".into()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'\\' | b'"')) => {
                            out.push(c);
                            self.pos += 1;
                        }
                        _ => return Err("bad escape in quoted string".into()),
                    }
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `{n}\r\n` / `{n+}\r\n` / `~{n}\r\n` and n octets; (bytes, literal8).
    fn literal(&mut self) -> R<(Vec<u8>, bool)> {
        let binary = self.eat(b"~");
        self.expect(b"{")?;
        let n = self.number()? as usize;
        self.eat(b"+");
        self.expect(b"}")?;
        self.crlf()?;
        if self.input.len() - self.pos < n {
            return Err("literal shorter than announced".into());
        }
        let bytes = self.input[self.pos..self.pos + n].to_vec();
        self.pos += n;
        Ok((bytes, binary))
    }

    fn string(&mut self) -> R<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal()?.0),
            _ => Err("expected a string".into()),
        }
    }

    fn astring_bytes(&mut self) -> R<Vec<u8>> {
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(),
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(|b| is_atom_char(b) || b == b']') {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err("expected an astring".into());
                }
                Ok(self.input[start..self.pos].to_vec())
            }
        }
    }

    fn astring(&mut self) -> R<String> {
        String::from_utf8(self.astring_bytes()?).map_err(|_| "invalid UTF-8".into())
    }

    fn nstring(&mut self) -> R<Option<Vec<u8>>> {
        if self.eat(b"NIL") {
            return Ok(None);
        }
        match self.peek() {
            Some(b'~') => Ok(Some(self.literal()?.0)),
            _ => self.string().map(Some),
        }
    }

    fn mailbox(&mut self) -> R<String> {
        self.astring()
    }

    /// list-mailbox: atom chars plus `%`, `*` and `]`, or a string.
    fn list_mailbox(&mut self) -> R<String> {
        match self.peek() {
            Some(b'"') | Some(b'{') => String::from_utf8(self.string()?).map_err(|_| "invalid UTF-8".into()),
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(|b| is_atom_char(b) || matches!(b, b'%' | b'*' | b']')) {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err("expected a mailbox pattern".into());
                }
                String::from_utf8(self.input[start..self.pos].to_vec()).map_err(|_| "invalid UTF-8".into())
            }
        }
    }

    fn seq_num(&mut self) -> R<SeqNum> {
        if self.eat(b"*") { Ok(SeqNum::Star) } else { Ok(SeqNum::Value(self.nz_number()?)) }
    }

    fn sequence_set(&mut self) -> R<SequenceSet> {
        if self.eat(b"$") {
            return Ok(SequenceSet::Saved);
        }
        let mut ranges = Vec::new();
        loop {
            let from = self.seq_num()?;
            let to = if self.eat(b":") { self.seq_num()? } else { from };
            ranges.push(SeqRange { from, to });
            if !self.eat(b",") {
                return Ok(SequenceSet::Ranges(ranges));
            }
        }
    }

    fn is_sequence_start(&self) -> bool {
        matches!(self.peek(), Some(b'0'..=b'9' | b'*' | b'$'))
    }

    /// `(a b c)` of `item`s; `empty_ok` allows `()`.
    fn list<T>(&mut self, empty_ok: bool, mut item: impl FnMut(&mut Self) -> R<T>) -> R<Vec<T>> {
        self.expect(b"(")?;
        let mut out = Vec::new();
        if self.eat(b")") {
            return if empty_ok { Ok(out) } else { Err("empty list".into()) };
        }
        loop {
            out.push(item(self)?);
            if self.eat(b")") {
                return Ok(out);
            }
            self.sp()?;
        }
    }

    fn flag(&mut self) -> R<String> {
        let backslash = self.eat(b"\\");
        if backslash && self.eat(b"*") {
            return Ok("\\*".into());
        }
        let a = self.atom_str()?;
        Ok(if backslash { format!("\\{a}") } else { a })
    }

    fn flag_list(&mut self) -> R<Vec<String>> {
        self.list(true, |p| p.flag())
    }

    fn command(&mut self) -> R<Command> {
        let name = self.atom()?.to_ascii_uppercase();
        let cmd = match name.as_slice() {
            b"CAPABILITY" => Command::Capability,
            b"NOOP" => Command::Noop,
            b"LOGOUT" => Command::Logout,
            b"STARTTLS" => Command::StartTls,
            b"NAMESPACE" => Command::Namespace,
            b"IDLE" => Command::Idle,
            b"CHECK" => Command::Check,
            b"CLOSE" => Command::Close,
            b"UNSELECT" => Command::Unselect,
            b"EXPUNGE" => Command::Expunge(None),
            b"ID" => {
                self.sp()?;
                if self.eat(b"NIL") {
                    Command::Id(None)
                } else {
                    let items = self.list(true, |p| {
                        let k = String::from_utf8_lossy(&p.string()?).into_owned();
                        p.sp()?;
                        let v = p.nstring()?.map(|v| String::from_utf8_lossy(&v).into_owned());
                        Ok((k, v))
                    })?;
                    Command::Id(Some(items))
                }
            }
            b"LOGIN" => {
                self.sp()?;
                let user = self.astring()?;
                self.sp()?;
                let password = Zeroizing::new(self.astring()?);
                Command::Login { user, password }
            }
            b"AUTHENTICATE" => {
                self.sp()?;
                let mechanism = self.atom_str()?;
                let initial = if self.eat(b" ") {
                    let start = self.pos;
                    while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')) {
                        self.pos += 1;
                    }
                    if self.pos == start {
                        return Err("expected an initial response".into());
                    }
                    Some(String::from_utf8_lossy(&self.input[start..self.pos]).into_owned())
                } else {
                    None
                };
                Command::Authenticate { mechanism, initial }
            }
            b"ENABLE" => {
                let mut caps = Vec::new();
                while self.eat(b" ") {
                    caps.push(self.atom_str()?);
                }
                if caps.is_empty() {
                    return Err("ENABLE needs a capability".into());
                }
                Command::Enable(caps)
            }
            b"SELECT" | b"EXAMINE" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                let params = if self.eat(b" ") { self.select_params()? } else { SelectParams::default() };
                Command::Select { mailbox, read_only: name == b"EXAMINE", params }
            }
            b"CREATE" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                let mut special_use = Vec::new();
                if self.eat(b" ") {
                    self.expect(b"(")?;
                    self.expect(b"USE")?;
                    self.sp()?;
                    special_use = self.flag_list()?;
                    self.expect(b")")?;
                }
                Command::Create { mailbox, special_use }
            }
            b"DELETE" => {
                self.sp()?;
                Command::Delete(self.mailbox()?)
            }
            b"RENAME" => {
                self.sp()?;
                let from = self.mailbox()?;
                self.sp()?;
                let to = self.mailbox()?;
                Command::Rename { from, to }
            }
            b"SUBSCRIBE" => {
                self.sp()?;
                Command::Subscribe(self.mailbox()?)
            }
            b"UNSUBSCRIBE" => {
                self.sp()?;
                Command::Unsubscribe(self.mailbox()?)
            }
            b"LIST" => self.list_command()?,
            b"LSUB" => {
                self.sp()?;
                let reference = self.mailbox()?;
                self.sp()?;
                let pattern = self.list_mailbox()?;
                Command::Lsub { reference, pattern }
            }
            b"STATUS" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                let items = self.list(false, |p| p.status_item())?;
                Command::Status { mailbox, items }
            }
            b"APPEND" => self.append()?,
            b"GETQUOTA" => {
                self.sp()?;
                Command::GetQuota(self.astring()?)
            }
            b"GETQUOTAROOT" => {
                self.sp()?;
                Command::GetQuotaRoot(self.mailbox()?)
            }
            b"SETQUOTA" => {
                self.sp()?;
                let root = self.astring()?;
                self.sp()?;
                let limits = self.list(true, |p| {
                    let name = p.atom_str()?;
                    p.sp()?;
                    Ok((name, p.number()?))
                })?;
                Command::SetQuota { root, limits }
            }
            b"GETMETADATA" => self.get_metadata()?,
            b"SETMETADATA" => {
                self.sp()?;
                let mailbox = self.mailbox()?;
                self.sp()?;
                let entries = self.list(false, |p| {
                    let entry = p.astring()?;
                    p.sp()?;
                    Ok((entry, p.nstring()?))
                })?;
                Command::SetMetadata { mailbox, entries }
            }
            b"COMPRESS" => {
                self.sp()?;
                Command::Compress(self.atom_str()?)
            }
            b"SEARCH" => self.search(false)?,
            b"SORT" => self.sort(false)?,
            b"THREAD" => self.thread(false)?,
            b"FETCH" => self.fetch(false)?,
            b"STORE" => self.store(false)?,
            b"COPY" | b"MOVE" => self.copy(false, name == b"MOVE")?,
            b"UID" => {
                self.sp()?;
                let sub = self.atom()?.to_ascii_uppercase();
                match sub.as_slice() {
                    b"FETCH" => self.fetch(true)?,
                    b"STORE" => self.store(true)?,
                    b"COPY" => self.copy(true, false)?,
                    b"MOVE" => self.copy(true, true)?,
                    b"SEARCH" => self.search(true)?,
                    b"SORT" => self.sort(true)?,
                    b"THREAD" => self.thread(true)?,
                    b"EXPUNGE" => {
                        self.sp()?;
                        Command::Expunge(Some(self.sequence_set()?))
                    }
                    _ => return Err("unknown UID command".into()),
                }
            }
            other => return Err(format!("unknown command {}", String::from_utf8_lossy(other))),
        };
        Ok(cmd)
    }

    fn select_params(&mut self) -> R<SelectParams> {
        let mut params = SelectParams::default();
        let items = self.list(false, |p| {
            let name = p.atom()?.to_ascii_uppercase();
            match name.as_slice() {
                b"CONDSTORE" => Ok((true, None)),
                b"QRESYNC" => {
                    p.sp()?;
                    p.expect(b"(")?;
                    let uid_validity = p.nz_number()?;
                    p.sp()?;
                    let modseq = p.number()?;
                    let mut known_uids = None;
                    let mut seq_match = None;
                    if p.eat(b" ") {
                        if p.peek() == Some(b'(') {
                            seq_match = Some(p.seq_match()?);
                        } else {
                            known_uids = Some(p.sequence_set()?);
                            if p.eat(b" ") {
                                seq_match = Some(p.seq_match()?);
                            }
                        }
                    }
                    p.expect(b")")?;
                    Ok((false, Some(QResync { uid_validity, modseq, known_uids, seq_match })))
                }
                _ => Err("unknown SELECT parameter".into()),
            }
        })?;
        for (condstore, qresync) in items {
            params.condstore |= condstore;
            if qresync.is_some() {
                params.qresync = qresync;
            }
        }
        Ok(params)
    }

    fn seq_match(&mut self) -> R<(SequenceSet, SequenceSet)> {
        self.expect(b"(")?;
        let seqs = self.sequence_set()?;
        self.sp()?;
        let uids = self.sequence_set()?;
        self.expect(b")")?;
        Ok((seqs, uids))
    }

    fn list_command(&mut self) -> R<Command> {
        self.sp()?;
        let mut select = Vec::new();
        if self.peek() == Some(b'(') {
            select = self.list(true, |p| match p.atom()?.to_ascii_uppercase().as_slice() {
                b"SUBSCRIBED" => Ok(ListSelect::Subscribed),
                b"REMOTE" => Ok(ListSelect::Remote),
                b"RECURSIVEMATCH" => Ok(ListSelect::RecursiveMatch),
                b"SPECIAL-USE" => Ok(ListSelect::SpecialUse),
                _ => Err("unknown LIST selection option".into()),
            })?;
            self.sp()?;
        }
        if select.contains(&ListSelect::RecursiveMatch)
            && select.iter().all(|s| *s == ListSelect::RecursiveMatch || *s == ListSelect::Remote)
        {
            return Err("RECURSIVEMATCH needs another selection option".into());
        }
        let reference = self.mailbox()?;
        self.sp()?;
        let patterns = if self.peek() == Some(b'(') { self.list(false, |p| p.list_mailbox())? } else { vec![self.list_mailbox()?] };
        let mut ret = Vec::new();
        if self.eat(b" ") {
            self.expect(b"RETURN")?;
            self.sp()?;
            ret = self.list(true, |p| match p.atom()?.to_ascii_uppercase().as_slice() {
                b"SUBSCRIBED" => Ok(ListReturn::Subscribed),
                b"CHILDREN" => Ok(ListReturn::Children),
                b"SPECIAL-USE" => Ok(ListReturn::SpecialUse),
                b"STATUS" => {
                    p.sp()?;
                    Ok(ListReturn::Status(p.list(false, |p| p.status_item())?))
                }
                _ => Err("unknown LIST return option".into()),
            })?;
        }
        Ok(Command::List(List { reference, patterns, select, ret }))
    }

    fn status_item(&mut self) -> R<StatusItem> {
        Ok(match self.atom()?.to_ascii_uppercase().as_slice() {
            b"MESSAGES" => StatusItem::Messages,
            b"RECENT" => StatusItem::Recent,
            b"UIDNEXT" => StatusItem::UidNext,
            b"UIDVALIDITY" => StatusItem::UidValidity,
            b"UNSEEN" => StatusItem::Unseen,
            b"DELETED" => StatusItem::Deleted,
            b"SIZE" => StatusItem::Size,
            b"HIGHESTMODSEQ" => StatusItem::HighestModSeq,
            b"APPENDLIMIT" => StatusItem::AppendLimit,
            b"MAILBOXID" => StatusItem::MailboxId,
            _ => return Err("unknown STATUS item".into()),
        })
    }

    fn append(&mut self) -> R<Command> {
        self.sp()?;
        let mailbox = self.mailbox()?;
        let mut messages = Vec::new();
        while self.eat(b" ") {
            let mut flags = Vec::new();
            let mut date = None;
            if self.peek() == Some(b'(') {
                flags = self.flag_list()?;
                self.sp()?;
            }
            if self.peek() == Some(b'"') {
                date = Some(date_time(&self.quoted()?).ok_or("invalid date-time")?);
                self.sp()?;
            }
            if self.at(b"UTF8 (") {
                // RFC 6855: UTF8 (literal8).
                self.pos += 6;
                let (data, _) = self.literal()?;
                self.expect(b")")?;
                messages.push(AppendMessage { flags, date, data, binary: true });
                continue;
            }
            let (data, binary) = self.literal()?;
            messages.push(AppendMessage { flags, date, data, binary });
        }
        if messages.is_empty() {
            return Err("APPEND needs a message".into());
        }
        Ok(Command::Append { mailbox, messages })
    }

    fn get_metadata(&mut self) -> R<Command> {
        self.sp()?;
        let mut options = MetadataOptions::default();
        if self.peek() == Some(b'(') {
            let opts = self.list(false, |p| {
                let name = p.atom()?.to_ascii_uppercase();
                p.sp()?;
                match name.as_slice() {
                    b"MAXSIZE" => Ok((Some(p.number()?), None)),
                    b"DEPTH" => {
                        if p.eat(b"infinity") {
                            Ok((None, Some(MetadataDepth::Infinity)))
                        } else {
                            match p.number()? {
                                0 => Ok((None, Some(MetadataDepth::Zero))),
                                1 => Ok((None, Some(MetadataDepth::One))),
                                _ => Err("DEPTH is 0, 1 or infinity".into()),
                            }
                        }
                    }
                    _ => Err("unknown GETMETADATA option".into()),
                }
            })?;
            for (max, depth) in opts {
                if max.is_some() {
                    options.max_size = max;
                }
                if let Some(d) = depth {
                    options.depth = d;
                }
            }
            self.sp()?;
        }
        let mailbox = self.mailbox()?;
        self.sp()?;
        let entries = if self.peek() == Some(b'(') { self.list(false, |p| p.astring())? } else { vec![self.astring()?] };
        Ok(Command::GetMetadata { mailbox, options, entries })
    }

    fn search_return(&mut self) -> R<Option<Vec<SearchReturn>>> {
        if !self.at(b"RETURN ") {
            return Ok(None);
        }
        self.pos += 7;
        let r = self.list(true, |p| {
            Ok(match p.atom()?.to_ascii_uppercase().as_slice() {
                b"MIN" => SearchReturn::Min,
                b"MAX" => SearchReturn::Max,
                b"ALL" => SearchReturn::All,
                b"COUNT" => SearchReturn::Count,
                b"SAVE" => SearchReturn::Save,
                _ => return Err("unknown RETURN option".into()),
            })
        })?;
        self.sp()?;
        Ok(Some(r))
    }

    fn search(&mut self, uid: bool) -> R<Command> {
        self.sp()?;
        let ret = self.search_return()?;
        let mut charset = None;
        if self.at(b"CHARSET ") {
            self.pos += 8;
            charset = Some(self.astring()?);
            self.sp()?;
        }
        let criteria = self.search_program()?;
        Ok(Command::Search { uid, charset, ret, criteria })
    }

    /// The top level: keys separated by spaces, an implicit AND.
    fn search_program(&mut self) -> R<SearchKey> {
        let mut keys = vec![self.search_key()?];
        while self.eat(b" ") {
            keys.push(self.search_key()?);
        }
        Ok(if keys.len() == 1 { keys.pop().expect("one") } else { SearchKey::And(keys) })
    }

    fn search_key(&mut self) -> R<SearchKey> {
        self.depth += 1;
        if self.depth > 64 {
            return Err("search keys nested too deeply".into());
        }
        let key = self.search_key_inner();
        self.depth -= 1;
        key
    }

    fn search_key_inner(&mut self) -> R<SearchKey> {
        if self.peek() == Some(b'(') {
            let keys = self.list(false, |p| p.search_key())?;
            return Ok(SearchKey::And(keys));
        }
        if self.is_sequence_start() {
            return Ok(SearchKey::SequenceSet(self.sequence_set()?));
        }
        let name = self.atom()?.to_ascii_uppercase();
        let key = match name.as_slice() {
            b"ALL" => SearchKey::All,
            b"ANSWERED" => SearchKey::Answered,
            b"DELETED" => SearchKey::Deleted,
            b"DRAFT" => SearchKey::Draft,
            b"FLAGGED" => SearchKey::Flagged,
            b"SEEN" => SearchKey::Seen,
            b"RECENT" => SearchKey::Recent,
            b"NEW" => SearchKey::New,
            b"OLD" => SearchKey::Old,
            b"UNANSWERED" => SearchKey::Unanswered,
            b"UNDELETED" => SearchKey::Undeleted,
            b"UNDRAFT" => SearchKey::Undraft,
            b"UNFLAGGED" => SearchKey::Unflagged,
            b"UNSEEN" => SearchKey::Unseen,
            b"KEYWORD" | b"UNKEYWORD" => {
                self.sp()?;
                let k = self.flag()?;
                if name == b"KEYWORD" { SearchKey::Keyword(k) } else { SearchKey::Unkeyword(k) }
            }
            b"BCC" | b"CC" | b"FROM" | b"TO" | b"SUBJECT" | b"BODY" | b"TEXT" => {
                self.sp()?;
                let s = self.astring_bytes()?;
                match name.as_slice() {
                    b"BCC" => SearchKey::Bcc(s),
                    b"CC" => SearchKey::Cc(s),
                    b"FROM" => SearchKey::From(s),
                    b"TO" => SearchKey::To(s),
                    b"SUBJECT" => SearchKey::Subject(s),
                    b"BODY" => SearchKey::Body(s),
                    _ => SearchKey::Text(s),
                }
            }
            b"HEADER" => {
                self.sp()?;
                let field = self.astring()?;
                self.sp()?;
                SearchKey::Header(field, self.astring_bytes()?)
            }
            b"BEFORE" | b"ON" | b"SINCE" | b"SENTBEFORE" | b"SENTON" | b"SENTSINCE" => {
                self.sp()?;
                let d = self.date()?;
                match name.as_slice() {
                    b"BEFORE" => SearchKey::Before(d),
                    b"ON" => SearchKey::On(d),
                    b"SINCE" => SearchKey::Since(d),
                    b"SENTBEFORE" => SearchKey::SentBefore(d),
                    b"SENTON" => SearchKey::SentOn(d),
                    _ => SearchKey::SentSince(d),
                }
            }
            b"LARGER" | b"SMALLER" | b"OLDER" | b"YOUNGER" => {
                self.sp()?;
                let n = self.number()?;
                match name.as_slice() {
                    b"LARGER" => SearchKey::Larger(n),
                    b"SMALLER" => SearchKey::Smaller(n),
                    b"OLDER" => SearchKey::Older(n),
                    _ => SearchKey::Younger(n),
                }
            }
            b"UID" => {
                self.sp()?;
                SearchKey::Uid(self.sequence_set()?)
            }
            b"NOT" => {
                self.sp()?;
                SearchKey::Not(Box::new(self.search_key()?))
            }
            b"OR" => {
                self.sp()?;
                let a = self.search_key()?;
                self.sp()?;
                let b = self.search_key()?;
                SearchKey::Or(Box::new(a), Box::new(b))
            }
            b"MODSEQ" => {
                self.sp()?;
                if self.peek() == Some(b'"') {
                    self.quoted()?;
                    self.sp()?;
                    let kind = self.atom()?.to_ascii_lowercase();
                    if !matches!(kind.as_slice(), b"all" | b"priv" | b"shared") {
                        return Err("MODSEQ entry type is all, priv or shared".into());
                    }
                    self.sp()?;
                }
                SearchKey::ModSeq(self.number()?)
            }
            b"EMAILID" | b"THREADID" => {
                self.sp()?;
                let id = self.atom_str()?;
                if name == b"EMAILID" { SearchKey::EmailId(id) } else { SearchKey::ThreadId(id) }
            }
            _ => return Err(format!("unknown search key {}", String::from_utf8_lossy(&name))),
        };
        Ok(key)
    }

    /// `1-Feb-1994`, optionally quoted.
    fn date(&mut self) -> R<Date> {
        let quoted = self.eat(b"\"");
        let start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-') {
            self.pos += 1;
        }
        let text = std::str::from_utf8(&self.input[start..self.pos]).map_err(|_| "bad date")?;
        if quoted {
            self.expect(b"\"")?;
        }
        date(text).ok_or_else(|| "invalid date".into())
    }

    fn sort(&mut self, uid: bool) -> R<Command> {
        self.sp()?;
        let ret = self.search_return()?;
        let mut keys = Vec::new();
        let crit = self.list(false, |p| {
            let reverse = p.eat(b"REVERSE ");
            let criterion = match p.atom()?.to_ascii_uppercase().as_slice() {
                b"ARRIVAL" => SortCriterion::Arrival,
                b"CC" => SortCriterion::Cc,
                b"DATE" => SortCriterion::Date,
                b"FROM" => SortCriterion::From,
                b"SIZE" => SortCriterion::Size,
                b"SUBJECT" => SortCriterion::Subject,
                b"TO" => SortCriterion::To,
                b"DISPLAYFROM" => SortCriterion::DisplayFrom,
                b"DISPLAYTO" => SortCriterion::DisplayTo,
                _ => return Err("unknown sort criterion".into()),
            };
            Ok(SortKey { reverse, criterion })
        })?;
        keys.extend(crit);
        self.sp()?;
        let charset = self.astring()?;
        self.sp()?;
        let criteria = self.search_program()?;
        Ok(Command::Sort { uid, ret, keys, charset, criteria })
    }

    fn thread(&mut self, uid: bool) -> R<Command> {
        self.sp()?;
        let algorithm = match self.atom()?.to_ascii_uppercase().as_slice() {
            b"ORDEREDSUBJECT" => ThreadAlgorithm::OrderedSubject,
            b"REFERENCES" => ThreadAlgorithm::References,
            _ => return Err("unknown threading algorithm".into()),
        };
        self.sp()?;
        let charset = self.astring()?;
        self.sp()?;
        let criteria = self.search_program()?;
        Ok(Command::Thread { uid, algorithm, charset, criteria })
    }

    fn fetch(&mut self, uid: bool) -> R<Command> {
        self.sp()?;
        let set = self.sequence_set()?;
        self.sp()?;
        let items = if self.peek() == Some(b'(') {
            self.list(false, |p| p.fetch_att())?
        } else if self.eat(b"ALL") {
            vec![FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size, FetchAttr::Envelope]
        } else if self.eat(b"FULL") {
            vec![FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size, FetchAttr::Envelope, FetchAttr::Body]
        } else if self.eat(b"FAST") {
            vec![FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size]
        } else {
            vec![self.fetch_att()?]
        };
        let mut changed_since = None;
        let mut vanished = false;
        if self.eat(b" ") {
            let mods = self.list(false, |p| {
                if p.eat(b"CHANGEDSINCE ") {
                    Ok((Some(p.number()?), false))
                } else if p.eat(b"VANISHED") {
                    Ok((None, true))
                } else {
                    Err("unknown FETCH modifier".into())
                }
            })?;
            for (c, v) in mods {
                if c.is_some() {
                    changed_since = c;
                }
                vanished |= v;
            }
        }
        Ok(Command::Fetch { uid, set, items, changed_since, vanished })
    }

    fn fetch_att(&mut self) -> R<FetchAttr> {
        // Longest names first: RFC822.SIZE before RFC822, BODY.PEEK[ before BODY[ ...
        let simple: &[(&[u8], FetchAttr)] = &[
            (b"ENVELOPE", FetchAttr::Envelope),
            (b"FLAGS", FetchAttr::Flags),
            (b"INTERNALDATE", FetchAttr::InternalDate),
            (b"RFC822.SIZE", FetchAttr::Rfc822Size),
            (b"RFC822.HEADER", FetchAttr::Rfc822Header),
            (b"RFC822.TEXT", FetchAttr::Rfc822Text),
            (b"BODYSTRUCTURE", FetchAttr::BodyStructure),
            (b"UID", FetchAttr::Uid),
            (b"MODSEQ", FetchAttr::ModSeq),
            (b"EMAILID", FetchAttr::EmailId),
            (b"THREADID", FetchAttr::ThreadId),
        ];
        for (name, attr) in simple {
            if self.at(name) && !self.input.get(self.pos + name.len()).is_some_and(|&b| b == b'.' || b == b'[' || b.is_ascii_alphanumeric())
            {
                self.pos += name.len();
                return Ok(attr.clone());
            }
        }
        if self.eat(b"BINARY.SIZE[") {
            let part = self.part_path()?;
            self.expect(b"]")?;
            return Ok(FetchAttr::BinarySize(part));
        }
        if self.at(b"BINARY[") || self.at(b"BINARY.PEEK[") {
            let peek = self.eat(b"BINARY.PEEK[") || !self.eat(b"BINARY[");
            let part = self.part_path()?;
            self.expect(b"]")?;
            let partial = self.partial()?;
            return Ok(FetchAttr::Binary { peek, part, partial });
        }
        if self.at(b"BODY[") || self.at(b"BODY.PEEK[") {
            let peek = self.eat(b"BODY.PEEK[") || !self.eat(b"BODY[");
            let section = self.section()?;
            self.expect(b"]")?;
            let partial = self.partial()?;
            return Ok(FetchAttr::BodySection { peek, section, partial });
        }
        if self.eat(b"BODY") {
            return Ok(FetchAttr::Body);
        }
        if self.eat(b"RFC822") {
            return Ok(FetchAttr::Rfc822);
        }
        Err("unknown FETCH item".into())
    }

    /// `1.2.3` (possibly empty).
    fn part_path(&mut self) -> R<Vec<u32>> {
        let mut part = Vec::new();
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            part.push(self.nz_number()?);
            if !(self.peek() == Some(b'.') && self.input.get(self.pos + 1).is_some_and(u8::is_ascii_digit)) {
                break;
            }
            self.pos += 1;
        }
        Ok(part)
    }

    fn section(&mut self) -> R<Section> {
        let part = self.part_path()?;
        if !part.is_empty() && !self.eat(b".") {
            return Ok(Section { part, text: None });
        }
        if self.peek() == Some(b']') {
            return Ok(Section { part, text: None });
        }
        let not = self.at(b"HEADER.FIELDS.NOT");
        let text = if self.eat(b"HEADER.FIELDS.NOT") || self.eat(b"HEADER.FIELDS") {
            self.sp()?;
            let names = self.list(false, |p| p.astring())?;
            if not { SectionText::HeaderFieldsNot(names) } else { SectionText::HeaderFields(names) }
        } else if self.eat(b"HEADER") {
            SectionText::Header
        } else if self.eat(b"TEXT") {
            SectionText::Text
        } else if self.eat(b"MIME") {
            if part.is_empty() {
                return Err("MIME needs a part number".into());
            }
            SectionText::Mime
        } else {
            return Err("unknown section".into());
        };
        Ok(Section { part, text: Some(text) })
    }

    fn partial(&mut self) -> R<Option<Partial>> {
        if !self.eat(b"<") {
            return Ok(None);
        }
        let offset = u32::try_from(self.number()?).map_err(|_| "offset too large")?;
        self.expect(b".")?;
        let count = self.nz_number()?;
        self.expect(b">")?;
        Ok(Some(Partial { offset, count }))
    }

    fn store(&mut self, uid: bool) -> R<Command> {
        self.sp()?;
        let set = self.sequence_set()?;
        self.sp()?;
        let mut unchanged_since = None;
        if self.peek() == Some(b'(') {
            self.expect(b"(")?;
            self.expect(b"UNCHANGEDSINCE ")?;
            unchanged_since = Some(self.number()?);
            self.expect(b")")?;
            self.sp()?;
        }
        let op = if self.eat(b"+") {
            StoreOp::Add
        } else if self.eat(b"-") {
            StoreOp::Remove
        } else {
            StoreOp::Replace
        };
        self.expect(b"FLAGS")?;
        let silent = self.eat(b".SILENT");
        self.sp()?;
        let flags = if self.peek() == Some(b'(') {
            self.flag_list()?
        } else {
            let mut flags = vec![self.flag()?];
            while self.eat(b" ") {
                flags.push(self.flag()?);
            }
            flags
        };
        Ok(Command::Store { uid, set, unchanged_since, op, silent, flags })
    }

    fn copy(&mut self, uid: bool, is_move: bool) -> R<Command> {
        self.sp()?;
        let set = self.sequence_set()?;
        self.sp()?;
        let mailbox = self.mailbox()?;
        Ok(if is_move { Command::Move { uid, set, mailbox } } else { Command::Copy { uid, set, mailbox } })
    }
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/// `1-Feb-1994`.
fn date(text: &str) -> Option<Date> {
    let mut parts = text.split('-');
    let day: u32 = parts.next()?.trim().parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month_name))? as u32 + 1;
    let year: i32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=31).contains(&day) || !(1..=9999).contains(&year) {
        return None;
    }
    Some(Date { year, month, day })
}

/// `17-Jul-1996 02:44:25 -0700` (day may be space-padded).
fn date_time(bytes: &[u8]) -> Option<DateTime> {
    let text = std::str::from_utf8(bytes).ok()?.trim_start();
    let (d, rest) = text.split_once(' ')?;
    let (time, zone) = rest.split_once(' ')?;
    let date = date(d)?;
    let mut hms = time.split(':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if hms.next().is_some() || h > 23 || m > 59 || s > 60 || zone.len() != 5 {
        return None;
    }
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let zh: i64 = zone.get(1..3)?.parse().ok()?;
    let zm: i64 = zone.get(3..5)?.parse().ok()?;
    let offset = sign * (zh * 60 + zm);
    let days = tresor_types::time::days_from_civil(date.year as i64, date.month as i64, date.day as i64);
    let unix = days * 86_400 + h * 3600 + m * 60 + s - offset * 60;
    Some(DateTime { unix, offset_minutes: offset as i32 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Command {
        match command(s.as_bytes()) {
            Ok(t) => t.command,
            Err(e) => panic!("{s:?}: {e:?}"),
        }
    }

    fn err(s: &str) -> ParseError {
        command(s.as_bytes()).expect_err(s)
    }

    #[test]
    fn real_client_commands_parse() {
        for line in [
            "a UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
            "A1 ID (\"name\" \"iPhone Mail\" \"version\" \"19A346\")\r\n",
            "a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
            "a SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:10 41:50)))\r\n",
            "a APPEND Sent (\\Seen) \"14-Jul-2024 02:44:25 +0200\" {5+}\r\nhello\r\n",
            "a APPEND Sent {1+}\r\na (\\Seen) {1+}\r\nb\r\n",
            "a SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 OR FROM {3}\r\nabc TEXT \"x\" UNSEEN\r\n",
            "a UID SEARCH $\r\n",
            "a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)\r\n",
            "a FETCH 1 (BODY[1.2.MIME] BINARY.PEEK[1]<0.100> BINARY.SIZE[2] BODY.PEEK[]<10.20> RFC822 ENVELOPE)\r\n",
            "a STORE 1:3 (UNCHANGEDSINCE 12) +FLAGS.SILENT (\\Seen $Forwarded)\r\n",
            "a LIST (SUBSCRIBED RECURSIVEMATCH) \"\" (INBOX \"Sent*\") RETURN (CHILDREN STATUS (MESSAGES UNSEEN SIZE))\r\n",
            "a GETMETADATA (MAXSIZE 1024 DEPTH infinity) \"\" (/private/comment /shared/x)\r\n",
            "a SETMETADATA INBOX (/private/comment \"hi\" /private/x NIL)\r\n",
            "a UID SORT RETURN (ALL) (REVERSE DATE SUBJECT) UTF-8 SINCE 1-Feb-1994 NOT DELETED\r\n",
            "a THREAD REFERENCES UTF-8 (OR SEEN FLAGGED) 1:5\r\n",
            "a CREATE Receipts (USE (\\Archive))\r\n",
            "a AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\r\n",
            "a search modseq \"/flags/\\\\draft\" all 620162338 younger 100\r\n",
            "a uid expunge 3:5\r\n",
        ] {
            ok(line);
        }
    }

    #[test]
    fn shapes() {
        assert_eq!(
            ok("t FETCH 2:* FAST\r\n"),
            Command::Fetch {
                uid: false,
                set: SequenceSet::Ranges(vec![SeqRange { from: SeqNum::Value(2), to: SeqNum::Star }]),
                items: vec![FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size],
                changed_since: None,
                vanished: false,
            }
        );
        let Command::Append { messages, .. } = ok("a APPEND INBOX (\\Seen) \" 7-Jul-1996 02:44:25 -0700\" ~{3}\r\na\0b\r\n") else {
            panic!()
        };
        assert_eq!(messages[0].data, b"a\0b");
        assert!(messages[0].binary);
        assert_eq!(messages[0].date.unwrap().unix, 836732665);
        let Command::Search { criteria, .. } = ok("a SEARCH 1:3 NOT (SEEN DELETED) HEADER X-A \"\"\r\n") else { panic!() };
        assert!(matches!(criteria, SearchKey::And(ref k) if k.len() == 3));
        let Command::Fetch { items, .. } = ok("a FETCH 1 BODY.PEEK[HEADER.FIELDS.NOT (Received)]\r\n") else { panic!() };
        assert_eq!(
            items,
            vec![FetchAttr::BodySection {
                peek: true,
                section: Section { part: vec![], text: Some(SectionText::HeaderFieldsNot(vec!["Received".into()])) },
                partial: None
            }]
        );
    }

    #[test]
    fn errors_keep_the_tag() {
        assert_eq!(err("a FROBNICATE\r\n").tag.as_deref(), Some("a"));
        assert_eq!(err("b FETCH 0 FLAGS\r\n").tag.as_deref(), Some("b"));
        assert_eq!(err("c FETCH 1 (FLAGS\r\n").tag.as_deref(), Some("c"));
        assert_eq!(err("d NOOP extra\r\n").tag.as_deref(), Some("d"));
        assert_eq!(err("\r\n").tag, None);
        assert!(err("e LOGIN a\r\n").message.contains("expected"));
        assert!(command(b"f APPEND INBOX {10}\r\nshort\r\n").is_err());
    }

    #[test]
    fn never_panics_on_prefixes() {
        let line = b"a UID FETCH 1:*,3 (BODY.PEEK[1.2.HEADER.FIELDS (A B)]<0.5> BINARY[1] FLAGS) (CHANGEDSINCE 4)\r\n";
        for n in 0..line.len() {
            let _ = command(&line[..n]);
        }
        let _ = command(b"a APPEND x {99999999999999999999}\r\n");
        let _ = command(b"a SEARCH ((((((((\r\n");
    }
}
