//! `JwtClaims`: the `Authenticator` of the api Lambda. API Gateway's JWT authorizer has
//! already validated the token; its claims arrive in the request context as strings, with
//! array claims flattened (`"[admin ops]"`) or as JSON (`"[\"admin\",\"ops\"]"`).
//!
//! A flattened array is ambiguous: `"[not admin]"` is one group named `not admin` or two
//! groups. So the admin role is matched against a JSON array's elements, or against a whole
//! scalar claim (a dedicated role claim), and a flattened array is split on spaces only when
//! the deployment says its group names never contain one (`WEBHOOKS_ROLE_CLAIM_SPLIT`; true
//! of Cognito, whose group names cannot hold whitespace). Otherwise its whole content must
//! be the admin role.

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
    /// A flattened array claim (`"[a b]"`) may be split on spaces: role names never hold one.
    pub split_flattened: bool,
}

/// The values of a role claim as API Gateway hands it over: a JSON array's elements; a
/// flattened array's content, split on whitespace only when `split`; a scalar whole.
pub fn claim_values(raw: &str, split: bool) -> Vec<String> {
    let raw = raw.trim();
    if let Ok(list) = serde_json::from_str::<Vec<String>>(raw) {
        return list;
    }
    match raw.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        Some(inner) if split => inner.split_whitespace().map(str::to_owned).collect(),
        Some(inner) if inner.trim().is_empty() => Vec::new(),
        Some(inner) => vec![inner.trim().to_owned()],
        None => vec![raw.to_owned()],
    }
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
        let admin = claims.get(&self.role_claim).is_some_and(|roles| {
            claim_values(roles, self.split_flattened)
                .iter()
                .any(|r| r == &self.admin_role)
        });
        Ok(Principal::Tenant { tenant, admin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_in_every_wire_shape() {
        // (claim as API Gateway passes it, split flattened arrays?) → values
        let table: &[(&str, bool, &[&str])] = &[
            ("[admin ops]", true, &["admin", "ops"]),
            ("[admin ops]", false, &["admin ops"]),
            (r#"["admin","ops"]"#, false, &["admin", "ops"]),
            (r#"["not admin","ops"]"#, true, &["not admin", "ops"]),
            ("admin", false, &["admin"]),
            ("admin", true, &["admin"]),
            ("not admin", true, &["not admin"]),
            ("[admin]", false, &["admin"]),
            ("[not admin]", false, &["not admin"]),
            ("[[admin]]", false, &["[admin]"]),
            ("[]", true, &[]),
            ("[]", false, &[]),
            ("admin,ops", false, &["admin,ops"]),
        ];
        for (raw, split, want) in table {
            assert_eq!(claim_values(raw, *split), *want, "{raw:?} split={split}");
        }
    }

    #[test]
    fn group_names_with_spaces_or_brackets_never_make_an_admin() {
        let is_admin =
            |raw: &str, split: bool| claim_values(raw, split).iter().any(|r| r == "admin");
        // A single group named "not admin", as JSON, as a scalar, flattened unsplit.
        assert!(!is_admin(r#"["not admin"]"#, true));
        assert!(!is_admin("not admin", true));
        assert!(!is_admin("[not admin]", false));
        assert!(
            !is_admin("[admin ops]", false),
            "ambiguous unless the deployment says so"
        );
        assert!(!is_admin("[[admin]]", false));
        assert!(!is_admin("[administrators]", true));
        assert!(is_admin("[ops admin]", true));
        assert!(is_admin(r#"["ops","admin"]"#, false));
    }
}
