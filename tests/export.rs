//! `account export`: every message byte-exact, an mbox per mailbox, settings,
//! a manifest whose hashes match, and age encryption that opens with the
//! user's passphrase only.

use crate::harness::{Lmtp, Setup, without_return_path};
use sha2::{Digest, Sha256};
use std::io::Read;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn untar(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in tar::Archive::new(bytes).entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().display().to_string();
        let mut b = Vec::new();
        e.read_to_end(&mut b).unwrap();
        out.push((p, b));
    }
    out
}

#[test]
fn exports_are_complete_verifiable_and_optionally_encrypted() {
    let s = Setup::new();
    s.create("e@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    let messages: Vec<Vec<u8>> = (0..3)
        .map(|i| format!("Subject: export {i}\r\n\r\nline one\r\nFrom the start of a line\r\n>From quoted\r\n").into_bytes())
        .collect();
    for m in &messages {
        assert!(c.deliver("x@example.org", &["e@example.com"], m)[0].starts_with("250"));
    }
    s.ok(&["retention", "set", "e@example.com", "--mailbox", "Junk", "--days", "14"], "");

    let files = s.export("e@example.com");
    let (_, manifest) = files.last().unwrap();
    assert_eq!(files.last().unwrap().0, "manifest.json", "the manifest comes last");
    let manifest: serde_json::Value = serde_json::from_slice(manifest).unwrap();
    assert_eq!(manifest["messages"], 3);
    let listed = manifest["files"].as_array().unwrap();
    assert_eq!(listed.len(), files.len() - 1, "every file but the manifest is listed");
    for f in listed {
        let (_, bytes) = files.iter().find(|(p, _)| p == f["path"].as_str().unwrap()).unwrap();
        assert_eq!(f["sha256"].as_str().unwrap(), hex(&Sha256::digest(bytes)), "{}", f["path"]);
        assert_eq!(f["size"].as_u64().unwrap(), bytes.len() as u64);
    }
    let emls: Vec<_> = files.iter().filter(|(p, _)| p.starts_with("mail/INBOX/")).collect();
    assert_eq!(emls.len(), 3);
    for (i, (_, b)) in emls.iter().enumerate() {
        assert_eq!(without_return_path(b), &messages[i][..]);
    }
    let (_, mbox) = files.iter().find(|(p, _)| p == "mbox/INBOX.mbox").unwrap();
    let mbox = String::from_utf8(mbox.clone()).unwrap();
    assert_eq!(mbox.matches("\nFrom MAILER-DAEMON ").count() + usize::from(mbox.starts_with("From MAILER-DAEMON ")), 3);
    assert_eq!(mbox.matches("\n>From the start").count(), 3, "mboxrd quoting");
    assert_eq!(mbox.matches("\n>>From quoted").count(), 3);
    // Dovecot takes the exported messages and stores them byte for byte.
    let imported = crate::harness::dovecot_import(&files);
    assert_eq!(imported.len(), 1, "{imported:?}");
    let (name, count, stored) = &imported[0];
    assert_eq!((name.as_str(), *count), ("INBOX", 3));
    let mut exported: Vec<Vec<u8>> = emls.iter().map(|(_, b)| b.clone()).collect();
    exported.sort();
    assert_eq!(stored, &exported);
    let (_, settings) = files.iter().find(|(p, _)| p == "settings.json").unwrap();
    assert!(String::from_utf8_lossy(settings).contains("\"retention_days\": 14"));

    // Encrypted to a passphrase: opens with it, and only with it.
    let out = s.dir.path().join("enc.tar.age");
    s.ok(&["account", "export", "e@example.com", "--out", out.to_str().unwrap(), "--passphrase-stdin"], "correct horse\n");
    let sealed = std::fs::read(&out).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(!sealed.windows(10).any(|w| w == b"export 0\r\n"), "no plaintext in the encrypted export");
    let open = |pass: &str| -> Option<Vec<u8>> {
        let id = age::scrypt::Identity::new(pass.to_owned().into());
        let d = age::Decryptor::new(&sealed[..]).unwrap();
        let mut r = d.decrypt(std::iter::once(&id as &dyn age::Identity)).ok()?;
        let mut b = Vec::new();
        r.read_to_end(&mut b).unwrap();
        Some(b)
    };
    assert!(open("wrong").is_none());
    let plain = untar(&open("correct horse").unwrap());
    assert_eq!(plain.iter().filter(|(p, _)| p.ends_with(".eml")).count(), 3);
    drop(server);
}
