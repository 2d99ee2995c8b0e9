//! A local AWS Lambda Runtime API: runs a built function binary (`lambda_runtime` /
//! `lambda_http` 1.x) as a child process and feeds it events, like `sam local invoke`
//! without Docker.
//!
//! ```no_run
//! # async fn demo() -> Result<(), invoke::InvokeError> {
//! use invoke::{FunctionSpec, Outcome, Session};
//!
//! let spec = FunctionSpec::new("target/debug/insights-salary")
//!     .envs(invoke::load_env_file("events/env.json", "InsightsSalaryFunction")?);
//! let mut session = Session::start(spec).await?;
//! let invocation = session.invoke(serde_json::json!({"rawPath": "/"})).await?;
//! if let Outcome::Response(body) = &invocation.outcome {
//!     println!("{body} in {:?} (cold start {:?})", invocation.elapsed, session.cold_start());
//! }
//! session.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The Runtime API listens on 127.0.0.1 on an ephemeral port, one per [`Session`].

mod env_file;
mod error;
mod lambda_env;
mod output;
mod process;
mod rie;
mod runtime_api;
mod session;
mod spec;

pub use env_file::{EnvFile, load_env_file, logical_id_for};
pub use error::InvokeError;
pub use output::{CapturedOutput, OutputMode};
pub use rie::Runner;
pub use runtime_api::PAYLOAD_LIMIT;
pub use session::{Invocation, Outcome, Session, StartOptions};
pub use spec::{DEFAULT_INIT_TIMEOUT, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT, FunctionSpec};
