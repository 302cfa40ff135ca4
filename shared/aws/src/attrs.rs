//! The single DynamoDB table: key layout, attribute helpers and TTL. See docs/DYNAMODB.md.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) const PK: &str = "pk";
pub(crate) const SK: &str = "sk";
pub(crate) const GSI1: &str = "gsi1";
pub(crate) const GSI1_PK: &str = "gsi1pk";
pub(crate) const GSI1_SK: &str = "gsi1sk";
pub(crate) const TTL: &str = "expires_at";

/// The table and what every adapter on it needs.
pub(crate) struct Table {
    pub client: Client,
    pub name: String,
    retention_secs: i64,
}

impl Table {
    pub fn new(client: Client, name: &str, retention_days: u32) -> Self {
        Self {
            client,
            name: name.to_owned(),
            retention_secs: i64::from(retention_days) * 86_400,
        }
    }

    /// The item at `key`, read consistently (after a write, a read must see it).
    pub async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        self.get_with(key, true).await
    }

    /// The item at `key`, read consistently, even past its retention.
    pub async fn get_any(&self, key: Item) -> Result<Option<Item>, StoreError> {
        self.read_item(key, true).await
    }

    /// The item at `key`, unless past its retention; an eventually consistent read costs
    /// half.
    pub async fn get_with(&self, key: Item, consistent: bool) -> Result<Option<Item>, StoreError> {
        Ok(self.read_item(key, consistent).await?.filter(live))
    }

    async fn read_item(&self, key: Item, consistent: bool) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(crate::error::sdk)?;
        Ok(out.item)
    }

    /// The items at `keys` (at most 100), read in one `BatchGetItem`; keys DynamoDB leaves
    /// unprocessed under load are read again after a pause, up to 4 rounds, then the read
    /// answers `Throttled`. Missing items are simply absent from the answer.
    pub async fn batch_get(
        &self,
        keys: Vec<Item>,
        consistent: bool,
    ) -> Result<Vec<Item>, StoreError> {
        const ROUNDS: u32 = 4;
        let mut items = Vec::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(items);
        }
        let mut pending = KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(consistent)
            .build()
            .map_err(StoreError::backend)?;
        for round in 0..ROUNDS {
            let out = self
                .client
                .batch_get_item()
                .request_items(&self.name, pending)
                .send()
                .await
                .map_err(crate::error::sdk)?;
            items.extend(
                (out.responses.and_then(|mut r| r.remove(&self.name)))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(live),
            );
            match out
                .unprocessed_keys
                .and_then(|mut u| u.remove(&self.name))
                .filter(|k| !k.keys().is_empty())
            {
                None => return Ok(items),
                Some(_) if round + 1 == ROUNDS => break,
                Some(rest) => {
                    pending = rest;
                    tokio::time::sleep(std::time::Duration::from_millis(20 << round)).await;
                }
            }
        }
        Err(StoreError::Throttled)
    }

    /// The TTL value for something created at `at`.
    pub fn expires(&self, at: DateTime<Utc>) -> AttributeValue {
        n(at.timestamp() + self.retention_secs)
    }

    /// The TTL value that gives an item a full retention period from now (a replay).
    pub fn expires_from_now(&self) -> AttributeValue {
        self.expires(Utc::now())
    }
}

// Keys. Tenant ids cannot contain '#', so prefixes never collide across tenants.
pub(crate) fn tenant_pk(t: &TenantId) -> String {
    format!("T#{t}")
}
pub(crate) fn endpoint_sk(id: &EndpointId) -> String {
    format!("EP#{id}")
}
/// A message is keyed by its id's random part, which for an event with an `event_id` is a
/// digest of it ([`MessageId::for_event`]): the message item is its own idempotency record.
pub(crate) fn message_pk(t: &TenantId, m: &MessageId) -> String {
    format!("M#{t}#{}", m.key_part())
}
pub(crate) fn log_pk(t: &TenantId, ep: &EndpointId) -> String {
    format!("L#{t}#{ep}")
}
pub(crate) fn delivery_sk(m: &MessageId) -> String {
    format!("D#{m}")
}
pub(crate) fn hour_sk(hour_ms: i64) -> String {
    format!("H#{hour_ms:015}")
}
/// The sparse index partition of an endpoint's entries that have failed at least once and
/// not been delivered since (retrying or failed); delivered-first-time entries never enter it.
pub(crate) fn trouble_pk(t: &TenantId, ep: &EndpointId) -> String {
    format!("L#{t}#{ep}#F")
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
pub(crate) fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_owned(), s(pk)), (SK.to_owned(), s(sk))])
}

/// The primary key of a delivery's log entry.
pub(crate) fn entry_key(d: &webhooks_core::model::DeliveryKey) -> Item {
    key(log_pk(&d.tenant, &d.endpoint), delivery_sk(&d.message))
}

fn missing(name: &str) -> StoreError {
    StoreError::Backend(format!(
        "item attribute {name} missing or of the wrong type"
    ))
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Result<&'a str, StoreError> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| missing(name))
}
pub(crate) fn opt_s(item: &Item, name: &str) -> Option<String> {
    item.get(name).and_then(|v| v.as_s().ok()).cloned()
}
pub(crate) fn get_n<T: std::str::FromStr>(item: &Item, name: &str) -> Result<T, StoreError> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| missing(name))
}
pub(crate) fn opt_n<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}
pub(crate) fn get_bool(item: &Item, name: &str) -> Result<bool, StoreError> {
    item.get(name)
        .and_then(|v| v.as_bool().ok())
        .copied()
        .ok_or_else(|| missing(name))
}
pub(crate) fn time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
pub(crate) fn get_time(item: &Item, name: &str) -> Result<DateTime<Utc>, StoreError> {
    get_n::<i64>(item, name).map(time)
}
pub(crate) fn opt_time(item: &Item, name: &str) -> Option<DateTime<Utc>> {
    opt_n::<i64>(item, name).map(time)
}
pub(crate) fn ms(t: DateTime<Utc>) -> AttributeValue {
    n(t.timestamp_millis())
}
pub(crate) fn parsed<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, StoreError> {
    r.map_err(|e| StoreError::Backend(format!("stored value does not parse: {e}")))
}

/// Stored bodies and excerpts are deflated when that makes them smaller (`z` = 1): a typical
/// 1 KiB JSON event then fits a 1 KB write unit with its attributes.
pub(crate) fn packed(bytes: &[u8]) -> (AttributeValue, bool) {
    let z = miniz_oxide::deflate::compress_to_vec(bytes, 6);
    if z.len() < bytes.len() {
        (AttributeValue::B(Blob::new(z)), true)
    } else {
        (AttributeValue::B(Blob::new(bytes.to_vec())), false)
    }
}

/// Largest inflated value accepted back (a body is at most 256 KiB).
const MAX_UNPACKED: usize = 512 * 1024;

/// The bytes of binary attribute `name`, inflated when `zipped`.
pub(crate) fn unpacked(item: &Item, name: &str, zipped: bool) -> Result<Vec<u8>, StoreError> {
    let raw = item
        .get(name)
        .and_then(|v| v.as_b().ok())
        .ok_or_else(|| missing(name))?;
    if zipped {
        miniz_oxide::inflate::decompress_to_vec_with_limit(raw.as_ref(), MAX_UNPACKED)
            .map_err(|e| StoreError::Backend(format!("{name} does not inflate: {e:?}")))
    } else {
        Ok(raw.as_ref().to_vec())
    }
}

/// Whether an item is within its retention. DynamoDB deletes expired items late (hours, or
/// days) and not all at once, so reads leave out what is past its `expires_at`: a message
/// never shows with its payload gone, nor an entry with its message gone.
pub(crate) fn live(item: &Item) -> bool {
    opt_n::<i64>(item, TTL).is_none_or(|at| at > Utc::now().timestamp())
}

/// Whether a conditional write took effect: `false` when its condition failed.
pub(crate) fn applied<T>(r: Result<T, StoreError>) -> Result<bool, StoreError> {
    match r {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `a` and `b` have the same primary key.
pub(crate) fn same_key(a: &Item, b: &Item) -> bool {
    a.get(PK) == b.get(PK) && a.get(SK) == b.get(SK)
}

/// The size DynamoDB bills for an item, by its documented rules: each attribute's name
/// (UTF-8 bytes) plus its value: strings by UTF-8 bytes, binaries by raw bytes, numbers
/// one byte per two significant digits plus one, booleans and nulls one byte, lists and
/// maps three bytes plus one per element plus their elements (a map element's name
/// included), sets the sum of their elements.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn number_size(n: &str) -> usize {
    let digits: String = n.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

fn value_size(v: &AttributeValue) -> usize {
    match v {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(s) => s.iter().map(String::len).sum(),
        AttributeValue::Ns(s) => s.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(s) => s.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|e| 1 + value_size(e)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, e)| 1 + k.len() + value_size(e))
                .sum::<usize>()
        }
        _ => 0,
    }
}

/// Write units of a write whose item is `bytes` long (before or after, the larger).
pub fn write_units(bytes: usize) -> u64 {
    (bytes.div_ceil(1024)).max(1) as u64
}

/// Read units of reading `bytes` (an item, or a query's items together).
pub fn read_units(bytes: usize, consistent: bool) -> f64 {
    let units = bytes.div_ceil(4096).max(1) as f64;
    if consistent {
        units
    } else {
        units / 2.0
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    fn item(pairs: &[(&str, AttributeValue)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    #[test]
    fn item_sizes_follow_the_documented_rules() {
        let table: &[(Item, usize)] = &[
            // name + UTF-8 bytes ("é" is two bytes)
            (item(&[("pk", s("abc"))]), 2 + 3),
            (item(&[("t", s("été"))]), 1 + 5),
            // numbers: one byte per two significant digits, plus one
            (item(&[("n", n(12345))]), 1 + 3 + 1),
            (item(&[("n", n(1_000_000))]), 1 + 1 + 1),
            (item(&[("n", n(0))]), 1 + 1 + 1),
            (
                item(&[("b", AttributeValue::B(Blob::new(vec![0u8; 10])))]),
                1 + 10,
            ),
            (item(&[("ok", AttributeValue::Bool(true))]), 2 + 1),
            // list: 3 + per element 1 + its size
            (
                item(&[("l", AttributeValue::L(vec![s("a"), s("bc")]))]),
                1 + 3 + 2 + 3,
            ),
            (
                item(&[("m", AttributeValue::M(item(&[("k", s("v"))])))]),
                1 + 3 + 1 + 1 + 1,
            ),
            (item(&[("e", AttributeValue::L(vec![]))]), 1 + 3),
        ];
        for (i, want) in table {
            assert_eq!(item_size(i), *want, "{i:?}");
        }
        assert_eq!(
            (write_units(1), write_units(1024), write_units(1025)),
            (1, 1, 2)
        );
        assert_eq!(read_units(4096, true), 1.0);
        assert_eq!(read_units(4097, false), 1.0);
        assert_eq!(read_units(100, false), 0.5);
    }
}
