//! The crate DAG of ARCHITECTURE.md, enforced: a dependency edge that breaks the
//! layering fails here, not in review.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Workspace crates and their direct dependencies (normal + build), from
/// `cargo metadata --no-deps` (no registry access needed).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let out =
        std::process::Command::new(cargo).args(["metadata", "--format-version", "1", "--no-deps"]).current_dir(root).output().unwrap();
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut g = BTreeMap::new();
    for p in meta["packages"].as_array().unwrap() {
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null() || d["kind"] == "build")
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect();
        g.insert(p["name"].as_str().unwrap().to_owned(), deps);
    }
    g
}

/// What `root` pulls in through workspace crates, transitively, with each
/// crate's direct external dependencies.
fn closure(g: &BTreeMap<String, BTreeSet<String>>, root: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![root.to_owned()];
    while let Some(n) = stack.pop() {
        if !seen.insert(n.clone()) {
            continue;
        }
        stack.extend(g.get(&n).into_iter().flatten().cloned());
    }
    seen
}

#[test]
fn the_crate_dag_points_only_down() {
    let g = graph();
    let layer = |name: &str| -> u32 {
        match name {
            "tresor-types" | "tresor-crypto" | "tresor-kv" | "tresor-message" => 0,
            "tresor-kv-rocksdb" => 1,
            "tresor-store" => 2,
            "tresor-mail" | "tresor-groupware" => 3,
            "tresor-lifecycle" => 4,
            n if PROTOCOLS.contains(&n) => 4,
            "tresor-server" => 5,
            other => panic!("{other} has no layer in ARCHITECTURE.md: add it there and here"),
        }
    };
    for (krate, deps) in &g {
        for d in deps.iter().filter(|d| d.starts_with("tresor-")) {
            assert!(layer(d) < layer(krate), "{krate} -> {d} points up or sideways");
        }
    }
    for p in PROTOCOLS {
        for q in PROTOCOLS {
            assert!(!g.get(*p).is_some_and(|d| d.contains(*q)), "protocol {p} depends on protocol {q}");
        }
    }
    let rocks_users: Vec<_> =
        g.iter().filter(|(_, d)| d.iter().any(|n| n == "rocksdb" || n == "librocksdb-sys")).map(|(k, _)| k.as_str()).collect();
    assert_eq!(rocks_users, ["tresor-kv-rocksdb"], "only the engine crate links RocksDB");
    for seam in ["tresor-kv", "tresor-store"] {
        let all = closure(&g, seam);
        assert!(
            !all.iter().any(|n| n == "rocksdb" || n == "librocksdb-sys" || n == "tresor-kv-rocksdb"),
            "{seam} has RocksDB in its dependency tree"
        );
    }
    assert!(!closure(&g, "tresor-store").iter().any(|n| PROTOCOLS.contains(&n.as_str())), "the store knows no protocol");
}

const PROTOCOLS: &[&str] = &["tresor-lmtp", "tresor-imap", "tresor-imap-wire", "tresor-jmap", "tresor-dav"];
