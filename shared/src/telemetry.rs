//! Structured logs for Lambda: JSON lines on stdout, honouring Lambda's advanced logging
//! controls (`AWS_LAMBDA_LOG_LEVEL`, `AWS_LAMBDA_LOG_FORMAT`), else `RUST_LOG` (a level, or
//! `target=level` directives: `tracing_subscriber`'s `Targets`, which needs no regex engine).
//!
//! Whatever the level, the runtime, HTTP, TLS and AWS SDK crates log at INFO at most: at DEBUG
//! and TRACE they print whole events (the caller's JWT in the `authorization` header), request
//! headers (bearer tokens) and bodies (the client secret, a minted token).

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{FilterExt, LevelFilter, Targets, filter_fn};
use tracing_subscriber::prelude::*;

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
    W: for<'a> tracing_subscriber::fmt::MakeWriter<'a> + Send + Sync + 'static,
{
    let filter = level_filter(
        std::env::var("AWS_LAMBDA_LOG_LEVEL").ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    // A second filter, not directives added to the first: a more specific `RUST_LOG` directive
    // (`aws_smithy_runtime::client=trace`) would win over an added `aws_smithy_runtime=info`.
    let filter = filter.and(filter_fn(|m: &Metadata<'_>| allowed(m.target(), m.level())));
    let text = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .map(|f| f.eq_ignore_ascii_case("text"))
        .unwrap_or(false);
    let layer = tracing_subscriber::fmt::layer()
        .with_target(false)
        // CloudWatch stamps every line itself.
        .without_time()
        // Lambda and CI logs are files, not terminals.
        .with_ansi(false)
        .with_writer(writer);
    let registry = tracing_subscriber::registry();
    let _ = if text {
        registry.with(layer.with_filter(filter)).try_init()
    } else {
        registry
            .with(
                layer
                    .json()
                    .flatten_event(true)
                    .with_current_span(false)
                    .with_filter(filter),
            )
            .try_init()
    };
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
    use super::*;

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
