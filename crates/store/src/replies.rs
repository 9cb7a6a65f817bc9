//! The notifier's state: replies and their versions, the portal items and
//! URLs that show them, and the transactional outbox of events.
//!
//! [`Store::apply_reply`] is the one writer. It runs the lookup, the
//! notifier's pure `decide` function and every write in one transaction that
//! is serialized per portal (SQLite: `BEGIN IMMEDIATE` takes the file's
//! write lock; PostgreSQL: a transaction-scoped advisory lock on the portal),
//! so two notifiers never both record the same reply or version. Unique keys
//! on `replies.id`, `reply_versions (reply_id, version)` and
//! `reply_items (portal, item_id)` back that up: a duplicate fails the
//! transaction instead of being written twice.

use chrono::{DateTime, Utc};
use govwire_model::Reply;

use crate::db::{self, args, corrupt, invalid, narrow, parse_ts, ts, Exec};
use crate::{Backend, Decision, KnownReply, OutboxEvent, ReplyKeys, Store, StoreError};

crate::direct::row_struct! {
    /// The columns of `replies` a [`KnownReply`] needs.
    struct ReplyRow {
        id: String,
        version: i64,
        content_sha256: String,
        record: String,
    }
}

crate::direct::row_struct! {
    /// A row of `outbox`, as stored.
    struct OutboxRow {
        event_id: String,
        event_type: String,
        routing_key: String,
        body: Vec<u8>,
        created_at: String,
    }
}

/// Reads a stored record back.
pub(crate) fn parse_record(json: &str, what: &str) -> Result<Reply, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(format!("{what}: bad record JSON: {e}")))
}

/// A record as stored.
pub(crate) fn record_json(reply: &Reply) -> Result<String, StoreError> {
    serde_json::to_string(reply)
        .map_err(|e| invalid(format!("reply {} does not serialize: {e}", reply.id)))
}

/// The id of the reply `keys` point at: by the item's mapping, then by doc
/// number, then by title, addressee, signatory and signed date.
async fn find_reply_id(
    exec: &mut Exec<'_>,
    keys: &ReplyKeys,
) -> Result<Option<String>, StoreError> {
    let by_item: Option<(String,)> = exec
        .fetch_optional(
            "SELECT reply_id FROM reply_items WHERE portal = $1 AND item_id = $2",
            args![&keys.portal, &keys.item_id],
        )
        .await?;
    if let Some((id,)) = by_item {
        return Ok(Some(id));
    }
    if let Some(doc_number) = &keys.doc_number {
        let by_doc: Option<(String,)> = exec
            .fetch_optional(
                "SELECT id FROM replies WHERE portal = $1 AND doc_number = $2 \
                 ORDER BY first_seen_at, id LIMIT 1",
                args![&keys.portal, doc_number],
            )
            .await?;
        if let Some((id,)) = by_doc {
            return Ok(Some(id));
        }
    }
    if let (Some(title), Some(addressee), Some(signatory), Some(signed_on)) = (
        &keys.title,
        &keys.addressee,
        &keys.signatory,
        keys.signed_on,
    ) {
        // Two documents that both carry a doc number, and different ones,
        // are different replies however alike they look.
        let by_signature: Option<(String,)> = match &keys.doc_number {
            Some(doc_number) => {
                exec.fetch_optional(
                    "SELECT id FROM replies WHERE portal = $1 AND title = $2 AND addressee = $3 \
                     AND signatory = $4 AND signed_on = $5 \
                     AND (doc_number IS NULL OR doc_number = $6) \
                     ORDER BY first_seen_at, id LIMIT 1",
                    args![
                        &keys.portal,
                        title,
                        addressee,
                        signatory,
                        db::date_opt(Some(signed_on)),
                        doc_number
                    ],
                )
                .await?
            }
            None => {
                exec.fetch_optional(
                    "SELECT id FROM replies WHERE portal = $1 AND title = $2 AND addressee = $3 \
                     AND signatory = $4 AND signed_on = $5 ORDER BY first_seen_at, id LIMIT 1",
                    args![
                        &keys.portal,
                        title,
                        addressee,
                        signatory,
                        db::date_opt(Some(signed_on))
                    ],
                )
                .await?
            }
        };
        if let Some((id,)) = by_signature {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Loads a reply with its URLs and items. `lock` adds `FOR UPDATE`
/// (PostgreSQL only) so the row cannot change until the transaction ends.
async fn load_known(
    exec: &mut Exec<'_>,
    reply_id: &str,
    lock: bool,
) -> Result<Option<KnownReply>, StoreError> {
    let sql = if lock {
        "SELECT id, version, content_sha256, record FROM replies WHERE id = $1 FOR UPDATE"
    } else {
        "SELECT id, version, content_sha256, record FROM replies WHERE id = $1"
    };
    let Some(row): Option<ReplyRow> = exec.fetch_optional(sql, args![reply_id]).await? else {
        return Ok(None);
    };
    let what = format!("reply {}", row.id);
    let mut record = parse_record(&row.record, &what)?;
    let urls: Vec<(String,)> = exec
        .fetch_all(
            "SELECT url FROM reply_urls WHERE reply_id = $1 ORDER BY position, url",
            args![reply_id],
        )
        .await?;
    let urls: Vec<String> = urls.into_iter().map(|(u,)| u).collect();
    let items: Vec<(String,)> = exec
        .fetch_all(
            "SELECT item_id FROM reply_items WHERE reply_id = $1 ORDER BY mapped_at, item_id",
            args![reply_id],
        )
        .await?;
    record.urls = urls.clone();
    Ok(Some(KnownReply {
        version: narrow(row.version, &what)?,
        id: row.id,
        content_sha256: row.content_sha256,
        record,
        urls,
        item_ids: items.into_iter().map(|(i,)| i).collect(),
    }))
}

/// Maps a portal item to a reply (re-mapping it if it showed another).
async fn map_item(
    exec: &mut Exec<'_>,
    portal: &str,
    item_id: &str,
    reply_id: &str,
    now: &str,
) -> Result<(), StoreError> {
    exec.execute(
        "INSERT INTO reply_items (portal, item_id, reply_id, mapped_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (portal, item_id) DO UPDATE SET reply_id = excluded.reply_id, \
         mapped_at = excluded.mapped_at WHERE reply_items.reply_id <> excluded.reply_id",
        args![portal, item_id, reply_id, now],
    )
    .await?;
    Ok(())
}

/// Adds a URL to a reply's list, after those already there.
async fn add_url(
    exec: &mut Exec<'_>,
    reply_id: &str,
    url: &str,
    now: &str,
) -> Result<(), StoreError> {
    exec.execute(
        "INSERT INTO reply_urls (reply_id, url, position, first_seen_at) \
         SELECT $1, $2, COALESCE(MAX(position), 0) + 1, $3 FROM reply_urls WHERE reply_id = $1 \
         ON CONFLICT (reply_id, url) DO NOTHING",
        args![reply_id, url, now],
    )
    .await?;
    Ok(())
}

/// Writes `reply` as the next version of its reply (or the first, for a
/// new reply), after checking the version follows the stored one.
async fn write_version(
    exec: &mut Exec<'_>,
    backend: Backend,
    reply: &Reply,
    now: &str,
) -> Result<(), StoreError> {
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let current: Option<(i64,)> = exec
        .fetch_optional(
            &format!("SELECT version FROM replies WHERE id = $1{lock}"),
            args![reply.id.as_str()],
        )
        .await?;
    let expected = current.map(|(v,)| v + 1).unwrap_or(1);
    if i64::from(reply.version) != expected {
        return Err(invalid(format!(
            "new version of reply {} is numbered {} but the next version is {expected}",
            reply.id, reply.version
        )));
    }
    let json = record_json(reply)?;
    let signed_on = db::date_opt(reply.signed_on);
    let version = i64::from(reply.version);
    match current {
        None => {
            exec.execute(
                "INSERT INTO replies (id, portal, doc_number, title, addressee, signatory, \
                 signed_on, version, content_sha256, record, first_seen_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                args![
                    reply.id.as_str(),
                    reply.portal.as_str(),
                    &reply.doc_number,
                    &reply.title,
                    &reply.addressee,
                    &reply.signatory,
                    signed_on,
                    version,
                    &reply.content_sha256,
                    json.clone(),
                    now,
                ],
            )
            .await?;
        }
        Some((previous,)) => {
            let changed = exec
                .execute(
                    "UPDATE replies SET doc_number = $2, title = $3, addressee = $4, \
                     signatory = $5, signed_on = $6, version = $7, content_sha256 = $8, \
                     record = $9, updated_at = $10 WHERE id = $1 AND version = $11",
                    args![
                        reply.id.as_str(),
                        &reply.doc_number,
                        &reply.title,
                        &reply.addressee,
                        &reply.signatory,
                        signed_on,
                        version,
                        &reply.content_sha256,
                        json.clone(),
                        now,
                        previous,
                    ],
                )
                .await?;
            if changed != 1 {
                return Err(StoreError::Conflict {
                    detail: format!("reply {} changed during the transaction", reply.id),
                    source: None,
                });
            }
        }
    }
    exec.execute(
        "INSERT INTO reply_versions (reply_id, version, content_sha256, record, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
        args![reply.id.as_str(), version, &reply.content_sha256, json, now],
    )
    .await?;
    for url in reply.urls.iter().chain(reply.url.as_ref()) {
        add_url(exec, &reply.id, url, now).await?;
    }
    Ok(())
}

/// Checks the parts of a decision agree, and returns the reply it concerns.
fn decision_target(keys: &ReplyKeys, decision: &Decision) -> Result<Option<String>, StoreError> {
    if let Some(reply) = &decision.new_version {
        if reply.id.is_empty() {
            return Err(invalid("new version has an empty id".into()));
        }
        if reply.portal != keys.portal {
            return Err(invalid(format!(
                "new version of reply {} belongs to portal {:?}, the page to {:?}",
                reply.id, reply.portal, keys.portal
            )));
        }
        if reply.content_sha256.is_empty() {
            return Err(invalid(format!(
                "new version of reply {} has no content_sha256",
                reply.id
            )));
        }
        if let Some(id) = &decision.reply_id {
            if id != &reply.id {
                return Err(invalid(format!(
                    "decision names reply {id} but its new version is of reply {}",
                    reply.id
                )));
            }
        }
        return Ok(Some(reply.id.to_string()));
    }
    if decision.reply_id.is_none() && (decision.add_url.is_some() || decision.map_item_id.is_some())
    {
        return Err(invalid(
            "decision adds a URL or an item mapping but names no reply".into(),
        ));
    }
    Ok(decision.reply_id.clone())
}

impl Store {
    /// Decides and records, in ONE transaction: looks up the known reply
    /// matching `keys` (first by (portal,item_id) mapping, then by
    /// (portal, doc_number) when doc_number is Some, then by (portal, title,
    /// addressee, signatory, signed_on) when all four are Some), calls
    /// `decide` with it (or None), and if the returned Decision has a new
    /// version, writes the reply's current record, its version row, the
    /// (portal,item_id)→reply mapping, the url list, and every outbox event;
    /// if the decision only adds a URL/mapping, writes that. Commits, then
    /// returns the decision. `decide` is a pure function from the notifier
    /// crate.
    ///
    /// A new version must be numbered one past the stored version (1 for a
    /// new reply), belong to `keys.portal` and carry its `content_sha256`;
    /// otherwise nothing is written and the error is
    /// [`StoreError::Invalid`]. Events whose id the outbox already holds
    /// are not queued again. A concurrent duplicate fails with a transient
    /// error; retrying sees the winner.
    pub async fn apply_reply<F>(&self, keys: &ReplyKeys, decide: F) -> Result<Decision, StoreError>
    where
        F: FnOnce(Option<KnownReply>) -> Decision + Send,
    {
        let backend = self.backend();
        let mut tx = self.pool.begin_write().await?;
        let applied = apply_in(&mut tx.exec(), backend, keys, decide).await?;
        tx.commit().await?;
        Ok(applied.logged(keys))
    }

    /// [`Store::apply_reply`] for several pages in one transaction, in
    /// order (a later page sees what an earlier one recorded): one commit
    /// for a batch of deliveries. Any failure writes nothing at all.
    pub async fn apply_replies<F>(
        &self,
        items: Vec<(ReplyKeys, F)>,
    ) -> Result<Vec<Decision>, StoreError>
    where
        F: FnOnce(Option<KnownReply>) -> Decision + Send,
    {
        let backend = self.backend();
        let mut tx = self.pool.begin_write().await?;
        let mut applied = Vec::with_capacity(items.len());
        {
            let mut exec = tx.exec();
            for (keys, decide) in items {
                let one = apply_in(&mut exec, backend, &keys, decide).await?;
                applied.push((keys, one));
            }
        }
        tx.commit().await?;
        Ok(applied
            .into_iter()
            .map(|(keys, one)| one.logged(&keys))
            .collect())
    }

    /// The notifier's current record of a reply, with its URLs and items.
    pub async fn known_reply(&self, reply_id: &str) -> Result<Option<KnownReply>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        load_known(&mut conn.exec(), reply_id, false).await
    }

    /// One recorded version of a reply (the record as it was then).
    pub async fn reply_version(
        &self,
        reply_id: &str,
        version: u32,
    ) -> Result<Option<Reply>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let row: Option<(String,)> = conn
            .exec()
            .fetch_optional(
                "SELECT record FROM reply_versions WHERE reply_id = $1 AND version = $2",
                args![reply_id, i64::from(version)],
            )
            .await?;
        row.map(|(json,)| parse_record(&json, &format!("reply {reply_id} version {version}")))
            .transpose()
    }

    /// How many outbox events wait to be published.
    pub async fn outbox_pending_count(&self) -> Result<u64, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (count,): (i64,) = conn
            .exec()
            .fetch_one(
                "SELECT COUNT(*) FROM outbox WHERE published_at IS NULL",
                args![],
            )
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// Unpublished outbox events, oldest first.
    pub async fn pending_outbox(&self, limit: u32) -> Result<Vec<OutboxEvent>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let rows: Vec<OutboxRow> = conn
            .exec()
            .fetch_all(
                "SELECT event_id, event_type, routing_key, body, created_at FROM outbox \
                 WHERE published_at IS NULL ORDER BY seq LIMIT $1",
                args![i64::from(limit)],
            )
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(OutboxEvent {
                    created_at: parse_ts(&r.created_at, &format!("outbox event {}", r.event_id))?,
                    event_id: r.event_id,
                    event_type: r.event_type,
                    routing_key: r.routing_key,
                    body: r.body,
                })
            })
            .collect()
    }

    /// Marks an outbox event as confirmed by the broker, so it is not
    /// published again. Marking an already published event changes nothing;
    /// an id the outbox never held is [`StoreError::UnknownOutboxEvent`].
    pub async fn mark_outbox_published(
        &self,
        event_id: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        mark_published_in(&mut conn.exec(), event_id, &ts(at)).await
    }

    /// [`Store::mark_outbox_published`] for several events in one
    /// transaction (the ones a relay's batch had confirmed).
    pub async fn mark_outbox_published_all(
        &self,
        event_ids: &[&str],
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if event_ids.is_empty() {
            return Ok(());
        }
        let at = ts(at);
        let mut tx = self.pool.begin_write().await?;
        {
            let mut exec = tx.exec();
            for event_id in event_ids {
                mark_published_in(&mut exec, event_id, &at).await?;
            }
        }
        tx.commit().await
    }

    /// Deletes outbox events published before `before`; returns how many.
    /// Published events are kept for a while so an operator can see what
    /// went out; pruning keeps the table small over years.
    pub async fn prune_published_outbox(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        self.pool
            .execute_one(
                "DELETE FROM outbox WHERE published_at IS NOT NULL AND published_at < $1",
                args![ts(before)],
            )
            .await
    }
}

/// What [`apply_in`] decided and wrote, for the log line after the commit.
struct Applied {
    decision: Decision,
    target: Option<String>,
    known_id: Option<String>,
    queued: u64,
}

impl Applied {
    /// Logs the committed decision (at DEBUG: the notifier's own line is
    /// the reply's one INFO line in its stage) and hands it over.
    fn logged(self, keys: &ReplyKeys) -> Decision {
        match &self.decision.new_version {
            Some(reply) => tracing::debug!(
                reply_id = %reply.id,
                version = reply.version,
                item_id = %keys.item_id,
                events = self.queued,
                "Recorded a new version of a reply."
            ),
            None if self.decision.add_url.is_some() || self.decision.map_item_id.is_some() => {
                tracing::debug!(
                    reply_id = self.target.as_deref().unwrap_or_default(),
                    item_id = %keys.item_id,
                    url = self.decision.add_url.as_deref().unwrap_or_default(),
                    events = self.queued,
                    "Recorded a known reply seen again."
                )
            }
            None => tracing::debug!(
                reply_id = self.known_id.as_deref().unwrap_or_default(),
                item_id = %keys.item_id,
                events = self.queued,
                "Reply unchanged."
            ),
        }
        self.decision
    }
}

/// Decides and records one page inside a write transaction (see
/// [`Store::apply_reply`]).
async fn apply_in<F>(
    exec: &mut Exec<'_>,
    backend: Backend,
    keys: &ReplyKeys,
    decide: F,
) -> Result<Applied, StoreError>
where
    F: FnOnce(Option<KnownReply>) -> Decision + Send,
{
    if backend == Backend::Postgres {
        // Serializes apply_reply per portal across processes, so that two
        // notifiers cannot both decide a reply is new. The lock ends with
        // the transaction.
        exec.execute(
            "SELECT pg_advisory_xact_lock(hashtext($1))",
            args![format!("govwire.apply_reply:{}", keys.portal)],
        )
        .await?;
    }
    let known = match find_reply_id(exec, keys).await? {
        Some(id) => load_known(exec, &id, backend == Backend::Postgres).await?,
        None => None,
    };
    let known_id = known.as_ref().map(|k| k.id.clone());
    let decision = decide(known);
    let target = decision_target(keys, &decision)?;
    let now = ts(Utc::now());

    if let Some(reply) = &decision.new_version {
        write_version(exec, backend, reply, &now).await?;
        map_item(exec, &keys.portal, &keys.item_id, &reply.id, &now).await?;
    } else if let Some(id) = &target {
        if decision.add_url.is_some() || decision.map_item_id.is_some() {
            let exists: Option<(i64,)> = exec
                .fetch_optional("SELECT version FROM replies WHERE id = $1", args![id])
                .await?;
            if exists.is_none() {
                return Err(invalid(format!("decision names unknown reply {id}")));
            }
        }
    }
    if let Some(id) = &target {
        if let Some(item_id) = &decision.map_item_id {
            map_item(exec, &keys.portal, item_id, id, &now).await?;
        }
        if let Some(url) = &decision.add_url {
            add_url(exec, id, url, &now).await?;
        }
    }
    let mut queued = 0u64;
    for event in &decision.events {
        queued += u64::from(crate::withdrawals::queue_event(exec, event).await?);
    }
    if let Some(sha) = &keys.page_sha256 {
        crate::walks::close_handover_in(exec, &keys.portal, &keys.item_id, sha).await?;
    }
    Ok(Applied {
        decision,
        target,
        known_id,
        queued,
    })
}

/// Marks one outbox event published at `at` (stored form); an id the
/// outbox never held is [`StoreError::UnknownOutboxEvent`].
async fn mark_published_in(
    exec: &mut Exec<'_>,
    event_id: &str,
    at: &str,
) -> Result<(), StoreError> {
    let changed = exec
        .execute(
            "UPDATE outbox SET published_at = $2 WHERE event_id = $1 AND published_at IS NULL",
            args![event_id, at],
        )
        .await?;
    if changed == 0 {
        let exists: Option<(String,)> = exec
            .fetch_optional(
                "SELECT event_id FROM outbox WHERE event_id = $1",
                args![event_id],
            )
            .await?;
        if exists.is_none() {
            tracing::warn!(
                event_id,
                "Asked to mark an unknown outbox event as published."
            );
            return Err(StoreError::UnknownOutboxEvent(event_id.to_string()));
        }
    }
    Ok(())
}
