//! Cuts the input stream into complete commands: a command is one logical
//! line, cut by literals into physical lines that each end in a literal
//! announcement `{n}` / `{n+}` / `~{n}` followed by n octets. Sans-IO: the
//! driver pushes bytes and pulls [`Frame`]s; a synchronising literal stops
//! here until the driver accepts it (and writes the `+` continuation) or
//! rejects it.
//!
//! Memory is bounded per command: the non-literal octets of a command are
//! at most `max_line`, and its literal octets at most `max_literal` (APPEND,
//! all messages of a MULTIAPPEND together) or `max_command_literal` (any
//! other command). Anything above is counted and dropped as it arrives,
//! never buffered, then reported as [`Frame::TooBig`]. Literal octets are
//! never interpreted: they may hold CRLFs or text that looks like a literal
//! announcement.
//!
//! A bare LF ends a line as CRLF would (some clients send it); the command
//! handed on always has CRLF line ends outside its literals, so the parser
//! sees one form.

#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest command outside its literals, in octets.
    pub max_line: usize,
    /// Literal octets one APPEND may carry (APPENDLIMIT).
    pub max_literal: u64,
    /// Literal octets any other command may carry.
    pub max_command_literal: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A complete command for [`super::parse::command`].
    Command(Vec<u8>),
    /// More input is needed.
    Incomplete,
    /// The command so far ends with a synchronising literal of `size`
    /// octets: call [`Framer::accept_literal`] and send `+`, or
    /// [`Framer::reject_literal`] and answer the tag.
    LiteralRequest { tag: Option<String>, size: u64 },
    /// The command was over a limit and has been dropped: its line was too
    /// long (`literal: false`, answer `BAD`), or a literal was over its limit
    /// (`literal: true`, answer `NO [TOOBIG]`).
    TooBig { tag: Option<String>, literal: bool },
}

/// The longest literal announcement, `~{` 19 digits `+}` CR, fits in this.
const TAIL: usize = 32;

/// Longer tags are not echoed in [`Frame`]s.
const MAX_TAG: usize = 64;

enum State {
    /// Reading a line of the current command.
    Line,
    /// Copying `remaining` octets of a literal into the command.
    Literal { remaining: u64 },
    /// Waiting for the driver's decision on a synchronising literal.
    AwaitDecision { size: u64 },
    /// Dropping the rest of a command that is over a limit.
    Discard { tag: Option<String>, literal: bool, skip: Skip },
}

enum Skip {
    /// Literal octets still to drop.
    Octets(u64),
    /// Dropping to the end of a line; the line's last octets tell whether a
    /// non-synchronising literal (to drop as well) follows.
    Line { tail: Vec<u8> },
}

pub struct Framer {
    limits: Limits,
    input: Vec<u8>,
    /// Start of unconsumed input.
    pos: usize,
    /// Octets after `pos` already searched for a line end.
    scanned: usize,
    /// The command assembled so far.
    command: Vec<u8>,
    /// Non-literal and literal octets of the command so far.
    line_len: usize,
    literal_len: u64,
    state: State,
    /// [`Framer::take_line`] cut an over-long line: drop the rest of it.
    drop_line: bool,
}

impl Framer {
    pub fn new(limits: Limits) -> Framer {
        Framer {
            limits,
            input: Vec::new(),
            pos: 0,
            scanned: 0,
            command: Vec::new(),
            line_len: 0,
            literal_len: 0,
            state: State::Line,
            drop_line: false,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos == self.input.len() {
            // Everything consumed: give a large buffer back (an idle
            // connection should hold little).
            if self.input.capacity() > 16 * 1024 {
                self.input = Vec::new();
            }
            self.input.clear();
            self.pos = 0;
        } else if self.pos > 64 * 1024 {
            self.input.drain(..self.pos);
            self.pos = 0;
        }
        self.input.extend_from_slice(bytes);
    }

    fn available(&self) -> &[u8] {
        &self.input[self.pos..]
    }

    /// Consumes `n` octets of input.
    fn consume(&mut self, n: usize) {
        self.pos += n;
        self.scanned = 0;
    }

    /// The offset of the next LF after `pos`, remembering how far the
    /// search got so input arriving in small pieces is not searched again
    /// and again.
    fn find_lf(&mut self) -> Option<usize> {
        let from = self.scanned.min(self.available().len());
        match self.available()[from..].iter().position(|&b| b == b'\n') {
            Some(i) => Some(from + i),
            None => {
                self.scanned = self.available().len();
                None
            }
        }
    }

    /// Whether the command in progress is APPEND: its literals are messages,
    /// limited by `max_literal` rather than `max_command_literal`.
    pub fn is_append(&self) -> bool {
        is_append(&self.command)
    }

    /// Whether the synchronising literal waiting for a decision fits the
    /// command's limits. If the driver accepts one that does not, its octets
    /// are read and dropped and the command ends in [`Frame::TooBig`]; a
    /// driver saves the client the upload by rejecting it instead.
    pub fn literal_fits(&self) -> bool {
        match self.state {
            State::AwaitDecision { size } => self.fits(size),
            _ => true,
        }
    }

    fn fits(&self, size: u64) -> bool {
        let limit = if self.is_append() { self.limits.max_literal } else { self.limits.max_command_literal };
        self.literal_len.checked_add(size).is_some_and(|total| total <= limit)
    }

    /// The next frame; [`Frame::Incomplete`] until enough input is pushed.
    // Not an iterator: `Incomplete` is no end, and the driver answers
    // literal requests between calls.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Frame {
        if self.drop_line && !self.drop_to_lf() {
            return Frame::Incomplete;
        }
        loop {
            match self.state {
                State::Line => {
                    if let Some(frame) = self.line() {
                        return frame;
                    }
                }
                State::AwaitDecision { size } => return Frame::LiteralRequest { tag: tag_of(&self.command), size },
                State::Literal { remaining } => {
                    let take = (self.available().len() as u64).min(remaining) as usize;
                    if take == 0 && remaining > 0 {
                        return Frame::Incomplete;
                    }
                    self.command.extend_from_slice(&self.input[self.pos..self.pos + take]);
                    self.consume(take);
                    let remaining = remaining - take as u64;
                    self.state = if remaining == 0 { State::Line } else { State::Literal { remaining } };
                }
                State::Discard { .. } => {
                    if let Some(frame) = self.discard() {
                        return frame;
                    }
                }
            }
        }
    }

    /// Reads up to the end of a line and decides what follows it; None
    /// when the state changed and there may be more to do.
    fn line(&mut self) -> Option<Frame> {
        let Some(nl) = self.find_lf() else {
            if self.line_len + self.available().len() > self.limits.max_line {
                self.too_long();
                return None;
            }
            return Some(Frame::Incomplete);
        };
        if self.line_len + nl > self.limits.max_line {
            self.too_long();
            return None;
        }
        let mut end = self.pos + nl;
        if end > self.pos && self.input[end - 1] == b'\r' {
            end -= 1;
        }
        let line_start = self.command.len();
        self.command.extend_from_slice(&self.input[self.pos..end]);
        self.command.extend_from_slice(b"\r\n");
        self.line_len += end - self.pos + 2;
        self.consume(nl + 1);
        match literal_announcement(&self.command[line_start..self.command.len() - 2]) {
            None => {
                if self.pos == self.input.len() && self.input.capacity() > 16 * 1024 {
                    self.input = Vec::new();
                    self.pos = 0;
                }
                let command = std::mem::take(&mut self.command);
                self.reset();
                Some(Frame::Command(command))
            }
            Some((size, true)) => {
                self.state = State::AwaitDecision { size };
                Some(Frame::LiteralRequest { tag: tag_of(&self.command), size })
            }
            Some((size, false)) => {
                self.start_literal(size);
                None
            }
        }
    }

    /// The command's line is over `max_line`: drop it to its end.
    fn too_long(&mut self) {
        let tag = if self.command.is_empty() { tag_of(self.available()) } else { tag_of(&self.command) };
        self.forget_command();
        self.state = State::Discard { tag, literal: false, skip: Skip::Line { tail: Vec::new() } };
    }

    /// A literal of `size` octets follows: keep it or drop it.
    fn start_literal(&mut self, size: u64) {
        if self.fits(size) {
            self.literal_len += size;
            self.state = State::Literal { remaining: size };
        } else {
            let tag = tag_of(&self.command);
            self.forget_command();
            self.state = State::Discard { tag, literal: true, skip: Skip::Octets(size) };
        }
    }

    /// Drops input of a command over a limit: the literal octets, then the
    /// rest of the line, then any non-synchronising literal that line
    /// announces, and so on. The frame once the command is all gone.
    fn discard(&mut self) -> Option<Frame> {
        let State::Discard { tag, literal, skip } = &mut self.state else { return None };
        let rest = &self.input[self.pos..];
        let (used, done) = match skip {
            Skip::Octets(remaining) => {
                let take = rest.len().min(usize::try_from(*remaining).unwrap_or(usize::MAX));
                *remaining -= take as u64;
                if *remaining == 0 {
                    *skip = Skip::Line { tail: Vec::new() };
                }
                (take, None)
            }
            Skip::Line { tail } => {
                let nl = rest.iter().position(|&b| b == b'\n');
                let part = &rest[..nl.unwrap_or(rest.len())];
                tail.extend_from_slice(&part[part.len().saturating_sub(TAIL)..]);
                tail.drain(..tail.len().saturating_sub(TAIL));
                match nl {
                    None => (part.len(), None),
                    Some(nl) => {
                        let end = tail.strip_suffix(b"\r").unwrap_or(tail);
                        // A synchronising literal is never sent: the client
                        // waits for a continuation, so the command ends here.
                        match literal_announcement(end) {
                            Some((size, false)) => {
                                *skip = Skip::Octets(size);
                                (nl + 1, None)
                            }
                            _ => (nl + 1, Some(Frame::TooBig { tag: tag.take(), literal: *literal })),
                        }
                    }
                }
            }
        };
        let starved = used == rest.len() && done.is_none();
        self.consume(used);
        if done.is_some() {
            self.reset();
            return done;
        }
        starved.then_some(Frame::Incomplete)
    }

    /// Drops the bytes of the command in progress, and their buffer if it
    /// grew large (an idle connection should hold little).
    fn forget_command(&mut self) {
        if self.command.capacity() > 16 * 1024 {
            self.command = Vec::new();
        }
        self.command.clear();
    }

    /// Forgets the command in progress.
    fn reset(&mut self) {
        self.forget_command();
        self.line_len = 0;
        self.literal_len = 0;
        self.state = State::Line;
    }

    /// Lets a literal announced with [`Frame::LiteralRequest`] come in.
    pub fn accept_literal(&mut self) {
        if let State::AwaitDecision { size } = self.state {
            self.start_literal(size);
        }
    }

    /// Drops the command so far: the client will not send the literal.
    pub fn reject_literal(&mut self) {
        if let State::AwaitDecision { .. } = self.state {
            self.reset();
        }
    }

    /// Drops input up to and including the next LF; false if none yet.
    fn drop_to_lf(&mut self) -> bool {
        match self.find_lf() {
            Some(nl) => {
                self.consume(nl + 1);
                self.drop_line = false;
                true
            }
            None => {
                self.consume(self.input.len() - self.pos);
                false
            }
        }
    }

    /// One raw line without its line end (CRLF or LF), for AUTHENTICATE
    /// responses and IDLE's DONE; None until a whole line is buffered. A line
    /// longer than `max_line` comes back cut to that length and the rest of
    /// it is dropped.
    pub fn take_line(&mut self) -> Option<Vec<u8>> {
        if self.drop_line && !self.drop_to_lf() {
            return None;
        }
        let Some(nl) = self.find_lf() else {
            if self.available().len() <= self.limits.max_line {
                return None;
            }
            let line = self.available()[..self.limits.max_line].to_vec();
            self.consume(self.input.len() - self.pos);
            self.drop_line = true;
            return Some(line);
        };
        let mut line = self.available()[..nl.min(self.limits.max_line)].to_vec();
        if nl <= self.limits.max_line && line.last() == Some(&b'\r') {
            line.pop();
        }
        self.consume(nl + 1);
        Some(line)
    }

    /// Everything pushed and not yet consumed (for STARTTLS and COMPRESS
    /// transitions); a command in progress is forgotten.
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let rest = self.input[self.pos..].to_vec();
        self.input = Vec::new();
        self.pos = 0;
        self.scanned = 0;
        self.drop_line = false;
        self.reset();
        rest
    }
}

/// The tag: the first word, if it is complete, a valid tag, and short
/// enough to be worth echoing.
fn tag_of(command: &[u8]) -> Option<String> {
    let end = command.iter().take(MAX_TAG + 1).position(|&b| b == b' ' || b == b'\r' || b == b'\n')?;
    let tag = &command[..end];
    (!tag.is_empty() && tag.iter().all(|&b| super::encode::is_astring_char(b) && b != b'+'))
        .then(|| String::from_utf8_lossy(tag).into_owned())
}

/// Whether the command's second word is APPEND.
fn is_append(command: &[u8]) -> bool {
    let mut words = command.splitn(3, |&b| b == b' ');
    words.next();
    words.next().is_some_and(|w| w.eq_ignore_ascii_case(b"APPEND"))
}

/// `{123}`, `{123+}` or `~{123}` at the end of a line: (size, synchronising).
fn literal_announcement(line: &[u8]) -> Option<(u64, bool)> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let (digits, sync) = match body[open + 1..].strip_suffix(b"+") {
        Some(d) => (d, false),
        None => (&body[open + 1..], true),
    };
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok().map(|n| (n, sync))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits { max_line: 100, max_literal: 1000, max_command_literal: 20 }
    }

    /// Every frame until more input is needed, accepting each literal.
    fn frames(f: &mut Framer) -> Vec<Frame> {
        let mut out = Vec::new();
        loop {
            match f.next() {
                Frame::Incomplete => return out,
                frame @ Frame::LiteralRequest { .. } => {
                    f.accept_literal();
                    out.push(frame);
                }
                frame => out.push(frame),
            }
        }
    }

    fn all_at_once(input: &[u8]) -> Vec<Frame> {
        let mut f = Framer::new(limits());
        f.push(input);
        frames(&mut f)
    }

    fn byte_by_byte(input: &[u8]) -> Vec<Frame> {
        let mut f = Framer::new(limits());
        let mut got = Vec::new();
        for b in input {
            f.push(&[*b]);
            got.extend(frames(&mut f));
        }
        got
    }

    fn command(bytes: &[u8]) -> Frame {
        Frame::Command(bytes.to_vec())
    }

    fn too_big(tag: &str, literal: bool) -> Frame {
        Frame::TooBig { tag: Some(tag.into()), literal }
    }

    fn request(tag: &str, size: u64) -> Frame {
        Frame::LiteralRequest { tag: Some(tag.into()), size }
    }

    /// Input with literals, over-long lines and dropped literals: the frames
    /// are the same however the input is cut.
    const STREAM: &[u8] = b"a LOGIN {3}\r\nbob {4+}\r\npass\r\nb NOOP\nc APPEND INBOX {5}\r\nhe{}\n\r\n\
        d APPEND INBOX (\\Seen) ~{6+}\r\n\0{1}\r\n {2}\r\n\r\n\r\n\
        e SEARCH TEXT {30+}\r\n012345678901234567890123456789 TEXT {2+}\r\nab\r\n\
        f NOOP xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx {3+}\r\n{1}\r\n\
        g NOOP\r\n";

    #[test]
    fn byte_by_byte_equals_all_at_once() {
        let all = all_at_once(STREAM);
        assert_eq!(all, byte_by_byte(STREAM));
        assert_eq!(
            all,
            vec![
                request("a", 3),
                command(b"a LOGIN {3}\r\nbob {4+}\r\npass\r\n"),
                command(b"b NOOP\r\n"),
                request("c", 5),
                command(b"c APPEND INBOX {5}\r\nhe{}\n\r\n"),
                request("d", 2),
                command(b"d APPEND INBOX (\\Seen) ~{6+}\r\n\0{1}\r\n {2}\r\n\r\n\r\n"),
                too_big("e", true),
                too_big("f", false),
                command(b"g NOOP\r\n"),
            ]
        );
    }

    #[test]
    fn every_split_point_gives_the_same_frames() {
        let all = all_at_once(STREAM);
        for cut in 0..=STREAM.len() {
            let mut f = Framer::new(limits());
            f.push(&STREAM[..cut]);
            let mut got = frames(&mut f);
            f.push(&STREAM[cut..]);
            got.extend(frames(&mut f));
            assert_eq!(got, all, "cut at {cut}");
        }
    }

    #[test]
    fn synchronising_literal_waits_for_accept() {
        let mut f = Framer::new(limits());
        f.push(b"a LOGIN bob {4}\r\n");
        assert_eq!(f.next(), request("a", 4));
        assert_eq!(f.next(), request("a", 4), "asking again changes nothing");
        assert!(f.literal_fits());
        f.accept_literal();
        assert_eq!(f.next(), Frame::Incomplete);
        f.push(b"pa\r\n");
        assert_eq!(f.next(), Frame::Incomplete);
        f.push(b"\r\n");
        assert_eq!(f.next(), command(b"a LOGIN bob {4}\r\npa\r\n\r\n"));
    }

    #[test]
    fn rejected_literal_drops_the_command() {
        let mut f = Framer::new(limits());
        f.push(b"a APPEND INBOX {2000}\r\n");
        assert_eq!(f.next(), request("a", 2000));
        assert!(f.is_append());
        assert!(!f.literal_fits());
        f.reject_literal();
        f.push(b"b NOOP\r\n");
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    #[test]
    fn accepted_literal_over_the_limit_is_read_and_dropped() {
        let mut f = Framer::new(limits());
        f.push(b"a LOGIN bob {30}\r\n");
        assert_eq!(f.next(), request("a", 30));
        assert!(!f.literal_fits(), "LOGIN literals are limited to max_command_literal");
        f.accept_literal();
        f.push(&[b'x'; 30]);
        assert_eq!(f.next(), Frame::Incomplete);
        assert!(f.command.is_empty(), "nothing of it is kept");
        f.push(b"\r\nb NOOP\r\n");
        assert_eq!(f.next(), too_big("a", true));
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    #[test]
    fn append_literals_use_the_append_limit() {
        let mut f = Framer::new(limits());
        f.push(b"a append INBOX {500+}\r\n");
        f.push(&[b'm'; 500]);
        f.push(b"\r\n");
        let Frame::Command(c) = f.next() else { panic!("APPEND of 500 octets is within max_literal") };
        assert_eq!(c.len(), 23 + 500 + 2);
    }

    #[test]
    fn multiappend_counts_all_its_literals() {
        let mut f = Framer::new(limits());
        f.push(b"a APPEND INBOX {600+}\r\n");
        f.push(&[b'm'; 600]);
        f.push(b" {600+}\r\n");
        f.push(&[b'n'; 600]);
        f.push(b"\r\nb NOOP\r\n");
        assert_eq!(f.next(), too_big("a", true));
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    #[test]
    fn a_dropped_command_gives_its_buffer_back() {
        let mut f = Framer::new(Limits { max_line: 100, max_literal: 50_000, max_command_literal: 20 });
        f.push(b"a APPEND INBOX {30000+}\r\n");
        f.push(&[b'm'; 30_000]);
        assert_eq!(f.next(), Frame::Incomplete);
        assert!(f.command.capacity() >= 30_000);
        f.push(b" {30000+}\r\n");
        assert_eq!(f.next(), Frame::Incomplete);
        assert_eq!(f.command.capacity(), 0, "dropped as soon as the total is over the limit");
        f.push(&[b'm'; 30_000]);
        f.push(b"\r\n");
        assert_eq!(f.next(), too_big("a", true));
    }

    #[test]
    fn oversized_non_synchronising_literal_is_skipped() {
        let mut f = Framer::new(limits());
        f.push(b"a LOGIN {50+}\r\n");
        f.push(&[b'x'; 50]);
        f.push(b" rest\r\nb NOOP\r\n");
        assert_eq!(f.next(), too_big("a", true));
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    #[test]
    fn skipping_also_skips_later_literals_of_the_command() {
        // The second literal holds what looks like a command: never run it.
        let mut f = Framer::new(limits());
        f.push(b"a SEARCH TEXT {50+}\r\n");
        f.push(&[b'x'; 50]);
        f.push(b" TEXT {14+}\r\nz DELETE INBOX\r\nb NOOP\r\n");
        assert_eq!(f.next(), too_big("a", true));
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    #[test]
    fn skipping_stops_at_a_synchronising_literal() {
        // The client waits for a `+` that never comes: the command ends there.
        let mut f = Framer::new(limits());
        f.push(b"a SEARCH TEXT {50+}\r\n");
        f.push(&[b'x'; 50]);
        f.push(b" TEXT {14}\r\nb NOOP\r\n");
        assert_eq!(f.next(), too_big("a", true));
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    #[test]
    fn line_too_long_is_dropped_not_buffered() {
        let mut f = Framer::new(limits());
        f.push(b"t ");
        f.push(&[b'x'; 500]);
        assert_eq!(f.next(), Frame::Incomplete);
        assert!(f.input.len() - f.pos <= 100, "the over-long line is not kept");
        f.push(&[b'x'; 500]);
        assert_eq!(f.next(), Frame::Incomplete);
        f.push(b"\r\nu NOOP\r\n");
        assert_eq!(f.next(), too_big("t", false));
        assert_eq!(f.next(), command(b"u NOOP\r\n"));
    }

    #[test]
    fn line_limit_counts_the_whole_command() {
        let mut f = Framer::new(limits());
        f.push(b"a LOGIN {1+}\r\nx");
        for _ in 0..30 {
            f.push(b" {1+}\r\nx");
        }
        f.push(b"\r\nb NOOP\r\n");
        assert_eq!(f.next(), too_big("a", false));
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    #[test]
    fn over_long_line_ending_in_a_literal_skips_it() {
        let mut f = Framer::new(limits());
        let mut line = b"a APPEND INBOX ".to_vec();
        line.extend_from_slice(&[b'f'; 200]);
        line.extend_from_slice(b" {13+}\r\nb DELETE INBOX\r\nc NOOP\r\n");
        f.push(&line);
        assert_eq!(f.next(), too_big("a", false));
        assert_eq!(f.next(), command(b"c NOOP\r\n"));
    }

    #[test]
    fn many_small_literals_in_one_command() {
        let mut f = Framer::new(Limits { max_line: 1 << 20, max_literal: 1 << 20, max_command_literal: 1 << 20 });
        let mut input = b"a SEARCH".to_vec();
        for _ in 0..50_000 {
            input.extend_from_slice(b" TEXT {0+}\r\n");
        }
        input.extend_from_slice(b"\r\n");
        f.push(&input);
        assert_eq!(f.next(), Frame::Command(input));
    }

    #[test]
    fn zero_length_literals() {
        assert_eq!(all_at_once(b"h LOGIN {0}\r\n {0+}\r\n\r\n"), vec![request("h", 0), command(b"h LOGIN {0}\r\n {0+}\r\n\r\n")]);
    }

    #[test]
    fn bare_lf_ends_a_line_and_becomes_crlf() {
        assert_eq!(
            all_at_once(b"a LOGIN {3}\nb\nc d\nb NOOP\n"),
            vec![request("a", 3), command(b"a LOGIN {3}\r\nb\nc d\r\n"), command(b"b NOOP\r\n")]
        );
    }

    #[test]
    fn literal_octets_are_not_interpreted() {
        assert_eq!(
            all_at_once(b"a APPEND INBOX {12+}\r\n{5}\r\nx\ny {3}\r\nabc\r\n"),
            vec![command(b"a APPEND INBOX {12+}\r\n{5}\r\nx\ny {3}\r\n"), command(b"abc\r\n")]
        );
    }

    #[test]
    fn tag_is_none_when_unreadable() {
        let mut f = Framer::new(limits());
        f.push(&[b'x'; 300]);
        f.push(b"\r\n");
        assert_eq!(f.next(), Frame::TooBig { tag: None, literal: false });
        f.push(b"a+b LOGIN {2}\r\n");
        assert_eq!(f.next(), Frame::LiteralRequest { tag: None, size: 2 });
    }

    #[test]
    fn lines_for_idle_and_authenticate() {
        let mut f = Framer::new(limits());
        f.push(b"DONE\r\nAGJvYgBwYXNz\nx");
        assert_eq!(f.take_line(), Some(b"DONE".to_vec()));
        assert_eq!(f.take_line(), Some(b"AGJvYgBwYXNz".to_vec()));
        assert_eq!(f.take_line(), None);
        assert_eq!(f.take_buffered(), b"x".to_vec());
        assert_eq!(f.take_buffered(), b"".to_vec());
    }

    #[test]
    fn take_line_cuts_an_over_long_line() {
        let mut f = Framer::new(limits());
        f.push(&[b'y'; 150]);
        assert_eq!(f.take_line(), Some(vec![b'y'; 100]));
        f.push(&[b'y'; 150]);
        assert_eq!(f.take_line(), None);
        f.push(b"yy\r\nDONE\r\n");
        assert_eq!(f.take_line(), Some(b"DONE".to_vec()));
    }

    #[test]
    fn take_buffered_after_a_command() {
        let mut f = Framer::new(limits());
        f.push(b"a COMPRESS DEFLATE\r\n\x78\x9c");
        assert_eq!(f.next(), command(b"a COMPRESS DEFLATE\r\n"));
        assert_eq!(f.take_buffered(), b"\x78\x9c".to_vec());
        f.push(b"b NOOP\r\n");
        assert_eq!(f.next(), command(b"b NOOP\r\n"));
    }

    /// Random streams of command fragments, cut at random places: no panic,
    /// the same frames however cut, and the command buffer within the limits.
    #[test]
    fn random_streams_are_framed_consistently() {
        const PARTS: &[&[u8]] = &[
            b"a ",
            b"APPEND ",
            b"LOGIN ",
            b"{3}",
            b"{3+}",
            b"~{5}",
            b"{40+}",
            b"{2000}",
            b"{0}",
            b"\r\n",
            b"\n",
            b"\r",
            b"x",
            b"0123456789",
            b"\"q\" ",
            b"{",
            b"}",
            b"+",
            b" ",
            b"\0",
            b"(\\Seen)",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut random = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let mut input = Vec::new();
            for _ in 0..random() % 60 {
                input.extend_from_slice(PARTS[(random() % PARTS.len() as u64) as usize]);
            }
            let run = |cuts: &mut dyn FnMut() -> usize| {
                let mut f = Framer::new(limits());
                let mut out = Vec::new();
                let mut at = 0;
                while at < input.len() {
                    let end = (at + 1 + cuts()).min(input.len());
                    f.push(&input[at..end]);
                    at = end;
                    out.extend(frames(&mut f));
                    assert!(f.command.len() <= 100 + 1000 + 2, "command buffer bounded");
                }
                out
            };
            let whole = run(&mut || usize::MAX / 2);
            let mut r = random();
            let cut = run(&mut || {
                r = r.rotate_left(5) ^ 0x5555;
                (r % 7) as usize
            });
            assert_eq!(whole, cut, "input {input:?}");
        }
    }

    /// What the framer hands on parses, whether lines end in CRLF or LF
    /// and however the input is cut.
    #[test]
    fn framed_commands_parse() {
        let input: &[u8] = b"a LOGIN {3}\r\nbob {4+}\r\np\r\nq\r\n\
            b APPEND INBOX (\\Seen) \" 7-Jul-1996 02:44:25 -0700\" {5}\nhello ~{3}\n\0\n\0\n\
            c UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (From)]) (CHANGEDSINCE 5)\n\
            d SEARCH CHARSET UTF-8 TEXT {2}\r\n\xc3\xa4\r\n";
        let mut f = Framer::new(limits());
        let mut tags = Vec::new();
        for b in input {
            f.push(&[*b]);
            for frame in frames(&mut f) {
                if let Frame::Command(c) = frame {
                    let parsed = super::super::parse::command(&c).unwrap_or_else(|e| panic!("{:?}: {e:?}", String::from_utf8_lossy(&c)));
                    tags.push(parsed.tag);
                }
            }
        }
        assert_eq!(tags, ["a", "b", "c", "d"]);
    }

    #[test]
    fn announcements() {
        assert_eq!(literal_announcement(b"a LOGIN {3}"), Some((3, true)));
        assert_eq!(literal_announcement(b"a LOGIN {3+}"), Some((3, false)));
        assert_eq!(literal_announcement(b"a APPEND x ~{0}"), Some((0, true)));
        assert_eq!(literal_announcement(b"a LOGIN {}"), None);
        assert_eq!(literal_announcement(b"a LOGIN {+}"), None);
        assert_eq!(literal_announcement(b"a LOGIN {3a}"), None);
        assert_eq!(literal_announcement(b"a LOGIN {99999999999999999999}"), None);
        assert_eq!(literal_announcement(b"a LOGIN \"{3}\""), None);
    }
}
