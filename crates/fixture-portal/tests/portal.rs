//! The fixture portal over real HTTP: each test starts its own server on port
//! 0 and talks to it with reqwest.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::NaiveDate;
use govwire_fixture_portal::{
    corpus, BodyMarkup, Document, FixturePortal, Layout, MetadataMarkup, RunningPortal, TitleMarkup,
};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use reqwest::StatusCode;
use scraper::{Html, Selector};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

/// How long a test waits for the server to stop before it fails.
const STOP_DEADLINE: Duration = Duration::from_secs(10);

const REPLY_COLUMN: &str = "qzxtabljg-jytabljg";

/// A running portal, its client, and a token that stops it when dropped.
struct Portal {
    running: RunningPortal,
    client: reqwest::Client,
    shutdown: CancellationToken,
}

impl Drop for Portal {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Portal {
    async fn start(docs: Vec<Document>) -> Portal {
        let shutdown = CancellationToken::new();
        let running = FixturePortal::start(
            "127.0.0.1:0".parse().expect("a socket address"),
            docs,
            shutdown.clone(),
        )
        .await
        .expect("the fixture portal binds a loopback port");
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a reqwest client");
        Portal {
            running,
            client,
            shutdown,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.running.base_url())
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("the portal answers")
    }

    async fn list(&self, body: Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(self.url("/front/api/data/affair"))
            .json(&body)
            .send()
            .await
            .expect("the portal answers");
        let status = response.status();
        let value = response.json().await.expect("a JSON answer");
        (status, value)
    }

    async fn list_page(&self, channel: &str, page: u64) -> Value {
        let (status, value) = self.list(list_request(channel, page, 15)).await;
        assert_eq!(status, StatusCode::OK);
        value["data"].clone()
    }
}

fn list_request(channel: &str, page: u64, size: u64) -> Value {
    json!({"channelList":[channel],"pageSize":size,"orderFields":["display_date"],"orderTypes":["desc"],"pageNo":page,"docFlag":"1"})
}

fn day(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date") + chrono::Duration::days(n)
}

/// `count` news items in `channel`, ids from `first_id` upward, two per day
/// so that ties on the date occur.
fn news(channel: &str, first_id: u64, count: u64) -> Vec<Document> {
    (0..count)
        .map(|i| {
            Document::news_item(
                (first_id + i).to_string(),
                channel,
                day((i / 2) as i64),
                format!("普陀区工作动态第{i}期"),
            )
        })
        .collect()
}

fn ids(data: &Value) -> Vec<String> {
    data["list"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["id"].as_str().expect("an id").to_string())
        .collect()
}

fn corpus_doc(item_id: &str) -> Document {
    corpus()
        .into_iter()
        .find(|d| d.item_id() == item_id)
        .unwrap_or_else(|| panic!("corpus document {item_id}"))
}

fn texts(html: &str, selector: &str) -> Vec<String> {
    let selector = Selector::parse(selector).expect("a valid selector");
    Html::parse_document(html)
        .select(&selector)
        .map(|e| e.text().collect::<String>())
        .collect()
}

#[tokio::test]
async fn the_list_api_pages_newest_first_with_ties_broken_by_higher_id() {
    let portal = Portal::start(news("3", 1000, 37)).await;

    let first = portal.list_page("3", 1).await;
    assert_eq!(first["pageNo"], 1);
    assert_eq!(first["totalPage"], 3);
    assert_eq!(first["totalCount"], 37);
    let mut seen = Vec::new();
    for page in 1..=3 {
        let data = portal.list_page("3", page).await;
        assert_eq!(data["pageNo"], page);
        seen.extend(ids(&data));
    }
    // Newest day first and, of the two items of one day, the higher id first:
    // with ids growing by day that is descending id order.
    let expected_order: Vec<String> = (1000..1037u64).rev().map(|i| i.to_string()).collect();
    assert_eq!(seen, expected_order);
    let item = &first["list"][0];
    assert_eq!(item["id"], "1036");
    assert_eq!(item["display_date"], day(18).format("%Y-%m-%d").to_string());
    assert_eq!(item["doc_flag"], "1");
    assert_eq!(item["channel_id"], "3");
    assert!(item["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("/zhengwu/") && u.ends_with("/1036.html")));
    assert!(item["title"]
        .as_str()
        .is_some_and(|t| t.starts_with("普陀区工作动态")));
}

#[tokio::test]
async fn pages_just_past_the_last_repeat_it_and_pages_far_out_are_empty() {
    let portal = Portal::start(news("3", 1000, 37)).await;
    let last = portal.list_page("3", 3).await;
    assert_eq!(ids(&last).len(), 7);
    for page in 4..=6 {
        let stuck = portal.list_page("3", page).await;
        assert_eq!(stuck["pageNo"], 3, "page {page} reports the last page");
        assert_eq!(ids(&stuck), ids(&last), "page {page} repeats the last page");
        assert_eq!(stuck["totalPage"], 3);
    }
    let far = portal.list_page("3", 7).await;
    assert_eq!(
        far,
        json!({"list": [], "pageNo": 0, "totalPage": 0, "totalCount": 0})
    );
    let other_channel = portal.list_page("1225", 1).await;
    assert_eq!(other_channel["list"], json!([]));
    assert_eq!(other_channel["totalCount"], 0);
}

#[tokio::test]
async fn total_count_is_capped_at_ten_thousand_and_nothing_past_it_is_reachable() {
    let portal = Portal::start(news("6", 100_000, 10_050)).await;
    let first = portal.list_page("6", 1).await;
    assert_eq!(first["totalCount"], 10_000);
    assert_eq!(first["totalPage"], 667);
    let last = portal.list_page("6", 667).await;
    assert_eq!(last["pageNo"], 667);
    assert_eq!(ids(&last).len(), 10, "10000 = 666 * 15 + 10");
    let stuck = portal.list_page("6", 670).await;
    assert_eq!(stuck["pageNo"], 667);
    let far = portal.list_page("6", 671).await;
    assert_eq!(far["list"], json!([]));
    // The 50 oldest items lie past the window.
    let oldest: BTreeSet<String> = (100_000..100_050u64).map(|i| i.to_string()).collect();
    assert!(ids(&last).iter().all(|id| !oldest.contains(id)));
}

#[tokio::test]
async fn a_malformed_list_request_is_answered_400() {
    let portal = Portal::start(news("3", 1000, 3)).await;
    let response = portal
        .client
        .post(portal.url("/front/api/data/affair"))
        .header("content-type", "application/json")
        .body("{\"channelList\":[\"3\"],\"pageNo\":")
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("a JSON error");
    assert!(body["error"]
        .as_str()
        .is_some_and(|e| e.contains("malformed")));

    let (status, _) = portal.list(json!({"pageNo": 1})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "channelList is required");
    let (status, _) = portal.list(list_request("3", 1, 0)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "pageSize 0");
}

#[tokio::test]
async fn the_corpus_lists_show_relative_absolute_and_foreign_urls() {
    let portal = Portal::start(corpus()).await;
    let data = portal.list_page("3", 1).await;
    let list = data["list"].as_array().expect("a list");
    let url_of = |id: &str| {
        list.iter()
            .find(|item| item["id"] == id)
            .and_then(|item| item["url"].as_str())
            .unwrap_or_else(|| panic!("item {id} listed"))
            .to_string()
    };
    assert_eq!(
        url_of("204477"),
        portal.url("/zhengwu/zdgkml-qzfwj/2026/188/204477.html")
    );
    assert!(url_of("204480").starts_with("https://www.shanghai.gov.cn/"));
    assert_eq!(
        url_of("160455"),
        "/zhengwu/zdgkml-qzfwj/2022/231/160455.html"
    );
    // Same day: the higher id first.
    let order = ids(&data);
    let pos = |id: &str| order.iter().position(|x| x == id).expect("listed");
    assert!(pos("204480") < pos("204477"));
    // The HTML column's documents are not in the JSON channels.
    assert!(!order.contains(&"197298".to_string()));
    let mut bureau = ids(&portal.list_page("6", 1).await);
    bureau.extend(ids(&portal.list_page("6", 2).await));
    assert!(bureau.contains(&"148216".to_string()));
}

#[tokio::test]
async fn a_detail_page_answers_304_to_a_matching_if_none_match() {
    let doc = corpus_doc("204477");
    let portal = Portal::start(vec![doc.clone()]).await;
    let first = portal.get(&doc.path()).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        first.headers()["content-type"].to_str().ok(),
        Some("text/html; charset=utf-8")
    );
    let etag = first.headers()[ETAG].clone();
    assert!(etag
        .to_str()
        .is_ok_and(|e| e.starts_with('"') && e.ends_with('"')));
    assert!(first.headers().contains_key(LAST_MODIFIED));
    assert_eq!(first.text().await.expect("a body"), doc.render());

    let again = portal
        .client
        .get(portal.url(&doc.path()))
        .header(IF_NONE_MATCH, etag.clone())
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[ETAG], etag);
    assert!(again.bytes().await.expect("a body").is_empty());

    let other = portal
        .client
        .get(portal.url(&doc.path()))
        .header(IF_NONE_MATCH, "\"not-the-tag\"")
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(other.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_detail_page_answers_304_to_if_modified_since_its_last_modification() {
    let doc = corpus_doc("197298");
    let portal = Portal::start(vec![doc.clone()]).await;
    let first = portal.get(&doc.path()).await;
    let last_modified = first.headers()[LAST_MODIFIED].clone();
    let again = portal
        .client
        .get(portal.url(&doc.path()))
        .header(IF_MODIFIED_SINCE, last_modified.clone())
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.expect("a body").is_empty());

    let stale = portal
        .client
        .get(portal.url(&doc.path()))
        .header(IF_MODIFIED_SINCE, "Mon, 01 Jan 2001 00:00:00 GMT")
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(stale.status(), StatusCode::OK);

    // An edit within the same second still moves Last-Modified forward.
    assert!(portal
        .running
        .edit("197298", |d| d.set_handling_result("部分采纳")));
    let after_edit = portal
        .client
        .get(portal.url(&doc.path()))
        .header(IF_MODIFIED_SINCE, last_modified)
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(after_edit.status(), StatusCode::OK);
    assert!(after_edit
        .text()
        .await
        .expect("a body")
        .contains("<p>办理结果：部分采纳</p>"));
}

#[tokio::test]
async fn an_edit_changes_etag_last_modified_and_content() {
    let doc = corpus_doc("160455");
    let portal = Portal::start(vec![doc.clone()]).await;
    let before = portal.get(&doc.path()).await;
    let etag = before.headers()[ETAG].clone();
    let last_modified = before.headers()[LAST_MODIFIED].clone();
    let body = before.text().await.expect("a body");
    assert!(body.contains("<p>办理结果：解决采纳</p>"));

    assert!(portal.running.edit("160455", |d| {
        d.set_handling_result("部分采纳");
        d.push_cc("区人大常委会");
    }));
    assert!(!portal.running.edit("999999", |d| d.push_cc("x")));

    let after = portal.get(&doc.path()).await;
    assert_ne!(after.headers()[ETAG], etag);
    let new_modified =
        httpdate::parse_http_date(after.headers()[LAST_MODIFIED].to_str().expect("ASCII"))
            .expect("an HTTP date");
    let old_modified =
        httpdate::parse_http_date(last_modified.to_str().expect("ASCII")).expect("an HTTP date");
    assert!(new_modified > old_modified);
    let body = after.text().await.expect("a body");
    assert!(body.contains("<p>办理结果：部分采纳</p>"));
    assert!(!body.contains("解决采纳"));
    assert!(
        body.contains("抄送：市政府办公厅建议提案处，市人大常委会代表工作委员会，区人大常委会。")
    );
    let golden = portal
        .running
        .document("160455")
        .and_then(|d| d.golden())
        .expect("a golden record");
    assert_eq!(golden.cc.len(), 3);
}

#[tokio::test]
async fn a_removed_document_answers_404_and_leaves_the_lists() {
    let portal = Portal::start(corpus()).await;
    let json_doc = corpus_doc("204477");
    let html_doc = corpus_doc("197298");
    assert_eq!(portal.get(&json_doc.path()).await.status(), StatusCode::OK);
    let html_list = portal
        .get(&format!("/zhengwu/{REPLY_COLUMN}/index.html"))
        .await;
    let list_modified = html_list.headers()[LAST_MODIFIED].clone();
    assert!(html_list
        .text()
        .await
        .expect("a body")
        .contains("197298.html"));

    assert!(portal.running.remove("204477"));
    assert!(portal.running.remove("197298"));
    assert!(!portal.running.remove("197298"));

    let gone = portal.get(&json_doc.path()).await;
    assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    assert!(gone.headers()["content-type"]
        .to_str()
        .is_ok_and(|c| c.starts_with("text/html")));
    assert_eq!(
        portal.get(&html_doc.path()).await.status(),
        StatusCode::NOT_FOUND
    );
    assert!(!ids(&portal.list_page("3", 1).await).contains(&"204477".to_string()));
    let channel_3 = corpus().iter().filter(|d| d.channel == "3").count();
    assert_eq!(portal.list_page("3", 1).await["totalCount"], channel_3 - 1);

    let conditional = portal
        .client
        .get(portal.url(&format!("/zhengwu/{REPLY_COLUMN}/index.html")))
        .header(IF_MODIFIED_SINCE, list_modified)
        .send()
        .await
        .expect("the portal answers");
    assert_eq!(conditional.status(), StatusCode::OK, "the list changed");
    assert!(!conditional
        .text()
        .await
        .expect("a body")
        .contains("197298.html"));

    portal.running.add(json_doc.clone());
    assert_eq!(portal.get(&json_doc.path()).await.status(), StatusCode::OK);
    assert!(ids(&portal.list_page("3", 1).await).contains(&"204477".to_string()));
}

#[tokio::test]
async fn the_html_list_pages_ten_rows_newest_first_and_404s_past_the_last_page() {
    let portal = Portal::start(news(REPLY_COLUMN, 5000, 23)).await;
    let first = portal
        .get(&format!("/zhengwu/{REPLY_COLUMN}/index.html"))
        .await;
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().contains_key(ETAG));
    let html = first.text().await.expect("a body");
    let hrefs: Vec<String> = {
        let selector = Selector::parse("table.list tr td.col-30 a").expect("a selector");
        Html::parse_document(&html)
            .select(&selector)
            .filter_map(|a| a.value().attr("href").map(String::from))
            .collect()
    };
    assert_eq!(hrefs.len(), 10);
    assert!(hrefs[0].ends_with("/5022.html"));
    assert!(hrefs[1].ends_with("/5021.html"));
    assert_eq!(texts(&html, "table.list tr").len(), 10);
    assert_eq!(
        texts(&html, "td.col-15")[0],
        day(11).format("%Y-%m-%d").to_string()
    );
    assert_eq!(texts(&html, "td.col-20").len(), 10);
    assert_eq!(texts(&html, "td.col-35").len(), 10);

    let second = portal
        .get(&format!("/zhengwu/{REPLY_COLUMN}/index_2.html"))
        .await;
    assert_eq!(second.status(), StatusCode::OK);
    assert_eq!(
        texts(&second.text().await.expect("a body"), "td.col-30 a").len(),
        10
    );
    let third = portal
        .get(&format!("/zhengwu/{REPLY_COLUMN}/index_3.html"))
        .await;
    let third = third.text().await.expect("a body");
    let titles = texts(&third, "td.col-30 a");
    assert_eq!(titles.len(), 3);
    assert_eq!(titles[2], "普陀区工作动态第0期");

    for missing in ["index_4.html", "index_1.html", "list.html"] {
        let response = portal
            .get(&format!("/zhengwu/{REPLY_COLUMN}/{missing}"))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
    }
    let unknown_column = portal.get("/zhengwu/no-such-column/index.html").await;
    assert_eq!(unknown_column.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_corpus_html_column_lists_its_replies_with_index_numbers_and_descriptions() {
    let portal = Portal::start(corpus()).await;
    let html = portal
        .get(&format!("/zhengwu/{REPLY_COLUMN}/index.html"))
        .await
        .text()
        .await
        .expect("a body");
    let titles = texts(&html, "td.col-30 a");
    assert_eq!(titles[0], "关于区十五届政协五次会议第155103号提案的答复");
    assert!(titles.len() >= 3);
    assert_eq!(texts(&html, "td.col-20")[0], "SY310107202607006");
    assert!(texts(&html, "td.col-35")[0].contains("155103"));
    // Same day: 197305 before 197298.
    let pos = |needle: &str| html.find(needle).expect("listed");
    assert!(pos("197305.html") < pos("197298.html"));
}

#[tokio::test]
async fn robots_txt_allows_everything_and_carries_validators() {
    let portal = Portal::start(Vec::new()).await;
    let response = portal.get("/robots.txt").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key(ETAG));
    assert!(response.headers().contains_key(LAST_MODIFIED));
    let body = response.text().await.expect("a body");
    assert_eq!(
        body.lines().collect::<Vec<_>>(),
        vec!["User-agent: *", "Allow: /"]
    );
}

#[tokio::test]
async fn every_corpus_reply_is_served_with_a_golden_record_following_the_identity_rule() {
    let docs = corpus();
    let portal = Portal::start(docs.clone()).await;
    let mut replies = 0;
    for doc in docs.iter().filter(|d| d.is_served()) {
        let response = portal.get(&doc.path()).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", doc.path());
        // The bytes in the document's encoding, labelled as its spec says.
        let served = doc.served();
        assert_eq!(
            response.headers()["content-type"].to_str().ok(),
            Some(served.content_type.as_str()),
            "{}",
            doc.item_id()
        );
        let bytes = response.bytes().await.expect("a body");
        assert_eq!(bytes.as_ref(), served.body.as_slice(), "{}", doc.item_id());
        let html = doc.render();
        let variant_info;
        let (title_sel, info_sel, body_sel) = match (doc.layout, &doc.variant) {
            (Layout::Current | Layout::BodyOnly, _) => {
                ("h1", ".article-info", ".article-content .TRS_Editor > p")
            }
            (Layout::TwelveField2019, _) => ("h1", "table.xxgk-table", "div.content > p"),
            (Layout::IvsContent2020, _) => ("#ivs_title", ".article-info", "#ivs_content > p"),
            (Layout::Unprofiled, variant) => {
                let variant = variant.as_ref().expect("an unprofiled page has a variant");
                variant_info = format!(".{}", variant.metadata_class);
                let title = match variant.title {
                    TitleMarkup::DivTitle => "div.title",
                    TitleMarkup::Centred => "p[align=center]",
                    // No title element: the body's first line is the title.
                    TitleMarkup::FirstLine => {
                        ".TRS_Editor > p:first-child, #ivs_content > p:first-child"
                    }
                };
                let body = match variant.body {
                    BodyMarkup::TrsEditor => ".article-content .TRS_Editor > p",
                    BodyMarkup::IvsContent => "#ivs_content > p",
                };
                (title, variant_info.as_str(), body)
            }
        };
        assert_eq!(texts(&html, title_sel), vec![doc.title().to_string()]);
        assert!(texts(&html, "h1, #ivs_title").is_empty() || doc.layout != Layout::Unprofiled);
        let has_info = !texts(&html, info_sel).is_empty();
        assert_eq!(
            has_info,
            doc.shows_metadata_as(doc.layout)
                || doc
                    .variant
                    .as_ref()
                    .is_some_and(|v| v.metadata == MetadataMarkup::DateLine),
            "{}",
            doc.item_id()
        );
        let lines = texts(&html, body_sel);
        assert_eq!(lines, doc.lines_as(doc.layout));

        match doc.golden() {
            Some(golden) => {
                replies += 1;
                assert!(doc.is_reply());
                let expected_id = match &golden.doc_number {
                    Some(number) => format!("shpt:{number}"),
                    None => format!("shpt:{}", doc.item_id()),
                };
                assert_eq!(golden.id, expected_id);
                assert_eq!(golden.portal, "shpt");
                assert!(!golden.title.contains(' '));
                // Only a page whose charset is undeclared or lies needs a
                // warning, about its bytes; and a page whose reply is only in
                // an attachment, about where its text was read.
                let holder = doc
                    .reply_attachment()
                    .and_then(|a| govwire_fixture_portal::attachments::attachment(&a.file));
                // An unprofiled page's record says how it had to be read.
                let fallbacks = doc.variant.as_ref().map_or(0, |v| v.warnings.len());
                assert!(
                    golden.warnings[..golden.warnings.len() - fallbacks]
                        .iter()
                        .all(|w| w.field == "page" || (holder.is_some() && w.field == "body")),
                    "{}: {:?}",
                    doc.item_id(),
                    golden.warnings
                );
                let lines = match holder {
                    Some(file) => govwire_fixture_portal::corpus::text_lines(file.text),
                    None => lines,
                };
                let page_text = lines.concat();
                for section in &golden.body.sections {
                    for paragraph in &section.paragraphs {
                        assert!(
                            page_text.contains(paragraph.as_str()),
                            "{}: paragraph not on the page: {paragraph}",
                            doc.item_id()
                        );
                    }
                }
                if let Some(signatory) = &golden.signatory {
                    assert!(lines.contains(signatory), "{}", doc.item_id());
                }
            }
            None => assert!(!doc.is_reply()),
        }
    }
    assert!(replies >= 41);
}

#[tokio::test]
async fn the_real_reply_shows_each_non_empty_text_line_as_its_own_paragraph() {
    let doc = corpus_doc("160455");
    let portal = Portal::start(vec![doc.clone()]).await;
    let html = portal.get(&doc.path()).await.text().await.expect("a body");
    let expected: Vec<String> = include_str!("../../../corpus/putuo-pufu-2022-55.txt")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(String::from)
        .collect();
    assert_eq!(texts(&html, ".TRS_Editor > p"), expected);
    assert_eq!(
        texts(&html, "h1"),
        vec!["对市十五届人大六次会议 第0184号代表建议的答复"]
    );
    assert!(texts(&html, ".article-info").is_empty());
    // The page-break halves stay apart, as on the real site.
    assert!(expected.iter().any(|l| l.ends_with("园区主体已获")));
    assert!(html.contains("<p>张江专项一系列事项支持。"));
    for boilerplate in [
        "正文内容区域请使用tab按钮切换浏览",
        "特殊稿件右侧区域内容请使用tab按钮切换浏览",
        "分享:",
    ] {
        assert!(html.contains(boilerplate));
    }
}

#[tokio::test]
async fn a_body_only_reply_puts_the_date_and_source_line_after_the_title() {
    let doc = corpus_doc("197298");
    let portal = Portal::start(vec![doc.clone()]).await;
    let html = portal.get(&doc.path()).await.text().await.expect("a body");
    let lines = texts(&html, ".TRS_Editor > p");
    assert_eq!(lines[0], "关于区政协十五届四次会议第154018号提案的答复");
    assert_eq!(lines[1], "2025年07月16日 来源: 上海普陀");
    assert_eq!(lines[2], "夏海萍委员：");
    assert_eq!(lines[3], "办理结果：因条件限制无法解决");
}

#[tokio::test]
async fn the_current_layout_shows_the_seven_metadata_cells() {
    let doc = corpus_doc("148216");
    let portal = Portal::start(vec![doc.clone()]).await;
    let html = portal.get(&doc.path()).await.text().await.expect("a body");
    let labels = texts(
        &html,
        ".article-info .col-md-7 > span:first-child, .article-info .col-md-5 > span:first-child",
    );
    assert_eq!(
        labels,
        vec![
            "索引号：",
            "主题分类：",
            "公开属性：",
            "成文日期：",
            "发文字号：",
            "发布日期：",
            "公开主体："
        ]
    );
    let values = texts(&html, ".article-info span:nth-child(2)");
    assert_eq!(values[0], "SY6941666290201900050");
    assert_eq!(values[3], "2019-10-14 14:25:49");
    assert_eq!(values[4], "普绿容\n〔2019〕\n44号");
    assert_eq!(values[5], "2019-10-18");
    assert_eq!(values[6].trim(), "上海市普陀区绿化和市容管理局");
    let lines = texts(&html, ".TRS_Editor > p");
    assert_eq!(lines[0], "办理结果：解决或采纳");
    assert_eq!(lines[1], "普绿容〔2019〕44号");
    assert!(lines.contains(&"2019年 10月14日".to_string()));
    assert!(!lines.iter().any(|l| l.contains("来源")));
}

#[tokio::test]
async fn unknown_and_mismatched_paths_answer_a_404_html_page() {
    let doc = corpus_doc("204477");
    let portal = Portal::start(vec![doc.clone()]).await;
    for path in [
        "/nothing-here",
        "/zhengwu/zdgkml-qzfwj/2026/188/999999.html",
        "/zhengwu/other-column/2026/188/204477.html",
        "/zhengwu/zdgkml-qzfwj/2025/188/204477.html",
        "/zhengwu/zdgkml-qzfwj/2026/188/204477.htm",
    ] {
        let response = portal.get(path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(response.text().await.expect("a body").contains("404"));
    }
}

#[tokio::test]
async fn external_list_entries_have_no_page_here() {
    let doc = corpus_doc("204480");
    let portal = Portal::start(vec![doc.clone()]).await;
    assert_eq!(
        portal.get(&doc.path()).await.status(),
        StatusCode::NOT_FOUND
    );
    let data = portal.list_page("3", 1).await;
    assert!(data["list"][0]["url"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://www.shanghai.gov.cn/")));
}

#[tokio::test]
async fn requests_are_recorded_with_method_status_and_conditionality() {
    let doc = corpus_doc("204477");
    let portal = Portal::start(vec![doc.clone()]).await;
    let first = portal.get(&doc.path()).await;
    let etag = first.headers()[ETAG].clone();
    portal
        .client
        .get(portal.url(&doc.path()))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("the portal answers");
    portal.get("/missing?x=1").await;
    portal.list_page("3", 1).await;

    let records = portal.running.requests();
    let summary: Vec<(&str, &str, u16, bool)> = records
        .iter()
        .map(|r| (r.method.as_str(), r.path.as_str(), r.status, r.conditional))
        .collect();
    let path = doc.path();
    assert_eq!(
        summary,
        vec![
            ("GET", path.as_str(), 200, false),
            ("GET", path.as_str(), 304, true),
            ("GET", "/missing", 404, false),
            ("POST", "/front/api/data/affair", 200, false),
        ]
    );
    assert_eq!(records[2].query.as_deref(), Some("x=1"));
    portal.running.reset_requests();
    assert!(portal.running.requests().is_empty());
}

#[tokio::test]
async fn the_admin_api_adds_edits_lists_and_deletes_documents() {
    let portal = Portal::start(Vec::new()).await;
    let admin = portal.url("/_admin/documents");
    let doc = corpus_doc("192466");

    let created = portal
        .client
        .post(&admin)
        .json(&doc)
        .send()
        .await
        .expect("answer");
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.headers()["location"].to_str().ok(),
        Some("/_admin/documents/192466")
    );
    let again = portal
        .client
        .post(&admin)
        .json(&doc)
        .send()
        .await
        .expect("answer");
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let malformed = portal
        .client
        .post(&admin)
        .header("content-type", "application/json")
        .body("{\"item_id\":")
        .send()
        .await
        .expect("answer");
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let mut broken = corpus_doc("204477");
    if let Some(reply) = broken.reply.as_mut() {
        reply.title.normalized = "不一致的标题".into();
    }
    let rejected = portal
        .client
        .post(&admin)
        .json(&broken)
        .send()
        .await
        .expect("answer");
    assert_eq!(rejected.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problems: Value = rejected.json().await.expect("JSON");
    assert!(problems["problems"][0]
        .as_str()
        .is_some_and(|p| p.contains("title.normalized")));

    let page = portal.get(&doc.path()).await;
    assert_eq!(page.status(), StatusCode::OK);
    let etag = page.headers()[ETAG].clone();

    let listed: Value = portal
        .client
        .get(&admin)
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert_eq!(listed.as_array().map(Vec::len), Some(1));
    assert_eq!(listed[0]["item_id"], "192466");
    assert_eq!(listed[0]["path"], doc.path());
    assert_eq!(listed[0]["is_reply"], true);

    let shown: Document = portal
        .client
        .get(format!("{admin}/192466"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("a document");
    assert_eq!(shown, doc);

    let patched = portal
        .client
        .patch(format!("{admin}/192466"))
        .json(&json!({"handling_result": "部分采纳", "title": "对区十七届人大四次会议第0033号代表建议的答复（修订）", "cc": ["区政协提案委员会"], "add_paragraph": "补充说明一项工作进展。"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(patched.status(), StatusCode::OK);
    let page = portal
        .client
        .get(portal.url(&doc.path()))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("answer");
    assert_eq!(page.status(), StatusCode::OK, "the edit changed the page");
    let html = page.text().await.expect("a body");
    assert!(html.contains("<p>办理结果：部分采纳</p>"));
    assert!(html.contains("<h1>对区十七届人大四次会议第0033号代表建议的答复（修订）</h1>"));
    assert!(html.contains("<p>抄送：区政协提案委员会。</p>"));
    assert!(html.contains("<p>补充说明一项工作进展。</p>"));
    let golden = portal
        .running
        .document("192466")
        .and_then(|d| d.golden())
        .expect("golden");
    assert_eq!(golden.cc, vec!["区政协提案委员会"]);
    assert_eq!(
        golden.handling_result.map(|h| h.raw).as_deref(),
        Some("部分采纳")
    );

    for (body, status) in [
        (json!({}), StatusCode::BAD_REQUEST),
        (json!({"colour": "red"}), StatusCode::BAD_REQUEST),
    ] {
        let response = portal
            .client
            .patch(format!("{admin}/192466"))
            .json(&body)
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status(), status, "{body}");
    }
    let missing = portal
        .client
        .patch(format!("{admin}/999999"))
        .json(&json!({"handling_result": "部分采纳"}))
        .send()
        .await
        .expect("answer");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let deleted = portal
        .client
        .delete(format!("{admin}/192466"))
        .send()
        .await
        .expect("answer");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        portal.get(&doc.path()).await.status(),
        StatusCode::NOT_FOUND
    );
    let deleted_again = portal
        .client
        .delete(format!("{admin}/192466"))
        .send()
        .await
        .expect("answer");
    assert_eq!(deleted_again.status(), StatusCode::NOT_FOUND);

    let log: Value = portal
        .client
        .get(portal.url("/_admin/requests"))
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("JSON");
    assert!(log.as_array().is_some_and(|l| l
        .iter()
        .any(|r| r["method"] == "DELETE" && r["status"] == 204)));
}

#[tokio::test]
async fn the_server_stops_when_its_token_is_cancelled() {
    let portal = Portal::start(corpus()).await;
    assert_eq!(portal.get("/robots.txt").await.status(), StatusCode::OK);
    let running = portal.running.clone();
    let addr = running.addr();
    portal.shutdown.cancel();
    tokio::time::timeout(STOP_DEADLINE, running.stopped())
        .await
        .expect("the server stops within the deadline");
    let fresh = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client");
    let refused = fresh.get(format!("http://{addr}/robots.txt")).send().await;
    assert!(refused.is_err(), "nothing listens after the stop");
}

#[tokio::test]
async fn two_documents_with_one_item_id_are_refused_at_start() {
    let doc = corpus_doc("204477");
    let result = FixturePortal::start(
        "127.0.0.1:0".parse().expect("a socket address"),
        vec![doc.clone(), doc],
        CancellationToken::new(),
    )
    .await;
    let error = result.expect_err("a duplicate id is an error");
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    assert!(error.to_string().contains("204477"));
}
