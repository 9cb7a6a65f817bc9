//! When a portal section is degraded, and when it has recovered: pure rules
//! over the counts the crawler and the parser stage keep in the store, with
//! the clock passed in.
//!
//! A section is degraded when it listed entries before and now lists none
//! for several polls (the portal changed its layout or moved the column),
//! when every one of its last pages failed to parse (the page layout
//! changed), or when its polls keep failing (the portal is down or blocks
//! us). It has recovered when none of these holds any longer. An operator
//! hears of it through `govwire.portal.degraded` / `recovered` before a week
//! of replies is missed.

use chrono::{DateTime, SecondsFormat, Utc};
use govwire_model::event::PortalEvent;
use govwire_model::text::span_in_words;
use govwire_store::{HealthChange, SectionHealth};

use crate::decide::outbox;

/// How much trouble makes a section degraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthPolicy {
    /// Polls in a row that read an empty list, in a section that listed
    /// entries before.
    pub empty_polls: u32,
    /// Polls in a row that failed.
    pub failed_polls: u32,
    /// How long polls may keep failing, from the first failure of the run:
    /// past it the section is degraded however few polls that was (a
    /// section polled every few hours is not left failing for a day).
    pub failing_for: std::time::Duration,
    /// Pages in a row of the section that failed to parse.
    pub parse_failures: u32,
}

impl Default for HealthPolicy {
    /// The defaults of the `[notifier]` section ([`crate::NotifierConfig`]).
    fn default() -> Self {
        crate::NotifierConfig::default().settings().sweep.health
    }
}

/// What is wrong with the section at `now`, if anything: every rule that
/// holds, in words for an operator.
pub fn problems(
    health: &SectionHealth,
    policy: &HealthPolicy,
    now: DateTime<Utc>,
) -> Option<String> {
    let mut found = Vec::new();
    if let Some(last) = health.last_nonempty_at {
        if health.empty_polls >= policy.empty_polls.max(1) {
            found.push(format!(
                "the list showed no entries on the last {} polls, though it listed entries until {}",
                health.empty_polls,
                last.to_rfc3339_opts(SecondsFormat::Secs, true)
            ));
        }
    }
    let failing_for = health
        .failing_since
        .filter(|_| health.failed_polls > 0)
        .map(|since| (now - since).to_std().unwrap_or_default());
    let by_count = health.failed_polls >= policy.failed_polls.max(1);
    let by_time = failing_for.is_some_and(|span| span >= policy.failing_for);
    if by_count || by_time {
        let polls = match health.failed_polls {
            1 => "the last poll failed".to_owned(),
            n => format!("the last {n} polls failed"),
        };
        let span = failing_for
            .map(|span| format!(", over {}", span_in_words(span)))
            .unwrap_or_default();
        found.push(format!(
            "{polls}{span} ({})",
            health.last_error.as_deref().unwrap_or("no cause recorded")
        ));
    }
    if health.parse_failures >= policy.parse_failures.max(1) {
        found.push(format!(
            "the last {} pages fetched failed to parse",
            health.parse_failures
        ));
    }
    (!found.is_empty()).then(|| found.join("; "))
}

/// The change to record for the section at `now`, with its event: degraded
/// when a problem appears in a healthy section, recovered when a degraded
/// one has none left. The whole decision, as the store's transaction calls
/// it on the fresh row.
pub fn decide_health(
    health: &SectionHealth,
    policy: &HealthPolicy,
    now: DateTime<Utc>,
) -> Option<HealthChange> {
    match (problems(health, policy, now), health.is_degraded()) {
        (Some(reason), false) => {
            let event = PortalEvent::degraded(
                &health.portal,
                &health.section,
                reason.clone(),
                health.degradations,
                now,
            );
            Some(HealthChange::Degraded {
                reason,
                event: outbox(&event, now),
            })
        }
        (None, true) => {
            let reason = format!(
                "the section behaves again; it was degraded because {}",
                health
                    .degraded_reason
                    .as_deref()
                    .unwrap_or("of an unrecorded problem")
            );
            let event = PortalEvent::recovered(
                &health.portal,
                &health.section,
                reason,
                health.degradations,
                now,
            );
            Some(HealthChange::Recovered {
                event: outbox(&event, now),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 7, 8, 0, 0).unwrap()
    }

    fn healthy() -> SectionHealth {
        SectionHealth {
            portal: "shpt".into(),
            section: "3".into(),
            last_poll_at: Some(t0()),
            polls: 10,
            last_listed: Some(15),
            last_nonempty_at: Some(t0()),
            empty_polls: 0,
            failed_polls: 0,
            failing_since: None,
            last_error: None,
            last_parse_at: Some(t0()),
            parse_failures: 0,
            degraded_at: None,
            degraded_reason: None,
            degradations: 0,
        }
    }

    fn policy() -> HealthPolicy {
        HealthPolicy {
            empty_polls: 3,
            failed_polls: 5,
            failing_for: std::time::Duration::from_secs(30 * 60),
            parse_failures: 4,
        }
    }

    fn body(change: &HealthChange) -> serde_json::Value {
        serde_json::from_slice(&change.event().body).unwrap()
    }

    #[test]
    fn a_healthy_section_gives_nothing() {
        assert_eq!(decide_health(&healthy(), &policy(), t0()), None);
    }

    #[test]
    fn a_section_that_stops_listing_is_degraded_after_enough_empty_polls() {
        let mut h = healthy();
        h.last_listed = Some(0);
        h.empty_polls = 2;
        assert_eq!(decide_health(&h, &policy(), t0()), None, "two empty polls");
        h.empty_polls = 3;
        let change = decide_health(&h, &policy(), t0()).expect("degraded");
        let HealthChange::Degraded { reason, event } = &change else {
            panic!("expected degraded, got {change:?}");
        };
        assert!(
            reason.contains("no entries on the last 3 polls"),
            "{reason}"
        );
        assert_eq!(event.event_type, "govwire.portal.degraded");
        assert_eq!(event.routing_key, "shpt.portal.degraded");
        let body = body(&change);
        assert_eq!(body["subject"], "3");
        assert_eq!(body["data"]["section"], "3");
        assert_eq!(body["data"]["portal"], "shpt");
        assert_eq!(body["data"]["reason"], reason.as_str());
    }

    #[test]
    fn a_section_that_never_listed_anything_is_not_degraded_for_being_empty() {
        let mut h = healthy();
        h.last_nonempty_at = None;
        h.last_listed = Some(0);
        h.empty_polls = 50;
        assert_eq!(decide_health(&h, &policy(), t0()), None);
    }

    #[test]
    fn polls_that_keep_failing_degrade_the_section_naming_the_cause() {
        let mut h = healthy();
        h.failed_polls = 5;
        h.last_error = Some("HTTP 503 from the list API".into());
        let change = decide_health(&h, &policy(), t0()).expect("degraded");
        let HealthChange::Degraded { reason, .. } = change else {
            panic!("expected degraded");
        };
        assert!(reason.contains("last 5 polls failed"), "{reason}");
        assert!(reason.contains("HTTP 503"), "{reason}");
    }

    #[test]
    fn polls_failing_long_enough_degrade_the_section_however_few_they_were() {
        let mut h = healthy();
        h.failed_polls = 2;
        h.failing_since = Some(t0());
        h.last_error =
            Some("http://portal/robots.txt is unreachable: the connection was refused".into());
        let soon = t0() + chrono::Duration::minutes(29);
        assert_eq!(
            decide_health(&h, &policy(), soon),
            None,
            "29 minutes of failures"
        );
        let later = t0() + chrono::Duration::minutes(31);
        let change = decide_health(&h, &policy(), later).expect("degraded after 30 minutes");
        let HealthChange::Degraded { reason, .. } = change else {
            panic!("expected degraded");
        };
        assert_eq!(
            reason,
            "the last 2 polls failed, over 31 minutes \
             (http://portal/robots.txt is unreachable: the connection was refused)"
        );
        // A section whose polls succeed again has no failing span.
        h.failed_polls = 0;
        assert_eq!(decide_health(&h, &policy(), later), None);
    }

    #[test]
    fn pages_that_all_fail_to_parse_degrade_the_section() {
        let mut h = healthy();
        h.parse_failures = 3;
        assert_eq!(decide_health(&h, &policy(), t0()), None);
        h.parse_failures = 4;
        assert!(matches!(
            decide_health(&h, &policy(), t0()),
            Some(HealthChange::Degraded { reason, .. }) if reason.contains("4 pages")
        ));
    }

    #[test]
    fn a_degraded_section_is_announced_once_and_recovers_when_it_heals() {
        let mut h = healthy();
        h.empty_polls = 4;
        h.degraded_at = Some(t0());
        h.degraded_reason = Some("the list showed no entries".into());
        h.degradations = 1;
        assert_eq!(
            decide_health(&h, &policy(), t0()),
            None,
            "still degraded: nothing new"
        );
        h.empty_polls = 0;
        let change = decide_health(&h, &policy(), t0()).expect("recovered");
        assert!(matches!(change, HealthChange::Recovered { .. }));
        assert_eq!(change.event().event_type, "govwire.portal.recovered");
        assert!(body(&change)["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("no entries"));
    }

    #[test]
    fn each_degradation_of_a_section_has_its_own_event_id() {
        let mut first = healthy();
        first.empty_polls = 3;
        let mut second = first.clone();
        second.degradations = 1;
        let a = decide_health(&first, &policy(), t0()).unwrap();
        let a_again = decide_health(&first, &policy(), t0() + chrono::Duration::hours(1)).unwrap();
        let b = decide_health(&second, &policy(), t0()).unwrap();
        assert_eq!(a.event().event_id, a_again.event().event_id);
        assert_ne!(a.event().event_id, b.event().event_id);
    }
}
