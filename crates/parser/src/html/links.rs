//! Links to files: the links a selector names, resolved against the page,
//! without their fragment, each URL once, named by their text. This is the
//! one attachment-link finder of govwire: the parser lists the article's
//! links in the record with it, and the crawler finds the files to fetch
//! with a page through [`file_links`].

use std::collections::HashSet;

use govwire_model::Attachment;
use scraper::{ElementRef, Html, Selector};
use url::Url;

use super::matcher::ProfileSelector;
use super::nesting::check_nesting;
use super::text::visible_text;
use crate::error::ParseError;
use crate::normalize::{is_cjk, is_space};

/// A link to a file on a page, as [`file_links`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLink {
    /// The link's visible text, its whitespace laid out as a browser shows
    /// it; the file name the `href` ends with when the link shows no text.
    pub name: String,
    /// The `href` as written, trimmed.
    pub href: String,
    /// The absolute URL, without its fragment; or why the `href` gives no
    /// http or https URL.
    pub url: Result<Url, LinkError>,
}

/// Why a link's `href` gives no URL that could be fetched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The `href` does not resolve to a URL against the page's.
    #[error("`{href}` is not a usable URL: {reason}")]
    Unusable {
        /// The `href` as written, trimmed.
        href: String,
        /// The URL parser's complaint.
        reason: String,
    },
    /// The URL is not an http or https one (`ftp:`, `mailto:`, `file:`).
    #[error("`{scheme}` is not http or https")]
    NotHttp {
        /// The URL's scheme.
        scheme: String,
    },
}

/// The links of a page that `selector` names (a profile's
/// `detail.attachments`), anywhere on the page, in page order, each URL
/// once, resolved against `page_url`. The page is decoded as the parser
/// decodes pages (`content_type` is the HTTP `Content-Type` value), and
/// refused with [`ParseError::Malformed`] when it is nested too deep to be
/// read. No I/O: fetching the files is the caller's business.
pub fn file_links(
    page: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    selector: &Selector,
) -> Result<Vec<FileLink>, ParseError> {
    let decoded = crate::decode::decode_html(page, content_type, Some(page_url.as_str()));
    check_nesting(decoded.text.as_bytes())?;
    let document = Html::parse_document(&decoded.text);
    Ok(find_links(document.select(selector), page_url.as_str()))
}

/// The links among `candidates` that have an `href`, in their order, each
/// URL (or, for an `href` giving none, each `href`) once.
fn find_links<'a>(
    candidates: impl Iterator<Item = ElementRef<'a>>,
    page_url: &str,
) -> Vec<FileLink> {
    // The page's URL is parsed once a link needs it (most pages have none).
    let mut base: Option<Option<Url>> = None;
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for link in candidates {
        let Some(href) = link.value().attr("href").map(str::trim) else {
            continue;
        };
        if href.is_empty() {
            continue;
        }
        let resolved = match base.get_or_insert_with(|| Url::parse(page_url).ok()) {
            Some(base) => base.join(href),
            None => Url::parse(href),
        };
        let url = resolved
            .map_err(|e| LinkError::Unusable {
                href: href.to_owned(),
                reason: e.to_string(),
            })
            .and_then(|mut url| {
                url.set_fragment(None);
                if matches!(url.scheme(), "http" | "https") {
                    Ok(url)
                } else {
                    Err(LinkError::NotHttp {
                        scheme: url.scheme().to_owned(),
                    })
                }
            });
        let key = url
            .as_ref()
            .map_or_else(|_| href.to_owned(), Url::to_string);
        if !seen.insert(key) {
            continue;
        }
        let text = link_text(&visible_text(*link));
        let name = if text.is_empty() {
            file_name(href)
        } else {
            text
        };
        found.push(FileLink {
            name,
            href: href.to_owned(),
            url,
        });
    }
    found
}

/// A link's text as a browser shows it: a run of whitespace holding a line
/// break between two CJK characters vanishes, any other run is one space,
/// the ends trimmed.
fn link_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut before: Option<char> = None;
    // Whether whitespace was met since `before`, and whether it broke the line.
    let mut run: Option<bool> = None;
    for c in raw.chars() {
        if is_space(c) {
            let breaks = matches!(c, '\n' | '\r');
            run = Some(run.unwrap_or(false) || breaks);
            continue;
        }
        if let (Some(breaks), Some(b)) = (run.take(), before) {
            if !(breaks && is_cjk(b) && is_cjk(c)) {
                out.push(' ');
            }
        }
        out.push(c);
        before = Some(c);
    }
    out
}

/// The last path segment of an `href` (percent-escapes left as written);
/// the `href` itself when its path has none.
fn file_name(href: &str) -> String {
    let path = href.split(['?', '#']).next().unwrap_or(href);
    path.rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or(href)
        .to_owned()
}

/// File name endings of links to files rather than pages: text in such a
/// link is document text (an attachment-only reply), not navigation.
const ATTACHMENT_EXTENSIONS: &[&str] = &[
    ".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ppt", ".pptx", ".zip", ".rar",
    ".7z", ".ofd", ".txt", ".csv",
];

/// Whether a link's target is a file (PDF, Word, spreadsheet, archive) by
/// its name's ending.
pub(super) fn is_file_link(href: &str) -> bool {
    let path = href.trim().split(['?', '#']).next().unwrap_or_default();
    ATTACHMENT_EXTENSIONS.iter().any(|ext| {
        path.len() >= ext.len()
            && path.is_char_boundary(path.len() - ext.len())
            && path[path.len() - ext.len()..].eq_ignore_ascii_case(ext)
    })
}

/// The links within `scope` that the profile's `detail.attachments`
/// selector names, as the record lists them: those with an http or https
/// URL. `links`, when given, are the only elements the selector can match
/// (it names only `<a>` elements, and these are the scope's).
pub(super) fn attachments_in<'a>(
    scope: ElementRef<'a>,
    links: Option<Vec<ElementRef<'a>>>,
    selector: &'a ProfileSelector,
    page_url: &str,
) -> Vec<Attachment> {
    let candidates: Box<dyn Iterator<Item = ElementRef<'a>>> = match links {
        Some(links) => Box::new(
            links
                .into_iter()
                .filter(move |link| selector.matches(*link, scope)),
        ),
        None => Box::new(selector.select(scope)),
    };
    find_links(candidates, page_url)
        .into_iter()
        .filter_map(|link| {
            link.url.ok().map(|url| Attachment {
                name: link.name,
                url: url.to_string(),
                sha256: None,
                text: None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(page: &str, selector: &str) -> Vec<FileLink> {
        let base = Url::parse("https://www.shpt.gov.cn/zhengwu/col/2022/5/1.html").unwrap();
        let selector = Selector::parse(selector).expect("a valid selector");
        file_links(page.as_bytes(), None, &base, &selector).expect("a readable page")
    }

    #[test]
    fn link_names_are_laid_out_as_a_browser_shows_them() {
        let links = found(
            "<a href=\"a.pdf\"> 答复\n    全文 </a><a href=\"b.pdf\">答复  全文</a>\
             <a href=\"c.pdf\">附件1\n答复<span style=\"display:none\">隐藏</span></a>\
             <a href=\"/files/d%20e.pdf?v=2\"></a>",
            "a",
        );
        let names: Vec<&str> = links.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["答复全文", "答复 全文", "附件1 答复", "d%20e.pdf"]);
    }

    #[test]
    fn fragments_are_dropped_and_each_url_is_listed_once() {
        let links = found(
            "<a href=\"a.pdf#page=2\">一</a><a href=\"a.pdf\">二</a>\
             <a href=\"mailto:x@example.org\">信</a><a href=\"mailto:x@example.org\">信</a>\
             <a>no href</a><a href=\" \">blank</a>",
            "a",
        );
        assert_eq!(links.len(), 2, "{links:?}");
        assert_eq!(
            links[0].url.as_ref().unwrap().as_str(),
            "https://www.shpt.gov.cn/zhengwu/col/2022/5/a.pdf"
        );
        assert_eq!(links[0].name, "一");
        assert_eq!(
            links[1].url,
            Err(LinkError::NotHttp {
                scheme: "mailto".into()
            })
        );
        assert_eq!(links[1].href, "mailto:x@example.org");
    }

    #[test]
    fn a_gbk_page_labelled_utf8_gives_its_link_names_decoded() {
        let page =
            "<p>关于区十七届人大五次会议第0231号代表建议的答复</p><a href=\"a.pdf\">答复全文</a>";
        let (gbk, _, _) = encoding_rs::GBK.encode(page);
        let base = Url::parse("https://www.shpt.gov.cn/x/1.html").unwrap();
        let selector = Selector::parse("a").unwrap();

        let links = file_links(&gbk, Some("text/html; charset=utf-8"), &base, &selector)
            .expect("a readable page");

        assert_eq!(links[0].name, "答复全文");
    }
}
