use lambda_http::{Context, RequestExt};
use serde_json::Value;

use super::*;
use crate::testkit::Event;

fn cache_control(response: &Response<Body>) -> Option<&str> {
    response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
}

fn body(response: &Response<Body>) -> Value {
    serde_json::from_slice(response.body().as_ref()).expect("a JSON body")
}

/// Every answer with a body (financial JSON or a problem) forbids caching it.
#[tokio::test]
async fn every_body_is_no_store() {
    let req = Request::default();
    let ok = respond(&req, async {
        Reply::ok(&serde_json::json!({"balance": "1.000"}))
    })
    .await
    .unwrap();
    assert_eq!(cache_control(&ok), Some("no-store"));
    let created = respond(&req, async {
        Reply::created(&serde_json::json!({"id": "x"}))
    })
    .await
    .unwrap();
    assert_eq!(cache_control(&created), Some("no-store"));
    for err in [
        HttpError::Unauthenticated,
        HttpError::from(UseCaseError::NotFound("account")),
        HttpError::from(UseCaseError::Internal("boom".into())),
    ] {
        let problem = respond(&req, async { Err::<Reply, _>(err) }).await.unwrap();
        assert!(problem.status().as_u16() >= 400);
        assert_eq!(cache_control(&problem), Some("no-store"));
    }
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn each_reply_has_its_status_type_and_body() {
    let req = Request::default();
    let ok = respond(&req, async { Reply::ok(&serde_json::json!({"n": 1})) })
        .await
        .unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    assert_eq!(header(&ok, "content-type"), Some("application/json"));
    assert_eq!(body(&ok), serde_json::json!({"n": 1}));
    let created = respond(&req, async {
        Reply::created(&serde_json::json!({"id": "c"}))
    })
    .await
    .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    assert_eq!(body(&created), serde_json::json!({"id": "c"}));
    let empty = respond(&req, async { Ok(Reply::NoContent) }).await.unwrap();
    assert_eq!(empty.status().as_u16(), 204);
    assert!(empty.body().is_empty());
    assert_eq!(cache_control(&empty), Some("no-store"));
    let redirect = respond(&req, async {
        Ok(Reply::Redirect {
            location: "gulfapp://linked?code=1".into(),
        })
    })
    .await
    .unwrap();
    assert_eq!(redirect.status().as_u16(), 302);
    assert_eq!(
        header(&redirect, "location"),
        Some("gulfapp://linked?code=1")
    );
    assert!(redirect.body().is_empty());
    assert_eq!(cache_control(&redirect), Some("no-store"));
}

#[tokio::test]
async fn a_problem_is_problem_json_with_retry_after_when_it_has_one() {
    let req = Request::default();
    let unavailable = respond(&req, async {
        Err::<Reply, _>(HttpError::from(UseCaseError::Unavailable {
            retry_after: std::time::Duration::from_secs(4),
        }))
    })
    .await
    .unwrap();
    assert_eq!(unavailable.status().as_u16(), 503);
    assert_eq!(
        header(&unavailable, "content-type"),
        Some("application/problem+json")
    );
    assert_eq!(header(&unavailable, "retry-after"), Some("4"));
    assert_eq!(body(&unavailable)["type"], "/problems/unavailable");
    let missing = respond(&req, async {
        Err::<Reply, _>(HttpError::from(UseCaseError::NotFound("account")))
    })
    .await
    .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    assert_eq!(header(&missing, "retry-after"), None);
    assert_eq!(body(&missing)["detail"], "account not found");
}

/// Server faults are logged at ERROR with their internal detail, client faults at INFO
/// without it; every line of the request, the handler's own too, is in the request's span.
#[tokio::test]
async fn failures_are_logged_at_their_level_in_the_requests_span() {
    let mut lambda = Context::default();
    lambda.request_id = "lambda-9".into();
    let req = Event::load("finance-accounts")
        .request()
        .with_lambda_context(lambda);
    let fault = || HttpError::from(UseCaseError::Internal("store: throttled".into()));
    let refusal = || HttpError::from(UseCaseError::NotFound("account"));
    let work = |err: HttpError| async move {
        tracing::info!("handler working");
        Err::<Reply, _>(err)
    };
    // Once before capturing, so the callsites are registered before this thread's
    // subscriber exists (see finance-accounts' request-id test for why).
    respond(&req, work(fault())).await.unwrap();
    respond(&req, work(refusal())).await.unwrap();

    let logs = crate::testkit::LogCapture::start();
    respond(&req, work(fault())).await.unwrap();
    respond(&req, work(refusal())).await.unwrap();
    let lines = logs.lines();
    let find = |message: &str| {
        lines
            .iter()
            .find(|l| l["message"] == message)
            .unwrap_or_else(|| panic!("no {message:?} line: {lines:?}"))
            .clone()
    };
    let failed = find("request failed");
    assert_eq!(failed["level"], "ERROR");
    assert!(
        failed["internal"]
            .as_str()
            .is_some_and(|d| d.contains("store: throttled")),
        "{failed}"
    );
    let refused = find("request refused");
    assert_eq!(refused["level"], "INFO");
    assert!(refused.get("internal").is_none(), "{refused}");
    for line in lines.iter().filter(|l| l["message"] == "handler working") {
        let span = line["spans"]
            .as_array()
            .and_then(|spans| spans.iter().find(|s| s["name"] == "request"))
            .unwrap_or_else(|| panic!("not in the request's span: {line}"));
        assert_eq!(
            span["apigw_request_id"],
            "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
        );
        assert_eq!(span["lambda_request_id"], "lambda-9");
        assert_eq!(span["route"], "GET /finance/accounts");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["message"] == "handler working")
            .count(),
        2
    );
}

/// A problem's `instance` is API Gateway's request id; Lambda's when the event has none;
/// absent when neither is known.
#[tokio::test]
async fn a_problem_names_its_request() {
    let fail = || async { Err::<Reply, _>(HttpError::from(UseCaseError::NotFound("account"))) };
    let mut lambda = Context::default();
    lambda.request_id = "lambda-1".into();

    let gateway = Event::load("finance-accounts")
        .request()
        .with_lambda_context(lambda.clone());
    let answer = respond(&gateway, fail()).await.unwrap();
    assert_eq!(
        body(&answer)["instance"],
        "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    );

    let mut event = Event::load("finance-accounts");
    event.0["requestContext"]["requestId"] = Value::Null;
    let lambda_only = event.request().with_lambda_context(lambda);
    let answer = respond(&lambda_only, fail()).await.unwrap();
    assert_eq!(body(&answer)["instance"], "lambda-1");

    let answer = respond(&Request::default(), fail()).await.unwrap();
    assert!(
        body(&answer).get("instance").is_none(),
        "{:?}",
        answer.body()
    );
}
