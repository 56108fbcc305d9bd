//! CREATE (with CREATE-SPECIAL-USE), DELETE and RENAME (INBOX too).

use super::{Imap, message, server_with};

#[test]
fn create_delete_rename() {
    let (_s, server) = server_with("cdr@example.com", &[&message(1), &message(2)]);
    let mut c = Imap::login(server.imap, "cdr@example.com");
    c.script(
        r#"
        C: a CREATE Work
        S: a OK *
        C: b CREATE Work
        S: b NO [ALREADYEXISTS] *
        C: c CREATE INBOX
        S: c NO *
        C: d CREATE Work/2024/Q1
        S: d OK *
        C: e LIST "" Work*
        S: * LIST (\HasChildren) "/" Work
        S: * LIST (\HasChildren) "/" Work/2024
        S: * LIST (\HasNoChildren) "/" Work/2024/Q1
        S: e OK *
        C: f DELETE Work
        S: f NO *
        C: g RENAME Work Jobs
        S: g OK *
        C: h LIST "" *
        S: * LIST (\HasNoChildren) "/" Jobs/2024/Q1
        !S: * LIST * Work*
        S: h OK *
        C: i DELETE Jobs/2024/Q1
        S: i OK *
        C: j DELETE Nope
        S: j NO [NONEXISTENT] *
        C: k DELETE INBOX
        S: k NO *
        C: l RENAME INBOX Old
        S: l OK *
        C: m STATUS Old (MESSAGES)
        S: * STATUS Old (MESSAGES 2)
        S: m OK *
        C: n STATUS INBOX (MESSAGES)
        S: * STATUS INBOX (MESSAGES 0)
        S: n OK *
        C: o CREATE Receipts (USE (\Archive))
        S: o NO [USEATTR] *
        C: p DELETE Archive
        S: p OK *
        C: q CREATE Receipts (USE (\Archive))
        S: q OK *
        C: r LIST (SPECIAL-USE) "" *
        S: * LIST (* \Archive) "/" Receipts
        S: r OK *
        "#,
    );
}
