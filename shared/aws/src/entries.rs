//! Log entries as items: the compact form of their attempts, and reading an entry back.
//! Shared by the log adapter, the delivery reader and the counters aggregator.

use crate::attrs::*;
use chrono::{DateTime, Utc};
use webhooks_core::model::{Attempt, DeliveryStatus, LogEntry};
use webhooks_core::ports::StoreResult;
use webhooks_core::{MessageId, StoreError};

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
    })
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
}
