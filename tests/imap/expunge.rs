//! EXPUNGE and UID EXPUNGE, and other sessions told at their next command.

use super::{Imap, message, server_with};

#[test]
fn expunge_and_uid_expunge() {
    let m: Vec<String> = (1..=4).map(message).collect();
    let (_s, server) = server_with("ex@example.com", &m.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = Imap::login(server.imap, "ex@example.com");
    let mut other = Imap::login(server.imap, "ex@example.com");
    other.script("C: o1 SELECT INBOX\nS: * 4 EXISTS\nS: o1 OK *");
    c.script(
        r"
        C: a SELECT INBOX
        S: a OK *
        C: b STORE 1:3 +FLAGS.SILENT (\Deleted)
        S: b OK *
        C: c UID EXPUNGE 2
        S: * 2 EXPUNGE
        S: c OK *
        C: d EXPUNGE
        S: * 1 EXPUNGE
        S: * 1 EXPUNGE
        S: d OK *
        C: e FETCH 1 UID
        S: * 1 FETCH (UID 4)
        S: e OK *
        ",
    );
    // FETCH by sequence number must not renumber: the expunges wait.
    let r = other.cmd("o2 FETCH 1:* UID");
    assert!(!r.iter().any(|l| l.contains("EXPUNGE")), "{r:?}");
    other.script(
        r"
        C: o3 NOOP
        S: * 1 EXPUNGE
        S: * 1 EXPUNGE
        S: * 1 EXPUNGE
        S: o3 OK *
        C: o4 FETCH 1 UID
        S: * 1 FETCH (UID 4)
        S: o4 OK *
        ",
    );
}
