//! API Gateway events from `events/`, adjusted per test (another user, no claims, a body).

use std::path::PathBuf;

use lambda_http::Request;
use serde_json::{Value, json};

/// The repository root (tests run with the crate's directory as working directory).
pub fn workspace_root() -> PathBuf {
    let mut dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    while !dir.join("events").is_dir() {
        assert!(
            dir.pop(),
            "no events/ directory above {}",
            env!("CARGO_MANIFEST_DIR")
        );
    }
    dir
}

/// An API Gateway HTTP API (payload 2.0) event.
#[derive(Clone, Debug)]
pub struct Event(pub Value);

impl Event {
    /// `events/<name>.json`, the file `sam local invoke -e` uses.
    pub fn load(name: &str) -> Event {
        let path = workspace_root().join("events").join(format!("{name}.json"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Event(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
    }

    pub fn user(mut self, sub: &str) -> Event {
        self.0["requestContext"]["authorizer"] =
            json!({ "jwt": { "claims": { "sub": sub }, "scopes": null } });
        self
    }

    pub fn claims(mut self, claims: Value) -> Event {
        self.0["requestContext"]["authorizer"] =
            json!({ "jwt": { "claims": claims, "scopes": null } });
        self
    }

    pub fn no_claims(mut self) -> Event {
        if let Some(ctx) = self.0["requestContext"].as_object_mut() {
            ctx.remove("authorizer");
        }
        self
    }

    pub fn body(mut self, body: &str) -> Event {
        self.0["body"] = Value::String(body.to_string());
        self.0["isBase64Encoded"] = Value::Bool(false);
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Event {
        self.0["headers"][name] = Value::String(value.to_string());
        self
    }

    pub fn path_param(mut self, name: &str, value: &str) -> Event {
        self.0["pathParameters"][name] = Value::String(value.to_string());
        self
    }

    /// Replaces the query string (raw and parsed) with these pairs.
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Event {
        let raw = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('&', "%26").replace(' ', "%20")))
            .collect::<Vec<_>>()
            .join("&");
        let mut parsed = serde_json::Map::new();
        for (k, v) in pairs {
            match parsed.get_mut(*k) {
                // API Gateway joins repeated parameters with commas.
                Some(Value::String(existing)) => {
                    existing.push(',');
                    existing.push_str(v);
                }
                _ => {
                    parsed.insert((*k).to_string(), Value::String((*v).to_string()));
                }
            }
        }
        self.0["rawQueryString"] = Value::String(raw);
        self.0["queryStringParameters"] = Value::Object(parsed);
        self
    }

    /// The event of an insight route with `from`, `to` and more query pairs.
    pub fn range(
        name: &str,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
        extra: &[(&str, &str)],
    ) -> Event {
        let (f, t) = (from.to_string(), to.to_string());
        let mut pairs = vec![("from", f.as_str()), ("to", t.as_str())];
        pairs.extend_from_slice(extra);
        Event::load(name).query(&pairs)
    }

    pub fn request(&self) -> Request {
        lambda_http::request::from_str(&self.0.to_string()).expect("a valid API Gateway v2 event")
    }
}
