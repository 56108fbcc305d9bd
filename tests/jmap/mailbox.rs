//! Mailbox/get, /set, /changes, /query, /queryChanges.

use super::*;

#[test]
fn mailboxes_are_created_renamed_and_destroyed() {
    let s = Setup::new();
    s.create("t@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "t@example.com");
    let r = c.request(json!([
        ["Mailbox/set", {"create": {"w": {"name": "Work", "isSubscribed": true}, "c": {"name": "Clients", "parentId": "#w"}, "bad": {"name": "a/b"}}}, "s"]
    ]));
    let set = &r["methodResponses"][0][1];
    let work = set["created"]["w"]["id"].as_str().unwrap().to_owned();
    let clients = set["created"]["c"]["id"].as_str().unwrap().to_owned();
    assert_eq!(set["notCreated"]["bad"]["type"], "invalidProperties");

    let r = c.request(json!([
        ["Mailbox/set", {"update": {work.clone(): {"name": "Job"}}, "destroy": [work.clone()]}, "s"],
        ["Mailbox/get", {"ids": [work.clone(), clients.clone()], "properties": ["name", "parentId", "isSubscribed"]}, "g"]
    ]));
    let set = &r["methodResponses"][0][1];
    assert_eq!(set["updated"], json!({ work.clone(): null }));
    assert_eq!(set["notDestroyed"][&work]["type"], "mailboxHasChild");
    let list = &r["methodResponses"][1][1]["list"];
    assert_eq!(list[0]["name"], "Job");
    assert_eq!(list[0]["isSubscribed"], true);
    assert_eq!(list[1]["parentId"], work.as_str(), "children follow a rename");

    let r = c.request(json!([["Mailbox/set", {"destroy": [clients.clone(), work.clone()]}, "s"]]));
    assert_eq!(r["methodResponses"][0][1]["destroyed"], json!([clients, work]));
}

#[test]
fn only_the_final_state_of_a_mailbox_set_must_be_valid() {
    let s = Setup::new();
    s.create("fs@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "fs@example.com");
    let (trash, junk) = (c.mailbox("trash"), c.mailbox("junk"));
    let get = |ids: &[&String]| {
        let list = c.call("Mailbox/get", json!({ "ids": ids, "properties": ["name", "role"] }))["list"].clone();
        list.as_array().unwrap().iter().map(|m| (m["name"].as_str().unwrap().to_owned(), m["role"].clone())).collect::<Vec<_>>()
    };
    let names = |a: &str, b: &str| vec![(a.to_owned(), json!("trash")), (b.to_owned(), json!("junk"))];
    let swapped = |a: &str, b: &str| vec![(a.to_owned(), json!("junk")), (b.to_owned(), json!("trash"))];

    // Two mailboxes swap roles, then names (RFC 8620 5.3's own example).
    let r = c.call("Mailbox/set", json!({ "update": { trash.clone(): { "role": "junk" }, junk.clone(): { "role": "trash" } } }));
    assert_eq!(r["updated"], json!({ trash.clone(): null, junk.clone(): null }), "{r}");
    assert_eq!(get(&[&trash, &junk]), swapped("Trash", "Junk"));
    let r = c.call("Mailbox/set", json!({ "update": { trash.clone(): { "name": "Junk" }, junk.clone(): { "name": "Trash" } } }));
    assert_eq!(r["updated"], json!({ trash.clone(): null, junk.clone(): null }), "{r}");
    assert_eq!(get(&[&trash, &junk]), swapped("Junk", "Trash"));
    // Both at once, and back.
    let r = c.call(
        "Mailbox/set",
        json!({ "update": { trash.clone(): { "name": "Trash", "role": "trash" }, junk.clone(): { "name": "Junk", "role": "junk" } } }),
    );
    assert_eq!(r["updated"], json!({ trash.clone(): null, junk.clone(): null }), "{r}");
    assert_eq!(get(&[&trash, &junk]), names("Trash", "Junk"));

    // A swap whose other half is refused does not happen at all: no
    // mailbox is left with a borrowed name or without its role.
    let before = c.state("Mailbox");
    let r = c.call(
        "Mailbox/set",
        json!({ "update": { trash.clone(): { "name": "Junk", "role": "junk" }, junk.clone(): { "name": "Trash", "role": "trash", "sortOrder": -1 } } }),
    );
    assert_eq!(r["notUpdated"][&junk]["properties"], json!(["sortOrder"]), "{r}");
    assert_eq!(r["notUpdated"][&trash]["type"], "invalidProperties", "{r}");
    assert_eq!(get(&[&trash, &junk]), names("Trash", "Junk"));
    let mut imap = crate::imap::Imap::login(server.imap, "fs@example.com");
    let list = imap.cmd("a LIST \"\" \"*\" RETURN (SPECIAL-USE)").join("\n");
    assert!(list.contains("\\Trash) \"/\" Trash") && list.contains("\\Junk) \"/\" Junk"), "{list}");
    // A rename onto a name in use, with nothing else moving: refused, nothing stepped aside.
    let r = c.call("Mailbox/set", json!({ "update": { trash.clone(): { "name": "Junk" } } }));
    assert_eq!(r["notUpdated"][&trash], json!({ "type": "invalidProperties", "properties": ["name"] }), "{r}");
    // Each half of a role-and-name move refused by the other's keeper: neither
    // mailbox is left renamed or without its role.
    let r = c
        .call("Mailbox/set", json!({ "update": { trash.clone(): { "name": "Junk", "role": "junk" }, junk.clone(): { "role": "trash" } } }));
    assert_eq!(r["notUpdated"][&trash], json!({ "type": "invalidProperties", "properties": ["name"] }), "{r}");
    assert_eq!(r["notUpdated"][&junk], json!({ "type": "invalidProperties", "properties": ["role"] }), "{r}");
    assert_eq!(get(&[&trash, &junk]), names("Trash", "Junk"));
    let changed = c.call("Mailbox/changes", json!({ "sinceState": before }));
    assert_eq!(changed["updated"], json!([]), "refused changes leave no trace: {changed}");

    // Two mailboxes each moved below the other: a cycle, the later move is refused.
    let r = c.call("Mailbox/set", json!({ "create": { "x": { "name": "X" }, "y": { "name": "Y" } } }));
    let (x, y) = (r["created"]["x"]["id"].as_str().unwrap().to_owned(), r["created"]["y"]["id"].as_str().unwrap().to_owned());
    let r = c.call("Mailbox/set", json!({ "update": { x.clone(): { "parentId": y.clone() }, y.clone(): { "parentId": x.clone() } } }));
    assert_eq!((r["updated"].clone(), r["notUpdated"][&y]["properties"].clone()), (json!({ x.clone(): null }), json!(["parentId"])), "{r}");
    // A child renamed while its parent moves lands under the parent's new name.
    let r = c.call("Mailbox/set", json!({ "update": { y.clone(): { "name": "Z" }, x.clone(): { "name": "In" } } }));
    assert_eq!(r["updated"], json!({ x.clone(): null, y.clone(): null }), "{r}");
    let list = imap.cmd("a LIST \"\" \"Z*\"").join("\n");
    assert!(list.contains(" Z/In") || list.contains("\"Z/In\""), "{list}");
    // A deep chain destroyed parent first in one call: all of it goes.
    let mut create = serde_json::Map::new();
    for i in 0..30 {
        let parent = if i == 0 { json!(x) } else { json!(format!("#c{}", i - 1)) };
        create.insert(format!("c{i}"), json!({ "name": format!("L{i}"), "parentId": parent }));
    }
    let r = c.call("Mailbox/set", json!({ "create": create }));
    let chain: Vec<String> = (0..30).map(|i| r["created"][format!("c{i}")]["id"].as_str().unwrap().to_owned()).collect();
    let mut all = vec![y.clone(), x.clone()];
    all.extend(chain);
    let r = c.call("Mailbox/set", json!({ "destroy": all }));
    assert_eq!(r["destroyed"].as_array().map(Vec::len), Some(32), "{r}");

    // A name freed by a destroy or a rename in the same call is free for a
    // creation, and a parent goes with its child whatever the order.
    let r = c.call("Mailbox/set", json!({ "create": { "p": { "name": "Old" }, "k": { "name": "Kid", "parentId": "#p" } } }));
    let (old, kid) = (r["created"]["p"]["id"].as_str().unwrap().to_owned(), r["created"]["k"]["id"].as_str().unwrap().to_owned());
    let r = c.call("Mailbox/set", json!({ "create": { "n": { "name": "Old" } }, "destroy": [old.clone(), kid.clone()] }));
    assert!(r["created"]["n"]["id"].is_string(), "{r}");
    assert_eq!(r["destroyed"], json!([old, kid]), "in the order asked: {r}");
    let r = c.call(
        "Mailbox/set",
        json!({ "create": { "m": { "name": "Old" } }, "update": { r["created"]["n"]["id"].as_str().unwrap(): { "name": "Older" } } }),
    );
    assert!(r["created"]["m"]["id"].is_string() && r["notUpdated"].is_null(), "{r}");
}

#[test]
fn odd_mailbox_sets_are_answered_and_harm_nothing() {
    let s = Setup::new();
    s.create("odd@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "odd@example.com");
    let mut imap = crate::imap::Imap::login(server.imap, "odd@example.com");

    // Updated and destroyed in one call: both, in that order.
    let r = c.call("Mailbox/set", json!({ "create": { "e": { "name": "Ephemeral" } } }));
    let e = r["created"]["e"]["id"].as_str().unwrap().to_owned();
    let r = c.call("Mailbox/set", json!({ "update": { e.clone(): { "sortOrder": 1 } }, "destroy": [e.clone()] }));
    assert_eq!((r["updated"].clone(), r["destroyed"].clone()), (json!({ e.clone(): null }), json!([e])), "{r}");
    // A parentId that is no id at all.
    let r = c.call("Mailbox/set", json!({ "create": { "g": { "name": "G", "parentId": "garbage" } } }));
    assert_eq!(r["notCreated"]["g"], json!({ "type": "invalidProperties", "properties": ["parentId"] }), "{r}");

    // INBOX "renamed" to its own name in another case: nothing below it moves.
    assert!(imap.cmd("a CREATE INBOX/Kids").last().unwrap().starts_with("a OK"));
    let inbox = c.mailbox("inbox");
    let before = c.state("Mailbox");
    let r = c.call("Mailbox/set", json!({ "update": { inbox.clone(): { "name": "Inbox" } } }));
    assert_eq!(r["updated"], json!({ inbox.clone(): null }), "{r}");
    let list = imap.cmd("a LIST \"\" \"INBOX/*\"").join("\n");
    assert!(list.contains("INBOX/Kids"), "{list}");
    let changed = c.call("Mailbox/changes", json!({ "sinceState": before }));
    assert_eq!(changed["updated"], json!([]), "{changed}");

    // A subscribed name destroyed and created again in one call stays subscribed.
    let r = c.call("Mailbox/set", json!({ "create": { "s": { "name": "Sub", "isSubscribed": true } } }));
    let sub = r["created"]["s"]["id"].as_str().unwrap().to_owned();
    let r = c.call("Mailbox/set", json!({ "destroy": [sub], "create": { "again": { "name": "Sub" } } }));
    let again = r["created"]["again"]["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    let got = c.call("Mailbox/get", json!({ "ids": [again], "properties": ["isSubscribed"] }));
    assert_eq!(got["list"][0]["isSubscribed"], true, "{got}");

    // 500 creates chained below one that is refused: all refused.
    let mut create = serde_json::Map::new();
    create.insert("c0".into(), json!({ "name": "Trash" }));
    for i in 1..500 {
        create.insert(format!("c{i}"), json!({ "name": format!("L{i}"), "parentId": format!("#c{}", i - 1) }));
    }
    let r = c.call("Mailbox/set", json!({ "create": create }));
    assert_eq!(r["notCreated"].as_object().map(|m| m.len()), Some(500), "{r}");
    assert_eq!(r["notCreated"]["c0"]["properties"], json!(["name"]));
    assert_eq!(r["notCreated"]["c1"]["properties"], json!(["parentId"]));
    assert_eq!(r["notCreated"]["c499"]["properties"], json!(["name"]), "deeper than a name may be");

    // An IMAP name deeper than the store keeps: refused, no level of it made.
    let deep = vec!["d"; 100].join("/");
    let reply = imap.cmd(&format!("a CREATE {deep}"));
    assert!(reply.last().unwrap().starts_with("a NO [CANNOT]"), "{reply:?}");
    assert!(imap.cmd("a LIST \"\" \"d*\"").len() == 1, "nothing of it was made");
    // Within the bounds, the missing levels come with it.
    assert!(imap.cmd("a CREATE x/y/z").last().unwrap().starts_with("a OK"));
    assert_eq!(imap.cmd("a LIST \"\" \"x*\"").len(), 4, "x, x/y, x/y/z");
}

#[test]
fn mailbox_query_filters_sorts_as_a_tree_and_reports_changes() {
    let s = Setup::new();
    s.create("t@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "t@example.com");
    let r = c.request(json!([
        ["Mailbox/set", { "create": { "p": { "name": "Projects", "parentId": null }, "a": { "name": "Alpha", "parentId": "#p" }, "z": { "name": "Zeta", "parentId": "#p", "sortOrder": 1 } } }, "s"],
        ["Mailbox/query", { "filter": { "parentId": "#p" }, "sort": [{ "property": "name", "isAscending": false }] }, "q"],
        ["Mailbox/query", { "sortAsTree": true, "filter": { "hasAnyRole": false }, "sort": [{ "property": "name" }] }, "t"],
    ]));
    let created = &r["methodResponses"][0][1]["created"];
    let (p, a, z) = (created["p"]["id"].clone(), created["a"]["id"].clone(), created["z"]["id"].clone());
    assert_eq!(r["methodResponses"][1][1]["ids"], json!([z, a]), "children of #p, by name descending");
    assert_eq!(r["methodResponses"][2][1]["ids"], json!([p, a, z]), "a parent before its children");
    let state = c.call("Mailbox/query", json!({ "filter": { "hasAnyRole": false } }))["queryState"].clone();
    c.call("Mailbox/set", json!({ "update": { z.as_str().unwrap(): { "name": "Beta" } } }));
    let r = c.call("Mailbox/queryChanges", json!({ "filter": { "hasAnyRole": false }, "sinceQueryState": state }));
    assert!(ids(&r["removed"]).contains(&z.as_str().unwrap().to_owned()));
    assert_eq!(r["added"].as_array().unwrap().len(), 1);
    assert_eq!(c.call("Mailbox/query", json!({ "filter": { "name": "eta" } }))["ids"], json!([z]));
    assert_eq!(c.call("Mailbox/query", json!({ "filter": { "size": 1 } }))["type"], "unsupportedFilter");
}

#[test]
fn an_account_made_bare_gets_its_role_mailboxes_from_its_clients() {
    let s = Setup::with(|c| *c = c.replace("mailboxes = [\"drafts\", \"sent\", \"junk\", \"trash\", \"archive\"]", "mailboxes = []"));
    s.create("bare@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "bare@example.com");
    let all = c.call("Mailbox/get", json!({ "properties": ["name", "role"] }));
    assert_eq!(all["list"].as_array().unwrap().len(), 1, "INBOX alone: {all}");
    assert_eq!(all["list"][0]["role"], "inbox");

    let r = c.call("Mailbox/set", json!({ "create": { "sent": { "name": "Sent Items", "role": "sent" } } }));
    let sent = r["created"]["sent"]["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    let r = c.call(
        "Mailbox/set",
        json!({ "create": {
            "again": { "name": "Also Sent", "role": "sent" },
            "inbox": { "name": "Inbox 2", "role": "inbox" },
            "nonsense": { "name": "X", "role": "important-stuff" },
        }}),
    );
    for cid in ["again", "inbox", "nonsense"] {
        assert_eq!(r["notCreated"][cid], json!({ "type": "invalidProperties", "properties": ["role"] }), "{cid}: {r}");
    }
    // IMAP sees the role as the special use.
    let mut imap = crate::imap::Imap::login(server.imap, "bare@example.com");
    let list = imap.cmd("a LIST \"\" \"Sent Items\" RETURN (SPECIAL-USE)");
    assert!(list[0].contains("\\Sent"), "{list:?}");

    // The role moves: off, then onto another mailbox; INBOX keeps its own.
    let inbox = c.mailbox("inbox");
    let r = c.request(json!([
        ["Mailbox/set", { "update": { sent.clone(): { "role": null } } }, "a"],
        ["Mailbox/set", { "create": { "new": { "name": "Outbox", "role": "sent" } } }, "b"],
        ["Mailbox/set", { "update": { inbox.clone(): { "role": null } } }, "c"]
    ]));
    assert_eq!(r["methodResponses"][0][1]["updated"], json!({ sent.clone(): null }), "{r}");
    let outbox = r["methodResponses"][1][1]["created"]["new"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r["methodResponses"][2][1]["notUpdated"][&inbox]["properties"], json!(["role"]));
    assert_eq!(c.mailbox("sent"), outbox);

    // Within one call only the final state counts: the role moves whether
    // the new holder is created or updated, whatever the order written.
    let r = c.call(
        "Mailbox/set",
        json!({ "create": { "newer": { "name": "Outbox 2", "role": "sent" } }, "update": { outbox.clone(): { "role": null } } }),
    );
    let newer = r["created"]["newer"]["id"].as_str().unwrap_or_else(|| panic!("{r}")).to_owned();
    assert_eq!(r["updated"], json!({ outbox.clone(): null }), "{r}");
    let r = c.call("Mailbox/set", json!({ "update": { outbox.clone(): { "role": "sent" }, newer.clone(): { "role": null } } }));
    assert_eq!(r["updated"], json!({ outbox.clone(): null, newer.clone(): null }), "{r}");
    assert_eq!(c.mailbox("sent"), outbox);
    // A final state with two holders is refused for the one that would be second.
    let r = c.call("Mailbox/set", json!({ "update": { newer.clone(): { "role": "sent" } } }));
    assert_eq!(r["notUpdated"][&newer]["properties"], json!(["role"]), "{r}");
}

#[test]
fn mailbox_set_names_every_server_set_property_sent_with_another_value() {
    let s = Setup::new();
    s.create("ro@example.com", &[]);
    let server = s.start();
    let c = Client::login(&server, "ro@example.com");
    let trash = c.mailbox("trash");
    let got = c.call("Mailbox/get", json!({ "ids": [trash.clone()] }))["list"][0].clone();
    // Sent back unchanged, server-set properties are fine.
    let same: Value = ["id", "totalEmails", "unreadEmails", "totalThreads", "unreadThreads", "myRights"]
        .iter()
        .map(|p| (p.to_string(), got[*p].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let r = c.call("Mailbox/set", json!({ "update": { trash.clone(): same } }));
    assert_eq!(r["updated"], json!({ trash.clone(): null }), "{r}");
    // Changed, every one is named, each right on its own.
    let rights = json!({ "mayDelete": true, "mayAdmin": got["myRights"]["mayAdmin"], "mayRename": !got["myRights"]["mayRename"].as_bool().unwrap() });
    let r = c.call(
        "Mailbox/set",
        json!({
            "update": { trash.clone(): { "id": "B77", "totalEmails": 5, "unreadThreads": 1, "myRights": rights, "sortOrder": 3 } },
            "create": { "n": { "name": "New", "id": "B1", "totalEmails": 0, "unreadEmails": 2, "myRights": { "mayAdmin": true }, "bogus": 1 } },
        }),
    );
    let mut bad: Vec<String> = serde_json::from_value(r["notUpdated"][&trash]["properties"].clone()).unwrap();
    bad.sort();
    assert_eq!(bad, ["id", "myRights/mayDelete", "myRights/mayRename", "totalEmails", "unreadThreads"], "{r}");
    let mut bad: Vec<String> = serde_json::from_value(r["notCreated"]["n"]["properties"].clone()).unwrap();
    bad.sort();
    assert_eq!(bad, ["bogus", "id", "myRights/mayAdmin", "unreadEmails"], "{r}");
    let sort = c.call("Mailbox/get", json!({ "ids": [trash], "properties": ["sortOrder"] }))["list"][0]["sortOrder"].clone();
    assert_eq!(sort, got["sortOrder"], "a refused update changes nothing");
}
