//! A rule and how it matches.

use govwire_model::{
    EventType, FieldChange, HandlingCategory, Level, ProposalKind, Reply, ReplyKind,
};
use serde::{Deserialize, Serialize};

use crate::Event;

/// One alert rule (`[[alerts.rules]]`). Every list that is not empty must
/// hold (they are AND-ed); inside a list, one value is enough (OR). A rule
/// with no condition at all matches every event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Names the rule in deliveries, logs and `govwire alerts list`; unique.
    pub name: String,
    /// Event types, without the `govwire.` prefix: `reply.published`,
    /// `reply.updated`, `reply.withdrawn`, `reply.restored`,
    /// `portal.degraded`, `portal.recovered`.
    #[serde(default)]
    pub events: Vec<String>,
    /// Portal ids (`shpt`).
    #[serde(default)]
    pub portals: Vec<String>,
    /// Words the addressee (主送) contains: `许鸿蕨` matches `许鸿蕨代表`.
    #[serde(default)]
    pub addressee: Vec<String>,
    /// Words one of the proposers contains.
    #[serde(default)]
    pub proposers: Vec<String>,
    /// Words the meeting contains (`十七届人大五次会议`).
    #[serde(default)]
    pub meeting: Vec<String>,
    /// Proposal kinds: `deputy_suggestion` (人大代表建议),
    /// `member_proposal` (政协委员提案), as in the record.
    #[serde(default)]
    pub proposal_kind: Vec<String>,
    /// Proposal levels: `municipal`, `district`, as in the record.
    #[serde(default)]
    pub proposal_level: Vec<String>,
    /// Reply kinds, as in the record: `answer` (答复), `co_handling_opinion`
    /// (会办意见), `follow_up` (再次答复).
    #[serde(default)]
    pub reply_kind: Vec<String>,
    /// Words the issuer (发文机关) or the signatory contains.
    #[serde(default)]
    pub issuer: Vec<String>,
    /// Handling-result categories: `adopted`, `partially_adopted`,
    /// `planned`, `for_reference`, `cannot_solve`.
    #[serde(default)]
    pub result: Vec<String>,
    /// Words in the title and body.
    #[serde(default)]
    pub words: Words,
    /// For updates: fields that must have changed, as the event names them
    /// (`handling_result` covers `handling_result.category` and
    /// `handling_result.raw`). A rule with `changed` matches updates only.
    #[serde(default)]
    pub changed: Vec<String>,
    /// With `changed`: the value a changed field had before (`planned`).
    #[serde(default)]
    pub from: Option<String>,
    /// With `changed`: the value a changed field has now (`adopted`).
    #[serde(default)]
    pub to: Option<String>,
    /// At most this many deliveries per sink in any hour; past it, the
    /// hour's further matches go out as one digest when the hour is over.
    /// Default: no limit.
    #[serde(default)]
    pub max_per_hour: Option<u32>,
    /// The sinks (by name) a match is delivered to.
    #[serde(default)]
    pub sinks: Vec<String>,
}

/// Words in the title and body: all of `all`, at least one of `any` (when
/// it is not empty), none of `none`. Each word is a substring of the
/// normalized text ([`normalize`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// Every one of these (AND).
    #[serde(default)]
    pub all: Vec<String>,
    /// At least one of these (OR).
    #[serde(default)]
    pub any: Vec<String>,
    /// None of these (NOT).
    #[serde(default)]
    pub none: Vec<String>,
}

/// A field that changed in an update, with its values before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Dotted path of the field (`handling_result.category`).
    pub field: String,
    /// Its value before, as text (`null` when absent).
    pub before: String,
    /// Its value after, as text.
    pub after: String,
}

impl From<&FieldChange> for Change {
    fn from(c: &FieldChange) -> Self {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        Change {
            field: c.field.clone(),
            before: text(&c.before),
            after: text(&c.after),
        }
    }
}

/// A rule that cannot be used, naming the rule and the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("alert rule `{rule}`, key `{key}`: {message}")]
pub struct RuleError {
    /// The rule's name.
    pub rule: String,
    /// The key.
    pub key: &'static str,
    /// What is wrong.
    pub message: String,
}

/// Text as rules compare it: full-width ASCII forms as half-width, Latin
/// letters in lower case, every space (ideographic spaces and line breaks
/// included) removed. The one normal form of govwire's words, shared with
/// the archive's search.
pub use govwire_model::text::normalize;

/// The JSON name of an enumeration value (`adopted`).
fn name_of<T: Serialize>(value: &T) -> Option<String> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

/// Whether `value` is a JSON name of `T`.
fn is_name_of<T: serde::de::DeserializeOwned>(value: &str) -> bool {
    serde_json::from_value::<T>(serde_json::Value::String(value.to_owned())).is_ok()
}

/// Whether some word of `words` is in some of `texts` (normalized).
fn any_contains<'a>(words: &[String], texts: impl IntoIterator<Item = &'a str>) -> bool {
    let texts: Vec<String> = texts.into_iter().map(normalize).collect();
    words
        .iter()
        .map(|w| normalize(w))
        .any(|w| texts.iter().any(|t| t.contains(&w)))
}

impl Rule {
    /// Checks the rule: a name, known event types and enumeration values,
    /// `from`/`to` only with `changed`, `changed` only with updates.
    pub fn validate(&self) -> Result<(), RuleError> {
        let err = |key, message: String| {
            Err(RuleError {
                rule: self.name.clone(),
                key,
                message,
            })
        };
        if self.name.trim().is_empty() {
            return err("name", "a rule needs a name".into());
        }
        for event in &self.events {
            if event_type_of(event).is_none() {
                let known: Vec<&str> = EventType::ALL.iter().map(|t| t.entity_action()).collect();
                return err(
                    "events",
                    format!(
                        "unknown event type `{event}`; expected one of {}",
                        known.join(", ")
                    ),
                );
            }
        }
        for (key, values, check) in [
            (
                "proposal_kind",
                &self.proposal_kind,
                is_name_of::<ProposalKind> as fn(&str) -> bool,
            ),
            ("proposal_level", &self.proposal_level, is_name_of::<Level>),
            ("reply_kind", &self.reply_kind, is_name_of::<ReplyKind>),
            ("result", &self.result, is_name_of::<HandlingCategory>),
        ] {
            if let Some(bad) = values.iter().find(|v| !check(v)) {
                return err(
                    key,
                    format!("`{bad}` is not a value of the record's vocabulary"),
                );
            }
        }
        for (key, words) in [
            ("words.all", &self.words.all),
            ("words.any", &self.words.any),
            ("words.none", &self.words.none),
            ("addressee", &self.addressee),
            ("proposers", &self.proposers),
            ("meeting", &self.meeting),
            ("issuer", &self.issuer),
        ] {
            if words.iter().any(|w| normalize(w).is_empty()) {
                return err(key, "an empty word would match everything".into());
            }
        }
        if self.max_per_hour == Some(0) {
            return err(
                "max_per_hour",
                "0 would hold every match; leave it out for no limit".into(),
            );
        }
        if (self.from.is_some() || self.to.is_some()) && self.changed.is_empty() {
            return err("from", "`from` and `to` need `changed`".into());
        }
        if !self.changed.is_empty()
            && self
                .events
                .iter()
                .any(|e| event_type_of(e) != Some(EventType::ReplyUpdated))
        {
            return err("changed", "only updates have changed fields; set `events = [\"reply.updated\"]` or leave `events` out".into());
        }
        Ok(())
    }

    /// Whether `event` matches the rule.
    pub fn matches(&self, event: &Event) -> bool {
        let Some(event_type) = event.event_type() else {
            return false;
        };
        if !self.events.is_empty()
            && !self
                .events
                .iter()
                .any(|e| event_type_of(e) == Some(event_type))
        {
            return false;
        }
        if !self.portals.is_empty() && !self.portals.iter().any(|p| p == event.portal()) {
            return false;
        }
        match event {
            Event::Portal(_) => !self.about_replies(),
            Event::Reply(e) => {
                let changes: Vec<Change> =
                    e.data.changes.iter().flatten().map(Change::from).collect();
                self.reply_matches(&e.data.reply) && self.changes_match(event_type, &changes)
            }
        }
    }

    /// Whether the rule asks anything of a reply (so no portal event can
    /// match it).
    fn about_replies(&self) -> bool {
        !(self.addressee.is_empty()
            && self.proposers.is_empty()
            && self.meeting.is_empty()
            && self.proposal_kind.is_empty()
            && self.proposal_level.is_empty()
            && self.reply_kind.is_empty()
            && self.issuer.is_empty()
            && self.result.is_empty()
            && self.words == Words::default()
            && self.changed.is_empty())
    }

    fn reply_matches(&self, reply: &Reply) -> bool {
        let one_of = |wanted: &[String], value: Option<String>| {
            wanted.is_empty() || value.is_some_and(|v| wanted.contains(&v))
        };
        let text_in =
            |words: &[String], texts: Vec<&str>| words.is_empty() || any_contains(words, texts);
        one_of(
            &self.proposal_kind,
            reply.proposal.kind.as_ref().and_then(name_of),
        ) && one_of(
            &self.proposal_level,
            reply.proposal.level.as_ref().and_then(name_of),
        ) && one_of(
            &self.reply_kind,
            reply.reply_kind.as_ref().and_then(name_of),
        ) && one_of(
            &self.result,
            reply
                .handling_result
                .as_ref()
                .and_then(|h| h.category.as_ref())
                .and_then(name_of),
        ) && text_in(
            &self.addressee,
            reply.addressee.as_deref().into_iter().collect(),
        ) && text_in(
            &self.proposers,
            reply
                .proposal
                .proposers
                .iter()
                .map(String::as_str)
                .collect(),
        ) && text_in(
            &self.meeting,
            reply.proposal.meeting.as_deref().into_iter().collect(),
        ) && text_in(
            &self.issuer,
            [reply.issuer.as_deref(), reply.signatory.as_deref()]
                .into_iter()
                .flatten()
                .collect(),
        ) && self.words_match(reply)
    }

    fn words_match(&self, reply: &Reply) -> bool {
        if self.words == Words::default() {
            return true;
        }
        let mut text = normalize(&reply.title);
        for section in &reply.body.sections {
            if let Some(heading) = &section.heading {
                text.push_str(&normalize(heading));
            }
            for paragraph in &section.paragraphs {
                text.push_str(&normalize(paragraph));
            }
        }
        let has = |w: &String| text.contains(&normalize(w));
        self.words.all.iter().all(has)
            && (self.words.any.is_empty() || self.words.any.iter().any(has))
            && !self.words.none.iter().any(has)
    }

    fn changes_match(&self, event_type: EventType, changes: &[Change]) -> bool {
        if self.changed.is_empty() {
            return true;
        }
        if event_type != EventType::ReplyUpdated {
            return false;
        }
        changes.iter().any(|c| {
            self.changed.iter().any(|f| {
                c.field == *f
                    || c.field
                        .strip_prefix(f.as_str())
                        .is_some_and(|r| r.starts_with('.'))
            }) && self.from.as_ref().is_none_or(|v| *v == c.before)
                && self.to.as_ref().is_none_or(|v| *v == c.after)
        })
    }
}

/// The event type a rule names (`reply.updated`, or the full
/// `govwire.reply.updated`).
fn event_type_of(name: &str) -> Option<EventType> {
    EventType::parse(name).or_else(|| EventType::parse(&format!("govwire.{name}")))
}
