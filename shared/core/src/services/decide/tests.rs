use super::*;
use crate::ids::TenantId;

fn t(s: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_764_583_200 + s, 0).unwrap()
}

fn pending(attempts: u32, due: Option<i64>, parked: bool) -> Progress {
    Progress {
        status: DeliveryStatus::Pending,
        attempt_count: attempts,
        series_start: 0,
        next_attempt_at: due.map(t),
        parked,
    }
}

#[test]
fn a_task_runs_only_when_its_delivery_is_pending_and_due() {
    let delivered = Progress {
        status: DeliveryStatus::Delivered,
        ..pending(1, None, false)
    };
    // (entry, message there) → outcome, or the attempt count to go on from
    let table: [(Option<Progress>, bool, Result<u32, DeliveryOutcome>); 7] = [
        (None, true, Ok(0)),
        (None, false, Err(DeliveryOutcome::Skipped("message gone"))),
        (
            Some(delivered),
            true,
            Err(DeliveryOutcome::Skipped("already final")),
        ),
        (Some(pending(2, None, false)), true, Ok(2)),
        (Some(pending(2, Some(0), false)), true, Ok(2)),
        (
            Some(pending(2, Some(600), false)),
            true,
            Err(DeliveryOutcome::RetryIn(Duration::from_secs(600))),
        ),
        (
            Some(pending(2, Some(600), true)),
            true,
            Err(DeliveryOutcome::Skipped("parked until due")),
        ),
    ];
    for (entry, has_message, want) in table {
        let got = before_attempt(entry, has_message, t(0)).map(|p| p.attempt_count);
        assert_eq!(got, want, "{entry:?} {has_message}");
    }
}

fn answer(
    status: Option<u16>,
    error: Option<FailureKind>,
    retry_after: Option<u64>,
    excerpt: &str,
) -> SendResult {
    SendResult {
        status,
        error,
        retry_after: retry_after.map(Duration::from_secs),
        excerpt: Some(excerpt.to_owned()),
        duration: Duration::from_millis(42),
    }
}

#[test]
fn an_attempt_records_the_answer_and_classifies_it() {
    let long = "é".repeat(600); // 1,200 bytes
                                // (answer) → (status code, error, outcome, excerpt bytes kept)
    let table = [
        (
            None,
            (None, Some("endpoint_disabled"), AttemptOutcome::Gone, 0),
        ),
        (
            Some(answer(Some(204), None, None, &long)),
            (Some(204), None, AttemptOutcome::Success, 256),
        ),
        (
            Some(answer(Some(503), None, Some(120), &long)),
            (
                Some(503),
                Some("http_status"),
                AttemptOutcome::Failed {
                    retry_after: Some(Duration::from_secs(120)),
                },
                1024,
            ),
        ),
        (
            Some(answer(Some(500), None, Some(120), "")),
            (
                Some(500),
                Some("http_status"),
                AttemptOutcome::Failed { retry_after: None },
                0,
            ),
        ),
        (
            Some(answer(Some(410), None, None, "")),
            (Some(410), Some("http_status"), AttemptOutcome::Gone, 0),
        ),
        (
            Some(answer(None, Some(FailureKind::Timeout), None, "")),
            (
                None,
                Some("timeout"),
                AttemptOutcome::Failed { retry_after: None },
                0,
            ),
        ),
        (
            Some(answer(Some(302), None, None, "")),
            (
                Some(302),
                Some("http_status"),
                AttemptOutcome::Failed { retry_after: None },
                0,
            ),
        ),
    ];
    for (result, (code, error, outcome, kept)) in table {
        let (attempt, got) = attempt_of(3, t(0), Some("task-1".into()), result.clone());
        assert_eq!(got, outcome, "{result:?}");
        assert_eq!(
            (
                attempt.number,
                attempt.status_code,
                attempt.error.as_deref()
            ),
            (3, code, error),
            "{result:?}"
        );
        let excerpt = attempt.response_excerpt.unwrap_or_default();
        assert!(
            excerpt.len() <= kept && excerpt.len() + 1 >= kept.min(1200),
            "{} bytes kept",
            excerpt.len()
        );
        assert_eq!(attempt.task.as_deref(), Some("task-1"));
    }
}

#[test]
fn an_outcome_settles_the_entry_and_the_task() {
    let failed = AttemptOutcome::Failed { retry_after: None };
    let (min, hours2, park) = (
        Duration::from_secs(60),
        Duration::from_secs(7200),
        Some(Duration::from_secs(900)),
    );
    // (outcome, next delay, park after) → (status, consumer's outcome, due in s and parked)
    let table = [
        (
            AttemptOutcome::Success,
            None,
            park,
            (DeliveryStatus::Delivered, DeliveryOutcome::Delivered, None),
        ),
        (
            failed,
            Some(min),
            None,
            (
                DeliveryStatus::Pending,
                DeliveryOutcome::RetryIn(min),
                Some((60, false)),
            ),
        ),
        (
            failed,
            Some(min),
            park,
            (
                DeliveryStatus::Pending,
                DeliveryOutcome::RetryIn(min),
                Some((60, false)),
            ),
        ),
        (
            failed,
            Some(hours2),
            park,
            (
                DeliveryStatus::Pending,
                DeliveryOutcome::Parked(hours2),
                Some((7200, true)),
            ),
        ),
        (
            failed,
            Some(hours2),
            None,
            (
                DeliveryStatus::Pending,
                DeliveryOutcome::RetryIn(hours2),
                Some((7200, false)),
            ),
        ),
        (
            failed,
            None,
            park,
            (DeliveryStatus::Failed, DeliveryOutcome::Failed, None),
        ),
        (
            AttemptOutcome::Gone,
            None,
            park,
            (DeliveryStatus::Failed, DeliveryOutcome::Failed, None),
        ),
    ];
    for (outcome, next, park_after, (status, result, due)) in table {
        let (s, r, n) = settle(outcome, next, park_after, t(0));
        let n = n.map(|n| ((n.at - t(0)).num_seconds(), n.parked));
        assert_eq!(
            (s, r, n),
            (status, result, due),
            "{outcome:?} {next:?} {park_after:?}"
        );
    }
}

#[test]
fn a_failure_escalates_to_an_announcement_then_to_disabling() {
    let (hour, days5) = (Duration::from_secs(3600), Duration::from_secs(5 * 86_400));
    let day = 86_400;
    // (enabled, failing since, announced for, attempt at) → escalation
    let table = [
        (true, None, None, 10, Escalation::None),
        (true, Some(0), None, 60, Escalation::None),
        (true, Some(0), None, 3600, Escalation::AnnounceFailing(t(0))),
        (true, Some(0), Some(0), 7200, Escalation::None),
        // A new run (the endpoint recovered in between) is announced again.
        (
            true,
            Some(9000),
            Some(0),
            12_600,
            Escalation::AnnounceFailing(t(9000)),
        ),
        (true, Some(0), Some(0), 5 * day, Escalation::Disable(t(0))),
        (true, Some(0), None, 5 * day, Escalation::Disable(t(0))),
        (false, Some(0), None, 6 * day, Escalation::None),
    ];
    for (enabled, since, announced, at, want) in table {
        let e = Endpoint {
            failing_since: since.map(t),
            failing_announced: announced.map(t),
            ..Endpoint::new(
                TenantId::parse("A").unwrap(),
                "https://x.example".into(),
                String::new(),
                vec![],
                enabled,
            )
        };
        assert_eq!(
            escalation(&e, t(at), hour, days5),
            want,
            "{enabled} {since:?} {announced:?} {at}"
        );
    }
}
