//! Start-up configuration and the subset of it that the control plane may change at runtime.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};

use chrono::NaiveDate;

/// How to run a sandbox. `Default` gives a loopback server on an ephemeral port with the
/// credentials `sandbox-client` / `sandbox-secret`, 1-hour tokens and 25 transactions per page.
#[derive(Clone)]
pub struct SandboxConfig {
    pub client_id: String,
    pub client_secret: String,
    /// `expiresIn` of minted tokens; 0 mints tokens that are already expired.
    pub token_lifetime_secs: u64,
    /// Transactions per page (at least 1).
    pub page_size: usize,
    /// The last day of demo data; `None` = the system clock's UTC date.
    pub today: Option<NaiveDate>,
    /// Redirect URLs an intent may name (exact string match), as registered in Tarabut's portal.
    pub redirect_urls: Vec<String>,
    pub bind: SocketAddr,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            client_id: "sandbox-client".to_owned(),
            client_secret: "sandbox-secret".to_owned(),
            token_lifetime_secs: 3600,
            page_size: 25,
            today: None,
            redirect_urls: Vec::new(),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        }
    }
}

// Hand-written so that the secret never reaches a log through `{:?}`.
impl fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxConfig")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("token_lifetime_secs", &self.token_lifetime_secs)
            .field("page_size", &self.page_size)
            .field("today", &self.today)
            .field("redirect_urls", &self.redirect_urls)
            .field("bind", &self.bind)
            .finish()
    }
}

/// Settings read on every request; `POST /_sandbox/config` changes the last three.
#[derive(Clone)]
pub(crate) struct Settings {
    pub client_id: String,
    pub client_secret: String,
    pub token_lifetime_secs: u64,
    pub page_size: usize,
    pub redirect_urls: Vec<String>,
    /// When set, every account's history is this many synthetic rows instead of the demo
    /// data (`data/synthetic.rs`): a huge history for paging tests.
    pub synthetic_transactions: Option<usize>,
}

impl From<&SandboxConfig> for Settings {
    fn from(cfg: &SandboxConfig) -> Self {
        Self {
            client_id: cfg.client_id.clone(),
            client_secret: cfg.client_secret.clone(),
            token_lifetime_secs: cfg.token_lifetime_secs,
            page_size: cfg.page_size,
            redirect_urls: cfg.redirect_urls.clone(),
            synthetic_transactions: None,
        }
    }
}

/// Most synthetic rows per account.
pub(crate) const MAX_SYNTHETIC_TRANSACTIONS: usize = 100_000;

/// Largest page size accepted, to keep a page a sane HTTP body.
pub(crate) const MAX_PAGE_SIZE: usize = 10_000;
