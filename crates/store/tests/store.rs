//! The store over the in-memory engine: accounts, sealing, delivery, quota,
//! change log, poisoning and crash recovery of account creation.

use std::{
    ops::ControlFlow,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
};
use tresor_crypto::{MasterKey, password::Cost};
use tresor_kv::{Batch, Db, Engine, memory::MemoryEngine};
use tresor_store::{
    Error, Store, StoreConfig,
    directory::{AccountState, NewAccount, Quota},
    mail::{MailboxId, NewMessage, Role},
};

const NOW: i64 = 1_795_000_000;

fn master() -> MasterKey {
    MasterKey::from_file_text(&MasterKey::generate_file()).unwrap()
}

fn config() -> StoreConfig {
    StoreConfig { accounts_per_shard: 2, password_cost: Cost { memory_kib: 64, iterations: 1 }, ..StoreConfig::default() }
}

fn create(store: &Store, login: &str, aliases: &[&str]) -> tresor_store::directory::AccountRecord {
    let aliases: Vec<String> = aliases.iter().map(|s| s.to_string()).collect();
    store.create_account(NewAccount { login, password: "pw", aliases: &aliases, quota: None, now: NOW }).unwrap()
}

fn deliver(store: &Store, login: &str, raw: &[u8]) -> Result<tresor_store::mail::Appended, Error> {
    let r = store.account_by_login(login).unwrap();
    let a = store.account(r.account_id()).unwrap();
    let summary = tresor_message::parse(raw);
    a.append(NewMessage { raw, summary: &summary, mailbox: MailboxId::INBOX, keywords: vec![], received_at: NOW })
}

/// Every (keyspace, key, value) in every database of a memory engine.
fn dump(engine: &MemoryEngine) -> Vec<u8> {
    let mut all = Vec::new();
    let mut dbs: Vec<Arc<dyn Db>> = vec![engine.main(), engine.keyring()];
    for n in engine.shards().unwrap() {
        dbs.push(engine.shard(n).unwrap());
    }
    for db in dbs {
        for ks in db.keyspaces() {
            all.extend_from_slice(ks.as_bytes());
            db.scan(&ks, &[], &[0xFF; 40], false, &mut |k, v| {
                all.extend_from_slice(k);
                all.extend_from_slice(v);
                ControlFlow::Continue(())
            })
            .unwrap();
        }
    }
    all
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn accounts_are_found_by_login_alias_and_plus_address() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    let alice = create(&store, "Alice@Example.com", &["al@example.com"]);
    assert_eq!(alice.login, "alice@example.com");
    for addr in ["alice@example.com", "ALICE@example.com", "al@example.com", "alice+news@example.com", "al+x@example.com"] {
        assert_eq!(store.find_address(addr).unwrap().map(|r| r.id), Some(alice.id), "{addr}");
    }
    for addr in ["bob@example.com", "+x@example.com", "alice@example.org", "garbage"] {
        assert!(store.find_address(addr).unwrap().is_none(), "{addr}");
    }
    assert!(matches!(
        store.create_account(NewAccount { login: "alice@example.com", password: "x", aliases: &[], quota: None, now: NOW }),
        Err(Error::AccountExists(_))
    ));
    let taken = vec!["al@example.com".to_string()];
    assert!(matches!(
        store.create_account(NewAccount { login: "bob@example.com", password: "x", aliases: &taken, quota: None, now: NOW }),
        Err(Error::AddressTaken(_))
    ));
    assert!(store.authenticate("alice@example.com", "pw").unwrap().is_some());
    assert!(store.authenticate("alice@example.com", "nope").unwrap().is_none());
    assert!(store.authenticate("al@example.com", "pw").unwrap().is_none(), "aliases are not logins");
    store.set_password("alice@example.com", "new").unwrap();
    assert!(store.authenticate("alice@example.com", "new").unwrap().is_some());
}

#[test]
fn new_accounts_have_the_special_use_mailboxes_and_spread_over_shards() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine.clone(), master(), config()).unwrap();
    let ids: Vec<_> = (0..5).map(|i| create(&store, &format!("u{i}@example.com"), &[])).collect();
    assert_eq!(ids.iter().map(|r| r.shard).collect::<Vec<_>>(), vec![0, 0, 1, 1, 2]);
    let a = store.account(ids[0].account_id()).unwrap();
    let roles: Vec<_> = a.mailboxes().unwrap().iter().map(|m| m.role).collect();
    assert_eq!(roles, [Role::Inbox, Role::Drafts, Role::Sent, Role::Junk, Role::Trash, Role::Archive].map(Some).to_vec());
    assert_eq!(a.mailbox_by_name("inbox").unwrap().unwrap().id, MailboxId::INBOX);
    assert_eq!(store.list_accounts().unwrap().len(), 5);
}

#[test]
fn delivered_mail_reads_back_byte_exact_and_updates_counters() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "a@example.com", &[]);
    let small = b"Subject: hi\r\nMessage-ID: <1@x>\r\n\r\nhello\r\n".to_vec();
    let mut big = b"Subject: big\r\nIn-Reply-To: <1@x>\r\n\r\n".to_vec();
    big.extend((0..700_000u32).map(|i| b"abcdefghij\r\n"[(i % 12) as usize]));
    let first = deliver(&store, "a@example.com", &small).unwrap();
    let second = deliver(&store, "a@example.com", &big).unwrap();
    assert_eq!((first.uid, second.uid), (1, 2));
    assert!(second.modseq > first.modseq);
    let a = store.account(store.account_by_login("a@example.com").unwrap().account_id()).unwrap();
    let uids = a.uids(MailboxId::INBOX).unwrap();
    assert_eq!(uids.iter().map(|u| u.0).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(a.read_message(uids[0].1).unwrap(), small);
    assert_eq!(a.read_message(uids[1].1).unwrap(), big);
    let meta = a.email_meta(uids[1].1).unwrap().unwrap();
    assert_eq!(a.read_blob_range(meta.blob, 262_140, 10).unwrap(), big[262_140..262_150]);
    assert_eq!(meta.thread, a.email_meta(uids[0].1).unwrap().unwrap().thread, "a reply joins the thread");
    let c = a.counters();
    assert_eq!((c.messages, c.bytes), (2, (small.len() + big.len()) as u64));
    assert_eq!(a.mailbox(MailboxId::INBOX).unwrap().unwrap().uid_next, 3);
}

#[test]
fn quota_refuses_with_the_right_reason() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    store
        .create_account(NewAccount {
            login: "q@example.com",
            password: "pw",
            aliases: &[],
            quota: Some(Quota { bytes: Some(100), messages: None }),
            now: NOW,
        })
        .unwrap();
    let msg = [b'x'; 60];
    deliver(&store, "q@example.com", &msg).unwrap();
    assert!(matches!(deliver(&store, "q@example.com", &msg), Err(Error::OverQuota(q)) if !q.alone));
    assert!(matches!(deliver(&store, "q@example.com", &[b'x'; 200]), Err(Error::OverQuota(q)) if q.alone));
}

#[test]
fn terminating_accounts_refuse_mail() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "t@example.com", &[]);
    deliver(&store, "t@example.com", b"Subject: a\r\n\r\nx\r\n").unwrap();
    store.set_state("t@example.com", AccountState::Terminating { purge_at: NOW + 100 }).unwrap();
    assert!(matches!(deliver(&store, "t@example.com", b"Subject: b\r\n\r\nx\r\n"), Err(Error::NotActive)));
}

#[test]
fn nothing_readable_reaches_the_engine() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine.clone(), master(), config()).unwrap();
    create(&store, "canary-login-8d1f@example.com", &["canary-alias-8d1f@example.com"]);
    deliver(
        &store,
        "canary-login-8d1f@example.com",
        b"Subject: canary-subject-8d1f\r\nMessage-ID: <canary-msgid-8d1f@x>\r\n\r\ncanary-body-8d1f\r\n",
    )
    .unwrap();
    let a = store.account(store.account_by_login("canary-login-8d1f@example.com").unwrap().account_id()).unwrap();
    a.create_mailbox("canary-mailbox-8d1f", None, NOW).unwrap();
    let all = dump(&engine);
    for c in ["canary", "8d1f", "INBOX", "Trash", "example.com"] {
        assert!(!contains(&all, c.as_bytes()), "{c} reached the engine in the clear");
    }
}

#[test]
fn a_value_moved_to_another_key_fails_to_open() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine.clone(), master(), config()).unwrap();
    let r = create(&store, "s@example.com", &[]);
    deliver(&store, "s@example.com", b"Subject: one\r\n\r\n1\r\n").unwrap();
    deliver(&store, "s@example.com", b"Subject: two\r\n\r\n2\r\n").unwrap();
    let a = store.account(r.account_id()).unwrap();
    let uids = a.uids(MailboxId::INBOX).unwrap();
    // Swap the two EmailMeta values (tag 0x04) in the engine.
    let db = engine.shard(r.shard).unwrap();
    let ks = a.keyspace().to_owned();
    let k1 = [&[0x04u8][..], &uids[0].1.0.to_be_bytes()].concat();
    let k2 = [&[0x04u8][..], &uids[1].1.0.to_be_bytes()].concat();
    let (v1, v2) = (db.get(&ks, &k1).unwrap().unwrap(), db.get(&ks, &k2).unwrap().unwrap());
    let mut b = Batch::new();
    b.put(&ks, k1, v2).put(&ks, k2, v1);
    db.write(b, true).unwrap();
    assert!(matches!(a.email_meta(uids[0].1), Err(Error::Integrity(_))));
    assert!(matches!(a.email_meta(uids[1].1), Err(Error::Integrity(_))));
}

#[test]
fn a_wrong_master_key_is_refused() {
    let engine = Arc::new(MemoryEngine::default());
    drop(Store::open(engine.clone(), master(), config()).unwrap());
    assert!(matches!(Store::open(engine, master(), config()), Err(Error::WrongMasterKey)));
}

#[test]
fn the_change_log_orders_changes_and_wakes_subscribers() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    let r = create(&store, "c@example.com", &[]);
    let a = store.account(r.account_id()).unwrap();
    let mut rx = a.subscribe();
    let base = a.modseq();
    deliver(&store, "c@example.com", b"Subject: 1\r\n\r\n1\r\n").unwrap();
    assert!(rx.has_changed().unwrap());
    assert_eq!(*rx.borrow_and_update(), base + 1);
    a.create_mailbox("Work", None, NOW).unwrap();
    let changes = a.changes_since(base).unwrap();
    let mut seqs: Vec<u64> = changes.iter().map(|c| c.0).collect();
    seqs.dedup();
    assert_eq!(seqs, vec![base + 1, base + 2], "one modseq per transaction, several entries under it");
    assert_eq!(a.changes_since(base + 2).unwrap(), vec![]);
}

/// Writes left before the disk "fills up"; negative: never.
type Budget = Arc<AtomicI64>;

/// An engine whose writes start failing after a budget of writes: a full disk.
struct FailingDb {
    inner: Arc<dyn Db>,
    fail: Budget,
}

impl Db for FailingDb {
    fn create_keyspace(&self, n: &str) -> tresor_kv::Result<()> {
        self.inner.create_keyspace(n)
    }
    fn drop_keyspace(&self, n: &str) -> tresor_kv::Result<()> {
        self.inner.drop_keyspace(n)
    }
    fn keyspaces(&self) -> Vec<String> {
        self.inner.keyspaces()
    }
    fn get(&self, ks: &str, k: &[u8]) -> tresor_kv::Result<Option<Vec<u8>>> {
        self.inner.get(ks, k)
    }
    fn scan(&self, ks: &str, f: &[u8], t: &[u8], r: bool, v: &mut tresor_kv::Visit<'_>) -> tresor_kv::Result<()> {
        self.inner.scan(ks, f, t, r, v)
    }
    fn write(&self, b: Batch, sync: bool) -> tresor_kv::Result<()> {
        if self.fail.fetch_sub(1, Ordering::SeqCst) == 0 {
            self.fail.store(0, Ordering::SeqCst);
            return Err(tresor_kv::Error::Io("No space left on device".into()));
        }
        self.inner.write(b, sync)
    }
    fn compact(&self, ks: Option<&str>) -> tresor_kv::Result<()> {
        self.inner.compact(ks)
    }
}

struct FailingEngine {
    inner: MemoryEngine,
    fail: Budget,
}

impl Engine for FailingEngine {
    fn main(&self) -> Arc<dyn Db> {
        Arc::new(FailingDb { inner: self.inner.main(), fail: self.fail.clone() })
    }
    fn keyring(&self) -> Arc<dyn Db> {
        Arc::new(FailingDb { inner: self.inner.keyring(), fail: self.fail.clone() })
    }
    fn shard(&self, n: u32) -> tresor_kv::Result<Arc<dyn Db>> {
        Ok(Arc::new(FailingDb { inner: self.inner.shard(n)?, fail: self.fail.clone() }))
    }
    fn shards(&self) -> tresor_kv::Result<Vec<u32>> {
        self.inner.shards()
    }
    fn open_shards(&self) -> usize {
        self.inner.open_shards()
    }
}

#[test]
fn a_failed_write_poisons_the_store() {
    let fail: Budget = Arc::new(AtomicI64::new(-1));
    let store = Store::open(Arc::new(FailingEngine { inner: MemoryEngine::default(), fail: fail.clone() }), master(), config()).unwrap();
    let r = create(&store, "p@example.com", &[]);
    deliver(&store, "p@example.com", b"Subject: 1\r\n\r\n1\r\n").unwrap();
    fail.store(0, Ordering::SeqCst);
    assert!(deliver(&store, "p@example.com", b"Subject: 2\r\n\r\n2\r\n").is_err());
    fail.store(-1, Ordering::SeqCst);
    // The disk "recovered", but nothing is retried or accepted until a restart.
    assert!(matches!(deliver(&store, "p@example.com", b"Subject: 3\r\n\r\n3\r\n"), Err(Error::Poisoned)));
    assert!(store.is_poisoned());
    let a = store.account(r.account_id()).unwrap();
    assert_eq!(a.counters().messages, 1, "the failed write left the counters as they were");
    assert_eq!(a.uids(MailboxId::INBOX).unwrap().len(), 1);
}

#[test]
fn an_interrupted_account_creation_is_rolled_back_on_open() {
    let fail: Budget = Arc::new(AtomicI64::new(-1));
    let engine = Arc::new(FailingEngine { inner: MemoryEngine::default(), fail: fail.clone() });
    let m = MasterKey::generate_file();
    let store = Store::open(engine.clone(), MasterKey::from_file_text(&m).unwrap(), config()).unwrap();
    create(&store, "ok@example.com", &[]);
    let keys_before = engine.inner.keyring().keyspaces().len();
    let count = |db: Arc<dyn Db>, ks: &str| tresor_kv::collect(&*db, ks, &[], &[0xFF; 9]).unwrap().len();
    let keyring_before = count(engine.inner.keyring(), tresor_kv::KEYRING);
    // Journal and key written, then the disk fails while the mailboxes are made.
    fail.store(2, Ordering::SeqCst);
    assert!(store.create_account(NewAccount { login: "half@example.com", password: "pw", aliases: &[], quota: None, now: NOW }).is_err());
    assert_eq!(count(engine.inner.keyring(), tresor_kv::KEYRING), keyring_before + 1, "the key was written");
    drop(store);
    fail.store(-1, Ordering::SeqCst);
    let store = Store::open(engine.clone(), MasterKey::from_file_text(&m).unwrap(), config()).unwrap();
    assert_eq!(count(engine.inner.keyring(), tresor_kv::KEYRING), keyring_before, "its key is gone again");
    assert_eq!(engine.inner.keyring().keyspaces().len(), keys_before);
    assert!(store.find_address("half@example.com").unwrap().is_none());
    assert_eq!(store.list_accounts().unwrap().len(), 1);
    create(&store, "half@example.com", &[]);
}

#[test]
fn concurrent_appends_to_one_account_get_distinct_uids() {
    let store = Arc::new(Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap());
    let r = create(&store, "busy@example.com", &[]);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                for i in 0..25 {
                    deliver(&store, "busy@example.com", format!("Subject: {t}-{i}\r\n\r\nx\r\n").as_bytes()).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let a = store.account(r.account_id()).unwrap();
    let uids = a.uids(MailboxId::INBOX).unwrap();
    assert_eq!(uids.len(), 100, "every message is reachable by a UID of its own");
    assert_eq!(uids.last().unwrap().0, 100);
    assert_eq!(a.counters().messages, 100);
}

fn account_of(store: &Store, login: &str) -> Arc<tresor_store::Account> {
    store.account(store.account_by_login(login).unwrap().account_id()).unwrap()
}

#[test]
fn keywords_change_with_modseq_and_respect_unchanged_since() {
    use tresor_store::mail::KeywordOp;
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "k@example.com", &[]);
    deliver(&store, "k@example.com", b"Subject: 1\r\n\r\n1\r\n").unwrap();
    deliver(&store, "k@example.com", b"Subject: 2\r\n\r\n2\r\n").unwrap();
    let a = account_of(&store, "k@example.com");
    let ids: Vec<_> = a.uids(MailboxId::INBOX).unwrap().into_iter().map(|(_, e)| e).collect();
    let before = a.modseq();
    let r = a.set_keywords(&ids, KeywordOp::Add, &["$Seen".into(), "$flagged".into()], None).unwrap();
    assert_eq!(r.updated.len(), 2);
    assert_eq!(r.updated[0].1.keywords, ["$flagged", "$seen"]);
    assert_eq!(a.modseq(), before + 1, "one transaction, one modseq");
    assert_eq!(a.mailbox(MailboxId::INBOX).unwrap().unwrap().highest_modseq, before + 1);
    // Nothing to change: no new modseq.
    let r = a.set_keywords(&ids, KeywordOp::Add, &["$seen".into()], None).unwrap();
    assert!(r.updated.is_empty());
    assert_eq!(a.modseq(), before + 1);
    // UNCHANGEDSINCE older than the message's modseq: a conflict, left alone.
    let r = a.set_keywords(&ids[..1], KeywordOp::Remove, &["$seen".into()], Some(before)).unwrap();
    assert_eq!(r.conflicts, vec![ids[0]]);
    let r = a.set_keywords(&ids[..1], KeywordOp::Replace, &["work".into()], Some(before + 1)).unwrap();
    assert_eq!(r.updated[0].1.keywords, ["work"]);
}

#[test]
fn copy_move_and_expunge_keep_counts_uids_and_the_change_log_right() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "m@example.com", &[]);
    for i in 0..3 {
        deliver(&store, "m@example.com", format!("Subject: {i}\r\nMessage-ID: <{i}@x>\r\n\r\n{i}\r\n").as_bytes()).unwrap();
    }
    let a = account_of(&store, "m@example.com");
    let archive = a.mailbox_by_role(Role::Archive).unwrap().unwrap().id;
    let trash = a.mailbox_by_role(Role::Trash).unwrap().unwrap().id;
    let bytes = a.counters().bytes;

    let before = a.modseq();
    assert_eq!(a.copy(MailboxId::INBOX, &[1, 2], archive).unwrap(), vec![(1, 1), (2, 2)]);
    assert_eq!(a.counters().messages, 3, "a copy into another mailbox is the same message");
    assert_eq!(a.counters().bytes, bytes);
    let e1 = a.uids(MailboxId::INBOX).unwrap()[0].1;
    assert_eq!(a.email_state(e1).unwrap().unwrap().mailboxes, vec![(MailboxId::INBOX, 1), (archive, 1)]);
    // Copy into a mailbox that already holds it: a separate message.
    assert_eq!(a.copy(archive, &[1], archive).unwrap(), vec![(1, 3)]);
    assert_eq!(a.counters().messages, 4);

    assert_eq!(a.move_messages(MailboxId::INBOX, &[3, 99], trash).unwrap(), vec![(3, 1)], "unknown UIDs are skipped");
    assert_eq!(a.uids(MailboxId::INBOX).unwrap().iter().map(|u| u.0).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(a.uids(trash).unwrap().len(), 1);

    // Expunging the last membership destroys the message and frees its bytes.
    let trash_email = a.uids(trash).unwrap()[0].1;
    let size = a.email_meta(trash_email).unwrap().unwrap().size;
    let total = a.counters().bytes;
    assert_eq!(a.expunge(trash, &[1]).unwrap(), vec![1]);
    assert!(a.email_meta(trash_email).unwrap().is_none());
    assert!(a.read_message(trash_email).is_err());
    assert_eq!(a.counters().bytes, total - size);
    // Expunging one of two memberships keeps the message.
    assert_eq!(a.expunge(MailboxId::INBOX, &[1]).unwrap(), vec![1]);
    assert_eq!(a.email_state(e1).unwrap().unwrap().mailboxes, vec![(archive, 1)]);

    let kinds: Vec<String> =
        a.changes_since(before).unwrap().iter().map(|(_, c)| format!("{c:?}").split(' ').next().unwrap().to_owned()).collect();
    // A new or destroyed message also logs its thread (for JMAP Thread/changes).
    assert_eq!(kinds, ["Added", "Added", "Created", "Thread", "Added", "Added", "Removed", "Removed", "Destroyed", "Thread", "Removed"]);
}

#[test]
fn a_message_appended_in_several_mailboxes_is_in_all_or_none() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "several@example.com", &[]);
    let a = account_of(&store, "several@example.com");
    let archive = a.mailbox_by_role(Role::Archive).unwrap().unwrap().id;
    let drafts = a.mailbox_by_role(Role::Drafts).unwrap().unwrap().id;
    let raw = b"Subject: both\r\n\r\nhi\r\n";
    let summary = tresor_message::parse(raw);
    let new = |mailbox| NewMessage { raw, summary: &summary, mailbox, keywords: vec!["$seen".into()], received_at: NOW };

    let before = a.modseq();
    let appended = a.append_in(new(drafts), &[archive, drafts]).unwrap();
    let state = a.email_state(appended.email).unwrap().unwrap();
    assert_eq!(state.mailboxes, vec![(drafts, 1), (archive, 1)], "a mailbox named twice holds it once");
    assert_eq!(a.modseq(), before + 1, "one transaction");
    assert_eq!((a.counters().messages, a.uids(archive).unwrap().len()), (1, 1));
    let kinds: Vec<String> =
        a.changes_since(before).unwrap().iter().map(|(_, c)| format!("{c:?}").split(' ').next().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["Created", "Thread", "Added", "Added"]);

    // One mailbox missing: nothing is stored anywhere.
    let gone = MailboxId(drafts.0 + 1000);
    assert!(matches!(a.append_in(new(drafts), &[archive, gone]), Err(Error::NoMailbox)));
    assert_eq!((a.counters().messages, a.uids(drafts).unwrap().len(), a.uids(archive).unwrap().len()), (1, 1, 1));
}

#[test]
fn mailboxes_rename_with_children_and_delete() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "r@example.com", &[]);
    let a = account_of(&store, "r@example.com");
    a.create_mailbox("Work", None, NOW).unwrap();
    let child = a.create_mailbox("Work/2026", None, NOW).unwrap();
    assert!(matches!(a.create_mailbox("Work", None, NOW), Err(Error::MailboxExists)));
    a.rename_mailbox("Work", "Job", NOW).unwrap();
    assert!(a.mailbox_by_name("Work").unwrap().is_none());
    assert_eq!(a.mailbox_by_name("Job/2026").unwrap().unwrap().id, child.id);
    assert!(a.delete_mailbox("Job").is_err(), "has children");
    a.delete_mailbox("Job/2026").unwrap();
    a.delete_mailbox("Job").unwrap();
    assert!(a.delete_mailbox("INBOX").is_err());

    deliver(&store, "r@example.com", b"Subject: x\r\n\r\nx\r\n").unwrap();
    a.rename_mailbox("inbox", "Old Inbox", NOW).unwrap();
    assert!(a.uids(MailboxId::INBOX).unwrap().is_empty(), "renaming INBOX moves its mail out");
    assert_eq!(a.uids(a.mailbox_by_name("Old Inbox").unwrap().unwrap().id).unwrap().len(), 1);
}

#[test]
fn a_mailbox_set_is_judged_by_the_state_it_leaves_and_written_at_once() {
    use tresor_store::mail::{MailboxPatch, MailboxRef, MailboxSet, NewMailbox, Place, Refused, Role};
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "set@example.com", &[]);
    let a = account_of(&store, "set@example.com");
    let by_role = |r| a.mailbox_by_role(r).unwrap().unwrap();
    let (trash, junk) = (by_role(Role::Trash), by_role(Role::Junk));
    let kid = a.create_mailbox("Trash/Kid", None, NOW).unwrap();
    let moved = |id, to: &str, role| {
        (MailboxRef::Existing(id), MailboxPatch { place: Some(Place::Under(None, to.into())), role, ..MailboxPatch::default() })
    };
    let head = a.modseq();

    // Names and roles swap in one transaction, children follow their parent.
    let set = MailboxSet {
        update: vec![moved(trash.id, "Junk", Some(Some(Role::Junk))), moved(junk.id, "Trash", Some(Some(Role::Trash)))],
        ..MailboxSet::default()
    };
    let out = a.apply_mailbox_set(&set).unwrap();
    assert!(out.updated.iter().all(Result::is_ok), "{out:?}");
    assert_eq!(a.modseq(), head + 1, "one transaction");
    assert_eq!((by_role(Role::Junk).id, by_role(Role::Trash).id), (trash.id, junk.id));
    assert_eq!(a.mailbox_by_name("Junk/Kid").unwrap().unwrap().id, kid.id);
    assert!(a.mailbox_by_name("Trash/Kid").unwrap().is_none());

    // Half a swap refused: the other half does not happen either, nothing is written.
    let head = a.modseq();
    let set = MailboxSet {
        update: vec![moved(trash.id, "Trash", Some(Some(Role::Trash))), moved(junk.id, "Junk", None)],
        ..MailboxSet::default()
    };
    let out = a.apply_mailbox_set(&set).unwrap();
    // Trash would take the trash role Junk keeps; refused, it keeps the name Junk wants.
    assert_eq!(out.updated[0].as_ref().unwrap_err(), &Refused::RoleTaken, "{out:?}");
    assert_eq!(out.updated[1].as_ref().unwrap_err(), &Refused::NameTaken, "{out:?}");
    assert_eq!(a.modseq(), head);
    assert_eq!((by_role(Role::Junk).name, by_role(Role::Trash).name), ("Junk".to_owned(), "Trash".to_owned()));

    // Two changes want one name: the earlier gets it. A cycle: the later goes.
    let set = MailboxSet {
        create: vec![NewMailbox::new(Place::Full("Same".into()), None, NOW), NewMailbox::new(Place::Full("Same".into()), None, NOW)],
        ..MailboxSet::default()
    };
    let out = a.apply_mailbox_set(&set).unwrap();
    assert!(out.created[0].is_ok() && out.created[1] == Err(Refused::NameTaken), "{out:?}");
    let (x, y) = (a.create_mailbox("X", None, NOW).unwrap(), a.create_mailbox("Y", None, NOW).unwrap());
    let under = |id, parent| {
        (
            MailboxRef::Existing(id),
            MailboxPatch { place: Some(Place::Under(Some(MailboxRef::Existing(parent)), "in".into())), ..Default::default() },
        )
    };
    let out = a.apply_mailbox_set(&MailboxSet { update: vec![under(x.id, y.id), under(y.id, x.id)], ..MailboxSet::default() }).unwrap();
    assert!(out.updated[0].is_ok() && out.updated[1] == Err(Refused::Parent), "{out:?}");
    assert_eq!(a.mailbox(x.id).unwrap().unwrap().name, "Y/in");

    // A chain destroyed parent first, in one set; a create under a destroyed parent is refused.
    let mut chain = vec![a.create_mailbox("C", None, NOW).unwrap()];
    for i in 1..40 {
        let name = format!("{}/{i}", chain[i - 1].name);
        chain.push(a.create_mailbox(&name, None, NOW).unwrap());
    }
    let set = MailboxSet {
        create: vec![NewMailbox::new(Place::Under(Some(MailboxRef::Existing(chain[3].id)), "late".into()), None, NOW)],
        destroy: chain.iter().map(|m| m.id).collect(),
        remove_emails: true,
        ..MailboxSet::default()
    };
    let out = a.apply_mailbox_set(&set).unwrap();
    // The create came first (RFC 8620 order): chain[3] keeps a child and stays, with its ancestors.
    assert!(out.created[0].is_ok(), "{out:?}");
    let kept: Vec<bool> = out.destroyed.iter().map(Result::is_err).collect();
    assert_eq!(kept, (0..40).map(|i| i <= 3).collect::<Vec<_>>(), "{out:?}");
    let out = a
        .apply_mailbox_set(&MailboxSet {
            destroy: vec![chain[0].id, chain[1].id, chain[2].id, chain[3].id, out.created[0].as_ref().unwrap().id],
            ..MailboxSet::default()
        })
        .unwrap();
    assert!(out.destroyed.iter().all(Result::is_ok), "{out:?}");
    assert!(a.mailboxes().unwrap().iter().all(|m| !m.name.starts_with('C')));
    // Roles are kept when asked; INBOX is never destroyed.
    let set = MailboxSet { destroy: vec![trash.id, MailboxId::INBOX], keep_roles: true, ..MailboxSet::default() };
    let out = a.apply_mailbox_set(&set).unwrap();
    assert_eq!(out.destroyed, vec![Err(Refused::HasChild), Err(Refused::InboxDestroy)]);
}

#[test]
fn terminate_schedules_and_purge_leaves_nothing() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine.clone(), master(), config()).unwrap();
    let gone = create(&store, "gone-8d2e@example.com", &["alias-8d2e@example.com"]);
    let stays = create(&store, "stays@example.com", &[]);
    deliver(&store, "gone-8d2e@example.com", b"Subject: secret-8d2e\r\n\r\nbody-8d2e\r\n").unwrap();
    deliver(&store, "stays@example.com", b"Subject: kept\r\n\r\nkept\r\n").unwrap();
    let keyspace = gone.account_id().keyspace();

    store.terminate("gone-8d2e@example.com", NOW + 100, NOW).unwrap();
    assert!(store.due_purges(NOW + 99).unwrap().is_empty());
    assert_eq!(store.due_purges(NOW + 100).unwrap(), vec![gone.account_id()]);
    assert!(matches!(deliver(&store, "gone-8d2e@example.com", b"x"), Err(Error::NotActive)));
    let held = store.account(gone.account_id()).unwrap();

    let report = store.purge(gone.account_id(), NOW + 100).unwrap();
    assert_eq!((report.messages, report.mailboxes), (1, 6));
    assert_eq!(report.account_hash.len(), 64);
    assert!(store.find_address("gone-8d2e@example.com").unwrap().is_none());
    assert!(store.find_address("alias-8d2e@example.com").unwrap().is_none());
    assert!(matches!(store.account(gone.account_id()), Err(Error::NoAccount)));
    assert!(store.due_purges(NOW + 1000).unwrap().is_empty());
    assert!(matches!(held.create_mailbox("late", None, NOW), Err(Error::NoAccount)), "a handle held across the purge writes nothing");
    assert!(!engine.shard(gone.shard).unwrap().keyspaces().contains(&keyspace));
    let all = dump(&engine);
    for c in ["8d2e", "gone", "example.com"] {
        assert!(!contains(&all, c.as_bytes()), "{c} left behind");
    }
    assert!(!store.is_poisoned());
    // The other account is untouched.
    assert_eq!(account_of(&store, "stays@example.com").counters().messages, 1);
    let purged = tresor_store::audit::events(&store)
        .unwrap()
        .into_iter()
        .filter(|(_, e)| matches!(e, tresor_store::audit::Event::AccountPurged { .. }))
        .count();
    assert_eq!(purged, 1);
    let _ = stays;
}

#[test]
fn a_purge_interrupted_at_any_step_is_finished_on_resume() {
    // The purge makes 1 journal write, then per step one or two writes; fail
    // after each budget in turn and let a fresh store finish the job.
    for budget in 0..8 {
        let fail: Budget = Arc::new(AtomicI64::new(-1));
        let engine = Arc::new(FailingEngine { inner: MemoryEngine::default(), fail: fail.clone() });
        let m = MasterKey::generate_file();
        let store = Store::open(engine.clone(), MasterKey::from_file_text(&m).unwrap(), config()).unwrap();
        let r = create(&store, "p@example.com", &[]);
        create(&store, "other@example.com", &[]);
        deliver(&store, "p@example.com", b"Subject: x\r\n\r\nx\r\n").unwrap();
        fail.store(budget, Ordering::SeqCst);
        let first = store.purge(r.account_id(), NOW);
        drop(store);
        fail.store(-1, Ordering::SeqCst);
        let store = Store::open(engine.clone(), MasterKey::from_file_text(&m).unwrap(), config()).unwrap();
        let resumed = store.resume_purges(NOW).unwrap();
        if first.is_ok() {
            assert!(resumed.is_empty(), "budget {budget}: nothing left to resume");
        } else if resumed.is_empty() {
            // Failed before the journal was written: nothing happened; purge again.
            store.purge(r.account_id(), NOW).unwrap();
        }
        assert!(store.find_address("p@example.com").unwrap().is_none(), "budget {budget}");
        assert_eq!(
            tresor_kv::collect(&*engine.inner.keyring(), tresor_kv::KEYRING, b"K", b"L").unwrap().len(),
            1,
            "budget {budget}: only the other key"
        );
        assert_eq!(store.list_accounts().unwrap().len(), 1, "budget {budget}");
        assert!(!engine.inner.shard(r.shard).unwrap().keyspaces().contains(&r.account_id().keyspace()));
    }
}

#[test]
fn retention_sweeps_by_arrival_time_with_mailbox_overrides() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "ret@example.com", &[]);
    let a = account_of(&store, "ret@example.com");
    let day = 86_400;
    let put = |mailbox: MailboxId, age_days: i64, subject: &str| {
        let raw = format!("Subject: {subject}\r\n\r\nx\r\n").into_bytes();
        let summary = tresor_message::parse(&raw);
        a.append(NewMessage { raw: &raw, summary: &summary, mailbox, keywords: vec![], received_at: NOW - age_days * day }).unwrap();
    };
    let trash = a.mailbox_by_role(Role::Trash).unwrap().unwrap();
    let archive = a.mailbox_by_role(Role::Archive).unwrap().unwrap();
    assert_eq!(trash.retention_days, Some(30), "Trash keeps 30 days by default");
    put(MailboxId::INBOX, 1, "new");
    put(MailboxId::INBOX, 10, "old");
    put(trash.id, 29, "recent trash");
    put(trash.id, 31, "old trash");
    put(archive.id, 4000, "ancient archive");

    // Nothing account-wide yet: only Trash's own 30 days apply.
    let r = a.sweep(NOW).unwrap();
    assert_eq!((r.expunged, r.mailboxes.clone()), (1, vec![("Trash".to_string(), 1)]));

    a.set_account_retention(Some(7)).unwrap();
    a.update_mailbox(archive.id, tresor_store::mail::MailboxPatch { retention_days: Some(Some(0)), ..Default::default() }).unwrap();
    let before = a.modseq();
    let r = a.sweep(NOW).unwrap();
    assert_eq!(r.expunged, 1, "INBOX inherits 7 days; Archive is kept forever; Trash keeps its 30: {r:?}");
    assert_eq!(a.uids(MailboxId::INBOX).unwrap().len(), 1);
    assert_eq!(a.uids(archive.id).unwrap().len(), 1);
    assert_eq!(a.uids(trash.id).unwrap().len(), 1);
    assert_eq!(a.counters().messages, 3);
    assert!(
        a.changes_since(before).unwrap().iter().any(|(_, c)| matches!(c, tresor_store::changes::Change::Removed { .. })),
        "sessions are told through the change log"
    );
    assert_eq!(a.sweep(NOW).unwrap().expunged, 0, "idempotent");
}

#[test]
fn the_audit_log_is_pruned_by_age() {
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "a@example.com", &[]);
    store.terminate("a@example.com", NOW + 10, NOW + 5).unwrap();
    assert_eq!(tresor_store::audit::events(&store).unwrap().len(), 2);
    tresor_store::audit::prune(&store, NOW + 1).unwrap();
    let left = tresor_store::audit::events(&store).unwrap();
    assert_eq!(left.len(), 1, "only the newer event is kept");
    assert_eq!(left[0].0, NOW + 5);
}

#[test]
fn metadata_entries_and_the_retention_entry() {
    use tresor_store::mail::metadata::RETENTION_ENTRY;
    let store = Store::open(Arc::new(MemoryEngine::default()), master(), config()).unwrap();
    create(&store, "md@example.com", &[]);
    let a = account_of(&store, "md@example.com");
    let trash = a.mailbox_by_role(Role::Trash).unwrap().unwrap().id;
    a.set_metadata(Some(MailboxId::INBOX), "/private/comment", Some(b"my inbox")).unwrap();
    a.set_metadata(None, "/private/vendor/x/theme", Some(b"dark")).unwrap();
    assert_eq!(
        a.metadata(Some(MailboxId::INBOX), "/private/Comment").unwrap().as_deref(),
        Some(&b"my inbox"[..]),
        "names are case-insensitive"
    );
    assert_eq!(a.metadata(Some(trash), "/private/comment").unwrap(), None);
    assert!(a.set_metadata(None, "nonsense", Some(b"x")).is_err());
    assert!(a.set_metadata(None, "/private/a*b", Some(b"x")).is_err());

    // The retention entry is the retention setting itself.
    assert_eq!(a.metadata(Some(trash), RETENTION_ENTRY).unwrap().as_deref(), Some(&b"30"[..]));
    a.set_metadata(Some(trash), RETENTION_ENTRY, Some(b"7")).unwrap();
    assert_eq!(a.mailbox(trash).unwrap().unwrap().retention_days, Some(7));
    a.set_metadata(None, RETENTION_ENTRY, Some(b"365")).unwrap();
    assert_eq!(a.settings().unwrap().retention_days, Some(365));
    assert!(a.set_metadata(None, RETENTION_ENTRY, Some(b"a week")).is_err());
    let entries = a.metadata_entries(None).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.0.as_str()).collect::<Vec<_>>(),
        ["/private/vendor/tresor/retention-days", "/private/vendor/x/theme"]
    );
    a.set_metadata(Some(MailboxId::INBOX), "/private/comment", None).unwrap();
    assert_eq!(a.metadata(Some(MailboxId::INBOX), "/private/comment").unwrap(), None);
}

#[test]
fn idle_account_handles_are_evicted_and_their_keys_dropped() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine, master(), config()).unwrap();
    create(&store, "i1@example.com", &[]);
    create(&store, "i2@example.com", &[]);
    let held = account_of(&store, "i1@example.com");
    drop(account_of(&store, "i2@example.com"));
    assert_eq!(store.evict_idle(std::time::Duration::from_secs(3600)), 0, "recently used handles stay");
    assert_eq!(store.evict_idle(std::time::Duration::ZERO), 1, "only the handle nobody holds goes");
    // An evicted account unlocks again on demand.
    assert_eq!(account_of(&store, "i2@example.com").counters().messages, 0);
    drop(held);
}

#[test]
fn api_tokens_open_their_account_until_revoked_or_purged() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine.clone(), master(), config()).unwrap();
    let r = create(&store, "tok@example.com", &[]);
    let (token, info) = store.create_token("tok@example.com", "phone", NOW).unwrap();
    assert!(token.starts_with("tresor_") && token.len() > 60);
    assert_eq!(store.authenticate_token(&token).unwrap().map(|r| r.id), Some(r.id));
    assert!(store.authenticate_token("tresor_00").unwrap().is_none());
    assert!(store.authenticate_token("nonsense").unwrap().is_none());
    assert_eq!(store.list_tokens("tok@example.com").unwrap(), vec![info.clone()]);
    assert!(!contains(&dump(&engine), token.as_bytes()), "the token itself is never stored");
    store.revoke_token("tok@example.com", &info.id).unwrap();
    assert!(store.authenticate_token(&token).unwrap().is_none());
    let (token, _) = store.create_token("tok@example.com", "laptop", NOW).unwrap();
    store.purge(r.account_id(), NOW).unwrap();
    assert!(store.authenticate_token(&token).unwrap().is_none(), "a purge takes the tokens too");
    assert_eq!(tresor_kv::collect(&*engine.main(), tresor_kv::DIRECTORY, b"T", b"U").unwrap().len(), 0);
}

#[test]
fn new_accounts_get_the_configured_mailboxes_and_one_mailbox_per_role() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine, master(), StoreConfig { default_mailboxes: vec![], ..config() }).unwrap();
    let a = store.account(create(&store, "bare@example.com", &[]).account_id()).unwrap();
    let names: Vec<_> = a.mailboxes().unwrap().into_iter().map(|m| (m.name, m.role)).collect();
    assert_eq!(names, vec![("INBOX".to_owned(), Some(Role::Inbox))], "INBOX alone");
    // Clients create the role mailboxes they need, one per role.
    let sent = a.create_mailbox("Sent Items", Some(Role::Sent), NOW).unwrap();
    assert!(matches!(a.create_mailbox("Sent 2", Some(Role::Sent), NOW), Err(Error::RoleTaken)));
    assert!(matches!(a.create_mailbox("Inbox 2", Some(Role::Inbox), NOW), Err(Error::Invalid { what: "role", .. })));
    let patch = |role| tresor_store::mail::MailboxPatch { role: Some(role), ..Default::default() };
    assert!(matches!(a.update_mailbox(MailboxId::INBOX, patch(None)), Err(Error::Invalid { what: "role", .. })), "INBOX keeps its role");
    a.update_mailbox(sent.id, patch(None)).unwrap();
    a.update_mailbox(sent.id, patch(Some(Role::Sent))).unwrap();
    assert_eq!(a.mailbox_by_role(Role::Sent).unwrap().unwrap().id, sent.id);

    let store =
        Store::open(Arc::new(MemoryEngine::default()), master(), StoreConfig { default_mailboxes: vec![Role::Trash], ..config() }).unwrap();
    let a = store.account(create(&store, "trash@example.com", &[]).account_id()).unwrap();
    let roles: Vec<_> = a.mailboxes().unwrap().into_iter().map(|m| m.role).collect();
    assert_eq!(roles, vec![Some(Role::Inbox), Some(Role::Trash)]);
}

#[test]
fn ids_of_two_accounts_do_not_meet() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine, master(), config()).unwrap();
    let raw = b"Subject: same\r\nMessage-ID: <same@x>\r\n\r\nsame\r\n";
    let mut seen = Vec::new();
    for login in ["one@example.com", "two@example.com", "three@example.com"] {
        let id = create(&store, login, &[]).account_id();
        let appended = deliver(&store, login, raw).unwrap();
        let a = store.account(id).unwrap();
        let meta = a.email_meta(appended.email).unwrap().unwrap();
        let drafts = a.mailbox_by_role(Role::Drafts).unwrap().unwrap().id;
        seen.push((appended.email, meta.thread, meta.blob, drafts));
        assert_eq!(a.mailbox_by_name("INBOX").unwrap().unwrap().id, MailboxId::INBOX, "INBOX is always the same");
    }
    for (i, x) in seen.iter().enumerate() {
        for y in &seen[i + 1..] {
            assert!(x.0 != y.0 && x.1 != y.1 && x.2 != y.2 && x.3 != y.3, "{x:?} vs {y:?}");
        }
    }
}

#[test]
fn uploads_leave_a_day_after_upload_or_an_hour_after_use() {
    let engine = Arc::new(MemoryEngine::default());
    let store = Store::open(engine, master(), config()).unwrap();
    let a = store.account(create(&store, "up@example.com", &[]).account_id()).unwrap();
    let unused = a.put_upload(b"never used", NOW).unwrap();
    let used = a.put_upload(b"imported", NOW).unwrap();
    a.upload_used(used, NOW + 600).unwrap();
    assert_eq!(a.expire_uploads(NOW + 600 + 3_599).unwrap(), 0, "kept an hour after use");
    assert_eq!(a.expire_uploads(NOW + 600 + 3_601).unwrap(), 1);
    assert_eq!(a.read_upload(used).unwrap(), None);
    assert_eq!(a.read_upload(unused).unwrap().as_deref(), Some(&b"never used"[..]));
    a.upload_used(unused, NOW + 86_000).unwrap();
    assert_eq!(a.expire_uploads(NOW + 86_401).unwrap(), 1, "a use late in the day does not extend it");
    assert_eq!(a.read_upload(unused).unwrap(), None);
}
