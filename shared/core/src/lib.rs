//! Core of pp-svc-webhooks: domain types, validation, the event-type catalog, signing,
//! the retry policy, the ports (storage, queue, outbound HTTP) and the services that
//! use them. Nothing here knows about AWS, SQLite or HTTP servers.

pub mod catalog;
pub mod counters;
pub mod env;
pub mod error;
pub mod filter;
pub mod ids;
pub mod model;
pub mod net;
pub mod notify;
pub mod operational;
pub mod ports;
pub mod retry;
pub mod services;
pub mod signing;
pub mod validation;

#[cfg(feature = "contract")]
pub mod contract;

pub use error::{CoreError, FieldError, StoreError};
pub use ids::{EndpointId, MessageId, TenantId};
