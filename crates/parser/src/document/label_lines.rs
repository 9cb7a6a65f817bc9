//! Label lines as they stand among other lines: `label：value` with its
//! value on the next line, or a bare label over its value. Above both
//! `labels` and `addressee`, since a line that names an addressee is no
//! label's value.

use crate::normalize::is_space;

use super::addressee::addressee_of;
use super::chars;
use super::labels::{label_of, label_pairs, Label};

/// A label written alone on its line without a colon (`办理结果`), its
/// value on the next line.
fn bare_label(line: &str) -> Option<Label> {
    let t = line.trim_matches(is_space);
    if t.is_empty() || chars(t) > 8 {
        return None;
    }
    label_of(t)
}

/// Whether a line can be the value of a label on the line before it.
fn is_label_value(line: &str) -> bool {
    let t = line.trim_matches(is_space);
    !t.is_empty()
        && chars(t) <= 30
        && label_pairs(t).is_none()
        && bare_label(t).is_none()
        && addressee_of(t).is_none()
}

/// The label lines at `i`: `label：value` (several on a line, or the value
/// on the next line) or a bare label over its value (`办理结果` /
/// `部分采纳`), with how many lines they take.
pub(super) fn labels_at(lines: &[String], i: usize) -> Option<(Vec<(Label, String)>, usize)> {
    let line = lines.get(i)?;
    let next = lines.get(i + 1);
    if let Some(pairs) = label_pairs(line) {
        let value_on_next_line = pairs.len() == 1
            && pairs[0].1.is_empty()
            && next.is_some_and(|next| label_pairs(next).is_none() && chars(next) <= 60);
        return Some(match next {
            Some(next) if value_on_next_line => (
                vec![(pairs[0].0, next.trim_matches(is_space).to_string())],
                2,
            ),
            _ => (pairs, 1),
        });
    }
    let label = bare_label(line)?;
    let value = next.filter(|next| is_label_value(next))?;
    Some((vec![(label, value.trim_matches(is_space).to_string())], 2))
}
