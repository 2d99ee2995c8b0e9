//! The README walk and the API Gateway behaviours around it, on the memory store.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::identity::UserId;

use crate::common::Api;

#[tokio::test]
async fn the_readme_walk_links_syncs_and_lists_a_bank() {
    let api = Api::start().await;
    let linked = api.link("sara").await;

    // The browser lands on the dev server's stand-in for the app, which shows the outcome.
    let page = api.get_absolute(&linked.app_location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.header("content-type").starts_with("text/html"));
    assert!(page.text.contains("Bank link: approved"), "{}", page.text);
    assert!(page.text.contains(&linked.connection_id));
    // The page completes the link with the code, as the app would.
    assert!(
        page.text.contains("fetch('/tarabut/complete'"),
        "{}",
        page.text
    );

    api.sync_and_list("sara", &linked.connection_id).await;
}

/// `make dev` exports without S3: the document is kept in memory and its URL, on the dev
/// server, serves it (to anyone holding it, as a presigned URL does) until it expires.
#[tokio::test]
async fn an_export_is_served_at_its_url_without_s3() {
    let api = Api::start().await;
    let linked = api.link("sara").await;
    api.sync_and_list("sara", &linked.connection_id).await;
    let export = api
        .call(Method::POST, "/finance/export", Some("sara"), None)
        .await;
    assert_eq!(export.status, StatusCode::CREATED, "{}", export.text);
    let receipt = export.json();
    let url = receipt["url"].as_str().unwrap();
    assert!(url.starts_with(&api.url("/_dev/exports/")), "{url}");
    let document = api.get_absolute(url).await;
    assert_eq!(document.status, StatusCode::OK);
    assert_eq!(receipt["bytes"], document.text.len());
    let doc = document.json();
    assert_eq!(doc["userId"], "sara");
    assert_eq!(doc["connections"][0]["connectionId"], linked.connection_id);
    assert!(!doc["transactions"].as_array().unwrap().is_empty());
    let unknown = api
        .get_absolute(&api.url("/_dev/exports/0/unknown.json"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn cron_on_demand_syncs_the_due_connections() {
    let api = Api::start().await;
    let idle = api.call(Method::POST, "/_dev/cron", None, None).await;
    assert_eq!(idle.status, StatusCode::OK, "{}", idle.text);
    assert_eq!(idle.json()["due"], 0);
    assert_eq!(idle.json()["synced"], 0);

    let linked = api.link("sara").await;
    // Make the connection due now, as the passing of time would.
    let state = api.server.state();
    let user = UserId::parse("sara").unwrap();
    let mut connection = state
        .connections
        .get(&user, &linked.connection_id)
        .await
        .unwrap()
        .unwrap();
    connection.next_sync_at = Some(state.clock.now() - Duration::from_millis(1));
    state.connections.save(&connection).await.unwrap();

    let run = api.call(Method::POST, "/_dev/cron", None, None).await;
    assert_eq!(run.status, StatusCode::OK, "{}", run.text);
    let summary = run.json();
    assert_eq!(summary["due"], 1, "{summary}");
    assert_eq!(summary["synced"], 1, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
}

#[tokio::test]
async fn guarded_routes_refuse_a_missing_or_malformed_bearer_like_the_authorizer() {
    let api = Api::start().await;
    let guarded = [
        (Method::POST, "/tarabut/connect"),
        (Method::POST, "/tarabut/sync"),
        (Method::GET, "/finance/connections"),
        (Method::DELETE, "/finance/connections/some-id"),
        (Method::POST, "/finance/refresh"),
        (Method::POST, "/finance/refresh-balances"),
    ];
    for (method, path) in guarded {
        let missing = api.call(method.clone(), path, None, None).await;
        assert_eq!(missing.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(missing.json(), json!({ "message": "Unauthorized" }));
        assert_eq!(missing.header("www-authenticate"), "Bearer");

        for bad in ["Bearer sara", "Basic dev:sara", "Bearer dev:", "dev:sara"] {
            let request = api
                .http
                .request(method.clone(), api.url(path))
                .header("authorization", bad);
            let refused = api.send(request).await;
            assert_eq!(
                refused.status,
                StatusCode::UNAUTHORIZED,
                "{method} {path} {bad:?}"
            );
            assert_eq!(refused.json(), json!({ "message": "Unauthorized" }));
        }
    }
    // The callback sits outside the authorizer: it answers (a redirect to the app) unauthenticated.
    let callback = api
        .call(
            Method::GET,
            "/tarabut/callback?intentId=unknown&status=SUCCESSFUL",
            None,
            None,
        )
        .await;
    assert_eq!(callback.status, StatusCode::FOUND);
    assert!(callback.header("location").contains("status=error"));
    // Nothing was created for anybody by the refused calls.
    let sara = api
        .call(Method::GET, "/finance/connections", Some("sara"), None)
        .await;
    assert_eq!(sara.json(), json!({ "connections": [] }));
}

#[tokio::test]
async fn another_users_connection_is_not_found() {
    let api = Api::start().await;
    let linked = api.link("sara").await;
    let id = linked.connection_id.as_str();

    let sync = api
        .call(
            Method::POST,
            "/tarabut/sync",
            Some("omar"),
            Some(json!({ "connectionId": id })),
        )
        .await;
    assert_eq!(sync.status, StatusCode::NOT_FOUND, "{}", sync.text);
    assert_eq!(sync.header("content-type"), "application/problem+json");

    let delete = api
        .call(
            Method::DELETE,
            &format!("/finance/connections/{id}"),
            Some("omar"),
            None,
        )
        .await;
    assert_eq!(delete.status, StatusCode::NOT_FOUND, "{}", delete.text);

    let omar = api
        .call(Method::GET, "/finance/connections", Some("omar"), None)
        .await;
    assert_eq!(omar.json(), json!({ "connections": [] }));
    // Sara's connection is untouched, and she can delete it through the path parameter.
    api.sync_and_list("sara", id).await;
    let deleted = api
        .call(
            Method::DELETE,
            &format!("/finance/connections/{id}"),
            Some("sara"),
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let sara = api
        .call(Method::GET, "/finance/connections", Some("sara"), None)
        .await;
    assert_eq!(sara.json(), json!({ "connections": [] }));
}

#[tokio::test]
async fn unknown_routes_and_other_methods_are_not_found() {
    let api = Api::start().await;
    for (method, path) in [
        (Method::GET, "/"),
        (Method::GET, "/finance"),
        (Method::POST, "/finance/connections"),
        (Method::GET, "/finance/connections/"),
        (Method::PUT, "/tarabut/sync"),
        (Method::GET, "/finance/insights/nope"),
    ] {
        let answer = api.call(method.clone(), path, Some("sara"), None).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}");
        assert_eq!(
            answer.json(),
            json!({ "message": "Not Found" }),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn bodies_over_the_gateway_limit_are_refused_before_the_function() {
    let api = Api::start().await;
    let too_big = vec![b' '; dev_server::MAX_PAYLOAD_BYTES + 1];
    let request = api
        .http
        .post(api.url("/tarabut/sync"))
        .bearer_auth("dev:sara")
        .header("content-type", "application/json")
        .body(too_big);
    let refused = api.send(request).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        refused.json(),
        json!({ "message": "Request Entity Too Large" })
    );

    // Under the gateway's limit (and over axum's default 2 MB) but over the function's own
    // 64 KiB: the body reaches the function, which answers with its problem.
    let padded: Value = json!({ "connectionId": "x".repeat(3 * 1024 * 1024) });
    let handler = api
        .call(Method::POST, "/tarabut/sync", Some("sara"), Some(padded))
        .await;
    assert_eq!(handler.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(handler.header("content-type"), "application/problem+json");
}

#[tokio::test]
async fn malformed_json_reaches_the_function_which_answers_400() {
    let api = Api::start().await;
    let request = api
        .http
        .post(api.url("/tarabut/sync"))
        .bearer_auth("dev:sara")
        .header("content-type", "application/json")
        .body("{\"connectionId\": 42}");
    let answer = api.send(request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.text);
    assert_eq!(answer.header("content-type"), "application/problem+json");
    let detail = answer.json()["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("invalid type"), "{detail}");
}
