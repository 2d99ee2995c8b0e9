//! `token-probe --user <sub> [--mode access|baseline] [--start-file PATH] [--deadline-ms N]`
//!
//! Builds the app state from the environment exactly like a function's cold start, waits
//! for the start file to appear (so many processes start together), asks for the user's
//! token once, and prints a [`token_probe::ProbeReport`] line. `baseline` mints directly from
//! Tarabut without coordination: what a per-process mutex amounts to across processes.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use shared::config::Config;
use shared::deadline::Deadline;
use shared::identity::UserId;
use shared::store::{DynamoTable, Table};
use shared::tarabut::TarabutClient;
use shared::token::TokenManager;
use token_probe::{ProbeReport, token_hash};

struct Args {
    user: String,
    baseline: bool,
    start_file: Option<PathBuf>,
    deadline: Duration,
}

fn args() -> Result<Args, String> {
    let mut user = None;
    let mut baseline = false;
    let mut start_file = None;
    let mut deadline = Duration::from_secs(20);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || it.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--user" => user = Some(value()?),
            "--mode" => baseline = value()? == "baseline",
            "--start-file" => start_file = Some(PathBuf::from(value()?)),
            "--deadline-ms" => {
                deadline = Duration::from_millis(
                    value()?.parse().map_err(|_| "--deadline-ms".to_string())?,
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        user: user.ok_or("--user is required")?,
        baseline,
        start_file,
        deadline,
    })
}

#[tokio::main]
async fn main() {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("token-probe: {e}");
            std::process::exit(2);
        }
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("token-probe: {e}");
            std::process::exit(2);
        }
    };
    let table = Arc::new(DynamoTable::from_env(config.table_name.clone()).await);
    let tarabut = TarabutClient::new(&config.tarabut).expect("Tarabut client");
    let manager = TokenManager::new(
        table.clone() as Arc<dyn Table>,
        tarabut.clone(),
        &config.token,
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
