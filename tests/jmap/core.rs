//! RFC 8620 request handling: the standard errors, limits, result and creation-id references, Email/copy's answer, a 1 GB upload.

use super::*;

#[test]
fn bad_requests_get_the_rfc_8620_errors_and_nothing_else_happens() {
    let s = Setup::new();
    s.create("e@example.com", &[]);
    s.create("other@example.com", &[]);
    let server = s.start();
    let auth = basic("e@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &basic("other@example.com", "secret"))], b"");
    let other: Value = serde_json::from_slice(&body).unwrap();
    let other_account = other["primaryAccounts"]["urn:ietf:params:jmap:core"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);

    let (status, _, body) = http(server.http, "POST", "/jmap/api", &[("Authorization", &auth)], b"{not json");
    assert_eq!(status, 400);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["type"], "urn:ietf:params:jmap:error:notJSON");
    let (status, r) = api(server.http, &auth, &json!({"using": ["urn:example:nope"], "methodCalls": []}));
    assert_eq!((status, r["type"].as_str()), (400, Some("urn:ietf:params:jmap:error:unknownCapability")));
    let (status, r) = api(server.http, &auth, &json!({"using": using}));
    assert_eq!((status, r["type"].as_str()), (400, Some("urn:ietf:params:jmap:error:notRequest")));
    let calls: Vec<Value> = (0..10_000).map(|i| json!(["Core/echo", {}, i.to_string()])).collect();
    let (status, r) = api(server.http, &auth, &json!({"using": using, "methodCalls": calls}));
    assert_eq!(
        (status, r["type"].as_str(), r["limit"].as_str()),
        (400, Some("urn:ietf:params:jmap:error:limit"), Some("maxCallsInRequest"))
    );

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Core/echo", {"hello": true}, "a"],
            ["Nope/get", {}, "b"],
            ["Mailbox/get", {"accountId": other_account}, "c"],
            ["Mailbox/get", {"accountId": "Adeadbeef"}, "d"],
            ["Email/get", {"accountId": other_account, "#ids": {"resultOf": "zz", "name": "Email/query", "path": "/ids"}}, "e"],
            ["Email/get", {"#ids": {"resultOf": "a", "name": "Core/echo", "path": "/hello"}, "ids": []}, "f"]
        ]}),
    );
    let responses = r["methodResponses"].as_array().unwrap();
    assert_eq!(responses[0], json!(["Core/echo", {"hello": true}, "a"]));
    let kinds: Vec<&str> = responses[1..].iter().map(|r| r[1]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["unknownMethod", "accountNotFound", "accountNotFound", "invalidResultReference", "invalidArguments"]);
}

#[test]
fn a_1_gb_upload_and_a_self_reference_are_refused_and_the_server_stays_up() {
    use std::io::{Read, Write};
    let s = Setup::new();
    s.create("u@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "u@example.com", "secret");
    // Announce 1 GB and keep sending: the server answers 413 once the
    // advertised maxSizeUpload is passed, without reading (or holding) the rest.
    let mut stream = std::net::TcpStream::connect(server.http).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    write!(
        stream,
        "POST /jmap/upload/{} HTTP/1.1\r\nHost: x\r\nAuthorization: {}\r\nContent-Length: 1073741824\r\n\r\n",
        c.account, c.auth
    )
    .unwrap();
    let chunk = vec![0u8; 1 << 20];
    let mut sent = 0usize;
    while sent < 1 << 30 && stream.write_all(&chunk).is_ok() {
        sent += chunk.len();
        if sent > 200 << 20 {
            break; // far past the limit: the server must have answered by now
        }
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 413"), "{}", String::from_utf8_lossy(&reply[..reply.len().min(200)]));
    assert!(sent < 1 << 30, "the server read the whole gigabyte");
    // A call naming itself (or a later call) as its result reference.
    let r = c.request(json!([
        ["Email/get", { "#ids": { "resultOf": "self", "name": "Email/get", "path": "/ids" } }, "self"],
        ["Email/get", { "#ids": { "resultOf": "later", "name": "Email/query", "path": "/ids" } }, "now"],
        ["Email/query", {}, "later"],
    ]));
    assert_eq!(r["methodResponses"][0][1]["type"], "invalidResultReference");
    assert_eq!(r["methodResponses"][1][1]["type"], "invalidResultReference");
    assert!(r["methodResponses"][2][1]["ids"].is_array());
    // Nothing was stored, and the server still answers.
    assert_eq!(c.call("Mailbox/get", json!({ "ids": null }))["list"].as_array().map(Vec::len), Some(6));
    assert_eq!(c.call("Email/query", json!({}))["ids"], json!([]));
}

#[test]
fn creation_ids_reach_later_calls_and_email_copy_says_why_not() {
    let s = Setup::new();
    s.create("c@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "c@example.com", "secret");
    let drafts = ids(&c.call("Mailbox/query", json!({ "filter": { "role": "drafts" } }))["ids"])[0].clone();
    let mut body = json!({ "using": USING, "createdIds": {}, "methodCalls": [
        ["Email/set", { "accountId": c.account, "create": { "d": { "mailboxIds": { drafts.clone(): true }, "subject": "draft", "bodyValues": { "1": { "value": "x" } }, "textBody": [{ "partId": "1" }] } } }, "a"],
        ["Email/get", { "accountId": c.account, "ids": ["#d"], "properties": ["subject"] }, "b"],
    ]});
    let (_, _, resp) = http(c.addr, "POST", "/jmap/api", &[("Authorization", &c.auth)], body.to_string().as_bytes());
    let r: Value = serde_json::from_slice(&resp).unwrap();
    let id = r["methodResponses"][0][1]["created"]["d"]["id"].clone();
    assert_eq!(r["methodResponses"][1][1]["list"][0]["id"], id);
    assert_eq!(r["createdIds"]["d"], id, "createdIds comes back when the request had it");
    body["methodCalls"] = json!([["Email/copy", { "accountId": c.account, "fromAccountId": "Aother", "create": {} }, "x"]]);
    let (_, _, resp) = http(c.addr, "POST", "/jmap/api", &[("Authorization", &c.auth)], body.to_string().as_bytes());
    assert_eq!(serde_json::from_slice::<Value>(&resp).unwrap()["methodResponses"][0][1]["type"], "fromAccountNotFound");
}
