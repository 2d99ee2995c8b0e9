//! Which request this is: API Gateway's request id, Lambda's request id and the route, for
//! every log line of the request (a span) and for problem bodies (`instance`).

use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};

/// The ids of one request, as far as the event and the Lambda context carry them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestIds {
    /// `requestContext.requestId`: what API Gateway's access log and the audit trail show.
    pub apigw_request_id: Option<String>,
    /// The invocation's id (`lambda_runtime::Context`): what Lambda's REPORT line shows.
    pub lambda_request_id: Option<String>,
    /// `requestContext.routeKey`, e.g. `GET /finance/accounts`.
    pub route: Option<String>,
}

impl RequestIds {
    pub fn of(req: &Request) -> RequestIds {
        let (apigw_request_id, route) = match req.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => {
                (ctx.request_id.clone(), ctx.route_key.clone())
            }
            _ => (None, None),
        };
        let lambda_request_id = req
            .lambda_context_ref()
            .map(|c| c.request_id.clone())
            // `Context::default()` (a local call) has an empty id: no id.
            .filter(|id| !id.is_empty());
        RequestIds {
            apigw_request_id,
            lambda_request_id,
            route,
        }
    }

    /// The problem body's `instance`: the id a client can quote and we can find in both
    /// logs. API Gateway's when there is one (the client-facing id, also in the access log).
    pub fn instance(&self) -> Option<&str> {
        self.apigw_request_id
            .as_deref()
            .or(self.lambda_request_id.as_deref())
    }

    /// The span every log line of the request is written in. At ERROR level so that it is
    /// enabled whatever the configured level: an INFO span would vanish at
    /// `AWS_LAMBDA_LOG_LEVEL=WARN`, and with it the ids of the very lines worth reading.
    pub fn span(&self) -> tracing::Span {
        tracing::error_span!(
            "request",
            apigw_request_id = self.apigw_request_id.as_deref(),
            lambda_request_id = self.lambda_request_id.as_deref(),
            route = self.route.as_deref(),
        )
    }
}

#[cfg(test)]
mod tests {
    use lambda_http::Context;

    use super::*;
    use crate::testkit::Event;

    fn lambda_context(request_id: &str) -> Context {
        let mut context = Context::default();
        context.request_id = request_id.into();
        context
    }

    #[test]
    fn the_ids_come_from_the_event_and_the_lambda_context() {
        let event = Event::load("finance-accounts");
        let both = RequestIds::of(&event.request().with_lambda_context(lambda_context("l-1")));
        assert_eq!(
            both,
            RequestIds {
                apigw_request_id: Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef".into()),
                lambda_request_id: Some("l-1".into()),
                route: Some("GET /finance/accounts".into()),
            }
        );
        assert_eq!(
            both.instance(),
            Some("c6af9ac6-7b61-11e6-9a41-93e8deadbeef")
        );

        // A local call's default context has an empty id: that is no id.
        let local = RequestIds::of(&event.request().with_lambda_context(Context::default()));
        assert_eq!(local.lambda_request_id, None);
        assert_eq!(local.route.as_deref(), Some("GET /finance/accounts"));

        let bare = RequestIds::of(&Request::default().with_lambda_context(lambda_context("l-2")));
        assert_eq!(bare.apigw_request_id, None);
        assert_eq!(bare.route, None);
        assert_eq!(bare.instance(), Some("l-2"));
        assert_eq!(RequestIds::of(&Request::default()).instance(), None);
    }
}
