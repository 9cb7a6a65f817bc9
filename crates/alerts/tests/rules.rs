//! Rules against records of the fixture corpus and events built from them.

use chrono::{TimeZone, Utc};
use govwire_alerts::{normalize, Event, Rule};
use govwire_model::event::{PortalEvent, ReplyEvent};
use govwire_model::{EventType, FieldChange, HandlingCategory, HandlingResult, Reply};

fn replies() -> Vec<Reply> {
    govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .collect()
}

fn a_reply() -> Reply {
    replies()
        .into_iter()
        .find(|r| r.addressee.is_some() && r.handling_result.is_some())
        .expect("the corpus holds a reply with an addressee and a handling result")
}

fn published(reply: Reply) -> Event {
    Event::Reply(Box::new(ReplyEvent::for_reply(
        EventType::ReplyPublished,
        reply,
        None,
        None,
        Utc.with_ymd_and_hms(2025, 7, 16, 8, 0, 0).unwrap(),
    )))
}

fn updated(reply: Reply, changes: Vec<FieldChange>) -> Event {
    Event::Reply(Box::new(ReplyEvent::for_reply(
        EventType::ReplyUpdated,
        reply,
        None,
        Some(changes),
        Utc.with_ymd_and_hms(2025, 7, 17, 8, 0, 0).unwrap(),
    )))
}

fn rule(toml_text: &str) -> Rule {
    let rule: Rule = toml::from_str(toml_text).expect("a rule");
    rule.validate().expect("a valid rule");
    rule
}

fn category_change(before: &str, after: &str) -> FieldChange {
    FieldChange {
        field: "handling_result.category".into(),
        before: before.into(),
        after: after.into(),
    }
}

#[test]
fn text_is_compared_without_spaces_widths_or_case() {
    assert_eq!(normalize("加装 电梯\n ＡＢＣ　１２３"), "加装电梯abc123");
    let mut reply = a_reply();
    reply.title = "关于加装\n电梯的答复".into();
    assert!(rule("name = \"r\"\nwords = { all = [\"加装电梯\"] }").matches(&published(reply)));
}

#[test]
fn words_combine_all_any_and_none() {
    let mut reply = a_reply();
    reply.title = "关于老旧小区加装电梯的答复".into();
    let event = published(reply);
    assert!(rule("name = \"r\"\nwords = { all = [\"电梯\", \"小区\"] }").matches(&event));
    assert!(!rule("name = \"r\"\nwords = { all = [\"电梯\", \"河道\"] }").matches(&event));
    assert!(rule("name = \"r\"\nwords = { any = [\"河道\", \"电梯\"] }").matches(&event));
    assert!(!rule("name = \"r\"\nwords = { any = [\"河道\", \"垃圾\"] }").matches(&event));
    assert!(!rule("name = \"r\"\nwords = { all = [\"电梯\"], none = [\"老旧\"] }").matches(&event));
}

#[test]
fn words_are_looked_for_in_the_body_as_well_as_the_title() {
    let reply = a_reply();
    let paragraph = reply
        .body
        .sections
        .iter()
        .flat_map(|s| &s.paragraphs)
        .find(|p| p.chars().count() >= 8)
        .expect("a paragraph")
        .clone();
    let word: String = paragraph.chars().skip(2).take(5).collect();
    assert!(!reply.title.contains(&word));
    let text = format!("name = \"r\"\nwords = {{ all = [\"{word}\"] }}");
    assert!(rule(&text).matches(&published(reply)));
}

#[test]
fn record_fields_match_by_word_or_by_vocabulary() {
    let mut reply = a_reply();
    reply.addressee = Some("许鸿蕨代表".into());
    reply.handling_result = Some(HandlingResult {
        raw: "解决采纳".into(),
        category: Some(HandlingCategory::Adopted),
    });
    let event = published(reply);
    assert!(rule("name = \"r\"\naddressee = [\"许鸿蕨\"]").matches(&event));
    assert!(!rule("name = \"r\"\naddressee = [\"王某某\"]").matches(&event));
    assert!(rule("name = \"r\"\nresult = [\"planned\", \"adopted\"]").matches(&event));
    assert!(!rule("name = \"r\"\nresult = [\"planned\"]").matches(&event));
    assert!(
        rule("name = \"r\"\nportals = [\"shpt\"]\nevents = [\"reply.published\"]").matches(&event)
    );
    assert!(!rule("name = \"r\"\nportals = [\"pudong\"]").matches(&event));
    assert!(!rule("name = \"r\"\nevents = [\"reply.updated\"]").matches(&event));
}

#[test]
fn a_result_rule_fires_on_its_change_and_not_on_a_body_edit() {
    let reply = a_reply();
    let on_result =
        rule("name = \"r\"\nevents = [\"reply.updated\"]\nchanged = [\"handling_result\"]");
    let planned_to_adopted =
        rule("name = \"r\"\nchanged = [\"handling_result\"]\nfrom = \"planned\"\nto = \"adopted\"");
    let result_edit = updated(reply.clone(), vec![category_change("planned", "adopted")]);
    let body_edit = updated(
        reply.clone(),
        vec![FieldChange {
            field: "body".into(),
            before: "旧".into(),
            after: "新".into(),
        }],
    );
    let other_way = updated(reply.clone(), vec![category_change("adopted", "planned")]);
    assert!(on_result.matches(&result_edit));
    assert!(!on_result.matches(&body_edit));
    assert!(planned_to_adopted.matches(&result_edit));
    assert!(!planned_to_adopted.matches(&other_way));
    assert!(!planned_to_adopted.matches(&published(reply)));
    // `handling_result` names the group, not any field starting with it.
    let prefix_only = updated(
        a_reply(),
        vec![FieldChange {
            field: "handling_result_note".into(),
            before: "planned".into(),
            after: "adopted".into(),
        }],
    );
    assert!(!on_result.matches(&prefix_only));
}

#[test]
fn portal_events_match_only_rules_about_portals() {
    let degraded = Event::Portal(Box::new(PortalEvent::degraded(
        "shpt",
        "replies",
        "5 polls failed",
        0,
        Utc.with_ymd_and_hms(2025, 7, 16, 8, 0, 0).unwrap(),
    )));
    assert!(rule("name = \"r\"\nevents = [\"portal.degraded\"]").matches(&degraded));
    assert!(rule("name = \"r\"\nportals = [\"shpt\"]").matches(&degraded));
    assert!(!rule("name = \"r\"\nwords = { all = [\"电梯\"] }").matches(&degraded));
    assert!(!rule("name = \"r\"\nresult = [\"adopted\"]").matches(&degraded));
}

#[test]
fn an_event_round_trips_through_its_json() {
    let event = published(a_reply());
    let Event::Reply(inner) = &event else {
        unreachable!()
    };
    let body = serde_json::to_vec(inner.as_ref()).unwrap();
    assert_eq!(Event::from_json(&body).unwrap(), event);
    let err = Event::from_json(br#"{"type":"govwire.reply.eaten"}"#).unwrap_err();
    assert!(err.contains("govwire.reply.eaten"), "{err}");
}

#[test]
fn a_bad_rule_is_refused_naming_the_rule_and_the_key() {
    let refused = |text: &str| -> String {
        toml::from_str::<Rule>(text)
            .map_err(|e| e.to_string())
            .and_then(|r| r.validate().map_err(|e| e.to_string()))
            .expect_err("refused")
    };
    let e = refused("name = \"lifts\"\nevents = [\"reply.eaten\"]");
    assert!(
        e.contains("`lifts`") && e.contains("`events`") && e.contains("reply.eaten"),
        "{e}"
    );
    let e = refused("name = \"lifts\"\nresult = [\"approved\"]");
    assert!(e.contains("`result`") && e.contains("approved"), "{e}");
    let e = refused("name = \"lifts\"\nfrom = \"planned\"");
    assert!(e.contains("`from`"), "{e}");
    let e = refused("name = \"lifts\"\nevents = [\"reply.published\"]\nchanged = [\"body\"]");
    assert!(e.contains("`changed`"), "{e}");
    let e = refused("name = \"lifts\"\nwords = { all = [\" \"] }");
    assert!(e.contains("words.all"), "{e}");
    let e = refused("name = \"lifts\"\nadressee = [\"x\"]");
    assert!(e.contains("adressee"), "{e}");
    let e = refused("name = \"\"");
    assert!(e.contains("`name`"), "{e}");
}

#[test]
fn a_summary_names_the_event_the_reply_and_what_changed() {
    let mut reply = a_reply();
    reply.title = "关于加装电梯的答复".into();
    reply.doc_number = Some("普府〔2022〕55号".into());
    reply.handling_result = Some(HandlingResult {
        raw: "解决采纳".into(),
        category: Some(HandlingCategory::Adopted),
    });
    let id = reply.id.to_string();
    let line =
        govwire_alerts::summary(&updated(reply, vec![category_change("planned", "adopted")]));
    assert_eq!(
        line,
        format!("【reply.updated】{id} 关于加装电梯的答复 (普府〔2022〕55号; 解决采纳) changed: handling_result.category")
    );
    let degraded = Event::Portal(Box::new(PortalEvent::degraded(
        "shpt",
        "replies",
        "5 polls failed",
        0,
        Utc.with_ymd_and_hms(2025, 7, 16, 8, 0, 0).unwrap(),
    )));
    assert_eq!(
        govwire_alerts::summary(&degraded),
        "【portal.degraded】shpt/replies: 5 polls failed"
    );
}

#[test]
fn a_webhook_body_carries_the_rule_the_summary_and_the_whole_event() {
    let event = published(a_reply());
    let body: serde_json::Value =
        serde_json::from_slice(&govwire_alerts::webhook_body("lifts", &event)).unwrap();
    assert_eq!(body["rule"], "lifts");
    assert_eq!(body["summary"], govwire_alerts::summary(&event));
    let inner = serde_json::to_vec(&body["event"]).unwrap();
    assert_eq!(Event::from_json(&inner).unwrap(), event);
}
