//! `EndpointStore` on DynamoDB: one item per endpoint under its tenant's partition
//! (`T#<tenant>` / `EP#<id>`). Its counters and `failing_since` are written by the
//! counters aggregator (`crate::counters`), never by the delivery path.

use crate::attrs::*;
use crate::error::sdk;
use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use webhooks_core::model::{Counters, Endpoint, Headers, SecretGenerations};
use webhooks_core::ports::{EndpointStore, StoreResult};
use webhooks_core::{EndpointId, TenantId};

pub struct DynamoDbEndpointStore {
    table: Arc<Table>,
}

impl DynamoDbEndpointStore {
    pub(crate) fn new(table: Arc<Table>) -> Self {
        Self { table }
    }

    /// All endpoints of the tenant's partition, or only those taking `event_type`;
    /// follows the pages.
    async fn query_tenant(
        &self,
        tenant: &TenantId,
        event_type: Option<&str>,
    ) -> StoreResult<Vec<Endpoint>> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let mut q = self
                .table
                .client
                .query()
                .table_name(&self.table.name)
                .key_condition_expression("pk = :pk AND begins_with(sk, :ep)")
                .expression_attribute_values(":pk", s(tenant_pk(tenant)))
                .expression_attribute_values(":ep", s("EP#"))
                // The fan-out reads eventually consistent (half the read units): an endpoint
                // created within about a second may miss an event. Admin lists read
                // consistently.
                .consistent_read(event_type.is_none())
                .set_exclusive_start_key(start);
            if let Some(t) = event_type {
                q = q
                    .filter_expression("contains(event_types, :t)")
                    .expression_attribute_values(":t", s(t));
            }
            let page = q.send().await.map_err(sdk)?;
            for item in page.items() {
                let e = from_item(item)?;
                // `contains` on a list compares whole elements; checked again to be exact.
                if event_type.is_none_or(|t| e.event_types.iter().any(|x| x == t)) {
                    out.push(e);
                }
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(out);
            }
        }
    }
}

fn types_attr(types: &[String]) -> AttributeValue {
    AttributeValue::L(types.iter().cloned().map(AttributeValue::S).collect())
}

fn headers_attr(headers: &Headers) -> AttributeValue {
    AttributeValue::M(
        headers
            .iter()
            .map(|(k, v)| (k.clone(), AttributeValue::S(v.clone())))
            .collect(),
    )
}

pub(crate) fn from_item(item: &Item) -> StoreResult<Endpoint> {
    let types = item
        .get("event_types")
        .and_then(|v| v.as_l().ok())
        .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
        .unwrap_or_default();
    // Endpoints written before headers existed have no attribute: none.
    let headers = item
        .get("headers")
        .and_then(|v| v.as_m().ok())
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_s().ok()?.clone())))
                .collect()
        })
        .unwrap_or_default();
    Ok(Endpoint {
        id: parsed(EndpointId::parse(get_s(item, "id")?))?,
        tenant: parsed(TenantId::parse(get_s(item, "tenant")?))?,
        url: get_s(item, "url")?.to_owned(),
        description: opt_s(item, "description").unwrap_or_default(),
        event_types: types,
        headers,
        enabled: get_bool(item, "enabled")?,
        disabled_reason: opt_s(item, "disabled_reason"),
        version: get_n(item, "version")?,
        created_at: get_time(item, "created_at")?,
        updated_at: get_time(item, "updated_at")?,
        counters: Counters {
            delivered: opt_n(item, "delivered").unwrap_or(0),
            failed_attempts: opt_n(item, "failed_attempts").unwrap_or(0),
            failed_messages: opt_n(item, "failed_messages").unwrap_or(0),
            in_flight: opt_n(item, "in_flight").unwrap_or(0),
        },
        failing_since: opt_time(item, "failing_since"),
        failing_announced: opt_time(item, "failing_announced"),
        filter: opt_s(item, "filter"),
        secrets: SecretGenerations {
            current: opt_n(item, "secret_gen").unwrap_or(1),
            previous: opt_n(item, "prev_gen").zip(opt_time(item, "prev_until")),
        },
    })
}

#[async_trait]
impl EndpointStore for DynamoDbEndpointStore {
    async fn create(&self, e: &Endpoint) -> StoreResult<()> {
        let mut item = key(tenant_pk(&e.tenant), endpoint_sk(&e.id));
        item.extend([
            ("id".to_owned(), s(e.id.as_str())),
            ("tenant".to_owned(), s(e.tenant.as_str())),
            ("url".to_owned(), s(&e.url)),
            ("description".to_owned(), s(&e.description)),
            ("event_types".to_owned(), types_attr(&e.event_types)),
            ("headers".to_owned(), headers_attr(&e.headers)),
            ("enabled".to_owned(), AttributeValue::Bool(e.enabled)),
            ("version".to_owned(), n(e.version)),
            ("created_at".to_owned(), ms(e.created_at)),
            ("updated_at".to_owned(), ms(e.updated_at)),
            ("secret_gen".to_owned(), n(e.secrets.current)),
        ]);
        if let Some(r) = &e.disabled_reason {
            item.insert("disabled_reason".into(), s(r));
        }
        if let Some(f) = &e.filter {
            item.insert("filter".into(), s(f));
        }
        if let Some((g, until)) = e.secrets.previous {
            item.insert("prev_gen".into(), n(g));
            item.insert("prev_until".into(), ms(until));
        }
        self.table
            .client
            .put_item()
            .table_name(&self.table.name)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn get(&self, tenant: &TenantId, id: &EndpointId) -> StoreResult<Option<Endpoint>> {
        let item = self
            .table
            .get(key(tenant_pk(tenant), endpoint_sk(id)))
            .await?;
        item.as_ref().map(from_item).transpose()
    }

    async fn list(&self, tenant: &TenantId) -> StoreResult<Vec<Endpoint>> {
        self.query_tenant(tenant, None).await
    }

    async fn update(&self, e: &Endpoint) -> StoreResult<()> {
        let mut req = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key(tenant_pk(&e.tenant), endpoint_sk(&e.id))))
            .condition_expression("attribute_exists(pk) AND version = :prev")
            .expression_attribute_names("#url", "url")
            .expression_attribute_values(":prev", n(e.version.saturating_sub(1)))
            .expression_attribute_values(":v", n(e.version))
            .expression_attribute_values(":url", s(&e.url))
            .expression_attribute_values(":d", s(&e.description))
            .expression_attribute_values(":t", types_attr(&e.event_types))
            .expression_attribute_values(":h", headers_attr(&e.headers))
            .expression_attribute_values(":en", AttributeValue::Bool(e.enabled))
            .expression_attribute_values(":u", ms(e.updated_at))
            .expression_attribute_values(":sg", n(e.secrets.current))
            .return_values(ReturnValue::UpdatedOld);
        let mut set = "SET #url = :url, description = :d, event_types = :t, headers = :h, enabled = :en, version = :v, updated_at = :u, secret_gen = :sg".to_owned();
        let mut remove = Vec::new();
        match &e.disabled_reason {
            Some(r) => {
                set.push_str(", disabled_reason = :r");
                req = req.expression_attribute_values(":r", s(r));
            }
            None => remove.push("disabled_reason"),
        }
        // `filter` is a reserved word in DynamoDB expressions.
        req = req.expression_attribute_names("#filter", "filter");
        match &e.filter {
            Some(f) => {
                set.push_str(", #filter = :f");
                req = req.expression_attribute_values(":f", s(f));
            }
            None => remove.push("#filter"),
        }
        match e.secrets.previous {
            Some((g, until)) => {
                set.push_str(", prev_gen = :pg, prev_until = :pu");
                req = req
                    .expression_attribute_values(":pg", n(g))
                    .expression_attribute_values(":pu", ms(until));
            }
            None => remove.extend(["prev_gen", "prev_until"]),
        }
        if !remove.is_empty() {
            set.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        req = req.update_expression(set);
        let old = req
            .send()
            .await
            .map_err(sdk)?
            .attributes
            .unwrap_or_default();
        // Re-enabling a disabled endpoint starts a new failure window. DynamoDB cannot
        // branch on the old value in one expression, so this is a second, conditional write.
        let was_enabled = old
            .get("enabled")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(true);
        if e.enabled && !was_enabled {
            self.table
                .client
                .update_item()
                .table_name(&self.table.name)
                .set_key(Some(key(tenant_pk(&e.tenant), endpoint_sk(&e.id))))
                .update_expression("REMOVE failing_since")
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(e.version))
                .send()
                .await
                .map_err(sdk)?;
        }
        Ok(())
    }

    async fn disable(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        version: u64,
        reason: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        // Only attributes the delivery function's IAM policy lets it write (template.yaml).
        self.table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key(tenant_pk(tenant), endpoint_sk(id))))
            .condition_expression("attribute_exists(pk) AND version = :prev")
            .update_expression(
                "SET enabled = :f, disabled_reason = :r, version = :v, updated_at = :u",
            )
            .expression_attribute_values(":prev", n(version.saturating_sub(1)))
            .expression_attribute_values(":v", n(version))
            .expression_attribute_values(":f", AttributeValue::Bool(false))
            .expression_attribute_values(":r", s(reason))
            .expression_attribute_values(":u", ms(at))
            .send()
            .await
            .map_err(sdk)?;
        Ok(())
    }

    async fn announce_failing(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
        since: DateTime<Utc>,
    ) -> StoreResult<bool> {
        // One attribute, and only pk and it in the condition: what the delivery function's
        // IAM policy allows (template.yaml).
        let out = self
            .table
            .client
            .update_item()
            .table_name(&self.table.name)
            .set_key(Some(key(tenant_pk(tenant), endpoint_sk(id))))
            .condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(failing_announced) OR failing_announced < :s)",
            )
            .update_expression("SET failing_announced = :s")
            .expression_attribute_values(":s", ms(since))
            .send()
            .await;
        applied(out.map_err(sdk))
    }

    async fn delete(&self, tenant: &TenantId, id: &EndpointId) -> StoreResult<bool> {
        let out = self
            .table
            .client
            .delete_item()
            .table_name(&self.table.name)
            .set_key(Some(key(tenant_pk(tenant), endpoint_sk(id))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(sdk)?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn subscribed(&self, tenant: &TenantId, event_type: &str) -> StoreResult<Vec<Endpoint>> {
        // A tenant has tens of endpoints: one query of its partition, filtered on the list
        // of types, is cheaper than keeping a second index in step.
        self.query_tenant(tenant, Some(event_type)).await
    }
}
