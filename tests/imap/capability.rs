//! CAPABILITY before and after login, LOGOUT, NOOP, and bad commands.

use super::{Imap, server_with};

#[test]
fn capabilities_before_and_after_login() {
    let (_s, server) = server_with("cap@example.com", &[]);
    let mut c = Imap::connect(server.imap);
    assert!(c.greeting.contains("[CAPABILITY IMAP4rev1 "), "{}", c.greeting);
    c.script(
        "
        C: a CAPABILITY
        S: * CAPABILITY IMAP4rev1 IMAP4rev2 * STARTTLS AUTH=PLAIN
        S: a OK *
        C: b NOOP
        S: b OK *
        C: c SELECT INBOX
        S: c BAD *
        C: d FROBNICATE
        S: d BAD *
        C: e LOGIN cap@example.com secret
        S: e OK [CAPABILITY IMAP4rev1 * IDLE * CONDSTORE QRESYNC * APPENDLIMIT=*] *
        C: f CAPABILITY
        S: * CAPABILITY * UIDPLUS MOVE * SPECIAL-USE * METADATA * COMPRESS=DEFLATE*
        !S: * STARTTLS*
        S: f OK *
        C: g LOGOUT
        S: * BYE *
        S: g OK *
        ",
    );
}

#[test]
fn garbage_gets_bad_and_the_session_goes_on() {
    let (_s, server) = server_with("bad@example.com", &[]);
    let mut c = Imap::login(server.imap, "bad@example.com");
    c.send(b"\x00\x01\x02 garbage\r\n");
    let l = c.line();
    assert!(l.starts_with("* BAD") || l.contains("BAD"), "{l}");
    c.script(
        "
        C: a FETCH
        S: a BAD *
        C: b UID FETCH 1:* (FLAGS
        S: b BAD *
        C: c SELECT INBOX
        S: c OK [READ-WRITE] *
        C: d FETCH 0 FLAGS
        S: d BAD *
        C: e NOOP
        S: e OK *
        ",
    );
}
