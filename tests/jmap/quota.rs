//! Quota/get, /changes, /query (RFC 9425).

use super::*;

#[test]
fn quota_get_reports_the_account_quota_and_usage() {
    let s = Setup::new();
    s.create("q@example.com", &["--quota", "1M"]);
    let server = s.start();
    deliver(&server, "q@example.com", "Subject: q\r\n\r\nq\r\n");
    let c = Client::login(&server, "q@example.com");
    assert_eq!(c.session["primaryAccounts"]["urn:ietf:params:jmap:quota"], c.account.as_str());
    let r = c.request_using(&["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:quota"], json!([["Quota/get", {"ids": null}, "0"]]));
    let q = &r["methodResponses"][0][1]["list"][0];
    assert_eq!((q["resourceType"].as_str(), q["hardLimit"].as_u64()), (Some("octets"), Some(1 << 20)));
    assert!(q["used"].as_u64().unwrap() > 0);
    assert_eq!(q["scope"], "account");
}

#[test]
fn quotas_are_queried_and_report_changes_of_use() {
    let s = Setup::new();
    s.create("qq@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "qq@example.com");
    let q = c.call("Quota/query", json!({ "filter": { "resourceType": "octets" } }));
    assert_eq!(q["ids"], json!(["Qbytes"]));
    let state = c.state("Quota");
    assert_eq!(c.call("Quota/changes", json!({ "sinceState": state }))["updated"], json!([]));
    deliver(&server, "qq@example.com", "Subject: q\r\n\r\nx\r\n");
    assert_eq!(c.call("Quota/changes", json!({ "sinceState": state }))["updated"], json!(["Qbytes"]));
    let r = c.request_using(&["urn:ietf:params:jmap:core"], json!([["Quota/get", {"ids": null}, "0"]]));
    assert_eq!(r["methodResponses"][0][1]["type"], "unknownMethod", "Quota/get needs the quota capability");
}
