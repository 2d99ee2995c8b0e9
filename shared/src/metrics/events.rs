//! The metrics contract: every metric this backend emits, named once here. The template's
//! alarms are written against these names and dimensions: renaming one silently breaks an
//! alarm (docs/architecture.md §12 lists them).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::emf::{Line, Unit};
use super::layer::dispatch;
use crate::scheduled_sync::CronSummary;

/// How one HTTP attempt at Tarabut ended (the `Status` dimension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    /// Tarabut answered with this status.
    Http(u16),
    /// No answer within the attempt's timeout.
    Timeout,
    /// No answer at all: connection refused or reset, TLS, DNS.
    Transport,
}

impl CallStatus {
    /// How an attempt sent with reqwest ended.
    pub fn of(sent: &Result<reqwest::Response, reqwest::Error>) -> CallStatus {
        match sent {
            Ok(response) => CallStatus::Http(response.status().as_u16()),
            Err(e) if e.is_timeout() => CallStatus::Timeout,
            Err(_) => CallStatus::Transport,
        }
    }

    fn label(self) -> String {
        match self {
            CallStatus::Http(status) => status.to_string(),
            CallStatus::Timeout => "timeout".into(),
            CallStatus::Transport => "transport".into(),
        }
    }
}

/// The insight a latency is of (the `Insight` dimension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Insight {
    Spending,
    Income,
    Salary,
    BalanceHistory,
}

impl Insight {
    fn label(self) -> &'static str {
        match self {
            Insight::Spending => "spending",
            Insight::Income => "income",
            Insight::Salary => "salary",
            Insight::BalanceHistory => "balance_history",
        }
    }
}

/// A token was minted and committed (`TokenMinted`).
pub fn token_minted() {
    publish(count("TokenMinted"));
}

/// Tarabut's token endpoint failed a mint (`TokenMintFailed`); a caller that ran out of time
/// is not counted: that says nothing about Tarabut.
pub fn token_mint_failed() {
    publish(count("TokenMintFailed"));
}

/// A caller found another invocation refreshing the token and waited for it (`LeaseWaited`,
/// once per call however many polls).
pub fn lease_waited() {
    publish(count("LeaseWaited"));
}

/// A claim of the token lease was lost to another invocation, or a commit fenced out
/// (`LeaseLost`).
pub fn lease_lost() {
    publish(count("LeaseLost"));
}

/// A connection's sync ran and its result was recorded (`SyncSucceeded`).
pub fn sync_succeeded() {
    publish(count("SyncSucceeded"));
}

/// A connection's sync ran and failed (`SyncFailed`); a revoked consent is not a failure.
pub fn sync_failed() {
    publish(count("SyncFailed"));
}

/// One line per scheduled run: `CronDue`, `CronSynced`, `CronFailed`, `CronReauth`,
/// `CronSkipped`.
pub fn cron_summary(summary: &CronSummary) {
    let n = |v: usize| v as f64;
    publish(
        Line::new()
            .metric("CronDue", Unit::Count, n(summary.due), &[])
            .metric("CronSynced", Unit::Count, n(summary.synced), &[])
            .metric("CronFailed", Unit::Count, n(summary.failed), &[])
            .metric("CronReauth", Unit::Count, n(summary.reauth_required), &[])
            .metric("CronSkipped", Unit::Count, n(summary.skipped), &[]),
    );
}

/// One HTTP attempt at Tarabut (retries are attempts of their own): `TarabutCall` by
/// `Endpoint` and `Status`, `TarabutLatency` by `Endpoint` (until the answer's headers).
pub fn tarabut_call(endpoint: &'static str, status: CallStatus, latency: Duration) {
    publish(
        Line::new()
            .dimension("Endpoint", endpoint)
            .dimension("Status", status.label())
            .metric("TarabutCall", Unit::Count, 1.0, &["Endpoint", "Status"])
            .metric(
                "TarabutLatency",
                Unit::Milliseconds,
                millis(latency),
                &["Endpoint"],
            ),
    );
}

/// Reading a user's data and computing an insight over it (`InsightLatency` by `Insight`).
pub fn insight_latency(insight: Insight, latency: Duration) {
    publish(Line::new().dimension("Insight", insight.label()).metric(
        "InsightLatency",
        Unit::Milliseconds,
        millis(latency),
        &["Insight"],
    ));
}

fn count(name: &'static str) -> Line {
    Line::new().metric(name, Unit::Count, 1.0, &[])
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Hands the document to the current subscriber's EMF layer. A document that cannot be rendered is
/// a bug here, logged rather than written as an EMF line CloudWatch would reject.
fn publish(line: Line) {
    // The wall clock, not the app's `Clock`: CloudWatch refuses data points far from now.
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    match line.render(now) {
        Ok(document) => dispatch(&document.to_string()),
        Err(e) => tracing::warn!(error = %e, "metric not emitted"),
    }
}
