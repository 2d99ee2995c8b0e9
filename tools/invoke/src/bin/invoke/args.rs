//! Command-line arguments of the `invoke` binary.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

/// Runs a built Lambda function binary under a local Runtime API and invokes it with the event.
///
/// Prints each result (pretty JSON) to stdout; timings and the function's own output to stderr.
#[derive(Debug, PartialEq, Parser)]
#[command(
    name = "invoke",
    // `--flag a --flag b`: the last one wins (the CLI tests rely on it for --timeout-secs).
    args_override_self = true,
    after_help = "exit status: 0 every invoke answered a response, 1 a function error, 2 init \
                  error, process exit, timeout, or bad arguments"
)]
pub struct Args {
    /// The function binary (lambda_runtime / lambda_http)
    #[arg(long = "bin", value_name = "PATH")]
    pub binary: PathBuf,
    /// The event JSON (- reads stdin)
    #[arg(long, value_name = "FILE|-")]
    pub event: PathBuf,
    /// AWS_LAMBDA_FUNCTION_NAME [default: the binary's name]
    #[arg(long, value_name = "NAME")]
    pub function_name: Option<String>,
    /// A SAM --env-vars file (Parameters + the function's block)
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
    /// The function's block in --env-file [default: the name in PascalCase + Function, e.g.
    /// InsightsSalaryFunction]
    #[arg(long, value_name = "ID", requires = "env_file")]
    pub logical_id: Option<String>,
    /// Set a variable (repeatable; wins over --env-file)
    #[arg(long, value_name = "KEY=VALUE", value_parser = env_pair)]
    pub env: Vec<(String, String)>,
    /// Invoke N times in the same process
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = above_zero)]
    pub repeat: u32,
    /// Function timeout in seconds, fractions allowed [default: 3]
    #[arg(
        long = "timeout-secs",
        value_name = "S",
        value_parser = positive_secs,
        allow_negative_numbers = true
    )]
    pub timeout: Option<Duration>,
    /// AWS_LAMBDA_FUNCTION_MEMORY_SIZE [default: 128]
    #[arg(long, value_name = "N")]
    pub memory_mb: Option<u32>,
    /// Run the function under AWS's Runtime Interface Emulator (an aws-lambda-rie-<arch>
    /// binary) instead of this tool's own Runtime API
    #[arg(long, value_name = "PATH")]
    pub emulator: Option<PathBuf>,
    /// With --emulator: a command the binary is run through, split on spaces (e.g.
    /// "qemu-aarch64-static -L /usr/aarch64-linux-gnu" for an arm64 bootstrap)
    #[arg(long, value_name = "CMD", requires = "emulator")]
    pub through: Option<String>,
}

fn env_pair(pair: &str) -> Result<(String, String), String> {
    pair.split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .map(|(key, value)| (key.to_string(), value.to_string()))
        .ok_or_else(|| "wants KEY=VALUE".to_string())
}

fn above_zero(text: &str) -> Result<u32, String> {
    text.parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| "wants a whole number above 0".to_string())
}

fn positive_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text
        .parse()
        .map_err(|_| "wants a number of seconds".to_string())?;
    Duration::try_from_secs_f64(secs)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "wants a positive number of seconds".to_string())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use clap::error::ErrorKind;

    use super::*;

    fn run(list: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("invoke").chain(list.iter().copied()))
    }

    #[test]
    fn the_command_is_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn reads_every_option() {
        let args = run(&[
            "--bin",
            "target/debug/f",
            "--event=events/f.json",
            "--function-name",
            "f",
            "--env-file",
            "events/env.json",
            "--logical-id",
            "FFunction",
            "--env",
            "A=1=2",
            "--env",
            "B=",
            "--repeat",
            "3",
            "--timeout-secs",
            "0.5",
            "--memory-mb",
            "512",
        ])
        .unwrap();
        assert_eq!(args.binary, PathBuf::from("target/debug/f"));
        assert_eq!(args.event, PathBuf::from("events/f.json"));
        assert_eq!(args.function_name.as_deref(), Some("f"));
        assert_eq!(args.logical_id.as_deref(), Some("FFunction"));
        assert_eq!(
            args.env,
            vec![
                ("A".to_string(), "1=2".to_string()),
                ("B".to_string(), String::new())
            ]
        );
        assert_eq!(args.repeat, 3);
        assert_eq!(args.timeout, Some(Duration::from_millis(500)));
        assert_eq!(args.memory_mb, Some(512));
    }

    #[test]
    fn defaults_stdin_and_the_last_repeated_flag() {
        let args = run(&[
            "--timeout-secs",
            "30",
            "--bin",
            "b",
            "--event",
            "-",
            "--timeout-secs",
            "2",
        ])
        .unwrap();
        assert_eq!(args.event, PathBuf::from("-"));
        assert_eq!(args.timeout, Some(Duration::from_secs(2)));
        assert_eq!(args.repeat, 1);
        assert_eq!(args.function_name, None);
        assert_eq!(args.memory_mb, None);
        assert!(args.env.is_empty());
    }

    #[test]
    fn refuses_bad_input() {
        assert!(run(&["--event", "e.json"]).is_err());
        assert!(run(&["--bin", "b"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--env", "NOEQUALS"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--env", "=v"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--repeat", "0"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--timeout-secs", "-1"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--timeout-secs", "0"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--logical-id", "X"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--what"]).is_err());
        assert!(run(&["--bin"]).is_err());
        assert_eq!(
            run(&["--bin", "b", "-h"]).unwrap_err().kind(),
            ErrorKind::DisplayHelp
        );
    }
}
