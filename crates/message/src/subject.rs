//! RFC 5256 section 2.1 base subject: what SORT SUBJECT, THREAD=ORDEREDSUBJECT
//! and subject-based thread matching compare ("Re: [list] Fwd: x" -> "x").

/// The base subject of an already RFC 2047-decoded subject. Case is kept;
/// the step numbers in the comments are those of RFC 5256 section 2.1.
pub fn base_subject(decoded: &str) -> String {
    // (1) Tabs and line breaks become spaces, runs of spaces one space.
    let mut s = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        let c = if matches!(c, '\t' | '\r' | '\n') { ' ' } else { c };
        if !(c == ' ' && s.ends_with(' ')) {
            s.push(c);
        }
    }
    let mut s = s.as_str();
    loop {
        // (2) Trailers: "(fwd)" and white space at the end.
        loop {
            let trimmed = s.trim_end_matches(' ');
            let trimmed = strip_suffix_ci(trimmed, "(fwd)").unwrap_or(trimmed);
            if trimmed.len() == s.len() {
                break;
            }
            s = trimmed;
        }
        // (3)-(5) Leaders ("Re:", "[blob] Fwd:", white space), then a
        // leading blob if something is left after it.
        loop {
            if let Some(rest) = strip_leader(s) {
                s = rest;
            } else if let Some(rest) = strip_blob(s).filter(|r| !r.trim_start().is_empty()) {
                s = rest;
            } else {
                break;
            }
        }
        // (6) "[fwd: x]" wraps a whole subject: unwrap and start over.
        match strip_prefix_ci(s, "[fwd:").and_then(|r| r.strip_suffix(']')) {
            Some(inner) => s = inner,
            None => return s.to_owned(),
        }
    }
}

/// Whether base-subject extraction removes a reply or forward marker
/// (`Re:`/`Fw:`/`Fwd:` after any `[blob]`s, a `(fwd)` trailer, `[fwd: ...]`):
/// THREAD=REFERENCES (RFC 5256 section 4, step 5) groups by it. A list tag
/// alone (`[list] topic`) does not count.
pub fn is_reply(decoded: &str) -> bool {
    let s = decoded.trim();
    if strip_suffix_ci(s, "(fwd)").is_some() || strip_prefix_ci(s, "[fwd:").is_some() {
        return true;
    }
    let mut rest = s;
    while let Some(after) = strip_blob(rest) {
        rest = after;
    }
    strip_refwd(rest).is_some()
}

/// subj-leader = (*subj-blob subj-refwd) / WSP
fn strip_leader(s: &str) -> Option<&str> {
    if let Some(rest) = s.strip_prefix(' ') {
        return Some(rest);
    }
    let mut rest = s;
    while let Some(after) = strip_blob(rest) {
        rest = after;
    }
    strip_refwd(rest)
}

/// subj-refwd = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
fn strip_refwd(s: &str) -> Option<&str> {
    let rest = strip_prefix_ci(s, "re").or_else(|| strip_prefix_ci(s, "fwd")).or_else(|| strip_prefix_ci(s, "fw"))?;
    let rest = rest.trim_start_matches(' ');
    let rest = strip_blob(rest).unwrap_or(rest);
    rest.strip_prefix(':')
}

/// subj-blob = "[" *BLOBCHAR "]" *WSP. BLOBCHAR is ASCII-only in the RFC;
/// any character but brackets is accepted here, since list tags in decoded
/// subjects are often not ASCII.
fn strip_blob(s: &str) -> Option<&str> {
    let inner = s.strip_prefix('[')?;
    let close = inner.find(['[', ']'])?;
    inner[close..].strip_prefix(']').map(|rest| rest.trim_start_matches(' '))
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

fn strip_suffix_ci<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let split = s.len().checked_sub(suffix.len())?;
    let tail = s.get(split..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..split])
}

#[cfg(test)]
mod tests {
    use super::{base_subject, is_reply};

    #[test]
    fn reply_markers() {
        for yes in ["Re: x", "[list] Re: x", "FWD: x", "Re[2]: x", "x (fwd)", "fw : x", "[fwd: x]"] {
            assert!(is_reply(yes), "{yes}");
        }
        for no in ["[list] topic", "Regards", "re x", "topic", "[list]"] {
            assert!(!is_reply(no), "{no}");
        }
    }

    #[test]
    fn rfc5256_examples() {
        for (subject, base) in [
            ("Hello", "Hello"),
            ("Re: Hello", "Hello"),
            ("RE: re: Fwd: Hello", "Hello"),
            ("Re[2]: Hello", "Hello"),
            ("[list] Re: Hello (fwd)", "Hello"),
            ("[fwd: Re: Hello]", "Hello"),
            ("Re: [fwd: [list] Hello] (fwd) ", "Hello"),
            ("[list]", "[list]"),
            ("[a] [b]", "[b]"),
            ("  lots\t of \r\n  space  ", "lots of space"),
            ("Rebate: now", "Rebate: now"),
            ("Fw : x", "x"),
            ("Re:", ""),
            ("", ""),
            ("[Büro] Re: Grüße", "Grüße"),
        ] {
            assert_eq!(base_subject(subject), base, "subject: {subject:?}");
        }
    }
}
