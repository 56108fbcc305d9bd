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

/// Parses one complete command: its line(s) ending in CRLF, literals inline.
pub fn command(input: &[u8]) -> Result<Tagged, ParseError> {
    let mut p = Parser { input, pos: 0, depth: 0 };
    let tag = match p.tag() {
        Ok(t) => t,
        Err(message) => return Err(ParseError { tag: None, message }),
    };
    match p.after_tag() {
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

    /// `s` as a whole word: not followed by another atom character.
    fn eat_word(&mut self, s: &[u8]) -> bool {
        let next = self.input.get(self.pos + s.len()).copied();
        if self.at(s) && !next.is_some_and(|b| is_atom_char(b) || b == b']') {
            self.pos += s.len();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, s: &[u8]) -> R<()> {
        if self.eat(s) {
            return Ok(());
        }
        Err(match s {
            b" " => "expected SP".into(),
            b"\r\n" => "expected CRLF".into(),
            _ => format!("expected {}", shown(s)),
        })
    }

    /// SP, the command and its end.
    fn after_tag(&mut self) -> R<Command> {
        self.expect(b" ").map_err(|_| "expected SP after tag".to_string())?;
        let command = self.command()?;
        self.end()?;
        Ok(command)
    }

    /// The end of the command: CRLF and nothing after it.
    fn end(&mut self) -> R<()> {
        match self.peek() {
            None => Err("missing CRLF".into()),
            Some(b'\r') if self.at(b"\r\n") => {
                self.pos += 2;
                if self.pos == self.input.len() { Ok(()) } else { Err("unexpected data after CRLF".into()) }
            }
            Some(_) => Err(format!("unexpected characters after the command: {}", shown(&self.input[self.pos..]))),
        }
    }

    fn sp(&mut self) -> R<()> {
        self.expect(b" ")
    }

    fn crlf(&mut self) -> R<()> {
        self.expect(b"\r\n")
    }

    /// A keyword (command name, search key, option) in upper case.
    fn keyword(&mut self, what: &str) -> R<Vec<u8>> {
        self.atom().map(|a| a.to_ascii_uppercase()).map_err(|_| format!("expected {what}"))
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
        if self.peek() == Some(b'+') {
            return Err("invalid tag".into());
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

    /// `"..."` with `\\` and `\"` escapes; any octet but NUL, CR and LF
    /// (8-bit ones as UTF-8 under IMAP4rev2).
    fn quoted(&mut self) -> R<Vec<u8>> {
        self.expect(b"\"")?;
        // Measure first so the result is allocated once: a password leaves
        // no copies behind in reallocated buffers.
        let (mut i, mut len) = (self.pos, 0);
        loop {
            match self.input.get(i) {
                None | Some(b'\r' | b'\n') => return Err("unterminated quoted string".into()),
                Some(0) => return Err("NUL in quoted string".into()),
                Some(b'"') => break,
                Some(b'\\') => match self.input.get(i + 1) {
                    Some(b'\\' | b'"') => i += 2,
                    _ => return Err("bad escape in quoted string".into()),
                },
                Some(_) => i += 1,
            }
            len += 1;
        }
        let mut out = Vec::with_capacity(len);
        while self.pos < i {
            if self.input[self.pos] == b'\\' {
                self.pos += 1;
            }
            out.push(self.input[self.pos]);
            self.pos += 1;
        }
        self.pos += 1;
        Ok(out)
    }

    /// `{n}\r\n` / `{n+}\r\n` / `~{n}\r\n` and n octets; (bytes, literal8).
    fn literal(&mut self) -> R<(Vec<u8>, bool)> {
        let binary = self.eat(b"~");
        self.expect(b"{")?;
        let n = usize::try_from(self.number()?).map_err(|_| "literal too large")?;
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
        if self.eat_word(b"NIL") {
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
        let name = self.keyword("a command name")?;
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
                if self.eat_word(b"NIL") {
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
                let sub = self.keyword("a command name after UID")?;
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
                    other => return Err(format!("unknown command UID {}", shown(other))),
                }
            }
            other => return Err(format!("unknown command {}", shown(other))),
        };
        Ok(cmd)
    }

    fn select_params(&mut self) -> R<SelectParams> {
        let mut params = SelectParams::default();
        let items = self.list(false, |p| {
            let name = p.keyword("a SELECT parameter")?;
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
            select = self.list(true, |p| match p.keyword("a LIST selection option")?.as_slice() {
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
            ret = self.list(true, |p| match p.keyword("a LIST return option")?.as_slice() {
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
        Ok(match self.keyword("a STATUS item")?.as_slice() {
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

    /// `GETMETADATA [options] mailbox entries`; the options are also taken
    /// after the mailbox, where RFC 5464's own examples put them.
    fn get_metadata(&mut self) -> R<Command> {
        self.sp()?;
        let mut options = MetadataOptions::default();
        if self.peek() == Some(b'(') {
            self.metadata_options(&mut options)?;
            self.sp()?;
        }
        let mailbox = self.mailbox()?;
        self.sp()?;
        if self.at(b"(MAXSIZE ") || self.at(b"(DEPTH ") {
            self.metadata_options(&mut options)?;
            self.sp()?;
        }
        let entries = if self.peek() == Some(b'(') { self.list(false, |p| p.astring())? } else { vec![self.astring()?] };
        Ok(Command::GetMetadata { mailbox, options, entries })
    }

    /// `(MAXSIZE n DEPTH 0|1|infinity)`.
    fn metadata_options(&mut self, options: &mut MetadataOptions) -> R<()> {
        self.list(false, |p| {
            let name = p.keyword("a GETMETADATA option")?;
            p.sp()?;
            match name.as_slice() {
                b"MAXSIZE" => options.max_size = Some(p.number()?),
                b"DEPTH" if p.eat_word(b"infinity") => options.depth = MetadataDepth::Infinity,
                b"DEPTH" => {
                    options.depth = match p.number()? {
                        0 => MetadataDepth::Zero,
                        1 => MetadataDepth::One,
                        _ => return Err("DEPTH is 0, 1 or infinity".into()),
                    }
                }
                _ => return Err(format!("unknown GETMETADATA option {}", shown(&name))),
            }
            Ok(())
        })?;
        Ok(())
    }

    fn search_return(&mut self) -> R<Option<Vec<SearchReturn>>> {
        if !self.at(b"RETURN ") {
            return Ok(None);
        }
        self.pos += 7;
        let r = self.list(true, |p| {
            Ok(match p.keyword("a RETURN option")?.as_slice() {
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
        let name = self.keyword("a search key")?;
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
                    let kind = self.keyword("all, priv or shared")?;
                    if !matches!(kind.as_slice(), b"ALL" | b"PRIV" | b"SHARED") {
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
            _ => return Err(format!("unknown search key {}", shown(&name))),
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
        let text = &self.input[start..self.pos];
        if quoted {
            self.expect(b"\"")?;
        }
        date(text).ok_or_else(|| format!("invalid date {}", shown(text)))
    }

    fn sort(&mut self, uid: bool) -> R<Command> {
        self.sp()?;
        let ret = self.search_return()?;
        let mut keys = Vec::new();
        let crit = self.list(false, |p| {
            let reverse = p.eat(b"REVERSE ");
            let criterion = match p.keyword("a sort criterion")?.as_slice() {
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
        let algorithm = match self.keyword("a threading algorithm")?.as_slice() {
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
        } else if self.eat_word(b"ALL") {
            vec![FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size, FetchAttr::Envelope]
        } else if self.eat_word(b"FULL") {
            vec![FetchAttr::Flags, FetchAttr::InternalDate, FetchAttr::Rfc822Size, FetchAttr::Envelope, FetchAttr::Body]
        } else if self.eat_word(b"FAST") {
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
                } else if p.eat_word(b"VANISHED") {
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
            let peek = self.eat(b"BINARY.PEEK[");
            if !peek {
                self.pos += b"BINARY[".len();
            }
            let part = self.part_path()?;
            self.expect(b"]")?;
            let partial = self.partial()?;
            return Ok(FetchAttr::Binary { peek, part, partial });
        }
        if self.at(b"BODY[") || self.at(b"BODY.PEEK[") {
            let peek = self.eat(b"BODY.PEEK[");
            if !peek {
                self.pos += b"BODY[".len();
            }
            let section = self.section()?;
            self.expect(b"]")?;
            let partial = self.partial()?;
            return Ok(FetchAttr::BodySection { peek, section, partial });
        }
        if self.eat_word(b"BODY") {
            return Ok(FetchAttr::Body);
        }
        if self.eat_word(b"RFC822") {
            return Ok(FetchAttr::Rfc822);
        }
        let start = self.pos;
        let _ = self.atom();
        Err(format!("unknown FETCH item {}", shown(&self.input[start..self.pos])))
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
        if self.peek() == Some(b']') {
            return Ok(Section { part, text: None });
        }
        if !part.is_empty() {
            self.expect(b".")?;
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

/// At most 40 characters of `bytes` for an error message, printable ASCII
/// only (the message goes back to the client on a `BAD` line).
fn shown(bytes: &[u8]) -> String {
    let mut out: String = bytes.iter().take(40).map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '?' }).collect();
    if bytes.len() > 40 {
        out.push_str("...");
    }
    out
}

const MONTHS: [&[u8]; 12] = [b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov", b"dec"];

/// 1 to 4 ASCII digits as a number.
fn digits(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() > 4 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, &d| n * 10 + i64::from(d - b'0')))
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `1-Feb-1994` (day of 1 or 2 digits; a leading space, as in date-time's
/// fixed-width day, is allowed).
fn date(text: &[u8]) -> Option<Date> {
    let text = text.strip_prefix(b" ").unwrap_or(text);
    let mut parts = text.split(|&b| b == b'-');
    let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || day.len() > 2 || year.len() != 4 {
        return None;
    }
    let (day, year) = (digits(day)? as u32, digits(year)? as i32);
    let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? as u32 + 1;
    if day == 0 || day > days_in_month(year, month) || year == 0 {
        return None;
    }
    Some(Date { year, month, day })
}

/// `17-Jul-1996 02:44:25 -0700` (day may be space-padded) as Unix seconds.
fn date_time(bytes: &[u8]) -> Option<DateTime> {
    let split = bytes.iter().skip(1).position(|&b| b == b' ')? + 1;
    let date = date(&bytes[..split])?;
    let rest = &bytes[split + 1..];
    let (time, zone) = (rest.get(..8)?, rest.get(8..)?);
    if time[2] != b':' || time[5] != b':' || zone.len() != 6 || zone[0] != b' ' {
        return None;
    }
    let two = |at: usize, of: &[u8]| of.get(at..at + 2).and_then(digits);
    let (h, m, s) = (two(0, time)?, two(3, time)?, two(6, time)?);
    let sign = match zone[1] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (zh, zm) = (two(2, zone)?, two(4, zone)?);
    if h > 23 || m > 59 || s > 60 || zm > 59 {
        return None;
    }
    let offset = sign * (zh * 60 + zm);
    let days = tresor_types::time::days_from_civil(date.year as i64, date.month as i64, date.day as i64);
    let unix = days * 86_400 + h * 3600 + m * 60 + s - offset * 60;
    Some(DateTime { unix, offset_minutes: offset as i32 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Command {
        ok_bytes(s.as_bytes())
    }

    fn ok_bytes(s: &[u8]) -> Command {
        match command(s) {
            Ok(t) => t.command,
            Err(e) => panic!("{:?}: {e:?}", String::from_utf8_lossy(s)),
        }
    }

    fn check(input: &str, expected: Command) {
        assert_eq!(ok(input), expected, "{input:?}");
    }

    fn err(s: &str) -> ParseError {
        command(s.as_bytes()).expect_err(s)
    }

    /// `1,3:5,7:*` as a set, through the parser (checked on its own below).
    fn set(s: &str) -> SequenceSet {
        let mut p = Parser { input: s.as_bytes(), pos: 0, depth: 0 };
        let set = p.sequence_set().expect(s);
        assert_eq!(p.pos, s.len(), "{s}");
        set
    }

    fn range(from: SeqNum, to: SeqNum) -> SeqRange {
        SeqRange { from, to }
    }

    fn v(n: u32) -> SeqNum {
        SeqNum::Value(n)
    }

    fn search(s: &str) -> SearchKey {
        match ok(&format!("t SEARCH {s}\r\n")) {
            Command::Search { criteria, .. } => criteria,
            other => panic!("{other:?}"),
        }
    }

    fn fetch_items(s: &str) -> Vec<FetchAttr> {
        match ok(&format!("t FETCH 1 {s}\r\n")) {
            Command::Fetch { items, .. } => items,
            other => panic!("{other:?}"),
        }
    }

    fn section(part: &[u32], text: Option<SectionText>) -> Section {
        Section { part: part.to_vec(), text }
    }

    fn body(peek: bool, section: Section, partial: Option<(u32, u32)>) -> FetchAttr {
        FetchAttr::BodySection { peek, section, partial: partial.map(|(offset, count)| Partial { offset, count }) }
    }

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn real_client_commands_parse() {
        for line in [
            // Thunderbird.
            "1 capability\r\n",
            "2 authenticate PLAIN\r\n",
            "3 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")\r\n",
            "4 enable CONDSTORE\r\n",
            "5 select \"INBOX\" (CONDSTORE)\r\n",
            "6 list (SUBSCRIBED) \"\" \"*\" RETURN (SPECIAL-USE)\r\n",
            "7 UID fetch 1:* (FLAGS) (CHANGEDSINCE 12345)\r\n",
            "8 UID fetch 1 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
            "a UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
            "9 UID fetch 42 (UID RFC822.SIZE BODY.PEEK[]<0.32768>)\r\n",
            "10 uid store 42 +Flags (\\Seen)\r\n",
            "11 uid move 42 \"Trash\"\r\n",
            "12 IDLE\r\n",
            "13 getquotaroot \"INBOX\"\r\n",
            "14 STATUS \"Sent\" (UIDNEXT MESSAGES UNSEEN RECENT)\r\n",
            "15 lsub \"\" \"*\"\r\n",
            "16 namespace\r\n",
            "17 UID fetch 3:7 (UID FLAGS) (CHANGEDSINCE 9 VANISHED)\r\n",
            // iOS / macOS Mail.
            "A1 ID (\"name\" \"iPhone Mail\" \"version\" \"19A346\")\r\n",
            "1 ID (\"name\" \"iPhone Mail\" \"version\" \"19A346\" \"os\" \"iOS\" \"os-version\" \"15.0 (19A346)\")\r\n",
            "2 LIST \"\" \"\"\r\n",
            "3 LIST \"\" \"*\" RETURN (CHILDREN SPECIAL-USE)\r\n",
            "4 EXAMINE INBOX (CONDSTORE)\r\n",
            "5 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5)\r\n",
            "6 UID SEARCH 1:* NOT DELETED\r\n",
            "7 UID FETCH 1:5 (BODYSTRUCTURE UID)\r\n",
            "8 UID FETCH 5 (BODY.PEEK[1]<0.4096>)\r\n",
            "9 UID STORE 4 +FLAGS.SILENT (\\Seen)\r\n",
            "10 STATUS INBOX (UIDNEXT MESSAGES UNSEEN HIGHESTMODSEQ)\r\n",
            "a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n",
            "a SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:10 41:50)))\r\n",
            "11 APPEND \"Drafts\" (\\Seen \\Draft) {5+}\r\nhello\r\n",
            // Outlook.
            "A001 AUTHENTICATE XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==\r\n",
            "A002 FETCH 1:* (FLAGS)\r\n",
            "A003 UID FETCH 1:* (UID FLAGS)\r\n",
            "A004 STATUS \"INBOX\" (MESSAGES UNSEEN RECENT UIDVALIDITY UIDNEXT)\r\n",
            "A005 UID STORE 1:3 +FLAGS (\\Deleted)\r\n",
            "A006 EXPUNGE\r\n",
            "A007 CHECK\r\n",
            // mbsync.
            "1 LOGIN \"user@example.org\" \"pa\\\"ss\\\\word\"\r\n",
            "2 UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (X-TUID)])\r\n",
            "3 UID FETCH 1:5 (UID INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (X-TUID MESSAGE-ID)])\r\n",
            "4 APPEND \"INBOX\" (\\Seen) \"14-Jul-2024 02:44:25 +0200\" {5+}\r\nhello\r\n",
            "a APPEND Sent (\\Seen) \"14-Jul-2024 02:44:25 +0200\" {5+}\r\nhello\r\n",
            "5 UID STORE 3 +FLAGS.SILENT \\Deleted\r\n",
            "6 CREATE \"Archive/2024\"\r\n",
            "7 UID EXPUNGE 3:5\r\n",
            "8 COMPRESS DEFLATE\r\n",
            "9 CLOSE\r\n",
            "10 LOGOUT\r\n",
            // K-9 / Evolution / Gmail-ish names.
            "k1 UID SEARCH UID 1:* NOT DELETED\r\n",
            "k2 SELECT \"[Gmail]/Sent Mail\"\r\n",
            "k3 LIST \"\" \"[Gmail]/%\"\r\n",
            "k4 LIST \"\" %\r\n",
            "k5 SELECT Entwürfe\r\n",
            "k6 STARTTLS\r\n",
            "k7 UNSELECT\r\n",
            "k8 NOOP\r\n",
            // imaptest style.
            "a SEARCH OR OR SEEN FLAGGED DELETED\r\n",
            "a FETCH 1:* (BODY[HEADER.FIELDS (DATE FROM)])\r\n",
            "a search undeleted sentbefore 1-jan-2000\r\n",
            "a SORT (REVERSE ARRIVAL) US-ASCII ALL\r\n",
            "a THREAD ORDEREDSUBJECT US-ASCII ALL\r\n",
            "a append inbox (\\deleted) {5}\r\nhello\r\n",
            "a SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 OR FROM {3}\r\nabc TEXT \"x\" UNSEEN\r\n",
            "a UID SEARCH $\r\n",
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
            "a GETQUOTA \"\"\r\n",
            "a SETQUOTA \"\" (STORAGE 512)\r\n",
        ] {
            ok(line);
        }
    }

    #[test]
    fn tags_and_names() {
        for (line, tag) in [("a001 NOOP\r\n", "a001"), ("* NOOP\r\n", ""), ("x.y-z_1 noop\r\n", "x.y-z_1"), ("]] Noop\r\n", "]]")] {
            match command(line.as_bytes()) {
                Ok(t) => assert_eq!(t.tag, tag, "{line:?}"),
                Err(e) => assert!(tag.is_empty() && e.tag.is_none(), "{line:?}: {e:?}"),
            }
        }
        assert_eq!(err("a+ NOOP\r\n").tag, None);
        assert_eq!(err("a+ NOOP\r\n").message, "invalid tag");
        assert_eq!(err("a\r\n").message, "expected SP after tag");
        assert_eq!(err("a  NOOP\r\n").message, "expected a command name");
        for name in ["capability", "CAPABILITY", "CaPaBiLiTy"] {
            check(&format!("t {name}\r\n"), Command::Capability);
        }
        check("t logout\r\n", Command::Logout);
        check("t starttls\r\n", Command::StartTls);
        check("t namespace\r\n", Command::Namespace);
        check("t idle\r\n", Command::Idle);
        check("t check\r\n", Command::Check);
        check("t close\r\n", Command::Close);
        check("t unselect\r\n", Command::Unselect);
        check("t expunge\r\n", Command::Expunge(None));
        check("t uid expunge 4,7:9\r\n", Command::Expunge(Some(set("4,7:9"))));
    }

    #[test]
    fn sequence_sets() {
        assert_eq!(set("1"), SequenceSet::Ranges(vec![range(v(1), v(1))]));
        assert_eq!(
            set("1,3:5,7:*,*"),
            SequenceSet::Ranges(vec![range(v(1), v(1)), range(v(3), v(5)), range(v(7), SeqNum::Star), range(SeqNum::Star, SeqNum::Star)])
        );
        assert_eq!(set("5:2"), SequenceSet::Ranges(vec![range(v(5), v(2))]), "either order, as sent");
        assert_eq!(set("4294967295"), SequenceSet::Ranges(vec![range(v(u32::MAX), v(u32::MAX))]));
        assert_eq!(set("$"), SequenceSet::Saved);
        for bad in ["0", "1:0", "4294967296", "1,", ",1", "1::2", ":", "a"] {
            assert!(command(format!("t FETCH {bad} FLAGS\r\n").as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn atoms_quoted_strings_and_literals() {
        let login = |s: &str| match ok(s) {
            Command::Login { user, password } => (user, password.to_string()),
            other => panic!("{other:?}"),
        };
        assert_eq!(login("a LOGIN bob secret\r\n"), ("bob".into(), "secret".into()));
        assert_eq!(login("a LOGIN \"b o\\\\b\" \"s\\\"t\"\r\n"), ("b o\\b".into(), "s\"t".into()));
        assert_eq!(login("a LOGIN {3}\r\nbob {5+}\r\nse\r\nt\r\n"), ("bob".into(), "se\r\nt".into()));
        assert_eq!(login("a LOGIN \"\" \"\"\r\n"), (String::new(), String::new()));
        assert_eq!(login("a LOGIN jürgen \"pässwörd\"\r\n"), ("jürgen".into(), "pässwörd".into()));
        assert_eq!(login("a LOGIN ]x[ p\r\n"), ("]x[".into(), "p".into()));
        assert!(err("a LOGIN \"bob\\x\" p\r\n").message.contains("escape"));
        assert!(err("a LOGIN \"bob p\r\n").message.contains("unterminated"));
        assert!(err("a LOGIN \"b\0b\" p\r\n").message.contains("NUL"));
        assert!(err("a LOGIN bob\r\n").message.contains("expected SP"));
        assert!(command(b"a LOGIN bob ~{1}\r\nx\r\n").is_err(), "literal8 only where binary data may go");
        // Invalid UTF-8 in a mailbox name or user name is refused, not replaced.
        assert!(command(b"a SELECT \"\xff\xfe\"\r\n").unwrap_err().message.contains("UTF-8"));
        assert!(command(b"a SELECT {2}\r\n\xc3\x28\r\n").unwrap_err().message.contains("UTF-8"));
        assert!(command(b"a LOGIN \xff p\r\n").is_err());
    }

    #[test]
    fn id_enable_authenticate() {
        check("a ID NIL\r\n", Command::Id(None));
        check("a id nil\r\n", Command::Id(None));
        check(
            "A1 ID (\"name\" \"iPhone Mail\" \"version\" \"19A346\")\r\n",
            Command::Id(Some(vec![("name".into(), Some("iPhone Mail".into())), ("version".into(), Some("19A346".into()))])),
        );
        check("a ID (\"k\" NIL \"x\" {2}\r\nyz)\r\n", Command::Id(Some(vec![("k".into(), None), ("x".into(), Some("yz".into()))])));
        assert!(command(b"a ID NILS\r\n").is_err());
        assert!(command(b"a ID (\"k\")\r\n").is_err());
        check("a ENABLE CONDSTORE QRESYNC UTF8=ACCEPT\r\n", Command::Enable(strings(&["CONDSTORE", "QRESYNC", "UTF8=ACCEPT"])));
        assert!(err("a ENABLE\r\n").message.contains("capability"));
        check("a AUTHENTICATE PLAIN\r\n", Command::Authenticate { mechanism: "PLAIN".into(), initial: None });
        check("a AUTHENTICATE PLAIN =\r\n", Command::Authenticate { mechanism: "PLAIN".into(), initial: Some("=".into()) });
        check(
            "a authenticate plain AGJvYgBzZWNyZXQ=\r\n",
            Command::Authenticate { mechanism: "plain".into(), initial: Some("AGJvYgBzZWNyZXQ=".into()) },
        );
        assert!(command(b"a AUTHENTICATE PLAIN AG*=\r\n").is_err());
        check("a COMPRESS DEFLATE\r\n", Command::Compress("DEFLATE".into()));
    }

    #[test]
    fn mailbox_commands() {
        check("a SELECT INBOX\r\n", Command::Select { mailbox: "INBOX".into(), read_only: false, params: SelectParams::default() });
        check(
            "a EXAMINE \"Sent Items\" (CONDSTORE)\r\n",
            Command::Select { mailbox: "Sent Items".into(), read_only: true, params: SelectParams { condstore: true, qresync: None } },
        );
        let qresync = |s: &str| match ok(s) {
            Command::Select { params, .. } => params.qresync.expect("QRESYNC"),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            qresync("a SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n"),
            QResync { uid_validity: 67890007, modseq: 20050715194045000, known_uids: Some(set("41,43:211,214:541")), seq_match: None }
        );
        assert_eq!(
            qresync("a SELECT INBOX (QRESYNC (67890007 90060115194045000 41:211,214:541 (1:10 41:50)))\r\n"),
            QResync {
                uid_validity: 67890007,
                modseq: 90060115194045000,
                known_uids: Some(set("41:211,214:541")),
                seq_match: Some((set("1:10"), set("41:50"))),
            }
        );
        assert_eq!(
            qresync("a select inbox (condstore qresync (1 2 (3 4)))\r\n"),
            QResync { uid_validity: 1, modseq: 2, known_uids: None, seq_match: Some((set("3"), set("4"))) }
        );
        assert_eq!(qresync("a SELECT INBOX (QRESYNC (1 0))\r\n").known_uids, None);
        assert!(command(b"a SELECT INBOX ()\r\n").is_err());
        assert!(command(b"a SELECT INBOX (QRESYNC (0 5))\r\n").is_err(), "UIDVALIDITY is non-zero");
        assert!(err("a SELECT INBOX (FOO)\r\n").message.contains("SELECT parameter"));
        check("a CREATE x\r\n", Command::Create { mailbox: "x".into(), special_use: vec![] });
        check(
            "a CREATE Receipts (USE (\\Archive \\Sent))\r\n",
            Command::Create { mailbox: "Receipts".into(), special_use: strings(&["\\Archive", "\\Sent"]) },
        );
        check("a DELETE \"a b\"\r\n", Command::Delete("a b".into()));
        check("a RENAME a {1}\r\nb\r\n", Command::Rename { from: "a".into(), to: "b".into() });
        check("a SUBSCRIBE INBOX.x\r\n", Command::Subscribe("INBOX.x".into()));
        check("a UNSUBSCRIBE \"\"\r\n", Command::Unsubscribe("".into()));
        check(
            "a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE HIGHESTMODSEQ APPENDLIMIT MAILBOXID)\r\n",
            Command::Status {
                mailbox: "INBOX".into(),
                items: vec![
                    StatusItem::Messages,
                    StatusItem::Recent,
                    StatusItem::UidNext,
                    StatusItem::UidValidity,
                    StatusItem::Unseen,
                    StatusItem::Deleted,
                    StatusItem::Size,
                    StatusItem::HighestModSeq,
                    StatusItem::AppendLimit,
                    StatusItem::MailboxId,
                ],
            },
        );
        assert!(err("a STATUS INBOX (MESSAGES FOO)\r\n").message.contains("STATUS item"));
        assert!(command(b"a STATUS INBOX ()\r\n").is_err());
    }

    #[test]
    fn list_and_lsub() {
        let basic = |reference: &str, pattern: &str| {
            Command::List(List { reference: reference.into(), patterns: vec![pattern.into()], select: vec![], ret: vec![] })
        };
        check("a LIST \"\" *\r\n", basic("", "*"));
        check("a LIST \"\" %\r\n", basic("", "%"));
        check("a list \"\" \"\"\r\n", basic("", ""));
        check("a LIST ~/Mail/ %/x*]\r\n", basic("~/Mail/", "%/x*]"));
        check("a LIST \"\" {5}\r\nSent*\r\n", basic("", "Sent*"));
        check(
            "a LIST (SUBSCRIBED REMOTE RECURSIVEMATCH SPECIAL-USE) ref (pat1 \"pat 2\") RETURN (SUBSCRIBED CHILDREN SPECIAL-USE STATUS (MESSAGES UNSEEN))\r\n",
            Command::List(List {
                reference: "ref".into(),
                patterns: strings(&["pat1", "pat 2"]),
                select: vec![ListSelect::Subscribed, ListSelect::Remote, ListSelect::RecursiveMatch, ListSelect::SpecialUse],
                ret: vec![
                    ListReturn::Subscribed,
                    ListReturn::Children,
                    ListReturn::SpecialUse,
                    ListReturn::Status(vec![StatusItem::Messages, StatusItem::Unseen]),
                ],
            }),
        );
        check(
            "a LIST () \"\" * RETURN ()\r\n",
            Command::List(List { reference: "".into(), patterns: strings(&["*"]), select: vec![], ret: vec![] }),
        );
        assert!(err("a LIST (RECURSIVEMATCH) \"\" *\r\n").message.contains("RECURSIVEMATCH"));
        assert!(command(b"a LIST \"\" ()\r\n").is_err());
        assert!(command(b"a LIST \"\" * RETURN\r\n").is_err());
        assert!(command(b"a LIST \"\" * FOO (X)\r\n").is_err());
        assert!(command(b"a LIST \"\"\r\n").is_err());
        check("a LSUB \"\" \"*\"\r\n", Command::Lsub { reference: "".into(), pattern: "*".into() });
        check("a lsub INBOX. %\r\n", Command::Lsub { reference: "INBOX.".into(), pattern: "%".into() });
    }

    #[test]
    fn append() {
        let messages = |s: &[u8]| match ok_bytes(s) {
            Command::Append { mailbox, messages } => (mailbox, messages),
            other => panic!("{other:?}"),
        };
        let (mailbox, m) = messages(b"a APPEND Sent (\\Seen) \"14-Jul-2024 02:44:25 +0200\" {5+}\r\nhello\r\n");
        assert_eq!(mailbox, "Sent");
        assert_eq!(
            m,
            vec![AppendMessage {
                flags: strings(&["\\Seen"]),
                date: Some(DateTime { unix: 1_720_917_865, offset_minutes: 120 }),
                data: b"hello".to_vec(),
                binary: false,
            }]
        );
        let (_, m) = messages(b"a APPEND INBOX {0}\r\n\r\n");
        assert_eq!(m, vec![AppendMessage { flags: vec![], date: None, data: vec![], binary: false }]);
        let (_, m) = messages(b"a APPEND INBOX () \" 7-Jul-1996 02:44:25 -0700\" ~{3}\r\na\0b\r\n");
        assert_eq!(
            (m[0].data.as_slice(), m[0].binary, m[0].date),
            (&b"a\0b"[..], true, Some(DateTime { unix: 836_732_665, offset_minutes: -420 }))
        );
        // MULTIAPPEND: literal bytes are never parsed, even when they look like syntax.
        let (_, m) =
            messages(b"a APPEND INBOX {12}\r\n) {3}\r\nx\r\n\"a (\\Draft) \"1-Jan-2000 00:00:00 +0000\" {1+}\r\nb ~{2}\r\n\0\0\r\n");
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].data, b") {3}\r\nx\r\n\"a");
        assert_eq!(
            (m[1].flags.clone(), m[1].date.map(|d| d.unix), m[1].data.clone()),
            (strings(&["\\Draft"]), Some(946_684_800), b"b".to_vec())
        );
        assert_eq!((m[2].data.as_slice(), m[2].binary), (&b"\0\0"[..], true));
        // RFC 6855 UTF8 (literal8).
        let (_, m) = messages(b"a APPEND INBOX UTF8 (~{2}\r\n\xc3\xa4)\r\n");
        assert_eq!((m[0].data.as_slice(), m[0].binary), (&b"\xc3\xa4"[..], true));
        for bad in [
            &b"a APPEND INBOX\r\n"[..],
            b"a APPEND INBOX (\\Seen)\r\n",
            b"a APPEND INBOX \"14-Jul-2024 02:44:25 +0200\"\r\n",
            b"a APPEND INBOX \"31-Feb-2024 02:44:25 +0200\" {1}\r\nx\r\n",
            b"a APPEND INBOX \"14-Jul-2024 2:44:25 +0200\" {1}\r\nx\r\n",
            b"a APPEND INBOX \"14-Jul-2024 02:44:25 0200\" {1}\r\nx\r\n",
            b"a APPEND INBOX {1}\r\nx \r\n",
            b"a APPEND INBOX {5}\r\nabc\r\n",
            b"a APPEND INBOX hello\r\n",
        ] {
            assert!(command(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn date_and_time() {
        assert_eq!(date(b"1-Feb-1994"), Some(Date { year: 1994, month: 2, day: 1 }));
        assert_eq!(date(b"29-feb-2024"), Some(Date { year: 2024, month: 2, day: 29 }));
        for bad in [
            &b"29-Feb-2023"[..],
            b"0-Jan-2000",
            b"32-Jan-2000",
            b"1-Foo-2000",
            b"1-Jan-99",
            b"100-Jan-2000",
            b"1-Jan-2000-1",
            b"+1-Jan-2000",
        ] {
            assert_eq!(date(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        let dt = |s: &str| date_time(s.as_bytes());
        assert_eq!(dt("17-Jul-1996 02:44:25 -0700"), Some(DateTime { unix: 837_596_665, offset_minutes: -420 }));
        assert_eq!(dt(" 1-Jan-1970 00:00:00 +0000"), Some(DateTime { unix: 0, offset_minutes: 0 }));
        assert_eq!(dt("01-Jan-1970 05:30:00 +0530"), Some(DateTime { unix: 0, offset_minutes: 330 }));
        assert_eq!(dt("31-Dec-1969 23:59:59 +0000").map(|d| d.unix), Some(-1));
        for bad in [
            "17-Jul-1996 02:44:25",
            "17-Jul-1996 24:00:00 +0000",
            "17-Jul-1996 02:44:25 +0060",
            "17-Jul-1996T02:44:25 +0000",
            "",
            " ",
            "17-Jul-1996 02:4:255 +0000",
        ] {
            assert_eq!(dt(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn quota_and_metadata() {
        check("a GETQUOTA \"\"\r\n", Command::GetQuota("".into()));
        check("a GETQUOTAROOT INBOX\r\n", Command::GetQuotaRoot("INBOX".into()));
        check("a SETQUOTA \"\" (STORAGE 512)\r\n", Command::SetQuota { root: "".into(), limits: vec![("STORAGE".into(), 512)] });
        check("a SETQUOTA x ()\r\n", Command::SetQuota { root: "x".into(), limits: vec![] });
        let get = |mailbox: &str, max_size, depth, entries: &[&str]| Command::GetMetadata {
            mailbox: mailbox.into(),
            options: MetadataOptions { max_size, depth },
            entries: strings(entries),
        };
        check("a GETMETADATA \"\" /private/comment\r\n", get("", None, MetadataDepth::Zero, &["/private/comment"]));
        check(
            "a GETMETADATA (MAXSIZE 1024 DEPTH infinity) \"\" (/private/comment /shared/x)\r\n",
            get("", Some(1024), MetadataDepth::Infinity, &["/private/comment", "/shared/x"]),
        );
        check("a GETMETADATA (DEPTH 1) INBOX (/shared/comment)\r\n", get("INBOX", None, MetadataDepth::One, &["/shared/comment"]));
        check("a GETMETADATA INBOX (DEPTH 1) (/shared/comment)\r\n", get("INBOX", None, MetadataDepth::One, &["/shared/comment"]));
        check("a getmetadata INBOX (depth 0 maxsize 5) /s\r\n", get("INBOX", Some(5), MetadataDepth::Zero, &["/s"]));
        assert!(err("a GETMETADATA (DEPTH 2) INBOX /s\r\n").message.contains("DEPTH"));
        assert!(command(b"a GETMETADATA INBOX ()\r\n").is_err());
        check(
            "a SETMETADATA INBOX (/private/comment \"hi\" /shared/x NIL /shared/y {2}\r\nab /shared/z ~{1}\r\n\0)\r\n",
            Command::SetMetadata {
                mailbox: "INBOX".into(),
                entries: vec![
                    ("/private/comment".into(), Some(b"hi".to_vec())),
                    ("/shared/x".into(), None),
                    ("/shared/y".into(), Some(b"ab".to_vec())),
                    ("/shared/z".into(), Some(b"\0".to_vec())),
                ],
            },
        );
        assert!(command(b"a SETMETADATA INBOX ()\r\n").is_err());
        assert!(command(b"a SETMETADATA INBOX (/private/x)\r\n").is_err());
    }

    #[test]
    fn search_keys() {
        use SearchKey::*;
        let d = |year, month, day| Date { year, month, day };
        for (text, key) in [
            ("ALL", All),
            ("answered", Answered),
            ("DELETED", Deleted),
            ("DRAFT", Draft),
            ("FLAGGED", Flagged),
            ("SEEN", Seen),
            ("RECENT", Recent),
            ("NEW", New),
            ("OLD", Old),
            ("UNANSWERED", Unanswered),
            ("UNDELETED", Undeleted),
            ("UNDRAFT", Undraft),
            ("UNFLAGGED", Unflagged),
            ("UNSEEN", Unseen),
            ("KEYWORD $Forwarded", Keyword("$Forwarded".into())),
            ("UNKEYWORD Junk", Unkeyword("Junk".into())),
            ("BCC a", Bcc(b"a".to_vec())),
            ("CC \"b c\"", Cc(b"b c".to_vec())),
            ("FROM {3}\r\nx\"y", From(b"x\"y".to_vec())),
            ("TO \"\\\\\"", To(b"\\".to_vec())),
            ("SUBJECT \"ä\"", Subject("ä".as_bytes().to_vec())),
            ("BODY z", Body(b"z".to_vec())),
            ("TEXT \"\"", Text(vec![])),
            ("HEADER Message-ID <a@b>", Header("Message-ID".into(), b"<a@b>".to_vec())),
            ("HEADER X-Spam \"\"", Header("X-Spam".into(), vec![])),
            ("BEFORE 1-Feb-1994", Before(d(1994, 2, 1))),
            ("ON \"01-feb-1994\"", On(d(1994, 2, 1))),
            ("SINCE 31-Dec-2023", Since(d(2023, 12, 31))),
            ("SENTBEFORE 1-Jan-2000", SentBefore(d(2000, 1, 1))),
            ("SENTON 2-Mar-2001", SentOn(d(2001, 3, 2))),
            ("SENTSINCE 29-Feb-2000", SentSince(d(2000, 2, 29))),
            ("LARGER 1024", Larger(1024)),
            ("SMALLER 0", Smaller(0)),
            ("OLDER 3600", Older(3600)),
            ("YOUNGER 60", Younger(60)),
            ("MODSEQ 620162338", ModSeq(620162338)),
            ("MODSEQ \"/flags/\\\\Seen\" priv 5", ModSeq(5)),
            ("EMAILID M6d99ac3275bb4e", EmailId("M6d99ac3275bb4e".into())),
            ("THREADID T64b478a75b7ea9", ThreadId("T64b478a75b7ea9".into())),
            ("UID 1:*", Uid(set("1:*"))),
            ("UID $", Uid(saved())),
            ("2,4:*", SequenceSet(set("2,4:*"))),
            ("$", SequenceSet(saved())),
            ("NOT SEEN", Not(Box::new(Seen))),
            ("OR SEEN FLAGGED", Or(Box::new(Seen), Box::new(Flagged))),
            ("(SEEN)", And(vec![Seen])),
            ("(SEEN (DRAFT 1))", And(vec![Seen, And(vec![Draft, SequenceSet(set("1"))])])),
            ("SEEN FLAGGED", And(vec![Seen, Flagged])),
            (
                "OR (SEEN DRAFT) NOT 1:3 UNSEEN",
                And(vec![Or(Box::new(And(vec![Seen, Draft])), Box::new(Not(Box::new(SequenceSet(set("1:3")))))), Unseen]),
            ),
            ("OR OR SEEN FLAGGED DELETED", Or(Box::new(Or(Box::new(Seen), Box::new(Flagged))), Box::new(Deleted))),
        ] {
            assert_eq!(search(text), key, "{text:?}");
        }
        for bad in [
            "",
            "FOO",
            "SEEN ",
            " SEEN",
            "SEEN  FLAGGED",
            "()",
            "(SEEN",
            "SEEN)",
            "OR SEEN",
            "NOT",
            "LARGER x",
            "SINCE 30-Feb-2020",
            "SINCE \"1-Feb-1994",
            "MODSEQ \"/flags/\\\\Seen\" foo 5",
            "MODSEQ \"/flags/\\\\Seen\" 5",
            "HEADER X",
            "UID 0",
            "KEYWORD",
            "EMAILID",
        ] {
            assert!(command(format!("t SEARCH {bad}\r\n").as_bytes()).is_err(), "{bad:?}");
        }
    }

    fn saved() -> SequenceSet {
        SequenceSet::Saved
    }

    #[test]
    fn search_return_and_charset() {
        check(
            "a SEARCH RETURN (MIN COUNT SAVE) CHARSET UTF-8 OR FROM {3}\r\nabc TEXT \"x\" UNSEEN\r\n",
            Command::Search {
                uid: false,
                charset: Some("UTF-8".into()),
                ret: Some(vec![SearchReturn::Min, SearchReturn::Count, SearchReturn::Save]),
                criteria: SearchKey::And(vec![
                    SearchKey::Or(Box::new(SearchKey::From(b"abc".to_vec())), Box::new(SearchKey::Text(b"x".to_vec()))),
                    SearchKey::Unseen,
                ]),
            },
        );
        check(
            "a UID SEARCH $\r\n",
            Command::Search { uid: true, charset: None, ret: None, criteria: SearchKey::SequenceSet(SequenceSet::Saved) },
        );
        assert_eq!(
            ok_bytes(b"a uid search return () charset \"iso-8859-1\" subject {1}\r\n\xe4\r\n"),
            Command::Search { uid: true, charset: Some("iso-8859-1".into()), ret: Some(vec![]), criteria: SearchKey::Subject(vec![0xe4]) },
        );
        check(
            "a SEARCH RETURN (MAX ALL) ALL\r\n",
            Command::Search { uid: false, charset: None, ret: Some(vec![SearchReturn::Max, SearchReturn::All]), criteria: SearchKey::All },
        );
        assert!(command(b"a SEARCH CHARSET UTF-8\r\n").is_err());
        assert!(command(b"a SEARCH RETURN (FOO) ALL\r\n").is_err());
        assert!(command(b"a SEARCH CHARSET UTF-8 RETURN (MIN) ALL\r\n").is_err(), "RETURN comes first");
    }

    #[test]
    fn search_nesting_is_bounded() {
        let deep = format!("t SEARCH {}SEEN{}\r\n", "(".repeat(5000), ")".repeat(5000));
        assert!(err(&deep).message.contains("deeply"));
        let nots = format!("t SEARCH {}SEEN\r\n", "NOT ".repeat(5000));
        assert!(err(&nots).message.contains("deeply"));
        let ors = format!("t SEARCH {}SEEN{}\r\n", "OR SEEN ".repeat(5000), "");
        assert!(command(ors.as_bytes()).is_err());
        let fine = format!("t SEARCH {}SEEN{}\r\n", "(".repeat(30), ")".repeat(30));
        ok(&fine);
    }

    #[test]
    fn sort_and_thread() {
        check(
            "a UID SORT RETURN (ALL) (REVERSE DATE SUBJECT) UTF-8 SINCE 1-Feb-1994 NOT DELETED\r\n",
            Command::Sort {
                uid: true,
                ret: Some(vec![SearchReturn::All]),
                keys: vec![
                    SortKey { reverse: true, criterion: SortCriterion::Date },
                    SortKey { reverse: false, criterion: SortCriterion::Subject },
                ],
                charset: "UTF-8".into(),
                criteria: SearchKey::And(vec![
                    SearchKey::Since(Date { year: 1994, month: 2, day: 1 }),
                    SearchKey::Not(Box::new(SearchKey::Deleted)),
                ]),
            },
        );
        let Command::Sort { keys, .. } =
            ok("a sort (reverse arrival cc date from size subject to displayfrom reverse displayto) us-ascii all\r\n")
        else {
            panic!()
        };
        assert_eq!(
            keys.iter().map(|k| (k.reverse, k.criterion)).collect::<Vec<_>>(),
            vec![
                (true, SortCriterion::Arrival),
                (false, SortCriterion::Cc),
                (false, SortCriterion::Date),
                (false, SortCriterion::From),
                (false, SortCriterion::Size),
                (false, SortCriterion::Subject),
                (false, SortCriterion::To),
                (false, SortCriterion::DisplayFrom),
                (true, SortCriterion::DisplayTo),
            ]
        );
        assert!(command(b"a SORT () UTF-8 ALL\r\n").is_err());
        assert!(command(b"a SORT (FOO) UTF-8 ALL\r\n").is_err());
        assert!(command(b"a SORT (DATE) ALL\r\n").is_err(), "the charset is required");
        check(
            "a THREAD REFERENCES UTF-8 (OR SEEN FLAGGED) 1:5\r\n",
            Command::Thread {
                uid: false,
                algorithm: ThreadAlgorithm::References,
                charset: "UTF-8".into(),
                criteria: SearchKey::And(vec![
                    SearchKey::And(vec![SearchKey::Or(Box::new(SearchKey::Seen), Box::new(SearchKey::Flagged))]),
                    SearchKey::SequenceSet(set("1:5")),
                ]),
            },
        );
        check(
            "a uid thread orderedsubject US-ASCII ALL\r\n",
            Command::Thread { uid: true, algorithm: ThreadAlgorithm::OrderedSubject, charset: "US-ASCII".into(), criteria: SearchKey::All },
        );
        assert!(command(b"a THREAD FOO UTF-8 ALL\r\n").is_err());
    }

    #[test]
    fn fetch_items_and_macros() {
        use FetchAttr::*;
        assert_eq!(fetch_items("FAST"), vec![Flags, InternalDate, Rfc822Size]);
        assert_eq!(fetch_items("all"), vec![Flags, InternalDate, Rfc822Size, Envelope]);
        assert_eq!(fetch_items("FULL"), vec![Flags, InternalDate, Rfc822Size, Envelope, Body]);
        assert_eq!(
            fetch_items(
                "(ENVELOPE FLAGS INTERNALDATE RFC822 RFC822.SIZE RFC822.HEADER RFC822.TEXT BODY BODYSTRUCTURE UID MODSEQ EMAILID THREADID)"
            ),
            vec![
                Envelope,
                Flags,
                InternalDate,
                Rfc822,
                Rfc822Size,
                Rfc822Header,
                Rfc822Text,
                Body,
                BodyStructure,
                Uid,
                ModSeq,
                EmailId,
                ThreadId
            ]
        );
        assert_eq!(fetch_items("uid"), vec![Uid]);
        assert_eq!(fetch_items("BODY"), vec![Body]);
        assert_eq!(fetch_items("BODY[]"), vec![body(false, section(&[], None), None)]);
        assert_eq!(fetch_items("body.peek[]<0.2048>"), vec![body(true, section(&[], None), Some((0, 2048)))]);
        assert_eq!(fetch_items("BODY[HEADER]"), vec![body(false, section(&[], Some(SectionText::Header)), None)]);
        assert_eq!(fetch_items("BODY[TEXT]<5.10>"), vec![body(false, section(&[], Some(SectionText::Text)), Some((5, 10)))]);
        assert_eq!(fetch_items("BODY[1.2]"), vec![body(false, section(&[1, 2], None), None)]);
        assert_eq!(fetch_items("BODY[1.2.MIME]"), vec![body(false, section(&[1, 2], Some(SectionText::Mime)), None)]);
        assert_eq!(fetch_items("BODY.PEEK[2.HEADER]"), vec![body(true, section(&[2], Some(SectionText::Header)), None)]);
        assert_eq!(fetch_items("BODY[3.TEXT]"), vec![body(false, section(&[3], Some(SectionText::Text)), None)]);
        assert_eq!(
            fetch_items("BODY[HEADER.FIELDS (From To)]"),
            vec![body(false, section(&[], Some(SectionText::HeaderFields(strings(&["From", "To"])))), None)]
        );
        assert_eq!(
            fetch_items("BODY.PEEK[1.HEADER.FIELDS.NOT (X \"Y\" {1}\r\nZ)]<0.1>"),
            vec![body(true, section(&[1], Some(SectionText::HeaderFieldsNot(strings(&["X", "Y", "Z"])))), Some((0, 1)))]
        );
        assert_eq!(
            fetch_items("BINARY[1.2]<0.100>"),
            vec![Binary { peek: false, part: vec![1, 2], partial: Some(Partial { offset: 0, count: 100 }) }]
        );
        assert_eq!(fetch_items("BINARY.PEEK[]"), vec![Binary { peek: true, part: vec![], partial: None }]);
        assert_eq!(fetch_items("BINARY.SIZE[3]"), vec![BinarySize(vec![3])]);
        assert_eq!(
            fetch_items("(FLAGS BODY.PEEK[HEADER.FIELDS (DATE)] UID)"),
            vec![Flags, body(true, section(&[], Some(SectionText::HeaderFields(strings(&["DATE"])))), None), Uid]
        );
        for bad in [
            "()",
            "(FLAGS",
            "(FLAGS )",
            "( FLAGS)",
            "FOO",
            "(ALL)",
            "ALLX",
            "BODY[MIME]",
            "BODY[1.]",
            "BODY[0]",
            "BODY[1..2]",
            "BODY[HEADER.FIELDS ()]",
            "BODY[HEADER.FIELDS]",
            "BODY[FOO]",
            "BODY[]<0>",
            "BODY[]<0.0>",
            "BODY[",
            "BODY.PEEK",
            "BINARY[1.TEXT]",
            "BINARY.SIZE[1]<0.1>",
            "RFC822.FOO",
            "FLAGS.SILENT",
        ] {
            assert!(command(format!("t FETCH 1 {bad}\r\n").as_bytes()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn fetch_modifiers() {
        let modifiers = |s: &str| match ok(s) {
            Command::Fetch { uid, changed_since, vanished, .. } => (uid, changed_since, vanished),
            other => panic!("{other:?}"),
        };
        assert_eq!(modifiers("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5)\r\n"), (true, Some(5), false));
        assert_eq!(modifiers("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 5 VANISHED)\r\n"), (true, Some(5), true));
        assert_eq!(modifiers("a uid fetch 1:* flags (vanished changedsince 7)\r\n"), (true, Some(7), true));
        assert_eq!(modifiers("a FETCH $ FAST\r\n"), (false, None, false));
        assert!(command(b"a FETCH 1 FLAGS ()\r\n").is_err());
        assert!(command(b"a FETCH 1 FLAGS (CHANGEDSINCE)\r\n").is_err());
        assert!(command(b"a FETCH 1 FLAGS (FOO 1)\r\n").is_err());
        assert!(command(b"a FETCH 1 FLAGS (VANISHEDX)\r\n").is_err());
    }

    #[test]
    fn store_copy_move() {
        check(
            "a STORE 1:3 (UNCHANGEDSINCE 12) +FLAGS.SILENT (\\Seen $Forwarded)\r\n",
            Command::Store {
                uid: false,
                set: set("1:3"),
                unchanged_since: Some(12),
                op: StoreOp::Add,
                silent: true,
                flags: strings(&["\\Seen", "$Forwarded"]),
            },
        );
        let store = |s: &str| match ok(s) {
            Command::Store { op, silent, flags, uid, .. } => (uid, op, silent, flags),
            other => panic!("{other:?}"),
        };
        assert_eq!(store("a UID STORE 4 -FLAGS \\Deleted Junk\r\n"), (true, StoreOp::Remove, false, strings(&["\\Deleted", "Junk"])));
        assert_eq!(store("a store 4 flags ()\r\n"), (false, StoreOp::Replace, false, vec![]));
        assert_eq!(store("a store 4 flags.silent (\\seen nonjunk)\r\n"), (false, StoreOp::Replace, true, strings(&["\\seen", "nonjunk"])));
        for bad in ["FLAGS", "+FLAGS", "FLAGS  (\\Seen)", "LABELS (x)", "(UNCHANGEDSINCE) FLAGS (x)", "FLAGS (\\)", "*FLAGS (x)"] {
            assert!(command(format!("t STORE 1 {bad}\r\n").as_bytes()).is_err(), "{bad:?}");
        }
        check("a COPY 1:2 Trash\r\n", Command::Copy { uid: false, set: set("1:2"), mailbox: "Trash".into() });
        check("a UID COPY $ \"Sent Items\"\r\n", Command::Copy { uid: true, set: SequenceSet::Saved, mailbox: "Sent Items".into() });
        check("a MOVE * Archive\r\n", Command::Move { uid: false, set: set("*"), mailbox: "Archive".into() });
        check("a uid move 5,7 {5}\r\nJunk!\r\n", Command::Move { uid: true, set: set("5,7"), mailbox: "Junk!".into() });
    }

    #[test]
    fn errors_keep_the_tag() {
        for (line, tag, message) in [
            ("a FROBNICATE\r\n", Some("a"), "unknown command FROBNICATE"),
            ("a UID FROB 1\r\n", Some("a"), "unknown command UID FROB"),
            ("b FETCH 0 FLAGS\r\n", Some("b"), "non-zero"),
            ("c FETCH 1 (FLAGS\r\n", Some("c"), "expected SP"),
            ("d NOOP extra\r\n", Some("d"), "unexpected characters after the command"),
            ("d NOOP\r\nx", Some("d"), "unexpected data after CRLF"),
            ("e NOOP", Some("e"), "missing CRLF"),
            ("e NOOP\n", Some("e"), "unexpected characters"),
            ("f LOGIN a\r\n", Some("f"), "expected SP"),
            ("g SEARCH FOO\r\n", Some("g"), "unknown search key FOO"),
            ("h FETCH 1 FOO\r\n", Some("h"), "unknown FETCH item FOO"),
            ("\r\n", None, "missing tag"),
            (" NOOP\r\n", None, "missing tag"),
            ("", None, "missing tag"),
        ] {
            let e = command(line.as_bytes()).expect_err(line);
            assert_eq!(e.tag.as_deref(), tag, "{line:?}");
            assert!(e.message.contains(message), "{line:?}: {e:?}");
        }
        assert!(command(b"f APPEND INBOX {10}\r\nshort\r\n").is_err());
    }

    #[test]
    fn error_messages_are_short_and_printable() {
        let mut line = b"a ".to_vec();
        line.extend_from_slice(&[b'X'; 5000]);
        line.extend_from_slice(b"\xff\r\n");
        let e = command(&line).unwrap_err();
        assert!(e.message.len() < 80, "{}", e.message);
        let e = command(b"a FETCH 1 FLAGS \x01\x02\xff\r\n").unwrap_err();
        assert!(e.message.bytes().all(|b| b.is_ascii_graphic() || b == b' '), "{e:?}");
    }

    /// The command lines of the tests above, cut short, and with one byte
    /// changed: errors, never panics.
    #[test]
    fn never_panics_on_truncated_or_mutated_input() {
        let lines: &[&[u8]] = &[
            b"a UID FETCH 1:*,3 (BODY.PEEK[1.2.HEADER.FIELDS (A B)]<0.5> BINARY[1] FLAGS) (CHANGEDSINCE 4)\r\n",
            b"a APPEND INBOX (\\Seen) \" 7-Jul-1996 02:44:25 -0700\" ~{3}\r\na\0b {1+}\r\nx\r\n",
            b"a SEARCH RETURN (MIN) CHARSET UTF-8 OR (FROM {3}\r\nabc NOT 1:5) MODSEQ \"/flags/\\\\draft\" all 5\r\n",
            b"a SELECT INBOX (QRESYNC (1 2 3:4 (5 6)))\r\n",
            b"a LIST (SUBSCRIBED) \"\" (a b) RETURN (STATUS (MESSAGES))\r\n",
            b"a GETMETADATA (MAXSIZE 1 DEPTH infinity) INBOX (/a /b)\r\n",
            b"a SETMETADATA INBOX (/a ~{1}\r\nx /b NIL)\r\n",
            b"a UID SORT (REVERSE DATE) UTF-8 SINCE \"1-Feb-1994\"\r\n",
            b"a STORE 1 (UNCHANGEDSINCE 3) -FLAGS.SILENT (\\Seen)\r\n",
            b"a ID (\"a\" NIL)\r\n",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for line in lines {
            ok_bytes(line);
            for n in 0..line.len() {
                let _ = command(&line[..n]);
            }
            for _ in 0..500 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let mut m = line.to_vec();
                let at = (seed % m.len() as u64) as usize;
                m[at] = (seed >> 32) as u8;
                let _ = command(&m);
            }
        }
        let _ = command(b"a APPEND x {99999999999999999999}\r\n");
        let _ = command(b"a APPEND x {18446744073709551615}\r\n");
        let _ = command(b"a SEARCH ((((((((\r\n");
        let _ = command(b"a FETCH 1 BODY[1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19.20.21.22.23.24.25.26.27.28.29.30.31.32.33]\r\n");
        let _ = command(b"a APPEND x \"\"\r\n");
        let _ = command(b"a APPEND x \" \"\r\n");
        let _ = command(b"a APPEND x \"1- \"\r\n");
    }
}
