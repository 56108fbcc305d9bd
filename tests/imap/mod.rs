//! IMAP against the real server over real sockets, one file per command.
//!
//! Most tests are transcripts: `C:` lines are sent, `S:` lines must appear
//! in the responses in that order (other lines may come between them), `!S:`
//! lines must not appear among the untagged responses. In a pattern,
//! `*` matches any run of characters, so `S: a OK *` accepts any text.
//! A `C:` line may carry a LITERAL+ literal as `{n+}` followed by `\r\n` and
//! the bytes, written with Rust escapes in the script.

mod append;
mod authenticate;
mod capability;
mod clients;
mod copy_move;
mod create_delete_rename;
mod enable_id_namespace;
mod expunge;
mod fetch;
mod idle;
mod list;
mod metadata_quota;
mod privacy;
mod qresync;
mod search;
mod select;
mod sort_thread;
mod status;
mod store;
mod tls;

use crate::harness::{Lmtp, Server, Setup};
use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    time::Duration,
};

pub const PASSWORD: &str = "secret";

/// A server with one account (`login`) holding `messages` in its inbox,
/// delivered over LMTP.
pub fn server_with(login: &str, messages: &[&str]) -> (Setup, Server) {
    let s = Setup::new();
    s.create(login, &[]);
    let server = s.start();
    if !messages.is_empty() {
        let mut lmtp = Lmtp::connect(server.lmtp);
        for m in messages {
            let r = lmtp.deliver("sender@example.org", &[login], m.replace('\n', "\r\n").as_bytes());
            assert!(r[0].starts_with("250"), "{r:?}");
        }
    }
    (s, server)
}

/// A plain message with a subject and body.
pub fn message(n: usize) -> String {
    format!(
        "From: Alice <alice@example.org>\nTo: Bob <bob@example.com>\nSubject: message {n}\nDate: Mon, {d} Jan 2024 10:00:00 +0000\nMessage-ID: <m{n}@example.org>\n\nbody of message {n}\n",
        d = 1 + n % 28
    )
}

/// A minimal IMAP client that keeps responses as lines (literals inline).
pub struct Imap {
    r: BufReader<TcpStream>,
    w: TcpStream,
    pub greeting: String,
}

impl Imap {
    pub fn connect(addr: SocketAddr) -> Imap {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = Imap { r: BufReader::new(s.try_clone().unwrap()), w: s, greeting: String::new() };
        c.greeting = c.line();
        assert!(c.greeting.starts_with("* OK"), "{}", c.greeting);
        c
    }

    /// Connected and logged in as `login`.
    pub fn login(addr: SocketAddr, login: &str) -> Imap {
        let mut c = Imap::connect(addr);
        let r = c.cmd(&format!("l LOGIN \"{login}\" {PASSWORD}"));
        assert!(r.last().unwrap().starts_with("l OK"), "{r:?}");
        c
    }

    /// One response line; a literal `{n}` at its end is read and appended
    /// (with the line that follows it), so a FETCH is one string.
    pub fn line(&mut self) -> String {
        let mut all = Vec::new();
        loop {
            let mut line = Vec::new();
            let n = self.r.read_until(b'\n', &mut line).unwrap();
            assert!(n > 0, "connection closed; so far: {:?}", String::from_utf8_lossy(&all));
            all.extend_from_slice(&line);
            let text = String::from_utf8_lossy(&line);
            let trimmed = text.trim_end_matches("\r\n");
            if let Some(open) = trimmed.rfind('{')
                && trimmed.ends_with('}')
                && let Ok(len) = trimmed[open + 1..trimmed.len() - 1].parse::<usize>()
            {
                let mut literal = vec![0; len];
                self.r.read_exact(&mut literal).unwrap();
                all.extend_from_slice(&literal);
                continue;
            }
            return String::from_utf8_lossy(&all).trim_end_matches("\r\n").to_owned();
        }
    }

    /// The socket, for a test that takes over the wire (COMPRESS). Nothing
    /// may be buffered: call it right after a tagged reply.
    pub fn into_streams(self) -> (TcpStream, TcpStream) {
        assert!(self.r.buffer().is_empty(), "unread response bytes");
        (self.r.into_inner(), self.w)
    }

    /// The buffered reader, for a test that reads raw bytes (literal8).
    pub fn raw_reader(&mut self) -> &mut BufReader<TcpStream> {
        &mut self.r
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).unwrap();
    }

    /// Sends `line` and reads up to its tagged reply (the tag is the first
    /// word of `line`). Returns every line, the tagged one last.
    pub fn cmd(&mut self, line: &str) -> Vec<String> {
        let tag = line.split(' ').next().unwrap().to_owned();
        self.send(format!("{line}\r\n").as_bytes());
        self.until_tagged(&tag)
    }

    pub fn until_tagged(&mut self, tag: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let l = self.line();
            let done = l.starts_with(&format!("{tag} "));
            lines.push(l);
            if done {
                return lines;
            }
        }
    }

    /// Runs a transcript (see the module docs); panics with the responses on
    /// the first mismatch.
    pub fn script(&mut self, script: &str) {
        let mut steps: Vec<(String, Vec<(bool, String)>)> = Vec::new();
        for raw in script.lines() {
            let line = raw.trim_start();
            if let Some(c) = line.strip_prefix("C: ") {
                steps.push((unescape(c), Vec::new()));
            } else if let Some(s) = line.strip_prefix("S: ") {
                steps.last_mut().expect("S: before C:").1.push((true, s.to_owned()));
            } else if let Some(s) = line.strip_prefix("!S: ") {
                steps.last_mut().expect("!S: before C:").1.push((false, s.to_owned()));
            } else {
                assert!(line.is_empty() || line.starts_with('#'), "bad script line {line:?}");
            }
        }
        for (command, expected) in steps {
            let got = self.cmd(&command);
            let mut at = 0;
            for (want, pattern) in &expected {
                if *want {
                    match got[at..].iter().position(|l| glob(pattern, l)) {
                        Some(i) => at += i + 1,
                        None => panic!("after C: {command:?}\nexpected S: {pattern:?}\ngot (from line {at}):\n{}", got.join("\n")),
                    }
                } else if let Some(l) = got[..got.len() - 1].iter().find(|l| glob(pattern, l)) {
                    panic!("after C: {command:?}\nunexpected {l:?}\ngot:\n{}", got.join("\n"));
                }
            }
        }
    }
}

/// `\r`, `\n` and `\\` escapes in a script's command line.
fn unescape(s: &str) -> String {
    s.replace("\\r", "\r").replace("\\n", "\n").replace("\\\\", "\\")
}

/// Whole-string match where `*` matches any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}

/// The lines of `lines` that match `pattern`.
pub fn matching<'a>(lines: &'a [String], pattern: &str) -> Vec<&'a String> {
    lines.iter().filter(|l| glob(pattern, l)).collect()
}
