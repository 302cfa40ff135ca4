//! The functions' environment, read from template.yaml with its intrinsic functions
//! resolved for a test's moto resources.

/// The environment template.yaml gives the functions (its `Globals` and every function's
/// own variables, with parameters at their defaults), pointed at the moto resources `names`,
/// `ingest_dlq` and `ingest_queue` (empty: no operational events are published); then what
/// only a test needs: the emulator's endpoint, and plain-http loopback receivers allowed.
/// Read from the template itself, so the functions run here with what a deployment gives
/// them.
pub fn function_env(
    names: &webhooks_aws::AwsNames,
    ingest_dlq: &str,
    ingest_queue: &str,
) -> Vec<(String, String)> {
    let mut env = template_env(names, ingest_dlq, ingest_queue);
    env.extend(
        [
            (
                "WEBHOOKS_AWS_ENDPOINT_URL",
                webhooks_aws::testing::moto_endpoint(),
            ),
            ("WEBHOOKS_REQUIRE_HTTPS", "false".into()),
            ("WEBHOOKS_ALLOW_PRIVATE_TARGETS", "true".into()),
        ]
        .map(|(k, v)| (k.to_owned(), v)),
    );
    env
}

/// The variables template.yaml sets, resolved: `!Ref` of a parameter gives its default,
/// `!Ref` of the table and queues the test's resources, `!If` its branch for the
/// parameters' defaults, `!Sub` the pseudo parameters and the API's id (`api-test`).
pub fn template_env(
    names: &webhooks_aws::AwsNames,
    ingest_dlq: &str,
    ingest_queue: &str,
) -> Vec<(String, String)> {
    use serde_yaml::Value as Y;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml");
    let doc: Y = serde_yaml::from_str(&std::fs::read_to_string(path).expect("template.yaml"))
        .expect("template.yaml parses");
    let default = |p: &str| match &doc["Parameters"][p]["Default"] {
        Y::String(s) => s.clone(),
        Y::Number(n) => n.to_string(),
        other => panic!("parameter {p} has no usable default: {other:?}"),
    };
    // Only the conditions the template uses on variables: a parameter left empty or not.
    let condition = |name: &str| -> bool {
        let Y::Tagged(not) = &doc["Conditions"][name] else {
            panic!("condition {name} not understood")
        };
        let Y::Tagged(equals) = &not.value[0] else {
            panic!("condition {name} not understood")
        };
        let Y::Tagged(r) = &equals.value[0] else {
            panic!("condition {name} not understood")
        };
        assert!(
            not.tag == "!Not"
                && equals.tag == "!Equals"
                && equals.value[1] == Y::String(String::new())
        );
        !default(r.value.as_str().expect("!Ref names a string")).is_empty()
    };
    fn resolve(v: &Y, r: &dyn Fn(&str) -> String, c: &dyn Fn(&str) -> bool) -> Option<String> {
        Some(match v {
            Y::String(s) => s.clone(),
            Y::Number(n) => n.to_string(),
            Y::Bool(b) => b.to_string(),
            Y::Tagged(t) if t.tag == "!Ref" && t.value.as_str() == Some("AWS::NoValue") => {
                return None
            }
            Y::Tagged(t) if t.tag == "!Ref" => r(t.value.as_str().expect("!Ref names a string")),
            Y::Tagged(t) if t.tag == "!If" => {
                let branch = if c(t.value[0].as_str().expect("condition name")) {
                    1
                } else {
                    2
                };
                return resolve(&t.value[branch], r, c);
            }
            Y::Tagged(t) if t.tag == "!Sub" => (t.value.as_str().expect("!Sub of a string"))
                .replace("${HttpApi}", "api-test")
                .replace("${AWS::Region}", "eu-west-3")
                .replace("${AWS::URLSuffix}", "amazonaws.com"),
            other => panic!("template variable value not understood: {other:?}"),
        })
    }
    let reference = |name: &str| match name {
        "Table" => names.table.clone(),
        "DeliveryQueue" => names.delivery_queue_url.clone(),
        "IngestDeadLetterQueue" => ingest_dlq.to_owned(),
        "IngestQueue" => ingest_queue.to_owned(),
        "RetentionDays" => names.retention_days.to_string(),
        p => default(p),
    };
    let mut env = Vec::new();
    let mut add = |vars: &Y| {
        for (k, v) in vars.as_mapping().into_iter().flatten() {
            let k = k.as_str().expect("variable name");
            // Each test has its own prefix, as each stack has its own (the template's
            // default is the stack name).
            let v = match k {
                "WEBHOOKS_SECRET_PREFIX" => Some(names.secret_prefix.clone()),
                _ => resolve(v, &reference, &condition),
            };
            if let Some(v) = v.filter(|v| !v.is_empty()) {
                env.push((k.to_owned(), v));
            }
        }
    };
    add(&doc["Globals"]["Function"]["Environment"]["Variables"]);
    for (_, r) in doc["Resources"].as_mapping().expect("Resources") {
        if r["Type"] == Y::String("AWS::Serverless::Function".into()) {
            add(&r["Properties"]["Environment"]["Variables"]);
        }
    }
    assert!(
        env.iter().any(|(k, _)| k == "WEBHOOKS_TABLE"),
        "template env not found"
    );
    env
}
