//! Parsing one command line (CRLF already stripped) into a [`Command`].
//!
//! Hand-written rather than smtp-proto's `Request::parse`. We need our own line
//! framing anyway: smtp-proto's `RequestReceiver` has a fixed 4096-octet limit and,
//! after an over-long line, goes on parsing the rest of that line as a new command,
//! and it neither refuses bare LF nor reports bare CR. Its parser also accepts the
//! whole ESMTP parameter zoo (DSN, AUTH=, HOLDFOR, ...) that we do not advertise and
//! would have to re-reject by inspecting flags, and its SIZE is a `usize`. What LMTP
//! needs here is ten verbs, a path and two MAIL parameters; written out, each
//! rule is one visible line, and the fuzz target has one small function to hit.
//!
//! Everything is ASCII: an 8-bit byte in a verb makes it unrecognised, in an
//! address or parameter it is a syntax error (we do not offer SMTPUTF8).

use crate::reply;

/// A well-formed command. Sequence rules are the session's business.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Lhlo,
    /// `HELO` or `EHLO`: SMTP greetings, refused on an LMTP port.
    SmtpGreeting,
    Mail {
        /// Reverse-path without `<>`; empty for the null sender.
        reverse_path: String,
        /// `SIZE=`; a value too large for `u64` is `u64::MAX` (too big for any limit).
        size: Option<u64>,
    },
    Rcpt {
        forward_path: String,
    },
    Data,
    Bdat {
        size: u64,
        last: bool,
    },
    Rset,
    Noop,
    Quit,
    Vrfy,
    Help,
    /// An SMTP verb this server does not offer (EXPN, STARTTLS, AUTH, ...).
    NotOffered,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not a verb we know: `500 5.5.2`.
    Unrecognized,
    /// A malformed `BDAT`: its chunk length is unknown, so the octets that follow
    /// cannot be told apart from commands. The session must close.
    BadBdat,
    /// A known verb with bad arguments; the reply to send.
    Invalid(&'static str),
}

/// RFC 5321 4.5.3.1.3: a path is at most 256 octets, brackets included.
const MAX_ADDRESS: usize = 254;

pub(crate) fn parse(line: &[u8]) -> Result<Command, ParseError> {
    let (verb, args) = match line.iter().position(|&b| b == b' ') {
        Some(i) => (&line[..i], trim_end(&line[i + 1..])),
        None => (line, &[][..]),
    };
    let is = |name: &str| verb.eq_ignore_ascii_case(name.as_bytes());

    if is("LHLO") {
        // RFC 2033 4.1: LHLO takes a domain. We do not check it against DNS (the
        // client is the local MTA), only that it is there and printable.
        if args.is_empty() || !args.iter().all(|&b| b.is_ascii_graphic() || b == b' ') {
            return Err(ParseError::Invalid(reply::LHLO_SYNTAX));
        }
        Ok(Command::Lhlo)
    } else if is("HELO") || is("EHLO") {
        Ok(Command::SmtpGreeting)
    } else if is("MAIL") {
        parse_mail(args)
    } else if is("RCPT") {
        parse_rcpt(args)
    } else if is("DATA") {
        no_args(args, Command::Data, reply::DATA_SYNTAX)
    } else if is("BDAT") {
        parse_bdat(args)
    } else if is("RSET") {
        no_args(args, Command::Rset, reply::RSET_SYNTAX)
    } else if is("NOOP") {
        // RFC 5321 4.1.1.9: NOOP may carry a string, which is ignored.
        Ok(Command::Noop)
    } else if is("QUIT") {
        no_args(args, Command::Quit, reply::QUIT_SYNTAX)
    } else if is("VRFY") {
        if args.is_empty() {
            return Err(ParseError::Invalid(reply::VRFY_SYNTAX));
        }
        Ok(Command::Vrfy)
    } else if is("HELP") {
        Ok(Command::Help)
    } else if ["EXPN", "TURN", "ETRN", "ATRN", "AUTH", "STARTTLS", "BURL"].iter().any(|name| is(name)) {
        Ok(Command::NotOffered)
    } else {
        Err(ParseError::Unrecognized)
    }
}

fn trim_end(s: &[u8]) -> &[u8] {
    let end = s.iter().rposition(|&b| b != b' ' && b != b'\t').map_or(0, |i| i + 1);
    &s[..end]
}

fn no_args(args: &[u8], command: Command, syntax: &'static str) -> Result<Command, ParseError> {
    if args.is_empty() { Ok(command) } else { Err(ParseError::Invalid(syntax)) }
}

/// Strips a case-insensitive `prefix` and the spaces after it. RFC 5321 allows no
/// space after the colon, but real MTAs send one and Postfix accepts it.
fn strip_keyword<'a>(args: &'a [u8], prefix: &str) -> Option<&'a [u8]> {
    let head = args.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix.as_bytes()) {
        return None;
    }
    let rest = &args[prefix.len()..];
    let spaces = rest.iter().take_while(|&&b| b == b' ').count();
    Some(&rest[spaces..])
}

fn parse_mail(args: &[u8]) -> Result<Command, ParseError> {
    let rest = strip_keyword(args, "FROM:").ok_or(ParseError::Invalid(reply::MAIL_SYNTAX))?;
    if rest.first() != Some(&b'<') {
        return Err(ParseError::Invalid(reply::MAIL_SYNTAX));
    }
    let (reverse_path, rest) = parse_path(rest, Path::Reverse).ok_or(ParseError::Invalid(reply::BAD_SENDER))?;
    let mut size = None;
    let mut body = false;
    for (keyword, value) in params(rest)? {
        if keyword.eq_ignore_ascii_case(b"SIZE") && size.is_none() {
            size = Some(parse_size(value).ok_or(ParseError::Invalid(reply::BAD_SIZE))?);
        } else if keyword.eq_ignore_ascii_case(b"BODY") && !body {
            // RFC 6152: 8BITMIME; 7BIT is the default stated explicitly. We store
            // octets as they come, so neither changes anything but must be accepted.
            let value = value.ok_or(ParseError::Invalid(reply::BAD_BODY))?;
            if !value.eq_ignore_ascii_case(b"8BITMIME") && !value.eq_ignore_ascii_case(b"7BIT") {
                return Err(ParseError::Invalid(reply::BAD_BODY));
            }
            body = true;
        } else if keyword.eq_ignore_ascii_case(b"SIZE") || keyword.eq_ignore_ascii_case(b"BODY") {
            return Err(ParseError::Invalid(reply::DUPLICATE_PARAMETER));
        } else {
            return Err(ParseError::Invalid(reply::UNSUPPORTED_PARAMETER));
        }
    }
    Ok(Command::Mail { reverse_path, size })
}

fn parse_rcpt(args: &[u8]) -> Result<Command, ParseError> {
    let rest = strip_keyword(args, "TO:").ok_or(ParseError::Invalid(reply::RCPT_SYNTAX))?;
    if rest.first() != Some(&b'<') {
        return Err(ParseError::Invalid(reply::RCPT_SYNTAX));
    }
    let (forward_path, rest) = parse_path(rest, Path::Forward).ok_or(ParseError::Invalid(reply::BAD_RECIPIENT))?;
    // We advertise no RCPT parameter (no DSN).
    if params(rest)?.next().is_some() {
        return Err(ParseError::Invalid(reply::UNSUPPORTED_PARAMETER));
    }
    Ok(Command::Rcpt { forward_path })
}

/// `SIZE=digits`: `None` when malformed, `u64::MAX` when it overflows.
fn parse_size(value: Option<&[u8]>) -> Option<u64> {
    let value = value.filter(|v| !v.is_empty() && v.iter().all(u8::is_ascii_digit))?;
    Some(value.iter().try_fold(0u64, |n, &d| n.checked_mul(10)?.checked_add(u64::from(d - b'0'))).unwrap_or(u64::MAX))
}

/// The ` keyword[=value]` parameters after a path (RFC 5321 4.1.2 esmtp-param).
fn params(rest: &[u8]) -> Result<impl Iterator<Item = (&[u8], Option<&[u8]>)>, ParseError> {
    if !rest.is_empty() && rest[0] != b' ' {
        return Err(ParseError::Invalid(reply::PARAMETER_SYNTAX));
    }
    let well_formed = rest.split(|&b| b == b' ').filter(|p| !p.is_empty()).all(|param| {
        let (keyword, value) = split_param(param);
        !keyword.is_empty()
            && keyword.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            && value.is_none_or(|v| v.iter().all(|&b| b.is_ascii_graphic() && b != b'='))
    });
    if !well_formed {
        return Err(ParseError::Invalid(reply::PARAMETER_SYNTAX));
    }
    Ok(rest.split(|&b| b == b' ').filter(|p| !p.is_empty()).map(split_param))
}

fn split_param(param: &[u8]) -> (&[u8], Option<&[u8]>) {
    match param.iter().position(|&b| b == b'=') {
        Some(i) => (&param[..i], Some(&param[i + 1..])),
        None => (param, None),
    }
}

fn parse_bdat(args: &[u8]) -> Result<Command, ParseError> {
    let mut words = args.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let size = words.next().ok_or(ParseError::BadBdat)?;
    // A size is digits only; 20 of them already exceed u64.
    if size.is_empty() || size.len() > 20 || !size.iter().all(u8::is_ascii_digit) {
        return Err(ParseError::BadBdat);
    }
    let size = std::str::from_utf8(size).ok().and_then(|s| s.parse().ok()).ok_or(ParseError::BadBdat)?;
    let last = match words.next() {
        None => false,
        Some(word) if word.eq_ignore_ascii_case(b"LAST") => true,
        Some(_) => return Err(ParseError::BadBdat),
    };
    if words.next().is_some() {
        return Err(ParseError::BadBdat);
    }
    Ok(Command::Bdat { size, last })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Path {
    Reverse,
    Forward,
}

/// Parses `<...>` at the start of `s`: returns the mailbox (source route dropped,
/// RFC 5321 4.1.1.3 says to ignore it) and what follows the `>`.
///
/// Accepts dot-string or quoted local parts and domains or address literals;
/// dot placement is not policed, since real-world local parts break that rule
/// and the backend decides who exists. Only printable ASCII gets through, so an
/// address is always safe to echo in a reply.
fn parse_path(s: &[u8], kind: Path) -> Option<(String, &[u8])> {
    let mut i = 1; // past '<'
    if s.get(i) == Some(&b'@') {
        let colon = s[i..].iter().position(|&b| b == b':')?;
        if !s[i..i + colon].iter().all(|&b| b.is_ascii_graphic() && b != b'<' && b != b'>') {
            return None;
        }
        i += colon + 1;
    }
    let start = i;
    if s.get(i) == Some(&b'>') {
        // `<>`: the null reverse-path only.
        return (kind == Path::Reverse && start == 1).then(|| (String::new(), &s[i + 1..]));
    }

    // Local part.
    if s.get(i) == Some(&b'"') {
        i += 1;
        loop {
            match *s.get(i)? {
                b'"' => break,
                b'\\' => {
                    if !matches!(s.get(i + 1), Some(b' '..=b'~')) {
                        return None;
                    }
                    i += 2;
                }
                b' '..=b'~' => i += 1,
                _ => return None,
            }
        }
        i += 1;
    } else {
        let n = s[i..].iter().take_while(|&&b| is_atext(b) || b == b'.').count();
        if n == 0 {
            return None;
        }
        i += n;
    }
    let local_end = i;

    // Domain.
    match *s.get(i)? {
        b'>' => {
            // RFC 5321 4.1.1.3: `<Postmaster>` without a domain must be accepted.
            let postmaster = s[start..local_end].eq_ignore_ascii_case(b"postmaster");
            if kind != Path::Forward || !postmaster {
                return None;
            }
        }
        b'@' => {
            i += 1;
            if s.get(i) == Some(&b'[') {
                let n = s[i + 1..].iter().take_while(|&&b| b.is_ascii_graphic() && !matches!(b, b'[' | b']' | b'\\')).count();
                if n == 0 || s.get(i + 1 + n) != Some(&b']') {
                    return None;
                }
                i += n + 2;
            } else {
                let n = s[i..].iter().take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.').count();
                if n == 0 {
                    return None;
                }
                i += n;
            }
            if s.get(i) != Some(&b'>') {
                return None;
            }
        }
        _ => return None,
    }
    if i - start > MAX_ADDRESS {
        return None;
    }
    // Only ASCII got this far.
    let address = String::from_utf8(s[start..i].to_vec()).ok()?;
    Some((address, &s[i + 1..]))
}

/// RFC 5322 atext.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(line: &str) -> Result<Command, ParseError> {
        parse(line.as_bytes())
    }

    #[test]
    fn paths() {
        let ok = |line: &str, want: &str| match mail(line) {
            Ok(Command::Rcpt { forward_path }) => assert_eq!(forward_path, want, "{line}"),
            other => panic!("{line}: {other:?}"),
        };
        ok("RCPT TO:<a@b.example>", "a@b.example");
        ok("rcpt to: <a@b.example>", "a@b.example");
        ok("RCPT TO:<@relay.example,@r2.example:a@b.example>", "a@b.example");
        ok("RCPT TO:<\"John Doe\"@b.example>", "\"John Doe\"@b.example");
        ok("RCPT TO:<\"a\\\"b\"@b.example>", "\"a\\\"b\"@b.example");
        ok("RCPT TO:<a@[192.0.2.1]>", "a@[192.0.2.1]");
        ok("RCPT TO:<Postmaster>", "Postmaster");
        ok("RCPT TO:<a+tag@b.example>   ", "a+tag@b.example");

        let bad = |line: &[u8]| assert!(parse(line).is_err(), "{:?}", String::from_utf8_lossy(line));
        bad(b"RCPT TO:<>");
        bad(b"RCPT TO:a@b.example");
        bad(b"RCPT TO:<a@b.example");
        bad(b"RCPT TO:<a b@c.example>");
        bad(b"RCPT TO:<a@>");
        bad(b"RCPT TO:<alice>");
        bad(b"RCPT TO:<a@b.example>x");
        bad(b"RCPT TO:<\xc3\xa9@b.example>");
        bad(b"RCPT TO:<a@b\xff.example>");
        bad(b"RCPT TO:<a@b.example> NOTIFY=NEVER");
        bad(format!("RCPT TO:<{}@b.example>", "a".repeat(250)).as_bytes());
    }

    #[test]
    fn mail_parameters() {
        let from = |line: &str| match mail(line) {
            Ok(Command::Mail { reverse_path, size }) => (reverse_path, size),
            other => panic!("{line}: {other:?}"),
        };
        assert_eq!(from("MAIL FROM:<>"), (String::new(), None));
        assert_eq!(from("MAIL FROM:<a@b.example> SIZE=1000"), ("a@b.example".into(), Some(1000)));
        assert_eq!(from("MAIL FROM:<a@b.example> body=8bitmime size=5"), ("a@b.example".into(), Some(5)));
        assert_eq!(from("MAIL FROM:<> SIZE=99999999999999999999999").1, Some(u64::MAX));

        assert_eq!(mail("MAIL FROM:<> SIZE=x"), Err(ParseError::Invalid(reply::BAD_SIZE)));
        assert_eq!(mail("MAIL FROM:<> SIZE"), Err(ParseError::Invalid(reply::BAD_SIZE)));
        assert_eq!(mail("MAIL FROM:<> SIZE=1 SIZE=2"), Err(ParseError::Invalid(reply::DUPLICATE_PARAMETER)));
        assert_eq!(mail("MAIL FROM:<> BODY=BINARYMIME"), Err(ParseError::Invalid(reply::BAD_BODY)));
        assert_eq!(mail("MAIL FROM:<> RET=FULL"), Err(ParseError::Invalid(reply::UNSUPPORTED_PARAMETER)));
        assert_eq!(mail("MAIL FROM:<> SIZE=1=2"), Err(ParseError::Invalid(reply::PARAMETER_SYNTAX)));
        assert_eq!(mail("MAIL TO:<>"), Err(ParseError::Invalid(reply::MAIL_SYNTAX)));
    }

    #[test]
    fn bdat() {
        assert_eq!(mail("BDAT 10"), Ok(Command::Bdat { size: 10, last: false }));
        assert_eq!(mail("bdat 0 last"), Ok(Command::Bdat { size: 0, last: true }));
        for bad in ["BDAT", "BDAT x", "BDAT -1", "BDAT 1 FIRST", "BDAT 1 LAST x", "BDAT 99999999999999999999"] {
            assert_eq!(mail(bad), Err(ParseError::BadBdat), "{bad}");
        }
    }

    #[test]
    fn verbs() {
        assert_eq!(mail("lhlo client.example"), Ok(Command::Lhlo));
        assert_eq!(mail("LHLO"), Err(ParseError::Invalid(reply::LHLO_SYNTAX)));
        assert_eq!(mail("EHLO x"), Ok(Command::SmtpGreeting));
        assert_eq!(mail("DATA "), Ok(Command::Data));
        assert_eq!(mail("DATA x"), Err(ParseError::Invalid(reply::DATA_SYNTAX)));
        assert_eq!(mail("NOOP anything"), Ok(Command::Noop));
        assert_eq!(mail("EXPN list"), Ok(Command::NotOffered));
        assert_eq!(mail(""), Err(ParseError::Unrecognized));
        assert_eq!(parse(b"\xffQUIT"), Err(ParseError::Unrecognized));
    }
}
