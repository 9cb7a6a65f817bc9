//! The page's HTML, read with the portal profile's selectors: the title, the
//! metadata block, the body container's text as lines, and attachment links.
//! When no body selector matches, the main content is found by text density;
//! when no title selector matches, a title-like element; when the metadata
//! selector finds no label govwire reads, the disclosure metadata outside
//! the body, by its vocabulary.
//!
//! - `profile`: the profile's `detail` section compiled once per thread.
//! - `matcher`: the fast selector matcher for selectors made of tags, ids,
//!   classes and `href` tests.
//! - this module: one walk of the tree finds what to strip, the title, the
//!   metadata block and the body candidates; [`read_dom`] puts them together.
//! - `chrome`: boilerplate and page furniture dropped from the text.
//! - `text`: visible text (skipped and hidden elements left out).
//! - `lines`: the body container's text as lines.
//! - `metadata`: the metadata block's label/value pairs.
//! - `content`: the main content found by text density.
//! - `title_like`: the title found without the profile's selector.
//! - `disclosure`: the disclosure metadata found without the profile's
//!   selector, and the labels govwire does not know.
//! - `links`: links to files, the one attachment-link finder of govwire.
//! - `nesting`: HTML nested too deep refused before any tree is built.

mod chrome;
mod content;
mod disclosure;
mod lines;
mod links;
mod matcher;
mod metadata;
mod nesting;
mod profile;
mod text;
mod title_like;

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use govwire_model::profile::DetailProfile;
use govwire_model::Attachment;
use scraper::{ElementRef, Html};

use self::content::{common_ancestor, densest_element, describe, han_counts};
use self::disclosure::{find_info, unknown_labels};
use self::lines::lines_of;
pub(crate) use self::lines::plain_text_lines;
use self::links::attachments_in;
pub use self::links::{file_links, FileLink, LinkError};
use self::matcher::Facts;
use self::metadata::read_info;
pub(crate) use self::nesting::check_nesting;
use self::profile::{compiled, Compiled};
use self::text::element_text;
use self::title_like::title_like;
use crate::document::{label_of, Label};
use crate::error::ParseError;

/// What the HTML of a detail page holds, before any reading of the document.
#[derive(Debug, Default)]
pub(crate) struct PageDom {
    /// Text of the profile's title element, whitespace collapsed.
    pub title: Option<String>,
    /// Label/value pairs of the metadata block, labels without their colon.
    pub info: Vec<(String, String)>,
    /// The body container's text, one entry per block element or `<br>`
    /// line, trimmed, boilerplate dropped.
    pub lines: Vec<String>,
    /// How the body container was found.
    pub container: Container,
    /// The profile's body selector whose match was set aside for a denser
    /// element (it held little text, or mostly links).
    pub overridden: Option<String>,
    /// Files the article links.
    pub attachments: Vec<Attachment>,
    /// The title-like element (`div.title`) the title was taken from when
    /// no title selector of the profile matched.
    pub title_found: Option<String>,
    /// How the metadata was found when the profile's selector found no
    /// label govwire reads.
    pub info_found: Option<InfoFound>,
    /// Labels of the metadata block that govwire does not know, in page
    /// order.
    pub unknown_labels: Vec<String>,
    /// The element a 发布日期 was read from without the profile's selector,
    /// when the profile's metadata block had labels but not that one.
    pub published_elsewhere: Option<String>,
}

/// Metadata read without the profile's selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InfoFound {
    /// The element that holds it (`table.zwgk-meta`).
    pub block: String,
    /// The element the profile's metadata selector matched, which held no
    /// label govwire reads; `None` when it matched nothing.
    pub matched: Option<String>,
}

/// How the body container was found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) enum Container {
    /// One of the profile's `detail.body` selectors matched.
    Profile(String),
    /// None matched; the element with the densest text was taken.
    Detected(String),
    /// Nothing on the page holds text.
    #[default]
    None,
}

/// How many matches of one body selector are compared; a selector matching
/// thousands of nested elements would otherwise read the page thousands of
/// times.
const MAX_CONTAINER_MATCHES: usize = 32;

/// Reads the page `text` (already decoded) with `profile`.
pub(crate) fn read_dom(
    text: &str,
    profile: &DetailProfile,
    page_url: &str,
) -> Result<PageDom, ParseError> {
    let compiled = compiled(profile)?;
    check_nesting(text.as_bytes())?;
    let mut doc = Html::parse_document(text);
    // `Html::select` walks every node of the arena, detached ones included,
    // so all selection starts from the root element instead.
    let found = if compiled.strip_local && compiled.all_simple {
        // Every selector matches by the element alone: one walk finds what
        // to strip (skipping its subtree) and everything else, and stripping
        // afterwards changes none of it.
        let Some(root) = root_element(&doc) else {
            return Ok(PageDom::default());
        };
        let found = find_elements(root, &compiled, true);
        detach_all(&mut doc, found.stripped.clone());
        found
    } else {
        for sel in &compiled.strip {
            let ids: Vec<NodeId> = match root_element(&doc) {
                Some(root) => sel.select(root).map(|e| e.id()).collect(),
                None => Vec::new(),
            };
            detach_all(&mut doc, ids);
        }
        let Some(root) = root_element(&doc) else {
            return Ok(PageDom::default());
        };
        find_elements(root, &compiled, false)
    };
    let Some(root) = root_element(&doc) else {
        return Ok(PageDom::default());
    };
    let element = |id: NodeId| doc.tree.get(id).and_then(ElementRef::wrap);
    let titles: Vec<ElementRef<'_>> = found.titles.iter().filter_map(|id| element(*id)).collect();
    let info = found.info.and_then(element);
    let bodies: Vec<Vec<ElementRef<'_>>> = found
        .bodies
        .iter()
        .map(|ids| ids.iter().filter_map(|id| element(*id)).collect())
        .collect();
    let boilerplate = &compiled.boilerplate;

    let mut dom = PageDom::default();
    let mut title_el = None;
    for element in titles {
        let text = element_text(element);
        if !text.is_empty() {
            dom.title = Some(text);
            title_el = Some(element);
            break;
        }
    }
    if dom.title.is_none() {
        if let Some((element, text)) = title_like(root) {
            dom.title = Some(text);
            dom.title_found = Some(describe(element));
            title_el = Some(element);
        }
    }

    if let Some(block) = info {
        dom.info = read_info(block, &compiled.info_cell, boilerplate);
        dom.unknown_labels = unknown_labels(dom.info.iter().map(|(name, _)| name.as_str()));
    }

    let mut container = None;
    for (matches, (name, _)) in bodies.into_iter().zip(&compiled.body) {
        let best = matches
            .into_iter()
            .map(|e| (e, lines_of(e, boilerplate)))
            .filter(|(_, lines)| !lines.is_empty())
            .max_by_key(|(_, lines)| lines.iter().map(|l| l.chars().count()).sum::<usize>());
        if let Some((element, lines)) = best {
            dom.lines = lines;
            dom.container = Container::Profile(name.clone());
            container = Some(element);
            break;
        }
    }
    // A profile match made mostly of links to other pages (a related links
    // box sharing the body's class) gives way to an element holding far more
    // text, outside it and not around it.
    if let (Some(matched), Container::Profile(selector)) = (container, &dom.container) {
        let has_links = found.links.iter().any(|id| {
            doc.tree
                .get(*id)
                .is_some_and(|link| link.ancestors().any(|a| a.id() == matched.id()))
        });
        let (text, in_links) = if has_links {
            han_counts(matched)
        } else {
            (1, 0)
        };
        if in_links * 2 >= text {
            let own = text - in_links;
            if let Some(element) = densest_element(root).filter(|e| {
                e.id() != matched.id()
                    && !e.ancestors().any(|a| a.id() == matched.id())
                    && !matched.ancestors().any(|a| a.id() == e.id())
            }) {
                let (text, in_links) = han_counts(element);
                let lines = lines_of(element, boilerplate);
                if text - in_links >= 3 * own.max(1) && !lines.is_empty() {
                    dom.overridden = Some(selector.clone());
                    dom.lines = lines;
                    dom.container = Container::Detected(describe(element));
                    container = Some(element);
                }
            }
        }
    }
    if container.is_none() {
        if let Some(element) = densest_element(root) {
            let lines = lines_of(element, boilerplate);
            if !lines.is_empty() {
                dom.lines = lines;
                dom.container = Container::Detected(describe(element));
                container = Some(element);
            }
        }
    }

    // The profile's metadata selector found no label govwire reads: the
    // page's disclosure metadata is looked for outside the body.
    if !dom.info.iter().any(|(name, _)| label_of(name).is_some()) {
        if let Some(found) = find_info(root, container.map(|c| c.id())) {
            dom.info_found = Some(InfoFound {
                block: found.block,
                matched: info.map(describe),
            });
            dom.info = found.pairs;
            dom.unknown_labels = found.unknown;
        }
    } else if !dom
        .info
        .iter()
        .any(|(name, value)| label_of(name) == Some(Label::PublishedOn) && !value.is_empty())
    {
        // The profile's block lacks the 发布日期 that a page shows elsewhere
        // (the publication date the record would otherwise take from the
        // list, or not at all).
        let elsewhere = find_info(root, container.map(|c| c.id())).and_then(|found| {
            let block = found.block;
            found
                .pairs
                .into_iter()
                .find(|(name, value)| {
                    label_of(name) == Some(Label::PublishedOn) && !value.is_empty()
                })
                .map(|pair| (pair, block))
        });
        if let Some((pair, block)) = elsewhere {
            dom.info.push(pair);
            dom.published_elsewhere = Some(block);
        }
    }

    if let Some(container) = container {
        let scope = title_el
            .and_then(|t| common_ancestor(container, t))
            .unwrap_or(container);
        // When the selector names only `<a>` elements, the links the walk
        // found inside the scope are all it can match.
        let links: Option<Vec<ElementRef<'_>>> = compiled.attachments_are_links.then(|| {
            found
                .links
                .iter()
                .filter_map(|id| element(*id))
                .filter(|link| link.ancestors().any(|a| a.id() == scope.id()))
                .collect()
        });
        dom.attachments = attachments_in(scope, links, &compiled.attachments, page_url);
    }
    Ok(dom)
}

/// What one walk of the page finds, by node id.
#[derive(Debug, Default)]
struct Found {
    /// Elements the title selector matches, in document order.
    titles: Vec<NodeId>,
    /// The first element the metadata selector matches.
    info: Option<NodeId>,
    /// The first matches of each body selector, in the profile's order.
    bodies: Vec<Vec<NodeId>>,
    /// Every `<a>` element.
    links: Vec<NodeId>,
    /// Elements the strip selectors match (when the walk strips).
    stripped: Vec<NodeId>,
}

/// One walk over the elements under `root`. With `strip`, elements the
/// profile's strip selectors match are recorded and their subtrees not
/// entered, as if they had been removed first.
fn find_elements(root: ElementRef<'_>, compiled: &Compiled, strip: bool) -> Found {
    let mut found = Found {
        bodies: vec![Vec::new(); compiled.body.len()],
        ..Found::default()
    };
    // Depth inside a stripped element.
    let mut skip_depth = 0usize;
    for edge in root.traverse().skip(1) {
        let node = match edge {
            Edge::Open(node) => node,
            Edge::Close(node) => {
                if skip_depth > 0 && node.value().is_element() {
                    skip_depth -= 1;
                }
                continue;
            }
        };
        let Some(element) = ElementRef::wrap(node) else {
            continue;
        };
        if skip_depth > 0 {
            skip_depth += 1;
            continue;
        }
        let facts = Facts::of(element.value());
        if strip
            && compiled
                .strip
                .iter()
                .any(|s| s.matches_facts(&facts, element, root))
        {
            found.stripped.push(element.id());
            skip_depth = 1;
            continue;
        }
        if *facts.name == html5ever::local_name!("a") {
            found.links.push(element.id());
        }
        if compiled.title.matches_facts(&facts, element, root) {
            found.titles.push(element.id());
        }
        if found.info.is_none() && compiled.info.matches_facts(&facts, element, root) {
            found.info = Some(element.id());
        }
        for (matches, (_, sel)) in found.bodies.iter_mut().zip(&compiled.body) {
            if matches.len() < MAX_CONTAINER_MATCHES && sel.matches_facts(&facts, element, root) {
                matches.push(element.id());
            }
        }
    }
    found
}

/// Removes the nodes `ids` (and their subtrees) from the document.
fn detach_all(doc: &mut Html, ids: Vec<NodeId>) {
    for id in ids {
        if let Some(mut node) = doc.tree.get_mut(id) {
            node.detach();
        }
    }
}

/// The document's `<html>` element (the parser always creates one).
fn root_element(doc: &Html) -> Option<ElementRef<'_>> {
    doc.tree.root().children().find_map(ElementRef::wrap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_walk_reading_finds_what_the_selector_engine_finds_on_the_corpus() {
        use govwire_fixture_portal::{corpus, Layout};
        let text = include_str!("../../../config/portals/shpt.toml");
        let profile: govwire_model::PortalProfile = toml::from_str(text).expect("shpt parses");
        // The same selectors made opaque to the direct matcher: the engine
        // matches them, after the strip selectors were applied one by one.
        let engine = |s: &str| {
            s.split(',')
                .map(|part| format!("{}:not(.govwire-never)", part.trim()))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut slow = profile.detail.clone();
        slow.title = engine(&slow.title);
        slow.info = engine(&slow.info);
        slow.body = slow.body.iter().map(|s| engine(s)).collect();
        slow.strip = slow.strip.iter().map(|s| engine(s)).collect();
        slow.attachments = engine(&slow.attachments);
        assert!(compiled(&profile.detail).unwrap().all_simple);
        assert!(!compiled(&slow).unwrap().all_simple);
        assert!(compiled(&profile.detail).unwrap().attachments_are_links);
        assert!(!compiled(&slow).unwrap().attachments_are_links);
        let mut pages = 0;
        for doc in corpus().into_iter().filter(|d| d.is_served()) {
            for layout in Layout::ALL {
                let served = doc.served_as(layout);
                let text =
                    crate::decode::decode(&served.body, Some(&served.content_type), "http://x/")
                        .expect("corpus pages decode")
                        .text;
                let fast = read_dom(&text, &profile.detail, "http://x/a.html").unwrap();
                let reference = read_dom(&text, &slow, "http://x/a.html").unwrap();
                let what = format!("{} in the {layout:?} layout", doc.item_id());
                assert_eq!(fast.title, reference.title, "{what}");
                assert_eq!(fast.info, reference.info, "{what}");
                assert_eq!(fast.lines, reference.lines, "{what}");
                assert_eq!(fast.attachments, reference.attachments, "{what}");
                pages += 1;
            }
        }
        assert!(pages >= 100);
    }
}
