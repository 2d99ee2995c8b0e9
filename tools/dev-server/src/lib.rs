//! `dev-server`: the whole HTTP API on localhost, routed as API Gateway routes it (docs/architecture.md §8).
//!
//! Every route of docs/architecture.md §3 is dispatched to its function crate's `handle` with the payload 2.0
//! event API Gateway would send (parsed by lambda_http, with a Lambda context and deadline).
//! `Authorization: Bearer dev:<user>` stands in for a JWT (`sub = <user>`). The Tarabut sandbox
//! runs in-process; data lives in the embedded table, or in DynamoDB when
//! `AWS_ENDPOINT_URL_DYNAMODB` is set. `POST /_dev/cron` runs the scheduled sync once. Exports
//! are kept in memory and served at `GET /_dev/exports/…` (no S3 needed).
//!
//! ```no_run
//! # async fn demo() -> Result<(), dev_server::DevServerError> {
//! let server = dev_server::serve(dev_server::DevServerOptions::ephemeral()).await?;
//! println!("API at {}, sandbox at {}", server.url(), server.sandbox_url());
//! # Ok(()) }
//! ```

mod auth;
mod dev_routes;
mod encoding;
mod event;
mod exports;
mod gateway;
mod options;
pub mod routes;
mod server;

pub use dev_routes::{CRON_BUDGET, run_cron};
pub use gateway::{INTEGRATION_TIMEOUT, LAMBDA_BUDGET, MAX_PAYLOAD_BYTES};
pub use options::{
    DEFAULT_PORT, DEFAULT_SANDBOX_PORT, DEFAULT_TABLE_NAME, DevServerOptions, StoreChoice,
};
pub use server::{DevServerError, RunningDevServer, StoreKind, serve};
