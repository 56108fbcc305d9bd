//! Every reply text the server sends, in one place so the wording and the codes
//! (RFC 5321 basic codes, RFC 3463 enhanced codes as RFC 2034 asks) stay
//! consistent and reviewable.
//!
//! RFC 2034 exempts the greeting, the LHLO reply and the 3xx intermediate reply
//! from enhanced codes; everything else carries one. Constants are whole lines
//! without CRLF; [`push`] adds it.

use crate::backend::{DeliveryResult, RcptCheck};

pub(crate) const OK: &str = "250 2.0.0 OK";
pub(crate) const SENDER_OK: &str = "250 2.1.0 Sender OK";
pub(crate) const START_DATA: &str = "354 Start mail input; end with <CRLF>.<CRLF>";
pub(crate) const BYE: &str = "221 2.0.0 Bye";
// Privacy: VRFY never says whether a mailbox exists.
pub(crate) const VRFY: &str = "252 2.5.0 Cannot VRFY user; send RCPT to try delivery";
pub(crate) const HELP: &str = "214 2.0.0 Commands: LHLO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP";

pub(crate) const UNRECOGNIZED: &str = "500 5.5.2 Command unrecognized";
pub(crate) const LINE_TOO_LONG: &str = "500 5.5.2 Line too long";
pub(crate) const BARE_LF: &str = "500 5.5.2 Bare LF not allowed";
pub(crate) const BARE_CR: &str = "500 5.5.2 Bare CR not allowed";
pub(crate) const LMTP_ONLY: &str = "500 5.5.1 This is an LMTP server: use LHLO";
pub(crate) const NOT_IMPLEMENTED: &str = "502 5.5.1 Command not implemented";

pub(crate) const LHLO_SYNTAX: &str = "501 5.5.4 Syntax: LHLO hostname";
pub(crate) const MAIL_SYNTAX: &str = "501 5.5.4 Syntax: MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME]";
pub(crate) const RCPT_SYNTAX: &str = "501 5.5.4 Syntax: RCPT TO:<address>";
pub(crate) const DATA_SYNTAX: &str = "501 5.5.4 Syntax: DATA";
pub(crate) const RSET_SYNTAX: &str = "501 5.5.4 Syntax: RSET";
pub(crate) const QUIT_SYNTAX: &str = "501 5.5.4 Syntax: QUIT";
pub(crate) const VRFY_SYNTAX: &str = "501 5.5.4 Syntax: VRFY address";
pub(crate) const BAD_SENDER: &str = "501 5.1.7 Bad sender address syntax";
pub(crate) const BAD_RECIPIENT: &str = "501 5.1.3 Bad recipient address syntax";
pub(crate) const PARAMETER_SYNTAX: &str = "501 5.5.4 Syntax error in parameters";
pub(crate) const BAD_SIZE: &str = "501 5.5.4 Syntax: SIZE=octets";
pub(crate) const BAD_BODY: &str = "501 5.5.4 Syntax: BODY=7BIT|8BITMIME";
pub(crate) const DUPLICATE_PARAMETER: &str = "501 5.5.4 Duplicate parameter";
pub(crate) const UNSUPPORTED_PARAMETER: &str = "555 5.5.4 Unsupported parameter";

pub(crate) const NEED_LHLO: &str = "503 5.5.1 Send LHLO first";
pub(crate) const NESTED_MAIL: &str = "503 5.5.1 Nested MAIL command";
pub(crate) const NEED_MAIL: &str = "503 5.5.1 Need MAIL command";
pub(crate) const NEED_RCPT: &str = "503 5.5.1 Need RCPT command";
pub(crate) const NO_VALID_RECIPIENTS: &str = "503 5.5.1 No valid recipients";
pub(crate) const RCPT_AFTER_BDAT: &str = "503 5.5.1 RCPT not allowed after BDAT";
pub(crate) const DATA_AFTER_BDAT: &str = "503 5.5.1 DATA not allowed after BDAT";

pub(crate) const TOO_MANY_RECIPIENTS: &str = "452 4.5.3 Too many recipients";
pub(crate) const TOO_BIG: &str = "552 5.3.4 Message size exceeds fixed maximum message size";

pub(crate) const TOO_MANY_ERRORS: &str = "421 4.7.0 Too many errors";
pub(crate) const DATA_AS_COMMANDS: &str = "421 4.7.0 Message data sent as commands, closing connection";
pub(crate) const BAD_BDAT: &str = "421 4.5.4 Syntax: BDAT size [LAST]; cannot resynchronise, closing connection";
pub(crate) const SHUTTING_DOWN: &str = "421 4.3.2 Service shutting down";
pub(crate) const IDLE_TIMEOUT: &str = "421 4.4.2 Idle timeout, closing connection";

/// Appends `line` and CRLF.
pub(crate) fn push(out: &mut Vec<u8>, line: &str) {
    out.extend_from_slice(line.as_bytes());
    out.extend_from_slice(b"\r\n");
}

pub(crate) fn greeting(out: &mut Vec<u8>, hostname: &str) {
    push(out, &format!("220 {hostname} LMTP ready"));
}

/// The LHLO reply: only extensions implemented completely.
pub(crate) fn lhlo(out: &mut Vec<u8>, hostname: &str, max_message_size: u64) {
    push(out, &format!("250-{hostname}"));
    push(out, "250-PIPELINING");
    push(out, "250-ENHANCEDSTATUSCODES");
    push(out, "250-8BITMIME");
    push(out, &format!("250-SIZE {max_message_size}"));
    push(out, "250 CHUNKING");
}

pub(crate) fn chunk_received(out: &mut Vec<u8>, octets: u64) {
    push(out, &format!("250 2.0.0 {octets} octets received"));
}

/// `code <address> text`: the form of every per-recipient reply. The address was
/// validated as printable ASCII by the parser, so it cannot break the reply line.
fn for_address(out: &mut Vec<u8>, code: &str, address: &str, text: &str) {
    push(out, &format!("{code} <{address}> {text}"));
}

pub(crate) fn rcpt(out: &mut Vec<u8>, check: &RcptCheck, address: &str) {
    let (code, text) = match check {
        RcptCheck::Accept(_) => ("250 2.1.5", "Recipient OK"),
        RcptCheck::Unknown => ("550 5.1.1", "User unknown"),
        RcptCheck::Disabled => ("550 5.2.1", "Mailbox disabled, not accepting messages"),
        RcptCheck::OverQuota => ("452 4.2.2", "Mailbox full"),
        RcptCheck::TooBigForQuota => ("552 5.2.2", "Message exceeds mailbox quota"),
        RcptCheck::TempFail => ("451 4.3.0", "Temporary failure, try again later"),
    };
    for_address(out, code, address, text);
}

pub(crate) fn delivery(out: &mut Vec<u8>, result: DeliveryResult, address: &str) {
    let (code, text) = match result {
        DeliveryResult::Delivered => ("250 2.0.0", "Delivered"),
        DeliveryResult::Unknown => ("550 5.1.1", "User unknown"),
        DeliveryResult::Disabled => ("550 5.2.1", "Mailbox disabled, not accepting messages"),
        DeliveryResult::OverQuota => ("452 4.2.2", "Mailbox full"),
        DeliveryResult::TooBigForQuota => ("552 5.2.2", "Message exceeds mailbox quota"),
        DeliveryResult::TempFail => ("451 4.3.0", "Temporary failure, try again later"),
    };
    for_address(out, code, address, text);
}

/// The per-recipient reply when the message outgrew `max_message_size`.
pub(crate) fn too_big_for(out: &mut Vec<u8>, address: &str) {
    for_address(out, "552 5.3.4", address, "Message size exceeds fixed maximum message size");
}
