//! The configuration as an operator meets it: the shipped file, environment
//! overrides, errors naming the key, secrets kept out of output, portal
//! profiles; and the shipped `config/govwire.toml` held equal to the
//! defaults every section declares.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use govwire::config::{config_dir, find_config, load_profile, Config, ConfigSource};
use secrecy::ExposeSecret;
use serde_json::Value;
const SHIPPED: &str = include_str!("../config/govwire.toml");

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_shipped_configuration_loads() {
    let c = Config::from_toml(SHIPPED, env(&[])).unwrap();
    assert_eq!(c.amqp.events_exchange, "govwire.events");
    assert_eq!(
        c.bus().reconnect_max_delay,
        govwire_bus::DEFAULT_RECONNECT_MAX_DELAY
    );
    assert_eq!(c.crawler.portals, vec!["shpt"]);
}

#[test]
fn the_configuration_is_found_by_flag_then_variable_then_working_directory_then_etc() {
    use std::ffi::OsStr;
    let nothing = |_: &Path| false;
    let everything = |_: &Path| true;
    let only_etc = |p: &Path| p == Path::new("/etc/govwire/govwire.toml");
    let flag = Some(Path::new("/srv/a.toml"));
    let var = Some(OsStr::new("/srv/b.toml"));

    let found = |flag, var, exists: &dyn Fn(&Path) -> bool| find_config(flag, var, exists).unwrap();
    assert_eq!(
        found(flag, var, &everything),
        ("/srv/a.toml".into(), ConfigSource::Flag)
    );
    assert_eq!(
        found(None, var, &everything),
        ("/srv/b.toml".into(), ConfigSource::Env)
    );
    assert_eq!(
        found(None, Some(OsStr::new("")), &everything),
        ("config/govwire.toml".into(), ConfigSource::WorkingDirectory),
        "an empty variable names nothing"
    );
    assert_eq!(
        found(None, None, &only_etc),
        ("/etc/govwire/govwire.toml".into(), ConfigSource::System)
    );
    // A named file is taken as named, even missing: reading it says so.
    assert_eq!(found(flag, None, &nothing).1, ConfigSource::Flag);
    let err = find_config(None, None, nothing).unwrap_err().to_string();
    assert!(
        err.contains("./config/govwire.toml")
            && err.contains("/etc/govwire/govwire.toml")
            && err.contains("--config"),
        "{err}"
    );
    assert_eq!(ConfigSource::Env.to_string(), "named by GOVWIRE_CONFIG");
}

#[test]
fn profiles_are_read_beside_the_configuration_file_wherever_it_is() {
    // An installed layout: /etc/govwire/govwire.toml and /etc/govwire/portals/.
    let root = std::env::temp_dir().join(format!("govwire-etc-{}", std::process::id()));
    let etc = root.join("etc/govwire");
    std::fs::create_dir_all(etc.join("portals")).unwrap();
    std::fs::write(etc.join("govwire.toml"), SHIPPED).unwrap();
    let shipped_profiles = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/portals");
    std::fs::copy(
        shipped_profiles.join("shpt.toml"),
        etc.join("portals/shpt.toml"),
    )
    .unwrap();

    let path = etc.join("govwire.toml");
    let config = Config::load(&path, env(&[])).unwrap();
    assert_eq!(config.portals_dir(config_dir(&path)), etc.join("portals"));
    let profiles = config
        .portal_profiles(config_dir(&path), &Default::default(), &Default::default())
        .unwrap();
    assert_eq!(profiles.len(), 1);
    assert_eq!(profiles[0].0.id.as_str(), "shpt");
    // A bare file name's directory is the working directory.
    assert_eq!(config_dir(Path::new("govwire.toml")), Path::new("."));
    std::fs::remove_dir_all(&root).ok();
}

#[test]
fn environment_overrides_replace_keys_with_the_right_type() {
    let c = Config::from_toml(
        SHIPPED,
        env(&[
            ("GOVWIRE__AMQP__PREFETCH", "3"),
            ("GOVWIRE__AMQP__EVENTS_EXCHANGE", "t.events"),
            ("GOVWIRE__CRAWLER__PORTALS", "shpt,pudong"),
            ("GOVWIRE__CRAWLER__MIN_DELAY_MS", "5"),
            ("UNRELATED", "x"),
        ]),
    )
    .unwrap();
    assert_eq!(c.amqp.prefetch, 3);
    assert_eq!(c.amqp.events_exchange, "t.events");
    assert_eq!(c.crawler.portals, vec!["shpt", "pudong"]);
    assert_eq!(c.crawler.min_delay_ms, Some(5));
}

#[test]
fn the_broker_is_one_url_or_a_list_from_the_file_or_the_environment() {
    let urls = |c: &Config| -> Vec<String> {
        c.bus()
            .url
            .iter()
            .map(|u| u.expose_secret().to_owned())
            .collect()
    };
    let nodes = [
        "amqp://u:pw@127.0.0.1:5681/%2f",
        "amqp://u:pw@127.0.0.1:5682/%2f",
        "amqp://u:pw@127.0.0.1:5683/%2f",
    ];
    let listed = SHIPPED.replace(
        "url = \"amqp://guest:guest@127.0.0.1:5672/%2f\"",
        &format!(
            "url = [\"{}\", \"{}\", \"{}\"]",
            nodes[0], nodes[1], nodes[2]
        ),
    );
    assert_ne!(listed, SHIPPED, "the shipped file sets amqp.url");
    let c = Config::from_toml(&listed, env(&[])).unwrap();
    assert_eq!(urls(&c), nodes);
    let redacted = c.bus().redacted_url();
    assert_eq!(
        redacted,
        "amqp://u:***@127.0.0.1:5681/%2f, amqp://u:***@127.0.0.1:5682/%2f, \
         amqp://u:***@127.0.0.1:5683/%2f"
    );

    // The variable: commas separate addresses, over a file with one URL
    // or with a list; one URL stays one.
    for text in [SHIPPED, listed.as_str(), ""] {
        let c = Config::from_toml(
            text,
            env(&[("GOVWIRE__AMQP__URL", &format!("{}, {}", nodes[1], nodes[2]))]),
        )
        .unwrap();
        assert_eq!(urls(&c), nodes[1..]);
        let c = Config::from_toml(text, env(&[("GOVWIRE__AMQP__URL", nodes[2])])).unwrap();
        assert_eq!(urls(&c), nodes[2..]);
    }

    // Wrong values say in words what the key wants, and never echo a URL.
    let err = format!(
        "{:#}",
        Config::from_toml(
            &SHIPPED.replace("url = \"amqp://guest", "url = 5 # \""),
            env(&[])
        )
        .unwrap_err()
    );
    assert!(
        err.contains("configuration key `amqp.url` (line")
            && err.contains("expected an AMQP URL in quotes, or a list of them"),
        "{err}"
    );
    let err = format!(
        "{:#}",
        Config::from_toml(
            "",
            env(&[(
                "GOVWIRE__AMQP__URL",
                "amqp://u:s3cret@a:1/%2f,http://u:s3cret@b:1/%2f"
            )])
        )
        .unwrap_err()
    );
    assert_eq!(
        err,
        "configuration key `amqp.url` (set by GOVWIRE__AMQP__URL): each address must \
         start with amqp:// or amqps://, and the 2nd does not"
    );
    let err = format!(
        "{:#}",
        Config::from_toml("[amqp]\nurl = []\n", env(&[])).unwrap_err()
    );
    assert!(err.contains("must name at least one broker"), "{err}");
    let err = format!(
        "{:#}",
        Config::from_toml(
            "",
            env(&[(
                "GOVWIRE__AMQP__URL",
                "amqp://u:s3cret@a:1/%2f,amqp://v:s3cret@b:1/%2f"
            )])
        )
        .unwrap_err()
    );
    assert!(
        err.contains("may differ only in host and port") && !err.contains("s3cret"),
        "{err}"
    );
}

#[test]
fn an_unknown_key_stops_start_up_naming_it() {
    let text = format!("{SHIPPED}\n[extra]\nfoo = 1\n");
    let err = format!("{:#}", Config::from_toml(&text, env(&[])).unwrap_err());
    assert!(err.contains("extra"), "{err}");
    let err = format!(
        "{:#}",
        Config::from_toml(SHIPPED, env(&[("GOVWIRE__AMQP__PREFETHC", "3")])).unwrap_err()
    );
    assert!(err.contains("prefethc"), "{err}");
}

#[test]
fn an_invalid_value_stops_start_up_naming_the_key() {
    let err = format!(
        "{:#}",
        Config::from_toml(SHIPPED, env(&[("GOVWIRE__AMQP__PREFETCH", "many")])).unwrap_err()
    );
    assert!(err.contains("amqp.prefetch"), "{err}");
    let err = format!(
        "{:#}",
        Config::from_toml(SHIPPED, env(&[("GOVWIRE__LOG__FORMAT", "xml")])).unwrap_err()
    );
    assert!(err.contains("log.format"), "{err}");
    let err = format!(
        "{:#}",
        Config::from_toml(SHIPPED, env(&[("GOVWIRE__STORE__URL", "mysql://x")])).unwrap_err()
    );
    assert!(err.contains("store.url"), "{err}");
}

#[test]
fn a_wrong_value_says_what_is_wanted_in_words_and_where_it_came_from() {
    // From the file: the line that set it.
    let text = SHIPPED.replace("prefetch = 16", "prefetch = \"many\"");
    let line = text
        .lines()
        .position(|l| l.starts_with("prefetch = "))
        .unwrap()
        + 1;
    let err = format!("{:#}", Config::from_toml(&text, env(&[])).unwrap_err());
    assert_eq!(
        err,
        format!(
            "configuration key `amqp.prefetch` (line {line}): expected a whole number \
             from 0 to 65535; got the text \"many\""
        )
    );
    let text = SHIPPED.replace("prefetch = 16", "prefetch = 70000");
    let err = format!("{:#}", Config::from_toml(&text, env(&[])).unwrap_err());
    assert!(
        err.ends_with("expected a whole number from 0 to 65535; got 70000"),
        "{err}"
    );
    assert!(!err.contains("u16"), "{err}");

    // From the environment: the variable that set it.
    let err = format!(
        "{:#}",
        Config::from_toml(
            SHIPPED,
            env(&[("GOVWIRE__NOTIFIER__DEGRADED_AFTER_FAILED_POLLS", "0")])
        )
        .unwrap_err()
    );
    assert_eq!(
        err,
        "configuration key `notifier.degraded_after_failed_polls` (set by \
         GOVWIRE__NOTIFIER__DEGRADED_AFTER_FAILED_POLLS): must be at least 1"
    );
    let text = SHIPPED.replace(
        "degraded_after_parse_failures = 5",
        "degraded_after_parse_failures = 0",
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("degraded_after_parse_failures"))
        .unwrap()
        + 1;
    let err = format!("{:#}", Config::from_toml(&text, env(&[])).unwrap_err());
    assert!(
        err.starts_with(&format!(
            "configuration key `notifier.degraded_after_parse_failures` (line {line})"
        )),
        "{err}"
    );

    // Kinds of value in words.
    let text = SHIPPED.replace("portals = [\"shpt\"]", "portals = \"shpt\"");
    let err = format!("{:#}", Config::from_toml(&text, env(&[])).unwrap_err());
    assert!(
        err.contains("expected a list, as [\"a\", \"b\"]; got the text \"shpt\""),
        "{err}"
    );
}

#[test]
fn the_notifier_thresholds_come_from_the_file_and_zero_is_refused() {
    let c = Config::from_toml(SHIPPED, env(&[])).unwrap();
    let settings = c.notifier.settings();
    assert_eq!(settings.sweep.interval, Duration::from_secs(60));
    assert_eq!(settings.sweep.withdrawal.after_misses, 3);
    assert_eq!(
        settings.sweep.withdrawal.grace,
        Duration::from_secs(172_800)
    );
    let c = Config::from_toml(
        SHIPPED,
        env(&[
            ("GOVWIRE__NOTIFIER__WITHDRAW_AFTER_MISSES", "2"),
            ("GOVWIRE__NOTIFIER__WITHDRAW_GRACE_SECS", "0"),
        ]),
    )
    .unwrap();
    assert_eq!(c.notifier.settings().sweep.withdrawal.after_misses, 2);
    assert_eq!(c.notifier.settings().sweep.withdrawal.grace, Duration::ZERO);
    let err = format!(
        "{:#}",
        Config::from_toml(
            SHIPPED,
            env(&[("GOVWIRE__NOTIFIER__WITHDRAW_AFTER_MISSES", "0")])
        )
        .unwrap_err()
    );
    assert!(err.contains("notifier.withdraw_after_misses"), "{err}");
}

#[test]
fn the_crawler_keys_reach_the_crawler_options() {
    let c = Config::from_toml(SHIPPED, env(&[])).unwrap();
    let shipped = c.crawler.options(None, None);
    let builtin = govwire_crawler::CrawlerOptions::new("x");
    assert_eq!(shipped.revisit_min_interval, builtin.revisit_min_interval);
    assert_eq!(shipped.lease_ttl, builtin.lease_ttl);
    assert_eq!(shipped.block_backoff, builtin.block_backoff);
    assert_eq!(shipped.max_attachments, builtin.max_attachments);
    assert!(
        shipped
            .instance_id
            .contains(&std::process::id().to_string()),
        "{}",
        shipped.instance_id
    );

    let c = Config::from_toml(
        SHIPPED,
        env(&[
            ("GOVWIRE__CRAWLER__REVISIT_MIN_INTERVAL_SECS", "60"),
            ("GOVWIRE__CRAWLER__REVISIT_BATCH", "7"),
            ("GOVWIRE__CRAWLER__BACKOFF_BASE_MS", "250"),
            ("GOVWIRE__CRAWLER__BACKOFF_CAP_SECS", "9"),
            ("GOVWIRE__CRAWLER__MAX_INLINE_WAIT_SECS", "11"),
            ("GOVWIRE__CRAWLER__REQUEST_TIMEOUT_MS", "1500"),
            ("GOVWIRE__CRAWLER__BLOCK_BACKOFF_SECS", "120"),
            ("GOVWIRE__CRAWLER__FORBIDDEN_STORM", "5"),
            ("GOVWIRE__CRAWLER__MAX_ATTACHMENTS", "0"),
            ("GOVWIRE__CRAWLER__LEASE_TTL_SECS", "90"),
            ("GOVWIRE__CRAWLER__BACKFILL_LEASE_WAIT_SECS", "0"),
            ("GOVWIRE__CRAWLER__INSTANCE_ID", "crawler-2"),
        ]),
    )
    .unwrap();
    let o = c.crawler.options(Some("http://127.0.0.1:1".into()), None);
    assert_eq!(o.base_url_override.as_deref(), Some("http://127.0.0.1:1"));
    assert_eq!(o.revisit_min_interval, Duration::from_secs(60));
    assert_eq!(o.revisit_interval, Duration::from_secs(86_400));
    assert_eq!(o.revisit_batch, 7);
    assert_eq!(o.backoff_base, Duration::from_millis(250));
    assert_eq!(o.backoff_cap, Duration::from_secs(9));
    assert_eq!(o.max_inline_wait, Duration::from_secs(11));
    assert_eq!(o.request_timeout, Some(Duration::from_millis(1500)));
    assert_eq!(o.block_backoff, Duration::from_secs(120));
    assert_eq!(o.forbidden_storm, 5);
    assert_eq!(o.max_attachments, 0);
    assert_eq!(o.lease_ttl, Duration::from_secs(90));
    assert_eq!(o.backfill_lease_wait, Duration::ZERO);
    assert_eq!(o.instance_id, "crawler-2");
    assert_eq!(
        c.crawler.options(None, Some("backfill")).instance_id,
        "crawler-2-backfill",
        "a backfill never shares the live crawler's lease name"
    );
}

#[test]
fn an_unusable_crawler_setting_stops_start_up_naming_the_key() {
    for (var, value, key) in [
        (
            "GOVWIRE__CRAWLER__LEASE_TTL_SECS",
            "0",
            "crawler.lease_ttl_secs",
        ),
        (
            "GOVWIRE__CRAWLER__LEASE_TTL_SECS",
            "2",
            "crawler.lease_ttl_secs",
        ),
        (
            "GOVWIRE__CRAWLER__FORBIDDEN_STORM",
            "0",
            "crawler.forbidden_storm",
        ),
        (
            "GOVWIRE__CRAWLER__REVISIT_BATCH",
            "0",
            "crawler.revisit_batch",
        ),
        (
            "GOVWIRE__CRAWLER__REVISIT_MIN_INTERVAL_SECS",
            "90000",
            "crawler.revisit_min_interval_secs",
        ),
        (
            "GOVWIRE__CRAWLER__BACKOFF_BASE_MS",
            "400000",
            "crawler.backoff_base_ms",
        ),
        (
            "GOVWIRE__CRAWLER__REQUEST_TIMEOUT_MS",
            "0",
            "crawler.request_timeout_ms",
        ),
        (
            "GOVWIRE__CRAWLER__INSTANCE_ID",
            "\"a b\"",
            "crawler.instance_id",
        ),
        (
            "GOVWIRE__CRAWLER__MAX_ATTACHMENTS",
            "-1",
            "crawler.max_attachments",
        ),
        ("GOVWIRE__CRAWLER__LEASE_TTL", "60", "lease_ttl"),
    ] {
        let err = match Config::from_toml(SHIPPED, env(&[(var, value)])) {
            Ok(_) => panic!("{var}={value} was accepted"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(key), "{var}={value}: {err}");
    }
}

#[test]
fn passwords_never_reach_debug_output() {
    let c = Config::from_toml(
        SHIPPED,
        env(&[
            ("GOVWIRE__AMQP__URL", "amqp://u:amqp-s3cret@h:5672/%2f"),
            ("GOVWIRE__STORE__URL", "postgres://u:db-s3cret@h/db"),
        ]),
    )
    .unwrap();
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("amqp-s3cret") && !debug.contains("db-s3cret"),
        "{debug}"
    );
}

#[test]
fn the_shipped_profiles_load_and_validate() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/portals");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        load_profile(&path).unwrap_or_else(|e| panic!("{}: {e:#}", path.display()));
    }
}

#[test]
fn a_profile_with_an_unknown_key_is_refused_naming_it() {
    let dir = std::env::temp_dir().join(format!("govwire-profile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.toml");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/portals/shpt.toml"),
    )
    .unwrap()
    .replace(
        "max_pages = 20\noverlap_pages = 0",
        "max_pages = 20\noverlap_pagez = 0",
    );
    std::fs::write(&path, text).unwrap();
    let err = format!("{:#}", load_profile(&path).unwrap_err());
    assert!(err.contains("overlap_pagez"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// `(section, key) = value` of the lines `# key = value` in `text`: the keys
/// the file documents as unset by default.
fn commented_keys(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.to_string();
        } else if let Some(rest) = line.strip_prefix('#') {
            if let Some((key, value)) = rest.trim().split_once(" = ") {
                if !key.is_empty() && key.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    out.push((section.clone(), key.to_string(), value.to_string()));
                }
            }
        }
    }
    out
}

#[test]
fn the_shipped_file_lists_every_key_at_its_default() {
    let defaults = serde_json::to_value(Config::default()).unwrap();
    let file: toml::Table = toml::from_str(SHIPPED).unwrap();
    let commented = commented_keys(SHIPPED);
    let mut problems = Vec::new();

    let Value::Object(sections) = &defaults else {
        panic!("the defaults are not a table: {defaults}")
    };
    for (name, table) in &file {
        if !sections.contains_key(name) {
            problems.push(format!("section `[{name}]` in the file is not a section"));
        } else if let Some(table) = table.as_table() {
            for key in table.keys() {
                if sections[name].get(key).is_none() {
                    problems.push(format!("`{name}.{key}` in the file is not a key"));
                }
            }
        }
    }
    for (name, key, _) in &commented {
        if sections.get(name).and_then(|s| s.get(key)).is_none() {
            problems.push(format!(
                "`{name}.{key}`, commented out in the file, is not a key"
            ));
        }
    }
    if !problems.is_empty() {
        panic!("config/govwire.toml:\n{}", problems.join("\n"));
    }

    let parsed = Config::from_toml(SHIPPED, env(&[])).unwrap();
    let values = serde_json::to_value(&parsed).unwrap();
    for (name, section) in sections {
        let Value::Object(keys) = section else {
            panic!("section `{name}` of the defaults is not a table: {section}")
        };
        let in_file = file.get(name).and_then(|t| t.as_table());
        for (key, default) in keys {
            let dotted = format!("{name}.{key}");
            let present = in_file.is_some_and(|t| t.contains_key(key));
            if default.is_null() {
                let example = commented.iter().find(|(s, k, _)| s == name && k == key);
                if present {
                    problems.push(format!(
                        "`{dotted}` is unset by default but set in the file"
                    ));
                } else if let Some((_, _, value)) = example {
                    let text =
                        SHIPPED.replace(&format!("# {key} = {value}"), &format!("{key} = {value}"));
                    if let Err(e) = Config::from_toml(&text, env(&[])) {
                        problems.push(format!("`{dotted}`: its example does not load: {e:#}"));
                    }
                } else {
                    problems.push(format!(
                        "`{dotted}` (unset by default) is missing: add `# {key} = <example>`"
                    ));
                }
            } else if !present
                && default.as_array().is_some_and(|a| a.is_empty())
                && SHIPPED.contains(&format!("[[{dotted}]]"))
            {
                // A list of tables (`[[alerts.rules]]`), empty by default:
                // the file names it, and config/alerts.example.toml shows it.
            } else if !present {
                problems.push(format!(
                    "`{dotted}` is missing from the file (default {default})"
                ));
            } else if values[name][key] != *default {
                problems.push(format!(
                    "`{dotted}` is {} in the file but {default} by default",
                    values[name][key]
                ));
            }
        }
    }
    let builtin = Config::default();
    let urls = |c: &Config| -> Vec<String> {
        c.amqp
            .url
            .iter()
            .map(|u| u.expose_secret().to_owned())
            .collect()
    };
    if urls(&parsed) != urls(&builtin) && !problems.iter().any(|p| p.starts_with("`amqp.url`")) {
        problems.push("`amqp.url` in the file differs from its default".to_owned());
    }
    for (key, file_value, default) in [
        ("store.url", &parsed.store.url, &builtin.store.url),
        (
            "archive.store_url",
            &parsed.archive.store_url,
            &builtin.archive.store_url,
        ),
    ] {
        let reported = problems.iter().any(|p| p.starts_with(&format!("`{key}`")));
        if file_value.expose_secret() != default.expose_secret() && !reported {
            problems.push(format!("`{key}` in the file differs from its default"));
        }
    }
    assert!(
        problems.is_empty(),
        "config/govwire.toml drifted from the defaults:\n{}",
        problems.join("\n")
    );
}

#[test]
fn an_empty_file_runs_on_the_defaults_and_takes_overrides() {
    let c = Config::from_toml("", env(&[])).unwrap();
    assert_eq!(
        serde_json::to_value(&c).unwrap(),
        serde_json::to_value(Config::default()).unwrap()
    );
    assert_eq!(c.crawler.portals, vec!["shpt"]);
    assert_eq!(
        c.bus().redacted_url(),
        "amqp://guest:***@127.0.0.1:5672/%2f"
    );
    assert_eq!(c.bus().url.len(), 1);

    let c = Config::from_toml(
        "[amqp]\nprefetch = 4\n",
        env(&[
            ("GOVWIRE__CRAWLER__PORTALS", "shpt,pudong"),
            ("GOVWIRE__AMQP__DELIVERY_LIMIT", "7"),
            ("GOVWIRE__AMQP__QUEUE_PREFIX", "t1"),
            ("GOVWIRE__NOTIFIER__WITHDRAW_AFTER_MISSES", "2"),
        ]),
    )
    .unwrap();
    assert_eq!(c.amqp.prefetch, 4);
    assert_eq!(c.crawler.portals, vec!["shpt", "pudong"]);
    assert_eq!(c.amqp.delivery_limit, 7);
    assert_eq!(c.amqp.queue_prefix, "t1");
    assert_eq!(c.notifier.withdraw_after_misses, 2);
    let err = format!(
        "{:#}",
        Config::from_toml("", env(&[("GOVWIRE__AMQP__PREFETCH", "many")])).unwrap_err()
    );
    assert!(err.contains("amqp.prefetch"), "{err}");
}

#[test]
fn passwords_never_reach_serialized_output() {
    let c = Config::from_toml(
        SHIPPED,
        env(&[
            (
                "GOVWIRE__AMQP__URL",
                "amqp://u:amqp-s3cret@h:5672/%2f,amqp://u:amqp-s3cret@h2:5672/%2f",
            ),
            ("GOVWIRE__STORE__URL", "postgres://u:db-s3cret@h/db"),
            ("GOVWIRE__ARCHIVE__STORE_URL", "postgres://u:ar-s3cret@h/ar"),
        ]),
    )
    .unwrap();
    let json = serde_json::to_string(&c).unwrap();
    for secret in ["amqp-s3cret", "db-s3cret", "ar-s3cret"] {
        assert!(!json.contains(secret), "{json}");
    }
    assert!(json.contains("postgres://u:***@h/db"), "{json}");
    assert!(json.contains("amqp://u:***@h2:5672/%2f"), "{json}");
    let debug = format!("{c:?}");
    assert!(
        !debug.contains("amqp-s3cret") && debug.contains("amqp://u:***@h2:5672/%2f"),
        "{debug}"
    );
}

#[test]
fn an_explicitly_empty_portal_list_is_refused() {
    let err = format!(
        "{:#}",
        Config::from_toml("[crawler]\nportals = []\n", env(&[])).unwrap_err()
    );
    assert!(err.contains("configuration key `crawler.portals`"), "{err}");
    let keys: BTreeSet<_> = commented_keys(SHIPPED)
        .into_iter()
        .map(|(s, k, _)| format!("{s}.{k}"))
        .collect();
    assert!(keys.contains("crawler.instance_id"), "{keys:?}");
}

#[test]
fn the_alerts_example_loads_as_the_rules_file_and_keeps_its_secrets() {
    let dir = std::env::temp_dir().join(format!("govwire-alerts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("govwire.toml"), SHIPPED).unwrap();
    let example = include_str!("../config/alerts.example.toml");
    std::fs::write(dir.join("alerts.toml"), example).unwrap();
    let config = Config::load(&dir.join("govwire.toml"), env(&[])).unwrap();
    let sinks: Vec<&str> = config
        .alerts
        .sinks
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(sinks, ["newsroom", "desk", "ops-log"]);
    assert_eq!(config.alerts.rules.len(), 5);
    assert_eq!(config.alerts.rules[0].max_per_hour, Some(20));
    let shown = format!("{config:?}");
    for secret in ["change-me-to-a-long-random-string", "change-me\""] {
        assert!(!shown.contains(secret), "Debug shows {secret}");
    }
    let serialized = serde_json::to_string(&config).unwrap();
    assert!(!serialized.contains("change-me"), "{serialized}");

    // A rule naming a sink that exists nowhere is refused, naming the file.
    std::fs::write(
        dir.join("alerts.toml"),
        format!("{example}\n[[rules]]\nname = \"orphan\"\nsinks = [\"pager\"]\n"),
    )
    .unwrap();
    let err = format!(
        "{:#}",
        Config::load(&dir.join("govwire.toml"), env(&[])).unwrap_err()
    );
    assert!(
        err.contains("alerts.toml") && err.contains("`pager`"),
        "{err}"
    );

    // An unknown key in the rules file is refused, naming it.
    std::fs::write(
        dir.join("alerts.toml"),
        "[[rules]]\nname = \"x\"\nsink = [\"a\"]\n",
    )
    .unwrap();
    let err = format!(
        "{:#}",
        Config::load(&dir.join("govwire.toml"), env(&[])).unwrap_err()
    );
    assert!(err.contains("unknown field `sink`"), "{err}");

    // Without the file, the section alone: no rules.
    std::fs::remove_file(dir.join("alerts.toml")).unwrap();
    let config = Config::load(&dir.join("govwire.toml"), env(&[])).unwrap();
    assert!(config.alerts.rules.is_empty());
    std::fs::remove_dir_all(&dir).ok();
}
