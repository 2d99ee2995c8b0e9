//! A faithful local imitation of the Tarabut open-banking API (Bahrain / Saudi Arabia).
//!
//! Serves the token, consent (intent + connect page), account-information and salary-insight
//! endpoints with the same paths and JSON shapes as Tarabut, over deterministic demo data, plus a
//! `/_sandbox/...` control plane for fault injection, counters and shortcuts. Deliberately
//! independent of the backend's own crates so that a client bug fails here.

mod auth;
mod config;
mod control;
mod counters;
mod data;
mod error;
mod faults;
mod handlers;
mod money;
mod oversize;
mod prng;
mod request;
mod server;
mod state;
mod wire;

pub use config::SandboxConfig;
pub use server::{RunningSandbox, start};
