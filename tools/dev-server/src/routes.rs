//! The route table of the HTTP API (docs/architecture.md §3), as the SAM template declares it: one line per
//! function. A route is matched the way API Gateway matches it: the method exactly and the
//! path segment by segment, `{name}` standing for one non-empty segment.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use lambda_http::{Body, Request, Response};
use shared::AppState;

use crate::encoding::percent_decode;

/// What a function's `handle` returns, boxed so every route has one type.
pub type HandlerFuture =
    Pin<Box<dyn Future<Output = Result<Response<Body>, lambda_http::Error>> + Send>>;

/// A function crate's `handle(&AppState, Request)`, adapted to own its state.
pub type Handler = fn(Arc<AppState>, Request) -> HandlerFuture;

/// Whether the JWT authorizer guards the route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `Authorization: Bearer dev:<user>` required; `sub = <user>` reaches the handler.
    Jwt,
    /// No authorizer (Tarabut's browser redirect).
    Public,
}

pub struct Route {
    pub method: &'static str,
    /// The path as in the template, `{name}` for a path parameter.
    pub path: &'static str,
    /// The function crate (= Lambda binary) serving it.
    pub function: &'static str,
    pub access: Access,
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} -> {}", self.route_key(), self.function)
    }
}

impl Route {
    /// `requestContext.routeKey`, e.g. `DELETE /finance/connections/{id}`.
    pub fn route_key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// One route: method, path, access, and the function crate whose `handle` serves it (its
/// `[dependencies]` line in Cargo.toml names the same crate).
macro_rules! route {
    ($method:literal $path:literal, $access:ident, $function:literal => $krate:ident) => {
        Route {
            method: $method,
            path: $path,
            function: $function,
            access: Access::$access,
            handler: |state, req| Box::pin(async move { $krate::handle(&state, req).await }),
        }
    };
}

/// Every HTTP route of docs/architecture.md §3.
pub static ROUTES: &[Route] = &[
    route!("POST" "/tarabut/connect", Jwt, "tarabut-connect" => tarabut_connect),
    route!("GET" "/tarabut/callback", Public, "tarabut-callback" => tarabut_callback),
    route!("POST" "/tarabut/complete", Jwt, "tarabut-complete" => tarabut_complete),
    route!("POST" "/tarabut/sync", Jwt, "tarabut-sync" => tarabut_sync),
    route!("GET" "/finance/connections", Jwt, "finance-connections" => finance_connections),
    route!("GET" "/finance/accounts", Jwt, "finance-accounts" => finance_accounts),
    route!("GET" "/finance/transactions", Jwt, "finance-transactions" => finance_transactions),
    route!("DELETE" "/finance/connections/{id}", Jwt, "finance-connection-delete" => finance_connection_delete),
    route!("DELETE" "/finance/connections", Jwt, "finance-connections-delete-all" => finance_connections_delete_all),
    route!("POST" "/finance/export", Jwt, "finance-export" => finance_export),
    route!("POST" "/finance/refresh", Jwt, "finance-refresh" => finance_refresh),
    route!("POST" "/finance/refresh-balances", Jwt, "finance-refresh-balances" => finance_refresh_balances),
    route!("GET" "/finance/insights/spending", Jwt, "insights-spending" => insights_spending),
    route!("GET" "/finance/insights/income", Jwt, "insights-income" => insights_income),
    route!("GET" "/finance/insights/salary", Jwt, "insights-salary" => insights_salary),
    route!("GET" "/finance/insights/balance-history", Jwt, "insights-balance-history" => insights_balance_history),
];

/// A route with the path parameters its pattern captured (percent-decoded).
pub struct Matched<'r> {
    pub route: &'r Route,
    pub path_parameters: Vec<(String, String)>,
}

/// The route serving `method` + `raw_path`, if any (no match, or another method, is 404 at
/// API Gateway: an HTTP API has no 405).
pub fn find<'r>(routes: &'r [Route], method: &str, raw_path: &str) -> Option<Matched<'r>> {
    routes
        .iter()
        .filter(|r| r.method == method)
        .find_map(|route| {
            capture(route.path, raw_path).map(|path_parameters| Matched {
                route,
                path_parameters,
            })
        })
}

fn capture(pattern: &str, raw_path: &str) -> Option<Vec<(String, String)>> {
    let mut wanted = pattern.split('/');
    let mut given = raw_path.split('/');
    let mut params = Vec::new();
    loop {
        match (wanted.next(), given.next()) {
            (None, None) => return Some(params),
            (Some(w), Some(g)) => {
                if let Some(name) = w.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
                    if g.is_empty() {
                        return None;
                    }
                    params.push((name.to_string(), percent_decode(g)));
                } else if w != g {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_by_method_and_segments() {
        let m = find(ROUTES, "GET", "/finance/connections").unwrap();
        assert_eq!(m.route.function, "finance-connections");
        assert!(m.path_parameters.is_empty());

        let m = find(ROUTES, "DELETE", "/finance/connections/abc-123").unwrap();
        assert_eq!(m.route.function, "finance-connection-delete");
        assert_eq!(m.route.route_key(), "DELETE /finance/connections/{id}");
        assert_eq!(m.path_parameters, vec![("id".into(), "abc-123".into())]);

        let m = find(ROUTES, "DELETE", "/finance/connections/a%20b").unwrap();
        assert_eq!(m.path_parameters, vec![("id".into(), "a b".into())]);
    }

    #[test]
    fn near_misses_do_not_match() {
        for (method, path) in [
            ("POST", "/finance/connections"),
            ("GET", "/finance/connections/"),
            ("DELETE", "/finance/connections/"),
            ("DELETE", "/finance/connections/a/b"),
            ("GET", "/Finance/connections"),
            ("GET", "/tarabut/callback/"),
            ("HEAD", "/tarabut/callback"),
            ("GET", "/"),
        ] {
            assert!(find(ROUTES, method, path).is_none(), "{method} {path}");
        }
    }

    #[test]
    fn the_table_covers_each_function_once_and_only_the_callback_is_public() {
        let mut functions: Vec<_> = ROUTES.iter().map(|r| r.function).collect();
        functions.sort_unstable();
        functions.dedup();
        assert_eq!(functions.len(), ROUTES.len());
        for r in ROUTES {
            let public = r.access == Access::Public;
            assert_eq!(public, r.function == "tarabut-callback", "{}", r.function);
        }
    }
}
