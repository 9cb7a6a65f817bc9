//! The `[notifier]` section of `govwire.toml`: the keys as the operator
//! writes them, their defaults and their checks, and the
//! [`NotifierSettings`] the daemon runs with, made from them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::health::HealthPolicy;
use crate::service::NotifierSettings;
use crate::sweep::SweepSettings;
use crate::withdraw::WithdrawalPolicy;

/// The `[notifier]` section of `govwire.toml` (seconds in `_secs` keys,
/// milliseconds in `_ms` keys). Every key has a default, the value the
/// shipped file documents; the defaults of [`NotifierSettings`],
/// [`SweepSettings`], [`WithdrawalPolicy`] and [`HealthPolicy`] come from
/// here. [`NotifierConfig::settings`] turns it into what the daemon runs
/// with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifierConfig {
    /// Time between outbox sweeps when no decision triggers one sooner
    /// (milliseconds, at least 10): [`NotifierSettings::outbox_interval`].
    /// Default one second.
    pub outbox_interval_ms: u64,
    /// Time between sweeps for withdrawals, restorations and section health
    /// (seconds): [`SweepSettings::interval`]. Default one minute.
    pub sweep_interval_secs: u64,
    /// Visits in a row that must find a reply's page gone (404/410) before
    /// the reply is withdrawn: [`WithdrawalPolicy::after_misses`]. Default 3.
    pub withdraw_after_misses: u32,
    /// How long a reply's page must have been missing, from the first miss
    /// a sweep saw, before the reply is withdrawn (seconds):
    /// [`WithdrawalPolicy::grace`]. Default two days.
    pub withdraw_grace_secs: u64,
    /// Polls in a row that find a section's list empty, after it listed
    /// entries before, that make the section degraded:
    /// [`HealthPolicy::empty_polls`]. Default 3.
    pub degraded_after_empty_polls: u32,
    /// Polls in a row that fail that make a section degraded:
    /// [`HealthPolicy::failed_polls`]. Default 5.
    pub degraded_after_failed_polls: u32,
    /// How long a section's polls may keep failing, from the first failure,
    /// before it is degraded however few polls that was (seconds):
    /// [`HealthPolicy::failing_for`]. Default 30 minutes.
    pub degraded_after_failing_secs: u64,
    /// Pages in a row of a section that fail to parse that make the section
    /// degraded: [`HealthPolicy::parse_failures`]. Default 5.
    pub degraded_after_parse_failures: u32,
}

impl Default for NotifierConfig {
    /// An outbox sweep a second, a sweep a minute; a withdrawal after three
    /// misses over two days; a section degraded after three empty polls,
    /// five failed polls or thirty minutes of them, or five unparsable
    /// pages.
    fn default() -> Self {
        Self {
            outbox_interval_ms: 1000,
            sweep_interval_secs: 60,
            withdraw_after_misses: 3,
            withdraw_grace_secs: 2 * 24 * 3600,
            degraded_after_empty_polls: 3,
            degraded_after_failed_polls: 5,
            degraded_after_failing_secs: 30 * 60,
            degraded_after_parse_failures: 5,
        }
    }
}

impl NotifierConfig {
    /// The settings as the daemon takes them. An outbox interval under 10 ms
    /// is taken as 10 ms, a sweep interval of zero as one second.
    pub fn settings(&self) -> NotifierSettings {
        NotifierSettings {
            outbox_interval: Duration::from_millis(self.outbox_interval_ms.max(10)),
            sweep: SweepSettings {
                interval: Duration::from_secs(self.sweep_interval_secs.max(1)),
                withdrawal: WithdrawalPolicy {
                    after_misses: self.withdraw_after_misses,
                    grace: Duration::from_secs(self.withdraw_grace_secs),
                },
                health: HealthPolicy {
                    empty_polls: self.degraded_after_empty_polls,
                    failed_polls: self.degraded_after_failed_polls,
                    failing_for: Duration::from_secs(self.degraded_after_failing_secs),
                    parse_failures: self.degraded_after_parse_failures,
                },
            },
        }
    }

    /// Checks what serde cannot: thresholds and intervals of zero. The
    /// error names the key as `notifier.<key>`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, value) in [
            ("notifier.sweep_interval_secs", self.sweep_interval_secs),
            (
                "notifier.withdraw_after_misses",
                u64::from(self.withdraw_after_misses),
            ),
            (
                "notifier.degraded_after_empty_polls",
                u64::from(self.degraded_after_empty_polls),
            ),
            (
                "notifier.degraded_after_failed_polls",
                u64::from(self.degraded_after_failed_polls),
            ),
            (
                "notifier.degraded_after_failing_secs",
                self.degraded_after_failing_secs,
            ),
            (
                "notifier.degraded_after_parse_failures",
                u64::from(self.degraded_after_parse_failures),
            ),
        ] {
            if value == 0 {
                return Err(ConfigError {
                    key,
                    message: "must be at least 1".into(),
                });
            }
        }
        Ok(())
    }
}

/// A configuration value that cannot be run with, naming its key.
pub use govwire_model::settings::ConfigError;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_runtime_defaults_are_the_configuration_defaults() {
        let settings = NotifierConfig::default().settings();
        assert_eq!(settings.outbox_interval, Duration::from_secs(1));
        assert_eq!(settings.sweep.interval, Duration::from_secs(60));
        assert_eq!(settings.sweep.withdrawal.after_misses, 3);
        assert_eq!(
            settings.sweep.withdrawal.grace,
            Duration::from_secs(172_800)
        );
        assert_eq!(settings.sweep, SweepSettings::default());
        assert_eq!(settings.sweep.health, HealthPolicy::default());
        assert_eq!(settings.sweep.withdrawal, WithdrawalPolicy::default());
    }

    #[test]
    fn a_threshold_of_zero_is_refused_naming_the_key() {
        let config = NotifierConfig {
            degraded_after_parse_failures: 0,
            ..NotifierConfig::default()
        };
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("configuration key `notifier.degraded_after_parse_failures`"),
            "{err}"
        );
        assert!(NotifierConfig::default().validate().is_ok());
    }
}
