//! Stand-in for Part B's login validation (`src/identity/logins.rs` of the identity-pools
//! contract), with the contract's signatures, so Part A builds and runs before Part B is merged:
//! it accepts this server's user-pool ID tokens and its own identity OpenID tokens only.
//! Replaced wholesale by Part B's file at merge.

use crate::services::Services;
use serde_json::{Map, Value};

/// A validated login: the provider key as configured in the pool, and the user's id there.
pub struct Login {
    pub provider: String,
    pub subject: String,
    pub claims: Map<String, Value>,
}

pub enum LoginError {
    NotAuthorized(String),
    External(String),
    Internal(anyhow::Error),
}

const UNSUPPORTED: &str = "Token is not from a supported provider of this identity pool.";

impl Services {
    pub async fn validate_login(
        &self,
        pool_id: &str,
        pool_config: &Value,
        key: &str,
        token: &str,
    ) -> Result<Login, LoginError> {
        let invalid = || LoginError::NotAuthorized("Invalid login token.".into());
        if key == "cognito-identity.amazonaws.com" {
            let c = self.verify_identity_token(token).await.ok_or_else(invalid)?;
            if c.get("aud").and_then(Value::as_str) != Some(pool_id) {
                return Err(invalid());
            }
            let subject = c.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
            return Ok(Login { provider: key.to_string(), subject, claims: c });
        }
        let Some(user_pool) = self.user_pool_of_provider(key) else {
            return Err(LoginError::NotAuthorized(UNSUPPORTED.into()));
        };
        let entries: Vec<&Value> = pool_config["CognitoIdentityProviders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["ProviderName"].as_str().and_then(|p| self.user_pool_of_provider(p)) == Some(user_pool))
            .collect();
        if entries.is_empty() {
            return Err(LoginError::NotAuthorized(UNSUPPORTED.into()));
        }
        let (token_pool, c) = self.verify_user_pool_id_token(token).await.ok_or_else(invalid)?;
        if token_pool != user_pool {
            return Err(LoginError::NotAuthorized("Invalid login token. Issuer doesn't match providerName".into()));
        }
        let aud = c.get("aud").and_then(Value::as_str).unwrap_or_default();
        let Some(entry) = entries.iter().find(|e| e["ClientId"] == aud) else {
            return Err(LoginError::NotAuthorized("Invalid login token. Incorrect token audience.".into()));
        };
        let subject = c.get("sub").and_then(Value::as_str).unwrap_or_default().to_string();
        if entry["ServerSideTokenCheck"] == true {
            let origin = c.get("origin_jti").and_then(Value::as_str).unwrap_or_default();
            let found =
                self.store.get_token_user(&subject, origin).await.map_err(|e| LoginError::Internal(e.into()))?;
            let iat = c.get("iat").and_then(Value::as_i64).unwrap_or(0);
            match found {
                Some((u, revoked)) if !revoked && u.enabled && iat >= u.tokens_valid_after => {}
                _ => return Err(LoginError::NotAuthorized("Invalid login token. Token is revoked.".into())),
            }
        }
        Ok(Login { provider: key.to_string(), subject, claims: c })
    }
}
