//! Finding the files a detail page links (PDF, DOC, DOCX), with the
//! profile's `detail.attachments` selector, by the parser's one link finder
//! ([`govwire_parser::file_links`]). No I/O: the crawler fetches what this
//! finds.

use scraper::Selector;
use url::Url;

/// One attachment link of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentLink {
    /// The link text, whitespace laid out as a browser shows it; the file
    /// name when the link has no text.
    pub name: String,
    /// The `href` as written.
    pub href: String,
    /// The absolute URL, or why the `href` cannot be fetched.
    pub url: Result<Url, String>,
}

/// The attachment links of a page as `profile`'s `detail.attachments`
/// selector finds them; an error when the selector does not parse or the
/// page is nested too deep to be read. For tools that read one page outside
/// the crawler (`govwire parse`).
pub fn attachment_links(
    profile: &govwire_model::PortalProfile,
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
) -> Result<Vec<AttachmentLink>, String> {
    let selector = Selector::parse(&profile.detail.attachments).map_err(|e| {
        format!(
            "the profile's detail.attachments selector `{}` does not parse: {e}",
            profile.detail.attachments
        )
    })?;
    links(body, content_type, page_url, &selector)
}

/// The attachment links of a page, in page order, each URL once; an error
/// when the page is nested too deep to be read.
pub(crate) fn links(
    body: &[u8],
    content_type: Option<&str>,
    page_url: &Url,
    selector: &Selector,
) -> Result<Vec<AttachmentLink>, String> {
    let found = govwire_parser::file_links(body, content_type, page_url, selector)
        .map_err(|e| e.to_string())?;
    Ok(found
        .into_iter()
        .map(|link| AttachmentLink {
            name: link.name,
            href: link.href,
            url: link.url.map_err(|reason| format!("not fetched: {reason}")),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector() -> Selector {
        Selector::parse("a[href$='.pdf'], a[href$='.docx']").expect("selector")
    }

    #[test]
    fn links_resolve_against_the_page_and_are_named_by_their_text() {
        let page = r#"<html><body><div class="TRS_Editor">
            <p>附件：<a href="../files/reply 1.pdf">答复  全文</a></p>
            <a href="/upload/2022/table.docx"></a>
            <a href="../files/reply 1.pdf">again</a>
            <a href="/other.html">not an attachment</a>
            <a href="ftp://files.example.org/x.pdf">ftp</a>
        </div></body></html>"#;
        let base = Url::parse("http://127.0.0.1:8480/zhengwu/col/2022/5/1.html").unwrap();
        let links = links(
            page.as_bytes(),
            Some("text/html; charset=utf-8"),
            &base,
            &selector(),
        )
        .expect("a readable page");
        assert_eq!(links.len(), 3, "{links:?}");
        assert_eq!(links[0].name, "答复 全文");
        assert_eq!(
            links[0].url.as_ref().unwrap().as_str(),
            "http://127.0.0.1:8480/zhengwu/col/2022/files/reply%201.pdf"
        );
        assert_eq!(links[1].name, "table.docx");
        assert!(links[2].url.is_err(), "{links:?}");
    }

    #[test]
    fn a_page_nested_200_000_levels_deep_is_refused_before_its_links_are_looked_for() {
        let depth = 200_000;
        let page = format!(
            "<html><body>{}<a href=\"a.pdf\">附件</a>{}</body></html>",
            "<div>".repeat(depth),
            "</div>".repeat(depth)
        );
        let base = Url::parse("https://www.shpt.gov.cn/x/1.html").unwrap();

        let found = links(page.as_bytes(), None, &base, &selector());

        let message = found.expect_err("refused");
        assert!(message.contains("nested"), "{message}");
    }

    #[test]
    fn gbk_pages_give_their_link_texts_decoded() {
        let (bytes, _, _) = encoding_rs::GBK.encode(r#"<a href="a.pdf">附件一</a>"#);
        let base = Url::parse("https://www.shpt.gov.cn/x/1.html").unwrap();
        let links = links(&bytes, Some("text/html; charset=GBK"), &base, &selector())
            .expect("a readable page");
        assert_eq!(links[0].name, "附件一");
    }
}
