//! Groups and memberships.

use super::users::UserRow;
use super::{Store, StoreResult, conflict};
use crate::ids::PoolId;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct GroupRow {
    pub pool_id: PoolId,
    pub name: String,
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Store {
    pub async fn insert_group(&self, g: &GroupRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO groups (pool_id, name, description, role_arn, precedence, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&g.pool_id)
        .bind(&g.name)
        .bind(&g.description)
        .bind(&g.role_arn)
        .bind(g.precedence)
        .bind(g.created_at)
        .bind(g.updated_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_group(&self, pool_id: &str, name: &str) -> StoreResult<Option<GroupRow>> {
        Ok(sqlx::query_as("SELECT * FROM groups WHERE pool_id = $1 AND name = $2")
            .bind(pool_id)
            .bind(name)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn list_groups(&self, pool_id: &str, limit: i64, after: Option<&str>) -> StoreResult<Vec<GroupRow>> {
        Ok(sqlx::query_as("SELECT * FROM groups WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3")
            .bind(pool_id)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn update_group(&self, g: &GroupRow) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE groups SET description = $3, role_arn = $4, precedence = $5, updated_at = $6 \
             WHERE pool_id = $1 AND name = $2",
        )
        .bind(&g.pool_id)
        .bind(&g.name)
        .bind(&g.description)
        .bind(&g.role_arn)
        .bind(g.precedence)
        .bind(g.updated_at)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn delete_group(&self, pool_id: &str, name: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2")
            .bind(pool_id)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query("DELETE FROM groups WHERE pool_id = $1 AND name = $2")
            .bind(pool_id)
            .bind(name)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    pub async fn add_group_member(&self, pool_id: &str, group: &str, user_id: &str) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO group_members (pool_id, group_name, user_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(pool_id)
        .bind(group)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn remove_group_member(&self, pool_id: &str, group: &str, user_id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM group_members WHERE pool_id = $1 AND group_name = $2 AND user_id = $3")
            .bind(pool_id)
            .bind(group)
            .bind(user_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// A user's groups ordered by precedence (lowest first, unset last), then name.
    pub async fn groups_for_user(&self, user_id: &str) -> StoreResult<Vec<GroupRow>> {
        Ok(sqlx::query_as(
            "SELECT g.* FROM group_members m JOIN groups g ON g.pool_id = m.pool_id AND g.name = m.group_name \
             WHERE m.user_id = $1 ORDER BY CASE WHEN g.precedence IS NULL THEN 1 ELSE 0 END, g.precedence, g.name",
        )
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn users_in_group(
        &self,
        pool_id: &str,
        group: &str,
        limit: i64,
        after: Option<&str>,
    ) -> StoreResult<Vec<UserRow>> {
        Ok(sqlx::query_as(
            "SELECT u.* FROM group_members m JOIN users u ON u.id = m.user_id \
             WHERE m.pool_id = $1 AND m.group_name = $2 AND u.id > $3 ORDER BY u.id LIMIT $4",
        )
        .bind(pool_id)
        .bind(group)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
