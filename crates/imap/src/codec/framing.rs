//! Cuts the input stream into complete commands: a command is one or more
//! lines, each but the last ending in a literal announcement `{n}` / `{n+}` /
//! `~{n}` followed by n octets. Sans-IO: the driver pushes bytes and pulls
//! [`Frame`]s; a synchronising literal stops here until the driver accepts it
//! (and writes the `+` continuation) or rejects it.
//!
//! Memory is bounded: a line longer than `max_line` is skipped to its end,
//! and a literal above its limit is never buffered (a non-synchronising one
//! is read and dropped).
//!
//! A bare LF ends a line as CRLF would (some clients send it); the command
//! handed on always has CRLF line ends, so the parser sees one form.

#[derive(Debug, Clone)]
pub struct Limits {
    /// Longest line (outside literals), in octets.
    pub max_line: usize,
    /// Largest literal in APPEND (APPENDLIMIT).
    pub max_literal: u64,
    /// Largest literal in any other command.
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
    /// A line or a non-synchronising literal over its limit; the command was
    /// dropped.
    TooBig { tag: Option<String>, literal: bool },
}

enum State {
    /// Reading a line of the current command.
    Line,
    /// Reading `remaining` octets of an accepted literal into the command.
    Literal { remaining: u64 },
    /// Waiting for the driver's decision on a synchronising literal.
    AwaitDecision { size: u64 },
    /// Dropping `remaining` octets of a refused literal, then the rest of
    /// the command's line; then report TooBig.
    SkipLiteral { remaining: u64, tag: Option<String> },
    /// Dropping input to the end of an over-long line.
    SkipLine { tag: Option<String>, literal: bool },
}

pub struct Framer {
    limits: Limits,
    input: Vec<u8>,
    /// Start of unconsumed input.
    pos: usize,
    /// The command assembled so far.
    command: Vec<u8>,
    state: State,
}

impl Framer {
    pub fn new(limits: Limits) -> Framer {
        Framer { limits, input: Vec::new(), pos: 0, command: Vec::new(), state: State::Line }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 && self.pos == self.input.len() {
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

    /// The tag of the command in progress, if its first word is complete.
    fn tag(&self) -> Option<String> {
        let end = self.command.iter().position(|&b| b == b' ' || b == b'\r' || b == b'\n')?;
        let tag = &self.command[..end];
        (!tag.is_empty() && tag.iter().all(|&b| super::encode::is_astring_char(b) && b != b'+'))
            .then(|| String::from_utf8_lossy(tag).into_owned())
    }

    /// Whether the command in progress is APPEND (its literals are messages).
    fn is_append(&self) -> bool {
        let mut words = self.command.splitn(3, |&b| b == b' ');
        words.next();
        words.next().is_some_and(|w| w.eq_ignore_ascii_case(b"APPEND"))
    }

    pub fn next(&mut self) -> Frame {
        loop {
            match self.state {
                State::AwaitDecision { size } => return Frame::LiteralRequest { tag: self.tag(), size },
                State::Literal { remaining } => {
                    let take = (self.available().len() as u64).min(remaining) as usize;
                    if take == 0 {
                        return Frame::Incomplete;
                    }
                    let end = self.pos + take;
                    self.command.extend_from_slice(&self.input[self.pos..end]);
                    self.pos = end;
                    let remaining = remaining - take as u64;
                    self.state = if remaining == 0 { State::Line } else { State::Literal { remaining } };
                }
                State::SkipLiteral { remaining, ref tag } => {
                    let take = (self.available().len() as u64).min(remaining) as usize;
                    self.pos += take;
                    let remaining = remaining - take as u64;
                    if remaining > 0 {
                        return Frame::Incomplete;
                    }
                    self.state = State::SkipLine { tag: tag.clone(), literal: true };
                }
                State::SkipLine { ref tag, literal } => {
                    let Some(nl) = self.available().iter().position(|&b| b == b'\n') else {
                        self.pos = self.input.len();
                        return Frame::Incomplete;
                    };
                    self.pos += nl + 1;
                    let frame = Frame::TooBig { tag: tag.clone(), literal };
                    self.state = State::Line;
                    self.command.clear();
                    return frame;
                }
                State::Line => return self.line(),
            }
        }
    }

    /// Reads up to the end of a line; decides what follows it.
    fn line(&mut self) -> Frame {
        let line_start = self.command.len();
        let Some(nl) = self.available().iter().position(|&b| b == b'\n') else {
            // Check the limit on what is buffered so far.
            if self.available().len() > self.limits.max_line {
                self.command.extend_from_slice(&self.input[self.pos..self.pos + 64.min(self.input.len() - self.pos)]);
                let tag = self.tag();
                self.pos = self.input.len();
                self.state = State::SkipLine { tag, literal: false };
            }
            return Frame::Incomplete;
        };
        if nl > self.limits.max_line {
            self.command.extend_from_slice(&self.input[self.pos..self.pos + 64.min(nl)]);
            let tag = self.tag();
            self.pos += nl + 1;
            self.command.clear();
            return Frame::TooBig { tag, literal: false };
        }
        let mut end = self.pos + nl;
        if end > self.pos && self.input[end - 1] == b'\r' {
            end -= 1;
        }
        self.command.extend_from_slice(&self.input[self.pos..end]);
        self.command.extend_from_slice(b"\r\n");
        self.pos += nl + 1;
        let line = &self.command[line_start..self.command.len() - 2];
        match literal_announcement(line) {
            None => {
                let command = std::mem::take(&mut self.command);
                if self.pos == self.input.len() && self.input.capacity() > 16 * 1024 {
                    self.input = Vec::new();
                    self.pos = 0;
                }
                Frame::Command(command)
            }
            Some((size, sync)) => {
                let limit = if self.is_append() { self.limits.max_literal } else { self.limits.max_command_literal };
                if sync {
                    self.state = State::AwaitDecision { size };
                    Frame::LiteralRequest { tag: self.tag(), size }
                } else if size > limit {
                    let tag = self.tag();
                    self.command.clear();
                    self.state = State::SkipLiteral { remaining: size, tag };
                    self.next()
                } else {
                    self.state = State::Literal { remaining: size };
                    self.next()
                }
            }
        }
    }

    pub fn accept_literal(&mut self) {
        if let State::AwaitDecision { size } = self.state {
            self.state = State::Literal { remaining: size };
        }
    }

    /// Drops the command so far: the client will not send the literal.
    pub fn reject_literal(&mut self) {
        if let State::AwaitDecision { .. } = self.state {
            self.command.clear();
            self.state = State::Line;
        }
    }

    /// One raw line (without its line end), for AUTHENTICATE and IDLE.
    pub fn take_line(&mut self) -> Option<Vec<u8>> {
        let nl = self.available().iter().position(|&b| b == b'\n')?;
        let mut line = self.input[self.pos..self.pos + nl].to_vec();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        self.pos += nl + 1;
        Some(line)
    }

    /// Unconsumed input (for STARTTLS and COMPRESS transitions).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let rest = self.input[self.pos..].to_vec();
        self.input.clear();
        self.pos = 0;
        rest
    }
}

/// `{123}`, `{123+}` or `~{123}` at the end of a line: (size, synchronising).
fn literal_announcement(line: &[u8]) -> Option<(u64, bool)> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let mut digits = &body[open + 1..];
    let sync = match digits.strip_suffix(b"+") {
        Some(d) => {
            digits = d;
            false
        }
        None => true,
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

    fn frames(f: &mut Framer) -> Vec<Frame> {
        let mut out = Vec::new();
        loop {
            match f.next() {
                Frame::Incomplete => return out,
                Frame::LiteralRequest { .. } => {
                    f.accept_literal();
                    out.push(Frame::LiteralRequest { tag: None, size: 0 });
                }
                frame => out.push(frame),
            }
        }
    }

    #[test]
    fn byte_by_byte_equals_all_at_once() {
        let input = b"a LOGIN {3}\r\nbob {4+}\r\npass\r\nb NOOP\nc APPEND INBOX {5}\r\nhe{}\n\r\n";
        let mut whole = Framer::new(limits());
        whole.push(input);
        let all = frames(&mut whole);
        let mut bytewise = Framer::new(limits());
        let mut got = Vec::new();
        for b in input {
            bytewise.push(&[*b]);
            got.extend(frames(&mut bytewise));
        }
        assert_eq!(all, got);
        let commands: Vec<_> = all.into_iter().filter_map(|f| if let Frame::Command(c) = f { Some(c) } else { None }).collect();
        assert_eq!(
            commands,
            vec![b"a LOGIN {3}\r\nbob {4+}\r\npass\r\n".to_vec(), b"b NOOP\r\n".to_vec(), b"c APPEND INBOX {5}\r\nhe{}\n\r\n".to_vec()]
        );
    }

    #[test]
    fn synchronising_literals_wait_for_a_decision() {
        let mut f = Framer::new(limits());
        f.push(b"a APPEND INBOX {2000}\r\n");
        assert_eq!(f.next(), Frame::LiteralRequest { tag: Some("a".into()), size: 2000 });
        f.reject_literal();
        f.push(b"b NOOP\r\n");
        assert_eq!(f.next(), Frame::Command(b"b NOOP\r\n".to_vec()));
    }

    #[test]
    fn oversized_input_is_dropped_not_buffered() {
        let mut f = Framer::new(limits());
        f.push(b"a LOGIN {50+}\r\n");
        f.push(&[b'x'; 50]);
        f.push(b" rest\r\nb NOOP\r\n");
        assert_eq!(f.next(), Frame::TooBig { tag: Some("a".into()), literal: true });
        assert_eq!(f.next(), Frame::Command(b"b NOOP\r\n".to_vec()));
        let mut f = Framer::new(limits());
        f.push(b"t ");
        f.push(&[b'x'; 500]);
        assert_eq!(f.next(), Frame::Incomplete);
        f.push(b"\r\nu NOOP\r\n");
        assert_eq!(f.next(), Frame::TooBig { tag: Some("t".into()), literal: false });
        assert_eq!(f.next(), Frame::Command(b"u NOOP\r\n".to_vec()));
    }

    #[test]
    fn lines_for_idle_and_authenticate() {
        let mut f = Framer::new(limits());
        f.push(b"DONE\r\nx");
        assert_eq!(f.take_line(), Some(b"DONE".to_vec()));
        assert_eq!(f.take_line(), None);
        assert_eq!(f.take_buffered(), b"x".to_vec());
    }
}
