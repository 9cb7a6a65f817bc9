//! The disclosure metadata (索引号, 发文字号, 成文日期…) found without the
//! profile's selector, for pages of a layout the profile does not describe:
//! label–value pairs anywhere outside the body container, recognised by the
//! vocabulary of government information disclosure rather than by markup.
//!
//! The page is read as cells (the text of each element, separated at every
//! element boundary but inline formatting) and lines (block elements and
//! `<br>`), so one reading serves tables (`td`/`td`, `th`/`td`, several pairs
//! a row), definition lists (`dt`/`dd`), labelled spans and `label：value`
//! lines alike. A label is a known name (`索引号`, `来 源`: spaces inside
//! allowed) before a full-width or half-width colon, or a cell that is only
//! a known name; its value is the text up to the next label, and runs on
//! over the following lines while it is incomplete (empty, a doc number
//! without its `号`, a date without its day), as values broken by `<br>`
//! are.
//!
//! Runs only when the profile's metadata selector found no disclosure label,
//! so pages of the layouts the profile knows never pay for it.

use ego_tree::iter::Edge;
use ego_tree::NodeId;
use scraper::{ElementRef, Node};

use super::content::describe;
use super::lines::is_block;
use super::text::is_skipped;
use crate::document::{is_disclosure_label, label_of, Label};
use crate::normalize::{
    collapse_spaces, find_date, is_cjk, is_han, is_space, normalize_doc_number, remove_spaces,
};

/// Disclosure metadata read without the profile's selector.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct FoundInfo {
    /// Label/value pairs of the block, in page order; labels without their
    /// colon or inner spaces. Pairs of unknown labels are kept (their values
    /// may show what the record lacks) but never read into a field.
    pub pairs: Vec<(String, String)>,
    /// The element that holds the labels (`table.zwgk-meta`), for warnings.
    pub block: String,
    /// Labels of the block govwire does not know, in page order.
    pub unknown: Vec<String>,
}

/// Most characters of a label (`信息公开主体`, `服务对象分类`), spaces aside.
const MAX_LABEL_CHARS: usize = 6;

/// Elements that format text inside a cell rather than make a cell of
/// their own.
const INLINE_FORMATTING: &[&str] = &[
    "a", "b", "big", "em", "font", "i", "small", "strong", "sub", "sup", "u",
];

/// One run of text between element boundaries.
#[derive(Debug)]
struct Cell {
    /// The text, whitespace collapsed.
    text: String,
    /// The element the text sits in.
    node: NodeId,
    /// Which line of the page it is on (block elements and `<br>` end
    /// lines).
    line: usize,
}

/// What a cell's text holds: labels and the text between them.
#[derive(Debug, PartialEq, Eq)]
enum Token {
    /// A label; `known` when it is in the disclosure vocabulary.
    Label { name: String, known: bool },
    /// Text that is no label.
    Text(String),
}

/// Finds the disclosure metadata on the page under `root`, outside `body`
/// (the body container): `None` when no label govwire reads has a value.
pub(super) fn find_info(root: ElementRef<'_>, body: Option<NodeId>) -> Option<FoundInfo> {
    // Most pages without a metadata block have no known label outside the
    // body at all: one look at the text nodes answers them.
    if !any_known_label(root, body) {
        return None;
    }
    let cells = cells_of(root, body);
    // Each token with the cell it came from.
    let tokens: Vec<(Token, usize)> = cells
        .iter()
        .enumerate()
        .flat_map(|(k, cell)| tokens_of(&cell.text).into_iter().map(move |t| (t, k)))
        .collect();

    // Pairs, with the token index of their label.
    let mut pairs: Vec<(usize, String, String, bool)> = Vec::new();
    // The pair being read: its index in `pairs` and the line its value
    // last grew on.
    let mut open: Option<(usize, usize)> = None;
    for (index, (token, k)) in tokens.iter().enumerate() {
        let line = cells[*k].line;
        match token {
            Token::Label { name, known } => {
                pairs.push((index, name.clone(), String::new(), *known));
                open = Some((pairs.len() - 1, line));
            }
            Token::Text(text) => {
                let Some((at, last_line)) = open else {
                    continue;
                };
                let (_, name, value, _) = &mut pairs[at];
                if value.is_empty() || line == last_line || incomplete(name, value) {
                    append(value, text);
                    open = Some((at, line));
                } else {
                    open = None;
                }
            }
        }
    }

    let known: Vec<usize> = pairs
        .iter()
        .filter(|(_, _, _, known)| *known)
        .map(|(index, ..)| tokens[*index].1)
        .collect();
    let reads_something = pairs
        .iter()
        .any(|(_, name, value, _)| label_of(name).is_some() && !value.is_empty());
    if !reads_something {
        return None;
    }
    let mut block = common_ancestor(root, known.iter().map(|k| cells[*k].node))?;
    // A table's rows are described by the table.
    while matches!(block.value().name(), "tbody" | "thead" | "tfoot") {
        match block.parent().and_then(ElementRef::wrap) {
            Some(table) => block = table,
            None => break,
        }
    }
    let whole_page = matches!(block.value().name(), "html" | "body");
    let (first, last) = (known.first().copied()?, known.last().copied()?);
    let in_block = |k: usize| {
        if whole_page {
            (first..=last).contains(&k)
        } else {
            root.tree()
                .get(cells[k].node)
                .is_some_and(|n| n.ancestors().any(|a| a.id() == block.id()))
                || cells[k].node == block.id()
        }
    };
    let mut found = FoundInfo {
        block: describe(block),
        ..FoundInfo::default()
    };
    for (index, name, value, known) in pairs {
        if known {
            found.pairs.push((name, value));
        } else if in_block(tokens[index].1) {
            if !found.unknown.contains(&name) {
                found.unknown.push(name.clone());
            }
            found.pairs.push((name, value));
        }
    }
    Some(found)
}

/// Whether a text node under `root`, outside `body` and elements that are
/// no page text, holds a known label: a cell's worth of text that is one,
/// or one before a colon.
fn any_known_label(root: ElementRef<'_>, body: Option<NodeId>) -> bool {
    let mut skip_depth = 0usize;
    for edge in root.traverse() {
        match edge {
            Edge::Open(n) => match n.value() {
                Node::Element(e) if skip_depth > 0 || is_skipped(e) || Some(n.id()) == body => {
                    skip_depth += 1;
                }
                Node::Text(t) if skip_depth == 0 && holds_known_label(t) => return true,
                _ => {}
            },
            Edge::Close(n) => {
                if n.value().is_element() && skip_depth > 0 {
                    skip_depth -= 1;
                }
            }
        }
    }
    false
}

/// Whether `text` is a known label or has one before a colon.
fn holds_known_label(text: &str) -> bool {
    let t = text.trim_matches(is_space);
    if t.is_empty() {
        return false;
    }
    let bare = t.trim_end_matches(['：', ':']);
    if bare.len() <= 4 * (MAX_LABEL_CHARS + 8) && is_disclosure_label(bare) {
        return true;
    }
    t.char_indices()
        .filter(|(_, c)| matches!(c, '：' | ':'))
        .any(|(colon, _)| label_before(&t[..colon]).is_some_and(|(_, _, known)| known))
}

/// The labels among `names` that are no disclosure label govwire knows.
pub(super) fn unknown_labels<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut unknown: Vec<String> = Vec::new();
    for name in names {
        if !is_disclosure_label(name) && !unknown.iter().any(|u| u == name) {
            unknown.push(name.to_string());
        }
    }
    unknown
}

/// Whether the value of `label` so far lacks something the next line may
/// hold: a doc number without its serial and `号` (`普绿容` / `〔2019〕` /
/// `44号`), a date without its day.
fn incomplete(label: &str, value: &str) -> bool {
    match label_of(label) {
        Some(Label::DocNumber) => normalize_doc_number(value).is_none(),
        Some(Label::SignedOn | Label::PublishedOn) => find_date(value).is_none(),
        _ => false,
    }
}

/// Appends a piece of a value: directly after CJK text, after a space
/// between two words of other scripts (`2019-10-14` `14:25:49`).
fn append(value: &mut String, text: &str) {
    let joins_words = value
        .chars()
        .next_back()
        .zip(text.chars().next())
        .is_some_and(|(a, b)| !is_cjk(a) && !is_cjk(b));
    if joins_words {
        value.push(' ');
    }
    value.push_str(text);
}

/// The cells of the page under `root`, skipping `body`'s subtree and
/// elements that are no page text.
fn cells_of(root: ElementRef<'_>, body: Option<NodeId>) -> Vec<Cell> {
    let mut cells = Vec::new();
    let mut current = String::new();
    let mut line = 0usize;
    // Open elements that make cells, innermost last.
    let mut stack: Vec<NodeId> = vec![root.id()];
    // Depth inside skipped elements (or the body container).
    let mut skip_depth = 0usize;
    let flush = |current: &mut String, stack: &[NodeId], line: usize, cells: &mut Vec<Cell>| {
        if current.trim_matches(is_space).is_empty() {
            current.clear();
            return;
        }
        cells.push(Cell {
            text: collapse_spaces(current, true),
            node: stack.last().copied().unwrap_or_else(|| root.id()),
            line,
        });
        current.clear();
    };
    for edge in root.traverse().skip(1) {
        match edge {
            Edge::Open(n) => match n.value() {
                Node::Element(e) => {
                    if skip_depth > 0 || is_skipped(e) || Some(n.id()) == body {
                        skip_depth += 1;
                        continue;
                    }
                    if INLINE_FORMATTING.contains(&e.name()) {
                        continue;
                    }
                    flush(&mut current, &stack, line, &mut cells);
                    if is_block(e.name()) || e.name() == "br" {
                        line += 1;
                    }
                    if e.name() != "br" {
                        stack.push(n.id());
                    }
                }
                Node::Text(t) if skip_depth == 0 => current.push_str(t),
                _ => {}
            },
            Edge::Close(n) => {
                if let Node::Element(e) = n.value() {
                    if skip_depth > 0 {
                        skip_depth -= 1;
                        continue;
                    }
                    if INLINE_FORMATTING.contains(&e.name()) || e.name() == "br" {
                        continue;
                    }
                    flush(&mut current, &stack, line, &mut cells);
                    stack.pop();
                    if is_block(e.name()) {
                        line += 1;
                    }
                }
            }
        }
    }
    flush(&mut current, &stack, line, &mut cells);
    cells
}

/// The labels and text of one cell. A label is a run of Han characters
/// (spaces inside allowed) before a colon: a known label wherever it
/// stands (the longest known name the run ends with), an unknown one only
/// at the start of the cell; a cell that is only a known name (`<th>索引号
/// </th>`) is a label too.
fn tokens_of(text: &str) -> Vec<Token> {
    let bare = remove_spaces(text);
    let bare = bare.trim_end_matches(['：', ':']);
    if bare.chars().count() <= MAX_LABEL_CHARS && is_disclosure_label(bare) {
        return vec![Token::Label {
            name: bare.to_string(),
            known: true,
        }];
    }
    let mut tokens = Vec::new();
    // Where the text not yet taken starts.
    let mut rest = 0;
    for (colon, c) in text.char_indices().filter(|(_, c)| matches!(c, '：' | ':')) {
        if colon < rest {
            continue;
        }
        let Some((start, name, known)) = label_before(&text[rest..colon]) else {
            continue;
        };
        let start = rest + start;
        let before = text[rest..start].trim_matches(is_space);
        if !before.is_empty() {
            tokens.push(Token::Text(before.to_string()));
        }
        tokens.push(Token::Label { name, known });
        rest = colon + c.len_utf8();
    }
    let after = text[rest..].trim_matches(is_space);
    if !after.is_empty() {
        tokens.push(Token::Text(after.to_string()));
    }
    tokens
}

/// The label `head` ends with (the text before a colon): where it starts,
/// its name without spaces, and whether it is known. A known name is taken
/// wherever it stands; an unknown run of Han characters only when it is
/// all of `head`.
fn label_before(head: &str) -> Option<(usize, String, bool)> {
    // The run of Han characters and spaces `head` ends with.
    let mut run_start = head.len();
    let mut han = 0;
    for (i, c) in head.char_indices().rev() {
        if is_han(c) {
            han += 1;
            if han > MAX_LABEL_CHARS + 2 {
                break;
            }
        } else if !is_space(c) {
            break;
        }
        run_start = i;
    }
    let run = &head[run_start..];
    // The longest known name the run ends with.
    let starts = run
        .char_indices()
        .map(|(i, _)| i)
        .filter(|i| run[*i..].starts_with(is_han));
    for i in starts {
        let name = remove_spaces(&run[i..]);
        if name.chars().count() <= MAX_LABEL_CHARS && is_disclosure_label(&name) {
            return Some((run_start + i, name.into_owned(), true));
        }
    }
    let name = remove_spaces(run);
    let whole = head[..run_start].trim_matches(is_space).is_empty();
    let count = name.chars().count();
    (whole && (2..=MAX_LABEL_CHARS).contains(&count)).then(|| (run_start, name.into_owned(), false))
}

/// The closest element holding every node of `nodes`.
fn common_ancestor<'a>(
    root: ElementRef<'a>,
    nodes: impl Iterator<Item = NodeId>,
) -> Option<ElementRef<'a>> {
    let tree = root.tree();
    let mut path: Option<Vec<NodeId>> = None;
    for id in nodes {
        let node = tree.get(id)?;
        let mut line: Vec<NodeId> = node.ancestors().map(|a| a.id()).collect();
        line.reverse();
        line.push(id);
        path = Some(match path {
            None => line,
            Some(prev) => prev
                .iter()
                .zip(&line)
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| *a)
                .collect(),
        });
    }
    path?
        .iter()
        .rev()
        .find_map(|id| tree.get(*id).and_then(ElementRef::wrap))
}

#[cfg(test)]
mod tests {
    use scraper::Html;

    use super::*;

    fn found(html: &str) -> Option<FoundInfo> {
        let doc = Html::parse_document(html);
        let root = doc.root_element();
        let body = root
            .descendants()
            .filter_map(ElementRef::wrap)
            .find(|e| e.value().classes().any(|c| c == "body"))
            .map(|e| e.id());
        find_info(root, body)
    }

    fn pairs(html: &str) -> Vec<(String, String)> {
        found(html).map(|f| f.pairs).unwrap_or_default()
    }

    fn pair(label: &str, value: &str) -> (String, String) {
        (label.to_string(), value.to_string())
    }

    #[test]
    fn labels_are_known_with_either_colon_and_spaces_inside() {
        assert_eq!(
            tokens_of("来 源：上海普陀"),
            vec![
                Token::Label {
                    name: "来源".into(),
                    known: true
                },
                Token::Text("上海普陀".into())
            ]
        );
        assert_eq!(
            tokens_of("索 引 号 : SY310107"),
            vec![
                Token::Label {
                    name: "索引号".into(),
                    known: true
                },
                Token::Text("SY310107".into())
            ]
        );
        assert_eq!(
            tokens_of("发文字号"),
            vec![Token::Label {
                name: "发文字号".into(),
                known: true
            }]
        );
    }

    #[test]
    fn a_line_of_several_pairs_splits_at_each_known_label() {
        assert_eq!(
            tokens_of("发布日期：2020-07-16　来源：上海普陀"),
            vec![
                Token::Label {
                    name: "发布日期".into(),
                    known: true
                },
                Token::Text("2020-07-16".into()),
                Token::Label {
                    name: "来源".into(),
                    known: true
                },
                Token::Text("上海普陀".into())
            ]
        );
        // The longest known name wins: `信息公开主体`, not `公开主体`.
        assert_eq!(
            tokens_of("主题分类：综合政务信息公开主体：区政府")[2],
            Token::Label {
                name: "信息公开主体".into(),
                known: true
            }
        );
    }

    #[test]
    fn an_unknown_label_counts_only_at_the_start_of_a_cell_and_times_are_no_labels() {
        assert_eq!(
            tokens_of("文件类型：答复")[0],
            Token::Label {
                name: "文件类型".into(),
                known: false
            }
        );
        assert_eq!(
            tokens_of("2019-10-14 14:25:49"),
            vec![Token::Text("2019-10-14 14:25:49".into())]
        );
        assert_eq!(
            tokens_of("请于工作日内咨询：52564588"),
            vec![Token::Text("请于工作日内咨询：52564588".into())]
        );
    }

    #[test]
    fn a_table_of_th_and_td_cells_gives_its_pairs_several_to_a_row() {
        let html = r#"<div class="meta"><table><tr><th>索引号</th><td>SY1</td><th>主题分类</th><td>综合政务</td></tr>
            <tr><th>发布日期</th><td>2026-07-07</td><th>文 号</th><td>普府〔2026〕3号</td></tr></table></div>
            <div class="body"><p>索引号：不是这个</p></div>"#;
        assert_eq!(
            pairs(html),
            vec![
                pair("索引号", "SY1"),
                pair("主题分类", "综合政务"),
                pair("发布日期", "2026-07-07"),
                pair("文号", "普府〔2026〕3号"),
            ]
        );
        assert_eq!(found(html).unwrap().block, "table");
    }

    #[test]
    fn a_definition_list_and_labelled_spans_give_their_pairs() {
        let dl = r#"<dl class="x"><dt>索取号：</dt><dd>SY2</dd><dt>成文日期：</dt><dd>2026年7月3日</dd></dl>"#;
        assert_eq!(
            pairs(dl),
            vec![pair("索取号", "SY2"), pair("成文日期", "2026年7月3日")]
        );
        let spans = r#"<div class="p"><span class="k">公开主体:</span><span class="v">区民政局</span><span class="k">发布机构：</span><span>区政府</span></div>"#;
        assert_eq!(
            pairs(spans),
            vec![pair("公开主体", "区民政局"), pair("发布机构", "区政府")]
        );
    }

    #[test]
    fn a_value_broken_by_br_runs_on_while_it_is_incomplete() {
        let html = r#"<table class="t"><tr><td>发文字号：</td><td>普绿容<br>〔2019〕<br>44号</td></tr>
            <tr><td>成文日期：</td><td>2019年<br>10月14日</td></tr><tr><td>公开主体：</td><td>区绿化市容局</td></tr></table>
            <p>区绿化市容局</p>"#;
        assert_eq!(
            pairs(html),
            vec![
                pair("发文字号", "普绿容〔2019〕44号"),
                pair("成文日期", "2019年10月14日"),
                pair("公开主体", "区绿化市容局"),
            ]
        );
    }

    #[test]
    fn unknown_labels_of_the_block_are_listed_and_those_elsewhere_are_not() {
        let html = r#"<div class="meta"><p>索引号：SY3</p><p>文件类型：答复</p><p>发布日期：2026-07-07</p></div>
            <div class="footer-x"><p>地址：上海市大渡河路1668号</p></div>"#;
        let info = found(html).unwrap();
        assert_eq!(
            info.pairs,
            vec![
                pair("索引号", "SY3"),
                pair("文件类型", "答复"),
                pair("发布日期", "2026-07-07")
            ]
        );
        assert_eq!(info.unknown, vec!["文件类型".to_string()]);
        assert_eq!(info.block, "div.meta");
    }

    #[test]
    fn text_holds_a_known_label_only_before_a_colon_or_alone() {
        assert!(holds_known_label(" 索 引 号 "));
        assert!(holds_known_label("发布日期：2026-07-07"));
        assert!(holds_known_label("2026-07-07　来 源:上海普陀"));
        assert!(!holds_known_label("分享:"));
        assert!(!holds_known_label("主办：上海市普陀区人民政府办公室"));
        assert!(!holds_known_label(
            "关于区十六届人大五次会议第16052号代表建议的答复"
        ));
        assert!(!holds_known_label("14:25:49"));
    }

    #[test]
    fn a_page_without_disclosure_labels_has_no_metadata() {
        assert_eq!(
            found(
                r#"<p>主办：上海市普陀区人民政府办公室</p><p>地址：大渡河路</p><div class="body"><p>发布日期：2026-07-07</p></div>"#
            ),
            None
        );
    }
}
