//! The environment variables Lambda gives a function process.

use std::net::SocketAddr;
use std::path::Path;

use crate::spec::FunctionSpec;

pub(crate) const DEFAULT_REGION: &str = "us-east-1";
/// The placeholder account SAM uses in local ARNs.
const LOCAL_ACCOUNT_ID: &str = "123456789012";

/// Variables to set on top of the inherited environment, in order (a later entry wins).
#[derive(Debug)]
pub(crate) struct LambdaEnv {
    pub vars: Vec<(String, String)>,
    pub region: String,
}

impl LambdaEnv {
    /// The ARN the Runtime API hands the function as `Lambda-Runtime-Invoked-Function-Arn`.
    pub fn function_arn(&self, function_name: &str) -> String {
        format!(
            "arn:aws:lambda:{}:{LOCAL_ACCOUNT_ID}:function:{function_name}",
            self.region
        )
    }
}

/// Builds the child's variables. `parent` reads this process's environment (a parameter so
/// tests need not mutate the real one). The precedence, lowest first: Lambda's defaults for
/// what a developer may set in their shell (region, log format), the inherited environment,
/// the per-function Lambda variables, `spec.env`, and last the Runtime API address.
pub(crate) fn lambda_environment(
    spec: &FunctionSpec,
    runtime_api: SocketAddr,
    parent: impl Fn(&str) -> Option<String>,
) -> LambdaEnv {
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut set = |key: &str, value: String| vars.push((key.to_string(), value));

    let explicit = |key: &str| {
        spec.env
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    };
    let region = explicit("AWS_REGION")
        .or_else(|| parent("AWS_REGION"))
        .or_else(|| explicit("AWS_DEFAULT_REGION"))
        .or_else(|| parent("AWS_DEFAULT_REGION"))
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| DEFAULT_REGION.to_string());
    set("AWS_REGION", region.clone());
    set("AWS_DEFAULT_REGION", region.clone());
    if parent("AWS_LAMBDA_LOG_FORMAT").is_none() {
        set("AWS_LAMBDA_LOG_FORMAT", "JSON".to_string());
    }

    let name = &spec.function_name;
    set("AWS_LAMBDA_FUNCTION_NAME", name.clone());
    set(
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        spec.memory_mb.to_string(),
    );
    set("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST".to_string());
    set("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand".to_string());
    set("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"));
    set("AWS_LAMBDA_LOG_STREAM_NAME", log_stream_name());
    set("LAMBDA_TASK_ROOT", task_root(&spec.binary));
    set("_HANDLER", "bootstrap".to_string());
    // Lambda runs every function in UTC; a developer's local zone would hide date bugs.
    set("TZ", ":UTC".to_string());

    vars.extend(spec.env.iter().cloned());
    vars.push((
        "AWS_LAMBDA_RUNTIME_API".to_string(),
        runtime_api.to_string(),
    ));
    LambdaEnv { vars, region }
}

/// `2024/05/01/[$LATEST]<32 hex>`, the shape of a Lambda log stream name.
fn log_stream_name() -> String {
    format!(
        "{}/[$LATEST]{}",
        chrono::Utc::now().format("%Y/%m/%d"),
        uuid::Uuid::new_v4().simple()
    )
}

/// The directory holding the binary, as `/var/task` holds `bootstrap` in Lambda.
fn task_root(binary: &Path) -> String {
    let absolute = std::path::absolute(binary).unwrap_or_else(|_| binary.to_path_buf());
    absolute
        .parent()
        .unwrap_or(&absolute)
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value<'a>(env: &'a LambdaEnv, key: &str) -> Option<&'a str> {
        env.vars
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn addr() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 9001))
    }

    #[test]
    fn sets_what_the_runtime_requires() {
        let spec = FunctionSpec::new("/opt/fns/insights-salary").memory_mb(256);
        let env = lambda_environment(&spec, addr(), |_| None);
        assert_eq!(
            value(&env, "AWS_LAMBDA_RUNTIME_API"),
            Some("127.0.0.1:9001")
        );
        assert_eq!(
            value(&env, "AWS_LAMBDA_FUNCTION_NAME"),
            Some("insights-salary")
        );
        assert_eq!(value(&env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), Some("256"));
        assert_eq!(value(&env, "AWS_LAMBDA_FUNCTION_VERSION"), Some("$LATEST"));
        assert_eq!(value(&env, "AWS_LAMBDA_LOG_FORMAT"), Some("JSON"));
        assert_eq!(
            value(&env, "AWS_LAMBDA_LOG_GROUP_NAME"),
            Some("/aws/lambda/insights-salary")
        );
        assert!(value(&env, "AWS_LAMBDA_LOG_STREAM_NAME").is_some_and(|s| s.contains("[$LATEST]")));
        assert_eq!(value(&env, "LAMBDA_TASK_ROOT"), Some("/opt/fns"));
        assert_eq!(value(&env, "_HANDLER"), Some("bootstrap"));
        assert_eq!(value(&env, "AWS_REGION"), Some("us-east-1"));
        assert_eq!(value(&env, "AWS_DEFAULT_REGION"), Some("us-east-1"));
        assert_eq!(
            env.function_arn("insights-salary"),
            "arn:aws:lambda:us-east-1:123456789012:function:insights-salary"
        );
    }

    #[test]
    fn inherits_region_and_log_format_from_the_shell() {
        let spec = FunctionSpec::new("f");
        let env = lambda_environment(&spec, addr(), |key| match key {
            "AWS_DEFAULT_REGION" => Some("me-south-1".to_string()),
            "AWS_LAMBDA_LOG_FORMAT" => Some("Text".to_string()),
            _ => None,
        });
        assert_eq!(value(&env, "AWS_REGION"), Some("me-south-1"));
        assert_eq!(value(&env, "AWS_DEFAULT_REGION"), Some("me-south-1"));
        // Not set here, so the inherited value reaches the child.
        assert_eq!(value(&env, "AWS_LAMBDA_LOG_FORMAT"), None);
    }

    #[test]
    fn explicit_variables_win_except_the_runtime_api() {
        let spec = FunctionSpec::new("f")
            .env("AWS_LAMBDA_LOG_FORMAT", "Text")
            .env("AWS_REGION", "me-central-1")
            .env("AWS_LAMBDA_RUNTIME_API", "10.0.0.1:80")
            .env("TABLE_NAME", "first")
            .env("TABLE_NAME", "second");
        let env = lambda_environment(&spec, addr(), |_| Some("eu-west-1".to_string()));
        assert_eq!(value(&env, "AWS_LAMBDA_LOG_FORMAT"), Some("Text"));
        assert_eq!(value(&env, "AWS_REGION"), Some("me-central-1"));
        assert_eq!(env.region, "me-central-1");
        assert_eq!(
            value(&env, "AWS_LAMBDA_RUNTIME_API"),
            Some("127.0.0.1:9001")
        );
        assert_eq!(value(&env, "TABLE_NAME"), Some("second"));
    }
}
