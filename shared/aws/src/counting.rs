//! `RequestCounter`: an SDK interceptor counting the AWS API calls actually sent, by
//! `Service.Operation` (retries included), and the DynamoDB read units they cost, from the
//! sizes of the items they returned, for the cost benchmark (P4) and tests.

use crate::attrs::{item_size, read_units};
use aws_sdk_dynamodb::operation::batch_get_item::{BatchGetItemInput, BatchGetItemOutput};
use aws_sdk_dynamodb::operation::get_item::{GetItemInput, GetItemOutput};
use aws_sdk_dynamodb::operation::query::{QueryInput, QueryOutput};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::{ConfigBag, Storable, StoreReplace};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Shared counts; clone it into every client to be counted.
#[derive(Debug, Clone, Default)]
pub struct RequestCounter {
    calls: Arc<Mutex<BTreeMap<String, u64>>>,
    read_units: Arc<Mutex<f64>>,
}

/// Whether the read being made is strongly consistent (kept between hooks of one call).
#[derive(Debug, Clone)]
struct Consistent(bool);

impl Storable for Consistent {
    type Storer = StoreReplace<Self>;
}

impl RequestCounter {
    /// Calls so far, by `Service.Operation`.
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// DynamoDB read units so far: `GetItem` per item (a missing one still costs a unit),
    /// `BatchGetItem` per item returned (missing keys are not seen here), `Query` per page of items returned, each rounded
    /// up to 4 KB and halved when eventually consistent. A query's filtered-out items are
    /// billed too but not seen here: the benchmark's queries filter nothing out.
    pub fn read_units(&self) -> f64 {
        *self.read_units.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn reset(&self) {
        self.calls.lock().unwrap_or_else(|p| p.into_inner()).clear();
        *self.read_units.lock().unwrap_or_else(|p| p.into_inner()) = 0.0;
    }

    fn add_read(&self, units: f64) {
        *self.read_units.lock().unwrap_or_else(|p| p.into_inner()) += units;
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input();
        let consistent = if let Some(i) = input.downcast_ref::<GetItemInput>() {
            i.consistent_read
        } else if let Some(q) = input.downcast_ref::<QueryInput>() {
            q.consistent_read
        } else if let Some(b) = input.downcast_ref::<BatchGetItemInput>() {
            (b.request_items.as_ref())
                .and_then(|r| r.values().next())
                .and_then(|k| k.consistent_read)
        } else {
            return Ok(());
        };
        cfg.interceptor_state()
            .store_put(Consistent(consistent.unwrap_or(false)));
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(Consistent(consistent)) = cfg.load::<Consistent>().cloned() else {
            return Ok(());
        };
        let Ok(out) = context.output_or_error() else {
            return Ok(());
        };
        if let Some(o) = out.downcast_ref::<GetItemOutput>() {
            self.add_read(read_units(o.item.as_ref().map_or(0, item_size), consistent));
        } else if let Some(o) = out.downcast_ref::<QueryOutput>() {
            self.add_read(read_units(
                o.items().iter().map(item_size).sum(),
                consistent,
            ));
        } else if let Some(o) = out.downcast_ref::<BatchGetItemOutput>() {
            let items = o.responses.iter().flat_map(|r| r.values()).flatten();
            self.add_read(items.map(|i| read_units(item_size(i), consistent)).sum());
        }
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg.load::<Metadata>().map_or_else(
            || "unknown".to_owned(),
            |m| format!("{}.{}", m.service(), m.name()),
        );
        *self
            .calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(op)
            .or_default() += 1;
        Ok(())
    }
}
