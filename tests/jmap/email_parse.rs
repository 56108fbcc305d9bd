//! Email/parse (RFC 8621 4.9) of uploaded and attached messages: the golden
//! messages of email_get.rs, uploaded as delivery stored them (with its
//! Return-Path line), parse to their Email/get answer with the metadata
//! (id, threadId, mailboxIds, keywords, receivedAt) null.

use super::email_get::{PROPERTIES, check_part_blobs, differences, golden_message, normalize};
use super::*;

/// Uploads `NAME.eml` and compares its Email/parse with `NAME.json`.
fn check_parse(name: &str) {
    let s = Setup::new();
    s.create("parse@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "parse@example.com");
    let mut raw = RETURN_PATH.as_bytes().to_vec();
    raw.extend(golden_message(name));
    let blob = c.upload(&raw);
    let r = c.call("Email/parse", json!({ "blobIds": [blob], "properties": PROPERTIES, "fetchAllBodyValues": true }));
    let mut got = r["parsed"][&blob].clone();
    assert!(got.is_object(), "{name}: not parsed: {r}");
    check_part_blobs(&c, &got, name);
    normalize(&mut got);
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../../tests/data/jmap/email_get/{name}.json"));
    let mut want: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    for key in ["id", "threadId", "mailboxIds", "keywords", "receivedAt"] {
        want[key] = Value::Null;
    }
    let mut diff = Vec::new();
    differences("", &want, &got, &mut diff);
    assert!(diff.is_empty(), "Email/parse of {name}.eml differs from {name}.json:\n{}", diff.join("\n"));
}

mod golden {
    golden_tests!(super::check_parse);
}

#[test]
fn email_parse_reads_an_uploaded_message_and_an_attached_one() {
    let s = Setup::new();
    s.create("p@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "p@example.com");
    let inner = "From: Inner <inner@example.org>\r\nSubject: the attached one\r\nMessage-ID: <inner@x>\r\n\r\ninside\r\n";
    let outer = format!(
        "From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\r\nTo: Team: a@x.org;\r\nSubject: outer\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n\
         Message-ID: <outer@x>\r\nX-Custom:  raw value\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n{inner}--b--\r\n"
    );
    let blob = c.upload(outer.as_bytes());
    let r = c.call(
        "Email/parse",
        json!({ "blobIds": [blob, "Unope"], "fetchAllBodyValues": true,
                "properties": ["from", "subject", "sentAt", "messageId", "header:To:asGroupedAddresses", "header:X-Custom",
                               "header:Date:asDate", "textBody", "attachments", "bodyValues", "id", "size"] }),
    );
    let e = &r["parsed"][&blob];
    assert_eq!(e["from"], json!([{ "name": "Jürgen", "email": "j@example.org" }]));
    assert_eq!(e["subject"], "outer");
    assert_eq!(e["messageId"], json!(["outer@x"]));
    assert_eq!(e["header:To:asGroupedAddresses"], json!([{ "name": "Team", "addresses": [{ "name": null, "email": "a@x.org" }] }]));
    assert_eq!(e["header:X-Custom"], "  raw value");
    assert_eq!(e["header:Date:asDate"], "2003-07-01T10:52:37+02:00");
    assert_eq!(e["id"], Value::Null);
    assert_eq!(e["size"], outer.len());
    assert_eq!(e["bodyValues"]["1"]["value"], "hello", "the line break before a boundary is the boundary's");
    assert_eq!(r["notFound"], json!(["Unope"]));
    // The attached message is a blob of its own, and parses too.
    let attached = e["attachments"][0]["blobId"].as_str().unwrap().to_owned();
    assert_eq!(e["attachments"][0]["type"], "message/rfc822");
    let r = c.call("Email/parse", json!({ "blobIds": [attached], "properties": ["subject", "from"] }));
    assert_eq!(r["parsed"][&attached]["subject"], "the attached one");
    let (status, _, body) =
        http(server.http, "GET", &format!("/jmap/download/{}/{attached}/m.eml", c.account), &[("Authorization", &c.auth)], b"");
    assert_eq!((status, body), (200, inner.trim_end().as_bytes().to_vec()), "the part ends before the boundary's line break");
    // Not a message at all.
    let junk = c.upload(b"\x00\x01 not a message");
    assert_eq!(c.call("Email/parse", json!({ "blobIds": [junk] }))["notParsable"], json!([junk]));
}
