//! The `govwire` command: each stage as a daemon, all of them in one process,
//! and the operator commands. Logic lives in the library crates; this file
//! loads configuration, sets up logging, runs, and maps the first failure to
//! an exit code with its cause chain.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use govwire::config::{find_config, Config, LogFormat};
use govwire::services::{self, Service};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Parser)]
#[command(
    name = "govwire",
    version,
    about = "Watches government portals for replies to deputies' suggestions and members' proposals."
)]
struct Cli {
    /// Configuration file. Without it: the file GOVWIRE_CONFIG names, else
    /// ./config/govwire.toml, else /etc/govwire/govwire.toml.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Log line format (overrides `[log] format`).
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Poll the configured portals and hand new or changed pages on.
    Crawler(RunArgs),
    /// Turn fetched pages into reply records.
    Parser(RunArgs),
    /// Decide published / updated and publish events.
    Notifier(RunArgs),
    /// Keep every version of every reply and serve them over HTTP.
    Archive(RunArgs),
    /// Deliver the events people's rules match (webhook, email, log); or,
    /// with `test` or `list`, look at the rules.
    Alerts(AlertsArgs),
    /// Keep the aggregates of every reply (per month, result, issuer, …)
    /// and serve them as JSON (`/analytics`) and as a report (`/report`).
    Analytics(RunArgs),
    /// Write the analytics report, one self-contained HTML file with its
    /// charts, from the analytics store.
    Report {
        /// The file to write.
        #[arg(long, default_value = "report.html")]
        out: PathBuf,
    },
    /// Write the archived replies (their current versions, or every
    /// version) as JSON Lines or CSV, to standard output or a file.
    Export(ExportArgs),
    /// Run every stage in this one process.
    All(RunArgs),
    /// Print events as they arrive on the events exchange.
    Tail {
        /// Print the raw CloudEvent JSON instead of a readable line.
        #[arg(long)]
        json: bool,
        /// Routing-key pattern to follow (`shpt.reply.*`, `#`).
        #[arg(long, default_value = "#")]
        binding: String,
        /// Stop after this many events.
        #[arg(long)]
        limit: Option<u64>,
    },
    /// Serve the fixture portal: a local copy of the portal's structure with
    /// the corpus of replies, for tests and demos.
    FixturePortal {
        /// Port to listen on (0 picks a free one).
        #[arg(long, default_value_t = 8480)]
        port: u16,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: IpAddr,
        /// Serve this many distinct synthetic replies made from the corpus
        /// instead of the corpus itself (load tests, `make bench-pipeline`).
        #[arg(long)]
        scale: Option<usize>,
    },
    /// Write the JSON Schemas of every wire type (or check them with --check).
    Schemas {
        /// Directory to write to.
        #[arg(long, default_value = "schemas")]
        out: PathBuf,
        /// Fail if the files differ from the types instead of writing them.
        #[arg(long)]
        check: bool,
    },
    /// Create the store(s) the configuration names (the SQLite file and its
    /// directory, or the PostgreSQL database) and apply the migrations.
    /// Idempotent. Daemons never create their store: run this first.
    Init,
    /// Load and validate the configuration and portal profiles, warn about
    /// settings to change before polling a real portal, then exit (1 when
    /// something cannot be used).
    CheckConfig(CheckConfigArgs),
    /// Walk a portal's history (its list pages to the end) through the same
    /// dedup and versioning path as live polling. Resumes where an
    /// interrupted run of the same range stopped.
    Backfill(BackfillArgs),
    /// Look at the dead-letter queues, or put their messages back into the
    /// queue they failed in.
    #[command(subcommand)]
    Dlq(DlqCommand),
    /// What each portal and section is doing: the last poll and its
    /// outcome, the last new item and reply, whether it is degraded; and
    /// each queue's depth with its dead letters. Exit 1 when the broker or
    /// the store does not answer.
    Status,
    /// Publish the archived events again, in their order and with their
    /// ids, to one subscriber's queue or to the events exchange: a new or
    /// broken subscriber is filled from the archive (subscribers drop the
    /// ids they have).
    Replay(ReplayArgs),
    /// Run today's parser over the kept pages of the current versions and
    /// hand the notifier every record that reads differently: one
    /// `reply.updated` each, naming the parser and profile. Never runs on
    /// its own.
    Reparse(ReparseArgs),
    /// Parse one page (a file or a URL) and print the record and its
    /// warnings, without the broker or the store. Exit code 0 for a reply, 2
    /// for a page that is not a reply, 1 when the page cannot be parsed.
    Parse(ParseArgs),
}

#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// List the messages of every dead-letter queue (or of one), without
    /// removing any.
    List {
        /// A work queue (`parser`, `notifier`, `archive`, `alerts`); default: all.
        queue: Option<String>,
    },
    /// Put the messages of a dead-letter queue back into the queue they
    /// failed in (each confirmed before it leaves the dead-letter queue).
    Replay {
        /// The work queue whose dead letters to replay (`parser`,
        /// `notifier`, `archive`, `alerts`).
        queue: String,
        /// Only the message with this id.
        #[arg(long)]
        id: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
struct ParseArgs {
    /// A saved page, or an `http(s)://` URL to fetch (with the crawler's
    /// guards: public addresses only, body cap, content type).
    target: String,
    /// Portal profile: an id (read from `portals/<id>.toml` beside the
    /// configuration file) or a path to a `.toml` file.
    #[arg(long, default_value = "shpt")]
    profile: String,
    /// The portal's item id of the page, which names a reply without a
    /// doc number (`shpt:<item id>`). Default: the id in the page's URL
    /// (`/…/197298.html`), or for a saved page the address its browser
    /// noted; never the file's name.
    #[arg(long)]
    item_id: Option<String>,
    /// Print the record as JSON instead of a summary.
    #[arg(long)]
    json: bool,
    /// Fetch the URL even when its host is a loopback, private or link-local
    /// address (a local portal or mirror). Only that host and port: redirects
    /// and linked files elsewhere must still be public.
    #[arg(long)]
    allow_private: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
struct AlertsArgs {
    #[command(subcommand)]
    command: Option<AlertsCommand>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum AlertsCommand {
    /// Show whether a rule matches an event and what each of its sinks
    /// would receive, without sending anything. Exit code 0 when it
    /// matches, 2 when it does not.
    Test {
        /// The rule's name.
        #[arg(long)]
        rule: String,
        /// A CloudEvent JSON file, or the id of an archived reply (its
        /// current version, as a `reply.published` event).
        event: String,
    },
    /// Show the rules, their sinks and their last deliveries.
    List {
        /// How many recent deliveries to show per rule.
        #[arg(long, default_value_t = 5)]
        recent: u32,
    },
}

#[derive(Debug, clap::Args)]
struct ExportArgs {
    /// `jsonl` (one whole record per line) or `csv` (sortable columns, then
    /// the whole record as JSON).
    #[arg(long, default_value = "jsonl")]
    format: String,
    /// Only replies archived or changed on or after this day (YYYY-MM-DD).
    #[arg(long)]
    since: Option<String>,
    /// Every version, not only the current one.
    #[arg(long)]
    versions: bool,
    /// A filter of the archive's list, as `NAME=VALUE` (`portal=shpt`,
    /// `result=adopted`, `q=电梯`, `from=2024-01-01`; see
    /// docs/archive-api.md); repeat for several.
    #[arg(long = "filter", value_name = "NAME=VALUE")]
    filters: Vec<String>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct BackfillArgs {
    /// The portal's id (`shpt`), one of `crawler.portals`.
    #[arg(long)]
    portal: String,
    /// Only this section (default: every section of the portal).
    #[arg(long)]
    section: Option<String>,
    /// Earliest publication date to fetch, `YYYY-MM-DD`.
    #[arg(long)]
    since: Option<chrono::NaiveDate>,
    /// Latest publication date to fetch, `YYYY-MM-DD`.
    #[arg(long)]
    until: Option<chrono::NaiveDate>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["to_queue", "exchange"])))]
struct ReplayArgs {
    /// Events from this date (`YYYY-MM-DD`, UTC) or instant (RFC 3339).
    #[arg(long)]
    since: String,
    /// Events before this date or instant.
    #[arg(long)]
    until: Option<String>,
    /// Only this portal's events.
    #[arg(long)]
    portal: Option<String>,
    /// Only events of this type (`published`, `updated`, `withdrawn`,
    /// `restored`, or the full `govwire.reply.…`); repeatable.
    #[arg(long = "type", value_name = "TYPE")]
    types: Vec<String>,
    /// Publish into this queue (its full name) only.
    #[arg(long)]
    to_queue: Option<String>,
    /// Publish to the events exchange, each event with its routing key.
    #[arg(long)]
    exchange: bool,
}

#[derive(Debug, clap::Args)]
struct ReparseArgs {
    /// Only replies whose current version was recorded from this date
    /// (`YYYY-MM-DD`, UTC) or instant on.
    #[arg(long)]
    since: Option<String>,
    /// Only this portal's replies.
    #[arg(long)]
    portal: Option<String>,
}

#[derive(Debug, clap::Args)]
struct CheckConfigArgs {
    #[command(flatten)]
    run: RunArgs,
    /// Also check that RabbitMQ and every configured store answer.
    #[arg(long)]
    connect: bool,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Override a portal's base URL: `--base-url shpt=http://127.0.0.1:8480`.
    #[arg(long = "base-url", value_name = "PORTAL=URL")]
    base_urls: Vec<String>,
}

impl RunArgs {
    fn base_urls(&self) -> Result<BTreeMap<String, String>> {
        self.base_urls
            .iter()
            .map(|s| {
                s.split_once('=')
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .with_context(|| format!("--base-url expects PORTAL=URL, got `{s}`"))
            })
            .collect()
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("govwire: cannot start the async runtime: {e}");
            return ExitCode::from(70);
        }
    };
    if let Command::Parse(args) = &cli.command {
        govwire::telemetry::init(cli.log_format.unwrap_or(LogFormat::Auto), "warn");
        // A saved page parses without any configuration: the profile is
        // then the one compiled in.
        let found = find_config(
            cli.config.as_deref(),
            config_env().as_deref(),
            Path::is_file,
        )
        .ok()
        .map(|(path, _)| path);
        return runtime.block_on(parse(found.as_deref(), args));
    }
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Once: a JSON line where lines are JSON (a journal, a
            // container log), readable text otherwise.
            if govwire::telemetry::writes_json() {
                tracing::error!(error = %format!("{e:#}"), "govwire stopped with an error.");
            } else {
                eprintln!("govwire: error: {e}");
                for cause in e.chain().skip(1) {
                    eprintln!("  caused by: {cause}");
                }
            }
            ExitCode::from(1)
        }
    }
}

async fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Schemas { out, check } => return schemas(out, *check),
        Command::FixturePortal { port, bind, scale } => {
            govwire::telemetry::init(cli.log_format.unwrap_or(LogFormat::Auto), "info");
            return fixture_portal(SocketAddr::new(*bind, *port), *scale).await;
        }
        _ => {}
    }
    let (config_path, source) = find_config(
        cli.config.as_deref(),
        config_env().as_deref(),
        Path::is_file,
    )?;
    let env: Vec<(String, String)> = std::env::vars().collect();
    let config = Config::load(&config_path, env)?;
    govwire::telemetry::init(
        cli.log_format.unwrap_or(config.log.format),
        &config.log.level,
    );
    tracing::info!(config = %config_path.display(), found = %source, "Configuration loaded.");
    let cli_config = config_path;
    match cli.command {
        Command::Crawler(a) => run_services(&cli_config, &a, &[Service::Crawler]).await,
        Command::Parser(a) => run_services(&cli_config, &a, &[Service::Parser]).await,
        Command::Notifier(a) => run_services(&cli_config, &a, &[Service::Notifier]).await,
        Command::Archive(a) => run_services(&cli_config, &a, &[Service::Archive]).await,
        Command::Alerts(AlertsArgs { command: None, run }) => {
            run_services(&cli_config, &run, &[Service::Alerts]).await
        }
        Command::Alerts(AlertsArgs {
            command: Some(command),
            ..
        }) => alerts_command(&config, command).await,
        Command::Analytics(a) => run_services(&cli_config, &a, &[Service::Analytics]).await,
        Command::Report { out } => {
            let store = services::open_store(config.analytics_store_url()).await?;
            let analytics = store
                .analytics(govwire_analytics::api::REPORT_WORDS)
                .await
                .context("reading the aggregates");
            store.close().await;
            let html = govwire_analytics::report::render(&analytics?, chrono::Utc::now());
            std::fs::write(&out, html)
                .with_context(|| format!("cannot write the report to {}", out.display()))?;
            println!("report written to {}", out.display());
            Ok(())
        }
        Command::Export(a) => export(&config, &a).await,
        Command::All(a) => run_services(&cli_config, &a, &Service::ALL).await,
        Command::Backfill(a) => backfill(&cli_config, &a).await,
        Command::Init => {
            for report in services::init_stores(&config).await? {
                let state = match (report.created, report.migrations_applied) {
                    (true, n) => format!("created, {n} migration(s) applied"),
                    (false, 0) => "already exists and is up to date; nothing to do".to_string(),
                    (false, n) => format!("already exists; {n} pending migration(s) applied"),
                };
                println!("store {}: {state}", report.redacted_url);
            }
            Ok(())
        }
        Command::CheckConfig(a) => {
            govwire::operate::check_config(&cli_config, source, &a.run.base_urls()?, a.connect)
                .await
        }
        Command::Tail {
            json,
            binding,
            limit,
        } => {
            let bus = govwire_bus::Bus::connect(&config.bus(), "tail")
                .await
                .with_context(|| {
                    format!("cannot reach RabbitMQ at {}", config.bus().redacted_url())
                })?;
            let cancel = CancellationToken::new();
            let stop = cancel.clone();
            tokio::spawn(async move {
                services::shutdown_signal().await;
                stop.cancel();
            });
            govwire_bus::commands::tail::run(bus, &binding, json, limit, cancel, std::io::stdout())
                .await
        }
        Command::Status => govwire::operate::status(&cli_config).await,
        Command::Replay(args) => {
            let (filter, target) = replay_request(&args)?;
            govwire::repair::replay_command(&config, &filter, &target).await
        }
        Command::Reparse(args) => {
            let request = govwire::repair::ReparseRequest {
                since: args
                    .since
                    .as_deref()
                    .map(govwire::repair::parse_instant)
                    .transpose()?,
                portal: args.portal,
            };
            govwire::repair::reparse_command(&cli_config, &request).await
        }
        Command::Dlq(dlq) => {
            let bus = govwire_bus::Bus::connect(&config.bus(), "dlq")
                .await
                .with_context(|| {
                    format!("cannot reach RabbitMQ at {}", config.bus().redacted_url())
                })?;
            let result = match &dlq {
                DlqCommand::List { queue } => {
                    govwire_bus::commands::dlq::list(&bus, queue.as_deref(), std::io::stdout())
                        .await
                }
                DlqCommand::Replay { queue, id } => {
                    govwire_bus::commands::dlq::replay(
                        &bus,
                        queue,
                        id.as_deref(),
                        std::io::stdout(),
                    )
                    .await
                }
            };
            bus.close().await;
            result
        }
        Command::Schemas { .. } | Command::FixturePortal { .. } | Command::Parse(_) => {
            unreachable!("handled above")
        }
    }
}

/// `govwire export`: the filters read as the archive's `/export.*` reads
/// them, the same bytes written.
async fn export(config: &Config, args: &ExportArgs) -> Result<()> {
    use govwire_archive::export;
    let format = export::Format::parse(&args.format)
        .with_context(|| format!("--format must be jsonl or csv, not `{}`", args.format))?;
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for filter in &args.filters {
        let (name, value) = filter
            .split_once('=')
            .with_context(|| format!("--filter expects NAME=VALUE, got `{filter}`"))?;
        query.append_pair(name, value);
    }
    if let Some(since) = &args.since {
        query.append_pair("since", since);
    }
    if args.versions {
        query.append_pair("versions", "true");
    }
    let query = export::parse_export_query(&query.finish())
        .map_err(|bad| anyhow::anyhow!("{} (parameter `{}`)", bad.error, bad.parameter))?;
    let store = services::open_store(config.archive_store_url()).await?;
    let replies = export::replies(&store, &query).await;
    store.close().await;
    let replies = replies.context("reading the archive")?;
    match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            export::write(format, &replies, std::io::BufWriter::new(file))
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("{} replies written to {}", replies.len(), path.display());
        }
        None => export::write(format, &replies, std::io::stdout().lock())
            .context("cannot write to standard output")?,
    }
    Ok(())
}

/// `govwire alerts test` and `govwire alerts list`.
async fn alerts_command(config: &Config, command: AlertsCommand) -> Result<()> {
    let alerts = govwire_alerts::Alerts::from_config(&config.alerts)?;
    match command {
        AlertsCommand::Test { rule, event } => {
            let Some(rule) = alerts.rule(&rule) else {
                let names: Vec<&str> = alerts.rules().iter().map(|r| r.name.as_str()).collect();
                bail!(
                    "no rule is named `{rule}`; the rules are: {}",
                    if names.is_empty() {
                        "(none)".to_string()
                    } else {
                        names.join(", ")
                    }
                );
            };
            let event = if std::path::Path::new(&event).is_file() {
                let body = std::fs::read(&event).with_context(|| format!("cannot read {event}"))?;
                govwire_alerts::Event::from_json(&body)
                    .map_err(|e| anyhow::anyhow!("{event}: {e}"))?
            } else {
                let store = services::open_store(config.archive_store_url()).await?;
                let archived = store.archive_reply(&event).await?;
                store.close().await;
                let Some(archived) = archived else {
                    bail!("`{event}` is neither a file nor the id of an archived reply");
                };
                govwire_alerts::Event::Reply(Box::new(govwire_model::event::ReplyEvent::for_reply(
                    govwire_model::EventType::ReplyPublished,
                    archived.current,
                    None,
                    None,
                    chrono::Utc::now(),
                )))
            };
            let matched = govwire_alerts::commands::test(&alerts, rule, &event, std::io::stdout())?;
            if !matched {
                std::process::exit(2);
            }
            Ok(())
        }
        AlertsCommand::List { recent } => {
            let store = match services::open_store(config.alerts_store_url()).await {
                Ok(store) => Some(store),
                Err(e) => {
                    eprintln!("govwire: {e:#}");
                    None
                }
            };
            let result =
                govwire_alerts::commands::list(&alerts, store.as_ref(), recent, std::io::stdout())
                    .await;
            if let Some(store) = store {
                store.close().await;
            }
            result
        }
    }
}

/// `govwire parse`: exit code 0 for a reply, 2 for a page that is not a
/// reply, 1 for a page that cannot be read or parsed.
async fn parse(config_path: Option<&Path>, args: &ParseArgs) -> ExitCode {
    let fail = |e: anyhow::Error| {
        eprintln!("govwire: error: {e}");
        for cause in e.chain().skip(1) {
            eprintln!("  caused by: {cause}");
        }
        ExitCode::from(1)
    };
    let profile_path = if args.profile.ends_with(".toml") || args.profile.contains('/') {
        PathBuf::from(&args.profile)
    } else {
        // The configuration's profile directory; beside the file when the
        // configuration does not load (a page can still be read).
        let dir = match config_path {
            Some(path) => {
                let env: Vec<(String, String)> = std::env::vars().collect();
                let dir = govwire::config::config_dir(path);
                Config::load(path, env).map_or_else(|_| dir.join("portals"), |c| c.portals_dir(dir))
            }
            None => PathBuf::from("portals"),
        };
        dir.join(format!("{}.toml", args.profile))
    };
    // A shipped profile named by its id is read from the binary when the
    // configuration directory does not hold it (govwire run from elsewhere).
    let shipped = (!profile_path.exists() && !args.profile.ends_with(".toml"))
        .then(|| govwire::config::shipped_profile(&args.profile))
        .flatten();
    let loaded = match shipped {
        Some(profile) => profile,
        None => govwire::config::load_profile(&profile_path),
    };
    let profile = match loaded {
        Ok(profile) => profile,
        Err(e) => return fail(e),
    };
    let mut page = match govwire_parser_stage::one_off::load_page(
        &args.target,
        &profile,
        args.allow_private,
        args.item_id.as_deref(),
    )
    .await
    {
        Ok(page) => page,
        Err(e) => return fail(e),
    };
    govwire_parser_stage::extract_attachments(
        &mut page,
        &govwire_extract::ExtractLimits::default(),
    )
    .await;
    let parsed = match govwire_parser::parse_page(&page, &profile) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("parse failure: {e}");
            if matches!(
                &e,
                govwire_parser::ParseError::MissingRequiredField { field: "id", .. }
            ) {
                eprintln!(
                    "  a reply without a doc number is named by the portal's item id: pass --item-id (the number in the page's URL, `/…/197298.html`)"
                );
            }
            for attachment in &page.attachments {
                if let Some(error) = &attachment.error {
                    eprintln!("  linked file `{}`: {error}", attachment.name);
                }
            }
            return ExitCode::from(1);
        }
    };
    let text = if args.json {
        match govwire_parser_stage::one_off::json(&parsed) {
            Ok(text) => text + "\n",
            Err(e) => return fail(e),
        }
    } else {
        govwire_parser_stage::one_off::summary(&parsed)
    };
    print!("{text}");
    match parsed.outcome {
        govwire_model::PageOutcome::Reply { .. } => ExitCode::SUCCESS,
        govwire_model::PageOutcome::NotAReply { .. } => ExitCode::from(2),
    }
}

/// `govwire backfill`: a progress bar on a terminal, progress log lines
/// otherwise; Ctrl-C stops after the item in flight, and the same command
/// resumes.
async fn backfill(config_path: &std::path::Path, args: &BackfillArgs) -> Result<()> {
    use std::io::IsTerminal as _;

    let plan = services::plan(config_path, &args.run.base_urls()?)?;
    let request = govwire::backfill::BackfillRequest {
        portal: args.portal.clone(),
        section: args.section.clone(),
        since: args.since,
        until: args.until,
    };
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        services::shutdown_signal().await;
        stop.cancel();
    });
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix} [{bar:30}] page {pos}/{len} {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let progress = |p: &govwire_crawler::BackfillProgress| match &bar {
        Some(bar) => {
            bar.set_prefix(p.section.clone());
            let pages = p.pages_hint.unwrap_or(0).max(u64::from(p.page));
            bar.set_length(pages);
            bar.set_position(u64::from(p.page));
            bar.set_message(format!("{} items, {} new", p.items_seen, p.new_items));
        }
        None => tracing::info!(
            section = %p.section,
            page = p.page,
            pages_hint = ?p.pages_hint,
            items_seen = p.items_seen,
            new_items = p.new_items,
            "Backfill progress."
        ),
    };
    let reports = govwire::backfill::run(&plan, &request, progress, cancel).await;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    for report in reports? {
        println!(
            "{} {}: {} page(s), {} new item(s), {} delivered, {} failed{}",
            args.portal,
            report.section,
            report.pages,
            report.new_items,
            report.delivered,
            report.failed,
            if report.completed {
                ", complete"
            } else {
                ", interrupted (run again to resume)"
            }
        );
    }
    Ok(())
}

async fn run_services(
    config_path: &std::path::Path,
    args: &RunArgs,
    which: &[Service],
) -> Result<()> {
    let plan = services::plan(config_path, &args.base_urls()?)?;
    let cancel = CancellationToken::new();
    let stop = cancel.clone();
    tokio::spawn(async move {
        services::shutdown_signal().await;
        stop.cancel();
    });
    services::run(plan, which.to_vec(), cancel, services::Reports::default()).await
}

async fn fixture_portal(addr: SocketAddr, scale: Option<usize>) -> Result<()> {
    let cancel = CancellationToken::new();
    let documents = match scale {
        Some(n) => govwire_fixture_portal::scaled(n),
        None => govwire_fixture_portal::corpus(),
    };
    let portal = govwire_fixture_portal::FixturePortal::start(addr, documents, cancel.clone())
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(base_url = %portal.base_url(), "Fixture portal serving.");
    println!("fixture portal at {}", portal.base_url());
    services::shutdown_signal().await;
    cancel.cancel();
    portal.stopped().await;
    Ok(())
}

fn schemas(out: &std::path::Path, check: bool) -> Result<()> {
    let mut stale = Vec::new();
    for (name, schema) in govwire_model::schema::all_schemas() {
        let path = out.join(name);
        let text = govwire_model::schema::render(&schema);
        if check {
            let current = std::fs::read_to_string(&path).unwrap_or_default();
            if current != text {
                stale.push(path.display().to_string());
            }
        } else {
            std::fs::create_dir_all(out)?;
            std::fs::write(&path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if !stale.is_empty() {
        bail!(
            "schemas out of date (run `govwire schemas`): {}",
            stale.join(", ")
        );
    }
    Ok(())
}

/// The `GOVWIRE_CONFIG` environment variable, which names the configuration
/// file when `--config` does not.
fn config_env() -> Option<std::ffi::OsString> {
    std::env::var_os("GOVWIRE_CONFIG")
}

/// What `govwire replay`'s arguments ask for.
fn replay_request(
    args: &ReplayArgs,
) -> Result<(govwire_store::EventLogFilter, govwire::repair::ReplayTarget)> {
    use govwire::repair::{parse_instant, ReplayTarget};
    let types = args
        .types
        .iter()
        .map(|t| {
            govwire_model::EventType::parse(t)
                .or_else(|| govwire_model::EventType::parse(&format!("govwire.reply.{t}")))
                .with_context(|| {
                    format!("`{t}` is not an event type (published, updated, withdrawn, restored)")
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let filter = govwire_store::EventLogFilter {
        since: Some(parse_instant(&args.since)?),
        until: args.until.as_deref().map(parse_instant).transpose()?,
        portal: args.portal.clone(),
        types,
    };
    let target = match &args.to_queue {
        Some(queue) => ReplayTarget::Queue(queue.clone()),
        None => ReplayTarget::Exchange,
    };
    Ok((filter, target))
}
