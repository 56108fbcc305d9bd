//! Thread/get: replies join their thread through In-Reply-To and References.

use super::*;

#[test]
fn threads_group_replies_and_only_replies() {
    let s = Setup::new();
    s.create("t@example.com", &[]);
    let server = s.start();
    deliver(&server, "t@example.com", "Subject: q\r\nMessage-ID: <q@x>\r\n\r\nq\r\n");
    deliver(&server, "t@example.com", "Subject: Re: q\r\nMessage-ID: <a@x>\r\nIn-Reply-To: <q@x>\r\n\r\na\r\n");
    deliver(&server, "t@example.com", "Subject: Re: q\r\nMessage-ID: <b@x>\r\nReferences: <q@x> <a@x>\r\n\r\nb\r\n");
    deliver(&server, "t@example.com", "Subject: q\r\nMessage-ID: <other@x>\r\n\r\nsame subject, no reference\r\n");
    let c = Client::login(&server, "t@example.com");
    let r = c.request(json!([
        ["Email/query", { "sort": [{ "property": "receivedAt" }] }, "q"],
        ["Email/get", { "#ids": { "resultOf": "q", "name": "Email/query", "path": "/ids" }, "properties": ["threadId"] }, "g"],
        ["Thread/get", { "#ids": { "resultOf": "g", "name": "Email/get", "path": "/list/*/threadId" } }, "t"],
    ]));
    let emails = ids(&r["methodResponses"][0][1]["ids"]);
    let list = r["methodResponses"][1][1]["list"].as_array().unwrap();
    let thread_of: Vec<&str> = list.iter().map(|e| e["threadId"].as_str().unwrap()).collect();
    assert_eq!(thread_of[0], thread_of[1], "In-Reply-To joins the thread");
    assert_eq!(thread_of[0], thread_of[2], "References joins the thread");
    assert_ne!(thread_of[0], thread_of[3], "a subject alone does not");
    let threads = &r["methodResponses"][2][1]["list"];
    assert_eq!(threads[0]["emailIds"].as_array().unwrap().len(), 3, "a reply joins its thread: {threads}");
    assert_eq!(threads[0], json!({ "id": thread_of[0], "emailIds": emails[..3] }), "oldest first");
    assert_eq!(threads[3], json!({ "id": thread_of[3], "emailIds": [emails[3]] }));
    let r = c.call("Thread/get", json!({ "ids": ["Tfffff"] }));
    assert_eq!((r["list"].clone(), r["notFound"].clone()), (json!([]), json!(["Tfffff"])));
}
