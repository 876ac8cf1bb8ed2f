//! User import jobs (CreateUserImportJob): the job rows, their uploaded CSV, and the state
//! changes the worker and the API make, each conditional on the state it leaves so two nodes
//! (or a stop racing the worker) cannot both move a job.

use super::{IntBool, Store, StoreResult, conflict};
use crate::crypto::TokenHash;
use crate::ids::PoolId;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ImportJobRow {
    pub job_id: String,
    pub pool_id: PoolId,
    pub job_name: String,
    pub role_arn: String,
    pub hashing_algorithm: Option<String>,
    pub status: String,
    pub upload_token_hash: TokenHash,
    pub upload_expires_at: i64,
    #[sqlx(try_from = "IntBool")]
    pub uploaded: bool,
    pub rows_done: i64,
    pub imported_users: i64,
    pub skipped_users: i64,
    pub failed_users: i64,
    pub completion_message: Option<String>,
    pub created_at: i64,
    pub started_at: Option<i64>,
    pub completed_at: Option<i64>,
}

/// A job's counters after a batch: rows handled so far, and users imported, skipped, failed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportProgress {
    pub rows_done: i64,
    pub imported: i64,
    pub skipped: i64,
    pub failed: i64,
}

impl Store {
    pub async fn insert_import_job(&self, j: &ImportJobRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_import_jobs (job_id, pool_id, job_name, role_arn, hashing_algorithm, status, \
             upload_token_hash, upload_expires_at, uploaded, rows_done, imported_users, skipped_users, failed_users, \
             completion_message, created_at, started_at, completed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&j.job_id)
        .bind(&j.pool_id)
        .bind(&j.job_name)
        .bind(&j.role_arn)
        .bind(&j.hashing_algorithm)
        .bind(&j.status)
        .bind(&j.upload_token_hash)
        .bind(j.upload_expires_at)
        .bind(j.uploaded as i64)
        .bind(j.rows_done)
        .bind(j.imported_users)
        .bind(j.skipped_users)
        .bind(j.failed_users)
        .bind(&j.completion_message)
        .bind(j.created_at)
        .bind(j.started_at)
        .bind(j.completed_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_import_job(&self, pool_id: &str, job_id: &str) -> StoreResult<Option<ImportJobRow>> {
        Ok(sqlx::query_as("SELECT * FROM user_import_jobs WHERE pool_id = $1 AND job_id = $2")
            .bind(pool_id)
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The job whose upload token hashes to `hash` (the caller compares it again in constant time).
    pub async fn import_job_by_token(&self, hash: &TokenHash) -> StoreResult<Option<ImportJobRow>> {
        Ok(sqlx::query_as("SELECT * FROM user_import_jobs WHERE upload_token_hash = $1")
            .bind(hash)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A pool's jobs in creation order after the cursor (`created_at`, `job_id`), `limit + 1`
    /// rows so the caller can tell whether more follow.
    pub async fn list_import_jobs(
        &self,
        pool_id: &str,
        limit: i64,
        after: Option<(i64, String)>,
    ) -> StoreResult<Vec<ImportJobRow>> {
        let (at, id) = after.unwrap_or((i64::MIN, String::new()));
        Ok(sqlx::query_as(
            "SELECT * FROM user_import_jobs WHERE pool_id = $1 AND (created_at > $2 OR (created_at = $2 AND job_id > $3)) \
             ORDER BY created_at, job_id LIMIT $4",
        )
        .bind(pool_id)
        .bind(at)
        .bind(id)
        .bind(limit + 1)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn count_import_jobs(&self, pool_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM user_import_jobs WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Keep the CSV uploaded for a job still `Created` (a second upload replaces the first).
    /// False when the job has left `Created`.
    pub async fn store_import_upload(&self, job_id: &str, body: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("UPDATE user_import_jobs SET uploaded = 1 WHERE job_id = $1 AND status = 'Created'")
            .bind(job_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO user_import_uploads (job_id, body) VALUES ($1, $2) \
             ON CONFLICT (job_id) DO UPDATE SET body = excluded.body",
        )
        .bind(job_id)
        .bind(body)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn import_upload(&self, job_id: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT body FROM user_import_uploads WHERE job_id = $1")
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Move a job from one of `from` to `to`; `started_at`, `completed_at` and the message are
    /// set when given. False when the job was in none of `from`.
    pub async fn move_import_job(
        &self,
        job_id: &str,
        from: &[&str],
        to: &str,
        started_at: Option<i64>,
        completed_at: Option<i64>,
        message: Option<&str>,
    ) -> StoreResult<bool> {
        let mut sql = String::from(
            "UPDATE user_import_jobs SET status = $2, started_at = COALESCE($3, started_at), \
             completed_at = COALESCE($4, completed_at), completion_message = COALESCE($5, completion_message) \
             WHERE job_id = $1 AND status IN (",
        );
        for i in 0..from.len() {
            sql.push_str(&format!("{}${}", if i > 0 { ", " } else { "" }, i + 6));
        }
        sql.push(')');
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(job_id)
            .bind(to)
            .bind(started_at)
            .bind(completed_at)
            .bind(message);
        for f in from {
            q = q.bind(*f);
        }
        let n = q.execute(&self.pool).await?.rows_affected();
        if n == 1 && completed_at.is_some() {
            // A finished job's CSV is not needed any more.
            sqlx::query("DELETE FROM user_import_uploads WHERE job_id = $1").bind(job_id).execute(&self.pool).await?;
        }
        Ok(n == 1)
    }

    /// Record a batch's counters while the job is still `status`; false when it has moved on
    /// (stopped meanwhile).
    pub async fn record_import_progress(&self, job_id: &str, status: &str, p: ImportProgress) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE user_import_jobs SET rows_done = $3, imported_users = $4, skipped_users = $5, failed_users = $6 \
             WHERE job_id = $1 AND status = $2",
        )
        .bind(job_id)
        .bind(status)
        .bind(p.rows_done)
        .bind(p.imported)
        .bind(p.skipped)
        .bind(p.failed)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Jobs the worker has to look at: started and not finished, oldest first.
    pub async fn import_jobs_to_run(&self) -> StoreResult<Vec<ImportJobRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM user_import_jobs WHERE status IN ('Pending', 'InProgress', 'Stopping') \
             ORDER BY created_at, job_id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether the pool has a job started and not finished (`UserImportInProgressException`).
    pub async fn import_in_progress(&self, pool_id: &str) -> StoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM user_import_jobs WHERE pool_id = $1 AND status IN ('Pending', 'InProgress', 'Stopping')",
        )
        .bind(pool_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(n > 0)
    }

    /// `Created` jobs made before `created_before` become `Expired` (their upload is removed).
    pub async fn expire_import_jobs(&self, created_before: i64, now: i64) -> StoreResult<u64> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "DELETE FROM user_import_uploads WHERE job_id IN \
             (SELECT job_id FROM user_import_jobs WHERE status = 'Created' AND created_at < $1)",
        )
        .bind(created_before)
        .execute(&mut *tx)
        .await?;
        let n = sqlx::query(
            "UPDATE user_import_jobs SET status = 'Expired', completed_at = $2 WHERE status = 'Created' AND created_at < $1",
        )
        .bind(created_before)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(n)
    }
}
