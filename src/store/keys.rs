//! Per-pool signing keys. Lifecycle: `next` → `active` → `retired` (still published) → removed.

use super::{Store, StoreResult};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningKeyRow {
    pub kid: String,
    pub pool_id: String,
    pub state: String,
    pub private_enc: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// One key row, on a connection or inside a caller's transaction.
async fn insert_key(conn: &mut sqlx::AnyConnection, k: &SigningKeyRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO signing_keys (kid, pool_id, state, private_enc, public_jwk, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&k.kid)
    .bind(&k.pool_id)
    .bind(&k.state)
    .bind(&k.private_enc)
    .bind(&k.public_jwk)
    .bind(k.created_at)
    .bind(k.retired_at)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    pub async fn insert_signing_key(&self, k: &SigningKeyRow) -> StoreResult<()> {
        insert_key(&mut *self.pool.acquire().await?, k).await?;
        Ok(())
    }

    /// Insert an owner's first keys unless another caller already did, atomically: one transaction
    /// claims the owner's `signing-keys:{owner}` row in `kv` and inserts the keys. The row's key
    /// is unique, so of concurrent callers (on any node) exactly one claims it; on PostgreSQL the
    /// others wait for that transaction and then find the row taken, on SQLite writers take turns.
    /// A claim never exists without its keys. Returns whether these keys were inserted.
    pub async fn insert_first_signing_keys(&self, owner: &str, keys: &[SigningKeyRow]) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let claimed = sqlx::query("INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(format!("signing-keys:{owner}"))
            .bind(keys.first().map(|k| k.kid.as_str()).unwrap_or_default())
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if !claimed {
            tx.rollback().await?;
            return Ok(false);
        }
        for k in keys {
            insert_key(&mut tx, k).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The keys that sign now or will next (`active`, `next`) of every owner, by owner.
    pub async fn live_signing_keys(&self) -> StoreResult<Vec<SigningKeyRow>> {
        Ok(sqlx::query_as("SELECT * FROM signing_keys WHERE state IN ('active', 'next') ORDER BY pool_id, state, kid")
            .fetch_all(&self.pool)
            .await?)
    }

    /// Every stored key of a pool, newest first.
    pub async fn signing_keys(&self, pool_id: &str) -> StoreResult<Vec<SigningKeyRow>> {
        Ok(sqlx::query_as("SELECT * FROM signing_keys WHERE pool_id = $1 ORDER BY created_at DESC, kid")
            .bind(pool_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Store `key` as the pool's `next` key in place of `old_next` (a next key that never signed,
    /// of an algorithm the pool is leaving), atomically.
    pub async fn replace_next_signing_key(
        &self,
        pool_id: &str,
        old_next: Option<&str>,
        key: &SigningKeyRow,
    ) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        if let Some(old) = old_next {
            sqlx::query("DELETE FROM signing_keys WHERE pool_id = $1 AND kid = $2 AND state = 'next'")
                .bind(pool_id)
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        insert_key(&mut tx, key).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Make `new_kid` the active key and retire the previously active one, atomically.
    pub async fn activate_signing_key(&self, pool_id: &str, new_kid: &str, now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE signing_keys SET state = 'retired', retired_at = $3 \
             WHERE pool_id = $1 AND state = 'active' AND kid <> $2",
        )
        .bind(pool_id)
        .bind(new_kid)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE signing_keys SET state = 'active' WHERE pool_id = $1 AND kid = $2")
            .bind(pool_id)
            .bind(new_kid)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Drop retired keys retired before `before` (no token signed by them can still be valid).
    pub async fn remove_retired_keys(&self, pool_id: &str, before: i64) -> StoreResult<u64> {
        let n = sqlx::query("DELETE FROM signing_keys WHERE pool_id = $1 AND state = 'retired' AND retired_at < $2")
            .bind(pool_id)
            .bind(before)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n)
    }

    /// Remove one retired key now (never the active or the next one); whether it was removed.
    pub async fn remove_retired_key(&self, pool_id: &str, kid: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM signing_keys WHERE pool_id = $1 AND kid = $2 AND state = 'retired'")
            .bind(pool_id)
            .bind(kid)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n > 0)
    }
}
