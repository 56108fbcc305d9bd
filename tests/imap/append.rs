//! APPEND: flags and date kept, APPENDUID, MULTIAPPEND, literals checked
//! against APPENDLIMIT before the continuation, byte-exact round trip.

use super::{Imap, server_with};

#[test]
fn append_round_trips_byte_exact() {
    let (_s, server) = server_with("app@example.com", &[]);
    let mut c = Imap::login(server.imap, "app@example.com");
    let raw = "From: a@example.org\r\nSubject: caf\u{e9}\r\n\r\n8-bit body \u{e9}\r\nlast line without newline";
    c.send(format!("a APPEND Drafts (\\Draft $Label1) \"05-Mar-2024 14:02:03 +0100\" {{{}}}\r\n", raw.len()).as_bytes());
    assert!(c.line().starts_with("+ "), "synchronising literal gets a continuation");
    c.send(raw.as_bytes());
    c.send(b"\r\n");
    let r = c.until_tagged("a");
    assert!(super::glob("a OK [APPENDUID * 1] *", r.last().unwrap()), "{r:?}");
    c.script(
        r#"
        C: b SELECT Drafts
        S: * FLAGS (* $label1*)
        S: * 1 EXISTS
        S: b OK *
        C: c FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE)
        S: * 1 FETCH (FLAGS (\Recent \Draft $label1) INTERNALDATE "05-Mar-2024 13:02:03 +0000" RFC822.SIZE *)
        S: c OK *
        "#,
    );
    let r = c.cmd("d FETCH 1 BODY.PEEK[]");
    let body = r[0].split_once("}\r\n").unwrap().1.trim_end_matches(')');
    assert_eq!(body, raw);
}

#[test]
fn multiappend_and_limits() {
    let (_s, server) = server_with("multi@example.com", &[]);
    let mut c = Imap::login(server.imap, "multi@example.com");
    c.script(
        r"
        C: a APPEND INBOX {12+}\r\nSubject: 1\r\n (\Seen) {12+}\r\nSubject: 2\r\n {12+}\r\nSubject: 3\r\n
        S: a OK [APPENDUID * 1:3] *
        C: b APPEND Nowhere {12+}\r\nSubject: 1\r\n
        S: b NO [TRYCREATE] *
        C: c STATUS INBOX (MESSAGES UNSEEN)
        S: * STATUS INBOX (MESSAGES 3 UNSEEN 2)
        S: c OK *
        ",
    );
    // Over APPENDLIMIT: refused before the client sends the bytes.
    c.send(b"d APPEND INBOX {999999999999}\r\n");
    let l = c.line();
    assert!(l.starts_with("d NO [TOOBIG]"), "{l}");
    c.script("C: e NOOP\nS: e OK *");
}
