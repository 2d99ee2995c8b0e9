//! What a function receives: a test route table whose handler echoes the request as
//! lambda_http gives it to the function (path, query, headers, body, context, deadline).

use std::sync::Arc;

use dev_server::DevServerOptions;
use dev_server::routes::{Access, HandlerFuture, Route};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::AppState;

use crate::common::Api;

fn echo(_state: Arc<AppState>, req: Request) -> HandlerFuture {
    Box::pin(async move {
        let query = req.query_string_parameters_ref();
        let (route_key, stage, sub) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => (
                ctx.route_key.clone(),
                ctx.stage.clone(),
                ctx.authorizer
                    .as_ref()
                    .and_then(|a| a.jwt.as_ref())
                    .and_then(|j| j.claims.get("sub").cloned()),
            ),
            _ => (None, None, None),
        };
        let context = req.lambda_context_ref();
        let deadline_left_ms = context
            .map(|c| c.deadline as i64 - chrono::Utc::now().timestamp_millis())
            .unwrap_or(-1);
        let body: &[u8] = req.body().as_ref();
        let seen = json!({
            "method": req.method().as_str(),
            "path": req.uri().path(),
            "rawQuery": req.uri().query(),
            "x": query.and_then(|q| q.all("x")),
            "note": query.and_then(|q| q.first("note")),
            "id": req.path_parameters_ref().and_then(|p| p.first("id")),
            "header": req.headers().get("x-trace").and_then(|v| v.to_str().ok()),
            "cookie": req.headers().get("cookie").and_then(|v| v.to_str().ok()),
            "binary": matches!(req.body(), Body::Binary(_)),
            "body": body,
            "routeKey": route_key,
            "stage": stage,
            "sub": sub,
            "requestId": context.map(|c| c.request_id.clone()),
            "deadlineLeftMs": deadline_left_ms,
        });
        Ok(Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("x-echo", "yes")
            .body(Body::Text(seen.to_string()))?)
    })
}

fn fails(_state: Arc<AppState>, _req: Request) -> HandlerFuture {
    Box::pin(async { Err("the function failed".into()) })
}

fn panics(_state: Arc<AppState>, _req: Request) -> HandlerFuture {
    Box::pin(async { panic!("the function panicked") })
}

static TEST_ROUTES: &[Route] = &[
    Route {
        method: "POST",
        path: "/echo/{id}",
        function: "echo",
        access: Access::Jwt,
        handler: echo,
    },
    Route {
        method: "GET",
        path: "/public/echo",
        function: "echo",
        access: Access::Public,
        handler: echo,
    },
    Route {
        method: "GET",
        path: "/fails",
        function: "fails",
        access: Access::Public,
        handler: fails,
    },
    Route {
        method: "GET",
        path: "/panics",
        function: "panics",
        access: Access::Public,
        handler: panics,
    },
];

async fn test_api() -> Api {
    Api::with(DevServerOptions {
        routes: TEST_ROUTES,
        ..DevServerOptions::ephemeral()
    })
    .await
}

#[tokio::test]
async fn path_query_headers_and_body_reach_the_function_intact() {
    let api = test_api().await;
    let body = [0u8, 159, 146, 150, 255, b'{'];
    let request = api
        .http
        .post(api.url("/echo/conn%201?x=1&note=caf%C3%A9+%26+tea&x=2"))
        .bearer_auth("dev:sara")
        .header("x-trace", "abc-123")
        .header("cookie", "a=1; b=2")
        .body(body.to_vec());
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.header("x-echo"), "yes");
    let request_id = answer.header("apigw-requestid").to_string();
    let seen = answer.json();
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["path"], "/echo/conn%201");
    assert_eq!(seen["rawQuery"], "x=1&note=caf%C3%A9+%26+tea&x=2");
    assert_eq!(seen["x"], json!(["1", "2"]));
    assert_eq!(seen["note"], "café & tea");
    assert_eq!(seen["id"], "conn 1");
    assert_eq!(seen["header"], "abc-123");
    assert_eq!(seen["cookie"], "a=1; b=2");
    assert_eq!(seen["binary"], true);
    assert_eq!(seen["body"], json!(body));
    assert_eq!(seen["routeKey"], "POST /echo/{id}");
    assert_eq!(seen["stage"], "$default");
    assert_eq!(seen["sub"], "sara");
    assert_eq!(seen["requestId"], request_id.as_str());
    let left = seen["deadlineLeftMs"].as_i64().unwrap();
    let budget = dev_server::LAMBDA_BUDGET.as_millis() as i64;
    assert!(left > 0 && left <= budget, "deadline {left} ms away");
}

#[tokio::test]
async fn a_text_body_arrives_as_text_and_a_public_route_has_no_claims() {
    let api = test_api().await;
    let request = api
        .http
        .post(api.url("/echo/x"))
        .bearer_auth("dev:omar")
        .header("content-type", "application/json")
        .body("{\"connectionId\":\"é\"}");
    let seen = api.send(request).await.json();
    assert_eq!(seen["binary"], false);
    assert_eq!(
        seen["body"],
        json!("{\"connectionId\":\"é\"}".as_bytes().to_vec())
    );
    assert_eq!(seen["sub"], "omar");

    let public = api.call(Method::GET, "/public/echo", None, None).await;
    assert_eq!(public.status, StatusCode::OK);
    let seen: Value = public.json();
    assert_eq!(seen["sub"], Value::Null);
    assert_eq!(seen["rawQuery"], Value::Null);
    assert_eq!(seen["routeKey"], "GET /public/echo");
}

#[tokio::test]
async fn a_failing_or_panicking_function_is_a_gateway_500() {
    let api = test_api().await;
    for path in ["/fails", "/panics"] {
        let answer = api.call(Method::GET, path, None, None).await;
        assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR, "{path}");
        assert_eq!(answer.json(), json!({ "message": "Internal Server Error" }));
    }
    // The server still serves after a panic.
    let after = api.call(Method::GET, "/public/echo", None, None).await;
    assert_eq!(after.status, StatusCode::OK);
}
