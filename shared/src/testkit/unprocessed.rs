//! DynamoDB under write throttling answers a BatchWriteItem with `UnprocessedItems`: some or
//! all of the request's writes were not applied and must be sent again. dynalite never does, so
//! this interceptor makes its answers say so: for the next `rounds` BatchWriteItem calls, the
//! answer lists every write of the request as unprocessed (the writes themselves did land;
//! sending a put or delete again is harmless, as it is on DynamoDB).

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeDeserializationInterceptorContextMut, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Default)]
pub struct UnprocessedWrites {
    rounds: AtomicU32,
    /// The body of the BatchWriteItem request in flight (the test's calls are sequential).
    request: Mutex<Option<Vec<u8>>>,
}

impl UnprocessedWrites {
    /// The next `rounds` BatchWriteItem answers leave every write unprocessed.
    pub fn new(rounds: u32) -> UnprocessedWrites {
        UnprocessedWrites {
            rounds: AtomicU32::new(rounds),
            request: Mutex::new(None),
        }
    }
}

fn is_batch_write(request: &aws_sdk_dynamodb::config::http::HttpRequest) -> bool {
    request
        .headers()
        .get("x-amz-target")
        .is_some_and(|t| t.ends_with(".BatchWriteItem"))
}

impl Intercept for UnprocessedWrites {
    fn name(&self) -> &'static str {
        "UnprocessedWrites"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let request = context.request();
        let body = is_batch_write(request)
            .then(|| request.body().bytes().map(<[u8]>::to_vec))
            .flatten();
        *self.request.lock().unwrap_or_else(|p| p.into_inner()) = body;
        Ok(())
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(body) = self
            .request
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        else {
            return Ok(());
        };
        if !context.response().status().is_success()
            || self
                .rounds
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_err()
        {
            return Ok(());
        }
        let sent: serde_json::Value = serde_json::from_slice(&body)?;
        let answer = serde_json::json!({ "UnprocessedItems": sent["RequestItems"] });
        let response = context.response_mut();
        response.headers_mut().remove("x-amz-crc32");
        response.headers_mut().remove("content-length");
        *response.body_mut() = answer.to_string().into();
        Ok(())
    }
}
