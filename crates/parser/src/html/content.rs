//! Body candidates: the element holding the main content when no body
//! selector of the profile matches (or its match is mostly links to other
//! pages), found by the density of its Han text outside page chrome.

use std::collections::{HashMap, HashSet};

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{ElementRef, Node};

use super::lines::is_block;
use super::links::is_file_link;
use super::text::is_skipped;
use crate::normalize::is_han;

/// Elements that hold page chrome rather than content; the content finder
/// never picks an element inside one.
const CHROME_ELEMENTS: &[&str] = &["nav", "header", "footer", "aside", "menu"];

/// Class or id words that mark page chrome for the content finder.
const CHROME_WORDS: &[&str] = &[
    "nav",
    "navbar",
    "menu",
    "footer",
    "header",
    "breadcrumb",
    "crumb",
    "aside",
    "sidebar",
    "share",
    "skip",
    "copyright",
    "topbar",
    "toolbar",
];

/// Han characters in an element's visible text, and how many of them are
/// inside links to other pages (links to files, such as an attachment-only
/// reply's PDF, count as text).
pub(super) fn han_counts(element: ElementRef<'_>) -> (usize, usize) {
    let (mut text, mut in_links) = (0, 0);
    let mut skip_depth = 0usize;
    let mut link_depth = 0usize;
    for edge in element.traverse() {
        match edge {
            Edge::Open(n) => match n.value() {
                Node::Element(e) if skip_depth > 0 || is_skipped(e) => skip_depth += 1,
                Node::Element(e)
                    if e.name() == "a"
                        && (link_depth > 0 || !e.attr("href").is_some_and(is_file_link)) =>
                {
                    link_depth += 1;
                }
                Node::Text(t) if skip_depth == 0 => {
                    let han = count_han(t);
                    text += han;
                    if link_depth > 0 {
                        in_links += han;
                    }
                }
                _ => {}
            },
            Edge::Close(n) => {
                if let Node::Element(e) = n.value() {
                    if skip_depth > 0 {
                        skip_depth -= 1;
                    } else if e.name() == "a" && link_depth > 0 {
                        link_depth -= 1;
                    }
                }
            }
        }
    }
    (text, in_links)
}

/// Elements the content finder may pick as the body container.
const CANDIDATE_ELEMENTS: &[&str] = &[
    "div", "td", "article", "section", "main", "body", "li", "span", "font", "center",
];

/// What the content finder knows of a node once its subtree is read.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    /// Han characters in the subtree, link text excluded.
    han: usize,
    /// Whether the subtree holds a block element below the node itself.
    has_block: bool,
}

fn count_han(text: &str) -> usize {
    text.chars().filter(|c| is_han(*c)).count()
}

/// Finds the main content when no profile selector matches: the element that
/// directly holds the most Han text (in its own text and in inline or leaf
/// block children, i.e. its paragraphs), outside navigation, headers,
/// footers, share bars and hidden elements. Link text does not count:
/// navigation is made of links. One pass over the tree, children before
/// parents.
pub(super) fn densest_element(root: ElementRef<'_>) -> Option<ElementRef<'_>> {
    let mut stats: HashMap<NodeId, Stats> = HashMap::new();
    // Whether each open element is (inside) page chrome, innermost last.
    let mut chrome: Vec<bool> = Vec::new();
    let mut best: Option<(NodeId, usize)> = None;
    for edge in root.traverse() {
        match edge {
            Edge::Open(n) => {
                if let Node::Element(e) = n.value() {
                    let inside = chrome.last().copied().unwrap_or(false);
                    chrome.push(inside || is_chrome(e) || is_skipped(e));
                }
            }
            Edge::Close(n) => match n.value() {
                Node::Text(t) => {
                    stats.insert(
                        n.id(),
                        Stats {
                            han: count_han(t),
                            has_block: false,
                        },
                    );
                }
                Node::Element(e) => {
                    let in_chrome = chrome.pop().unwrap_or(true);
                    let mut han = 0;
                    let mut has_block = false;
                    let mut owned = 0;
                    for child in n.children() {
                        let s = stats.remove(&child.id()).unwrap_or_default();
                        match child.value() {
                            Node::Text(_) => {
                                han += s.han;
                                owned += s.han;
                            }
                            Node::Element(ce) => {
                                let block = is_block(ce.name());
                                has_block |= block || s.has_block;
                                han += s.han;
                                if !block || !s.has_block {
                                    owned += s.han;
                                }
                            }
                            _ => {}
                        }
                    }
                    if is_skipped(e) || e.name() == "a" {
                        han = 0;
                    }
                    stats.insert(n.id(), Stats { han, has_block });
                    if !in_chrome
                        && CANDIDATE_ELEMENTS.contains(&e.name())
                        && owned > best.map_or(0, |(_, score)| score)
                    {
                        best = Some((n.id(), owned));
                    }
                }
                _ => {}
            },
        }
    }
    best.filter(|(_, score)| *score >= 10)
        .and_then(|(id, _)| root.tree().get(id))
        .and_then(ElementRef::wrap)
}

/// Whether an element is page chrome by its name, class or id.
pub(super) fn is_chrome(e: &scraper::node::Element) -> bool {
    if CHROME_ELEMENTS.contains(&e.name()) {
        return true;
    }
    e.attr("class")
        .unwrap_or_default()
        .split_whitespace()
        .chain(e.attr("id"))
        .flat_map(|w| w.split(['-', '_']))
        .any(|w| CHROME_WORDS.iter().any(|c| c.eq_ignore_ascii_case(w)))
}

/// `div.zoom#content` style description of an element, for warnings.
pub(super) fn describe(element: ElementRef<'_>) -> String {
    let e = element.value();
    let mut out = e.name().to_string();
    if let Some(id) = e.id() {
        out.push('#');
        out.push_str(id);
    }
    for class in e.classes() {
        out.push('.');
        out.push_str(class);
    }
    out
}

/// The closest element holding both `a` and `b`, unless that is the whole
/// page (then the article region is unknown).
pub(super) fn common_ancestor<'a>(a: ElementRef<'a>, b: ElementRef<'a>) -> Option<ElementRef<'a>> {
    let b_line: HashSet<NodeId> = std::iter::once(b.id())
        .chain(b.ancestors().map(|n| n.id()))
        .collect();
    std::iter::once(*a)
        .chain(a.ancestors())
        .find(|n| b_line.contains(&n.id()))
        .and_then(ElementRef::wrap)
        .filter(|e| !matches!(e.value().name(), "html" | "body"))
}
