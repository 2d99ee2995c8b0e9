//! Shaping answers: JSON, 204, redirects, and every error as `application/problem+json`.

use std::future::Future;

use lambda_http::{Body, Request, Response, http};
use serde::Serialize;
use tracing::Instrument;

use super::context::RequestIds;
use super::error::HttpError;
use super::problem::Problem;
use crate::error::UseCaseError;

/// A successful answer of a handler.
#[derive(Debug)]
pub enum Reply {
    Json {
        status: u16,
        body: serde_json::Value,
    },
    NoContent,
    /// 302 to an absolute URL (the OAuth-style callback back to the app).
    Redirect {
        location: String,
    },
}

impl Reply {
    pub fn ok<T: Serialize>(body: &T) -> Result<Reply, HttpError> {
        Reply::with_status(200, body)
    }

    pub fn created<T: Serialize>(body: &T) -> Result<Reply, HttpError> {
        Reply::with_status(201, body)
    }

    fn with_status<T: Serialize>(status: u16, body: &T) -> Result<Reply, HttpError> {
        let body = serde_json::to_value(body)
            .map_err(|e| UseCaseError::Internal(format!("serialising response: {e}")))?;
        Ok(Reply::Json { status, body })
    }
}

/// Runs a handler's work and turns its result into the HTTP answer. Errors are logged here
/// (server faults at error level with their internal detail; client faults at info) and
/// answered as problem details whose `instance` is the request's id; a handler never returns
/// `Err` to the runtime for them. The whole work runs in the request's span
/// ([`RequestIds::span`]): every line it logs carries API Gateway's and Lambda's request ids
/// and the route.
pub async fn respond<F>(req: &Request, work: F) -> Result<Response<Body>, lambda_http::Error>
where
    F: Future<Output = Result<Reply, HttpError>>,
{
    let ids = RequestIds::of(req);
    let span = ids.span();
    async move {
        let response = match work.await {
            Ok(reply) => render(reply)?,
            Err(err) => render_error(&err, ids.instance())?,
        };
        // For following one request through at TRACE (the level alone decides; no body logged).
        tracing::trace!(status = response.status().as_u16(), "answered");
        Ok(response)
    }
    .instrument(span)
    .await
}

/// Every answer of this API is one user's financial data, a problem about it (which tells
/// whether an account or connection exists) or a redirect carrying a one-time code: no
/// browser, proxy or CDN may keep any of them.
const CACHE_CONTROL: &str = "no-store";

fn render(reply: Reply) -> Result<Response<Body>, http::Error> {
    let builder = Response::builder().header("cache-control", CACHE_CONTROL);
    match reply {
        Reply::Json { status, body } => builder
            .status(status)
            .header("content-type", "application/json")
            .body(Body::Text(body.to_string())),
        Reply::NoContent => builder.status(204).body(Body::Empty),
        Reply::Redirect { location } => builder
            .status(302)
            .header("location", location)
            .body(Body::Empty),
    }
}

/// The problem response for an error: the one place errors become HTTP.
fn render_error(err: &HttpError, instance: Option<&str>) -> Result<Response<Body>, http::Error> {
    let problem = Problem {
        instance: instance.map(str::to_string),
        ..err.problem()
    };
    if problem.status >= 500 {
        tracing::error!(status = problem.status, error = %err, internal = ?err.internal_detail(), "request failed");
    } else {
        tracing::info!(status = problem.status, error = %err, "request refused");
    }
    let mut builder = Response::builder()
        .status(problem.status)
        .header("content-type", "application/problem+json")
        .header("cache-control", CACHE_CONTROL);
    if let Some(secs) = err.retry_after() {
        builder = builder.header("retry-after", secs.to_string());
    }
    let body = serde_json::to_string(&problem).unwrap_or_else(|_| "{}".to_string());
    builder.body(Body::Text(body))
}

#[cfg(test)]
#[path = "response_tests.rs"]
mod tests;
