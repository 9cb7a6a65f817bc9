//! The `govwire` binary as an operator meets it: configuration errors,
//! JSON logs, graceful stop on SIGTERM, `govwire parse` and its guards.
//!
//! No test here sends a packet outside 127.0.0.0/8. The servers a test
//! starts listen on loopback addresses (127.0.0.1, 127.0.0.2). A test whose
//! URL or redirect names another address (169.254.169.254) asserts the
//! refusal `refused to fetch …: … is not a public address`, which the
//! address check makes from the URL alone before any connection is tried.
//! Those tests also point every proxy variable at a loopback trap, so that a
//! client honouring the environment's proxy, as `govwire parse` did before it
//! fetched through the crawler, only ever reaches the trap.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use govwire_fixture_portal::{corpus, FixturePortal};
use tokio_util::sync::CancellationToken;

fn govwire() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_govwire"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    for (k, _) in std::env::vars() {
        if k.starts_with("GOVWIRE") {
            c.env_remove(k);
        }
    }
    // Any free port for the health and metrics listener: the daemons of
    // tests running at once must not contend for the shipped one.
    c.env("GOVWIRE__TELEMETRY__LISTEN", "127.0.0.1:0");
    c
}

/// `govwire init` for the store at `url`, as an operator runs it before
/// the daemons.
fn init_store(url: &str) {
    let out = govwire()
        .arg("init")
        .env("GOVWIRE__STORE__URL", url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "govwire init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unknown_configuration_key_stops_start_up_naming_it() {
    let out = govwire()
        .args(["check-config"])
        .env("GOVWIRE__STORE__URLL", "sqlite://x.db")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("urll"), "{stderr}");
}

#[test]
fn an_invalid_value_stops_start_up_without_printing_the_password() {
    let out = govwire()
        .args(["check-config"])
        .env(
            "GOVWIRE__AMQP__URL",
            "http://guest:hunter2-s3cret@127.0.0.1/",
        )
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("amqp.url"), "{stderr}");
    assert!(!stderr.contains("hunter2-s3cret"), "{stderr}");
}

#[test]
fn the_shipped_configuration_checks_out() {
    let out = govwire().args(["check-config"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("portal shpt"), "{stdout}");
}

#[test]
fn check_config_says_which_file_and_warns_about_the_placeholder_user_agent() {
    let out = govwire().args(["check-config"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("configuration OK: config/govwire.toml (found in the working directory)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("warning: crawler.user_agent is the placeholder"),
        "{stdout}"
    );

    let named = govwire()
        .args(["check-config"])
        .env("GOVWIRE_CONFIG", "config/govwire.toml")
        .env(
            "GOVWIRE__CRAWLER__USER_AGENT",
            "govwire (+mailto:desk@example.org)",
        )
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&named.stdout);
    assert!(stdout.contains("(named by GOVWIRE_CONFIG)"), "{stdout}");
    assert!(!stdout.contains("warning:"), "{stdout}");
}

#[test]
fn check_config_connect_checks_the_broker_and_the_store() {
    let dir = tempfile_dir::Dir::new("check");
    let store = format!("sqlite://{}/govwire.db", dir.path.display());
    let amqp =
        std::env::var("GOVWIRE_TEST_AMQP_URL").unwrap_or_else(|_| govwire_bus::DEFAULT_URL.into());

    // A store not created yet: the broker answers, the store does not.
    let missing = govwire()
        .args(["check-config", "--connect"])
        .env("GOVWIRE__AMQP__URL", &amqp)
        .env("GOVWIRE__STORE__URL", &store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&missing.stdout);
    assert!(!missing.status.success(), "{stdout}");
    assert!(
        stdout.contains("RabbitMQ at amqp://") && stdout.contains(" answers"),
        "{stdout}"
    );
    assert!(
        stdout.contains("does not exist; create it with `govwire init`"),
        "{stdout}"
    );

    init_store(&store);
    let ok = govwire()
        .args(["check-config", "--connect"])
        .env("GOVWIRE__AMQP__URL", &amqp)
        .env("GOVWIRE__STORE__URL", &store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains(&format!("the store at {store} answers")),
        "{stdout}"
    );

    // A broker port nothing listens on (loopback): reported, exit 1, and
    // the password in the URL is never printed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = govwire()
        .args(["check-config", "--connect"])
        .env(
            "GOVWIRE__AMQP__URL",
            format!("amqp://guest:pw-s3cret@127.0.0.1:{port}/%2f"),
        )
        .env("GOVWIRE__STORE__URL", &store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&down.stdout);
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert!(!down.status.success(), "{stdout}");
    assert!(stdout.contains("does not answer"), "{stdout}");
    assert!(
        !stdout.contains("pw-s3cret") && !stderr.contains("pw-s3cret"),
        "{stdout}{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_tells_each_section_s_last_poll_and_each_queue_s_depth() {
    let dir = tempfile_dir::Dir::new("status");
    let url = format!("sqlite://{}/govwire.db", dir.path.display());
    init_store(&url);
    // A section whose last two polls failed, half an hour apart.
    let store = govwire_store::Store::connect(&url.clone().into())
        .await
        .unwrap();
    let now = chrono::Utc::now();
    for minutes in [31, 1] {
        store
            .record_section_poll(&govwire_store::SectionPollRecord {
                portal: "shpt".into(),
                section: "bureau-docs".into(),
                at: now - chrono::Duration::minutes(minutes),
                listed: 0,
                new_items: 0,
                errors: 0,
                error: Some(
                    "https://www.shpt.gov.cn/robots.txt is unreachable: the connection was refused"
                        .into(),
                ),
                not_modified: false,
            })
            .await
            .unwrap();
    }
    store.close().await;
    let prefix = format!("govwire.test.status-{:x}", rand::random::<u32>());
    let out = govwire()
        .arg("status")
        .env("GOVWIRE__STORE__URL", &url)
        .env("GOVWIRE__AMQP__QUEUE_PREFIX", &prefix)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("portal shpt: no reply yet"), "{stdout}");
    assert!(
        stdout.contains("  section district-gov-docs: never polled"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  section bureau-docs: last poll ")
            && stdout.contains("failed (2 in a row over 31 minutes): https://www.shpt.gov.cn/robots.txt is unreachable: the connection was refused"),
        "{stdout}"
    );
    assert!(stdout.contains("    not degraded"), "{stdout}");
    // This test's queues were never declared.
    assert!(
        stdout.contains(&format!(
            "  {prefix}.parser: not declared waiting, not declared dead letters"
        )),
        "{stdout}"
    );
}

#[test]
fn an_error_is_printed_once_as_a_json_line_off_a_terminal_and_as_text_on_one() {
    let dir = tempfile_dir::Dir::new("once");
    let store = format!("sqlite://{}/missing.db", dir.path.display());
    // A daemon on a store that was never created stops with an error.
    let run = |format: &str| {
        govwire()
            .args(["--log-format", format, "archive"])
            .env("GOVWIRE__STORE__URL", &store)
            .env("GOVWIRE__ARCHIVE__LISTEN", "127.0.0.1:0")
            .output()
            .unwrap()
    };
    let json = run("json");
    assert!(!json.status.success());
    let stderr = String::from_utf8_lossy(&json.stderr);
    let mentions: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("does not exist"))
        .collect();
    assert_eq!(mentions.len(), 1, "the error once: {stderr}");
    let line: serde_json::Value = serde_json::from_str(mentions[0]).unwrap();
    assert_eq!(line["level"], "ERROR", "{stderr}");
    assert!(!stderr.contains("govwire: error:"), "{stderr}");

    let text = run("pretty");
    assert!(!text.status.success());
    let stderr = String::from_utf8_lossy(&text.stderr);
    let mentions = stderr
        .lines()
        .filter(|l| l.contains("does not exist"))
        .count();
    assert_eq!(mentions, 1, "the error once: {stderr}");
    assert!(stderr.contains("govwire: error:"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_all_logs_json_lines_and_stops_cleanly_on_sigterm() {
    let portal = FixturePortal::start(
        "127.0.0.1:0".parse().unwrap(),
        corpus(),
        CancellationToken::new(),
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!(
        "govwire-cli-{}-{:x}",
        std::process::id(),
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let db_url = format!("sqlite://{}/govwire.db", dir.display());
    init_store(&db_url);
    let suffix = format!("cli-{}-{:x}", std::process::id(), rand::random::<u32>());
    let mut child = govwire()
        .args(["all", "--base-url", &format!("shpt={}", portal.base_url())])
        .env(
            "GOVWIRE__AMQP__EVENTS_EXCHANGE",
            format!("govwire.test.{suffix}.events"),
        )
        .env(
            "GOVWIRE__AMQP__PIPELINE_EXCHANGE",
            format!("govwire.test.{suffix}.pipeline"),
        )
        .env(
            "GOVWIRE__AMQP__QUEUE_PREFIX",
            format!("govwire.test.{suffix}"),
        )
        .env("GOVWIRE__AMQP__QUEUE_EXPIRES_SECS", "120")
        .env("GOVWIRE__STORE__URL", &db_url)
        .env("GOVWIRE__ARCHIVE__LISTEN", "127.0.0.1:0")
        .env("GOVWIRE__ANALYTICS__LISTEN", "127.0.0.1:0")
        .env("GOVWIRE__CRAWLER__MIN_DELAY_MS", "0")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    // Read log lines on a thread; wait for a reply to be archived.
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(90);
    while !lines
        .iter()
        .any(|l: &String| l.contains("Reply version archived."))
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => lines.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!(
                    "no reply archived within 90 s; log so far:\n{}",
                    lines.join("\n")
                );
            }
        }
    }

    for line in &lines {
        let v: serde_json::Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("timestamp").is_some(),
            "{line}"
        );
    }
    let archived = lines
        .iter()
        .find(|l| l.contains("Reply version archived."))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(archived).unwrap();
    let text = v.to_string();
    assert!(
        text.contains("\"service\":\"archive\""),
        "the line names its service: {archived}"
    );
    assert!(
        text.contains("event_id") && text.contains("reply_id"),
        "{archived}"
    );
    // Every field is a top-level field: no line nests its spans, and the
    // parser's line for the archived reply names its service, portal,
    // section and URL itself.
    let parsed: Vec<serde_json::Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        parsed.iter().all(|v| v.get("spans").is_none()),
        "a line nests its spans"
    );
    let reply_id = v["reply_id"].as_str().unwrap();
    let parser_line = parsed
        .iter()
        .find(|v| v["message"] == "Page parsed as a reply." && v["reply_id"] == reply_id)
        .unwrap_or_else(|| panic!("no parser line for {reply_id}"));
    assert_eq!(parser_line["service"], "parser", "{parser_line}");
    assert_eq!(parser_line["portal"], "shpt", "{parser_line}");
    assert!(
        parser_line["section"].is_string() && parser_line["url"].is_string(),
        "{parser_line}"
    );
    // At most one INFO line per reply per stage.
    for target in [
        "govwire_parser_stage",
        "govwire_notifier",
        "govwire_archive",
        "govwire_store",
    ] {
        let info: Vec<&serde_json::Value> = parsed
            .iter()
            .filter(|v| v["level"] == "INFO" && v["reply_id"] == reply_id)
            .filter(|v| v["target"].as_str().is_some_and(|t| t.starts_with(target)))
            .collect();
        assert!(
            info.len() <= 1,
            "{target} logs {reply_id} {} times at INFO: {info:?}",
            info.len()
        );
    }
    assert!(
        parsed.iter().any(
            |v| v["message"] == "Configuration loaded." && v["config"] == "config/govwire.toml"
        ),
        "the first lines say which configuration file was read"
    );
    // The process serves its health and metrics where it says it does.
    let listen = parsed
        .iter()
        .find(|v| v["message"] == "Serving /livez, /readyz and /metrics.")
        .and_then(|v| v["listen"].as_str())
        .expect("a line says where health and metrics are served")
        .to_owned();
    let (live, metrics) = std::thread::spawn(move || {
        let get = |path: &str| {
            let url = format!("http://{listen}{path}");
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async { reqwest::get(&url).await.unwrap().text().await.unwrap() })
        };
        (get("/livez"), get("/metrics"))
    })
    .join()
    .unwrap();
    assert_eq!(live, "ok\n");
    assert!(
        metrics.contains("govwire_crawler_requests_total{"),
        "{metrics}"
    );

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("govwire all did not stop within 30 s of SIGTERM");
        }
        std::thread::park_timeout(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status after SIGTERM: {exit:?}");
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("SIGTERM received")),
        "the stop is logged: {}",
        rest.join("\n")
    );
    std::fs::remove_dir_all(&dir).ok();
    // The broker is shared: remove what this run declared.
    let bus_config = govwire_bus::BusConfig {
        events_exchange: format!("govwire.test.{suffix}.events"),
        pipeline_exchange: format!("govwire.test.{suffix}.pipeline"),
        queue_prefix: format!("govwire.test.{suffix}"),
        ..govwire_bus::BusConfig::default()
    };
    if let Ok(bus) = govwire_bus::Bus::connect(&bus_config, "cli-test-cleanup").await {
        for name in ["parser", "notifier", "archive"] {
            let _ = bus.delete_work_queue(name).await;
        }
        let _ = bus.delete_exchanges().await;
        bus.close().await;
    }
}

/// A corpus reply laid out in its own layout, saved as a UTF-8 file, with
/// its golden record.
fn saved_corpus_reply() -> (tempfile_dir::Dir, std::path::PathBuf, govwire_model::Reply) {
    let doc = corpus()
        .into_iter()
        .find(|d| {
            d.is_reply()
                && d.is_served()
                && d.reply.as_ref().is_some_and(|r| r.doc_number.is_some())
        })
        .expect("the corpus has a structured reply with a doc number");
    let golden = doc.golden().expect("a reply has a golden record");
    let dir = tempfile_dir::Dir::new("parse");
    let path = dir.path.join(format!("{}.html", doc.item_id()));
    std::fs::write(&path, doc.render()).unwrap();
    (dir, path, golden)
}

/// A temporary directory removed when dropped.
mod tempfile_dir {
    pub struct Dir {
        pub path: std::path::PathBuf,
    }
    impl Dir {
        pub fn new(what: &str) -> Dir {
            let path = std::env::temp_dir().join(format!(
                "govwire-cli-{what}-{}-{:x}",
                std::process::id(),
                rand::random::<u32>()
            ));
            std::fs::create_dir_all(&path).unwrap();
            Dir { path }
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[test]
fn govwire_parse_prints_a_saved_reply_with_its_fields_and_warnings() {
    let (_dir, path, golden) = saved_corpus_reply();
    let out = govwire()
        .args(["parse", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with(&format!("reply {}\n", golden.id)),
        "{stdout}"
    );
    assert!(stdout.contains(&golden.title), "{stdout}");
    assert!(
        stdout.contains(golden.doc_number.as_deref().unwrap()),
        "{stdout}"
    );
    assert!(
        stdout.contains(golden.addressee.as_deref().unwrap()),
        "{stdout}"
    );
    assert!(stdout.contains("WARNINGS"), "{stdout}");
}

#[test]
fn govwire_parse_json_prints_the_record_itself() {
    let (_dir, path, golden) = saved_corpus_reply();
    let out = govwire()
        .args(["parse", "--json", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let reply: govwire_model::Reply = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(reply.id, golden.id);
    assert_eq!(reply.body, golden.body);
    assert_eq!(reply.cc, golden.cc);
}

#[test]
fn govwire_parse_of_a_notice_exits_2_with_the_reason() {
    let dir = tempfile_dir::Dir::new("notice");
    let path = dir.path.join("notice.html");
    std::fs::write(
        &path,
        "<html><head><meta charset=\"utf-8\"></head><body><h1>上海市普陀区人民政府关于开展2025年区政府实事项目征集工作的通知</h1><div class=\"TRS_Editor\"><p>各街道、镇：现将有关事项通知如下。</p></div></body></html>",
    )
    .unwrap();
    let out = govwire()
        .args(["parse", path.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.starts_with("not a reply: "), "{stdout}");
    assert!(stdout.contains("notice"), "{stdout}");
}

#[test]
fn govwire_parse_of_a_reply_without_a_body_exits_1_with_the_reason() {
    let dir = tempfile_dir::Dir::new("nobody");
    let path = dir.path.join("nobody.html");
    std::fs::write(
        &path,
        "<html><head><meta charset=\"utf-8\"></head><body><h1>关于区十七届人大五次会议第0231号代表建议的答复</h1><div class=\"TRS_Editor\"></div></body></html>",
    )
    .unwrap();
    let out = govwire()
        .args(["parse", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("parse failure:"), "{stderr}");
    assert!(stderr.contains("no body"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn govwire_parse_of_a_saved_page_reads_the_linked_file_saved_beside_it_from_any_directory() {
    let doc = corpus()
        .into_iter()
        .find(|d| d.reply_attachment().is_some() && d.is_served())
        .expect("the corpus has a reply held only in a linked file");
    let golden = doc.golden().expect("a reply has a golden record");
    let spec = doc.reply_attachment().unwrap();
    let file = govwire_fixture_portal::attachments::attachment(&spec.file).unwrap();
    let dir = tempfile_dir::Dir::new("saved");
    let page = dir.path.join("reply.html");
    std::fs::write(&page, doc.render()).unwrap();
    // Where a browser's "save page" puts the files a page links.
    let files = dir.path.join("reply_files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join(&spec.file), file.bytes).unwrap();

    // Run from the page's directory: the shipped profile is built in.
    let parse = || {
        govwire()
            .current_dir(&dir.path)
            .args(["parse", "--json", "reply.html"])
            .output()
            .unwrap()
    };
    let out = parse();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: govwire_model::Reply = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply.body, golden.body, "the body comes from the saved PDF");
    assert_eq!(reply.attachments[0].sha256, golden.attachments[0].sha256);

    // Without the file, the failure says which file was looked for where.
    std::fs::remove_dir_all(&files).unwrap();
    let out = parse();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&spec.file) && stderr.contains("reply_files"),
        "{stderr}"
    );
}

/// A corpus reply without a doc number, on a page of a layout the shipped
/// profile does not describe whose metadata shows its publication date.
fn unprofiled_reply_without_a_doc_number(d: &govwire_fixture_portal::Document) -> bool {
    d.layout == govwire_fixture_portal::Layout::Unprofiled
        && d.is_reply()
        && d.reply.as_ref().is_some_and(|r| r.doc_number.is_none())
        && d.variant
            .as_ref()
            .is_some_and(|v| v.metadata != govwire_fixture_portal::MetadataMarkup::None)
}

#[test]
fn govwire_parse_names_a_saved_reply_without_a_doc_number_by_its_item_id_never_by_its_file_name() {
    let doc = corpus()
        .into_iter()
        .find(unprofiled_reply_without_a_doc_number)
        .expect("the corpus has such a reply");
    let golden = doc.golden().expect("a reply has a golden record");
    let dir = tempfile_dir::Dir::new("item-id");
    let path = dir.path.join("saved-reply.html");
    std::fs::write(&path, doc.render()).unwrap();
    let parse = |extra: &[&str]| {
        govwire()
            .args(["parse", "--json"])
            .args(extra)
            .arg(path.to_str().unwrap())
            .output()
            .unwrap()
    };

    // Nothing names the item: no id is made up from the file's name.
    let out = parse(&[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--item-id"), "{stderr}");
    assert!(!stderr.contains("shpt:saved-reply"), "{stderr}");
    assert!(out.stdout.is_empty());

    let out = parse(&["--item-id", doc.item_id()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: govwire_model::Reply = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply.id, golden.id);
    assert_eq!(reply.id.to_string(), format!("shpt:{}", doc.item_id()));
    // Read from the page's metadata, found without the profile's selector.
    assert_eq!(reply.published_on, Some(doc.published_on));
    assert_eq!(reply.index_number, golden.index_number);
    assert_eq!(reply.warnings, golden.warnings);

    // A page a browser saved names the address it came from.
    let noted = format!(
        "<!-- saved from url=(0070)https://www.shpt.gov.cn{} -->\n{}",
        doc.path(),
        doc.render()
    );
    std::fs::write(&path, noted).unwrap();
    let out = parse(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply: govwire_model::Reply = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reply.id, golden.id);
}

/// Starts the fixture portal, runs `govwire parse --json --allow-private` on
/// the first document `pick` chooses, checks it exited 0, and returns the portal (for
/// its request log), the document and the record the command printed.
async fn parse_fixture_url(
    pick: impl Fn(&govwire_fixture_portal::Document) -> bool,
) -> (
    govwire_fixture_portal::RunningPortal,
    govwire_fixture_portal::Document,
    govwire_model::Reply,
) {
    let cancel = CancellationToken::new();
    let portal = FixturePortal::start("127.0.0.1:0".parse().unwrap(), corpus(), cancel.clone())
        .await
        .unwrap();
    let doc = portal
        .documents()
        .into_iter()
        .find(|d| pick(d))
        .expect("the corpus has such a document");
    let url = portal.url_of(&doc);
    let out = tokio::task::spawn_blocking(move || {
        govwire()
            .args(["parse", "--json", "--allow-private", &url])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    cancel.cancel();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reply = serde_json::from_slice(&out.stdout).unwrap();
    (portal, doc, reply)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_fetches_a_url_and_reads_the_page_it_gets() {
    let (portal, doc, reply) = parse_fixture_url(|d| d.is_reply() && d.is_served()).await;
    let golden = doc.golden().unwrap();
    assert_eq!(reply.id, golden.id);
    assert_eq!(reply.title, golden.title);
    // The portal was asked for the page, once.
    assert!(portal
        .requests()
        .iter()
        .any(|r| r.method == "GET"
            && url::Url::parse(&portal.url_of(&doc)).unwrap().path() == r.path));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_of_a_url_names_a_reply_without_a_doc_number_by_the_item_id_in_the_url() {
    let (_portal, doc, reply) = parse_fixture_url(unprofiled_reply_without_a_doc_number).await;
    let golden = doc.golden().unwrap();
    assert_eq!(reply.id.to_string(), format!("shpt:{}", doc.item_id()));
    assert_eq!(reply.id, golden.id);
    // As good as the pipeline: the publication date from the page's
    // metadata, and the warnings that say how the page had to be read.
    assert_eq!(reply.published_on, Some(doc.published_on));
    assert_eq!(reply.warnings, golden.warnings);
    assert_eq!(reply.body, golden.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_of_a_url_reads_a_reply_held_only_in_its_linked_pdf() {
    let (portal, doc, reply) = parse_fixture_url(|d| d.reply_attachment().is_some()).await;
    let golden = doc.golden().unwrap();
    assert_eq!(reply.id, golden.id);
    assert_eq!(
        reply.body, golden.body,
        "the body comes from the PDF's text"
    );
    assert_eq!(reply.attachments.len(), golden.attachments.len());
    assert_eq!(reply.attachments[0].sha256, golden.attachments[0].sha256);
    assert!(
        portal
            .requests()
            .iter()
            .any(|r| r.path.starts_with("/files/")),
        "the linked file was fetched"
    );
}

/// Runs `govwire backfill --portal shpt` against `base_url` with the test's
/// own exchanges, queues and SQLite file; returns (exit code, stdout, stderr).
async fn run_backfill(base_url: &str, suffix: &str, db: &std::path::Path) -> (i32, String, String) {
    let mut command = govwire();
    command
        .args(["backfill", "--portal", "shpt", "--base-url"])
        .arg(format!("shpt={base_url}"))
        .env(
            "GOVWIRE__AMQP__EVENTS_EXCHANGE",
            format!("govwire.test.{suffix}.events"),
        )
        .env(
            "GOVWIRE__AMQP__PIPELINE_EXCHANGE",
            format!("govwire.test.{suffix}.pipeline"),
        )
        .env(
            "GOVWIRE__AMQP__QUEUE_PREFIX",
            format!("govwire.test.{suffix}"),
        )
        .env("GOVWIRE__AMQP__QUEUE_EXPIRES_SECS", "120")
        .env("GOVWIRE__STORE__URL", format!("sqlite://{}", db.display()))
        .env("GOVWIRE__CRAWLER__MIN_DELAY_MS", "0")
        .env("GOVWIRE__LOG__FORMAT", "json");
    let out = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The numbers of one `govwire backfill` summary line:
/// `shpt <section>: P page(s), N new item(s), D delivered, F failed, complete`.
fn backfill_summary(line: &str) -> (u64, u64, bool) {
    let number_before = |what: &str| -> u64 {
        let end = line
            .find(what)
            .unwrap_or_else(|| panic!("no `{what}` in {line}"));
        line[..end]
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no number before `{what}` in {line}"))
    };
    (
        number_before(" new item(s)"),
        number_before(" delivered"),
        line.ends_with(", complete"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_backfill_walks_every_section_publishes_its_pages_and_a_second_run_does_nothing_new(
) {
    let cancel = CancellationToken::new();
    let portal = FixturePortal::start("127.0.0.1:0".parse().unwrap(), corpus(), cancel.clone())
        .await
        .unwrap();
    let dir = tempfile_dir::Dir::new("backfill");
    let db = dir.path.join("govwire.db");
    init_store(&format!("sqlite://{}", db.display()));
    let suffix = format!(
        "backfill-{}-{:x}",
        std::process::id(),
        rand::random::<u32>()
    );
    let bus_config = govwire_bus::BusConfig {
        queue_prefix: format!("govwire.test.{suffix}"),
        events_exchange: format!("govwire.test.{suffix}.events"),
        pipeline_exchange: format!("govwire.test.{suffix}.pipeline"),
        ..Default::default()
    };
    let parser_queue = bus_config.queue_name("parser");

    let (code, stdout, stderr) = run_backfill(&portal.base_url(), &suffix, &db).await;

    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let summaries: Vec<&str> = stdout.lines().filter(|l| l.starts_with("shpt ")).collect();
    assert!(
        !summaries.is_empty(),
        "one summary line per section: {stdout}"
    );
    let (mut new_items, mut delivered) = (0, 0);
    for line in &summaries {
        let (n, d, complete) = backfill_summary(line);
        assert!(complete, "every section walked to its end: {line}");
        new_items += n;
        delivered += d;
    }
    assert!(delivered > 0, "the corpus replies were fetched: {stdout}");
    assert!(delivered <= new_items, "{stdout}");
    let progress: Vec<serde_json::Value> = stderr
        .lines()
        .filter(|l| l.contains("Backfill progress."))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        !progress.is_empty(),
        "plain progress lines when stderr is not a terminal:\n{stderr}"
    );
    assert!(
        progress
            .iter()
            .all(|v| v.to_string().contains("\"page\":") && v.to_string().contains("\"section\":")),
        "{stderr}"
    );
    let bus = govwire_bus::Bus::connect(&bus_config, "cli-test")
        .await
        .unwrap_or_else(|e| panic!("RabbitMQ at 127.0.0.1:5672 must be reachable: {e}"));
    let queued = bus.queue_message_count(&parser_queue).await.unwrap();
    assert_eq!(
        u64::from(queued),
        delivered,
        "every delivered page waits in the parser's queue"
    );

    // A second run finds every section's backfill complete: no request to
    // the portal, nothing published.
    portal.reset_requests();
    let (code, stdout, stderr) = run_backfill(&portal.base_url(), &suffix, &db).await;
    assert_eq!(code, 0, "stdout:\n{stdout}\nstderr:\n{stderr}");
    let summaries: Vec<&str> = stdout.lines().filter(|l| l.starts_with("shpt ")).collect();
    assert!(!summaries.is_empty(), "{stdout}");
    for line in &summaries {
        let (n, d, complete) = backfill_summary(line);
        assert_eq!((n, d, complete), (0, 0, true), "{line}");
    }
    assert!(
        portal.requests().is_empty(),
        "a completed backfill asks the portal nothing: {:?}",
        portal.requests()
    );
    assert_eq!(
        bus.queue_message_count(&parser_queue).await.unwrap(),
        queued,
        "nothing new published"
    );
    // The broker is shared: remove what this run declared.
    let _ = bus
        .delete_work_queue(govwire_model::pipeline::PARSER_QUEUE.name)
        .await;
    let _ = bus.delete_exchanges().await;
    cancel.cancel();
}

/// A server on a loopback address that answers every request with one fixed
/// response, and counts the connections it accepted.
struct LoopbackServer {
    port: u16,
    connections: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl LoopbackServer {
    /// Listens on `ip` (in 127.0.0.0/8), a port of its own.
    fn start(ip: &str, response: Vec<u8>) -> LoopbackServer {
        use std::io::{Read, Write};
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind((ip, 0))
            .unwrap_or_else(|e| panic!("cannot listen on {ip}: {e}"));
        let port = listener.local_addr().unwrap().port();
        let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (count, seen) = (connections.clone(), requests.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                count.fetch_add(1, Ordering::SeqCst);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                    head.push(byte[0]);
                }
                let first = String::from_utf8_lossy(&head)
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                seen.lock().unwrap().push(first);
                let _ = stream.write_all(&response);
            }
        });
        LoopbackServer {
            port,
            connections,
            requests,
        }
    }

    /// A server that answers everything 502: a trap that must stay unused.
    fn trap(ip: &str) -> LoopbackServer {
        LoopbackServer::start(
            ip,
            b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec(),
        )
    }

    /// A server that answers everything with `body` as `content_type`.
    fn page(content_type: &str, body: &str) -> LoopbackServer {
        let mut response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        response.extend_from_slice(body.as_bytes());
        LoopbackServer::start("127.0.0.1", response)
    }

    fn connections(&self) -> usize {
        self.connections.load(std::sync::atomic::Ordering::SeqCst)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// Runs `govwire parse ARGS` with every proxy variable pointing at `trap`
/// (requests to 127.0.0.1 excepted), and returns (exit code, stdout,
/// stderr). Fails when the command has not ended within a minute.
fn run_parse(args: &[&str], trap: &LoopbackServer) -> (i32, String, String) {
    let proxy = format!("http://127.0.0.1:{}", trap.port);
    let mut child = govwire()
        .arg("parse")
        .args(args)
        .env("http_proxy", &proxy)
        .env("HTTP_PROXY", &proxy)
        .env("https_proxy", &proxy)
        .env("HTTPS_PROXY", &proxy)
        .env("all_proxy", &proxy)
        .env("ALL_PROXY", &proxy)
        .env("no_proxy", "127.0.0.1,localhost")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            panic!("govwire parse {args:?} did not end within 60 s");
        }
        std::thread::park_timeout(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The fixture portal with the corpus, and the URL of a served reply.
async fn fixture_reply() -> (
    govwire_fixture_portal::RunningPortal,
    String,
    CancellationToken,
) {
    let cancel = CancellationToken::new();
    let portal = FixturePortal::start("127.0.0.1:0".parse().unwrap(), corpus(), cancel.clone())
        .await
        .unwrap();
    let doc = portal
        .documents()
        .into_iter()
        .find(|d| d.is_reply() && d.is_served())
        .expect("the corpus has a served reply");
    let url = portal.url_of(&doc);
    (portal, url, cancel)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_refuses_a_loopback_url_without_allow_private_and_names_the_flag() {
    let (portal, url, _cancel) = fixture_reply().await;
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_parse(&["--json", &url], &trap))
            .await
            .unwrap();

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("127.0.0.1 is not a public address"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-private"), "{stderr}");
    assert!(portal.requests().is_empty(), "{:?}", portal.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_refuses_a_decimal_encoded_loopback_address() {
    let (portal, url, _cancel) = fixture_reply().await;
    // 2130706433 is 127.0.0.1 written as one number.
    let decimal = url.replacen("127.0.0.1", "2130706433", 1);
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_parse(&["--json", &decimal], &trap))
            .await
            .unwrap();

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("127.0.0.1 is not a public address"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-private"), "{stderr}");
    assert!(portal.requests().is_empty(), "{:?}", portal.requests());
}

#[test]
fn govwire_parse_refuses_the_metadata_address_before_connecting_anywhere() {
    // The address check refuses the literal before any request; the proxy
    // trap would catch a client that skipped it and honoured the proxy.
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) = run_parse(&["http://169.254.169.254/latest/meta-data/"], &trap);

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("refused to fetch http://169.254.169.254/latest/meta-data/"),
        "{stderr}"
    );
    assert!(
        stderr.contains("169.254.169.254 is not a public address"),
        "{stderr}"
    );
    assert_eq!(trap.connections(), 0, "{:?}", trap.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_with_allow_private_still_refuses_a_redirect_to_the_metadata_address() {
    let (portal, url, _cancel) = fixture_reply().await;
    portal.set_hostile(govwire_fixture_portal::Hostile::RedirectToMetadata);
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr, trap) = tokio::task::spawn_blocking(move || {
        let (code, stdout, stderr) = run_parse(&["--allow-private", &url], &trap);
        (code, stdout, stderr, trap)
    })
    .await
    .unwrap();

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("169.254.169.254 is not a public address"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--allow-private allows only the host and port of the URL given"),
        "{stderr}"
    );
    let redirects = portal.requests().iter().filter(|r| r.status == 302).count();
    assert_eq!(redirects, 1, "{:?}", portal.requests());
    assert_eq!(trap.connections(), 0, "{:?}", trap.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_with_allow_private_still_refuses_a_redirect_to_another_loopback_port() {
    let (portal, url, _cancel) = fixture_reply().await;
    let other = LoopbackServer::trap("127.0.0.1");
    portal.set_hostile(govwire_fixture_portal::Hostile::RedirectToLoopback { port: other.port });
    let proxy_trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_parse(&["--allow-private", &url], &proxy_trap))
            .await
            .unwrap();

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "refused to fetch http://127.0.0.1:{}/",
            other.port
        )),
        "{stderr}"
    );
    assert_eq!(other.connections(), 0, "{:?}", other.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_fetches_no_linked_file_on_another_private_host() {
    // Another host on loopback: 127.0.0.2 is not the host the operator named.
    let elsewhere = LoopbackServer::trap("127.0.0.2");
    let page = LoopbackServer::page(
        "text/html; charset=utf-8",
        &format!(
            "<html><head><meta charset=\"utf-8\"></head><body><h1>关于区十七届人大五次会议第0231号代表建议的答复</h1><div class=\"TRS_Editor\"><p>附件：<a href=\"http://127.0.0.2:{}/files/reply.pdf\">答复全文</a></p></div></body></html>",
            elsewhere.port
        ),
    );
    let url = format!("http://127.0.0.1:{}/zhengwu/a/2025/1/231.html", page.port);
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_parse(&["--allow-private", &url], &trap))
            .await
            .unwrap();

    assert_eq!(
        code, 1,
        "the reply's text was in the file: {stdout}\n{stderr}"
    );
    assert!(stderr.contains("linked file `答复全文`"), "{stderr}");
    assert!(
        stderr.contains("127.0.0.2 is not a public address"),
        "{stderr}"
    );
    assert_eq!(page.connections(), 1, "{:?}", page.requests());
    assert_eq!(elsewhere.connections(), 0, "{:?}", elsewhere.requests());
}

#[test]
fn govwire_parse_refuses_a_url_that_is_not_an_html_page_before_reading_it() {
    let page = LoopbackServer::page("image/png", "\u{89}PNG");
    let url = format!("http://127.0.0.1:{}/zhengwu/a/2025/1/1.html", page.port);
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) = run_parse(&["--allow-private", &url], &trap);

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("is image/png, which is not an HTML page"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_refuses_a_page_larger_than_the_body_cap_after_decompression() {
    let (portal, url, _cancel) = fixture_reply().await;
    portal.set_hostile(govwire_fixture_portal::Hostile::GzipBomb);
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_parse(&["--allow-private", &url], &trap))
            .await
            .unwrap();

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    // The shipped shpt profile's max_body_bytes.
    assert!(stderr.contains("exceeds 5242880 bytes"), "{stderr}");
}

#[test]
fn govwire_parse_refuses_file_urls_as_such() {
    let trap = LoopbackServer::trap("127.0.0.1");

    let (code, stdout, stderr) = run_parse(&["file:///etc/hostname"], &trap);

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stderr.contains(
            "only http and https URLs can be fetched; to parse a local file, pass its path"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains("No such file"), "{stderr}");
}

#[test]
fn govwire_parse_refuses_a_file_nested_200_000_levels_deep() {
    let dir = tempfile_dir::Dir::new("deep");
    let path = dir.path.join("deep.html");
    std::fs::write(&path, govwire_fixture_portal::server::deep_page(200_000)).unwrap();
    let trap = LoopbackServer::trap("127.0.0.1");

    // Building the tree of such a page takes minutes; the minute `run_parse`
    // waits is only reached when the depth is not checked first.
    let (code, stdout, stderr) = run_parse(&[path.to_str().unwrap()], &trap);

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("nested more than"), "{stderr}");
    assert!(stderr.contains("deep.html"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_parse_refuses_a_url_nested_200_000_levels_deep() {
    let (portal, url, _cancel) = fixture_reply().await;
    portal.set_hostile(govwire_fixture_portal::Hostile::DeepNesting { levels: 200_000 });
    let trap = LoopbackServer::trap("127.0.0.1");
    let asked = url.clone();

    let (code, stdout, stderr) =
        tokio::task::spawn_blocking(move || run_parse(&["--allow-private", &asked], &trap))
            .await
            .unwrap();

    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stderr.contains("nested more than"), "{stderr}");
    assert!(stderr.contains(&url), "{stderr}");
}

#[test]
fn govwire_replay_wants_a_target_and_a_known_event_type() {
    let out = govwire()
        .args(["replay", "--since", "2026-01-01"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--to-queue") && stderr.contains("--exchange"),
        "{stderr}"
    );

    let out = govwire()
        .args([
            "replay",
            "--since",
            "2026-01-01",
            "--exchange",
            "--type",
            "deleted",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`deleted` is not an event type"),
        "{stderr}"
    );

    let out = govwire()
        .args(["replay", "--since", "last week", "--exchange"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("neither a date"), "{stderr}");
}
