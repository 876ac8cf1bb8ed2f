//! Federation rows: a pool's upstream identity providers (with their IdpIdentifiers), the
//! upstream identities linked to pool users, and the pending sign-ins sent upstream.

use super::{JsonText, Store, StoreError, StoreResult, conflict};
use crate::crypto::TokenHash;
use crate::ids::{PoolId, UserSub};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct IdentityProviderRow {
    pub pool_id: PoolId,
    pub name: String,
    /// `Google`, `Facebook` or `OIDC`.
    pub provider_type: String,
    /// ProviderDetails without `client_secret`.
    #[sqlx(try_from = "JsonText<BTreeMap<String, String>>")]
    pub details: BTreeMap<String, String>,
    /// `client_secret`, sealed with the master key.
    pub secret: Option<String>,
    /// Pool attribute → upstream claim.
    #[sqlx(try_from = "JsonText<BTreeMap<String, String>>")]
    pub attribute_mapping: BTreeMap<String, String>,
    #[sqlx(try_from = "JsonText<Vec<String>>")]
    pub idp_identifiers: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An upstream identity linked to a pool user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserIdentityRow {
    pub pool_id: PoolId,
    pub provider_name: String,
    pub provider_user_id: String,
    pub user_id: UserSub,
    pub created_at: i64,
}

/// A sign-in waiting for the upstream provider's answer.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FederationStateRow {
    /// SHA-256 (hex) of the `state` sent upstream.
    pub state_hash: TokenHash,
    pub pool_id: PoolId,
    pub provider_name: String,
    /// Nonce and PKCE verifier, sealed.
    pub secrets: String,
    /// The app's authorization request (query string).
    pub request: String,
    pub created_at: i64,
    pub expires_at: i64,
}

fn json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Insert a provider and its identifiers; [`StoreError::Conflict`] when the name or an
    /// identifier is taken in the pool.
    pub async fn insert_identity_provider(&self, p: &IdentityProviderRow) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO identity_providers (pool_id, name, provider_type, details, secret, attribute_mapping, \
             idp_identifiers, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&p.pool_id)
        .bind(&p.name)
        .bind(&p.provider_type)
        .bind(json(&p.details)?)
        .bind(&p.secret)
        .bind(json(&p.attribute_mapping)?)
        .bind(json(&p.idp_identifiers)?)
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        insert_identifiers(&mut tx, p).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replace a provider's settings and identifiers; false when it does not exist,
    /// [`StoreError::Conflict`] when an identifier is taken by another provider.
    pub async fn update_identity_provider(&self, p: &IdentityProviderRow) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE identity_providers SET details = $3, secret = $4, attribute_mapping = $5, idp_identifiers = $6, \
             updated_at = $7 WHERE pool_id = $1 AND name = $2",
        )
        .bind(&p.pool_id)
        .bind(&p.name)
        .bind(json(&p.details)?)
        .bind(&p.secret)
        .bind(json(&p.attribute_mapping)?)
        .bind(json(&p.idp_identifiers)?)
        .bind(p.updated_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM identity_provider_identifiers WHERE pool_id = $1 AND name = $2")
            .bind(&p.pool_id)
            .bind(&p.name)
            .execute(&mut *tx)
            .await?;
        insert_identifiers(&mut tx, p).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn get_identity_provider(&self, pool_id: &str, name: &str) -> StoreResult<Option<IdentityProviderRow>> {
        Ok(sqlx::query_as("SELECT * FROM identity_providers WHERE pool_id = $1 AND name = $2")
            .bind(pool_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn get_identity_provider_by_identifier(
        &self,
        pool_id: &str,
        identifier: &str,
    ) -> StoreResult<Option<IdentityProviderRow>> {
        Ok(sqlx::query_as(
            "SELECT p.* FROM identity_provider_identifiers i JOIN identity_providers p \
             ON p.pool_id = i.pool_id AND p.name = i.name WHERE i.pool_id = $1 AND i.identifier = $2",
        )
        .bind(pool_id)
        .bind(identifier)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Providers of a pool in name order after `after`, at most `limit`.
    pub async fn list_identity_providers(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<IdentityProviderRow>> {
        Ok(sqlx::query_as("SELECT * FROM identity_providers WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3")
            .bind(pool_id)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn delete_identity_provider(&self, pool_id: &str, name: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM identity_providers WHERE pool_id = $1 AND name = $2")
            .bind(pool_id)
            .bind(name)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// The pool user an upstream identity signs in as.
    pub async fn get_user_identity(
        &self,
        pool_id: &str,
        provider_name: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<UserIdentityRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM user_identities WHERE pool_id = $1 AND provider_name = $2 AND provider_user_id = $3",
        )
        .bind(pool_id)
        .bind(provider_name)
        .bind(provider_user_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Link an upstream identity to a user; [`StoreError::Conflict`] when it is already linked.
    pub async fn insert_user_identity(&self, i: &UserIdentityRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_identities (pool_id, provider_name, provider_user_id, user_id, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&i.pool_id)
        .bind(&i.provider_name)
        .bind(&i.provider_user_id)
        .bind(&i.user_id)
        .bind(i.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// Remove a link; the row it was, if any.
    pub async fn delete_user_identity(
        &self,
        pool_id: &str,
        provider_name: &str,
        provider_user_id: &str,
    ) -> StoreResult<Option<UserIdentityRow>> {
        Ok(sqlx::query_as(
            "DELETE FROM user_identities WHERE pool_id = $1 AND provider_name = $2 AND provider_user_id = $3 \
             RETURNING *",
        )
        .bind(pool_id)
        .bind(provider_name)
        .bind(provider_user_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every upstream identity linked to a user, oldest first.
    pub async fn identities_of_user(&self, user_id: &str) -> StoreResult<Vec<UserIdentityRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM user_identities WHERE user_id = $1 ORDER BY created_at, provider_name, provider_user_id",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn insert_federation_state(&self, s: &FederationStateRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO federation_states (state_hash, pool_id, provider_name, secrets, request, created_at, \
             expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&s.state_hash)
        .bind(&s.pool_id)
        .bind(&s.provider_name)
        .bind(&s.secrets)
        .bind(&s.request)
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// Take (delete and return) a pending sign-in that has not expired: each state is used once,
    /// even by concurrent callbacks.
    pub async fn take_federation_state(
        &self,
        state_hash: &TokenHash,
        now: i64,
    ) -> StoreResult<Option<FederationStateRow>> {
        let r: Option<FederationStateRow> =
            sqlx::query_as("DELETE FROM federation_states WHERE state_hash = $1 RETURNING *")
                .bind(state_hash)
                .fetch_optional(&self.pool)
                .await?;
        Ok(r.filter(|s| s.expires_at > now))
    }

    /// Drop pending sign-ins that expired; returns how many.
    pub async fn purge_federation_states(&self, now: i64) -> StoreResult<u64> {
        let n = sqlx::query("DELETE FROM federation_states WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n)
    }
}

async fn insert_identifiers(tx: &mut sqlx::Transaction<'_, sqlx::Any>, p: &IdentityProviderRow) -> StoreResult<()> {
    for id in &p.idp_identifiers {
        sqlx::query("INSERT INTO identity_provider_identifiers (pool_id, identifier, name) VALUES ($1, $2, $3)")
            .bind(&p.pool_id)
            .bind(id)
            .bind(&p.name)
            .execute(&mut **tx)
            .await
            .map_err(conflict)?;
    }
    Ok(())
}
