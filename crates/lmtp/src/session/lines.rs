//! Command-line framing: finding lines in the input without buffering more than
//! one, refusing bare LF and bare CR, and deciding whether a line may be run as
//! a command at all.
//!
//! A DATA refused with `503` is a PIPELINING hazard: RFC 2920 makes the client
//! wait for the 354 before sending the message, but a client that does not would
//! have its message read as commands, and a message can contain lines that are
//! commands (SMTP smuggling). We do what Postfix does and one thing more, both
//! decided by the bytes alone:
//!
//! - Postfix's rule: a command line that looks like a header field (`Name: ...`,
//!   which no command does) means message data is being read as commands; the
//!   session closes with `421 4.7.0` before anything in it can act.
//! - Ours: after a DATA refused inside a transaction (no valid recipients, or no
//!   RCPT at all), the next line must be RSET, QUIT, NOOP, LHLO, HELP or VRFY —
//!   what a client that read the 503 sends. Anything else (MAIL, RCPT, DATA,
//!   text) is the start of a message sent blind, and closes the session the same
//!   way. So a body sent after a refused DATA is never executed, whatever its
//!   first line is.
//!
//! A timing-based guess (discarding whatever arrived together with the DATA) would
//! make the outcome depend on how TCP split the bytes; this core does not: the
//! same bytes always give the same replies.

use std::mem;

use super::{Event, Session, State};
use crate::command::{self, Command, ParseError};
use crate::reply;

impl Session {
    pub(super) fn read_command(&mut self) -> Option<Event> {
        let avail = &self.input[self.pos..];
        let Some(lf) = avail[self.scanned..].iter().position(|&b| b == b'\n') else {
            self.scanned = avail.len();
            // Even with its LF still to come, the line is already too long: stop
            // buffering it.
            if avail.len() >= self.max_line {
                self.pos = self.input.len();
                self.scanned = 0;
                self.state = State::LongLine;
                return None;
            }
            return self.need_input();
        };
        let end = self.scanned + lf;
        let start = self.pos;
        self.pos += end + 1;
        self.scanned = 0;
        if end + 1 > self.max_line {
            self.line_too_long();
            return None;
        }
        // Lend the buffer out so the line can be borrowed while `self` changes.
        let input = mem::take(&mut self.input);
        let event = self.command_line(&input[start..start + end]);
        self.input = input;
        event
    }

    pub(super) fn discard_long_line(&mut self) -> Option<Event> {
        let avail = &self.input[self.pos..];
        match avail.iter().position(|&b| b == b'\n') {
            Some(lf) => {
                self.pos += lf + 1;
                self.state = State::Command;
                self.line_too_long();
                None
            }
            None => {
                self.pos = self.input.len();
                self.need_input()
            }
        }
    }

    fn line_too_long(&mut self) {
        // No command is that long: after a refused DATA it is message data.
        if mem::take(&mut self.data_refused) {
            self.close_with(reply::DATA_AS_COMMANDS);
        } else {
            self.protocol_error(reply::LINE_TOO_LONG);
        }
    }

    /// One command line, without its LF.
    fn command_line(&mut self, line: &[u8]) -> Option<Event> {
        let (line, crlf) = match line.strip_suffix(b"\r") {
            Some(line) => (line, true),
            None => (line, false),
        };
        let parsed = if !crlf {
            None
        } else if line.contains(&b'\r') {
            Some(Err(ParseError::Invalid(reply::BARE_CR)))
        } else {
            Some(command::parse(line))
        };
        let after_refused_data = mem::take(&mut self.data_refused);
        let acknowledges_refusal =
            matches!(parsed, Some(Ok(Command::Rset | Command::Quit | Command::Noop | Command::Lhlo | Command::Help | Command::Vrfy)));
        if looks_like_header(line) || (after_refused_data && !acknowledges_refusal) {
            tracing::debug!("LMTP client sent message data as commands; closing");
            self.close_with(reply::DATA_AS_COMMANDS);
            return None;
        }
        match parsed {
            // SMTP smuggling hardening: a bare LF ends no command here.
            None => {
                self.protocol_error(reply::BARE_LF);
                None
            }
            Some(Ok(command)) => self.execute(command),
            Some(Err(ParseError::Unrecognized)) => {
                self.protocol_error(reply::UNRECOGNIZED);
                None
            }
            Some(Err(ParseError::Invalid(reply))) => {
                self.protocol_error(reply);
                None
            }
            Some(Err(ParseError::BadBdat)) => {
                self.close_with(reply::BAD_BDAT);
                None
            }
        }
    }
}

/// `Name:` at the start of a line, as a header field has (RFC 5322 ftext) and no
/// command has: the sign that message data is being read as commands.
fn looks_like_header(line: &[u8]) -> bool {
    let name = line.iter().take_while(|&&b| b.is_ascii_graphic() && b != b':').count();
    name > 0 && line.get(name) == Some(&b':')
}
