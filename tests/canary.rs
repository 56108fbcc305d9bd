//! Nothing an account owns reaches the disk in plaintext: a canary in a login,
//! an alias, a subject, a body and an attachment is in no file under the data
//! dir — every byte of every file, WAL and MANIFEST included — after delivery,
//! after a restart, and after a full compaction.

use crate::harness::{Lmtp, Setup, files_containing};
use std::sync::Arc;
use tresor_kv::Engine;

const CANARY: &str = "zq7canary4x";

fn assert_clean(s: &Setup, when: &str) {
    let mut needles = vec![CANARY.to_string(), CANARY.to_uppercase()];
    // What a leaky engine would write instead of the text itself.
    needles.push("example-canary.test".into());
    for n in needles {
        let hits = files_containing(&s.data(), n.as_bytes());
        assert!(hits.is_empty(), "{when}: {n:?} found in {hits:?}");
    }
}

#[test]
fn canaries_are_in_no_file_after_delivery_restart_and_compaction() {
    let s = Setup::new();
    let login = format!("{CANARY}@example-canary.test");
    s.create(&login, &["--alias", &format!("alias-{CANARY}@example-canary.test")]);
    let server = s.start();
    let message = format!(
        "From: {CANARY} <sender@example.org>\r\nTo: <{login}>\r\nSubject: secret {CANARY} subject\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nbody {CANARY} body\r\n\
         --b1\r\nContent-Type: text/plain; name=\"{CANARY}.txt\"\r\nContent-Disposition: attachment; filename=\"{CANARY}.txt\"\r\n\r\n\
         attachment {CANARY} attachment\r\n--b1--\r\n"
    );
    let mut c = Lmtp::connect(server.lmtp);
    for i in 0..20 {
        let r = c.deliver("sender@example.org", &[&login], message.replace("secret", &format!("secret{i}")).as_bytes());
        assert!(r[0].starts_with("250"), "{r:?}");
    }
    assert_clean(&s, "after delivery");
    server.kill9();
    assert_clean(&s, "after kill -9");
    let server = s.start();
    assert_eq!(s.messages(&login), 20);
    server.stop();
    assert_clean(&s, "after restart");

    // Full compaction of every database, as the engine does it for purges.
    {
        let engine = Arc::new(tresor_kv_rocksdb::RocksEngine::open(&s.data(), &Default::default()).unwrap());
        engine.main().compact(None).unwrap();
        engine.keyring().compact(None).unwrap();
        for n in engine.shards().unwrap() {
            engine.shard(n).unwrap().compact(None).unwrap();
        }
    }
    assert_clean(&s, "after full compaction");
    // And the mail is all still there, readable with the key.
    let files = s.export(&login);
    assert_eq!(files.iter().filter(|(p, _)| p.ends_with(".eml")).count(), 20);
    assert!(files.iter().any(|(_, b)| b.windows(CANARY.len()).any(|w| w == CANARY.as_bytes())));
}
