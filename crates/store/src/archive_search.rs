//! Searching the archive, and the search index it is kept in.
//!
//! **Search.** A query ([`crate::ReplyFilter::q`]) is split at whitespace into
//! terms, and each term into its search tokens
//! ([`govwire_model::text::search_tokens`]: normalized, segmented into
//! words by jieba's search mode, punctuation dropped). A reply matches when
//! every token of every term is among the tokens of its current title, doc
//! number and body. Because the search mode also yields the dictionary
//! words inside a long word, a word matches as a whole word or as part of a
//! longer one (`电梯` finds `加装电梯`); a string the segmenter cuts
//! differently in the text does not match as a substring would (`梯加`
//! finds nothing). A query without any token (only punctuation) matches no
//! reply. Both backends index exactly the tokens computed here: SQLite in
//! the FTS5 table `archive_search` (the `ascii` tokenizer splits only at the
//! spaces between tokens), PostgreSQL in the `tsvector` column
//! `archive_replies.search` written as literal lexemes; queries are quoted
//! tokens AND-ed (`MATCH`, `@@ …::tsquery`), never run through a
//! text-search parser, so both answer alike.
//!
//! Also here: the snippet a page of results shows, and
//! [`Store::reindex_archive_search`], which indexes replies archived under
//! older rules.

use std::collections::BTreeSet;

use govwire_model::text::{find_first, search_tokens, SEARCH_TOKENS_VERSION};
use govwire_model::Reply;

use crate::archive_query::{Conditions, Snippet};
use crate::db::{args, Exec};
use crate::replies::parse_record;
use crate::{Backend, Store, StoreError};

/// How many characters of the original text a [`Snippet`] shows on either
/// side of the match: about a line of Chinese text each.
pub(crate) const SNIPPET_CONTEXT_CHARS: usize = 40;

/// How many replies [`Store::reindex_archive_search`] reads and indexes per
/// transaction: small enough that the archive's writes are never held long.
const REINDEX_BATCH: u32 = 100;

/// The search tokens of a query: every term's tokens (terms split at
/// whitespace), each once, in a stable order.
pub(crate) fn query_tokens(q: &str) -> BTreeSet<String> {
    q.split_whitespace().flat_map(search_tokens).collect()
}

/// The search condition on `r.reply_id` for `tokens` (all of them), in the
/// backend's full-text query language.
pub(crate) fn search_condition(
    backend: Backend,
    tokens: &BTreeSet<String>,
    c: &mut Conditions,
) -> String {
    if tokens.is_empty() {
        return "1 = 0".into();
    }
    match backend {
        Backend::Sqlite => {
            let p = c.bind(fts_query(tokens));
            // `+` keeps SQLite from looking each hit up by its key and
            // sorting them all: it walks the list's index in order and
            // stops at the page's end, reading no record it does not show.
            format!(
                "+r.reply_id IN (SELECT reply_id FROM archive_search WHERE archive_search MATCH {p})"
            )
        }
        Backend::Postgres => {
            let query = tokens
                .iter()
                .map(|t| pg_lexeme(t))
                .collect::<Vec<_>>()
                .join(" & ");
            let p = c.bind(query);
            format!("r.search @@ {p}::tsquery")
        }
    }
}

/// The FTS5 query that needs every token: quoted tokens AND-ed.
pub(crate) fn fts_query(tokens: &BTreeSet<String>) -> String {
    tokens
        .iter()
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A token as a quoted lexeme of PostgreSQL's `tsvector` and `tsquery`
/// input syntax.
pub(crate) fn pg_lexeme(token: &str) -> String {
    format!("'{}'", token.replace('\\', "\\\\").replace('\'', "''"))
}

/// The searched words of a query, for snippets: each term in its normal
/// form and each of its tokens.
pub(crate) fn snippet_words(q: &str) -> Vec<String> {
    let mut words: Vec<String> = q.split_whitespace().map(str::to_string).collect();
    words.extend(query_tokens(q));
    words
}

/// The parts of a stored record a snippet is taken from; reading only these
/// skips the rest of the record (attachments' text, warnings, …).
#[derive(serde::Deserialize)]
pub(crate) struct SnippetSource {
    title: String,
    doc_number: Option<String>,
    body: govwire_model::Body,
}

/// The snippet of `reply` for `words`: the first passage of the body that
/// holds one, else the title, else the doc number.
pub(crate) fn snippet(reply: &SnippetSource, words: &[String]) -> Option<Snippet> {
    let body = reply
        .body
        .sections
        .iter()
        .flat_map(|s| s.heading.iter().chain(s.paragraphs.iter()));
    let texts = body
        .chain(std::iter::once(&reply.title))
        .chain(reply.doc_number.iter());
    for text in texts {
        if let Some(at) = find_first(text, words) {
            let before: Vec<char> = text[..at.start].chars().collect();
            let before: String = before[before.len().saturating_sub(SNIPPET_CONTEXT_CHARS)..]
                .iter()
                .collect();
            let after: String = text[at.end..].chars().take(SNIPPET_CONTEXT_CHARS).collect();
            return Some(Snippet {
                before,
                matched: text[at].to_string(),
                after,
            });
        }
    }
    None
}

/// The text a reply is searched by: its title, doc number and body
/// (headings and paragraphs), as search tokens, each once.
pub(crate) fn reply_search_tokens(reply: &Reply) -> Vec<String> {
    let mut tokens = BTreeSet::new();
    let texts = std::iter::once(&reply.title)
        .chain(reply.doc_number.iter())
        .chain(
            reply
                .body
                .sections
                .iter()
                .flat_map(|s| s.heading.iter().chain(s.paragraphs.iter())),
        );
    for text in texts {
        tokens.extend(search_tokens(text));
    }
    tokens.into_iter().collect()
}

/// Writes `tokens` as the search index of `reply_id` and marks it indexed
/// under the current rules. With `only_version`, only while the reply's
/// current version is still that one (a newer version indexed itself).
/// Returns whether it wrote.
pub(crate) async fn write_search(
    exec: &mut Exec<'_>,
    backend: Backend,
    reply_id: &str,
    tokens: &[String],
    only_version: Option<i64>,
) -> Result<bool, StoreError> {
    let indexed = i64::from(SEARCH_TOKENS_VERSION);
    match backend {
        Backend::Sqlite => {
            let marked = exec
                .execute(
                    "UPDATE archive_replies SET search_indexed = $2, search_rowid = \
                     COALESCE(search_rowid, (SELECT COALESCE(MAX(search_rowid), 0) + 1 \
                     FROM archive_replies)) \
                     WHERE reply_id = $1 AND ($3 IS NULL OR current_version = $3)",
                    args![reply_id, indexed, only_version],
                )
                .await?;
            if marked == 0 {
                return Ok(false);
            }
            exec.execute(
                "DELETE FROM archive_search WHERE rowid = \
                 (SELECT search_rowid FROM archive_replies WHERE reply_id = $1)",
                args![reply_id],
            )
            .await?;
            exec.execute(
                "INSERT INTO archive_search (rowid, reply_id, tokens) \
                 SELECT search_rowid, reply_id, $2 FROM archive_replies WHERE reply_id = $1",
                args![reply_id, tokens.join(" ")],
            )
            .await?;
            Ok(true)
        }
        Backend::Postgres => {
            let vector = tokens
                .iter()
                .map(|t| pg_lexeme(t))
                .collect::<Vec<_>>()
                .join(" ");
            let written = exec
                .execute(
                    "UPDATE archive_replies SET search = $3::tsvector, search_indexed = $2 \
                     WHERE reply_id = $1 AND ($4::BIGINT IS NULL OR current_version = $4)",
                    args![reply_id, indexed, vector, only_version],
                )
                .await?;
            Ok(written == 1)
        }
    }
}

impl Store {
    /// Indexes for search every archived reply not indexed under the
    /// current rules ([`SEARCH_TOKENS_VERSION`]): those archived before the
    /// search existed, or indexed under older rules. Returns how many it
    /// indexed. Safe beside the archive's writes: a reply that got a newer
    /// version meanwhile was indexed by that write and is left alone.
    pub async fn reindex_archive_search(&self) -> Result<u64, StoreError> {
        let backend = self.backend();
        let current = i64::from(SEARCH_TOKENS_VERSION);
        let mut indexed = 0_u64;
        let mut last = String::new();
        loop {
            let batch: Vec<(String, i64, String)> = {
                let mut conn = self.pool.acquire().await?;
                conn.exec()
                    .fetch_all(
                        "SELECT reply_id, current_version, record FROM archive_replies \
                         WHERE (search_indexed IS NULL OR search_indexed < $1) AND reply_id > $2 \
                         ORDER BY reply_id LIMIT $3",
                        args![current, last.as_str(), i64::from(REINDEX_BATCH)],
                    )
                    .await?
            };
            let Some((id, _, _)) = batch.last() else {
                break;
            };
            last = id.clone();
            let mut work = Vec::with_capacity(batch.len());
            for (reply_id, version, json) in batch {
                let reply = parse_record(&json, &format!("archived reply {reply_id}"))?;
                work.push((reply_id, version, reply_search_tokens(&reply)));
            }
            let mut tx = self.pool.begin_write().await?;
            let mut exec = tx.exec();
            for (reply_id, version, tokens) in &work {
                if write_search(&mut exec, backend, reply_id, tokens, Some(*version)).await? {
                    indexed += 1;
                }
            }
            tx.commit().await?;
        }
        if indexed > 0 {
            tracing::info!(indexed, "Indexed archived replies for search.");
        }
        Ok(indexed)
    }
}
