//! The functions under Lambda's deadline, on moto: the harness kills an invocation that runs
//! past its function's timeout, as Lambda does. A recovery of 2,000 failed deliveries through
//! an api function with an 8 s timeout answers every call in time and strands nothing: each
//! call stops before the deadline with its tasks sent (or, after a step slower than the
//! reserve, answers the deadline's 503 and is made again), and every delivery ends
//! delivered. A delivery left pending without a task is found by the sweep function.

use webhooks_core::model::DeliveryKey;

use futures::StreamExt;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use webhooks_aws::testing;
use webhooks_core::model::{now, Attempt, DeliveryStatus, DeliveryTask, Endpoint};
use webhooks_core::services::{Stores, RECOVER_CHUNK};
use webhooks_core::{MessageId, TenantId};
use webhooks_tests::lambda::{
    apigw_event, event_source_mapping, function_env, http_response, stored_endpoint,
    stored_message, Function,
};
use webhooks_tests::{wait_until, TestReceiver};

const FAILED: usize = 2_000;

/// A minute without any delivery made is what shows a stranded one.
const STALL: Duration = Duration::from_secs(60);

fn admin() -> Value {
    json!({"sub": "admin-1", "enseigne_id": "ENS123", "groups": "[admin]"})
}

/// A stored message whose first attempt to `ep` failed for good.
async fn failed_delivery(stores: &Stores, ep: &Endpoint) -> MessageId {
    let m = stored_message(stores, &ep.tenant).await;
    let a = Attempt {
        number: 1,
        started_at: now(),
        duration_ms: 1,
        status_code: Some(503),
        error: Some("http_status".into()),
        response_excerpt: None,
        task: None,
    };
    (stores.log)
        .record_attempt(
            &DeliveryKey::new(&ep.tenant, &ep.id, &m.id),
            &(&m).into(),
            &a,
            DeliveryStatus::Failed,
            None,
        )
        .await
        .unwrap();
    m.id
}

/// Deliveries of the endpoint with status `status`, counted through the store.
async fn count(stores: &Stores, ep: &Endpoint, status: DeliveryStatus) -> usize {
    let (mut n, mut cursor) = (0, None::<String>);
    loop {
        // moto applies an UpdateItem that creates an item in two steps, and a read may fall
        // between them (DynamoDB's are atomic): read that page again.
        let page = match (stores.log)
            .list(&ep.tenant, &ep.id, Some(status), cursor.as_deref(), 100)
            .await
        {
            Ok(page) => page,
            Err(_) => continue,
        };
        n += page.data.len();
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return n,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recovery_under_a_short_deadline_answers_in_time_and_strands_nothing() {
    let rx = TestReceiver::start().await;
    let (names, sdk) = testing::fresh_names().await;
    let ingest_dlq = testing::queue(&sdk, "ingest-dlq").await;
    let mut env = function_env(&names, &ingest_dlq, "");
    env.push(("WEBHOOKS_SWEEP_OVERDUE_SECONDS".into(), "0".into()));
    let (stores, _) = webhooks_aws::aws_stores(&sdk, &names);
    let t = TenantId::parse("ENS123").unwrap();

    // The harness enforces deadlines: a delivery stuck on a receiver that answers after 3 s,
    // in a function with a 1 s timeout, is killed; the fresh process takes the next one.
    let slow = stored_endpoint(&stores, &t, rx.url("/sleep/3000")).await;
    let short =
        Function::start_with_timeout("webhooks-delivery", &env, Duration::from_secs(1)).await;
    let task = DeliveryTask::new(
        t.clone(),
        stored_message(&stores, &t).await.id,
        slow.id.clone(),
    );
    let sqs_event = |task: &DeliveryTask| {
        json!({"Records": [{
            "messageId": "m-1", "receiptHandle": "h-1", "body": serde_json::to_string(task).unwrap(),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-3:123456789012:q",
            "awsRegion": "eu-west-3"
        }]})
    };
    let killed = short.invoke(sqs_event(&task)).await;
    assert_eq!(killed.unwrap_err()["errorType"], "Sandbox.Timedout");
    assert_eq!(short.kills(), 1);
    short.stop().await;

    // 2,000 failed deliveries to a receiver that is back.
    let ep = stored_endpoint(&stores, &t, rx.url("/ok/recovered")).await;
    futures::stream::iter(0..FAILED)
        .for_each_concurrent(32, |_| {
            let (stores, ep) = (&stores, &ep);
            async move {
                failed_delivery(stores, ep).await;
            }
        })
        .await;
    assert_eq!(count(&stores, &ep, DeliveryStatus::Failed).await, FAILED);

    // Recover through the api function with an 8 s timeout (25 s in template.yaml), while the
    // delivery function works through what it enqueues. Shorter would test moto more than
    // the deadline: a call took up to 4.95 s on a loaded CI machine, where moto evaluates
    // every query over the whole table.
    let api = Function::start_with_timeout("webhooks-api", &env, Duration::from_secs(8)).await;
    let delivery = Arc::new(Function::start("webhooks-delivery", &env).await);
    let mapping = event_source_mapping(
        aws_sdk_sqs::Client::new(&sdk),
        names.delivery_queue_url.clone(),
        delivery.clone(),
    );
    let since = (now() - chrono::TimeDelta::hours(1)).to_rfc3339();
    let (mut recovered, mut calls, mut cut, mut cursor) = (0, 0, 0, Value::Null);
    loop {
        calls += 1;
        assert!(calls <= 200, "the recovery does not end");
        let path = format!("/v1/endpoints/{}/recover", ep.id);
        let resp = api
            .invoke(apigw_event(
                "POST",
                &path,
                admin(),
                Some(json!({"since": since, "cursor": cursor})),
            ))
            .await
            .expect("answered before the deadline, never killed");
        let (status, report) = http_response(&resp);
        // A step slower than the reserve (moto under CI load has taken seconds for one)
        // gets the deadline's answer instead: the UI makes that call again from the same
        // cursor, and so does this test.
        if status == 503 && report["code"] == "timeout" {
            cut += 1;
            continue;
        }
        assert_eq!(status, 202, "{resp}");
        recovered += report["recovered"].as_u64().unwrap();
        if report["complete"] == true {
            break;
        }
        // As the UI does: the next call goes on from where this one stopped.
        cursor = report["next_cursor"].clone();
        assert!(cursor.is_string(), "{report}");
    }
    assert!(
        calls - cut > 1,
        "the deadline cut the recovery into several calls"
    );
    assert_eq!(api.kills(), 0);
    assert_eq!(count(&stores, &ep, DeliveryStatus::Failed).await, 0);
    // A cut call's restarted chunk is replayed but not reported (at most one per cut).
    let recovered = recovered as usize;
    assert!(
        recovered <= FAILED,
        "{recovered} reported recovered of {FAILED}"
    );
    assert!(
        FAILED - recovered <= RECOVER_CHUNK * cut,
        "{recovered} reported recovered of {FAILED}, {cut} calls cut"
    );
    // Every one is delivered: none was left pending without its task. The delivery function
    // may still have most of them to do (on a loaded machine, moto serves a few a second):
    // what would show a stranded delivery is a minute without any being delivered. Only a
    // call cut short may leave its chunk without tasks, for the sweep to find.
    let (mut delivered, mut progressed, mut swept) = (0, std::time::Instant::now(), false);
    while delivered < FAILED {
        let now_delivered = count(&stores, &ep, DeliveryStatus::Delivered).await;
        if now_delivered > delivered {
            (delivered, progressed) = (now_delivered, std::time::Instant::now());
        }
        if progressed.elapsed() >= STALL && cut > 0 && !swept {
            sweep_once(&env).await;
            (swept, progressed) = (true, std::time::Instant::now());
        }
        assert!(
            progressed.elapsed() < STALL,
            "stranded: {} pending, none delivered for a minute",
            count(&stores, &ep, DeliveryStatus::Pending).await
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    // A delivery left pending without a task (as a function killed between a replay's
    // restart and its enqueue leaves it) is found by the sweep, and delivered.
    let stranded = failed_delivery(&stores, &ep).await;
    assert!(stores
        .log
        .restart(&DeliveryKey::new(&t, &ep.id, &stranded))
        .await
        .unwrap());
    let report = sweep_once(&env).await;
    assert_eq!(report["requeued"], 1, "{report}");
    wait_until(|| async {
        let e = stores
            .log
            .get(&DeliveryKey::new(&t, &ep.id, &stranded))
            .await
            .unwrap();
        e.is_some_and(|e| e.status == DeliveryStatus::Delivered)
    })
    .await;
    mapping.abort();
    api.stop().await;
}

/// One run of the sweep function, as its schedule invokes it; returns its report.
async fn sweep_once(env: &[(String, String)]) -> Value {
    let sweep = Function::start("webhooks-sweep", env).await;
    let report = sweep.invoke(json!({"source": "aws.scheduler"})).await;
    sweep.stop().await;
    report.unwrap()
}
