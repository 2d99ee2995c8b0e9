//! `dev-server` (what `make dev` runs): the API on 127.0.0.1:3000 and the Tarabut sandbox on
//! 127.0.0.1:8600, configured like the functions (same variables, dev defaults). What is where
//! goes to stdout; logs go to stderr.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Duration;

use dev_server::routes::{Access, ROUTES};
use dev_server::{
    DEFAULT_PORT, DEFAULT_SANDBOX_PORT, DevServerOptions, RunningDevServer, StoreChoice,
};

const USAGE: &str = "\
usage: dev-server [--port N] [--sandbox-port N] [--cron-every SECS]
Serves the HTTP API on 127.0.0.1 (default port 3000) as API Gateway routes it, with the
Tarabut sandbox in-process (default port 8600). Callers authenticate with
`Authorization: Bearer dev:<user>`. Function variables (TABLE_NAME, TARABUT_*,
APP_REDIRECT_URL, TOKEN_*, SYNC_CONCURRENCY) override the dev defaults; with
AWS_ENDPOINT_URL_DYNAMODB set, data goes to that DynamoDB instead of memory.
POST /_dev/cron runs the scheduled sync once; --cron-every runs it periodically.";

struct Args {
    port: u16,
    sandbox_port: u16,
    cron_every: Option<Duration>,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: DEFAULT_PORT,
        sandbox_port: DEFAULT_SANDBOX_PORT,
        cron_every: None,
    };
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
            "--port" => parsed.port = value()?.parse().map_err(|_| "--port must be 0..=65535")?,
            "--sandbox-port" => {
                parsed.sandbox_port = value()?
                    .parse()
                    .map_err(|_| "--sandbox-port must be 0..=65535")?;
            }
            "--cron-every" => {
                let secs: u64 = value()?
                    .parse()
                    .ok()
                    .filter(|s| *s >= 1)
                    .ok_or("--cron-every must be a positive number of seconds")?;
                parsed.cron_every = Some(Duration::from_secs(secs));
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

fn banner(server: &RunningDevServer, cron_every: Option<Duration>) -> String {
    let api = server.url();
    let mut out = format!(
        "dev-server\n  API      {api}   (Authorization: Bearer dev:<user>)\n  sandbox  {}   (Tarabut imitation; control plane under /_sandbox)\n  store    {}\n  cron     POST {api}/_dev/cron{}\n  routes\n",
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
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) if message.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("dev-server: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
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
    use super::*;

    fn args(list: &[&str]) -> impl Iterator<Item = String> {
        list.iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn flags_are_parsed() {
        let a = parse_args(args(&[
            "--port",
            "0",
            "--sandbox-port=9000",
            "--cron-every",
            "60",
        ]))
        .unwrap();
        assert_eq!(a.port, 0);
        assert_eq!(a.sandbox_port, 9000);
        assert_eq!(a.cron_every, Some(Duration::from_secs(60)));
        let d = parse_args(args(&[])).unwrap();
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
            assert!(parse_args(args(bad)).is_err(), "{bad:?}");
        }
    }
}
