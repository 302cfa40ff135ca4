//! Who is calling: the `Authenticator` port turns request parts into a `Principal`. The
//! local binary maps static bearer tokens; the api Lambda reads JWT authorizer claims.

use axum::extract::FromRequestParts;
use http::request::Parts;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use webhooks_core::TenantId;

use crate::problem::ApiError;
use crate::AppState;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person of a tenant; only admins may use the admin API.
    Tenant { tenant: TenantId, admin: bool },
    /// A Peopulse service allowed to publish events.
    Service,
}

/// Why a request is not allowed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing or invalid credentials")]
    Unauthenticated,
    #[error("the credentials carry no tenant")]
    NoTenant,
    #[error("this operation is not allowed for these credentials")]
    Forbidden,
}

/// Authenticates a request from its head.
pub trait Authenticator: Send + Sync {
    fn authenticate(&self, parts: &Parts) -> Result<Principal, AuthError>;
}

/// Static bearer tokens. Tokens are kept as SHA-256 digests, so a lookup takes the same
/// time whatever prefix of a valid token the caller guessed.
#[derive(Default)]
pub struct StaticTokens {
    by_digest: HashMap<[u8; 32], Principal>,
}

impl StaticTokens {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, token: &str, principal: Principal) -> Self {
        self.by_digest
            .insert(Sha256::digest(token.as_bytes()).into(), principal);
        self
    }
}

/// The token of an `Authorization: Bearer …` header, if any.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

impl Authenticator for StaticTokens {
    fn authenticate(&self, parts: &Parts) -> Result<Principal, AuthError> {
        let token = bearer(parts).ok_or(AuthError::Unauthenticated)?;
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        self.by_digest
            .get(&digest)
            .cloned()
            .ok_or(AuthError::Unauthenticated)
    }
}

/// Extractor: the tenant of an authenticated admin (401 without credentials, 403 otherwise).
pub struct AdminOf(pub TenantId);

impl FromRequestParts<AppState> for AdminOf {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.auth.authenticate(parts)? {
            Principal::Tenant {
                tenant,
                admin: true,
            } => Ok(Self(tenant)),
            _ => Err(AuthError::Forbidden.into()),
        }
    }
}

/// Extractor: a service allowed to publish events.
pub struct ServiceCaller;

impl FromRequestParts<AppState> for ServiceCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match state.auth.authenticate(parts)? {
            Principal::Service => Ok(Self),
            Principal::Tenant { .. } => Err(AuthError::Forbidden.into()),
        }
    }
}
