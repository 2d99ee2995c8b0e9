//! An in-process Tarabut sandbox and a client for its `/_sandbox` control plane.

use serde_json::{Value, json};
use tarabut_sandbox::{RunningSandbox, SandboxConfig};

/// Redirect URL the test configuration registers with the sandbox.
pub const TEST_REDIRECT_URL: &str = "https://api.example.test/tarabut/callback";

pub async fn start_sandbox() -> (RunningSandbox, SandboxControl) {
    let sandbox = tarabut_sandbox::start(SandboxConfig {
        redirect_urls: vec![TEST_REDIRECT_URL.to_string()],
        ..SandboxConfig::default()
    })
    .await
    .expect("starting the Tarabut sandbox");
    let control = SandboxControl::new(sandbox.base_url());
    (sandbox, control)
}

#[derive(Clone)]
pub struct SandboxControl {
    base: String,
    http: reqwest::Client,
}

impl SandboxControl {
    pub fn new(base_url: &str) -> SandboxControl {
        SandboxControl {
            base: base_url.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
        }
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .expect("sandbox control call");
        let status = r.status();
        let text = r.text().await.unwrap_or_default();
        assert!(status.is_success(), "sandbox {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }

    /// Adds a fault rule, e.g. `json!({"endpoint": "token", "status": 503})`.
    pub async fn fault(&self, rule: Value) {
        self.post("/_sandbox/faults", rule).await;
    }

    /// The next `count` transactions calls (every one with `None`) answer 200 with a streamed
    /// JSON body of at least `bytes` bytes instead of the page.
    pub async fn serve_oversize_transactions(&self, bytes: u64, count: Option<u64>) {
        let mut rule = json!({ "endpoint": "transactions", "oversizeBytes": bytes });
        if let Some(n) = count {
            rule["count"] = json!(n);
        }
        self.fault(rule).await;
    }

    /// Bytes of oversize bodies the sandbox handed to connections so far.
    pub async fn oversize_bytes_served(&self) -> u64 {
        self.counters().await["oversizeBytesServed"]
            .as_u64()
            .unwrap_or(0)
    }

    pub async fn clear_faults(&self) {
        let r = self
            .http
            .delete(format!("{}/_sandbox/faults", self.base))
            .send()
            .await
            .expect("sandbox control call");
        assert!(r.status().is_success());
    }

    pub async fn counters(&self) -> Value {
        self.http
            .get(format!("{}/_sandbox/counters", self.base))
            .send()
            .await
            .expect("sandbox counters")
            .json()
            .await
            .expect("counters JSON")
    }

    /// Tokens minted so far for a customer user id.
    pub async fn mints(&self, customer_user_id: &str) -> u64 {
        self.counters().await["mints"][customer_user_id]
            .as_u64()
            .unwrap_or(0)
    }

    /// Calls so far to one endpoint (`token`, `transactions`, …).
    pub async fn calls(&self, endpoint: &str) -> u64 {
        self.counters().await["calls"][endpoint]
            .as_u64()
            .unwrap_or(0)
    }

    pub async fn reset_counters(&self) {
        self.post("/_sandbox/counters/reset", json!({})).await;
    }

    pub async fn set_token_lifetime(&self, secs: u64) {
        self.post("/_sandbox/config", json!({ "tokenLifetimeSecs": secs }))
            .await;
    }

    /// Rotates the client secret at "Tarabut": mints with the old one are refused
    /// (`401 invalid_client`) from now on.
    pub async fn set_client_secret(&self, secret: &str) {
        self.post("/_sandbox/config", json!({ "clientSecret": secret }))
            .await;
    }

    pub async fn set_page_size(&self, size: usize) {
        self.post("/_sandbox/config", json!({ "pageSize": size }))
            .await;
    }

    /// Every account's history becomes `n` synthetic debits (ids `syn-<accountId>-<i>`), spread
    /// over the window, newest first; 0 brings the demo data back.
    pub async fn set_synthetic_transactions(&self, n: usize) {
        self.post("/_sandbox/config", json!({ "syntheticTransactions": n }))
            .await;
    }

    pub async fn invalidate_tokens(&self, customer_user_id: &str) {
        self.post(
            "/_sandbox/tokens/invalidate",
            json!({ "customerUserId": customer_user_id }),
        )
        .await;
    }

    /// An ACTIVE consent without the browser journey: `(consentId, accountIds)`.
    pub async fn create_consent(
        &self,
        customer_user_id: &str,
        provider_id: &str,
    ) -> (String, Vec<String>) {
        let r = self
            .post(
                "/_sandbox/consents",
                json!({ "customerUserId": customer_user_id, "providerId": provider_id }),
            )
            .await;
        let ids = r["accountIds"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        (r["consentId"].as_str().unwrap_or_default().to_string(), ids)
    }

    /// The consent's status at Tarabut: `ACTIVE`, `EXPIRED` or `REVOKED`.
    pub async fn consent_status(&self, consent_id: &str) -> String {
        let r = self
            .http
            .get(format!("{}/_sandbox/consents/{consent_id}", self.base))
            .send()
            .await
            .expect("sandbox control call");
        assert!(
            r.status().is_success(),
            "consent {consent_id}: {}",
            r.status()
        );
        let v: Value = r.json().await.expect("consent JSON");
        v["status"].as_str().unwrap_or_default().to_string()
    }

    pub async fn expire_consent(&self, consent_id: &str) {
        self.post(
            &format!("/_sandbox/consents/{consent_id}/expire"),
            json!({}),
        )
        .await;
    }

    /// Follows the connect page's Approve (or Deny) link like a browser would and returns the
    /// redirect's query (`intentId`, `status`, `error`).
    pub async fn answer_connect(
        &self,
        connect_url: &str,
        approve: bool,
        provider: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut url = reqwest::Url::parse(connect_url).expect("connect URL");
        url.path_segments_mut()
            .expect("connect URL path")
            .push(if approve { "approve" } else { "deny" });
        if let Some(p) = provider {
            url.query_pairs_mut().append_pair("providerId", p);
        }
        let r = self.http.get(url).send().await.expect("connect page");
        assert_eq!(r.status(), 302, "connect page answered {}", r.status());
        let location = r
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .expect("redirect location")
            .to_string();
        reqwest::Url::parse(&location)
            .expect("redirect URL")
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    /// An intent whole, as Tarabut's `GET /accountInformation/v1/intent/{intentId}` reports it
    /// to the holder of `access_token` (the app's client reads only part of it: not its
    /// `expiry`, for one). Counts as a `get_intent` call.
    pub async fn intent(&self, access_token: &str, intent_id: &str) -> Value {
        let r = self
            .http
            .get(format!(
                "{}/accountInformation/v1/intent/{intent_id}",
                self.base
            ))
            .bearer_auth(access_token)
            .send()
            .await
            .expect("intent");
        assert_eq!(
            r.status(),
            200,
            "intent {intent_id} answered {}",
            r.status()
        );
        r.json().await.expect("intent JSON")
    }

    /// The connect page a browser would see for `connect_url` (its language and bank show what
    /// the intent asked Tarabut for).
    pub async fn connect_page(&self, connect_url: &str) -> String {
        let r = self
            .http
            .get(connect_url)
            .send()
            .await
            .expect("connect page");
        assert_eq!(r.status(), 200, "connect page answered {}", r.status());
        r.text().await.expect("connect page text")
    }
}
