use serde::Deserialize;

use super::*;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Params {
    from: String,
    limit: Option<u32>,
}

#[test]
fn query_parameters_are_typed_and_checked() {
    let ok: Params = parse_query(&[("from", "a b&c"), ("limit", "5")]).unwrap();
    assert_eq!(
        ok,
        Params {
            from: "a b&c".into(),
            limit: Some(5)
        }
    );
    for bad in [
        vec![("from", "x"), ("from", "y")],
        vec![("form", "x")],
        vec![("limit", "5")],
        vec![("from", "x"), ("limit", "five")],
    ] {
        let e = parse_query::<Params>(&bad).unwrap_err();
        assert!(matches!(e, HttpError::BadRequest(_)), "{bad:?}");
    }
}

fn json_request(body: &str, content_type: Option<&str>) -> Request {
    let mut req = Request::new(lambda_http::Body::Text(body.to_string()));
    if let Some(ct) = content_type {
        req.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_str(ct).expect("a header value"),
        );
    }
    req
}

fn is_bad_request<T: std::fmt::Debug>(result: Result<T, HttpError>, says: &str) -> bool {
    matches!(&result, Err(HttpError::BadRequest(m)) if m.contains(says))
}

/// The documented limit (docs/architecture.md §3), in bytes a client can count.
#[test]
fn the_body_limit_is_64_kib() {
    assert_eq!(MAX_BODY_BYTES, 65_536);
}

#[test]
fn the_caller_is_the_verified_sub_claim() {
    let caller_of = |event: crate::testkit::Event| caller(&event.request());
    let user = caller_of(crate::testkit::Event::load("finance-accounts")).expect("a caller");
    assert_eq!(user.as_str(), "user-7f3c1a2e");
    let padded = caller_of(crate::testkit::Event::load("finance-accounts").user("  user-9  "));
    assert_eq!(padded.expect("a caller").as_str(), "user-9");
    for refused in [
        crate::testkit::Event::load("finance-accounts").no_claims(),
        crate::testkit::Event::load("finance-accounts").user(""),
        crate::testkit::Event::load("finance-accounts").user("   "),
        crate::testkit::Event::load("finance-accounts").claims(serde_json::json!({})),
    ] {
        assert!(matches!(
            caller_of(refused),
            Err(HttpError::Unauthenticated)
        ));
    }
    // No API Gateway context at all (a bare request).
    assert!(matches!(
        caller(&Request::default()),
        Err(HttpError::Unauthenticated)
    ));
}

#[test]
fn the_request_id_is_api_gateways() {
    let req = crate::testkit::Event::load("finance-accounts").request();
    assert_eq!(
        request_id(&req),
        Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
    );
    assert_eq!(request_id(&Request::default()), None);
}

/// The deadline is Lambda's when the context has one, the default budget otherwise.
#[test]
fn the_deadline_comes_from_the_lambda_context() {
    let in_ten_seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as u64
        + 10_000;
    let mut context = lambda_http::Context::default();
    context.deadline = in_ten_seconds;
    let req = Request::default().with_lambda_context(context);
    let remaining = deadline(&req).remaining();
    assert!(
        remaining > std::time::Duration::from_secs(8)
            && remaining <= std::time::Duration::from_secs(10),
        "{remaining:?} left of Lambda's 10 s"
    );
    let default = deadline(&Request::default()).remaining();
    let expected = Deadline::from_epoch_millis(0).remaining();
    assert!(default.abs_diff(expected) < std::time::Duration::from_secs(1));
    assert!(default.abs_diff(remaining) > std::time::Duration::from_secs(1));
}

#[derive(Debug, Default, Deserialize, PartialEq)]
struct Body {
    #[serde(default)]
    name: Option<String>,
}

#[test]
fn a_json_body_must_be_a_json_object_of_a_json_type() {
    let named = |name: &str| Body {
        name: Some(name.into()),
    };
    let ok: Body = json_body(&json_request(r#"{"name":"a"}"#, Some("application/json")))
        .expect("a JSON object");
    assert_eq!(ok, named("a"));
    // Parameters and case in the media type, +json types, and no content type at all.
    for ct in [
        Some("Application/JSON; charset=utf-8"),
        Some("application/merge-patch+json"),
        None,
    ] {
        let body: Body = json_body(&json_request(r#"{"name":"b"}"#, ct)).expect("accepted");
        assert_eq!(body, named("b"), "{ct:?}");
    }
    for ct in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/jsonx",
    ] {
        assert!(
            matches!(
                json_body::<Body>(&json_request(r#"{"name":"c"}"#, Some(ct))),
                Err(HttpError::UnsupportedMediaType)
            ),
            "{ct}"
        );
    }
    assert!(is_bad_request(
        json_body::<Body>(&json_request(" \n", Some("application/json"))),
        "a JSON body is required"
    ));
    assert!(is_bad_request(
        json_body::<Body>(&json_request(r#"["a"]"#, Some("application/json"))),
        "must be an object"
    ));
    assert!(is_bad_request(
        json_body::<Body>(&json_request("{\"name\":", Some("application/json"))),
        "invalid JSON body"
    ));
    assert!(is_bad_request(
        json_body::<Body>(&json_request(r#"{"name":5}"#, Some("application/json"))),
        "invalid JSON body"
    ));
}

/// An empty body means "all defaults", whatever content type it claims (there is no
/// content to have a type); a present body is parsed and checked as a required one is.
#[test]
fn an_empty_optional_body_is_the_defaults() {
    for ct in [Some("application/json"), Some("text/plain"), None] {
        let empty: Body = json_body_or_default(&json_request("", ct)).expect("defaults");
        assert_eq!(empty, Body::default(), "{ct:?}");
    }
    let blank: Body =
        json_body_or_default(&json_request("  ", Some("application/json"))).expect("defaults");
    assert_eq!(blank, Body::default());
    let given: Body =
        json_body_or_default(&json_request(r#"{"name":"d"}"#, Some("application/json")))
            .expect("parsed");
    assert_eq!(given.name.as_deref(), Some("d"));
    assert!(matches!(
        json_body_or_default::<Body>(&json_request(r#"{"name":"d"}"#, Some("text/plain"))),
        Err(HttpError::UnsupportedMediaType)
    ));
    assert!(is_bad_request(
        json_body_or_default::<Body>(&json_request("[]", None)),
        "must be an object"
    ));
}

#[test]
fn query_and_path_parameters_are_read_as_sent() {
    let req = crate::testkit::Event::load("finance-transactions")
        .query(&[("from", "a b&c"), ("limit", "5")])
        .path_param("id", "conn-1")
        .request();
    assert_eq!(query_param(&req, "from").expect("one value"), Some("a b&c"));
    assert_eq!(query_param(&req, "missing").expect("absent"), None);
    let mut pairs = query_pairs(&req);
    pairs.sort();
    assert_eq!(pairs, vec![("from", "a b&c"), ("limit", "5")]);
    let typed: Params = query(&req).expect("typed parameters");
    assert_eq!(typed.limit, Some(5));
    assert_eq!(path_param(&req, "id"), Some("conn-1"));
    assert_eq!(path_param(&req, "other"), None);

    let repeated = crate::testkit::Event::load("finance-transactions")
        .query(&[("from", "x"), ("from", "y")])
        .request();
    let values = repeated
        .query_string_parameters_ref()
        .and_then(|q| q.all("from"))
        .map(|v| v.len());
    assert_eq!(values, Some(2), "the event keeps both values");
    assert!(is_bad_request(
        query_param(&repeated, "from"),
        "more than once"
    ));

    let bare = Request::default();
    assert_eq!(query_param(&bare, "from").expect("no query string"), None);
    assert!(query_pairs(&bare).is_empty());
    assert_eq!(path_param(&bare, "id"), None);
}

/// A body of exactly the limit is read; one byte more is a 413. (JSON allows trailing
/// whitespace, so the padded body is still the same object.)
#[test]
fn the_body_limit_is_inclusive() {
    let body = |len: usize| {
        let mut text = String::from("{\"from\":\"2026-01-01\"}");
        text.push_str(&" ".repeat(len - text.len()));
        let mut req = Request::new(lambda_http::Body::Text(text));
        req.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        req
    };
    let at_limit: Params = json_body(&body(MAX_BODY_BYTES)).expect("exactly the limit");
    assert_eq!(at_limit.from, "2026-01-01");
    assert!(matches!(
        json_body::<Params>(&body(MAX_BODY_BYTES + 1)),
        Err(HttpError::PayloadTooLarge {
            limit: MAX_BODY_BYTES
        })
    ));
}
