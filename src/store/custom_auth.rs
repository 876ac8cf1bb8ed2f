//! CUSTOM_AUTH flows in progress: the state behind a CUSTOM_CHALLENGE's Session, by SHA-256 of
//! its secret. Unlike `auth_challenges`, a flow may be for a name no user has (`user_id` NULL),
//! so an unknown user's flow looks like anyone's when the client hides unknown users.

use super::{JsonText, Store, StoreResult};
use crate::crypto::TokenHash;
use crate::ids::{ClientId, PoolId, UserSub};
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CustomAuthRow {
    pub id_hash: TokenHash,
    pub pool_id: PoolId,
    pub client_id: ClientId,
    /// None for a name no user has.
    pub user_id: Option<UserSub>,
    /// The user's username, or the name given when there is no user.
    pub username: String,
    /// The DefineAuthChallenge session list and the private challenge parameters.
    #[sqlx(try_from = "JsonText<Value>")]
    pub data: Value,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Store {
    pub async fn insert_custom_auth(&self, c: &CustomAuthRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO custom_auth_sessions (id_hash, pool_id, client_id, user_id, username, data, expires_at, \
             used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(&c.id_hash)
        .bind(&c.pool_id)
        .bind(&c.client_id)
        .bind(&c.user_id)
        .bind(&c.username)
        .bind(c.data.to_string())
        .bind(c.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Consume a flow's step: only one answer per challenge is ever accepted.
    pub async fn take_custom_auth(&self, id_hash: &TokenHash, now: i64) -> StoreResult<Option<CustomAuthRow>> {
        Ok(sqlx::query_as(
            "UPDATE custom_auth_sessions SET used_at = $2 WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 \
             RETURNING *",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }
}
