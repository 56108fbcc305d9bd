//! One mail transaction (RFC 5321 3.3): MAIL, RCPT, then the message by DATA or
//! BDAT chunks, then the delivery and its per-recipient replies (RFC 2033 4.2).
//! Also the commands outside a transaction, which are one line each.

use std::mem;

use super::{Event, Session, State};
use crate::backend::{Delivery, Recipient};
use crate::body::{Body, DataDecoder};
use crate::command::Command;
use crate::reply;

/// Whether a BDAT chunk's octets belong to a transaction. RFC 3030 requires
/// consuming a refused chunk all the same: its length is known, so the stream
/// stays in step.
pub(super) enum ChunkVerdict {
    Accept,
    Refuse { reply: &'static str, protocol_error: bool },
}

pub(super) struct Transaction {
    return_path: String,
    declared_size: Option<u64>,
    /// RCPT commands seen, accepted or not: tells "need RCPT" from "no valid one".
    rcpt_commands: usize,
    recipients: Vec<Recipient>,
    /// The addresses as the client wrote them, for the per-recipient replies.
    addresses: Vec<String>,
    body: Body,
    /// A BDAT chunk arrived: no more RCPT, and no DATA (RFC 3030).
    chunking: bool,
}

impl Transaction {
    pub(super) fn accept(&mut self, recipient: Recipient, address: String) {
        self.recipients.push(recipient);
        self.addresses.push(address);
    }
}

impl Session {
    pub(super) fn execute(&mut self, command: Command) -> Option<Event> {
        match command {
            Command::Lhlo => {
                // RFC 5321 4.1.4: a greeting resets any transaction.
                self.greeted = true;
                self.tx = None;
                reply::lhlo(&mut self.out, &self.hostname, self.max_message_size);
            }
            Command::SmtpGreeting => self.protocol_error(reply::LMTP_ONLY),
            Command::Mail { reverse_path, size } => self.mail(reverse_path, size),
            Command::Rcpt { forward_path } => return self.rcpt(forward_path),
            Command::Data => self.data(),
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.tx = None;
                self.reply(reply::OK);
            }
            Command::Noop => self.reply(reply::OK),
            Command::Quit => self.close_with(reply::BYE),
            Command::Vrfy => self.reply(reply::VRFY),
            Command::Help => self.reply(reply::HELP),
            Command::NotOffered => self.protocol_error(reply::NOT_IMPLEMENTED),
        }
        None
    }

    fn mail(&mut self, return_path: String, declared_size: Option<u64>) {
        if !self.greeted {
            return self.protocol_error(reply::NEED_LHLO);
        }
        if self.tx.is_some() {
            return self.protocol_error(reply::NESTED_MAIL);
        }
        if declared_size.is_some_and(|size| size > self.max_message_size) {
            return self.reply(reply::TOO_BIG);
        }
        self.tx = Some(Transaction {
            return_path,
            declared_size,
            rcpt_commands: 0,
            recipients: Vec::new(),
            addresses: Vec::new(),
            body: Body::new(self.max_message_size),
            chunking: false,
        });
        self.reply(reply::SENDER_OK);
    }

    fn rcpt(&mut self, address: String) -> Option<Event> {
        if !self.greeted {
            self.protocol_error(reply::NEED_LHLO);
            return None;
        }
        let Some(tx) = self.tx.as_mut() else {
            self.protocol_error(reply::NEED_MAIL);
            return None;
        };
        if tx.chunking {
            self.protocol_error(reply::RCPT_AFTER_BDAT);
            return None;
        }
        tx.rcpt_commands += 1;
        // Checked before asking the backend: a flood of RCPTs costs neither
        // memory nor lookups past the limit.
        if tx.recipients.len() >= self.max_recipients {
            self.reply(reply::TOO_MANY_RECIPIENTS);
            return None;
        }
        let declared_size = tx.declared_size;
        self.state = State::AwaitRecipient { address: address.clone() };
        Some(Event::CheckRecipient { address, declared_size })
    }

    /// Why a transaction cannot take message data now, if it cannot.
    fn refuse_data(&self) -> Option<(&'static str, bool)> {
        if !self.greeted {
            return Some((reply::NEED_LHLO, true));
        }
        let Some(tx) = &self.tx else {
            return Some((reply::NEED_MAIL, true));
        };
        if tx.recipients.is_empty() {
            // With PIPELINING, DATA after refused recipients is normal client
            // behaviour, not an error (Postfix agrees).
            return Some(if tx.rcpt_commands == 0 { (reply::NEED_RCPT, true) } else { (reply::NO_VALID_RECIPIENTS, false) });
        }
        None
    }

    fn data(&mut self) {
        if let Some((line, protocol_error)) = self.refuse_data() {
            // Inside a transaction, the client may be sending the message blind.
            self.data_refused = self.tx.is_some();
            return if protocol_error { self.protocol_error(line) } else { self.reply(line) };
        }
        if self.tx.as_ref().is_some_and(|tx| tx.chunking) {
            return self.protocol_error(reply::DATA_AFTER_BDAT);
        }
        self.reply(reply::START_DATA);
        self.state = State::Data(DataDecoder::new());
    }

    fn bdat(&mut self, size: u64, last: bool) {
        let verdict = match (self.refuse_data(), self.tx.as_mut()) {
            (Some((reply, protocol_error)), _) => ChunkVerdict::Refuse { reply, protocol_error },
            (None, Some(tx)) => {
                tx.chunking = true;
                tx.body.announce(size);
                ChunkVerdict::Accept
            }
            // refuse_data() already answers NEED_MAIL without a transaction.
            (None, None) => ChunkVerdict::Refuse { reply: reply::NEED_MAIL, protocol_error: true },
        };
        self.state = State::Chunk { size, remaining: size, last, verdict };
    }

    pub(super) fn read_data(&mut self) -> Option<Event> {
        let Self { state: State::Data(decoder), tx, input, pos, .. } = self else {
            return None;
        };
        let Some(tx) = tx.as_mut() else {
            // Unreachable: DATA starts only inside a transaction. Resynchronise
            // on commands rather than panic.
            self.state = State::Command;
            return None;
        };
        let (used, done) = decoder.decode(&input[*pos..], &mut tx.body);
        *pos += used;
        if !done {
            return self.need_input();
        }
        self.state = State::Command;
        self.finish_message()
    }

    pub(super) fn read_chunk(&mut self) -> Option<Event> {
        let Self { state: State::Chunk { remaining, verdict, .. }, tx, input, pos, .. } = self else {
            return None;
        };
        let avail = &input[*pos..];
        let take = usize::try_from(*remaining).unwrap_or(usize::MAX).min(avail.len());
        if let (ChunkVerdict::Accept, Some(tx)) = (verdict, tx.as_mut()) {
            tx.body.push_chunk(&avail[..take]);
        }
        *pos += take;
        *remaining -= take as u64;
        if *remaining > 0 {
            return self.need_input();
        }
        let State::Chunk { size, last, verdict, .. } = mem::replace(&mut self.state, State::Command) else {
            return None;
        };
        match verdict {
            ChunkVerdict::Refuse { reply, protocol_error: true } => self.protocol_error(reply),
            ChunkVerdict::Refuse { reply, protocol_error: false } => self.reply(reply),
            ChunkVerdict::Accept if last => return self.finish_message(),
            // RFC 3030: after a failed chunk the client sends no more; any already
            // pipelined are consumed and refused the same way, and LAST fails
            // each recipient.
            ChunkVerdict::Accept if self.tx.as_ref().is_some_and(|tx| tx.body.overflowed()) => {
                self.reply(reply::TOO_BIG);
            }
            ChunkVerdict::Accept => reply::chunk_received(&mut self.out, size),
        }
        None
    }

    /// The message is complete: hand it to the backend, or fail each recipient if
    /// it outgrew the limit. Either way the transaction ends.
    fn finish_message(&mut self) -> Option<Event> {
        let tx = self.tx.take()?;
        if tx.body.overflowed() {
            tracing::debug!(recipients = tx.addresses.len(), "LMTP message over size limit");
            for address in &tx.addresses {
                reply::too_big_for(&mut self.out, address);
            }
            return None;
        }
        let message = tx.body.into_bytes();
        tracing::debug!(recipients = tx.recipients.len(), octets = message.len(), "LMTP message received");
        self.state = State::AwaitDelivery { addresses: tx.addresses };
        Some(Event::Deliver(Delivery { return_path: tx.return_path, recipients: tx.recipients, message }))
    }
}
