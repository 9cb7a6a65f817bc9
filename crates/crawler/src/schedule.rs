//! When a known item is looked at again: revisits that adapt to how young
//! the item is and how lately it changed. A reply published last week, or
//! edited yesterday, is likelier to change again than one untouched for a
//! year, so it is revisited more often; every item is still revisited at
//! least once per maximum interval, so a late edit or a withdrawal is
//! noticed within it. Pure: the clock is an argument.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};

/// Longest schedule step: a century is "never" for a crawler, and keeps
/// timestamps in the range every database stores.
const FAR_FUTURE: TimeDelta = TimeDelta::days(36_525);

/// The revisit interval is the item's quiet time (since it appeared or last
/// changed, whichever is later) divided by this: an item quiet for four days
/// is looked at again in a day. Not configurable: the bounds are what an
/// operator tunes; this only shapes the curve between them.
const QUIET_TIME_DIVISOR: u32 = 4;

/// China Standard Time is UTC+8: a list date is a day in Shanghai.
const CST_OFFSET_HOURS: i64 = 8;

/// The bounds of the revisit schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RevisitBounds {
    /// Shortest interval (a page that just appeared or changed).
    pub(crate) min: Duration,
    /// Longest interval (a page quiet for long).
    pub(crate) max: Duration,
}

impl RevisitBounds {
    /// Bounds with `min` capped at `max`.
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Self {
            min: min.min(max),
            max,
        }
    }
}

/// What the schedule knows of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ItemHistory {
    /// When the crawler first listed it.
    pub(crate) first_seen_at: DateTime<Utc>,
    /// Its publication date as listed, if known.
    pub(crate) published_on: Option<NaiveDate>,
    /// When its bytes last changed (or were first fetched).
    pub(crate) last_changed_at: Option<DateTime<Utc>>,
}

/// The interval until the next visit of an item seen at `now`.
pub(crate) fn revisit_interval(
    now: DateTime<Utc>,
    item: ItemHistory,
    bounds: RevisitBounds,
) -> Duration {
    // The latest sign of life: a change, else the publication, else the
    // first sighting (an item without a date, found by a backfill, is not
    // young just because we met it today — but we cannot know better).
    let published = item
        .published_on
        .map(|d| d.and_time(NaiveTime::MIN).and_utc() - TimeDelta::hours(CST_OFFSET_HOURS));
    let alive = match (item.last_changed_at, published) {
        (Some(changed), Some(published)) => changed.max(published),
        (Some(changed), None) => changed,
        (None, Some(published)) => published,
        (None, None) => item.first_seen_at,
    };
    let quiet = (now - alive).to_std().unwrap_or(Duration::ZERO);
    (quiet / QUIET_TIME_DIVISOR).clamp(bounds.min, bounds.max)
}

/// When an item seen at `now` is next due.
pub(crate) fn next_visit_at(
    now: DateTime<Utc>,
    item: ItemHistory,
    bounds: RevisitBounds,
) -> DateTime<Utc> {
    after(now, revisit_interval(now, item, bounds))
}

/// `now + d`, at most a century ahead.
pub(crate) fn after(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    let delta = TimeDelta::from_std(d).unwrap_or(FAR_FUTURE).min(FAR_FUTURE);
    now + delta
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const HOUR: Duration = Duration::from_secs(3600);
    const DAY: Duration = Duration::from_secs(24 * 3600);

    fn bounds() -> RevisitBounds {
        RevisitBounds::new(HOUR, 7 * DAY)
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 7, 20, 4, 0, 0).unwrap()
    }

    fn seen(days_ago: i64) -> DateTime<Utc> {
        now() - TimeDelta::days(days_ago)
    }

    #[test]
    fn a_page_that_just_changed_is_revisited_after_the_shortest_interval() {
        let item = ItemHistory {
            first_seen_at: seen(300),
            published_on: None,
            last_changed_at: Some(now()),
        };
        assert_eq!(revisit_interval(now(), item, bounds()), HOUR);
        assert_eq!(
            next_visit_at(now(), item, bounds()),
            now() + TimeDelta::hours(1)
        );
    }

    #[test]
    fn the_interval_grows_with_quiet_time_up_to_the_longest() {
        let changed = |days| ItemHistory {
            first_seen_at: seen(400),
            published_on: None,
            last_changed_at: Some(seen(days)),
        };
        assert_eq!(revisit_interval(now(), changed(4), bounds()), DAY);
        assert_eq!(revisit_interval(now(), changed(8), bounds()), 2 * DAY);
        assert_eq!(revisit_interval(now(), changed(365), bounds()), 7 * DAY);
        let mut last = Duration::ZERO;
        for days in 0..60 {
            let interval = revisit_interval(now(), changed(days), bounds());
            assert!(interval >= last, "never shorter for a quieter page");
            last = interval;
        }
    }

    #[test]
    fn a_recent_publication_date_counts_as_young_even_when_first_seen_long_ago() {
        let published = NaiveDate::from_ymd_opt(2026, 7, 18).unwrap();
        let item = ItemHistory {
            first_seen_at: seen(2),
            published_on: Some(published),
            last_changed_at: None,
        };
        // 2026-07-18 00:00 CST is 2026-07-17 16:00 UTC: 60 h before now.
        assert_eq!(revisit_interval(now(), item, bounds()), 15 * HOUR);
    }

    #[test]
    fn an_old_reply_backfilled_today_is_not_taken_for_a_young_one() {
        let item = ItemHistory {
            first_seen_at: now(),
            published_on: NaiveDate::from_ymd_opt(2019, 10, 14),
            last_changed_at: Some(now()),
        };
        // Its first fetch counts as a change: it is revisited soon after, then
        // less and less often as it stays quiet.
        assert_eq!(revisit_interval(now(), item, bounds()), HOUR);
        let later = now() + TimeDelta::days(20);
        assert_eq!(revisit_interval(later, item, bounds()), 5 * DAY);
    }

    #[test]
    fn bounds_are_ordered_and_a_zero_maximum_makes_everything_due_at_once() {
        let zero = RevisitBounds::new(HOUR, Duration::ZERO);
        assert_eq!(zero.min, Duration::ZERO);
        let item = ItemHistory {
            first_seen_at: seen(10),
            published_on: None,
            last_changed_at: None,
        };
        assert_eq!(revisit_interval(now(), item, zero), Duration::ZERO);
    }

    #[test]
    fn a_clock_that_went_backwards_gives_the_shortest_interval() {
        let item = ItemHistory {
            first_seen_at: now() + TimeDelta::days(1),
            published_on: None,
            last_changed_at: None,
        };
        assert_eq!(revisit_interval(now(), item, bounds()), HOUR);
    }

    #[test]
    fn far_future_instants_saturate() {
        let now = Utc::now();
        assert_eq!(after(now, Duration::from_secs(u64::MAX)), now + FAR_FUTURE);
        assert_eq!(after(now, Duration::ZERO), now);
    }
}
