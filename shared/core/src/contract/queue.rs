//! Contract of the `TaskQueue`, and of the due deliveries the sweep wakes or sends to it
//! again.

use super::{attempt, endpoint, meta, now, sorted, stored_message, tenant, Harness};
use crate::error::StoreError;
use crate::ids::{EndpointId, MessageId};
use crate::model::{DeliveryKey, DeliveryStatus, DeliveryTask};
use chrono::TimeDelta;
use std::collections::HashSet;

pub async fn queue_round_trip(h: &Harness) {
    h.stores.queue.enqueue(&[]).await.unwrap();
    let a = tenant("A");
    let tasks: Vec<DeliveryTask> = (0..25)
        .map(|_| DeliveryTask::new(a.clone(), MessageId::generate(), EndpointId::generate()))
        .collect();
    h.stores.queue.enqueue(&tasks).await.unwrap();
    let got: HashSet<_> = h.probe.drain().await.into_iter().collect();
    assert_eq!(got, tasks.into_iter().collect::<HashSet<_>>());
    assert!(h.probe.drain().await.is_empty());
}

/// Pending deliveries due within a horizon are listed across tenants, page by page; the
/// sweep wakes the parked ones (one task per wait) and sends a task again to those long
/// overdue; deliveries not due, delivered or failed are left alone.
pub async fn due_deliveries_are_woken_or_swept(h: &Harness) {
    use crate::model::NextAttempt;
    use crate::services::{SweepConfig, SweepService};
    let st = &h.stores;
    let (a, b) = (tenant("A"), tenant("B"));
    let (ep_a, ep_b) = (
        endpoint(&a, &["INVOICE_VALIDATED"], true),
        endpoint(&b, &["INVOICE_VALIDATED"], true),
    );
    st.endpoints.create(&ep_a).await.unwrap();
    st.endpoints.create(&ep_b).await.unwrap();
    let at = |minutes: i64, parked| {
        Some(NextAttempt {
            at: now() + TimeDelta::minutes(minutes),
            parked,
        })
    };
    use DeliveryStatus::*;
    // (endpoint, attempt 1's status code, status after, next attempt)
    let cases = [
        (&ep_a, 500, Pending, at(-60, false)),  // 0: its task lost
        (&ep_a, 500, Pending, at(60, false)),   // 1: waiting, its task hidden
        (&ep_a, 200, Delivered, None),          // 2
        (&ep_a, 500, Failed, None),             // 3
        (&ep_b, 500, Pending, at(-120, false)), // 4: lost, another tenant
        (&ep_a, 500, Pending, at(5, true)),     // 5: parked, due soon
        (&ep_b, 500, Pending, at(600, true)),   // 6: parked, due later
    ];
    let mut ids = Vec::new();
    for (ep, code, status, next) in cases {
        let m = stored_message(st, &ep.tenant).await;
        st.log
            .record_attempt(
                &DeliveryKey::new(&ep.tenant, &ep.id, &meta(&m).id),
                &meta(&m),
                &attempt(1, code),
                status,
                next,
            )
            .await
            .unwrap();
        ids.push(m.id);
    }
    let key = |i: usize| {
        let ep = cases[i].0;
        (ep.tenant.clone(), ep.id.clone(), ids[i].clone())
    };
    let found = |horizon, limit| async move {
        let (mut all, mut cursor) = (Vec::new(), None::<String>);
        for _ in 0..50 {
            let page = st.log.due(horizon, cursor.as_deref(), limit).await.unwrap();
            all.extend(page.data.into_iter().map(|d| {
                let t = d.task;
                ((t.tenant, t.endpoint_id, t.message_id), d.parked)
            }));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        all.sort();
        all
    };
    let horizon = now() + TimeDelta::minutes(14);
    let want = sorted(vec![(key(0), false), (key(4), false), (key(5), true)]);
    assert_eq!(found(horizon, 100).await, want);
    assert_eq!(found(horizon, 1).await, want, "page by page");
    // A replayed delivery is due at once.
    assert!(st
        .log
        .restart(&DeliveryKey::new(&a, &ep_a.id, &ids[3]))
        .await
        .unwrap());
    let mut with_replay = want.clone();
    with_replay.push((key(3), false));
    assert_eq!(found(horizon, 100).await, sorted(with_replay));
    assert!(matches!(
        st.log.due(horizon, Some("garbage!"), 10).await,
        Err(StoreError::InvalidCursor)
    ));

    h.probe.drain().await;
    let sweep = SweepService::new(st.clone(), SweepConfig::default());
    let report = sweep.sweep().await.unwrap();
    assert_eq!(
        (report.woken, report.requeued, report.complete),
        (1, 2, true),
        "the parked one due within 14 min is woken; the two 30 min overdue are sent again"
    );
    let sent: Vec<_> = (h.probe.drain().await.into_iter())
        .map(|t| (t.tenant, t.endpoint_id, t.message_id))
        .collect();
    assert_eq!(
        sorted(sent),
        sorted(vec![key(0), key(4)]),
        "the woken task waits until due"
    );
    let again = sweep.sweep().await.unwrap();
    assert_eq!(again.woken, 0, "one task per parked wait");
    let entry = st
        .log
        .get(&DeliveryKey::new(&a, &ep_a.id, &ids[5]))
        .await
        .unwrap()
        .unwrap();
    assert!(!entry.parked && entry.status == Pending);
    assert!(!st
        .log
        .unpark(
            &DeliveryKey::new(&a, &ep_a.id, &ids[5]),
            entry.next_attempt_at.unwrap()
        )
        .await
        .unwrap());
    let later = st
        .log
        .get(&DeliveryKey::new(&b, &ep_b.id, &ids[6]))
        .await
        .unwrap()
        .unwrap();
    assert!(later.parked, "not due within the horizon: still parked");
}
