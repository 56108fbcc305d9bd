//! Starting and stopping the real server, running the CLI, speaking LMTP, and
//! reading exports and data files.

#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::{SocketAddr, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::Duration,
};

pub const BIN: &str = env!("CARGO_BIN_EXE_tresor");

/// A data dir made by `tresor init`, with loopback listeners on ports the OS picks.
pub struct Setup {
    pub dir: tempfile::TempDir,
}

impl Setup {
    pub fn new() -> Setup {
        Setup::with(|_| {})
    }

    /// `edit` may change the generated config text before the first start.
    pub fn with(edit: impl FnOnce(&mut String)) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(BIN).args(["init", "--data-dir"]).arg(dir.path()).output().unwrap();
        assert!(out.status.success(), "init failed: {}", String::from_utf8_lossy(&out.stderr));
        let path = dir.path().join("config.toml");
        let mut text = std::fs::read_to_string(&path).unwrap();
        text = text.replace("[\"127.0.0.1:24\"]", "[\"127.0.0.1:0\"]");
        text = text.replace("listen     = [\"0.0.0.0:8080\"]", "listen     = [\"127.0.0.1:0\"]");
        text = text.replace("listen = [\"0.0.0.0:8080\"]", "listen = [\"127.0.0.1:0\"]");
        text = text.replace("[\"0.0.0.0:8443\"]", "[]");
        text = text.replace("[\"0.0.0.0:143\"]", "[\"127.0.0.1:0\"]");
        text = text.replace("[\"0.0.0.0:993\"]", "[\"127.0.0.1:0\"]");
        edit(&mut text);
        std::fs::write(&path, text).unwrap();
        Setup { dir }
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("config.toml")
    }

    pub fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs a CLI command; `stdin` is fed to it.
    pub fn cli(&self, args: &[&str], stdin: &str) -> Output {
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(self.config())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a CLI command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.cli(args, stdin);
        assert!(out.status.success(), "tresor {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn create(&self, login: &str, extra: &[&str]) {
        let mut args = vec!["account", "create", login, "--password-stdin"];
        args.extend_from_slice(extra);
        self.ok(&args, "secret\n");
    }

    /// The `messages:` line of `account show`.
    pub fn messages(&self, login: &str) -> u64 {
        field(&self.ok(&["account", "show", login], ""), "messages").parse().unwrap()
    }

    pub fn start(&self) -> Server {
        Server::start(self)
    }

    /// Exports an account and returns its files (path -> bytes).
    pub fn export(&self, login: &str) -> Vec<(String, Vec<u8>)> {
        let out = self.dir.path().join(format!("export-{}.tar", rand_suffix()));
        self.ok(&["account", "export", login, "--out", out.to_str().unwrap()], "");
        let mut files = Vec::new();
        let mut archive = tar::Archive::new(std::fs::File::open(&out).unwrap());
        for entry in archive.entries().unwrap() {
            let mut e = entry.unwrap();
            let path = e.path().unwrap().display().to_string();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            files.push((path, bytes));
        }
        std::fs::remove_file(out).unwrap();
        files
    }
}

pub fn field(text: &str, name: &str) -> String {
    let prefix = format!("{name}: ");
    text.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap_or_else(|| panic!("no {name}: line in {text:?}")).to_owned()
}

fn rand_suffix() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A running `tresor serve`.
pub struct Server {
    child: Child,
    pub lmtp: SocketAddr,
    pub http: SocketAddr,
    /// IMAP with STARTTLS, and with implicit TLS.
    pub imap: SocketAddr,
    pub imaps: SocketAddr,
}

impl Server {
    fn start(setup: &Setup) -> Server {
        let mut child = Command::new(BIN)
            .args(["serve", "--config"])
            .arg(setup.config())
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut lmtp = None;
        let mut http = None;
        let mut imap = None;
        let mut imaps = None;
        // `serve` prints one ready line per listener, the admin socket last.
        loop {
            let Some(Ok(line)) = lines.next() else {
                let status = child.wait().unwrap();
                panic!("tresor serve exited before it was ready: {status}");
            };
            if let Some(addr) = line.strip_prefix("ready: lmtp ") {
                lmtp = Some(addr.parse().unwrap());
            }
            if let Some(addr) = line.strip_prefix("ready: http ") {
                http = Some(addr.parse().unwrap());
            }
            if let Some(addr) = line.strip_prefix("ready: imap ") {
                imap = Some(addr.parse().unwrap());
            }
            if let Some(addr) = line.strip_prefix("ready: imaps ") {
                imaps = Some(addr.parse().unwrap());
            }
            if line.starts_with("ready: admin ") {
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            lmtp: lmtp.expect("no lmtp listener"),
            http: http.expect("no http listener"),
            imap: imap.expect("no imap listener"),
            imaps: imaps.expect("no imaps listener"),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no shutdown path runs.
    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait for a clean exit.
    pub fn stop(mut self) {
        signal(self.child.id(), "TERM");
        let status = self.child.wait().unwrap();
        assert!(status.success(), "serve exited with {status}");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status().unwrap();
    assert!(ok.success());
}

/// A minimal LMTP client that keeps replies as text.
pub struct Lmtp {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Lmtp {
    pub fn connect(addr: SocketAddr) -> Lmtp {
        let s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let mut c = Lmtp { r: BufReader::new(s.try_clone().unwrap()), w: s };
        let greeting = c.reply();
        assert!(greeting.starts_with("220 "), "{greeting}");
        let lhlo = c.cmd("LHLO test.example");
        assert!(lhlo.starts_with("250"), "{lhlo}");
        c
    }

    /// Reads one (possibly multi-line) reply.
    pub fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = Vec::new();
            let n = self.r.read_until(b'\n', &mut line).unwrap();
            assert!(n > 0, "connection closed; so far: {all:?}");
            let line = String::from_utf8_lossy(&line).into_owned();
            let last = line.len() < 4 || line.as_bytes()[3] != b'-';
            all.push_str(&line);
            if last {
                return all;
            }
        }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.w.write_all(bytes).unwrap();
    }

    pub fn cmd(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// One transaction; returns the reply for each recipient (or the first
    /// refusal before DATA).
    pub fn deliver(&mut self, from: &str, rcpts: &[&str], message: &[u8]) -> Vec<String> {
        let r = self.cmd(&format!("MAIL FROM:<{from}>"));
        assert!(r.starts_with("250"), "{r}");
        let mut accepted = 0;
        let mut out = Vec::new();
        for rc in rcpts {
            let r = self.cmd(&format!("RCPT TO:<{rc}>"));
            if r.starts_with("250") {
                accepted += 1;
            } else {
                out.push(r);
            }
        }
        if accepted == 0 {
            self.cmd("RSET");
            return out;
        }
        let r = self.cmd("DATA");
        assert!(r.starts_with("354"), "{r}");
        self.send(&dot_stuff(message));
        self.send(b".\r\n");
        for _ in 0..accepted {
            out.push(self.reply());
        }
        out
    }
}

pub fn dot_stuff(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 16);
    for line in message.split_inclusive(|b| *b == b'\n') {
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Files under `dir` (recursively) containing `needle`.
pub fn files_containing(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if std::fs::read(&p).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle)) {
                hits.push(p);
            }
        }
    }
    hits
}

/// Strips the Return-Path line final delivery adds.
pub fn without_return_path(stored: &[u8]) -> &[u8] {
    assert!(stored.starts_with(b"Return-Path: <"), "no Return-Path");
    let end = stored.windows(2).position(|w| w == b"\r\n").unwrap() + 2;
    &stored[end..]
}

/// A minimal HTTP/1.1 exchange: status, headers (lower-case names), body
/// (Content-Length or chunked).
pub fn http(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned())).collect();
    let mut rest = &raw[split + 4..];
    let chunked = headers.iter().any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        let mut out = Vec::new();
        loop {
            let eol = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let size = usize::from_str_radix(std::str::from_utf8(&rest[..eol]).unwrap().split(';').next().unwrap().trim(), 16).unwrap();
            rest = &rest[eol + 2..];
            if size == 0 {
                break;
            }
            out.extend_from_slice(&rest[..size]);
            rest = &rest[size + 2..];
        }
        out
    } else {
        rest.to_vec()
    };
    (status, headers, body)
}

pub fn basic(login: &str, password: &str) -> String {
    use base64::Engine;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}")))
}

/// Imports the `.eml` files of an export into a throw-away Dovecot maildir
/// with `doveadm save` (Debian's dovecot-core, installed by `.ci/run`), one
/// Dovecot mailbox per exported folder, and returns what Dovecot stored:
/// (mailbox, message count Dovecot reports, the stored message files).
/// Dovecot refuses mail access as root, so as root it runs as `nobody`.
pub fn dovecot_import(files: &[(String, Vec<u8>)]) -> Vec<(String, u64, Vec<Vec<u8>>)> {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let conf = dir.path().join("dovecot.conf");
    std::fs::write(&conf, format!("mail_location = maildir:{}/Maildir:LAYOUT=fs\nmail_save_crlf = yes\n", home.display())).unwrap();
    let root = is_root();
    if root {
        let ok = Command::new("chown").args(["-R", "nobody:nogroup"]).arg(dir.path()).status().unwrap();
        assert!(ok.success());
    }
    let doveadm = |args: &[&str], stdin: Option<&[u8]>| -> Output {
        let mut cmd = if root {
            let mut c = Command::new("setpriv");
            c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "doveadm"]);
            c
        } else {
            Command::new("doveadm")
        };
        cmd.arg("-c").arg(&conf).args(args).env("HOME", &home).env("USER", if root { "nobody" } else { "tresor" });
        let mut child =
            cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("doveadm (dovecot-core) is installed");
        child.stdin.take().unwrap().write_all(stdin.unwrap_or_default()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "doveadm {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    let mut boxes: Vec<String> = Vec::new();
    for (path, bytes) in files.iter().filter(|(p, _)| p.ends_with(".eml")) {
        let folder = path.strip_prefix("mail/").unwrap().rsplit_once('/').unwrap().0.to_owned();
        let name = if folder.eq_ignore_ascii_case("inbox") { "INBOX".to_owned() } else { folder.clone() };
        if !boxes.contains(&name) {
            if name != "INBOX" {
                doveadm(&["mailbox", "create", &name], None);
            }
            boxes.push(name.clone());
        }
        doveadm(&["save", "-m", &name], Some(bytes));
    }
    boxes
        .into_iter()
        .map(|name| {
            let status = doveadm(&["-f", "flow", "mailbox", "status", "messages", &name], None);
            // `-f flow` prints `NAME messages=N`.
            let text = String::from_utf8_lossy(&status.stdout).into_owned();
            let count: u64 = text.rsplit("messages=").next().unwrap().trim().parse().unwrap_or_else(|_| panic!("doveadm said {text:?}"));
            let maildir = if name == "INBOX" { home.join("Maildir") } else { home.join("Maildir").join(&name) };
            let mut stored: Vec<Vec<u8>> = ["new", "cur"]
                .iter()
                .flat_map(|d| std::fs::read_dir(maildir.join(d)).into_iter().flatten().flatten())
                .map(|e| std::fs::read(e.path()).unwrap())
                .collect();
            stored.sort();
            (name, count, stored)
        })
        .collect()
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0\n")).unwrap_or(false)
}
