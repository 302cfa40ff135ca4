//! Admin use cases: endpoint management (secret shown once) and reads of the delivery log.
//! Replay, recovery and recount are in `recover.rs`, another `impl AdminService`.

use super::{Announcer, Stores};
use crate::catalog::{Catalog, EventType};
use crate::error::{CoreError, FieldError, StoreError};
use crate::filter::{FilterTrial, FilterVerdict};
use crate::ids::{EndpointId, MessageId, TenantId};
use crate::model::{
    now, Attempt, DeliveryKey, DeliveryStatus, Endpoint, EndpointIn, EndpointOut, EndpointPatch,
    HourBucket, LogEntry, Page,
};
use crate::operational::{self, DisabledReason};
use crate::ports::EventPublisher;
use crate::validation::{validate_endpoint_in, validate_endpoint_patch, UrlPolicy};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde::Serialize;
use std::sync::Arc;
use std::time::Duration;

/// How many times an update is retried when another writer changed the endpoint meanwhile.
const UPDATE_RETRIES: usize = 3;
pub const MAX_PAGE: usize = 100;
pub const MAX_STATS_HOURS: u32 = 24 * 7;

/// Settings of the admin service.
#[derive(Debug, Clone, Copy)]
pub struct AdminConfig {
    pub url_policy: UrlPolicy,
    /// How long the previous secret keeps signing after a rotation.
    pub rotation_grace: Duration,
    /// How long one recovery call may work before it returns what it did (`complete:
    /// false`): below the api function's timeout (25 s) and API Gateway's (30 s).
    pub recover_budget: Duration,
    /// An endpoint whose attempts have all failed this long is shown as failing.
    pub failing_after: Duration,
    /// The delivery service's automatic disabling window ([`super::DeliveryConfig`]), to
    /// show when it will happen.
    pub disable_after: Duration,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            url_policy: UrlPolicy {
                require_https: true,
                allow_private: false,
            },
            rotation_grace: Duration::from_secs(24 * 3600),
            recover_budget: Duration::from_secs(15),
            failing_after: super::DeliveryConfig::default().failing_after,
            disable_after: super::DeliveryConfig::default().disable_after,
        }
    }
}

/// A message's payload as the admin sees it.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize)]
pub struct MessageOut {
    pub id: MessageId,
    pub event_type: String,
    pub created_at: DateTime<Utc>,
    /// The exact JSON body sent to endpoints.
    pub payload: serde_json::Value,
}

/// Endpoint management and delivery-log reads for a tenant's admins.
#[derive(Clone)]
pub struct AdminService {
    pub(super) stores: Stores,
    catalog: Arc<Catalog>,
    pub(super) config: AdminConfig,
    events: Announcer,
}

pub(super) fn endpoint_id(raw: &str) -> Result<EndpointId, CoreError> {
    // A malformed id cannot name an existing endpoint.
    EndpointId::parse(raw).map_err(|_| CoreError::NotFound("endpoint"))
}

pub(super) fn message_id(raw: &str) -> Result<MessageId, CoreError> {
    MessageId::parse(raw).map_err(|_| CoreError::NotFound("message"))
}

impl AdminService {
    /// An endpoint as admins see it now.
    fn out(&self, e: Endpoint) -> EndpointOut {
        let c = &self.config;
        EndpointOut::at(e, now(), c.failing_after, c.disable_after)
    }

    /// The adapters, for the other admin reads (search.rs).
    pub(super) fn stores(&self) -> &Stores {
        &self.stores
    }

    pub fn new(stores: Stores, catalog: Arc<Catalog>, config: AdminConfig) -> Self {
        Self {
            stores,
            catalog,
            config,
            events: Announcer::default(),
        }
    }

    /// Announces endpoints disabled by an admin (`WEBHOOK_ENDPOINT_DISABLED`) through
    /// `events`; with `None`, nothing is announced.
    pub fn with_events(mut self, events: Option<Arc<dyn EventPublisher>>) -> Self {
        self.events = Announcer::new(events);
        self
    }

    /// Whether `trial`'s event would pass its filter at fan-out.
    pub fn evaluate_filter(&self, trial: FilterTrial) -> Result<FilterVerdict, CoreError> {
        trial.verdict(&self.catalog)
    }

    /// One type of the catalog, with its schema.
    pub fn event_type(&self, name: &str) -> Result<EventType, CoreError> {
        self.catalog
            .get(name)
            .cloned()
            .ok_or(CoreError::NotFound("event type"))
    }

    /// What endpoint URLs may point at here.
    pub fn url_policy(&self) -> UrlPolicy {
        self.config.url_policy
    }

    pub fn event_types(&self) -> Vec<EventType> {
        self.catalog.all().cloned().collect()
    }

    /// Creates an endpoint and its secret; the returned `secret` is the only time it is shown.
    pub async fn create_endpoint(
        &self,
        tenant: &TenantId,
        input: EndpointIn,
    ) -> Result<EndpointOut, CoreError> {
        let input = validate_endpoint_in(input, &self.catalog, self.config.url_policy)?;
        let endpoint = Endpoint {
            headers: input.headers,
            filter: input.filter,
            ..Endpoint::new(
                tenant.clone(),
                input.url,
                input.description,
                input.event_types,
                input.enabled,
            )
        };
        // Secret first: an endpoint must never exist without one.
        let secret = (self.stores.secrets)
            .issue(tenant, &endpoint.id, endpoint.secrets.current)
            .await?;
        if let Err(e) = self.stores.endpoints.create(&endpoint).await {
            if let Err(cleanup) = self.stores.secrets.delete(tenant, &endpoint.id).await {
                tracing::warn!(endpoint_id = %endpoint.id, error = %cleanup, "orphan secret left after failed create");
            }
            return Err(e.into());
        }
        tracing::info!(tenant = %tenant, endpoint_id = %endpoint.id, "endpoint created");
        let mut out = EndpointOut::from(endpoint);
        out.secret = Some(secret.expose().to_owned());
        Ok(out)
    }

    pub async fn list_endpoints(&self, tenant: &TenantId) -> Result<Vec<EndpointOut>, CoreError> {
        let list = self.stores.endpoints.list(tenant).await?;
        Ok(list.into_iter().map(|e| self.out(e)).collect())
    }

    pub(super) async fn load(
        &self,
        tenant: &TenantId,
        id: &EndpointId,
    ) -> Result<Endpoint, CoreError> {
        self.stores
            .endpoints
            .get(tenant, id)
            .await?
            .ok_or(CoreError::NotFound("endpoint"))
    }

    pub async fn get_endpoint(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<EndpointOut, CoreError> {
        Ok(self.out(self.load(tenant, &endpoint_id(id)?).await?))
    }

    /// Applies a patch with optimistic concurrency, retrying a few times on a lost race.
    pub async fn update_endpoint(
        &self,
        tenant: &TenantId,
        id: &str,
        patch: EndpointPatch,
    ) -> Result<EndpointOut, CoreError> {
        let id = endpoint_id(id)?;
        let patch = validate_endpoint_patch(patch, &self.catalog, self.config.url_policy)?;
        for _ in 0..UPDATE_RETRIES {
            let mut ep = self.load(tenant, &id).await?;
            let was_enabled = ep.enabled;
            if let Some(url) = &patch.url {
                ep.url.clone_from(url);
            }
            if let Some(d) = &patch.description {
                ep.description.clone_from(d);
            }
            if let Some(t) = &patch.event_types {
                ep.event_types.clone_from(t);
            }
            if let Some(h) = &patch.headers {
                ep.headers.clone_from(h);
            }
            if let Some(f) = &patch.filter {
                ep.filter.clone_from(f);
            }
            if let Some(e) = patch.enabled {
                if e && !ep.enabled {
                    // The store clears it on re-enabling too (see `EndpointStore::update`).
                    ep.failing_since = None;
                }
                ep.enabled = e;
                // Whoever sets the flag now owns it: the automatic reason no longer applies.
                ep.disabled_reason = None;
            }
            ep.version += 1;
            ep.updated_at = now();
            match self.stores.endpoints.update(&ep).await {
                Ok(()) => {
                    if was_enabled && !ep.enabled {
                        let reason = DisabledReason::Manual;
                        let event = operational::endpoint_disabled(&ep, ep.version, reason, None);
                        self.events.publish(event).await;
                    }
                    return Ok(self.out(ep));
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::Conflict)
    }

    /// Replaces the endpoint's secret. The new one is returned once; the old one keeps
    /// signing (alongside) for the configured grace period, so receivers can switch over.
    pub async fn rotate_secret(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<EndpointOut, CoreError> {
        let id = endpoint_id(id)?;
        let grace = TimeDelta::from_std(self.config.rotation_grace).unwrap_or(TimeDelta::MAX);
        // The new generation's secret first, then the endpoint moves to it (optimistic:
        // two rotations at once cannot both win).
        let mut endpoint = self.load(tenant, &id).await?;
        endpoint.secrets = endpoint.secrets.rotated(now() + grace);
        let secret = (self.stores.secrets)
            .issue(tenant, &id, endpoint.secrets.current)
            .await?;
        endpoint.version += 1;
        endpoint.updated_at = now();
        match self.stores.endpoints.update(&endpoint).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Err(CoreError::Conflict),
            Err(e) => return Err(e.into()),
        }
        tracing::info!(tenant = %tenant, endpoint_id = %id, "secret rotated");
        let mut out = EndpointOut::from(endpoint);
        out.secret = Some(secret.expose().to_owned());
        Ok(out)
    }

    /// Deletes the endpoint and its secret. Pending deliveries to it are dropped by the worker.
    pub async fn delete_endpoint(&self, tenant: &TenantId, id: &str) -> Result<(), CoreError> {
        let id = endpoint_id(id)?;
        if !self.stores.endpoints.delete(tenant, &id).await? {
            return Err(CoreError::NotFound("endpoint"));
        }
        self.stores.secrets.delete(tenant, &id).await?;
        tracing::info!(tenant = %tenant, endpoint_id = %id, "endpoint deleted");
        Ok(())
    }

    /// One page of an endpoint's delivery log, newest first.
    pub async fn list_messages(
        &self,
        tenant: &TenantId,
        id: &str,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: Option<usize>,
    ) -> Result<Page<LogEntry>, CoreError> {
        let id = endpoint_id(id)?;
        let status = status
            .filter(|s| !s.is_empty())
            .map(|s| {
                DeliveryStatus::parse(s).ok_or_else(|| {
                    CoreError::field(
                        "status",
                        "status.unknown",
                        "must be pending, delivered or failed",
                    )
                })
            })
            .transpose()?;
        let limit = limit.unwrap_or(20);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(FieldError::range("limit", 1, MAX_PAGE as u64).into());
        }
        self.load(tenant, &id).await?;
        (self
            .stores
            .log
            .list(tenant, &id, status, cursor, limit)
            .await)
            .map_err(cursor_error)
    }

    pub async fn list_attempts(
        &self,
        tenant: &TenantId,
        id: &str,
        msg: &str,
    ) -> Result<Vec<Attempt>, CoreError> {
        let (id, msg) = (endpoint_id(id)?, message_id(msg)?);
        let key = DeliveryKey::new(tenant, &id, &msg);
        // Past retention, the payload may be gone: nothing to send again.
        if self.stores.log.get(&key).await?.is_none()
            || self.stores.messages.get(tenant, &msg).await?.is_none()
        {
            return Err(CoreError::NotFound("message"));
        }
        Ok(self.stores.log.attempts(&key).await?)
    }

    /// Hourly delivered/failed attempt counts for the last `hours` hours, oldest first,
    /// with empty hours filled in so a chart can draw them directly.
    pub async fn stats(
        &self,
        tenant: &TenantId,
        id: &str,
        hours: Option<u32>,
    ) -> Result<Vec<HourBucket>, CoreError> {
        let id = endpoint_id(id)?;
        let hours = hours.unwrap_or(24);
        if !(1..=MAX_STATS_HOURS).contains(&hours) {
            return Err(FieldError::range("hours", 1, MAX_STATS_HOURS as u64).into());
        }
        self.load(tenant, &id).await?;
        let t = now();
        let this_hour = t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t);
        let since = this_hour - TimeDelta::hours(i64::from(hours) - 1);
        let found = self.stores.log.hourly_stats(tenant, &id, since).await?;
        Ok((0..i64::from(hours))
            .map(|h| {
                let hour = since + TimeDelta::hours(h);
                found
                    .iter()
                    .find(|b| b.hour == hour)
                    .copied()
                    .unwrap_or(HourBucket {
                        hour,
                        delivered: 0,
                        failed: 0,
                    })
            })
            .collect())
    }

    pub async fn get_message(&self, tenant: &TenantId, msg: &str) -> Result<MessageOut, CoreError> {
        let msg = message_id(msg)?;
        let m = self
            .stores
            .messages
            .get(tenant, &msg)
            .await?
            .ok_or(CoreError::NotFound("message"))?;
        let payload = serde_json::from_slice(&m.body).map_err(|e| {
            StoreError::backend(format!("stored body of {} is not JSON: {e}", m.id))
        })?;
        Ok(MessageOut {
            id: m.id,
            event_type: m.event_type,
            created_at: m.created_at,
            payload,
        })
    }
}

/// A store error as the caller sees it, a cursor it did not get from us being its mistake.
pub(super) fn cursor_error(e: StoreError) -> CoreError {
    match e {
        StoreError::InvalidCursor => CoreError::field(
            "cursor",
            "cursor.invalid",
            "is not a cursor returned by this listing",
        ),
        other => other.into(),
    }
}
