//! SORT (with ESORT and SORT=DISPLAY) and THREAD (ORDEREDSUBJECT, REFERENCES).

use super::{Imap, server_with};

const A: &str = "From: Zed <zed@example.org>\nSubject: Plans\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <a@x>\n\na\n";
const B: &str = "From: Amy <amy@example.org>\nSubject: Re: Plans\nDate: Tue, 2 Jan 2024 10:00:00 +0000\nMessage-ID: <b@x>\nIn-Reply-To: <a@x>\nReferences: <a@x>\n\nbb\n";
const C: &str = "From: bob@example.org\nSubject: Another topic\nDate: Sat, 30 Dec 2023 10:00:00 +0000\nMessage-ID: <c@x>\n\nccc\n";
const D: &str = "From: Max <max@example.org>\nSubject: Re: Plans\nDate: Wed, 3 Jan 2024 10:00:00 +0000\nMessage-ID: <d@x>\nReferences: <a@x> <b@x>\n\ndddd\n";

#[test]
fn sort_and_thread() {
    let (_s, server) = server_with("sort@example.com", &[A, B, C, D]);
    let mut c = Imap::login(server.imap, "sort@example.com");
    c.script(
        r#"
        C: a SELECT INBOX
        S: a OK *
        C: b SORT (DATE) UTF-8 ALL
        S: * SORT 3 1 2 4
        S: b OK *
        C: c SORT (REVERSE DATE) UTF-8 ALL
        S: * SORT 4 2 1 3
        S: c OK *
        C: d SORT (SUBJECT DATE) UTF-8 ALL
        S: * SORT 3 1 2 4
        S: d OK *
        C: e SORT (FROM) UTF-8 ALL
        S: * SORT 2 3 4 1
        S: e OK *
        C: f SORT (DISPLAYFROM) UTF-8 ALL
        S: * SORT 2 3 4 1
        S: f OK *
        C: g SORT (SIZE) UTF-8 NOT SUBJECT Another
        S: * SORT 1 4 2
        S: g OK *
        C: h UID SORT RETURN (MIN MAX COUNT ALL) (REVERSE DATE) UTF-8 ALL
        S: * ESEARCH (TAG "h") UID MIN 4 MAX 3 COUNT 4 ALL 4,2,1,3
        S: h OK *
        C: i THREAD REFERENCES UTF-8 ALL
        S: * THREAD (3)(1 2 4)
        S: i OK *
        C: j THREAD ORDEREDSUBJECT UTF-8 ALL
        S: * THREAD (3)(1 (2)(4))
        S: j OK *
        "#,
    );
}
