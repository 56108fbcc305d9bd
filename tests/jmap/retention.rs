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
    // A new mailbox takes its retention, sort order and subscription at creation.
    let r = c.call(
        "Mailbox/set",
        json!({"create": {
            "cases": {"name": "Cases", "retentionDays": 90, "sortOrder": 7, "isSubscribed": false},
            "toolong": {"name": "Forever", "retentionDays": 4000},
            "badorder": {"name": "Order", "sortOrder": 4_294_967_296u64},
        }}),
    );
    let cases = r["created"]["cases"]["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    assert_eq!(r["notCreated"]["toolong"], json!({"type": "invalidProperties", "properties": ["retentionDays"]}));
    assert_eq!(r["notCreated"]["badorder"], json!({"type": "invalidProperties", "properties": ["sortOrder"]}));
    let got =
        c.call("Mailbox/get", json!({"ids": [cases], "properties": ["retentionDays", "sortOrder", "isSubscribed"]}))["list"][0].clone();
    assert_eq!((got["retentionDays"].clone(), got["sortOrder"].clone(), got["isSubscribed"].clone()), (json!(90), json!(7), json!(false)));
    let names = c.call("Mailbox/get", json!({"properties": ["name"]}))["list"].to_string();
    assert!(!names.contains("Forever") && !names.contains("Order"), "a refused create leaves nothing: {names}");
    let show = s.ok(&["retention", "show", "r@example.com"], "");
    assert!(show.contains("account: 365 days") && show.contains("Junk: 14 days"), "the operator sees what the user set: {show}");
    let r = c.request_using(
        &["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"],
        json!([["Mailbox/get", {"properties": ["retentionDays"]}, "m"]]),
    );
    assert_eq!(r["methodResponses"][0][1]["type"], "invalidArguments", "the property needs the capability");
}
