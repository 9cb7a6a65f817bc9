//! Attachments: the files a page links, as the record lists them (name, URL,
//! SHA-256 of the bytes, extracted text), and the reply read from an
//! attachment's text when the page itself holds only a title and links.
//!
//! The text was extracted before parsing (by the parser stage, which runs
//! the extraction tools); this module only reads what the [`RawPage`]
//! carries, so the parser stays free of I/O.
//!
//! [`RawPage`]: govwire_model::RawPage

use govwire_model::canonical::sha256_hex;
use govwire_model::profile::DetailProfile;
use govwire_model::{Attachment, RawAttachment, Warning};

use crate::html::plain_text_lines;
use crate::normalize::{is_han, remove_spaces};

/// Below this many Han characters (outside the title and the attachment
/// links) a page holds no document text of its own.
const MIN_BODY_HAN: usize = 30;

/// The same URL, whatever way it is spelled (`%`-escapes, default port).
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// The record's attachment list: the links the page shows (in page order),
/// each completed from the file the crawler fetched for it, then the fetched
/// files no link in the article matched. A file that could not be fetched or
/// read adds an `attachments` warning.
pub(crate) fn merge(
    linked: Vec<Attachment>,
    fetched: &[RawAttachment],
    warnings: &mut Vec<Warning>,
) -> Vec<Attachment> {
    let mut used = vec![false; fetched.len()];
    let mut out: Vec<Attachment> = linked
        .into_iter()
        .map(|mut attachment| {
            let found = fetched
                .iter()
                .enumerate()
                .find(|(i, raw)| !used[*i] && same_url(&raw.url, &attachment.url));
            if let Some((i, raw)) = found {
                used[i] = true;
                complete(&mut attachment, raw);
            }
            attachment
        })
        .collect();
    for (raw, _) in fetched.iter().zip(&used).filter(|(_, used)| !**used) {
        let mut attachment = Attachment {
            name: raw.name.clone(),
            url: raw.url.clone(),
            sha256: None,
            text: None,
        };
        complete(&mut attachment, raw);
        out.push(attachment);
    }
    for raw in fetched {
        if let Some(error) = &raw.error {
            warnings.push(Warning::new(
                "attachments",
                format!(
                    "The attachment `{}` ({}) could not be read: {error}",
                    raw.name, raw.url
                ),
            ));
        }
    }
    out
}

/// Fills the hash and text of `attachment` from the fetched file.
fn complete(attachment: &mut Attachment, raw: &RawAttachment) {
    if !raw.body.is_empty() {
        attachment.sha256 = Some(sha256_hex(&raw.body));
    }
    attachment.text = raw.text.as_ref().filter(|t| !t.trim().is_empty()).cloned();
    if attachment.name.trim().is_empty() {
        attachment.name = raw.name.clone();
    }
}

fn han_count(s: &str) -> usize {
    s.chars().filter(|c| is_han(*c)).count()
}

/// Whether `line` is only a pointer to an attachment: it names one of the
/// files, or is an `附件` label.
fn is_link_line(line: &str, attachments: &[Attachment]) -> bool {
    let compact = remove_spaces(line);
    if compact.starts_with("附件") && han_count(&compact) < MIN_BODY_HAN {
        return true;
    }
    attachments.iter().any(|a| {
        let name = remove_spaces(&a.name);
        let file = a.url.rsplit('/').next().unwrap_or_default();
        (!name.is_empty() && compact.contains(name.as_ref()))
            || (!file.is_empty() && compact.contains(file))
    })
}

/// The attachment the reply must be read from, and its text as lines, when
/// the page's own lines (outside the title and the links) hold no document
/// text but an attachment's text does. The attachment with the most Han text
/// wins.
pub(crate) fn body_from_attachment<'a>(
    page_lines: &[String],
    title: Option<&str>,
    attachments: &'a [Attachment],
    profile: &DetailProfile,
) -> Option<(&'a Attachment, Vec<String>)> {
    // The attachment is looked for first: most pages have none with text,
    // and then the page's own lines need not be read at all.
    let (attachment, text, _) = attachments
        .iter()
        .filter_map(|a| a.text.as_deref().map(|t| (a, t, han_count(t))))
        .filter(|(_, _, han)| *han >= MIN_BODY_HAN)
        .fold(
            None::<(&Attachment, &str, usize)>,
            |best, (a, t, han)| match best {
                Some((_, _, best_han)) if best_han >= han => best,
                _ => Some((a, t, han)),
            },
        )?;
    let title = title.map(remove_spaces).unwrap_or_default();
    let mut own_text = 0usize;
    for line in page_lines {
        if (title.is_empty() || remove_spaces(line) != title) && !is_link_line(line, attachments) {
            own_text += han_count(line);
            if own_text >= MIN_BODY_HAN {
                return None;
            }
        }
    }
    let lines = plain_text_lines(text, profile);
    (!lines.is_empty()).then_some((attachment, lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(url: &str, body: &[u8], text: Option<&str>, error: Option<&str>) -> RawAttachment {
        RawAttachment {
            name: "附件.pdf".into(),
            url: url.into(),
            content_type: Some("application/pdf".into()),
            body: body.to_vec(),
            text: text.map(String::from),
            error: error.map(String::from),
        }
    }

    fn link(name: &str, url: &str) -> Attachment {
        Attachment {
            name: name.into(),
            url: url.into(),
            sha256: None,
            text: None,
        }
    }

    #[test]
    fn a_linked_file_gets_the_hash_of_its_bytes_and_its_text() {
        let mut warnings = Vec::new();
        let merged = merge(
            vec![link("答复全文", "http://x/files/a%20b.pdf")],
            &[raw(
                "http://x/files/a b.pdf",
                b"%PDF-1.4",
                Some("答复"),
                None,
            )],
            &mut warnings,
        );
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].name, "答复全文");
        assert_eq!(
            merged[0].sha256.as_deref(),
            Some(sha256_hex(b"%PDF-1.4").as_str())
        );
        assert_eq!(merged[0].text.as_deref(), Some("答复"));
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_fetched_file_no_article_link_names_is_still_listed() {
        let mut warnings = Vec::new();
        let merged = merge(
            vec![],
            &[raw("http://x/b.pdf", b"x", None, None)],
            &mut warnings,
        );
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].url, "http://x/b.pdf");
    }

    #[test]
    fn a_file_that_failed_is_listed_without_hash_and_warned_about() {
        let mut warnings = Vec::new();
        let merged = merge(
            vec![link("a.pdf", "http://x/a.pdf")],
            &[raw("http://x/a.pdf", b"", None, Some("HTTP 404"))],
            &mut warnings,
        );
        assert_eq!(merged[0].sha256, None);
        assert_eq!(merged[0].text, None);
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].field, "attachments");
        assert!(warnings[0].message.contains("HTTP 404"));
    }

    #[test]
    fn a_page_with_its_own_text_is_not_read_from_an_attachment() {
        let mut a = link("a.pdf", "http://x/a.pdf");
        a.text = Some(
            "您提出的关于加快推进桃浦智创城公共服务配套建设的建议收悉经研究现答复如下".repeat(2),
        );
        let lines = vec![
            "您提出的关于优化苏州河沿岸慢行步道的建议收悉现答复如下我委高度重视并逐条研究"
                .to_string(),
        ];
        assert!(body_from_attachment(&lines, None, &[a], &DetailProfile::default()).is_none());
    }

    #[test]
    fn a_page_of_a_title_and_a_link_is_read_from_the_attachment_text() {
        let mut a = link("关于第0231号代表建议的答复.pdf", "http://x/files/p.pdf");
        a.text = Some(
            "关于区十七届人大五次会议第0231号代表建议的答复\n\n王建国代表：\n您提出的建议收悉。经研究\n，现答复如下：\n"
                .into(),
        );
        let page = vec![
            "关于区十七届人大五次会议第0231号代表建议的答复".to_string(),
            "附件：关于第0231号代表建议的答复.pdf".to_string(),
        ];
        let (chosen, lines) = body_from_attachment(
            &page,
            Some("关于区十七届人大五次会议第0231号代表建议的答复"),
            std::slice::from_ref(&a),
            &DetailProfile::default(),
        )
        .expect("the page holds no text of its own");
        assert_eq!(chosen.url, a.url);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines[1], "王建国代表：");
    }
}
