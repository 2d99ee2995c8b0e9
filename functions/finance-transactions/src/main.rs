//! Lambda entry point: telemetry, configuration and clients once per cold start, then the
//! runtime loop over [`finance_transactions::handle`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let state = shared::AppState::init().await?;
    // The key that authenticates page cursors, from Secrets Manager.
    let state = shared::secrets::with_cursor_key(state).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        finance_transactions::handle(&state, req)
    }))
    .await
}
