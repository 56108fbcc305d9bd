//! FETCH data from the parse-once summary: ENVELOPE, BODY/BODYSTRUCTURE,
//! the bytes of a section (with HEADER.FIELDS filtering), BINARY decoding,
//! flags and dates.

use crate::codec::{
    command::{Section, SectionText},
    encode,
};
use std::borrow::Cow;
use tresor_message::{Address, BodyPart, Envelope, MessageSummary};

pub fn envelope(out: &mut Vec<u8>, env: &Envelope) {
    out.push(b'(');
    encode::nstring(out, env.date.as_deref());
    out.push(b' ');
    encode::nstring(out, env.subject.as_deref());
    for list in [&env.from, &env.sender, &env.reply_to, &env.to, &env.cc, &env.bcc] {
        out.push(b' ');
        addresses(out, list);
    }
    out.push(b' ');
    encode::nstring(out, env.in_reply_to.as_deref());
    out.push(b' ');
    encode::nstring(out, env.message_id.as_deref());
    out.push(b')');
}

fn addresses(out: &mut Vec<u8>, list: &[Address]) {
    if list.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in list {
        out.push(b'(');
        encode::nstring(out, a.name.as_deref());
        out.push(b' ');
        encode::nstring(out, a.adl.as_deref());
        out.push(b' ');
        encode::nstring(out, a.mailbox.as_deref());
        out.push(b' ');
        encode::nstring(out, a.host.as_deref());
        out.push(b')');
    }
    out.push(b')');
}

/// BODY (`extensible` false) or BODYSTRUCTURE (true) of a part.
pub fn body_structure(out: &mut Vec<u8>, part: &BodyPart, extensible: bool) {
    out.push(b'(');
    if part.is_multipart() {
        for child in &part.children {
            body_structure(out, child, extensible);
        }
        out.push(b' ');
        encode::string(out, part.subtype.as_bytes());
        if extensible {
            out.push(b' ');
            params(out, &part.params);
            extension_tail(out, part);
        }
    } else {
        encode::string(out, part.content_type.as_bytes());
        out.push(b' ');
        encode::string(out, part.subtype.as_bytes());
        out.push(b' ');
        if part.content_type.eq_ignore_ascii_case("text") && part.param("charset").is_none() {
            // RFC 2045 5.2: a text part's default charset.
            let mut with_default = vec![("charset".to_owned(), "us-ascii".to_owned())];
            with_default.extend(part.params.iter().cloned());
            params(out, &with_default);
        } else {
            params(out, &part.params);
        }
        out.push(b' ');
        encode::nstring(out, part.id.as_deref().map(str::as_bytes));
        out.push(b' ');
        encode::nstring(out, part.description.as_deref().map(str::as_bytes));
        out.push(b' ');
        encode::string(out, part.encoding.as_bytes());
        out.extend_from_slice(format!(" {}", part.size).as_bytes());
        if let Some(nested) = part.message.as_ref().filter(|_| part.content_type.eq_ignore_ascii_case("message")) {
            out.push(b' ');
            envelope(out, &nested.envelope);
            out.push(b' ');
            body_structure(out, &nested.root, extensible);
            out.extend_from_slice(format!(" {}", part.lines.unwrap_or(0)).as_bytes());
        } else if part.content_type.eq_ignore_ascii_case("text") {
            out.extend_from_slice(format!(" {}", part.lines.unwrap_or(0)).as_bytes());
        }
        if extensible {
            out.push(b' ');
            encode::nstring(out, part.md5.as_deref().map(str::as_bytes));
            extension_tail(out, part);
        }
    }
    out.push(b')');
}

/// Disposition, language, location.
fn extension_tail(out: &mut Vec<u8>, part: &BodyPart) {
    out.push(b' ');
    match &part.disposition {
        Some(d) => {
            out.push(b'(');
            encode::string(out, d.kind.as_bytes());
            out.push(b' ');
            params(out, &d.params);
            out.push(b')');
        }
        None => out.extend_from_slice(b"NIL"),
    }
    out.push(b' ');
    match part.language.as_slice() {
        [] => out.extend_from_slice(b"NIL"),
        [one] => encode::string(out, one.as_bytes()),
        many => {
            out.push(b'(');
            for (i, l) in many.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                encode::string(out, l.as_bytes());
            }
            out.push(b')');
        }
    }
    out.push(b' ');
    encode::nstring(out, part.location.as_deref().map(str::as_bytes));
}

fn params(out: &mut Vec<u8>, params: &[(String, String)]) {
    if params.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        encode::string(out, k.as_bytes());
        out.push(b' ');
        encode::string(out, v.as_bytes());
    }
    out.push(b')');
}

/// The bytes of `BODY[section]`; None when the message has no such part.
pub fn section_bytes<'a>(raw: &'a [u8], summary: &MessageSummary, section: &Section) -> Option<Cow<'a, [u8]>> {
    use tresor_message::SectionText as T;
    let (text, filter) = match &section.text {
        None => (T::Full, None),
        Some(SectionText::Header) => (T::Header, None),
        Some(SectionText::Text) => (T::Text, None),
        Some(SectionText::Mime) => (T::Mime, None),
        Some(SectionText::HeaderFields(names)) => (T::Header, Some((names, true))),
        Some(SectionText::HeaderFieldsNot(names)) => (T::Header, Some((names, false))),
    };
    // `BODY[1]` of a message that is not multipart is its body.
    let bytes = tresor_message::section(raw, summary, &section.part, text)?;
    match filter {
        None => Some(Cow::Borrowed(bytes)),
        Some((names, keep)) => Some(Cow::Owned(filter_fields(bytes, names, keep))),
    }
}

/// The fields of a header block whose names are (`keep`) or are not in
/// `names`, each with its continuation lines, then the blank line.
fn filter_fields(block: &[u8], names: &[String], keep: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < block.len() {
        let start = pos;
        let mut end = line_end(block, pos);
        if block[start..end].iter().all(|&b| b == b'\r' || b == b'\n') {
            break;
        }
        while end < block.len() && matches!(block[end], b' ' | b'\t') {
            end = line_end(block, end);
        }
        pos = end;
        let field = &block[start..end];
        let Some(colon) = field.iter().position(|&b| b == b':') else { continue };
        let name = field[..colon].trim_ascii_end();
        let listed = names.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name));
        if listed == keep {
            out.extend_from_slice(field);
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn line_end(block: &[u8], from: usize) -> usize {
    block[from..].iter().position(|&b| b == b'\n').map_or(block.len(), |i| from + i + 1)
}

/// The echo of a section in a FETCH response: `1.2.HEADER.FIELDS (A B)`.
pub fn section_name(out: &mut Vec<u8>, section: &Section) {
    let path: Vec<String> = section.part.iter().map(u32::to_string).collect();
    out.extend_from_slice(path.join(".").as_bytes());
    let Some(text) = &section.text else { return };
    if !section.part.is_empty() {
        out.push(b'.');
    }
    let (word, names): (&[u8], Option<&Vec<String>>) = match text {
        SectionText::Header => (b"HEADER", None),
        SectionText::Text => (b"TEXT", None),
        SectionText::Mime => (b"MIME", None),
        SectionText::HeaderFields(n) => (b"HEADER.FIELDS", Some(n)),
        SectionText::HeaderFieldsNot(n) => (b"HEADER.FIELDS.NOT", Some(n)),
    };
    out.extend_from_slice(word);
    if let Some(names) = names {
        out.extend_from_slice(b" (");
        for (i, n) in names.iter().enumerate() {
            if i > 0 {
                out.push(b' ');
            }
            encode::astring(out, n.as_bytes());
        }
        out.push(b')');
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum BinaryError {
    NoPart,
    UnknownCte,
}

/// `BINARY[part]`: the part with its transfer encoding undone (RFC 3516);
/// the whole message as stored for the empty path.
pub fn binary(raw: &[u8], summary: &MessageSummary, part: &[u32]) -> Result<Vec<u8>, BinaryError> {
    if part.is_empty() {
        return Ok(raw.to_vec());
    }
    let p = summary.part(part).ok_or(BinaryError::NoPart)?;
    if p.is_multipart() {
        return tresor_message::section(raw, summary, part, tresor_message::SectionText::Full)
            .map(<[u8]>::to_vec)
            .ok_or(BinaryError::NoPart);
    }
    let known = ["7bit", "8bit", "binary", "base64", "quoted-printable", ""];
    if !known.iter().any(|k| p.encoding.eq_ignore_ascii_case(k)) {
        return Err(BinaryError::UnknownCte);
    }
    Ok(tresor_message::decoded_part(raw, p))
}

/// A message's keywords as IMAP flags, `\Recent` first when it is recent
/// in this session.
pub fn flags(out: &mut Vec<u8>, keywords: &[String], recent: bool) {
    out.push(b'(');
    if recent {
        out.extend_from_slice(b"\\Recent");
        if !keywords.is_empty() {
            out.push(b' ');
        }
    }
    for (i, k) in keywords.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        out.extend_from_slice(
            match k.as_str() {
                "$seen" => "\\Seen",
                "$answered" => "\\Answered",
                "$flagged" => "\\Flagged",
                "$draft" => "\\Draft",
                "$deleted" => "\\Deleted",
                other => other,
            }
            .as_bytes(),
        );
    }
    out.push(b')');
}

/// The keyword an IMAP flag is stored as; None for flags that cannot be
/// stored (`\Recent`, unknown system flags, malformed keywords).
pub fn keyword_of_flag(flag: &str) -> Option<String> {
    if let Some(system) = flag.strip_prefix('\\') {
        let k = match system.to_ascii_lowercase().as_str() {
            "seen" => "$seen",
            "answered" => "$answered",
            "flagged" => "$flagged",
            "draft" => "$draft",
            "deleted" => "$deleted",
            _ => return None,
        };
        return Some(k.to_owned());
    }
    let ok = !flag.is_empty() && flag.len() <= 255 && flag.bytes().all(|b| encode::is_atom_char(b) && b != b'\\');
    ok.then(|| flag.to_ascii_lowercase())
}

/// `"17-Jul-1996 02:44:25 +0000"`.
pub fn internal_date(out: &mut Vec<u8>, unix: i64) {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, m, d) = tresor_types::time::civil_from_days(days);
    out.extend_from_slice(
        format!("\"{:02}-{}-{:04} {:02}:{:02}:{:02} +0000\"", d, MONTHS[m as usize - 1], y, secs / 3600, secs % 3600 / 60, secs % 60)
            .as_bytes(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn dates_and_flags() {
        assert_eq!(s(|o| internal_date(o, 836_732_665)), "\"07-Jul-1996 09:44:25 +0000\"");
        assert_eq!(s(|o| flags(o, &["$seen".into(), "$label".into()], false)), "(\\Seen $label)");
        assert_eq!(s(|o| flags(o, &["$seen".into()], true)), "(\\Recent \\Seen)");
        assert_eq!(keyword_of_flag("\\SEEN").as_deref(), Some("$seen"));
        assert_eq!(keyword_of_flag("\\Recent"), None);
        assert_eq!(keyword_of_flag("$Forwarded").as_deref(), Some("$forwarded"));
    }

    #[test]
    fn structure_and_sections() {
        let raw = b"From: a@example.org\r\nSubject: x\r\nX-Long: one\r\n two\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b--\r\n";
        let summary = tresor_message::parse(raw);
        let bs = s(|o| body_structure(o, &summary.root, false));
        assert!(bs.starts_with("((\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\" 5 1)"), "{bs}");
        assert!(bs.ends_with(" \"mixed\")"), "{bs}");
        let fields = Section { part: vec![], text: Some(SectionText::HeaderFields(vec!["x-long".into(), "SUBJECT".into()])) };
        assert_eq!(&*section_bytes(raw, &summary, &fields).unwrap(), b"Subject: x\r\nX-Long: one\r\n two\r\n\r\n");
        assert_eq!(binary(raw, &summary, &[2]).unwrap(), vec![0, 1, 2]);
        assert_eq!(binary(raw, &summary, &[3]), Err(BinaryError::NoPart));
        assert_eq!(s(|o| section_name(o, &fields)), "HEADER.FIELDS (x-long SUBJECT)");
    }

    /// RFC 3501's example message, extended with a group, a nested message
    /// with an 8-bit name, and an attachment in an unknown encoding.
    const NESTED: &[u8] = b"Date: Wed, 17 Jul 1996 02:23:25 -0700\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\nSubject: IMAP4rev1 WG mtg summary and minutes\r\nTo: imap@cac.washington.edu, Friends: a@example.org, \"B\" <b@example.org>;\r\ncc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>\r\nX-Folded: one\r\n\ttwo\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: quoted-printable\r\nContent-Language: de, en\r\n\r\nGr=C3=BC=C3=9Fe\r\n--outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"fwd.eml\"\r\n\r\nFrom: J\xc3\xb6rg <j@example.org>\r\nSubject: inner\r\n\r\nhi\r\nthere\r\n--outer\r\nContent-Type: application/x-thing\r\nContent-Transfer-Encoding: x-uuencode\r\nContent-Location: http://example.org/t\r\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\r\n\r\nbegin 644 x\r\n--outer--\r\n";

    #[test]
    fn envelope_with_group_and_defaults() {
        let summary = tresor_message::parse(NESTED);
        let terry = r#"(("Terry Gray" NIL "gray" "cac.washington.edu"))"#;
        let expected = format!(
            r#"("Wed, 17 Jul 1996 02:23:25 -0700" "IMAP4rev1 WG mtg summary and minutes" {terry} {terry} {terry} ((NIL NIL "imap" "cac.washington.edu")(NIL NIL "Friends" NIL)(NIL NIL "a" "example.org")("B" NIL "b" "example.org")(NIL NIL NIL NIL)) ((NIL NIL "minutes" "CNRI.Reston.VA.US")("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>")"#
        );
        assert_eq!(s(|o| envelope(o, &summary.envelope)), expected);
        // 8-bit header bytes go out as literals; missing fields are NIL.
        let inner = &summary.part(&[2]).unwrap().message.as_ref().unwrap().envelope;
        let jorg = "(({5}\r\nJ\u{f6}rg NIL \"j\" \"example.org\"))";
        assert_eq!(s(|o| envelope(o, inner)), format!("(NIL \"inner\" {jorg} {jorg} {jorg} NIL NIL NIL NIL NIL)"));
    }

    #[test]
    fn body_and_bodystructure_of_a_nested_message() {
        let summary = tresor_message::parse(NESTED);
        let jorg = "(({5}\r\nJ\u{f6}rg NIL \"j\" \"example.org\"))";
        let inner_env = format!("(NIL \"inner\" {jorg} {jorg} {jorg} NIL NIL NIL NIL NIL)");
        let body = format!(
            r#"(("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "quoted-printable" 15 1)("message" "rfc822" NIL NIL NIL "7bit" 56 {inner_env} ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 2) 5)("application" "x-thing" NIL NIL NIL "x-uuencode" 11) "mixed")"#
        );
        assert_eq!(s(|o| body_structure(o, &summary.root, false)), body);
        let structure = format!(
            r#"(("text" "plain" ("charset" "utf-8" "format" "flowed") NIL NIL "quoted-printable" 15 1 NIL NIL ("de" "en") NIL)("message" "rfc822" NIL NIL NIL "7bit" 56 {inner_env} ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 9 2 NIL NIL NIL NIL) 5 NIL ("attachment" ("filename" "fwd.eml")) NIL NIL)("application" "x-thing" NIL NIL NIL "x-uuencode" 11 "Q2hlY2sgSW50ZWdyaXR5IQ==" NIL NIL "http://example.org/t") "mixed" ("boundary" "outer") NIL NIL NIL)"#
        );
        assert_eq!(s(|o| body_structure(o, &summary.root, true)), structure);
        // A single-part message: BODY[1] is its body.
        let plain = tresor_message::parse(b"Subject: x\r\n\r\nbody\r\n");
        assert_eq!(
            s(|o| body_structure(o, &plain.root, true)),
            r#"("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL)"#
        );
    }

    #[test]
    fn sections_of_a_nested_message() {
        let summary = tresor_message::parse(NESTED);
        let get = |part: &[u32], text: Option<SectionText>| {
            section_bytes(NESTED, &summary, &Section { part: part.to_vec(), text }).map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        assert_eq!(get(&[], None).unwrap().len(), NESTED.len());
        assert!(get(&[], Some(SectionText::Header)).unwrap().ends_with("boundary=\"outer\"\r\n\r\n"));
        assert!(get(&[], Some(SectionText::Text)).unwrap().starts_with("--outer\r\n"));
        assert_eq!(get(&[1], None).as_deref(), Some("Gr=C3=BC=C3=9Fe"));
        assert!(get(&[1], Some(SectionText::Mime)).unwrap().starts_with("Content-Type: text/plain"));
        assert_eq!(get(&[2], Some(SectionText::Text)).as_deref(), Some("hi\r\nthere"));
        assert_eq!(get(&[2, 1], None).as_deref(), Some("hi\r\nthere"));
        assert_eq!(get(&[2], Some(SectionText::HeaderFields(vec!["subject".into()]))).as_deref(), Some("Subject: inner\r\n\r\n"));
        // Folded lines stay with their field; the blank line ends the block.
        let not = SectionText::HeaderFieldsNot(vec![
            "Date".into(),
            "FROM".into(),
            "to".into(),
            "Cc".into(),
            "Subject".into(),
            "Content-Type".into(),
        ]);
        assert_eq!(
            get(&[], Some(not)).as_deref(),
            Some("X-Folded: one\r\n\ttwo\r\nMessage-Id: <B27397-0100000@cac.washington.edu>\r\nMIME-Version: 1.0\r\n\r\n")
        );
        assert_eq!(get(&[], Some(SectionText::HeaderFields(vec!["X-Absent".into()]))).as_deref(), Some("\r\n"));
        // No such part, HEADER of a part that is not a message, MIME of the message.
        assert_eq!(get(&[4], None), None);
        assert_eq!(get(&[1, 2], None), None);
        assert_eq!(get(&[1], Some(SectionText::Header)), None);
        assert_eq!(get(&[], Some(SectionText::Mime)), None);
    }

    #[test]
    fn binary_undoes_transfer_encodings() {
        let summary = tresor_message::parse(NESTED);
        assert_eq!(binary(NESTED, &summary, &[1]).unwrap(), "Grüße".as_bytes());
        assert_eq!(binary(NESTED, &summary, &[2, 1]).unwrap(), b"hi\r\nthere");
        assert_eq!(binary(NESTED, &summary, &[3]), Err(BinaryError::UnknownCte));
        assert_eq!(binary(NESTED, &summary, &[9]), Err(BinaryError::NoPart));
        assert_eq!(binary(NESTED, &summary, &[]).unwrap(), NESTED);
    }

    #[test]
    fn section_names_echo_the_request() {
        let name = |part: Vec<u32>, text| s(|o| section_name(o, &Section { part, text }));
        assert_eq!(name(vec![], None), "");
        assert_eq!(name(vec![1, 2], None), "1.2");
        assert_eq!(name(vec![2], Some(SectionText::Mime)), "2.MIME");
        assert_eq!(name(vec![], Some(SectionText::Text)), "TEXT");
        assert_eq!(
            name(vec![3], Some(SectionText::HeaderFieldsNot(vec!["In-Reply-To".into(), "two words".into()]))),
            "3.HEADER.FIELDS.NOT (In-Reply-To \"two words\")"
        );
    }

    #[test]
    fn flag_mapping() {
        let all: Vec<String> = ["$seen", "$answered", "$flagged", "$draft", "$deleted", "$junk", "work"].map(String::from).to_vec();
        assert_eq!(s(|o| flags(o, &all, false)), "(\\Seen \\Answered \\Flagged \\Draft \\Deleted $junk work)");
        assert_eq!(s(|o| flags(o, &[], false)), "()");
        assert_eq!(s(|o| flags(o, &[], true)), "(\\Recent)");
        for (flag, keyword) in
            [("\\Answered", "$answered"), ("\\flagged", "$flagged"), ("\\DRAFT", "$draft"), ("\\Deleted", "$deleted"), ("Work", "work")]
        {
            assert_eq!(keyword_of_flag(flag).as_deref(), Some(keyword), "{flag}");
        }
        for flag in ["\\Recent", "\\Unknown", "\\", "", "a b", "x(y", "sq]", "star*"] {
            assert_eq!(keyword_of_flag(flag), None, "{flag}");
        }
    }

    #[test]
    fn internal_dates() {
        assert_eq!(s(|o| internal_date(o, 0)), "\"01-Jan-1970 00:00:00 +0000\"");
        assert_eq!(s(|o| internal_date(o, 951_782_400)), "\"29-Feb-2000 00:00:00 +0000\"");
        assert_eq!(s(|o| internal_date(o, -1)), "\"31-Dec-1969 23:59:59 +0000\"");
    }
}
