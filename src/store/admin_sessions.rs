//! Dashboard sessions (`/admin`): one row per signed-in operator, keyed by the hash of the
//! cookie's random id.

use super::{Store, StoreResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AdminSessionRow {
    pub id_hash: String,
    pub user_sub: String,
    pub username: String,
    pub created_at: i64,
    pub last_seen: i64,
    pub expires_at: i64,
}

impl Store {
    pub async fn insert_admin_session(&self, s: &AdminSessionRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO admin_sessions (id_hash, user_sub, username, created_at, last_seen, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&s.id_hash)
        .bind(&s.user_sub)
        .bind(&s.username)
        .bind(s.created_at)
        .bind(s.last_seen)
        .bind(s.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The session, if it is neither expired nor idle since `idle_after` (it is then marked seen
    /// at `now`, in the same statement).
    pub async fn touch_admin_session(
        &self,
        id_hash: &str,
        now: i64,
        idle_after: i64,
    ) -> StoreResult<Option<AdminSessionRow>> {
        Ok(sqlx::query_as(
            "UPDATE admin_sessions SET last_seen = $2 \
             WHERE id_hash = $1 AND expires_at > $2 AND last_seen > $3 RETURNING *",
        )
        .bind(id_hash)
        .bind(now)
        .bind(idle_after)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn delete_admin_session(&self, id_hash: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM admin_sessions WHERE id_hash = $1").bind(id_hash).execute(&self.pool).await?;
        Ok(n.rows_affected() > 0)
    }

    /// Every dashboard session of one operator (disabled, deleted or signed out everywhere).
    pub async fn delete_admin_sessions_of(&self, user_sub: &str) -> StoreResult<u64> {
        let n =
            sqlx::query("DELETE FROM admin_sessions WHERE user_sub = $1").bind(user_sub).execute(&self.pool).await?;
        Ok(n.rows_affected())
    }

    pub async fn purge_admin_sessions(&self, now: i64, idle_after: i64) -> StoreResult<u64> {
        let n = sqlx::query("DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen <= $2")
            .bind(now)
            .bind(idle_after)
            .execute(&self.pool)
            .await?;
        Ok(n.rows_affected())
    }
}
