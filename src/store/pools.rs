//! User pools: one row each, settings as a JSON document.

use super::{JsonText, Store, StoreResult, conflict};
use crate::ids::PoolId;
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PoolRow {
    pub id: PoolId,
    pub name: String,
    #[sqlx(try_from = "JsonText<Value>")]
    pub config: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Store {
    pub async fn insert_pool(&self, p: &PoolRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO user_pools (id, name, config, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&p.id)
            .bind(&p.name)
            .bind(p.config.to_string())
            .bind(p.created_at)
            .bind(p.updated_at)
            .execute(&self.pool)
            .await
            .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_pool(&self, id: &str) -> StoreResult<Option<PoolRow>> {
        Ok(sqlx::query_as("SELECT * FROM user_pools WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Pools in creation order, starting after `after` (the last id of the previous page).
    pub async fn list_pools(&self, limit: i64, after: Option<&str>) -> StoreResult<Vec<PoolRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM user_pools WHERE id > $1 \
             AND id NOT IN (SELECT value FROM kv WHERE key = 'system_pool_id') ORDER BY id LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn update_pool(&self, p: &PoolRow) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE user_pools SET name = $2, config = $3, updated_at = $4 WHERE id = $1")
            .bind(&p.id)
            .bind(&p.name)
            .bind(p.config.to_string())
            .bind(p.updated_at)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// The id of every user pool, the system pool's included.
    pub async fn all_pool_ids(&self) -> StoreResult<Vec<PoolId>> {
        Ok(sqlx::query_scalar("SELECT id FROM user_pools ORDER BY id").fetch_all(&self.pool).await?)
    }

    /// Delete a pool with everything in it, its signing keys included.
    pub async fn delete_pool(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM user_pools WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
        sqlx::query("DELETE FROM signing_keys WHERE pool_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    pub async fn count_users(&self, pool_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM users WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_one(&self.pool)
            .await?)
    }
}
