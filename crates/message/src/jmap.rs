//! JMAP's view of the body (RFC 8621 section 4.1.4): which parts are the
//! text body, the HTML body and the attachments, `hasAttachment`, `preview`.

use crate::decode::part_text;
use crate::model::BodyPart;

/// Part ids of JMAP `textBody`, `htmlBody` and `attachments`.
#[derive(Debug, Default)]
pub(crate) struct BodyLists {
    pub text: Vec<String>,
    pub html: Vec<String>,
    pub attachments: Vec<String>,
}

/// RFC 8621's `parseStructure`, applied to the message root.
pub(crate) fn body_lists(root: &BodyPart) -> BodyLists {
    let mut lists = BodyLists::default();
    let mut attachments = Vec::new();
    let (mut text, mut html) = (Vec::new(), Vec::new());
    parse_structure(std::slice::from_ref(root), "mixed", false, Some(&mut html), Some(&mut text), &mut attachments);
    let id = |p: &BodyPart| p.part_id.clone().unwrap_or_default();
    lists.text = text.into_iter().map(id).collect();
    lists.html = html.into_iter().map(id).collect();
    lists.attachments = attachments.into_iter().map(id).collect();
    lists
}

/// A transcription of the RFC's pseudo-code. Setting `text_body` or
/// `html_body` to None inside one call mirrors the JavaScript assigning
/// `null` to its local variable: the caller's lists are unaffected.
fn parse_structure<'a>(
    parts: &'a [BodyPart],
    multipart_type: &str,
    in_alternative: bool,
    mut html_body: Option<&mut Vec<&'a BodyPart>>,
    mut text_body: Option<&mut Vec<&'a BodyPart>>,
    attachments: &mut Vec<&'a BodyPart>,
) {
    let text_length = text_body.as_ref().map(|t| t.len());
    let html_length = html_body.as_ref().map(|h| h.len());

    for (i, part) in parts.iter().enumerate() {
        let is_inline = part.disposition.as_ref().is_none_or(|d| d.kind != "attachment")
            && (part.is("text", "plain") || part.is("text", "html") || is_inline_media(part))
            && (i == 0 || (multipart_type != "related" && (is_inline_media(part) || part.file_name().is_none())));

        if part.is_multipart() {
            let sub_type = part.subtype.to_ascii_lowercase();
            parse_structure(
                &part.children,
                &sub_type,
                in_alternative || sub_type == "alternative",
                html_body.as_deref_mut(),
                text_body.as_deref_mut(),
                attachments,
            );
        } else if is_inline {
            if multipart_type == "alternative" {
                if part.is("text", "plain") {
                    if let Some(t) = text_body.as_deref_mut() {
                        t.push(part);
                    }
                } else if part.is("text", "html") {
                    if let Some(h) = html_body.as_deref_mut() {
                        h.push(part);
                    }
                } else {
                    attachments.push(part);
                }
                continue;
            } else if in_alternative {
                if part.is("text", "plain") {
                    html_body = None;
                }
                if part.is("text", "html") {
                    text_body = None;
                }
            }
            if let Some(t) = text_body.as_deref_mut() {
                t.push(part);
            }
            if let Some(h) = html_body.as_deref_mut() {
                h.push(part);
            }
            if (text_body.is_none() || html_body.is_none()) && is_inline_media(part) {
                attachments.push(part);
            }
        } else {
            attachments.push(part);
        }
    }

    if multipart_type == "alternative"
        && let (Some(text), Some(html)) = (text_body, html_body)
    {
        let (text_length, html_length) = (text_length.unwrap_or(0), html_length.unwrap_or(0));
        // Found HTML part only: it serves as the text body too.
        if text_length == text.len() && html_length != html.len() {
            text.extend_from_slice(&html[html_length..]);
        }
        // Found plain text only: it serves as the HTML body too.
        if html_length == html.len() && text_length != text.len() {
            html.extend_from_slice(&text[text_length..]);
        }
    }
}

fn is_inline_media(part: &BodyPart) -> bool {
    ["image", "audio", "video"].iter().any(|t| part.content_type.eq_ignore_ascii_case(t))
}

/// RFC 8621: hasAttachment is true if an attachment is not `inline`.
pub(crate) fn has_attachment(root: &BodyPart, attachments: &[String]) -> bool {
    root.walk()
        .into_iter()
        .any(|p| p.part_id.as_ref().is_some_and(|id| attachments.contains(id)) && p.disposition.as_ref().is_none_or(|d| d.kind != "inline"))
}

/// Characters in a JMAP preview (RFC 8621 caps it at 256).
const PREVIEW_CHARS: usize = 256;

/// The preview: the first text in `text_body` order (HTML already reduced to
/// text), white space collapsed, cut at 256 characters.
pub(crate) fn preview(raw: &[u8], root: &BodyPart, text_body: &[String]) -> String {
    let parts = root.walk();
    for id in text_body {
        let Some(part) = parts.iter().find(|p| p.part_id.as_ref() == Some(id)) else {
            continue;
        };
        let Some(text) = part_text(raw, part) else {
            continue;
        };
        // Control characters (a stray NUL, say) have no place in a UI string.
        let text: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
        let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if !collapsed.is_empty() {
            return collapsed.chars().take(PREVIEW_CHARS).collect();
        }
    }
    String::new()
}
