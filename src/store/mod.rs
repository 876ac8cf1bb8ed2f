//! Storage: portable SQL through sqlx's `Any` driver on SQLite (embedded default) or PostgreSQL.
//!
//! Dialect differences live in exactly two places: the per-dialect migration trees under
//! `migrations/`, and [`Store::connect`] (SQLite pragmas). Every query uses `$n` placeholders,
//! TEXT ids, BIGINT/INTEGER epoch seconds and JSON as TEXT, so the same statement runs on both.
//! Text compared byte by byte says `COLLATE "binary"`: SQLite's BINARY, and on PostgreSQL a
//! copy of the C collation (migration 0015), whatever the database's own collation.
//! One module per aggregate; each hot lookup is by primary key or an index.

pub mod account_codes;
pub mod admin_sessions;
pub mod branding;
pub mod clients;
pub mod custom_auth;
pub mod devices;
pub mod disk;
pub mod events;
pub mod federation;
pub mod grants;
pub mod groups;
pub mod guesses;
pub mod iam;
pub mod identity;
pub mod import_jobs;
pub mod imported_hashes;
pub mod keys;
pub mod leases;
pub mod mfa;
pub mod passkeys;
pub mod pool_resources;
pub mod pools;
pub mod sessions;
pub mod settings;
pub mod terms;
pub mod trigger_retries;
pub mod users;

use crate::crypto::TokenHash;
use crate::ids::{ClientId, PoolId, Scope, UserSub, Username};
use sqlx::AnyPool;
use sqlx::any::{Any, AnyPoolOptions, AnyTypeInfo};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use std::borrow::Cow;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is already taken.
    #[error("already exists")]
    Conflict,
    #[error("database error: {0}")]
    Db(sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

impl From<sqlx::Error> for StoreError {
    /// Every database error enters here; those of an unavailable database are counted.
    fn from(e: sqlx::Error) -> Self {
        if sqlx_unavailable(&e) {
            crate::metrics::database_unavailable();
        }
        StoreError::Db(e)
    }
}

/// How long a client is told to wait (`Retry-After`, seconds) when the database is unavailable.
pub const RETRY_AFTER_SECS: u64 = 2;

impl StoreError {
    /// Whether the database could not be reached or cannot take work right now (down,
    /// unreachable, out of connections, shutting down, locked, out of disk): worth a retry, and
    /// never a sign that what was asked for does not exist.
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Db(e) if sqlx_unavailable(e))
    }
}

fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|code| unavailable_code(&code)),
        _ => false,
    }
}

/// PostgreSQL's connection exceptions (class 08), shutdown (57P01-57P03) and resource
/// shortages (53xxx: too many connections, out of disk or memory); SQLite's busy, locked, I/O,
/// full and cannot-open results (primary codes 5, 6, 10, 13, 14). A SQLSTATE is always five
/// characters, often all digits; SQLite's (extended) codes are numbers of at most four digits.
fn unavailable_code(code: &str) -> bool {
    if code.len() == 5 {
        return code.starts_with("08") || code.starts_with("53") || matches!(code, "57P01" | "57P02" | "57P03");
    }
    code.parse::<u32>().is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13 | 14))
}

/// Whether an error, anywhere in its chain of causes, is the database being unavailable.
pub fn unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<StoreError>().is_some_and(StoreError::is_unavailable)
            || c.downcast_ref::<sqlx::Error>().is_some_and(sqlx_unavailable)
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database handle every service shares. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// An embedded database's disk, asked by readiness.
    disk: Option<std::sync::Arc<disk::DiskWatch>>,
}

/// Bytes an embedded database's disk keeps free to count as writable unless configured otherwise.
pub const DEFAULT_MIN_FREE_DISK: u64 = 8 << 20;

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../../migrations/sqlite/0001_foundation.sql")),
    (2, "account codes", include_str!("../../migrations/sqlite/0002_account_codes.sql")),
    (3, "mfa", include_str!("../../migrations/sqlite/0003_mfa.sql")),
    (4, "revoked origins", include_str!("../../migrations/sqlite/0004_revoked_origins.sql")),
    (5, "ui customizations", include_str!("../../migrations/sqlite/0005_ui_customizations.sql")),
    (6, "federation", include_str!("../../migrations/sqlite/0006_federation.sql")),
    (7, "identity pools", include_str!("../../migrations/sqlite/0007_identity_pools.sql")),
    (8, "sign-in failures", include_str!("../../migrations/sqlite/0008_sign_in_failures.sql")),
    (10, "simulated codes", include_str!("../../migrations/sqlite/0010_simulated_codes.sql")),
    (11, "exact revocation", include_str!("../../migrations/sqlite/0011_exact_revocation.sql")),
    (12, "events", include_str!("../../migrations/sqlite/0012_events.sql")),
    (13, "admin sessions", include_str!("../../migrations/sqlite/0013_admin_sessions.sql")),
    (14, "custom attribute search", include_str!("../../migrations/sqlite/0014_custom_attribute_search.sql")),
    (15, "prefix search ranges", include_str!("../../migrations/sqlite/0015_prefix_search_ranges.sql")),
    (16, "mfa adoption", include_str!("../../migrations/sqlite/0016_mfa_adoption.sql")),
    (17, "srp verifiers", include_str!("../../migrations/sqlite/0017_srp_verifiers.sql")),
    (18, "rotated refresh tokens", include_str!("../../migrations/sqlite/0018_rotated_refresh_tokens.sql")),
    (19, "client secrets", include_str!("../../migrations/sqlite/0019_client_secrets.sql")),
    (20, "iam managed policies", include_str!("../../migrations/sqlite/0020_iam_managed_policies.sql")),
    (21, "devices", include_str!("../../migrations/sqlite/0021_devices.sql")),
    (22, "terms", include_str!("../../migrations/sqlite/0022_terms.sql")),
    (23, "leases", include_str!("../../migrations/sqlite/0023_leases.sql")),
    (26, "status indexes", include_str!("../../migrations/sqlite/0026_status_indexes.sql")),
    (27, "trigger retries", include_str!("../../migrations/sqlite/0027_trigger_retries.sql")),
    (28, "user import jobs", include_str!("../../migrations/sqlite/0028_user_import_jobs.sql")),
    (29, "imported password hashes", include_str!("../../migrations/sqlite/0029_imported_password_hashes.sql")),
    (30, "custom auth", include_str!("../../migrations/sqlite/0030_custom_auth.sql")),
    (31, "passkeys", include_str!("../../migrations/sqlite/0031_passkeys.sql")),
    (34, "password decoys", include_str!("../../migrations/sqlite/0034_password_decoys.sql")),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (1, "foundation", include_str!("../../migrations/postgres/0001_foundation.sql")),
    (2, "account codes", include_str!("../../migrations/postgres/0002_account_codes.sql")),
    (3, "mfa", include_str!("../../migrations/postgres/0003_mfa.sql")),
    (4, "revoked origins", include_str!("../../migrations/postgres/0004_revoked_origins.sql")),
    (5, "ui customizations", include_str!("../../migrations/postgres/0005_ui_customizations.sql")),
    (6, "federation", include_str!("../../migrations/postgres/0006_federation.sql")),
    (7, "identity pools", include_str!("../../migrations/postgres/0007_identity_pools.sql")),
    (8, "sign-in failures", include_str!("../../migrations/postgres/0008_sign_in_failures.sql")),
    (10, "simulated codes", include_str!("../../migrations/postgres/0010_simulated_codes.sql")),
    (11, "exact revocation", include_str!("../../migrations/postgres/0011_exact_revocation.sql")),
    (12, "events", include_str!("../../migrations/postgres/0012_events.sql")),
    (13, "admin sessions", include_str!("../../migrations/postgres/0013_admin_sessions.sql")),
    (14, "custom attribute search", include_str!("../../migrations/postgres/0014_custom_attribute_search.sql")),
    (15, "prefix search ranges", include_str!("../../migrations/postgres/0015_prefix_search_ranges.sql")),
    (16, "mfa adoption", include_str!("../../migrations/postgres/0016_mfa_adoption.sql")),
    (17, "srp verifiers", include_str!("../../migrations/postgres/0017_srp_verifiers.sql")),
    (18, "rotated refresh tokens", include_str!("../../migrations/postgres/0018_rotated_refresh_tokens.sql")),
    (19, "client secrets", include_str!("../../migrations/postgres/0019_client_secrets.sql")),
    (20, "iam managed policies", include_str!("../../migrations/postgres/0020_iam_managed_policies.sql")),
    (21, "devices", include_str!("../../migrations/postgres/0021_devices.sql")),
    (22, "terms", include_str!("../../migrations/postgres/0022_terms.sql")),
    (23, "leases", include_str!("../../migrations/postgres/0023_leases.sql")),
    (26, "status indexes", include_str!("../../migrations/postgres/0026_status_indexes.sql")),
    (27, "trigger retries", include_str!("../../migrations/postgres/0027_trigger_retries.sql")),
    (28, "user import jobs", include_str!("../../migrations/postgres/0028_user_import_jobs.sql")),
    (29, "imported password hashes", include_str!("../../migrations/postgres/0029_imported_password_hashes.sql")),
    (30, "custom auth", include_str!("../../migrations/postgres/0030_custom_auth.sql")),
    (31, "passkeys", include_str!("../../migrations/postgres/0031_passkeys.sql")),
    (34, "password decoys", include_str!("../../migrations/postgres/0034_password_decoys.sql")),
];

/// How long a caller waits for a database connection unless configured otherwise.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// SQLite's page cache per connection, in KiB. SQLite's own default (2,000 KiB) is per
/// connection too, so a pool of 16 could hold 32 MiB of copies of the same pages: a scan of a
/// large pool filled them (the dashboard benchmark at 100k users peaked at 121-139 MiB). The
/// operating system caches the file for every connection at once, so a page missing here costs a
/// read from memory, not from disk; WAL also empties a connection's cache whenever another one
/// has written, which on a busy server is most of the time.
const SQLITE_CACHE_KIB: u32 = 512;

/// How long a readiness check waits for the database.
pub const READY_WITHIN: Duration = Duration::from_secs(1);

impl Store {
    /// Connect (creating the SQLite file if needed) and apply pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Store> {
        Self::connect_with(url, max_connections, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// [`Self::connect`] with the longest a caller waits for a healthy connection: past it the
    /// database counts as unavailable ([`StoreError::is_unavailable`]).
    pub async fn connect_with(url: &str, max_connections: u32, acquire_timeout: Duration) -> StoreResult<Store> {
        let store = Self::connect_unmigrated(url, max_connections, acquire_timeout).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connect without applying migrations (`portcullis doctor` looks, it does not change).
    pub async fn connect_unmigrated(url: &str, max_connections: u32, acquire_timeout: Duration) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Corrupt(format!(
                "unsupported database URL scheme (use sqlite:// or postgres://): {}",
                url.split(':').next().unwrap_or("")
            )));
        };
        let mut opts = AnyPoolOptions::new()
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(acquire_timeout)
            .test_before_acquire(true);
        if backend == Backend::Sqlite {
            // A write that fails inside a transaction (a full disk, an I/O error) can make SQLite
            // roll the whole transaction back itself; sqlx's own ROLLBACK then fails and the
            // connection keeps counting a transaction that is gone. Its next transaction opens
            // with a SAVEPOINT, and a failure there rolls back only to the savepoint, leaving a
            // write transaction open on an idle connection: every other writer waits for it
            // (busy_timeout) long after the disk has room again. A connection still counting a
            // transaction when it comes back to the pool is closed rather than reused.
            opts =
                opts.after_release(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }));
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    let pragmas = format!(
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                         PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{SQLITE_CACHE_KIB};"
                    );
                    sqlx::raw_sql(sqlx::AssertSqlSafe(pragmas)).execute(conn).await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(url).await?;
        let disk = disk::DiskWatch::for_sqlite_url(url, DEFAULT_MIN_FREE_DISK).map(std::sync::Arc::new);
        Ok(Store { pool, backend, disk })
    }

    fn migrator(&self) -> Migrator {
        let list = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        Migrator::with_migrations(
            list.iter()
                .map(|(v, d, sql)| {
                    Migration::new(
                        *v,
                        Cow::Borrowed(*d),
                        MigrationType::Simple,
                        sqlx::SqlSafeStr::into_sql_str(*sql),
                        false,
                    )
                })
                .collect(),
        )
    }

    async fn migrate(&self) -> StoreResult<()> {
        self.migrator().run(&self.pool).await?;
        Ok(())
    }

    /// The migrations this binary knows that the database has not applied (version and
    /// description), and the versions the database has applied that this binary does not know
    /// (a newer release ran on it). A database without the migrations table has applied none.
    pub async fn migration_status(&self) -> StoreResult<(Vec<(i64, String)>, Vec<i64>)> {
        let applied: Vec<i64> = match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
        {
            Ok(v) => v,
            Err(e @ sqlx::Error::Database(_)) if !sqlx_unavailable(&e) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let migrator = self.migrator();
        let known: Vec<i64> = migrator.iter().map(|m| m.version).collect();
        let pending = migrator
            .iter()
            .filter(|m| !applied.contains(&m.version))
            .map(|m| (m.version, m.description.to_string()))
            .collect();
        let unknown = applied.into_iter().filter(|v| !known.contains(v)).collect();
        Ok((pending, unknown))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Readiness asks an embedded database's disk for at least `bytes` free.
    pub fn with_min_free_disk(mut self, bytes: u64) -> Store {
        if let Some(d) = &self.disk {
            self.disk = Some(std::sync::Arc::new(d.with_min_free(bytes)));
        }
        self
    }

    /// Whether an embedded database's disk can take writes now (None on PostgreSQL).
    pub fn disk_check(&self) -> Option<Result<(), disk::DiskTrouble>> {
        self.disk.as_ref().map(|d| d.check())
    }

    /// Ready = reachable and every migration applied, within [`READY_WITHIN`]: a database that
    /// does not answer in time is not ready, so a probe never waits longer than that. An
    /// embedded database is ready only while its disk can take writes ([`disk::DiskWatch`]).
    pub async fn ready(&self) -> bool {
        if self.disk_check().is_some_and(|c| c.is_err()) {
            return false;
        }
        let expected = self.migrator().iter().count() as i64;
        let count =
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool);
        matches!(tokio::time::timeout(READY_WITHIN, count).await, Ok(Ok(n)) if n >= expected)
    }

    /// The connection pool now: connections open, idle, and the most allowed.
    pub fn pool_stats(&self) -> (u32, usize, u32) {
        (self.pool.size(), self.pool.num_idle(), self.pool.options().get_max_connections())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Cut a page fetched with `limit + 1` rows to `limit`, and name the key to continue after
/// when there were more.
pub fn page<T>(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = if more { rows.last().map(key) } else { None };
    (rows, next)
}

/// Map a unique-key violation to [`StoreError::Conflict`].
pub(crate) fn conflict(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => StoreError::Conflict,
        _ => StoreError::Db(e),
    }
}

/// A JSON document in a TEXT column (the schema keeps JSON as TEXT on both databases), read
/// with serde: `#[sqlx(try_from = "JsonText<T>")]` on a field of type `T`. Written as
/// `serde_json` text by the insert and update statements.
pub struct JsonText<T>(T);

impl<T> sqlx::Type<Any> for JsonText<T> {
    fn type_info() -> AnyTypeInfo {
        <String as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <String as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r, T: serde::de::DeserializeOwned> sqlx::Decode<'r, Any> for JsonText<T> {
    fn decode(value: <Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        let text = <&str as sqlx::Decode<'r, Any>>::decode(value)?;
        Ok(JsonText(serde_json::from_str(text)?))
    }
}

/// The field types kept as JSON documents.
macro_rules! json_columns {
    ($($t:ty),*) => {$(
        impl From<JsonText<$t>> for $t {
            fn from(j: JsonText<$t>) -> $t {
                j.0
            }
        }
    )*};
}
json_columns!(serde_json::Value, std::collections::BTreeMap<String, String>, Vec<String>);

/// A boolean stored as BIGINT 0/1 (the Any driver decodes `bool` only from a boolean column):
/// `#[sqlx(try_from = "IntBool")]` on a `bool` field. Any non-zero value reads as true.
pub struct IntBool(i64);

impl sqlx::Type<Any> for IntBool {
    fn type_info() -> AnyTypeInfo {
        <i64 as sqlx::Type<Any>>::type_info()
    }

    fn compatible(ty: &AnyTypeInfo) -> bool {
        <i64 as sqlx::Type<Any>>::compatible(ty)
    }
}

impl<'r> sqlx::Decode<'r, Any> for IntBool {
    fn decode(value: <Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(IntBool(<i64 as sqlx::Decode<'r, Any>>::decode(value)?))
    }
}

impl From<IntBool> for bool {
    fn from(b: IntBool) -> bool {
        b.0 != 0
    }
}

/// Token hashes and the id types are TEXT columns: bound and read as their text
/// (`$from` makes the value from the stored text).
macro_rules! text_columns {
    ($($t:ty => $from:path),*) => {$(
        impl sqlx::Type<Any> for $t {
            fn type_info() -> AnyTypeInfo {
                <String as sqlx::Type<Any>>::type_info()
            }

            fn compatible(ty: &AnyTypeInfo) -> bool {
                <String as sqlx::Type<Any>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, Any> for $t {
            fn encode_by_ref(&self, buf: &mut <Any as sqlx::Database>::ArgumentBuffer) -> Result<IsNull, BoxDynError> {
                <String as sqlx::Encode<'q, Any>>::encode(self.as_str().to_string(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, Any> for $t {
            fn decode(value: <Any as sqlx::Database>::ValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok($from(<String as sqlx::Decode<'r, Any>>::decode(value)?))
            }
        }
    )*};
}
text_columns!(
    TokenHash => TokenHash::from_stored,
    PoolId => PoolId::from,
    ClientId => ClientId::from,
    UserSub => UserSub::from,
    Username => Username::from,
    Scope => Scope::from
);

#[cfg(test)]
mod unavailable_tests {
    use super::unavailable_code;

    #[test]
    fn connection_shutdown_and_resource_codes_are_unavailable_and_others_are_not() {
        // PostgreSQL: connection failures, too many connections, disk full, shutting down.
        for code in ["08000", "08006", "08001", "53300", "53100", "57P01", "57P03"] {
            assert!(unavailable_code(code), "{code}");
        }
        // SQLite primary and extended codes: busy (5, 517 busy snapshot), locked, I/O, full, cannot open.
        for code in ["5", "517", "6", "10", "13", "14", "8458"] {
            assert!(unavailable_code(code), "{code}");
        }
        // What the request did wrong is not the database being away: unique or foreign key
        // violations, a missing table, a syntax error, SQLite's constraint (19, 2067) and error (1).
        for code in ["23505", "23503", "42P01", "42601", "19", "2067", "1"] {
            assert!(!unavailable_code(code), "{code}");
        }
    }
}
