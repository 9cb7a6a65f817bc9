//! The parameters of the archive's list, read once for every page that
//! shows it (the JSON API, the HTML pages, the feeds): a query string in, a
//! [`ReplyFilter`] with its page cursor and size out, or a
//! [`BadParameter`] naming the parameter and the value that is wrong.
//!
//! Every parameter is optional; an empty value (`portal=`, as an HTML form
//! sends an untouched field) counts as not given. A parameter the list does
//! not know, one given twice, or a value it cannot read is refused, so a
//! mistyped filter never silently shows the whole archive.
//!
//! | parameter | value |
//! |---|---|
//! | `portal` | a portal's short id (`shpt`) |
//! | `result` | `adopted`, `partially_adopted`, `planned`, `for_reference`, `cannot_solve`, or `none` (no category) |
//! | `reply_kind` | `answer`, `co_handling_opinion`, `follow_up` |
//! | `proposal_kind` | `deputy_suggestion`, `member_proposal` |
//! | `proposal_level` | `municipal`, `district` |
//! | `meeting`, `addressee` | a substring of the field |
//! | `issuer` | a substring of the issuing organ or the signatory |
//! | `from`, `to` | publication dates, `YYYY-MM-DD`, both included |
//! | `status` | `active`, `withdrawn` |
//! | `q` | words to search for |
//! | `limit` | rows per page, 1 to [`MAX_LIMIT`] (default [`DEFAULT_LIMIT`]) |
//! | `after` | the cursor of the page before's `next` |

use chrono::NaiveDate;
use govwire_model::{HandlingCategory, Level, ProposalKind, ReplyKind};
use govwire_store::{ArchiveStatus, Cursor, ReplyFilter, ResultFilter};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Rows per page when `limit` is not given.
pub const DEFAULT_LIMIT: u32 = 50;

/// The largest page: a page and its snippets stay quick to read and send.
pub const MAX_LIMIT: u32 = 200;

/// The longest value of a text parameter, in characters: longer than any
/// field or search a person types, short enough that a query stays cheap.
pub const MAX_TEXT_CHARS: usize = 200;

/// Every parameter the list takes, in the order links write them.
pub const PARAMETERS: &[&str] = &[
    "portal",
    "result",
    "reply_kind",
    "proposal_kind",
    "proposal_level",
    "meeting",
    "addressee",
    "issuer",
    "from",
    "to",
    "status",
    "q",
    "limit",
    "after",
];

/// A parameter of the list that cannot be used: answered with 400 and this
/// as the JSON body (`{"error": …, "parameter": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{error}")]
pub struct BadParameter {
    /// What is wrong, naming the parameter and the value.
    pub error: String,
    /// The parameter's name.
    pub parameter: String,
}

impl BadParameter {
    /// A refusal of `parameter`, saying why.
    pub fn new(parameter: &str, error: String) -> Self {
        Self {
            error,
            parameter: parameter.to_string(),
        }
    }
}

/// Takes the parameters named in `own` out of `query` (an endpoint's own,
/// such as the export's `since`), leaving the list's parameters for
/// [`parse_filter`]: returns the rest of the query and the taken pairs.
pub fn take_parameters(query: &str, own: &[&str]) -> (String, Vec<(String, String)>) {
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    let mut taken = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if own.contains(&name.as_ref()) {
            taken.push((name.into_owned(), value.into_owned()));
        } else {
            rest.append_pair(&name, &value);
        }
    }
    (rest.finish(), taken)
}

/// Reads the list's parameters from a query string (without the `?`;
/// percent-encoded as browsers send it): the filter, where the page starts,
/// and how many rows it holds.
pub fn parse_filter(query: &str) -> Result<(ReplyFilter, Option<Cursor>, u32), BadParameter> {
    let mut filter = ReplyFilter::default();
    let mut after = None;
    let mut limit = DEFAULT_LIMIT;
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if !PARAMETERS.contains(&name.as_ref()) {
            return Err(BadParameter::new(
                &name,
                format!(
                    "unknown parameter `{name}`; the list takes {}",
                    PARAMETERS.join(", ")
                ),
            ));
        }
        if seen.iter().any(|s| *s == name) {
            return Err(BadParameter::new(
                &name,
                format!("parameter `{name}` is given more than once"),
            ));
        }
        seen.push(name.to_string());
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        if value.chars().count() > MAX_TEXT_CHARS {
            return Err(BadParameter::new(
                &name,
                format!("parameter `{name}` is longer than {MAX_TEXT_CHARS} characters"),
            ));
        }
        let text = Some(value.to_string());
        match name.as_ref() {
            "portal" => filter.portal = text,
            "result" => {
                filter.result = Some(if value == "none" {
                    ResultFilter::Uncategorized
                } else {
                    ResultFilter::Category(enumerated::<HandlingCategory>(
                        &name,
                        value,
                        "adopted, partially_adopted, planned, for_reference, cannot_solve or none",
                    )?)
                })
            }
            "reply_kind" => {
                filter.reply_kind = Some(enumerated::<ReplyKind>(
                    &name,
                    value,
                    "answer, co_handling_opinion or follow_up",
                )?)
            }
            "proposal_kind" => {
                filter.proposal_kind = Some(enumerated::<ProposalKind>(
                    &name,
                    value,
                    "deputy_suggestion or member_proposal",
                )?)
            }
            "proposal_level" => {
                filter.proposal_level =
                    Some(enumerated::<Level>(&name, value, "municipal or district")?)
            }
            "meeting" => filter.meeting = text,
            "addressee" => filter.addressee = text,
            "issuer" => filter.issuer = text,
            "from" => filter.published_from = Some(date(&name, value)?),
            "to" => filter.published_to = Some(date(&name, value)?),
            "status" => {
                filter.status = Some(ArchiveStatus::parse(value).ok_or_else(|| {
                    BadParameter::new(
                        &name,
                        format!("`status={value}` is not a status; use active or withdrawn"),
                    )
                })?)
            }
            "q" => filter.q = text,
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        BadParameter::new(
                            &name,
                            format!("`limit={value}` is not a number from 1 to {MAX_LIMIT}"),
                        )
                    })?
            }
            "after" => {
                after = Some(
                    Cursor::from_token(value)
                        .map_err(|e| BadParameter::new(&name, format!("`after={value}` is {e}")))?,
                )
            }
            _ => unreachable!("every name of PARAMETERS is read above"),
        }
    }
    if let (Some(from), Some(to)) = (filter.published_from, filter.published_to) {
        if from > to {
            return Err(BadParameter::new(
                "to",
                format!("`to={to}` is before `from={from}`"),
            ));
        }
    }
    Ok((filter, after, limit))
}

/// The query string (without `?`) that [`parse_filter`] reads back as
/// `filter`, `after` and `limit`: every parameter that imposes something,
/// in [`PARAMETERS`] order, `limit` only when it is not the default. The
/// `next` link of a page is this with the page's next cursor.
pub fn to_query(filter: &ReplyFilter, after: Option<&Cursor>, limit: u32) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    let mut add = |name: &str, value: Option<String>| {
        if let Some(value) = value {
            out.append_pair(name, &value);
        }
    };
    let day = |d: Option<NaiveDate>| d.map(|d| d.format("%Y-%m-%d").to_string());
    add("portal", filter.portal.clone());
    add(
        "result",
        filter.result.map(|r| match r {
            ResultFilter::Category(c) => name_of(&c),
            ResultFilter::Uncategorized => "none".into(),
        }),
    );
    add("reply_kind", filter.reply_kind.map(|k| name_of(&k)));
    add("proposal_kind", filter.proposal_kind.map(|k| name_of(&k)));
    add("proposal_level", filter.proposal_level.map(|l| name_of(&l)));
    add("meeting", filter.meeting.clone());
    add("addressee", filter.addressee.clone());
    add("issuer", filter.issuer.clone());
    add("from", day(filter.published_from));
    add("to", day(filter.published_to));
    add("status", filter.status.map(|s| s.as_str().to_string()));
    add("q", filter.q.clone());
    add("limit", (limit != DEFAULT_LIMIT).then(|| limit.to_string()));
    add("after", after.map(Cursor::to_token));
    out.finish()
}

/// A value of one of the record's enumerations, by its JSON name.
fn enumerated<T: DeserializeOwned>(
    name: &str,
    value: &str,
    known: &str,
) -> Result<T, BadParameter> {
    serde_json::from_value(serde_json::Value::String(value.to_string())).map_err(|_| {
        BadParameter::new(
            name,
            format!("`{name}={value}` is not a value of `{name}`; use {known}"),
        )
    })
}

/// The JSON name of an enumeration value of the record.
fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A day, `YYYY-MM-DD`.
fn date(name: &str, value: &str) -> Result<NaiveDate, BadParameter> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        BadParameter::new(
            name,
            format!("`{name}={value}` is not a date; write it YYYY-MM-DD"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(query: &str) -> BadParameter {
        parse_filter(query).unwrap_err()
    }

    #[test]
    fn no_parameters_is_the_whole_list_in_default_pages() {
        assert_eq!(
            parse_filter("").unwrap(),
            (ReplyFilter::default(), None, DEFAULT_LIMIT)
        );
    }

    #[test]
    fn every_parameter_is_read_and_written_back_alike() {
        let query = "portal=shpt&result=partially_adopted&reply_kind=follow_up\
                     &proposal_kind=member_proposal&proposal_level=district\
                     &meeting=%E5%8D%81%E4%BA%94%E5%B1%8A&addressee=%E8%AE%B8&issuer=%E6%95%99%E8%82%B2\
                     &from=2022-01-01&to=2022-12-31&status=withdrawn&q=%E5%8A%A0%E8%A3%85+%E7%94%B5%E6%A2%AF\
                     &limit=20";
        let (filter, after, limit) = parse_filter(query).unwrap();
        assert_eq!(
            filter,
            ReplyFilter {
                portal: Some("shpt".into()),
                result: Some(ResultFilter::Category(HandlingCategory::PartiallyAdopted)),
                reply_kind: Some(ReplyKind::FollowUp),
                proposal_kind: Some(ProposalKind::MemberProposal),
                proposal_level: Some(Level::District),
                meeting: Some("十五届".into()),
                addressee: Some("许".into()),
                issuer: Some("教育".into()),
                published_from: NaiveDate::from_ymd_opt(2022, 1, 1),
                published_to: NaiveDate::from_ymd_opt(2022, 12, 31),
                status: Some(ArchiveStatus::Withdrawn),
                q: Some("加装 电梯".into()),
            }
        );
        assert_eq!((after, limit), (None, 20));
        assert_eq!(to_query(&filter, None, limit), query);
        assert_eq!(
            parse_filter(&to_query(&filter, None, limit)).unwrap(),
            (filter, None, 20)
        );
    }

    #[test]
    fn result_none_means_without_a_category_and_empty_values_are_not_given() {
        let (filter, _, _) = parse_filter("result=none&portal=&q=++").unwrap();
        assert_eq!(
            filter,
            ReplyFilter {
                result: Some(ResultFilter::Uncategorized),
                ..ReplyFilter::default()
            }
        );
    }

    #[test]
    fn a_bad_parameter_is_named_with_its_value() {
        for (query, parameter, words) in [
            ("offset=10", "offset", "unknown parameter `offset`"),
            ("from=2022-13-01", "from", "`from=2022-13-01` is not a date"),
            ("to=yesterday", "to", "`to=yesterday` is not a date"),
            ("result=solved", "result", "`result=solved`"),
            ("reply_kind=letter", "reply_kind", "`reply_kind=letter`"),
            ("proposal_kind=x", "proposal_kind", "`proposal_kind=x`"),
            (
                "proposal_level=city",
                "proposal_level",
                "`proposal_level=city`",
            ),
            ("status=gone", "status", "`status=gone`"),
            ("limit=0", "limit", "`limit=0`"),
            ("limit=201", "limit", "`limit=201`"),
            ("limit=ten", "limit", "`limit=ten`"),
            ("after=nonsense", "after", "`after=nonsense`"),
            ("portal=a&portal=b", "portal", "more than once"),
            (
                "from=2023-01-01&to=2022-01-01",
                "to",
                "before `from=2023-01-01`",
            ),
        ] {
            let error = bad(query);
            assert_eq!(error.parameter, parameter, "{query}");
            assert!(error.error.contains(words), "{query}: {}", error.error);
        }
        let long = format!("q={}", "电".repeat(MAX_TEXT_CHARS + 1));
        assert_eq!(bad(&long).parameter, "q");
    }
}
