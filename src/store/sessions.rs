//! Hosted-UI browser sessions and pending sign-in challenges, both by SHA-256 of their secret id.

use super::{JsonText, Store, StoreResult};
use crate::crypto::TokenHash;
use crate::ids::{ClientId, PoolId, UserSub};
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BrowserSessionRow {
    pub id_hash: TokenHash,
    pub pool_id: PoolId,
    pub user_id: UserSub,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    pub id_hash: TokenHash,
    pub pool_id: PoolId,
    pub client_id: ClientId,
    pub user_id: UserSub,
    pub challenge: String,
    #[sqlx(try_from = "JsonText<Value>")]
    pub data: Value,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

impl Store {
    pub async fn insert_browser_session(&self, s: &BrowserSessionRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO browser_sessions (id_hash, pool_id, user_id, auth_time, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(&s.pool_id)
        .bind(&s.user_id)
        .bind(s.auth_time)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn get_browser_session(&self, id_hash: &TokenHash, now: i64) -> StoreResult<Option<BrowserSessionRow>> {
        Ok(sqlx::query_as("SELECT * FROM browser_sessions WHERE id_hash = $1 AND expires_at > $2")
            .bind(id_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A user's live hosted-page sessions, newest first.
    pub async fn browser_sessions_of_user(&self, user_id: &str, now: i64) -> StoreResult<Vec<BrowserSessionRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM browser_sessions WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC LIMIT 200",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// End one of a user's hosted-page sessions; whether it existed.
    pub async fn delete_user_browser_session(&self, user_id: &str, id_hash: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM browser_sessions WHERE user_id = $1 AND id_hash = $2")
            .bind(user_id)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(n.rows_affected() > 0)
    }

    pub async fn delete_browser_session(&self, id_hash: &TokenHash) -> StoreResult<()> {
        sqlx::query("DELETE FROM browser_sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn delete_user_browser_sessions(&self, user_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM browser_sessions WHERE user_id = $1").bind(user_id).execute(&self.pool).await?;
        Ok(())
    }

    pub async fn insert_challenge(&self, c: &ChallengeRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_challenges (id_hash, pool_id, client_id, user_id, challenge, data, expires_at, used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        )
        .bind(&c.id_hash)
        .bind(&c.pool_id)
        .bind(&c.client_id)
        .bind(&c.user_id)
        .bind(&c.challenge)
        .bind(c.data.to_string())
        .bind(c.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Consume a pending challenge: only one answer per challenge is ever accepted.
    pub async fn take_challenge(&self, id_hash: &TokenHash, now: i64) -> StoreResult<Option<ChallengeRow>> {
        Ok(sqlx::query_as(
            "UPDATE auth_challenges SET used_at = $2 WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING *",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// A user's pending challenges of one kind for one client, newest first: for the answer
    /// that comes without its session (pycognito's DEVICE_SRP_AUTH).
    pub async fn open_challenges_of_user(
        &self,
        user_id: &str,
        client_id: &ClientId,
        challenge: &str,
        now: i64,
    ) -> StoreResult<Vec<ChallengeRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM auth_challenges WHERE user_id = $1 AND client_id = $2 AND challenge = $3 \
             AND used_at IS NULL AND expires_at > $4 ORDER BY expires_at DESC LIMIT 20",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(challenge)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn peek_challenge(&self, id_hash: &TokenHash, now: i64) -> StoreResult<Option<ChallengeRow>> {
        Ok(sqlx::query_as("SELECT * FROM auth_challenges WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(id_hash)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?)
    }
}
