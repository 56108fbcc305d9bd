//! LMTP (RFC 2033) against the real server: delivery, per-recipient replies,
//! limits, and bad input that must get a clear reply without hurting others.

use crate::harness::{Lmtp, Setup, without_return_path};

fn msg(subject: &str) -> Vec<u8> {
    format!("From: a@example.org\r\nTo: b@example.com\r\nSubject: {subject}\r\nMessage-ID: <{subject}@example.org>\r\n\r\nbody of {subject}\r\n.leading dot line\r\n").into_bytes()
}

#[test]
fn delivers_to_login_alias_and_plus_address_with_one_reply_each() {
    let s = Setup::new();
    s.create("alice@example.com", &["--alias", "a.smith@example.com"]);
    s.create("bob@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    let replies = c.deliver(
        "sender@example.org",
        &["alice@example.com", "a.smith@example.com", "alice+lists@example.com", "nobody@example.com", "bob@example.com"],
        &msg("m1"),
    );
    assert_eq!(replies.len(), 5, "{replies:?}");
    assert!(replies[0].starts_with("550 5.1.1"), "unknown recipient refused at RCPT: {replies:?}");
    for r in &replies[1..] {
        assert!(r.starts_with("250 2."), "{r}");
    }
    drop(server);
    assert_eq!(s.messages("alice@example.com"), 3);
    assert_eq!(s.messages("bob@example.com"), 1);
    let files = s.export("bob@example.com");
    let (_, stored) = files.iter().find(|(p, _)| p.starts_with("mail/INBOX/")).unwrap();
    assert_eq!(without_return_path(stored), msg("m1"), "dot-unstuffed and byte-identical");
    assert!(stored.starts_with(b"Return-Path: <sender@example.org>\r\n"));
}

#[test]
fn quota_and_size_limits_answer_with_their_codes() {
    let s = Setup::with(|c| *c = c.replace("max_message_size = \"64M\"", "max_message_size = \"2K\""));
    s.create("small@example.com", &["--quota", "1K"]);
    s.create("roomy@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);

    let body = vec![b'x'; 700];
    let mut m = b"Subject: q\r\n\r\n".to_vec();
    m.extend_from_slice(&body);
    m.extend_from_slice(b"\r\n");
    assert!(c.deliver("s@example.org", &["small@example.com"], &m)[0].starts_with("250"));
    let r = c.deliver("s@example.org", &["small@example.com", "roomy@example.com"], &m);
    assert!(r[0].starts_with("452 4.2.2"), "quota full: {r:?}");
    assert!(r[1].starts_with("250"), "the other recipient still gets it: {r:?}");

    let mut big = b"Subject: big\r\n\r\n".to_vec();
    big.extend(std::iter::repeat_n(b"0123456789abcdef\r\n".as_slice(), 200).flatten());
    let r = c.cmd("MAIL FROM:<s@example.org> SIZE=5000");
    assert!(r.starts_with("552 5.3.4"), "declared size over SIZE: {r}");
    let r = c.deliver("s@example.org", &["roomy@example.com"], &big);
    assert!(r[0].starts_with("552 5.3.4"), "actual size over SIZE: {r:?}");
    let r = c.deliver("s@example.org", &["small@example.com"], &big[..1500]);
    assert!(r[0].starts_with("552 5.2.2"), "alone larger than the quota: {r:?}");
    drop(server);
    assert_eq!(s.messages("small@example.com"), 1);
    assert_eq!(s.messages("roomy@example.com"), 1);
}

#[test]
fn bad_input_gets_clear_replies_and_the_server_keeps_serving() {
    let s = Setup::new();
    s.create("victim@example.com", &[]);
    let server = s.start();

    let mut bad = Lmtp::connect(server.lmtp);
    let r = bad.cmd("DATA");
    assert!(r.starts_with("503 5.5.1"), "DATA before MAIL/RCPT: {r}");
    bad.send(b"NOOP\n");
    let r = bad.reply();
    assert!(r.starts_with("500 5.5.2"), "bare LF: {r}");
    bad.send(&vec![b'A'; 100_000]);
    bad.send(b"\r\n");
    let r = bad.reply();
    assert!(r.starts_with("500 5.5.2"), "100 kB line: {r}");
    bad.send(b"\xff\xfe\x80 junk \xc3\x28\r\n");
    let r = bad.reply();
    assert!(r.starts_with("500") || r.starts_with("501"), "8-bit junk: {r}");
    let r = bad.cmd("NOOP");
    assert!(r.starts_with("250"), "session goes on: {r}");

    // 10,000 recipients, pipelined: bounded by max_recipients, one reply each.
    bad.cmd("MAIL FROM:<x@example.org>");
    let mut burst = Vec::new();
    for _ in 0..10_000 {
        burst.extend_from_slice(b"RCPT TO:<victim@example.com>\r\n");
    }
    bad.send(&burst);
    let (mut ok, mut too_many) = (0, 0);
    for _ in 0..10_000 {
        let r = bad.reply();
        if r.starts_with("250") {
            ok += 1;
        } else if r.starts_with("452 4.5.3") {
            too_many += 1;
        } else {
            panic!("unexpected reply {r}");
        }
    }
    assert_eq!((ok, too_many), (1000, 9000));
    assert!(bad.cmd("RSET").starts_with("250"));

    // Meanwhile another client is served normally.
    let mut good = Lmtp::connect(server.lmtp);
    let r = good.deliver("x@example.org", &["victim@example.com"], b"Subject: fine\r\n\r\nstill works\r\n");
    assert!(r[0].starts_with("250"), "{r:?}");
    assert!(good.cmd("QUIT").starts_with("221"));
    drop(server);
    assert_eq!(s.messages("victim@example.com"), 1);
}

#[test]
fn null_sender_is_accepted_and_smtp_greetings_are_not() {
    let s = Setup::new();
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    let r = c.cmd("MAIL FROM:<>");
    assert!(r.starts_with("250"), "null sender (bounces) accepted: {r}");
    let r = c.cmd("RCPT TO:<nobody@example.com>");
    assert!(r.starts_with("550 5.1.1"), "{r}");
    let r = c.cmd("HELO x");
    assert!(r.starts_with("500 5.5.1"), "LMTP only: {r}");
}
