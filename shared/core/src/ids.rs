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

            /// Parses `<prefix><26-char ULID>` in its canonical spelling (upper case, as
            /// minted); anything else is rejected.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let rest = s.strip_prefix($prefix).ok_or(IdError { kind: $kind })?;
                match Ulid::from_string(rest) {
                    Ok(u) if u.to_string() == rest => Ok(Self(s.to_owned())),
                    _ => Err(IdError { kind: $kind }),
                }
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

impl MessageId {
    /// The id of an event its publisher named `event_id`: a ULID of the current time whose
    /// 80 random bits are the first 80 bits of SHA-256(tenant, `event_id`). An event sent
    /// again gets another id but the same [`Self::key_part`], so a store that keys messages
    /// by it (DynamoDB) needs no separate idempotency record: the conditional write of the
    /// message is the duplicate check. Two different event ids of one tenant share a key
    /// part with probability about n²/2⁸¹ (10⁹ events: 4 × 10⁻⁷).
    pub fn for_event(tenant: &TenantId, event_id: &str) -> Self {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        h.update(tenant.as_str().as_bytes());
        h.update([0]);
        h.update(event_id.as_bytes());
        let digest = h.finalize();
        let mut random = [0u8; 16];
        random[6..].copy_from_slice(&digest[..10]);
        let ms = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or_default();
        Self(format!(
            "{}{}",
            Self::PREFIX,
            Ulid::from_parts(ms, u128::from_be_bytes(random))
        ))
    }

    /// The ULID's 80 random bits (its last 16 characters): random for an event without
    /// `event_id`, derived from it otherwise ([`Self::for_event`]).
    pub fn key_part(&self) -> &str {
        &self.0[self.0.len() - 16..]
    }
}

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
    fn event_ids_fix_the_key_part_not_the_time() {
        let a = TenantId::parse("A").unwrap();
        let b = TenantId::parse("B").unwrap();
        let first = MessageId::for_event(&a, "FA-1");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let again = MessageId::for_event(&a, "FA-1");
        assert_ne!(first, again, "a new id each time");
        assert_eq!(first.key_part(), again.key_part());
        assert_eq!(MessageId::parse(again.as_str()).unwrap(), again);
        assert!(again > first, "later ids still sort after earlier ones");
        assert_ne!(
            MessageId::for_event(&b, "FA-1").key_part(),
            first.key_part()
        );
        assert_ne!(
            MessageId::for_event(&a, "FA-2").key_part(),
            first.key_part()
        );
        assert_eq!(MessageId::generate().key_part().len(), 16);
    }

    #[test]
    fn ids_round_trip_and_reject_wrong_prefix() {
        let ep = EndpointId::generate();
        assert!(ep.as_str().starts_with("ep_"));
        assert_eq!(EndpointId::parse(ep.as_str()).unwrap(), ep);
        assert!(MessageId::parse(ep.as_str()).is_err());
        assert!(EndpointId::parse("ep_not-a-ulid").is_err());
        assert!(EndpointId::parse("").is_err());
        // One spelling per id, the minted one: the API document's pattern says exactly that.
        let lower = format!("ep_{}", ep.as_str()[3..].to_lowercase());
        assert!(EndpointId::parse(&lower).is_err(), "{lower}");
        assert!(
            EndpointId::parse("ep_8ZZZZZZZZZZZZZZZZZZZZZZZZZ").is_err(),
            "over 128 bits"
        );
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
