//! Pacing for loops that keep failing: [`Backoff`] spaces the attempts,
//! [`LogThrottle`] decides which failures are logged. A persistent failure
//! (a read-only store, a full disk) is then logged once, then at most once a
//! minute with a count, and retried with a wait that grows to a cap: never a
//! tight loop, never a flood of identical lines.
//!
//! Both are plain state on [`tokio::time::Instant`]; neither sleeps nor
//! logs, so the caller keeps its own `select!` (cancellation) and its own
//! log fields.

use std::time::Duration;

use tokio::time::Instant;

/// The period of [`LogThrottle::default`]: one line a minute is enough to
/// show an operator that a failure persists, and few enough to keep the log
/// readable through an outage of hours.
pub const LOG_EVERY: Duration = Duration::from_secs(60);

/// Capped exponential backoff: `base`, `2 × base`, `4 × base`, … up to
/// `cap`, and back to `base` after [`Backoff::reset`].
#[derive(Debug, Clone)]
pub struct Backoff {
    /// The first wait.
    base: Duration,
    /// The longest wait.
    cap: Duration,
    /// The wait [`Backoff::next_wait`] returns next.
    next: Duration,
}

impl Backoff {
    /// A backoff from `base` up to `cap` (`cap` is raised to `base` if it is
    /// smaller).
    pub fn new(base: Duration, cap: Duration) -> Backoff {
        Backoff {
            base,
            cap: cap.max(base),
            next: base,
        }
    }

    /// The wait before the next attempt after one more failure.
    pub fn next_wait(&mut self) -> Duration {
        let wait = self.next;
        self.next = self.next.saturating_mul(2).min(self.cap);
        wait
    }

    /// Starts again from `base`: the last attempt succeeded.
    pub fn reset(&mut self) {
        self.next = self.base;
    }
}

/// Decides when a repeated failure is logged: the first at once, then at
/// most one line per period with the number of failures since the previous
/// line. A success after a logged failure is reported once (with the
/// failures not logged yet), so an operator sees the trouble end.
///
/// Success does not open a new period: a failure that comes back within a
/// period of the last line waits for the period to end (or for the next
/// recovery line) to be counted, so a flapping fault is held to the same
/// budget as a steady one.
#[derive(Debug, Clone)]
pub struct LogThrottle {
    /// Shortest time between two failure lines.
    every: Duration,
    /// When the last failure line was allowed.
    last_line: Option<Instant>,
    /// Failures since the last line.
    unlogged: u64,
    /// Whether a failure line was written since the last success, so the
    /// success is worth a line.
    in_trouble: bool,
}

impl Default for LogThrottle {
    /// One line per [`LOG_EVERY`].
    fn default() -> Self {
        LogThrottle::new(LOG_EVERY)
    }
}

impl LogThrottle {
    /// A throttle allowing one failure line per `every`.
    pub fn new(every: Duration) -> LogThrottle {
        LogThrottle {
            every,
            last_line: None,
            unlogged: 0,
            in_trouble: false,
        }
    }

    /// Counts one failure. `Some(n)` when it should be logged now, `n`
    /// being the failures since the previous line, this one included.
    pub fn failure(&mut self) -> Option<u64> {
        self.unlogged += 1;
        let now = Instant::now();
        if self
            .last_line
            .is_some_and(|last| now.duration_since(last) < self.every)
        {
            return None;
        }
        self.last_line = Some(now);
        self.in_trouble = true;
        Some(std::mem::take(&mut self.unlogged))
    }

    /// Counts one success. `Some(n)` when it ends a run of failures that was
    /// logged, `n` being the failures not logged yet; `None` otherwise.
    pub fn success(&mut self) -> Option<u64> {
        if !std::mem::take(&mut self.in_trouble) {
            return None;
        }
        Some(std::mem::take(&mut self.unlogged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap_and_starts_again_after_a_reset() {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(3));
        let waits: Vec<u128> = (0..5).map(|_| backoff.next_wait().as_millis()).collect();
        assert_eq!(waits, [500, 1000, 2000, 3000, 3000]);
        backoff.reset();
        assert_eq!(backoff.next_wait(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failure_every_10_ms_for_three_minutes_is_logged_four_times_with_counts() {
        let mut throttle = LogThrottle::default();
        let mut lines = Vec::new();
        let start = Instant::now();
        while start.elapsed() <= Duration::from_secs(180) {
            if let Some(n) = throttle.failure() {
                lines.push((start.elapsed().as_secs(), n));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // Once at once, then once a minute, each with the failures since the
        // line before: 6000 failures a minute.
        assert_eq!(lines, [(0, 1), (60, 6000), (120, 6000), (180, 6000)]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_recovery_is_reported_once_with_the_failures_not_yet_logged() {
        let mut throttle = LogThrottle::default();
        assert_eq!(throttle.failure(), Some(1));
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(throttle.failure(), None);
        assert_eq!(throttle.failure(), None);
        assert_eq!(throttle.success(), Some(2));
        assert_eq!(throttle.success(), None, "reported once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_flapping_failure_is_held_to_one_line_a_minute() {
        let mut throttle = LogThrottle::default();
        let mut lines = 0;
        for _ in 0..600 {
            lines += u32::from(throttle.failure().is_some());
            lines += u32::from(throttle.success().is_some());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // A minute: the first failure and its recovery, then nothing until
        // the minute is over.
        assert_eq!(lines, 2);
    }
}
