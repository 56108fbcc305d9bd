//! Retention as a Mailbox property and an account setting.

use super::*;

#[test]
fn retention_is_a_mailbox_property_and_an_account_setting_over_jmap() {
    let s = Setup::with(|c| *c = c.replace("retention_max_days = 0", "retention_max_days = 3650"));
    s.create("r@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "r@example.com");
    assert_eq!(c.session["capabilities"]["urn:tresor:params:jmap:retention"]["maxDays"], 3650);
    let r = c.call("Mailbox/get", json!({"properties": ["role", "retentionDays"]}));
    let boxes = r["list"].as_array().unwrap().clone();
    let trash = boxes.iter().find(|b| b["role"] == "trash").unwrap();
    assert_eq!(trash["retentionDays"], 30);
    let junk = boxes.iter().find(|b| b["role"] == "junk").unwrap()["id"].as_str().unwrap().to_owned();
    let r = c.request(json!([
        ["Mailbox/set", {"update": {junk.clone(): {"retentionDays": 14}}}, "a"],
        ["RetentionSettings/set", {"update": {"singleton": {"retentionDays": 365}}}, "b"],
        ["RetentionSettings/set", {"update": {"singleton": {"retentionDays": 4000}}}, "c"],
        ["RetentionSettings/get", {}, "d"]
    ]));
    assert_eq!(r["methodResponses"][0][1]["updated"], json!({ junk: null }));
    assert_eq!(r["methodResponses"][2][1]["notUpdated"]["singleton"]["type"], "invalidProperties", "over the server's maximum");
    assert_eq!(r["methodResponses"][3][1]["list"][0]["retentionDays"], 365);
    let show = s.ok(&["retention", "show", "r@example.com"], "");
    assert!(show.contains("account: 365 days") && show.contains("Junk: 14 days"), "the operator sees what the user set: {show}");
    let r = c.request_using(
        &["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
        json!([["Mailbox/get", {"properties": ["retentionDays"]}, "m"]]),
    );
    assert_eq!(r["methodResponses"][0][1]["type"], "invalidArguments", "the property needs the capability");
}
