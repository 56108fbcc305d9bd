//! EmailSubmission through a real MTA (a private Postfix), and vacation replies sent through it.

use super::*;
use crate::mta::{Postfix, free_port};
use std::time::{Duration, Instant};

fn wait_for(what: &str, secs: u64, context: impl Fn() -> String, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}\n{}", context());
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn first_id(v: &Value) -> String {
    v["ids"][0].as_str().unwrap().to_owned()
}

#[test]
fn a_submission_reaches_the_recipient_through_postfix_and_can_be_undone_while_held() {
    // Ports chosen first: Postfix delivers to Tresor's LMTP, Tresor submits to
    // Postfix and trusts its certificate.
    let (smtp_port, lmtp_port) = (free_port(), free_port());
    let lmtp: std::net::SocketAddr = format!("127.0.0.1:{lmtp_port}").parse().unwrap();
    let mta = Postfix::start(smtp_port, lmtp);
    let secrets = tempfile::tempdir().unwrap();
    let password_file = secrets.path().join("smarthost.pw");
    std::fs::write(&password_file, format!("{}\n", mta.password)).unwrap();
    let s = Setup::with(|text| {
        *text = text
            .replace("[\"127.0.0.1:0\"]\n# Name", &format!("[\"{lmtp}\"]\n# Name"))
            .replace("smarthost = \"\"", &format!("smarthost = \"{}\"", mta.smtp))
            .replace("username = \"\"", &format!("username = \"{}\"", mta.user))
            .replace("password_file = \"\"", &format!("password_file = \"{}\"", password_file.display()))
            .replace("ca_file = \"\"", &format!("ca_file = \"{}\"", mta.cert.display()));
    });
    s.create("alice@example.com", &[]);
    s.create("bob@example.com", &[]);
    let server = s.start();
    assert_eq!(server.lmtp, lmtp, "Tresor listens where Postfix delivers");

    let alice = Client::login(&server, "alice@example.com");
    let bob = Client::login(&server, "bob@example.com");
    let identity = alice.call("Identity/get", json!({ "ids": null }))["list"][0]["id"].as_str().unwrap().to_owned();
    let drafts = first_id(&alice.call("Mailbox/query", json!({ "filter": { "role": "drafts" } })));
    let sent = first_id(&alice.call("Mailbox/query", json!({ "filter": { "role": "sent" } })));
    let draft = |subject: &str| {
        json!({ "mailboxIds": { drafts.clone(): true }, "keywords": { "$draft": true },
                "from": [{ "name": "Alice", "email": "alice@example.com" }], "to": [{ "email": "bob@example.com" }],
                "bcc": [{ "email": "alice@example.com" }],
                "subject": subject, "bodyValues": { "1": { "value": "Hello Bob" } }, "textBody": [{ "partId": "1", "type": "text/plain" }] })
    };

    // Send: the draft moves to Sent and loses $draft once the submission exists.
    let r = alice.request(json!([
        ["Email/set", { "create": { "d": draft("through postfix") } }, "0"],
        ["EmailSubmission/set", { "create": { "s": { "identityId": identity, "emailId": "#d" } },
          "onSuccessUpdateEmail": { "#s": { "mailboxIds": { sent.clone(): true }, "keywords/$draft": null, "keywords/$seen": true } } }, "1"],
    ]));
    let responses = r["methodResponses"].as_array().unwrap();
    let submission = responses[1][1]["created"]["s"]["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    let email = responses[0][1]["created"]["d"]["id"].as_str().unwrap().to_owned();
    assert_eq!(responses[2][0], "Email/set", "the implicit Email/set follows");
    assert_eq!(responses[2][1]["updated"], json!({ email.clone(): null }));
    let moved = alice.call("Email/get", json!({ "ids": [email], "properties": ["mailboxIds", "keywords"] }));
    assert_eq!(moved["list"][0]["mailboxIds"], json!({ sent: true }));
    assert_eq!(moved["list"][0]["keywords"], json!({ "$seen": true }));

    let context = || format!("{}\n{}", mta.log(), alice.call("EmailSubmission/get", json!({ "ids": null })));
    wait_for("Bob to receive it through Postfix", 30, context, || {
        !bob.call("Email/query", json!({ "filter": { "subject": "postfix" } }))["ids"].as_array().unwrap().is_empty()
    });
    let got = bob.call("Email/query", json!({ "filter": { "subject": "postfix" } }));
    let got = bob.call("Email/get", json!({ "ids": got["ids"], "properties": ["from", "subject", "bcc"], "fetchTextBodyValues": true }));
    assert_eq!(got["list"][0]["from"], json!([{ "name": "Alice", "email": "alice@example.com" }]));
    assert_eq!(got["list"][0]["bcc"], Value::Null, "Bcc is never sent");
    let log = mta.log();
    assert!(log.contains("sasl_username=submit@mta.test"), "authenticated: {log}");
    assert!(log.contains("TLS connection established") || log.contains("Anonymous TLS connection"), "over TLS: {log}");
    wait_for("the delivery status", 20, context, || {
        let s = alice.call("EmailSubmission/get", json!({ "ids": [submission] }));
        s["list"][0]["undoStatus"] == "final"
    });
    let status = alice.call("EmailSubmission/get", json!({ "ids": [submission] }));
    let bob_status = &status["list"][0]["deliveryStatus"]["bob@example.com"];
    assert!(bob_status["smtpReply"].as_str().unwrap().starts_with("250"), "{status}");
    assert_eq!(bob_status["delivered"], "unknown");
    assert!(
        alice.call("EmailSubmission/set", json!({ "update": { submission.clone(): { "undoStatus": "canceled" } } }))["notUpdated"]
            [&submission]["type"]
            == "cannotUnsend"
    );

    // Held for a minute, then undone: it never leaves.
    let r = alice.request(json!([
        ["Email/set", { "create": { "h": draft("held then undone") } }, "0"],
        ["EmailSubmission/set", { "create": { "s": { "identityId": identity, "emailId": "#h",
            "envelope": { "mailFrom": { "email": "alice@example.com", "parameters": { "HOLDFOR": "60" } }, "rcptTo": [{ "email": "bob@example.com" }] } } } }, "1"],
    ]));
    let held = r["methodResponses"][1][1]["created"]["s"]["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    let r = alice.call("EmailSubmission/set", json!({ "update": { held.clone(): { "undoStatus": "canceled" } } }));
    assert_eq!(r["updated"], json!({ held.clone(): null }));
    assert_eq!(alice.call("EmailSubmission/get", json!({ "ids": [held] }))["list"][0]["undoStatus"], "canceled");
    // A From that is not Alice's is refused.
    let mut forged = draft("forged");
    forged["from"] = json!([{ "email": "ceo@example.com" }]);
    let r = alice.request(json!([
        ["Email/set", { "create": { "f": forged } }, "0"],
        ["EmailSubmission/set", { "create": { "s": { "identityId": identity, "emailId": "#f" } } }, "1"],
    ]));
    assert_eq!(r["methodResponses"][1][1]["notCreated"]["s"]["type"], "forbiddenFrom");

    // Vacation: Bob is away. Alice (a person) gets one reply, through Postfix;
    // a list message gets none.
    let r = bob.call(
        "VacationResponse/set",
        json!({ "update": { "singleton": { "isEnabled": true, "subject": "Out of office", "textBody": "Back Monday." } } }),
    );
    assert_eq!(r["updated"], json!({ "singleton": null }));
    let mut c = Lmtp::connect(server.lmtp);
    let person =
        "From: Alice <alice@example.com>\r\nTo: bob@example.com\r\nSubject: lunch?\r\nMessage-ID: <q1@example.com>\r\n\r\nlunch?\r\n";
    let list = "From: news@lists.example.org\r\nTo: bob@example.com\r\nList-Id: <news.lists.example.org>\r\nSubject: news\r\n\r\nnews\r\n";
    assert!(c.deliver("alice@example.com", &["bob@example.com"], person.as_bytes())[0].starts_with("250"));
    assert!(c.deliver("alice@example.com", &["bob@example.com"], person.replace("q1@", "q2@").as_bytes())[0].starts_with("250"));
    assert!(c.deliver("news-bounces@lists.example.org", &["bob@example.com"], list.as_bytes())[0].starts_with("250"));
    wait_for("the vacation reply", 30, context, || {
        !alice.call("Email/query", json!({ "filter": { "subject": "Out of office" } }))["ids"].as_array().unwrap().is_empty()
    });
    std::thread::sleep(Duration::from_secs(3));
    let replies = alice.call("Email/query", json!({ "filter": { "subject": "office" } }));
    assert_eq!(replies["ids"].as_array().unwrap().len(), 1, "one reply per sender per period");
    let reply =
        alice.call("Email/get", json!({ "ids": replies["ids"], "properties": ["header:Auto-Submitted:asText", "inReplyTo", "from"] }));
    assert_eq!(reply["list"][0]["header:Auto-Submitted:asText"], "auto-replied");
    assert_eq!(reply["list"][0]["inReplyTo"], json!(["q1@example.com"]));
    assert_eq!(reply["list"][0]["from"][0]["email"], "bob@example.com");
}
