//! SELECT, EXAMINE, CLOSE and UNSELECT.

use super::{Imap, message, server_with};

#[test]
fn select_reports_the_mailbox_and_examine_is_read_only() {
    let m: Vec<String> = (1..=3).map(message).collect();
    let (_s, server) = server_with("sel@example.com", &m.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = Imap::login(server.imap, "sel@example.com");
    c.script(
        r"
        C: a SELECT inbox
        S: * FLAGS (\Answered \Flagged \Deleted \Seen \Draft*)
        S: * OK [PERMANENTFLAGS (\Answered*\*)] *
        S: * 3 EXISTS
        S: * OK [UNSEEN 1] *
        S: * OK [UIDVALIDITY *] *
        S: * OK [UIDNEXT 4] *
        S: * OK [HIGHESTMODSEQ *] *
        S: * OK [MAILBOXID (B1)] *
        S: a OK [READ-WRITE] *
        C: b EXAMINE Sent
        S: * OK [CLOSED] *
        S: * 0 EXISTS
        S: b OK [READ-ONLY] *
        C: c STORE 1 +FLAGS (\Seen)
        S: c NO [READ-ONLY] *
        C: d SELECT NoSuchBox
        S: d NO [NONEXISTENT] *
        C: e FETCH 1 FLAGS
        S: e BAD *
        ",
    );
}

#[test]
fn close_expunges_deleted_and_unselect_does_not() {
    let m: Vec<String> = (1..=3).map(message).collect();
    let (_s, server) = server_with("close@example.com", &m.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = Imap::login(server.imap, "close@example.com");
    c.script(
        r"
        C: a SELECT INBOX
        S: a OK *
        C: b STORE 1 +FLAGS.SILENT (\Deleted)
        S: b OK *
        C: c UNSELECT
        !S: * 1 EXPUNGE
        S: c OK *
        C: d SELECT INBOX
        S: * 3 EXISTS
        S: d OK *
        C: e CLOSE
        !S: * 1 EXPUNGE
        S: e OK *
        C: f STATUS INBOX (MESSAGES)
        S: * STATUS INBOX (MESSAGES 2)
        S: f OK *
        ",
    );
}
