//! Lambda entry point of the scheduled sync (EventBridge): state once per cold start, then
//! the runtime loop over [`cron_sync_banks::handle`].

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    shared::telemetry::init();
    let state =
        Arc::new(shared::secrets::with_tarabut_secret(shared::AppState::init().await?).await?);
    lambda_runtime::run(lambda_runtime::service_fn(|event| {
        cron_sync_banks::handle(state.clone(), event)
    }))
    .await
}
