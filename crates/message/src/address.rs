//! RFC 5322 address lists to IMAP ENVELOPE addresses, on raw bytes.
//!
//! mail-parser decodes names and joins local part and domain, but ENVELOPE
//! wants them raw and split, with RFC 3501 group markers, so this is a small
//! tolerant parser of its own: it never fails, and skips what it cannot read.

use crate::model::Address;

const MISSING_MAILBOX: &[u8] = b"MISSING_MAILBOX";
const MISSING_HOST: &[u8] = b".MISSING-HOST-NAME.";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// A run of atext, dots and 8-bit bytes (RFC 6532 allows UTF-8).
    Atom(&'a [u8]),
    /// A quoted string, quotes included.
    Quoted(&'a [u8]),
    /// A comment's content, without the outer parentheses.
    Comment(&'a [u8]),
    /// A domain literal, brackets included.
    Literal(&'a [u8]),
    Special(u8),
}

/// Parses an unfolded address-list header value.
pub(crate) fn parse_list(value: &[u8]) -> Vec<Address> {
    let tokens = tokenize(value);
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        i = item(&tokens, i, &mut out, false);
    }
    out
}

/// Reads one list item starting at `i` (a mailbox or, outside a group, a
/// group) and returns where the next item starts.
fn item(tokens: &[Token<'_>], mut i: usize, out: &mut Vec<Address>, in_group: bool) -> usize {
    let start = i;
    let mut last_comment = None;
    while let Some(token) = tokens.get(i) {
        match token {
            Token::Atom(_) | Token::Quoted(_) => i += 1,
            Token::Comment(c) => {
                last_comment = Some(*c);
                i += 1;
            }
            _ => break,
        }
    }
    let words = &tokens[start..i];
    match tokens.get(i) {
        Some(Token::Special(b',')) => {
            push_spec(words, &[], last_comment, out);
            i + 1
        }
        Some(Token::Special(b';')) if in_group => {
            push_spec(words, &[], last_comment, out);
            i
        }
        Some(Token::Special(b':')) if !in_group => group(tokens, i + 1, phrase(words), out),
        Some(Token::Special(b'<')) => angle(tokens, i + 1, phrase(words), out, in_group),
        Some(Token::Special(b'@')) => {
            // addr-spec: the words were the local part; the domain follows.
            let domain_start = i + 1;
            let mut j = domain_start;
            while let Some(token) = tokens.get(j) {
                match token {
                    Token::Atom(_) | Token::Literal(_) => j += 1,
                    Token::Comment(c) => {
                        last_comment = Some(*c);
                        j += 1;
                    }
                    _ => break,
                }
            }
            push_spec(words, &tokens[domain_start..j], last_comment, out);
            skip_rest(tokens, j, in_group)
        }
        None => {
            push_spec(words, &[], last_comment, out);
            i
        }
        // A token that cannot start or continue an address: drop it.
        Some(_) => {
            push_spec(words, &[], last_comment, out);
            i + 1
        }
    }
}

/// `name: member, member;` starting after the colon.
fn group(tokens: &[Token<'_>], mut i: usize, name: Option<Vec<u8>>, out: &mut Vec<Address>) -> usize {
    out.push(Address { mailbox: Some(name.unwrap_or_default()), ..Address::default() });
    while i < tokens.len() {
        if tokens[i] == Token::Special(b';') {
            i += 1;
            break;
        }
        i = item(tokens, i, out, true);
    }
    out.push(Address::default());
    // Whatever follows the ';' is read as the next item, even without the
    // comma that should separate them.
    i
}

/// `[route:] local@domain >` starting after the `<`.
fn angle(tokens: &[Token<'_>], mut i: usize, name: Option<Vec<u8>>, out: &mut Vec<Address>, in_group: bool) -> usize {
    let mut adl = None;
    if tokens.get(i) == Some(&Token::Special(b'@')) {
        let route_end = tokens[i..].iter().position(|t| matches!(t, Token::Special(b':' | b'>'))).map(|p| i + p);
        if let Some(colon) = route_end.filter(|&c| tokens[c] == Token::Special(b':')) {
            adl = Some(concat(&tokens[i..colon]));
            i = colon + 1;
        }
    }
    // A missing '>' ends the address at the next separator instead.
    let end = tokens[i..]
        .iter()
        .position(|t| match t {
            Token::Special(b'>' | b',') => true,
            Token::Special(b';') => in_group,
            _ => false,
        })
        .map_or(tokens.len(), |p| i + p);
    let inner = &tokens[i..end];
    let at = inner.iter().position(|t| *t == Token::Special(b'@'));
    let (local, domain) = match at {
        Some(at) => (&inner[..at], &inner[at + 1..]),
        None => (inner, &inner[inner.len()..]),
    };
    out.push(Address {
        name,
        adl,
        mailbox: Some(non_empty(concat(local)).unwrap_or_else(|| MISSING_MAILBOX.to_vec())),
        host: Some(non_empty(concat(domain)).unwrap_or_else(|| MISSING_HOST.to_vec())),
    });
    let after = if tokens.get(end) == Some(&Token::Special(b'>')) { end + 1 } else { end };
    skip_rest(tokens, after, in_group)
}

/// An address written without angle brackets; a trailing comment names it.
fn push_spec(local: &[Token<'_>], domain: &[Token<'_>], comment: Option<&[u8]>, out: &mut Vec<Address>) {
    let local: Vec<Token<'_>> = local.iter().copied().filter(|t| !matches!(t, Token::Comment(_))).collect();
    if local.is_empty() && domain.is_empty() {
        return;
    }
    // Words without an '@' ("To: John Doe") keep their spaces.
    let mailbox = if domain.is_empty() { phrase(&local) } else { non_empty(concat(&local)) };
    out.push(Address {
        name: comment.map(unescape).and_then(non_empty),
        adl: None,
        mailbox: Some(mailbox.unwrap_or_else(|| MISSING_MAILBOX.to_vec())),
        host: Some(non_empty(concat(domain)).unwrap_or_else(|| MISSING_HOST.to_vec())),
    });
}

/// Skips to the token after the next `,` (the end of this item), stopping
/// before a `;` that closes the enclosing group.
fn skip_rest(tokens: &[Token<'_>], mut i: usize, in_group: bool) -> usize {
    while let Some(token) = tokens.get(i) {
        match token {
            Token::Special(b',') => return i + 1,
            Token::Special(b';') if in_group => return i,
            _ => i += 1,
        }
    }
    i
}

/// A display name: words joined by one space, quoted strings unquoted.
fn phrase(words: &[Token<'_>]) -> Option<Vec<u8>> {
    let mut name = Vec::new();
    for word in words {
        let text = match word {
            Token::Atom(a) => a.to_vec(),
            Token::Quoted(q) => unescape(unquote(q)),
            _ => continue,
        };
        if !name.is_empty() {
            name.push(b' ');
        }
        name.extend_from_slice(&text);
    }
    non_empty(name)
}

/// Raw concatenation of the tokens of a local part, domain or route.
fn concat(tokens: &[Token<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for token in tokens {
        match token {
            Token::Atom(b) | Token::Quoted(b) | Token::Literal(b) => out.extend_from_slice(b),
            Token::Special(c) => out.push(*c),
            Token::Comment(_) => {}
        }
    }
    out
}

fn non_empty(bytes: Vec<u8>) -> Option<Vec<u8>> {
    (!bytes.is_empty()).then_some(bytes)
}

fn unquote(quoted: &[u8]) -> &[u8] {
    let inner = quoted.strip_prefix(b"\"").unwrap_or(quoted);
    inner.strip_suffix(b"\"").unwrap_or(inner)
}

/// Removes the backslash of each quoted-pair.
fn unescape(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut escaped = false;
    for &b in text {
        if b == b'\\' && !escaped {
            escaped = true;
        } else {
            out.push(b);
            escaped = false;
        }
    }
    out
}

fn tokenize(value: &[u8]) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            b'"' => {
                let end = quoted_end(value, i + 1, b'"');
                tokens.push(Token::Quoted(&value[i..end]));
                i = end;
            }
            b'(' => {
                let end = comment_end(value, i + 1);
                let inner_end = if value.get(end - 1) == Some(&b')') { end - 1 } else { end };
                tokens.push(Token::Comment(&value[i + 1..inner_end.max(i + 1)]));
                i = end;
            }
            b'[' => {
                let end = quoted_end(value, i + 1, b']');
                tokens.push(Token::Literal(&value[i..end]));
                i = end;
            }
            b'<' | b'>' | b':' | b';' | b'@' | b',' | b')' | b']' | b'\\' => {
                tokens.push(Token::Special(b));
                i += 1;
            }
            _ => {
                let end = value[i..].iter().position(|&c| is_delimiter(c)).map_or(value.len(), |p| i + p);
                tokens.push(Token::Atom(&value[i..end]));
                i = end;
            }
        }
    }
    tokens
}

fn is_delimiter(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'"' | b'(' | b')' | b'[' | b']' | b'<' | b'>' | b':' | b';' | b'@' | b',' | b'\\')
}

/// Offset just past the closing `close` of a string opened before `i`,
/// honouring backslash escapes; the end of `value` if it is unterminated.
fn quoted_end(value: &[u8], mut i: usize, close: u8) -> usize {
    while i < value.len() {
        match value[i] {
            b'\\' => i += 2,
            c if c == close => return i + 1,
            _ => i += 1,
        }
    }
    value.len()
}

/// Offset just past the `)` that closes a comment opened before `i`.
fn comment_end(value: &[u8], mut i: usize) -> usize {
    let mut depth = 1;
    while i < value.len() {
        match value[i] {
            b'\\' => i += 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    value.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(name: Option<&str>, mailbox: Option<&str>, host: Option<&str>) -> Address {
        Address {
            name: name.map(|s| s.as_bytes().to_vec()),
            adl: None,
            mailbox: mailbox.map(|s| s.as_bytes().to_vec()),
            host: host.map(|s| s.as_bytes().to_vec()),
        }
    }

    fn check(input: &str, expected: &[Address]) {
        assert_eq!(parse_list(input.as_bytes()), expected, "input: {input}");
    }

    #[test]
    fn name_addr_and_addr_spec() {
        check(
            r#""Doe, John" <john@example.com>, jane@example.org (Jane R.)"#,
            &[addr(Some("Doe, John"), Some("john"), Some("example.com")), addr(Some("Jane R."), Some("jane"), Some("example.org"))],
        );
        check(
            "=?utf-8?q?J=C3=B6rg?= Q. Public <jqp@example.com>",
            &[addr(Some("=?utf-8?q?J=C3=B6rg?= Q. Public"), Some("jqp"), Some("example.com"))],
        );
        check(
            r#""quoted \"name\"" <"odd local"@[10.0.0.1]>"#,
            &[addr(Some(r#"quoted "name""#), Some(r#""odd local""#), Some("[10.0.0.1]"))],
        );
    }

    #[test]
    fn groups() {
        check("undisclosed-recipients:;", &[addr(None, Some("undisclosed-recipients"), None), addr(None, None, None)]);
        check(
            "A Group: a@x, B <b@y>; c@z",
            &[
                addr(None, Some("A Group"), None),
                addr(None, Some("a"), Some("x")),
                addr(Some("B"), Some("b"), Some("y")),
                addr(None, None, None),
                addr(None, Some("c"), Some("z")),
            ],
        );
    }

    #[test]
    fn route_and_broken_input() {
        let got = parse_list(b"<@a.example,@b.example:joe@c.example>");
        assert_eq!(got[0].adl.as_deref(), Some(&b"@a.example,@b.example"[..]));
        assert_eq!(got[0].mailbox.as_deref(), Some(&b"joe"[..]));
        check(
            "joe, <>, Jim <jim@",
            &[
                addr(None, Some("joe"), Some(".MISSING-HOST-NAME.")),
                addr(None, Some("MISSING_MAILBOX"), Some(".MISSING-HOST-NAME.")),
                addr(Some("Jim"), Some("jim"), Some(".MISSING-HOST-NAME.")),
            ],
        );
        check(",,, ", &[]);
        check("\"unterminated <a@b>", &[addr(None, Some("unterminated <a@b>"), Some(".MISSING-HOST-NAME."))]);
    }
}
