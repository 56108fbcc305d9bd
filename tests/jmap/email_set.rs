//! Email/set: keywords, mailboxIds, destroy, drafts created from parts, and creation ids across calls.

use super::*;

#[test]
fn email_set_changes_keywords_and_mailboxes_and_destroys() {
    let s = Setup::new();
    s.create("w@example.com", &[]);
    let server = s.start();
    for i in 0..2 {
        deliver(&server, "w@example.com", &format!("Subject: {i}\r\n\r\n{i}\r\n"));
    }
    let c = Client::login(&server, "w@example.com");
    let r = c.request(json!([
        ["Mailbox/get", {"properties": ["role"]}, "m"],
        ["Email/query", {"sort": [{"property": "receivedAt", "isAscending": true}]}, "q"]
    ]));
    let boxes = r["methodResponses"][0][1]["list"].as_array().unwrap().clone();
    let id_of = |role: &str| boxes.iter().find(|b| b["role"] == role).unwrap()["id"].as_str().unwrap().to_owned();
    let (inbox, archive) = (id_of("inbox"), id_of("archive"));
    let state = r["methodResponses"][0][1]["state"].as_str().unwrap().to_owned();
    let ids = ids(&r["methodResponses"][1][1]["ids"]);

    let r = c.call("Email/set", json!({"ifInState": "0", "update": {}}));
    assert_eq!(r["type"], "stateMismatch");

    let r = c.request(json!([
        ["Email/set", {"ifInState": state, "update": {
            ids[0].clone(): {"keywords/$seen": true, "keywords/$Flagged": true, format!("mailboxIds/{archive}"): true, format!("mailboxIds/{inbox}"): null},
            "Mdeadbeef": {"keywords/$seen": true}
        }, "destroy": [ids[1].clone()]}, "s"],
        ["Email/get", {"ids": [ids[0].clone(), ids[1].clone()], "properties": ["keywords", "mailboxIds"]}, "g"],
        ["Email/changes", {"sinceState": state}, "c"]
    ]));
    let set = &r["methodResponses"][0][1];
    assert_eq!(set["updated"], json!({ ids[0].clone(): null }));
    assert_eq!(set["notUpdated"]["Mdeadbeef"]["type"], "notFound");
    assert_eq!(set["destroyed"], json!([ids[1].clone()]));
    assert_ne!(set["newState"], set["oldState"]);
    let got = &r["methodResponses"][1][1];
    assert_eq!(got["list"][0]["keywords"], json!({"$flagged": true, "$seen": true}));
    assert_eq!(got["list"][0]["mailboxIds"], json!({ archive.clone(): true }));
    assert_eq!(got["notFound"], json!([ids[1].clone()]));
    let changes = &r["methodResponses"][2][1];
    assert_eq!((changes["updated"].clone(), changes["destroyed"].clone()), (json!([ids[0].clone()]), json!([ids[1].clone()])));

    let r = c.call("Email/set", json!({"update": {ids[0].clone(): {"mailboxIds": {}}}}));
    assert_eq!(r["notUpdated"][&ids[0]]["type"], "invalidProperties", "no mailbox at all is refused");
    drop(server);
    assert_eq!(s.messages("w@example.com"), 1);
}

#[test]
fn email_set_creates_a_draft_that_reads_back_and_stays_sealed() {
    let s = Setup::new();
    s.create("d@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "d@example.com");
    let drafts = c.mailbox("drafts");
    let set = c.call(
        "Email/set",
        json!({"create": {"d": {
            "mailboxIds": {drafts.clone(): true}, "keywords": {"$draft": true},
            "from": [{"name": "Dee", "email": "d@example.com"}], "to": [{"email": "x@example.org"}],
            "subject": "draft dr4canary", "textBody": [{"partId": "t", "type": "text/plain"}],
            "bodyValues": {"t": {"value": "body dr4canary text"}}
        }, "bad": {"mailboxIds": {drafts.clone(): true}, "headers": []}}}),
    );
    let id = set["created"]["d"]["id"].as_str().unwrap_or_else(|| panic!("{set}")).to_owned();
    assert_eq!(set["notCreated"]["bad"]["type"], "invalidProperties", "{set}");
    let r =
        c.call("Email/get", json!({"ids": [id], "properties": ["subject", "from", "keywords", "mailboxIds"], "fetchTextBodyValues": true}));
    let e = &r["list"][0];
    assert_eq!(e["subject"], "draft dr4canary");
    assert_eq!(e["from"], json!([{"name": "Dee", "email": "d@example.com"}]));
    assert_eq!(e["keywords"], json!({"$draft": true}));
    server.stop();
    assert!(crate::harness::files_containing(&s.data(), b"dr4canary").is_empty(), "the draft is sealed");
}

#[test]
fn creation_ids_reach_later_calls_and_email_copy_says_why_not() {
    let s = Setup::new();
    s.create("c@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "c@example.com");
    let drafts = c.mailbox("drafts");
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

#[test]
fn a_message_id_or_date_given_in_any_spelling_or_on_the_root_part_is_the_messages_own() {
    let s = Setup::new();
    s.create("mid@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "mid@example.com");
    let drafts = c.mailbox("drafts");
    let blob = c.upload(b"Hello there");
    let set = c.call(
        "Email/set",
        json!({"create": {
            "onpart": {"mailboxIds": {drafts.clone(): true}, "textBody": [{
                "blobId": blob, "type": "text/plain", "header:Message-Id": " <part@example.net>", "header:DATE": " Tue, 1 Sep 2026 10:00:00 +0200",
                "header:Subject": " on the part", "language": ["en"],
            }]},
            "lower": {"mailboxIds": {drafts.clone(): true}, "header:message-id": " <lower@example.net>", "bodyValues": {"1": {"value": "x"}},
                "textBody": [{"partId": "1", "type": "text/plain"}]},
            "none": {"mailboxIds": {drafts.clone(): true}, "subject": "made", "bodyValues": {"1": {"value": "x"}},
                "textBody": [{"partId": "1", "type": "text/plain"}]},
            "multi": {"mailboxIds": {drafts.clone(): true}, "bodyValues": {"1": {"value": "x"}, "2": {"value": "<p>x</p>"}},
                "bodyStructure": {"type": "multipart/alternative", "header:Message-ID": " <root@example.net>", "subParts": [
                    {"partId": "1", "type": "text/plain"}, {"partId": "2", "type": "text/html"}]}},
            "twice": {"mailboxIds": {drafts.clone(): true}, "subject": "one", "bodyValues": {"1": {"value": "x"}},
                "bodyStructure": {"type": "multipart/mixed", "header:Subject:asText": "two", "header:X-Fine": " yes",
                    "subParts": [{"partId": "1", "type": "text/plain"}]}},
            "twice2": {"mailboxIds": {drafts.clone(): true}, "header:Date": " Tue, 1 Sep 2026 10:00:00 +0200",
                "bodyValues": {"1": {"value": "x"}}, "textBody": [{"partId": "1", "header:date:asDate": "2026-09-01T10:00:00Z"}]},
            "twiceall": {"mailboxIds": {drafts.clone(): true}, "header:Subject:all": [" a", " b"]},
            "badkw": {"mailboxIds": {drafts.clone(): true}, "keywords": {"$seen": false}},
            "baddate": {"mailboxIds": {drafts.clone(): true}, "receivedAt": 12},
        }}),
    );
    let id = |cid: &str| set["created"][cid]["id"].as_str().unwrap_or_else(|| panic!("{cid}: {set}")).to_owned();
    let get = |cid: &str| {
        c.call("Email/get", json!({"ids": [id(cid)], "properties": ["messageId", "sentAt", "subject", "blobId", "bodyStructure"]}))["list"]
            [0]
        .clone()
    };
    let e = get("onpart");
    assert_eq!(e["messageId"], json!(["part@example.net"]));
    assert_eq!(e["sentAt"], "2026-09-01T10:00:00+02:00");
    assert_eq!(e["subject"], "on the part");
    assert_eq!(e["bodyStructure"]["language"], json!(["en"]));
    assert_eq!(get("lower")["messageId"], json!(["lower@example.net"]));
    let made = get("none");
    let (_, raw) = c.download(made["blobId"].as_str().unwrap());
    let raw = String::from_utf8(raw).unwrap();
    assert_eq!(raw.matches("Message-ID:").count(), 1, "{raw}");
    assert!(made["messageId"][0].as_str().unwrap().ends_with("@tresor"), "a made Message-ID names no host: {made}");
    // On a multipart root too: one Message-ID, the client's.
    let multi = get("multi");
    assert_eq!(multi["messageId"], json!(["root@example.net"]));
    let (_, raw) = c.download(multi["blobId"].as_str().unwrap());
    assert_eq!(String::from_utf8(raw).unwrap().to_ascii_lowercase().matches("message-id:").count(), 1);
    // A field allowed once, given on the root part and on the Email: refused,
    // naming the part's property.
    assert_eq!(set["notCreated"]["twice"], json!({"type": "invalidProperties", "properties": ["bodyStructure/header:Subject:asText"]}));
    assert_eq!(set["notCreated"]["twice2"], json!({"type": "invalidProperties", "properties": ["textBody/0/header:date:asDate"]}));
    for (cid, prop) in [("twiceall", "header:Subject:all"), ("badkw", "keywords"), ("baddate", "receivedAt")] {
        assert_eq!(set["notCreated"][cid], json!({"type": "invalidProperties", "properties": [prop]}), "{set}");
    }
}

#[test]
fn max_body_value_bytes_must_be_a_positive_integer() {
    let s = Setup::new();
    s.create("mb@example.com", &[]);
    let server = s.start();
    deliver(&server, "mb@example.com", "Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n1234\u{2603}\r\n");
    let c = Client::login(&server, "mb@example.com");
    let id = c.emails(json!({})).pop().unwrap();
    for bad in [json!(null), json!(0), json!(-5), json!("1"), json!(true), json!([])] {
        let e = c.call_error(
            "Email/get",
            json!({"ids": [id], "properties": ["bodyValues"], "fetchAllBodyValues": true, "maxBodyValueBytes": bad}),
        );
        assert_eq!(e, json!({"type": "invalidArguments", "arguments": ["maxBodyValueBytes"]}), "{bad}");
    }
    let r = c.call("Email/get", json!({"ids": [id], "properties": ["bodyValues"], "fetchAllBodyValues": true, "maxBodyValueBytes": 6}));
    assert_eq!(
        r["list"][0]["bodyValues"]["1"],
        json!({"value": "1234", "isTruncated": true, "isEncodingProblem": false}),
        "never half a character"
    );
}
