//! TEMPORARY — delete this file (and its `mod` line in `src/iam/mod.rs`) when Part B
//! (`src/identity/tokens.rs`) is merged: it stands in for Part B's two verification functions
//! with the contract's exact signatures, so [`super::web_identity`] compiles unchanged against
//! either. Once both exist the compiler reports the duplicate methods.

use crate::services::Services;
use crate::tokens::jwt;
use serde_json::{Map, Value};

/// Part B's `IDENTITY_ISSUER_PATH`: issuer = `{PUBLIC_URL}/identity`.
const IDENTITY_ISSUER_PATH: &str = "/identity";
/// The signing-key owner of identity-pool OpenID tokens.
const IDENTITY_KEY_OWNER: &str = "identity";

fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

impl Services {
    /// The claims of a valid (signature, issuer, expiry) identity-pool OpenID token.
    pub async fn verify_identity_token(&self, token: &str) -> Option<Map<String, Value>> {
        let issuer = format!("{}{IDENTITY_ISSUER_PATH}", self.config.public_url);
        if unverified_claims(token)?.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
            return None;
        }
        let kid = jwt::peek_kid(token)?;
        let keys = self.pool_keys(IDENTITY_KEY_OWNER, Some(&kid)).await.ok()?;
        let claims = jwt::verify(&keys, token)?;
        let c = Value::Object(claims.clone());
        (c["iss"] == issuer.as_str() && c["exp"].as_i64().is_some_and(|exp| exp > self.now())).then_some(claims)
    }

    /// The claims of a valid user-pool ID token (signature by the pool's keys, iss = {PUBLIC_URL}/{pool}, token_use id, not expired), with its pool id.
    pub async fn verify_user_pool_id_token(&self, token: &str) -> Option<(String, Map<String, Value>)> {
        let iss = unverified_claims(token)?.get("iss")?.as_str()?.to_string();
        let pool_id = iss.rsplit('/').next()?.to_string();
        if pool_id == IDENTITY_KEY_OWNER || iss != self.issuer(&pool_id) || self.pool(&pool_id).await.is_err() {
            return None;
        }
        let kid = jwt::peek_kid(token)?;
        let keys = self.pool_keys(&pool_id, Some(&kid)).await.ok()?;
        let claims = jwt::verify(&keys, token)?;
        let c = Value::Object(claims.clone());
        let valid =
            c["iss"] == iss.as_str() && c["token_use"] == "id" && c["exp"].as_i64().is_some_and(|exp| exp > self.now());
        valid.then_some((pool_id, claims))
    }
}
