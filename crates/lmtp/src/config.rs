//! The limits and names one LMTP listener runs with.

use std::time::Duration;

/// Settings of an LMTP listener, lowered by the server crate from its config file.
///
/// Values below the protocol's minimums are raised to them when a [`Session`]
/// starts (see each field), so no setting can make the server unusable or unsafe.
///
/// [`Session`]: crate::Session
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Name in the greeting and the LHLO reply. Anything but printable ASCII
    /// without spaces is dropped from it (it goes into replies verbatim); an
    /// empty result becomes `localhost`.
    pub hostname: String,
    /// Largest message accepted, in octets after dot-unstuffing; advertised as
    /// `SIZE`. It also caps the memory one transaction can hold.
    pub max_message_size: u64,
    /// Recipients accepted in one transaction; more get `452 4.5.3`. At least 1.
    pub max_recipients: usize,
    /// Longest command line in octets, CRLF included. At least 512 (RFC 5321
    /// 4.5.3.1.4). Longer lines are discarded without being buffered.
    pub max_command_line: usize,
    /// Protocol errors (malformed or out-of-sequence commands) tolerated in one
    /// session before it is closed with `421 4.7.0`. At least 1.
    pub max_errors: u32,
    /// How long the driver waits for the client to send (or to take our replies)
    /// before closing with `421 4.4.2`.
    pub idle_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            hostname: "localhost".to_owned(),
            max_message_size: 50 * 1024 * 1024,
            // Postfix's smtpd_recipient_limit; RFC 5321 asks for at least 100.
            max_recipients: 1000,
            max_command_line: 4096,
            max_errors: 20,
            // RFC 5321 4.5.3.2.7: the server should wait at least 5 minutes.
            idle_timeout: Duration::from_secs(300),
        }
    }
}
