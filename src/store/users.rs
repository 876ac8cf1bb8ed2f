//! Users, their sign-in aliases and searchable attribute values.

use super::{IntBool, JsonText, Store, StoreResult, conflict};
use crate::ids::{PoolId, UserSub, Username};
use sqlx::Arguments;
use sqlx::any::{Any, AnyArguments};
use sqlx::error::BoxDynError;
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
    /// The SRP salt and verifier (USER_SRP_AUTH), sealed under the master key; `None` until
    /// the plaintext password is next seen (set, changed, or right at a password sign-in).
    pub srp_verifier: Option<String>,
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
             attributes = $6, tokens_valid_after = $7, updated_at = $8, srp_verifier = $9 WHERE id = $1",
        )
        .bind(&u.id)
        .bind(&u.status)
        .bind(u.enabled as i64)
        .bind(&u.password_hash)
        .bind(u.password_set_at)
        .bind(serde_json::to_string(&u.attributes).unwrap_or_default())
        .bind(u.tokens_valid_after)
        .bind(u.updated_at)
        .bind(&u.srp_verifier)
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

    /// Store a user's first SRP verifier, unless one was stored meanwhile.
    pub async fn set_srp_verifier_if_none(&self, id: &str, sealed: &str) -> StoreResult<()> {
        sqlx::query("UPDATE users SET srp_verifier = $2 WHERE id = $1 AND srp_verifier IS NULL")
            .bind(id)
            .bind(sealed)
            .execute(&self.pool)
            .await?;
        Ok(())
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
    ///
    /// A filter an index serves (an attribute value, a username, a sub or a status, equal or by
    /// prefix, or the enabled flag) first counts its matches in the index, up to
    /// [`FEW_MATCHES`] + 1. None: the page is empty. Few: they are read from the index and sorted by creation. More: the pool is walked
    /// in creation order after the cursor and each user checked, which stops at a full page when
    /// matches are common; a walk that finds too few among [`WALK_WINDOW`] users, with more
    /// users after them, gives way to reading the index (the matches lie further on: the newest
    /// users, say). Other filters always walk. The pages' statements are planned for the values
    /// given, not prepared once for any value: PostgreSQL's generic plan guesses the size of a
    /// range and then scanned every user for a ten-user prefix.
    pub async fn list_users(
        &self,
        pool_id: &str,
        filter: &UserFilter,
        limit: i64,
        after: Option<(i64, String)>,
    ) -> StoreResult<Vec<UserRow>> {
        let after = after.unwrap_or((i64::MIN, String::new()));
        let Some(matches) = self.count_indexed(pool_id, filter).await? else {
            return self.walk_users(pool_id, filter, limit, &after, None).await;
        };
        if matches == 0 {
            return Ok(Vec::new());
        }
        if matches > FEW_MATCHES {
            let rows = self.walk_users(pool_id, filter, limit, &after, Some(WALK_WINDOW)).await?;
            if rows.len() as i64 >= limit || self.count_after(pool_id, &after, WALK_WINDOW).await? < WALK_WINDOW {
                return Ok(rows);
            }
        }
        self.read_index(pool_id, filter, limit, &after).await
    }

    /// How many entries the index of `filter` holds for it, counted up to one more than
    /// [`FEW_MATCHES`] (a user appears once per matching value: no DISTINCT, which PostgreSQL
    /// would compute over the whole range before counting); `None` for a filter no index serves.
    async fn count_indexed(&self, pool_id: &str, filter: &UserFilter) -> StoreResult<Option<i64>> {
        let mut p = Params::default();
        let pool = p.add(pool_id);
        let Some(ids) = filter.index_ids(&mut p, &pool) else {
            return Ok(None);
        };
        let sql = format!("SELECT COUNT(*) FROM ({ids} LIMIT {}) m", p.add(FEW_MATCHES + 1));
        let q = sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql), p.done()?);
        Ok(Some(q.fetch_one(&self.pool).await?))
    }

    /// A page read from the filter's index: every match, sorted by creation.
    async fn read_index(
        &self,
        pool_id: &str,
        filter: &UserFilter,
        limit: i64,
        after: &(i64, String),
    ) -> StoreResult<Vec<UserRow>> {
        let mut p = Params::default();
        let pool = p.add(pool_id);
        let cursor = after_cursor("u", after, &mut p);
        let Some(ids) = filter.index_ids(&mut p, &pool) else {
            return self.walk_users(pool_id, filter, limit, after, None).await;
        };
        // `CROSS JOIN` keeps SQLite from walking the pool instead (PostgreSQL plans it freely).
        let sql = format!(
            "SELECT u.* FROM (SELECT DISTINCT i.user_id FROM ({ids}) i) m CROSS JOIN users u \
             WHERE u.id = m.user_id AND u.pool_id = {pool} AND {cursor} ORDER BY u.created_at, u.id LIMIT {}",
            p.add(limit)
        );
        let q = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), p.done()?);
        Ok(q.persistent(false).fetch_all(&self.pool).await?)
    }

    /// A page found by walking the pool in creation order after the cursor, checking each user:
    /// all the users after it, or only the next `window`.
    async fn walk_users(
        &self,
        pool_id: &str,
        filter: &UserFilter,
        limit: i64,
        after: &(i64, String),
        window: Option<i64>,
    ) -> StoreResult<Vec<UserRow>> {
        let mut p = Params::default();
        let pool = p.add(pool_id);
        let (users, mut conditions) = match window {
            None => ("users u".to_string(), vec![format!("u.pool_id = {pool}"), after_cursor("u", after, &mut p)]),
            Some(n) => {
                let cursor = after_cursor("w", after, &mut p);
                let window = format!(
                    "(SELECT * FROM users w WHERE w.pool_id = {pool} AND {cursor} ORDER BY w.created_at, w.id LIMIT {}) u",
                    p.add(n)
                );
                (window, vec![])
            }
        };
        conditions.extend(filter.check(&mut p));
        let filter_where =
            if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        let sql = format!(
            "SELECT u.* FROM {users}{}{filter_where} ORDER BY u.created_at, u.id LIMIT {}",
            filter.joins(),
            p.add(limit)
        );
        let q = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), p.done()?);
        Ok(q.persistent(false).fetch_all(&self.pool).await?)
    }

    /// How many users of the pool come after the cursor, counted up to `max` (in creation order,
    /// so that the index is walked from the cursor rather than the table scanned for them).
    async fn count_after(&self, pool_id: &str, after: &(i64, String), max: i64) -> StoreResult<i64> {
        let mut p = Params::default();
        let pool = p.add(pool_id);
        let cursor = after_cursor("w", after, &mut p);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM users w WHERE w.pool_id = {pool} AND {cursor} \
             ORDER BY w.created_at, w.id LIMIT {}) m",
            p.add(max)
        );
        let q = sqlx::query_scalar_with(sqlx::AssertSqlSafe(sql), p.done()?);
        Ok(q.fetch_one(&self.pool).await?)
    }
}

/// A filter an index serves is answered from the index when it matches at most this many users:
/// they are read and sorted by creation, every page. With more, walking the pool in creation
/// order fills a page of 50 within about `50 × users ÷ matches` users when the matches are spread
/// over the pool. Reading a match and walking past a user cost about the same (3–4 µs on SQLite,
/// 9–14 µs on PostgreSQL, measured at a million users), so the two meet near √(50 × users):
/// 2,200 matches at 100,000 users, 7,000 at a million. Below that, a page reads at most 5,000
/// matches; above, a walk past spread matches reads at most about `users ÷ 100` users.
pub const FEW_MATCHES: i64 = 5_000;

/// The users a walk checks for a page of a filter with more than [`FEW_MATCHES`] matches before
/// it gives way to reading the index: enough for matches spread over a million users (`50 ×
/// users ÷ matches` < 10,000), few enough that walking past them costs what reading a few
/// thousand matches does.
pub const WALK_WINDOW: i64 = 10_000;

/// `(t.created_at, t.id)` after the cursor: one row value, which both databases read as a range
/// of `users_pool_created`.
fn after_cursor(table: &str, (t, id): &(i64, String), p: &mut Params) -> String {
    format!("({table}.created_at, {table}.id) > ({}, {})", p.add(*t), p.add(id.as_str()))
}

impl UserFilter {
    /// The ids of the users the filter selects (`SELECT … user_id`; a user once per matching
    /// value), read from an index, for the filters one serves: attribute values, usernames,
    /// subs, statuses and the enabled flag.
    fn index_ids(&self, p: &mut Params, pool: &str) -> Option<String> {
        match self {
            UserFilter::Attribute { name, value, prefix } => Some(format!(
                "SELECT s.user_id FROM user_search s WHERE s.pool_id = {pool} AND s.name = {} AND {}",
                p.add(name.as_str()),
                text_match("s.value", value, *prefix, p)
            )),
            UserFilter::Column { column: UserColumn::Username, value, prefix } => Some(format!(
                "SELECT x.id AS user_id FROM users x WHERE x.pool_id = {pool} AND {}",
                text_match("x.username", value, *prefix, p)
            )),
            // Subs are unique across pools: the primary key's range (the pool is checked on the user).
            UserFilter::Column { column: UserColumn::Sub, value, prefix } => {
                Some(format!("SELECT x.id AS user_id FROM users x WHERE {}", text_match("x.id", value, *prefix, p)))
            }
            // Statuses and the enabled flag have their indexes too (0026): a status no user has
            // is answered by the count instead of a walk past every user.
            UserFilter::Column { column: UserColumn::Status, value, prefix } => Some(format!(
                "SELECT x.id AS user_id FROM users x WHERE x.pool_id = {pool} AND {}",
                text_match("x.status", value, *prefix, p)
            )),
            UserFilter::Column { column: UserColumn::Enabled, value, .. } => Some(format!(
                "SELECT x.id AS user_id FROM users x WHERE x.pool_id = {pool} AND x.enabled = {}",
                p.add(i64::from(value == "1"))
            )),
            _ => None,
        }
    }

    /// What a walk joins to `users u` for the check.
    fn joins(&self) -> &'static str {
        match self {
            UserFilter::HasMfa => " JOIN user_mfa m ON m.user_id = u.id",
            _ => "",
        }
    }

    /// The filter as a condition on `u` (and its [`Self::joins`]), checked on every user walked;
    /// `None` for all users. An attribute is looked up by the user's id, never by its value: the
    /// index on values would be read in full for each user. `OFFSET 0` keeps PostgreSQL from
    /// turning the lookup into a join, which it planned, without statistics (a table just
    /// loaded), as a nested loop over every matching value for each user: 11 s for a page.
    fn check(&self, p: &mut Params) -> Option<String> {
        Some(match self {
            UserFilter::All => return None,
            UserFilter::Column { column, value, prefix } => {
                let col = match column {
                    UserColumn::Username => "u.username",
                    UserColumn::Sub => "u.id",
                    UserColumn::Status => "u.status",
                    UserColumn::Enabled => "CAST(u.enabled AS TEXT)",
                };
                text_match(col, value, *prefix, p)
            }
            UserFilter::Attribute { name, value, prefix } => format!(
                "EXISTS (SELECT 1 FROM user_search s WHERE s.user_id = u.id AND s.name = {} AND {} LIMIT 1 OFFSET 0)",
                p.add(name.as_str()),
                text_match("s.value", value, *prefix, p)
            ),
            UserFilter::HasMfa => "(m.totp_enabled = 1 OR m.email_enabled = 1)".to_string(),
            UserFilter::LinkedTo { provider } => format!(
                "EXISTS (SELECT 1 FROM user_identities i WHERE i.user_id = u.id AND i.provider_name = {})",
                p.add(provider.as_str())
            ),
        })
    }
}

/// `expr` equal to `value`, or starting with it: a range of the index, `[value, upper)`.
/// Compared byte by byte (`COLLATE "binary"`: SQLite's BINARY, and on PostgreSQL the C
/// collation of migration 0015), the order in which [`prefix_upper_bound`] is computed.
fn text_match(expr: &str, value: &str, prefix: bool, p: &mut Params) -> String {
    let from = p.add(value);
    if !prefix {
        return format!("{expr} COLLATE \"binary\" = {from}");
    }
    match prefix_upper_bound(value) {
        Some(upper) => format!("{expr} COLLATE \"binary\" >= {from} AND {expr} COLLATE \"binary\" < {}", p.add(upper)),
        None => format!("{expr} COLLATE \"binary\" >= {from}"),
    }
}

/// The least string above every string that starts with `prefix`, in code point order (which
/// is UTF-8 byte order): the prefix with its last character incremented. A last character that
/// cannot be (`char::MAX`) is dropped and the one before it incremented; the code points of the
/// surrogate gap are skipped. `None` when there is no such string: the empty prefix, or one made
/// of `char::MAX` only, which every string at or above it starts with.
pub fn prefix_upper_bound(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = match last {
            '\u{D7FF}' => Some('\u{E000}'),
            c => char::from_u32(c as u32 + 1),
        };
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// A statement's parameters, numbered `$1`, `$2`, … in the order they are added.
#[derive(Default)]
struct Params {
    args: AnyArguments,
    error: Option<BoxDynError>,
}

impl Params {
    /// Add `value`; its placeholder.
    fn add<'t, T: sqlx::Encode<'t, Any> + sqlx::Type<Any>>(&mut self, value: T) -> String {
        if let Err(e) = self.args.add(value) {
            self.error.get_or_insert(e);
        }
        format!("${}", self.args.len())
    }

    /// The arguments to bind, or the first value that could not be encoded.
    fn done(self) -> Result<AnyArguments, sqlx::Error> {
        match self.error {
            Some(e) => Err(sqlx::Error::Encode(e)),
            None => Ok(self.args),
        }
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
         password_set_at, attributes, tokens_valid_after, created_at, updated_at, srp_verifier) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
    .bind(&u.srp_verifier)
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

#[cfg(test)]
mod tests {
    use super::prefix_upper_bound;

    #[test]
    fn the_upper_bound_increments_the_last_character_it_can() {
        let cases: &[(&str, Option<&str>)] = &[
            ("", None),
            ("a", Some("b")),
            ("user0123", Some("user0124")),
            ("az", Some("a{")),
            ("a/", Some("a0")),
            ("\u{7f}", Some("\u{80}")),
            ("caf\u{e9}", Some("caf\u{ea}")),
            ("a\u{7ff}", Some("a\u{800}")),
            ("a\u{ffff}", Some("a\u{10000}")),
            ("x\u{d7ff}", Some("x\u{e000}")),
            ("a\u{10ffff}", Some("b")),
            ("ab\u{10ffff}\u{10ffff}", Some("ac")),
            ("\u{10ffff}", None),
            ("\u{10ffff}\u{10ffff}", None),
        ];
        for (prefix, want) in cases {
            assert_eq!(prefix_upper_bound(prefix).as_deref(), *want, "{prefix:?}");
        }
    }

    /// The bound is above every string with the prefix and at or below every greater string
    /// without it, in UTF-8 byte order, which is how both databases compare the range.
    #[test]
    fn the_range_holds_exactly_the_strings_with_the_prefix() {
        let alphabet = ["a", "b", "z", "\u{7f}", "\u{80}", "\u{e9}", "\u{d7ff}", "\u{e000}", "\u{ffff}", "\u{10ffff}"];
        let mut strings = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> =
                strings.iter().flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}"))).collect();
            strings.extend(longer);
        }
        strings.sort();
        strings.dedup();
        for prefix in strings.iter().filter(|s| s.chars().count() <= 2) {
            let upper = prefix_upper_bound(prefix);
            for s in &strings {
                let in_range =
                    s.as_bytes() >= prefix.as_bytes() && upper.as_ref().is_none_or(|u| s.as_bytes() < u.as_bytes());
                assert_eq!(in_range, s.starts_with(prefix.as_str()), "prefix {prefix:?}, upper {upper:?}, {s:?}");
            }
        }
    }
}
