//! COPY and MOVE (and UID MOVE of ranges, as iOS sends), with COPYUID.

use super::{Imap, message, server_with};

#[test]
fn copy_and_move() {
    let m: Vec<String> = (1..=5).map(message).collect();
    let (_s, server) = server_with("mv@example.com", &m.iter().map(String::as_str).collect::<Vec<_>>());
    let mut c = Imap::login(server.imap, "mv@example.com");
    c.script(
        r"
        C: a SELECT INBOX
        S: * 5 EXISTS
        S: a OK *
        C: b COPY 1:2 Archive
        S: b OK [COPYUID * 1:2 1:2] *
        C: c UID MOVE 3:4 Trash
        S: * OK [COPYUID * 3:4 1:2] *
        S: * 3 EXPUNGE
        S: * 3 EXPUNGE
        S: c OK *
        C: d MOVE 1 Nowhere
        S: d NO [TRYCREATE] *
        C: e UID MOVE 100:200 Trash
        S: e OK *
        C: f STATUS Trash (MESSAGES)
        S: * STATUS Trash (MESSAGES 2)
        S: f OK *
        C: g SELECT Trash
        S: * 2 EXISTS
        S: g OK *
        C: h FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (Subject)])
        S: * 1 FETCH (UID 1 BODY[HEADER.FIELDS (Subject)] {*}*Subject: message 3*)
        S: * 2 FETCH (UID 2 BODY[HEADER.FIELDS (Subject)] {*}*Subject: message 4*)
        S: h OK *
        C: i MOVE 1:* INBOX
        S: * OK [COPYUID * 1:2 6:7] *
        S: i OK *
        C: j STATUS INBOX (MESSAGES UIDNEXT)
        S: * STATUS INBOX (MESSAGES 5 UIDNEXT 8)
        S: j OK *
        ",
    );
}
