//! What template.yaml promises that cfn-lint cannot check: the secret prefix pattern, and a
//! retry schedule and redrive threshold that fit the delivery queue.

use serde_yaml::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn number(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v:?}"))
}

#[test]
fn the_secret_prefix_pattern_refuses_what_would_break_the_policies() {
    let t = template();
    let pattern = t["Parameters"]["SecretPrefix"]["AllowedPattern"]
        .as_str()
        .unwrap();
    // CloudFormation matches the whole value.
    let re = regex::Regex::new(&format!("^(?:{pattern})$")).unwrap();
    for ok in ["", "pp-svc-webhooks", "prod/webhooks", "a.b@c=d+e_f"] {
        assert!(re.is_match(ok), "{ok:?} should be accepted");
    }
    for bad in ["prod/", "/prod", "prod//webhooks", "with space", "prod/*"] {
        assert!(!re.is_match(bad), "{bad:?} should be refused");
    }
    assert_eq!(
        t["Parameters"]["SecretPrefix"]["Default"].as_str(),
        Some(""),
        "empty: the stack name, so stacks never share tenant keys"
    );
}

#[test]
fn the_longest_retry_schedule_fits_the_delivery_queue() {
    let t = template();
    let base = number(&t["Parameters"]["RetryBaseSeconds"]["MaxValue"]);
    let factor = number(&t["Parameters"]["RetryFactor"]["MaxValue"]);
    // Delays before attempts 2 to 5, each doubled at most by a Retry-After, with the +10 %
    // jitter.
    let schedule = base * (1.0 + factor + factor.powi(2) + factor.powi(3)) * 2.0 * 1.1;
    let queue = &t["Resources"]["DeliveryQueue"]["Properties"];
    let retention = number(&queue["MessageRetentionPeriod"]);
    assert!(
        schedule < retention,
        "{schedule} s of retries, {retention} s of retention"
    );
    let receives = number(&queue["RedrivePolicy"]["maxReceiveCount"]);
    assert!(
        receives >= 50.0,
        "receives are a crash guard, not the attempt count: {receives}"
    );
    for q in [
        "IngestQueue",
        "IngestDeadLetterQueue",
        "DeliveryQueue",
        "DeliveryDeadLetterQueue",
        "CountersDeadLetterQueue",
    ] {
        assert_eq!(
            number(&t["Resources"][q]["Properties"]["MaximumMessageSize"]) as usize,
            webhooks_aws::MAX_MESSAGE_BYTES,
            "{q}: the size the code plans for"
        );
    }
}
