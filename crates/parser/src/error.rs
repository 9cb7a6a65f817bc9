//! Why a page could not be turned into a record.

/// Why a page could not be turned into a record. Every variant means the same
/// page will fail the same way again: retrying does not help, a person has to
/// look (at the page or at the profile).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The page has no bytes, or only whitespace.
    #[error("the page is empty")]
    Empty,
    /// The bytes are not text in any encoding govwire can recognise (an
    /// image or archive served in place of a page).
    #[error("the page cannot be decoded as text: {reason}")]
    Undecodable {
        /// What made the bytes unreadable.
        reason: String,
    },
    /// The HTML is built as no portal page is (elements nested thousands of
    /// levels deep), and reading it would take unbounded time.
    #[error("the page's HTML is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// A selector in the portal profile's `detail` section does not parse.
    #[error("the profile's selector `{selector}` is invalid: {reason}")]
    InvalidSelector {
        /// The selector as written in the profile.
        selector: String,
        /// The selector parser's complaint.
        reason: String,
    },
    /// The page looks like a reply but lacks something no record can do
    /// without (its title, its body, an identity).
    #[error("the page looks like a reply but has no {field}: {reason}")]
    MissingRequiredField {
        /// The record field that is missing (`title`, `body`, `id`).
        field: &'static str,
        /// What was looked for and where.
        reason: String,
    },
}
