//! A private Postfix (Debian's `postfix`, `sasl2-bin`, `libsasl2-modules`,
//! installed by `.ci/run`) on loopback for the submission tests: its own
//! config, queue and data directories in a temp dir, smtpd on one port with
//! STARTTLS required before SASL AUTH (sasldb, PLAIN/LOGIN), relaying only
//! for authenticated clients, and everything it accepts delivered over LMTP
//! to the address the test gives (Tresor's LMTP listener). Nothing outside
//! the temp dir is touched; the system's own Postfix is never started.

use std::{
    net::{SocketAddr, TcpListener},
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

pub struct Postfix {
    pub smtp: SocketAddr,
    pub user: String,
    pub password: String,
    /// The self-signed certificate smtpd presents (the client's CA file).
    pub cert: PathBuf,
    dir: tempfile::TempDir,
}

/// A loopback port free right now (for a config written before the MTA starts).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e} (is postfix installed? .ci/run installs it)"));
    assert!(out.status.success(), "{cmd:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

impl Postfix {
    /// Starts an instance on `127.0.0.1:port` that delivers to `lmtp`.
    pub fn start(port: u16, lmtp: SocketAddr) -> Postfix {
        assert!(
            Path::new("/usr/sbin/postfix").exists(),
            "postfix is not installed (.ci/run installs postfix, sasl2-bin, libsasl2-modules)"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // Postfix refuses group- or world-writable paths above its queue.
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for sub in ["queue", "data", "sasl"] {
            std::fs::create_dir(d.join(sub)).unwrap();
        }
        // A throw-away CA (what the client trusts) and smtpd's certificate
        // for 127.0.0.1 signed by it (a self-signed CA used as a server
        // certificate is rightly refused by webpki).
        let cert = d.join("ca.pem");
        let p = |f: &str| d.join(f).to_str().unwrap().to_owned();
        run(Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Test MTA CA"])
            .args(["-keyout", &p("ca.key"), "-out", &p("ca.pem")]));
        run(Command::new("openssl").args([
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &p("key.pem"),
            "-out",
            &p("req.pem"),
        ]));
        std::fs::write(d.join("ext.cnf"), "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n").unwrap();
        run(Command::new("openssl").args(["x509", "-req", "-days", "1", "-CAcreateserial"]).args([
            "-in",
            &p("req.pem"),
            "-CA",
            &p("ca.pem"),
            "-CAkey",
            &p("ca.key"),
            "-extfile",
            &p("ext.cnf"),
            "-out",
            &p("cert.pem"),
        ]));
        let (user, password) = ("submit@mta.test".to_owned(), "s3cret-pw".to_owned());
        let sasldb = d.join("sasldb2");
        let mut child = Command::new("saslpasswd2")
            .args(["-p", "-c", "-f", sasldb.to_str().unwrap(), "-u", "mta.test", "submit"])
            .stdin(std::process::Stdio::piped())
            .spawn()
            .expect("saslpasswd2 (sasl2-bin)");
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), password.as_bytes()).unwrap();
        drop(child.stdin.take());
        assert!(child.wait().unwrap().success());
        run(Command::new("chown").arg("postfix").arg(&sasldb).arg(d.join("data")));
        std::fs::write(
            d.join("sasl/smtpd.conf"),
            format!("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: {}\nmech_list: PLAIN LOGIN\n", sasldb.display()),
        )
        .unwrap();
        let name = d.file_name().unwrap().to_string_lossy().replace('.', "");
        std::fs::write(
            d.join("main.cf"),
            format!(
                "compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.test
mydomain = mta.test
myorigin = mta.test
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
local_recipient_maps =
relay_domains =
mynetworks = 127.0.0.0/32
default_transport = lmtp:inet:{lmtp}
relay_transport = lmtp:inet:{lmtp}
smtpd_tls_cert_file = {d}/cert.pem
smtpd_tls_key_file = {d}/key.pem
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_tls_loglevel = 1
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = {d}/sasl
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
syslog_name = postfix-tresor-{name}
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
smtputf8_enable = no
biff = no
",
                d = d.display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("master.cf"),
            format!(
                "127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
tlsmgr    unix  - - n 1000? 1 tlsmgr
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"
            ),
        )
        .unwrap();
        // Postfix reports to its log, not to a pipe: show the log on failure.
        for step in ["check", "start"] {
            let out = Command::new("postfix").arg("-c").arg(d).arg(step).output().expect("postfix");
            assert!(out.status.success(), "postfix {step}: {}", std::fs::read_to_string(d.join("maillog")).unwrap_or_default());
        }
        let smtp: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(smtp).is_err() {
            assert!(Instant::now() < deadline, "postfix did not listen on {smtp}");
            std::thread::sleep(Duration::from_millis(100));
        }
        Postfix { smtp, user, password, cert, dir }
    }

    /// The instance's mail log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("postfix").arg("-c").arg(self.dir.path()).arg("stop").output();
        // The master exits after its children; wait so the temp dir can go.
        let pid_file = self.dir.path().join("queue/pid/master.pid");
        let deadline = Instant::now() + Duration::from_secs(10);
        while pid_file.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
