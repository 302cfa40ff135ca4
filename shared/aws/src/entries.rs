//! Log entries as items: the compact form of their attempts and excerpts, and reading an
//! entry back.
//! Shared by the log adapter, the delivery reader and the counters aggregator.

use crate::attrs::*;
use chrono::{DateTime, Utc};
use webhooks_core::model::{Attempt, DeliveryStatus, DeliveryTask, LogEntry};
use webhooks_core::ports::StoreResult;
use webhooks_core::{EndpointId, MessageId, StoreError, TenantId};

/// One attempt as kept in the entry's `attempts` list: `"<n> <started ms> <duration ms>
/// <status|-> <error|->"`. A string per attempt keeps the entry small (map attributes
/// would repeat their names in every element, and DynamoDB bills names as data).
pub(crate) fn encode_attempt(a: &Attempt) -> String {
    format!(
        "{} {} {} {} {}",
        a.number,
        a.started_at.timestamp_millis(),
        a.duration_ms,
        a.status_code
            .map_or_else(|| "-".to_owned(), |c| c.to_string()),
        a.error.as_deref().unwrap_or("-"),
    )
}

/// The attempt encoded by [`encode_attempt`], without its excerpt.
pub(crate) fn decode_attempt(s: &str) -> StoreResult<Attempt> {
    let bad = || StoreError::Backend(format!("bad stored attempt {s:?}"));
    let mut f = s.split(' ');
    let mut next = || f.next().ok_or_else(bad);
    let number = next()?.parse().map_err(|_| bad())?;
    let started: i64 = next()?.parse().map_err(|_| bad())?;
    let duration_ms = next()?.parse().map_err(|_| bad())?;
    let status_code = match next()? {
        "-" => None,
        c => Some(c.parse().map_err(|_| bad())?),
    };
    let error = match next()? {
        "-" => None,
        e => Some(e.to_owned()),
    };
    Ok(Attempt {
        number,
        started_at: time(started),
        duration_ms,
        status_code,
        error,
        response_excerpt: None,
        task: None,
    })
}

/// How many failed attempts keep their response excerpt in the entry (the latest ones).
pub(crate) const EXCERPTS_KEPT: u32 = 3;
/// The most bytes one stored excerpt takes: with [`EXCERPTS_KEPT`] of them and 20 attempts
/// an entry stays well under 4 KB.
pub(crate) const EXCERPT_STORED_MAX: usize = 400;

/// The entry attribute holding attempt `number`'s excerpt.
pub(crate) fn excerpt_attr(number: u32) -> String {
    format!("x{number}")
}

/// An excerpt as stored: deflated, its text cut until that fits [`EXCERPT_STORED_MAX`]
/// (error pages deflate well, so a KiB usually fits whole).
pub(crate) fn packed_excerpt(text: &str) -> Vec<u8> {
    let mut end = text.len();
    loop {
        let z = miniz_oxide::deflate::compress_to_vec(&text.as_bytes()[..end], 6);
        if z.len() <= EXCERPT_STORED_MAX || end == 0 {
            return z;
        }
        // Cut in proportion, with a margin, at a character boundary.
        end = end * EXCERPT_STORED_MAX / z.len() * 9 / 10;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
    }
}

/// The text of a stored excerpt; `None` if it does not inflate.
fn unpacked_excerpt(bytes: &[u8]) -> Option<String> {
    let raw = miniz_oxide::inflate::decompress_to_vec_with_limit(bytes, 64 * 1024).ok()?;
    Some(String::from_utf8_lossy(&raw).into_owned())
}

/// The attempts of an entry item with the excerpts it kept: the successful attempt's, and
/// the last [`EXCERPTS_KEPT`] failed attempts'.
pub(crate) fn attempts_with_excerpts(item: &Item) -> StoreResult<Vec<Attempt>> {
    let mut attempts = attempts_of(item)?;
    for a in &mut attempts {
        a.response_excerpt = if a.succeeded() {
            opt_s(item, "ok_excerpt")
        } else {
            (item.get(&excerpt_attr(a.number)))
                .and_then(|v| v.as_b().ok())
                .and_then(|b| unpacked_excerpt(b.as_ref()))
        };
    }
    Ok(attempts)
}

/// The attempts recorded in an entry item, in order, without excerpts.
pub(crate) fn attempts_of(item: &Item) -> StoreResult<Vec<Attempt>> {
    item.get("attempts")
        .and_then(|v| v.as_l().ok())
        .map(|l| {
            l.iter()
                .filter_map(|v| v.as_s().ok())
                .map(|s| decode_attempt(s))
                .collect()
        })
        .unwrap_or_else(|| Ok(Vec::new()))
}

pub(crate) fn status_of(item: &Item) -> StoreResult<DeliveryStatus> {
    let status = get_s(item, "status")?;
    DeliveryStatus::parse(status).ok_or_else(|| StoreError::Backend(format!("bad status {status}")))
}

pub(crate) fn entry_from(item: &Item) -> StoreResult<LogEntry> {
    let sk = get_s(item, SK)?;
    let id = sk
        .strip_prefix("D#")
        .ok_or_else(|| StoreError::Backend(format!("not an entry: {sk}")))?;
    Ok(LogEntry {
        message_id: parsed(MessageId::parse(id))?,
        event_type: get_s(item, "event_type")?.to_owned(),
        created_at: get_time(item, "created_at")?,
        status: status_of(item)?,
        attempt_count: get_n(item, "attempt_count")?,
        series_start: opt_n(item, "series_start").unwrap_or(0),
        last_attempt_at: opt_time(item, "last_attempt_at"),
        next_attempt_at: opt_time(item, "next_attempt_at"),
        last_task: opt_s(item, "task"),
        parked: is_parked(item),
    })
}

/// Whether an entry's next attempt waits with no queue message.
pub(crate) fn is_parked(item: &Item) -> bool {
    item.get("parked").is_some_and(|v| v.as_bool() == Ok(&true))
}

/// The delivery an entry's key names (`L#<tenant>#<endpoint>`, `D#<message>`), as a task
/// with no hints; `None` for any other key.
pub(crate) fn task_of_entry_key(item: &Item) -> Option<DeliveryTask> {
    let (tenant, ep) = get_s(item, PK).ok()?.strip_prefix("L#")?.split_once('#')?;
    let msg = get_s(item, SK).ok()?.strip_prefix("D#")?;
    Some(DeliveryTask::new(
        TenantId::parse(tenant).ok()?,
        MessageId::parse(msg).ok()?,
        EndpointId::parse(ep).ok()?,
    ))
}

/// A scan's `LastEvaluatedKey` (string attributes only) as an opaque cursor, and back.
pub(crate) fn encode_scan_key(k: &Item) -> String {
    use base64::Engine;
    let pairs: std::collections::BTreeMap<&str, &str> = k
        .iter()
        .filter_map(|(n, v)| Some((n.as_str(), v.as_s().ok()?.as_str())))
        .collect();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&pairs).unwrap_or_default())
}

pub(crate) fn decode_scan_key(cursor: &str) -> StoreResult<Item> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .map_err(|_| StoreError::InvalidCursor)?;
    let pairs: std::collections::BTreeMap<String, String> =
        serde_json::from_slice(&raw).map_err(|_| StoreError::InvalidCursor)?;
    Ok(pairs.into_iter().map(|(n, v)| (n, s(v))).collect())
}

/// The start of the hour holding `t`.
pub(crate) fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{DurationRound, TimeDelta};
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_round_trip_through_their_compact_form() {
        let table = [
            Attempt {
                number: 1,
                started_at: time(1_764_000_000_123),
                duration_ms: 42,
                status_code: Some(503),
                error: Some("http_status".into()),
                response_excerpt: None,
                task: None,
            },
            Attempt {
                number: 12,
                started_at: time(0),
                duration_ms: 0,
                status_code: None,
                error: Some("timeout".into()),
                response_excerpt: None,
                task: None,
            },
            Attempt {
                number: 2,
                started_at: time(5),
                duration_ms: 10_000,
                status_code: Some(204),
                error: None,
                response_excerpt: None,
                task: None,
            },
        ];
        for a in table {
            assert_eq!(decode_attempt(&encode_attempt(&a)).unwrap(), a);
        }
        assert!(decode_attempt("1 2").is_err());
        assert!(decode_attempt("x 2 3 - -").is_err());
    }

    #[test]
    fn excerpts_are_deflated_and_cut_to_their_room() {
        // (text, kept whole)
        let noise: String = (0..1024u32)
            .map(|i| char::from(b'!' + (i.wrapping_mul(2_654_435_761) >> 25) as u8 % 90))
            .collect();
        let table = [
            (
                "<html><body>Service Unavailable</body></html>".repeat(20),
                true,
            ),
            ("\u{FFFD}".repeat(1024), true),
            (noise, false),
            ("é".repeat(1000), true),
            (String::new(), true),
        ];
        for (text, whole) in table {
            let z = packed_excerpt(&text);
            assert!(z.len() <= EXCERPT_STORED_MAX, "{} bytes", z.len());
            let back = unpacked_excerpt(&z).unwrap();
            assert!(text.starts_with(&back), "a prefix comes back");
            assert_eq!(
                back.len() == text.len(),
                whole,
                "{} of {}",
                back.len(),
                text.len()
            );
        }
    }
}
