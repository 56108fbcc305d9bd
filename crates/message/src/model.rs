//! The stored value types: what a message's parse leaves behind for IMAP FETCH
//! and JMAP Email/get. Plain serde derives only, because the store writes these
//! with postcard, which is not self-describing.

use serde::{Deserialize, Serialize};

/// Everything about one message that serving it later needs, computed once at
/// delivery so that FETCH and Email/get never re-parse the blob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageSummary {
    /// `raw.len()`: IMAP RFC822.SIZE, JMAP `size`.
    pub size: u64,
    /// The Date: header as unix seconds (UTC); None if absent or unparseable.
    pub sent_at: Option<i64>,
    /// IMAP ENVELOPE of the message itself.
    pub envelope: Envelope,
    /// The message as a MIME entity: `root.header` is the message header,
    /// `root.body` its body (IMAP BODY[HEADER] and BODY[TEXT]).
    pub root: BodyPart,
    /// First Message-ID, without the angle brackets.
    pub message_id: Option<String>,
    /// In-Reply-To ids, without angle brackets.
    pub in_reply_to: Vec<String>,
    /// References ids, without angle brackets.
    pub references: Vec<String>,
    /// RFC 5256 section 2.1 base subject of the decoded Subject, case kept:
    /// compare it with the i;ascii-casemap (or i;unicode-casemap) collation.
    pub base_subject: String,
    /// JMAP `preview`: at most 256 characters, whitespace collapsed.
    pub preview: String,
    /// JMAP `hasAttachment`: `attachments` holds a part whose disposition is
    /// not `inline` (RFC 8621 section 4.1.4).
    pub has_attachment: bool,
    /// JMAP `textBody`: part ids, in order (RFC 8621 section 4.1.4).
    pub text_body: Vec<String>,
    /// JMAP `htmlBody`: part ids, in order.
    pub html_body: Vec<String>,
    /// JMAP `attachments`: part ids, in order.
    pub attachments: Vec<String>,
}

/// IMAP ENVELOPE (RFC 3501 / RFC 9051 section 7.5.2). Strings are the raw
/// header bytes, unfolded and trimmed but not decoded: IMAP sends them as
/// received, RFC 2047 encoded-words and all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    pub date: Option<Vec<u8>>,
    pub subject: Option<Vec<u8>>,
    pub from: Vec<Address>,
    /// Filled from `from` when the Sender header is absent or empty, as
    /// RFC 3501 asks of the server.
    pub sender: Vec<Address>,
    /// Filled from `from` when the Reply-To header is absent or empty.
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub bcc: Vec<Address>,
    pub in_reply_to: Option<Vec<u8>>,
    pub message_id: Option<Vec<u8>>,
}

/// One IMAP envelope address. RFC 3501 group syntax: a group starts with
/// `host: None` and `mailbox` = the group name, and ends with all four None.
/// An ordinary address always has `mailbox` and `host` set; where the header
/// lacks one, the c-client placeholders `MISSING_MAILBOX` and
/// `.MISSING-HOST-NAME.` stand in, so a malformed address can never be read
/// as a group marker.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Display name: quotes removed, quoted-pairs unescaped, words joined by
    /// one space, encoded-words left encoded. For `addr (Comment)` the comment.
    pub name: Option<Vec<u8>>,
    /// Obsolete source route, e.g. `@a.example,@b.example`.
    pub adl: Option<Vec<u8>>,
    /// Local part as written (a quoted local part keeps its quotes).
    pub mailbox: Option<Vec<u8>>,
    pub host: Option<Vec<u8>>,
}

/// One MIME entity: a node of IMAP BODYSTRUCTURE, with the byte ranges that
/// BODY[section] needs.
///
/// Invariants the IMAP and JMAP crates may rely on:
/// - `content_type == "multipart"` if and only if `children` is non-empty (a
///   multipart whose delimiters are missing gets one empty text/plain child,
///   as Dovecot does, because IMAP cannot express an empty multipart);
/// - `message` is Some only for message/rfc822 and message/global bodies with
///   an identity transfer encoding (7bit, 8bit, binary or none). A message/*
///   part without it (base64-encoded, or nested too deep) must be written to
///   IMAP as a basic body, not as `body-type-msg`;
/// - ranges satisfy `header.0 <= header.1 <= body.0 <= body.1 <= raw.len()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyPart {
    /// IMAP section number ("1", "1.2", ...), also used as JMAP partId. None
    /// for a multipart that is itself the body of a message (the top-level
    /// one, or one inside message/rfc822): it has no number of its own and
    /// is addressed as that message's TEXT.
    pub part_id: Option<String>,
    /// Media type, lower case as mail-parser normalises it ("text").
    pub content_type: String,
    /// Media subtype, lower case ("plain").
    pub subtype: String,
    /// Content-Type parameters, names lower case, RFC 2231 decoded. A part
    /// without a (valid) Content-Type gets `charset=us-ascii` (RFC 2045).
    pub params: Vec<(String, String)>,
    /// Content-ID, raw (angle brackets kept), unfolded.
    pub id: Option<String>,
    /// Content-Description, raw (not RFC 2047 decoded), unfolded.
    pub description: Option<String>,
    /// Content-Transfer-Encoding token as written; "7bit" when absent.
    pub encoding: String,
    /// Octets of the encoded body: `body.1 - body.0`.
    pub size: u32,
    /// Text lines of the encoded body, for text/* and message/* only: line
    /// feeds counted, plus one for a last line without one.
    pub lines: Option<u32>,
    /// Content-MD5, raw, if the header is present.
    pub md5: Option<String>,
    pub disposition: Option<Disposition>,
    /// Content-Language tags.
    pub language: Vec<String>,
    /// Content-Location, raw, unfolded.
    pub location: Option<String>,
    /// Byte range of this entity's header in `raw`, end exclusive, including
    /// the blank line that ends it: BODY[n.MIME] (or BODY[HEADER] for a
    /// message's root) is exactly `raw[header.0..header.1]`. Empty when the
    /// entity has no header.
    pub header: (u32, u32),
    /// Byte range of the body, end exclusive: BODY[n] is `raw[body.0..body.1]`.
    /// In a multipart, the line break before a boundary belongs to the
    /// boundary (RFC 2046), so it is not part of the body.
    pub body: (u32, u32),
    /// Sub-parts of a multipart, in order.
    pub children: Vec<BodyPart>,
    /// The encapsulated message of a message/rfc822 (or message/global) part.
    pub message: Option<Box<Nested>>,
}

/// Content-Disposition: the value (e.g. "attachment"), lower case, and params.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Disposition {
    pub kind: String,
    pub params: Vec<(String, String)>,
}

/// A message inside a message/rfc822 part. `root.header` is its header (IMAP
/// BODY[n.HEADER]) and `root.body` its body (BODY[n.TEXT]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Nested {
    pub envelope: Envelope,
    pub root: BodyPart,
}

impl BodyPart {
    /// A Content-Type parameter by (lower case) name.
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }

    /// The file name a client should offer: Content-Disposition `filename`,
    /// else Content-Type `name` (both already RFC 2231 decoded).
    pub fn file_name(&self) -> Option<&str> {
        self.disposition.as_ref().and_then(|d| find(&d.params, "filename")).or_else(|| self.param("name"))
    }

    /// Whether this is `type/subtype`, compared case-insensitively.
    pub fn is(&self, content_type: &str, subtype: &str) -> bool {
        self.content_type.eq_ignore_ascii_case(content_type) && self.subtype.eq_ignore_ascii_case(subtype)
    }

    pub fn is_multipart(&self) -> bool {
        !self.children.is_empty()
    }

    /// This part and every part below it, depth first, in section order,
    /// descending into encapsulated messages.
    pub fn walk(&self) -> Vec<&BodyPart> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(part) = stack.pop() {
            out.push(part);
            if let Some(nested) = &part.message {
                stack.push(&nested.root);
            }
            stack.extend(part.children.iter().rev());
        }
        out
    }
}

fn find<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
}
