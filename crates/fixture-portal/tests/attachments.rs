//! The fixture serves attachment files as a portal does: content type by
//! kind, ETag, 304 on a matching If-None-Match, 404 for unknown files.

use govwire_fixture_portal::attachments::{attachment, attachment_path, ATTACHMENTS};
use govwire_fixture_portal::{corpus, FixturePortal};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn attachment_files_are_served_with_their_type_and_etag_and_revalidate_to_304() {
    let cancel = CancellationToken::new();
    let portal = FixturePortal::start("127.0.0.1:0".parse().unwrap(), corpus(), cancel.clone())
        .await
        .expect("the fixture portal starts");
    let client = reqwest::Client::new();
    assert!(!ATTACHMENTS.is_empty());
    for file in ATTACHMENTS {
        let url = format!("{}{}", portal.base_url(), attachment_path(file.name));
        let response = client.get(&url).send().await.expect("GET the file");
        assert_eq!(response.status(), 200, "{url}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        let body = response.bytes().await.unwrap();
        assert_eq!(&body[..], file.bytes, "{url}");
        if file.name.ends_with(".pdf") {
            assert_eq!(content_type, "application/pdf");
        } else {
            assert!(content_type.contains("wordprocessingml"), "{content_type}");
        }
        let again = client
            .get(&url)
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), 304, "{url}");
    }
    let missing = client
        .get(format!("{}/files/none.pdf", portal.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(attachment("pugzj-2026-18.pdf").is_some_and(|a| a.text.contains("王建国代表：")));
    cancel.cancel();
}
