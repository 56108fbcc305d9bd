//! STATUS with every item, including STATUS=SIZE, HIGHESTMODSEQ, APPENDLIMIT
//! and MAILBOXID.

use super::{Imap, message, server_with};

#[test]
fn status_items() {
    let (_s, server) = server_with("st@example.com", &[&message(1), &message(2)]);
    let mut c = Imap::login(server.imap, "st@example.com");
    c.script(
        r"
        C: a STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN DELETED HIGHESTMODSEQ MAILBOXID APPENDLIMIT)
        S: * STATUS INBOX (MESSAGES 2 RECENT 2 UIDNEXT 3 UIDVALIDITY * UNSEEN 2 DELETED 0 HIGHESTMODSEQ * MAILBOXID (B1) APPENDLIMIT *)
        S: a OK *
        C: b SELECT INBOX
        S: b OK *
        C: c STORE 1 +FLAGS (\Seen \Deleted)
        S: c OK *
        C: d STATUS INBOX (UNSEEN DELETED SIZE)
        S: * STATUS INBOX (UNSEEN 1 DELETED 1 SIZE *)
        S: d OK *
        C: e STATUS Nowhere (MESSAGES)
        S: e NO *
        ",
    );
    // SIZE is the sum of the messages' RFC822.SIZE.
    let sizes: u64 = c
        .cmd("f FETCH 1:* RFC822.SIZE")
        .iter()
        .filter_map(|l| l.split("RFC822.SIZE ").nth(1))
        .map(|n| n.trim_end_matches(')').parse::<u64>().unwrap())
        .sum();
    let status = c.cmd("g STATUS INBOX (SIZE)");
    assert_eq!(status[0], format!("* STATUS INBOX (SIZE {sizes})"));
}
