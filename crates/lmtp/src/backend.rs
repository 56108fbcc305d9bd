//! The seam between LMTP and the rest of the server: who may receive mail, and
//! making a message durable. The server crate implements [`Backend`] over the
//! store; tests use an in-memory fake.

use std::fmt;
use std::future::Future;

/// What the driver asks of the server. Both calls may take their time (a lookup,
/// an fsync): the session waits, and replies only once they answer.
pub trait Backend: Send + Sync + 'static {
    /// RCPT TO time. `address` is the forward-path without `<>`, as the client
    /// wrote it (source route dropped). `declared_size` is MAIL FROM's `SIZE=`, if
    /// any, so a mailbox that cannot hold the message can refuse it now.
    fn check_recipient(&self, address: &str, declared_size: Option<u64>) -> impl Future<Output = RcptCheck> + Send;

    /// After the message is complete: once per transaction, with the recipients
    /// accepted at RCPT time, in order. Must return exactly one result per
    /// recipient, in the same order, and only once the message is durable: a
    /// `Delivered` is a promise to the sending MTA that it may forget the message.
    /// A missing result is answered as a temporary failure, never as delivered.
    fn deliver(&self, delivery: Delivery) -> impl Future<Output = Vec<DeliveryResult>> + Send;
}

/// A recipient the backend accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The address as accepted (the backend may normalise it).
    pub address: String,
    /// An opaque token from the backend naming the account to deliver to.
    pub account: u64,
}

/// The backend's verdict on one `RCPT TO`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RcptCheck {
    /// `250 2.1.5`
    Accept(Recipient),
    /// `550 5.1.1 User unknown`
    Unknown,
    /// `550 5.2.1 Mailbox disabled` (a terminated account).
    Disabled,
    /// `452 4.2.2 Mailbox full`
    OverQuota,
    /// `552 5.2.2`: the declared size alone exceeds the mailbox's quota.
    TooBigForQuota,
    /// `451 4.3.0`: try again later.
    TempFail,
}

/// One complete message and the recipients it is for.
#[derive(Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The reverse-path without `<>`; empty for the null sender (bounces).
    pub return_path: String,
    /// The recipients accepted at RCPT time, in RCPT order.
    pub recipients: Vec<Recipient>,
    /// The message, dot-unstuffed, with CRLF line ends (bare LFs normalised).
    pub message: Vec<u8>,
}

/// The outcome of delivering to one recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryResult {
    /// `250 2.0.0 Delivered`: the message is durable in the mailbox.
    Delivered,
    /// `550 5.1.1`: the account vanished since RCPT.
    Unknown,
    /// `550 5.2.1`: the account was disabled since RCPT.
    Disabled,
    /// `452 4.2.2`: the mailbox is full.
    OverQuota,
    /// `552 5.2.2`: this message can never fit in the mailbox's quota.
    TooBigForQuota,
    /// `451 4.3.0`: try again later.
    TempFail,
}

// Addresses and message content are personal data: never print them, so a stray
// `debug!(?delivery)` cannot put them in a log.
impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient").field("address", &"[redacted]").field("account", &self.account).finish()
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("return_path", &"[redacted]")
            .field("recipients", &self.recipients)
            .field("message", &format_args!("[{} octets]", self.message.len()))
            .finish()
    }
}
