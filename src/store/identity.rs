//! Identity-pool rows: the pools (their IdentityPool document and their roles), the identities
//! handed out by GetId, and the logins linked to each identity.
//!
//! Linking is race-safe: a login is unique per pool (`identity_logins` primary key), so two
//! requests that both try to give the same login an identity cannot both succeed; the loser
//! gets [`Linking::Retry`] and reads again. Every write that changes an identity's logins first
//! touches the identity's own row, which serialises writers of one identity on both databases
//! (a row lock on PostgreSQL, the write lock on SQLite); the checks made after that touch see
//! every earlier writer's commit.

use super::{IntBool, JsonText, Store, StoreError, StoreResult, conflict};
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct IdentityPoolRow {
    pub id: String,
    pub name: String,
    /// The IdentityPool shape (CreateIdentityPool / UpdateIdentityPool), tags included.
    #[sqlx(try_from = "JsonText<Value>")]
    pub config: Value,
    /// `{"Roles": {...}, "RoleMappings": {...}}` as SetIdentityPoolRoles stored it.
    #[sqlx(try_from = "JsonText<Value>")]
    pub roles: Value,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdentityRow {
    pub id: String,
    pub pool_id: String,
    /// False once merged into another identity or left without its last login.
    #[sqlx(try_from = "IntBool")]
    pub enabled: bool,
    /// The identity this one was merged into.
    pub merged_into: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IdentityLoginRow {
    pub pool_id: String,
    /// The provider as the pool names it (`accounts.google.com`, a user pool's provider name,
    /// the developer provider name).
    pub provider: String,
    /// The user's id at the provider (`sub`, a Facebook id, a developer user identifier).
    pub subject: String,
    pub identity_id: String,
    pub created_at: i64,
}

/// One login to link: (provider, subject).
pub type NewLogin = (String, String);

/// The rules a linked identity must keep, checked inside the linking transaction.
#[derive(Debug, Clone, Copy)]
pub struct LoginRules<'a> {
    /// The one provider that may link several users to one identity (the developer provider).
    pub multi_user_provider: Option<&'a str>,
    /// Most logins one identity may have.
    pub max_logins: i64,
}

/// How a linking write ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Linking {
    Done,
    /// A login was linked, or an identity changed, by a concurrent request: read again.
    Retry,
    /// The identity would hold two different users of this provider.
    ProviderClash(String),
    /// The identity would hold more than `max_logins` logins.
    TooMany,
}

fn json(v: &Value) -> String {
    v.to_string()
}

/// `$from, $from+1, …` for `n` values.
fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

impl Store {
    pub async fn insert_identity_pool(&self, p: &IdentityPoolRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO identity_pools (id, name, config, roles, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&p.id)
        .bind(&p.name)
        .bind(json(&p.config))
        .bind(json(&p.roles))
        .bind(p.created_at)
        .bind(p.updated_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_identity_pool(&self, id: &str) -> StoreResult<Option<IdentityPoolRow>> {
        Ok(sqlx::query_as("SELECT * FROM identity_pools WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Pools in id order after `after`, at most `limit`.
    pub async fn list_identity_pools(&self, after: Option<&str>, limit: i64) -> StoreResult<Vec<IdentityPoolRow>> {
        Ok(sqlx::query_as("SELECT * FROM identity_pools WHERE id > $1 ORDER BY id LIMIT $2")
            .bind(after.unwrap_or(""))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?)
    }

    pub async fn count_identity_pools(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM identity_pools").fetch_one(&self.pool).await?)
    }

    /// Replace a pool's name and IdentityPool document; false when it does not exist.
    pub async fn update_identity_pool(&self, id: &str, name: &str, config: &Value, now: i64) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE identity_pools SET name = $2, config = $3, updated_at = $4 WHERE id = $1")
            .bind(id)
            .bind(name)
            .bind(json(config))
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Replace a pool's roles and role mappings; false when it does not exist.
    pub async fn set_identity_pool_roles(&self, id: &str, roles: &Value, now: i64) -> StoreResult<bool> {
        let n = sqlx::query("UPDATE identity_pools SET roles = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(json(roles))
            .bind(now)
            .execute(&self.pool)
            .await?
            .rows_affected();
        Ok(n == 1)
    }

    /// Delete a pool with its identities and their logins.
    pub async fn delete_identity_pool(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let n =
            sqlx::query("DELETE FROM identity_pools WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
        sqlx::query("DELETE FROM identity_logins WHERE pool_id = $1").bind(id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM identities WHERE pool_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n == 1)
    }

    pub async fn get_identity(&self, id: &str) -> StoreResult<Option<IdentityRow>> {
        Ok(sqlx::query_as("SELECT * FROM identities WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// Identities of a pool in creation order after `after` (created_at, id), at most `limit`.
    pub async fn list_identities(
        &self,
        pool_id: &str,
        after: Option<(i64, &str)>,
        limit: i64,
        hide_disabled: bool,
    ) -> StoreResult<Vec<IdentityRow>> {
        let (at, id) = after.unwrap_or((i64::MIN, ""));
        let sql = if hide_disabled {
            "SELECT * FROM identities WHERE pool_id = $1 AND enabled = 1 AND (created_at, id) > ($2, $3) \
             ORDER BY created_at, id LIMIT $4"
        } else {
            "SELECT * FROM identities WHERE pool_id = $1 AND (created_at, id) > ($2, $3) \
             ORDER BY created_at, id LIMIT $4"
        };
        Ok(sqlx::query_as(sql).bind(pool_id).bind(at).bind(id).bind(limit).fetch_all(&self.pool).await?)
    }

    /// Every login of an identity, oldest first.
    pub async fn identity_logins(&self, identity_id: &str) -> StoreResult<Vec<IdentityLoginRow>> {
        Ok(sqlx::query_as(
            "SELECT * FROM identity_logins WHERE identity_id = $1 ORDER BY created_at, provider, subject",
        )
        .bind(identity_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// An identity's users of one provider in subject order after `after`, at most `limit`.
    pub async fn identity_login_subjects(
        &self,
        identity_id: &str,
        provider: &str,
        after: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT subject FROM identity_logins WHERE identity_id = $1 AND provider = $2 AND subject > $3 \
             ORDER BY subject LIMIT $4",
        )
        .bind(identity_id)
        .bind(provider)
        .bind(after.unwrap_or(""))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The identity a login is linked to in a pool.
    pub async fn get_identity_login(
        &self,
        pool_id: &str,
        provider: &str,
        subject: &str,
    ) -> StoreResult<Option<IdentityLoginRow>> {
        Ok(sqlx::query_as("SELECT * FROM identity_logins WHERE pool_id = $1 AND provider = $2 AND subject = $3")
            .bind(pool_id)
            .bind(provider)
            .bind(subject)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// A new identity with its logins, in one transaction. [`Linking::Retry`] when a login is
    /// already linked (another request linked it first); the identity is then not created.
    pub async fn create_identity(&self, i: &IdentityRow, logins: &[NewLogin]) -> StoreResult<Linking> {
        retry_on_contention(self.try_create_identity(i, logins).await)
    }

    async fn try_create_identity(&self, i: &IdentityRow, logins: &[NewLogin]) -> StoreResult<Linking> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO identities (id, pool_id, enabled, merged_into, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&i.id)
        .bind(&i.pool_id)
        .bind(i64::from(i.enabled))
        .bind(&i.merged_into)
        .bind(i.created_at)
        .bind(i.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(conflict)?;
        if insert_logins(&mut tx, &i.pool_id, &i.id, logins, i.created_at).await? == Linking::Retry {
            return Ok(Linking::Retry);
        }
        tx.commit().await?;
        Ok(Linking::Done)
    }

    /// Merge `others` into `survivor` and link `logins` to it, in one transaction: the others'
    /// logins move to the survivor, the others are disabled and remember the survivor (so do
    /// identities merged into them before). [`Linking::Retry`] when the survivor or one of the
    /// others is no longer an enabled, unmerged identity, or a login got linked meanwhile.
    pub async fn link_identity(
        &self,
        pool_id: &str,
        survivor: &str,
        others: &[String],
        logins: &[NewLogin],
        rules: LoginRules<'_>,
        now: i64,
    ) -> StoreResult<Linking> {
        retry_on_contention(self.try_link_identity(pool_id, survivor, others, logins, rules, now).await)
    }

    async fn try_link_identity(
        &self,
        pool_id: &str,
        survivor: &str,
        others: &[String],
        logins: &[NewLogin],
        rules: LoginRules<'_>,
        now: i64,
    ) -> StoreResult<Linking> {
        let mut tx = self.pool.begin().await?;
        if !touch(&mut tx, survivor, now).await? {
            return Ok(Linking::Retry);
        }
        for other in others {
            let n = sqlx::query(
                "UPDATE identities SET enabled = 0, merged_into = $2, updated_at = $3 \
                 WHERE id = $1 AND enabled = 1 AND merged_into IS NULL",
            )
            .bind(other)
            .bind(survivor)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Ok(Linking::Retry);
            }
            sqlx::query("UPDATE identity_logins SET identity_id = $2 WHERE identity_id = $1")
                .bind(other)
                .bind(survivor)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE identities SET merged_into = $2 WHERE merged_into = $1")
                .bind(other)
                .bind(survivor)
                .execute(&mut *tx)
                .await?;
        }
        if insert_logins(&mut tx, pool_id, survivor, logins, now).await? == Linking::Retry {
            return Ok(Linking::Retry);
        }
        let outcome = check_rules(&mut tx, survivor, rules).await?;
        if outcome == Linking::Done {
            tx.commit().await?;
        }
        Ok(outcome)
    }

    /// Remove an identity's logins of the given providers (every user of each); an identity
    /// left without logins is disabled. Returns how many logins were removed; `None` when the
    /// identity is not an enabled, unmerged identity.
    pub async fn unlink_identity_providers(
        &self,
        identity_id: &str,
        providers: &[String],
        now: i64,
    ) -> StoreResult<Option<u64>> {
        let mut tx = self.pool.begin().await?;
        if !touch(&mut tx, identity_id, now).await? {
            return Ok(None);
        }
        let mut removed = 0;
        if !providers.is_empty() {
            let sql = format!(
                "DELETE FROM identity_logins WHERE identity_id = $1 AND provider IN ({})",
                placeholders(2, providers.len())
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(identity_id);
            for p in providers {
                q = q.bind(p);
            }
            removed = q.execute(&mut *tx).await?.rows_affected();
        }
        disable_if_empty(&mut tx, identity_id, removed).await?;
        tx.commit().await?;
        Ok(Some(removed))
    }

    /// Remove one login from an identity; false when that login is not linked to it. An
    /// identity left without logins is disabled.
    pub async fn unlink_identity_login(
        &self,
        identity_id: &str,
        pool_id: &str,
        provider: &str,
        subject: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        if !touch(&mut tx, identity_id, now).await? {
            return Ok(false);
        }
        let removed = sqlx::query(
            "DELETE FROM identity_logins WHERE pool_id = $1 AND provider = $2 AND subject = $3 AND identity_id = $4",
        )
        .bind(pool_id)
        .bind(provider)
        .bind(subject)
        .bind(identity_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if removed == 0 {
            return Ok(false);
        }
        disable_if_empty(&mut tx, identity_id, removed).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Delete an identity and its logins; false when it did not exist.
    pub async fn delete_identity(&self, id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query("DELETE FROM identities WHERE id = $1").bind(id).execute(&mut *tx).await?.rows_affected();
        sqlx::query("DELETE FROM identity_logins WHERE identity_id = $1").bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(n == 1)
    }
}

type Tx<'a> = sqlx::Transaction<'a, sqlx::Any>;

/// A transaction that lost to a concurrent one (PostgreSQL deadlock or serialization failure,
/// SQLite busy or locked) is worth another read and try, like a lost race for a login.
fn retry_on_contention(r: StoreResult<Linking>) -> StoreResult<Linking> {
    match r {
        Err(StoreError::Db(sqlx::Error::Database(d)))
            if matches!(d.code().as_deref(), Some("40P01" | "40001" | "5" | "6" | "517")) =>
        {
            Ok(Linking::Retry)
        }
        Err(StoreError::Conflict) => Ok(Linking::Retry),
        other => other,
    }
}

/// Take the identity's row for this transaction: true when it is enabled and unmerged.
async fn touch(tx: &mut Tx<'_>, identity_id: &str, now: i64) -> StoreResult<bool> {
    let n = sqlx::query("UPDATE identities SET updated_at = $2 WHERE id = $1 AND enabled = 1 AND merged_into IS NULL")
        .bind(identity_id)
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(n == 1)
}

async fn insert_logins(
    tx: &mut Tx<'_>,
    pool_id: &str,
    identity_id: &str,
    logins: &[NewLogin],
    now: i64,
) -> StoreResult<Linking> {
    for (provider, subject) in logins {
        let r = sqlx::query(
            "INSERT INTO identity_logins (pool_id, provider, subject, identity_id, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(pool_id)
        .bind(provider)
        .bind(subject)
        .bind(identity_id)
        .bind(now)
        .execute(&mut **tx)
        .await
        .map_err(conflict);
        match r {
            Ok(_) => {}
            Err(StoreError::Conflict) => return Ok(Linking::Retry),
            Err(e) => return Err(e),
        }
    }
    Ok(Linking::Done)
}

async fn check_rules(tx: &mut Tx<'_>, identity_id: &str, rules: LoginRules<'_>) -> StoreResult<Linking> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT provider, subject FROM identity_logins WHERE identity_id = $1 ORDER BY provider")
            .bind(identity_id)
            .fetch_all(&mut **tx)
            .await?;
    if rows.len() as i64 > rules.max_logins {
        return Ok(Linking::TooMany);
    }
    let mut seen: Vec<(String, String)> = Vec::new();
    for (p, s) in rows {
        if Some(p.as_str()) != rules.multi_user_provider && seen.iter().any(|(sp, ss)| *sp == p && *ss != s) {
            return Ok(Linking::ProviderClash(p));
        }
        seen.push((p, s));
    }
    Ok(Linking::Done)
}

async fn disable_if_empty(tx: &mut Tx<'_>, identity_id: &str, removed: u64) -> StoreResult<()> {
    if removed == 0 {
        return Ok(());
    }
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) AS n FROM identity_logins WHERE identity_id = $1")
        .bind(identity_id)
        .fetch_one(&mut **tx)
        .await?;
    if n == 0 {
        sqlx::query("UPDATE identities SET enabled = 0 WHERE id = $1").bind(identity_id).execute(&mut **tx).await?;
    }
    Ok(())
}
