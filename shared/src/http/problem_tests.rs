use std::time::Duration;

use super::*;

#[test]
fn internal_details_never_reach_the_body() {
    let e: HttpError =
        UseCaseError::Internal("table finance-prod: AccessDenied for arn:aws:iam::123".into())
            .into();
    let p = e.problem();
    assert_eq!(p.status, 500);
    assert!(!p.detail.contains("arn:aws"));
    let e: HttpError =
        UseCaseError::Upstream("token endpoint said: invalid client secret s3cr3t".into()).into();
    assert!(!e.problem().detail.contains("s3cr3t"));
}

/// Every error's status, problem type and title: the contract clients branch on
/// (docs/architecture.md §3.4).
#[test]
fn every_error_has_its_status_type_and_title() {
    let wait = Duration::from_secs(3);
    let cases: Vec<(HttpError, u16, &str, &str)> = vec![
        (
            HttpError::Unauthenticated,
            401,
            "unauthenticated",
            "Unauthenticated",
        ),
        (
            HttpError::BadRequest("x".into()),
            400,
            "bad-request",
            "Bad request",
        ),
        (
            HttpError::PayloadTooLarge { limit: 1 },
            413,
            "payload-too-large",
            "Payload too large",
        ),
        (
            HttpError::UnsupportedMediaType,
            415,
            "unsupported-media-type",
            "Unsupported media type",
        ),
        (
            UseCaseError::Invalid("x".into()).into(),
            400,
            "bad-request",
            "Bad request",
        ),
        (
            UseCaseError::Forbidden("x".into()).into(),
            403,
            "forbidden",
            "Forbidden",
        ),
        (
            UseCaseError::NotFound("x").into(),
            404,
            "not-found",
            "Not found",
        ),
        (
            UseCaseError::Conflict("x".into()).into(),
            409,
            "conflict",
            "Conflict",
        ),
        (
            UseCaseError::TooManyPendingLinks { limit: 5 }.into(),
            409,
            "too-many-pending-links",
            "Too many unfinished bank links",
        ),
        (
            UseCaseError::ReauthRequired {
                connection_id: "c".into(),
            }
            .into(),
            409,
            "reauth-required",
            "Bank consent must be renewed",
        ),
        (
            UseCaseError::ConsentExpired {
                connection_id: "c".into(),
            }
            .into(),
            409,
            "consent-expired",
            "Bank consent has expired",
        ),
        (
            UseCaseError::TooManyRequests { retry_after: wait }.into(),
            429,
            "too-many-requests",
            "Too many requests",
        ),
        (
            UseCaseError::SyncRunning { retry_after: wait }.into(),
            409,
            "sync-in-progress",
            "A sync is already running",
        ),
        (
            UseCaseError::Unavailable { retry_after: wait }.into(),
            503,
            "unavailable",
            "Service unavailable",
        ),
        (
            UseCaseError::Upstream("x".into()).into(),
            502,
            "upstream-error",
            "Bank connection error",
        ),
        (
            UseCaseError::Internal("x".into()).into(),
            500,
            "internal",
            "Internal error",
        ),
        (
            UseCaseError::NotConfigured("X").into(),
            500,
            "internal",
            "Internal error",
        ),
    ];
    for (error, status, slug, title) in cases {
        let problem = error.problem();
        assert_eq!(error.status(), status, "{error:?}");
        assert_eq!(problem.status, status, "{error:?}");
        assert_eq!(problem.type_uri, format!("/problems/{slug}"), "{error:?}");
        assert_eq!(problem.title, title, "{error:?}");
        assert_eq!(problem.instance, None, "{error:?}");
        // Only the answers that ask the client to come back say when.
        let expected_retry = matches!(status, 429 | 503) || slug == "sync-in-progress";
        assert_eq!(
            error.retry_after(),
            expected_retry.then_some(3),
            "{error:?}"
        );
    }
}

/// The client is told what it did wrong; only server faults keep their detail for the
/// logs.
#[test]
fn details_for_the_client_and_for_the_logs() {
    let bad = HttpError::BadRequest("limit must be at most 500".into());
    assert_eq!(bad.problem().detail, "limit must be at most 500");
    assert_eq!(bad.internal_detail(), None);
    assert_eq!(
        HttpError::PayloadTooLarge { limit: 65_536 }
            .problem()
            .detail,
        "request body larger than 65536 bytes"
    );
    let internal: HttpError = UseCaseError::Internal("store: throttled".into()).into();
    assert_eq!(internal.internal_detail(), Some("store: throttled"));
    let not_found: HttpError = UseCaseError::NotFound("connection").into();
    assert_eq!(not_found.internal_detail(), None);
}

#[test]
fn statuses_and_types() {
    assert_eq!(HttpError::Unauthenticated.problem().status, 401);
    assert_eq!(
        HttpError::from(UseCaseError::NotFound("connection"))
            .problem()
            .detail,
        "connection not found"
    );
    assert_eq!(
        HttpError::PayloadTooLarge { limit: 65536 }
            .problem()
            .type_uri,
        "/problems/payload-too-large"
    );
    let unavailable = HttpError::from(UseCaseError::Unavailable {
        retry_after: Duration::from_millis(200),
    });
    assert_eq!(unavailable.status(), 503);
    assert_eq!(unavailable.retry_after(), Some(1));
    let limited = HttpError::from(UseCaseError::TooManyRequests {
        retry_after: Duration::from_secs(42),
    });
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.retry_after(), Some(42));
    assert_eq!(limited.problem().type_uri, "/problems/too-many-requests");
    let running = HttpError::from(UseCaseError::SyncRunning {
        retry_after: Duration::from_secs(7),
    });
    assert_eq!(running.status(), 409);
    assert_eq!(running.retry_after(), Some(7));
    assert_eq!(running.problem().type_uri, "/problems/sync-in-progress");
}
