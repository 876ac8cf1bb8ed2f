//! Scope narrowing: what a request gets of the scopes its client is allowed.

use crate::ids::Scope;
use crate::userpool::clients::RESERVED_SCOPES;

/// The requested scopes (space-separated) the client is allowed, in the request's order; all
/// allowed scopes when none are requested. `None` when scopes were requested and none is
/// allowed (`invalid_scope`).
pub fn narrow(requested: Option<&str>, allowed: Vec<Scope>) -> Option<Vec<Scope>> {
    let Some(requested) = requested.map(str::trim).filter(|s| !s.is_empty()) else {
        return Some(allowed);
    };
    let kept: Vec<Scope> =
        requested.split_whitespace().filter_map(|r| allowed.iter().find(|a| *a == r).cloned()).collect();
    (!kept.is_empty()).then_some(kept)
}

/// Scopes a client_credentials request may get: custom scopes only.
pub fn custom_scopes(allowed: &[Scope]) -> Vec<Scope> {
    allowed.iter().filter(|s| !RESERVED_SCOPES.contains(&s.as_str())).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<Scope> {
        s.iter().map(|x| Scope::from(*x)).collect()
    }

    #[test]
    fn narrowing_keeps_the_allowed_requested_scopes_in_request_order() {
        let allowed = v(&["openid", "email", "api/read"]);
        assert_eq!(narrow(None, allowed.clone()), Some(allowed.clone()));
        assert_eq!(narrow(Some("  "), allowed.clone()), Some(allowed.clone()));
        assert_eq!(narrow(Some("api/read openid nope"), allowed.clone()), Some(v(&["api/read", "openid"])));
        assert_eq!(narrow(Some("nope other"), allowed), None);
    }

    #[test]
    fn client_credentials_get_custom_scopes_only() {
        assert_eq!(custom_scopes(&v(&["openid", "api/read", "aws.cognito.signin.user.admin"])), v(&["api/read"]));
    }
}
