//! Identity/* and VacationResponse/*.

use super::*;

#[test]
fn identities_and_the_vacation_response_are_the_accounts_own() {
    let s = Setup::new();
    s.create("i@example.com", &["--alias", "alias@example.com"]);
    let server = s.start();
    let c = Client::login(&server, "i@example.com");
    let list = c.call("Identity/get", json!({ "ids": null }));
    assert_eq!(list["list"][0]["email"], "i@example.com", "the default identity");
    let r = c.call(
        "Identity/set",
        json!({ "create": {
            "a": { "email": "alias@example.com", "name": "Alias", "textSignature": "-- \nA", "replyTo": [{ "email": "r@example.com" }] },
            "x": { "email": "someone@else.org" },
        }}),
    );
    let a = r["created"]["a"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["notCreated"]["x"]["type"], "forbiddenFrom");
    let state = r["newState"].clone();
    c.call("Identity/set", json!({ "update": { a.clone(): { "name": "Renamed" } } }));
    let ch = c.call("Identity/changes", json!({ "sinceState": state }));
    assert_eq!(ch["updated"], json!([a]));
    assert_eq!(c.call("Identity/get", json!({ "ids": [a] }))["list"][0]["name"], "Renamed");
    let r = c.call("Identity/set", json!({ "update": { a.clone(): { "email": "i@example.com" } } }));
    assert_eq!(r["notUpdated"][&a]["type"], "invalidProperties", "an identity's address is fixed");

    let r = c.call(
        "VacationResponse/set",
        json!({ "update": { "singleton": { "isEnabled": true, "subject": "Away", "textBody": "VACATIONCANARY", "toDate": "2099-01-01T00:00:00Z" } },
                "create": { "n": {} } }),
    );
    assert_eq!(r["updated"], json!({ "singleton": null }));
    assert_eq!(r["notCreated"]["n"]["type"], "singleton");
    let v = c.call("VacationResponse/get", json!({}));
    assert_eq!(v["list"][0]["toDate"], "2099-01-01T00:00:00Z");
    assert_eq!(v["list"][0]["textBody"], "VACATIONCANARY");
    // Without a smarthost, nothing can be submitted (and nothing is queued).
    let email = {
        let drafts = ids(&c.call("Mailbox/query", json!({ "filter": { "role": "drafts" } }))["ids"])[0].clone();
        let r = c.call("Email/set", json!({ "create": { "d": { "mailboxIds": { drafts: true }, "from": [{ "email": "i@example.com" }], "to": [{ "email": "x@example.org" }], "subject": "s", "bodyValues": { "1": { "value": "x" } }, "textBody": [{ "partId": "1" }] } } }));
        r["created"]["d"]["id"].as_str().unwrap().to_owned()
    };
    let r = c.call("EmailSubmission/set", json!({ "create": { "s": { "identityId": list["list"][0]["id"], "emailId": email } } }));
    assert_eq!(r["notCreated"]["s"]["type"], "forbidden");
    drop(server);
    assert!(crate::harness::files_containing(s.dir.path(), b"VACATIONCANARY").is_empty(), "the vacation text is sealed");
}
