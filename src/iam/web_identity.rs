//! The STS `WebIdentityToken` as a [`WebIdentity`]: an identity-pool OpenID token (provider
//! `cognito-identity.amazonaws.com`, `aud` = identity pool id, `amr` as Cognito) or a user-pool
//! ID token (provider = the pool's issuer without scheme, `aud` = the app client id). Both are
//! verified by their issuers (`crate::identity_pools::tokens`): signature, issuer, expiry.

use super::WebIdentity;
use serde_json::{Map, Value};

/// The `Federated` principal of identity-pool OpenID tokens, as in AWS.
pub const COGNITO_IDENTITY_PROVIDER: &str = "cognito-identity.amazonaws.com";

/// Why a web identity token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebTokenError {
    /// Not a token of ours, forged, or not an ID token.
    Invalid,
    /// Signed by us but past its `exp` (epoch seconds); `now` is the server clock.
    Expired { now: i64, exp: i64 },
}

pub(crate) fn identity_of(provider: String, claims: &Map<String, Value>) -> WebIdentity {
    let text = |k: &str| claims.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let audience = match claims.get("aud") {
        Some(Value::Array(list)) => list.first().and_then(Value::as_str).unwrap_or_default().to_string(),
        _ => text("aud"),
    };
    let amr = match claims.get("amr") {
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    WebIdentity { provider, subject: text("sub"), audience, amr }
}

/// `https://host/path` → `host/path`.
pub fn without_scheme(url: &str) -> &str {
    url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn claims_become_a_web_identity() {
        let claims = json!({"sub": "eu-west-3:id", "aud": "eu-west-3:pool", "amr": ["authenticated", "x"]});
        let w = identity_of(COGNITO_IDENTITY_PROVIDER.into(), claims.as_object().unwrap());
        assert_eq!(w.subject, "eu-west-3:id");
        assert_eq!(w.audience, "eu-west-3:pool");
        assert_eq!(w.amr, vec!["authenticated", "x"]);
        let w = identity_of("h/p".into(), json!({"sub": "s", "aud": ["c1", "c2"]}).as_object().unwrap());
        assert_eq!((w.audience.as_str(), w.amr.len()), ("c1", 0));
        assert_eq!(without_scheme("https://auth.example.com/eu-west-3_x"), "auth.example.com/eu-west-3_x");
        assert_eq!(without_scheme("http://127.0.0.1:9240/p"), "127.0.0.1:9240/p");
    }
}
