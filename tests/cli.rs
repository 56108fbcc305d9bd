//! The operator's CLI, with and without a running server, and its one-line errors.

use crate::harness::{Setup, field};

#[test]
fn account_commands_work_directly_and_through_the_running_server() {
    let s = Setup::new();
    // No server: the CLI opens the store itself.
    s.create("first@example.com", &["--alias", "f@example.com", "--quota", "5M"]);
    let show = s.ok(&["account", "show", "first@example.com"], "");
    assert_eq!(field(&show, "state"), "active");
    assert_eq!(field(&show, "messages"), "0");
    assert_eq!(field(&show, "storage"), "0");
    assert_eq!(field(&show, "quota"), "5M");
    assert_eq!(field(&show, "aliases"), "f@example.com");

    let server = s.start();
    // Server running: the same commands go through the admin socket.
    s.create("second@example.com", &[]);
    let list = s.ok(&["account", "list"], "");
    assert_eq!(list, "first@example.com\tactive\nsecond@example.com\tactive\n");
    s.ok(&["account", "passwd", "second@example.com", "--password-stdin"], "new-secret\n");
    let out = s.cli(&["account", "show", "nobody@example.com"], "");
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.contains("no such account"), "{err}");
    let out = s.cli(&["account", "create", "first@example.com", "--password-stdin"], "x\n");
    assert!(!out.status.success(), "duplicate refused");
    let out = s.cli(&["account", "create", "third@example.com", "--password-stdin"], "");
    assert!(!out.status.success(), "empty password refused");
    server.stop();

    // Stopped again: direct access sees what the server wrote.
    assert_eq!(s.ok(&["account", "list"], "").lines().count(), 2);
    assert!(!s.config().with_file_name("tresor.sock").exists(), "admin socket removed on shutdown");
}

#[test]
fn clear_errors_for_bad_config_missing_or_wrong_key_and_a_locked_data_dir() {
    let s = Setup::new();
    s.create("x@example.com", &[]);

    let one_line_err = |args: &[&str], want: &str| {
        let out = s.cli(args, "");
        assert!(!out.status.success(), "{args:?} succeeded");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "one line: {err:?}");
        assert!(err.contains(want), "{err:?} lacks {want:?}");
    };

    // A locked data dir: another process holds it (here: a second server would).
    let server = s.start();
    let second = std::process::Command::new(crate::harness::BIN).args(["serve", "--config"]).arg(s.config()).output().unwrap();
    assert!(!second.status.success());
    let err = String::from_utf8(second.stderr).unwrap();
    assert!(err.contains("in use by another server") || err.contains("locked"), "{err}");
    drop(server);

    let key = s.dir.path().join("master.key");
    let saved = std::fs::read(&key).unwrap();
    std::fs::remove_file(&key).unwrap();
    one_line_err(&["account", "list"], "master key");
    std::fs::write(&key, b"# not a key\nAGE-SECRET-KEY-1QQQ\n").unwrap();
    one_line_err(&["account", "list"], "master key");
    // A valid key, but not this data dir's.
    let other = tempfile::tempdir().unwrap();
    assert!(std::process::Command::new(crate::harness::BIN).args(["init", "--data-dir"]).arg(other.path()).status().unwrap().success());
    std::fs::copy(other.path().join("master.key"), &key).unwrap();
    one_line_err(&["account", "list"], "does not open data dir");
    std::fs::write(&key, saved).unwrap();

    let cfg = std::fs::read_to_string(s.config()).unwrap();
    std::fs::write(s.config(), cfg.replace("export_window = \"30d\"", "export_window = \"30 days\"")).unwrap();
    one_line_err(&["account", "list"], "lifecycle.export_window");
    std::fs::write(s.config(), "[storage\npath=").unwrap();
    one_line_err(&["account", "list"], "config");
    std::fs::write(s.config(), cfg).unwrap();
    assert!(s.ok(&["account", "list"], "").contains("x@example.com"));

    let again = std::process::Command::new(crate::harness::BIN).args(["init", "--data-dir"]).arg(s.dir.path()).output().unwrap();
    assert!(!again.status.success(), "init never overwrites a master key");
}

#[test]
fn serve_dev_needs_no_config_and_says_how_to_connect() {
    let mut child = std::process::Command::new(crate::harness::BIN)
        .args(["serve", "--dev"])
        .env_remove("TRESOR_CONFIG")
        .current_dir(std::env::temp_dir())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut text = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        text.push_str(&line);
        text.push('\n');
        if line.contains("JMAP:") {
            break;
        }
    }
    crate::harness::signal(child.id(), "TERM");
    let status = child.wait().unwrap();
    assert!(text.contains("ready: lmtp 127.0.0.1:"), "{text}");
    assert!(text.contains("ready: imap 127.0.0.1:1143") && text.contains("ready: imaps 127.0.0.1:1993"), "{text}");
    assert!(text.contains("demo@localhost"), "{text}");
    assert!(status.success(), "clean shutdown: {status}");
}
