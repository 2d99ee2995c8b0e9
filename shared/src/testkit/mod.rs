//! Helpers for tests across the workspace (feature `testkit`): a fresh table (in memory by
//! default, or on the local DynamoDB), an in-process Tarabut sandbox with its control plane,
//! the whole app state wired to both, API Gateway events from `events/`, the test users, and
//! [`handler_test_helpers!`](crate::handler_test_helpers) for a function's handler tests.

mod answers;
mod audit;
mod bank;
mod capture;
mod env;
mod events;
pub mod faults;
mod gate;
mod handler;
mod reads;
mod refusing;
mod s3;
mod sandbox;
pub mod sim;
mod token_writes;
mod unprocessed;
mod users;

pub use answers::{
    Answer, assert_no_secrets, assert_problem, balances, connection_item, money,
    refused_without_change, transactions, with_pk, with_sk_prefix,
};
pub use audit::{assert_audited, audit_items, without_audit};
pub use bank::{Bank, all_transactions};
pub use capture::{CaptureWriter, LogCapture, MetricsCapture, check_emf};
pub use env::{
    DynamoEnv, LOCAL_CURSOR_KEY_SECRET_ID, LOCAL_TARABUT_SECRET_ID, TEST_CLIENT_SECRET,
    TEST_CURSOR_KEY, TestEnv, TestTable, deadline, dynamo_table, test_config, test_env_vars,
    test_state, test_tarabut_client,
};
pub use events::{Event, workspace_root};
pub use gate::GatedTable;
pub use reads::ReadCounter;
pub use refusing::RefusingTable;
pub use s3::{export_bucket, export_keys};
pub use sandbox::{SandboxControl, start_sandbox};
pub use token_writes::ScriptedTokenTable;
pub use unprocessed::UnprocessedWrites;
pub use users::{ALICE, BOB, CAROL, user};

/// A JSON value (what `refused` returns), named for the macro.
#[doc(hidden)]
pub use serde_json::Value as Json;
