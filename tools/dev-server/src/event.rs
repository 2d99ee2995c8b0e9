//! Builds the API Gateway HTTP API (payload format 2.0) event for a request, shaped like the
//! fixtures in `events/`, so a handler receives what it receives in Lambda.

use std::net::IpAddr;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use reqwest::Url;
use serde_json::{Map, Value, json};

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
    pub claims: Option<Value>,
    pub request_id: &'a str,
    pub received_at: DateTime<Utc>,
}

pub fn api_gateway_event(r: &GatewayRequest<'_>) -> Value {
    let host = usable_host(r);
    let (headers, cookies) = gateway_headers(r, &host);
    let domain_name = host
        .rsplit_once(':')
        .map_or(host.as_str(), |(name, _)| name);
    let domain_prefix = domain_name.split('.').next().unwrap_or(domain_name);
    let user_agent = headers
        .get("user-agent")
        .cloned()
        .unwrap_or(Value::String(String::new()));

    let mut context = json!({
        "accountId": "000000000000",
        "apiId": "dev-server",
        "domainName": domain_name,
        "domainPrefix": domain_prefix,
        "http": {
            "method": r.method,
            "path": r.raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": r.source_ip.to_string(),
            "userAgent": user_agent,
        },
        "requestId": r.request_id,
        "routeKey": r.route_key,
        "stage": "$default",
        "time": r.received_at.format("%d/%b/%Y:%H:%M:%S %z").to_string(),
        "timeEpoch": r.received_at.timestamp_millis(),
    });
    if let Some(claims) = &r.claims {
        context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
    }

    let mut event = json!({
        "version": "2.0",
        "routeKey": r.route_key,
        "rawPath": r.raw_path,
        "rawQueryString": r.raw_query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if let Some(params) = query_parameters(r.raw_query) {
        event["queryStringParameters"] = params;
    }
    if !r.path_parameters.is_empty() {
        let params: Map<String, Value> = r
            .path_parameters
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        event["pathParameters"] = Value::Object(params);
    }
    if !r.body.is_empty() {
        match std::str::from_utf8(r.body) {
            Ok(text) => event["body"] = Value::String(text.to_string()),
            Err(_) => {
                event["body"] = Value::String(base64(r.body));
                event["isBase64Encoded"] = Value::Bool(true);
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
fn gateway_headers(r: &GatewayRequest<'_>, host: &str) -> (Map<String, Value>, Vec<String>) {
    let mut headers: Map<String, Value> = Map::new();
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
        headers.insert(name.as_str().to_string(), Value::String(values.join(",")));
    }
    headers.insert("host".into(), Value::String(host.to_string()));
    let forwarded_for = match headers.get("x-forwarded-for").and_then(Value::as_str) {
        Some(chain) => format!("{chain}, {}", r.source_ip),
        None => r.source_ip.to_string(),
    };
    headers.insert("x-forwarded-for".into(), Value::String(forwarded_for));
    headers.insert("x-forwarded-proto".into(), Value::String("http".into()));
    let port = host.rsplit_once(':').map_or("80", |(_, p)| p);
    headers.insert("x-forwarded-port".into(), Value::String(port.to_string()));
    (headers, cookies)
}

/// `queryStringParameters`: decoded, a repeated key's values joined with commas; absent when
/// the query is empty.
fn query_parameters(raw_query: &str) -> Option<Value> {
    if raw_query.is_empty() {
        return None;
    }
    let url = Url::parse(&format!("http://query.invalid/?{raw_query}")).ok()?;
    let mut params: Map<String, Value> = Map::new();
    for (key, value) in url.query_pairs() {
        match params.get_mut(key.as_ref()) {
            Some(Value::String(existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            _ => {
                params.insert(key.into_owned(), Value::String(value.into_owned()));
            }
        }
    }
    (!params.is_empty()).then_some(Value::Object(params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use lambda_http::request::RequestContext;
    use lambda_http::{Body, RequestExt};
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
            claims: Some(json!({ "sub": "sara" })),
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
