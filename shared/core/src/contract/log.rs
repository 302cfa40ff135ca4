//! Contract of the `DeliveryLog`'s writes: each attempt recorded once and in order, the
//! counters each one moves, and the replay that starts a new series.

use super::{attempt, endpoint, message, meta, now, record, stored_message, tenant, Harness};
use crate::error::StoreError;
use crate::model::{Attempt, Counters, DeliveryKey, DeliveryStatus};
use chrono::TimeDelta;

pub async fn delivery_log_lifecycle_and_counters(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let m = message(&a, None);
    st.messages.insert(&m).await.unwrap();

    let counters = || async {
        h.settle.settle().await;
        st.endpoints
            .get(&a, &ep.id)
            .await
            .unwrap()
            .unwrap()
            .counters
    };
    assert_eq!(
        st.log
            .get(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        None,
        "no entry before the first attempt"
    );
    let log = &st.log;
    let rec = |a1: Attempt, s: DeliveryStatus| {
        let (a, ep, m) = (a.clone(), ep.id.clone(), meta(&m));
        async move {
            log.record_attempt(&DeliveryKey::new(&a, &ep, &m.id), &m, &a1, s, None)
                .await
        }
    };
    assert!(
        matches!(
            rec(attempt(2, 500), DeliveryStatus::Pending).await,
            Err(StoreError::Conflict)
        ),
        "attempt 2 needs attempt 1"
    );
    let first = attempt(1, 500);
    let next_at = now() + TimeDelta::minutes(1);
    log.record_attempt(
        &DeliveryKey::new(&a, &ep.id, &meta(&m).id),
        &meta(&m),
        &first,
        DeliveryStatus::Pending,
        Some(next_at.into()),
    )
    .await
    .unwrap();
    let entry = log
        .get(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (entry.status, entry.attempt_count),
        (DeliveryStatus::Pending, 1)
    );
    assert_eq!(
        (&entry.message_id, &entry.event_type, entry.created_at),
        (&m.id, &m.event_type, m.created_at)
    );
    assert_eq!(entry.next_attempt_at, Some(next_at));
    assert_eq!(entry.last_attempt_at, Some(first.started_at));
    assert_eq!(
        counters().await,
        Counters {
            in_flight: 1,
            failed_attempts: 1,
            ..Default::default()
        }
    );
    assert!(
        matches!(
            rec(attempt(1, 500), DeliveryStatus::Pending).await,
            Err(StoreError::Conflict)
        ),
        "a duplicate first attempt"
    );

    let second = attempt(2, 200);
    rec(second.clone(), DeliveryStatus::Delivered)
        .await
        .unwrap();
    assert_eq!(
        counters().await,
        Counters {
            delivered: 1,
            failed_attempts: 1,
            ..Default::default()
        }
    );
    let entry = log
        .get(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (entry.status, entry.attempt_count, entry.next_attempt_at),
        (DeliveryStatus::Delivered, 2, None)
    );
    assert!(
        matches!(
            rec(attempt(3, 200), DeliveryStatus::Delivered).await,
            Err(StoreError::Conflict)
        ),
        "a final entry takes no more attempts"
    );
    assert_eq!(
        log.attempts(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        vec![first, second]
    );

    // Exhaustion counts a failed message.
    let m2 = message(&a, None);
    st.messages.insert(&m2).await.unwrap();
    log.record_attempt(
        &DeliveryKey::new(&a, &ep.id, &meta(&m2).id),
        &meta(&m2),
        &attempt(1, 503),
        DeliveryStatus::Failed,
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        counters().await,
        Counters {
            delivered: 1,
            failed_attempts: 2,
            failed_messages: 1,
            in_flight: 0
        }
    );

    let b = tenant("B");
    assert_eq!(
        log.get(&DeliveryKey::new(&b, &ep.id, &m.id)).await.unwrap(),
        None
    );
    assert!(log
        .attempts(&DeliveryKey::new(&b, &ep.id, &m.id))
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        log.record_attempt(
            &DeliveryKey::new(&b, &ep.id, &meta(&m2).id),
            &meta(&m2),
            &attempt(2, 200),
            DeliveryStatus::Delivered,
            None
        )
        .await,
        Err(StoreError::Conflict)
    ));
}

pub async fn replay_restarts_only_failed_entries(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let m = stored_message(st, &a).await;
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        "an entry not yet attempted is not restartable"
    );
    for n in 1..=2 {
        let status = if n == 2 {
            DeliveryStatus::Failed
        } else {
            DeliveryStatus::Pending
        };
        record(st, &ep, &m, n, 500, status).await;
    }
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&tenant("B"), &ep.id, &m.id))
            .await
            .unwrap(),
        "other tenant"
    );
    assert!(st
        .log
        .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap());
    let e = st
        .log
        .get(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e.status, e.attempt_count, e.series_start),
        (DeliveryStatus::Pending, 2, 2)
    );
    h.settle.settle().await;
    assert_eq!(
        st.endpoints
            .get(&a, &ep.id)
            .await
            .unwrap()
            .unwrap()
            .counters,
        Counters {
            failed_attempts: 2,
            failed_messages: 0,
            in_flight: 1,
            delivered: 0
        }
    );
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        "already restarted"
    );
    // The new series continues the numbering.
    record(st, &ep, &m, 3, 200, DeliveryStatus::Delivered).await;
    let numbers: Vec<u32> = st
        .log
        .attempts(&DeliveryKey::new(&a, &ep.id, &m.id))
        .await
        .unwrap()
        .iter()
        .map(|a| a.number)
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert!(
        !st.log
            .restart(&DeliveryKey::new(&a, &ep.id, &m.id))
            .await
            .unwrap(),
        "delivered is not restartable"
    );
}
