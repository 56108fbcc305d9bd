//! Quota/get, /changes, /query (RFC 9425).

use super::*;

#[test]
fn quota_get_reports_the_account_quota_and_usage() {
    let s = Setup::new();
    s.create("q@example.com", &["--quota", "1M"]);
    let server = s.start();
    let auth = basic("q@example.com", "secret");
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("x@example.org", &["q@example.com"], b"Subject: q\r\n\r\nq\r\n")[0].starts_with("250"));
    let (_, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
    let session: Value = serde_json::from_slice(&body).unwrap();
    let account = session["primaryAccounts"]["urn:ietf:params:jmap:quota"].as_str().unwrap().to_owned();
    let (_, r) = api(
        server.http,
        &auth,
        &json!({"using": ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:quota"], "methodCalls": [["Quota/get", {"accountId": account, "ids": null}, "0"]]}),
    );
    let q = &r["methodResponses"][0][1]["list"][0];
    assert_eq!((q["resourceType"].as_str(), q["hardLimit"].as_u64()), (Some("octets"), Some(1 << 20)));
    assert!(q["used"].as_u64().unwrap() > 0);
}

#[test]
fn quotas_are_queried_and_report_changes_of_use() {
    let s = Setup::new();
    s.create("qq@example.com", &[]);
    let server = s.start();
    let c = Client::new(&server, "qq@example.com", "secret");
    let using = json!(["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:quota"]);
    let call = |name: &str, args: Value| -> Value {
        let mut args = args;
        args["accountId"] = c.account.clone().into();
        let body = json!({ "using": using, "methodCalls": [[name, args, "c"]] });
        let (_, _, r) = http(c.addr, "POST", "/jmap/api", &[("Authorization", &c.auth)], body.to_string().as_bytes());
        serde_json::from_slice::<Value>(&r).unwrap()["methodResponses"][0][1].clone()
    };
    let q = call("Quota/query", json!({ "filter": { "resourceType": "octets" } }));
    assert_eq!(q["ids"], json!(["Qbytes"]));
    let state = call("Quota/get", json!({ "ids": null }))["state"].clone();
    assert_eq!(call("Quota/changes", json!({ "sinceState": state }))["updated"], json!([]));
    deliver(&server, "qq@example.com", "Subject: q\r\n\r\nx\r\n");
    assert_eq!(call("Quota/changes", json!({ "sinceState": state }))["updated"], json!(["Qbytes"]));
}
