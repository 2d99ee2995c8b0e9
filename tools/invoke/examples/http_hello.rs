//! A `lambda_http` test function for `invoke`'s own tests: answers an API Gateway HTTP API
//! (payload 2.0) event with what it saw.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_http::run(service_fn(handle)).await
}

async fn handle(request: Request) -> Result<Response<Body>, Error> {
    let name = request
        .query_string_parameters_ref()
        .and_then(|query| query.first("name"))
        .unwrap_or("world")
        .to_string();
    let subject = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .and_then(|jwt| jwt.claims.get("sub").cloned()),
        _ => None,
    };
    let body = json!({
        "greeting": format!("hello, {name}"),
        "method": request.method().as_str(),
        "path": request.uri().path(),
        "sub": subject,
    });
    Ok(Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}
