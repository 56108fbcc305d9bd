//! LIST (RFC 9051, LIST-EXTENDED, LIST-STATUS, SPECIAL-USE, CHILDREN) and LSUB.

use super::{Imap, server_with};

#[test]
fn list_shows_special_use_children_and_status() {
    let (_s, server) = server_with("list@example.com", &[&super::message(1)]);
    let mut c = Imap::login(server.imap, "list@example.com");
    c.script(
        r#"
        C: a LIST "" ""
        S: * LIST (\Noselect) "/" ""
        S: a OK *
        C: b CREATE Projects/Alpha
        S: b OK *
        C: c LIST "" *
        S: * LIST (\HasNoChildren) "/" INBOX
        S: * LIST (\HasNoChildren \Drafts) "/" Drafts
        S: * LIST (\HasNoChildren \Sent) "/" Sent
        S: * LIST (\HasNoChildren \Junk) "/" Junk
        S: * LIST (\HasNoChildren \Trash) "/" Trash
        S: * LIST (\HasNoChildren \Archive) "/" Archive
        S: * LIST (\HasChildren) "/" Projects
        S: * LIST (\HasNoChildren) "/" Projects/Alpha
        S: c OK *
        C: d LIST "" %
        !S: * LIST * Projects/Alpha
        S: d OK *
        C: e LIST "Projects" %
        S: * LIST (\HasNoChildren) "/" Projects/Alpha
        S: e OK *
        C: f LIST (SPECIAL-USE) "" *
        S: * LIST (* \Sent) "/" Sent
        !S: * LIST * Projects
        S: f OK *
        C: g LIST "" (INBOX Sent) RETURN (STATUS (MESSAGES UNSEEN) SUBSCRIBED)
        S: * LIST (\HasNoChildren \Subscribed) "/" INBOX
        S: * STATUS INBOX (MESSAGES 1 UNSEEN 1)
        S: * LIST (\HasNoChildren \Subscribed \Sent) "/" Sent
        S: * STATUS Sent (MESSAGES 0 UNSEEN 0)
        S: g OK *
        C: h0 SUBSCRIBE Projects/Alpha
        S: h0 OK *
        C: h UNSUBSCRIBE Projects
        S: h OK *
        C: i LIST (SUBSCRIBED RECURSIVEMATCH) "" Proj%
        S: * LIST (\HasChildren) "/" Projects ("CHILDINFO" ("SUBSCRIBED"))
        S: i OK *
        C: i2 LIST (SUBSCRIBED RECURSIVEMATCH) "" Proj*
        !S: * LIST * Projects ("CHILDINFO"*
        S: * LIST (\HasNoChildren \Subscribed) "/" Projects/Alpha
        S: i2 OK *
        C: j LSUB "" *
        S: * LSUB () "/" Projects/Alpha
        !S: * LSUB () "/" Projects
        S: j OK *
        "#,
    );
}

#[test]
fn international_names_travel_as_modified_utf7() {
    let (_s, server) = server_with("intl@example.com", &[]);
    let mut c = Imap::login(server.imap, "intl@example.com");
    c.script(
        r#"
        C: a CREATE "Entw&APw-rfe"
        S: a OK *
        C: b LIST "" "Entw*"
        S: * LIST (\HasNoChildren) "/" Entw&APw-rfe
        S: b OK *
        C: c CREATE "bad&name"
        S: c BAD *
        C: d ENABLE UTF8=ACCEPT
        S: * ENABLED UTF8=ACCEPT
        S: d OK *
        C: e LIST "" "Entw*"
        S: * LIST (\HasNoChildren) "/" *Entwürfe*
        S: e OK *
        "#,
    );
}

#[test]
fn subscriptions_outlive_their_mailboxes() {
    let (_s, server) = server_with("subs@example.com", &[]);
    let mut c = Imap::login(server.imap, "subs@example.com");
    c.script(
        r#"
        C: a CREATE Lists/rust
        S: a OK *
        C: b SUBSCRIBE Lists/rust
        S: b OK *
        C: c SUBSCRIBE Future
        S: c OK *
        C: d DELETE Lists/rust
        S: d OK *
        C: e LIST (SUBSCRIBED) "" *
        S: * LIST (\Subscribed \NonExistent) "/" Future
        S: * LIST (\Subscribed \NonExistent) "/" Lists/rust
        S: e OK *
        C: f LSUB "" *
        S: * LSUB () "/" Future
        S: f OK *
        C: g CREATE Future
        S: g OK *
        C: h LIST "" Future RETURN (SUBSCRIBED)
        S: * LIST (\HasNoChildren \Subscribed) "/" Future
        S: h OK *
        C: i UNSUBSCRIBE Lists/rust
        S: i OK *
        C: j LIST (SUBSCRIBED) "" Lists*
        !S: * LIST * Lists/rust
        S: j OK *
        "#,
    );
}
