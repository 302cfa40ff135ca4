//! Endpoints: the stored `Endpoint` with its secret generations and extra headers, and the
//! admin API's `EndpointIn`, `EndpointPatch` and `EndpointOut`.

use super::{now, Counters};
use crate::ids::{EndpointId, TenantId};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Duration;

/// Extra HTTP headers an endpoint sends with every request, by lower-case name.
pub type Headers = BTreeMap<String, String>;

/// A receiver registered by an admin of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub id: EndpointId,
    pub tenant: TenantId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    /// Sent with every request to this endpoint (e.g. a receiver's own API key).
    pub headers: Headers,
    /// A CEL expression over `event_type` and `event_data`: only matching events are sent
    /// ([`crate::filter`]); `None` sends every event of the subscribed types.
    pub filter: Option<String>,
    /// Why the service disabled the endpoint by itself (`None` when an admin did, or when enabled).
    pub disabled_reason: Option<String>,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Read-only: maintained by the delivery log, ignored on writes.
    pub counters: Counters,
    /// Read-only: start of the current run of failed attempts with no success, maintained
    /// by the delivery log; cleared when an admin re-enables the endpoint.
    pub failing_since: Option<DateTime<Utc>>,
    /// The `failing_since` of the last run of failures announced by
    /// `WEBHOOK_ENDPOINT_FAILING`: at most one announcement per run. Written by delivery.
    pub failing_announced: Option<DateTime<Utc>>,
    /// Which generations of its signing secret the endpoint signs with.
    pub secrets: SecretGenerations,
}

/// The generations of an endpoint's signing secret in use: the current one, and the one a
/// rotation replaced while its grace period lasts. The secrets themselves are in the
/// `SecretStore`; keeping their generations here means every delivery, which reads the
/// endpoint anyway, sees a rotation at once, with no secret read of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretGenerations {
    pub current: u32,
    /// The replaced generation and the end of its grace period.
    pub previous: Option<(u32, DateTime<Utc>)>,
}

impl Default for SecretGenerations {
    fn default() -> Self {
        Self {
            current: 1,
            previous: None,
        }
    }
}

impl SecretGenerations {
    /// After a rotation: a new current generation; the old one signs until `grace_until`.
    pub fn rotated(self, grace_until: DateTime<Utc>) -> Self {
        Self {
            current: self.current + 1,
            previous: Some((self.current, grace_until)),
        }
    }

    /// The generations that sign at `now`: current first, then the previous one if its grace
    /// period is still running.
    pub fn signing(self, now: DateTime<Utc>) -> Vec<u32> {
        let mut g = vec![self.current];
        g.extend(
            self.previous
                .filter(|(_, until)| *until > now)
                .map(|(p, _)| p),
        );
        g
    }
}

impl Endpoint {
    /// A new, never-updated endpoint (version 1, zero counters) with a fresh id.
    pub fn new(
        tenant: TenantId,
        url: String,
        description: String,
        event_types: Vec<String>,
        enabled: bool,
    ) -> Self {
        let at = now();
        Self {
            id: EndpointId::generate(),
            tenant,
            url,
            description,
            event_types,
            enabled,
            headers: Headers::new(),
            filter: None,
            disabled_reason: None,
            version: 1,
            created_at: at,
            updated_at: at,
            counters: Counters::default(),
            failing_since: None,
            failing_announced: None,
            secrets: SecretGenerations::default(),
        }
    }
}

/// Body of `POST /v1/endpoints`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointIn {
    pub url: String,
    #[serde(default)]
    pub description: String,
    pub event_types: Vec<String>,
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Extra headers sent with every request (at most 10; names are case-insensitive;
    /// signature, `host`, `content-*` and hop-by-hop headers are reserved).
    #[serde(default)]
    pub headers: Headers,
    /// Only events for which this CEL expression is true are sent (at most 1,000
    /// characters; it sees `event_type` and `event_data`).
    #[cfg_attr(feature = "openapi", schema(max_length = 1000, example = json!("event_data.agency_id in [\"AG-75\", \"AG-69\"] && double(event_data.amount_excl_tax) >= 1000.0")))]
    #[serde(default)]
    pub filter: Option<String>,
}

fn yes() -> bool {
    true
}

/// Body of `PATCH /v1/endpoints/{id}`: every field optional, absent means unchanged.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    pub url: Option<String>,
    pub description: Option<String>,
    pub event_types: Option<Vec<String>>,
    pub enabled: Option<bool>,
    /// Replaces the whole set of extra headers (`{}` removes them all).
    pub headers: Option<Headers>,
    /// Replaces the filter; `null` removes it (every event of the types is sent again).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, max_length = 1000))]
    #[serde(default, deserialize_with = "present")]
    pub filter: Option<Option<String>>,
}

/// A field that is present, even as `null` (`Some(None)`), as opposed to absent (`None`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// An endpoint as the admin API returns it. `secret` is set only in the creation response.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EndpointOut {
    pub id: EndpointId,
    pub url: String,
    pub description: String,
    pub event_types: Vec<String>,
    pub enabled: bool,
    #[serde(default)]
    pub headers: Headers,
    #[serde(default)]
    pub filter: Option<String>,
    /// Set when the service disabled the endpoint itself (e.g. failing for days).
    #[serde(default)]
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub counters: Counters,
    #[serde(default)]
    pub failing_since: Option<DateTime<Utc>>,
    /// Every attempt has failed for the failing window (default 1 hour) and nothing has
    /// succeeded since: the early warning before automatic disabling.
    #[serde(default)]
    pub failing: bool,
    /// When the endpoint will be disabled automatically if nothing succeeds until then.
    #[serde(default)]
    pub disable_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub secret: Option<String>,
}

impl EndpointOut {
    /// The endpoint as admins see it at `now`: failing once its run of failures is
    /// `failing_after` long, disabled automatically `disable_after` after the run began.
    pub fn at(
        e: Endpoint,
        now: DateTime<Utc>,
        failing_after: Duration,
        disable_after: Duration,
    ) -> Self {
        let since = e.failing_since.filter(|_| e.enabled);
        let after = |d: Duration| TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX);
        Self {
            failing: since.is_some_and(|s| now - s >= after(failing_after)),
            disable_at: since.map(|s| s + after(disable_after)),
            ..Self::from(e)
        }
    }
}

impl From<Endpoint> for EndpointOut {
    fn from(e: Endpoint) -> Self {
        Self {
            id: e.id,
            url: e.url,
            description: e.description,
            event_types: e.event_types,
            enabled: e.enabled,
            headers: e.headers,
            filter: e.filter,
            disabled_reason: e.disabled_reason,
            created_at: e.created_at,
            updated_at: e.updated_at,
            counters: e.counters,
            failing_since: e.failing_since,
            failing: false,
            disable_at: None,
            secret: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotations_move_the_generations_and_the_grace_ends() {
        let t = |s: i64| DateTime::from_timestamp(s, 0).unwrap();
        let g = SecretGenerations::default();
        assert_eq!(g.signing(t(0)), vec![1]);
        let r = g.rotated(t(100));
        assert_eq!(r.signing(t(99)), vec![2, 1]);
        assert_eq!(r.signing(t(100)), vec![2], "the grace ends at its instant");
        let again = r.rotated(t(200));
        assert_eq!(
            again.signing(t(150)),
            vec![3, 2],
            "only one previous generation signs"
        );
    }

    #[test]
    fn an_endpoint_is_failing_after_the_window_and_says_when_it_will_be_disabled() {
        let t = |h: i64| DateTime::from_timestamp(h * 3600, 0).unwrap();
        let (hour, days5) = (Duration::from_secs(3600), Duration::from_secs(5 * 86_400));
        // (failing since, enabled, now) → (failing, disable at)
        let table = [
            (None, true, t(10), (false, None)),
            (Some(t(10)), true, t(10), (false, Some(t(130)))),
            (Some(t(10)), true, t(11), (true, Some(t(130)))),
            (Some(t(10)), true, t(100), (true, Some(t(130)))),
            (Some(t(10)), false, t(100), (false, None)),
        ];
        for (since, enabled, now, want) in table {
            let e = Endpoint {
                failing_since: since,
                ..Endpoint::new(
                    TenantId::parse("A").unwrap(),
                    "https://x".into(),
                    String::new(),
                    vec![],
                    enabled,
                )
            };
            let out = EndpointOut::at(e, now, hour, days5);
            assert_eq!(
                (out.failing, out.disable_at),
                want,
                "{since:?} {enabled} {now}"
            );
        }
    }

    #[test]
    fn endpoint_in_rejects_unknown_fields() {
        let e = serde_json::from_str::<EndpointIn>(
            r#"{"url":"https://x","event_types":[],"event_type":"A"}"#,
        );
        assert!(e.is_err());
    }
}
