//! The error type every fallible call of this crate returns.

use std::path::PathBuf;

/// Why a [`Session`](crate::Session) could not start or an invocation produced no result.
///
/// A function that *returns* an error is not an `InvokeError`: that is
/// [`Outcome::FunctionError`](crate::Outcome::FunctionError), because Lambda answers it too.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    /// The function failed before asking for its first event: it posted
    /// `/runtime/init/error`, or its process exited during init (then `error_type` is
    /// `Runtime.ExitError`, as Lambda reports it, and `exit_code` is set).
    #[error("init failed: {error_type}: {message}")]
    InitError {
        error_type: String,
        message: String,
        /// The process's exit code when it exited; `None` if it was still running (then it is
        /// killed) or ended by a signal.
        exit_code: Option<i32>,
    },

    /// The function did not ask for its first event within the init timeout; it was killed.
    #[error("init did not finish within the init timeout")]
    InitTimeout,

    /// The invocation got no result within the function timeout. The process has been killed,
    /// as Lambda does; the session cannot invoke again.
    #[error("task timed out (no result within the function timeout)")]
    Timeout,

    /// The process exited after init (during or between invocations).
    #[error("function process exited ({})", describe_exit(*.code, *.signal))]
    ProcessExited {
        code: Option<i32>,
        /// The signal that ended the process (Unix), when it was one.
        signal: Option<i32>,
    },

    /// An earlier timeout or process exit ended this session; start a new one.
    #[error("the function process is no longer running; start a new session")]
    NotRunning,

    /// The event is larger than Lambda accepts for a synchronous invoke.
    #[error("event payload is {size} bytes; Lambda accepts at most {limit}")]
    PayloadTooLarge { size: usize, limit: usize },

    /// The SAM `--env-vars` file could not be read or has the wrong shape.
    #[error("env file {}: {reason}", path.display())]
    EnvFile { path: PathBuf, reason: String },

    /// An I/O failure of this tool (binding the Runtime API, spawning the binary, ...).
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
}

impl InvokeError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        InvokeError::Io {
            context: context.into(),
            source,
        }
    }
}

/// "exit code 3", "signal 9", as a person reads an exit status.
pub(crate) fn describe_exit(code: Option<i32>, signal: Option<i32>) -> String {
    match (code, signal) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(signal)) => format!("signal {signal}"),
        (None, None) => "unknown status".to_string(),
    }
}
