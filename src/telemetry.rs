//! Logging, set up once for the whole process: JSON lines when stderr is not
//! a terminal (systemd, containers), readable lines when it is; `--log-format`
//! or `[log] format` override. Every service runs inside a span carrying
//! `service`, and handlers add `portal`, `section`, `reply_id`, `event_id`
//! and `url` where they know them, so each line can be traced to its origin.
//!
//! A JSON line is one flat object: `timestamp`, `level`, `target`,
//! `message`, then the fields of every span the line was logged in (the
//! outermost first, an inner span's field winning) and the line's own
//! fields, all at the top level, so `jq 'select(.service == "parser")'`
//! finds every line of the parser.

use std::fmt;
use std::io::IsTerminal;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::{prelude::*, EnvFilter};

use crate::config::LogFormat;

/// Whether the installed subscriber writes JSON lines; unset before
/// [`init`].
static JSON_LINES: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Whether [`init`] installed a subscriber writing JSON lines: an error is
/// then a log line, not also text on stderr.
pub fn writes_json() -> bool {
    JSON_LINES.get().copied().unwrap_or(false)
}

/// Installs the global subscriber. `level` is a `RUST_LOG`-style filter;
/// `RUST_LOG`, when set, wins. Returns whether lines are JSON.
pub fn init(format: LogFormat, level: &str) -> bool {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let json = is_json(format);
    let registry = tracing_subscriber::registry().with(filter);
    if json {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .fmt_fields(JsonFields::new())
                    .event_format(FlatJson)
                    .with_writer(std::io::stderr),
            )
            .init();
    } else {
        registry
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_target(false),
            )
            .init();
    }
    let _ = JSON_LINES.set(json);
    json
}

/// Whether `format` writes JSON lines here (`auto`: when stderr is not a
/// terminal).
pub fn is_json(format: LogFormat) -> bool {
    match format {
        LogFormat::Json => true,
        LogFormat::Pretty => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    }
}

/// The JSON line format: one flat object per event (see the module's
/// documentation).
pub struct FlatJson;

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut line = Map::new();
        line.insert(
            "timestamp".into(),
            Value::String(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        );
        line.insert("level".into(), Value::String(meta.level().to_string()));
        line.insert("target".into(), Value::String(meta.target().to_owned()));
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                let extensions = span.extensions();
                let Some(fields) = extensions.get::<FormattedFields<N>>() else {
                    continue;
                };
                if let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(fields) {
                    line.extend(fields);
                }
            }
        }
        event.record(&mut Fields(&mut line));
        writeln!(writer, "{}", Value::Object(line))
    }
}

/// Records an event's fields into a JSON object, numbers and booleans as
/// such, everything else as text.
struct Fields<'a>(&'a mut Map<String, Value>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0
            .insert(field.name().into(), Value::String(value.into()));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.0
            .insert(field.name().into(), Value::String(value.to_string()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), Value::String(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn span_fields_are_top_level_fields_of_every_line() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::registry().with(
            tracing_subscriber::fmt::layer()
                .fmt_fields(JsonFields::new())
                .event_format(FlatJson)
                .with_writer(move || writer.clone()),
        );
        tracing::subscriber::with_default(subscriber, || {
            let service = tracing::info_span!("service", service = "parser");
            let _service = service.enter();
            let page = tracing::info_span!("page", portal = "shpt", url = "http://x/1.html");
            let _page = page.enter();
            tracing::info!(
                reply_id = "shpt:1",
                warnings = 2u64,
                ok = true,
                "Parsed a page."
            );
        });
        let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        let line: Value = serde_json::from_str(text.trim()).unwrap();
        assert_eq!(line["service"], "parser", "{text}");
        assert_eq!(line["portal"], "shpt", "{text}");
        assert_eq!(line["url"], "http://x/1.html", "{text}");
        assert_eq!(line["reply_id"], "shpt:1", "{text}");
        assert_eq!(line["warnings"], 2, "{text}");
        assert_eq!(line["ok"], true, "{text}");
        assert_eq!(line["message"], "Parsed a page.", "{text}");
        assert_eq!(line["level"], "INFO", "{text}");
        assert!(line["timestamp"].as_str().unwrap().ends_with('Z'), "{text}");
        assert!(line.get("spans").is_none(), "{text}");
    }
}
