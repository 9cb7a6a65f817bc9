//! The signature: the signed date (成文日期) and the organ or organs signing
//! above it (发文机关署名, joint documents listing several).

use chrono::NaiveDate;
use govwire_model::Warning;

use crate::normalize::{find_date, is_space, may_end_with_date};

use super::addressee::is_organ_like;
use super::{chars, Document};

/// How many organs a joint signature may list above the signed date.
const MAX_SIGNATORIES: usize = 4;

/// A signature line: a date standing alone (`2022年8月8日`), or an organ and
/// a date on one line. Printing lines (`…印发`) are not.
pub(super) fn signature_date(line: &str) -> Option<(Option<String>, NaiveDate)> {
    let t = line.trim_matches(is_space);
    if t.ends_with("印发") || !may_end_with_date(t) {
        return None;
    }
    let m = find_date(t)?;
    if m.end != t.len() {
        return None;
    }
    let prefix = t[..m.start].trim_matches(is_space);
    if prefix.is_empty() {
        Some((None, m.date))
    } else if is_organ_like(prefix) {
        Some((Some(prefix.to_string()), m.date))
    } else {
        None
    }
}

/// Sets the signatory from `organ`, which signs on line `at`, and the organs
/// signing above it: a joint document lists each organ on its own line, the
/// lead organ first (GB/T 9704-2012). The record holds one signatory: the
/// lead organ, with a warning naming them all. Returns the line where the
/// signature starts (the body ends there).
pub(super) fn joint_signatories(
    lines: &[String],
    body_start: usize,
    at: usize,
    organ: String,
    doc: &mut Document,
) -> usize {
    let mut start = at;
    let mut signing = vec![organ];
    while start > body_start + 1
        && signing.len() < MAX_SIGNATORIES
        && is_organ_like(&lines[start - 1])
    {
        start -= 1;
        signing.insert(0, lines[start].trim_matches(is_space).to_string());
    }
    // Organs may also sign side by side on one line, spaced apart; a name
    // of three characters or fewer after a space (`办公室`) is the end of the
    // one before it, split by a stray space.
    let organs: Vec<String> = signing
        .into_iter()
        .flat_map(|line| {
            let parts: Vec<&str> = line.split(is_space).filter(|p| !p.is_empty()).collect();
            if parts.len() > 1 && parts.iter().all(|p| chars(p) >= 4 && is_organ_like(p)) {
                parts.into_iter().map(str::to_string).collect()
            } else {
                vec![line]
            }
        })
        .collect();
    if organs.len() > 1 {
        doc.warnings.push(Warning::new(
            "signatory",
            format!(
                "The document is signed jointly by {}; the record holds one signatory, the first (lead) organ.",
                organs
                    .iter()
                    .map(|o| format!("`{o}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ));
    }
    doc.signatory = organs.into_iter().next();
    start
}
