//! Export of archived replies, for spreadsheets and scripts: JSON Lines
//! (one whole record per line) and CSV (the fields people sort and filter
//! by, one column each, then the whole record as JSON in the last column,
//! so nothing is lost). `govwire export` and `/export.jsonl`, `/export.csv`
//! write the same bytes.

use std::io::Write;

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use govwire_model::Reply;
use govwire_store::{ReplyFilter, Store, StoreError};

use crate::params::{parse_filter, take_parameters, BadParameter};

/// What an export takes besides the list's filters: `since` (a day:
/// replies archived or changed since), `versions` (`true`: every version,
/// not only the current one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportQuery {
    /// The list's filters.
    pub filter: ReplyFilter,
    /// Only what was archived on or after this day.
    pub since: Option<NaiveDate>,
    /// Every version instead of the current one.
    pub versions: bool,
}

/// Reads an export's query string: the list's parameters (`after` and
/// `limit` refused: an export is whole), `since=YYYY-MM-DD` and
/// `versions=true|false`.
pub fn parse_export_query(query: &str) -> Result<ExportQuery, BadParameter> {
    let (rest, own) = take_parameters(query, &["since", "versions"]);
    let (filter, after, _) = parse_filter(&rest)?;
    if after.is_some() {
        return Err(BadParameter::new(
            "after",
            "an export is whole; leave `after` out".into(),
        ));
    }
    if rest.split('&').any(|p| p.starts_with("limit=")) {
        return Err(BadParameter::new(
            "limit",
            "an export is whole; leave `limit` out".into(),
        ));
    }
    let mut export = ExportQuery {
        filter,
        ..ExportQuery::default()
    };
    for (name, value) in own {
        match name.as_str() {
            "since" => {
                export.since = Some(value.parse().map_err(|_| {
                    BadParameter::new(
                        "since",
                        format!("`since={value}` is not a date (YYYY-MM-DD)"),
                    )
                })?)
            }
            _ => {
                export.versions = match value.as_str() {
                    "true" | "1" | "" => true,
                    "false" | "0" => false,
                    _ => {
                        return Err(BadParameter::new(
                            "versions",
                            format!("`versions={value}` is not true or false"),
                        ))
                    }
                }
            }
        }
    }
    Ok(export)
}

/// The replies an export holds, in the order written.
pub async fn replies(store: &Store, query: &ExportQuery) -> Result<Vec<Reply>, StoreError> {
    store
        .archive_export(&query.filter, query.since, query.versions)
        .await
}

/// `GET /export.jsonl` and `GET /export.csv`.
pub(crate) async fn handler(format: Format, store: Store, query: Option<String>) -> Response {
    let query = match parse_export_query(query.as_deref().unwrap_or("")) {
        Ok(q) => q,
        Err(bad) => return (StatusCode::BAD_REQUEST, Json(bad)).into_response(),
    };
    let replies = match replies(&store, &query).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "Archive export query failed.");
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the archive database could not answer",
            )
                .into_response();
        }
    };
    let mut body = Vec::new();
    if let Err(e) = write(format, &replies, &mut body) {
        tracing::warn!(error = %e, "Archive export could not be written.");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    let name = match format {
        Format::Jsonl => "govwire-replies.jsonl",
        Format::Csv => "govwire-replies.csv",
    };
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// `GET /export.jsonl`.
pub(crate) async fn jsonl(State(store): State<Store>, RawQuery(query): RawQuery) -> Response {
    handler(Format::Jsonl, store, query).await
}

/// `GET /export.csv`.
pub(crate) async fn csv(State(store): State<Store>, RawQuery(query): RawQuery) -> Response {
    handler(Format::Csv, store, query).await
}

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
