//! The metadata block: its `label：value` pairs (索引号, 发文字号, 成文日期…),
//! read from the cells the profile names or, without cells, from its lines.

use ego_tree::iter::Edge;
use scraper::ElementRef;

use super::chrome::Boilerplate;
use super::lines::lines_of;
use super::matcher::ProfileSelector;
use super::text::{element_text, visible_text};
use crate::normalize::{collapse_spaces, collapse_spaces_owned, is_han, is_space};

/// Label/value pairs of the metadata block. Each cell's first `<span>` is
/// the label (`索引号：`), the following spans the value; a cell without
/// spans is split at its first colon. Values may sit on the line after their
/// label, or be spread over several spans (`普绿容` / `〔2019〕` / `44号`).
pub(super) fn read_info(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_split_at_the_first_colon() {
        assert_eq!(
            split_label("索引号： SY310107202603028"),
            Some(("索引号".into(), "SY310107202603028".into()))
        );
        assert_eq!(split_label("no label"), None);
    }
}
