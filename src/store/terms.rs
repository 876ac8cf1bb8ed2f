//! Terms documents (CreateTerms): one row per app client and document name (`terms-of-use`,
//! `privacy-policy`), its links per language kept as a JSON object. A pool's documents are
//! listed by id (the page key); a client's are read by the hosted sign-up page.

use super::{JsonText, Store, StoreError, StoreResult, conflict};
use crate::ids::{ClientId, PoolId};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TermsRow {
    pub terms_id: String,
    pub pool_id: PoolId,
    pub client_id: ClientId,
    /// `terms-of-use` or `privacy-policy`.
    pub name: String,
    /// `LINK`.
    pub source: String,
    /// `NONE`.
    pub enforcement: String,
    /// Language id (`cognito:default`, `cognito:english`, …) → URL.
    #[sqlx(try_from = "JsonText<BTreeMap<String, String>>")]
    pub links: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}

fn links_text(row: &TermsRow) -> StoreResult<String> {
    serde_json::to_string(&row.links).map_err(|e| StoreError::Corrupt(e.to_string()))
}

impl Store {
    /// Insert a document; [`StoreError::Conflict`] when the client has one of that name.
    pub async fn insert_terms(&self, row: &TermsRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO terms \
             (terms_id, pool_id, client_id, name, source, enforcement, links, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&row.terms_id)
        .bind(&row.pool_id)
        .bind(&row.client_id)
        .bind(&row.name)
        .bind(&row.source)
        .bind(&row.enforcement)
        .bind(links_text(row)?)
        .bind(row.created_at)
        .bind(row.updated_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// Replace a document's name, source, enforcement, links and update time; false when it
    /// is gone, [`StoreError::Conflict`] when the new name is taken for its client.
    pub async fn update_terms(&self, row: &TermsRow) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE terms SET name = $1, source = $2, enforcement = $3, links = $4, updated_at = $5 \
             WHERE terms_id = $6 AND pool_id = $7",
        )
        .bind(&row.name)
        .bind(&row.source)
        .bind(&row.enforcement)
        .bind(links_text(row)?)
        .bind(row.updated_at)
        .bind(&row.terms_id)
        .bind(&row.pool_id)
        .execute(&self.pool)
        .await
        .map_err(conflict)?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn get_terms(&self, pool_id: &PoolId, terms_id: &str) -> StoreResult<Option<TermsRow>> {
        Ok(sqlx::query_as("SELECT * FROM terms WHERE pool_id = $1 AND terms_id = $2")
            .bind(pool_id)
            .bind(terms_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Up to `limit` of the pool's documents with ids after `after`, by id.
    pub async fn list_terms(&self, pool_id: &PoolId, limit: i64, after: Option<&str>) -> StoreResult<Vec<TermsRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM terms WHERE pool_id = $1 AND terms_id COLLATE \"binary\" > $2 \
             ORDER BY terms_id COLLATE \"binary\" LIMIT $3",
        )
        .bind(pool_id)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// A client's documents (at most one per name).
    pub async fn client_terms(&self, client_id: &ClientId) -> StoreResult<Vec<TermsRow>> {
        Ok(sqlx::query_as("SELECT * FROM terms WHERE client_id = $1 ORDER BY name")
            .bind(client_id)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn delete_terms(&self, pool_id: &PoolId, terms_id: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM terms WHERE pool_id = $1 AND terms_id = $2")
            .bind(pool_id)
            .bind(terms_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
