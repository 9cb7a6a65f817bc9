//! When a reply is withdrawn, and when it is back: pure rules over the
//! evidence the store keeps, with the clock passed in.
//!
//! A portal that is down, slow or blocking us must never make a reply look
//! withdrawn: only a page answering 404 Not Found or 410 Gone, on several
//! visits in a row, over a grace period, is evidence. A reply shown at
//! several URLs (republished) is withdrawn only when every one of them is
//! gone, and restored as soon as one of them is served again.

use std::time::Duration;

use chrono::{DateTime, Utc};
use govwire_model::event::ReplyEvent;
use govwire_model::Reply;
use govwire_store::{ItemEvidence, ReplyStatusChange, ReplyWatch};

use crate::decide::outbox;

/// How much evidence a withdrawal takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WithdrawalPolicy {
    /// Visits in a row that must find the page gone (404/410).
    pub after_misses: u32,
    /// How long the page must have been missing, from the first miss seen,
    /// so that a brief mistake on the portal's side is not announced.
    pub grace: Duration,
}

impl Default for WithdrawalPolicy {
    /// The defaults of the `[notifier]` section ([`crate::NotifierConfig`]).
    fn default() -> Self {
        crate::NotifierConfig::default().settings().sweep.withdrawal
    }
}

/// What the rules conclude about one reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every item showing the reply is gone, with enough evidence; the text
    /// says why, for the event's `reason`.
    Withdraw(String),
    /// The reply was withdrawn and an item shows it again.
    Restore,
}

/// Whether the status is the portal saying the page is gone.
fn is_gone(status: Option<u16>) -> bool {
    matches!(status, Some(404 | 410))
}

/// Whether the status is the portal serving the page.
fn is_served(status: Option<u16>) -> bool {
    matches!(status, Some(200 | 304))
}

/// Whether one item's evidence, at `now`, says its page is gone for good.
pub fn item_is_gone(item: &ItemEvidence, policy: &WithdrawalPolicy, now: DateTime<Utc>) -> bool {
    if !item.crawled || !is_gone(item.last_status) {
        return false;
    }
    if item.consecutive_missing < policy.after_misses.max(1) {
        return false;
    }
    let Some(since) = item.missing_since else {
        return false;
    };
    let grace = chrono::Duration::from_std(policy.grace).unwrap_or(chrono::Duration::MAX);
    now.signed_duration_since(since) >= grace
}

/// Whether one item's evidence says its page is served again.
pub fn item_is_served(item: &ItemEvidence) -> bool {
    item.crawled && item.consecutive_missing == 0 && is_served(item.last_status)
}

/// The verdict on one reply at `now`, if its status should change.
pub fn verdict(
    watch: &ReplyWatch,
    policy: &WithdrawalPolicy,
    now: DateTime<Utc>,
) -> Option<Verdict> {
    if watch.items.is_empty() {
        return None;
    }
    if watch.is_withdrawn() {
        return watch
            .items
            .iter()
            .any(item_is_served)
            .then_some(Verdict::Restore);
    }
    if !watch.items.iter().all(|i| item_is_gone(i, policy, now)) {
        return None;
    }
    Some(Verdict::Withdraw(reason(watch, now)))
}

/// The withdrawal's `reason`: what the portal answered, how often, since
/// when, and where.
fn reason(watch: &ReplyWatch, now: DateTime<Utc>) -> String {
    let pages: Vec<String> = watch
        .items
        .iter()
        .map(|item| {
            let status = match item.last_status {
                Some(410) => "410 Gone",
                _ => "404 Not Found",
            };
            let days = item
                .missing_since
                .map(|s| now.signed_duration_since(s))
                .unwrap_or_default();
            format!(
                "{} answered {status} on {} visits in a row over {}",
                item.url.as_deref().unwrap_or(item.item_id.as_str()),
                item.consecutive_missing,
                span(days)
            )
        })
        .collect();
    format!(
        "the portal no longer serves the reply: {}",
        pages.join("; ")
    )
}

/// A span for people: days, hours, or minutes.
fn span(d: chrono::Duration) -> String {
    if d.num_days() >= 1 {
        format!("{} days", d.num_days())
    } else if d.num_hours() >= 1 {
        format!("{} hours", d.num_hours())
    } else {
        format!("{} minutes", d.num_minutes().max(0))
    }
}

/// The change to record for `watch` at `now`, with its event built from the
/// reply's current `record`: the whole decision, as the store's transaction
/// calls it on fresh evidence.
pub fn decide_status(
    watch: &ReplyWatch,
    record: &Reply,
    policy: &WithdrawalPolicy,
    now: DateTime<Utc>,
) -> Option<ReplyStatusChange> {
    match verdict(watch, policy, now)? {
        Verdict::Withdraw(reason) => {
            let event =
                ReplyEvent::withdrawn(record.clone(), reason.clone(), watch.withdrawals, now);
            Some(ReplyStatusChange::Withdrawn {
                reason,
                event: outbox(&event, now),
            })
        }
        Verdict::Restore => {
            let event = ReplyEvent::restored(record.clone(), watch.withdrawals, now);
            Some(ReplyStatusChange::Restored {
                event: outbox(&event, now),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap()
    }

    fn hours(n: i64) -> chrono::Duration {
        chrono::Duration::hours(n)
    }

    fn policy() -> WithdrawalPolicy {
        WithdrawalPolicy {
            after_misses: 3,
            grace: Duration::from_secs(48 * 3600),
        }
    }

    fn item(id: &str, status: u16, misses: u32, since: Option<DateTime<Utc>>) -> ItemEvidence {
        ItemEvidence {
            portal: "shpt".into(),
            item_id: id.into(),
            crawled: true,
            url: Some(format!("http://p/{id}.html")),
            last_status: Some(status),
            consecutive_missing: misses,
            missing_since: since,
            last_fetched_at: Some(t0() - hours(100)),
        }
    }

    fn watch(items: Vec<ItemEvidence>, withdrawn: bool) -> ReplyWatch {
        ReplyWatch {
            reply_id: "shpt:普府〔2022〕55号".into(),
            portal: "shpt".into(),
            withdrawn_at: withdrawn.then(t0),
            withdrawn_reason: withdrawn.then(|| "gone".into()),
            withdrawals: u32::from(withdrawn),
            items,
        }
    }

    fn real() -> Reply {
        let mut r: Reply = serde_json::from_str(include_str!(
            "../../../corpus/putuo-pufu-2022-55.expected.json"
        ))
        .unwrap();
        r.version = 1;
        r.content_sha256 = r.compute_content_sha256();
        r
    }

    #[test]
    fn enough_404s_over_the_grace_period_withdraw_the_reply() {
        let w = watch(vec![item("1", 404, 3, Some(t0()))], false);
        let now = t0() + hours(48);
        match verdict(&w, &policy(), now) {
            Some(Verdict::Withdraw(reason)) => {
                assert!(reason.contains("404 Not Found"), "{reason}");
                assert!(reason.contains("3 visits"), "{reason}");
                assert!(reason.contains("http://p/1.html"), "{reason}");
            }
            other => panic!("expected a withdrawal, got {other:?}"),
        }
    }

    #[test]
    fn a_410_counts_like_a_404() {
        let w = watch(vec![item("1", 410, 3, Some(t0()))], false);
        assert!(matches!(
            verdict(&w, &policy(), t0() + hours(49)),
            Some(Verdict::Withdraw(r)) if r.contains("410 Gone")
        ));
    }

    #[test]
    fn misses_within_the_grace_period_withdraw_nothing() {
        let w = watch(vec![item("1", 404, 10, Some(t0()))], false);
        assert_eq!(verdict(&w, &policy(), t0() + hours(47)), None);
    }

    #[test]
    fn too_few_misses_withdraw_nothing_however_long_ago() {
        let w = watch(vec![item("1", 404, 2, Some(t0()))], false);
        assert_eq!(verdict(&w, &policy(), t0() + hours(24 * 30)), None);
    }

    #[test]
    fn a_server_error_on_the_last_visit_never_withdraws() {
        for status in [500, 502, 503, 504, 403, 429] {
            let w = watch(vec![item("1", status, 5, Some(t0()))], false);
            assert_eq!(
                verdict(&w, &policy(), t0() + hours(24 * 30)),
                None,
                "status {status}"
            );
        }
    }

    #[test]
    fn a_miss_run_not_yet_seen_by_the_sweep_withdraws_nothing() {
        let w = watch(vec![item("1", 404, 5, None)], false);
        assert_eq!(verdict(&w, &policy(), t0() + hours(24 * 30)), None);
    }

    #[test]
    fn a_reply_still_served_at_another_url_is_not_withdrawn() {
        let w = watch(
            vec![item("1", 404, 5, Some(t0())), item("2", 200, 0, None)],
            false,
        );
        assert_eq!(verdict(&w, &policy(), t0() + hours(24 * 30)), None);
        let both_gone = watch(
            vec![item("1", 404, 5, Some(t0())), item("2", 410, 3, Some(t0()))],
            false,
        );
        assert!(matches!(
            verdict(&both_gone, &policy(), t0() + hours(48)),
            Some(Verdict::Withdraw(_))
        ));
    }

    #[test]
    fn an_item_the_crawler_does_not_know_is_no_evidence() {
        let mut unknown = item("1", 404, 5, Some(t0()));
        unknown.crawled = false;
        let w = watch(vec![unknown], false);
        assert_eq!(verdict(&w, &policy(), t0() + hours(24 * 30)), None);
    }

    #[test]
    fn a_withdrawn_reply_served_again_is_restored() {
        let w = watch(vec![item("1", 200, 0, None)], true);
        assert_eq!(verdict(&w, &policy(), t0()), Some(Verdict::Restore));
        let not_modified = watch(vec![item("1", 304, 0, None)], true);
        assert_eq!(
            verdict(&not_modified, &policy(), t0()),
            Some(Verdict::Restore)
        );
    }

    #[test]
    fn a_withdrawn_reply_still_gone_or_failing_stays_withdrawn() {
        let gone = watch(vec![item("1", 404, 7, Some(t0()))], true);
        assert_eq!(verdict(&gone, &policy(), t0() + hours(100)), None);
        // A 5xx after the run leaves the count in place: not served.
        let failing = watch(vec![item("1", 503, 7, Some(t0()))], true);
        assert_eq!(verdict(&failing, &policy(), t0() + hours(100)), None);
    }

    #[test]
    fn the_withdrawn_event_carries_the_last_record_and_the_reason() {
        let record = real();
        let w = watch(vec![item("1", 404, 3, Some(t0()))], false);
        let now = t0() + hours(48);
        let change = decide_status(&w, &record, &policy(), now).expect("a withdrawal");
        let ReplyStatusChange::Withdrawn { reason, event } = &change else {
            panic!("expected a withdrawal, got {change:?}");
        };
        assert_eq!(event.event_type, "govwire.reply.withdrawn");
        assert_eq!(event.routing_key, "shpt.reply.withdrawn");
        let body: serde_json::Value = serde_json::from_slice(&event.body).unwrap();
        assert_eq!(body["data"]["reason"], reason.as_str());
        assert_eq!(body["data"]["reply"]["id"], record.id.as_str());
        assert_eq!(body["data"]["reply"]["version"], 1);
        assert_eq!(body["subject"], record.id.as_str());

        // Deciding again on the same evidence gives the same event id; the
        // restoration and a second withdrawal get their own.
        let again = decide_status(&w, &record, &policy(), now + hours(1)).unwrap();
        assert_eq!(again.event().event_id, event.event_id);
        let mut withdrawn = watch(vec![item("1", 200, 0, None)], true);
        let restored = decide_status(&withdrawn, &record, &policy(), now).unwrap();
        assert_eq!(restored.event().event_type, "govwire.reply.restored");
        assert_ne!(restored.event().event_id, event.event_id);
        withdrawn.withdrawn_at = None;
        withdrawn.items = vec![item("1", 404, 3, Some(t0()))];
        let second = decide_status(&withdrawn, &record, &policy(), now).unwrap();
        assert_ne!(second.event().event_id, event.event_id, "second withdrawal");
    }
}
