//! Token introspection (RFC 7662) for `/oauth2/introspect`: what a confidential client of the
//! pool may learn of a token. Access tokens of the pool (a user's, or a client_credentials
//! token) are answered for any confidential client of the pool, the resource servers RFC 7662
//! is for; a refresh token only to the client it was issued to. Everything else is
//! `{"active": false}`, whatever the reason (unknown, expired, revoked, another pool's or
//! another client's), so the answer never tells a client whether a token it may not see exists.
//! The caller authenticated the client in its own protocol (the token endpoint's rule).

use super::Authorization;
use crate::tokens::issue::{Presented, TokenRejection};
use crate::userpool::error::Error;
use crate::userpool::model::{Client, Pool};
use serde_json::{Map, Value, json};

/// Why an introspection request was refused.
#[derive(Debug)]
pub enum IntrospectRefusal {
    /// A public client: it cannot authenticate, so it may not introspect (RFC 7662 §2.1).
    PublicClient,
    /// The database could not be asked: the token is neither active nor inactive.
    Unavailable,
    /// The service failed.
    Failed(Error),
}

impl From<Error> for IntrospectRefusal {
    fn from(e: Error) -> Self {
        if e.is_unavailable() { IntrospectRefusal::Unavailable } else { IntrospectRefusal::Failed(e) }
    }
}

/// The answer for a token that is not active (RFC 7662 §2.2).
pub fn inactive() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("active".into(), json!(false));
    m
}

/// The claims an active access token's answer repeats (RFC 7662 §2.2), when the token has them.
const ACCESS_FIELDS: &[&str] = &["scope", "client_id", "username", "exp", "iat", "sub", "aud", "iss", "jti"];

impl Authorization {
    /// Introspect `token` for `client` (authenticated) of `pool`. `token_type_hint` is not
    /// needed: a JWT is an access token and anything else is looked up as a refresh token
    /// (RFC 7662 §2.1 lets the server search every type whatever the hint).
    pub async fn introspect(
        &self,
        pool: &Pool,
        client: &Client,
        token: &str,
    ) -> Result<Map<String, Value>, IntrospectRefusal> {
        if client.secret.is_none() {
            return Err(IntrospectRefusal::PublicClient);
        }
        let active = if token.matches('.').count() == 2 {
            self.active_access_token(pool, token).await?
        } else {
            self.active_refresh_token(pool, client, token).await?
        };
        Ok(active.unwrap_or_else(inactive))
    }

    async fn active_access_token(
        &self,
        pool: &Pool,
        token: &str,
    ) -> Result<Option<Map<String, Value>>, IntrospectRefusal> {
        let user_token = crate::tokens::jwt::peek_claims(token).is_some_and(|c| c.contains_key("origin_jti"));
        let verified = if user_token {
            self.tokens.verify_access_token(Some(&pool.id), token).await.map(|a| a.claims)
        } else {
            self.tokens.verify_client_access_token(&pool.id, token).await
        };
        let claims = match verified {
            Ok(c) => c,
            Err(TokenRejection::Unavailable) => return Err(IntrospectRefusal::Unavailable),
            Err(_) => return Ok(None),
        };
        // A client_credentials token lives as long as its client.
        if !user_token {
            let id = crate::ids::ClientId::from(claims.get("client_id").and_then(Value::as_str).unwrap_or_default());
            match self.directory.find_client(&id).await? {
                Some(c) if c.pool_id == pool.id => {}
                _ => return Ok(None),
            }
        }
        let mut m = Map::new();
        m.insert("active".into(), json!(true));
        for f in ACCESS_FIELDS {
            if let Some(v) = claims.get(*f) {
                m.insert((*f).into(), v.clone());
            }
        }
        m.insert("token_type".into(), json!("Bearer"));
        Ok(Some(m))
    }

    async fn active_refresh_token(
        &self,
        pool: &Pool,
        client: &Client,
        token: &str,
    ) -> Result<Option<Map<String, Value>>, IntrospectRefusal> {
        // A token rotation replaced answers for its family while its retry grace period lasts.
        let row = match self.tokens.presented_refresh_token(token).await? {
            Presented::Current(row) | Presented::InGrace(row) => row,
            Presented::Spent { .. } | Presented::Unknown => return Ok(None),
        };
        let Some(user) = self.tokens.live_refresh_user(&pool.id, client, &row).await? else { return Ok(None) };
        let mut m = Map::new();
        m.insert("active".into(), json!(true));
        m.insert("client_id".into(), json!(row.client_id));
        m.insert("username".into(), json!(user.username));
        m.insert("sub".into(), json!(user.id));
        // An API sign-in's token (no OAuth scopes) refreshes into tokens of the user-admin scope.
        let scope = if row.scopes.is_empty() { "aws.cognito.signin.user.admin" } else { row.scopes.as_str() };
        m.insert("scope".into(), json!(scope));
        m.insert("exp".into(), json!(row.expires_at));
        m.insert("iat".into(), json!(row.created_at));
        m.insert("iss".into(), json!(self.tokens.issuer(&pool.id)));
        Ok(Some(m))
    }
}
