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

#[test]
fn binary_append_keeps_nul_octets_out_of_body_fetches() {
    let (_s, server) = server_with("bin@example.com", &[]);
    let mut c = Imap::login(server.imap, "bin@example.com");
    let raw = b"From: a@example.org\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\x00\x01\xe4\r\n";
    c.send(format!("a APPEND INBOX ~{{{}+}}\r\n", raw.len()).as_bytes());
    c.send(raw);
    c.send(b"\r\n");
    let r = c.until_tagged("a");
    assert!(r.last().unwrap().starts_with("a OK"), "{r:?}");
    c.script("C: b SELECT INBOX\nS: b OK *");
    let r = c.cmd("c FETCH 1 (BODY.PEEK[1] BINARY.SIZE[1])");
    assert!(!r[0].contains('\0'), "no NUL in BODY[]: {r:?}");
    assert!(r[0].contains("AAHk") && r[0].contains("BINARY.SIZE[1] 5"), "{r:?}");
    c.send(b"d FETCH 1 BINARY.PEEK[1]\r\n");
    let mut head = Vec::new();
    loop {
        let mut b = [0u8; 1];
        std::io::Read::read_exact(&mut c.raw_reader(), &mut b).unwrap();
        head.push(b[0]);
        if head.ends_with(b"~{5}\r\n") {
            break;
        }
        assert!(head.len() < 200, "{}", String::from_utf8_lossy(&head));
    }
    let mut data = [0u8; 5];
    std::io::Read::read_exact(&mut c.raw_reader(), &mut data).unwrap();
    assert_eq!(&data, b"\x00\x01\xe4\r\n");
    let r = c.until_tagged("d");
    assert!(r.last().unwrap().starts_with("d OK"), "{r:?}");
}
