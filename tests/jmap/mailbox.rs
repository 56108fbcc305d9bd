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
