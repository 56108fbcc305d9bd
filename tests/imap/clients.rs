//! Real client libraries and replayed client patterns: Python's imaplib
//! (IDLE push, CONDSTORE/QRESYNC resync, MOVE, APPEND/FETCH byte-exact, SEARCH
//! in UTF-8 and in a quoted-printable part), and the command sequences of
//! iPhone Mail and Outlook, which cannot run here.

use super::{Imap, PASSWORD, message, server_with};
use std::process::Command;

#[test]
fn python_imaplib_session() {
    let (_s, server) = server_with("py@example.com", &[&message(1), &message(2)]);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/data/imaplib_client.py");
    let out = Command::new("python3")
        .arg(script)
        .args([server.imap.ip().to_string(), server.imap.port().to_string(), "py@example.com".into(), PASSWORD.into()])
        .arg(server.lmtp.port().to_string())
        .output()
        .expect("python3 is installed by .ci/run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "imaplib client failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("ALL CHECKS PASSED"), "{stdout}");
}

#[test]
fn iphone_and_outlook_patterns() {
    let m: Vec<String> = (1..=10).map(message).collect();
    let (_s, server) = server_with("phone@example.com", &m.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = Imap::connect(server.imap);
    // iPhone Mail: ID before login, STATUS on every folder, then the inbox.
    c.script(
        r#"
        C: 1 ID ("name" "iPhone Mail" "version" "21A329" "os" "iOS" "os-version" "17.0")
        S: 1 OK *
        C: 2 LOGIN "phone@example.com" "secret"
        S: 2 OK *
        C: 3 LIST "" "*"
        S: * LIST (\HasNoChildren) "/" INBOX
        S: 3 OK *
        C: 4 STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)
        S: * STATUS INBOX (MESSAGES 10 UNSEEN 10 UIDNEXT 11 UIDVALIDITY * HIGHESTMODSEQ *)
        S: 4 OK *
        C: 5 STATUS Sent (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)
        S: 5 OK *
        C: 6 STATUS Trash (MESSAGES UNSEEN UIDNEXT UIDVALIDITY HIGHESTMODSEQ)
        S: 6 OK *
        C: 7 SELECT INBOX (CONDSTORE)
        S: * 10 EXISTS
        S: 7 OK [READ-WRITE] *
        C: 8 UID FETCH 1:* (FLAGS UID) (CHANGEDSINCE 1)
        S: * 10 FETCH (UID 10 FLAGS (\Recent) MODSEQ (*))
        S: 8 OK *
        C: 9 UID FETCH 6:10 (UID RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From Subject Date Message-ID)] BODY.PEEK[1]<0.2048>)
        S: * 6 FETCH (UID 6 RFC822.SIZE * BODY[HEADER.FIELDS (From Subject Date Message-ID)] {*}* BODY[1]<0> {*}*body of message 6*)
        S: 9 OK *
        C: 10 UID MOVE 2:4 Trash
        S: * OK [COPYUID * 2:4 1:3] *
        S: * 2 EXPUNGE
        S: 10 OK *
        C: 11 UID STORE 5 +FLAGS.SILENT (\Seen)
        S: * 2 FETCH (UID 5 MODSEQ (*))
        S: 11 OK *
        "#,
    );
    // Outlook: LSUB, EXAMINE, FETCH of envelopes in ranges, STORE by number.
    let mut o = Imap::login(server.imap, "phone@example.com");
    o.script(
        r#"
        C: a LSUB "" "*"
        S: * LSUB () "/" INBOX
        S: a OK *
        C: b SELECT "INBOX"
        S: * 7 EXISTS
        S: b OK *
        C: c UID FETCH 1:* (UID FLAGS ENVELOPE RFC822.SIZE INTERNALDATE BODYSTRUCTURE)
        S: * 7 FETCH (UID 10 FLAGS () ENVELOPE (* "message 10" *) RFC822.SIZE * INTERNALDATE "*" BODYSTRUCTURE ("text" "plain" *))
        S: c OK *
        C: d STORE 1:2 +FLAGS (\Deleted)
        S: * 1 FETCH (FLAGS (\Deleted))
        S: d OK *
        C: e EXPUNGE
        S: * 1 EXPUNGE
        S: * 1 EXPUNGE
        S: e OK *
        "#,
    );
}
