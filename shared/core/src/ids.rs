//! Typed identifiers: prefixed ULIDs for the ids we mint (`ep_…`, `msg_…`) and a checked
//! tenant (enseigne) id that comes from the caller's credentials.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Mutex;
use ulid::{Generator, Ulid};

/// Ids minted by one process increase strictly, even within a millisecond, so a log
/// ordered by id is ordered by creation.
fn monotonic_ulid() -> Ulid {
    static GENERATOR: Mutex<Generator> = Mutex::new(Generator::new());
    let mut g = GENERATOR.lock().unwrap_or_else(|p| p.into_inner());
    // Overflow needs 2^80 ids in one millisecond; fall back to a random one if it happens.
    g.generate().unwrap_or_else(|_| Ulid::new())
}

/// An id string did not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} id")]
pub struct IdError {
    pub kind: &'static str,
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $kind:literal) => {
        $(#[$doc])*
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id; ids minted later sort after ids minted earlier (ULID order).
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, monotonic_ulid()))
            }

            /// Parses `<prefix><26-char ULID>`; anything else is rejected.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let rest = s.strip_prefix($prefix).ok_or(IdError { kind: $kind })?;
                Ulid::from_string(rest).map_err(|_| IdError { kind: $kind })?;
                Ok(Self(s.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(s: String) -> Result<Self, IdError> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

prefixed_id!(
    /// Id of an endpoint, `ep_` + ULID.
    EndpointId,
    "ep_",
    "endpoint"
);
prefixed_id!(
    /// Id of a message (one accepted event), `msg_` + ULID. Sent as `webhook-id`.
    MessageId,
    "msg_",
    "message"
);

/// The enseigne an admin or an event belongs to: 1–64 chars of `[A-Za-z0-9_.-]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantId(String);

impl TenantId {
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let ok = !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError { kind: "tenant" })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TenantId {
    type Error = IdError;
    fn try_from(s: String) -> Result<Self, IdError> {
        Self::parse(&s)
    }
}

impl From<TenantId> for String {
    fn from(id: TenantId) -> String {
        id.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_reject_wrong_prefix() {
        let ep = EndpointId::generate();
        assert!(ep.as_str().starts_with("ep_"));
        assert_eq!(EndpointId::parse(ep.as_str()).unwrap(), ep);
        assert!(MessageId::parse(ep.as_str()).is_err());
        assert!(EndpointId::parse("ep_not-a-ulid").is_err());
        assert!(EndpointId::parse("").is_err());
    }

    #[test]
    fn later_ids_sort_after_earlier_ones_even_within_a_millisecond() {
        let ids: Vec<MessageId> = (0..1000).map(|_| MessageId::generate()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tenant_ids_are_checked() {
        assert!(TenantId::parse("ENS123").is_ok());
        assert!(TenantId::parse("ens-1.a_b").is_ok());
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse("a/b").is_err());
        assert!(TenantId::parse(&"x".repeat(65)).is_err());
    }
}
