//! The IMAP protocol state machine over one account: [`Session::handle`] takes
//! a parsed command and appends the response bytes. It blocks on the store, so
//! the driver runs it on the blocking pool.
//!
//! States (RFC 9051 section 3): not authenticated -> authenticated ->
//! selected, and logout. The selected mailbox is a [`view::View`]: the sequence
//! numbers and flags the client knows, brought up to date from the account's
//! change log at command boundaries (and by the driver during IDLE).

mod fetch;
mod mailboxes;
mod messages;
mod metadata;
pub mod mutf7;
pub mod render;
pub mod search;
mod searching;
pub mod sort;
pub mod thread;
mod view;

use crate::codec::{
    command::{Command, SelectParams, Tagged},
    encode,
};
use base64::Engine as _;
use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};
use tresor_store::{Account, directory::AccountState, mail::MailboxId};
use view::View;
use zeroize::Zeroizing;

/// What the server needs from outside the protocol: credentials and limits.
pub trait Backend: Send + Sync + 'static {
    /// Checks a login (argon2id: slow, and may sleep for brute-force delays).
    fn login(&self, user: &str, password: &str, peer: IpAddr) -> Login;
    /// APPENDLIMIT: the largest message accepted, in octets.
    fn append_limit(&self) -> u64;
    /// Whether the user may set this retention, in days (0: keep forever),
    /// within the operator's bounds.
    fn retention_allowed(&self, days: u32) -> bool;
    /// A slot for one more session of `account`, held for the session's life;
    /// None when the account has as many sessions as the server allows.
    fn session_slot(&self, account: &Account) -> Option<Box<dyn Send + Sync>>;
    /// Seconds since the epoch (tests control it).
    fn now(&self) -> i64 {
        tresor_types::time::now()
    }
}

pub enum Login {
    Ok(Arc<Account>),
    /// Wrong user or password (never said which).
    Failed,
    /// Too many failures: refused without checking.
    Blocked,
    /// The store cannot serve the account now.
    Unavailable,
}

/// The connection as the session sees it.
#[derive(Debug, Clone, Copy)]
pub struct Conn {
    pub peer: SocketAddr,
    pub local: SocketAddr,
    pub tls: bool,
}

impl Conn {
    /// Plaintext credentials only over TLS, or on loopback (DESIGN.md).
    pub fn may_login(&self) -> bool {
        self.tls || self.peer.ip().is_loopback()
    }
}

/// Extensions advertised after login, each implemented completely.
const CAPABILITIES: &[&str] = &[
    "IMAP4rev1",
    "IMAP4rev2",
    "LITERAL+",
    "SASL-IR",
    "ID",
    "ENABLE",
    "IDLE",
    "NAMESPACE",
    "UNSELECT",
    "UIDPLUS",
    "MOVE",
    "CHILDREN",
    "SPECIAL-USE",
    "CREATE-SPECIAL-USE",
    "LIST-EXTENDED",
    "LIST-STATUS",
    "CONDSTORE",
    "QRESYNC",
    "ESEARCH",
    "SEARCHRES",
    "WITHIN",
    "SORT",
    "SORT=DISPLAY",
    "ESORT",
    "THREAD=ORDEREDSUBJECT",
    "THREAD=REFERENCES",
    "STATUS=SIZE",
    "OBJECTID",
    "QUOTA",
    "QUOTA=RES-STORAGE",
    "QUOTA=RES-MESSAGE",
    "BINARY",
    "MULTIAPPEND",
    "METADATA",
    "UTF8=ACCEPT",
    "COMPRESS=DEFLATE",
];

/// What the driver must do after a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// The connection ends after the bytes written.
    Logout,
    /// Start TLS after writing the tagged OK.
    StartTls,
    /// Start DEFLATE after writing the tagged OK.
    Compress,
    /// Enter IDLE: the continuation was written; wait for DONE, calling
    /// [`Session::idle_poll`] on every change, then [`Session::idle_done`].
    Idle {
        tag: String,
    },
    /// AUTHENTICATE needs a client response line: the `+` was written; feed
    /// the next line to [`Session::auth_response`].
    AuthContinue {
        tag: String,
    },
}

/// Extensions the client turned on with ENABLE (or implied by a command).
#[derive(Debug, Default, Clone, Copy)]
struct Enabled {
    condstore: bool,
    qresync: bool,
    utf8: bool,
    rev2: bool,
}

pub struct Session {
    backend: Arc<dyn Backend>,
    conn: Conn,
    account: Option<Arc<Account>>,
    enabled: Enabled,
    selected: Option<View>,
    /// RFC 5182 SEARCHRES: the UIDs saved by `RETURN (SAVE)`.
    saved: Option<Vec<u32>>,
    /// AUTHENTICATE PLAIN waiting for its response line.
    pending_auth: Option<String>,
    /// The tag of the command running (ESEARCH echoes it).
    current_tag: String,
    /// Where a long response goes while the command still runs.
    flush: Option<tokio::sync::mpsc::Sender<Vec<u8>>>,
    /// This session's place in the account's connection limit.
    _slot: Option<Box<dyn Send + Sync>>,
}

/// A response status for the tagged line.
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

impl Session {
    pub fn new(backend: Arc<dyn Backend>, conn: Conn) -> Session {
        Session {
            backend,
            conn,
            account: None,
            enabled: Enabled::default(),
            selected: None,
            saved: None,
            pending_auth: None,
            current_tag: String::new(),
            flush: None,
            _slot: None,
        }
    }

    /// The greeting, with the capabilities so clients skip a round trip.
    pub fn greeting(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"* OK [CAPABILITY ");
        self.write_capabilities(out);
        out.extend_from_slice(b"] Tresor ready\r\n");
    }

    /// The driver's channel for [`Session::flush_if_large`] (None: keep
    /// everything in `out`).
    pub fn set_flush(&mut self, tx: Option<tokio::sync::mpsc::Sender<Vec<u8>>>) {
        self.flush = tx;
    }

    /// Hands a large partial response to the driver. Blocks while the client
    /// is not reading: memory per connection stays bounded.
    pub(crate) fn flush_if_large(&self, out: &mut Vec<u8>) {
        if out.len() >= crate::driver::FLUSH_AT
            && let Some(tx) = &self.flush
        {
            let _ = tx.blocking_send(std::mem::take(out));
        }
    }

    /// After STARTTLS succeeded.
    pub fn tls_started(&mut self) {
        self.conn.tls = true;
    }

    pub fn is_authenticated(&self) -> bool {
        self.account.is_some()
    }

    pub fn account(&self) -> Option<&Arc<Account>> {
        self.account.as_ref()
    }

    fn write_capabilities(&self, out: &mut Vec<u8>) {
        if self.account.is_none() {
            out.extend_from_slice(b"IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE");
            if !self.conn.tls {
                out.extend_from_slice(b" STARTTLS");
            }
            if self.conn.may_login() {
                out.extend_from_slice(b" AUTH=PLAIN");
            } else {
                out.extend_from_slice(b" LOGINDISABLED");
            }
            return;
        }
        out.extend_from_slice(CAPABILITIES.join(" ").as_bytes());
        out.extend_from_slice(format!(" APPENDLIMIT={}", self.backend.append_limit()).as_bytes());
    }

    /// Runs one command; the response (untagged lines, then the tagged one)
    /// is appended to `out`.
    pub fn handle(&mut self, cmd: Tagged, out: &mut Vec<u8>) -> Next {
        let Tagged { tag, command } = cmd;
        self.current_tag.clone_from(&tag);
        let result = self.dispatch(&tag, command, out);
        match result {
            Ok(Reply { status, code, text, next }) => {
                tagged(out, &tag, status, code.as_deref(), &text);
                next
            }
            Err(e) => {
                let (code, text) = store_error(&e);
                tagged(out, &tag, Status::No, code, &text);
                Next::Continue
            }
        }
    }

    fn dispatch(&mut self, tag: &str, command: Command, out: &mut Vec<u8>) -> tresor_store::Result<Reply> {
        use Command as C;
        // Commands valid in any state.
        match command {
            C::Capability => {
                out.extend_from_slice(b"* CAPABILITY ");
                self.write_capabilities(out);
                out.extend_from_slice(b"\r\n");
                Ok(Reply::ok("CAPABILITY completed"))
            }
            C::Noop => {
                self.sync(out, true)?;
                Ok(Reply::ok("NOOP completed"))
            }
            C::Logout => {
                out.extend_from_slice(b"* BYE Tresor logging out\r\n");
                Ok(Reply { next: Next::Logout, ..Reply::ok("LOGOUT completed") })
            }
            C::Id(_) => {
                // Logged nowhere: a client's ID can identify its user's device.
                out.extend_from_slice(b"* ID (\"name\" \"Tresor\")\r\n");
                Ok(Reply::ok("ID completed"))
            }
            C::Compress(mechanism) => {
                if !mechanism.eq_ignore_ascii_case("DEFLATE") {
                    return Ok(Reply::bad("unknown compression mechanism"));
                }
                Ok(Reply { next: Next::Compress, ..Reply::ok("DEFLATE active") })
            }
            command if self.account.is_none() => self.not_authenticated(tag, command, out),
            C::StartTls | C::Login { .. } | C::Authenticate { .. } => Ok(Reply::bad("already authenticated")),
            command => self.authenticated(tag, command, out),
        }
    }

    fn not_authenticated(&mut self, tag: &str, command: Command, out: &mut Vec<u8>) -> tresor_store::Result<Reply> {
        match command {
            Command::StartTls if self.conn.tls => Ok(Reply::bad("TLS is already active")),
            Command::StartTls => Ok(Reply { next: Next::StartTls, ..Reply::ok("begin TLS negotiation now") }),
            Command::Login { user, password } => Ok(self.login(&user, &password, out)),
            Command::Authenticate { mechanism, initial } => {
                if !mechanism.eq_ignore_ascii_case("PLAIN") {
                    return Ok(Reply::no("unsupported authentication mechanism"));
                }
                match initial {
                    Some(response) => Ok(self.auth_plain(&response, out)),
                    None => {
                        out.extend_from_slice(b"+ \r\n");
                        self.pending_auth = Some(tag.to_owned());
                        Ok(Reply::pending(Next::AuthContinue { tag: tag.to_owned() }))
                    }
                }
            }
            _ => Ok(Reply::bad("log in first")),
        }
    }

    /// The client's line after an AUTHENTICATE continuation.
    pub fn auth_response(&mut self, line: &[u8], out: &mut Vec<u8>) -> Next {
        let Some(tag) = self.pending_auth.take() else { return Next::Continue };
        if line == b"*" {
            tagged(out, &tag, Status::Bad, None, "authentication cancelled");
            return Next::Continue;
        }
        let reply = match std::str::from_utf8(line) {
            Ok(response) => self.auth_plain(response, out),
            Err(_) => Reply::bad("invalid base64"),
        };
        tagged(out, &tag, reply.status, reply.code.as_deref(), &reply.text);
        reply.next
    }

    /// SASL PLAIN (RFC 4616): `authzid NUL authcid NUL password`.
    fn auth_plain(&mut self, response: &str, out: &mut Vec<u8>) -> Reply {
        let decoded = if response == "=" {
            Zeroizing::new(Vec::new())
        } else {
            match base64::engine::general_purpose::STANDARD.decode(response.trim()) {
                Ok(b) => Zeroizing::new(b),
                Err(_) => return Reply::bad("invalid base64"),
            }
        };
        let mut parts = decoded.split(|&b| b == 0);
        let (Some(authz), Some(user), Some(password), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Reply::bad("malformed PLAIN response");
        };
        if !authz.is_empty() && authz != user {
            return Reply::no_code("AUTHORIZATIONFAILED", "acting as another user is not allowed");
        }
        match (std::str::from_utf8(user), std::str::from_utf8(password)) {
            (Ok(user), Ok(password)) => self.login(user, password, out),
            _ => Reply::no_code("AUTHENTICATIONFAILED", "authentication failed"),
        }
    }

    fn login(&mut self, user: &str, password: &str, out: &mut Vec<u8>) -> Reply {
        if !self.conn.may_login() {
            return Reply::no_code("PRIVACYREQUIRED", "use STARTTLS first");
        }
        match self.backend.login(user, password, self.conn.peer.ip()) {
            Login::Ok(account) => {
                let Some(slot) = self.backend.session_slot(&account) else {
                    return Reply::no_code("LIMIT", "too many connections for this account");
                };
                self._slot = Some(slot);
                if let AccountState::Terminating { purge_at } = account.policy().state {
                    out.extend_from_slice(
                        format!(
                            "* OK [ALERT] This account has been terminated and is read-only. Export your mail before {}, when it will be deleted.\r\n",
                            tresor_types::time::rfc3339(purge_at)
                        )
                        .as_bytes(),
                    );
                }
                self.account = Some(account);
                let mut code = b"CAPABILITY ".to_vec();
                self.write_capabilities(&mut code);
                Reply { code: Some(String::from_utf8(code).unwrap_or_default()), ..Reply::ok("logged in") }
            }
            Login::Failed => Reply::no_code("AUTHENTICATIONFAILED", "authentication failed"),
            Login::Blocked => Reply::no_code("UNAVAILABLE", "too many failed logins; try again later"),
            Login::Unavailable => Reply::no_code("UNAVAILABLE", "try again later"),
        }
    }

    fn authenticated(&mut self, tag: &str, command: Command, out: &mut Vec<u8>) -> tresor_store::Result<Reply> {
        use Command as C;
        let reply = match command {
            C::Enable(caps) => self.enable(&caps, out),
            C::Select { mailbox, read_only, params } => self.select(&mailbox, read_only, params, out)?,
            C::Create { mailbox, special_use } => self.create(&mailbox, &special_use)?,
            C::Delete(mailbox) => self.delete(&mailbox)?,
            C::Rename { from, to } => self.rename(&from, &to)?,
            C::Subscribe(mailbox) => self.subscribe(&mailbox, true)?,
            C::Unsubscribe(mailbox) => self.subscribe(&mailbox, false)?,
            C::List(list) => self.list(list, out)?,
            C::Lsub { reference, pattern } => self.lsub(&reference, &pattern, out)?,
            C::Namespace => {
                out.extend_from_slice(b"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
                Reply::ok("NAMESPACE completed")
            }
            C::Status { mailbox, items } => self.status(&mailbox, &items, out)?,
            C::Append { mailbox, messages } => self.append(&mailbox, messages, out)?,
            C::Idle => {
                self.sync(out, true)?;
                out.extend_from_slice(b"+ idling\r\n");
                return Ok(Reply::pending(Next::Idle { tag: tag.to_owned() }));
            }
            C::GetQuota(root) => self.get_quota(&root, out)?,
            C::GetQuotaRoot(mailbox) => self.get_quota_root(&mailbox, out)?,
            C::SetQuota { .. } => Reply::no_code("NOPERM", "quotas are set by the operator"),
            C::GetMetadata { mailbox, options, entries } => self.get_metadata(&mailbox, &options, &entries, out)?,
            C::SetMetadata { mailbox, entries } => self.set_metadata(&mailbox, entries)?,
            command if self.selected.is_none() => {
                let _ = command;
                Reply::bad("no mailbox selected")
            }
            C::Check => {
                self.sync(out, true)?;
                Reply::ok("CHECK completed")
            }
            C::Close => self.close(true)?,
            C::Unselect => self.close(false)?,
            C::Expunge(uids) => self.expunge(uids, out)?,
            C::Search { uid, charset, ret, criteria } => self.search(uid, charset.as_deref(), ret, &criteria, out)?,
            C::Sort { uid, ret, keys, charset, criteria } => self.sort(uid, ret, &keys, &charset, &criteria, out)?,
            C::Thread { uid, algorithm, charset, criteria } => self.thread(uid, algorithm, &charset, &criteria, out)?,
            C::Fetch { uid, set, items, changed_since, vanished } => self.fetch(uid, &set, &items, changed_since, vanished, out)?,
            C::Store { uid, set, unchanged_since, op, silent, flags } => self.store(uid, &set, unchanged_since, op, silent, &flags, out)?,
            C::Copy { uid, set, mailbox } => self.copy(uid, &set, &mailbox, false, out)?,
            C::Move { uid, set, mailbox } => self.copy(uid, &set, &mailbox, true, out)?,
            C::Capability | C::Noop | C::Logout | C::Id(_) | C::Compress(_) | C::StartTls | C::Login { .. } | C::Authenticate { .. } => {
                unreachable!("handled in dispatch")
            }
        };
        Ok(reply)
    }

    fn enable(&mut self, caps: &[String], out: &mut Vec<u8>) -> Reply {
        let mut enabled = Vec::new();
        for cap in caps {
            let c = cap.to_ascii_uppercase();
            let turned_on = match c.as_str() {
                "CONDSTORE" => Some(&mut self.enabled.condstore),
                "QRESYNC" => {
                    self.enabled.condstore = true;
                    Some(&mut self.enabled.qresync)
                }
                "UTF8=ACCEPT" => Some(&mut self.enabled.utf8),
                "IMAP4REV2" => Some(&mut self.enabled.rev2),
                _ => None,
            };
            if let Some(flag) = turned_on
                && !*flag
            {
                *flag = true;
                enabled.push(c);
            }
        }
        out.extend_from_slice(b"* ENABLED");
        for c in enabled {
            out.push(b' ');
            out.extend_from_slice(c.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        Reply::ok("ENABLE completed")
    }

    /// The logged-in account. Only called in the authenticated states.
    fn acct(&self) -> Arc<Account> {
        self.account.clone().expect("authenticated")
    }

    /// Decodes a mailbox name from the wire (modified UTF-7 unless UTF-8 was
    /// enabled) into the store's form.
    fn mailbox_name(&self, wire: &str) -> Option<String> {
        let name = if self.enabled.utf8 { wire.to_owned() } else { mutf7::decode(wire)? };
        let name = name.trim_end_matches('/');
        if name.eq_ignore_ascii_case("INBOX") { Some("INBOX".to_owned()) } else { Some(name.to_owned()) }
    }

    /// The store's name in the wire form the client reads.
    fn wire_name(&self, name: &str) -> String {
        if self.enabled.utf8 { name.to_owned() } else { mutf7::encode(name) }
    }

    /// Brings the selected view up to date, writing EXISTS, EXPUNGE (when
    /// `expunges` allows: never during FETCH, STORE or SEARCH by sequence
    /// number) and FETCH FLAGS for other sessions' changes.
    fn sync(&mut self, out: &mut Vec<u8>, expunges: bool) -> tresor_store::Result<()> {
        let Some(view) = &mut self.selected else { return Ok(()) };
        let account = self.account.as_ref().expect("selected implies authenticated");
        view.sync(account, self.enabled.qresync, self.enabled.condstore, expunges, out)
    }

    /// A CONDSTORE-enabling command (RFC 7162 3.1): MODSEQ is reported from
    /// now on, and with a mailbox selected the client learns its
    /// HIGHESTMODSEQ once.
    fn enable_condstore(&mut self, out: &mut Vec<u8>) -> tresor_store::Result<()> {
        if self.enabled.condstore {
            return Ok(());
        }
        self.enabled.condstore = true;
        if let Some(id) = self.selected_mailbox()
            && let Some(m) = self.acct().mailbox(id)?
        {
            out.extend_from_slice(format!("* OK [HIGHESTMODSEQ {}] Highest\r\n", view::highest_modseq(&m)).as_bytes());
        }
        Ok(())
    }

    /// Called by the driver during IDLE when the account's change log moved.
    pub fn idle_poll(&mut self, out: &mut Vec<u8>) -> tresor_store::Result<()> {
        self.sync(out, true)
    }

    pub fn idle_done(&mut self, tag: &str, out: &mut Vec<u8>) {
        let _ = self.sync(out, true);
        tagged(out, tag, Status::Ok, None, "IDLE terminated");
    }

    /// What IDLE's driver waits on.
    pub fn changes(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        self.account.as_ref().map(|a| a.subscribe())
    }

    fn select(&mut self, wire: &str, read_only: bool, params: SelectParams, out: &mut Vec<u8>) -> tresor_store::Result<Reply> {
        // A failed SELECT leaves no mailbox selected (RFC 9051 6.3.2).
        if self.selected.take().is_some() {
            out.extend_from_slice(b"* OK [CLOSED] previous mailbox closed\r\n");
        }
        self.saved = None;
        let account = self.acct();
        let Some(name) = self.mailbox_name(wire) else { return Ok(Reply::no_code("NONEXISTENT", "no such mailbox")) };
        let Some(mailbox) = account.mailbox_by_name(&name)? else { return Ok(Reply::no_code("NONEXISTENT", "no such mailbox")) };
        if params.condstore {
            self.enabled.condstore = true;
        }
        if params.qresync.is_some() && !self.enabled.qresync {
            return Ok(Reply::bad("QRESYNC must be enabled first"));
        }
        let read_only = read_only || account.policy().state != AccountState::Active;
        let view = View::open(&account, &mailbox, read_only, self.enabled.rev2, params.qresync.as_ref(), out)?;
        self.selected = Some(view);
        let (code, what) = if read_only { ("READ-ONLY", "EXAMINE") } else { ("READ-WRITE", "SELECT") };
        Ok(Reply::ok_code(code, &format!("{what} completed")))
    }

    fn close(&mut self, expunge: bool) -> tresor_store::Result<Reply> {
        let Some(view) = self.selected.take() else { return Ok(Reply::bad("no mailbox selected")) };
        self.saved = None;
        if expunge && !view.read_only {
            let account = self.acct();
            let deleted = view.deleted_uids(&account)?;
            if !deleted.is_empty() {
                account.expunge(view.mailbox, &deleted)?;
            }
        }
        Ok(Reply::ok("done"))
    }

    fn selected_mailbox(&self) -> Option<MailboxId> {
        self.selected.as_ref().map(|v| v.mailbox)
    }
}

/// The tagged status line a command ends with.
pub(crate) struct Reply {
    status: Status,
    code: Option<String>,
    text: String,
    next: Next,
}

impl Reply {
    pub(crate) fn ok(text: &str) -> Reply {
        Reply { status: Status::Ok, code: None, text: text.into(), next: Next::Continue }
    }
    pub(crate) fn ok_code(code: &str, text: &str) -> Reply {
        Reply { code: Some(code.into()), ..Reply::ok(text) }
    }
    pub(crate) fn no(text: &str) -> Reply {
        Reply { status: Status::No, ..Reply::ok(text) }
    }
    pub(crate) fn no_code(code: &str, text: &str) -> Reply {
        Reply { status: Status::No, code: Some(code.into()), ..Reply::ok(text) }
    }
    pub(crate) fn bad(text: &str) -> Reply {
        Reply { status: Status::Bad, ..Reply::ok(text) }
    }
    /// No tagged line yet: the command continues (IDLE, AUTHENTICATE).
    fn pending(next: Next) -> Reply {
        Reply { next, ..Reply::ok("") }
    }
}

pub(crate) fn tagged(out: &mut Vec<u8>, tag: &str, status: Status, code: Option<&str>, text: &str) {
    if text.is_empty() && code.is_none() && matches!(status, Status::Ok) {
        // Reply::pending: the tagged line comes later.
        return;
    }
    out.extend_from_slice(tag.as_bytes());
    out.extend_from_slice(match status {
        Status::Ok => b" OK ",
        Status::No => b" NO ",
        Status::Bad => b" BAD ",
    });
    if let Some(code) = code {
        out.push(b'[');
        out.extend_from_slice(code.as_bytes());
        out.extend_from_slice(b"] ");
    }
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// A store error as a response code and text, without internals.
fn store_error(e: &tresor_store::Error) -> (Option<&'static str>, String) {
    use tresor_store::Error as E;
    match e {
        E::NotActive => (Some("CANNOT"), "the account is read-only: it has been terminated".into()),
        E::OverQuota(_) => (Some("OVERQUOTA"), "over quota".into()),
        E::NoMailbox => (Some("TRYCREATE"), "no such mailbox".into()),
        E::MailboxExists => (Some("ALREADYEXISTS"), "mailbox already exists".into()),
        E::RoleTaken => (Some("USEATTR"), "another mailbox has this special use".into()),
        E::NoMessage => (Some("NONEXISTENT"), "no such message".into()),
        E::Invalid { what, why } => (Some("CANNOT"), format!("invalid {what}: {why}")),
        E::Poisoned | E::Kv(_) | E::Io(_) => {
            tracing::error!(error = %e, "imap: storage failure");
            (Some("SERVERBUG"), "storage failure; nothing was changed".into())
        }
        other => {
            tracing::error!(error = %other, "imap: store error");
            (Some("SERVERBUG"), "internal error".into())
        }
    }
}

/// `* LIST`-style quoting of a mailbox name as an astring.
pub(crate) fn mailbox_astring(out: &mut Vec<u8>, name: &str) {
    encode::astring(out, name.as_bytes());
}
