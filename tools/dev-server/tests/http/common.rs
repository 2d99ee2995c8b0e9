//! A dev server on port 0 and a client that does not follow redirects, with the README walk.

use dev_server::{DevServerOptions, RunningDevServer};
use reqwest::header::LOCATION;
use reqwest::{Method, StatusCode, Url};
use serde_json::{Value, json};

pub struct Api {
    pub server: RunningDevServer,
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header: {:?}", self.headers))
    }
}

/// What the callback redirected the browser to, and the connection it created.
pub struct Linked {
    pub connection_id: String,
    pub app_location: String,
}

impl Api {
    pub async fn start() -> Api {
        Api::with(DevServerOptions::ephemeral()).await
    }

    pub async fn with(options: DevServerOptions) -> Api {
        let server = dev_server::serve(options).await.expect("dev server starts");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Api { server, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request");
        Answer {
            status: response.status(),
            headers: response.headers().clone(),
            text: response.text().await.expect("body"),
        }
    }

    /// A call as `user` (`Authorization: Bearer dev:<user>`), with an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.http.request(method, self.url(path));
        if let Some(user) = user {
            request = request.bearer_auth(format!("dev:{user}"));
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get_absolute(&self, url: &str) -> Answer {
        self.send(self.http.get(url)).await
    }

    /// The README walk up to the app page: connect, approve on the sandbox's connect page,
    /// follow its redirect to our callback, which redirects to the app page.
    pub async fn link(&self, user: &str) -> Linked {
        let connect = self
            .call(
                Method::POST,
                "/tarabut/connect",
                Some(user),
                Some(json!({ "providerId": "BLUE" })),
            )
            .await;
        assert_eq!(connect.status, StatusCode::CREATED, "{}", connect.text);
        let created = connect.json();
        let connect_url = created["connectUrl"].as_str().unwrap().to_string();
        let connection_id = created["connectionId"].as_str().unwrap().to_string();
        assert!(
            connect_url.starts_with(self.server.sandbox_url()),
            "{connect_url} is not on the sandbox"
        );

        let approve = self.get_absolute(&format!("{connect_url}/approve")).await;
        assert_eq!(approve.status, StatusCode::FOUND, "{}", approve.text);
        let callback = approve.header(LOCATION.as_str()).to_string();
        assert!(
            callback.starts_with(&self.url("/tarabut/callback?")),
            "the sandbox redirects to {callback}"
        );

        let back = self.get_absolute(&callback).await;
        assert_eq!(back.status, StatusCode::FOUND, "{}", back.text);
        let app_location = back.header(LOCATION.as_str()).to_string();
        let app = Url::parse(&app_location).unwrap();
        assert_eq!(app.path(), "/app/linked");
        let query: Vec<(String, String)> = app.query_pairs().into_owned().collect();
        let keys: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["status", "intentId", "connectionId", "code"]);
        let get = |name: &str| query.iter().find(|(k, _)| k == name).unwrap().1.clone();
        assert_eq!(get("status"), "approved");
        assert_eq!(get("connectionId"), connection_id);

        // The app completes the link with its user's JWT and the one-time code.
        let complete = self
            .call(
                Method::POST,
                "/tarabut/complete",
                Some(user),
                Some(json!({ "intentId": get("intentId"), "code": get("code") })),
            )
            .await;
        assert_eq!(complete.status, StatusCode::OK, "{}", complete.text);
        assert_eq!(complete.json()["connectionId"], connection_id);
        assert_eq!(complete.json()["status"], "active");
        Linked {
            connection_id,
            app_location,
        }
    }

    /// The rest of the walk: sync the connection, then find it active with a last sync.
    pub async fn sync_and_list(&self, user: &str, connection_id: &str) -> Value {
        let sync = self
            .call(
                Method::POST,
                "/tarabut/sync",
                Some(user),
                Some(json!({ "connectionId": connection_id })),
            )
            .await;
        assert_eq!(sync.status, StatusCode::OK, "{}", sync.text);
        let summary = sync.json();
        assert_eq!(summary["connectionId"], connection_id);
        assert_eq!(summary["status"], "active");

        let list = self
            .call(Method::GET, "/finance/connections", Some(user), None)
            .await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.text);
        let connections = list.json()["connections"].clone();
        let mine = connections
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["connectionId"] == connection_id)
            .unwrap_or_else(|| panic!("{connection_id} not in {connections}"))
            .clone();
        assert_eq!(mine["status"], "active");
        assert!(mine["lastSyncAt"].is_string(), "{mine}");
        assert_eq!(mine["lastSyncStatus"], "ok");
        assert!(mine["accounts"].as_u64().unwrap() > 0, "{mine}");
        mine
    }
}
