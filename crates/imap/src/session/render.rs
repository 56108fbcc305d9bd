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
}
