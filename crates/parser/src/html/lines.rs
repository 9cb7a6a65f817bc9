//! The body container's text as lines, laid out as a browser shows it: one
//! line per block element or `<br>`, short table rows as one line of
//! tab-separated cells, page furniture dropped; and plain text (an
//! attachment's) read into lines the same way.

use ego_tree::iter::Edge;
use govwire_model::profile::DetailProfile;
use scraper::{ElementRef, Node};

use super::chrome::{boilerplate_of, is_chrome_line, may_start_chrome, Boilerplate};
use super::text::is_skipped;
use crate::normalize::{is_cjk, is_space};

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

/// Whether an element is one of [`BLOCK_ELEMENTS`].
pub(super) fn is_block(name: &str) -> bool {
    // Most elements are one of a few; they are answered without a search.
    match name {
        "p" | "div" | "td" | "tr" | "li" | "table" | "tbody" | "br" => name != "br",
        "span" | "a" | "font" | "strong" | "b" | "img" | "em" | "i" | "u" => false,
        _ => BLOCK_ELEMENTS.binary_search(&name).is_ok(),
    }
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
pub(super) fn lines_of(container: ElementRef<'_>, boilerplate: &Boilerplate) -> Vec<String> {
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
    use crate::html::matcher::elements_under;
    use crate::html::root_element;
    use scraper::Html;

    #[test]
    fn source_line_breaks_between_cjk_characters_vanish() {
        assert_eq!(layout_line("  园区主体\n    已获支持 "), "园区主体已获支持");
        assert_eq!(layout_line("举办 2022 年度"), "举办 2022 年度");
        assert_eq!(layout_line("a\n  b"), "a b");
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
}
