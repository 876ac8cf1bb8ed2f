//! Users, their sign-in aliases and searchable attribute values.

use super::{IntBool, JsonText, Store, StoreResult, conflict};
use crate::ids::{PoolId, UserSub, Username};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UserRow {
    /// The immutable `sub` (a UUID).
    pub id: UserSub,
    pub pool_id: PoolId,
    pub username: Username,
    /// The username as looked up (lower-cased when the pool is case-insensitive).
    pub username_key: String,
    pub status: String,
    #[sqlx(try_from = "IntBool")]
    pub enabled: bool,
    pub password_hash: Option<String>,
    pub password_set_at: Option<i64>,
    /// Every attribute except `sub`, values as strings.
    #[sqlx(try_from = "JsonText<BTreeMap<String, String>>")]
    pub attributes: BTreeMap<String, String>,
    /// Epoch milliseconds: tokens from sign-ins before this instant are rejected (global
    /// sign-out, disable); see `tokens::issue::revoked_by_sign_out`.
    pub tokens_valid_after: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Other names a user signs in with: (`email` | `phone_number` | `preferred_username`, lookup key).
pub type Alias = (String, String);
/// Values ListUsers can filter on: (attribute name, value).
pub type SearchValue = (String, String);
/// A user to insert with its aliases and search values ([`Store::insert_users`]).
pub type NewUser = (UserRow, Vec<Alias>, Vec<SearchValue>);

#[derive(Debug, Clone, Default)]
pub enum UserFilter {
    #[default]
    All,
    /// Exact match on a column (`username`, `sub`, `status`, `enabled`).
    Column { column: UserColumn, value: String, prefix: bool },
    /// Match on a searchable attribute value.
    Attribute { name: String, value: String, prefix: bool },
    /// Users with a second factor turned on (TOTP or e-mail OTP): the dashboard's search only.
    HasMfa,
    /// Users with an identity of this upstream provider linked: the dashboard's search only.
    LinkedTo { provider: String },
}

#[derive(Debug, Clone, Copy)]
pub enum UserColumn {
    Username,
    Sub,
    Status,
    Enabled,
}

/// A user with whether the access token's sign-in was revoked ([`Store::get_token_user`]).
#[derive(sqlx::FromRow)]
struct TokenUser {
    #[sqlx(flatten)]
    user: UserRow,
    #[sqlx(try_from = "IntBool")]
    origin_revoked: bool,
}

impl Store {
    /// Insert a user with its aliases; [`super::StoreError::Conflict`] if the username or an alias is taken.
    pub async fn insert_user(&self, u: &UserRow, aliases: &[Alias], search: &[SearchValue]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        insert_one(&mut tx, u, aliases, search).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Insert users in one transaction, each as [`Store::insert_user`] does: all or, on the first
    /// conflict or error, none. For bulk loads (the benchmark's seed), where a commit per user
    /// would dominate.
    pub async fn insert_users(&self, users: &[NewUser]) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        for (u, aliases, search) in users {
            insert_one(&mut tx, u, aliases, search).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Replace the user's row, aliases and search values.
    pub async fn update_user(&self, u: &UserRow, aliases: &[Alias], search: &[SearchValue]) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let n = sqlx::query(
            "UPDATE users SET status = $2, enabled = $3, password_hash = $4, password_set_at = $5, \
             attributes = $6, tokens_valid_after = $7, updated_at = $8 WHERE id = $1",
        )
        .bind(&u.id)
        .bind(&u.status)
        .bind(u.enabled as i64)
        .bind(&u.password_hash)
        .bind(u.password_set_at)
        .bind(serde_json::to_string(&u.attributes).unwrap_or_default())
        .bind(u.tokens_valid_after)
        .bind(u.updated_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM user_aliases WHERE user_id = $1").bind(&u.id).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM user_search WHERE user_id = $1").bind(&u.id).execute(&mut *tx).await?;
        write_aliases(&mut tx, u, aliases, search).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn get_user(&self, id: &str) -> StoreResult<Option<UserRow>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1").bind(id).fetch_optional(&self.pool).await?)
    }

    /// The user an access token names, and whether the token's sign-in (`origin_jti`) has been
    /// revoked: what every bearer-token request checks, in one round trip.
    pub async fn get_token_user(&self, id: &str, origin_jti: &str) -> StoreResult<Option<(UserRow, bool)>> {
        let r: Option<TokenUser> = sqlx::query_as(
            "SELECT u.*, CAST(CASE WHEN EXISTS (SELECT 1 FROM revoked_origins WHERE origin_jti = $2) \
             OR EXISTS (SELECT 1 FROM refresh_tokens WHERE origin_jti = $2 AND revoked_at IS NOT NULL) \
             THEN 1 ELSE 0 END AS BIGINT) AS origin_revoked FROM users u WHERE u.id = $1",
        )
        .bind(id)
        .bind(origin_jti)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.map(|r| (r.user, r.origin_revoked)))
    }

    pub async fn get_user_by_username(&self, pool_id: &str, key: &str) -> StoreResult<Option<UserRow>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE pool_id = $1 AND username_key = $2")
            .bind(pool_id)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn get_user_by_alias(&self, pool_id: &str, kind: &str, key: &str) -> StoreResult<Option<UserRow>> {
        Ok(sqlx::query_as(
            "SELECT u.* FROM user_aliases a JOIN users u ON u.id = a.user_id \
             WHERE a.pool_id = $1 AND a.kind = $2 AND a.value_key = $3",
        )
        .bind(pool_id)
        .bind(kind)
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn delete_user(&self, id: &str) -> StoreResult<bool> {
        let n = sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(&self.pool).await?.rows_affected();
        Ok(n == 1)
    }

    /// Users of a pool in (created_at, id) order after the cursor, matching the filter.
    pub async fn list_users(
        &self,
        pool_id: &str,
        filter: &UserFilter,
        limit: i64,
        after: Option<(i64, String)>,
    ) -> StoreResult<Vec<UserRow>> {
        let (after_t, after_id) = after.unwrap_or((i64::MIN, String::new()));
        // Prefix matches compare the leading characters; both dialects index-scan by pool first.
        let cursor = "(u.created_at, u.id) > ($2, $3)";
        let (sql, binds): (String, Vec<String>) = match filter {
            UserFilter::All => (format!("SELECT u.* FROM users u WHERE u.pool_id = $1 AND {cursor}"), vec![]),
            UserFilter::Column { column, value, prefix } => {
                let col = match column {
                    UserColumn::Username => "u.username",
                    UserColumn::Sub => "u.id",
                    UserColumn::Status => "u.status",
                    UserColumn::Enabled => "CAST(u.enabled AS TEXT)",
                };
                let cond = if *prefix { format!("substr({col}, 1, length($5)) = $5") } else { format!("{col} = $5") };
                (format!("SELECT u.* FROM users u WHERE u.pool_id = $1 AND {cursor} AND {cond}"), vec![value.clone()])
            }
            UserFilter::Attribute { name, value, prefix } => {
                let cond = if *prefix { "substr(s.value, 1, length($5)) = $5" } else { "s.value = $5" };
                (
                    format!(
                        "SELECT DISTINCT u.* FROM user_search s JOIN users u ON u.id = s.user_id \
                         WHERE s.pool_id = $1 AND s.name = $6 AND {cond} AND {cursor}"
                    ),
                    vec![value.clone(), name.clone()],
                )
            }
            UserFilter::HasMfa => (
                format!(
                    "SELECT u.* FROM users u JOIN user_mfa m ON m.user_id = u.id \
                     WHERE u.pool_id = $1 AND {cursor} AND (m.totp_enabled = 1 OR m.email_enabled = 1)"
                ),
                vec![],
            ),
            UserFilter::LinkedTo { provider } => (
                format!(
                    "SELECT u.* FROM users u WHERE u.pool_id = $1 AND {cursor} AND EXISTS \
                     (SELECT 1 FROM user_identities i WHERE i.user_id = u.id AND i.provider_name = $5)"
                ),
                vec![provider.clone()],
            ),
        };
        let sql = format!("{sql} ORDER BY u.created_at, u.id LIMIT $4");
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(pool_id).bind(after_t).bind(after_id).bind(limit);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.pool).await?;
        Ok(rows)
    }
}

async fn insert_one(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    u: &UserRow,
    aliases: &[Alias],
    search: &[SearchValue],
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO users (id, pool_id, username, username_key, status, enabled, password_hash, \
         password_set_at, attributes, tokens_valid_after, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(&u.id)
    .bind(&u.pool_id)
    .bind(&u.username)
    .bind(&u.username_key)
    .bind(&u.status)
    .bind(u.enabled as i64)
    .bind(&u.password_hash)
    .bind(u.password_set_at)
    .bind(serde_json::to_string(&u.attributes).unwrap_or_default())
    .bind(u.tokens_valid_after)
    .bind(u.created_at)
    .bind(u.updated_at)
    .execute(&mut **tx)
    .await
    .map_err(conflict)?;
    write_aliases(tx, u, aliases, search).await
}

async fn write_aliases(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    u: &UserRow,
    aliases: &[Alias],
    search: &[SearchValue],
) -> StoreResult<()> {
    for (kind, key) in aliases {
        sqlx::query("INSERT INTO user_aliases (pool_id, kind, value_key, user_id) VALUES ($1, $2, $3, $4)")
            .bind(&u.pool_id)
            .bind(kind)
            .bind(key)
            .bind(&u.id)
            .execute(&mut **tx)
            .await
            .map_err(conflict)?;
    }
    for (name, value) in search {
        sqlx::query(
            "INSERT INTO user_search (pool_id, name, value, user_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&u.pool_id)
        .bind(name)
        .bind(value)
        .bind(&u.id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
