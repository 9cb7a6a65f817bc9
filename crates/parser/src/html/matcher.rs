//! The fast selector matcher. Most selectors of a profile are lists of
//! compound selectors by tag, id, classes and `href` tests; those are matched
//! by comparing the element's name and attributes directly, as the selector
//! engine would (a test holds the two equal), and any other goes to the
//! engine.

use html5ever::LocalName;
use scraper::{ElementRef, Selector};

use crate::error::ParseError;

/// A selector of the profile. Most are lists of compound selectors by tag,
/// id and classes (`h1, #ivs_title`, `.TRS_Editor`, `table.xxgk-table`):
/// those are matched by comparing the element's name and attributes
/// directly, as the selector engine would; any other goes to the engine.
#[derive(Debug, Clone)]
pub(super) struct ProfileSelector {
    /// The selector engine's form, for what the direct matcher cannot do.
    pub(super) full: Selector,
    /// The compounds of the list, matched directly; `None` when any part
    /// needs the engine.
    pub(super) simple: Option<Vec<Compound>>,
}

/// `tag#id.class.class[href$='.pdf']`, each part optional.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Compound {
    /// The tag name as written and lower-cased (HTML elements are matched
    /// by the latter), as atoms, which compare as numbers; `None` for `*`
    /// or no tag.
    pub(super) tag: Option<(LocalName, LocalName)>,
    id: Option<String>,
    classes: Vec<String>,
    /// Tests of the `href` attribute (the one attachment selectors use;
    /// its value is compared case-sensitively, as the engine does).
    href: Vec<AttrTest>,
}

/// `[href]`, `[href='v']`, `[href^='v']`, `[href$='v']`, `[href*='v']`.
#[derive(Debug, Clone, PartialEq)]
enum AttrTest {
    Exists,
    Equals(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
}

impl AttrTest {
    fn holds(&self, value: Option<&str>) -> bool {
        let Some(value) = value else {
            return false;
        };
        // An empty string in `^=`, `$=` or `*=` matches nothing.
        match self {
            AttrTest::Exists => true,
            AttrTest::Equals(v) => value == v,
            AttrTest::Prefix(v) => !v.is_empty() && value.starts_with(v.as_str()),
            AttrTest::Suffix(v) => !v.is_empty() && value.ends_with(v.as_str()),
            AttrTest::Contains(v) => !v.is_empty() && value.contains(v.as_str()),
        }
    }
}

/// What selectors look at in an element, read once per element.
pub(super) struct Facts<'a> {
    pub(super) name: &'a LocalName,
    html: bool,
    id: Option<&'a str>,
    class: Option<&'a str>,
    href: Option<&'a str>,
}

impl<'a> Facts<'a> {
    pub(super) fn of(e: &'a scraper::node::Element) -> Self {
        let mut facts = Facts {
            name: &e.name.local,
            html: e.name.ns == html5ever::ns!(html),
            id: None,
            class: None,
            href: None,
        };
        // The first attribute of each name counts, as in `Element::attr`.
        for (name, value) in e.attrs() {
            match name {
                "id" if facts.id.is_none() => facts.id = Some(value),
                "class" if facts.class.is_none() => facts.class = Some(value),
                "href" if facts.href.is_none() => facts.href = Some(value),
                _ => {}
            }
        }
        facts
    }
}

impl ProfileSelector {
    pub(super) fn parse(text: &str) -> Result<Self, ParseError> {
        let full = Selector::parse(text).map_err(|error| ParseError::InvalidSelector {
            selector: text.to_string(),
            reason: error.to_string(),
        })?;
        let simple = text.split(',').map(parse_compound).collect();
        Ok(Self { full, simple })
    }

    /// Whether `element` matches, `scope` being the element the search
    /// starts from (what `:scope` means).
    pub(super) fn matches(&self, element: ElementRef<'_>, scope: ElementRef<'_>) -> bool {
        self.matches_facts(&Facts::of(element.value()), element, scope)
    }

    /// [`ProfileSelector::matches`] with the element's facts already read.
    pub(super) fn matches_facts(
        &self,
        facts: &Facts<'_>,
        element: ElementRef<'_>,
        scope: ElementRef<'_>,
    ) -> bool {
        match &self.simple {
            Some(list) => list.iter().any(|c| c.matches(facts)),
            None => self.full.matches_with_scope(&element, Some(scope)),
        }
    }

    /// The elements under `scope` (itself excluded, as in
    /// [`ElementRef::select`]) that match, in document order.
    pub(super) fn select<'a>(
        &'a self,
        scope: ElementRef<'a>,
    ) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        elements_under(scope).filter(move |e| self.matches(*e, scope))
    }
}

/// The elements under `scope`, itself excluded, in document order.
pub(super) fn elements_under(scope: ElementRef<'_>) -> impl Iterator<Item = ElementRef<'_>> {
    scope.descendants().skip(1).filter_map(ElementRef::wrap)
}

/// `div.content` or `a[href$='.pdf']` → a [`Compound`]; `None` for
/// anything with combinators, pseudo-classes, escapes or attribute tests
/// other than of `href`.
fn parse_compound(text: &str) -> Option<Compound> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    let tag_end = text.find(['.', '#', '[']).unwrap_or(text.len());
    let tag = match &text[..tag_end] {
        "" | "*" => None,
        t if t.starts_with(|c: char| c.is_ascii_alphabetic()) && t.chars().all(is_name) => {
            Some((LocalName::from(t), LocalName::from(t.to_ascii_lowercase())))
        }
        _ => return None,
    };
    let mut rest = &text[tag_end..];
    if tag.is_none() && rest.is_empty() && text != "*" {
        return None;
    }
    let mut compound = Compound {
        tag,
        id: None,
        classes: Vec::new(),
        href: Vec::new(),
    };
    while let Some(kind) = rest.chars().next() {
        let body = &rest[1..];
        if kind == '[' {
            let close = body.find(']')?;
            compound.href.push(parse_href_test(&body[..close])?);
            rest = &body[close + 1..];
            continue;
        }
        let end = body.find(|c: char| !is_name(c)).unwrap_or(body.len());
        let name = &body[..end];
        if name.is_empty() {
            return None;
        }
        match kind {
            '.' => compound.classes.push(name.to_string()),
            '#' if compound.id.is_none() => compound.id = Some(name.to_string()),
            _ => return None,
        }
        rest = &body[end..];
    }
    Some(compound)
}

/// The inside of `[href$='.pdf']`; `None` for another attribute, a flag
/// (`i`, `s`) or an escape.
fn parse_href_test(inside: &str) -> Option<AttrTest> {
    let inside = inside.trim();
    let rest = inside.strip_prefix("href")?.trim_start();
    if rest.is_empty() {
        return Some(AttrTest::Exists);
    }
    let (op, value) = ["^=", "$=", "*=", "="]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|v| (*op, v.trim())))?;
    let value = match value.chars().next()? {
        quote @ ('\'' | '"') => {
            let inner = value.strip_prefix(quote)?.strip_suffix(quote)?;
            if inner.contains([quote, '\\']) {
                return None;
            }
            inner
        }
        _ if value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            value
        }
        _ => return None,
    };
    let value = value.to_string();
    Some(match op {
        "^=" => AttrTest::Prefix(value),
        "$=" => AttrTest::Suffix(value),
        "*=" => AttrTest::Contains(value),
        _ => AttrTest::Equals(value),
    })
}

impl Compound {
    fn matches(&self, e: &Facts<'_>) -> bool {
        if let Some((written, lower)) = &self.tag {
            let name = if e.html { lower } else { written };
            if e.name != name {
                return false;
            }
        }
        if let Some(id) = &self.id {
            if e.id != Some(id.as_str()) {
                return false;
            }
        }
        if !self.classes.is_empty() {
            let Some(attr) = e.class else {
                return false;
            };
            if !self
                .classes
                .iter()
                .all(|c| attr.split_ascii_whitespace().any(|w| w == c))
            {
                return false;
            }
        }
        self.href.iter().all(|t| t.holds(e.href))
    }
}

/// Whether a selector matches an element by the element alone (its name,
/// classes, id: `script`, `div.share`, `#footer`), never by its place in
/// the tree. Removing one element then cannot change what such a selector
/// matches elsewhere, so a list of them can be applied in one pass.
pub(super) fn is_element_local(selector: &str) -> bool {
    let s = selector.trim();
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '#' | '*'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::root_element;
    use ego_tree::NodeId;
    use scraper::Html;

    #[test]
    fn only_selectors_of_the_element_alone_are_element_local() {
        assert!(is_element_local("script"));
        assert!(is_element_local("div.share-bar"));
        assert!(is_element_local(" #footer "));
        assert!(!is_element_local("div > p"));
        assert!(!is_element_local("li:first-child"));
        assert!(!is_element_local("a, b"));
        assert!(!is_element_local("a[href]"));
        assert!(!is_element_local(""));
    }

    #[test]
    fn compound_selectors_are_matched_as_the_selector_engine_matches_them() {
        let page = Html::parse_document(
            r#"<!doctype html><html><body>
            <h1 class="x">t</h1><div id="ivs_title" class="A b">u</div>
            <div class="TRS_Editor trs_editor"><p class="content">p</p></div>
            <table class="xxgk-table other"><tr><td class="col-md-7">c</td></tr></table>
            <DIV CLASS="content" ID="Main">d</DIV><article>a</article>
            <svg><foreignObject class="content"></foreignObject></svg>
            <span class="b A">s</span>
            <a href="/files/x.pdf">x</a><a href="/files/Y.PDF">y</a><A HREF="http://h/z.docx">z</A>
            <a title="t">no href</a><a href="">empty</a></body></html>"#,
        );
        let root = root_element(&page).expect("a root element");
        for text in [
            "h1, #ivs_title",
            ".TRS_Editor",
            ".trs_editor",
            "div.content",
            "DIV.content",
            "#Main",
            "#main",
            "table.xxgk-table",
            ".A.b",
            "span.A#x",
            "*",
            "*.content",
            "foreignObject",
            "foreignobject",
            ".col-md-7, .col-md-5, td",
            "article",
            "div > p",
            "td:first-child",
            "a[href$='.pdf'], a[href$='.PDF'], a[href$=\".docx\"]",
            "a[href]",
            "[href^=http]",
            "a[href*='files']",
            "a[href='/files/x.pdf']",
            "a[href$='']",
            "a[title]",
            "a[href$='.pdf' i]",
        ] {
            let sel = ProfileSelector::parse(text).expect("a valid selector");
            let fast: Vec<NodeId> = sel.select(root).map(|e| e.id()).collect();
            let engine: Vec<NodeId> = root.select(&sel.full).map(|e| e.id()).collect();
            assert_eq!(fast, engine, "`{text}`");
        }
        assert!(ProfileSelector::parse(".TRS_Editor")
            .unwrap()
            .simple
            .is_some());
        assert!(ProfileSelector::parse("h1, #ivs_title")
            .unwrap()
            .simple
            .is_some());
        assert!(ProfileSelector::parse("div > p").unwrap().simple.is_none());
        assert!(ProfileSelector::parse("a[href]").unwrap().simple.is_some());
        assert!(ProfileSelector::parse("a[href$='.pdf'], a[href$='.doc']")
            .unwrap()
            .simple
            .is_some());
        assert!(ProfileSelector::parse("a[title]").unwrap().simple.is_none());
        assert!(ProfileSelector::parse("a[href$='.pdf' i]")
            .unwrap()
            .simple
            .is_none());
        assert!(ProfileSelector::parse("td:first-child")
            .unwrap()
            .simple
            .is_none());
        assert!(ProfileSelector::parse("div..x").is_err());
    }
}
