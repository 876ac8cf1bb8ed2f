//! A pool's domains and resource servers.

use super::{IntBool, JsonText, Store, StoreResult, conflict};
use crate::ids::PoolId;
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DomainRow {
    pub domain: String,
    pub pool_id: PoolId,
    #[sqlx(try_from = "IntBool")]
    pub custom: bool,
    #[sqlx(try_from = "JsonText<Value>")]
    pub config: Value,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ResourceServerRow {
    pub pool_id: PoolId,
    pub identifier: String,
    pub name: String,
    /// `[{"ScopeName": …, "ScopeDescription": …}]`
    #[sqlx(try_from = "JsonText<Value>")]
    pub scopes: Value,
}

impl Store {
    pub async fn insert_domain(&self, d: &DomainRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO domains (domain, pool_id, custom, config, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&d.domain)
            .bind(&d.pool_id)
            .bind(d.custom as i64)
            .bind(d.config.to_string())
            .bind(d.created_at)
            .execute(&self.pool)
            .await
            .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_domain(&self, domain: &str) -> StoreResult<Option<DomainRow>> {
        Ok(sqlx::query_as("SELECT * FROM domains WHERE domain = $1").bind(domain).fetch_optional(&self.pool).await?)
    }

    pub async fn domains_of_pool(&self, pool_id: &str) -> StoreResult<Vec<DomainRow>> {
        Ok(sqlx::query_as("SELECT * FROM domains WHERE pool_id = $1 ORDER BY domain")
            .bind(pool_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Replace a domain's document (UpdateUserPoolDomain).
    pub async fn update_domain_config(&self, pool_id: &str, domain: &str, config: &Value) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE domains SET config = $3 WHERE domain = $1 AND pool_id = $2")
            .bind(domain)
            .bind(pool_id)
            .bind(config.to_string())
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn delete_domain(&self, pool_id: &str, domain: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM domains WHERE domain = $1 AND pool_id = $2")
            .bind(domain)
            .bind(pool_id)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    pub async fn insert_resource_server(&self, r: &ResourceServerRow) -> StoreResult<()> {
        sqlx::query("INSERT INTO resource_servers (pool_id, identifier, name, scopes) VALUES ($1, $2, $3, $4)")
            .bind(&r.pool_id)
            .bind(&r.identifier)
            .bind(&r.name)
            .bind(r.scopes.to_string())
            .execute(&self.pool)
            .await
            .map_err(conflict)?;
        Ok(())
    }

    pub async fn update_resource_server(&self, r: &ResourceServerRow) -> StoreResult<bool> {
        let n =
            sqlx::query("UPDATE resource_servers SET name = $3, scopes = $4 WHERE pool_id = $1 AND identifier = $2")
                .bind(&r.pool_id)
                .bind(&r.identifier)
                .bind(&r.name)
                .bind(r.scopes.to_string())
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    pub async fn get_resource_server(&self, pool_id: &str, identifier: &str) -> StoreResult<Option<ResourceServerRow>> {
        Ok(sqlx::query_as("SELECT * FROM resource_servers WHERE pool_id = $1 AND identifier = $2")
            .bind(pool_id)
            .bind(identifier)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn list_resource_servers(
        &self,
        pool_id: &str,
        limit: i64,
        after: Option<&str>,
    ) -> StoreResult<Vec<ResourceServerRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM resource_servers WHERE pool_id = $1 AND identifier > $2 ORDER BY identifier LIMIT $3",
        )
        .bind(pool_id)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn delete_resource_server(&self, pool_id: &str, identifier: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM resource_servers WHERE pool_id = $1 AND identifier = $2")
            .bind(pool_id)
            .bind(identifier)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }
}
