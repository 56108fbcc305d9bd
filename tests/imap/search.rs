//! SEARCH over flags, dates, sizes, headers and decoded bodies (UTF-8,
//! quoted-printable, base64), with ESEARCH, SEARCHRES and MODSEQ.

use super::{Imap, server_with};

const QP: &str = "From: Jos\u{e9} <jose@example.org>\nTo: bob@example.com\nSubject: =?UTF-8?B?w5xiZXJ3ZWlzdW5n?=\nDate: Wed, 3 Jan 2024 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nDie =C3=9Cberweisung ist unterwegs, Stra=C3=9Fe 5.\n";
const B64: &str = "From: carol@example.net\nTo: bob@example.com\nSubject: report\nDate: Fri, 5 Jan 2024 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\nUXVhcnRhbHN6YWhsZW4gZsO8ciBEZXplbWJlcg==\n";
const PLAIN: &str = "From: dave@example.com\nTo: bob@example.com\nCc: eve@example.com\nSubject: lunch\nDate: Sun, 7 Jan 2024 10:00:00 +0000\nX-Priority: 1\n\nPizza at noon?\n";

#[test]
fn search_keys() {
    let (_s, server) = server_with("search@example.com", &[QP, B64, PLAIN]);
    let mut c = Imap::login(server.imap, "search@example.com");
    c.script(
        r#"
        C: a SELECT INBOX
        S: a OK *
        C: b SEARCH CHARSET UTF-8 BODY {7+}\r\nstraße
        S: * SEARCH 1
        S: b OK *
        C: c SEARCH CHARSET UTF-8 TEXT "Quartalszahlen für"
        S: * SEARCH 2
        S: c OK *
        C: d SEARCH SUBJECT überweisung
        S: * SEARCH 1
        S: d OK *
        C: e SEARCH FROM carol CC eve
        S: * SEARCH
        S: e OK *
        C: f SEARCH OR FROM carol CC eve
        S: * SEARCH 2 3
        S: f OK *
        C: g SEARCH HEADER X-Priority 1 NOT SEEN
        S: * SEARCH 3
        S: g OK *
        C: h SEARCH SENTSINCE 4-Jan-2024 SENTBEFORE 7-Jan-2024
        S: * SEARCH 2
        S: h OK *
        C: i SEARCH LARGER 1 SMALLER 100000 2:*
        S: * SEARCH 2 3
        S: i OK *
        C: j STORE 2 +FLAGS (\Flagged)
        S: j OK *
        C: k SEARCH FLAGGED
        S: * SEARCH 2
        S: k OK *
        C: l UID SEARCH RETURN (MIN MAX COUNT ALL) ALL
        S: * ESEARCH (TAG "l") UID MIN 1 MAX 3 COUNT 3 ALL 1:3
        S: l OK *
        C: m SEARCH RETURN (SAVE) UNFLAGGED
        !S: * ESEARCH*
        S: m OK *
        C: n FETCH $ (UID)
        S: * 1 FETCH (UID 1)
        S: * 3 FETCH (UID 3)
        S: n OK *
        C: o UID SEARCH UID $ SUBJECT lunch
        S: * SEARCH 3
        S: o OK *
        C: p SEARCH CHARSET KOI8-X ALL
        S: p NO [BADCHARSET*] *
        C: q SEARCH MODSEQ 1
        S: * SEARCH * (MODSEQ *)
        S: q OK *
        C: r SEARCH YOUNGER 600000000 OLDER 0
        S: * SEARCH 1 2 3
        S: r OK *
        C: s SEARCH BODY nothing-like-this
        S: * SEARCH
        S: s OK *
        C: t SEARCH RETURN (COUNT) BODY nothing-like-this
        S: * ESEARCH (TAG "t") COUNT 0
        S: t OK *
        "#,
    );
}
