//! The crate's error type.

use std::path::PathBuf;

/// Why a corpus could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// A spec file is not valid TOML of the spec's shape.
    #[error("corpus spec `{file}` is malformed: {source}")]
    Spec {
        /// The spec file.
        file: String,
        /// What the TOML reader said.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A spec references a file the corpus does not hold.
    #[error("corpus spec `{file}` references `{reference}`, which does not exist")]
    MissingReference {
        /// The spec file.
        file: String,
        /// The reference as written.
        reference: String,
    },
    /// A referenced golden record is not a valid reply record.
    #[error("golden record `{reference}` (referenced by `{file}`) is malformed: {source}")]
    Golden {
        /// The spec file.
        file: String,
        /// The golden file as referenced.
        reference: String,
        /// What the JSON reader said.
        #[source]
        source: serde_json::Error,
    },
    /// A document disagrees with itself or with the contract's rules.
    #[error("corpus spec `{file}` (item {item_id}) is inconsistent: {}", problems.join("; "))]
    Invalid {
        /// The spec file.
        file: String,
        /// The document's item id.
        item_id: String,
        /// Every problem found.
        problems: Vec<String>,
    },
    /// Two documents share an item id.
    #[error("item id {item_id} appears in both `{first}` and `{second}`")]
    DuplicateItem {
        /// The shared id.
        item_id: String,
        /// The first spec holding it.
        first: String,
        /// The second spec holding it.
        second: String,
    },
    /// A corpus directory or file could not be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}
