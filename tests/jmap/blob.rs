//! Blob/upload, /get, /lookup (RFC 9404).

use super::*;

#[test]
fn blobs_are_made_from_text_and_ranges_and_looked_up() {
    let s = Setup::new();
    s.create("b@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "b@example.com");
    deliver(&server, "b@example.com", "From: a@example.org\r\nSubject: hi\r\n\r\nbody\r\n");
    let email = c.call("Email/query", json!({}))["ids"][0].as_str().unwrap().to_owned();
    let got = c.call("Email/get", json!({ "ids": [email], "properties": ["blobId", "mailboxIds", "threadId"] }));
    let blob = got["list"][0]["blobId"].as_str().unwrap().to_owned();
    let r = c.call(
        "Blob/upload",
        json!({ "create": {
            "t": { "data": [{ "data:asText": "hello " }, { "data:asBase64": "d29ybGQ=" }], "type": "text/plain" },
            "r": { "data": [{ "blobId": blob, "offset": 0, "length": 4 }] },
            "bad": { "data": [{ "blobId": "Gfffff" }] },
        }}),
    );
    let t = r["created"]["t"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["created"]["t"]["size"], 11);
    assert_eq!(r["notCreated"]["bad"]["type"], "blobNotFound");
    let g = c.call("Blob/get", json!({ "ids": [t, r["created"]["r"]["id"]], "properties": ["data:asText", "digest:sha-256", "size"] }));
    assert_eq!(g["list"][0]["data:asText"], "hello world");
    assert_eq!(g["list"][0]["digest:sha-256"], "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
    assert_eq!(g["list"][1]["data:asText"], "Retu", "the stored message starts with the Return-Path delivery added");
    let l = c.call("Blob/lookup", json!({ "typeNames": ["Email", "Mailbox", "Thread"], "ids": [blob, "Gfffff"] }));
    assert_eq!(l["list"][0]["matchedIds"]["Email"], json!([email]));
    assert_eq!(l["list"][0]["matchedIds"]["Thread"], json!([got["list"][0]["threadId"]]));
    assert_eq!(l["notFound"], json!(["Gfffff"]));
}
