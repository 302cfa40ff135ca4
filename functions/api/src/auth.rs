//! `JwtClaims`: the `Authenticator` of the api Lambda. API Gateway's JWT authorizer has
//! already validated the token; its claims arrive in the request context as strings, with
//! array claims flattened (`"[admin ops]"`) or as JSON (`"[\"admin\",\"ops\"]"`).

use http::request::Parts;
use lambda_http::request::RequestContext;
use webhooks_api::{AuthError, Authenticator, Principal};
use webhooks_core::TenantId;

/// Claim names and the role that makes an admin.
#[derive(Debug, Clone)]
pub struct JwtClaims {
    pub tenant_claim: String,
    pub role_claim: String,
    pub admin_role: String,
}

/// The values of a claim that may hold one value or a list.
pub fn claim_values(raw: &str) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    raw.trim_start_matches('[')
        .trim_end_matches(']')
        .split(|c: char| c.is_whitespace() || c == ',')
        .map(|v| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
        .collect()
}

impl Authenticator for JwtClaims {
    fn authenticate(&self, parts: &Parts) -> Result<Principal, AuthError> {
        let claims = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.jwt.as_ref())
                .map(|jwt| &jwt.claims)
                .ok_or(AuthError::Unauthenticated)?,
            _ => return Err(AuthError::Unauthenticated),
        };
        let tenant = claims
            .get(&self.tenant_claim)
            .and_then(|t| TenantId::parse(t.trim()).ok())
            .ok_or(AuthError::NoTenant)?;
        let admin = claims
            .get(&self.role_claim)
            .is_some_and(|roles| claim_values(roles).iter().any(|r| r == &self.admin_role));
        Ok(Principal::Tenant { tenant, admin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_in_every_wire_shape() {
        assert_eq!(claim_values("[admin ops]"), ["admin", "ops"]);
        assert_eq!(claim_values(r#"["admin","ops"]"#), ["admin", "ops"]);
        assert_eq!(claim_values("admin"), ["admin"]);
        assert_eq!(claim_values("admin,ops"), ["admin", "ops"]);
        assert_eq!(claim_values("[]"), Vec::<String>::new());
        assert!(!claim_values("[administrators]").contains(&"admin".to_owned()));
    }
}
