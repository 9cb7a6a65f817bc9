//! Chinese labels for the record's vocabularies, as the report shows them.
//! Each label function reads the value's serde name (as the aggregates
//! carry it) back into the model's enumeration and matches on it, so a
//! value added to the model fails to compile here until it has a label. A
//! name the model does not know (from a newer record) is shown as it is.

use govwire_model::{HandlingCategory, Level, ProposalKind, ReplyKind};
use serde::de::DeserializeOwned;

/// The enumeration value named `key`, if the model knows it.
fn parse<T: DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(key.to_string())).ok()
}

/// A handling-result category: 解决采纳, 部分采纳, 列入计划解决, 留作参考,
/// 因条件限制无法解决; `None` (no result, or words outside the vocabulary):
/// 未注明或未识别.
pub fn result_label(key: Option<&str>) -> String {
    let Some(key) = key else {
        return "未注明或未识别".into();
    };
    match parse::<HandlingCategory>(key) {
        Some(HandlingCategory::Adopted) => "解决采纳".into(),
        Some(HandlingCategory::PartiallyAdopted) => "部分采纳".into(),
        Some(HandlingCategory::Planned) => "列入计划解决".into(),
        Some(HandlingCategory::ForReference) => "留作参考".into(),
        Some(HandlingCategory::CannotSolve) => "因条件限制无法解决".into(),
        None => key.to_string(),
    }
}

/// A reply kind: 答复, 会办意见, 再次答复（跟踪办理）; `None`: 未识别.
pub fn reply_kind_label(key: Option<&str>) -> String {
    let Some(key) = key else {
        return "未识别".into();
    };
    match parse::<ReplyKind>(key) {
        Some(ReplyKind::Answer) => "答复".into(),
        Some(ReplyKind::CoHandlingOpinion) => "会办意见".into(),
        Some(ReplyKind::FollowUp) => "再次答复（跟踪办理）".into(),
        None => key.to_string(),
    }
}

/// A proposal kind: 人大代表建议, 政协委员提案; `None`: 未识别.
pub fn proposal_kind_label(key: Option<&str>) -> String {
    let Some(key) = key else {
        return "未识别".into();
    };
    match parse::<ProposalKind>(key) {
        Some(ProposalKind::DeputySuggestion) => "人大代表建议".into(),
        Some(ProposalKind::MemberProposal) => "政协委员提案".into(),
        None => key.to_string(),
    }
}

/// A meeting's level: 市级, 区级; `None`: 未识别.
pub fn level_label(key: Option<&str>) -> String {
    let Some(key) = key else {
        return "未识别".into();
    };
    match parse::<Level>(key) {
        Some(Level::Municipal) => "市级".into(),
        Some(Level::District) => "区级".into(),
        None => key.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name<T: serde::Serialize>(value: T) -> String {
        serde_json::to_value(value)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    #[test]
    fn every_value_of_the_vocabularies_has_a_chinese_label() {
        for c in [
            HandlingCategory::Adopted,
            HandlingCategory::PartiallyAdopted,
            HandlingCategory::Planned,
            HandlingCategory::ForReference,
            HandlingCategory::CannotSolve,
        ] {
            assert_ne!(result_label(Some(&name(c))), name(c));
        }
        for k in [
            ReplyKind::Answer,
            ReplyKind::CoHandlingOpinion,
            ReplyKind::FollowUp,
        ] {
            assert_ne!(reply_kind_label(Some(&name(k))), name(k));
        }
        for k in [ProposalKind::DeputySuggestion, ProposalKind::MemberProposal] {
            assert_ne!(proposal_kind_label(Some(&name(k))), name(k));
        }
        for l in [Level::Municipal, Level::District] {
            assert_ne!(level_label(Some(&name(l))), name(l));
        }
        assert_eq!(result_label(Some("adopted")), "解决采纳");
        assert_eq!(result_label(None), "未注明或未识别");
        assert_eq!(result_label(Some("newer_value")), "newer_value");
    }
}
