//! Endpoint filters with the built functions on moto: the api function stores each
//! endpoint's filter, the ingest function evaluates it at fan-out, and each endpoint
//! receives only the events it matches.

use serde_json::json;
use std::sync::Arc;
use webhooks_aws::testing;
use webhooks_tests::lambda::{
    apigw_event, event_source_mapping, function_env, http_response, Function,
};
use webhooks_tests::{wait_until, TestReceiver};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_endpoint_receives_only_its_matching_events_on_moto() {
    let rx = TestReceiver::start().await;
    let (names, sdk) = testing::fresh_names().await;
    let ingest_queue = testing::queue(&sdk, "ingest").await;
    let ingest_dlq = testing::queue(&sdk, "ingest-dlq").await;
    let mut env = function_env(&names, &ingest_dlq, &ingest_queue);
    env.push(("WEBHOOKS_ROLE_CLAIM_SPLIT".into(), "true".into()));
    let api = Function::start("webhooks-api", &env).await;
    let ingest = Arc::new(Function::start("webhooks-ingest", &env).await);
    let delivery = Arc::new(Function::start("webhooks-delivery", &env).await);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let mappings = [
        event_source_mapping(sqs.clone(), ingest_queue.clone(), ingest.clone()),
        event_source_mapping(
            sqs.clone(),
            names.delivery_queue_url.clone(),
            delivery.clone(),
        ),
    ];
    let admin = json!({"sub": "admin-1", "enseigne_id": "ENS123", "groups": "[admin]"});
    for (path, filter) in [
        ("/ok/75", r#"event_data.agency_id == "AG-75""#),
        ("/ok/big", "double(event_data.amount_excl_tax) >= 1000.0"),
    ] {
        let body =
            json!({"url": rx.url(path), "event_types": ["INVOICE_VALIDATED"], "filter": filter});
        let (status, ep) = http_response(
            &api.invoke(apigw_event(
                "POST",
                "/v1/endpoints",
                admin.clone(),
                Some(body),
            ))
            .await
            .unwrap(),
        );
        assert_eq!((status, &ep["filter"]), (201, &json!(filter)), "{ep}");
    }
    let invoices = [
        ("FA-1", "AG-75", 10.0),
        ("FA-2", "AG-69", 5000.0),
        ("FA-3", "AG-75", 1500.0),
        ("FA-4", "AG-13", 20.0),
    ];
    for (id, agency, amount) in invoices {
        let event = json!({"tenant_id": "ENS123", "event_type": "INVOICE_VALIDATED", "event_data": {"invoice_id": id, "agency_id": agency, "amount_excl_tax": amount}});
        sqs.send_message()
            .queue_url(&ingest_queue)
            .message_body(event.to_string())
            .send()
            .await
            .unwrap();
    }
    let got = |path: &str| rx.data_field(path, "invoice_id");
    wait_until(|| async { got("/ok/75").len() >= 2 && got("/ok/big").len() >= 2 }).await;
    // FA-4 matched nobody; the last deliveries have had time to land if any were wrong.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(got("/ok/75"), ["FA-1", "FA-3"]);
    assert_eq!(got("/ok/big"), ["FA-2", "FA-3"]);
    for m in mappings {
        m.abort();
    }
    assert_eq!(ingest.init_error(), None);
    api.stop().await;
}
