//! `govwire parse FILE|URL`: one page through the parser with a portal's
//! profile, printed for a person, without the broker or the store. It is how
//! an operator checks a new portal or a page whose layout changed.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use govwire_crawler::{FetchError, OneOffFetcher};
use govwire_model::{PageOutcome, ParsedPage, PortalProfile, RawPage, Reply};
use url::Url;

/// Most attachments `govwire parse URL` fetches for one page.
const MAX_ATTACHMENTS: usize = 10;

/// The `User-Agent` of `govwire parse URL`.
const USER_AGENT: &str = concat!("govwire/", env!("CARGO_PKG_VERSION"), " (parse)");

/// Reads the page at `target`, a file path or an `http(s)://` URL, as the
/// crawler would have handed it to the parser. A URL is fetched through the
/// crawler's fetch path ([`OneOffFetcher`]): every hop's address checked,
/// the body capped at the profile's `max_body_bytes` after decompression, an
/// HTML page and then documents expected. Its address must be public unless
/// `allow_private` (`--allow-private`) allows the host and port of `target`
/// itself. The files it links (the profile's `detail.attachments`, at most
/// ten) are fetched the same way, their text left for the caller to
/// extract; a file on disk carries the files it links that are saved beside
/// it ([`local_attachment`]). Any other URL scheme is refused.
///
/// The page's item id, which names a reply without a doc number
/// (`shpt:197298`), is `item_id` (`--item-id`) when given, else the
/// portal's own id in the page's URL ([`item_id_of_url`]): the URL fetched,
/// or for a saved file the address its browser noted (`<!-- saved from
/// url=(…)https://…/197298.html -->`), never the file's name. Without
/// either it is empty, and such a reply cannot be given an id.
pub async fn load_page(
    target: &str,
    profile: &PortalProfile,
    allow_private: bool,
    item_id: Option<&str>,
) -> Result<RawPage> {
    let max_bytes = profile.politeness.max_body_bytes;
    let mut attachments = Vec::new();
    let as_url = Url::parse(target).ok();
    let (url, content_type, body, item_id_from_page) = match as_url {
        Some(url) if matches!(url.scheme(), "http" | "https") => {
            let fetcher = OneOffFetcher::new(profile, USER_AGENT, allow_private.then_some(&url))
                .context("cannot set up fetching")?;
            let page = fetcher
                .page(&url)
                .await
                .map_err(|e| anyhow!(explain(&e, &url, allow_private)))?;
            let links = govwire_crawler::attachment_links(
                profile,
                &page.body,
                page.content_type.as_deref(),
                &page.url,
            )
            .map_err(|reason| anyhow!("cannot read {}: {reason}", page.url))?;
            for link in links.into_iter().take(MAX_ATTACHMENTS) {
                attachments.push(fetch_attachment(&fetcher, link, &url, allow_private).await);
            }
            let item_id = item_id_of_url(&page.url).unwrap_or_default();
            (page.url.to_string(), page.content_type, page.body, item_id)
        }
        // A one-letter scheme is a Windows drive (`C:\pages\a.html`), and an
        // existing file whose name holds a colon is read as a file.
        Some(url) if url.scheme().len() > 1 && !Path::new(target).exists() => bail!(
            "`{target}` is a `{}:` URL: only http and https URLs can be fetched; to parse a local file, pass its path",
            url.scheme()
        ),
        _ => {
            let path = Path::new(target);
            let meta = std::fs::metadata(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if meta.len() > max_bytes {
                bail!(
                    "{} has {} bytes, more than the profile's max_body_bytes ({max_bytes})",
                    path.display(),
                    meta.len()
                );
            }
            let body =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
            let url = Url::from_file_path(&absolute)
                .map(|u| u.to_string())
                .unwrap_or_else(|()| format!("file://{}", absolute.display()));
            let item_id = saved_from(&body)
                .and_then(|url| item_id_of_url(&url))
                .unwrap_or_default();
            if let Ok(page_url) = Url::parse(&url) {
                let links = govwire_crawler::attachment_links(profile, &body, None, &page_url)
                    .map_err(|reason| anyhow!("cannot read {}: {reason}", path.display()))?;
                for link in links.into_iter().take(MAX_ATTACHMENTS) {
                    attachments.push(local_attachment(link, &absolute, max_bytes));
                }
            }
            (url, None, body, item_id)
        }
    };
    Ok(RawPage {
        portal: profile.id.clone(),
        section: "cli".into(),
        item_id: item_id.map_or(item_id_from_page, str::to_string),
        url,
        list_title: None,
        published_on: None,
        fetched_at: chrono::Utc::now(),
        content_type,
        body,
        attachments,
    })
}

/// The portal's item id in a detail page's URL: the name of its last path
/// segment without the extension, when it holds a digit and nothing but
/// letters, digits, `-` and `_` (`/zhengwu/qzxtabljg-jytabljg/2025/197/
/// 197298.html` → `197298`). `None` for a URL that names no item
/// (`/index.html`).
pub fn item_id_of_url(url: &Url) -> Option<String> {
    let last = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    let stem = last.split('.').next().unwrap_or_default();
    let valid = stem.chars().any(|c| c.is_ascii_digit())
        && stem
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then(|| stem.to_string())
}

/// The address a browser noted in a page it saved (`<!-- saved from
/// url=(0061)https://www.shpt.gov.cn/…/197298.html -->`, near the top).
fn saved_from(body: &[u8]) -> Option<Url> {
    const MARK: &str = "saved from url=(";
    let head = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let at = head.find(MARK)? + MARK.len();
    let rest = &head[at..];
    let rest = &rest[rest.find(')')? + 1..];
    let end = rest
        .find(char::is_whitespace)
        .into_iter()
        .chain(rest.find("-->"))
        .min()
        .unwrap_or(rest.len());
    Url::parse(&rest[..end])
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

/// A failed fetch as a person reads it: the fetcher's reason, and for an
/// address refused, what `--allow-private` would change.
fn explain(error: &FetchError, named: &Url, allow_private: bool) -> String {
    let FetchError::Refused { url, .. } = error else {
        return error.to_string();
    };
    let same_target = Url::parse(url).is_ok_and(|refused| {
        refused.host_str() == named.host_str()
            && refused.port_or_known_default() == named.port_or_known_default()
    });
    if !allow_private && same_target {
        format!("{error}; pass --allow-private to fetch from a loopback or private address")
    } else if allow_private && !same_target {
        format!(
            "{error}; --allow-private allows only the host and port of the URL given, and redirects and linked files elsewhere must be public"
        )
    } else {
        error.to_string()
    }
}

/// A linked file before its bytes are read: its name and `href`.
fn unread(link: &govwire_crawler::AttachmentLink) -> govwire_model::RawAttachment {
    govwire_model::RawAttachment {
        name: link.name.clone(),
        url: link.href.clone(),
        content_type: None,
        body: Vec::new(),
        text: None,
        error: None,
    }
}

/// A file a saved page links, looked for where a browser saves it: beside
/// the page, or in the `<page>_files` folder. Its bytes, or why there are
/// none.
fn local_attachment(
    link: govwire_crawler::AttachmentLink,
    page: &Path,
    max_bytes: u64,
) -> govwire_model::RawAttachment {
    let mut attachment = unread(&link);
    // The crawler's check refuses `file:` URLs; the link is resolved here
    // only to find its file name.
    let resolved = url::Url::from_file_path(page)
        .ok()
        .and_then(|base| base.join(link.href.trim()).ok());
    let file_name = resolved
        .as_ref()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
        })
        .map(|name| {
            percent_encoding::percent_decode_str(&name)
                .decode_utf8_lossy()
                .into_owned()
        })
        .filter(|name| !name.is_empty() && !name.contains(['/', '\\']) && name != "..");
    let Some(file_name) = file_name else {
        attachment.error = Some(format!("the link `{}` names no file", link.href));
        return attachment;
    };
    let dir = page.parent().unwrap_or_else(|| Path::new("."));
    let stem = page
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let candidates = [
        dir.join(&file_name),
        dir.join(format!("{stem}_files")).join(&file_name),
    ];
    let Some(found) = candidates.iter().find(|c| c.is_file()) else {
        attachment.error = Some(format!(
            "no file `{file_name}` beside the page (looked for {} and {}); `govwire parse URL` fetches linked files",
            candidates[0].display(),
            candidates[1].display()
        ));
        return attachment;
    };
    match std::fs::metadata(found) {
        Ok(meta) if meta.len() > max_bytes => {
            attachment.error = Some(format!(
                "{} has {} bytes, more than the profile's max_body_bytes ({max_bytes})",
                found.display(),
                meta.len()
            ));
        }
        _ => match std::fs::read(found) {
            Ok(body) => {
                if let Ok(url) = url::Url::from_file_path(found) {
                    attachment.url = url.to_string();
                }
                attachment.body = body;
            }
            Err(e) => attachment.error = Some(format!("cannot read {}: {e}", found.display())),
        },
    }
    attachment
}

/// One linked file as the parser stage expects it: its bytes, or why they
/// could not be had. Fetched by `fetcher`, under the same guards as the page
/// (a link to another host is fetched only when its address is public, as
/// the crawler does).
async fn fetch_attachment(
    fetcher: &OneOffFetcher,
    link: govwire_crawler::AttachmentLink,
    named: &Url,
    allow_private: bool,
) -> govwire_model::RawAttachment {
    let mut attachment = unread(&link);
    match link.url {
        Err(reason) => attachment.error = Some(reason),
        Ok(url) => {
            attachment.url = url.to_string();
            match fetcher.attachment(&url).await {
                Ok(file) => {
                    attachment.content_type = file.content_type;
                    attachment.body = file.body;
                }
                Err(e) => attachment.error = Some(explain(&e, named, allow_private)),
            }
        }
    }
    attachment
}

/// A parsed page as a person reads it: for a reply, its main fields, then
/// its warnings; for another page, why it is not a reply.
pub fn summary(parsed: &ParsedPage) -> String {
    match &parsed.outcome {
        PageOutcome::Reply { reply } => reply_summary(reply),
        PageOutcome::NotAReply { reason } => format!("not a reply: {reason}\n"),
    }
}

fn reply_summary(r: &Reply) -> String {
    let none = || "-".to_string();
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(none);
    let mut out = String::new();
    let _ = writeln!(out, "reply {}", r.id);
    let mut field = |name: &str, value: String| {
        let _ = writeln!(out, "  {name:<16} {value}");
    };
    field("title", r.title.clone());
    field("doc number", opt(&r.doc_number));
    field("addressee", opt(&r.addressee));
    field(
        "kind",
        r.reply_kind.map(|k| enum_name(&k)).unwrap_or_else(none),
    );
    field(
        "proposal",
        [
            r.proposal.meeting.clone(),
            r.proposal.number.as_ref().map(|n| format!("No. {n}")),
            r.proposal.subject.clone(),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" · "),
    );
    field(
        "handling result",
        r.handling_result
            .as_ref()
            .map(|h| match h.category {
                Some(c) => format!("{} ({})", h.raw, enum_name(&c)),
                None => format!("{} (not in the vocabulary)", h.raw),
            })
            .unwrap_or_else(none),
    );
    field("signatory", opt(&r.signatory));
    field(
        "signed on",
        r.signed_on.map(|d| d.to_string()).unwrap_or_else(none),
    );
    field(
        "published on",
        r.published_on.map(|d| d.to_string()).unwrap_or_else(none),
    );
    field(
        "cc",
        if r.cc.is_empty() {
            none()
        } else {
            r.cc.join("; ")
        },
    );
    let paragraphs: usize = r.body.sections.iter().map(|s| s.paragraphs.len()).sum();
    field(
        "sections",
        format!("{} ({paragraphs} paragraphs)", r.body.sections.len()),
    );
    field(
        "attachments",
        if r.attachments.is_empty() {
            "0".into()
        } else {
            let names: Vec<&str> = r.attachments.iter().map(|a| a.name.as_str()).collect();
            format!("{} ({})", r.attachments.len(), names.join("; "))
        },
    );
    if r.warnings.is_empty() {
        out.push_str("WARNINGS: none\n");
    } else {
        let _ = writeln!(out, "WARNINGS ({})", r.warnings.len());
        for w in &r.warnings {
            let _ = writeln!(out, "  {}: {}", w.field, w.message);
        }
    }
    out
}

/// The JSON name of an enumeration value (`answer`, `adopted`).
fn enum_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "?".into(),
    }
}

/// The JSON `govwire parse --json` prints: the record for a reply, the
/// outcome (`{"kind": "not_a_reply", "reason": …}`) otherwise.
pub fn json(parsed: &ParsedPage) -> Result<String> {
    let text = match &parsed.outcome {
        PageOutcome::Reply { reply } => serde_json::to_string_pretty(reply)?,
        outcome => serde_json::to_string_pretty(outcome)?,
    };
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).expect("a URL")
    }

    #[test]
    fn the_item_id_is_the_detail_urls_last_segment_when_it_names_an_item() {
        assert_eq!(
            item_id_of_url(&url(
                "https://www.shpt.gov.cn/zhengwu/qzxtabljg-jytabljg/2025/197/197298.html"
            )),
            Some("197298".into())
        );
        assert_eq!(
            item_id_of_url(&url(
                "http://127.0.0.1:8480/zhengwu/x/2026/1/205303.html?from=list"
            )),
            Some("205303".into())
        );
        assert_eq!(
            item_id_of_url(&url("https://www.shpt.gov.cn/zhengwu/index.html")),
            None
        );
        assert_eq!(item_id_of_url(&url("https://www.shpt.gov.cn/")), None);
        assert_eq!(
            item_id_of_url(&url("https://x.org/a/%E7%AD%94%E5%A4%8D1.html")),
            None
        );
    }

    #[test]
    fn a_saved_page_names_the_address_its_browser_saved_it_from() {
        let page = b"<!DOCTYPE html>\r\n<!-- saved from url=(0071)https://www.shpt.gov.cn/zhengwu/qzxtabljg-jytabljg/2025/197/197298.html -->\r\n<html>";
        assert_eq!(
            saved_from(page).and_then(|u| item_id_of_url(&u)),
            Some("197298".into())
        );
        let tight = b"<!-- saved from url=(0040)https://www.shpt.gov.cn/a/2025/1/42.html--><html>";
        assert_eq!(
            saved_from(tight).map(|u| u.to_string()),
            Some("https://www.shpt.gov.cn/a/2025/1/42.html".into())
        );
        assert_eq!(saved_from(b"<html><body>42.html</body></html>"), None);
        assert_eq!(
            saved_from(b"<!-- saved from url=(0014)about:internet -->"),
            None
        );
    }
}
