use std::time::Duration;

use super::*;
use crate::secret::Secret;

const NOW: Timestamp = Timestamp::from_millis(1_800_000_000_000);

fn user(n: usize) -> UserId {
    UserId::parse(&format!("user-{n}")).expect("a valid user id")
}

fn token(version: i64, expires_at: Timestamp) -> AccessToken {
    AccessToken {
        secret: Secret::new(format!("token-v{version}")),
        expires_at,
        issued_at: NOW,
        version,
    }
}

fn live(version: i64) -> AccessToken {
    token(version, Timestamp::from_millis(NOW.millis() + 3_600_000))
}

fn cached_version(cache: &TokenCache, user: &UserId) -> Option<i64> {
    cache.get(user).map(|t| t.version)
}

#[test]
fn the_newest_version_seen_is_kept() {
    let cache = TokenCache::default();
    let u = user(1);
    cache.put(&u, &live(2), NOW);
    cache.put(&u, &live(1), NOW);
    assert_eq!(
        cached_version(&cache, &u),
        Some(2),
        "an older version replaced a newer one"
    );
    cache.put(&u, &live(3), NOW);
    assert_eq!(cached_version(&cache, &u), Some(3));
    // The same version again (another task's copy) is taken: it is the same token.
    cache.put(&u, &live(3), NOW);
    assert_eq!(cached_version(&cache, &u), Some(3));
}

#[test]
fn a_refused_version_is_dropped_and_never_cached_again() {
    let cache = TokenCache::default();
    let u = user(1);
    cache.put(&u, &live(4), NOW);
    cache.forget(&u, 4);
    assert_eq!(
        cached_version(&cache, &u),
        None,
        "the refused token stayed cached"
    );
    // A task still holding v4 (or older) cannot put it back.
    cache.put(&u, &live(4), NOW);
    cache.put(&u, &live(3), NOW);
    assert_eq!(
        cached_version(&cache, &u),
        None,
        "a refused version came back"
    );
    // The next version is welcome.
    cache.put(&u, &live(5), NOW);
    assert_eq!(cached_version(&cache, &u), Some(5));
}

#[test]
fn forgetting_an_older_version_keeps_the_newer_cached_token() {
    let cache = TokenCache::default();
    let u = user(1);
    cache.put(&u, &live(6), NOW);
    // A late 401 for v5 arrives after v6 was cached.
    cache.forget(&u, 5);
    assert_eq!(cached_version(&cache, &u), Some(6));
    // The floor only rises: a later, lower refusal does not lower it.
    cache.forget(&u, 6);
    cache.forget(&u, 2);
    cache.put(&u, &live(6), NOW);
    assert_eq!(cached_version(&cache, &u), None, "the floor went down");
}

#[test]
fn clear_drops_the_token_but_keeps_the_floor() {
    let cache = TokenCache::default();
    let u = user(1);
    cache.forget(&u, 7);
    cache.put(&u, &live(8), NOW);
    cache.clear(&u);
    assert_eq!(cached_version(&cache, &u), None);
    cache.put(&u, &live(7), NOW);
    assert_eq!(cached_version(&cache, &u), None, "clear lowered the floor");
    // Clearing one user leaves the others alone.
    let other = user(2);
    cache.put(&other, &live(1), NOW);
    cache.put(&u, &live(8), NOW);
    cache.clear(&u);
    assert_eq!(cached_version(&cache, &other), Some(1));
}

#[test]
fn a_full_cache_evicts_expired_tokens_first_then_everything() {
    let cache = TokenCache::default();
    let expired = token(1, NOW);
    // Full: one user with a live token, the rest expired (expiring exactly now counts).
    cache.put(&user(0), &live(1), NOW);
    for n in 1..MAX_CACHED_USERS {
        cache.put(&user(n), &expired, NOW);
    }
    assert_eq!(cache.lock_tokens().len(), MAX_CACHED_USERS);
    // An existing user's update evicts nothing.
    cache.put(&user(1), &expired, NOW);
    assert_eq!(cache.lock_tokens().len(), MAX_CACHED_USERS);

    let newcomer = user(MAX_CACHED_USERS);
    cache.put(&newcomer, &live(1), NOW);
    assert_eq!(
        cache.lock_tokens().len(),
        2,
        "expired tokens were not evicted"
    );
    assert_eq!(
        cached_version(&cache, &user(0)),
        Some(1),
        "a live token was evicted"
    );
    assert_eq!(cached_version(&cache, &newcomer), Some(1));

    // Full of live tokens: everything goes, the newcomer stays.
    for n in 1..MAX_CACHED_USERS - 1 {
        cache.put(&user(n), &live(1), NOW);
    }
    assert_eq!(cache.lock_tokens().len(), MAX_CACHED_USERS);
    let last = user(MAX_CACHED_USERS + 1);
    cache.put(&last, &live(2), NOW);
    assert_eq!(cache.lock_tokens().len(), 1);
    assert_eq!(cached_version(&cache, &last), Some(2));
}

#[tokio::test]
async fn one_flight_per_user_at_a_time_and_none_left_behind() {
    let cache = Arc::new(TokenCache::default());
    let u = user(1);
    let first = cache.flight(&u).await;

    // Another user's flight does not wait.
    let other = tokio::time::timeout(Duration::from_secs(1), cache.flight(&user(2))).await;
    assert!(other.is_ok(), "a flight for another user waited");
    drop(other);

    // The same user's second flight waits until the first is dropped.
    let waiter = {
        let cache = cache.clone();
        let u = u.clone();
        tokio::spawn(async move {
            let _second = cache.flight(&u).await;
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        !waiter.is_finished(),
        "a second flight for the user did not wait"
    );
    drop(first);
    tokio::time::timeout(Duration::from_secs(5), waiter)
        .await
        .expect("the waiter ran once the first flight ended")
        .expect("the waiter did not panic");

    // Every flight ended: the map keeps no lock for anyone.
    let flights = cache.flights.lock().unwrap_or_else(|p| p.into_inner());
    assert!(
        flights.is_empty(),
        "{} flight locks left behind",
        flights.len()
    );
}

#[tokio::test]
async fn a_flight_ending_while_another_waits_leaves_the_lock_to_the_waiter() {
    let cache = Arc::new(TokenCache::default());
    let u = user(1);
    let first = cache.flight(&u).await;
    let waiter = {
        let cache = cache.clone();
        let u = u.clone();
        tokio::spawn(async move { cache.flight(&u).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    drop(first);
    let second = waiter.await.expect("the waiter did not panic");
    // The waiter holds the lock: its entry is still in the map, so a third flight queues
    // behind it instead of taking a fresh lock.
    assert_eq!(
        cache
            .flights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len(),
        1
    );
    let third = tokio::time::timeout(Duration::from_millis(100), cache.flight(&u)).await;
    assert!(third.is_err(), "a third flight ran beside the second");
    drop(second);
    assert!(
        cache
            .flights
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_empty()
    );
}
