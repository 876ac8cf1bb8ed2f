//! Stand-in for Part B's identity OpenID token issuer (`src/identity/tokens.rs` of the
//! identity-pools contract), with the contract's signatures, so Part A builds and runs before
//! Part B is merged. Replaced wholesale by Part B's file at merge.

use crate::services::Services;
use crate::tokens::jwt;
use crate::userpool::error::{Error, Result};
use serde_json::{Map, Value, json};

pub const IDENTITY_ISSUER_PATH: &str = "/identity";
/// Owner id of the identity issuer's signing keys.
const KEY_OWNER: &str = "identity";

impl Services {
    pub fn identity_issuer(&self) -> String {
        format!("{}{IDENTITY_ISSUER_PATH}", self.config.public_url)
    }

    async fn identity_keys(&self, kid: Option<&str>) -> Result<std::sync::Arc<crate::tokens::keys::PoolKeys>> {
        if self.store.signing_keys(KEY_OWNER).await?.is_empty() {
            crate::tokens::keys::provision(&self.store, &self.master, KEY_OWNER, self.now())
                .await
                .map_err(Error::Internal)?;
            self.keys.forget(KEY_OWNER);
        }
        self.pool_keys(KEY_OWNER, kid).await
    }

    pub async fn issue_identity_token(
        &self,
        identity_pool_id: &str,
        identity_id: &str,
        amr: &[String],
        ttl_secs: i64,
    ) -> Result<String> {
        let keys = self.identity_keys(None).await?;
        let now = self.now();
        let mut c = Map::new();
        c.insert("iss".into(), json!(self.identity_issuer()));
        c.insert("sub".into(), json!(identity_id));
        c.insert("aud".into(), json!(identity_pool_id));
        c.insert("amr".into(), json!(amr));
        c.insert("iat".into(), json!(now));
        c.insert("exp".into(), json!(now + ttl_secs));
        c.insert(
            "https://cognito-identity.amazonaws.com/identity-pool-arn".into(),
            json!(self.identity_pool_arn(identity_pool_id)),
        );
        jwt::sign(&keys, &c).map_err(Error::Internal)
    }

    pub async fn verify_identity_token(&self, token: &str) -> Option<Map<String, Value>> {
        let kid = jwt::peek_kid(token)?;
        let keys = self.identity_keys(Some(&kid)).await.ok()?;
        let c = jwt::verify(&keys, token)?;
        let ok = c.get("iss").and_then(Value::as_str) == Some(self.identity_issuer().as_str())
            && c.get("exp").and_then(Value::as_i64).is_some_and(|e| e > self.now());
        ok.then_some(c)
    }

    pub async fn verify_user_pool_id_token(&self, token: &str) -> Option<(String, Map<String, Value>)> {
        use base64::Engine;
        let payload = token.split('.').nth(1)?;
        let unverified: Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let iss = unverified["iss"].as_str()?;
        let pool_id = iss.rsplit('/').next()?.to_string();
        if iss != self.issuer(&pool_id) {
            return None;
        }
        let kid = jwt::peek_kid(token)?;
        let keys = self.pool_keys(&pool_id, Some(&kid)).await.ok()?;
        let c = jwt::verify(&keys, token)?;
        let ok = c.get("iss").and_then(Value::as_str) == Some(iss)
            && c.get("token_use").and_then(Value::as_str) == Some("id")
            && c.get("exp").and_then(Value::as_i64).is_some_and(|e| e > self.now());
        ok.then_some((pool_id, c))
    }
}
