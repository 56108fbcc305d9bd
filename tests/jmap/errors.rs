//! Bad input (RFC 8620 3.6): request-level problems, method-level errors,
//! limits, result references, a 1 GB upload, and another account's ids. After
//! each, the server still answers.

use super::*;
use std::io::{Read, Write};

#[test]
fn bad_requests_get_the_rfc_8620_errors_and_nothing_else_happens() {
    let s = Setup::new();
    s.create("e@example.com", &[]);
    s.create("other@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "e@example.com");
    let auth = c.auth.clone();
    let other_account = Client::login(&server, "other@example.com").account;
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);

    let (status, _, body) = http(server.http, "POST", "/jmap/api", &[("Authorization", &auth)], b"{not json");
    assert_eq!(status, 400);
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap()["type"], "urn:ietf:params:jmap:error:notJSON");
    still_answers(&c);
    let (status, r) = api(server.http, &auth, &json!({"using": ["urn:example:nope"], "methodCalls": []}));
    assert_eq!((status, r["type"].as_str()), (400, Some("urn:ietf:params:jmap:error:unknownCapability")));
    still_answers(&c);
    let (status, r) = api(server.http, &auth, &json!({"using": using}));
    assert_eq!((status, r["type"].as_str()), (400, Some("urn:ietf:params:jmap:error:notRequest")));
    for not_a_request in
        [json!([1, 2]), json!({"using": "core", "methodCalls": []}), json!({"using": using, "methodCalls": [["Core/echo", {}]]})]
    {
        let (status, r) = api(server.http, &auth, &not_a_request);
        assert_eq!((status, r["type"].as_str()), (400, Some("urn:ietf:params:jmap:error:notRequest")), "{not_a_request}");
    }
    still_answers(&c);
    let calls: Vec<Value> = (0..10_000).map(|i| json!(["Core/echo", {}, i.to_string()])).collect();
    let (status, r) = api(server.http, &auth, &json!({"using": using, "methodCalls": calls}));
    assert_eq!(
        (status, r["type"].as_str(), r["limit"].as_str()),
        (400, Some("urn:ietf:params:jmap:error:limit"), Some("maxCallsInRequest"))
    );
    let most = c.session["capabilities"]["urn:ietf:params:jmap:core"]["maxCallsInRequest"].as_u64().unwrap();
    assert!(most < 10_000, "the session advertises the limit it enforces: {most}");
    still_answers(&c);

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Core/echo", {"hello": true}, "a"],
            ["Nope/get", {}, "b"],
            ["Mailbox/get", {"accountId": other_account}, "c"],
            ["Mailbox/get", {"accountId": "Adeadbeef"}, "d"],
            ["Email/get", {"accountId": other_account, "#ids": {"resultOf": "zz", "name": "Email/query", "path": "/ids"}}, "e"],
            ["Email/get", {"#ids": {"resultOf": "a", "name": "Core/echo", "path": "/hello"}, "ids": []}, "f"],
            ["Core/echo", {"after": true}, "g"]
        ]}),
    );
    let responses = r["methodResponses"].as_array().unwrap();
    assert_eq!(responses[0], json!(["Core/echo", {"hello": true}, "a"]));
    assert_eq!(responses[1][0], "error", "an error answers that call only");
    let kinds: Vec<&str> = responses[1..6].iter().map(|r| r[1]["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["unknownMethod", "accountNotFound", "accountNotFound", "invalidResultReference", "invalidArguments"]);
    assert_eq!(responses[6], json!(["Core/echo", {"after": true}, "g"]), "calls after an error still run");
    still_answers(&c);
}

#[test]
fn the_limits_the_session_advertises_are_enforced() {
    let s = Setup::new();
    s.create("l@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "l@example.com");
    let core = c.session["capabilities"]["urn:ietf:params:jmap:core"].clone();
    let limit = |name: &str| core[name].as_u64().unwrap_or_else(|| panic!("{name} in {core}")) as usize;
    // maxSizeRequest: a request one octet longer (valid JSON, padded) is a limit problem.
    let mut body = json!({ "using": ["urn:ietf:params:jmap:core"], "methodCalls": [["Core/echo", {}, "c"]] }).to_string().into_bytes();
    body.resize(limit("maxSizeRequest") + 1, b' ');
    let (status, _, answer) =
        http(server.http, "POST", "/jmap/api", &[("Authorization", &c.auth), ("Content-Type", "application/json")], &body);
    let answer: Value = serde_json::from_slice(&answer).unwrap_or(Value::Null);
    assert_eq!(
        (status, answer["type"].as_str(), answer["limit"].as_str()),
        (400, Some("urn:ietf:params:jmap:error:limit"), Some("maxSizeRequest")),
        "{answer}"
    );
    still_answers(&c);
    // maxObjectsInGet: one more is requestTooLarge (RFC 8620 5.1).
    let too_many: Vec<String> = (0..=limit("maxObjectsInGet")).map(|i| format!("M{i:x}")).collect();
    assert_eq!(c.call("Email/get", json!({ "ids": too_many }))["type"], "requestTooLarge");
    still_answers(&c);
}

#[test]
fn a_set_over_max_objects_in_set_is_request_too_large() {
    let s = Setup::new();
    s.create("l@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "l@example.com");
    let limit = c.session["capabilities"]["urn:ietf:params:jmap:core"]["maxObjectsInSet"].as_u64().unwrap();
    // RFC 8620 5.3: more creates, updates and destroys than maxObjectsInSet is requestTooLarge.
    let ids = |prefix: char| (0..=limit).map(|i| format!("{prefix}{:x}", 0xf0000 + i)).collect::<Vec<_>>();
    let keyword =
        |prefix: char| ids(prefix).into_iter().map(|id| (id, json!({ "keywords/$seen": true }))).collect::<serde_json::Map<_, _>>();
    let answers = [
        ("Email/set destroy", c.call("Email/set", json!({ "destroy": ids('M') }))),
        ("Email/set update", c.call("Email/set", json!({ "update": keyword('M') }))),
        ("Mailbox/set destroy", c.call("Mailbox/set", json!({ "destroy": ids('B') }))),
    ];
    let wrong: Vec<String> = answers
        .iter()
        .filter(|(_, a)| a["type"] != "requestTooLarge")
        .map(|(what, a)| format!("{what}: {}", &a.to_string()[..120]))
        .collect();
    assert!(wrong.is_empty(), "{} objects, over maxObjectsInSet {limit}, are not requestTooLarge:\n{}", limit + 1, wrong.join("\n"));
    assert!(c.emails(json!({})).is_empty());
    still_answers(&c);
}

#[test]
fn a_1_gb_upload_is_refused_unread_and_the_server_stays_up() {
    let s = Setup::new();
    s.create("u@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "u@example.com");
    let max = c.session["capabilities"]["urn:ietf:params:jmap:core"]["maxSizeUpload"].as_u64().unwrap();
    assert!(max < 1 << 30, "maxSizeUpload {max}");
    // Announce 1 GB and keep sending: the server answers 413 once the
    // advertised maxSizeUpload is passed, without reading (or holding) the rest.
    let mut stream = std::net::TcpStream::connect(server.http).unwrap();
    stream.set_read_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
    stream.set_write_timeout(Some(std::time::Duration::from_secs(30))).unwrap();
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
        if sent as u64 > max + (200 << 20) {
            break; // far past the limit: the server must have answered by now
        }
    }
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    assert!(String::from_utf8_lossy(&reply).starts_with("HTTP/1.1 413"), "{}", String::from_utf8_lossy(&reply[..reply.len().min(200)]));
    assert!(sent < 1 << 30, "the server read the whole gigabyte");
    // Nothing was stored, and the server still answers.
    still_answers(&c);
    assert_eq!(c.call("Mailbox/get", json!({ "ids": null }))["list"].as_array().map(Vec::len), Some(6));
    assert_eq!(c.call("Email/query", json!({}))["ids"], json!([]));
    let used = c.call("Quota/get", json!({ "ids": null }))["list"][0]["used"].as_u64();
    assert_eq!(used, Some(0), "the refused upload takes no space");
}

#[test]
fn a_result_reference_to_the_same_or_a_later_call_is_invalid() {
    let s = Setup::new();
    s.create("r@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "r@example.com");
    // A call naming itself (or a later call) as its result reference.
    let r = c.request(json!([
        ["Email/get", { "#ids": { "resultOf": "self", "name": "Email/get", "path": "/ids" } }, "self"],
        ["Email/get", { "#ids": { "resultOf": "later", "name": "Email/query", "path": "/ids" } }, "now"],
        ["Email/query", {}, "later"],
        ["Email/get", { "#ids": { "resultOf": "later", "name": "Email/get", "path": "/ids" } }, "wrong-name"],
        ["Email/get", { "#ids": { "resultOf": "later", "name": "Email/query", "path": "/nope" } }, "wrong-path"],
    ]));
    assert_eq!(r["methodResponses"][0][1]["type"], "invalidResultReference");
    assert_eq!(r["methodResponses"][1][1]["type"], "invalidResultReference");
    assert!(r["methodResponses"][2][1]["ids"].is_array());
    assert_eq!(r["methodResponses"][3][1]["type"], "invalidResultReference", "the name must match the call's");
    assert_eq!(r["methodResponses"][4][1]["type"], "invalidResultReference", "the path must resolve");
    still_answers(&c);
}

/// `answer` with `id` replaced by `<id>`, so answers about two ids compare.
fn about(answer: &[u8], id: &str) -> String {
    String::from_utf8_lossy(answer).replace(id, "<id>")
}

#[test]
fn another_accounts_ids_are_not_found_exactly_like_nonexistent_ones() {
    let s = Setup::new();
    s.create("victim@example.com", &[]);
    s.create("intruder@example.com", &[]);
    let server = s.start();
    let victim = Client::login(&server, "victim@example.com");
    let me = Client::login(&server, "intruder@example.com");
    // The victim has a mailbox of its own, a message with an attachment, and an upload;
    // the intruder has only the default mailboxes, so none of these ids are also its own.
    let r = victim.call("Mailbox/set", json!({ "create": { "m": { "name": "Secret" } } }));
    let mailbox = r["created"]["m"]["id"].as_str().unwrap().to_owned();
    deliver(
        &server,
        "victim@example.com",
        "Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\ntext\r\n--b\r\nContent-Type: application/pdf\r\n\r\npdf\r\n--b--\r\n",
    );
    let r = victim.call("Email/get", json!({ "ids": victim.emails(json!({})), "properties": ["blobId", "threadId", "attachments"] }));
    let e = &r["list"][0];
    assert!(e["attachments"][0]["blobId"].is_string(), "{r}");
    let (email, thread, blob) = (e["id"].as_str().unwrap(), e["threadId"].as_str().unwrap(), e["blobId"].as_str().unwrap());
    let part = e["attachments"][0]["blobId"].as_str().unwrap();
    let upload = victim.upload(b"Subject: up\r\n\r\nloaded\r\n");
    let inbox = me.mailbox("inbox");

    // (what, the victim's id, an id nobody has, the call)
    type Call = Box<dyn Fn(&str) -> Value>;
    let into = inbox.clone();
    let cases: Vec<(&str, &str, &str, Call)> = vec![
        ("Email/get", email, "Mfffff", Box::new(|id| json!(["Email/get", { "ids": [id] }]))),
        ("Email/set update", email, "Mfffff", Box::new(|id| json!(["Email/set", { "update": { id: { "keywords/$seen": true } } }]))),
        ("Email/set destroy", email, "Mfffff", Box::new(|id| json!(["Email/set", { "destroy": [id] }]))),
        ("Mailbox/get", mailbox.as_str(), "Bfffff", Box::new(|id| json!(["Mailbox/get", { "ids": [id] }]))),
        ("Mailbox/set update", mailbox.as_str(), "Bfffff", Box::new(|id| json!(["Mailbox/set", { "update": { id: { "name": "Mine" } } }]))),
        ("Mailbox/set destroy", mailbox.as_str(), "Bfffff", Box::new(|id| json!(["Mailbox/set", { "destroy": [id] }]))),
        (
            "Email/set into",
            mailbox.as_str(),
            "Bfffff",
            Box::new(|id| json!(["Email/set", { "create": { "d": { "mailboxIds": { id: true }, "subject": "x" } } }])),
        ),
        ("Email/query inMailbox", mailbox.as_str(), "Bfffff", Box::new(|id| json!(["Email/query", { "filter": { "inMailbox": id } }]))),
        ("Thread/get", thread, "Tfffff", Box::new(|id| json!(["Thread/get", { "ids": [id] }]))),
        ("Blob/get message", blob, "Gfffff", Box::new(|id| json!(["Blob/get", { "ids": [id] }]))),
        ("Blob/get part", part, "Pfffff-2", Box::new(|id| json!(["Blob/get", { "ids": [id] }]))),
        ("Blob/get upload", upload.as_str(), "Ufffff", Box::new(|id| json!(["Blob/get", { "ids": [id] }]))),
        ("Email/parse", blob, "Gfffff", Box::new(|id| json!(["Email/parse", { "blobIds": [id] }]))),
        (
            "Email/import",
            upload.as_str(),
            "Ufffff",
            Box::new(move |id| json!(["Email/import", { "emails": { "i": { "blobId": id, "mailboxIds": { into.clone(): true } } } }])),
        ),
    ];
    for (what, theirs, missing, call) in &cases {
        let answer = |id: &str| {
            let mut c = call(id);
            c.as_array_mut().unwrap().push("c".into());
            me.request(json!([c]))["methodResponses"][0].clone()
        };
        let (foreign, none) = (answer(theirs), answer(missing));
        assert_eq!(
            about(foreign.to_string().as_bytes(), theirs),
            about(none.to_string().as_bytes(), missing),
            "{what}: another account's id answers like one that does not exist"
        );
        if !what.starts_with("Email/query") {
            assert_ne!(foreign[0], "error", "{what}: a per-id not found, not a method error: {foreign}");
        }
    }
    // Downloads: another account's blob under my account id, and under its own.
    for (theirs, missing) in [(blob, "Gfffff"), (part, "Pfffff-2"), (upload.as_str(), "Ufffff")] {
        let ((status, body), (status2, body2)) = (me.download(theirs), me.download(missing));
        assert_eq!((status, about(&body, theirs)), (status2, about(&body2, missing)), "download of another account's {theirs}");
        assert_eq!(status, 404);
        let get =
            |account: &str| http(server.http, "GET", &format!("/jmap/download/{account}/{theirs}/x"), &[("Authorization", &me.auth)], b"");
        let ((status, _, body), (status2, _, body2)) = (get(&victim.account), get("Afffff"));
        assert_eq!((status, about(&body, &victim.account)), (status2, about(&body2, "Afffff")), "another account's id in a download URL");
        assert_eq!(status, 404);
    }
    // Uploads into and calls on the other account.
    let up = |account: &str| http(server.http, "POST", &format!("/jmap/upload/{account}"), &[("Authorization", &me.auth)], b"x");
    let ((status, _, body), (status2, _, body2)) = (up(&victim.account), up("Afffff"));
    assert_eq!((status, about(&body, &victim.account)), (status2, about(&body2, "Afffff")), "an upload into another account");
    assert_eq!(status, 404);
    let r = me.request(json!([
        ["Email/get", { "accountId": victim.account, "ids": [email] }, "a"],
        ["Email/get", { "accountId": "Afffff", "ids": [email] }, "b"],
        ["Email/copy", { "fromAccountId": victim.account, "create": { "x": { "id": email, "mailboxIds": { inbox.clone(): true } } } }, "c"],
        ["Email/copy", { "fromAccountId": "Afffff", "create": { "x": { "id": email, "mailboxIds": { inbox.clone(): true } } } }, "d"],
    ]));
    assert_eq!(r["methodResponses"][0][1]["type"], "accountNotFound");
    assert_eq!(r["methodResponses"][1][1]["type"], "accountNotFound");
    assert_eq!(r["methodResponses"][2][1]["type"], "fromAccountNotFound");
    assert_eq!(r["methodResponses"][3][1]["type"], "fromAccountNotFound");
    // The victim's things are untouched.
    let after = victim.call("Email/get", json!({ "ids": [email], "properties": ["keywords", "mailboxIds"] }));
    assert_eq!(after["list"][0]["keywords"], json!({}));
    assert_eq!(victim.call("Mailbox/get", json!({ "ids": [mailbox] }))["list"][0]["name"], "Secret");
    assert_eq!(me.emails(json!({})), Vec::<String>::new());
    still_answers(&me);
    still_answers(&victim);
}
