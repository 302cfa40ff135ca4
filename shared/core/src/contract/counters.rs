//! Contract of what follows from the delivery log: `failing_since`, counters rebuilt by
//! `recount`, and exact totals under concurrent, duplicated deliveries.

use super::{attempt, endpoint, message, meta, now, record, stored_message, tenant, Harness};
use crate::error::StoreError;
use crate::model::{Counters, DeliveryKey, DeliveryStatus};
use chrono::TimeDelta;
use std::sync::Arc;

pub async fn failing_since_tracks_runs_of_failures(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let failing_since = || async {
        h.settle.settle().await;
        st.endpoints
            .get(&a, &ep.id)
            .await
            .unwrap()
            .unwrap()
            .failing_since
    };
    let mut first_failure = None;
    for (i, ok) in [false, false, true, false].into_iter().enumerate() {
        let m = stored_message(st, &a).await;
        let at = attempt(1, if ok { 200 } else { 500 });
        let status = if ok {
            DeliveryStatus::Delivered
        } else {
            DeliveryStatus::Pending
        };
        st.log
            .record_attempt(
                &DeliveryKey::new(&a, &ep.id, &meta(&m).id),
                &meta(&m),
                &at,
                status,
                None,
            )
            .await
            .unwrap();
        match (i, ok) {
            (0, _) => {
                first_failure = Some(at.started_at);
                assert_eq!(failing_since().await, first_failure);
            }
            (1, _) => assert_eq!(
                failing_since().await,
                first_failure,
                "the run's start is kept"
            ),
            (_, true) => assert_eq!(failing_since().await, None, "a success ends the run"),
            _ => assert_eq!(failing_since().await, Some(at.started_at)),
        }
    }
    // An admin re-enabling a disabled endpoint starts afresh.
    let mut e = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    e.enabled = false;
    e.version += 1;
    st.endpoints.update(&e).await.unwrap();
    assert!(
        failing_since().await.is_some(),
        "disabling keeps the record"
    );
    e.enabled = true;
    e.version += 1;
    st.endpoints.update(&e).await.unwrap();
    assert_eq!(failing_since().await, None);
}

pub async fn recount_rebuilds_counters_from_the_log(h: &Harness) {
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    // One delivered after a failure, one failed, one pending.
    let outcomes: [&[(u16, DeliveryStatus)]; 3] = [
        &[
            (500, DeliveryStatus::Pending),
            (200, DeliveryStatus::Delivered),
        ],
        &[(503, DeliveryStatus::Failed)],
        &[(500, DeliveryStatus::Pending)],
    ];
    for attempts in outcomes {
        let m = stored_message(st, &a).await;
        for (i, (code, status)) in attempts.iter().enumerate() {
            let n = u32::try_from(i).unwrap() + 1;
            record(st, &ep, &m, n, *code, *status).await;
        }
    }
    let want = Counters {
        delivered: 1,
        failed_attempts: 3,
        failed_messages: 1,
        in_flight: 1,
    };
    h.settle.settle().await;
    assert_eq!(st.log.recount(&a, &ep.id).await.unwrap(), Some(want));
    h.settle.settle().await;
    let got = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!(got.counters, want, "the rebuilt counters are stored");
    assert_eq!(
        st.log.recount(&tenant("B"), &ep.id).await.unwrap(),
        None,
        "another tenant's endpoint is not found"
    );
}

/// 200 deliveries to one endpoint, 32 at a time, each task handed out twice (as a queue may):
/// every attempt is recorded once and the counters and stats converge to exact totals.
pub async fn concurrent_deliveries_count_exactly(h: &Harness) {
    const N: usize = 200;
    let st = &h.stores;
    let a = tenant("A");
    let ep = endpoint(&a, &["INVOICE_VALIDATED"], true);
    st.endpoints.create(&ep).await.unwrap();
    let gate = Arc::new(tokio::sync::Semaphore::new(32));
    let mut jobs = tokio::task::JoinSet::new();
    for _ in 0..N {
        let (st, a, ep, gate) = (st.clone(), a.clone(), ep.id.clone(), gate.clone());
        jobs.spawn(async move {
            let _permit = gate.acquire_owned().await.unwrap();
            let m = message(&a, None);
            st.messages.insert(&m).await.unwrap();
            let mut recorded = 0;
            // Attempt 1 fails, attempt 2 succeeds; each task is handed out twice. The copies
            // of one task run one after the other: moto does not serialise conditional
            // writes to one item (DynamoDB does), and what this test is about is the many
            // deliveries running at once, to one endpoint.
            for (n, code, status) in [
                (1, 500, DeliveryStatus::Pending),
                (2, 200, DeliveryStatus::Delivered),
            ] {
                for _copy in 0..2 {
                    match st
                        .log
                        .record_attempt(
                            &DeliveryKey::new(&a, &ep, &meta(&m).id),
                            &meta(&m),
                            &attempt(n, code),
                            status,
                            None,
                        )
                        .await
                    {
                        Ok(()) => recorded += 1,
                        Err(StoreError::Conflict) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }
            (m.id, recorded)
        });
    }
    let mut ids = Vec::new();
    while let Some(done) = jobs.join_next().await {
        let (id, recorded) = done.unwrap();
        assert_eq!(recorded, 2, "each attempt recorded exactly once");
        ids.push(id);
    }
    for id in ids.iter().take(20) {
        let numbers: Vec<u32> = st
            .log
            .attempts(&DeliveryKey::new(&a, &ep.id, id))
            .await
            .unwrap()
            .iter()
            .map(|x| x.number)
            .collect();
        assert_eq!(numbers, vec![1, 2]);
    }
    let want = Counters {
        delivered: N as i64,
        failed_attempts: N as i64,
        failed_messages: 0,
        in_flight: 0,
    };
    h.settle.settle().await;
    let got = st.endpoints.get(&a, &ep.id).await.unwrap().unwrap();
    assert_eq!(got.counters, want);
    assert_eq!(got.failing_since, None, "the last attempts succeeded");
    let stats = st
        .log
        .hourly_stats(&a, &ep.id, now() - TimeDelta::hours(2))
        .await
        .unwrap();
    let sum = |f: fn(&crate::model::HourBucket) -> u64| stats.iter().map(f).sum::<u64>();
    assert_eq!(
        (sum(|b| b.delivered), sum(|b| b.failed)),
        (N as u64, N as u64)
    );
    assert_eq!(st.log.recount(&a, &ep.id).await.unwrap(), Some(want));
}
