//! The common library of every function: configuration, identity, money, the Tarabut client,
//! the table and its repositories, the token manager, and the HTTP glue.

pub mod banking;
pub mod config;
pub mod deadline;
pub mod error;
pub mod http;
pub mod identity;
pub mod insights;
pub mod money;
pub mod reports;
pub mod secret;
pub mod state;
pub mod store;
pub mod sync;
pub mod tarabut;
pub mod telemetry;
pub mod token;

#[cfg(any(test, feature = "testkit"))]
pub mod testkit;

pub use state::AppState;
