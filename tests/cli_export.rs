//! `govwire export` as an operator runs it: the archive's replies written
//! as JSON Lines or CSV with the list's filters, and a bad filter refused
//! naming it.

use std::path::PathBuf;
use std::process::Command;

use chrono::Utc;
use govwire_model::{HandlingCategory, Reply};
use govwire_store::Store;
use secrecy::SecretString;

struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn govwire(store: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_govwire"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GOVWIRE") {
            c.env_remove(k);
        }
    }
    c.args(["--log-format", "json"])
        .env("GOVWIRE__STORE__URL", store);
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_writes_the_filtered_replies_whole_and_refuses_a_bad_filter() {
    let dir = Dir(std::env::temp_dir().join(format!(
        "govwire-cli-export-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )));
    std::fs::create_dir_all(&dir.0).unwrap();
    let url = format!("sqlite://{}", dir.0.join("govwire.db").display());
    let secret = SecretString::from(url.clone());
    Store::init(&secret).await.unwrap();
    let store = Store::connect(&secret).await.unwrap();
    let replies: Vec<Reply> = govwire_fixture_portal::corpus()
        .iter()
        .filter_map(|d| d.golden())
        .map(|mut r| {
            r.version = 1;
            r.content_sha256 = r.compute_content_sha256();
            r
        })
        .collect();
    for (i, r) in replies.iter().enumerate() {
        store
            .archive_event_at(
                &format!("e{i}"),
                "govwire.reply.published",
                r,
                Utc::now(),
                Utc::now(),
            )
            .await
            .unwrap();
    }
    store.close().await;
    let adopted: Vec<&Reply> = replies
        .iter()
        .filter(|r| {
            r.handling_result.as_ref().and_then(|h| h.category) == Some(HandlingCategory::Adopted)
        })
        .collect();

    let out_file = dir.0.join("adopted.jsonl");
    let out = govwire(&url)
        .args([
            "export",
            "--format",
            "jsonl",
            "--filter",
            "result=adopted",
            "--out",
        ])
        .arg(&out_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written: Vec<Reply> = std::fs::read_to_string(&out_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(written.len(), adopted.len());
    for reply in &written {
        let original = replies.iter().find(|r| r.id == reply.id).unwrap();
        assert_eq!(reply, original, "every field survives");
    }

    let out = govwire(&url)
        .args(["export", "--format", "csv"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let csv = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        csv.lines().count(),
        replies.len() + 1,
        "a header and a row per reply"
    );

    let out = govwire(&url)
        .args(["export", "--filter", "colour=red"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unknown parameter `colour`"), "{stderr}");
    let out = govwire(&url)
        .args(["export", "--format", "xml"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format must be jsonl or csv"));
}
