//! What Tarabut says became of an intent: the only source of truth for a link's outcome (the
//! callback's query string is never believed).

use crate::AppState;
use crate::banking::IntentBinding;
use crate::error::UseCaseError;
use crate::tarabut::{Intent, TarabutError};
use crate::time::Deadline;
use crate::token::CallError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Outcome {
    /// The user approved: this consent exists at Tarabut for the intent's customer.
    Consent(String),
    /// Refused at the bank, or not (yet) approved: no consent.
    NotApproved { denied: bool },
}

/// Reads Tarabut's intent as its own user (the customer it was created for).
pub(super) async fn intent_outcome(
    state: &AppState,
    binding: &IntentBinding,
    deadline: Deadline,
) -> Result<Outcome, UseCaseError> {
    let intent_id = binding.intent_id.as_str();
    let read = state
        .tokens
        .call(&binding.user, deadline, |token| async move {
            state
                .tarabut()
                .get_intent(&token, intent_id, deadline)
                .await
        })
        .await;
    match read {
        Ok(intent) => Ok(outcome(&intent)),
        // Tarabut no longer knows it (expired and purged): nothing was approved that it keeps.
        Err(CallError::Tarabut(TarabutError::NotFound)) => {
            Ok(Outcome::NotApproved { denied: false })
        }
        Err(e) => Err(e.into()),
    }
}

/// Pure reading of an intent: a consent only with a successful status and a consent id.
pub(super) fn outcome(intent: &Intent) -> Outcome {
    let status = intent.status.as_deref().unwrap_or_default();
    let successful = ["successful", "success", "completed"]
        .iter()
        .any(|s| status.eq_ignore_ascii_case(s));
    match intent.consent_id.as_deref().map(str::trim) {
        Some(c) if successful && !c.is_empty() => Outcome::Consent(c.to_string()),
        _ => Outcome::NotApproved {
            denied: ["failed", "rejected", "denied", "cancelled"]
                .iter()
                .any(|s| status.eq_ignore_ascii_case(s)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(status: Option<&str>, consent: Option<&str>) -> Intent {
        Intent {
            intent_id: Some("i".into()),
            status: status.map(str::to_string),
            consent_id: consent.map(str::to_string),
            provider_id: None,
        }
    }

    #[test]
    fn only_a_successful_intent_with_a_consent_is_approved() {
        assert_eq!(
            outcome(&intent(Some("SUCCESSFUL"), Some("c1"))),
            Outcome::Consent("c1".into())
        );
        // Before: a missing status counted as success.
        assert_eq!(
            outcome(&intent(None, Some("c1"))),
            Outcome::NotApproved { denied: false }
        );
        assert_eq!(
            outcome(&intent(Some("SUCCESSFUL"), Some("  "))),
            Outcome::NotApproved { denied: false }
        );
        assert_eq!(
            outcome(&intent(Some("PENDING"), None)),
            Outcome::NotApproved { denied: false }
        );
        assert_eq!(
            outcome(&intent(Some("FAILED"), None)),
            Outcome::NotApproved { denied: true }
        );
    }
}
