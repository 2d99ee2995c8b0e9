//! Lambda entry point: telemetry, configuration, clients and the S3 export store once per cold
//! start, then the runtime loop over [`finance_export::handle`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let state = shared::AppState::init().await?;
    let state = shared::export::with_s3(state).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        finance_export::handle(&state, req)
    }))
    .await
}
