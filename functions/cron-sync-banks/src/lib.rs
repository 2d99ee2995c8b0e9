//! EventBridge schedule: syncs every due active connection within the invocation's time.

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent};
use shared::AppState;
use shared::scheduled_sync::{self, CronSummary};
use shared::time::Deadline;

/// The event's content is not used (the schedule is the trigger); any JSON is accepted.
///
/// A run where most attempted syncs failed returns a
/// [`FailedRun`](shared::scheduled_sync::FailedRun) error (after the summary's log line and
/// metrics), so the invocation counts in Lambda's `Errors` metric: without it a run that synced
/// nothing looked like a success.
pub async fn handle(
    state: Arc<AppState>,
    event: LambdaEvent<serde_json::Value>,
) -> Result<CronSummary, Error> {
    let deadline = Deadline::from_epoch_millis(event.context.deadline);
    let invocation = Some(event.context.request_id.clone());
    let summary = scheduled_sync::run(state, deadline, invocation).await?;
    Ok(scheduled_sync::verdict(summary)?)
}
