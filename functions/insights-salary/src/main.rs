//! Lambda entry point: telemetry, configuration and clients once per cold start, then the
//! runtime loop over [`insights_salary::handle`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let state = shared::AppState::init().await?;
    // `refresh=true` syncs through Tarabut first: the client secret, from Secrets Manager.
    let state = shared::secrets::with_tarabut_secret(state).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        insights_salary::handle(&state, req)
    }))
    .await
}
