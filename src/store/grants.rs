//! Authorization codes and refresh tokens, stored by SHA-256 of the token. Redemption is one
//! conditional UPDATE … RETURNING, so two concurrent redemptions can never both succeed.

use super::{Store, StoreResult};
use crate::crypto::TokenHash;
use crate::ids::{ClientId, PoolId, UserSub};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthCodeRow {
    pub code_hash: TokenHash,
    pub pool_id: PoolId,
    pub client_id: ClientId,
    pub user_id: UserSub,
    pub redirect_uri: String,
    pub scopes: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub origin_jti: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RefreshTokenRow {
    pub token_hash: TokenHash,
    pub pool_id: PoolId,
    pub client_id: ClientId,
    pub user_id: UserSub,
    pub origin_jti: String,
    pub scopes: String,
    pub auth_time: i64,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The remembered-device key the sign-in was issued to (API sign-ins of pools that track devices).
    pub device_key: Option<String>,
}

impl Store {
    pub async fn insert_auth_code(&self, c: &AuthCodeRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO auth_codes (code_hash, pool_id, client_id, user_id, redirect_uri, scopes, nonce, \
             code_challenge, auth_time, created_at, expires_at, used_at, origin_jti) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL, $12)",
        )
        .bind(&c.code_hash)
        .bind(&c.pool_id)
        .bind(&c.client_id)
        .bind(&c.user_id)
        .bind(&c.redirect_uri)
        .bind(&c.scopes)
        .bind(&c.nonce)
        .bind(&c.code_challenge)
        .bind(c.auth_time)
        .bind(c.created_at)
        .bind(c.expires_at)
        .bind(&c.origin_jti)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Mark the code used and return it, only if it was unused and unexpired. At most one caller
    /// ever gets `Some` for a given code.
    pub async fn redeem_auth_code(
        &self,
        code_hash: &TokenHash,
        now: i64,
        origin_jti: &str,
    ) -> StoreResult<Option<AuthCodeRow>> {
        Ok(sqlx::query_as(
            "UPDATE auth_codes SET used_at = $2, origin_jti = $3 \
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING *",
        )
        .bind(code_hash)
        .bind(now)
        .bind(origin_jti)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn get_auth_code(&self, code_hash: &TokenHash) -> StoreResult<Option<AuthCodeRow>> {
        Ok(sqlx::query_as("SELECT * FROM auth_codes WHERE code_hash = $1")
            .bind(code_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn insert_refresh_token(&self, t: &RefreshTokenRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, pool_id, client_id, user_id, origin_jti, scopes, auth_time, \
             created_at, expires_at, revoked_at, device_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10)",
        )
        .bind(&t.token_hash)
        .bind(&t.pool_id)
        .bind(&t.client_id)
        .bind(&t.user_id)
        .bind(&t.origin_jti)
        .bind(&t.scopes)
        .bind(t.auth_time)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(&t.device_key)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn get_refresh_token(&self, token_hash: &TokenHash) -> StoreResult<Option<RefreshTokenRow>> {
        Ok(sqlx::query_as("SELECT * FROM refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Revoke an origin: its refresh token and every token minted from it. The revocation is
    /// also recorded on its own until `until` (the latest its tokens could expire), so tokens of
    /// the origin stored after this call are refused too.
    pub async fn revoke_origin(&self, origin_jti: &str, now: i64, until: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO revoked_origins (origin_jti, revoked_at, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (origin_jti) DO NOTHING",
        )
        .bind(origin_jti)
        .bind(now)
        .bind(until)
        .execute(&self.pool)
        .await?;
        sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE origin_jti = $1 AND revoked_at IS NULL")
            .bind(origin_jti)
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether tokens of this origin were revoked.
    pub async fn origin_revoked(&self, origin_jti: &str) -> StoreResult<bool> {
        let r = sqlx::query(
            "SELECT 1 AS hit FROM revoked_origins WHERE origin_jti = $1 \
             UNION ALL SELECT 1 AS hit FROM refresh_tokens WHERE origin_jti = $1 AND revoked_at IS NOT NULL",
        )
        .bind(origin_jti)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.is_some())
    }

    /// A user's refresh tokens that are neither revoked nor expired, newest first: their sign-ins
    /// still able to mint tokens.
    pub async fn live_refresh_tokens_of_user(&self, user_id: &str, now: i64) -> StoreResult<Vec<RefreshTokenRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM refresh_tokens WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC LIMIT 200",
        )
        .bind(user_id)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn revoke_user_refresh_tokens(&self, user_id: &str, now: i64) -> StoreResult<u64> {
        Ok(sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
            .bind(user_id)
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected())
    }
}

/// A refresh token replaced by rotation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RotatedRefreshTokenRow {
    pub token_hash: TokenHash,
    pub origin_jti: String,
    /// Until when (epoch seconds, exclusive) it still refreshes: the retry grace period.
    pub valid_until: i64,
    pub expires_at: i64,
}

impl Store {
    /// Swap a live refresh token for a new one in place (rotation), remembering the old one as
    /// rotated, still valid for `grace_secs`. Returns the row if the old token was live; a
    /// concurrent second swap of the same old token finds nothing.
    pub async fn rotate_refresh_token(
        &self,
        old_hash: &TokenHash,
        new_hash: &TokenHash,
        now: i64,
        grace_secs: i64,
    ) -> StoreResult<Option<RefreshTokenRow>> {
        let mut tx = self.pool.begin().await?;
        let row: Option<RefreshTokenRow> = sqlx::query_as(
            "UPDATE refresh_tokens SET token_hash = $2 \
             WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $3 RETURNING *",
        )
        .bind(old_hash)
        .bind(new_hash)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(r) = &row {
            sqlx::query(
                "INSERT INTO rotated_refresh_tokens (token_hash, origin_jti, valid_until, expires_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING",
            )
            .bind(old_hash)
            .bind(&r.origin_jti)
            .bind(now + grace_secs)
            .bind(r.expires_at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(row)
    }

    /// A refresh token rotation replaced, by its hash.
    pub async fn get_rotated_refresh_token(
        &self,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<RotatedRefreshTokenRow>> {
        Ok(sqlx::query_as("SELECT * FROM rotated_refresh_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The refresh token of a family (a sign-in's origin) as it is now.
    pub async fn get_refresh_token_of_origin(&self, origin_jti: &str) -> StoreResult<Option<RefreshTokenRow>> {
        Ok(sqlx::query_as("SELECT * FROM refresh_tokens WHERE origin_jti = $1")
            .bind(origin_jti)
            .fetch_optional(&self.pool)
            .await?)
    }
}

impl Store {
    /// Delete rows that can no longer be used: codes a day past expiry (kept that long so a
    /// replay still revokes what the code issued), expired challenges and browser sessions,
    /// and refresh tokens past expiry. Returns how many rows went.
    pub async fn delete_expired(&self, now: i64) -> StoreResult<u64> {
        let mut n = 0;
        for (sql, t) in [
            ("DELETE FROM auth_codes WHERE expires_at < $1", now - 86400),
            ("DELETE FROM auth_challenges WHERE expires_at < $1", now),
            ("DELETE FROM custom_auth_sessions WHERE expires_at < $1", now),
            ("DELETE FROM browser_sessions WHERE expires_at < $1", now),
            ("DELETE FROM refresh_tokens WHERE expires_at < $1", now),
            ("DELETE FROM rotated_refresh_tokens WHERE expires_at < $1", now),
            ("DELETE FROM revoked_origins WHERE expires_at < $1", now),
        ] {
            n += sqlx::query(sql).bind(t).execute(&self.pool).await?.rows_affected();
        }
        Ok(n)
    }
}
