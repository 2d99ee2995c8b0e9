//! The link state machine on the embedded table (which passes the same conformance suite as
//! DynamoDB): each step moves only from its own state, once.

use super::*;
use crate::store::{MemoryTable, TTL_ATTRIBUTE};

const T0: Timestamp = Timestamp::from_millis(1_800_000_000_000);

fn at(minutes: i64) -> Timestamp {
    Timestamp::from_millis(T0.millis() + minutes * 60_000)
}

fn repo() -> (Arc<MemoryTable>, IntentRepo) {
    let table = Arc::new(MemoryTable::new());
    (table.clone(), IntentRepo::new(table))
}

/// Pending, its intent expiring at minute 10.
fn attempt(id: &str) -> IntentBinding {
    let user = UserId::parse("user-1").expect("a user id");
    IntentBinding::new(id.into(), user, "conn-1".into(), at(10))
}

async fn state(repo: &IntentRepo, id: &str) -> IntentBinding {
    repo.get(id).await.expect("read").expect("the attempt")
}

async fn due(repo: &IntentRepo, now: Timestamp) -> Vec<(String, Timestamp)> {
    repo.due_for_sweep(now, 10).await.expect("the sweep index")
}

const ALL: [LinkState; 6] = [
    LinkState::Pending,
    LinkState::Checking,
    LinkState::Approved,
    LinkState::Completing,
    LinkState::Completed,
    LinkState::Abandoned,
];

#[test]
fn every_state_is_stored_by_its_name_and_read_back() {
    let names: Vec<&str> = ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "pending",
            "checking",
            "approved",
            "completing",
            "completed",
            "abandoned"
        ]
    );
    for s in ALL {
        assert_eq!(LinkState::parse(s.as_str()), Some(s));
    }
    assert_eq!(LinkState::parse("Pending"), None);
    assert_eq!(LinkState::parse(""), None);
}

#[tokio::test]
async fn a_new_attempt_is_pending_in_the_sweep_index_and_kept_a_week() {
    let (table, repo) = repo();
    let b = attempt("i-1");
    repo.create(&b).await.expect("created");
    assert_eq!(state(&repo, "i-1").await, b);
    let item = table
        .get(&key("i-1"), true)
        .await
        .expect("read")
        .expect("item");
    assert_eq!(
        item.n(TTL_ATTRIBUTE).expect("a TTL"),
        (at(10) + Duration::from_secs(7 * 86_400)).epoch_secs()
    );
    assert_eq!(item.s("state").expect("state"), "pending");
    assert_eq!(due(&repo, at(9)).await, vec![]);
    assert_eq!(due(&repo, at(10)).await, vec![("i-1".to_string(), at(10))]);
    // One attempt per intent id.
    assert!(matches!(
        repo.create(&b).await,
        Err(StoreError::ConditionFailed)
    ));
    assert_eq!(repo.get("i-unknown").await.expect("read"), None);
}

#[tokio::test]
async fn the_callback_consumes_a_pending_unexpired_attempt_once() {
    let (_, repo) = repo();
    repo.create(&attempt("i-1")).await.expect("created");
    repo.create(&attempt("i-2")).await.expect("created");
    assert!(repo.consume("i-1", at(1)).await.expect("consume"));
    let consumed = state(&repo, "i-1").await;
    assert_eq!(consumed.state, LinkState::Checking);
    assert_eq!(consumed.consumed_at, Some(at(1)));
    assert!(!repo.consume("i-1", at(2)).await.expect("a replay"));
    assert_eq!(state(&repo, "i-1").await.consumed_at, Some(at(1)));
    // An intent expiring now is expired.
    assert!(!repo.consume("i-2", at(10)).await.expect("expired"));
    assert_eq!(state(&repo, "i-2").await.state, LinkState::Pending);
    assert!(!repo.consume("i-unknown", at(1)).await.expect("unknown"));
    assert_eq!(
        repo.get("i-unknown").await.expect("read"),
        None,
        "consume created it"
    );
}

#[tokio::test]
async fn approved_by_tarabut_then_completed_by_its_code_once() {
    let (_, repo) = repo();
    repo.create(&attempt("i-1")).await.expect("created");
    // Only a checking attempt can be approved.
    assert!(
        !repo
            .approve("i-1", "consent-1", "h1", at(20))
            .await
            .expect("approve")
    );
    assert!(repo.consume("i-1", at(1)).await.expect("consume"));
    assert!(
        repo.approve("i-1", "consent-1", "h1", at(20))
            .await
            .expect("approve")
    );
    let approved = state(&repo, "i-1").await;
    assert_eq!(approved.state, LinkState::Approved);
    assert_eq!(approved.consent_id.as_deref(), Some("consent-1"));
    assert_eq!(approved.code_hash.as_deref(), Some("h1"));
    assert_eq!(approved.code_expires_at, Some(at(20)));
    assert_eq!(
        approved.sweep_at,
        Some(at(20)),
        "swept when the code expires unused"
    );
    assert_eq!(due(&repo, at(19)).await, vec![]);
    assert!(
        !repo
            .approve("i-1", "consent-2", "h2", at(30))
            .await
            .expect("twice")
    );

    // The wrong code, or the right one too late, does not complete it.
    assert!(
        !repo
            .begin_completion("i-1", "h2", at(5), at(60))
            .await
            .expect("wrong")
    );
    assert!(
        !repo
            .begin_completion("i-1", "h1", at(20), at(60))
            .await
            .expect("late")
    );
    assert!(!repo.complete("i-1").await.expect("not completing yet"));
    assert!(
        repo.begin_completion("i-1", "h1", at(19), at(60))
            .await
            .expect("begin")
    );
    let completing = state(&repo, "i-1").await;
    assert_eq!(completing.state, LinkState::Completing);
    assert_eq!(completing.sweep_at, Some(at(60)), "held from the sweep");
    assert!(
        !repo
            .begin_completion("i-1", "h1", at(19), at(60))
            .await
            .expect("twice")
    );

    assert!(repo.complete("i-1").await.expect("complete"));
    let completed = state(&repo, "i-1").await;
    assert_eq!(completed.state, LinkState::Completed);
    assert_eq!(completed.sweep_at, None);
    assert_eq!(
        completed.code_hash.as_deref(),
        Some("h1"),
        "a retry is recognised"
    );
    assert_eq!(
        due(&repo, at(100_000)).await,
        vec![],
        "out of the sweep index"
    );
    assert!(!repo.complete("i-1").await.expect("twice"));
}

#[tokio::test]
async fn an_attempt_is_abandoned_only_from_the_state_and_code_named() {
    let (_, repo) = repo();
    repo.create(&attempt("i-1")).await.expect("created");
    assert!(
        !repo
            .abandon("i-1", LinkState::Checking, None, at(3))
            .await
            .expect("not checking")
    );
    assert!(repo.consume("i-1", at(1)).await.expect("consume"));
    assert!(
        repo.approve("i-1", "consent-1", "h1", at(20))
            .await
            .expect("approve")
    );
    assert!(
        !repo
            .abandon("i-1", LinkState::Approved, Some("h2"), at(3))
            .await
            .expect("other code")
    );
    assert_eq!(state(&repo, "i-1").await.state, LinkState::Approved);
    assert!(
        repo.abandon("i-1", LinkState::Approved, Some("h1"), at(3))
            .await
            .expect("abandon")
    );
    let abandoned = state(&repo, "i-1").await;
    assert_eq!(abandoned.state, LinkState::Abandoned);
    assert_eq!(abandoned.sweep_at, Some(at(3)));
    assert_eq!(due(&repo, at(3)).await, vec![("i-1".to_string(), at(3))]);
    assert!(
        !repo
            .abandon("i-1", LinkState::Approved, None, at(4))
            .await
            .expect("twice")
    );
}

#[tokio::test]
async fn one_sweeper_at_a_time_takes_a_due_attempt() {
    let (_, repo) = repo();
    for (id, expires) in [("i-late", 30), ("i-early", 10), ("i-mid", 20)] {
        let mut b = attempt(id);
        b.expires_at = at(expires);
        b.sweep_at = Some(at(expires));
        repo.create(&b).await.expect("created");
    }
    // Oldest first, up to the limit, only those due.
    assert_eq!(
        due(&repo, at(25)).await,
        vec![
            ("i-early".to_string(), at(10)),
            ("i-mid".to_string(), at(20))
        ]
    );
    assert_eq!(repo.due_for_sweep(at(25), 1).await.expect("due").len(), 1);

    // Two sweepers saw i-early due at minute 10: one takes it.
    assert!(
        repo.take_for_sweep("i-early", Some(at(10)), at(25), at(40))
            .await
            .expect("take")
    );
    assert!(
        !repo
            .take_for_sweep("i-early", Some(at(10)), at(25), at(40))
            .await
            .expect("again")
    );
    let taken = state(&repo, "i-early").await;
    assert_eq!(
        taken.state,
        LinkState::Abandoned,
        "it can no longer be completed"
    );
    assert_eq!(taken.sweep_at, Some(at(40)), "retried if this sweep dies");
    // A callback's immediate sweep waits for the hold, then takes it.
    assert!(
        !repo
            .take_for_sweep("i-early", None, at(39), at(50))
            .await
            .expect("held")
    );
    assert!(
        repo.take_for_sweep("i-early", None, at(40), at(50))
            .await
            .expect("hold over")
    );

    assert!(
        repo.swept("i-early", LinkState::Abandoned)
            .await
            .expect("swept")
    );
    let swept = state(&repo, "i-early").await;
    assert_eq!(swept.state, LinkState::Abandoned);
    assert_eq!(swept.sweep_at, None);
    assert!(
        !due(&repo, at(100))
            .await
            .iter()
            .any(|(id, _)| id == "i-early")
    );
    assert!(
        !repo
            .take_for_sweep("i-early", None, at(100), at(110))
            .await
            .expect("done")
    );
    // A sweep that finds the connection active marks the attempt completed.
    assert!(
        repo.take_for_sweep("i-mid", Some(at(20)), at(25), at(40))
            .await
            .expect("take")
    );
    assert!(
        repo.swept("i-mid", LinkState::Completed)
            .await
            .expect("swept")
    );
    assert_eq!(state(&repo, "i-mid").await.state, LinkState::Completed);
    assert!(
        !repo
            .swept("i-mid", LinkState::Abandoned)
            .await
            .expect("not abandoned")
    );
    // A pending attempt is only taken by the run that saw it due (not by a callback).
    assert!(
        !repo
            .take_for_sweep("i-late", None, at(31), at(40))
            .await
            .expect("pending")
    );
}

#[tokio::test]
async fn a_completed_attempt_is_never_taken_for_sweeping() {
    let (_, repo) = repo();
    repo.create(&attempt("i-1")).await.expect("created");
    assert!(repo.consume("i-1", at(1)).await.expect("consume"));
    assert!(
        repo.approve("i-1", "consent-1", "h1", at(20))
            .await
            .expect("approve")
    );
    assert!(
        repo.begin_completion("i-1", "h1", at(2), at(60))
            .await
            .expect("begin")
    );
    // The request died after completing: the index still showed minute 60.
    assert!(repo.complete("i-1").await.expect("complete"));
    assert!(
        !repo
            .take_for_sweep("i-1", Some(at(60)), at(61), at(70))
            .await
            .expect("take")
    );
}

/// Items written before link completion existed carry no state.
#[tokio::test]
async fn an_attempt_without_a_state_reads_as_completed_if_consumed() {
    let (table, repo) = repo();
    for (id, consumed) in [("i-old-used", true), ("i-old-unused", false)] {
        let mut b = attempt(id);
        b.sweep_at = None;
        if consumed {
            b.consumed_at = Some(at(1));
        }
        let mut item = b.to_item();
        item.remove("state");
        table.put(item, None).await.expect("written");
    }
    assert_eq!(state(&repo, "i-old-used").await.state, LinkState::Completed);
    assert_eq!(
        state(&repo, "i-old-unused").await.state,
        LinkState::Abandoned
    );
}
