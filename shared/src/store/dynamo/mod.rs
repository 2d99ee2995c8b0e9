//! The table on DynamoDB (aws-sdk-dynamodb).

mod convert;
mod counter;
mod setup;

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{DeleteRequest, PutRequest, WriteRequest};

use super::expr::{Cond, Update};
use super::item::{Item, Key};
use super::{Page, Query, SortKey, StoreError, Table, Write, check_distinct_keys, page_limit};
use convert::{Expr, from_attributes, key_attributes, to_attributes};
pub use counter::RequestCounter;
pub use setup::create_table;

/// BatchWriteItem takes at most 25 writes per request.
const BATCH_SIZE: usize = 25;
/// Rounds of retrying what DynamoDB left unprocessed before giving up.
const UNPROCESSED_ROUNDS: u32 = 8;

#[derive(Clone, Debug)]
pub struct DynamoTable {
    client: Client,
    table: String,
    requests: RequestCounter,
}

impl DynamoTable {
    /// A table over a client configured from the environment (region, credentials,
    /// `AWS_ENDPOINT_URL_DYNAMODB`), with a counter of the requests it sends.
    pub async fn from_env(table: impl Into<String>) -> DynamoTable {
        let sdk = aws_config::load_from_env().await;
        DynamoTable::from_sdk_config(&sdk, table)
    }

    pub fn from_sdk_config(sdk: &aws_config::SdkConfig, table: impl Into<String>) -> DynamoTable {
        let requests = RequestCounter::default();
        let conf = aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(requests.clone())
            .build();
        DynamoTable {
            client: Client::from_conf(conf),
            table: table.into(),
            requests,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The same table seen through one more SDK interceptor: a test's way to make DynamoDB's
    /// answers what real DynamoDB sometimes sends and dynalite never does.
    #[cfg(any(test, feature = "testkit"))]
    pub fn with_interceptor(
        &self,
        interceptor: impl aws_sdk_dynamodb::config::Intercept + 'static,
    ) -> DynamoTable {
        let conf = self
            .client
            .config()
            .to_builder()
            .interceptor(interceptor)
            .build();
        DynamoTable {
            client: Client::from_conf(conf),
            table: self.table.clone(),
            requests: self.requests.clone(),
        }
    }

    pub fn table_name(&self) -> &str {
        &self.table
    }

    /// Requests sent to DynamoDB so far (every attempt, retries included).
    pub fn requests(&self) -> &RequestCounter {
        &self.requests
    }

    /// Every item, by Scan: for tests comparing a whole table, never on a request path.
    #[cfg(any(test, feature = "testkit"))]
    pub async fn scan_all(&self) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(backend)?;
            for raw in out.items.unwrap_or_default() {
                items.push(from_attributes(raw)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// A Query request for `query`'s partition, sort-key condition, order and consistency;
    /// the caller adds the start key and the limit.
    fn query_request(
        &self,
        query: &Query,
    ) -> Result<aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder, StoreError> {
        let (pk_attr, sk_attr) = match query.index {
            None => ("pk", "sk"),
            Some(super::GSI1) if query.start_after.is_none() => ("gsi1pk", "gsi1sk"),
            Some(super::GSI1) => {
                return Err(StoreError::Invalid(
                    "a start key applies to the base table".into(),
                ));
            }
            Some(other) => return Err(StoreError::Invalid(format!("no index {other}"))),
        };
        let mut expr = Expr::default();
        let pk = expr.name(pk_attr);
        let pk_value = expr.value(&super::Value::S(query.partition.clone()));
        let mut key_condition = format!("{pk} = {pk_value}");
        match &query.sort {
            SortKey::All => {}
            SortKey::BeginsWith(prefix) => {
                let sk = expr.name(sk_attr);
                let v = expr.value(&super::Value::S(prefix.clone()));
                key_condition.push_str(&format!(" AND begins_with({sk}, {v})"));
            }
            SortKey::Between(lo, hi) => {
                let sk = expr.name(sk_attr);
                let lo = expr.value(&super::Value::S(lo.clone()));
                let hi = expr.value(&super::Value::S(hi.clone()));
                key_condition.push_str(&format!(" AND {sk} BETWEEN {lo} AND {hi}"));
            }
            SortKey::LessOrEqual(hi) => {
                let sk = expr.name(sk_attr);
                let hi = expr.value(&super::Value::S(hi.clone()));
                key_condition.push_str(&format!(" AND {sk} <= {hi}"));
            }
        }
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression(key_condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .scan_index_forward(query.ascending);
        Ok(match query.index {
            Some(index) => request.index_name(index),
            None => request.consistent_read(query.consistent),
        })
    }
}

fn backend<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    StoreError::Backend(DisplayErrorContext(&e).to_string())
}

/// `ConditionalCheckFailedException` by its typed variant (never by message text).
fn conditional<E, R>(e: SdkError<E, R>, failed: impl Fn(&E) -> bool) -> StoreError
where
    E: std::error::Error + ProvideErrorMetadata + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match e.as_service_error() {
        Some(service) if failed(service) => StoreError::ConditionFailed,
        _ => backend(e),
    }
}

fn write_request(write: &Write) -> Result<WriteRequest, StoreError> {
    let invalid = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
    Ok(match write {
        Write::Put(item) => WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(to_attributes(item)))
                    .build()
                    .map_err(invalid)?,
            )
            .build(),
        Write::Delete(key) => WriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .set_key(Some(key_attributes(key)))
                    .build()
                    .map_err(invalid)?,
            )
            .build(),
    })
}

#[async_trait]
impl Table for DynamoTable {
    async fn get(&self, key: &Key, consistent: bool) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(backend)?;
        out.item.map(from_attributes).transpose()
    }

    async fn put(&self, item: Item, cond: Option<&Cond>) -> Result<(), StoreError> {
        let mut expr = Expr::default();
        let condition = cond.map(|c| expr.condition(c));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_attributes(&item)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(|e| conditional(e, |s| s.is_conditional_check_failed_exception()))?;
        Ok(())
    }

    async fn update(
        &self,
        key: &Key,
        updates: &[Update],
        cond: Option<&Cond>,
    ) -> Result<(), StoreError> {
        if updates
            .iter()
            .any(|u| u.target() == "pk" || u.target() == "sk")
        {
            return Err(StoreError::Invalid(
                "an update cannot change the key".into(),
            ));
        }
        let mut expr = Expr::default();
        // With no actions the request carries no update expression: DynamoDB then only
        // checks the condition and creates the item if it is missing, like the memory table.
        let update = (!updates.is_empty()).then(|| expr.update(updates));
        let condition = cond.map(|c| expr.condition(c));
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .set_update_expression(update)
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(|e| conditional(e, |s| s.is_conditional_check_failed_exception()))?;
        Ok(())
    }

    async fn delete(&self, key: &Key, cond: Option<&Cond>) -> Result<(), StoreError> {
        let mut expr = Expr::default();
        let condition = cond.map(|c| expr.condition(c));
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key_attributes(key)))
            .set_condition_expression(condition)
            .set_expression_attribute_names(expr.names())
            .set_expression_attribute_values(expr.values())
            .send()
            .await
            .map_err(|e| conditional(e, |s| s.is_conditional_check_failed_exception()))?;
        Ok(())
    }

    async fn query(&self, query: &Query) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = query.start_after.as_ref().map(key_attributes);
        let limit = query.limit.unwrap_or(usize::MAX);
        loop {
            let wanted = (limit - items.len()).min(1_000) as i32;
            let out = self
                .query_request(query)?
                .set_exclusive_start_key(start.take())
                .limit(wanted)
                .send()
                .await
                .map_err(backend)?;
            for raw in out.items.unwrap_or_default() {
                items.push(from_attributes(raw)?);
            }
            match out.last_evaluated_key {
                Some(next) if items.len() < limit && !next.is_empty() => start = Some(next),
                _ => return Ok(items),
            }
        }
    }

    async fn query_page(&self, query: &Query) -> Result<Page, StoreError> {
        let limit = page_limit(query)?;
        let out = self
            .query_request(query)?
            .set_exclusive_start_key(query.start_after.as_ref().map(key_attributes))
            .limit(limit as i32)
            .send()
            .await
            .map_err(backend)?;
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_attributes)
            .collect::<Result<Vec<_>, _>>()?;
        let last_key = match out.last_evaluated_key {
            Some(raw) if !raw.is_empty() => Some(Key::of(&from_attributes(raw)?)?),
            _ => None,
        };
        Ok(Page { items, last_key })
    }

    async fn batch_write(&self, writes: Vec<Write>) -> Result<(), StoreError> {
        check_distinct_keys(&writes)?;
        for chunk in writes.chunks(BATCH_SIZE) {
            let mut pending = chunk
                .iter()
                .map(write_request)
                .collect::<Result<Vec<_>, _>>()?;
            let mut round = 0;
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(backend)?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                round += 1;
                if round > UNPROCESSED_ROUNDS {
                    return Err(StoreError::Backend(format!(
                        "{} writes still unprocessed after {UNPROCESSED_ROUNDS} retries",
                        pending.len()
                    )));
                }
                // Unprocessed items mean throttling: back off with full jitter.
                let cap = Duration::from_millis(25 << round.min(8));
                tokio::time::sleep(cap.mul_f64(fastrand::f64())).await;
            }
        }
        Ok(())
    }
}
