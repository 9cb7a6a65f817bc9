//! What every page shares: the frame (`<head>`, the header with its links,
//! the footer), the style sheet, and the small writers every renderer uses
//! to put a portal's strings into HTML safely (escaped text, links only to
//! http(s), percent-encoded ids in paths and queries, dates as readers in
//! China write them).

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use govwire_model::html::escape;

/// The style sheet, inline: system CJK fonts (nothing is fetched), one
/// column at most 960 px wide, the document itself set like a printed
/// official document (red banner and rule, indented paragraphs, signature
/// on the right), tables that turn into stacked cards on a phone.
const STYLE: &str = "\
:root{color-scheme:light}\
*{box-sizing:border-box}\
body{margin:0;background:#f3f4f6;color:#1f2937;line-height:1.7;\
font-family:\"WenQuanYi Zen Hei\",\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\",\
\"Microsoft YaHei\",sans-serif;overflow-wrap:anywhere}\
a{color:#1d4ed8}\
header.site{background:#1f2937;color:#fff}\
header.site nav{max-width:960px;margin:0 auto;padding:8px 16px;display:flex;gap:18px;\
align-items:baseline;flex-wrap:wrap}\
header.site a{color:#fff;text-decoration:none}\
header.site .brand{font-weight:bold;margin-right:auto}\
main{max-width:960px;margin:0 auto;padding:12px 16px 32px}\
h1{font-size:1.45rem;margin:.6rem 0 .4rem;line-height:1.4}\
h2{font-size:1.15rem;margin:0 0 .6rem}\
section.box{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:14px 16px;margin:14px 0}\
.muted{color:#6b7280}\
.small{font-size:.9rem}\
.notice{background:#fffbeb;border:1px solid #fcd34d;border-radius:8px;padding:10px 14px;margin:12px 0}\
.badge{display:inline-block;border-radius:999px;padding:0 10px;font-size:.85rem;white-space:nowrap;\
border:1px solid}\
.badge.active{color:#166534;background:#f0fdf4;border-color:#86efac}\
.badge.withdrawn{color:#991b1b;background:#fef2f2;border-color:#fca5a5}\
.badge.cat{color:#1e3a8a;background:#eff6ff;border-color:#bfdbfe}\
table{border-collapse:collapse;width:100%;font-size:.95rem}\
th,td{padding:6px 8px;border-bottom:1px solid #e5e7eb;text-align:left;vertical-align:top}\
th{color:#4b5563;font-weight:normal;background:#f9fafb}\
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\
td.docno{white-space:nowrap}\
td.title a{font-weight:bold}\
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}\
dl.meta dt{color:#6b7280}\
dl.meta dd{margin:0}\
article.doc{background:#fff;border:1px solid #e5e7eb;border-radius:8px;padding:28px 40px 24px;\
margin:14px 0;font-size:1.05rem}\
.doc .banner{color:#c00;text-align:center;font-size:1.9rem;font-weight:bold;letter-spacing:.08em;\
margin:0 0 .6rem;line-height:1.3}\
.doc .docno{text-align:center;margin:0}\
.doc hr.red{border:0;border-top:2px solid #c00;margin:.5rem 0 1.2rem}\
.doc h1{text-align:center;font-size:1.4rem;margin:1rem 0 1.2rem}\
.doc .addressee{margin:0 0 .4rem}\
.doc h2{font-size:1.05rem;margin:.8rem 0 .2rem;text-indent:2em}\
.doc p.para{text-indent:2em;margin:0 0 .4rem}\
.doc .attachment-notes{margin:1rem 0 0 2em}\
.doc .sign{text-align:right;margin:1.6rem 1em 0}\
.doc .sign p{margin:0}\
.doc .notes{margin:1.2rem 0 0}\
.doc .notes p{margin:0;text-indent:2em}\
.doc .tail{border-top:1px solid #9ca3af;border-bottom:1px solid #9ca3af;margin-top:1.6rem;\
padding:.3rem 0;font-size:.95rem}\
.doc .tail p{margin:0}\
.doc .tail .printed{display:flex;justify-content:space-between;flex-wrap:wrap;gap:0 1em}\
.doc .empty{color:#6b7280;text-align:center}\
details{border:1px solid #e5e7eb;border-radius:6px;padding:6px 10px;margin:6px 0}\
summary{cursor:pointer}\
pre.text{white-space:pre-wrap;font-family:inherit;margin:.5rem 0 0;max-height:40rem;overflow:auto}\
ul.plain{margin:0;padding-left:1.2rem}\
form.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px 12px}\
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:#4b5563;min-width:0}\
form.filters input,form.filters select{font:inherit;font-size:1rem;padding:4px 6px;height:2.3rem;\
border:1px solid #d1d5db;border-radius:4px;background:#fff;color:#1f2937;min-width:0;width:100%}\
form.filters .q{grid-column:1/-1}\
form.filters .actions{grid-column:1/-1;display:flex;gap:12px;align-items:center}\
button{font:inherit;padding:5px 18px;border:0;border-radius:4px;background:#1d4ed8;color:#fff;cursor:pointer}\
mark{background:#fde68a;color:inherit;padding:0 1px}\
.snippet{color:#4b5563;font-size:.9rem;margin:.2rem 0 0}\
.pager{display:flex;gap:16px;justify-content:flex-end;margin-top:10px}\
.empty-result{color:#6b7280;background:#f9fafb;border:1px dashed #d1d5db;border-radius:6px;\
text-align:center;padding:24px;margin:0}\
ins{background:#dcfce7;color:#14532d;text-decoration:none;border-bottom:2px solid #16a34a}\
del{background:#fee2e2;color:#7f1d1d;text-decoration:line-through}\
.diff-block{border-left:4px solid transparent;padding:2px 10px;margin:0 0 6px}\
.diff-block.changed{border-color:#f59e0b}\
.diff-block.added{border-color:#16a34a;background:#f0fdf4}\
.diff-block.removed{border-color:#dc2626;background:#fef2f2}\
.diff-block .tag{font-size:.8rem;color:#6b7280;margin-right:.5em}\
.diff-block.heading{font-weight:bold}\
details.unchanged{border-style:dashed;color:#4b5563;margin:0 0 6px}\
details.unchanged .diff-block{margin:6px 0}\
footer.site{max-width:960px;margin:0 auto;padding:0 16px 24px;color:#6b7280;font-size:.85rem}\
@media (max-width:640px){\
main{padding:8px 8px 24px}\
section.box{padding:10px 10px}\
article.doc{padding:18px 14px;font-size:1rem}\
.doc .banner{font-size:1.35rem;letter-spacing:0}\
.doc h1{font-size:1.2rem}\
dl.meta{grid-template-columns:1fr;gap:0}\
dl.meta dd{margin:0 0 6px}\
table.stack thead{display:none}\
table.stack tr{display:block;border-bottom:1px solid #d1d5db;padding:6px 0}\
table.stack td{display:block;border:0;padding:2px 4px}\
table.stack td[data-label]::before{content:attr(data-label) \"：\";color:#6b7280}\
table.stack td.num{text-align:left}\
table.stack td.none{display:none}\
table.stack td.docno{white-space:normal}\
form.filters{grid-template-columns:1fr 1fr}\
}";

/// A whole page: `title` (escaped here) in the `<title>`, `main` (HTML,
/// already safe) in the `<main>`, with the site's header and footer.
pub fn page(title: &str, main: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title} · govwire 答复档案</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header class=\"site\"><nav><a class=\"brand\" href=\"/\">govwire 建议提案答复档案</a>\
         <a href=\"/\">档案</a><a href=\"/#search\">搜索</a></nav></header>\n\
         <main>\n{main}\n</main>\n\
         <footer class=\"site\">本档案保存 govwire 从政府网站收集到的建议提案办理答复的每一个版本；\
         内容以原网站发布的为准。时间均为北京时间。</footer>\n</body>\n</html>\n",
        title = escape(title),
    )
}

/// The page of a request that cannot be answered: `heading` and `message`
/// (both escaped here), with a way back to the list.
pub fn error_page(heading: &str, message: &str) -> String {
    page(
        heading,
        &format!(
            "<section class=\"box\"><h1>{}</h1><p>{}</p><p><a href=\"/\">返回答复档案</a></p></section>",
            escape(heading),
            escape(message)
        ),
    )
}

/// `text` as a path segment or query value: every byte but the unreserved
/// ASCII characters percent-encoded (reply ids hold `:`, `〔`, `/`…).
pub fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The page of reply `id`; of its version `version` when given.
pub fn reply_href(id: &str, version: Option<u32>) -> String {
    match version {
        Some(v) => format!("/reply/{}?version={v}", encode_component(id)),
        None => format!("/reply/{}", encode_component(id)),
    }
}

/// The comparison of versions `from` and `to` of reply `id`.
pub fn diff_href(id: &str, from: u32, to: u32) -> String {
    format!("/reply/{}/diff?from={from}&to={to}", encode_component(id))
}

/// `url` as a link when it is an http(s) URL, otherwise as plain text: a
/// portal's `javascript:` or `data:` URL never becomes an `href`.
pub fn link_or_text(url: &str, text: &str) -> String {
    if is_web_url(url) {
        format!(
            "<a href=\"{}\" rel=\"noopener noreferrer nofollow\">{}</a>",
            escape(url),
            escape(text)
        )
    } else {
        format!("<span class=\"unlinked\">{}</span>", escape(text))
    }
}

/// Whether `url` is an absolute http or https URL without characters a
/// browser would strip or act on before reading the scheme.
fn is_web_url(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !url.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// A date as written on Chinese documents: `2022年8月8日`.
pub fn date_cn(date: NaiveDate) -> String {
    date.format("%Y年%-m月%-d日").to_string()
}

/// A moment in Beijing time, to the minute: `2022-08-09 10:00`.
pub fn time_cst(at: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is an offset");
    at.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()
}

/// A `<time>` element for `at`, shown in Beijing time.
pub fn time_element(at: DateTime<Utc>) -> String {
    format!(
        "<time datetime=\"{}\">{}</time>",
        at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        time_cst(at)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_and_https_urls_become_links() {
        assert!(link_or_text("https://www.shpt.gov.cn/a.html", "x").starts_with("<a href="));
        assert!(link_or_text("HTTP://example.org/", "x").starts_with("<a href="));
        for hostile in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "/files/a.pdf",
            "https://example.org/\u{0}x",
        ] {
            let html = link_or_text(hostile, hostile);
            assert!(!html.contains("href"), "{hostile}: {html}");
            assert!(!html.contains("<script"), "{hostile}: {html}");
        }
    }

    #[test]
    fn ids_are_percent_encoded_in_paths() {
        assert_eq!(
            reply_href("shpt:普府〔2022〕55号", None),
            "/reply/shpt%3A%E6%99%AE%E5%BA%9C%E3%80%942022%E3%80%9555%E5%8F%B7"
        );
        assert_eq!(reply_href("a/b?c", Some(2)), "/reply/a%2Fb%3Fc?version=2");
        assert_eq!(diff_href("x", 1, 2), "/reply/x/diff?from=1&to=2");
    }

    #[test]
    fn dates_read_as_on_a_chinese_document() {
        assert_eq!(
            date_cn(NaiveDate::from_ymd_opt(2022, 8, 8).unwrap()),
            "2022年8月8日"
        );
        let at = DateTime::parse_from_rfc3339("2022-08-08T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(time_cst(at), "2022-08-09 00:30");
    }

    #[test]
    fn an_error_page_escapes_its_message() {
        let html = error_page("找不到答复", "没有 <b>x</b>");
        assert!(html.contains("没有 &lt;b&gt;x&lt;/b&gt;"));
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"));
    }
}
