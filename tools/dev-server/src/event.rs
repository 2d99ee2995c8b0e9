//! Builds the API Gateway HTTP API (payload format 2.0) event for a request, shaped like the
//! fixtures in `events/`, so a handler receives what it receives in Lambda.

use std::collections::HashMap;
use std::net::IpAddr;

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::{DateTime, Utc};
use lambda_http::aws_lambda_events::apigw::{
    ApiGatewayRequestAuthorizer, ApiGatewayRequestAuthorizerJwtDescription,
    ApiGatewayV2httpRequest, ApiGatewayV2httpRequestContext,
    ApiGatewayV2httpRequestContextHttpDescription,
};
use lambda_http::aws_lambda_events::query_map::QueryMap;
use reqwest::Url;
use serde_json::Value;

use crate::encoding::base64;

/// What API Gateway knows about a request when it invokes the integration.
pub struct GatewayRequest<'a> {
    pub method: &'a str,
    /// The path as sent, still percent-encoded.
    pub raw_path: &'a str,
    /// The query as sent, without `?`.
    pub raw_query: &'a str,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub source_ip: IpAddr,
    /// Host (and port) to use when the request's own `Host` cannot form a URL.
    pub fallback_host: &'a str,
    pub route_key: &'a str,
    pub path_parameters: &'a [(String, String)],
    /// Verified JWT claims; `None` on routes without the authorizer.
    pub claims: Option<HashMap<String, String>>,
    pub request_id: &'a str,
    pub received_at: DateTime<Utc>,
}

/// The event as JSON, exactly what Lambda would hand the function.
pub fn api_gateway_event(r: &GatewayRequest<'_>) -> Value {
    serde_json::to_value(gateway_request(r)).unwrap_or(Value::Null)
}

/// The event in `aws_lambda_events`' types (the ones lambda_http reads).
fn gateway_request(r: &GatewayRequest<'_>) -> ApiGatewayV2httpRequest {
    let host = usable_host(r);
    let (headers, cookies) = gateway_headers(r, &host);
    let domain_name = host
        .rsplit_once(':')
        .map_or(host.as_str(), |(name, _)| name);
    let domain_prefix = domain_name.split('.').next().unwrap_or(domain_name);
    let user_agent = headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();

    let mut http = ApiGatewayV2httpRequestContextHttpDescription::default();
    http.method = r.method.parse().unwrap_or_default();
    http.path = Some(r.raw_path.to_string());
    http.protocol = Some("HTTP/1.1".into());
    http.source_ip = Some(r.source_ip.to_string());
    http.user_agent = Some(user_agent);

    let mut context = ApiGatewayV2httpRequestContext::default();
    context.account_id = Some("000000000000".into());
    context.apiid = Some("dev-server".into());
    context.domain_name = Some(domain_name.to_string());
    context.domain_prefix = Some(domain_prefix.to_string());
    context.http = http;
    context.request_id = Some(r.request_id.to_string());
    context.route_key = Some(r.route_key.to_string());
    context.stage = Some("$default".into());
    context.time = Some(r.received_at.format("%d/%b/%Y:%H:%M:%S %z").to_string());
    context.time_epoch = r.received_at.timestamp_millis();
    if let Some(claims) = &r.claims {
        let mut jwt = ApiGatewayRequestAuthorizerJwtDescription::default();
        jwt.claims = claims.clone();
        let mut authorizer = ApiGatewayRequestAuthorizer::default();
        authorizer.jwt = Some(jwt);
        context.authorizer = Some(authorizer);
    }

    let mut event = ApiGatewayV2httpRequest::default();
    event.version = Some("2.0".into());
    event.route_key = Some(r.route_key.to_string());
    event.raw_path = Some(r.raw_path.to_string());
    event.raw_query_string = Some(r.raw_query.to_string());
    event.headers = headers;
    event.cookies = (!cookies.is_empty()).then_some(cookies);
    event.query_string_parameters = query_parameters(r.raw_query);
    event.path_parameters = r.path_parameters.iter().cloned().collect();
    event.request_context = context;
    if !r.body.is_empty() {
        match std::str::from_utf8(r.body) {
            Ok(text) => event.body = Some(text.to_string()),
            Err(_) => {
                event.body = Some(base64(r.body));
                event.is_base64_encoded = true;
            }
        }
    }
    event
}

/// The request's `Host` when it forms a URL with the path (lambda_http builds the request URI
/// from it and would refuse anything else), else the fallback.
fn usable_host(r: &GatewayRequest<'_>) -> String {
    r.headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .filter(|h| !h.is_empty() && Url::parse(&format!("http://{h}{}", r.raw_path)).is_ok())
        .unwrap_or(r.fallback_host)
        .to_string()
}

/// Header names lower-cased, repeated headers joined with commas, `Cookie` moved to the
/// `cookies` list, and the `X-Forwarded-*` headers API Gateway adds.
fn gateway_headers(r: &GatewayRequest<'_>, host: &str) -> (HeaderMap, Vec<String>) {
    let mut headers = HeaderMap::new();
    let mut cookies = Vec::new();
    for name in r.headers.keys() {
        // Values that are not visible ASCII are dropped: the event carries strings.
        let values: Vec<&str> = r
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        if values.is_empty() {
            continue;
        }
        if name.as_str() == "cookie" {
            cookies.extend(
                values
                    .iter()
                    .flat_map(|v| v.split(';'))
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_string),
            );
            continue;
        }
        set(&mut headers, name.as_str(), &values.join(","));
    }
    set(&mut headers, "host", host);
    let forwarded_for = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(chain) => format!("{chain}, {}", r.source_ip),
        None => r.source_ip.to_string(),
    };
    set(&mut headers, "x-forwarded-for", &forwarded_for);
    set(&mut headers, "x-forwarded-proto", "http");
    let port = host.rsplit_once(':').map_or("80", |(_, p)| p);
    set(&mut headers, "x-forwarded-port", port);
    (headers, cookies)
}

fn set(headers: &mut HeaderMap, name: &str, value: &str) {
    if let (Ok(name), Ok(value)) = (
        HeaderName::from_bytes(name.as_bytes()),
        HeaderValue::from_str(value),
    ) {
        headers.insert(name, value);
    }
}

/// `queryStringParameters`: decoded, a repeated key's values joined with commas (API Gateway's
/// payload 2.0); empty (so left out of the event) when the query is.
fn query_parameters(raw_query: &str) -> QueryMap {
    let Ok(url) = Url::parse(&format!("http://query.invalid/?{raw_query}")) else {
        return QueryMap::default();
    };
    let mut params: HashMap<String, String> = HashMap::new();
    for (key, value) in url.query_pairs() {
        params
            .entry(key.into_owned())
            .and_modify(|existing| {
                existing.push(',');
                existing.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    QueryMap::from(params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::request::RequestContext;
    use lambda_http::{Body, RequestExt};
    use serde_json::json;
    use std::net::Ipv4Addr;

    fn request<'a>(
        headers: &'a HeaderMap,
        body: &'a [u8],
        params: &'a [(String, String)],
    ) -> GatewayRequest<'a> {
        GatewayRequest {
            method: "DELETE",
            raw_path: "/finance/connections/c%201",
            raw_query: "a=1&b=x%26y&a=2&plus=1+2",
            headers,
            body,
            source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            fallback_host: "127.0.0.1:3000",
            route_key: "DELETE /finance/connections/{id}",
            path_parameters: params,
            claims: Some(HashMap::from([("sub".to_string(), "sara".to_string())])),
            request_id: "req-1",
            received_at: DateTime::from_timestamp_millis(1_795_766_400_000).unwrap(),
        }
    }

    fn headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        h.insert("content-type", HeaderValue::from_static("application/json"));
        h.append("accept", HeaderValue::from_static("text/html"));
        h.append("accept", HeaderValue::from_static("application/json"));
        h.insert("cookie", HeaderValue::from_static("a=1; b=2"));
        h
    }

    #[test]
    fn event_has_the_payload_2_shape() {
        let h = headers();
        let params = vec![("id".to_string(), "c 1".to_string())];
        let event = api_gateway_event(&request(&h, b"{\"x\":1}", &params));
        assert_eq!(event["version"], "2.0");
        assert_eq!(event["routeKey"], "DELETE /finance/connections/{id}");
        assert_eq!(event["rawPath"], "/finance/connections/c%201");
        assert_eq!(event["rawQueryString"], "a=1&b=x%26y&a=2&plus=1+2");
        assert_eq!(
            event["queryStringParameters"],
            json!({ "a": "1,2", "b": "x&y", "plus": "1 2" })
        );
        assert_eq!(event["pathParameters"], json!({ "id": "c 1" }));
        assert_eq!(event["headers"]["accept"], "text/html,application/json");
        assert_eq!(event["headers"]["x-forwarded-for"], "127.0.0.1");
        assert_eq!(event["headers"]["x-forwarded-port"], "3000");
        assert!(event["headers"].get("cookie").is_none());
        assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(event["body"], "{\"x\":1}");
        assert_eq!(event["isBase64Encoded"], false);
        let ctx = &event["requestContext"];
        assert_eq!(ctx["stage"], "$default");
        assert_eq!(ctx["http"]["method"], "DELETE");
        assert_eq!(ctx["time"], "27/Nov/2026:08:00:00 +0000");
        assert_eq!(ctx["timeEpoch"], 1_795_766_400_000_i64);
        assert_eq!(ctx["domainName"], "127.0.0.1");
        assert_eq!(ctx["authorizer"]["jwt"]["claims"]["sub"], "sara");
    }

    #[test]
    fn lambda_http_reads_the_event_like_a_lambda_invocation() {
        let h = headers();
        let params = vec![("id".to_string(), "c 1".to_string())];
        let event = api_gateway_event(&request(&h, &[0xff, 0x00, 0x10], &params));
        assert_eq!(event["isBase64Encoded"], true);
        let req = lambda_http::request::from_str(&event.to_string()).unwrap();
        assert_eq!(req.method(), "DELETE");
        assert_eq!(req.uri().path(), "/finance/connections/c%201");
        assert_eq!(req.uri().query(), Some("a=1&b=x%26y&a=2&plus=1+2"));
        let query = req.query_string_parameters_ref().unwrap();
        assert_eq!(query.all("a"), Some(vec!["1", "2"]));
        assert_eq!(query.first("b"), Some("x&y"));
        assert_eq!(req.path_parameters_ref().unwrap().first("id"), Some("c 1"));
        assert_eq!(req.headers()["cookie"], "a=1; b=2");
        assert!(matches!(req.body(), Body::Binary(b) if b == &[0xff, 0x00, 0x10]));
        let Some(RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() else {
            panic!("not an HTTP API context");
        };
        assert_eq!(
            ctx.route_key.as_deref(),
            Some("DELETE /finance/connections/{id}")
        );
        let sub = ctx
            .authorizer
            .as_ref()
            .and_then(|a| a.jwt.as_ref())
            .and_then(|j| j.claims.get("sub"));
        assert_eq!(sub.map(String::as_str), Some("sara"));
    }

    #[test]
    fn a_host_that_cannot_form_a_url_is_replaced_and_empty_parts_are_omitted() {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("bad host"));
        let mut r = request(&h, b"", &[]);
        r.raw_query = "";
        r.claims = None;
        let event = api_gateway_event(&r);
        assert_eq!(event["headers"]["host"], "127.0.0.1:3000");
        for absent in ["queryStringParameters", "pathParameters", "body", "cookies"] {
            assert!(event.get(absent).is_none(), "{absent}");
        }
        assert!(event["requestContext"].get("authorizer").is_none());
        let req = lambda_http::request::from_str(&event.to_string()).unwrap();
        assert_eq!(req.uri().host(), Some("127.0.0.1"));
    }
}
