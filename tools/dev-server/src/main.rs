//! `dev-server` (what `make dev` runs): the API on 127.0.0.1:3000 and the Tarabut sandbox on
//! 127.0.0.1:8600, configured like the functions (same variables, dev defaults). What is where
//! goes to stdout; logs go to stderr.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use dev_server::routes::{Access, ROUTES};
use dev_server::{
    DEFAULT_PORT, DEFAULT_SANDBOX_PORT, DevServerOptions, RunningDevServer, StoreChoice,
};

/// Serves the HTTP API on 127.0.0.1 as API Gateway routes it, with the Tarabut sandbox
/// in-process.
///
/// Callers authenticate with `Authorization: Bearer dev:<user>`. Function variables
/// (TABLE_NAME, TARABUT_*, APP_REDIRECT_URL, TOKEN_*, SYNC_CONCURRENCY) override the dev
/// defaults; with AWS_ENDPOINT_URL_DYNAMODB set, data goes to that DynamoDB instead of memory.
/// POST /_dev/cron runs the scheduled sync once; --cron-every runs it periodically.
#[derive(Debug, Parser)]
#[command(name = "dev-server", args_override_self = true)]
struct Args {
    /// API port on 127.0.0.1 (0 = any free port)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PORT)]
    port: u16,
    /// Tarabut sandbox port on 127.0.0.1 (0 = any free port)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_SANDBOX_PORT)]
    sandbox_port: u16,
    /// Also run the scheduled sync every SECS seconds (at least 1)
    #[arg(long, value_name = "SECS", value_parser = positive_secs)]
    cron_every: Option<Duration>,
}

fn positive_secs(text: &str) -> Result<Duration, String> {
    text.parse()
        .ok()
        .filter(|secs| *secs >= 1)
        .map(Duration::from_secs)
        .ok_or_else(|| "must be a positive number of seconds".to_string())
}

fn banner(server: &RunningDevServer, cron_every: Option<Duration>) -> String {
    let api = server.url();
    let mut out = format!(
        "dev-server\n  API      {api}   (Authorization: Bearer dev:<user>)\n  sandbox  {}   (Tarabut imitation; control plane under /_sandbox)\n  store    {}\n  cron     POST {api}/_dev/cron{}\n  exports  in memory, GET {api}/_dev/exports/… (the URL POST /finance/export answers)\n  routes\n",
        server.sandbox_url(),
        server.store(),
        cron_every.map_or(String::new(), |d| format!(
            "   (and every {} s)",
            d.as_secs()
        )),
    );
    for route in ROUTES {
        let public = if route.access == Access::Public {
            "   (no auth)"
        } else {
            ""
        };
        out.push_str(&format!(
            "    {:<7}{:<36}{}{public}\n",
            route.method, route.path, route.function
        ));
    }
    out.push_str(&format!(
        "  try\n    curl -s -X POST {api}/tarabut/connect -H 'Authorization: Bearer dev:sara' \\\n      -H 'content-type: application/json' -d '{{\"providerId\": \"BLUE\"}}'\n"
    ));
    out
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
    let args = Args::parse();
    shared::telemetry::init_stderr();
    let vars: HashMap<String, String> = std::env::vars().collect();
    let options = DevServerOptions {
        port: args.port,
        sandbox_port: args.sandbox_port,
        store: StoreChoice::from_vars(&vars),
        vars,
        cron_every: args.cron_every,
        routes: ROUTES,
    };
    let server = match dev_server::serve(options).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("dev-server: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", banner(&server, args.cron_every));
    shutdown_signal().await;
    tracing::info!("shutting down");
    match server.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dev-server: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse_args(list: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("dev-server").chain(list.iter().copied()))
    }

    #[test]
    fn the_command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn flags_are_parsed() {
        let a = parse_args(&["--port", "0", "--sandbox-port=9000", "--cron-every", "60"]).unwrap();
        assert_eq!(a.port, 0);
        assert_eq!(a.sandbox_port, 9000);
        assert_eq!(a.cron_every, Some(Duration::from_secs(60)));
        let d = parse_args(&[]).unwrap();
        assert_eq!((d.port, d.sandbox_port, d.cron_every), (3000, 8600, None));
    }

    #[test]
    fn bad_flags_are_errors() {
        for bad in [
            &["--port", "x"][..],
            &["--cron-every", "0"],
            &["--cron-every"],
            &["--bogus"],
        ] {
            assert!(parse_args(bad).is_err(), "{bad:?}");
        }
    }
}
