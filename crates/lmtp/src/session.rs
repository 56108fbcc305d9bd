//! The sans-IO LMTP session: one connection's protocol state, from greeting to
//! close. No sockets, no clock, no async: the caller feeds bytes, pulls
//! [`Event`]s, and answers the two questions only the server can answer.
//!
//! Memory is bounded by construction: command lines are framed in place and an
//! over-long one is discarded as it arrives; DATA and BDAT octets go straight into
//! the message (capped at `max_message_size`) and are never held as input; at most
//! `max_recipients` recipients are kept. If the caller enqueues only after
//! [`Event::NeedInput`], buffered input never exceeds one command line plus the
//! last read.
//!
//! The work is split by what is being read: [`lines`] frames command lines and
//! guards against message data read as commands; [`transaction`] runs the
//! commands and reads DATA and BDAT into the message.

mod lines;
mod transaction;

use std::fmt;
use std::mem;

use crate::backend::{Delivery, DeliveryResult, RcptCheck};
use crate::body::DataDecoder;
use crate::config::Config;
use crate::reply;
use transaction::{ChunkVerdict, Transaction};

/// Replies are handed out in batches of about this size, so a long pipeline
/// does not pile up output in the session.
const OUTPUT_BATCH: usize = 16 * 1024;

/// What the session needs from its caller next.
pub enum Event {
    /// Reply octets to send. Buffer them: the session asks for a flush by
    /// returning [`Event::NeedInput`] or [`Event::Close`], which is what lets a
    /// pipelined batch of commands be answered in one write (RFC 2920).
    Output(Vec<u8>),
    /// All input so far is processed: flush pending output, then read more and
    /// pass it to [`Session::enqueue_input`].
    NeedInput,
    /// Answer with [`Session::answer_recipient`].
    CheckRecipient { address: String, declared_size: Option<u64> },
    /// Make the message durable, then answer with [`Session::answer_delivery`].
    Deliver(Delivery),
    /// The session is over: flush pending output and close the connection.
    Close,
}

// Reply octets and addresses are personal data: never print them.
impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Output(bytes) => write!(f, "Output([{} octets])", bytes.len()),
            Event::NeedInput => f.write_str("NeedInput"),
            Event::CheckRecipient { declared_size, .. } => {
                f.debug_struct("CheckRecipient").field("address", &"[redacted]").field("declared_size", declared_size).finish()
            }
            Event::Deliver(delivery) => f.debug_tuple("Deliver").field(delivery).finish(),
            Event::Close => f.write_str("Close"),
        }
    }
}

enum State {
    /// Reading command lines.
    Command,
    /// Discarding the rest of an over-long command line.
    LongLine,
    /// Reading a DATA message.
    Data(DataDecoder),
    /// Reading a BDAT chunk.
    Chunk {
        size: u64,
        remaining: u64,
        last: bool,
        verdict: ChunkVerdict,
    },
    /// [`Event::CheckRecipient`] is out.
    AwaitRecipient {
        address: String,
    },
    /// [`Event::Deliver`] is out; the addresses for the per-recipient replies.
    AwaitDelivery {
        addresses: Vec<String>,
    },
    Closed,
}

/// One LMTP connection's protocol state. See the module docs.
pub struct Session {
    hostname: String,
    max_message_size: u64,
    max_recipients: usize,
    max_line: usize,
    max_errors: u32,

    /// Unprocessed input is `input[pos..]`; `scanned` octets of it hold no LF.
    input: Vec<u8>,
    pos: usize,
    scanned: usize,
    out: Vec<u8>,
    /// An event held back until the output before it has been handed out.
    queued: Option<Event>,

    state: State,
    greeted: bool,
    tx: Option<Transaction>,
    errors: u32,
    /// The last command was a DATA refused inside a transaction: see [`lines`]
    /// for what the next line may be.
    data_refused: bool,
    /// Shutdown or idle timeout: the reply to close with once input is needed.
    close_requested: Option<&'static str>,
}

impl Session {
    /// A new session; its first output is the greeting.
    #[must_use]
    pub fn new(config: &Config) -> Self {
        let hostname: String = config.hostname.chars().filter(|c| c.is_ascii_graphic()).collect();
        let hostname = if hostname.is_empty() { "localhost".to_owned() } else { hostname };
        let mut out = Vec::new();
        reply::greeting(&mut out, &hostname);
        Self {
            hostname,
            max_message_size: config.max_message_size,
            max_recipients: config.max_recipients.max(1),
            max_line: config.max_command_line.max(512),
            max_errors: config.max_errors.max(1),
            input: Vec::new(),
            pos: 0,
            scanned: 0,
            out,
            queued: None,
            state: State::Command,
            greeted: false,
            tx: None,
            errors: 0,
            data_refused: false,
            close_requested: None,
        }
    }

    /// Adds received octets. Call after [`Event::NeedInput`].
    pub fn enqueue_input(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.input.drain(..self.pos);
            self.pos = 0;
            // Give back what one large read left behind.
            if self.input.capacity() > 4 * self.max_line.max(16 * 1024) {
                self.input.shrink_to(self.max_line);
            }
        }
        self.input.extend_from_slice(bytes);
    }

    /// Octets received and not yet processed (for metrics and tests).
    #[must_use]
    pub fn buffered_input(&self) -> usize {
        self.input.len() - self.pos
    }

    /// Advances the protocol as far as it can go without the caller.
    ///
    /// An [`Event::CheckRecipient`] or [`Event::Deliver`] must be answered before
    /// the next call; a call without the answer takes it as a temporary failure
    /// (`451`), which is safe: the sending MTA retries.
    pub fn next_event(&mut self) -> Event {
        loop {
            if let Some(event) = self.queued.take() {
                if !self.out.is_empty() {
                    self.queued = Some(event);
                    return Event::Output(mem::take(&mut self.out));
                }
                return event;
            }
            if self.out.len() >= OUTPUT_BATCH {
                return Event::Output(mem::take(&mut self.out));
            }
            match self.step() {
                None => {}
                Some(Event::NeedInput) if !self.out.is_empty() => {
                    return Event::Output(mem::take(&mut self.out));
                }
                Some(Event::NeedInput) => return Event::NeedInput,
                Some(event) => self.queued = Some(event),
            }
        }
    }

    /// The backend's answer to [`Event::CheckRecipient`].
    pub fn answer_recipient(&mut self, check: RcptCheck) {
        if !matches!(self.state, State::AwaitRecipient { .. }) {
            tracing::warn!("LMTP recipient answer without a pending question; ignored");
            return;
        }
        let State::AwaitRecipient { address } = mem::replace(&mut self.state, State::Command) else {
            return;
        };
        // Without a transaction (unreachable) nothing can be accepted, but the
        // RCPT still gets its one reply, or every later reply would be misread.
        let check = if self.tx.is_some() { check } else { RcptCheck::TempFail };
        tracing::debug!(outcome = rcpt_outcome(&check), "LMTP recipient checked");
        reply::rcpt(&mut self.out, &check, &address);
        if let (RcptCheck::Accept(recipient), Some(tx)) = (check, self.tx.as_mut()) {
            tx.accept(recipient, address);
        }
    }

    /// The backend's answer to [`Event::Deliver`]: one result per recipient, in
    /// order. A missing result is answered `451` (never "delivered"); extra ones
    /// are ignored.
    pub fn answer_delivery(&mut self, results: Vec<DeliveryResult>) {
        if !matches!(self.state, State::AwaitDelivery { .. }) {
            tracing::warn!("LMTP delivery answer without a pending delivery; ignored");
            return;
        }
        let State::AwaitDelivery { addresses } = mem::replace(&mut self.state, State::Command) else {
            return;
        };
        if results.len() != addresses.len() {
            tracing::warn!(expected = addresses.len(), got = results.len(), "LMTP backend returned the wrong number of delivery results");
        }
        let delivered = results.iter().filter(|r| **r == DeliveryResult::Delivered).count();
        tracing::debug!(recipients = addresses.len(), delivered, "LMTP delivery answered");
        for (i, address) in addresses.iter().enumerate() {
            let result = results.get(i).copied().unwrap_or(DeliveryResult::TempFail);
            reply::delivery(&mut self.out, result, address);
        }
    }

    /// Graceful shutdown: the next time the session would wait for input, it
    /// sends `421 4.3.2` and closes. A delivery under way is answered first.
    pub fn shutdown(&mut self) {
        self.close_requested.get_or_insert(reply::SHUTTING_DOWN);
    }

    /// The client was silent for too long: close with `421 4.4.2`, as
    /// [`Session::shutdown`] does.
    pub fn idle_timeout(&mut self) {
        self.close_requested.get_or_insert(reply::IDLE_TIMEOUT);
    }

    /// One move of the state machine; `Some` when the caller must act.
    fn step(&mut self) -> Option<Event> {
        match self.state {
            State::Closed => Some(Event::Close),
            State::Command => self.read_command(),
            State::LongLine => self.discard_long_line(),
            State::Data(_) => self.read_data(),
            State::Chunk { .. } => self.read_chunk(),
            State::AwaitRecipient { .. } => {
                self.answer_recipient(RcptCheck::TempFail);
                None
            }
            State::AwaitDelivery { .. } => {
                self.answer_delivery(Vec::new());
                None
            }
        }
    }

    fn need_input(&mut self) -> Option<Event> {
        match self.close_requested {
            Some(reply) => {
                self.close_with(reply);
                None
            }
            None => Some(Event::NeedInput),
        }
    }

    fn close_with(&mut self, line: &str) {
        reply::push(&mut self.out, line);
        self.state = State::Closed;
    }

    fn reply(&mut self, line: &str) {
        reply::push(&mut self.out, line);
    }

    /// A malformed or out-of-sequence command: reply, and close once the client
    /// has made too many.
    fn protocol_error(&mut self, line: &str) {
        self.reply(line);
        self.errors += 1;
        if self.errors >= self.max_errors {
            tracing::debug!(errors = self.errors, "LMTP session closed for too many errors");
            self.close_with(reply::TOO_MANY_ERRORS);
        }
    }
}

fn rcpt_outcome(check: &RcptCheck) -> &'static str {
    match check {
        RcptCheck::Accept(_) => "accept",
        RcptCheck::Unknown => "unknown",
        RcptCheck::Disabled => "disabled",
        RcptCheck::OverQuota => "over quota",
        RcptCheck::TooBigForQuota => "too big for quota",
        RcptCheck::TempFail => "temporary failure",
    }
}
