//! Endpoint filters on the local stack: each endpoint receives only the events its CEL
//! filter matches, `POST /v1/filters/evaluate` agrees with the real fan-out, an edit takes
//! effect for the next event, and a bad filter is refused with its position.

use serde_json::{json, Value};
use webhooks_tests::{wait_until, Stack, TestReceiver, ADMIN_A};

const BIG_AT_75: &str =
    r#"event_data.agency_id in ["AG-75", "AG-69"] && double(event_data.amount_excl_tax) >= 1000.0"#;
const AT_69: &str = r#"event_data.agency_id == "AG-69""#;

/// The invoice ids a receiver path got.
fn got(receiver: &TestReceiver, path: &str) -> Vec<String> {
    receiver.data_field(path, "invoice_id")
}

async fn create(stack: &Stack, url: String, filter: Option<&str>) -> String {
    let (status, ep) = stack
        .call(
            "POST",
            "/v1/endpoints",
            ADMIN_A,
            Some(json!({"url": url, "event_types": ["INVOICE_VALIDATED"], "filter": filter})),
        )
        .await;
    assert_eq!(status, 201, "{ep}");
    assert_eq!(ep["filter"], json!(filter));
    ep["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_endpoint_gets_only_what_its_filter_matches() {
    let rx = TestReceiver::start().await;
    let stack = Stack::start().await;
    let a = create(&stack, rx.url("/ok/a"), Some(BIG_AT_75)).await;
    create(&stack, rx.url("/ok/b"), Some(AT_69)).await;
    create(&stack, rx.url("/ok/all"), None).await;

    // 20 generated invoices: three agencies, amounts as numbers or decimal strings.
    let agencies = ["AG-75", "AG-69", "AG-13"];
    let mut want = (Vec::new(), Vec::new());
    for i in 0..20u32 {
        let id = format!("FA-2026-{i:06}");
        let mut data =
            json!({"invoice_id": id, "agency_id": agencies[i as usize % 3], "currency": "EUR"});
        match i % 4 {
            0 => data["amount_excl_tax"] = json!(250 * i),
            1 => data["amount_excl_tax"] = json!(format!("{}.50", 300 * i)),
            2 => data["amount_excl_tax"] = json!(f64::from(i) * 99.9),
            _ => data["amount_excl_tax"] = json!("12.5"),
        }
        // What is published: these fields over the type's example (the helper's rule).
        let data = webhooks_tests::event_data("INVOICE_VALIDATED", data);
        for (filter, list) in [(BIG_AT_75, &mut want.0), (AT_69, &mut want.1)] {
            let (status, verdict) = stack
                .call("POST", "/v1/filters/evaluate", ADMIN_A, Some(json!({"filter": filter, "event_type": "INVOICE_VALIDATED", "event_data": data})))
                .await;
            assert_eq!(status, 200, "{verdict}");
            if verdict["matched"] == true {
                list.push(id.clone());
            }
        }
        let receipt = stack.publish("ENS_A", "INVOICE_VALIDATED", data).await;
        assert!(receipt["endpoints"].as_u64().unwrap() >= 1);
    }
    wait_until(|| async { got(&rx, "/ok/all").len() == 20 }).await;
    // The other two were fanned out with the same events, before the unfiltered one's
    // deliveries finished; let their deliveries land too.
    wait_until(|| async {
        got(&rx, "/ok/a").len() >= want.0.len() && got(&rx, "/ok/b").len() >= want.1.len()
    })
    .await;
    want.0.sort();
    want.1.sort();
    assert!(
        !want.0.is_empty() && !want.1.is_empty() && want.0.len() < 20,
        "{want:?}"
    );
    assert_eq!(
        got(&rx, "/ok/a"),
        want.0,
        "the evaluate route agrees with the fan-out"
    );
    assert_eq!(got(&rx, "/ok/b"), want.1);
    // A filtered-out event leaves no entry in that endpoint's log.
    let (_, log) = stack
        .call(
            "GET",
            &format!("/v1/endpoints/{a}/messages?limit=100"),
            ADMIN_A,
            None,
        )
        .await;
    assert_eq!(log["data"].as_array().unwrap().len(), want.0.len());

    // An edit takes effect for the next event.
    let ep = stack
        .patch(
            ADMIN_A,
            &a,
            json!({"filter": r#"event_data.agency_id == "AG-13""#}),
        )
        .await;
    assert_eq!(ep["filter"], r#"event_data.agency_id == "AG-13""#);
    stack
        .publish(
            "ENS_A",
            "INVOICE_VALIDATED",
            json!({"invoice_id": "FA-2026-999999", "agency_id": "AG-13"}),
        )
        .await;
    wait_until(|| async { got(&rx, "/ok/a").contains(&"FA-2026-999999".to_owned()) }).await;
    let ep = stack.patch(ADMIN_A, &a, json!({"filter": null})).await;
    assert_eq!(ep["filter"], Value::Null, "null removes it");
    stack.stop().await;
}

#[tokio::test]
async fn a_bad_filter_is_refused_with_its_position() {
    let stack = Stack::start().await;
    for (filter, want) in [
        ("event_data.agency_id ==", "line 1, column 24"),
        ("agency_id == \"AG-75\"", "unknown variable \"agency_id\""),
    ] {
        let (status, body) = stack
            .call("POST", "/v1/endpoints", ADMIN_A, Some(json!({"url": "http://127.0.0.1:9/h", "event_types": ["INVOICE_VALIDATED"], "filter": filter})))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errors"][0]["field"], "filter");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains(want),
            "{body}"
        );
        let (status, body) = stack
            .call(
                "POST",
                "/v1/filters/evaluate",
                ADMIN_A,
                Some(
                    json!({"filter": filter, "event_type": "INVOICE_VALIDATED", "event_data": {}}),
                ),
            )
            .await;
        assert_eq!(
            (status, &body["errors"][0]["field"]),
            (400, &json!("filter")),
            "{body}"
        );
    }
    let (status, body) = stack
        .call("POST", "/v1/filters/evaluate", ADMIN_A, Some(json!({"filter": "event_data.x == 1", "event_type": "INVOICE_VALIDATED", "event_data": {}})))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["matched"], false);
    assert!(
        body["error"].as_str().unwrap().contains("no field \"x\""),
        "{body}"
    );
    stack.stop().await;
}

#[tokio::test]
async fn an_event_that_breaks_its_schema_is_refused_naming_each_field_and_rule() {
    let stack = Stack::start().await;
    let event = json!({"tenant_id": "ENS_A", "event_type": "INVOICE_VALIDATED",
        "event_data": {"amount_excl_tax": "mille", "currency": "euros"}});
    let (status, body) = stack
        .call("POST", "/v1/events", webhooks_tests::INGEST, Some(event))
        .await;
    assert_eq!(status, 400, "{body}");
    let mut errors: Vec<(String, String)> = (body["errors"].as_array().unwrap().iter())
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    errors.sort();
    let fields: Vec<_> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "event_data",
            "event_data/amount_excl_tax",
            "event_data/currency"
        ],
        "{body}"
    );
    assert!(
        errors[0].1.ends_with("(required)") && errors[2].1.ends_with("(pattern)"),
        "{errors:?}"
    );
    // The type's contract is published with the catalog.
    let (status, ty) = stack
        .call("GET", "/v1/event-types/INVOICE_VALIDATED", ADMIN_A, None)
        .await;
    assert_eq!(status, 200, "{ty}");
    assert_eq!(ty["schema"]["required"], json!(["invoice_id"]));
    assert_eq!(ty["version"], 1);
    let (status, _) = stack
        .call("GET", "/v1/event-types/NOPE", ADMIN_A, None)
        .await;
    assert_eq!(status, 404);
    stack.stop().await;
}
