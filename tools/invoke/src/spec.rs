//! What to run: the binary, its name, its configuration.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// SAM's default function timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(3);
/// Lambda's limit on the init phase of an on-demand function.
pub const DEFAULT_INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// SAM's default memory size.
pub const DEFAULT_MEMORY_MB: u32 = 128;

/// One function to run under the local Runtime API: what Lambda configures for it. How the
/// process is run locally (output, init timeout) is [`StartOptions`](crate::StartOptions).
///
/// Build it with [`FunctionSpec::new`] and the builder methods, or with a struct literal
/// ending in `..FunctionSpec::new(binary)`.
#[derive(Debug, Clone)]
pub struct FunctionSpec {
    /// The built function binary (a `lambda_runtime` / `lambda_http` program).
    pub binary: PathBuf,
    /// `AWS_LAMBDA_FUNCTION_NAME`; also names the log group and the function ARN.
    pub function_name: String,
    /// Variables set in the child after the Lambda ones, in order (a later entry wins). They
    /// may override every Lambda variable except `AWS_LAMBDA_RUNTIME_API`.
    pub env: Vec<(String, String)>,
    /// How long one invocation may take before it is a [`Timeout`](crate::InvokeError::Timeout).
    pub timeout: Duration,
    /// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (informational: no limit is enforced).
    pub memory_mb: u32,
}

impl FunctionSpec {
    /// A spec with SAM's defaults (3 s timeout, 128 MB), named after the binary: its file
    /// name, or its directory's name when the file is a `bootstrap` (as `cargo lambda` builds).
    pub fn new(binary: impl Into<PathBuf>) -> Self {
        let binary = binary.into();
        let function_name = default_function_name(&binary);
        FunctionSpec {
            binary,
            function_name,
            env: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            memory_mb: DEFAULT_MEMORY_MB,
        }
    }

    pub fn function_name(mut self, name: impl Into<String>) -> Self {
        self.function_name = name.into();
        self
    }

    /// Adds one variable (after those already given, so it wins over them).
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Adds variables in order, e.g. the result of [`load_env_file`](crate::load_env_file).
    pub fn envs<K, V>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self
    where
        K: Into<String>,
        V: Into<String>,
    {
        self.env
            .extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn memory_mb(mut self, memory_mb: u32) -> Self {
        self.memory_mb = memory_mb;
        self
    }
}

fn default_function_name(binary: &Path) -> String {
    let file_name = binary.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let name = if file_name == "bootstrap" {
        binary
            .parent()
            .and_then(|dir| dir.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or(file_name)
    } else {
        file_name
    };
    if name.is_empty() {
        "function".to_string()
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_function_after_the_binary() {
        assert_eq!(
            FunctionSpec::new("target/debug/insights-salary").function_name,
            "insights-salary"
        );
        assert_eq!(
            FunctionSpec::new("target/lambda/tarabut-sync/bootstrap").function_name,
            "tarabut-sync"
        );
        assert_eq!(FunctionSpec::new("bootstrap").function_name, "bootstrap");
    }
}
