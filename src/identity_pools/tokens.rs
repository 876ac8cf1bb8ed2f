//! The identity-pool OpenID token issuer `{PUBLIC_URL}/identity` (what GetOpenIdToken hands
//! out) and the checks of the tokens identity pools accept from this server: its own
//! OpenID tokens and user-pool ID tokens. Signing reuses the user pools' key machinery under the
//! key owner `identity`; the issuer's keys are created on first use.

use super::IdentityPools;
use crate::iam::WebIdentity;
use crate::iam::web_identity::{COGNITO_IDENTITY_PROVIDER, WebTokenError, identity_of, without_scheme};
use crate::ids::PoolId;
use crate::tokens::jwt;
use crate::tokens::keys::{self, PoolKeys};
use crate::userpool::error::{Error, Result};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The issuer's path under `PUBLIC_URL`: tokens carry `iss` = `{PUBLIC_URL}/identity`.
pub const IDENTITY_ISSUER_PATH: &str = "/identity";
/// The owner id of the issuer's signing keys.
pub const KEY_OWNER: &str = "identity";
/// The claim naming the identity pool a token was issued for (by ARN), as Cognito adds it.
pub const POOL_ARN_CLAIM: &str = "https://cognito-identity.amazonaws.com/identity-pool-arn";

/// Why a token of this server was refused; login validation words it as Cognito does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a JWS of one of our algorithms (RS256, ES256), or claims that are not JSON.
    Malformed,
    /// `iss` names no issuer of this server.
    UnknownIssuer,
    /// No key of the issuer made the signature.
    Signature,
    /// A valid token of another kind (an access token where an ID token is needed).
    WrongUse,
    /// Valid but expired at `exp`.
    Expired { exp: i64 },
}

impl IdentityPools {
    /// `{PUBLIC_URL}/identity`.
    pub fn identity_token_issuer(&self) -> String {
        format!("{}{IDENTITY_ISSUER_PATH}", self.config.public_url)
    }

    /// The issuer's keys, created on first use (once, however many ask at the same time).
    pub async fn identity_keys(&self) -> Result<Arc<PoolKeys>> {
        if let Ok(k) = self.tokens.pool_keys(KEY_OWNER, None).await {
            return Ok(k);
        }
        let created =
            keys::provision_once(&self.store, &self.master, KEY_OWNER, self.now()).await.map_err(Error::Internal)?;
        if created {
            tracing::info!("signing keys of the identity-pool token issuer created");
        }
        self.tokens.pool_keys(KEY_OWNER, None).await
    }

    /// Sign an identity-pool OpenID token: sub = identity id, aud = identity pool id, amr as Cognito.
    pub async fn issue_identity_token(
        &self,
        identity_pool_id: &str,
        identity_id: &str,
        amr: &[String],
        ttl_secs: i64,
    ) -> Result<String> {
        if ttl_secs < 1 {
            return Err(Error::InvalidParameter("The token duration must be at least one second.".into()));
        }
        let keys = self.identity_keys().await?;
        let now = self.now();
        let mut c = Map::new();
        c.insert("sub".into(), json!(identity_id));
        c.insert("aud".into(), json!(identity_pool_id));
        c.insert(POOL_ARN_CLAIM.into(), json!(self.identity_pool_arn(identity_pool_id)));
        c.insert("amr".into(), json!(amr));
        c.insert("iss".into(), json!(self.identity_token_issuer()));
        c.insert("exp".into(), json!(now + ttl_secs));
        c.insert("iat".into(), json!(now));
        jwt::sign(&keys, &c).map_err(Error::Internal)
    }

    /// The claims of a valid (signature, issuer, expiry) identity-pool OpenID token.
    pub async fn verify_identity_token(&self, token: &str) -> Option<Map<String, Value>> {
        self.check_identity_token(token).await.ok()
    }

    /// The claims of a valid user-pool ID token (signature by the pool's keys, iss = {PUBLIC_URL}/{pool}, token_use id, not expired), with its pool id.
    pub async fn verify_user_pool_id_token(&self, token: &str) -> Option<(String, Map<String, Value>)> {
        self.check_user_pool_id_token(token).await.ok()
    }

    /// As [`Self::verify_identity_token`], saying why a token is refused. Never creates keys.
    pub async fn check_identity_token(&self, token: &str) -> std::result::Result<Map<String, Value>, Refused> {
        let kid = jwt::peek_kid(token).ok_or(Refused::Malformed)?;
        let unverified = jwt::peek_claims(token).ok_or(Refused::Malformed)?;
        let issuer = self.identity_token_issuer();
        if unverified.get("iss").and_then(Value::as_str) != Some(issuer.as_str()) {
            return Err(Refused::UnknownIssuer);
        }
        let keys = self.tokens.pool_keys(KEY_OWNER, Some(&kid)).await.map_err(|_| Refused::Signature)?;
        let claims = jwt::verify(&keys, token).ok_or(Refused::Signature)?;
        let text = |name: &str| claims.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
        if text("iss") != Some(issuer.as_str()) || text("sub").is_none() || text("aud").is_none() {
            return Err(Refused::Malformed);
        }
        self.unexpired(claims)
    }

    /// As [`Self::verify_user_pool_id_token`], saying why a token is refused.
    pub async fn check_user_pool_id_token(
        &self,
        token: &str,
    ) -> std::result::Result<(String, Map<String, Value>), Refused> {
        let kid = jwt::peek_kid(token).ok_or(Refused::Malformed)?;
        let unverified = jwt::peek_claims(token).ok_or(Refused::Malformed)?;
        let iss = unverified.get("iss").and_then(Value::as_str).ok_or(Refused::UnknownIssuer)?;
        let pool_id = self.user_pool_of_issuer(iss).ok_or(Refused::UnknownIssuer)?;
        let keys = self.tokens.pool_keys(&pool_id, Some(&kid)).await.map_err(|_| Refused::Signature)?;
        let claims = jwt::verify(&keys, token).ok_or(Refused::Signature)?;
        if claims.get("iss").and_then(Value::as_str) != Some(iss) {
            return Err(Refused::UnknownIssuer);
        }
        if claims.get("token_use").and_then(Value::as_str) != Some("id") {
            return Err(Refused::WrongUse);
        }
        Ok((pool_id, self.unexpired(claims)?))
    }

    /// The user pool whose issuer `iss` is (`{PUBLIC_URL}/{poolId}`).
    pub fn user_pool_of_issuer(&self, iss: &str) -> Option<String> {
        let pool_id = iss.strip_prefix(self.config.public_url.as_str())?.strip_prefix('/')?;
        is_user_pool_id(pool_id).then(|| pool_id.to_string())
    }

    fn unexpired(&self, claims: Map<String, Value>) -> std::result::Result<Map<String, Value>, Refused> {
        let exp = claims.get("exp").and_then(Value::as_i64).ok_or(Refused::Malformed)?;
        if exp <= self.now() {
            return Err(Refused::Expired { exp });
        }
        Ok(claims)
    }

    /// `arn:aws:cognito-identity:{region}:{account}:identitypool/{id}`.
    fn identity_pool_arn(&self, identity_pool_id: &str) -> String {
        format!(
            "arn:aws:cognito-identity:{}:{}:identitypool/{identity_pool_id}",
            self.config.region, self.config.account_id
        )
    }
}

/// The shape of a user pool id ([`PoolId::parse`]), so that other issuers of this server
/// (`/identity`) and other paths are never taken for a pool.
pub fn is_user_pool_id(s: &str) -> bool {
    PoolId::parse(s).is_some()
}

impl IdentityPools {
    /// Verify a web identity token and say who it names.
    pub async fn web_identity_from_token(&self, token: &str) -> std::result::Result<WebIdentity, WebTokenError> {
        let expired = |exp| WebTokenError::Expired { now: self.now(), exp };
        match self.check_identity_token(token).await {
            Ok(claims) => return Ok(identity_of(COGNITO_IDENTITY_PROVIDER.to_string(), &claims)),
            Err(Refused::Expired { exp }) => return Err(expired(exp)),
            Err(_) => {}
        }
        match self.check_user_pool_id_token(token).await {
            Ok((pool_id, claims)) => {
                Ok(identity_of(without_scheme(&self.tokens.issuer(&pool_id)).to_string(), &claims))
            }
            // Only a token whose signature holds is called expired.
            Err(Refused::Expired { exp }) => Err(expired(exp)),
            Err(_) => Err(WebTokenError::Invalid),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_pool_ids_have_their_model_shape() {
        assert!(is_user_pool_id("us-east-1_AbC123xyz"));
        assert!(is_user_pool_id("local_x"));
        assert!(!is_user_pool_id("identity"));
        assert!(!is_user_pool_id("local_"));
        assert!(!is_user_pool_id("_abc"));
        assert!(!is_user_pool_id("a/b_c"));
        assert!(!is_user_pool_id("local_ab-c"));
        assert!(!is_user_pool_id(&format!("local_{}", "a".repeat(60))));
    }
}
