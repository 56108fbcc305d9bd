//! JMAP against the real server, one file per method family: the session,
//! API tokens, request errors, Mailbox, Email (get and parse against golden
//! files, query, changes, set, import), Thread, SearchSnippet, Quota,
//! retention, Blob, Identity and VacationResponse, EmailSubmission through
//! Postfix, push, canaries, and the `jmap-client` crate as a real client.
//! Shared here: a client of one account and small helpers.

/// One test per golden message of `tests/data/jmap/email_get` (used by
/// email_get.rs and email_parse.rs), so a difference in one message hides no
/// other; and a test that every message there has one.
macro_rules! golden_tests {
    ($check:path) => {
        golden_tests!($check:
            alternative,
            broken_mime,
            groups,
            header_forms,
            html_only,
            mixed_attachments,
            nested_rfc822,
            no_date_no_id,
            plain,
            qp_utf8
        );
    };
    ($check:path: $($(#[$attr:meta])* $name:ident),+) => {
        $(
            #[test]
            $(#[$attr])*
            fn $name() {
                $check(stringify!($name));
            }
        )+
        #[test]
        fn every_golden_message_has_a_test() {
            assert_eq!(crate::jmap::email_get::golden_names(), [$(stringify!($name)),+]);
        }
    };
}

mod blob;
mod canary;
mod client;
mod email_changes;
mod email_get;
mod email_import;
mod email_parse;
mod email_query;
mod email_set;
mod errors;
mod identity;
mod mailbox;
mod push;
mod quota;
mod retention;
mod session;
mod snippet;
mod submission;
mod thread;
mod tokens;

pub use crate::harness::{Lmtp, Server, Setup, basic, http};
pub use serde_json::{Value, json};

/// The password `Setup::create` gives every account.
pub const PASSWORD: &str = "secret";

/// Every capability an account has, for requests that do not test `using`.
pub const USING: [&str; 7] = [
    "urn:ietf:params:jmap:core",
    "urn:ietf:params:jmap:mail",
    "urn:ietf:params:jmap:blob",
    "urn:ietf:params:jmap:quota",
    "urn:ietf:params:jmap:submission",
    "urn:ietf:params:jmap:vacationresponse",
    "urn:tresor:params:jmap:retention",
];

/// POSTs a request body as it is; the status and the parsed answer (null when not JSON).
pub fn api(addr: std::net::SocketAddr, auth: &str, body: &Value) -> (u16, Value) {
    let (status, _, body) =
        http(addr, "POST", "/jmap/api", &[("Authorization", auth), ("Content-Type", "application/json")], body.to_string().as_bytes());
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

/// The session object, fetched with `auth`.
pub fn session(server: &Server, auth: &str) -> Value {
    let (status, _, body) = http(server.http, "GET", "/.well-known/jmap", &[("Authorization", auth)], b"");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).unwrap()
}

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
        let session = session(server, &auth);
        let account = session["primaryAccounts"]["urn:ietf:params:jmap:mail"].as_str().unwrap().to_owned();
        Client { addr: server.http, auth, session, account }
    }

    /// A client of an account made with `Setup::create`.
    pub fn login(server: &Server, login: &str) -> Client {
        Client::new(server, login, PASSWORD)
    }

    /// The response to `calls` with every capability in `using`; each call's
    /// arguments get this `accountId` unless they name one.
    pub fn request(&self, calls: Value) -> Value {
        self.request_using(&USING, calls)
    }

    /// The response to `calls` with only the capabilities in `using`.
    pub fn request_using(&self, using: &[&str], calls: Value) -> Value {
        let mut calls = calls;
        for c in calls.as_array_mut().unwrap() {
            c[1].as_object_mut().unwrap().entry("accountId").or_insert(self.account.clone().into());
        }
        let (status, r) = api(self.addr, &self.auth, &json!({ "using": using, "methodCalls": calls }));
        assert_eq!(status, 200, "{r}");
        r
    }

    /// The arguments of the first response to one call.
    pub fn call(&self, name: &str, args: Value) -> Value {
        let r = self.request(json!([[name, args, "c"]]));
        r["methodResponses"][0][1].clone()
    }

    /// The error object one call is answered with (it must be an error).
    pub fn call_error(&self, name: &str, args: Value) -> Value {
        let r = self.request(json!([[name, args, "c"]]));
        assert_eq!(r["methodResponses"][0][0], "error", "{r}");
        r["methodResponses"][0][1].clone()
    }

    /// The ids an Email/query with this filter finds, by arrival.
    pub fn emails(&self, filter: Value) -> Vec<String> {
        ids(&self.call("Email/query", json!({ "filter": filter, "sort": [{ "property": "receivedAt" }] }))["ids"])
    }

    /// The id of the mailbox with this role.
    pub fn mailbox(&self, role: &str) -> String {
        ids(&self.call("Mailbox/query", json!({ "filter": { "role": role } }))["ids"]).pop().unwrap_or_else(|| panic!("no {role} mailbox"))
    }

    /// The current state of a data type (its /get's `state`).
    pub fn state(&self, data_type: &str) -> String {
        self.call(&format!("{data_type}/get"), json!({ "ids": [] }))["state"].as_str().unwrap().to_owned()
    }

    pub fn upload(&self, bytes: &[u8]) -> String {
        let (status, _, body) = http(self.addr, "POST", &format!("/jmap/upload/{}", self.account), &[("Authorization", &self.auth)], bytes);
        assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice::<Value>(&body).unwrap()["blobId"].as_str().unwrap().to_owned()
    }

    /// GET the download URL of a blob of this account: status and bytes.
    pub fn download(&self, blob: &str) -> (u16, Vec<u8>) {
        let (status, _, body) =
            http(self.addr, "GET", &format!("/jmap/download/{}/{blob}/x", self.account), &[("Authorization", &self.auth)], b"");
        (status, body)
    }
}

/// Delivers one message over LMTP; the server must accept it.
pub fn deliver(server: &Server, to: &str, message: &str) {
    deliver_bytes(server, to, message.as_bytes());
}

pub fn deliver_bytes(server: &Server, to: &str, message: &[u8]) {
    let mut c = Lmtp::connect(server.lmtp);
    let reply = c.deliver("sender@example.org", &[to], message);
    assert!(reply[0].starts_with("250"), "{reply:?}");
}

/// The line delivery puts before a message delivered with `deliver`.
pub const RETURN_PATH: &str = "Return-Path: <sender@example.org>\r\n";

pub fn ids(v: &Value) -> Vec<String> {
    v.as_array().unwrap_or_else(|| panic!("not a list of ids: {v}")).iter().map(|i| i.as_str().unwrap().to_owned()).collect()
}

/// The server still answers a method call.
pub fn still_answers(c: &Client) {
    let r = c.call("Core/echo", json!({ "alive": true }));
    assert_eq!(r, json!({ "accountId": c.account, "alive": true }), "the server no longer answers");
}
