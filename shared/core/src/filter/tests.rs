use super::*;
use serde_json::json;

fn invoice() -> serde_json::Value {
    json!({"invoice_id": "FA-2026-001234", "agency_id": "AG-75", "amount_excl_tax": 1250.5,
           "lines": [{"qty": 2}, {"qty": 7}], "currency": "EUR"})
}

#[test]
fn filters_are_checked_when_saved() {
    // (source) → error contains
    let long = "event_type == \"A\" || ".repeat(60) + "true";
    let table = [
        ("event_data.agency_id ==", "syntax error at line 1, column"),
        (
            "event_data.x == 1 &&& true",
            "syntax error at line 1, column 21",
        ),
        ("(", "syntax error at line 1, column 2"),
        ("agency_id == \"AG-75\"", "unknown variable \"agency_id\""),
        ("   ", "must not be empty"),
        (long.as_str(), "at most 1000 characters"),
    ];
    for (source, want) in table {
        let e = Filter::compile(source).expect_err(source);
        assert_eq!(e.field, "filter");
        assert!(e.message.contains(want), "{source}: {}", e.message);
    }
}

#[test]
fn filters_see_the_event_type_and_its_typed_data() {
    let ctx = EventContext::new("INVOICE_VALIDATED", &invoice());
    // (source) → matched
    let table = [
        (
            r#"event_data.agency_id in ["AG-75", "AG-69"] && double(event_data.amount_excl_tax) >= 1000.0"#,
            true,
        ),
        (r#"event_data.agency_id in ["AG-69"]"#, false),
        (r#"event_type == "INVOICE_VALIDATED""#, true),
        (r#"event_type.startsWith("CONTRACT_")"#, false),
        ("event_data.lines.exists(l, l.qty > 5)", true),
        ("event_data.lines.all(l, l.qty > 5)", false),
        (
            r#"has(event_data.po_number) && event_data.po_number == "X""#,
            false,
        ),
        (r#"event_data.currency != "USD""#, true),
    ];
    for (source, want) in table {
        let f = Filter::compile(source).unwrap_or_else(|e| panic!("{source}: {e:?}"));
        assert_eq!(f.matches(&ctx), Ok(want), "{source}");
    }
}

#[test]
fn a_filter_that_cannot_be_evaluated_is_an_error_not_a_match() {
    let ctx = EventContext::new("INVOICE_VALIDATED", &invoice());
    for source in [
        "event_data.missing == 1",
        "event_data.invoice_id > 3",
        "event_data.agency_id",
    ] {
        let f = Filter::compile(source).unwrap();
        assert!(f.matches(&ctx).is_err(), "{source}");
    }
}
