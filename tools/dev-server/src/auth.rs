//! The stand-in for API Gateway's JWT authorizer: `Authorization: Bearer dev:<user>` is a
//! token whose verified claims are `{sub: <user>}`. Anything else on a guarded route is
//! refused before the function runs, as the authorizer refuses a missing or invalid JWT.

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;

const DEV_TOKEN_PREFIX: &str = "dev:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header.
    Missing,
    /// A header that is not `Bearer dev:<user>`.
    Invalid,
}

/// The `sub` the stand-in token carries.
pub fn dev_subject(headers: &HeaderMap) -> Result<String, Refusal> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let value = values.next().ok_or(Refusal::Missing)?;
    if values.next().is_some() {
        return Err(Refusal::Invalid);
    }
    let value = value.to_str().map_err(|_| Refusal::Invalid)?.trim();
    let (scheme, token) = value.split_once(' ').ok_or(Refusal::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(Refusal::Invalid);
    }
    let user = token
        .trim()
        .strip_prefix(DEV_TOKEN_PREFIX)
        .ok_or(Refusal::Invalid)?;
    // A bearer token is one word (RFC 6750 b64token): no spaces or controls in the user.
    if user.is_empty() || user.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Refusal::Invalid);
    }
    Ok(user.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn bearer_dev_user_gives_the_subject() {
        assert_eq!(dev_subject(&with(&["Bearer dev:sara"])).unwrap(), "sara");
        assert_eq!(
            dev_subject(&with(&["bearer  dev:user-42"])).unwrap(),
            "user-42"
        );
        assert_eq!(
            dev_subject(&with(&["Bearer dev:sara@example.com"])).unwrap(),
            "sara@example.com"
        );
    }

    #[test]
    fn anything_else_is_refused() {
        assert_eq!(dev_subject(&HeaderMap::new()), Err(Refusal::Missing));
        for bad in [
            "",
            "Bearer",
            "Bearer ",
            "Bearer dev:",
            "Bearer sara",
            "Basic dev:sara",
            "Bearer dev:sa ra",
            "Bearer eyJhbGciOiJIUzI1NiJ9.e30.x",
        ] {
            assert_eq!(dev_subject(&with(&[bad])), Err(Refusal::Invalid), "{bad:?}");
        }
        assert_eq!(
            dev_subject(&with(&["Bearer dev:a", "Bearer dev:b"])),
            Err(Refusal::Invalid)
        );
    }
}
