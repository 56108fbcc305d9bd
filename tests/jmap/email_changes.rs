//! Email/changes and Mailbox/changes follow the change log, whoever made the change.

use super::*;

#[test]
fn changes_follow_the_change_log_whoever_made_them() {
    let s = Setup::new();
    s.create("c@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "c@example.com");
    let before = c.state("Email");
    for i in 0..3 {
        deliver(&server, "c@example.com", &format!("Subject: {i}\r\n\r\n{i}\r\n"));
    }
    let r = c.request(json!([
        ["Email/changes", {"sinceState": before}, "e"],
        ["Mailbox/changes", {"sinceState": before}, "m"],
        ["Email/changes", {"sinceState": before, "maxChanges": 2}, "p"],
        ["Email/changes", {"sinceState": "999999"}, "x"]
    ]));
    let e = &r["methodResponses"][0][1];
    assert_eq!(e["created"].as_array().unwrap().len(), 3, "{e}");
    assert_eq!((e["updated"].as_array().unwrap().len(), e["destroyed"].as_array().unwrap().len()), (0, 0));
    assert_eq!(e["hasMoreChanges"], false);
    let m = &r["methodResponses"][1][1];
    assert_eq!(m["updated"].as_array().unwrap().len(), 1, "the inbox's counts changed: {m}");
    assert_eq!(m["updatedProperties"], json!(["totalEmails", "unreadEmails", "totalThreads", "unreadThreads"]));
    let p = &r["methodResponses"][2][1];
    assert_eq!((p["created"].as_array().unwrap().len(), p["hasMoreChanges"].as_bool()), (2, Some(true)));
    let x = &r["methodResponses"][3][1];
    assert_eq!(x["type"], "cannotCalculateChanges");
    // Resuming from the intermediate state yields the rest.
    let r = c.call("Email/changes", json!({"sinceState": p["newState"]}));
    assert_eq!(r["created"].as_array().unwrap().len(), 1);
    assert_eq!(r["newState"], e["newState"]);

    // A change made over IMAP and one over JMAP show the same way.
    let email = ids(&e["created"])[0].clone();
    let mut imap = crate::imap::Imap::login(server.imap, "c@example.com");
    imap.cmd("s SELECT INBOX");
    let reply = imap.cmd("t UID STORE 1:* +FLAGS (\\Seen)");
    assert!(reply.last().unwrap().starts_with("t OK"), "{reply:?}");
    let r = c.call("Email/changes", json!({"sinceState": e["newState"]}));
    assert_eq!((r["created"].clone(), r["updated"].as_array().unwrap().len()), (json!([]), 3), "IMAP STORE: {r}");
    let destroyed = c.call("Email/set", json!({ "destroy": [email] }));
    let r = c.call("Email/changes", json!({"sinceState": destroyed["oldState"]}));
    assert_eq!((r["updated"].clone(), r["destroyed"].clone()), (json!([]), json!([email])), "Email/set destroy: {r}");
}
