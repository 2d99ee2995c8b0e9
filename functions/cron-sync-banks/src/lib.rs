//! EventBridge schedule: syncs every due active connection within the invocation's time.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent};
use shared::AppState;
use shared::deadline::Deadline;
use shared::sync::cron::{self, CronSummary};

/// The event's content is not used (the schedule is the trigger); any JSON is accepted.
pub async fn handle(
    state: Arc<AppState>,
    event: LambdaEvent<serde_json::Value>,
) -> Result<CronSummary, Error> {
    let deadline = Deadline::from_epoch_millis(event.context.deadline);
    Ok(cron::run(state, deadline).await?)
}
