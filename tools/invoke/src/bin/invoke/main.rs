//! `invoke`: runs a built Lambda function binary with an event file, like `sam local invoke`
//! without Docker. See `invoke --help`.

mod args;

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use invoke::{
    EnvFile, FunctionSpec, InvokeError, Outcome, OutputMode, Runner, Session, StartOptions,
    logical_id_for,
};

use args::Args;
use clap::Parser;

/// Every invoke answered a response.
const EXIT_OK: u8 = 0;
/// At least one invoke answered a function error.
const EXIT_FUNCTION_ERROR: u8 = 1;
/// No answer: init error, process exit, timeout; also bad arguments or unreadable files.
const EXIT_NO_RESULT: u8 = 2;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    init_logging();
    // Bad arguments exit 2 (clap's usage error code, = EXIT_NO_RESULT) with the error on
    // stderr; --help prints to stdout and exits 0.
    let args = Args::parse();
    ExitCode::from(run(args).await)
}

async fn run(args: Args) -> u8 {
    let event = match read_event(&args) {
        Ok(event) => event,
        Err(message) => {
            eprintln!("invoke: {message}");
            return EXIT_NO_RESULT;
        }
    };
    let spec = match build_spec(&args) {
        Ok(spec) => spec,
        Err(message) => {
            eprintln!("invoke: {message}");
            return EXIT_NO_RESULT;
        }
    };
    let options = StartOptions {
        // The function's logs go to stderr so that stdout holds only results.
        output: OutputMode::Stderr,
        runner: match &args.emulator {
            Some(emulator) => Runner::rie(emulator, args.through.as_deref().unwrap_or("")),
            None => Runner::RuntimeApi,
        },
        ..StartOptions::default()
    };

    let mut session = match Session::start_with(spec, options).await {
        Ok(session) => session,
        Err(error) => {
            eprintln!("invoke: {}", describe(&error));
            return EXIT_NO_RESULT;
        }
    };
    eprintln!(
        "invoke: {} init {}",
        session.function_name(),
        millis(session.init_duration())
    );

    let mut status = EXIT_OK;
    for round in 1..=args.repeat {
        let invocation = match session.invoke_bytes(event.clone()).await {
            Ok(invocation) => invocation,
            Err(error) => {
                eprintln!("invoke: #{round} {}", describe(&error));
                status = EXIT_NO_RESULT;
                break;
            }
        };
        let kind = match &invocation.outcome {
            Outcome::Response(_) => "response",
            Outcome::FunctionError { .. } => {
                status = EXIT_FUNCTION_ERROR;
                "function error"
            }
        };
        let cold = invocation
            .cold_start
            .map(|d| format!(" (cold start {})", millis(d)))
            .unwrap_or_default();
        eprintln!(
            "invoke: #{round} {kind} in {}{cold}",
            millis(invocation.elapsed)
        );
        match serde_json::to_string_pretty(&invocation.outcome.to_payload()) {
            Ok(text) => println!("{text}"),
            Err(error) => eprintln!("invoke: could not print the result: {error}"),
        }
    }
    session.shutdown().await;
    status
}

fn read_event(args: &Args) -> Result<Vec<u8>, String> {
    let bytes = if args.event.as_os_str() == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading the event from stdin: {e}"))?;
        bytes
    } else {
        std::fs::read(&args.event).map_err(|e| format!("reading {}: {e}", args.event.display()))?
    };
    // Lambda's events are JSON; a typo is better caught here than inside the function.
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .map_err(|e| format!("the event in {} is not JSON: {e}", args.event.display()))?;
    Ok(bytes)
}

fn build_spec(args: &Args) -> Result<FunctionSpec, String> {
    let mut spec = FunctionSpec::new(&args.binary);
    if let Some(name) = &args.function_name {
        spec = spec.function_name(name);
    }
    if let Some(path) = &args.env_file {
        let file = EnvFile::load(path).map_err(|e| e.to_string())?;
        let logical_id = args
            .logical_id
            .clone()
            .unwrap_or_else(|| logical_id_for(&spec.function_name));
        if !file.has_function(&logical_id) {
            let known: Vec<&str> = file.logical_ids().collect();
            eprintln!(
                "invoke: {} has no block for {logical_id} (it has: {}); only its Parameters apply",
                path.display(),
                known.join(", ")
            );
        }
        spec = spec.envs(file.vars_for(&logical_id));
    }
    spec = spec.envs(args.env.iter().cloned());
    if let Some(timeout) = args.timeout {
        spec = spec.timeout(timeout);
    }
    if let Some(memory_mb) = args.memory_mb {
        spec = spec.memory_mb(memory_mb);
    }
    Ok(spec)
}

/// The error in words, with the exit code where the process ended.
fn describe(error: &InvokeError) -> String {
    match error {
        // A Runtime.ExitError's message already names the exit status.
        InvokeError::InitError {
            exit_code: Some(code),
            error_type,
            ..
        } if error_type != "Runtime.ExitError" => format!("{error} (exit code {code})"),
        _ => error.to_string(),
    }
}

fn millis(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

/// This tool's own diagnostics, filtered by `INVOKE_LOG` (not `RUST_LOG`, which the function
/// inherits and reads itself).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("INVOKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
