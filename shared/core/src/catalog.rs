//! The event-type catalog: data, not code. The built-in list lives in
//! `catalog/event-types.json`; a deployment may load its own file instead.

use crate::operational::is_service_type;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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

/// One event type: its wire name, what it means, and an example `event_data`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventType {
    pub name: String,
    pub description: Localized,
    pub example: serde_json::Value,
}

/// The set of event types endpoints may subscribe to and services may publish.
#[derive(Debug, Clone)]
pub struct Catalog {
    types: BTreeMap<String, EventType>,
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
        Ok(Self { types })
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
