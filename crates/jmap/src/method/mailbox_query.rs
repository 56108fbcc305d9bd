//! Mailbox/query and Mailbox/queryChanges (RFC 8621 2.3, 2.4): filter by
//! parentId, name, role, hasAnyRole and isSubscribed; sort by sortOrder and
//! name; sortAsTree and filterAsTree.

use super::{account_id, state};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use std::collections::{BTreeSet, HashMap};
use tresor_store::{
    changes::Change,
    mail::{Mailbox, MailboxId, Role},
};

/// A Mailbox/query filter: conditions, or AND/OR/NOT of filters.
enum Cond {
    Is(String, Value),
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Not(Vec<Cond>),
}

impl Cond {
    fn parse(f: &Map<String, Value>) -> Result<Cond, MethodError> {
        if let Some(op) = f.get("operator") {
            let conditions = f
                .get("conditions")
                .and_then(Value::as_array)
                .ok_or_else(|| MethodError::bad_argument("filter", "an operator needs conditions"))?
                .iter()
                .map(|c| c.as_object().ok_or_else(|| MethodError::bad_argument("filter", "a filter is an object")).and_then(Cond::parse))
                .collect::<Result<Vec<_>, _>>()?;
            return match op.as_str() {
                Some("AND") => Ok(Cond::And(conditions)),
                Some("OR") => Ok(Cond::Or(conditions)),
                Some("NOT") => Ok(Cond::Not(conditions)),
                _ => Err(MethodError::bad_argument("filter", "operator must be AND, OR or NOT")),
            };
        }
        let mut all = Vec::new();
        for (k, v) in f {
            let ok = match k.as_str() {
                "parentId" => v.is_null() || v.is_string(),
                "name" => v.is_string(),
                "role" => v.is_null() || v.is_string(),
                "hasAnyRole" | "isSubscribed" => v.is_boolean(),
                _ => return Err(MethodError::described("unsupportedFilter", format!("filter {k:?}"))),
            };
            if !ok {
                return Err(MethodError::bad_argument("filter", format!("bad value for filter {k:?}")));
            }
            all.push(Cond::Is(k.clone(), v.clone()));
        }
        Ok(Cond::And(all))
    }

    fn matches(&self, is: &dyn Fn(&str, &Value) -> bool) -> bool {
        match self {
            Cond::Is(k, v) => is(k, v),
            Cond::And(c) => c.iter().all(|c| c.matches(is)),
            Cond::Or(c) => c.iter().any(|c| c.matches(is)),
            Cond::Not(c) => !c.iter().any(|c| c.matches(is)),
        }
    }

    fn names_parent(&self) -> bool {
        match self {
            Cond::Is(k, _) => k == "parentId",
            Cond::And(c) | Cond::Or(c) | Cond::Not(c) => c.iter().any(Cond::names_parent),
        }
    }
}

struct Query {
    conditions: Cond,
    sort: Vec<(String, bool)>,
    sort_as_tree: bool,
    filter_as_tree: bool,
}

impl Query {
    fn parse(args: &Map<String, Value>) -> Result<Query, MethodError> {
        let conditions = match args.get("filter") {
            None | Some(Value::Null) => Cond::And(Vec::new()),
            Some(Value::Object(f)) => Cond::parse(f)?,
            Some(_) => return Err(MethodError::bad_argument("filter", "filter must be an object")),
        };
        let sort = match args.get("sort") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|c| {
                    let property =
                        c["property"].as_str().ok_or_else(|| MethodError::bad_argument("sort", "a comparator needs a property"))?;
                    if !matches!(property, "sortOrder" | "name") {
                        return Err(MethodError::described("unsupportedSort", format!("cannot sort by {property:?}")));
                    }
                    Ok((property.to_owned(), c["isAscending"].as_bool().unwrap_or(true)))
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(MethodError::bad_argument("sort", "sort must be an array")),
        };
        let flag = |k: &str| args.get(k).and_then(Value::as_bool).unwrap_or(false);
        Ok(Query { conditions, sort, sort_as_tree: flag("sortAsTree"), filter_as_tree: flag("filterAsTree") })
    }

    fn results(&self, ctx: &Ctx<'_>) -> Result<Vec<MailboxId>, MethodError> {
        let all = ctx.account.mailboxes()?;
        let by_name: HashMap<&str, &Mailbox> = all.iter().map(|m| (m.name.as_str(), m)).collect();
        let parent = |m: &Mailbox| m.name.rsplit_once('/').and_then(|(p, _)| by_name.get(p).copied());
        let leaf = |m: &Mailbox| m.name.rsplit('/').next().unwrap_or(&m.name).to_owned();
        let matches = |m: &Mailbox| {
            self.conditions.matches(&|k: &str, v: &Value| match k {
                "parentId" => parent(m).map(|p| ids::mailbox(p.id)) == v.as_str().map(str::to_owned),
                "name" => leaf(m).to_lowercase().contains(&v.as_str().unwrap_or_default().to_lowercase()),
                "role" => m.role.map(Role::name) == v.as_str(),
                "hasAnyRole" => m.role.is_some() == v.as_bool().unwrap_or(false),
                "isSubscribed" => m.subscribed == v.as_bool().unwrap_or(false),
                _ => false,
            })
        };
        let cmp = |a: &&Mailbox, b: &&Mailbox| {
            for (property, ascending) in &self.sort {
                let o = match property.as_str() {
                    "sortOrder" => a.sort_order.cmp(&b.sort_order),
                    _ => leaf(a).cmp(&leaf(b)),
                };
                let o = if *ascending { o } else { o.reverse() };
                if o.is_ne() {
                    return o;
                }
            }
            a.id.0.cmp(&b.id.0)
        };
        // filterAsTree: a mailbox matches only if its ancestors match too.
        let kept = |m: &Mailbox| {
            if !matches(m) {
                return false;
            }
            if self.filter_as_tree {
                let mut p = parent(m);
                while let Some(up) = p {
                    if !matches(up) {
                        return false;
                    }
                    p = parent(up);
                }
            }
            true
        };
        if !self.sort_as_tree {
            let mut out: Vec<&Mailbox> = all.iter().filter(|m| kept(m)).collect();
            out.sort_by(cmp);
            return Ok(out.iter().map(|m| m.id).collect());
        }
        // sortAsTree: each parent before its children, siblings sorted.
        let mut children: HashMap<Option<MailboxId>, Vec<&Mailbox>> = HashMap::new();
        for m in &all {
            children.entry(parent(m).map(|p| p.id)).or_default().push(m);
        }
        children.values_mut().for_each(|c| c.sort_by(cmp));
        let mut out = Vec::new();
        let mut stack: Vec<&Mailbox> = children.get(&None).map(|c| c.iter().rev().copied().collect()).unwrap_or_default();
        while let Some(m) = stack.pop() {
            if kept(m) {
                out.push(m.id);
            }
            if let Some(c) = children.get(&Some(m.id)) {
                stack.extend(c.iter().rev());
            }
        }
        Ok(out)
    }
}

pub fn query(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let query_state = state(ctx);
    let found = Query::parse(args)?.results(ctx)?;
    let window = super::Window::of(args, &found, |m, anchor| ids::mailbox(*m) == anchor)?;
    let mut out = json!({
        "accountId": account_id,
        "queryState": query_state,
        "canCalculateChanges": true,
        "position": window.position,
        "ids": window.ids(&found, |m| ids::mailbox(*m)),
    });
    out["total"] = found.len().into();
    Ok(out)
}

/// Every mailbox created, renamed, updated or destroyed since the state is
/// reported removed and, if in the results now, added at its index.
pub fn query_changes(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let query = Query::parse(args)?;
    let since = super::since(ctx, args, "sinceQueryState")?;
    let new_state = state(ctx);
    let mut touched = BTreeSet::new();
    for (_, c) in ctx.account.changes_since(since)? {
        if let Change::MailboxCreated { mailbox } | Change::MailboxUpdated { mailbox } | Change::MailboxDestroyed { mailbox } = c {
            touched.insert(mailbox);
        }
    }
    // A rename moves a whole subtree (children's parentId and tree order).
    if !touched.is_empty() && (query.sort_as_tree || query.filter_as_tree || query.conditions.names_parent()) {
        touched.extend(ctx.account.mailboxes()?.iter().map(|m| m.id));
    }
    let results = query.results(ctx)?;
    super::query_changes_response(args, account_id, new_state, &touched, &results, ids::mailbox)
}
