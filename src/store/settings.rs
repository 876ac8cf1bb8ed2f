//! Server-wide key/value settings and the management API's access keys.

use super::{Store, StoreResult, conflict};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ManagementKeyRow {
    pub access_key_id: String,
    pub secret_enc: String,
    pub description: String,
    pub created_at: i64,
}

impl Store {
    pub async fn kv_get(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM kv WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
    }

    /// Set the value unless the key exists; returns the value now stored.
    pub async fn kv_set_if_absent(&self, key: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(self.kv_get(key).await?.unwrap_or_else(|| value.to_string()))
    }

    pub async fn insert_management_key(&self, k: &ManagementKeyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO management_keys (access_key_id, secret_enc, description, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&k.access_key_id)
        .bind(&k.secret_enc)
        .bind(&k.description)
        .bind(k.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_management_key(&self, access_key_id: &str) -> StoreResult<Option<ManagementKeyRow>> {
        Ok(sqlx::query_as("SELECT * FROM management_keys WHERE access_key_id = $1")
            .bind(access_key_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn count_management_keys(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM management_keys").fetch_one(&self.pool).await?)
    }
}
