//! Arbitrary bytes as a fetched page, through the parser with the shipped
//! shpt profile: it must return (a record, a verdict or an error), never
//! panic, hang or exhaust memory. The first byte picks a `Content-Type`, so
//! the charset rules are fuzzed too.

#![no_main]

use std::sync::OnceLock;

use chrono::{TimeZone, Utc};
use govwire_model::{PortalProfile, RawPage};
use libfuzzer_sys::fuzz_target;

fn profile() -> &'static PortalProfile {
    static PROFILE: OnceLock<PortalProfile> = OnceLock::new();
    PROFILE.get_or_init(|| {
        toml::from_str(include_str!("../../config/portals/shpt.toml"))
            .expect("the shipped profile parses")
    })
}

const CONTENT_TYPES: &[Option<&str>] = &[
    None,
    Some("text/html; charset=utf-8"),
    Some("text/html; charset=gbk"),
    Some("text/html; charset=gb18030"),
    Some("text/html; charset=iso-8859-1"),
    Some("text/html"),
];

fuzz_target!(|data: &[u8]| {
    let (content_type, body) = match data.split_first() {
        Some((first, rest)) => (CONTENT_TYPES[*first as usize % CONTENT_TYPES.len()], rest),
        None => (None, data),
    };
    let page = RawPage {
        portal: "shpt".into(),
        section: "fuzz".into(),
        item_id: "1".into(),
        url: "https://www.shpt.gov.cn/zhengwu/x/2026/1/1.html".into(),
        list_title: None,
        published_on: None,
        fetched_at: Utc
            .timestamp_opt(1_700_000_000, 0)
            .single()
            .unwrap_or_default(),
        content_type: content_type.map(str::to_string),
        body: body.to_vec(),
        attachments: Vec::new(),
    };
    let _ = govwire_parser::parse_page(&page, profile());
});
