//! The text a reader sees in an element: skipped elements (scripts, styles,
//! form controls) and hidden ones left out.

use ego_tree::iter::Edge;
use ego_tree::NodeRef;
use scraper::{ElementRef, Node};

use crate::normalize::collapse_spaces_owned;

/// Elements whose content is never page text.
const SKIPPED_ELEMENTS: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg",
    "select", "textarea", "button",
];

/// An element's text with whitespace collapsed, as titles and labels want it.
pub(super) fn element_text(e: ElementRef<'_>) -> String {
    collapse_spaces_owned(visible_text(*e), true)
}

/// The text of a subtree, without skipped or hidden elements.
pub(super) fn visible_text(node: NodeRef<'_, Node>) -> String {
    let mut out = String::new();
    let mut skip_depth = 0usize;
    for edge in node.traverse() {
        match edge {
            Edge::Open(n) => match n.value() {
                Node::Element(e) if skip_depth > 0 || is_skipped(e) => skip_depth += 1,
                Node::Text(t) if skip_depth == 0 => out.push_str(t),
                _ => {}
            },
            Edge::Close(n) => {
                if n.value().is_element() && skip_depth > 0 {
                    skip_depth -= 1;
                }
            }
        }
    }
    out
}

pub(super) fn is_skipped(e: &scraper::node::Element) -> bool {
    // Most elements are one of a few that are never skipped by name.
    let common = matches!(
        e.name(),
        "p" | "span" | "div" | "br" | "a" | "td" | "tr" | "font"
    );
    if !common && SKIPPED_ELEMENTS.contains(&e.name()) {
        return true;
    }
    // One look at the attributes; the first of each name counts, as in
    // `Element::attr`.
    let (mut hidden, mut style) = (false, None);
    for (name, value) in e.attrs() {
        match name {
            "hidden" => hidden = true,
            "style" if style.is_none() => style = Some(value),
            _ => {}
        }
    }
    hidden || style.is_some_and(style_hides)
}

/// Whether an inline style hides its element: `display:none` or
/// `visibility:hidden`, in any case, with any whitespace inside.
fn style_hides(style: &str) -> bool {
    const PATTERNS: [&[u8]; 2] = [b"display:none", b"visibility:hidden"];
    // How much of each pattern the text read so far ends with. Neither
    // pattern's first letter recurs in it, so a mismatch restarts it.
    let mut matched = [0usize; 2];
    for c in style.chars().filter(|c| !c.is_whitespace()) {
        let c = c.to_ascii_lowercase();
        for (pattern, at) in PATTERNS.iter().zip(matched.iter_mut()) {
            if c.is_ascii() && pattern[*at] == c as u8 {
                *at += 1;
                if *at == pattern.len() {
                    return true;
                }
            } else {
                *at = usize::from(c.is_ascii() && pattern[0] == c as u8);
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hiding_styles_are_recognised_in_any_case_and_spacing() {
        for style in [
            "display:none",
            "color:red; DISPLAY : None !important",
            "visibility:\thidden",
            "ddisplay:none",
            "font-size:12px;visibility :HIDDEN",
        ] {
            assert!(style_hides(style), "`{style}`");
        }
        for style in [
            "display:block",
            "display:non",
            "visibility:visible",
            "",
            "显示:none",
        ] {
            assert!(!style_hides(style), "`{style}`");
        }
    }
}
