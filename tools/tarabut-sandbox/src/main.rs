//! `tarabut-sandbox`: the sandbox as a process. Always binds 127.0.0.1. The first stdout line is
//! `tarabut-sandbox listening on http://127.0.0.1:PORT` (other processes parse it); logs go to
//! stderr (`RUST_LOG` filters, default `info`).

use std::io::{IsTerminal, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::Parser;
use tarabut_sandbox::SandboxConfig;

/// Serves a local imitation of the Tarabut API on 127.0.0.1 (port 0 = any free port).
///
/// The first stdout line is `tarabut-sandbox listening on http://127.0.0.1:PORT`; logs go to
/// stderr (`RUST_LOG` filters, default `info`).
#[derive(Debug, Parser)]
#[command(name = "tarabut-sandbox", args_override_self = true)]
struct Cli {
    /// Port on 127.0.0.1 (0 = any free port)
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,
    /// The client id `POST /oauth/token` accepts
    #[arg(long, value_name = "ID", default_value_t = SandboxConfig::default().client_id)]
    client_id: String,
    /// The client secret `POST /oauth/token` accepts
    #[arg(long, value_name = "SECRET", default_value_t = SandboxConfig::default().client_secret)]
    client_secret: String,
    /// `expiresIn` of minted tokens (0 mints tokens that are already expired)
    #[arg(long, value_name = "N", default_value_t = SandboxConfig::default().token_lifetime_secs)]
    token_lifetime_secs: u64,
    /// Transactions per page (at least 1)
    #[arg(long, value_name = "N", value_parser = positive,
          default_value_t = SandboxConfig::default().page_size)]
    page_size: usize,
    /// The last day of demo data [default: the system clock's UTC date]
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = date)]
    today: Option<NaiveDate>,
    /// A redirect URL an intent may name (exact match; repeatable; none by default)
    #[arg(long = "redirect-url", value_name = "URL")]
    redirect_urls: Vec<String>,
}

impl Cli {
    fn into_config(self) -> SandboxConfig {
        SandboxConfig {
            client_id: self.client_id,
            client_secret: self.client_secret,
            token_lifetime_secs: self.token_lifetime_secs,
            page_size: self.page_size,
            today: self.today,
            redirect_urls: self.redirect_urls,
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)),
        }
    }
}

fn positive(text: &str) -> Result<usize, String> {
    text.parse()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| "must be a positive integer".to_owned())
}

fn date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| "must be YYYY-MM-DD".to_owned())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

#[tokio::main]
async fn main() -> ExitCode {
    // Bad usage exits 2 with the error on stderr; --help prints to stdout and exits 0.
    let cfg = Cli::parse().into_config();
    let sandbox = match tarabut_sandbox::start(cfg).await {
        Ok(sandbox) => sandbox,
        Err(e) => {
            eprintln!("tarabut-sandbox: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The announcement comes first and alone on stdout; logging starts only after it.
    let mut stdout = std::io::stdout();
    if writeln!(
        stdout,
        "tarabut-sandbox listening on {}",
        sandbox.base_url()
    )
    .and_then(|_| stdout.flush())
    .is_err()
    {
        return ExitCode::FAILURE;
    }
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    shutdown_signal().await;
    tracing::info!("shutting down");
    match sandbox.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tarabut-sandbox: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse_args(list: &[&str]) -> Result<SandboxConfig, clap::Error> {
        Cli::try_parse_from(std::iter::once("tarabut-sandbox").chain(list.iter().copied()))
            .map(Cli::into_config)
    }

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_are_parsed() {
        let cfg = parse_args(&[
            "--port",
            "0",
            "--client-id",
            "c",
            "--client-secret=s",
            "--token-lifetime-secs",
            "5",
            "--page-size",
            "10",
            "--today",
            "2025-06-30",
            "--redirect-url",
            "http://a/cb",
            "--redirect-url",
            "http://b/cb",
        ])
        .unwrap();
        assert_eq!(cfg.client_id, "c");
        assert_eq!(cfg.client_secret, "s");
        assert_eq!(cfg.token_lifetime_secs, 5);
        assert_eq!(cfg.page_size, 10);
        assert_eq!(cfg.today, NaiveDate::from_ymd_opt(2025, 6, 30));
        assert_eq!(cfg.redirect_urls, vec!["http://a/cb", "http://b/cb"]);
        assert!(cfg.bind.ip().is_loopback());
    }

    #[test]
    fn defaults_are_the_library_defaults() {
        let cfg = parse_args(&[]).unwrap();
        let default = SandboxConfig::default();
        assert_eq!(cfg.client_id, default.client_id);
        assert_eq!(cfg.client_secret, default.client_secret);
        assert_eq!(cfg.token_lifetime_secs, default.token_lifetime_secs);
        assert_eq!(cfg.page_size, default.page_size);
        assert_eq!(cfg.today, None);
        assert!(cfg.redirect_urls.is_empty());
        assert_eq!(cfg.bind, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
        // A repeated flag: the last one wins.
        let cfg = parse_args(&["--port", "1", "--port", "2"]).unwrap();
        assert_eq!(cfg.bind.port(), 2);
    }

    #[test]
    fn bad_flags_are_errors() {
        assert!(parse_args(&["--port", "x"]).is_err());
        assert!(parse_args(&["--page-size", "0"]).is_err());
        assert!(parse_args(&["--today", "30/06/2025"]).is_err());
        assert!(parse_args(&["--bogus"]).is_err());
        assert!(parse_args(&["--client-id"]).is_err());
        assert_eq!(
            parse_args(&["--help"]).unwrap_err().kind(),
            clap::error::ErrorKind::DisplayHelp
        );
    }
}
