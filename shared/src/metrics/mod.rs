//! Metrics as CloudWatch embedded-metric-format (EMF) lines on stdout: Lambda ships stdout to
//! CloudWatch Logs, which turns each EMF line into data points of the `GulfFinance` namespace
//! (no PutMetricData call, no agent, nothing on the request path but a line).
//!
//! - [`events`](self#functions): the contract, one function per metric event, called where the
//!   event happens (token manager, Tarabut client, sync, scheduled run, insights).
//! - `emf`: rendering one document (pure).
//! - `layer`: the sink, a `tracing` layer installed by [`crate::telemetry::init`] that writes
//!   each document as a raw line, and the dispatch of a document to the current subscriber
//!   (by hand, not through the macros' cached interest: `layer.rs` says why).
//!
//! Why through `tracing`: no handle has to be threaded into every emitter, and a test sees
//! exactly its own metrics by installing a subscriber for its thread
//! (`shared::testkit::MetricsCapture`), which a process-wide sink would mix across the tests
//! running in parallel. Why not a crate: `metrics_cloudwatch_embedded` (the maintained one)
//! is a global recorder for the `metrics` facade that aggregates per invocation and wants to
//! own the runtime loop; a few small files do what is needed here.

mod emf;
mod events;
mod layer;

pub use emf::{EmfError, Line, MAX_DIMENSIONS, MAX_METRICS, NAMESPACE, Unit};
pub use events::{
    CallStatus, Insight, cron_summary, insight_latency, lease_lost, lease_waited, sync_failed,
    sync_succeeded, tarabut_call, token_mint_failed, token_minted,
};
pub use layer::{EmfLayer, TARGET, is_metric};
