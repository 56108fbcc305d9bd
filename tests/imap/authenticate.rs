//! LOGIN and AUTHENTICATE PLAIN (with and without SASL-IR), failures with
//! `[AUTHENTICATIONFAILED]`, and the brute-force limit.

use super::{Imap, server_with};
use base64::Engine;

fn plain(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

#[test]
fn login_and_authenticate_plain() {
    let (_s, server) = server_with("auth@example.com", &[]);
    let mut c = Imap::connect(server.imap);
    c.script(
        "
        C: a LOGIN auth@example.com wrong
        S: a NO [AUTHENTICATIONFAILED] *
        C: b LOGIN nobody@example.com secret
        S: b NO [AUTHENTICATIONFAILED] *
        C: c AUTHENTICATE CRAM-MD5
        S: c NO *
        ",
    );
    c.script(&format!("C: d AUTHENTICATE PLAIN {}\nS: d OK [CAPABILITY *] *", plain("auth@example.com", "secret")));
    c.script("C: e LOGIN auth@example.com secret\nS: e BAD *");

    // Without SASL-IR: a continuation, then the response line.
    let mut c = Imap::connect(server.imap);
    c.send(b"a AUTHENTICATE PLAIN\r\n");
    assert!(c.line().starts_with("+"));
    c.send(format!("{}\r\n", plain("auth@example.com", "secret")).as_bytes());
    let r = c.until_tagged("a");
    assert!(r.last().unwrap().starts_with("a OK"), "{r:?}");

    // Cancelled with `*`.
    let mut c = Imap::connect(server.imap);
    c.send(b"a AUTHENTICATE PLAIN\r\n");
    assert!(c.line().starts_with("+"));
    c.send(b"*\r\n");
    let r = c.until_tagged("a");
    assert!(r.last().unwrap().starts_with("a BAD"), "{r:?}");

    // Acting as someone else is refused.
    let mut c = Imap::connect(server.imap);
    let other = base64::engine::general_purpose::STANDARD.encode("admin@example.com\0auth@example.com\0secret");
    c.script(&format!("C: a AUTHENTICATE PLAIN {other}\nS: a NO [AUTHORIZATIONFAILED] *"));
}

#[test]
fn repeated_failures_are_blocked_even_with_the_right_password() {
    let (_s, server) = server_with("brute@example.com", &[]);
    let mut c = Imap::connect(server.imap);
    for i in 0..10 {
        let r = c.cmd(&format!("t{i} LOGIN brute@example.com wrong{i}"));
        assert!(r.last().unwrap().contains(" NO "), "{r:?}");
    }
    let r = c.cmd("ok LOGIN brute@example.com secret");
    assert!(r.last().unwrap().starts_with("ok NO [UNAVAILABLE]"), "{r:?}");
}

#[test]
fn sessions_per_account_are_limited() {
    let (_s, server) = server_with("many@example.com", &[]);
    let mut open: Vec<Imap> = (0..100).map(|_| Imap::login(server.imap, "many@example.com")).collect();
    let mut extra = Imap::connect(server.imap);
    let r = extra.cmd("a LOGIN many@example.com secret");
    assert!(r.last().unwrap().starts_with("a NO [LIMIT]"), "{r:?}");
    // A session that ends gives its place back.
    let mut first = open.remove(0);
    first.cmd("z LOGOUT");
    drop(first);
    std::thread::sleep(std::time::Duration::from_millis(200));
    let r = extra.cmd("b LOGIN many@example.com secret");
    assert!(r.last().unwrap().starts_with("b OK"), "{r:?}");
}
