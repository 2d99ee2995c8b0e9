//! `make bench-cold`: cold starts of a Rust function and of its Node.js 20 baseline
//! (bench/cold-start/node), each under AWS's Runtime Interface Emulator, against one DynamoDB
//! table (dynalite: run under scripts/with-dynalite.sh), interleaved run by run.
//!
//! One cold start = a fresh emulator and function process: the time from spawning the emulator
//! to the first answer of an invoke (the emulator inits the function as soon as it starts; the
//! invoke is posted as soon as the emulator listens and waits for that init), and the peak RSS
//! (`VmHWM`) of the function process, the emulator's child, read after the answer and before
//! the process is stopped. Both answers are checked (status 200, the same accounts).
//!
//! Prints a line per cold start, then the medians; the last line is
//! `cold-start rust_ms=<n> node_ms=<n> ratio=<r> rust_rss_mib=<n> node_rss_mib=<n>`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use invoke::{CapturedOutput, FunctionSpec, OutputMode, Runner, Session, StartOptions};
use serde_json::Value;

#[derive(Parser)]
#[command(about = "Cold start of a Rust function vs its Node.js 20 baseline under AWS's emulator")]
struct Args {
    /// AWS's Runtime Interface Emulator (`aws-lambda-rie-x86_64`); default: `INVOKE_EMULATOR`,
    /// which scripts/with-rie.sh exports.
    #[arg(long)]
    emulator: Option<PathBuf>,
    /// The Rust function binary (a host release build).
    #[arg(long)]
    rust: PathBuf,
    /// The Node.js baseline: bootstrap.mjs (the runtime loop), index.mjs, seed.mjs, node_modules.
    #[arg(long, default_value = "bench/cold-start/node")]
    node_dir: PathBuf,
    /// The Node.js executable.
    #[arg(long, default_value = "node")]
    node: String,
    #[arg(long, default_value = "events/finance-accounts.json")]
    event: PathBuf,
    /// SAM `--env-vars` file; the function's block and `Parameters` apply to both sides.
    #[arg(long, default_value = "events/env.json")]
    env_file: PathBuf,
    #[arg(long, default_value = "FinanceAccountsFunction")]
    logical_id: String,
    /// Measured cold starts of each side.
    #[arg(long, default_value_t = 15)]
    runs: usize,
    /// Unmeasured rounds first (they page the binaries and node_modules into the file cache).
    #[arg(long, default_value_t = 1)]
    warmup: usize,
    /// The table exists and is seeded already.
    #[arg(long)]
    no_seed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Rust,
    Node,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Rust => "rust",
            Side::Node => "node",
        }
    }
}

struct Sample {
    ms: f64,
    rss_kib: u64,
    accounts: Value,
}

struct Bench {
    args: Args,
    emulator: PathBuf,
    env: Vec<(String, String)>,
    event: Vec<u8>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cold-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut args: Args) -> Result<(), String> {
    if args.emulator.is_none() {
        args.emulator = std::env::var_os("INVOKE_EMULATOR").map(PathBuf::from);
    }
    let emulator = args
        .emulator
        .clone()
        .ok_or("no emulator: pass --emulator or run under scripts/with-rie.sh")?;
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .map_err(|_| "AWS_ENDPOINT_URL_DYNAMODB is not set (run under scripts/with-dynalite.sh)")?;
    let mut env = invoke::load_env_file(&args.env_file, &args.logical_id)
        .map_err(|e| format!("{}: {e}", args.env_file.display()))?;
    env.push(("AWS_ENDPOINT_URL_DYNAMODB".into(), endpoint));
    let table = env
        .iter()
        .rev()
        .find(|(k, _)| k == "TABLE_NAME")
        .map(|(_, v)| v.clone())
        .ok_or("the env file sets no TABLE_NAME")?;
    let event = std::fs::read(&args.event).map_err(|e| format!("{}: {e}", args.event.display()))?;
    let user = serde_json::from_slice::<Value>(&event)
        .ok()
        .and_then(|e| {
            e.pointer("/requestContext/authorizer/jwt/claims/sub")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .ok_or("the event has no JWT sub claim")?;
    if !args.no_seed {
        seed(&args, &table, &user)?;
    }

    let bench = Bench {
        args,
        emulator,
        env,
        event,
    };
    let mut rust = Vec::new();
    let mut node = Vec::new();
    let rounds = bench.args.warmup + bench.args.runs;
    for round in 0..rounds {
        let measured = round >= bench.args.warmup;
        // Interleaved, alternating which goes first.
        let order = if round % 2 == 0 {
            [Side::Rust, Side::Node]
        } else {
            [Side::Node, Side::Rust]
        };
        for side in order {
            let sample = bench.cold_start(side).await?;
            let label = if measured {
                format!("run {:>2}", round - bench.args.warmup + 1)
            } else {
                "warm-up".to_string()
            };
            println!(
                "{label} {:<4} cold_ms={:.1} rss_mib={:.1}",
                side.name(),
                sample.ms,
                mib(sample.rss_kib)
            );
            if measured {
                match side {
                    Side::Rust => rust.push(sample),
                    Side::Node => node.push(sample),
                }
            }
        }
    }
    let (Some(r), Some(n)) = (rust.first(), node.first()) else {
        return Err("no measured runs (--runs 0)".into());
    };
    if r.accounts != n.accounts {
        return Err(format!(
            "the two functions answered different accounts:\nrust: {}\nnode: {}",
            r.accounts, n.accounts
        ));
    }

    let rust_ms = median(rust.iter().map(|s| s.ms));
    let node_ms = median(node.iter().map(|s| s.ms));
    let rust_rss = median(rust.iter().map(|s| mib(s.rss_kib)));
    let node_rss = median(node.iter().map(|s| mib(s.rss_kib)));
    println!(
        "medians of {} cold starts each: rust {rust_ms:.1} ms {rust_rss:.1} MiB, node {node_ms:.1} ms {node_rss:.1} MiB (rust/node: time {:.3}, memory {:.3})",
        rust.len(),
        rust_ms / node_ms,
        rust_rss / node_rss
    );
    println!(
        "cold-start rust_ms={rust_ms:.1} node_ms={node_ms:.1} ratio={:.3} rust_rss_mib={rust_rss:.1} node_rss_mib={node_rss:.1}",
        rust_ms / node_ms
    );
    Ok(())
}

impl Bench {
    /// One cold start of `side`: a fresh emulator and function process, one invoke.
    async fn cold_start(&self, side: Side) -> Result<Sample, String> {
        let (binary, through) = match side {
            Side::Rust => (self.args.rust.clone(), String::new()),
            Side::Node => (
                self.args.node_dir.join("bootstrap.mjs"),
                self.args.node.clone(),
            ),
        };
        let spec = FunctionSpec::new(binary)
            .function_name("finance-accounts")
            .envs(self.env.iter().cloned())
            .timeout(Duration::from_secs(10));
        let output = CapturedOutput::new();
        let options = StartOptions {
            output: OutputMode::Capture(output.clone()),
            runner: Runner::rie(&self.emulator, &through),
            ..StartOptions::default()
        };
        let fail = |what: String| {
            let (stdout, stderr) = output.take();
            format!("{} cold start: {what}\n{stdout}{stderr}", side.name())
        };
        let mut session = Session::start_with(spec, options)
            .await
            .map_err(|e| fail(e.to_string()))?;
        let answer = session.invoke_bytes(self.event.clone()).await;
        // Read before the process is stopped: its peak resident set so far.
        let rss = session.pid().and_then(function_pid).and_then(peak_rss_kib);
        let cold = session.cold_start();
        session.shutdown().await;
        let invocation = answer.map_err(|e| fail(e.to_string()))?;
        let response = invocation
            .outcome
            .response()
            .ok_or_else(|| fail(format!("{:?}", invocation.outcome)))?;
        let accounts = accounts_of(response).map_err(&fail)?;
        Ok(Sample {
            ms: cold
                .ok_or_else(|| fail("no cold start time".into()))?
                .as_secs_f64()
                * 1000.0,
            rss_kib: rss.ok_or_else(|| fail("no function process to measure".into()))?,
            accounts,
        })
    }
}

/// The `accounts` of a 200 answer, which must list some.
fn accounts_of(response: &Value) -> Result<Value, String> {
    if response.get("statusCode").and_then(Value::as_u64) != Some(200) {
        return Err(format!("answered {response}"));
    }
    let body: Value = response
        .get("body")
        .and_then(Value::as_str)
        .and_then(|b| serde_json::from_str(b).ok())
        .ok_or_else(|| format!("no JSON body in {response}"))?;
    match body.get("accounts") {
        Some(Value::Array(a)) if !a.is_empty() => Ok(Value::Array(a.clone())),
        _ => Err(format!("no accounts in {body}")),
    }
}

/// Creates and seeds the table with the baseline's seed.mjs (the AWS SDK v3 it installs).
fn seed(args: &Args, table: &str, user: &str) -> Result<(), String> {
    let status = std::process::Command::new(&args.node)
        .arg(args.node_dir.join("seed.mjs"))
        .args([table, user])
        .status()
        .map_err(|e| format!("running {}: {e}", args.node))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("seed.mjs failed ({status})"))
    }
}

/// The emulator's child: the function process.
fn function_pid(emulator: u32) -> Option<u32> {
    let tasks = std::fs::read_dir(format!("/proc/{emulator}/task")).ok()?;
    tasks.flatten().find_map(|task| {
        std::fs::read_to_string(task.path().join("children"))
            .ok()?
            .split_whitespace()
            .find_map(|pid| pid.parse().ok())
    })
}

/// `VmHWM` of /proc/<pid>/status, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    parse_vm_hwm(
        &std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("status")).ok()?,
    )
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn median(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median([3.0, 1.0, 2.0].into_iter()), 2.0);
        assert_eq!(median([4.0, 1.0, 3.0, 2.0].into_iter()), 2.5);
    }

    #[test]
    fn peak_rss_is_read_from_proc_status() {
        let status =
            "Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t   84224 kB\nVmRSS:\t   80000 kB\n";
        assert_eq!(parse_vm_hwm(status), Some(84224));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn only_a_200_with_accounts_counts() {
        let ok = serde_json::json!({"statusCode": 200, "body": "{\"accounts\":[{\"accountId\":\"a\"}]}"});
        assert!(accounts_of(&ok).is_ok());
        let empty = serde_json::json!({"statusCode": 200, "body": "{\"accounts\":[]}"});
        assert!(accounts_of(&empty).is_err());
        let denied = serde_json::json!({"statusCode": 401, "body": "{}"});
        assert!(accounts_of(&denied).is_err());
    }
}
