//! The Tarabut client's HTTP client, built on its first use. Building a reqwest client loads
//! the platform's root certificates (rustls-platform-verifier): 3.5–4.7 ms of every cold start
//! measured under AWS's emulator (BENCHMARKS.md, `make bench-cold`), which the functions that
//! never call Tarabut (the read routes, the insights) paid for nothing. A function that does
//! call Tarabut pays it on its first call instead; a failed build (no root certificates) fails
//! each call as a transport error, logged, where it used to fail the init.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use reqwest::redirect;

use super::error::TarabutError;

#[derive(Clone, Default)]
pub(super) struct LazyHttp(Arc<OnceLock<Result<reqwest::Client, String>>>);

impl LazyHttp {
    /// The client, built by the first caller.
    pub(super) fn get(&self) -> Result<&reqwest::Client, TarabutError> {
        self.0
            .get_or_init(|| {
                build().map_err(|e| {
                    tracing::error!(error = %e, "building the Tarabut HTTP client");
                    e.to_string()
                })
            })
            .as_ref()
            .map_err(|e| TarabutError::Transport(e.clone()))
    }
}

fn build() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        // A redirect from an API host would carry our bearer token elsewhere.
        .redirect(redirect::Policy::none())
        .connect_timeout(Duration::from_secs(2))
        .pool_idle_timeout(Duration::from_secs(50))
        .user_agent(concat!("gulf-finance-backend/", env!("CARGO_PKG_VERSION")))
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_client_is_built_and_shared_by_clones() {
        let http = LazyHttp::default();
        let copy = http.clone();
        assert!(
            copy.0.get().is_none(),
            "nothing is built before the first use"
        );
        let first: *const reqwest::Client = http.get().unwrap();
        let second: *const reqwest::Client = copy.get().unwrap();
        assert_eq!(first, second);
    }
}
