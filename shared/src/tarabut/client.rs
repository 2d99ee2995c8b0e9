//! The HTTP side of the Tarabut client.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::{Method, RequestBuilder, Response, StatusCode, Url};
use serde::de::DeserializeOwned;

use super::body::{MAX_BODY_BYTES, read_capped, read_error_prefix};
use super::credential::ClientCredential;
use super::error::TarabutError;
use super::http::LazyHttp;
use super::retry::{RetryPolicy, parse_retry_after};
use super::types::*;
use crate::config::TarabutSettings;
use crate::identity::CustomerUserId;
use crate::metrics;
use crate::secret::Secret;
use crate::time::Deadline;

#[derive(Clone)]
pub struct TarabutClient {
    /// Built on the first call (http.rs): functions that never call Tarabut never build it.
    http: LazyHttp,
    base_url: Url,
    token_url: Url,
    client_id: String,
    /// Shared by every clone: a secret read again after a rotation serves them all.
    credential: Arc<ClientCredential>,
    redirect_url: Url,
    request_timeout: Duration,
    retry: RetryPolicy,
}

/// How a revoke ended: both mean "no longer active at Tarabut".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    Now,
    AlreadyGone,
}

impl TarabutClient {
    pub fn new(settings: &TarabutSettings) -> Result<TarabutClient, TarabutError> {
        Ok(TarabutClient {
            http: LazyHttp::default(),
            base_url: settings.base_url.clone(),
            token_url: settings.token_url.clone(),
            client_id: settings.client_id.clone(),
            credential: Arc::default(),
            redirect_url: settings.redirect_url.clone(),
            request_timeout: settings.request_timeout,
            retry: RetryPolicy::default(),
        })
    }

    /// The client secret mints are made with: empty until one is installed at init.
    pub fn credential(&self) -> &ClientCredential {
        &self.credential
    }

    /// Our callback URL, registered with Tarabut.
    pub fn redirect_url(&self) -> &Url {
        &self.redirect_url
    }

    /// Mints a token for one end user (client credentials + `X-TG-CustomerUserId`). When
    /// Tarabut refuses the client secret, it is read again (once: it may have been rotated)
    /// and the mint retried with the new value.
    pub async fn mint_token(
        &self,
        customer: &CustomerUserId,
        deadline: Deadline,
    ) -> Result<MintedToken, TarabutError> {
        let secret = self
            .credential
            .current()
            .ok_or(TarabutError::NoClientSecret)?;
        match self.mint_with(&secret, customer, deadline).await {
            Err(e) if refuses_client(&e) => match self.credential.replacement_for(&secret).await {
                Some(fresh) => self.mint_with(&fresh, customer, deadline).await,
                None => Err(e),
            },
            other => other,
        }
    }

    async fn mint_with(
        &self,
        secret: &Secret,
        customer: &CustomerUserId,
        deadline: Deadline,
    ) -> Result<MintedToken, TarabutError> {
        let body = serde_json::json!({
            "clientId": self.client_id,
            "clientSecret": secret.expose(),
            "grantType": "client_credentials",
        });
        let response = self
            .execute("token", deadline, |http| {
                http.post(self.token_url.clone())
                    .header("X-TG-CustomerUserId", customer.as_str())
                    .json(&body)
            })
            .await?;
        let token: TokenResponse = decode(response).await?;
        if token.access_token.is_empty() || token.expires_in == 0 {
            return Err(TarabutError::Decode(
                "token response without token or lifetime".into(),
            ));
        }
        Ok(MintedToken {
            access_token: Secret::new(token.access_token),
            expires_in: Duration::from_secs(token.expires_in),
        })
    }

    pub async fn create_intent(
        &self,
        token: &Secret,
        intent: &CreateIntent,
        deadline: Deadline,
    ) -> Result<IntentCreated, TarabutError> {
        let url = self.url(&["accountInformation", "v1", "intent"])?;
        let response = self
            .execute("create_intent", deadline, |http| {
                self.authed(http, Method::POST, url.clone(), token)
                    .json(intent)
            })
            .await?;
        decode(response).await
    }

    pub async fn get_intent(
        &self,
        token: &Secret,
        intent_id: &str,
        deadline: Deadline,
    ) -> Result<Intent, TarabutError> {
        let url = self.url(&["accountInformation", "v1", "intent", intent_id])?;
        self.get_json("get_intent", url, token, deadline).await
    }

    pub async fn providers(
        &self,
        token: &Secret,
        deadline: Deadline,
    ) -> Result<Vec<Provider>, TarabutError> {
        let url = self.url(&["v1", "providers"])?;
        let r: ProvidersResponse = self.get_json("providers", url, token, deadline).await?;
        Ok(r.providers)
    }

    pub async fn accounts(
        &self,
        token: &Secret,
        deadline: Deadline,
    ) -> Result<Vec<Account>, TarabutError> {
        let url = self.url(&["accountInformation", "v2", "accounts"])?;
        let r: AccountsResponse = self.get_json("accounts", url, token, deadline).await?;
        Ok(r.accounts)
    }

    /// Balances of one account: cached by Tarabut, or `live` from the bank (`/refresh`).
    pub async fn balances(
        &self,
        token: &Secret,
        account_id: &str,
        live: bool,
        deadline: Deadline,
    ) -> Result<BalancesResponse, TarabutError> {
        let mut path = vec![
            "accountInformation",
            "v2",
            "accounts",
            account_id,
            "balances",
        ];
        if live {
            path.push("refresh");
        }
        let url = self.url(&path)?;
        let endpoint = if live { "balances_refresh" } else { "balances" };
        self.get_json(endpoint, url, token, deadline).await
    }

    /// Page `page` (1-based) of the enriched transactions of one account booked in
    /// `[from, to]`, and whether another page follows. One page at a time, so a caller can
    /// save each before reading the next: memory stays flat however long the history is.
    pub async fn transactions_page(
        &self,
        token: &Secret,
        account_id: &str,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        page: u32,
        deadline: Deadline,
    ) -> Result<TransactionPage, TarabutError> {
        let mut url = self.url(&[
            "accountInformation",
            "v2",
            "accounts",
            account_id,
            "transactions",
        ])?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(from) = from {
                q.append_pair(
                    "fromBookingDateTime",
                    &from.to_rfc3339_opts(SecondsFormat::Millis, true),
                );
            }
            if let Some(to) = to {
                q.append_pair(
                    "toBookingDateTime",
                    &to.to_rfc3339_opts(SecondsFormat::Millis, true),
                );
            }
            q.append_pair("page", &page.to_string());
        }
        let body: TransactionsPage = self.get_json("transactions", url, token, deadline).await?;
        // Page numbers, not the NEXT link's href: following a server-supplied URL would send
        // our bearer token to whatever host it names.
        let more = has_more(
            page,
            body.meta.and_then(|m| m.total_count_of_pages),
            body.transactions.len(),
            body.links
                .iter()
                .any(|l| l.rel.eq_ignore_ascii_case("next")),
        );
        Ok(TransactionPage {
            transactions: body.transactions,
            more,
        })
    }

    /// Revokes a consent at Tarabut (and the bank). A 404 means it is already gone.
    pub async fn revoke_consent(
        &self,
        token: &Secret,
        consent_id: &str,
        deadline: Deadline,
    ) -> Result<Revoked, TarabutError> {
        let url = self.url(&["consentInformation", "v1", "consents", consent_id])?;
        match self
            .execute("revoke_consent", deadline, |http| {
                self.authed(http, Method::DELETE, url.clone(), token)
            })
            .await
        {
            Ok(_) => Ok(Revoked::Now),
            Err(TarabutError::NotFound) => Ok(Revoked::AlreadyGone),
            Err(e) => Err(e),
        }
    }

    /// Tarabut's own salary detection (optional corroboration).
    pub async fn salary(
        &self,
        token: &Secret,
        months: u32,
        deadline: Deadline,
    ) -> Result<Vec<SalaryPayment>, TarabutError> {
        let mut url = self.url(&["insights", "v1", "salary"])?;
        url.query_pairs_mut()
            .append_pair("months", &months.to_string());
        let r: SalaryResponse = self.get_json("salary", url, token, deadline).await?;
        Ok(r.salaries)
    }

    fn url(&self, segments: &[&str]) -> Result<Url, TarabutError> {
        let mut url = self.base_url.clone();
        url.path_segments_mut()
            .map_err(|_| TarabutError::Transport("TARABUT_BASE_URL cannot be a base".into()))?
            .pop_if_empty()
            // Each id becomes one percent-encoded segment: an id cannot change the path.
            .extend(segments);
        Ok(url)
    }

    fn authed(
        &self,
        http: &reqwest::Client,
        method: Method,
        url: Url,
        token: &Secret,
    ) -> RequestBuilder {
        http.request(method, url).bearer_auth(token.expose())
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        url: Url,
        token: &Secret,
        deadline: Deadline,
    ) -> Result<T, TarabutError> {
        let response = self
            .execute(endpoint, deadline, |http| {
                self.authed(http, Method::GET, url.clone(), token)
            })
            .await?;
        decode(response).await
    }

    /// Sends with retries on 429/5xx/timeouts/connection errors, each attempt's timeout and
    /// every wait bounded by the deadline.
    async fn execute(
        &self,
        endpoint: &'static str,
        deadline: Deadline,
        make: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, TarabutError> {
        let http = self.http.get()?;
        let mut attempt = 0u32;
        loop {
            let remaining = deadline.remaining();
            if remaining.is_zero() {
                return Err(TarabutError::DeadlineExceeded);
            }
            let started = std::time::Instant::now();
            let sent = make(http)
                .timeout(self.request_timeout.min(remaining))
                .send()
                .await;
            metrics::tarabut_call(endpoint, metrics::CallStatus::of(&sent), started.elapsed());
            let outcome = match sent {
                Ok(response) => classify(response).await,
                Err(e) if e.is_timeout() => Err((TarabutError::Timeout, None)),
                Err(e) => Err((TarabutError::Transport(e.without_url().to_string()), None)),
            };
            let (error, retry_after) = match outcome {
                Ok(response) => return Ok(response),
                Err(failure) => failure,
            };
            if !error.is_retryable() {
                return Err(error);
            }
            let Some(delay) =
                self.retry
                    .next_delay(attempt, retry_after, deadline.remaining(), fastrand::f64())
            else {
                return Err(error);
            };
            tracing::warn!(endpoint, attempt, error = %error, delay_ms = delay.as_millis() as u64, "retrying Tarabut call");
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

/// The token endpoint's refusal of our client credentials: `invalid_client` comes as a 401
/// (the sandbox, OAuth 2.0's RFC 6749 §5.2 with Basic auth) or a 400 naming it.
fn refuses_client(e: &TarabutError) -> bool {
    match e {
        TarabutError::Unauthorized => true,
        TarabutError::Rejected { status, message } => {
            *status == 400 && message.contains("invalid_client")
        }
        _ => false,
    }
}

/// Whether a page after `page` exists: the page count when the answer has one, else a NEXT
/// link on a non-empty page.
fn has_more(page: u32, total_pages: Option<u32>, rows: usize, next_link: bool) -> bool {
    match total_pages {
        Some(total) => page < total,
        None => rows > 0 && next_link,
    }
}

/// Maps a status to a typed error; success passes through.
async fn classify(response: Response) -> Result<Response, (TarabutError, Option<Duration>)> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    let error = match status {
        StatusCode::UNAUTHORIZED => TarabutError::Unauthorized,
        StatusCode::FORBIDDEN => TarabutError::Forbidden,
        StatusCode::NOT_FOUND => TarabutError::NotFound,
        StatusCode::TOO_MANY_REQUESTS => TarabutError::RateLimited { retry_after },
        s if s.is_server_error() => TarabutError::Server { status: s.as_u16() },
        s => {
            let body = read_error_prefix(response).await;
            TarabutError::Rejected {
                status: s.as_u16(),
                message: String::from_utf8_lossy(&body).chars().take(300).collect(),
            }
        }
    };
    Err((error, retry_after))
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, TarabutError> {
    let bytes = read_capped(response, MAX_BODY_BYTES).await?;
    serde_json::from_slice(&bytes).map_err(|e| TarabutError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::has_more;

    #[test]
    fn the_page_count_wins_over_links() {
        assert!(has_more(1, Some(2), 25, false));
        assert!(!has_more(2, Some(2), 25, true));
        assert!(has_more(3, None, 1, true));
        assert!(
            !has_more(3, None, 0, true),
            "an empty page ends the history"
        );
        assert!(!has_more(3, None, 5, false));
    }
}
