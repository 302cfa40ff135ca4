use super::*;
use crate::ids::{MessageId, TenantId};
use serde_json::json;

fn t(min: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(min * 60, 0).unwrap()
}

fn endpoint(enabled: bool, since: Option<i64>, announced: Option<i64>) -> Endpoint {
    Endpoint {
        failing_since: since.map(t),
        failing_announced: announced.map(t),
        ..Endpoint::new(
            TenantId::parse("ENS1").unwrap(),
            "https://erp.example/hooks".into(),
            "ERP".into(),
            vec![],
            enabled,
        )
    }
}

fn failed_attempt(number: u32) -> Attempt {
    Attempt {
        number,
        started_at: t(100),
        duration_ms: 12,
        status_code: Some(503),
        error: Some("http_status".into()),
        response_excerpt: None,
        task: None,
    }
}

#[test]
fn failing_event_names_its_run_and_says_when_the_endpoint_will_be_disabled() {
    let e = endpoint(true, Some(0), None);
    let ev = endpoint_failing(
        &e,
        t(0),
        &failed_attempt(3),
        Duration::from_secs(5 * 86_400),
    );
    assert_eq!(ev.event_type, ENDPOINT_FAILING);
    assert_eq!(
        ev.event_id.as_deref(),
        Some(&*format!("failing:{}:0", e.id))
    );
    let data: OperationalData = serde_json::from_value(ev.event_data).unwrap();
    assert_eq!(data.disable_at, Some(t(5 * 24 * 60)));
    assert_eq!(data.failing_since, Some(t(0)));
    assert_eq!(data.last_error.unwrap().status_code, Some(503));
}

#[test]
fn no_message_failed_about_the_services_own_messages_or_a_disabled_endpoint() {
    let meta = |ty: &str| MessageMeta {
        id: MessageId::generate(),
        event_type: ty.into(),
        created_at: t(0),
    };
    let a = failed_attempt(5);
    // (message type, endpoint enabled) → event
    let table = [
        ("INVOICE_VALIDATED", true, true),
        ("INVOICE_VALIDATED", false, false),
        (MESSAGE_FAILED, true, false),
        (ENDPOINT_FAILING, true, false),
        ("WEBHOOK_TEST", true, false),
    ];
    for (ty, enabled, want) in table {
        let got = message_failed(&endpoint(enabled, Some(0), None), &meta(ty), &a);
        assert_eq!(got.is_some(), want, "{ty} {enabled}");
        if let Some(ev) = got {
            assert_eq!(ev.event_data["attempts"], 5);
            assert_eq!(ev.event_data["message_event_type"], ty);
        }
    }
}

#[test]
fn an_operational_event_never_goes_to_the_endpoint_it_is_about() {
    let (a, b) = (EndpointId::generate(), EndpointId::generate());
    let subscribers = vec![a.clone(), b.clone()];
    let about_a = json!({"endpoint_id": a.as_str()});
    // (type, data) → recipients
    let table = [
        (ENDPOINT_FAILING, about_a.clone(), vec![b.clone()]),
        (MESSAGE_FAILED, about_a.clone(), vec![b.clone()]),
        // A business event that happens to carry the field is not filtered.
        ("INVOICE_VALIDATED", about_a, vec![a.clone(), b.clone()]),
        (ENDPOINT_DISABLED, json!({}), vec![a, b]),
    ];
    for (ty, data, want) in table {
        assert_eq!(recipients(ty, &data, &subscribers), want, "{ty} {data}");
    }
}

#[test]
fn links_point_into_the_ui() {
    let mut data = json!({"endpoint_id": "ep_1", "message_id": "msg_2"});
    add_links(MESSAGE_FAILED, &mut data, "https://hooks.example/");
    assert_eq!(
        data["links"]["endpoint"],
        "https://hooks.example/#/endpoints/ep_1"
    );
    assert_eq!(
        data["links"]["message"],
        "https://hooks.example/#/endpoints/ep_1?msg=msg_2"
    );
    let mut business = json!({"endpoint_id": "ep_1"});
    add_links("INVOICE_VALIDATED", &mut business, "https://hooks.example/");
    assert!(business.get("links").is_none());
}
