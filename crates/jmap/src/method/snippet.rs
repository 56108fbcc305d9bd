//! SearchSnippet/get (RFC 8621 section 5): where an email matches the text
//! conditions of a filter, its subject and a piece of its body around the
//! first match, HTML-escaped, the matches in `<mark>`.

use super::{
    account_id,
    filter::{Filter, Where},
};
use crate::{
    ids,
    request::{Ctx, MethodError},
};
use serde_json::{Map, Value, json};
use tresor_message::TextSource;

/// Characters of body text in a preview snippet (RFC 8621: at most 255).
const PREVIEW: usize = 255;
/// Characters shown before the first match.
const LEAD: usize = 60;

pub fn get(ctx: &Ctx<'_>, args: &Map<String, Value>) -> Result<Value, MethodError> {
    let account_id = account_id(ctx, args)?;
    let filter = match args.get("filter") {
        None | Some(Value::Null) => None,
        Some(f) => Some(super::filter::parse(f)?),
    };
    let ids =
        args.get("emailIds").and_then(Value::as_array).ok_or_else(|| MethodError::bad_argument("emailIds", "emailIds is required"))?;
    if ids.len() > crate::LIMITS.max_objects_in_get {
        return Err(MethodError::new("requestTooLarge"));
    }
    let mut subject_terms = Vec::new();
    let mut body_terms = Vec::new();
    if let Some(f) = &filter {
        terms(f, &mut subject_terms, &mut body_terms);
    }
    let mut list = Vec::new();
    let mut not_found = Vec::new();
    for id in ids {
        let id = id.as_str().ok_or_else(|| MethodError::bad_argument("emailIds", "emailIds must be strings"))?;
        let Some(meta) = ids::parse_email(id).map(|e| ctx.account.email_meta(e)).transpose()?.flatten() else {
            not_found.push(id.to_owned());
            continue;
        };
        let subject = meta.summary.envelope.subject.as_deref().map(tresor_message::decode_text).unwrap_or_default();
        let subject = mark(&subject, &subject_terms, usize::MAX);
        let preview = if body_terms.is_empty() {
            None
        } else {
            let raw = ctx.account.read_message(ids::parse_email(id).expect("parsed above"))?;
            tresor_message::text_for_search(&raw, &meta.summary)
                .filter(|(source, _)| *source == TextSource::Body)
                .find_map(|(_, text)| mark(&text.split_whitespace().collect::<Vec<_>>().join(" "), &body_terms, PREVIEW))
        };
        list.push(json!({"emailId": id, "subject": subject, "preview": preview}));
    }
    Ok(json!({"accountId": account_id, "list": list, "notFound": if not_found.is_empty() { Value::Null } else { json!(not_found) }}))
}

/// The lower-cased search terms of the positive text conditions.
fn terms(f: &Filter, subject: &mut Vec<String>, body: &mut Vec<String>) {
    match f {
        Filter::And(fs) | Filter::Or(fs) => fs.iter().for_each(|f| terms(f, subject, body)),
        Filter::Text(Where::Anywhere, t) => {
            subject.push(t.to_lowercase());
            body.push(t.to_lowercase());
        }
        Filter::Text(Where::Body, t) => body.push(t.to_lowercase()),
        Filter::Text(Where::Header(tresor_message::SearchHeader::Subject), t) => subject.push(t.to_lowercase()),
        _ => {}
    }
}

/// `text` HTML-escaped with every match of `terms` in `<mark>`, cut to `max`
/// characters around the first match; None if nothing matches.
fn mark(text: &str, terms: &[String], max: usize) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let lower: Vec<char> = chars.iter().map(|c| c.to_lowercase().next().unwrap_or(*c)).collect();
    let terms: Vec<Vec<char>> = terms.iter().filter(|t| !t.is_empty()).map(|t| t.chars().collect()).collect();
    let match_at = |i: usize| {
        terms
            .iter()
            .map(Vec::len)
            .filter(|&n| i + n <= lower.len())
            .find(|&n| terms.iter().any(|t| t.len() == n && lower[i..i + n] == t[..]))
    };
    let first = (0..lower.len()).find(|&i| match_at(i).is_some())?;
    let (start, end) = if chars.len() <= max {
        (0, chars.len())
    } else {
        let start = first.saturating_sub(LEAD.min(max / 4));
        (start, (start + max).min(chars.len()))
    };
    let mut out = String::new();
    let mut i = start;
    while i < end {
        if let Some(n) = match_at(i).filter(|n| i + n <= end) {
            out.push_str("<mark>");
            chars[i..i + n].iter().for_each(|c| escape(*c, &mut out));
            out.push_str("</mark>");
            i += n;
        } else {
            escape(chars[i], &mut out);
            i += 1;
        }
    }
    Some(out)
}

fn escape(c: char, out: &mut String) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        c => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::mark;

    #[test]
    fn marks_escape_and_cut() {
        assert_eq!(mark("Café <b> & CAFÉ", &["café".into()], 255).as_deref(), Some("<mark>Café</mark> &lt;b&gt; &amp; <mark>CAFÉ</mark>"));
        assert_eq!(mark("nothing here", &["x".into()], 255), None);
        let long = format!("{} needle {}", "a ".repeat(200), "b ".repeat(200));
        let m = mark(&long, &["needle".into()], 50).unwrap();
        assert!(m.contains("<mark>needle</mark>") && m.chars().count() < 80, "{m}");
    }
}
