//! Endpoint counters, `failing_since` and hourly stats on DynamoDB, derived from the
//! table's stream (`NEW_AND_OLD_IMAGES`) by the counters function, off the delivery path.
//!
//! Each stream record of a log entry (`L#…` / `D#…`) says how the entry changed; the change
//! in counters is [`Counters::change`] and the change in the failure run is
//! [`FailingChange::fold`]. One batch makes one `UpdateItem` per endpoint and one per hour
//! bucket touched, whatever the number of deliveries in it.
//!
//! Exactly once: every item updated keeps `last_seq`, the highest stream sequence number
//! applied to it, and the update requires `last_seq` below the batch's lowest; when Lambda
//! retries a batch, the records already applied are recognised and left out. DynamoDB
//! streams order the records of one partition; should a busy endpoint's partition split,
//! records can reach an item out of order, and the guard then leaves them out: counters
//! may under-count, never double-count, and `DeliveryLog::recount` repairs them.
//!
//! Decoding the stream event Lambda passes is in `stream`.

use crate::attrs::*;
use crate::entries::{attempts_of, hour_of, status_of};
use crate::error::sdk;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::sync::Arc;
use webhooks_core::model::{Counters, FailingChange};
use webhooks_core::StoreError;

mod stream;

pub use stream::{item_from_json, padded_seq, records_from_event, StreamRecord};

/// The key of an endpoint item: (`T#<tenant>`, `EP#<id>`).
type EndpointKey = (String, String);

/// What one record did to one endpoint.
#[derive(Debug, Clone)]
struct Change {
    seq: String,
    counters: Counters,
    /// The attempts the write recorded: (succeeded, started at).
    attempts: Vec<(bool, DateTime<Utc>)>,
}

/// Applies stream records to the counters they change.
pub struct CounterAggregator {
    table: Arc<Table>,
}

/// How often a guarded update is tried again after its guard moved.
const GUARD_TRIES: usize = 4;
/// Endpoints of one batch updated at once.
const CONCURRENT_ENDPOINTS: usize = 16;

impl CounterAggregator {
    pub fn new(client: aws_sdk_dynamodb::Client, table: &str, retention_days: u32) -> Self {
        Self {
            table: Arc::new(Table::new(client, table, retention_days)),
        }
    }

    /// Applies a batch of records (in stream order). Safe to call again with the same
    /// records: nothing is counted twice. An `Err` leaves the batch to be retried.
    pub async fn apply(&self, records: &[StreamRecord]) -> Result<(), StoreError> {
        let mut by_endpoint: BTreeMap<EndpointKey, Vec<Change>> = BTreeMap::new();
        for r in records {
            match change_of(r) {
                Ok(Some((endpoint_key, change))) => {
                    by_endpoint.entry(endpoint_key).or_default().push(change)
                }
                Ok(None) => {}
                // An entry this code cannot read would block the whole shard if it failed
                // the batch: it is left out, loudly (a recount repairs its endpoint).
                Err(e) => {
                    tracing::error!(seq = %r.seq, error = %e, "stream record left out of the counters")
                }
            }
        }
        // Endpoints one after the other would make a wide batch slow: a few at a time.
        let work: Vec<_> = by_endpoint.iter().collect();
        for chunk in work.chunks(CONCURRENT_ENDPOINTS) {
            let done = futures::future::join_all(
                chunk
                    .iter()
                    .map(|((t, e), changes)| self.one_endpoint(t, e, changes)),
            )
            .await;
            done.into_iter().collect::<Result<Vec<()>, _>>()?;
        }
        Ok(())
    }

    /// The counters and hour buckets of one endpoint.
    async fn one_endpoint(
        &self,
        tenant_pk: &str,
        endpoint_sk: &str,
        changes: &[Change],
    ) -> Result<(), StoreError> {
        self.endpoint(tenant_pk, endpoint_sk, changes).await?;
        let log_pk = format!("L#{}#{}", &tenant_pk[2..], &endpoint_sk[3..]);
        let mut hours: Vec<DateTime<Utc>> = changes
            .iter()
            .flat_map(|c| c.attempts.iter().map(|(_, at)| hour_of(*at)))
            .collect();
        hours.sort();
        hours.dedup();
        for hour in hours {
            self.hour(&log_pk, hour, changes).await?;
        }
        Ok(())
    }

    async fn endpoint(&self, pk: &str, sk: &str, changes: &[Change]) -> Result<(), StoreError> {
        self.guarded(key(pk.to_owned(), sk), true, changes, |cs| {
            let c = cs
                .iter()
                .fold(Counters::default(), |acc, c| acc + c.counters);
            let failing = FailingChange::fold(cs.iter().flat_map(|c| c.attempts.iter().copied()));
            let mut u = Update::new(
                "ADD delivered :d, failed_attempts :fa, failed_messages :fm, in_flight :i",
            );
            u.value(":d", n(c.delivered))
                .value(":fa", n(c.failed_attempts))
                .value(":fm", n(c.failed_messages))
                .value(":i", n(c.in_flight));
            match failing {
                FailingChange::Unchanged => {}
                FailingChange::Clear => u.remove.push("failing_since".into()),
                FailingChange::StartUnlessRunning(at) => {
                    u.set
                        .push("failing_since = if_not_exists(failing_since, :f)".into());
                    u.value(":f", ms(at));
                }
                FailingChange::Restart(at) => {
                    u.set.push("failing_since = :f".into());
                    u.value(":f", ms(at));
                }
            }
            u
        })
        .await
    }

    async fn hour(
        &self,
        pk: &str,
        hour: DateTime<Utc>,
        changes: &[Change],
    ) -> Result<(), StoreError> {
        self.guarded(
            key(pk.to_owned(), hour_sk(hour.timestamp_millis())),
            false,
            changes,
            |cs| {
                let in_hour = || {
                    cs.iter()
                        .flat_map(|c| c.attempts.iter())
                        .filter(|(_, at)| hour_of(*at) == hour)
                };
                let ok = in_hour().filter(|(ok, _)| *ok).count();
                let failed = in_hour().count() - ok;
                let mut u = Update::new("ADD delivered :hd, failed :hf");
                u.set.push("hour_ms = :h".into());
                u.set
                    .push("expires_at = if_not_exists(expires_at, :ttl)".into());
                u.value(":hd", n(ok))
                    .value(":hf", n(failed))
                    .value(":h", ms(hour))
                    // Stats are kept as long as the log they summarise.
                    .value(":ttl", self.table.expires(hour));
                u
            },
        )
        .await
    }

    /// Applies `make(changes)` to the item at `k`, guarded by its `last_seq`; after a
    /// conflict, reads the guard and applies only the changes past it.
    async fn guarded(
        &self,
        k: Item,
        must_exist: bool,
        changes: &[Change],
        make: impl Fn(&[&Change]) -> Update,
    ) -> Result<(), StoreError> {
        let mut applied: Option<String> = None;
        for _ in 0..GUARD_TRIES {
            let todo: Vec<&Change> = changes
                .iter()
                .filter(|c| applied.as_ref().is_none_or(|a| c.seq > *a))
                .collect();
            let (Some(first), Some(last)) = (todo.first(), todo.last()) else {
                return Ok(());
            };
            let mut u = make(&todo);
            u.set.push("last_seq = :seq_last".into());
            u.value(":seq_last", s(last.seq.clone()));
            let guard = match &applied {
                None => {
                    u.value(":seq_first", s(first.seq.clone()));
                    "(attribute_not_exists(last_seq) OR last_seq < :seq_first)"
                }
                Some(a) => {
                    u.value(":seq_seen", s(a.clone()));
                    "last_seq = :seq_seen"
                }
            };
            let condition = if must_exist {
                format!("attribute_exists(pk) AND {guard}")
            } else {
                guard.to_owned()
            };
            let result = self
                .table
                .client
                .update_item()
                .table_name(&self.table.name)
                .set_key(Some(k.clone()))
                .update_expression(u.expression())
                .condition_expression(condition)
                .set_expression_attribute_values(Some(u.values))
                .send()
                .await
                .map_err(sdk);
            match result {
                Ok(_) => return Ok(()),
                Err(StoreError::Conflict) => {
                    // The guard as stored, expired or not.
                    match self.table.get_any(k.clone()).await? {
                        // The endpoint was deleted: its counters go with it.
                        None if must_exist => return Ok(()),
                        None => applied = None,
                        Some(item) => applied = opt_s(&item, "last_seq"),
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict)
    }
}

/// One update expression being built.
struct Update {
    add: String,
    set: Vec<String>,
    remove: Vec<String>,
    values: std::collections::HashMap<String, AttributeValue>,
}

impl Update {
    fn new(add: &str) -> Self {
        Self {
            add: add.to_owned(),
            set: Vec::new(),
            remove: Vec::new(),
            values: Default::default(),
        }
    }

    fn value(&mut self, name: &str, v: AttributeValue) -> &mut Self {
        self.values.insert(name.to_owned(), v);
        self
    }

    fn expression(&self) -> String {
        let mut e = self.add.clone();
        if !self.set.is_empty() {
            e.push_str(&format!(" SET {}", self.set.join(", ")));
        }
        if !self.remove.is_empty() {
            e.push_str(&format!(" REMOVE {}", self.remove.join(", ")));
        }
        e
    }
}

/// The endpoint key (`T#<tenant>`, `EP#<id>`) a record concerns and what it changed there;
/// `None` for items that are not log entries.
fn change_of(r: &StreamRecord) -> Result<Option<(EndpointKey, Change)>, StoreError> {
    let (Ok(pk), Ok(sk)) = (get_s(&r.keys, PK), get_s(&r.keys, SK)) else {
        return Ok(None);
    };
    let Some(rest) = pk.strip_prefix("L#") else {
        return Ok(None);
    };
    let Some((tenant, endpoint)) = rest.split_once('#') else {
        return Ok(None);
    };
    if !sk.starts_with("D#") || endpoint.contains('#') {
        return Ok(None);
    }
    let before = r.old.as_ref().map(status_of).transpose()?;
    let after = r.new.as_ref().map(status_of).transpose()?;
    let old_count = r
        .old
        .as_ref()
        .map_or(Ok(0), |i| get_n::<usize>(i, "attempt_count"))?;
    let attempts: Vec<(bool, DateTime<Utc>)> = match &r.new {
        Some(item) => attempts_of(item)?
            .into_iter()
            .skip(old_count)
            .map(|a| (a.succeeded(), a.started_at))
            .collect(),
        None => Vec::new(),
    };
    let counters = Counters::change(before, after, attempts.iter().map(|(ok, _)| *ok));
    Ok(Some((
        (format!("T#{tenant}"), format!("EP#{endpoint}")),
        Change {
            seq: r.seq.clone(),
            counters,
            attempts,
        },
    )))
}
