//! The event-type catalog: data, not code. The built-in list lives in
//! `catalog/event-types.json`; a deployment may load its own file instead. Each type may
//! carry a JSON Schema (draft 2020-12) of its `event_data`, compiled once when the catalog
//! is loaded and checked at publish.

use crate::operational::is_service_type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Event type of the test events an admin sends from the UI. Not in the catalog: nobody
/// subscribes to it, it only ever goes to the endpoint being tested.
pub const TEST_EVENT_TYPE: &str = "WEBHOOK_TEST";

const BUILT_IN: &str = include_str!("../catalog/event-types.json");
/// The service's own types ([`crate::operational`]), in every catalog.
const OPERATIONAL: &str = include_str!("../catalog/operational-types.json");

/// A label in the languages the UI speaks.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Localized {
    pub fr: String,
    pub en: String,
}

/// One event type: its wire name, what it means, the contract of its `event_data` and an
/// example of it (which the contract must accept).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventType {
    pub name: String,
    pub description: Localized,
    /// Version of the schema, raised with every change of it.
    #[serde(default = "first_version")]
    pub version: u32,
    /// `false`: the schema is documentation only (during a migration); events that break
    /// it are delivered, and the violations logged and counted.
    #[serde(default = "enforced")]
    pub enforce: bool,
    /// JSON Schema (draft 2020-12) of `event_data`; fields carry an English `description`
    /// and a French `x-description-fr`.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<serde_json::Value>,
    pub example: serde_json::Value,
}

fn first_version() -> u32 {
    1
}

fn enforced() -> bool {
    true
}

/// The set of event types endpoints may subscribe to and services may publish.
#[derive(Clone)]
pub struct Catalog {
    types: BTreeMap<String, EventType>,
    /// Each schema compiled once (compiling is far dearer than validating).
    validators: BTreeMap<String, Arc<jsonschema::Validator>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("types", &self.types.keys())
            .finish()
    }
}

/// One way `event_data` breaks its type's schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON pointer into `event_data` (`""` for the whole object).
    pub pointer: String,
    /// The schema keyword broken: `required`, `type`, `format`, `pattern`…
    pub rule: String,
    pub message: String,
}

impl Violation {
    /// As a field error of the request: `event_data/amount_excl_tax`.
    pub fn field_error(&self) -> crate::error::FieldError {
        crate::error::FieldError::new(
            format!("event_data{}", self.pointer),
            "event_data.schema",
            format!("{} ({})", self.message, self.rule),
        )
        .with("pointer", self.pointer.as_str())
        .with("rule", self.rule.as_str())
        .with("detail", self.message.as_str())
    }
}

/// The catalog file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("event-type catalog is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error(
        "event-type catalog: invalid or duplicate name {0:?} (expected UPPER_SNAKE_CASE, unique)"
    )]
    BadName(String),
    #[error("event-type catalog is empty")]
    Empty,
    #[error(
        "event-type catalog: {0:?} is reserved for the service's own events (prefix WEBHOOK_)"
    )]
    Reserved(String),
    #[error("event-type catalog: the schema of {name} is not a valid JSON Schema: {message}")]
    Schema { name: String, message: String },
    #[error("event-type catalog: the example of {name} breaks its schema: {message}")]
    Example { name: String, message: String },
}

impl Catalog {
    /// The catalog shipped with the service.
    pub fn built_in() -> Self {
        // The built-in file is covered by a unit test, so a parse failure here is a build bug.
        Self::from_json(BUILT_IN).expect("built-in catalog is valid")
    }

    /// Parses a catalog file: a JSON array of `{name, description: {fr, en}, example}`. The
    /// operational types are added to it; a file may not define `WEBHOOK_` types itself.
    pub fn from_json(json: &str) -> Result<Self, CatalogError> {
        let list: Vec<EventType> = serde_json::from_str(json)?;
        if list.is_empty() {
            return Err(CatalogError::Empty);
        }
        let mut types = BTreeMap::new();
        for t in list {
            if is_service_type(&t.name) {
                return Err(CatalogError::Reserved(t.name));
            }
            if !is_event_type_name(&t.name) || types.contains_key(&t.name) {
                return Err(CatalogError::BadName(t.name));
            }
            types.insert(t.name.clone(), t);
        }
        let operational: Vec<EventType> = serde_json::from_str(OPERATIONAL)?;
        types.extend(operational.into_iter().map(|t| (t.name.clone(), t)));
        let mut validators = BTreeMap::new();
        for t in types.values() {
            let Some(schema) = &t.schema else { continue };
            let v = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .should_validate_formats(true)
                .build(schema)
                .map_err(|e| CatalogError::Schema {
                    name: t.name.clone(),
                    message: e.to_string(),
                })?;
            if let Some(e) = v.iter_errors(&t.example).next() {
                return Err(CatalogError::Example {
                    name: t.name.clone(),
                    message: format!("{}: {e}", e.instance_path()),
                });
            }
            validators.insert(t.name.clone(), Arc::new(v));
        }
        Ok(Self { types, validators })
    }

    /// How `event_data` breaks the schema of `event_type` (empty when it does not, or the
    /// type has no schema).
    pub fn violations(&self, event_type: &str, event_data: &serde_json::Value) -> Vec<Violation> {
        // Most events are valid: a yes/no check is cheaper than collecting no errors.
        let Some(v) = self
            .validators
            .get(event_type)
            .filter(|v| !v.is_valid(event_data))
        else {
            return Vec::new();
        };
        v.iter_errors(event_data)
            .map(|e| {
                let schema_path = e.schema_path().to_string();
                let rule = schema_path
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                Violation {
                    pointer: e.instance_path().to_string(),
                    rule,
                    message: e.to_string(),
                }
            })
            .collect()
    }

    /// Whether events of `event_type` that break its schema are refused.
    pub fn enforced(&self, event_type: &str) -> bool {
        self.types.get(event_type).is_none_or(|t| t.enforce)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.types.contains_key(name)
    }

    pub fn get(&self, name: &str) -> Option<&EventType> {
        self.types.get(name)
    }

    /// All types, sorted by name.
    pub fn all(&self) -> impl Iterator<Item = &EventType> {
        self.types.values()
    }
}

fn is_event_type_name(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && s.as_bytes()[0].is_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operational::{OperationalData, OPERATIONAL_TYPES};

    #[test]
    fn built_in_catalog_has_the_seed_types_and_examples() {
        let c = Catalog::built_in();
        for name in [
            "INVOICE_VALIDATED",
            "CONTRACT_CREATED",
            "TIMESHEET_VALIDATED",
            "ORDER_CREATED",
            "CONTRACT_AMENDMENT_CREATED",
        ] {
            let t = c.get(name).unwrap_or_else(|| panic!("{name} missing"));
            assert!(t.example.is_object(), "{name} example must be an object");
            assert!(!t.description.fr.is_empty() && !t.description.en.is_empty());
        }
        assert!(!c.contains("NOPE"));
    }

    #[test]
    fn every_type_has_a_schema_that_its_example_meets() {
        let c = Catalog::built_in();
        for t in c.all() {
            assert!(t.schema.is_some(), "{} has no schema", t.name);
            assert_eq!(c.violations(&t.name, &t.example), vec![], "{}", t.name);
        }
        let broken = r#"[{"name":"A","description":{"fr":"f","en":"e"},"example":{"n":"x"},
            "schema":{"type":"object","properties":{"n":{"type":"integer"}}}}]"#;
        assert!(matches!(
            Catalog::from_json(broken),
            Err(CatalogError::Example { .. })
        ));
        let invalid = r#"[{"name":"A","description":{"fr":"f","en":"e"},"example":{},
            "schema":{"type":"nope"}}]"#;
        assert!(matches!(
            Catalog::from_json(invalid),
            Err(CatalogError::Schema { .. })
        ));
    }

    /// A whole number written with a fraction (`348.0`) is an integer, also where a
    /// property allows several types.
    #[test]
    fn type_lists_take_whole_numbers_as_integers() {
        let schema =
            serde_json::json!({"properties": {"n": {"type": ["integer", "null"], "minimum": 0}}});
        let v = jsonschema::validator_for(&schema).unwrap();
        for (n, valid) in [
            (serde_json::json!(348), true),
            (serde_json::json!(348.0), true),
            (serde_json::json!(null), true),
            (serde_json::json!(3.5), false),
            (serde_json::json!(-1), false),
            (serde_json::json!("348"), false),
        ] {
            assert_eq!(v.is_valid(&serde_json::json!({ "n": n })), valid, "{n}");
        }
    }

    #[test]
    fn violations_name_the_pointer_and_the_rule_broken() {
        let c = Catalog::built_in();
        // (type, event_data) → (pointer, rule) of each violation
        let table = [
            (
                "INVOICE_VALIDATED",
                serde_json::json!({"invoice_id": "FA-1", "amount_excl_tax": "mille"}),
                vec![("/amount_excl_tax", "anyOf")],
            ),
            (
                "INVOICE_VALIDATED",
                serde_json::json!({"amount_excl_tax": 12}),
                vec![("", "required")],
            ),
            (
                "INVOICE_VALIDATED",
                serde_json::json!({"invoice_id": "FA-1", "currency": "eur"}),
                vec![("/currency", "pattern")],
            ),
            (
                "INVOICE_CREATED",
                serde_json::json!({"invoice_id": "FA-1", "due_date": "2026-13-45"}),
                vec![("/due_date", "format")],
            ),
            (
                "ORDER_FILLED",
                serde_json::json!({"order_id": "CMD-1", "worker_ids": []}),
                vec![("/worker_ids", "minItems")],
            ),
            (
                "INVOICE_VALIDATED",
                serde_json::json!({"invoice_id": "FA-1", "amount_excl_tax": "1850.40", "extra": true}),
                vec![],
            ),
        ];
        for (ty, data, want) in table {
            let got: Vec<_> = c
                .violations(ty, &data)
                .into_iter()
                .map(|v| (v.pointer, v.rule))
                .collect();
            let want: Vec<_> = want
                .into_iter()
                .map(|(p, r)| (p.to_owned(), r.to_owned()))
                .collect();
            assert_eq!(got, want, "{ty} {data}");
        }
    }

    #[test]
    fn every_catalog_has_the_operational_types_and_their_examples_parse() {
        let custom = Catalog::from_json(
            r#"[{"name":"MISSION_ENDED","description":{"fr":"f","en":"e"},"example":{}}]"#,
        )
        .unwrap();
        for c in [Catalog::built_in(), custom] {
            for name in OPERATIONAL_TYPES {
                let t = c.get(name).unwrap_or_else(|| panic!("{name} missing"));
                serde_json::from_value::<OperationalData>(t.example.clone())
                    .unwrap_or_else(|e| panic!("{name} example: {e}"));
            }
        }
        let reserved = r#"[{"name":"WEBHOOK_X","description":{"fr":"f","en":"e"},"example":{}}]"#;
        assert!(matches!(
            Catalog::from_json(reserved),
            Err(CatalogError::Reserved(_))
        ));
    }

    #[test]
    fn a_new_type_is_data_only() {
        let c = Catalog::from_json(
            r#"[{"name":"MISSION_ENDED","description":{"fr":"f","en":"e"},"example":{}}]"#,
        )
        .unwrap();
        assert!(c.contains("MISSION_ENDED"));
    }

    #[test]
    fn bad_catalogs_are_rejected() {
        assert!(Catalog::from_json("[]").is_err());
        assert!(Catalog::from_json(
            r#"[{"name":"lower","description":{"fr":"f","en":"e"},"example":{}}]"#
        )
        .is_err());
        let dup = r#"[{"name":"A","description":{"fr":"f","en":"e"},"example":{}},
                      {"name":"A","description":{"fr":"f","en":"e"},"example":{}}]"#;
        assert!(Catalog::from_json(dup).is_err());
    }
}
