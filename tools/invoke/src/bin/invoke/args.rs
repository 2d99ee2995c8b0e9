//! Command-line arguments of the `invoke` binary.

use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
usage: invoke --bin <path> --event <file|-> [options]

Runs a built Lambda function binary under a local Runtime API and invokes it with the event.
Prints each result (pretty JSON) to stdout; timings and the function's own output to stderr.

options:
  --bin <path>              the function binary (lambda_runtime / lambda_http)
  --event <file|->          the event JSON (- reads stdin)
  --function-name <name>    AWS_LAMBDA_FUNCTION_NAME (default: the binary's name)
  --env-file <file>         a SAM --env-vars file (Parameters + the function's block)
  --logical-id <id>         the function's block in --env-file
                            (default: the name in PascalCase + Function, e.g. InsightsSalaryFunction)
  --env <KEY=VALUE>         set a variable (repeatable; wins over --env-file)
  --repeat <n>              invoke n times in the same process (default 1)
  --timeout-secs <s>        function timeout (default 3)
  --memory-mb <n>           AWS_LAMBDA_FUNCTION_MEMORY_SIZE (default 128)
  -h, --help                this text

exit status: 0 every invoke answered a response, 1 a function error, 2 init error, process
exit, timeout, or bad arguments";

#[derive(Debug, PartialEq)]
pub struct Args {
    pub binary: PathBuf,
    pub event: PathBuf,
    pub function_name: Option<String>,
    pub env_file: Option<PathBuf>,
    pub logical_id: Option<String>,
    pub env: Vec<(String, String)>,
    pub repeat: u32,
    pub timeout: Option<Duration>,
    pub memory_mb: Option<u32>,
}

#[derive(Debug, PartialEq)]
pub enum Parsed {
    Run(Args),
    Help,
}

pub fn parse(arguments: impl IntoIterator<Item = String>) -> Result<Parsed, String> {
    let mut binary = None;
    let mut event = None;
    let mut function_name = None;
    let mut env_file = None;
    let mut logical_id = None;
    let mut env = Vec::new();
    let mut repeat = 1;
    let mut timeout = None;
    let mut memory_mb = None;

    let mut arguments = arguments.into_iter();
    while let Some(argument) = arguments.next() {
        // Both `--flag value` and `--flag=value`.
        let (flag, inline_value) = match argument.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (argument, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Parsed::Help);
        }
        let mut value = || {
            inline_value
                .clone()
                .or_else(|| arguments.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--bin" => binary = Some(PathBuf::from(value()?)),
            "--event" => event = Some(PathBuf::from(value()?)),
            "--function-name" => function_name = Some(value()?),
            "--env-file" => env_file = Some(PathBuf::from(value()?)),
            "--logical-id" => logical_id = Some(value()?),
            "--env" => {
                let pair = value()?;
                let (key, val) = pair
                    .split_once('=')
                    .filter(|(key, _)| !key.is_empty())
                    .ok_or_else(|| format!("--env wants KEY=VALUE, got {pair:?}"))?;
                env.push((key.to_string(), val.to_string()));
            }
            "--repeat" => {
                repeat = value()?
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or("--repeat wants a whole number above 0")?;
            }
            "--timeout-secs" => {
                let secs: f64 = value()?
                    .parse()
                    .map_err(|_| "--timeout-secs wants a number of seconds")?;
                timeout = Some(
                    Duration::try_from_secs_f64(secs)
                        .ok()
                        .filter(|d| !d.is_zero())
                        .ok_or("--timeout-secs wants a positive number of seconds")?,
                );
            }
            "--memory-mb" => {
                memory_mb = Some(
                    value()?
                        .parse()
                        .map_err(|_| "--memory-mb wants a whole number")?,
                );
            }
            _ => return Err(format!("unknown argument {flag:?}")),
        }
    }

    if logical_id.is_some() && env_file.is_none() {
        return Err("--logical-id needs --env-file".to_string());
    }
    Ok(Parsed::Run(Args {
        binary: binary.ok_or("--bin is required")?,
        event: event.ok_or("--event is required")?,
        function_name,
        env_file,
        logical_id,
        env,
        repeat,
        timeout,
        memory_mb,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(list: &[&str]) -> Result<Args, String> {
        match parse(list.iter().map(|s| s.to_string()))? {
            Parsed::Run(args) => Ok(args),
            Parsed::Help => Err("help".to_string()),
        }
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
    fn refuses_bad_input() {
        assert!(run(&["--event", "e.json"]).is_err());
        assert!(run(&["--bin", "b"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--env", "NOEQUALS"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--repeat", "0"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--timeout-secs", "-1"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--logical-id", "X"]).is_err());
        assert!(run(&["--bin", "b", "--event", "e", "--what"]).is_err());
        assert!(run(&["--bin"]).is_err());
        assert_eq!(run(&["--bin", "b", "-h"]), Err("help".to_string()));
    }
}
