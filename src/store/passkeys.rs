//! Users' passkeys (WebAuthn credentials) and the registrations under way.

use super::{Store, StoreResult, conflict};
use crate::ids::{PoolId, UserSub};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PasskeyRow {
    pub pool_id: PoolId,
    /// base64url, as WebAuthn clients send it.
    pub credential_id: String,
    pub user_id: UserSub,
    /// webauthn-rs's record of the credential (JSON): public key, counter, backup flags.
    pub passkey: String,
    pub friendly_name: String,
    pub relying_party_id: String,
    pub authenticator_attachment: Option<String>,
    /// A JSON array of transports (`internal`, `usb`, `hybrid`, …).
    pub transports: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl Store {
    /// A new passkey; [`super::StoreError::Conflict`] when the pool already has its credential id.
    pub async fn insert_passkey(&self, p: &PasskeyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webauthn_credentials (pool_id, credential_id, user_id, passkey, friendly_name, \
             relying_party_id, authenticator_attachment, transports, created_at, last_used_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(&p.pool_id)
        .bind(&p.credential_id)
        .bind(&p.user_id)
        .bind(&p.passkey)
        .bind(&p.friendly_name)
        .bind(&p.relying_party_id)
        .bind(&p.authenticator_attachment)
        .bind(&p.transports)
        .bind(p.created_at)
        .bind(p.last_used_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// A user's passkeys, oldest first.
    pub async fn user_passkeys(&self, user_id: &str) -> StoreResult<Vec<PasskeyRow>> {
        Ok(sqlx::query_as("SELECT * FROM webauthn_credentials WHERE user_id = $1 ORDER BY created_at, credential_id")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// After a sign-in with it: the credential's new record (its counter) and when.
    pub async fn touch_passkey(&self, pool_id: &str, credential_id: &str, passkey: &str, at: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE webauthn_credentials SET passkey = $3, last_used_at = $4 WHERE pool_id = $1 AND credential_id = $2",
        )
        .bind(pool_id)
        .bind(credential_id)
        .bind(passkey)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Remove one of the user's passkeys; false when the user has no such credential.
    pub async fn delete_passkey(&self, user_id: &str, credential_id: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM webauthn_credentials WHERE user_id = $1 AND credential_id = $2")
            .bind(user_id)
            .bind(credential_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Start a registration for the user, replacing one under way.
    pub async fn put_passkey_registration(
        &self,
        user_id: &str,
        client_id: &str,
        state: &str,
        expires_at: i64,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO webauthn_registrations (user_id, client_id, state, expires_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET client_id = $2, state = $3, expires_at = $4",
        )
        .bind(user_id)
        .bind(client_id)
        .bind(state)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Take the user's registration under way (client id, state) if it is still live: at most
    /// one completion uses it.
    pub async fn take_passkey_registration(&self, user_id: &str, now: i64) -> StoreResult<Option<(String, String)>> {
        let row: Option<(String, String, i64)> = sqlx::query_as(
            "DELETE FROM webauthn_registrations WHERE user_id = $1 RETURNING client_id, state, expires_at",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.filter(|r| r.2 > now).map(|r| (r.0, r.1)))
    }
}
