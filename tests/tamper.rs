//! Sealed values are bound to where they are stored: two message records
//! swapped inside RocksDB (by someone with the files but not the key) are
//! detected on read, and nothing is served from them.

use crate::harness::{Lmtp, Setup};
use std::ops::ControlFlow;
use tresor_kv::Engine;

#[test]
fn swapping_two_sealed_values_in_rocksdb_is_detected() {
    let s = Setup::new();
    s.create("t@example.com", &[]);
    let server = s.start();
    let mut c = Lmtp::connect(server.lmtp);
    for subject in ["first", "second"] {
        let r = c.deliver("s@example.org", &["t@example.com"], format!("Subject: {subject}\r\n\r\n{subject} body\r\n").as_bytes());
        assert!(r[0].starts_with("250"), "{r:?}");
    }
    server.stop();
    assert_eq!(s.export("t@example.com").iter().filter(|(p, _)| p.ends_with(".eml")).count(), 2);

    {
        let engine = tresor_kv_rocksdb::RocksEngine::open(&s.data(), &Default::default()).unwrap();
        let shard = engine.shard(0).unwrap();
        let ks = shard.keyspaces().into_iter().find(|k| k.starts_with('a')).expect("the account's column family");
        // The two message records (tag 0x04, then the email id): swap their values.
        let mut records = Vec::new();
        shard
            .scan(&ks, &[0x04], &[0x05], false, &mut |k, v| {
                records.push((k.to_vec(), v.to_vec()));
                ControlFlow::Continue(())
            })
            .unwrap();
        assert_eq!(records.len(), 2);
        let mut b = tresor_kv::Batch::new();
        b.put(&ks, records[0].0.clone(), records[1].1.clone());
        b.put(&ks, records[1].0.clone(), records[0].1.clone());
        shard.write(b, true).unwrap();
    }

    let out = s.cli(&["account", "export", "t@example.com", "--out", s.dir.path().join("x.tar").to_str().unwrap()], "");
    assert!(!out.status.success(), "export of tampered data must fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("integrity check failed"), "{err}");
}
