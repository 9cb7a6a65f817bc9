//! The binary and its store, as an operator meets them: `govwire init`
//! creates it, a daemon refuses to start on a missing or unwritable one,
//! notices it being deleted or replaced while it runs, and logs a store that
//! keeps failing a bounded number of times.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use govwire_fixture_portal::{corpus, FixturePortal};
use govwire_store::testing::Immutable;
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

/// A temporary directory of the test's own, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(what: &str) -> Dir {
        let path = std::env::temp_dir().join(format!(
            "govwire-cli-store-{what}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&path).unwrap();
        Dir(path)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// `govwire init` with the store at `url`.
fn init(url: &str) -> Output {
    govwire()
        .arg("init")
        .env("GOVWIRE__STORE__URL", url)
        .output()
        .unwrap()
}

/// Runs a command that should exit on its own (a refused start) and waits
/// up to a minute for it; a daemon that starts instead is killed and the
/// test fails.
fn output_within(command: &mut Command, names: &BusNames) -> Output {
    names.apply(command);
    let child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &id.to_string()])
                .status();
            panic!("{command:?} did not exit within 60 s: it started instead of refusing to");
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Exchanges and queues of a test's own on the shared broker.
struct BusNames(String);

impl BusNames {
    fn new(what: &str) -> BusNames {
        BusNames(format!(
            "{what}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ))
    }

    fn apply(&self, command: &mut Command) {
        let suffix = &self.0;
        command
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
            .env("GOVWIRE__AMQP__QUEUE_EXPIRES_SECS", "120");
    }

    /// Removes what a run declared: the broker is shared.
    async fn clean_up(&self) {
        let suffix = &self.0;
        let config = govwire_bus::BusConfig {
            events_exchange: format!("govwire.test.{suffix}.events"),
            pipeline_exchange: format!("govwire.test.{suffix}.pipeline"),
            queue_prefix: format!("govwire.test.{suffix}"),
            ..govwire_bus::BusConfig::default()
        };
        if let Ok(bus) = govwire_bus::Bus::connect(&config, "cli-store-test-cleanup").await {
            for name in ["parser", "notifier", "archive"] {
                let _ = bus.delete_work_queue(name).await;
            }
            let _ = bus.delete_exchanges().await;
            bus.close().await;
        }
    }
}

/// A running daemon and its log lines (JSON, read on a thread).
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(mut command: Command) -> Running {
        let mut child = command
            .env("GOVWIRE__LOG__FORMAT", "json")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits up to `within` for a log line containing `needle`.
    fn wait_for_line(&mut self, needle: &str, within: Duration) {
        let deadline = Instant::now() + within;
        while !self.seen.iter().any(|l| l.contains(needle)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!(
                        "no `{needle}` within {within:?}; log so far:\n{}",
                        self.seen.join("\n")
                    );
                }
            }
        }
    }

    /// The lines logged during the next `span`.
    fn lines_during(&mut self, span: Duration) -> Vec<String> {
        let deadline = Instant::now() + span;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match self.lines.recv_timeout(left) {
                Ok(line) => out.push(line),
                Err(mpsc::RecvTimeoutError::Timeout) => break,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        self.seen.extend(out.iter().cloned());
        out
    }

    /// Waits up to `within` for the process to exit; returns its exit code
    /// and everything it logged.
    fn wait_exit(&mut self, within: Duration) -> (Option<i32>, String) {
        let deadline = Instant::now() + within;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "the daemon did not exit within {within:?}; log so far:\n{}",
                    self.seen.join("\n")
                );
            }
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(50)) {
                self.seen.push(line);
            }
        };
        // The reader thread ends with the pipe; take what is left.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"))
    }

    /// Stops the daemon (SIGTERM) and waits for it.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.child.try_wait().unwrap().is_none() {
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                break;
            }
            std::thread::park_timeout(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn govwire_init_creates_the_store_and_its_directory_and_a_second_run_has_nothing_to_do() {
    let dir = Dir::new("init");
    let db = dir.0.join("state").join("govwire.db");
    let archive_db = dir.0.join("archive").join("archive.db");

    let first = govwire()
        .arg("init")
        .env("GOVWIRE__STORE__URL", sqlite_url(&db))
        .env("GOVWIRE__ARCHIVE__STORE_URL", sqlite_url(&archive_db))
        .output()
        .unwrap();
    let stdout = text(&first.stdout);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(db.exists() && archive_db.exists(), "{stdout}");
    assert_eq!(
        stdout.matches("created").count(),
        2,
        "one line per store: {stdout}"
    );

    let second = init(&sqlite_url(&db));
    let stdout = text(&second.stdout);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert!(stdout.contains(&db.display().to_string()), "{stdout}");
    assert!(stdout.contains("nothing to do"), "{stdout}");
}

#[test]
fn every_daemon_refuses_to_start_on_a_missing_sqlite_file_naming_it_and_govwire_init() {
    let dir = Dir::new("missing");
    let db = dir.0.join("state").join("govwire.db");
    let names = BusNames::new("missing");
    for args in [
        &["crawler"][..],
        &["parser"],
        &["notifier"],
        &["archive"],
        &["alerts"],
        &["analytics"],
        &["all"],
        &["backfill", "--portal", "shpt"],
    ] {
        let out = output_within(
            govwire()
                .args(args)
                .env("GOVWIRE__STORE__URL", sqlite_url(&db))
                .env("GOVWIRE__ARCHIVE__LISTEN", "127.0.0.1:0")
                .env("GOVWIRE__ANALYTICS__LISTEN", "127.0.0.1:0"),
            &names,
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(
            stderr.contains(&db.display().to_string()),
            "{args:?} names the file: {stderr}"
        );
        assert!(
            stderr.contains("govwire init"),
            "{args:?} says how to create it: {stderr}"
        );
        assert!(!db.exists(), "{args:?} created the file");
    }
}

#[test]
fn a_daemon_refuses_to_start_on_a_read_only_sqlite_file_naming_the_file_and_the_reason() {
    let dir = Dir::new("read-only");
    let db = dir.0.join("govwire.db");
    let url = sqlite_url(&db);
    assert!(init(&url).status.success());

    let guard = Immutable::set(std::slice::from_ref(&db));
    let out = output_within(
        govwire().arg("notifier").env("GOVWIRE__STORE__URL", &url),
        &BusNames::new("read-only"),
    );
    drop(guard);

    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("refusing to start"), "{stderr}");
    assert!(stderr.contains(&db.display().to_string()), "{stderr}");
    assert!(stderr.contains("read-only"), "{stderr}");
}

#[test]
fn a_daemon_refuses_to_start_when_its_sqlite_directory_is_read_only() {
    let dir = Dir::new("read-only-dir");
    let state = dir.0.join("state");
    let db = state.join("govwire.db");
    let url = sqlite_url(&db);
    assert!(init(&url).status.success());

    let guard = Immutable::set(&[state]);
    let out = output_within(
        govwire().arg("notifier").env("GOVWIRE__STORE__URL", &url),
        &BusNames::new("read-only"),
    );
    drop(guard);

    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&db.display().to_string()), "{stderr}");
    assert!(stderr.contains("directory"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn govwire_all_exits_with_an_error_naming_its_sqlite_file_when_the_file_is_deleted() {
    let cancel = CancellationToken::new();
    let portal = FixturePortal::start("127.0.0.1:0".parse().unwrap(), corpus(), cancel.clone())
        .await
        .unwrap();
    let dir = Dir::new("deleted");
    let db = dir.0.join("govwire.db");
    let url = sqlite_url(&db);
    assert!(init(&url).status.success());
    let names = BusNames::new("deleted");
    let mut command = govwire();
    command
        .args(["all", "--base-url", &format!("shpt={}", portal.base_url())])
        .env("GOVWIRE__STORE__URL", &url)
        .env("GOVWIRE__ARCHIVE__LISTEN", "127.0.0.1:0")
        .env("GOVWIRE__ANALYTICS__LISTEN", "127.0.0.1:0")
        .env("GOVWIRE__CRAWLER__MIN_DELAY_MS", "0");
    names.apply(&mut command);
    let mut running = Running::start(command);
    running.wait_for_line("Crawler started.", Duration::from_secs(60));

    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let (code, log) = tokio::task::spawn_blocking(move || {
        let result = running.wait_exit(Duration::from_secs(20));
        drop(running);
        result
    })
    .await
    .unwrap();

    names.clean_up().await;
    cancel.cancel();
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains(&db.display().to_string()), "{log}");
    assert!(log.contains("was deleted"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_exits_with_an_error_naming_its_sqlite_file_when_the_file_is_replaced() {
    let dir = Dir::new("replaced");
    let db = dir.0.join("govwire.db");
    let url = sqlite_url(&db);
    assert!(init(&url).status.success());
    let names = BusNames::new("replaced");
    let mut command = govwire();
    command
        .arg("archive")
        .env("GOVWIRE__STORE__URL", &url)
        .env("GOVWIRE__ARCHIVE__LISTEN", "127.0.0.1:0")
        .env("GOVWIRE__ANALYTICS__LISTEN", "127.0.0.1:0");
    names.apply(&mut command);
    let mut running = Running::start(command);
    running.wait_for_line("Archive consuming reply events.", Duration::from_secs(60));

    // A restore from an old copy: another file renamed over the path.
    let copy = dir.0.join("copy.db");
    std::fs::copy(&db, &copy).unwrap();
    std::fs::rename(&copy, &db).unwrap();
    let (code, log) = tokio::task::spawn_blocking(move || {
        let result = running.wait_exit(Duration::from_secs(20));
        drop(running);
        result
    })
    .await
    .unwrap();

    names.clean_up().await;
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains(&db.display().to_string()), "{log}");
    assert!(log.contains("replaced"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crawler_whose_store_turns_read_only_logs_a_handful_of_warnings_not_a_flood() {
    let cancel = CancellationToken::new();
    let portal = FixturePortal::start("127.0.0.1:0".parse().unwrap(), corpus(), cancel.clone())
        .await
        .unwrap();
    let dir = Dir::new("flood");
    let db = dir.0.join("govwire.db");
    let url = sqlite_url(&db);
    assert!(init(&url).status.success());
    let names = BusNames::new("flood");
    let mut command = govwire();
    command
        .args([
            "crawler",
            "--base-url",
            &format!("shpt={}", portal.base_url()),
        ])
        .env("GOVWIRE__STORE__URL", &url)
        .env("GOVWIRE__CRAWLER__MIN_DELAY_MS", "0")
        .env("GOVWIRE__CRAWLER__POLL_INTERVAL_SECS", "1");
    names.apply(&mut command);
    let mut running = Running::start(command);
    running.wait_for_line("Crawler started.", Duration::from_secs(60));

    // Not the shared-memory file: SQLite maps it, and a mapped file turned
    // immutable kills the process with SIGBUS instead of failing a write.
    let guard = Immutable::set(&[db.clone(), PathBuf::from(format!("{}-wal", db.display()))]);
    let lines = tokio::task::spawn_blocking(move || {
        let lines = running.lines_during(Duration::from_secs(6));
        running.stop();
        lines
    })
    .await
    .unwrap();
    drop(guard);

    names.clean_up().await;
    cancel.cancel();
    let warnings: Vec<&String> = lines.iter().filter(|l| l.contains("\"WARN\"")).collect();
    eprintln!("{} warning(s) in 6 s", warnings.len());
    assert!(
        !warnings.is_empty(),
        "the failure is logged:\n{}",
        lines.join("\n")
    );
    assert!(
        warnings.len() <= 10,
        "{} warnings in 6 s:\n{}",
        warnings.len(),
        lines.join("\n")
    );
}
