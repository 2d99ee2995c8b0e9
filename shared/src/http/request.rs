//! Reading a request without ever panicking on what the client sent.

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt, http};
use serde::de::DeserializeOwned;

use crate::deadline::Deadline;
use crate::error::AppError;
use crate::identity::UserId;

/// Largest JSON body accepted (DESIGN §3).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The caller's identity from the JWT authorizer's verified claims (`sub`). Absent context,
/// authorizer, claim, or an empty claim → 401. Uses the `_ref` accessors, which do not panic.
pub fn caller(req: &Request) -> Result<UserId, AppError> {
    let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else {
        return Err(AppError::Unauthenticated);
    };
    ctx.authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref())
        .and_then(|jwt| jwt.claims.get("sub"))
        .and_then(|sub| UserId::parse(sub.trim()))
        .ok_or(AppError::Unauthenticated)
}

/// The invocation's deadline from the Lambda context (or the default budget without one).
pub fn deadline(req: &Request) -> Deadline {
    req.lambda_context_ref()
        .map(|c| Deadline::from_epoch_millis(c.deadline))
        .unwrap_or_else(|| Deadline::from_epoch_millis(0))
}

/// Parses a required JSON body: 413 over the limit, 415 for another content type, 400 with
/// serde's message (field, expected type, position) for anything malformed.
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, AppError> {
    let bytes = body_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(AppError::BadRequest("a JSON body is required".into()));
    }
    parse(bytes)
}

/// Like [`json_body`], but an empty body means "all defaults" (routes whose fields are all
/// optional).
pub fn json_body_or_default<T: DeserializeOwned + Default>(req: &Request) -> Result<T, AppError> {
    let bytes = body_bytes(req)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    parse(bytes)
}

fn body_bytes(req: &Request) -> Result<&[u8], AppError> {
    let bytes: &[u8] = req.body().as_ref();
    if bytes.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    if let Some(ct) = req.headers().get(http::header::CONTENT_TYPE) {
        let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
        let essence = ct.split(';').next().unwrap_or("").trim();
        if !bytes.is_empty() && essence != "application/json" && !essence.ends_with("+json") {
            return Err(AppError::UnsupportedMediaType);
        }
    }
    Ok(bytes)
}

fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON body: {e}")))?;
    // serde's derived structs also accept a positional array (`["id"]`); our bodies are
    // objects, and anything else is a client mistake worth naming.
    if !value.is_object() {
        return Err(AppError::BadRequest(
            "the JSON body must be an object".into(),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| AppError::BadRequest(format!("invalid JSON body: {e}")))
}

/// One query-string value; a parameter given twice is refused rather than guessed.
pub fn query_param<'a>(req: &'a Request, name: &str) -> Result<Option<&'a str>, AppError> {
    let Some(params) = req.query_string_parameters_ref() else {
        return Ok(None);
    };
    match params.all(name) {
        None => Ok(None),
        Some(values) if values.len() == 1 => Ok(values.first().copied()),
        Some(_) => Err(AppError::BadRequest(format!(
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

/// A path parameter (`/finance/connections/{id}`).
pub fn path_param<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.path_parameters_ref().and_then(|p| p.first(name))
}
