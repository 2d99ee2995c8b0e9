//! AWS's Runtime Interface Emulator as the function's host: the emulator (a static binary the
//! aws-sam-cli wheel ships as `samcli/local/rapid/aws-lambda-rie-<arch>`) runs the function
//! process and serves its Runtime API; invocations are HTTP POSTs to its invoke endpoint.
//! With a command prefix (`qemu-aarch64-static -L /usr/aarch64-linux-gnu`) it runs an arm64
//! bootstrap on an x86_64 host: the artifact that is deployed, under AWS's own emulator.
//!
//! What the emulator does differently from [`crate::runtime_api`], as measured with
//! aws-sam-cli 1.170.0's emulator: it inits the function as soon as it starts; an init
//! failure is not reported until the first invoke, which answers 502 with an empty body (the
//! reason is in the function's output); a function error is a 200 whose body is
//! `{"errorType", "errorMessage"}`; it enforces `AWS_LAMBDA_FUNCTION_TIMEOUT` itself.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use crate::error::InvokeError;

/// How a session runs its function.
#[derive(Debug, Clone, Default)]
pub enum Runner {
    /// This crate's own Runtime API; the function binary is the child process.
    #[default]
    RuntimeApi,
    /// AWS's Runtime Interface Emulator runs `prefix... <binary>`.
    Rie {
        /// The `aws-lambda-rie-<arch>` binary.
        emulator: PathBuf,
        /// A command the binary is run through, e.g. qemu-user for an arm64 bootstrap.
        prefix: Vec<String>,
    },
}

impl Runner {
    /// The emulator running the binary through `through`, a command line split on spaces
    /// (empty: the binary runs directly), as `--through` and `INVOKE_THROUGH` give it.
    pub fn rie(emulator: impl Into<PathBuf>, through: &str) -> Runner {
        Runner::Rie {
            emulator: emulator.into(),
            prefix: through.split_whitespace().map(str::to_string).collect(),
        }
    }
}

/// The emulator's two loopback addresses: where invokes go, where the function polls.
pub(crate) struct RieAddresses {
    pub invoke: SocketAddr,
    pub runtime_api: SocketAddr,
}

impl RieAddresses {
    /// Two free loopback ports (bound, read, released: the emulator binds them right after).
    pub fn pick() -> Result<RieAddresses, InvokeError> {
        let free = || -> Result<SocketAddr, InvokeError> {
            TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map_err(|e| InvokeError::io("finding a free port for the emulator", e))
        };
        Ok(RieAddresses {
            invoke: free()?,
            runtime_api: free()?,
        })
    }

    /// The emulator's arguments before the function's command.
    pub fn args(&self) -> Vec<String> {
        vec![
            "--runtime-interface-emulator-address".into(),
            self.invoke.to_string(),
            "--runtime-api-address".into(),
            self.runtime_api.to_string(),
        ]
    }

    pub fn invoke_url(&self) -> String {
        format!(
            "http://{}/2015-03-31/functions/function/invocations",
            self.invoke
        )
    }
}

/// Whether the emulator accepts connections yet.
pub(crate) async fn listening(addr: SocketAddr) -> bool {
    tokio::time::timeout(
        Duration::from_millis(200),
        tokio::net::TcpStream::connect(addr),
    )
    .await
    .is_ok_and(|r| r.is_ok())
}

/// What one POST to the emulator answered.
pub(crate) enum RieAnswer {
    Response(Value),
    FunctionError {
        error_type: String,
        error_message: String,
    },
    /// 502 with an empty body: the runtime failed (at init, or exited).
    RuntimeFailed,
}

pub(crate) fn classify(status: u16, body: &[u8]) -> Result<RieAnswer, InvokeError> {
    if status == 502 {
        return Ok(RieAnswer::RuntimeFailed);
    }
    if status != 200 {
        return Err(InvokeError::io(
            "the Runtime Interface Emulator",
            std::io::Error::other(format!(
                "answered {status}: {}",
                String::from_utf8_lossy(body)
            )),
        ));
    }
    let value = crate::session::parse_payload(body);
    // The emulator returns a function's error as its payload: an object with exactly these
    // members (and possibly a stack trace), which no API Gateway response has.
    if let Value::Object(map) = &value
        && let (Some(Value::String(t)), Some(Value::String(m))) =
            (map.get("errorType"), map.get("errorMessage"))
        && map
            .keys()
            .all(|k| matches!(k.as_str(), "errorType" | "errorMessage" | "stackTrace"))
    {
        return Ok(RieAnswer::FunctionError {
            error_type: t.clone(),
            error_message: m.clone(),
        });
    }
    Ok(RieAnswer::Response(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_told_apart() {
        assert!(matches!(classify(502, b""), Ok(RieAnswer::RuntimeFailed)));
        assert!(matches!(
            classify(200, br#"{"errorType":"E","errorMessage":"m"}"#),
            Ok(RieAnswer::FunctionError { .. })
        ));
        assert!(matches!(
            classify(
                200,
                br#"{"statusCode":200,"errorType":"E","errorMessage":"m"}"#
            ),
            Ok(RieAnswer::Response(_))
        ));
        assert!(matches!(classify(500, b"x"), Err(InvokeError::Io { .. })));
    }
}
