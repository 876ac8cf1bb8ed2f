//! The retry queue of post-* trigger calls that failed: one row per call, due at `next_at`.

use super::{Store, StoreResult};
use crate::ids::PoolId;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TriggerRetryRow {
    pub id: String,
    pub pool_id: PoolId,
    /// The `LambdaConfig` member (`PostConfirmation`, …).
    pub trigger_name: String,
    pub arn: String,
    /// The event as first sent (JSON).
    pub event: String,
    /// Failed attempts so far (the first call included).
    pub attempts: i64,
    pub next_at: i64,
    pub created_at: i64,
    /// The result word of the last failure (`unexpected`, `refused`, …).
    pub last_error: String,
}

impl Store {
    pub async fn insert_trigger_retry(&self, row: &TriggerRetryRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO trigger_retries \
             (id, pool_id, trigger_name, arn, event, attempts, next_at, created_at, last_error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.id)
        .bind(&row.pool_id)
        .bind(&row.trigger_name)
        .bind(&row.arn)
        .bind(&row.event)
        .bind(row.attempts)
        .bind(row.next_at)
        .bind(row.created_at)
        .bind(&row.last_error)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Up to `limit` calls due by `now`, the longest due first.
    pub async fn due_trigger_retries(&self, now: i64, limit: i64) -> StoreResult<Vec<TriggerRetryRow>> {
        Ok(sqlx::query_as(
            "SELECT id, pool_id, trigger_name, arn, event, attempts, next_at, created_at, last_error \
             FROM trigger_retries WHERE next_at <= $1 ORDER BY next_at, id LIMIT $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Every queued call of a pool (tests and the dashboard).
    pub async fn pool_trigger_retries(&self, pool_id: &PoolId) -> StoreResult<Vec<TriggerRetryRow>> {
        Ok(sqlx::query_as(
            "SELECT id, pool_id, trigger_name, arn, event, attempts, next_at, created_at, last_error \
             FROM trigger_retries WHERE pool_id = $1 ORDER BY created_at, id",
        )
        .bind(pool_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// After another failed attempt: the count, when the next is due and why.
    pub async fn reschedule_trigger_retry(
        &self,
        id: &str,
        attempts: i64,
        next_at: i64,
        error: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE trigger_retries SET attempts = $2, next_at = $3, last_error = $4 WHERE id = $1")
            .bind(id)
            .bind(attempts)
            .bind(next_at)
            .bind(error)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Delivered, or given up on.
    pub async fn delete_trigger_retry(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM trigger_retries WHERE id = $1").bind(id).execute(&self.pool).await?;
        Ok(())
    }
}
