//! Revoking what a link that was never completed by its own user left at Tarabut: run by the
//! scheduled sync for every attempt whose sweep time has come, and at once when a callback or a
//! completion finds an attempt dead. One sweeper per attempt at a time (a conditional take).

use std::time::Duration;

use serde::Serialize;

use super::confirm::{Outcome, intent_outcome};
use crate::AppState;
use crate::banking::{ConnectionStatus, IntentBinding, LinkState};
use crate::error::UseCaseError;
use crate::tarabut::{Revoked, TarabutError};
use crate::time::Deadline;
use crate::token::CallError;

/// A taken attempt is left to its sweeper this long; a sweeper that dies is retried after it.
const HOLD: Duration = Duration::from_secs(15 * 60);
/// Most attempts swept per scheduled run; the rest wait for the next.
const MAX_PER_RUN: usize = 200;
/// Stop sweeping when less than this is left of the run's time.
const STOP_MARGIN: Duration = Duration::from_secs(20);

#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SweepSummary {
    /// Attempts whose sweep time had come.
    pub due: usize,
    /// Consents revoked at Tarabut.
    pub revoked: usize,
    /// Swept without a consent to revoke.
    pub cleared: usize,
    /// Found completed after all (a completion that died after activating).
    pub completed: usize,
    /// Left for a later run (Tarabut or the table failed).
    pub failed: usize,
}

enum Swept {
    Revoked,
    Cleared,
    Completed,
}

/// The scheduled run's sweep.
pub async fn sweep(state: &AppState, deadline: Deadline) -> Result<SweepSummary, UseCaseError> {
    let due = state
        .intents
        .due_for_sweep(state.clock.now(), MAX_PER_RUN)
        .await?;
    let mut summary = SweepSummary {
        due: due.len(),
        ..SweepSummary::default()
    };
    let work_deadline = deadline.less(STOP_MARGIN);
    for (intent_id, seen) in due {
        if work_deadline.is_past() {
            break;
        }
        let now = state.clock.now();
        match state
            .intents
            .take_for_sweep(&intent_id, Some(seen), now, now + HOLD)
            .await
        {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => {
                tracing::warn!(intent = %intent_id, error = %e, "could not take a link attempt");
                summary.failed += 1;
                continue;
            }
        }
        match settle(state, &intent_id, deadline).await {
            Ok(Swept::Revoked) => summary.revoked += 1,
            Ok(Swept::Cleared) => summary.cleared += 1,
            Ok(Swept::Completed) => summary.completed += 1,
            Err(e) => {
                tracing::warn!(intent = %intent_id, error = %e, "link sweep failed; retried later");
                summary.failed += 1;
            }
        }
    }
    if summary.due > 0 {
        tracing::info!(
            due = summary.due,
            revoked = summary.revoked,
            cleared = summary.cleared,
            completed = summary.completed,
            failed = summary.failed,
            "link attempts swept"
        );
    }
    Ok(summary)
}

/// Sweeps one abandoned attempt now, best effort: a failure is logged and left to the
/// scheduled run.
pub(super) async fn sweep_now(state: &AppState, intent_id: &str, deadline: Deadline) {
    let now = state.clock.now();
    match state
        .intents
        .take_for_sweep(intent_id, None, now, now + HOLD)
        .await
    {
        Ok(true) => {
            if let Err(e) = settle(state, intent_id, deadline).await {
                tracing::warn!(error = %e, "revoking an abandoned link's consent failed; the scheduled run retries");
            }
        }
        Ok(false) => {}
        Err(e) => tracing::warn!(error = %e, "could not take an abandoned link attempt"),
    }
}

/// Revokes the attempt's consent (the one confirmed at the callback, or whatever Tarabut now
/// says the intent produced), drops its pending connection and takes it off the sweep index.
async fn settle(
    state: &AppState,
    intent_id: &str,
    deadline: Deadline,
) -> Result<Swept, UseCaseError> {
    let Some(binding) = state.intents.get(intent_id).await? else {
        return Ok(Swept::Cleared);
    };
    if activated(state, &binding).await? {
        state.intents.swept(intent_id, LinkState::Completed).await?;
        return Ok(Swept::Completed);
    }
    let consent_id = match binding.consent_id.clone() {
        Some(c) => Some(c),
        None => match intent_outcome(state, &binding, deadline).await? {
            Outcome::Consent(c) => Some(c),
            Outcome::NotApproved { .. } => None,
        },
    };
    if let Some(consent_id) = consent_id.as_deref() {
        revoke(state, &binding, consent_id, deadline).await?;
    }
    super::discard_pending(state, &binding.user, &binding.connection_id).await;
    state.intents.swept(intent_id, LinkState::Abandoned).await?;
    tracing::info!(intent = %intent_id, revoked = consent_id.is_some(), "link attempt swept");
    Ok(if consent_id.is_some() {
        Swept::Revoked
    } else {
        Swept::Cleared
    })
}

/// Whether the attempt's connection is live after all: its completion activated it and died
/// before marking the attempt completed.
async fn activated(state: &AppState, binding: &IntentBinding) -> Result<bool, UseCaseError> {
    let conn = state
        .connections
        .get(&binding.user, &binding.connection_id)
        .await?;
    Ok(conn.is_some_and(|c| {
        c.deleted_at.is_none()
            && c.status != ConnectionStatus::Pending
            && c.intent_id == binding.intent_id
    }))
}

async fn revoke(
    state: &AppState,
    binding: &IntentBinding,
    consent_id: &str,
    deadline: Deadline,
) -> Result<(), UseCaseError> {
    let revoked = state
        .tokens
        .call(&binding.user, deadline, |token| async move {
            state
                .tarabut()
                .revoke_consent(&token, consent_id, deadline)
                .await
        })
        .await;
    match revoked {
        Ok(Revoked::Now) | Ok(Revoked::AlreadyGone) => Ok(()),
        // Already expired or revoked there: nothing left to revoke.
        Err(CallError::Tarabut(TarabutError::Forbidden)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}
