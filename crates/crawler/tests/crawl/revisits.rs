//! Revisits of known items against the fixture portal: edits, unchanged
//! pages, removals.

use crate::support::{ids_of, Harness};

/// A news item of `test_documents`, listed in channel 3.
const EDITED: &str = "900003";

#[tokio::test]
async fn an_edit_is_delivered_again_by_a_revisit_and_unchanged_pages_answer_304() {
    let h = Harness::start().await;
    h.poll_all().await;
    let known = h.sink.len();
    assert!(h
        .portal
        .edit(EDITED, |doc| doc.add_paragraph("补充说明：本文已更新。")));
    h.portal.reset_requests();
    let before = h.sink.len();

    let report = h.crawler.revisit_due().await.expect("revisit");

    let pages = h.sink.pages_since(before);
    assert_eq!(
        ids_of(&pages),
        vec![EDITED],
        "only the edited page is delivered again"
    );
    let doc = h.portal.document(EDITED).expect("edited document");
    assert_eq!(
        pages[0].body,
        doc.served().body,
        "the new version is delivered"
    );
    assert_eq!(
        pages[0].list_title.as_deref(),
        Some(doc.title()),
        "the list title is kept"
    );
    assert_eq!(report.delivered, 1, "{report:?}");
    assert_eq!(report.not_modified as usize, known - 1, "{report:?}");
    assert_eq!(report.visited as usize, known, "{report:?}");

    let requests = h.portal.requests();
    assert_eq!(
        requests.len(),
        known,
        "one request per known page: {requests:?}"
    );
    assert!(
        requests.iter().all(|r| r.method == "GET" && r.conditional),
        "{requests:?}"
    );
    let changed: Vec<_> = requests.iter().filter(|r| r.status == 200).collect();
    assert_eq!(changed.len(), 1, "{requests:?}");
    assert_eq!(changed[0].path, doc.path());
    assert_eq!(
        requests.iter().filter(|r| r.status == 304).count(),
        known - 1
    );

    let item =
        h.db.store
            .crawl_item("shpt", EDITED)
            .await
            .expect("store")
            .expect("the edited item is known");
    assert_eq!(
        item.body_sha256.as_deref(),
        Some(pages[0].body_sha256().as_str())
    );
    assert_eq!(item.last_changed_at, item.last_fetched_at, "{item:?}");

    let again = h.crawler.revisit_due().await.expect("second revisit");
    assert_eq!(again.delivered, 0, "{again:?}");
    assert_eq!(again.not_modified as usize, known, "{again:?}");
}

#[tokio::test]
async fn a_removed_page_is_recorded_missing_and_not_delivered() {
    let h = Harness::start().await;
    h.poll_all().await;
    let before = h.sink.len();
    let removed = h.portal.document(EDITED).expect("document");
    assert!(h.portal.remove(EDITED));

    let report = h.crawler.revisit_due().await.expect("revisit");

    assert_eq!(h.sink.len(), before, "a removal delivers nothing");
    assert_eq!((report.missing, report.delivered), (1, 0), "{report:?}");
    let item =
        h.db.store
            .crawl_item("shpt", EDITED)
            .await
            .expect("store")
            .expect("still known");
    assert_eq!(item.last_status, Some(404));
    assert_eq!(item.consecutive_missing, 1);
    assert!(
        item.body_sha256.is_some(),
        "the last good fetch is kept: {item:?}"
    );

    let poll = h
        .crawler
        .poll_section("district-gov-docs")
        .await
        .expect("poll");
    assert_eq!(poll.delivered, 0, "{poll:?}");
    h.crawler.revisit_due().await.expect("revisit");
    let item =
        h.db.store
            .crawl_item("shpt", EDITED)
            .await
            .expect("store")
            .expect("still known");
    assert_eq!(item.consecutive_missing, 2);

    // Restored: the page answers again, with the same bytes; it is not news.
    h.portal.add(removed);
    let back = h.crawler.revisit_due().await.expect("revisit");
    assert_eq!(back.missing, 0, "{back:?}");
    let item =
        h.db.store
            .crawl_item("shpt", EDITED)
            .await
            .expect("store")
            .expect("still known");
    assert_eq!(item.consecutive_missing, 0);
    assert!(matches!(item.last_status, Some(200 | 304)), "{item:?}");
    assert_eq!(
        h.sink.len(),
        before,
        "identical bytes are not delivered again"
    );
}
