//! Upload, then Email/import.

use super::*;

#[test]
fn upload_then_import_makes_a_message_and_drops_the_upload() {
    let s = Setup::new();
    s.create("u@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "u@example.com");
    let (auth, account) = (&c.auth, &c.account);
    let raw = b"From: me@example.com\r\nSubject: imported zq9up\r\nMessage-ID: <imp@x>\r\n\r\nimported body\r\n";
    let (status, _, body) =
        http(server.http, "POST", &format!("/jmap/upload/{account}"), &[("Authorization", auth), ("Content-Type", "message/rfc822")], raw);
    assert_eq!(status, 201);
    let up: Value = serde_json::from_slice(&body).unwrap();
    let blob = up["blobId"].as_str().unwrap().to_owned();
    assert_eq!(up["size"], raw.len());
    assert_eq!(up["accountId"], account.as_str());
    assert_eq!(up["type"], "message/rfc822");
    let (status, _, _) = http(server.http, "POST", "/jmap/upload/Adeadbeef", &[("Authorization", auth)], raw);
    assert_eq!(status, 404, "another account id is not found");
    let archive = c.mailbox("archive");
    let r = c.request(json!([
        ["Email/import", {"emails": {"a": {"blobId": blob, "mailboxIds": {archive.clone(): true}, "keywords": {"$seen": true}, "receivedAt": "2020-01-02T03:04:05Z"}}}, "i"],
        ["Email/import", {"emails": {"again": {"blobId": blob, "mailboxIds": {archive.clone(): true}}}}, "j"]
    ]));
    let id = r["methodResponses"][0][1]["created"]["a"]["id"].as_str().unwrap().to_owned();
    let again = r["methodResponses"][1][1].clone();
    let r = c.call("Email/get", json!({"ids": [id], "properties": ["subject", "keywords", "mailboxIds", "receivedAt"]}));
    let got = &r["list"][0];
    assert_eq!(got["subject"], "imported zq9up");
    assert_eq!(got["keywords"], json!({"$seen": true}));
    assert_eq!(got["mailboxIds"], json!({ archive: true }));
    assert_eq!(got["receivedAt"], "2020-01-02T03:04:05Z");
    assert_eq!(again["notCreated"]["again"]["type"], "blobNotFound", "the upload is gone once imported");
    drop(server);
    assert!(crate::harness::files_containing(&s.data(), b"zq9up").is_empty(), "uploads and imports are sealed");
}

#[test]
fn import_refuses_a_missing_blob_or_mailbox_and_keeps_the_upload() {
    let s = Setup::new();
    s.create("v@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "v@example.com");
    let inbox = c.mailbox("inbox");
    let ok = c.upload(b"Subject: fine\r\n\r\nbody\r\n");
    let r = c.call(
        "Email/import",
        json!({ "emails": {
            "nobox": { "blobId": ok, "mailboxIds": {} },
            "badbox": { "blobId": ok, "mailboxIds": { "Bfffff": true } },
            "noblob": { "blobId": "Ufffff", "mailboxIds": { inbox.clone(): true } },
        }}),
    );
    assert_eq!(r["notCreated"]["nobox"]["type"], "invalidProperties", "{r}");
    assert_eq!(r["notCreated"]["badbox"]["type"], "invalidProperties", "{r}");
    assert_eq!(r["notCreated"]["noblob"]["type"], "blobNotFound", "{r}");
    assert_eq!(c.emails(json!({})), Vec::<String>::new());
    // The upload survives the failed imports and still imports.
    let r = c.call("Email/import", json!({ "emails": { "i": { "blobId": ok, "mailboxIds": { inbox: true } } } }));
    assert!(r["created"]["i"]["id"].is_string(), "{r}");
}
