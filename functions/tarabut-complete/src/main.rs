//! Lambda entry point: telemetry, configuration, clients and the Tarabut client secret once per cold start, then the
//! runtime loop over [`tarabut_complete::handle`].

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    shared::telemetry::init();
    let state = shared::AppState::init().await?;
    // This function calls Tarabut: the client secret, from Secrets Manager.
    let state = shared::secrets::with_tarabut_secret(state).await?;
    lambda_http::run(lambda_http::service_fn(|req| {
        tarabut_complete::handle(&state, req)
    }))
    .await
}
