//! FETCH: ENVELOPE, BODYSTRUCTURE, sections, partials, BINARY, implicit
//! \Seen, EMAILID/THREADID, and the header-field fetches iOS and Outlook use.

use super::{Imap, server_with};

const MULTIPART: &str = "From: \"Alice A.\" <alice@example.org>
To: bob@example.com, Carol <carol@example.net>
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=
Date: Tue, 2 Jan 2024 09:00:00 +0100
Message-ID: <mp1@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=\"b1\"

--b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe aus Berlin
--b1
Content-Type: application/octet-stream; name=\"data.bin\"
Content-Disposition: attachment; filename=\"data.bin\"
Content-Transfer-Encoding: base64

AAECAw==
--b1--
";

#[test]
fn fetch_items() {
    let (_s, server) = server_with("fetch@example.com", &[MULTIPART]);
    let mut c = Imap::login(server.imap, "fetch@example.com");
    c.script(
        r#"
        C: a SELECT INBOX
        S: a OK *
        C: b FETCH 1 (ENVELOPE)
        S: * 1 FETCH (ENVELOPE ("Tue, 2 Jan 2024 09:00:00 +0100" "=?UTF-8?Q?Gr=C3=BC=C3=9Fe?=" (("Alice A." NIL "alice" "example.org")) (("Alice A." NIL "alice" "example.org")) (("Alice A." NIL "alice" "example.org")) ((NIL NIL "bob" "example.com")("Carol" NIL "carol" "example.net")) NIL NIL NIL "<mp1@example.org>"))
        S: b OK *
        C: c FETCH 1 BODYSTRUCTURE
        S: * 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" * *)("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" 8 NIL ("attachment" ("filename" "data.bin")) NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL))
        S: c OK *
        C: d FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (Subject Message-ID)])
        S: * 1 FETCH (FLAGS (\Recent) BODY[HEADER.FIELDS (Subject Message-ID)] {*}*Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=*Message-ID: <mp1@example.org>*)
        S: d OK *
        C: e FETCH 1 (BODY[1]<0.6>)
        S: * 1 FETCH (FLAGS (\Recent \Seen) BODY[1]<0> {6}*Gr=C3=)
        S: e OK *
        C: f FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1])
        S: * 1 FETCH (BINARY[2] ~{4}* BINARY.SIZE[2] 4 BINARY[1] {*}*Grüße aus Berlin*)
        S: f OK *
        C: g FETCH 1 (BODY.PEEK[2.MIME] RFC822.SIZE EMAILID THREADID)
        S: * 1 FETCH (BODY[2.MIME] {*}*Content-Disposition: attachment*RFC822.SIZE * EMAILID (M*) THREADID (T*))
        S: g OK *
        C: h UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS.NOT (Received Return-Path)])
        S: * 1 FETCH (UID 1 BODY[HEADER.FIELDS.NOT (Received Return-Path)] {*}*From: *)
        S: h OK *
        C: i FETCH 1 BODY.PEEK[3]
        S: * 1 FETCH (BODY[3] {0}*)
        S: i OK *
        C: j FETCH 2 FLAGS
        S: j BAD *
        C: k UID FETCH 99 FLAGS
        !S: * * FETCH *
        S: k OK *
        C: l FETCH 1 FAST
        S: * 1 FETCH (FLAGS (\Recent \Seen) INTERNALDATE "*" RFC822.SIZE *)
        S: l OK *
        "#,
    );
}

#[test]
fn rfc822_items_and_nested_messages() {
    let nested = "From: a@example.org\nSubject: fwd\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nsee attached\n--x\nContent-Type: message/rfc822\n\nFrom: inner@example.org\nSubject: inner\n\ninner body\n--x--\n";
    let (_s, server) = server_with("rfc822@example.com", &[nested]);
    let mut c = Imap::login(server.imap, "rfc822@example.com");
    c.script(
        r#"
        C: a EXAMINE INBOX
        S: a OK [READ-ONLY] *
        C: b FETCH 1 (RFC822.HEADER BODY.PEEK[2.HEADER] BODY.PEEK[2.TEXT] BODY[2.1])
        S: * 1 FETCH (RFC822.HEADER {*}*Subject: fwd* BODY[2.HEADER] {*}*From: inner@example.org*Subject: inner* BODY[2.TEXT] {10}*inner body BODY[2.1] {10}*inner body)
        S: b OK *
        C: c FETCH 1 FLAGS
        S: * 1 FETCH (FLAGS (\Recent))
        S: c OK *
        C: d FETCH 1 BODY
        S: * 1 FETCH (BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 12 1)("message" "rfc822" NIL NIL NIL "7bit" 53 (NIL "inner" ((NIL NIL "inner" "example.org")) *) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1) 4) "mixed"))
        S: d OK *
        "#,
    );
}
