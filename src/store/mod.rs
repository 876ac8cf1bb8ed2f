//! Storage: portable SQL through sqlx's `Any` driver on SQLite (embedded default) or PostgreSQL.
//!
//! Dialect differences live in exactly two places: the per-dialect migration trees under
//! `migrations/`, and [`Store::connect`] (SQLite pragmas). Every query uses `$n` placeholders,
//! TEXT ids, BIGINT/INTEGER epoch seconds and JSON as TEXT, so the same statement runs on both.
//! One module per aggregate; each hot lookup is by primary key or an index.

pub mod account_codes;
pub mod branding;
pub mod clients;
pub mod codes;
pub mod federation;
pub mod groups;
pub mod iam;
pub mod identity;
pub mod keys;
pub mod mfa;
pub mod misc;
pub mod pools;
pub mod sessions;
pub mod users;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row};
use std::borrow::Cow;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique key is already taken.
    #[error("already exists")]
    Conflict,
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

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
}

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
];

impl Store {
    /// Connect (creating the SQLite file if needed) and apply pending migrations.
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Store> {
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
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            opts = opts.after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; \
                         PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;",
                    )
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            });
        }
        let pool = opts.connect(url).await?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
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

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Ready = reachable and every migration applied.
    pub async fn ready(&self) -> bool {
        let expected = self.migrator().iter().count() as i64;
        match sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(&self.pool).await {
            Ok(row) => row.try_get::<i64, _>(0).map(|n| n >= expected).unwrap_or(false),
            Err(_) => false,
        }
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

pub(crate) fn get_str(row: &AnyRow, col: &str) -> StoreResult<String> {
    row.try_get::<String, _>(col).map_err(StoreError::Db)
}

pub(crate) fn get_opt_str(row: &AnyRow, col: &str) -> StoreResult<Option<String>> {
    row.try_get::<Option<String>, _>(col).map_err(StoreError::Db)
}

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> StoreResult<i64> {
    row.try_get::<i64, _>(col).map_err(StoreError::Db)
}

pub(crate) fn get_opt_i64(row: &AnyRow, col: &str) -> StoreResult<Option<i64>> {
    row.try_get::<Option<i64>, _>(col).map_err(StoreError::Db)
}

pub(crate) fn get_json<T: serde::de::DeserializeOwned>(row: &AnyRow, col: &str) -> StoreResult<T> {
    let s = get_str(row, col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}
