//! EventBridge schedule: syncs every due active connection within the invocation's time.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent};
use shared::AppState;
use shared::scheduled_sync::{self, CronSummary};
use shared::time::Deadline;

/// The event's content is not used (the schedule is the trigger); any JSON is accepted.
pub async fn handle(
    state: Arc<AppState>,
    event: LambdaEvent<serde_json::Value>,
) -> Result<CronSummary, Error> {
    let deadline = Deadline::from_epoch_millis(event.context.deadline);
    let invocation = Some(event.context.request_id.clone());
    Ok(scheduled_sync::run(state, deadline, invocation).await?)
}
