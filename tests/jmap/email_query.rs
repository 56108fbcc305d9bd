//! Email/query (filters, sorts, collapseThreads) and Email/queryChanges; Thread/changes.

use super::*;

#[test]
fn email_query_filters_by_text_headers_keywords_and_operators() {
    let s = Setup::new();
    s.create("f@example.com", &[]);
    let server = s.start();
    let msgs = [
        "From: Alice <alice@example.org>\r\nSubject: lunch\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nLe d=C3=A9jeuner est pr=C3=AAt\r\n",
        "From: Bob <bob@example.org>\r\nSubject: report\r\n\r\nquarterly numbers attached\r\n",
        "From: Alice <alice@example.org>\r\nSubject: dinner\r\n\r\nsee you at eight\r\n",
    ];
    for m in msgs {
        deliver(&server, "f@example.com", m);
    }
    let c = Client::login(&server, "f@example.com");
    let query = |filter: Value| -> Vec<String> {
        let r = c.request(json!([
            ["Email/query", {"filter": filter, "sort": [{"property": "receivedAt"}]}, "q"],
            ["Email/get", {"#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["subject"]}, "g"]
        ]));
        r["methodResponses"][1][1]["list"].as_array().unwrap_or(&vec![]).iter().map(|e| e["subject"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(query(json!({"text": "DÉJEUNER"})), ["lunch"], "decoded quoted-printable UTF-8, case-insensitive");
    assert_eq!(query(json!({"body": "quarterly"})), ["report"]);
    assert_eq!(query(json!({"from": "alice"})), ["lunch", "dinner"]);
    assert_eq!(query(json!({"subject": "quarterly"})), Vec::<String>::new(), "subject only");
    assert_eq!(query(json!({"operator": "NOT", "conditions": [{"from": "alice"}]})), ["report"]);
    assert_eq!(query(json!({"operator": "OR", "conditions": [{"subject": "lunch"}, {"subject": "report"}]})), ["lunch", "report"]);
    assert_eq!(query(json!({"after": "2000-01-01T00:00:00Z", "before": "2000-01-02T00:00:00Z"})), Vec::<String>::new());
    assert_eq!(query(json!({"notKeyword": "$seen", "from": "bob"})), ["report"]);
    assert_eq!(query(json!({"text": "eight alice"})), ["dinner"], "every word, in any field");
    assert_eq!(query(json!({"text": "eight bob"})), Vec::<String>::new());
    assert_eq!(query(json!({"header": ["Content-Transfer-Encoding"]})), ["lunch"]);
    assert_eq!(query(json!({"header": ["Subject", "REPO"]})), ["report"], "a header value contains the text");
    assert_eq!(c.call("Email/query", json!({"filter": {"sender": "x"}}))["type"], "unsupportedFilter");
}

#[test]
fn email_query_sorts_by_every_property_and_collapses_threads() {
    let s = Setup::new();
    s.create("sort@example.com", &[]);
    let server = s.start();
    let mails = [
        "From: Zed <zed@example.org>\r\nTo: b@example.com\r\nSubject: Plans\r\nDate: Mon, 1 Jan 2024 10:00:00 +0000\r\nMessage-ID: <a@x>\r\n\r\na\r\n",
        "From: amy@example.org\r\nTo: a@example.com\r\nSubject: Re: Plans\r\nDate: Wed, 3 Jan 2024 10:00:00 +0000\r\nMessage-ID: <b@x>\r\nIn-Reply-To: <a@x>\r\nReferences: <a@x>\r\n\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n",
        "From: Max <max@example.org>\r\nTo: c@example.com\r\nSubject: Another\r\nDate: Tue, 2 Jan 2024 10:00:00 +0000\r\nMessage-ID: <c@x>\r\n\r\nc\r\n",
    ];
    for m in mails {
        deliver(&server, "sort@example.com", m);
    }
    let c = Client::login(&server, "sort@example.com");
    // Subjects in the order a query returns them.
    let order = |sort: Value, collapse: bool| -> Vec<String> {
        let r = c.request(json!([
            ["Email/query", {"sort": sort, "collapseThreads": collapse}, "q"],
            ["Email/get", {"#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["subject"]}, "g"]
        ]));
        assert_eq!(r["methodResponses"][0][0], "Email/query", "{r}");
        r["methodResponses"][1][1]["list"].as_array().unwrap().iter().map(|e| e["subject"].as_str().unwrap().to_owned()).collect()
    };
    assert_eq!(order(json!([{"property": "sentAt"}]), false), ["Plans", "Another", "Re: Plans"]);
    assert_eq!(order(json!([{"property": "sentAt", "isAscending": false}]), false), ["Re: Plans", "Another", "Plans"]);
    assert_eq!(order(json!([{"property": "subject"}, {"property": "sentAt"}]), false), ["Another", "Plans", "Re: Plans"]);
    assert_eq!(order(json!([{"property": "from"}]), false), ["Re: Plans", "Another", "Plans"], "amy@..., Max, Zed");
    assert_eq!(order(json!([{"property": "to"}]), false), ["Re: Plans", "Plans", "Another"]);
    assert_eq!(order(json!([{"property": "size", "isAscending": false}]), false)[0], "Re: Plans");
    assert_eq!(order(json!([{"property": "sentAt"}]), true), ["Plans", "Another"], "one per thread");
    assert_eq!(c.call("Email/query", json!({"sort": [{"property": "x-nope"}]}))["type"], "unsupportedSort");
}

#[test]
fn query_changes_follow_deliveries_keywords_and_expunges() {
    let s = Setup::new();
    s.create("q@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "q@example.com");
    for i in 0..3 {
        deliver(&server, "q@example.com", &format!("From: a@example.org\r\nSubject: m{i}\r\n\r\nbody {i}\r\n"));
    }
    let inbox = ids(&c.call("Mailbox/query", json!({ "filter": { "role": "inbox" } }))["ids"])[0].clone();
    let args =
        json!({ "filter": { "inMailbox": inbox, "notKeyword": "$seen" }, "sort": [{ "property": "receivedAt", "isAscending": false }] });
    let q = c.call("Email/query", args.clone());
    assert_eq!(q["canCalculateChanges"], true);
    let (state, before) = (q["queryState"].clone(), ids(&q["ids"]));
    assert_eq!(before.len(), 3);
    // One is read (leaves the results), one more arrives (at the top).
    c.call("Email/set", json!({ "update": { before[1].clone(): { "keywords/$seen": true } } }));
    deliver(&server, "q@example.com", "From: a@example.org\r\nSubject: m3\r\n\r\nbody 3\r\n");
    let mut qc = args.clone();
    qc["sinceQueryState"] = state.clone();
    qc["calculateTotal"] = true.into();
    let r = c.call("Email/queryChanges", qc);
    assert_eq!(r["oldQueryState"], state);
    assert_eq!(r["total"], 3);
    // Applying removed then added to the old ids gives the new results.
    let now = ids(&c.call("Email/query", args.clone())["ids"]);
    let removed = ids(&r["removed"]);
    let mut applied: Vec<String> = before.iter().filter(|i| !removed.contains(i)).cloned().collect();
    let mut added: Vec<(usize, String)> = r["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["index"].as_u64().unwrap() as usize, a["id"].as_str().unwrap().to_owned()))
        .collect();
    added.sort();
    for (i, id) in added {
        applied.insert(i, id);
    }
    assert_eq!(applied, now);
    assert!(removed.contains(&before[1]));
    // A state from the future cannot be answered.
    let mut bad = args.clone();
    bad["sinceQueryState"] = "999999".into();
    assert_eq!(c.call("Email/queryChanges", bad)["type"], "cannotCalculateChanges");
    // Thread/changes saw four new threads.
    let t = c.call("Thread/changes", json!({ "sinceState": "0" }));
    assert_eq!(t["created"].as_array().unwrap().len(), 4, "{t}");
}

#[test]
fn query_windows_and_query_changes_say_which_query_they_answer() {
    let s = Setup::new();
    s.create("w@example.com", &[]);
    let server = s.start();
    for i in 0..5 {
        deliver(&server, "w@example.com", &format!("From: a@example.org\r\nSubject: w{i}\r\n\r\nbody {i}\r\n"));
    }
    let c = Client::login(&server, "w@example.com");
    let all = c.emails(json!({}));
    let sort = json!([{ "property": "receivedAt" }]);
    let page = |args: Value| {
        let mut a = json!({ "sort": sort });
        a.as_object_mut().unwrap().extend(args.as_object().unwrap().clone());
        let r = c.call("Email/query", a);
        (r["position"].as_u64().unwrap(), ids(&r["ids"]))
    };
    assert_eq!(page(json!({ "position": 1, "limit": 2 })), (1, all[1..3].to_vec()));
    assert_eq!(page(json!({ "position": -2 })), (3, all[3..].to_vec()), "negative counts from the end");
    assert_eq!(page(json!({ "position": -50 })), (0, all.clone()), "clamped to the start");
    assert_eq!(page(json!({ "position": 5 })), (0, vec![]), "past the end: nothing, at 0");
    assert_eq!(page(json!({ "anchor": all[2], "anchorOffset": -1, "limit": 2 })), (1, all[1..3].to_vec()));
    assert_eq!(page(json!({ "anchor": all[4], "anchorOffset": 3 })), (0, vec![]));
    assert_eq!(page(json!({ "position": i64::MIN })), (0, all.clone()), "no overflow");
    assert_eq!(page(json!({ "anchor": all[4], "anchorOffset": i64::MAX })), (0, vec![]));
    assert_eq!(page(json!({ "anchor": all[4], "anchorOffset": i64::MIN })), (0, all.clone()));
    for (arg, value) in [("position", json!("1")), ("anchorOffset", json!(1.5)), ("limit", json!(-1)), ("anchor", json!(7))] {
        let mut args = json!({ "anchor": all[0] });
        if arg == "position" {
            args = json!({});
        }
        args[arg] = value;
        assert_eq!(c.call_error("Email/query", args), json!({ "type": "invalidArguments", "arguments": [arg] }), "{arg}");
    }
    assert_eq!(c.call_error("Email/query", json!({ "anchor": "Mffff" }))["type"], "anchorNotFound");
    let boxes = c.call("Mailbox/query", json!({ "position": 40 }));
    assert_eq!((boxes["position"].clone(), boxes["ids"].clone()), (json!(0), json!([])));

    let filter = json!({ "text": "body" });
    let state = c.call("Email/query", json!({ "filter": filter, "sort": sort }))["queryState"].clone();
    let r = c.call("Email/queryChanges", json!({ "filter": filter, "sort": sort, "sinceQueryState": state }));
    assert_eq!((r["filter"].clone(), r["sort"].clone()), (filter, sort), "the query answered is echoed: {r}");
}
