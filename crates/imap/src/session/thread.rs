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
    let subjects: Vec<String> = items.iter().map(|i| i.base_subject.to_ascii_lowercase()).collect();
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by(|&a, &b| subjects[a].cmp(&subjects[b]).then(by_date(items, a, b)));
    let mut threads: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match threads.last_mut() {
            Some(t) if subjects[t[0]] == subjects[i] => t.push(i),
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
    let forest = prune(&mut nodes, &roots);
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
        } else if nodes[target].item.is_none()
            || (nodes[r].item.is_some_and(|x| items[x].is_reply) && nodes[target].item.is_some_and(|t| !items[t].is_reply))
        {
            // Under a dummy, or a reply under the original.
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
    // Step 6: sort siblings by date, a dummy by its first child; children
    // before their parents, so that a dummy's first child is known.
    for &n in preorder(&nodes, &merged_roots).iter().rev() {
        let mut kids = std::mem::take(&mut nodes[n].children);
        kids.sort_by_key(|&k| first_date(&nodes, items, k));
        nodes[n].children = kids;
    }
    merged_roots.sort_by_key(|&r| first_date(&nodes, items, r));
    for r in merged_roots {
        write_thread(&nodes, items, r, out);
    }
}

/// The (sent date, sequence number) a node sorts by: its message's, or for
/// a dummy its first child's.
fn first_date(nodes: &[Node], items: &[ThreadItem], n: usize) -> (i64, u32) {
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
}

/// Whether `candidate` is `of` or above it. Reference chains can be as deep
/// as a mailbox is long, so the walk is skipped where it cannot succeed.
fn is_ancestor(nodes: &[Node], candidate: usize, of: usize) -> bool {
    if nodes[candidate].children.is_empty() {
        return candidate == of;
    }
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

/// `roots` and every node below them, each before its children. Iterative,
/// like everything that walks the trees: a chain of replies is as deep as
/// the mailbox is long, and mail from anyone can make one.
fn preorder(nodes: &[Node], roots: &[usize]) -> Vec<usize> {
    let mut order = Vec::new();
    let mut stack: Vec<usize> = roots.iter().rev().copied().collect();
    while let Some(n) = stack.pop() {
        order.push(n);
        stack.extend(nodes[n].children.iter().rev());
    }
    order
}

/// RFC 5256 step 4: dummies without children go; a dummy's children move up
/// to its parent, except that a root dummy with several children stays.
/// Returns the new roots.
fn prune(nodes: &mut [Node], roots: &[usize]) -> Vec<usize> {
    // What each node leaves in its parent's list: itself, its children (a
    // dummy's), or nothing.
    let mut stays: HashMap<usize, Vec<usize>> = HashMap::new();
    for &n in preorder(nodes, roots).iter().rev() {
        let kids: Vec<usize> =
            std::mem::take(&mut nodes[n].children).into_iter().flat_map(|k| stays.remove(&k).unwrap_or_default()).collect();
        let root = nodes[n].parent.is_none();
        let replacement = if nodes[n].item.is_none() && (kids.len() <= 1 || !root) {
            kids
        } else {
            nodes[n].children = kids;
            vec![n]
        };
        stays.insert(n, replacement);
    }
    roots.iter().flat_map(|r| stays.remove(r).unwrap_or_default()).collect()
}

/// One thread: a chain of single children is written flat (`(1 2 3)`),
/// siblings as parenthesised sub-threads (`(1 (2)(3 4))`).
fn write_thread(nodes: &[Node], items: &[ThreadItem], root: usize, out: &mut Vec<u8>) {
    enum Step {
        Open(usize),
        Close,
    }
    let mut stack = vec![Step::Close, Step::Open(root)];
    while let Some(step) = stack.pop() {
        let Step::Open(n) = step else {
            out.push(b')');
            continue;
        };
        out.push(b'(');
        let mut cur = n;
        let mut first = true;
        loop {
            if let Some(i) = nodes[cur].item {
                if !first {
                    out.push(b' ');
                }
                out.extend_from_slice(items[i].id.to_string().as_bytes());
                first = false;
            }
            match nodes[cur].children.as_slice() {
                [] => break,
                [only] => cur = *only,
                many => {
                    if !first {
                        out.push(b' ');
                    }
                    for &c in many.iter().rev() {
                        stack.push(Step::Close);
                        stack.push(Step::Open(c));
                    }
                    break;
                }
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

    #[test]
    fn ordered_subject_pairs_ignore_case_and_order_by_date() {
        let items = vec![
            item(1, "a", &[], "Lunch", 50, false),
            item(2, "b", &[], "lunch", 40, true),
            item(3, "c", &[], "dinner", 60, false),
            // Same date as 3: the sequence number decides.
            item(4, "d", &[], "DINNER", 60, false),
        ];
        assert_eq!(run(ThreadAlgorithm::OrderedSubject, items), "(2 1)(3 4)");
    }

    #[test]
    fn missing_middle_parent_is_pruned() {
        // 2 refers to 1 through a message not in the mailbox: the dummy goes
        // and 2 becomes 1's child.
        let items = vec![item(1, "a", &[], "q", 10, false), item(2, "b", &["a", "lost"], "q", 20, true)];
        assert_eq!(run(ThreadAlgorithm::References, items), "(1 2)");
        // A missing root with one child: the child is the root.
        let items = vec![item(1, "a", &["lost"], "q", 10, true), item(2, "b", &[], "other", 5, false)];
        assert_eq!(run(ThreadAlgorithm::References, items), "(2)(1)");
    }

    #[test]
    fn own_references_override_a_guessed_parent() {
        // 3's References put c under b; c's own References name a, which
        // wins (RFC 5256 step 1B).
        let items = vec![
            item(1, "a", &[], "s", 10, false),
            item(2, "b", &["a"], "s", 20, true),
            item(3, "d", &["b", "c"], "s", 40, true),
            item(4, "c", &["a"], "s", 30, true),
        ];
        assert_eq!(run(ThreadAlgorithm::References, items), "(1 (2)(4 3))");
    }

    #[test]
    fn loops_and_duplicates_terminate() {
        let items = vec![
            item(1, "a", &["b"], "x", 10, true),
            item(2, "b", &["a"], "x", 20, true),
            // Refers to itself.
            item(3, "c", &["c"], "y", 30, false),
            // A duplicate Message-ID counts as none.
            item(4, "a", &[], "z", 40, false),
        ];
        let out = run(ThreadAlgorithm::References, items);
        for id in ["1", "2", "3", "4"] {
            assert_eq!(out.matches(id).count(), 1, "{out}");
        }
        // 1 went under b first; b under a would close a loop, so b stays the root.
        assert_eq!(out, "(2 1)(3)(4)");
    }

    #[test]
    fn subjects_gather_threads() {
        // A reply whose parent is gone goes under the original with its
        // subject; two originals share a dummy; empty subjects stay apart.
        let items = vec![
            item(1, "a", &[], "Report", 10, false),
            item(2, "b", &["gone"], "report", 20, true),
            item(3, "c", &[], "news", 30, false),
            item(4, "d", &[], "NEWS", 40, false),
            item(5, "e", &[], "", 50, false),
            item(6, "f", &[], "", 60, false),
        ];
        assert_eq!(run(ThreadAlgorithm::References, items), "(1 2)((3)(4))(5)(6)");
        // The reply came first: the original still becomes the parent.
        let items = vec![item(1, "a", &["gone"], "plan", 10, true), item(2, "b", &[], "plan", 20, false)];
        assert_eq!(run(ThreadAlgorithm::References, items), "(2 1)");
    }

    #[test]
    fn messages_without_message_id() {
        let mut lone = item(1, "", &[], "one", 10, false);
        lone.message_id = None;
        let mut other = item(2, "", &[], "two", 5, false);
        other.message_id = None;
        assert_eq!(run(ThreadAlgorithm::References, vec![lone, other]), "(2)(1)");
    }

    #[test]
    fn deep_reply_chains_stay_iterative_and_linear() {
        // Each message replies to the one before (In-Reply-To only); each
        // spine message also gets a leaf reply, so every level branches.
        let n = 40_000u32;
        let mut items = Vec::new();
        for k in 1..=n {
            let refs: Vec<String> = if k == 1 { vec![] } else { vec![format!("s{}", k - 1)] };
            items.push(ThreadItem {
                id: 2 * k - 1,
                seq: 2 * k - 1,
                message_id: Some(format!("s{k}")),
                references: refs.clone(),
                base_subject: "deep".into(),
                sent: k as i64,
                is_reply: k > 1,
            });
            if k > 1 {
                items.push(ThreadItem {
                    id: 2 * k,
                    seq: 2 * k,
                    message_id: Some(format!("l{k}")),
                    references: refs,
                    base_subject: "deep".into(),
                    sent: n as i64 + k as i64,
                    is_reply: true,
                });
            }
        }
        let out = run(ThreadAlgorithm::References, items);
        assert!(out.starts_with("(1 (3 (5 (7 "), "{}", &out[..40]);
        assert!(out.contains(" (79997 (79999)(80000))(79998))"));
        assert!(out.ends_with("(8))(6))(4))"), "{}", &out[out.len() - 40..]);
        assert_eq!(out.matches('(').count(), out.matches(')').count());
    }
}
