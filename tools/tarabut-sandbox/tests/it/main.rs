//! Integration tests over real HTTP against in-process sandboxes (one test binary).

mod binary;
mod common;
mod control;
mod data;
mod determinism;
mod faults;
mod flow;
mod revoke;
mod token;
mod transactions;
