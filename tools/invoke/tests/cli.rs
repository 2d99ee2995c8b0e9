//! The `invoke` binary, end to end, against the crate's example functions.

mod support;

use std::process::{Command, Output};

use serde_json::{Value, json};
use support::{ECHO, example, fixture};

/// Runs the binary with a generous timeout first (a later `--timeout-secs` wins), so that a
/// busy machine does not turn a slow answer into a failure.
fn invoke(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_invoke"))
        .args(["--timeout-secs", "30"])
        .args(args)
        .output()
        .unwrap()
}

fn echo_path() -> String {
    example(ECHO).to_string_lossy().into_owned()
}

fn fixture_path(name: &str) -> String {
    fixture(name).to_string_lossy().into_owned()
}

/// Every JSON document printed on stdout.
fn documents(output: &Output) -> Vec<Value> {
    serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn prints_each_response_and_the_timings() {
    let output = invoke(&[
        "--bin",
        &echo_path(),
        "--event",
        &fixture_path("hello.json"),
        "--repeat",
        "2",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let responses = documents(&output);
    assert_eq!(responses.len(), 2);
    assert_eq!(responses[0]["echo"], json!({"hello": "world"}));
    assert_eq!(responses[1]["invocation"], 2);
    let log = stderr(&output);
    assert!(log.contains("cold start"), "{log}");
    assert!(log.contains("#2 response in"), "{log}");
    // The function's own output went to stderr, not among the results.
    assert!(log.contains("echo: invocation 1"), "{log}");
}

#[test]
fn a_function_error_exits_1_and_prints_the_error() {
    let output = invoke(&["--bin", &echo_path(), "--event", &fixture_path("fail.json")]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        documents(&output),
        vec![json!({"errorType": "EchoFailure", "errorMessage": "the event asked to fail"})]
    );
}

#[test]
fn an_init_exit_exits_2_with_the_functions_exit_code() {
    let output = invoke(&[
        "--bin",
        &echo_path(),
        "--event",
        &fixture_path("hello.json"),
        "--env",
        "ECHO_INIT=exit:3",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let log = stderr(&output);
    assert!(log.contains("Runtime.ExitError"), "{log}");
    assert!(log.contains("exit status 3"), "{log}");
}

#[test]
fn a_timeout_exits_2() {
    let output = invoke(&[
        "--bin",
        &echo_path(),
        "--event",
        &fixture_path("sleep.json"),
        "--timeout-secs",
        "0.3",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("timed out"), "{}", stderr(&output));
}

#[test]
fn applies_the_env_file_block_of_the_derived_logical_id_then_explicit_values() {
    let output = invoke(&[
        "--bin",
        &echo_path(),
        "--event",
        &fixture_path("env-query.json"),
        "--env-file",
        &fixture_path("env.json"),
        "--env",
        "EXTRA=explicit",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The binary is named echo, so its block is EchoFunction.
    assert_eq!(
        documents(&output),
        vec![json!({"env": {
            "TABLE_NAME": "local-table",
            "LOG_LEVEL": "debug",
            "SYNC_CONCURRENCY": "4",
            "ONLY_ECHO": "yes",
            "ONLY_OTHER": null,
            "EXTRA": "explicit",
        }})]
    );
}

#[test]
fn an_explicit_logical_id_selects_that_block_and_a_missing_one_is_reported() {
    let other = invoke(&[
        "--bin",
        &echo_path(),
        "--event",
        &fixture_path("env-query.json"),
        "--env-file",
        &fixture_path("env.json"),
        "--logical-id",
        "OtherFunction",
    ]);
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    let env = &documents(&other)[0]["env"];
    assert_eq!(env["TABLE_NAME"], "other-table");
    assert_eq!(env["ONLY_ECHO"], Value::Null);

    let missing = invoke(&[
        "--bin",
        &echo_path(),
        "--event",
        &fixture_path("env-query.json"),
        "--env-file",
        &fixture_path("env.json"),
        "--logical-id",
        "TypoFunction",
    ]);
    assert_eq!(missing.status.code(), Some(0));
    assert!(stderr(&missing).contains("no block for TypoFunction"));
    assert_eq!(documents(&missing)[0]["env"]["TABLE_NAME"], "local-table");
}

#[test]
fn bad_arguments_and_missing_files_exit_2() {
    let no_event = invoke(&["--bin", &echo_path()]);
    assert_eq!(no_event.status.code(), Some(2));
    // The error (before the usage line) names the missing --event.
    let error = stderr(&no_event);
    let error = error.split("Usage:").next().unwrap();
    assert!(
        error.contains("required") && error.contains("--event"),
        "{error}"
    );

    let missing_binary = invoke(&[
        "--bin",
        "/nonexistent/function",
        "--event",
        &fixture_path("hello.json"),
    ]);
    assert_eq!(missing_binary.status.code(), Some(2));
    assert!(stderr(&missing_binary).contains("/nonexistent/function"));

    let not_json = invoke(&[
        "--bin",
        &echo_path(),
        "--event",
        &fixture_path("not-json.txt"),
    ]);
    assert_eq!(not_json.status.code(), Some(2));
    assert!(
        stderr(&not_json).contains("not JSON"),
        "{}",
        stderr(&not_json)
    );
}
