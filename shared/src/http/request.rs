//! Reading a request without ever panicking on what the client sent.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt, http};
use serde::de::DeserializeOwned;

use super::error::HttpError;
use crate::identity::UserId;
use crate::time::Deadline;

/// Largest JSON body accepted (docs/architecture.md §3).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The caller's identity from the JWT authorizer's verified claims (`sub`). Absent context,
/// authorizer, claim, or an empty claim → 401. Uses the `_ref` accessors, which do not panic.
pub fn caller(req: &Request) -> Result<UserId, HttpError> {
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else {
        return Err(HttpError::Unauthenticated);
    };
    ctx.authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref())
        .and_then(|jwt| jwt.claims.get("sub"))
        .and_then(|sub| UserId::parse(sub.trim()))
        .ok_or(HttpError::Unauthenticated)
}

/// API Gateway's id of this request (what its access log shows), for the audit trail.
pub fn request_id(req: &Request) -> Option<&str> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.request_id.as_deref(),
        _ => None,
    }
}

/// The invocation's deadline from the Lambda context (or the default budget without one).
pub fn deadline(req: &Request) -> Deadline {
    req.lambda_context_ref()
        .map(|c| Deadline::from_epoch_millis(c.deadline))
        .unwrap_or_else(|| Deadline::from_epoch_millis(0))
}

/// Parses a required JSON body: 413 over the limit, 415 for another content type, 400 with
/// serde's message (field, expected type, position) for anything malformed.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, HttpError> {
    let bytes = body_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(HttpError::BadRequest("a JSON body is required".into()));
    }
    parse(bytes)
}

/// Like [`json_body`], but an empty body means "all defaults" (routes whose fields are all
/// optional).
pub fn json_body_or_default<T: DeserializeOwned + Default>(req: &Request) -> Result<T, HttpError> {
    let bytes = body_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse(bytes)
}

fn body_bytes(req: &Request) -> Result<&[u8], HttpError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(HttpError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if let Some(ct) = req.headers().get(http::header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !bytes.is_empty() && essence != "application/json" && !essence.ends_with("+json") {
            return Err(HttpError::UnsupportedMediaType);
        }
    }
    Ok(bytes)
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, HttpError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| HttpError::BadRequest(format!("invalid JSON body: {e}")))?;
    // serde's derived structs also accept a positional array (`["id"]`); our bodies are
    // objects, and anything else is a client mistake worth naming.
    if !value.is_object() {
        return Err(HttpError::BadRequest(
            "the JSON body must be an object".into(),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| HttpError::BadRequest(format!("invalid JSON body: {e}")))
}

/// One query-string value; a parameter given twice is refused rather than guessed.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, HttpError> {
    let Some(params) = req.query_string_parameters_ref() else {
        return Ok(None);
    };
    match params.all(name) {
        None => Ok(None),
        Some(values) if values.len() == 1 => Ok(values.first().copied()),
        Some(_) => Err(HttpError::BadRequest(format!(
            "query parameter {name} given more than once"
        ))),
    }
}

/// Every query-string pair as received (a repeated key appears once per value).
pub fn query_pairs(req: &Request) -> Vec<(&str, &str)> {
    req.query_string_parameters_ref()
        .map(|q| q.iter().collect())
        .unwrap_or_default()
}

/// The query string as a route's typed parameters (a struct with `deny_unknown_fields`): an
/// unknown, repeated, missing or mistyped parameter is a 400 naming it.
pub fn query<T: DeserializeOwned>(req: &Request) -> Result<T, HttpError> {
    parse_query(&query_pairs(req))
}

fn parse_query<T: DeserializeOwned>(pairs: &[(&str, &str)]) -> Result<T, HttpError> {
    let mut seen = std::collections::HashSet::new();
    if let Some((name, _)) = pairs.iter().find(|(k, _)| !seen.insert(*k)) {
        return Err(HttpError::BadRequest(format!(
            "query parameter {name} given more than once"
        )));
    }
    // Re-encoded from API Gateway's decoded map, so serde_urlencoded reads it as sent.
    let encoded = serde_urlencoded::to_string(pairs)
        .map_err(|e| HttpError::BadRequest(format!("invalid query: {e}")))?;
    serde_urlencoded::from_str(&encoded)
        .map_err(|e| HttpError::BadRequest(format!("invalid query: {e}")))
}

/// A path parameter (`/finance/connections/{id}`).
pub fn path_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.path_parameters_ref().and_then(|p| p.first(name))
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
