//! Email/set: keywords, mailboxIds, destroy, and drafts created from parts.

use super::*;

#[test]
fn email_set_changes_keywords_and_mailboxes_and_destroys() {
    let s = Setup::new();
    s.create("w@example.com", &[]);
    let server = s.start();
    let auth = basic("w@example.com", "secret");
    let mut c = Lmtp::connect(server.lmtp);
    for i in 0..2 {
        assert!(c.deliver("x@example.org", &["w@example.com"], format!("Subject: {i}\r\n\r\n{i}\r\n").as_bytes())[0].starts_with("250"));
    }
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Mailbox/get", {"accountId": account, "properties": ["role"]}, "m"],
            ["Email/query", {"accountId": account, "sort": [{"property": "receivedAt", "isAscending": true}]}, "q"]
        ]}),
    );
    let boxes = r["methodResponses"][0][1]["list"].as_array().unwrap().clone();
    let id_of = |role: &str| boxes.iter().find(|b| b["role"] == role).unwrap()["id"].as_str().unwrap().to_owned();
    let (inbox, archive) = (id_of("inbox"), id_of("archive"));
    let state = r["methodResponses"][0][1]["state"].as_str().unwrap().to_owned();
    let ids: Vec<String> = r["methodResponses"][1][1]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/set", {"accountId": account, "ifInState": "0", "update": {}}, "s"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["type"], "stateMismatch");

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/set", {"accountId": account, "ifInState": state, "update": {
                ids[0].clone(): {"keywords/$seen": true, "keywords/$Flagged": true, format!("mailboxIds/{archive}"): true, format!("mailboxIds/{inbox}"): null},
                "Mdeadbeef": {"keywords/$seen": true}
            }, "destroy": [ids[1].clone()]}, "s"],
            ["Email/get", {"accountId": account, "ids": [ids[0].clone(), ids[1].clone()], "properties": ["keywords", "mailboxIds"]}, "g"],
            ["Email/changes", {"accountId": account, "sinceState": state}, "c"]
        ]}),
    );
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

    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/set", {"accountId": account, "update": {ids[0].clone(): {"mailboxIds": {}}}}, "s"]]}),
    );
    assert_eq!(r["methodResponses"][0][1]["notUpdated"][&ids[0]]["type"], "invalidProperties", "no mailbox at all is refused");
    drop(server);
    assert_eq!(s.messages("w@example.com"), 1);
}

#[test]
fn email_set_creates_a_draft_that_reads_back_and_stays_sealed() {
    let s = Setup::new();
    s.create("d@example.com", &[]);
    let server = s.start();
    let auth = basic("d@example.com", "secret");
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let account =
        serde_json::from_slice::<Value>(&body).unwrap()["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]);
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Mailbox/get", {"accountId": account, "properties": ["role"]}, "m"]]}),
    );
    let drafts = r["methodResponses"][0][1]["list"].as_array().unwrap().iter().find(|b| b["role"] == "drafts").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [
            ["Email/set", {"accountId": account, "create": {"d": {
                "mailboxIds": {drafts.clone(): true}, "keywords": {"$draft": true},
                "from": [{"name": "Dee", "email": "d@example.com"}], "to": [{"email": "x@example.org"}],
                "subject": "draft dr4canary", "textBody": [{"partId": "t", "type": "text/plain"}],
                "bodyValues": {"t": {"value": "body dr4canary text"}}
            }, "bad": {"mailboxIds": {drafts.clone(): true}, "headers": []}}}, "s"]
        ]}),
    );
    let set = &r["methodResponses"][0][1];
    let id = set["created"]["d"]["id"].as_str().unwrap().to_owned();
    assert_eq!(set["notCreated"]["bad"]["type"], "invalidProperties");
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": using, "methodCalls": [["Email/get", {"accountId": account, "ids": [id], "properties": ["subject", "from", "keywords", "mailboxIds"], "fetchTextBodyValues": true}, "g"]]}),
    );
    let e = &r["methodResponses"][0][1]["list"][0];
    assert_eq!(e["subject"], "draft dr4canary");
    assert_eq!(e["from"], json!([{"name": "Dee", "email": "d@example.com"}]));
    assert_eq!(e["keywords"], json!({"$draft": true}));
    server.stop();
    assert!(crate::harness::files_containing(&s.data(), b"dr4canary").is_empty(), "the draft is sealed");
}
