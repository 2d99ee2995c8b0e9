//! Helpers for tests across the workspace (feature `testkit`): a fresh table on the local
//! DynamoDB, an in-process Tarabut sandbox with its control plane, the whole app state wired
//! to both, and API Gateway events from `events/`.

mod answers;
mod env;
mod events;
mod sandbox;

pub use answers::{
    Answer, assert_no_secrets, assert_problem, balances, connection_item, money,
    refused_without_change, transactions, with_pk, with_sk_prefix,
};
pub use env::{TestEnv, dump, dynamo_table, test_config, test_env_vars};
pub use events::{Event, workspace_root};
pub use sandbox::{SandboxControl, start_sandbox};
