//! Chinese labels for the record's vocabularies, as govwire's pages show
//! them to readers (the analytics report, the archive's pages).
//!
//! Each vocabulary has a typed label (an exhaustive match, so a value added
//! to the model fails to compile until it has a label), the list of its
//! values in the order a form offers them, and a label by serde name (what
//! aggregates, query strings and JSON carry), which shows a name the model
//! does not know (from a newer record) as it is.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::{HandlingCategory, Level, ProposalKind, ReplyKind};

/// Every handling-result category, from the most to the least favourable.
pub const HANDLING_CATEGORIES: [HandlingCategory; 5] = [
    HandlingCategory::Adopted,
    HandlingCategory::PartiallyAdopted,
    HandlingCategory::Planned,
    HandlingCategory::ForReference,
    HandlingCategory::CannotSolve,
];

/// Every reply kind.
pub const REPLY_KINDS: [ReplyKind; 3] = [
    ReplyKind::Answer,
    ReplyKind::CoHandlingOpinion,
    ReplyKind::FollowUp,
];

/// Every proposal kind.
pub const PROPOSAL_KINDS: [ProposalKind; 2] =
    [ProposalKind::DeputySuggestion, ProposalKind::MemberProposal];

/// Every level.
pub const LEVELS: [Level; 2] = [Level::Municipal, Level::District];

/// 解决采纳, 部分采纳, 列入计划解决, 留作参考, 因条件限制无法解决.
pub fn handling_category(category: HandlingCategory) -> &'static str {
    match category {
        HandlingCategory::Adopted => "解决采纳",
        HandlingCategory::PartiallyAdopted => "部分采纳",
        HandlingCategory::Planned => "列入计划解决",
        HandlingCategory::ForReference => "留作参考",
        HandlingCategory::CannotSolve => "因条件限制无法解决",
    }
}

/// 答复, 会办意见, 再次答复（跟踪办理）.
pub fn reply_kind(kind: ReplyKind) -> &'static str {
    match kind {
        ReplyKind::Answer => "答复",
        ReplyKind::CoHandlingOpinion => "会办意见",
        ReplyKind::FollowUp => "再次答复（跟踪办理）",
    }
}

/// 人大代表建议, 政协委员提案.
pub fn proposal_kind(kind: ProposalKind) -> &'static str {
    match kind {
        ProposalKind::DeputySuggestion => "人大代表建议",
        ProposalKind::MemberProposal => "政协委员提案",
    }
}

/// 市级, 区级.
pub fn level(level: Level) -> &'static str {
    match level {
        Level::Municipal => "市级",
        Level::District => "区级",
    }
}

/// The serde name of a vocabulary value (`adopted`, `member_proposal`), as
/// records, aggregates and query strings carry it.
pub fn key<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => unreachable!("the vocabularies serialize as their names"),
    }
}

/// The vocabulary value named `key`, if the model knows it.
fn parse<T: DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.to_string())).ok()
}

/// The label of the handling-result category named `key`; an unknown name
/// as it is.
pub fn result_label(key: &str) -> &str {
    match parse(key) {
        Some(value) => handling_category(value),
        None => key,
    }
}

/// The label of the reply kind named `key`; an unknown name as it is.
pub fn reply_kind_label(key: &str) -> &str {
    match parse(key) {
        Some(value) => reply_kind(value),
        None => key,
    }
}

/// The label of the proposal kind named `key`; an unknown name as it is.
pub fn proposal_kind_label(key: &str) -> &str {
    match parse(key) {
        Some(value) => proposal_kind(value),
        None => key,
    }
}

/// The label of the level named `key`; an unknown name as it is.
pub fn level_label(key: &str) -> &str {
    match parse(key) {
        Some(value) => level(value),
        None => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_of_the_vocabularies_has_a_chinese_label_found_by_its_name() {
        for c in HANDLING_CATEGORIES {
            assert_eq!(result_label(&key(c)), handling_category(c));
            assert!(!handling_category(c).is_ascii());
        }
        for k in REPLY_KINDS {
            assert_eq!(reply_kind_label(&key(k)), reply_kind(k));
            assert!(!reply_kind(k).is_ascii());
        }
        for k in PROPOSAL_KINDS {
            assert_eq!(proposal_kind_label(&key(k)), proposal_kind(k));
            assert!(!proposal_kind(k).is_ascii());
        }
        for l in LEVELS {
            assert_eq!(level_label(&key(l)), level(l));
            assert!(!level(l).is_ascii());
        }
        assert_eq!(result_label("adopted"), "解决采纳");
        assert_eq!(reply_kind_label("co_handling_opinion"), "会办意见");
        assert_eq!(proposal_kind_label("member_proposal"), "政协委员提案");
        assert_eq!(level_label("district"), "区级");
    }

    #[test]
    fn a_name_the_model_does_not_know_is_shown_as_it_is() {
        assert_eq!(result_label("newer_value"), "newer_value");
        assert_eq!(level_label(""), "");
    }
}
