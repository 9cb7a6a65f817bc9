//! The archive as a person reads it: a filtered, searchable list of the
//! archived replies in keyset pages, each reply's versions with what changed,
//! a feed of the newest versions, and exports.
//!
//! **Kept up to date on write.** [`Store::archive_event_with_changes`] keeps,
//! beside each reply's current record, the fields the list filters and
//! orders by (`archive_replies.sort_key`, `result_category`, …) and the
//! reply's search tokens, in the transaction that archives the version.
//! Replies archived before those columns existed are indexed by
//! [`Store::reindex_archive_search`], which the archive daemon runs on
//! start.
//!
//! **Order.** The list is ordered by `sort_key` (the publication date, else
//! the date the archive first saw the reply), newest first, then by reply id
//! (descending), and paged by keyset ([`Cursor`]): a page starts after the
//! last row of the one before, so replies that arrive while someone pages
//! never make a row repeat or go missing among those already there.
//!
//! **Search**: see [`crate::archive_search`].
//!
//! **Speed.** The list's order and every filter but the search read the
//! index `archive_replies_list` (the order's columns followed by every
//! filtered column), so a filtered page and its total never read the
//! records; a search adds one lookup of the full-text index. Records are
//! read only for the rows of a page that need a snippet.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, NaiveDate, Utc};
use govwire_model::{FieldChange, HandlingCategory, Level, ProposalKind, Reply, ReplyKind};
use serde::Serialize;

use crate::archive_search::{
    fts_query, query_tokens, search_condition, snippet, snippet_words, SnippetSource,
};
use crate::db::{args, corrupt, date_opt, narrow, parse_date_opt, parse_ts, Arg, Exec};
use crate::replies::parse_record;
use crate::{ArchiveStatus, Backend, Store, StoreError};

/// Which archived replies to show. Every condition given must hold (AND);
/// `None` imposes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReplyFilter {
    /// The portal's short id (`shpt`), exactly.
    pub portal: Option<String>,
    /// The handling result's category, or replies without one.
    pub result: Option<ResultFilter>,
    /// The kind of reply.
    pub reply_kind: Option<ReplyKind>,
    /// The kind of proposal replied to.
    pub proposal_kind: Option<ProposalKind>,
    /// The level of the meeting.
    pub proposal_level: Option<Level>,
    /// A substring of the meeting as written (`十五届`); Latin letters in
    /// any case.
    pub meeting: Option<String>,
    /// A substring of the addressee (`许鸿蕨`); Latin letters in any case.
    pub addressee: Option<String>,
    /// A substring of the issuing organ or of the signatory (`建设管理委员会`);
    /// Latin letters in any case.
    pub issuer: Option<String>,
    /// Published on or after this day. A reply without a publication date
    /// never matches a date bound.
    pub published_from: Option<NaiveDate>,
    /// Published on or before this day.
    pub published_to: Option<NaiveDate>,
    /// Still served, or withdrawn.
    pub status: Option<ArchiveStatus>,
    /// Words to search for in the title, doc number and body (see the
    /// module's docs).
    pub q: Option<String>,
}

/// The handling-result condition of a [`ReplyFilter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultFilter {
    /// Replies whose result has this category.
    Category(HandlingCategory),
    /// Replies without a category: no handling result, or words outside the
    /// vocabulary.
    Uncategorized,
}

/// Where a page of the list starts: after the reply with this sort key and
/// id. Opaque to callers, who carry it as [`Cursor::to_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last row's `sort_key` (`YYYY-MM-DD`).
    sort_key: String,
    /// The last row's reply id.
    reply_id: String,
}

/// A cursor token that is not one [`Cursor::to_token`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a page cursor of the archive's list: {reason}")]
pub struct BadCursor {
    /// What is wrong with it.
    pub reason: String,
}

/// The version of the cursor token's shape, its first line.
const CURSOR_TAG: &str = "c1";

impl Cursor {
    /// The cursor as a URL-safe string (base64url of its fields).
    pub fn to_token(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{CURSOR_TAG}\n{}\n{}",
            self.sort_key, self.reply_id
        ))
    }

    /// Reads a token [`Cursor::to_token`] wrote.
    pub fn from_token(token: &str) -> Result<Cursor, BadCursor> {
        let bad = |reason: &str| BadCursor {
            reason: reason.to_string(),
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| bad("not base64url"))?;
        let text = String::from_utf8(bytes).map_err(|_| bad("not text"))?;
        let mut parts = text.splitn(3, '\n');
        if parts.next() != Some(CURSOR_TAG) {
            return Err(bad("unknown shape"));
        }
        let sort_key = parts.next().ok_or_else(|| bad("no sort key"))?;
        let reply_id = parts.next().ok_or_else(|| bad("no reply id"))?;
        if NaiveDate::parse_from_str(sort_key, "%Y-%m-%d").is_err() {
            return Err(bad("the sort key is not a date"));
        }
        if reply_id.is_empty() || reply_id.contains('\n') {
            return Err(bad("the reply id is empty or has a line break"));
        }
        Ok(Cursor {
            sort_key: sort_key.to_string(),
            reply_id: reply_id.to_string(),
        })
    }
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyPage {
    /// The replies of this page, in the list's order.
    pub rows: Vec<ReplyRow>,
    /// How many replies match the filter, over all pages.
    pub total: u64,
    /// Where the next page starts; `None` on the last page.
    #[serde(skip)]
    pub next: Option<Cursor>,
}

/// One reply in the list: what a line of it shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReplyRow {
    /// The reply's id.
    pub reply_id: String,
    /// Portal short id.
    pub portal: String,
    /// 标题 of the current version.
    pub title: String,
    /// 发文字号.
    pub doc_number: Option<String>,
    /// 主送机关.
    pub addressee: Option<String>,
    /// 办理结果 as written.
    pub handling_result: Option<String>,
    /// Its category; `null` without a result or for words outside the
    /// vocabulary.
    pub result_category: Option<HandlingCategory>,
    /// 发布日期.
    pub published_on: Option<NaiveDate>,
    /// Where the current version was fetched.
    pub url: Option<String>,
    /// Whether the portal still serves the reply.
    pub status: ArchiveStatus,
    /// The newest version archived.
    pub current_version: u32,
    /// When the archive received the newest version.
    pub updated_at: DateTime<Utc>,
    /// With a search: the passage where the searched words occur.
    pub snippet: Option<Snippet>,
}

/// A passage of a reply's original text around a searched word: the first
/// occurrence in the body (headings and paragraphs in order), else in the
/// title, else in the doc number. About
/// [`SNIPPET_CONTEXT_CHARS`](crate::archive_search::SNIPPET_CONTEXT_CHARS)
/// characters either side, within the paragraph.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    /// The text before the match.
    pub before: String,
    /// The matched text as written on the page.
    pub matched: String,
    /// The text after the match.
    pub after: String,
}

/// One archived version as the history of a reply shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionEntry {
    /// The version number.
    pub version: u32,
    /// The event that delivered it first.
    pub event_id: String,
    /// That event's type.
    pub event_type: String,
    /// When the archive received that event.
    pub received_at: DateTime<Utc>,
    /// Its content hash.
    pub content_sha256: String,
    /// What changed from the version before: as the `reply.updated` event
    /// said, or computed from the two archived records; `None` for the
    /// first version, or when the version before is not archived.
    pub changes: Option<Vec<FieldChange>>,
}

/// One entry of the archive's feed: a version as it arrived.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedEntry {
    /// That version's record.
    pub reply: Reply,
    /// The event that delivered it first.
    pub event_id: String,
    /// That event's type (`govwire.reply.published`, `…updated`).
    pub event_type: String,
    /// When the archive received it.
    pub received_at: DateTime<Utc>,
    /// What changed from the version before (see [`VersionEntry::changes`]).
    pub changes: Option<Vec<FieldChange>>,
}

crate::direct::row_struct! {
    /// The columns of a list row.
    struct RowColumns {
        reply_id: String,
        portal: String,
        title: String,
        doc_number: Option<String>,
        addressee: Option<String>,
        handling_result: Option<String>,
        result_category: Option<String>,
        published_on: Option<String>,
        url: Option<String>,
        status: String,
        current_version: i64,
        updated_at: String,
        sort_key: String,
        /// The current record, read only when a snippet is wanted.
        record: Option<String>,
    }
}

crate::direct::row_struct! {
    /// The columns of an archived version.
    struct VersionColumns {
        reply_id: String,
        version: i64,
        event_id: String,
        event_type: String,
        received_at: String,
        content_sha256: String,
        changes: Option<String>,
        record: String,
    }
}

/// The filter as SQL over `archive_replies r`: the conditions (AND-ed) and
/// their arguments, placeholders numbered from 1.
pub(crate) struct Conditions {
    /// SQL conditions.
    sql: Vec<String>,
    /// The arguments their placeholders name.
    args: Vec<Arg>,
}

impl Conditions {
    /// The placeholder of a new argument.
    pub(crate) fn bind(&mut self, arg: impl Into<Arg>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }

    /// `WHERE …`, or nothing.
    fn where_clause(&self) -> String {
        if self.sql.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.sql.join(" AND "))
        }
    }
}

/// The JSON name of an enumeration value of the record (`adopted`).
fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        // Every enumeration of the record serializes as a string.
        _ => String::new(),
    }
}

/// Reads a stored enumeration name back.
fn parse_name<T: serde::de::DeserializeOwned>(
    text: Option<String>,
    what: &str,
) -> Result<Option<T>, StoreError> {
    text.map(|t| {
        serde_json::from_value(serde_json::Value::String(t.clone()))
            .map_err(|_| corrupt(format!("{what}: unknown value {t:?}")))
    })
    .transpose()
}

/// A substring condition's needle: trimmed, Latin letters in lower case.
fn substring_needle(needle: &str) -> String {
    needle.trim().to_ascii_lowercase()
}

/// Whether `column`, its Latin letters in lower case, contains the needle
/// `placeholder` names, exactly (no wildcard). SQLite's `lower` changes
/// only ASCII letters; PostgreSQL's would change others too, so it
/// translates the ASCII letters alone: both answer alike.
fn contains(backend: Backend, column: &str, placeholder: &str) -> String {
    match backend {
        Backend::Sqlite => format!("instr(lower({column}), {placeholder}) > 0"),
        Backend::Postgres => format!(
            "strpos(translate({column}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', \
             'abcdefghijklmnopqrstuvwxyz'), {placeholder}) > 0"
        ),
    }
}

/// The filter's conditions over `archive_replies r`.
fn conditions(backend: Backend, filter: &ReplyFilter) -> Conditions {
    let mut c = Conditions {
        sql: Vec::new(),
        args: Vec::new(),
    };
    if let Some(portal) = &filter.portal {
        let p = c.bind(portal.as_str());
        c.sql.push(format!("r.portal = {p}"));
    }
    match filter.result {
        Some(ResultFilter::Category(category)) => {
            let p = c.bind(name_of(&category));
            c.sql.push(format!("r.result_category = {p}"));
        }
        Some(ResultFilter::Uncategorized) => c.sql.push("r.result_category IS NULL".into()),
        None => {}
    }
    if let Some(kind) = &filter.reply_kind {
        let p = c.bind(name_of(kind));
        c.sql.push(format!("r.reply_kind = {p}"));
    }
    if let Some(kind) = &filter.proposal_kind {
        let p = c.bind(name_of(kind));
        c.sql.push(format!("r.proposal_kind = {p}"));
    }
    if let Some(level) = &filter.proposal_level {
        let p = c.bind(name_of(level));
        c.sql.push(format!("r.proposal_level = {p}"));
    }
    for (column, needle) in [
        ("meeting", &filter.meeting),
        ("addressee", &filter.addressee),
    ] {
        if let Some(needle) = needle.as_deref().filter(|n| !n.trim().is_empty()) {
            let p = c.bind(substring_needle(needle));
            c.sql.push(contains(backend, &format!("r.{column}"), &p));
        }
    }
    if let Some(needle) = filter.issuer.as_deref().filter(|n| !n.trim().is_empty()) {
        let p = c.bind(substring_needle(needle));
        c.sql.push(format!(
            "({} OR {})",
            contains(backend, "r.issuer", &p),
            contains(backend, "r.signatory", &p)
        ));
    }
    // A dated reply's sort key is its publication date, so a date bound is
    // also a range of the list's index, which the scan then reads alone.
    if let Some(from) = filter.published_from {
        let p = c.bind(date_opt(Some(from)));
        let k = c.bind(date_opt(Some(from)));
        c.sql
            .push(format!("r.published_on >= {p} AND r.sort_key >= {k}"));
    }
    if let Some(to) = filter.published_to {
        let p = c.bind(date_opt(Some(to)));
        let k = c.bind(date_opt(Some(to)));
        c.sql
            .push(format!("r.published_on <= {p} AND r.sort_key <= {k}"));
    }
    if let Some(status) = filter.status {
        let p = c.bind(status.as_str());
        c.sql.push(format!("r.status = {p}"));
    }
    if let Some(q) = filter.q.as_deref().filter(|q| !q.trim().is_empty()) {
        let tokens = query_tokens(q);
        let condition = search_condition(backend, &tokens, &mut c);
        c.sql.push(condition);
    }
    c
}

/// The list's columns of a record, as `archive_replies` stores them (after
/// `first_seen_at`): published_on, handling_result, result_category,
/// reply_kind, proposal_kind, proposal_level, meeting, addressee, issuer,
/// signatory, url.
pub(crate) fn list_columns(reply: &Reply) -> Vec<Arg> {
    let name = |v: Option<String>| Arg::Text(v.filter(|s| !s.is_empty()));
    vec![
        Arg::Text(date_opt(reply.published_on)),
        Arg::Text(reply.handling_result.as_ref().map(|h| h.raw.clone())),
        name(
            reply
                .handling_result
                .as_ref()
                .and_then(|h| h.category)
                .map(|c| name_of(&c)),
        ),
        name(reply.reply_kind.map(|k| name_of(&k))),
        name(reply.proposal.kind.map(|k| name_of(&k))),
        name(reply.proposal.level.map(|l| name_of(&l))),
        Arg::Text(reply.proposal.meeting.clone()),
        Arg::Text(reply.addressee.clone()),
        Arg::Text(reply.issuer.clone()),
        Arg::Text(reply.signatory.clone()),
        Arg::Text(reply.url.clone()),
    ]
}

/// The changes of version `version` of `reply_id` (whose record is
/// `record`) from the archived version before it; `None` for a first
/// version or when the version before is not archived.
async fn computed_changes(
    exec: &mut Exec<'_>,
    reply_id: &str,
    version: i64,
    record: &Reply,
) -> Result<Option<Vec<FieldChange>>, StoreError> {
    if version <= 1 {
        return Ok(None);
    }
    let previous: Option<(String,)> = exec
        .fetch_optional(
            "SELECT record FROM archive_versions WHERE reply_id = $1 AND version = $2",
            args![reply_id, version - 1],
        )
        .await?;
    previous
        .map(|(json,)| {
            let before = parse_record(
                &json,
                &format!("archived reply {reply_id} version {}", version - 1),
            )?;
            Ok(record.changes_since(&before))
        })
        .transpose()
}

/// Reads stored changes back.
fn parse_changes(json: &str, what: &str) -> Result<Vec<FieldChange>, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("{what}: bad changes JSON: {e}")))
}

impl VersionColumns {
    /// The version's changes: stored, else computed from the version before.
    async fn changes(
        &self,
        exec: &mut Exec<'_>,
        record: &Reply,
    ) -> Result<Option<Vec<FieldChange>>, StoreError> {
        let what = format!("archived reply {} version {}", self.reply_id, self.version);
        match &self.changes {
            Some(json) => parse_changes(json, &what).map(Some),
            None => computed_changes(exec, &self.reply_id, self.version, record).await,
        }
    }
}

impl Store {
    /// One page of archived replies matching `filter`, newest first (see
    /// the module's docs for the order and the search), starting after
    /// `after`; at most `limit` rows (at least one), with the total over all
    /// pages and, unless this is the last page, where the next one starts.
    /// With a search, each row carries its [`Snippet`].
    pub async fn query_replies(
        &self,
        filter: &ReplyFilter,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<ReplyPage, StoreError> {
        let limit = limit.max(1);
        let backend = self.backend();
        let searching = filter.q.as_deref().is_some_and(|q| !q.trim().is_empty());
        let mut c = conditions(backend, filter);
        // The total and the page from one snapshot.
        let mut tx = self.pool.begin_read().await?;
        let mut exec = tx.exec();
        if backend == Backend::Postgres && searching {
            // PostgreSQL prices a search by its index against reading the
            // table, not knowing that each row's tokens must then be read
            // (often from TOAST): for a common word it would read them all.
            // The index, then the rows it names, is what is quick.
            exec.execute("SET LOCAL enable_seqscan = off", args![])
                .await?;
        }
        // A search alone is counted in the search index itself, which holds
        // one entry per archived reply: no walk over the list.
        let search_alone = backend == Backend::Sqlite
            && searching
            && ReplyFilter {
                q: None,
                ..filter.clone()
            } == ReplyFilter::default();
        let tokens = filter.q.as_deref().map(query_tokens).unwrap_or_default();
        let (total,): (i64,) = if search_alone && tokens.is_empty() {
            (0,)
        } else if search_alone {
            exec.fetch_one(
                "SELECT COUNT(*) FROM archive_search WHERE archive_search MATCH $1",
                args![fts_query(&tokens)],
            )
            .await?
        } else {
            exec.fetch_one(
                &format!(
                    "SELECT COUNT(*) FROM archive_replies r {}",
                    c.where_clause()
                ),
                c.args.clone(),
            )
            .await?
        };
        if let Some(cursor) = after {
            let k = c.bind(cursor.sort_key.as_str());
            let id = c.bind(cursor.reply_id.as_str());
            c.sql
                .push(format!("(r.sort_key, r.reply_id) < ({k}, {id})"));
        }
        let record = if searching {
            "r.record"
        } else {
            "CAST(NULL AS TEXT)"
        };
        let lim = c.bind(i64::from(limit) + 1);
        let mut rows: Vec<RowColumns> = exec
            .fetch_all(
                &format!(
                    "SELECT r.reply_id, r.portal, r.title, r.doc_number, r.addressee, \
                     r.handling_result, r.result_category, r.published_on, r.url, r.status, \
                     r.current_version, r.updated_at, r.sort_key, {record} AS record \
                     FROM archive_replies r {} \
                     ORDER BY r.sort_key DESC, r.reply_id DESC LIMIT {lim}",
                    c.where_clause()
                ),
                c.args,
            )
            .await?;
        tx.commit().await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next = more.then(|| rows.last()).flatten().map(|last| Cursor {
            sort_key: last.sort_key.clone(),
            reply_id: last.reply_id.clone(),
        });
        let words = filter.q.as_deref().map(snippet_words).unwrap_or_default();
        let rows = rows
            .into_iter()
            .map(|r| {
                let what = format!("archived reply {}", r.reply_id);
                let snippet = match &r.record {
                    Some(json) => {
                        let source: SnippetSource = serde_json::from_str(json)
                            .map_err(|e| corrupt(format!("{what}: the stored record: {e}")))?;
                        snippet(&source, &words)
                    }
                    None => None,
                };
                Ok(ReplyRow {
                    status: ArchiveStatus::parse(&r.status)
                        .ok_or_else(|| corrupt(format!("{what}: unknown status {:?}", r.status)))?,
                    current_version: narrow(r.current_version, &what)?,
                    updated_at: parse_ts(&r.updated_at, &what)?,
                    published_on: parse_date_opt(r.published_on.as_deref(), &what)?,
                    result_category: parse_name(r.result_category, &what)?,
                    reply_id: r.reply_id,
                    portal: r.portal,
                    title: r.title,
                    doc_number: r.doc_number,
                    addressee: r.addressee,
                    handling_result: r.handling_result,
                    url: r.url,
                    snippet,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(ReplyPage {
            rows,
            total: narrow(total, "archive list total")?,
            next,
        })
    }

    /// Every archived version of `reply_id`, oldest first, with what changed
    /// in each; empty when the reply is not archived.
    pub async fn archive_versions(&self, reply_id: &str) -> Result<Vec<VersionEntry>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut exec = conn.exec();
        let rows: Vec<VersionColumns> = exec
            .fetch_all(
                "SELECT reply_id, version, event_id, event_type, received_at, content_sha256, \
                 changes, record FROM archive_versions WHERE reply_id = $1 ORDER BY version",
                args![reply_id],
            )
            .await?;
        let mut entries: Vec<VersionEntry> = Vec::with_capacity(rows.len());
        let mut previous: Option<(i64, Reply)> = None;
        for row in rows {
            let what = format!("archived reply {reply_id} version {}", row.version);
            let record = parse_record(&row.record, &what)?;
            let changes = match &row.changes {
                Some(json) => Some(parse_changes(json, &what)?),
                None => match &previous {
                    Some((v, before)) if *v == row.version - 1 => {
                        Some(record.changes_since(before))
                    }
                    _ => None,
                },
            };
            entries.push(VersionEntry {
                version: narrow(row.version, &what)?,
                received_at: parse_ts(&row.received_at, &what)?,
                event_id: row.event_id,
                event_type: row.event_type,
                content_sha256: row.content_sha256,
                changes,
            });
            previous = Some((row.version, record));
        }
        Ok(entries)
    }

    /// The newest archived versions of the replies matching `filter` (new
    /// and changed replies alike, one entry per version), the most recently
    /// received first; at most `limit`.
    pub async fn archive_feed(
        &self,
        filter: &ReplyFilter,
        limit: u32,
    ) -> Result<Vec<FeedEntry>, StoreError> {
        let mut c = conditions(self.backend(), filter);
        let lim = c.bind(i64::from(limit));
        let mut conn = self.pool.acquire().await?;
        let mut exec = conn.exec();
        let rows: Vec<VersionColumns> = exec
            .fetch_all(
                &format!(
                    "SELECT v.reply_id, v.version, v.event_id, v.event_type, v.received_at, \
                     v.content_sha256, v.changes, v.record \
                     FROM archive_versions v JOIN archive_replies r ON r.reply_id = v.reply_id \
                     {} ORDER BY v.received_at DESC, v.reply_id DESC, v.version DESC LIMIT {lim}",
                    c.where_clause()
                ),
                c.args,
            )
            .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in rows {
            let what = format!("archived reply {} version {}", row.reply_id, row.version);
            let reply = parse_record(&row.record, &what)?;
            let changes = row.changes(&mut exec, &reply).await?;
            entries.push(FeedEntry {
                received_at: parse_ts(&row.received_at, &what)?,
                reply,
                event_id: row.event_id,
                event_type: row.event_type,
                changes,
            });
        }
        Ok(entries)
    }

    /// The records of the replies matching `filter`, in the list's order:
    /// each reply's current version, or with `versions` every archived
    /// version (oldest first within a reply). With `since`, only what was
    /// received on or after that day (UTC): current versions updated since,
    /// or versions received since.
    pub async fn archive_export(
        &self,
        filter: &ReplyFilter,
        since: Option<NaiveDate>,
        versions: bool,
    ) -> Result<Vec<Reply>, StoreError> {
        let mut c = conditions(self.backend(), filter);
        let since_column = if versions {
            "v.received_at"
        } else {
            "r.updated_at"
        };
        if let Some(since) = since {
            let p = c.bind(date_opt(Some(since)));
            c.sql.push(format!("{since_column} >= {p}"));
        }
        let sql = if versions {
            format!(
                "SELECT v.record FROM archive_versions v \
                 JOIN archive_replies r ON r.reply_id = v.reply_id {} \
                 ORDER BY r.sort_key DESC, r.reply_id DESC, v.version",
                c.where_clause()
            )
        } else {
            format!(
                "SELECT r.record FROM archive_replies r {} \
                 ORDER BY r.sort_key DESC, r.reply_id DESC",
                c.where_clause()
            )
        };
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<(String,)> = conn.exec().fetch_all(&sql, c.args).await?;
        rows.iter()
            .map(|(json,)| parse_record(json, "archived record for export"))
            .collect()
    }

    /// Refreshes what the database knows of the archive's tables so that
    /// the list and searches keep using their indexes as the archive grows:
    /// on SQLite `PRAGMA optimize` (statistics of every table that lacks or
    /// has outgrown them), on PostgreSQL `VACUUM (ANALYZE)` of the archive's
    /// replies (statistics, and the visibility map that lets a count read
    /// the index alone; autovacuum does the same on its own schedule). The
    /// archive runs it on start and every hour; it is quick when little
    /// changed.
    pub async fn optimize_archive(&self) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        let sql = match self.backend() {
            Backend::Sqlite => "PRAGMA optimize=0x10002",
            Backend::Postgres => "VACUUM (ANALYZE) archive_replies",
        };
        conn.exec().execute(sql, args![]).await?;
        Ok(())
    }
}
