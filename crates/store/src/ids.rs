//! Object ids (JMAP ids and IMAP OBJECTID) from the store's numeric ids: a one-letter kind and the number in
//! lower-case hex (`M1f`, `B3`, `T2a`). Short, URL-safe, and the same strings
//! IMAP's OBJECTID will send (EMAILID, MAILBOXID, THREADID), so the two
//! protocols name every object alike.

use crate::{
    AccountId,
    mail::{EmailId, MailboxId},
};

pub fn account(id: AccountId) -> String {
    format!("A{:x}", id.0)
}

pub fn email(id: EmailId) -> String {
    format!("M{:x}", id.0)
}

pub fn mailbox(id: MailboxId) -> String {
    format!("B{:x}", id.0)
}

pub fn thread(id: u64) -> String {
    format!("T{:x}", id)
}

pub fn blob(id: u64) -> String {
    format!("G{:x}", id)
}

fn parse(prefix: char, s: &str) -> Option<u64> {
    let hex = s.strip_prefix(prefix)?;
    if hex.is_empty() || hex.len() > 16 || hex.starts_with('0') && hex.len() > 1 {
        return None;
    }
    u64::from_str_radix(hex, 16).ok().filter(|_| hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
}

pub fn parse_email(s: &str) -> Option<EmailId> {
    parse('M', s).map(EmailId)
}

/// An uploaded blob not yet made into a message.
pub fn upload(id: u64) -> String {
    format!("U{id:x}")
}

pub fn parse_upload(s: &str) -> Option<u64> {
    parse('U', s)
}

pub fn parse_blob(s: &str) -> Option<u64> {
    parse('G', s)
}

pub fn parse_thread(s: &str) -> Option<u64> {
    parse('T', s)
}

pub fn parse_mailbox(s: &str) -> Option<MailboxId> {
    parse('B', s).and_then(|n| u32::try_from(n).ok()).map(MailboxId)
}

/// An account id names this account only if it is exactly its string.
pub fn is_account(s: &str, id: AccountId) -> bool {
    s == account(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_lookalikes() {
        assert_eq!(email(EmailId(31)), "M1f");
        assert_eq!(parse_email("M1f"), Some(EmailId(31)));
        for bad in ["", "M", "m1f", "M1F", "M01f", "B1f", "M1g", "M11111111111111111"] {
            assert_eq!(parse_email(bad), None, "{bad}");
        }
        assert_eq!(parse_mailbox(&mailbox(MailboxId(7))), Some(MailboxId(7)));
        assert_eq!(parse_mailbox("B100000000"), None, "out of range");
    }
}
