//! STORE: +FLAGS, -FLAGS, FLAGS, .SILENT, keywords, UNCHANGEDSINCE with
//! MODIFIED, and another session seeing the change.

use super::{Imap, message, server_with};

#[test]
fn store_flags_and_keywords() {
    let (_s, server) = server_with("store@example.com", &[&message(1), &message(2), &message(3)]);
    let mut c = Imap::login(server.imap, "store@example.com");
    let mut other = Imap::login(server.imap, "store@example.com");
    other.script("C: o1 SELECT INBOX\nS: o1 OK *");
    c.script(
        r"
        C: a SELECT INBOX
        S: a OK *
        C: b STORE 1:2 +FLAGS (\Seen \Flagged)
        S: * 1 FETCH (FLAGS (\Flagged \Seen))
        S: * 2 FETCH (FLAGS (\Flagged \Seen))
        S: b OK *
        C: c STORE 2 -FLAGS (\Flagged)
        S: * 2 FETCH (FLAGS (\Seen))
        S: c OK *
        C: d STORE 3 FLAGS ($Forwarded Junk)
        S: * FLAGS (* $forwarded junk)
        S: * 3 FETCH (FLAGS ($forwarded junk))
        S: d OK *
        C: e STORE 3 +FLAGS.SILENT (\Answered)
        !S: * 3 FETCH *
        S: e OK *
        C: f UID STORE 1:* -FLAGS (\Flagged)
        S: * 1 FETCH (UID 1 FLAGS (\Seen))
        S: f OK *
        C: g STORE 1 +FLAGS (\Recent)
        S: g OK *
        C: h STORE 1 +FLAGS (\Bogus)
        S: h BAD *
        ",
    );
    other.script(
        r"
        C: o2 NOOP
        S: * 1 FETCH (UID 1 FLAGS (\Recent \Seen)*)
        S: * 3 FETCH (UID 3 FLAGS (\Recent \Answered $forwarded junk)*)
        S: o2 OK *
        ",
    );
}

#[test]
fn unchangedsince_refuses_stale_updates() {
    let (_s, server) = server_with("cs@example.com", &[&message(1), &message(2)]);
    let mut c = Imap::login(server.imap, "cs@example.com");
    let r = c.cmd("a SELECT INBOX (CONDSTORE)");
    let modseq: u64 = r.iter().find_map(|l| l.strip_prefix("* OK [HIGHESTMODSEQ ")).unwrap().split(']').next().unwrap().parse().unwrap();
    let r = c.cmd("b FETCH 1:2 (MODSEQ)");
    assert!(super::glob("* 1 FETCH (MODSEQ (*))", &r[0]), "{r:?}");
    let r = c.cmd(&format!("c STORE 1 (UNCHANGEDSINCE {modseq}) +FLAGS (\\Seen)"));
    assert!(super::glob("* 1 FETCH (FLAGS (\\Recent \\Seen) MODSEQ (*))", &r[0]), "{r:?}");
    assert!(r.last().unwrap().starts_with("c OK"), "{r:?}");
    // Message 1 changed after `modseq`: a second conditional store fails for it.
    let r = c.cmd(&format!("d STORE 1:2 (UNCHANGEDSINCE {modseq}) +FLAGS (\\Flagged)"));
    assert!(r.last().unwrap().starts_with("d OK [MODIFIED 1]"), "{r:?}");
    assert!(r.iter().any(|l| super::glob("* 2 FETCH (FLAGS (\\Recent \\Flagged) MODSEQ (*))", l)), "{r:?}");
    let r = c.cmd("e UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)");
    assert_eq!(r.len(), 3, "{r:?}");
}
