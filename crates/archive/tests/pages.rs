//! The archive's pages served from a real store (SQLite and PostgreSQL) and
//! opened in a real browser (headless Chromium): the list, a reply and the
//! comparison of two versions render what the archive holds, a hostile
//! record stays text, and screenshots are left under
//! `target/archive-pages/` for a person to look at.

use std::net::SocketAddr;
use std::path::PathBuf;

use chrono::{DateTime, TimeZone, Utc};
use govwire_archive::api;
use govwire_fixture_portal::browser::{dump_dom, png_size, screenshot, target_dir};
use govwire_model::html::escape;
use govwire_model::{HandlingCategory, HandlingResult, Reply, ReplyId};
use govwire_store::testing::TestDb;
use govwire_store::{on_both_backends, Store};
use secrecy::ExposeSecret;

on_both_backends!(
    the_list_a_reply_and_a_comparison_render_in_a_browser,
    a_hostile_record_renders_as_text_in_a_browser,
    unknown_replies_and_bad_versions_are_answered_with_chinese_pages,
);

/// The reply given a second version: the real one.
const REAL_ID: &str = "shpt:普府〔2022〕55号";

/// The paragraph version 2 adds.
const ADDED: &str = "截至目前，园区已新增孵化载体两处，入驻企业共计12家。";

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2022, 8, day, 2, 0, 0).unwrap()
}

/// `reply` as the notifier versions it.
fn versioned(mut reply: Reply, version: u32) -> Reply {
    reply.version = version;
    reply.content_sha256 = reply.compute_content_sha256();
    reply
}

/// Every golden record of the fixture corpus, archived as version 1.
async fn archive_corpus(store: &Store) -> Vec<Reply> {
    let goldens: Vec<Reply> = govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .map(|r| versioned(r, 1))
        .collect();
    assert!(goldens.len() > 5, "the corpus has replies");
    for (i, reply) in goldens.iter().enumerate() {
        assert!(store
            .archive_event_at(
                &format!("published-{i}"),
                "govwire.reply.published",
                reply,
                at(9),
                at(9),
            )
            .await
            .unwrap());
    }
    goldens
}

/// Version 2 of `v1`: another handling result, an added paragraph and a
/// word changed inside one.
fn second_version(v1: &Reply) -> Reply {
    let mut v2 = v1.clone();
    v2.handling_result = Some(HandlingResult {
        raw: "部分采纳".into(),
        category: Some(HandlingCategory::PartiallyAdopted),
    });
    let paragraphs = &mut v2.body.sections.last_mut().unwrap().paragraphs;
    let at = paragraphs.len() - 1;
    paragraphs.insert(at, ADDED.into());
    let first = &mut v2.body.sections[0].paragraphs[0];
    *first = first.replace("经研究", "经认真研究");
    versioned(v2, 2)
}

/// Serves the archive's whole router (API and pages) on a free port.
async fn serve(store: &Store) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = api::router(store.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (addr, server)
}

/// Screenshots are written by one backend's run only, so two runs never
/// write the same file at once.
fn screenshots_wanted(db: &TestDb) -> bool {
    db.url.expose_secret().starts_with("sqlite:")
}

fn shots() -> PathBuf {
    target_dir().join("archive-pages")
}

/// `id` as a path segment.
fn segment(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Takes a screenshot of `url` and checks its size.
async fn shoot(url: &str, name: &str, width: u32, height: u32) {
    let out = shots().join(name);
    screenshot(url, &out, width, height).await;
    let png = std::fs::read(&out).unwrap();
    assert_eq!(png_size(&png), (width, height), "{name}");
    assert!(
        png.len() > 20_000,
        "{name} looks empty ({} bytes)",
        png.len()
    );
}

async fn the_list_a_reply_and_a_comparison_render_in_a_browser(db: &TestDb) {
    let goldens = archive_corpus(&db.store).await;
    let v1 = goldens
        .iter()
        .find(|r| r.id.as_str() == REAL_ID)
        .expect("the real reply is in the corpus")
        .clone();
    let v2 = second_version(&v1);
    assert!(db
        .store
        .archive_event_at("updated-real", "govwire.reply.updated", &v2, at(20), at(20))
        .await
        .unwrap());
    let (addr, server) = serve(&db.store).await;
    let base = format!("http://{addr}");
    let id = segment(REAL_ID);

    // The list: every reply over its pages, each linking its page.
    let list = dump_dom(&format!("{base}/")).await;
    assert!(list.contains(&format!("共 {} 件", goldens.len())), "{list}");
    let mut pages = list.clone();
    let mut next = list.clone();
    while let Some(start) = next.find("<a href=\"/?after=") {
        let href = &next[start + 9..];
        let href = href[..href.find('"').unwrap()].replace("&amp;", "&");
        next = dump_dom(&format!("{base}{href}")).await;
        assert!(next.contains("« 第一页"));
        pages.push_str(&next);
    }
    assert!(goldens.len() <= 50 || list.contains("下一页"));
    for reply in &goldens {
        assert_eq!(
            pages
                .matches(&format!(">{}</a>", escape(&reply.title)))
                .count(),
            1,
            "{} is not listed once",
            reply.title
        );
    }
    assert!(list.contains(&format!("href=\"/reply/{id}\"")));
    assert!(list.contains("<form class=\"filters\""));
    assert!(list.contains("<option value=\"partially_adopted\">部分采纳</option>"));
    assert!(!list.contains("没有找到符合条件的答复"));

    // Filters and a search with a Chinese word narrow the list, the form
    // keeps them, and the matching passage is marked.
    let cannot_solve = goldens
        .iter()
        .filter(|r| {
            r.handling_result.as_ref().and_then(|h| h.category)
                == Some(govwire_model::HandlingCategory::CannotSolve)
        })
        .count();
    let filtered = dump_dom(&format!("{base}/?result=cannot_solve")).await;
    assert!(
        filtered.contains(&format!("共 {cannot_solve} 件")),
        "{filtered}"
    );
    assert!(filtered.contains("<option value=\"cannot_solve\" selected"));
    let found = dump_dom(&format!("{base}/?q=%E7%94%B5%E6%A2%AF")).await;
    assert!(found.contains("<mark>电梯</mark>"), "{found}");
    assert!(
        found.contains("value=\"电梯\""),
        "the search box keeps the word"
    );
    let none = dump_dom(&format!("{base}/?q=%E9%87%8F%E5%AD%90%E8%AE%A1%E7%AE%97")).await;
    assert!(none.contains("没有找到符合条件的答复"));

    // The reply: its newest version, laid out as the document, with both
    // versions listed.
    let page = dump_dom(&format!("{base}/reply/{id}")).await;
    assert!(page.contains(&format!("<h1 id=\"title\">{}</h1>", v2.title)));
    assert!(page.contains("<p class=\"docno\" id=\"doc-number\">普府〔2022〕55号</p>"));
    let first = escape(&v2.body.sections[0].paragraphs[0]);
    assert!(page.contains(&format!("<p class=\"para\">{first}</p>")));
    assert!(page.contains(ADDED));
    assert!(page.contains("<span id=\"handling-result\">部分采纳</span>"));
    assert!(page.contains("第 2 版，共 2 版"));
    assert!(page.contains(&format!("href=\"/reply/{id}?version=1\">第 1 版</a>")));
    assert!(page.contains(&format!(
        "href=\"/reply/{id}/diff?from=1&amp;to=2\">与第 1 版对照</a>"
    )));
    assert!(page.contains("公开中"));

    // Version 1, as it was.
    let old = dump_dom(&format!("{base}/reply/{id}?version=1")).await;
    assert!(old.contains("<span id=\"handling-result\">解决采纳</span>"));
    assert!(old.contains("id=\"old-version\""));
    assert!(!old.contains(ADDED));

    // The comparison: the changed fields, the body marked.
    let diff_url = format!("{base}/reply/{id}/diff?from=1&to=2");
    let diff = dump_dom(&diff_url).await;
    assert!(diff.contains("第 1 版与第 2 版对照"));
    assert!(diff.contains(
        "<tr data-field=\"handling_result.category\"><td data-label=\"字段\">办理结果类别</td>\
         <td data-label=\"旧值\"><del>解决采纳</del></td><td data-label=\"新值\"><ins>部分采纳</ins></td></tr>"
    ));
    assert!(diff.contains(&format!("<ins>{ADDED}</ins>")));
    assert!(
        diff.contains("经<ins>认真</ins>研究"),
        "a change inside a paragraph"
    );
    assert!(diff.contains("<del>"));

    // The API beside the pages still answers JSON.
    let json: serde_json::Value = reqwest::get(format!("{base}/replies/{id}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["current"]["version"], 2);

    if screenshots_wanted(db) {
        shoot(&format!("{base}/"), "list.png", 1280, 1600).await;
        shoot(&format!("{base}/reply/{id}"), "reply.png", 1280, 3600).await;
        shoot(&diff_url, "diff.png", 1280, 1400).await;
        shoot(&format!("{base}/reply/{id}"), "reply-phone.png", 390, 6400).await;
        shoot(&format!("{base}/"), "list-phone.png", 390, 2400).await;
        shoot(&diff_url, "diff-phone.png", 390, 2000).await;
        shoot(
            &format!("{base}/?q=%E7%94%B5%E6%A2%AF"),
            "search.png",
            1280,
            1400,
        )
        .await;
    }
    server.abort();
}

async fn a_hostile_record_renders_as_text_in_a_browser(db: &TestDb) {
    let mut reply: Reply = serde_json::from_str(include_str!(
        "../../../corpus/putuo-pufu-2022-55.expected.json"
    ))
    .unwrap();
    let title = "<script>alert(1)</script>";
    reply.id = ReplyId::from("shpt:hostile");
    reply.title = title.into();
    reply.doc_number = Some("<img src=x onerror=alert(2)>".into());
    reply.body.sections[0].paragraphs[0] = "\"quotes\" & <b>粗体</b>".into();
    reply.url = Some("javascript:alert(3)".into());
    reply.urls = vec!["javascript:alert(3)".into()];
    reply.attachments = vec![govwire_model::Attachment {
        name: "<img src=x onerror=alert(4)>".into(),
        url: "javascript:alert(5)".into(),
        sha256: None,
        text: Some("<script>alert(6)</script>".into()),
    }];
    let reply = versioned(reply, 1);
    db.store
        .archive_event_at("hostile", "govwire.reply.published", &reply, at(9), at(9))
        .await
        .unwrap();
    let (addr, server) = serve(&db.store).await;
    let base = format!("http://{addr}");

    for url in [
        format!("{base}/"),
        format!("{base}/reply/{}", segment("shpt:hostile")),
    ] {
        let dom = dump_dom(&url).await;
        assert!(!dom.contains("<script"), "a script element on {url}");
        assert!(!dom.contains("<img"), "an image on {url}");
        assert!(
            !dom.contains("href=\"javascript:"),
            "a script link on {url}"
        );
        assert!(
            dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "the title shows as text on {url}"
        );
    }
    let page = dump_dom(&format!("{base}/reply/{}", segment("shpt:hostile"))).await;
    assert!(page.contains("<h1 id=\"title\">&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
    assert!(page.contains("\"quotes\" &amp; &lt;b&gt;粗体&lt;/b&gt;"));
    assert!(
        page.contains("javascript:alert(3)"),
        "the URL shows as text"
    );
    server.abort();
}

async fn unknown_replies_and_bad_versions_are_answered_with_chinese_pages(db: &TestDb) {
    let goldens = archive_corpus(&db.store).await;
    let (addr, server) = serve(&db.store).await;
    let base = format!("http://{addr}");
    let id = segment(goldens[0].id.as_str());
    for (path, status, says) in [
        (
            "/reply/shpt%3Anope".to_string(),
            404,
            "档案中没有编号为“shpt:nope”的答复",
        ),
        (format!("/reply/{id}?version=9"), 404, "没有第 9 版"),
        (
            format!("/reply/{id}?version=x"),
            400,
            "参数 version 应为版本号",
        ),
        (format!("/reply/{id}/diff?from=1&to=2"), 404, "没有第 2 版"),
        (format!("/reply/{id}/diff"), 400, "请用参数 from 和 to"),
        (
            format!("/reply/{id}/diff?from=1&to=1"),
            400,
            "请指明两个不同的版本",
        ),
        (
            format!("/reply/{id}/diff?from=0&to=1"),
            400,
            "参数 from 应为版本号",
        ),
        (
            "/reply/shpt%3Anope/diff?from=1&to=2".to_string(),
            404,
            "档案中没有编号",
        ),
        ("/?offset=10".to_string(), 400, "参数 offset 有误"),
        ("/?after=nonsense".to_string(), 400, "参数 after 有误"),
        ("/?from=2022-13-01".to_string(), 400, "参数 from 有误"),
    ] {
        let response = reqwest::get(format!("{base}{path}")).await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        assert!(response.headers().contains_key("content-security-policy"));
        let body = response.text().await.unwrap();
        assert!(body.contains(says), "{path}: {body}");
        assert!(body.contains("<html lang=\"zh-CN\">"));
    }
    server.abort();
}
