//! The title found without the profile's selector, for pages of a layout
//! the profile does not describe: the first element in page order that
//! looks like a document's title (a heading `h1`–`h3`, an element whose
//! class or id says `title`, a centred paragraph) and reads as one.
//!
//! Runs only when no title selector of the profile matched.

use ego_tree::iter::Edge;
use scraper::{ElementRef, Node};

use super::content::is_chrome;
use super::text::{element_text, is_skipped};
use crate::semantics::{self, TitleGenre};

/// Endings of a centred paragraph that is a reply's title.
const REPLY_TITLE_ENDINGS: &[&str] = &["答复", "意见", "会办意见", "再次答复"];

/// Most characters of a title; a longer element is content, not a title.
const MAX_TITLE_CHARS: usize = 200;

/// The first title-like element under `root`, outside page chrome, with
/// its text.
pub(super) fn title_like(root: ElementRef<'_>) -> Option<(ElementRef<'_>, String)> {
    // Depth inside chrome or skipped elements.
    let mut skip_depth = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(n) => {
                let Node::Element(e) = n.value() else {
                    continue;
                };
                if skip_depth > 0 || is_chrome(e) || is_skipped(e) {
                    skip_depth += 1;
                    continue;
                }
                let Some(element) = ElementRef::wrap(n) else {
                    continue;
                };
                let kind = if matches!(e.name(), "h1" | "h2" | "h3") || names_title(e) {
                    Kind::Heading
                } else if is_centred(e) {
                    Kind::Centred
                } else {
                    continue;
                };
                let text = element_text(element);
                if reads_as_title(&text, kind) {
                    return Some((element, text));
                }
            }
            Edge::Close(n) => {
                if n.value().is_element() && skip_depth > 0 {
                    skip_depth -= 1;
                }
            }
        }
    }
    None
}

/// How an element looks like a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A heading, or named `title`.
    Heading,
    /// A centred paragraph.
    Centred,
}

/// Whether a title-like element's text reads as a document's title: a
/// heading whose words name a document or a reply, a centred paragraph that
/// ends as a reply's title does.
fn reads_as_title(text: &str, kind: Kind) -> bool {
    let chars = text.chars().count();
    if !(4..=MAX_TITLE_CHARS).contains(&chars) {
        return false;
    }
    let genre = semantics::title_genre(text);
    match kind {
        Kind::Heading => genre != TitleGenre::Unknown || semantics::mentions_proposal(text),
        Kind::Centred => {
            matches!(genre, TitleGenre::Reply | TitleGenre::Handling)
                || REPLY_TITLE_ENDINGS.iter().any(|e| text.ends_with(e))
        }
    }
}

/// Whether the element's class or id has the word `title` (`div.title`,
/// `.article-title`, `#doc_title`).
fn names_title(e: &scraper::node::Element) -> bool {
    e.attr("class")
        .unwrap_or_default()
        .split_whitespace()
        .chain(e.attr("id"))
        .flat_map(|w| w.split(['-', '_']))
        .any(|w| w.eq_ignore_ascii_case("title"))
}

/// Whether a paragraph is centred: `<p align="center">`, a `text-align:
/// center` style, or inside `<center>` as the element itself.
fn is_centred(e: &scraper::node::Element) -> bool {
    match e.name() {
        "center" => true,
        "p" | "div" => {
            e.attr("align")
                .is_some_and(|a| a.trim().eq_ignore_ascii_case("center"))
                || e.attr("style").is_some_and(|s| {
                    s.chars()
                        .filter(|c| !c.is_whitespace())
                        .collect::<String>()
                        .to_ascii_lowercase()
                        .contains("text-align:center")
                })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use scraper::Html;

    use super::*;

    fn title(html: &str) -> Option<(String, String)> {
        let doc = Html::parse_document(html);
        title_like(doc.root_element()).map(|(e, text)| (text, super::super::content::describe(e)))
    }

    #[test]
    fn a_div_named_title_is_taken_when_it_reads_as_a_title() {
        assert_eq!(
            title(
                r#"<div class="wrap"><div class="title">关于区十六届人大五次会议第16052号代表建议的答复</div><p>正文</p></div>"#
            ),
            Some((
                "关于区十六届人大五次会议第16052号代表建议的答复".into(),
                "div.title".into()
            ))
        );
    }

    #[test]
    fn headings_in_page_chrome_or_without_a_documents_words_are_passed_over() {
        assert_eq!(
            title(
                r#"<header><h1>关于加强绿化养护的建议的答复</h1></header><h2>上海市普陀区人民政府</h2><h3>关于第154018号提案的答复</h3>"#
            ),
            Some(("关于第154018号提案的答复".into(), "h3".into()))
        );
    }

    #[test]
    fn a_centred_paragraph_counts_only_when_it_ends_as_a_reply_title() {
        assert_eq!(
            title(
                r#"<p style="TEXT-ALIGN: center">2026年7月7日</p><p align="center">关于第0184号代表建议的会办意见</p>"#
            ),
            Some(("关于第0184号代表建议的会办意见".into(), "p".into()))
        );
        assert_eq!(title(r#"<p>关于第0184号代表建议的答复</p>"#), None);
    }
}
