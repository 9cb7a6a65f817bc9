//! Export of archived replies, for spreadsheets and scripts: JSON Lines
//! (one whole record per line) and CSV (the fields people sort and filter
//! by, one column each, then the whole record as JSON in the last column,
//! so nothing is lost). `govwire export` and `/export.jsonl`, `/export.csv`
//! write the same bytes.

use std::io::Write;

use govwire_model::Reply;

/// The CSV columns, in order; `record` (the whole record as JSON) last.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "portal",
    "version",
    "title",
    "doc_number",
    "addressee",
    "issuer",
    "signatory",
    "handling_result",
    "handling_category",
    "reply_kind",
    "proposal_kind",
    "proposal_level",
    "meeting",
    "proposers",
    "signed_on",
    "published_on",
    "url",
    "record",
];

/// An export format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON record per line.
    Jsonl,
    /// A header line, then one row per record.
    Csv,
}

impl Format {
    /// `jsonl` or `csv`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "jsonl" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }

    /// The HTTP content type.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// A vocabulary value as the record writes it (`adopted`), or empty.
fn term<T: serde::Serialize>(value: Option<&T>) -> String {
    value
        .and_then(|v| serde_json::to_value(v).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The CSV cells of one record, in [`CSV_COLUMNS`] order.
fn csv_row(reply: &Reply) -> std::io::Result<Vec<String>> {
    let text = |v: Option<&String>| v.cloned().unwrap_or_default();
    Ok(vec![
        reply.id.to_string(),
        reply.portal.to_string(),
        reply.version.to_string(),
        reply.title.clone(),
        text(reply.doc_number.as_ref()),
        text(reply.addressee.as_ref()),
        text(reply.issuer.as_ref()),
        text(reply.signatory.as_ref()),
        reply
            .handling_result
            .as_ref()
            .map(|h| h.raw.clone())
            .unwrap_or_default(),
        term(
            reply
                .handling_result
                .as_ref()
                .and_then(|h| h.category.as_ref()),
        ),
        term(reply.reply_kind.as_ref()),
        term(reply.proposal.kind.as_ref()),
        term(reply.proposal.level.as_ref()),
        text(reply.proposal.meeting.as_ref()),
        reply.proposal.proposers.join("、"),
        reply.signed_on.map(|d| d.to_string()).unwrap_or_default(),
        reply
            .published_on
            .map(|d| d.to_string())
            .unwrap_or_default(),
        text(reply.url.as_ref()),
        serde_json::to_string(reply).map_err(std::io::Error::other)?,
    ])
}

/// One CSV field, quoted when it holds a comma, a quote or a line break.
/// A field that a spreadsheet would take for a formula (`=`, `+`, `-`,
/// `@` first) is prefixed with `'`, except in the `record` column.
fn csv_field(text: &str, formula_guard: bool) -> String {
    let guarded = if formula_guard && text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Writes `replies` in `format` to `out`.
pub fn write<'a>(
    format: Format,
    replies: impl IntoIterator<Item = &'a Reply>,
    mut out: impl Write,
) -> std::io::Result<()> {
    match format {
        Format::Jsonl => {
            for reply in replies {
                serde_json::to_writer(&mut out, reply).map_err(std::io::Error::other)?;
                out.write_all(b"\n")?;
            }
        }
        Format::Csv => {
            // A byte-order mark, so spreadsheet programs read the UTF-8.
            out.write_all("\u{feff}".as_bytes())?;
            out.write_all(CSV_COLUMNS.join(",").as_bytes())?;
            out.write_all(b"\r\n")?;
            for reply in replies {
                let cells = csv_row(reply)?;
                let last = cells.len() - 1;
                let line: Vec<String> = cells
                    .iter()
                    .enumerate()
                    .map(|(i, c)| csv_field(c, i != last))
                    .collect();
                out.write_all(line.join(",").as_bytes())?;
                out.write_all(b"\r\n")?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_with_commas_quotes_and_formulas_are_quoted_and_guarded() {
        assert_eq!(csv_field("普府〔2022〕55号", true), "普府〔2022〕55号");
        assert_eq!(csv_field("a,b", true), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"", true), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)", true), "'=HYPERLINK(1)");
        assert_eq!(csv_field("-1", false), "-1");
        assert_eq!(csv_field("line\nbreak", true), "\"line\nbreak\"");
    }
}
