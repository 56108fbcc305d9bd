//! Upload, then Email/import.

use super::*;

#[test]
fn upload_then_import_makes_a_message_and_drops_the_upload() {
    let s = Setup::new();
    s.create("u@example.com", &[]);
    let server = s.start();
    let auth = basic("u@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let raw = b"From: me@example.com\r\nSubject: imported zq9up\r\nMessage-ID: <imp@x>\r\n\r\nimported body\r\n";
    let (status, _, body) =
        http(server.http, "POST", &format!("/jmap/upload/{account}"), &[("Authorization", &auth), ("Content-Type", "message/rfc822")], raw);
    assert_eq!(status, 201);
    let up: Value = serde_json::from_slice(&body).unwrap();
    let blob = up["blobId"].as_str().unwrap().to_owned();
    assert_eq!(up["size"], raw.len());
    let (status, _, _) = http(server.http, "POST", "/jmap/upload/Adeadbeef", &[("Authorization", &auth)], raw);
    assert_eq!(status, 404, "another account id is not found");
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Mailbox/get", {"accountId": account, "properties": ["role"]}, "m"]]}),
    );
    let boxes = r["methodResponses"][0][1]["list"].as_array().unwrap().clone();
    let archive = boxes.iter().find(|b| b["role"] == "archive").unwrap()["id"].as_str().unwrap().to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/import", {"accountId": account, "emails": {"a": {"blobId": blob, "mailboxIds": {archive.clone(): true}, "keywords": {"$seen": true}, "receivedAt": "2020-01-02T03:04:05Z"}}}, "i"],
            ["Email/import", {"accountId": account, "emails": {"again": {"blobId": blob, "mailboxIds": {archive.clone(): true}}}}, "j"]
        ]}),
    );
    let id = r["methodResponses"][0][1]["created"]["a"]["id"].as_str().unwrap().to_owned();
    let again = r["methodResponses"][1][1].clone();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/get", {"accountId": account, "ids": [id], "properties": ["subject", "keywords", "mailboxIds", "receivedAt"]}, "g"]]}),
    );
    let got = &r["methodResponses"][0][1]["list"][0];
    assert_eq!(got["subject"], "imported zq9up");
    assert_eq!(got["keywords"], json!({"$seen": true}));
    assert_eq!(got["mailboxIds"], json!({ archive: true }));
    assert_eq!(got["receivedAt"], "2020-01-02T03:04:05Z");
    assert_eq!(again["notCreated"]["again"]["type"], "blobNotFound", "the upload is gone once imported");
    drop(server);
    assert!(crate::harness::files_containing(&s.data(), b"zq9up").is_empty(), "uploads and imports are sealed");
}
