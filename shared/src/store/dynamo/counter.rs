//! Counts the HTTP requests the SDK sends, to prove which paths make none, and the token reads
//! made without `ConsistentRead` (the token protocol needs every one consistent).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_dynamodb::config::interceptors::{
    BeforeSerializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::get_item::GetItemInput;
use aws_sdk_dynamodb::types::AttributeValue;

#[derive(Clone, Debug, Default)]
pub struct RequestCounter {
    requests: Arc<AtomicU64>,
    token_reads: Arc<AtomicU64>,
    inconsistent_token_reads: Arc<AtomicU64>,
}

impl RequestCounter {
    /// HTTP requests sent (retries included).
    pub fn get(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// GetItem calls on a token item (`sk = TOKEN#…`), and how many were not consistent.
    pub fn token_reads(&self) -> (u64, u64) {
        (
            self.token_reads.load(Ordering::Relaxed),
            self.inconsistent_token_reads.load(Ordering::Relaxed),
        )
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        if let Some(get) = context.input().downcast_ref::<GetItemInput>()
            && get
                .key()
                .and_then(|k| k.get("sk"))
                .is_some_and(|sk| matches!(sk, AttributeValue::S(s) if s.starts_with("TOKEN#")))
        {
            self.token_reads.fetch_add(1, Ordering::Relaxed);
            if get.consistent_read() != Some(true) {
                self.inconsistent_token_reads
                    .fetch_add(1, Ordering::Relaxed);
            }
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}
