//! `token-probe --user <sub> [--mode access|baseline] [--start-file PATH] [--deadline-ms N]`
//!
//! Builds the app state from the environment exactly like a function's cold start, waits
//! for the start file to appear (so many processes start together), asks for the user's
//! token once, and prints a [`token_probe::ProbeReport`] line. `baseline` mints directly from
//! Tarabut without coordination: what a per-process mutex amounts to across processes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use shared::config::Config;
use shared::identity::UserId;
use shared::store::{DynamoTable, Table};
use shared::tarabut::TarabutClient;
use shared::time::{Deadline, SystemClock};
use shared::token::TokenManager;
use token_probe::{ProbeReport, token_hash};

/// One Lambda-like process asking for a user's token once (multi-process token tests and
/// `token-bench`); prints `ready`, then a report line.
#[derive(Debug, Parser)]
#[command(name = "token-probe", args_override_self = true)]
struct Args {
    /// The user (JWT `sub`) whose token to ask for
    #[arg(long, value_name = "SUB")]
    user: String,
    /// `access` goes through the token manager; `baseline` mints directly from Tarabut
    #[arg(
        long = "mode",
        value_name = "MODE",
        action = clap::ArgAction::Set,
        default_value = "access",
        value_parser = PossibleValuesParser::new(["access", "baseline"]).map(|m| m == "baseline")
    )]
    baseline: bool,
    /// Wait until this file exists before asking (so many processes start together)
    #[arg(long, value_name = "PATH")]
    start_file: Option<PathBuf>,
    /// The request's deadline in milliseconds
    #[arg(long = "deadline-ms", value_name = "N", default_value = "20000",
          value_parser = clap::value_parser!(u64).map(Duration::from_millis))]
    deadline: Duration,
}

#[tokio::main]
async fn main() {
    // Bad usage exits 2 with the error on stderr.
    let args = Args::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("token-probe: {e}");
            std::process::exit(2);
        }
    };
    let table = Arc::new(DynamoTable::from_env(config.table_name.clone()).await);
    let tarabut = TarabutClient::new(&config.tarabut).expect("Tarabut client");
    // The client secret as a function reads it: from Secrets Manager (moto's, locally).
    let secrets = Arc::new(shared::secrets::SecretsManagerStore::from_env().await);
    if let Err(e) =
        shared::secrets::install_client_secret(&tarabut, &config.tarabut.secret_arn, secrets).await
    {
        eprintln!("token-probe: {e}");
        std::process::exit(2);
    }
    let manager = TokenManager::new(
        table.clone() as Arc<dyn Table>,
        tarabut.clone(),
        &config.token,
        Arc::new(SystemClock),
        format!("probe-{}", std::process::id()),
    );
    let user = UserId::parse(&args.user).expect("user id");
    // Warm both clients (connections, credentials, endpoint resolution) like a warm Lambda
    // environment, so the measurement is the coordination, not the SDK's first request.
    let _ = table
        .get(&shared::store::Key::new("WARMUP", "WARMUP"), false)
        .await;
    let _ = tarabut
        .providers(
            &shared::secret::Secret::new("warm-up"),
            Deadline::after(Duration::from_secs(5)),
        )
        .await;
    let warm_requests = table.requests().get();
    // Ready: the parent waits for this line before starting everyone.
    println!("ready");
    if let Some(path) = &args.start_file {
        while !path.exists() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let started = Instant::now();
    let deadline = Deadline::after(args.deadline);
    let result = if args.baseline {
        tarabut
            .mint_token(&user.customer_user_id(), deadline)
            .await
            .map(|t| (None, t.access_token))
            .map_err(|e| e.to_string())
    } else {
        manager
            .access_token(&user, deadline)
            .await
            .map(|t| (Some(t.version), t.secret))
            .map_err(|e| e.to_string())
    };
    let elapsed_us = started.elapsed().as_micros() as u64;
    let report = match result {
        Ok((version, secret)) => ProbeReport {
            ok: true,
            version,
            token_hash: Some(token_hash(secret.expose())),
            elapsed_us,
            dynamo_requests: table.requests().get() - warm_requests,
            error: None,
        },
        Err(e) => ProbeReport {
            ok: false,
            version: None,
            token_hash: None,
            elapsed_us,
            dynamo_requests: table.requests().get() - warm_requests,
            error: Some(e),
        },
    };
    println!("{}", serde_json::to_string(&report).expect("report JSON"));
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn parse(list: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("token-probe").chain(list.iter().copied()))
    }

    #[test]
    fn the_command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn flags_and_defaults() {
        let a = parse(&[
            "--user",
            "u",
            "--mode",
            "baseline",
            "--start-file",
            "/tmp/go",
            "--deadline-ms",
            "1500",
        ])
        .unwrap();
        assert_eq!(a.user, "u");
        assert!(a.baseline);
        assert_eq!(a.start_file, Some(PathBuf::from("/tmp/go")));
        assert_eq!(a.deadline, Duration::from_millis(1500));
        let d = parse(&["--user", "u"]).unwrap();
        assert!(!d.baseline);
        assert_eq!(d.start_file, None);
        assert_eq!(d.deadline, Duration::from_secs(20));
        assert!(
            !parse(&["--user", "u", "--mode", "access"])
                .unwrap()
                .baseline
        );
    }

    #[test]
    fn bad_flags_are_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["--user", "u", "--deadline-ms", "soon"]).is_err());
        assert!(parse(&["--user", "u", "--mode", "fast"]).is_err());
        assert!(parse(&["--user", "u", "--bogus"]).is_err());
        assert!(parse(&["--user"]).is_err());
    }
}
