//! What every crate's section of `config/govwire.toml` reports when one of
//! its values cannot be run with. Each crate owns its section's type, its
//! defaults and its checks; they share this one error, so every refusal
//! reads alike and names the key as the operator writes it.

/// A configuration value a crate cannot run with: the key (`section.key`)
/// and what is wrong with its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration key `{key}`: {message}")]
pub struct ConfigError {
    /// The key, as `<section>.<key>` (`crawler.revisit_batch`).
    pub key: &'static str,
    /// What is wrong with its value.
    pub message: String,
}
