//! App clients of a pool; settings as JSON, the secret sealed with the master key.

use super::{JsonText, Store, StoreResult, conflict};
use crate::ids::{ClientId, PoolId};
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: ClientId,
    pub pool_id: PoolId,
    pub name: String,
    pub secret_enc: Option<String>,
    #[sqlx(try_from = "JsonText<Value>")]
    pub config: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Store {
    pub async fn insert_client(&self, c: &ClientRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO clients (id, pool_id, name, secret_enc, config, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&c.id)
        .bind(&c.pool_id)
        .bind(&c.name)
        .bind(&c.secret_enc)
        .bind(c.config.to_string())
        .bind(c.created_at)
        .bind(c.updated_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_client(&self, id: &str) -> StoreResult<Option<ClientRow>> {
        Ok(sqlx::query_as("SELECT * FROM clients WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    pub async fn list_clients(&self, pool_id: &str, limit: i64, after: Option<&str>) -> StoreResult<Vec<ClientRow>> {
        Ok(sqlx::query_as("SELECT * FROM clients WHERE pool_id = $1 AND id > $2 ORDER BY id LIMIT $3")
            .bind(pool_id)
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn update_client(&self, c: &ClientRow) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE clients SET name = $2, config = $3, updated_at = $4 WHERE id = $1")
            .bind(&c.id)
            .bind(&c.name)
            .bind(c.config.to_string())
            .bind(c.updated_at)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn delete_client(&self, pool_id: &str, id: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM clients WHERE id = $1 AND pool_id = $2")
            .bind(id)
            .bind(pool_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}

/// One of a client's rotated secrets, sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientSecretRow {
    pub client_id: ClientId,
    pub secret_id: String,
    pub secret_enc: String,
    pub created_at: i64,
}

impl Store {
    /// A client's rotated secrets, oldest first.
    pub async fn client_secrets(&self, client_id: &str) -> StoreResult<Vec<ClientSecretRow>> {
        Ok(sqlx::query_as("SELECT * FROM client_secrets WHERE client_id = $1 ORDER BY created_at, secret_id")
            .bind(client_id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn insert_client_secret(&self, s: &ClientSecretRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO client_secrets (client_id, secret_id, secret_enc, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&s.client_id)
        .bind(&s.secret_id)
        .bind(&s.secret_enc)
        .bind(s.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// Insert a rotated secret while the client holds fewer than `max`; false (nothing written)
    /// when it holds that many already. Simultaneous additions cannot all pass the count: each
    /// first locks the client's row with an update that changes nothing (a row lock on
    /// PostgreSQL, the write lock on SQLite), so the next one counts after this one commits.
    pub async fn insert_client_secret_within(&self, s: &ClientSecretRow, max: i64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE clients SET updated_at = updated_at WHERE id = $1")
            .bind(&s.client_id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query(
            "INSERT INTO client_secrets (client_id, secret_id, secret_enc, created_at) SELECT $1, $2, $3, $4 \
             WHERE (SELECT count(*) FROM client_secrets WHERE client_id = $1) < $5",
        )
        .bind(&s.client_id)
        .bind(&s.secret_id)
        .bind(&s.secret_enc)
        .bind(s.created_at)
        .bind(max)
        .execute(&mut *tx)
        .await
        .map_err(conflict)?
        .rows_affected();
        tx.commit().await?;
        Ok(n == 1)
    }

    /// Delete one of a client's secrets unless it is the last, under the same lock on the
    /// client's row as [`Self::insert_client_secret_within`], so two deletions at once cannot
    /// leave none; with `new_main`, the client's main secret becomes that one in the same
    /// transaction. False when nothing was deleted.
    pub async fn delete_client_secret_keeping_one(
        &self,
        client_id: &str,
        secret_id: &str,
        new_main: Option<&str>,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("UPDATE clients SET updated_at = updated_at WHERE id = $1")
            .bind(client_id)
            .execute(&mut *tx)
            .await?;
        let n = sqlx::query(
            "DELETE FROM client_secrets WHERE client_id = $1 AND secret_id = $2 \
             AND (SELECT count(*) FROM client_secrets WHERE client_id = $1) > 1",
        )
        .bind(client_id)
        .bind(secret_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1
            && let Some(main) = new_main
        {
            sqlx::query("UPDATE clients SET secret_enc = $2 WHERE id = $1")
                .bind(client_id)
                .bind(main)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }
}
