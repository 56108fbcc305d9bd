//! JMAP against the real server, one file per method family: session and
//! core request handling, Mailbox, Email (get with golden files, query,
//! changes, set, import, parse), SearchSnippet, Quota, retention, Blob,
//! Identity and VacationResponse, EmailSubmission through Postfix, push, and
//! canaries. Shared here: a client of one account and small helpers.

mod blob;
mod canary;
mod client;
mod core;
mod email_changes;
mod email_get;
mod email_golden;
mod email_import;
mod email_parse;
mod email_query;
mod email_set;
mod identity;
mod mailbox;
mod push;
mod quota;
mod retention;
mod session;
mod snippet;
mod submission;

pub use crate::harness::{Lmtp, Server, Setup, basic, http};
pub use serde_json::{Value, json};

pub fn api(addr: std::net::SocketAddr, auth: &str, body: &Value) -> (u16, Value) {
    let (status, _, body) =
        http(addr, "POST", "/jmap/api", &[("Authorization", auth), ("Content-Type", "application/json")], body.to_string().as_bytes());
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

const USING: [&str; 5] = [
    "urn:ietf:params:jmap:core",
    "urn:ietf:params:jmap:mail",
    "urn:ietf:params:jmap:blob",
    "urn:ietf:params:jmap:submission",
    "urn:ietf:params:jmap:vacationresponse",
];

/// A client of one account: its session and method calls.
pub struct Client {
    pub addr: std::net::SocketAddr,
    pub auth: String,
    pub session: Value,
    pub account: String,
}

impl Client {
    pub fn new(server: &Server, login: &str, password: &str) -> Client {
        let auth = basic(login, password);
        let (status, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", &auth)], b"");
        assert_eq!(status, 200);
        let session: Value = serde_json::from_slice(&body).unwrap();
        let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
        Client { addr: server.http, auth, session, account }
    }

    /// The response of one request; each call's arguments get `accountId`.
    pub fn request(&self, calls: Value) -> Value {
        let mut calls = calls;
        for c in calls.as_array_mut().unwrap() {
            c[1].as_object_mut().unwrap().entry("accountId").or_insert(self.account.clone().into());
        }
        let body = json!({ "using": USING, "methodCalls": calls });
        let (status, _, body) = http(
            self.addr,
            "POST",
            "/jmap/api",
            &[("Authorization", &self.auth), ("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap()
    }

    /// The arguments of the first response to one call.
    pub fn call(&self, name: &str, args: Value) -> Value {
        let r = self.request(json!([[name, args, "c"]]));
        r["methodResponses"][0][1].clone()
    }

    pub fn upload(&self, bytes: &[u8]) -> String {
        let (status, _, body) = http(self.addr, "POST", &format!("/jmap/upload/{}", self.account), &[("Authorization", &self.auth)], bytes);
        assert_eq!(status, 201);
        serde_json::from_slice::<Value>(&body).unwrap()["blobId"].as_str().unwrap().to_owned()
    }
}

pub fn deliver(server: &Server, to: &str, message: &str) {
    let mut c = Lmtp::connect(server.lmtp);
    assert!(c.deliver("sender@example.org", &[to], message.as_bytes())[0].starts_with("250"));
}

pub fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect()
}
