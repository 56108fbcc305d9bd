//! THREAD (RFC 5256): ORDEREDSUBJECT and REFERENCES, written in the
//! response syntax `(1 2)(3 (4)(5))`.

use crate::codec::command::ThreadAlgorithm;
use std::collections::HashMap;

pub struct ThreadItem {
    /// What the response prints (sequence number or UID).
    pub id: u32,
    pub seq: u32,
    pub message_id: Option<String>,
    /// References, or In-Reply-To when there are none (RFC 5256 step 1).
    pub references: Vec<String>,
    pub base_subject: String,
    /// Sent date (Date: header, else internal date).
    pub sent: i64,
    /// The subject had a reply/forward marker removed.
    pub is_reply: bool,
}

/// A node of the thread forest: a message or a dummy (REFERENCES).
struct Node {
    item: Option<usize>,
    children: Vec<usize>,
    parent: Option<usize>,
}

pub fn thread(alg: ThreadAlgorithm, items: Vec<ThreadItem>, out: &mut Vec<u8>) {
    match alg {
        ThreadAlgorithm::OrderedSubject => ordered_subject(&items, out),
        ThreadAlgorithm::References => references(&items, out),
    }
}

fn by_date(items: &[ThreadItem], a: usize, b: usize) -> std::cmp::Ordering {
    (items[a].sent, items[a].seq).cmp(&(items[b].sent, items[b].seq))
}

fn ordered_subject(items: &[ThreadItem], out: &mut Vec<u8>) {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| {
        items[a].base_subject.to_ascii_lowercase().cmp(&items[b].base_subject.to_ascii_lowercase()).then(by_date(items, a, b))
    });
    let mut threads: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match threads.last_mut() {
            Some(t) if items[t[0]].base_subject.eq_ignore_ascii_case(&items[i].base_subject) => t.push(i),
            _ => threads.push(vec![i]),
        }
    }
    threads.sort_by(|a, b| by_date(items, a[0], b[0]));
    for t in threads {
        out.push(b'(');
        out.extend_from_slice(items[t[0]].id.to_string().as_bytes());
        match t.len() {
            1 => {}
            2 => out.extend_from_slice(format!(" {}", items[t[1]].id).as_bytes()),
            _ => {
                out.push(b' ');
                for &child in &t[1..] {
                    out.extend_from_slice(format!("({})", items[child].id).as_bytes());
                }
            }
        }
        out.push(b')');
    }
}

fn references(items: &[ThreadItem], out: &mut Vec<u8>) {
    let mut nodes: Vec<Node> = Vec::new();
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut node_for = |id: &str, nodes: &mut Vec<Node>| -> usize {
        *by_id.entry(id.to_owned()).or_insert_with(|| {
            nodes.push(Node { item: None, children: Vec::new(), parent: None });
            nodes.len() - 1
        })
    };
    // Step 1: link every message into the id table.
    for (i, item) in items.iter().enumerate() {
        // A missing or duplicate Message-ID gets a unique one of its own.
        let own = match &item.message_id {
            Some(id) => {
                let n = node_for(id, &mut nodes);
                if nodes[n].item.is_none() { n } else { node_for(&format!("\0{i}"), &mut nodes) }
            }
            None => node_for(&format!("\0{i}"), &mut nodes),
        };
        nodes[own].item = Some(i);
        let mut prev: Option<usize> = None;
        for r in &item.references {
            let n = node_for(r, &mut nodes);
            if let Some(p) = prev
                && nodes[n].parent.is_none()
                && !is_ancestor(&nodes, n, p)
                && n != p
            {
                nodes[n].parent = Some(p);
                nodes[p].children.push(n);
            }
            prev = Some(n);
        }
        // The message's parent is the last reference, replacing any guess.
        if let Some(old) = nodes[own].parent.take() {
            nodes[old].children.retain(|&c| c != own);
        }
        // Unless that would make a loop: `own` above `p` already.
        if let Some(p) = prev
            && p != own
            && !is_ancestor(&nodes, own, p)
        {
            nodes[own].parent = Some(p);
            nodes[p].children.push(own);
        }
    }
    // Step 2: the roots.
    let roots: Vec<usize> = (0..nodes.len()).filter(|&n| nodes[n].parent.is_none()).collect();
    // Step 4: prune dummies.
    let mut forest: Vec<usize> = Vec::new();
    for r in roots {
        prune(&mut nodes, r, &mut forest, true);
    }
    // Step 5: group roots by base subject.
    let subject_of = |nodes: &Vec<Node>, n: usize| -> Option<usize> {
        match nodes[n].item {
            Some(i) => Some(i),
            None => nodes[n].children.iter().filter_map(|&c| nodes[c].item).min_by(|&a, &b| by_date(items, a, b)),
        }
    };
    let mut table: HashMap<String, usize> = HashMap::new();
    for &r in &forest {
        let Some(i) = subject_of(&nodes, r) else { continue };
        let s = items[i].base_subject.to_ascii_lowercase();
        if s.is_empty() {
            continue;
        }
        match table.get(&s) {
            None => {
                table.insert(s, r);
            }
            Some(&existing) => {
                let replace = (nodes[existing].item.is_some() && nodes[r].item.is_none())
                    || (nodes[existing].item.is_some_and(|e| items[e].is_reply) && nodes[r].item.is_some_and(|x| !items[x].is_reply));
                if replace {
                    table.insert(s, r);
                }
            }
        }
    }
    let mut merged_roots: Vec<usize> = Vec::new();
    for &r in &forest {
        let Some(i) = subject_of(&nodes, r) else {
            merged_roots.push(r);
            continue;
        };
        let s = items[i].base_subject.to_ascii_lowercase();
        let Some(&target) = table.get(&s).filter(|_| !s.is_empty()) else {
            merged_roots.push(r);
            continue;
        };
        if target == r {
            merged_roots.push(r);
            continue;
        }
        // Merge r into target.
        if nodes[target].item.is_none() && nodes[r].item.is_none() {
            let kids = std::mem::take(&mut nodes[r].children);
            nodes[target].children.extend(kids);
        } else if nodes[target].item.is_none() {
            nodes[target].children.push(r);
        } else if nodes[r].item.is_some_and(|x| items[x].is_reply) && nodes[target].item.is_some_and(|t| !items[t].is_reply) {
            nodes[target].children.push(r);
        } else {
            let dummy = nodes.len();
            nodes.push(Node { item: None, children: vec![target, r], parent: None });
            table.insert(s, dummy);
            if let Some(pos) = merged_roots.iter().position(|&x| x == target) {
                merged_roots[pos] = dummy;
            }
        }
    }
    // Step 6: sort siblings by date, a dummy by its first child.
    let key = |nodes: &Vec<Node>, n: usize| -> (i64, u32) {
        let mut cur = n;
        loop {
            if let Some(i) = nodes[cur].item {
                return (items[i].sent, items[i].seq);
            }
            match nodes[cur].children.first() {
                Some(&c) => cur = c,
                None => return (i64::MAX, u32::MAX),
            }
        }
    };
    fn sort_tree(nodes: &mut Vec<Node>, n: usize, key: &dyn Fn(&Vec<Node>, usize) -> (i64, u32)) {
        let mut kids = std::mem::take(&mut nodes[n].children);
        for &k in &kids {
            sort_tree(nodes, k, key);
        }
        kids.sort_by_key(|&k| key(nodes, k));
        nodes[n].children = kids;
    }
    for &r in &merged_roots {
        sort_tree(&mut nodes, r, &key);
    }
    merged_roots.sort_by_key(|&r| key(&nodes, r));
    for r in merged_roots {
        out.push(b'(');
        write_node(&nodes, items, r, out, true);
        out.push(b')');
    }
}

fn is_ancestor(nodes: &[Node], candidate: usize, of: usize) -> bool {
    let mut cur = Some(of);
    let mut steps = 0;
    while let Some(c) = cur {
        if c == candidate {
            return true;
        }
        cur = nodes[c].parent;
        steps += 1;
        if steps > nodes.len() {
            return true;
        }
    }
    false
}

/// RFC 5256 step 4: dummies without children go; a dummy's children move up
/// to its parent, except that a root dummy with several children stays.
fn prune(nodes: &mut Vec<Node>, n: usize, out: &mut Vec<usize>, root: bool) {
    let kids = std::mem::take(&mut nodes[n].children);
    let mut new_kids = Vec::new();
    for k in kids {
        prune(nodes, k, &mut new_kids, false);
    }
    if nodes[n].item.is_none() {
        if new_kids.is_empty() {
            return;
        }
        if !root || new_kids.len() == 1 {
            out.extend(new_kids);
            return;
        }
    }
    nodes[n].children = new_kids;
    out.push(n);
}

/// A node and its descendants: a chain of single children is written flat
/// (`1 2 3`), siblings as parenthesised sub-threads.
fn write_node(nodes: &[Node], items: &[ThreadItem], n: usize, out: &mut Vec<u8>, first: bool) {
    let mut cur = n;
    let mut first = first;
    loop {
        if let Some(i) = nodes[cur].item {
            if !first {
                out.push(b' ');
            }
            out.extend_from_slice(items[i].id.to_string().as_bytes());
            first = false;
        }
        match nodes[cur].children.as_slice() {
            [] => return,
            [only] => cur = *only,
            many => {
                if !first {
                    out.push(b' ');
                }
                for &c in many {
                    out.push(b'(');
                    write_node(nodes, items, c, out, true);
                    out.push(b')');
                }
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: u32, mid: &str, refs: &[&str], subject: &str, sent: i64, reply: bool) -> ThreadItem {
        ThreadItem {
            id,
            seq: id,
            message_id: Some(mid.into()),
            references: refs.iter().map(|s| s.to_string()).collect(),
            base_subject: subject.into(),
            sent,
            is_reply: reply,
        }
    }

    fn run(alg: ThreadAlgorithm, items: Vec<ThreadItem>) -> String {
        let mut out = Vec::new();
        thread(alg, items, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn references_builds_trees() {
        let items = vec![
            item(1, "a", &[], "plans", 10, false),
            item(2, "b", &["a"], "plans", 20, true),
            item(3, "c", &[], "other", 5, false),
            item(4, "d", &["a", "b"], "plans", 30, true),
            item(5, "e", &["a"], "plans", 25, true),
        ];
        assert_eq!(run(ThreadAlgorithm::References, items), "(3)(1 (2 4)(5))");
    }

    #[test]
    fn missing_parents_and_subject_merging() {
        let items = vec![
            item(1, "x", &["gone"], "topic", 10, true),
            item(2, "y", &["gone"], "topic", 20, true),
            item(3, "z", &[], "topic", 5, false),
        ];
        // 1 and 2 share a missing parent (a dummy root); 3 has the same subject.
        assert_eq!(run(ThreadAlgorithm::References, items), "((3)(1)(2))");
    }

    #[test]
    fn ordered_subject() {
        let items = vec![
            item(1, "a", &[], "plans", 10, false),
            item(2, "b", &[], "plans", 20, true),
            item(3, "c", &[], "other", 5, false),
            item(4, "d", &[], "plans", 30, true),
        ];
        assert_eq!(run(ThreadAlgorithm::OrderedSubject, items), "(3)(1 (2)(4))");
    }
}
