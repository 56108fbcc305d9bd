//! Upload, then Email/import.

use super::*;

#[test]
fn upload_then_import_makes_a_message_and_keeps_the_upload_for_a_retry() {
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
    assert_eq!(got["mailboxIds"], json!({ archive.clone(): true }));
    assert_eq!(got["receivedAt"], "2020-01-02T03:04:05Z");
    // RFC 8620 6: the blob stays at least an hour (the store's upload test
    // checks it leaves after that), so a retried import still finds it.
    assert!(again["created"]["again"]["id"].is_string(), "{again}");
    // A stored message's own blob imports as well.
    let stored = got_blob(&c, &id);
    let r = c.call("Email/import", json!({ "emails": { "copy": { "blobId": stored, "mailboxIds": { archive.clone(): true } } } }));
    assert!(r["created"]["copy"]["id"].is_string(), "{r}");
    drop(server);
    assert!(crate::harness::files_containing(&s.data(), b"zq9up").is_empty(), "uploads and imports are sealed");
}

fn got_blob(c: &Client, id: &str) -> String {
    c.call("Email/get", json!({"ids": [id], "properties": ["blobId"]}))["list"][0]["blobId"].as_str().unwrap().to_owned()
}

#[test]
fn import_names_every_bad_property() {
    let s = Setup::new();
    s.create("w@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "w@example.com");
    let inbox = c.mailbox("inbox");
    let ok = c.upload(b"Subject: fine\r\n\r\nbody\r\n");
    let r = c.call(
        "Email/import",
        json!({ "emails": {
            "empty": {},
            "malformed": { "blobId": "foo", "mailboxIds": { inbox.clone(): true } },
            "notablob": { "blobId": ["foo"], "mailboxIds": { inbox.clone(): true } },
            "date": { "blobId": ok, "mailboxIds": { inbox.clone(): true }, "receivedAt": "yesterday" },
            "datetype": { "blobId": ok, "mailboxIds": { inbox.clone(): true }, "receivedAt": ["foo"] },
            "kwtype": { "blobId": ok, "mailboxIds": { inbox.clone(): true }, "keywords": ["$seen"] },
            "kwname": { "blobId": ok, "mailboxIds": { inbox.clone(): true }, "keywords": { "a(b": true } },
            "kwfalse": { "blobId": ok, "mailboxIds": { inbox.clone(): true }, "keywords": { "$seen": false } },
            "boxtype": { "blobId": ok, "mailboxIds": [inbox.clone()] },
            "two": { "blobId": 7, "keywords": "x", "mailboxIds": { inbox.clone(): true } },
        }}),
    );
    let props = |cid: &str| {
        assert_eq!(r["notCreated"][cid]["type"], "invalidProperties", "{cid}: {r}");
        r["notCreated"][cid]["properties"].clone()
    };
    assert_eq!(props("empty"), json!(["blobId", "mailboxIds"]));
    assert_eq!(props("malformed"), json!(["blobId"]), "not one of our blob ids: invalid, not missing");
    assert_eq!(props("notablob"), json!(["blobId"]));
    assert_eq!(props("date"), json!(["receivedAt"]));
    assert_eq!(props("datetype"), json!(["receivedAt"]));
    assert_eq!(props("kwtype"), json!(["keywords"]));
    assert_eq!(props("kwname"), json!(["keywords"]));
    assert_eq!(props("kwfalse"), json!(["keywords"]));
    assert_eq!(props("boxtype"), json!(["mailboxIds"]));
    assert_eq!(props("two"), json!(["blobId", "keywords"]));
    assert_eq!(r["created"], Value::Null, "{r}");
    for bad in [json!(null), json!("none"), json!(["foo"])] {
        let e = c.call_error("Email/import", json!({ "emails": bad }));
        assert_eq!(e, json!({ "type": "invalidArguments", "arguments": ["emails"] }));
    }
    assert_eq!(c.emails(json!({})), Vec::<String>::new(), "nothing was imported");
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
