//! Structured logs for Lambda: JSON lines on stdout, honouring Lambda's advanced logging
//! controls (`AWS_LAMBDA_LOG_LEVEL`, `AWS_LAMBDA_LOG_FORMAT`), else `RUST_LOG` (a level, or
//! `target=level` directives: `tracing_subscriber`'s `Targets`, which needs no regex engine);
//! and the metrics' EMF lines beside them ([`crate::metrics`]).
//!
//! Whatever the level, the runtime, HTTP, TLS and AWS SDK crates log at INFO at most: at DEBUG
//! and TRACE they print whole events (the caller's JWT in the `authorization` header), request
//! headers (bearer tokens) and bodies (the client secret, a minted token).

use tracing::{Level, Metadata, Subscriber};
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets, filter_fn};
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::fmt::time::SystemTime;
use tracing_subscriber::prelude::*;

use crate::metrics;

/// Crates (by the first segment of the log target) held to INFO. `lambda_*` covers
/// `lambda_runtime`, `lambda_runtime_api_client` and `lambda_http`; `aws_*` covers
/// `aws_smithy_runtime`, the SDK clients, `aws_config` and `aws_sigv4`.
const CLAMPED_PREFIXES: [&str; 2] = ["lambda_", "aws_"];
const CLAMPED_CRATES: [&str; 10] = [
    "hyper",
    "hyper_util",
    "reqwest",
    "h2",
    "rustls",
    "tokio_rustls",
    "hyper_rustls",
    "tower",
    "http",
    "http_body",
];

/// Whether a line of `target` at `level` may be written at all (the configured level filters
/// it further).
fn allowed(target: &str, level: &Level) -> bool {
    // Lines bridged from the `log` crate (reqwest, rustls) carry their module path as target.
    let krate = target.split("::").next().unwrap_or(target);
    let clamped =
        CLAMPED_PREFIXES.iter().any(|p| krate.starts_with(p)) || CLAMPED_CRATES.contains(&krate);
    // In `tracing`, a more verbose level compares greater: DEBUG and TRACE are > INFO.
    !(clamped && *level > Level::INFO)
}

/// How log lines are written (`AWS_LAMBDA_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Text,
}

/// Installs the global subscriber once; later calls are no-ops (tests call it freely).
pub fn init() {
    init_with_writer(std::io::stdout);
}

/// Same as [`init`] but to stderr: for local tools whose stdout carries data.
pub fn init_stderr() {
    init_with_writer(std::io::stderr);
}

fn init_with_writer<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Clone + Send + Sync + 'static,
{
    let filter = level_filter(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    let format = match std::env::var("AWS_LAMBDA_LOG_FORMAT") {
        Ok(f) if f.eq_ignore_ascii_case("text") => LogFormat::Text,
        _ => LogFormat::Json,
    };
    let _ = subscriber(writer, format, filter).try_init();
}

/// The subscriber [`init`] installs, writing to `writer`: log lines `levels` lets through (JSON:
/// one object a line with `timestamp`, `level`, the message and its fields, and `spans`, the
/// fields of every span the line is in: a request's ids, see `shared::http::respond`), and
/// the metrics' EMF lines ([`crate::metrics`]), raw, whatever the level: a metric is not a log
/// line. (Lambda's own JSON level filter still applies to them: a line without `level` counts
/// as INFO there, so `ApplicationLogLevel` WARN or ERROR would drop the metrics too.)
pub fn subscriber<W>(writer: W, format: LogFormat, levels: Targets) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Clone + Send + Sync + 'static,
{
    let filter = levels;
    // A second filter, not directives added to the first: a more specific `RUST_LOG` directive
    // (`aws_smithy_runtime::client=trace`) would win over an added `aws_smithy_runtime=info`.
    let filter = filter.and(filter_fn(|m: &Metadata<'_>| {
        allowed(m.target(), m.level()) && !metrics::is_metric(m)
    }));
    let layer = tracing_subscriber::fmt::layer()
        .with_target(false)
        // Lambda's JSON log-level filtering reads each line's `timestamp` (RFC 3339); a line
        // without one is taken as INFO, whatever its level.
        .with_timer(SystemTime)
        // Lambda and CI logs are files, not terminals.
        .with_ansi(false)
        .with_writer(writer.clone());
    let logs = match format {
        LogFormat::Text => layer.with_filter(filter).boxed(),
        LogFormat::Json => layer
            .json()
            .flatten_event(true)
            // Every enclosing span's fields (the request's ids and route, the runtime's
            // `requestId`), not only the innermost one's: a span opened inside the request
            // must not hide them.
            .with_span_list(true)
            .with_current_span(false)
            .with_filter(filter)
            .boxed(),
    };
    let emf = metrics::EmfLayer::new(writer).with_filter(filter_fn(metrics::is_metric));
    tracing_subscriber::registry().with(logs).with(emf)
}

/// Lambda's level when set (one level for everything), else `RUST_LOG`'s directives, else
/// INFO. A target no directive names logs at the directive's default level, INFO without one;
/// a malformed `RUST_LOG` is INFO, not silence.
fn level_filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> Targets {
    if let Some(level) = lambda_level.and_then(|v| v.trim().parse::<LevelFilter>().ok()) {
        return Targets::new().with_default(level);
    }
    let targets = rust_log
        .and_then(|v| v.trim().parse::<Targets>().ok())
        .unwrap_or_default();
    match targets.default_level() {
        Some(_) => targets,
        None => targets.with_default(LevelFilter::INFO),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::testkit::CaptureWriter;

    fn parsed(out: &CaptureWriter) -> Vec<Value> {
        out.lines()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// A metric is its own line, a top-level EMF object (never inside a log line's fields),
    /// written whatever the log level; a log line has its RFC 3339 timestamp and its spans.
    #[test]
    fn metric_lines_are_raw_emf_and_log_lines_keep_time_and_spans() {
        let out = CaptureWriter::default();
        let logs = subscriber(
            out.clone(),
            LogFormat::Json,
            Targets::new().with_default(LevelFilter::INFO),
        );
        tracing::subscriber::with_default(logs, || {
            let _span = tracing::error_span!("request", route = "GET /x").entered();
            tracing::info!(answer = 42, "logged");
            metrics::token_minted();
        });
        let lines = parsed(&out);
        assert_eq!(lines.len(), 2, "{lines:?}");
        let log = &lines[0];
        assert_eq!(log["message"], "logged");
        assert_eq!(log["answer"], 42);
        assert_eq!(log["level"], "INFO");
        let ts = log["timestamp"].as_str().expect("a timestamp");
        assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok(), "{ts}");
        assert_eq!(log["spans"][0]["route"], "GET /x");
        let metric = &lines[1];
        assert_eq!(metric["TokenMinted"], 1.0);
        assert!(metric["_aws"]["Timestamp"].is_i64());
        for key in ["level", "message", "spans", "timestamp", "fields"] {
            assert!(metric.get(key).is_none(), "{key} in {metric}");
        }

        // At ERROR the log line goes, the metric stays.
        let quiet = CaptureWriter::default();
        let errors_only = subscriber(
            quiet.clone(),
            LogFormat::Json,
            Targets::new().with_default(LevelFilter::ERROR),
        );
        tracing::subscriber::with_default(errors_only, || {
            tracing::info!("dropped");
            metrics::token_minted();
        });
        let lines = parsed(&quiet);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0]["TokenMinted"], 1.0);
    }

    #[test]
    fn lambdas_level_wins_then_rust_log_directives_then_info() {
        let f = level_filter(Some("WARN"), Some("debug"));
        assert!(f.would_enable("shared", &Level::WARN));
        assert!(!f.would_enable("shared", &Level::INFO));
        let f = level_filter(None, Some("shared=debug"));
        assert!(f.would_enable("shared::token", &Level::DEBUG));
        assert!(f.would_enable("tarabut_sync", &Level::INFO));
        assert!(!f.would_enable("tarabut_sync", &Level::DEBUG));
        let f = level_filter(None, Some("trace"));
        assert!(f.would_enable("tarabut_sync", &Level::TRACE));
        for f in [
            level_filter(None, None),
            level_filter(Some("loud"), Some("=?=")),
        ] {
            assert!(f.would_enable("shared", &Level::INFO));
            assert!(!f.would_enable("shared", &Level::DEBUG));
        }
    }

    #[test]
    fn transport_and_runtime_crates_stop_at_info() {
        for target in [
            "lambda_runtime",
            "lambda_runtime::layers::api_client",
            "lambda_runtime_api_client",
            "lambda_http::request",
            "aws_smithy_runtime::client::orchestrator",
            "aws_sdk_dynamodb::operation",
            "hyper::proto::h1",
            "hyper_util::client",
            "reqwest::connect",
            "h2::codec",
            "rustls::client::hs",
        ] {
            assert!(allowed(target, &Level::INFO), "{target}");
            assert!(allowed(target, &Level::WARN), "{target}");
            assert!(!allowed(target, &Level::DEBUG), "{target}");
            assert!(!allowed(target, &Level::TRACE), "{target}");
        }
    }

    #[test]
    fn our_crates_follow_the_configured_level() {
        for target in [
            "shared::http::response",
            "tarabut_sync",
            "hyperion",
            "awsome",
        ] {
            assert!(allowed(target, &Level::TRACE), "{target}");
        }
    }
}
