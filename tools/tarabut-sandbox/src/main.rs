//! `tarabut-sandbox`: the sandbox as a process. Always binds 127.0.0.1. The first stdout line is
//! `tarabut-sandbox listening on http://127.0.0.1:PORT` (other processes parse it); logs go to
//! stderr (`RUST_LOG` filters, default `info`).

use std::io::{IsTerminal, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use chrono::NaiveDate;
use tarabut_sandbox::SandboxConfig;

const USAGE: &str = "\
usage: tarabut-sandbox [--port N] [--client-id ID] [--client-secret SECRET]
                       [--token-lifetime-secs N] [--page-size N] [--today YYYY-MM-DD]
                       [--redirect-url URL]...
Serves a local imitation of the Tarabut API on 127.0.0.1 (port 0 = any free port).";

fn parse_args(args: impl Iterator<Item = String>) -> Result<SandboxConfig, String> {
    let mut cfg = SandboxConfig::default();
    let mut port: u16 = 0;
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_owned(), Some(v.to_owned())),
            _ => (flag.clone(), None),
        };
        if name == "--help" || name == "-h" {
            return Err(String::new());
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name.as_str() {
            "--port" => port = value()?.parse().map_err(|_| "--port must be 0..=65535")?,
            "--client-id" => cfg.client_id = value()?,
            "--client-secret" => cfg.client_secret = value()?,
            "--token-lifetime-secs" => {
                cfg.token_lifetime_secs = value()?
                    .parse()
                    .map_err(|_| "--token-lifetime-secs must be a non-negative integer")?;
            }
            "--page-size" => {
                cfg.page_size = value()?
                    .parse()
                    .ok()
                    .filter(|n| *n >= 1)
                    .ok_or("--page-size must be a positive integer")?;
            }
            "--today" => {
                let text = value()?;
                cfg.today = Some(
                    NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                        .map_err(|_| format!("--today must be YYYY-MM-DD, got {text:?}"))?,
                );
            }
            "--redirect-url" => cfg.redirect_urls.push(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    cfg.bind = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    Ok(cfg)
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
    let cfg = match parse_args(std::env::args().skip(1)) {
        Ok(cfg) => cfg,
        Err(message) => {
            if message.is_empty() {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            eprintln!("tarabut-sandbox: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
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
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn flags_are_parsed() {
        let cfg = parse_args(args(&[
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
        ]))
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
    fn bad_flags_are_errors() {
        assert!(parse_args(args(&["--port", "x"])).is_err());
        assert!(parse_args(args(&["--page-size", "0"])).is_err());
        assert!(parse_args(args(&["--today", "30/06/2025"])).is_err());
        assert!(parse_args(args(&["--bogus"])).is_err());
        assert!(parse_args(args(&["--client-id"])).is_err());
    }
}
