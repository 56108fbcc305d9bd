//! CONDSTORE and QRESYNC resync after changes made by another session:
//! VANISHED (EARLIER), changed flags, CHANGEDSINCE on a large UID set.

use super::{Imap, message, server_with};

#[test]
fn qresync_after_changes_elsewhere() {
    let m: Vec<String> = (1..=6).map(message).collect();
    let (_s, server) = server_with("qr@example.com", &m.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = Imap::login(server.imap, "qr@example.com");
    c.script("C: a ENABLE QRESYNC\nS: * ENABLED QRESYNC\nS: a OK *");
    let r = c.cmd("b SELECT INBOX");
    let field = |r: &[String], name: &str| -> u64 {
        r.iter().find_map(|l| l.strip_prefix(&format!("* OK [{name} "))).unwrap().split(']').next().unwrap().parse().unwrap()
    };
    let (validity, modseq) = (field(&r, "UIDVALIDITY"), field(&r, "HIGHESTMODSEQ"));
    c.script("C: c LOGOUT\nS: c OK *");

    let mut other = Imap::login(server.imap, "qr@example.com");
    other.script(
        r"
        C: o1 SELECT INBOX
        S: o1 OK *
        C: o2 STORE 2 +FLAGS (\Seen)
        S: o2 OK *
        C: o3 UID MOVE 4:5 Archive
        S: o3 OK *
        ",
    );

    let mut c = Imap::login(server.imap, "qr@example.com");
    c.script(&format!(
        r"
        C: a ENABLE QRESYNC
        S: a OK *
        C: b SELECT INBOX (QRESYNC ({validity} {modseq} 1:6))
        S: * 4 EXISTS
        S: * VANISHED (EARLIER) 4:5
        S: * 2 FETCH (UID 2 FLAGS (\Seen) MODSEQ (*))
        S: b OK [READ-WRITE] *
        C: c UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)
        S: * VANISHED (EARLIER) 4:5
        S: * 2 FETCH (UID 2 FLAGS (\Seen) MODSEQ (*))
        S: c OK *
        C: d STORE 1 +FLAGS (\Answered)
        S: * 1 FETCH (UID 1 FLAGS (\Answered) MODSEQ (*))
        S: d OK *
        "
    ));
    other.script("C: o4 UID EXPUNGE 1\nS: o4 OK *\nC: o5 STORE 1 +FLAGS.SILENT (\\Deleted)\nS: o5 OK *\nC: o6 EXPUNGE\nS: o6 OK *");
    c.script("C: e NOOP\nS: * VANISHED 1\nS: e OK *");
}

#[test]
fn iphone_resync_fetches_a_large_uid_set() {
    // iOS Mail: CONDSTORE resync with a FETCH of a long UID list.
    let m: Vec<String> = (1..=40).map(message).collect();
    let (_s, server) = server_with("ios@example.com", &m.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = Imap::login(server.imap, "ios@example.com");
    c.script("C: a ID (\"name\" \"iPhone Mail\" \"version\" \"21A329\")\nS: * ID *\nS: a OK *");
    let uids: Vec<String> = (1..=40).map(|u| u.to_string()).collect();
    let r = c.cmd("b SELECT INBOX (CONDSTORE)");
    assert!(r.last().unwrap().starts_with("b OK"));
    let r = c.cmd(&format!("c UID FETCH {} (UID FLAGS) (CHANGEDSINCE 0)", uids.join(",")));
    assert_eq!(super::matching(&r, "* * FETCH (UID * FLAGS (\\Recent) MODSEQ (*))").len(), 40, "{r:?}");
    let r = c.cmd("d UID FETCH 1:* (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (date subject from to cc message-id in-reply-to references content-type x-priority x-uniform-type-identifier x-universally-unique-identifier list-id list-unsubscribe bimi-indicator bimi-location x-bimi-indicator-hash authentication-results dkim-signature)])");
    assert_eq!(
        super::matching(&r, "* * FETCH (UID * FLAGS (\\Recent) MODSEQ (*) RFC822.SIZE * BODY[HEADER.FIELDS (*)] {*}*)").len(),
        40,
        "{r:?}"
    );
}
