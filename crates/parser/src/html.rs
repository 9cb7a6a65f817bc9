//! The page's HTML, read with the portal profile's selectors: the title, the
//! metadata block, the body container's text as lines, and attachment links.
//! When no body selector matches, the main content is found by text density.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use ego_tree::iter::Edge;
use ego_tree::{NodeId, NodeRef};
use govwire_model::profile::DetailProfile;
use govwire_model::Attachment;
use html5ever::LocalName;
use scraper::{ElementRef, Html, Node, Selector};

use crate::normalize::{collapse_spaces, collapse_spaces_owned, is_cjk, is_han, is_space};
use crate::ParseError;

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

/// Elements that end a line of text, in byte order (looked up by binary
/// search, as every element of every page is).
const BLOCK_ELEMENTS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "html",
    "legend",
    "li",
    "main",
    "menu",
    "nav",
    "ol",
    "option",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
];

/// How many matches of one body selector are compared; a selector matching
/// thousands of nested elements would otherwise read the page thousands of
/// times.
const MAX_CONTAINER_MATCHES: usize = 32;

/// Deepest element nesting accepted. Portal pages nest a few dozen levels;
/// HTML nested thousands deep is not a page but a way to make the HTML tree
/// builder work quadratically, and is refused.
const MAX_NESTING: usize = 4_000;

/// Elements whose content is never page text.
const SKIPPED_ELEMENTS: &[&str] = &[
    "script", "style", "noscript", "template", "head", "title", "iframe", "object", "svg",
    "select", "textarea", "button",
];

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

/// Lines that are page furniture wherever they appear (print and close
/// buttons, font-size switches), on top of the profile's boilerplate.
const CHROME_LINES: &[&str] = &[
    "打印",
    "打印本页",
    "【打印】",
    "[打印]",
    "关闭",
    "关闭窗口",
    "【关闭】",
    "[关闭]",
    "返回顶部",
    "【返回顶部】",
    "扫一扫在手机打开当前页",
    "分享到：",
    "分享到:",
    "字号：大中小",
    "字号:大中小",
    "【字号：大中小】",
    "【字体：大中小】",
    "字体：大中小",
    "打印本页关闭窗口",
    "打印关闭",
    "打印此页",
    "关闭本页",
    "返回顶部关闭窗口",
];

/// Beginnings of page-furniture lines whatever follows their colon: the
/// editor, view counters, links to the previous and next article.
const CHROME_PREFIXES: &[&str] = &[
    "责任编辑",
    "编辑",
    "浏览次数",
    "浏览量",
    "访问次数",
    "访问量",
    "阅读次数",
    "阅读量",
    "点击次数",
    "点击数",
    "点击量",
    "上一篇",
    "下一篇",
];

/// Words of the page's buttons written in brackets (`【打印本页】
/// 【关闭窗口】`, `[收藏]`).
const CHROME_BUTTONS: &[&str] = &[
    "打印",
    "打印本页",
    "打印此页",
    "打印正文",
    "关闭",
    "关闭窗口",
    "关闭本页",
    "返回",
    "返回顶部",
    "返回首页",
    "收藏",
    "加入收藏",
    "保存",
    "纠错",
    "分享",
    "大",
    "中",
    "小",
];

/// Whether a line is page furniture by its form rather than its exact
/// text: `责任编辑：李明`, `浏览次数：123`, `上一篇：…`, a row of bracketed
/// buttons (`【打印本页】 【关闭窗口】`, `【字体：大 中 小】`).
fn is_chrome_line(line: &str) -> bool {
    let Some(first) = line.chars().next() else {
        return false;
    };
    if matches!(first, '【' | '[' | '［') {
        return is_button_row(line);
    }
    if !may_start_chrome(first) {
        return false;
    }
    CHROME_PREFIXES.iter().any(|prefix| {
        line.strip_prefix(prefix).is_some_and(|rest| {
            let rest = rest.trim_start_matches(is_space);
            rest.is_empty() || rest.starts_with(['：', ':'])
        })
    })
}

/// Whether a line starting with `first` can be furniture by its form
/// ([`is_chrome_line`]).
fn may_start_chrome(first: char) -> bool {
    matches!(
        first,
        '【' | '[' | '［' | '责' | '编' | '浏' | '访' | '阅' | '点' | '上' | '下'
    )
}

/// Whether a line is only bracketed button words (`【打印】【关闭】`,
/// `[ 打印本页 ] [ 关闭窗口 ]`, `【字体：大 中 小】`).
fn is_button_row(line: &str) -> bool {
    let mut rest = line.trim_matches(is_space);
    let mut any = false;
    while !rest.is_empty() {
        let Some(open) = rest
            .chars()
            .next()
            .filter(|c| matches!(c, '【' | '[' | '［'))
        else {
            return false;
        };
        let inner_start = open.len_utf8();
        let Some(close) = rest[inner_start..].find(['】', ']', '］']) else {
            return false;
        };
        let inner = &rest[inner_start..inner_start + close];
        let words: String = inner.chars().filter(|c| !is_space(*c)).collect();
        let font_switch =
            ["字体", "字号"].iter().any(|w| words.starts_with(w)) && words.chars().count() <= 8;
        if !font_switch && !CHROME_BUTTONS.contains(&words.as_str()) {
            return false;
        }
        any = true;
        let after = inner_start + close;
        let close_len = rest[after..].chars().next().map_or(1, char::len_utf8);
        rest = rest[after + close_len..].trim_start_matches(is_space);
    }
    any
}

/// File name endings of links to files rather than pages: text in such a
/// link is document text (an attachment-only reply), not navigation.
const ATTACHMENT_EXTENSIONS: &[&str] = &[
    ".pdf", ".doc", ".docx", ".wps", ".xls", ".xlsx", ".et", ".ppt", ".pptx", ".zip", ".rar",
    ".7z", ".ofd", ".txt", ".csv",
];

/// How many compiled profiles each thread keeps. A process reads a few
/// profiles; the bound only keeps profiles from piling up in a checker run
/// over many.
const PROFILE_CACHE_SIZE: usize = 16;

thread_local! {
    /// Profiles already compiled: a profile's selectors are parsed once per
    /// thread, not once per page.
    static COMPILED: RefCell<Vec<(DetailProfile, Rc<Compiled>)>> = const { RefCell::new(Vec::new()) };
}

/// A profile's `detail` section, ready to read pages with.
struct Compiled {
    title: ProfileSelector,
    info: ProfileSelector,
    info_cell: ProfileSelector,
    /// The body selectors in the profile's order, with their text.
    body: Vec<(String, ProfileSelector)>,
    /// The strip selectors, one by one.
    strip: Vec<ProfileSelector>,
    /// Whether every strip selector matches by the element alone (its
    /// name, id, classes), never by its place in the tree. Removing one
    /// element then cannot change what they match elsewhere, so they are
    /// applied in one walk.
    strip_local: bool,
    /// Whether the title, metadata and body selectors all match by the
    /// element alone.
    all_simple: bool,
    /// The links to attachments.
    attachments: ProfileSelector,
    /// Whether every compound of the attachments selector names the `a`
    /// element.
    attachments_are_links: bool,
    /// The profile's boilerplate lines and [`CHROME_LINES`].
    boilerplate: Boilerplate,
}

impl Compiled {
    fn new(profile: &DetailProfile) -> Result<Self, ParseError> {
        let mut compiled = Self::parse(profile)?;
        compiled.attachments_are_links = compiled.attachments.simple.as_ref().is_some_and(|list| {
            list.iter().all(|c| {
                c.tag
                    .as_ref()
                    .is_some_and(|(_, lower)| *lower == html5ever::local_name!("a"))
            })
        });
        compiled.all_simple = [&compiled.title, &compiled.info]
            .into_iter()
            .chain(compiled.body.iter().map(|(_, s)| s))
            .all(|s| s.simple.is_some());
        Ok(compiled)
    }

    fn parse(profile: &DetailProfile) -> Result<Self, ParseError> {
        Ok(Self {
            title: ProfileSelector::parse(&profile.title)?,
            info: ProfileSelector::parse(&profile.info)?,
            info_cell: ProfileSelector::parse(&profile.info_cell)?,
            body: profile
                .body
                .iter()
                .map(|s| ProfileSelector::parse(s).map(|sel| (s.clone(), sel)))
                .collect::<Result<_, _>>()?,
            strip: profile
                .strip
                .iter()
                .map(|s| ProfileSelector::parse(s))
                .collect::<Result<_, _>>()?,
            strip_local: profile.strip.iter().all(|s| is_element_local(s)),
            all_simple: false,
            attachments: ProfileSelector::parse(&profile.attachments)?,
            attachments_are_links: false,
            boilerplate: boilerplate_of(profile),
        })
    }
}

/// The compiled form of `profile`, from this thread's cache when it has been
/// compiled before.
fn compiled(profile: &DetailProfile) -> Result<Rc<Compiled>, ParseError> {
    let cached = COMPILED.with(|cache| {
        cache
            .borrow()
            .iter()
            .find(|(p, _)| p == profile)
            .map(|(_, c)| Rc::clone(c))
    });
    if let Some(compiled) = cached {
        return Ok(compiled);
    }
    let compiled = Rc::new(Compiled::new(profile)?);
    COMPILED.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= PROFILE_CACHE_SIZE {
            cache.remove(0);
        }
        cache.push((profile.clone(), Rc::clone(&compiled)));
    });
    Ok(compiled)
}

/// Lines that are never page text: the profile's boilerplate, trimmed, and
/// [`CHROME_LINES`].
#[derive(Debug, Default)]
pub(crate) struct Boilerplate {
    /// A few dozen lines: compared by length first, then bytes.
    lines: Vec<String>,
    /// The longest of them, in bytes: a longer line is none of them.
    longest: usize,
}

impl Boilerplate {
    /// Whether `line`, its spaces left out, is one of the lines (compared
    /// without building the compact form).
    fn contains_without_spaces(&self, line: &str) -> bool {
        self.lines
            .iter()
            .filter(|b| b.len() <= line.len())
            .any(|b| {
                let mut compact = line.chars().filter(|c| !is_space(*c));
                b.chars().all(|c| compact.next() == Some(c)) && compact.next().is_none()
            })
    }

    /// Whether `line` is one of the lines.
    fn contains(&self, line: &str) -> bool {
        line.len() <= self.longest
            && self
                .lines
                .iter()
                .any(|b| b.len() == line.len() && b == line)
    }
}

/// The profile's boilerplate lines, trimmed, and [`CHROME_LINES`].
fn boilerplate_of(profile: &DetailProfile) -> Boilerplate {
    let mut lines: Vec<String> = profile
        .boilerplate
        .iter()
        .map(|b| b.trim_matches(is_space).to_string())
        .chain(CHROME_LINES.iter().map(|s| s.to_string()))
        .collect();
    lines.sort();
    lines.dedup();
    let longest = lines.iter().map(String::len).max().unwrap_or(0);
    Boilerplate { lines, longest }
}

/// A selector of the profile. Most are lists of compound selectors by tag,
/// id and classes (`h1, #ivs_title`, `.TRS_Editor`, `table.xxgk-table`):
/// those are matched by comparing the element's name and attributes
/// directly, as the selector engine would; any other goes to the engine.
#[derive(Debug, Clone)]
struct ProfileSelector {
    full: Selector,
    simple: Option<Vec<Compound>>,
}

/// `tag#id.class.class[href$='.pdf']`, each part optional.
#[derive(Debug, Clone, PartialEq)]
struct Compound {
    /// The tag name as written and lower-cased (HTML elements are matched
    /// by the latter), as atoms, which compare as numbers; `None` for `*`
    /// or no tag.
    tag: Option<(LocalName, LocalName)>,
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
struct Facts<'a> {
    name: &'a LocalName,
    html: bool,
    id: Option<&'a str>,
    class: Option<&'a str>,
    href: Option<&'a str>,
}

impl<'a> Facts<'a> {
    fn of(e: &'a scraper::node::Element) -> Self {
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
    fn parse(text: &str) -> Result<Self, ParseError> {
        let full = Selector::parse(text).map_err(|error| ParseError::InvalidSelector {
            selector: text.to_string(),
            reason: error.to_string(),
        })?;
        let simple = text.split(',').map(parse_compound).collect();
        Ok(Self { full, simple })
    }

    /// Whether `element` matches, `scope` being the element the search
    /// starts from (what `:scope` means).
    fn matches(&self, element: ElementRef<'_>, scope: ElementRef<'_>) -> bool {
        self.matches_facts(&Facts::of(element.value()), element, scope)
    }

    /// [`ProfileSelector::matches`] with the element's facts already read.
    fn matches_facts(
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
    fn select<'a>(&'a self, scope: ElementRef<'a>) -> impl Iterator<Item = ElementRef<'a>> + 'a {
        elements_under(scope).filter(move |e| self.matches(*e, scope))
    }
}

/// The elements under `scope`, itself excluded, in document order.
fn elements_under(scope: ElementRef<'_>) -> impl Iterator<Item = ElementRef<'_>> {
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

/// Whether an element is one of [`BLOCK_ELEMENTS`].
fn is_block(name: &str) -> bool {
    // Most elements are one of a few; they are answered without a search.
    match name {
        "p" | "div" | "td" | "tr" | "li" | "table" | "tbody" | "br" => name != "br",
        "span" | "a" | "font" | "strong" | "b" | "img" | "em" | "i" | "u" => false,
        _ => BLOCK_ELEMENTS.binary_search(&name).is_ok(),
    }
}

/// Whether a selector matches an element by the element alone (its name,
/// classes, id: `script`, `div.share`, `#footer`), never by its place in
/// the tree. Removing one element then cannot change what such a selector
/// matches elsewhere, so a list of them can be applied in one pass.
fn is_element_local(selector: &str) -> bool {
    let s = selector.trim();
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '#' | '*'))
}

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

    if let Some(block) = info {
        dom.info = read_info(block, &compiled.info_cell, boilerplate);
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

/// An element's text with whitespace collapsed, as titles and labels want it.
fn element_text(e: ElementRef<'_>) -> String {
    collapse_spaces_owned(visible_text(*e), true)
}

/// The text of a subtree, without skipped or hidden elements.
fn visible_text(node: NodeRef<'_, Node>) -> String {
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

fn is_skipped(e: &scraper::node::Element) -> bool {
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

/// The text lines of a container: one per block element or `<br>`-separated
/// run. Line breaks inside the HTML source count as whitespace: a run of
/// whitespace holding a newline between two CJK characters is removed (that
/// is how browsers lay Chinese out), elsewhere it becomes one space. Other
/// characters are kept as written; each line is trimmed.
///
/// A table row whose cells are short is one line, its cells' texts separated
/// by a tab (`1\t孵化器二期\t500`; an empty cell leaves two tabs side by
/// side). Tabs inside text become spaces, so a tab in a line always
/// separates cells. A row with a long cell (a layout table holding the
/// article) keeps its lines.
fn lines_of(container: ElementRef<'_>, boilerplate: &Boilerplate) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    // Depth inside skipped elements; text there is not page text.
    let mut skip_depth = 0usize;
    // The table rows being read, innermost last.
    let mut rows: Vec<Row> = Vec::new();
    for edge in container.traverse() {
        match edge {
            Edge::Open(n) => match n.value() {
                Node::Element(e) => {
                    if skip_depth > 0 || is_skipped(e) {
                        skip_depth += 1;
                    } else if is_block(e.name()) || e.name() == "br" {
                        flush(&mut current, &mut lines, boilerplate);
                        match e.name() {
                            "tr" => rows.push(Row {
                                start: lines.len(),
                                cells: Vec::new(),
                            }),
                            "td" | "th" => {
                                if let Some(row) = rows.last_mut() {
                                    row.cells.push(lines.len());
                                }
                            }
                            _ => {}
                        }
                    }
                }
                Node::Text(t) if skip_depth == 0 => current.push_str(t),
                _ => {}
            },
            Edge::Close(n) => {
                if let Node::Element(e) = n.value() {
                    if skip_depth > 0 {
                        skip_depth -= 1;
                    } else if is_block(e.name()) {
                        flush(&mut current, &mut lines, boilerplate);
                        if e.name() == "tr" {
                            if let Some(row) = rows.pop() {
                                join_row(&mut lines, row);
                            }
                        }
                    }
                }
            }
        }
    }
    flush(&mut current, &mut lines, boilerplate);
    lines
}

/// A table row being read: where its lines start, and where each cell's.
struct Row {
    start: usize,
    cells: Vec<usize>,
}

/// The most lines one cell of a row read as one line may hold.
const MAX_CELL_LINES: usize = 3;

/// The most characters a row read as one line may hold.
const MAX_ROW_CHARS: usize = 500;

/// Replaces the lines of a table row by one line, its cells separated by
/// tabs (the lines of one cell by a space), when it has two cells or more
/// and they are short; a row of a layout table (long cells, or a table
/// inside) keeps its lines.
fn join_row(lines: &mut Vec<String>, row: Row) {
    let Row { start, cells } = row;
    if cells.len() < 2 || cells.first() != Some(&start) || start > lines.len() {
        return;
    }
    let row_lines = &lines[start..];
    if row_lines.is_empty()
        || row_lines.iter().any(|l| l.contains('\t'))
        || row_lines.iter().map(|l| l.chars().count()).sum::<usize>() > MAX_ROW_CHARS
    {
        return;
    }
    let ends = cells.iter().skip(1).copied().chain([lines.len()]);
    let mut texts = Vec::with_capacity(cells.len());
    for (&from, to) in cells.iter().zip(ends) {
        let cell = &lines[from.min(to)..to];
        if cell.len() > MAX_CELL_LINES {
            return;
        }
        texts.push(cell.join(" "));
    }
    let joined = texts.join("\t");
    lines.truncate(start);
    lines.push(joined);
}

fn flush(current: &mut String, lines: &mut Vec<String>, boilerplate: &Boilerplate) {
    // Most flushes (at each block element's start and end) hold nothing or
    // the source's indentation.
    if current.bytes().all(|b| b.is_ascii_whitespace()) {
        current.clear();
        return;
    }
    // A line without source whitespace or no-break spaces lays out as
    // itself, trimmed of other spaces: its buffer becomes the line.
    let plain = !current
        .bytes()
        .any(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0C))
        && !current.contains('\u{00A0}');
    let line = if plain && current.trim_matches(is_space).len() == current.len() {
        std::mem::take(current)
    } else {
        let line = layout_line(current);
        current.clear();
        line
    };
    if line.is_empty() {
        return;
    }
    if boilerplate.contains(&line) || is_chrome_line(&line) {
        return;
    }
    // Without spaces the compact form is the line itself, already looked up.
    // (Only a short line can be boilerplate, and only one starting as
    // furniture does can be furniture.)
    if line.contains(is_space) {
        if boilerplate.contains_without_spaces(&line) {
            return;
        }
        if line.chars().next().is_some_and(may_start_chrome) {
            let compact: String = line.chars().filter(|c| !is_space(*c)).collect();
            if is_chrome_line(&compact) {
                return;
            }
        }
    }
    lines.push(line);
}

/// One line of text as a browser would show it: source line breaks folded,
/// no-break spaces and tabs as spaces, ends trimmed.
fn layout_line(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    // The character before the current run of source whitespace, where the
    // run starts (a byte offset), and whether it holds a line break.
    let mut before: Option<char> = None;
    let mut run: Option<usize> = None;
    let mut run_breaks = false;
    for (at, c) in raw.char_indices() {
        if is_source_space(c) {
            run.get_or_insert(at);
            run_breaks |= matches!(c, '\n' | '\r');
            continue;
        }
        if let Some(start) = run.take() {
            push_run(&mut out, &raw[start..at], run_breaks, before, Some(c));
            run_breaks = false;
        }
        out.push(if c == '\u{00A0}' { ' ' } else { c });
        before = Some(c);
    }
    if let Some(start) = run {
        push_run(&mut out, &raw[start..], run_breaks, before, None);
    }
    let trimmed = out.trim_matches(is_space);
    if trimmed.len() == out.len() {
        out
    } else {
        trimmed.to_string()
    }
}

/// Whitespace as it appears in HTML source between words and lines.
fn is_source_space(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\t' | ' ' | '\u{0C}')
}

/// One run of source whitespace as a browser lays it out: a run holding a
/// line break becomes one space (none between two CJK characters); a run
/// without one keeps a space for each of its characters.
fn push_run(out: &mut String, run: &str, breaks: bool, before: Option<char>, after: Option<char>) {
    if breaks {
        if !matches!((before, after), (Some(b), Some(a)) if is_cjk(b) && is_cjk(a)) {
            out.push(' ');
        }
    } else {
        out.extend(run.chars().map(|_| ' '));
    }
}

/// Label/value pairs of the metadata block. Each cell's first `<span>` is
/// the label (`索引号：`), the following spans the value; a cell without
/// spans is split at its first colon. Values may sit on the line after their
/// label, or be spread over several spans (`普绿容` / `〔2019〕` / `44号`).
fn read_info(
    block: ElementRef<'_>,
    cell_sel: &ProfileSelector,
    boilerplate: &Boilerplate,
) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let cells: Vec<ElementRef<'_>> = cell_sel.select(block).collect();
    let mut k = 0;
    while k < cells.len() {
        let cell = &cells[k];
        k += 1;
        let spans = outermost_spans(*cell);
        let pair = if let Some((first, rest)) = spans.split_first() {
            let label_text = element_text(*first);
            match split_label(&label_text) {
                Some((label, inline)) if !inline.is_empty() => Some((label, inline)),
                Some((label, _)) => {
                    let value: String = rest.iter().map(|s| visible_text(**s)).collect();
                    Some((label, collapse_spaces_owned(value, true)))
                }
                None => None,
            }
        } else {
            match split_label(&element_text(*cell)) {
                // A table row of label and value cells (`<td>索引号：</td>
                // <td>SY…</td>`, the 2019 layout): an empty label cell takes
                // the next cell's text, unless that is a label itself.
                Some((label, value)) if value.is_empty() => {
                    match cells.get(k).map(|c| element_text(*c)) {
                        Some(text) if !is_label_cell(&text) => {
                            k += 1;
                            Some((label, text))
                        }
                        _ => Some((label, value)),
                    }
                }
                other => other,
            }
        };
        if let Some(pair) = pair {
            pairs.push(pair);
        }
    }
    if cells.is_empty() {
        // No cells: read the block as lines of `label：value`, a value on the
        // line after an empty label taken as its own.
        let lines = lines_of(block, boilerplate);
        let mut i = 0;
        while i < lines.len() {
            if let Some((label, value)) = split_label(&lines[i]) {
                if value.is_empty() {
                    if let Some(next) = lines.get(i + 1).filter(|n| split_label(n).is_none()) {
                        pairs.push((label, next.clone()));
                        i += 2;
                        continue;
                    }
                }
                pairs.push((label, value));
            }
            i += 1;
        }
    }
    pairs
}

/// Whether a cell's text is a bare label (`主题分类：`), so it cannot be the
/// value of the label cell before it.
fn is_label_cell(text: &str) -> bool {
    split_label(text).is_some_and(|(_, value)| value.is_empty())
}

/// The spans of a cell that are not inside another span (nested spans would
/// repeat their text).
fn outermost_spans(cell: ElementRef<'_>) -> Vec<ElementRef<'_>> {
    let mut spans = Vec::new();
    let mut depth = 0usize;
    for edge in cell.traverse() {
        match edge {
            Edge::Open(n) => {
                if n.value().as_element().is_some_and(|e| e.name() == "span") {
                    if depth == 0 {
                        spans.extend(ElementRef::wrap(n));
                    }
                    depth += 1;
                }
            }
            Edge::Close(n) => {
                if n.value().as_element().is_some_and(|e| e.name() == "span") {
                    depth = depth.saturating_sub(1);
                }
            }
        }
    }
    spans
}

/// `索引号：SY…` → (`索引号`, `SY…`); `None` without a colon or label.
fn split_label(text: &str) -> Option<(String, String)> {
    let idx = text.find(['：', ':'])?;
    let label: String = text[..idx].chars().filter(|c| !is_space(*c)).collect();
    let colon_len = text[idx..].chars().next().map_or(1, char::len_utf8);
    let value = collapse_spaces(&text[idx + colon_len..], true);
    if label.is_empty() || label.chars().count() > 10 || !label.chars().all(is_han) {
        return None;
    }
    Some((label, value))
}

/// Han characters in an element's visible text, and how many of them are
/// inside links to other pages (links to files, such as an attachment-only
/// reply's PDF, count as text).
fn han_counts(element: ElementRef<'_>) -> (usize, usize) {
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
fn densest_element(root: ElementRef<'_>) -> Option<ElementRef<'_>> {
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
fn is_chrome(e: &scraper::node::Element) -> bool {
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
fn describe(element: ElementRef<'_>) -> String {
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
fn common_ancestor<'a>(a: ElementRef<'a>, b: ElementRef<'a>) -> Option<ElementRef<'a>> {
    let b_line: HashSet<NodeId> = std::iter::once(b.id())
        .chain(b.ancestors().map(|n| n.id()))
        .collect();
    std::iter::once(*a)
        .chain(a.ancestors())
        .find(|n| b_line.contains(&n.id()))
        .and_then(ElementRef::wrap)
        .filter(|e| !matches!(e.value().name(), "html" | "body"))
}

/// Whether a link's target is a file (PDF, Word, spreadsheet, archive) by
/// its name's ending.
fn is_file_link(href: &str) -> bool {
    let path = href.trim().split(['?', '#']).next().unwrap_or_default();
    ATTACHMENT_EXTENSIONS.iter().any(|ext| {
        path.len() >= ext.len()
            && path.is_char_boundary(path.len() - ext.len())
            && path[path.len() - ext.len()..].eq_ignore_ascii_case(ext)
    })
}

/// The links within `scope` that the profile's `detail.attachments`
/// selector names (the files the crawler fetches with the page),
/// resolved against the page URL; each URL once.
fn attachments_in<'a>(
    scope: ElementRef<'a>,
    links: Option<Vec<ElementRef<'a>>>,
    selector: &'a ProfileSelector,
    page_url: &str,
) -> Vec<Attachment> {
    // The page's URL is parsed once a link needs it (most pages have none).
    let mut base: Option<Option<url::Url>> = None;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let candidates: Box<dyn Iterator<Item = ElementRef<'a>>> = match links {
        Some(links) => Box::new(
            links
                .into_iter()
                .filter(move |link| selector.matches(*link, scope)),
        ),
        None => Box::new(selector.select(scope)),
    };
    for link in candidates {
        let Some(href) = link.value().attr("href").map(str::trim) else {
            continue;
        };
        if href.is_empty() {
            continue;
        }
        let resolved = match base.get_or_insert_with(|| url::Url::parse(page_url).ok()) {
            Some(base) => base.join(href).ok(),
            None => url::Url::parse(href).ok(),
        };
        let Some(resolved) = resolved.filter(|u| matches!(u.scheme(), "http" | "https")) else {
            continue;
        };
        if !seen.insert(resolved.to_string()) {
            continue;
        }
        let text = element_text(link);
        let name = if text.is_empty() {
            resolved
                .path_segments()
                .and_then(|mut s| s.next_back().map(str::to_string))
                .unwrap_or_else(|| resolved.to_string())
        } else {
            text
        };
        out.push(Attachment {
            name,
            url: resolved.to_string(),
            sha256: None,
            text: None,
        });
    }
    out
}

/// Whether an element's end tag may be left out or it has none (`p`, `li`,
/// `td`, `br`, `img`…): such elements do not nest when unclosed, so they do
/// not count towards the nesting estimate. `name` is lower-case.
fn is_non_nesting(name: &[u8]) -> bool {
    matches!(
        name,
        b"p" | b"li"
            | b"dt"
            | b"dd"
            | b"option"
            | b"optgroup"
            | b"tr"
            | b"td"
            | b"th"
            | b"tbody"
            | b"thead"
            | b"tfoot"
            | b"colgroup"
            | b"caption"
            | b"rb"
            | b"rt"
            | b"rp"
            | b"html"
            | b"head"
            | b"body"
            | b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"param"
            | b"source"
            | b"track"
            | b"wbr"
    )
}

/// Whether an element's content is raw text, where tags are not tags.
/// `name` is lower-case.
fn is_raw_text(name: &[u8]) -> bool {
    matches!(
        name,
        b"script"
            | b"style"
            | b"textarea"
            | b"title"
            | b"xmp"
            | b"iframe"
            | b"noembed"
            | b"noframes"
            | b"noscript"
    )
}

/// Longest tag name the nesting estimate tells apart; longer names are
/// none of the special ones.
const MAX_SPECIAL_NAME: usize = 8;

/// Refuses HTML nested deeper than [`MAX_NESTING`], estimated from the tags
/// without building a tree (start tags minus end tags of elements that
/// nest). Reads bytes: decoded text, or the bytes of a page in an
/// ASCII-compatible encoding (UTF-8, GBK, GB18030), where no byte of a
/// multi-byte character is a `<`, `/`, `!`, `?` or `>`.
pub(crate) fn check_nesting(bytes: &[u8]) -> Result<(), ParseError> {
    // Every level of nesting takes a `<`: a page with fewer than the limit
    // (nearly every page) cannot nest deeper, and is not read tag by tag.
    if memchr::memchr_iter(b'<', bytes).count() <= MAX_NESTING {
        return Ok(());
    }
    let mut depth = 0usize;
    let mut i = 0;
    // A tag's name (ASCII letters, digits, `-`), lower-cased into `buf` when
    // short enough to be a special one, and where it ends.
    let tag_name = |from: usize, buf: &mut [u8; MAX_SPECIAL_NAME]| -> (usize, usize) {
        let mut j = from;
        while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'-') {
            if j - from < MAX_SPECIAL_NAME {
                buf[j - from] = bytes[j].to_ascii_lowercase();
            }
            j += 1;
        }
        (j - from, j)
    };
    let find = |from: usize, needle: &[u8]| -> usize {
        let Some(rest) = bytes.get(from..) else {
            return bytes.len();
        };
        // Candidates start with the needle's first byte, in either case.
        let (lower, upper) = (
            needle[0].to_ascii_lowercase(),
            needle[0].to_ascii_uppercase(),
        );
        let mut at = 0;
        while let Some(p) = memchr::memchr2(lower, upper, &rest[at..]) {
            let start = at + p;
            if rest
                .get(start..start + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
            {
                return from + start + needle.len();
            }
            at = start + 1;
        }
        bytes.len()
    };
    let mut buf = [0u8; MAX_SPECIAL_NAME];
    while i < bytes.len() {
        if bytes[i] != b'<' {
            // Straight to the next tag.
            i = memchr::memchr(b'<', &bytes[i..]).map_or(bytes.len(), |p| i + p);
            continue;
        }
        let next = bytes.get(i + 1).copied().unwrap_or(b' ');
        if bytes[i..].starts_with(b"<!--") {
            i = find(i + 4, b"-->");
        } else if next == b'!' || next == b'?' {
            i = find(i + 1, b">");
        } else if next == b'/' {
            let (len, end) = tag_name(i + 2, &mut buf);
            let special = len <= MAX_SPECIAL_NAME && is_non_nesting(&buf[..len]);
            if len > 0 && !special {
                depth = depth.saturating_sub(1);
            }
            i = end.max(i + 2);
        } else if next.is_ascii_alphabetic() {
            let (len, end) = tag_name(i + 1, &mut buf);
            let name = &buf[..len.min(MAX_SPECIAL_NAME)];
            if len <= MAX_SPECIAL_NAME && is_raw_text(name) {
                let mut closing = b"</".to_vec();
                closing.extend_from_slice(name);
                i = find(end, &closing);
                continue;
            }
            if len > MAX_SPECIAL_NAME || !is_non_nesting(name) {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ParseError::Malformed {
                        reason: format!(
                            "elements are nested more than {MAX_NESTING} levels deep; portal pages nest a few dozen"
                        ),
                    });
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    Ok(())
}

/// Lines of plain text (an attachment's extracted text) read as the body
/// container's lines are: each laid out and trimmed, boilerplate dropped.
pub(crate) fn plain_text_lines(text: &str, profile: &DetailProfile) -> Vec<String> {
    let boilerplate = boilerplate_of(profile);
    let mut lines = Vec::new();
    for raw in text.lines() {
        let mut current = raw.to_string();
        flush(&mut current, &mut lines, &boilerplate);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_line_breaks_between_cjk_characters_vanish() {
        assert_eq!(layout_line("  园区主体\n    已获支持 "), "园区主体已获支持");
        assert_eq!(layout_line("举办 2022 年度"), "举办 2022 年度");
        assert_eq!(layout_line("a\n  b"), "a b");
    }

    #[test]
    fn page_furniture_is_recognised_by_its_form() {
        for line in [
            "责任编辑：李明",
            "责任编辑 : 李明",
            "浏览次数：123",
            "上一篇：关于区政协十五届五次会议第150184号提案的答复",
            "下一篇：无",
            "【打印本页】 【关闭窗口】",
            "[ 打印 ] [ 关闭 ]",
            "【字体：大 中 小】",
        ] {
            assert!(is_chrome_line(line), "`{line}`");
        }
        for line in [
            "上一篇文章中提到的问题已解决。",
            "下一步，我们将继续推进。",
            "【关于加强管理的通知】",
            "责任编辑部门负责审核。",
            "",
        ] {
            assert!(!is_chrome_line(line), "`{line}`");
        }
    }

    fn body_lines(html: &str) -> Vec<String> {
        let page = Html::parse_document(html);
        let root = root_element(&page).expect("a root element");
        let body = elements_under(root)
            .find(|e| e.value().name() == "body")
            .expect("a body");
        lines_of(body, &Boilerplate::default())
    }

    #[test]
    fn short_table_rows_are_one_line_with_tab_separated_cells() {
        let lines = body_lines(
            "<p>前文。</p><table><tr><th>序号</th><th>项目\t名称</th></tr>\
             <tr><td><p>1</p></td><td><p>孵化器</p><p>二期</p></td></tr>\
             <tr><td></td><td>合计</td></tr><tr><td>单独一格</td></tr></table><p>后文。</p>",
        );
        assert_eq!(
            lines,
            vec![
                "前文。",
                "序号\t项目 名称",
                "1\t孵化器 二期",
                "\t合计",
                "单独一格",
                "后文。"
            ]
        );
    }

    #[test]
    fn layout_table_rows_keep_their_lines() {
        let long: String = (1..=5).map(|i| format!("<p>第{i}段。</p>")).collect();
        let lines = body_lines(&format!(
            "<table><tr><td>{long}</td><td>导航</td></tr></table>"
        ));
        assert_eq!(lines.len(), 6, "{lines:?}");
        let lines = body_lines(
            "<table><tr><td><table><tr><td>甲</td><td>乙</td></tr></table></td><td>丙</td></tr></table>",
        );
        assert_eq!(lines, vec!["甲\t乙", "丙"]);
    }

    #[test]
    fn block_elements_are_in_byte_order_for_binary_search() {
        assert!(BLOCK_ELEMENTS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_block("div") && is_block("ul") && is_block("address"));
        assert!(!is_block("span") && !is_block("br"));
    }

    #[test]
    fn whitespace_runs_without_a_line_break_keep_one_space_per_character() {
        assert_eq!(layout_line("a \t\u{0C}b"), "a   b");
        assert_eq!(layout_line("a\u{00A0}\u{00A0}b"), "a  b");
        assert_eq!(layout_line("园区\r\n 主体 \n"), "园区主体");
        assert_eq!(layout_line("园区 \n a"), "园区 a");
        assert_eq!(layout_line("\n\n"), "");
    }

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

    #[test]
    fn labels_split_at_the_first_colon() {
        assert_eq!(
            split_label("索引号： SY310107202603028"),
            Some(("索引号".into(), "SY310107202603028".into()))
        );
        assert_eq!(split_label("no label"), None);
    }
}
