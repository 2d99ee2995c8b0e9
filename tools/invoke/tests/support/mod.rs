//! Shared by the integration tests: the example functions, built on demand.
//!
//! The examples are built with `cargo build -p invoke --examples --message-format=json` from
//! the test itself, and their paths are read from cargo's `compiler-artifact` messages. That
//! works whichever target selection the test run used (`cargo test --test cli` builds no
//! examples), whatever the target directory or target triple, and it does not make the test
//! functions `[[bin]]`s (which would put `lambda_runtime` in the library's dependencies and
//! install them with the tool). The build is a no-op when `cargo test` already built them.

#![allow(dead_code)] // each test binary uses a different part

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use invoke::{CapturedOutput, FunctionSpec, OutputMode, StartOptions};

pub const ECHO: &str = "echo";
pub const HTTP_HELLO: &str = "http_hello";

/// The path of a built example of this crate.
pub fn example(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<HashMap<String, PathBuf>, String>> = OnceLock::new();
    match BUILT.get_or_init(build_examples) {
        Ok(examples) => examples
            .get(name)
            .cloned()
            .unwrap_or_else(|| panic!("no example named {name}: {examples:?}")),
        Err(message) => panic!("building the examples failed: {message}"),
    }
}

fn build_examples() -> Result<HashMap<String, PathBuf>, String> {
    let output = Command::new(env!("CARGO"))
        .args([
            "build",
            "--package",
            env!("CARGO_PKG_NAME"),
            "--examples",
            "--message-format=json-render-diagnostics",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build exited with {}", output.status));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut examples = HashMap::new();
    for line in stdout.lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_example = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "example"));
        if message["reason"] == "compiler-artifact"
            && is_example
            && let (Some(name), Some(executable)) = (
                message["target"]["name"].as_str(),
                message["executable"].as_str(),
            )
        {
            examples.insert(name.to_string(), PathBuf::from(executable));
        }
    }
    Ok(examples)
}

/// A spec for an example, named after it. The timeout is generous so that a busy machine
/// does not turn a slow answer into a failure; timeout tests set their own.
pub fn spec(example_name: &str) -> FunctionSpec {
    FunctionSpec::new(example(example_name)).timeout(Duration::from_secs(30))
}

/// Options capturing the function's output into the returned handle.
pub fn captured() -> (StartOptions, CapturedOutput) {
    let output = CapturedOutput::new();
    let options = StartOptions {
        output: OutputMode::Capture(output.clone()),
        ..StartOptions::default()
    };
    (options, output)
}

/// A fixture file of this crate.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
