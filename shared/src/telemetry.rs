//! Structured logs for Lambda: JSON lines on stdout, honouring Lambda's advanced logging
//! controls (`AWS_LAMBDA_LOG_LEVEL`, `AWS_LAMBDA_LOG_FORMAT`), else `RUST_LOG`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

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
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|v| v.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let filter = EnvFilter::builder()
        .with_default_directive(level.into())
        .from_env_lossy();
    let text = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .map(|f| f.eq_ignore_ascii_case("text"))
        .unwrap_or(false);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        // CloudWatch stamps every line itself.
        .without_time()
        // Lambda and CI logs are files, not terminals.
        .with_ansi(false)
        .with_writer(writer);
    let _ = if text {
        builder.try_init()
    } else {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
    };
}
