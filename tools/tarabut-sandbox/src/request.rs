//! Reading requests by hand (not with rejecting extractors), so that counting, fault injection
//! and authentication always run before any validation of the body or query.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderMap, Uri, header};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Requires `Content-Type: application/json` (parameters such as charset allowed).
pub fn require_json_content_type(headers: &HeaderMap) -> Result<(), ApiError> {
    let essence = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    match essence.as_deref() {
        Some("application/json") => Ok(()),
        _ => Err(ApiError::new(
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Content-Type must be application/json",
        )),
    }
}

/// A JSON body decoded into `T`; serde's message names the offending field.
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &[u8]) -> Result<T, ApiError> {
    require_json_content_type(headers)?;
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

/// Decoded query parameters (the last value wins for a repeated name).
pub fn query_map(uri: &Uri) -> Result<HashMap<String, String>, ApiError> {
    Query::<HashMap<String, String>>::try_from_uri(uri)
        .map(|Query(map)| map)
        .map_err(|_| ApiError::bad_request("malformed query string"))
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Tarabut's customer user id rule: 1..=40 characters of `[A-Za-z0-9_-]`.
pub fn valid_customer_user_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    From,
    To,
}

/// A booking-date bound: RFC 3339 with offset, a date-time without offset (taken as UTC), or a
/// plain date (`From` = start of that day, `To` = its last millisecond, so bounds are inclusive).
pub fn parse_booking_bound(text: &str, bound: Bound) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let time = match bound {
        Bound::From => NaiveTime::MIN,
        Bound::To => NaiveTime::from_hms_milli_opt(23, 59, 59, 999)?,
    };
    Some(date.and_time(time).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_user_id_rule() {
        assert!(valid_customer_user_id("user-42_A"));
        assert!(valid_customer_user_id(&"a".repeat(40)));
        assert!(!valid_customer_user_id(&"a".repeat(41)));
        assert!(!valid_customer_user_id(""));
        assert!(!valid_customer_user_id("a b"));
        assert!(!valid_customer_user_id("user@example.com"));
    }

    #[test]
    fn booking_bounds() {
        let to = parse_booking_bound("2025-03-01", Bound::To).unwrap();
        assert_eq!(to.to_rfc3339(), "2025-03-01T23:59:59.999+00:00");
        let with_offset = parse_booking_bound("2025-03-01T02:00:00+03:00", Bound::From).unwrap();
        assert_eq!(with_offset.to_rfc3339(), "2025-02-28T23:00:00+00:00");
        assert!(parse_booking_bound("2025-03-01T02:00:00", Bound::From).is_some());
        assert!(parse_booking_bound("01/03/2025", Bound::From).is_none());
        assert!(parse_booking_bound("2025-02-30", Bound::From).is_none());
    }

    #[test]
    fn bearer_parsing() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "bearer abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer_token(&headers), None);
    }
}
