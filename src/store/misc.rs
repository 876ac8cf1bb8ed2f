//! Small aggregates: key/value settings, management access keys, pool domains, resource servers,
//! and failure counters for passwords and second-factor codes (lockout), which admit each guess
//! atomically.

use super::{IntBool, JsonText, Store, StoreResult, conflict};
use serde_json::Value;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ManagementKeyRow {
    pub access_key_id: String,
    pub secret_enc: String,
    pub description: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DomainRow {
    pub domain: String,
    pub pool_id: String,
    #[sqlx(try_from = "IntBool")]
    pub custom: bool,
    #[sqlx(try_from = "JsonText<Value>")]
    pub config: Value,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ResourceServerRow {
    pub pool_id: String,
    pub identifier: String,
    pub name: String,
    /// `[{"ScopeName": …, "ScopeDescription": …}]`
    #[sqlx(try_from = "JsonText<Value>")]
    pub scopes: Value,
}

/// Whose guesses a failure counter limits (one counter per pool and subject).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guesses<'a> {
    /// The password of the user with this id.
    Password(&'a str),
    /// Second-factor codes (TOTP, e-mail OTP, recovery codes, set-up codes) of the user with this id.
    SecondFactor(&'a str),
    /// Passwords for a username that no user has, by a keyed hash of the normalised name.
    UnknownUser(&'a str),
}

impl Guesses<'_> {
    fn subject(self) -> String {
        match self {
            Guesses::Password(id) => format!("password:{id}"),
            Guesses::SecondFactor(id) => format!("mfa:{id}"),
            Guesses::UnknownUser(hash) => format!("unknown:{hash}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct LoginFailures {
    pub failures: i64,
    pub last_failure: i64,
    pub locked_until: i64,
}

impl Store {
    pub async fn kv_get(&self, key: &str) -> StoreResult<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM kv WHERE key = $1").bind(key).fetch_optional(&self.pool).await?)
    }

    /// Set the value unless the key exists; returns the value now stored.
    pub async fn kv_set_if_absent(&self, key: &str, value: &str) -> StoreResult<String> {
        sqlx::query("INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING")
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(self.kv_get(key).await?.unwrap_or_else(|| value.to_string()))
    }

    pub async fn insert_management_key(&self, k: &ManagementKeyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO management_keys (access_key_id, secret_enc, description, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&k.access_key_id)
        .bind(&k.secret_enc)
        .bind(&k.description)
        .bind(k.created_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    pub async fn get_management_key(&self, access_key_id: &str) -> StoreResult<Option<ManagementKeyRow>> {
        Ok(sqlx::query_as("SELECT * FROM management_keys WHERE access_key_id = $1")
            .bind(access_key_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    pub async fn count_management_keys(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM management_keys").fetch_one(&self.pool).await?)
    }

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

    pub async fn get_failures(&self, pool_id: &str, of: Guesses<'_>) -> StoreResult<LoginFailures> {
        let r = sqlx::query_as("SELECT * FROM sign_in_failures WHERE pool_id = $1 AND subject = $2")
            .bind(pool_id)
            .bind(of.subject())
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.unwrap_or_default())
    }

    pub async fn put_failures(&self, pool_id: &str, of: Guesses<'_>, f: LoginFailures) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sign_in_failures \
             (pool_id, subject, failures, last_failure, locked_until, in_flight, in_flight_until) \
             VALUES ($1, $2, $3, $4, $5, 0, 0) \
             ON CONFLICT (pool_id, subject) DO UPDATE SET failures = $3, last_failure = $4, locked_until = $5",
        )
        .bind(pool_id)
        .bind(of.subject())
        .bind(f.failures)
        .bind(f.last_failure)
        .bind(f.locked_until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forget the failures (and any slots) of `of`.
    pub async fn clear_failures(&self, pool_id: &str, of: Guesses<'_>) -> StoreResult<()> {
        sqlx::query("DELETE FROM sign_in_failures WHERE pool_id = $1 AND subject = $2")
            .bind(pool_id)
            .bind(of.subject())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Admit one guess for `of`, in a single statement so that no number of simultaneous
    /// requests on any number of nodes gets more guesses checked than the rule allows: only
    /// while not locked, and only while the guesses in flight, were they all to fail, would not
    /// pass the failure that locks (`free` failures count within `window_secs`; once that many
    /// have failed, one guess at a time). Slots older than `slot_until` of the latest claim no
    /// longer count. Returns whether a slot was taken; resolve it with [`Self::count_failed_guess`]
    /// and [`Self::release_guess`], or [`Self::guess_succeeded`].
    pub async fn claim_guess(
        &self,
        pool_id: &str,
        of: Guesses<'_>,
        now: i64,
        window_secs: i64,
        free: i64,
        slot_until: i64,
    ) -> StoreResult<bool> {
        let r = sqlx::query(
            "INSERT INTO sign_in_failures AS f \
             (pool_id, subject, failures, last_failure, locked_until, in_flight, in_flight_until) \
             VALUES ($1, $2, 0, 0, 0, 1, $4) \
             ON CONFLICT (pool_id, subject) DO UPDATE SET \
             in_flight = CASE WHEN f.in_flight_until <= $3 THEN 1 ELSE f.in_flight + 1 END, \
             in_flight_until = $4 \
             WHERE f.locked_until <= $3 AND (f.in_flight_until <= $3 OR f.in_flight <= 0 \
             OR f.in_flight + CASE WHEN f.last_failure < $5 THEN 0 ELSE f.failures END < $6) \
             RETURNING in_flight",
        )
        .bind(pool_id)
        .bind(of.subject())
        .bind(now)
        .bind(slot_until)
        .bind(now - window_secs)
        .bind(free)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.is_some())
    }

    /// Count one more failed guess of an admitted slot (which stays held): the count restarts
    /// at 1 when the previous failure is older than `window_secs`. Returns the new count.
    pub async fn count_failed_guess(
        &self,
        pool_id: &str,
        of: Guesses<'_>,
        now: i64,
        window_secs: i64,
    ) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO sign_in_failures AS f \
             (pool_id, subject, failures, last_failure, locked_until, in_flight, in_flight_until) \
             VALUES ($1, $2, 1, $3, 0, 0, 0) ON CONFLICT (pool_id, subject) DO UPDATE SET \
             failures = CASE WHEN f.last_failure < $4 THEN 1 ELSE f.failures + 1 END, \
             last_failure = $3 RETURNING failures",
        )
        .bind(pool_id)
        .bind(of.subject())
        .bind(now)
        .bind(now - window_secs)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Give back an admitted slot, locking until `lock_until` in the same statement unless a
    /// lock already runs longer (0: no lock), so no guess is admitted between the two.
    pub async fn release_guess(&self, pool_id: &str, of: Guesses<'_>, lock_until: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sign_in_failures SET \
             in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END, \
             locked_until = CASE WHEN locked_until < $3 THEN $3 ELSE locked_until END \
             WHERE pool_id = $1 AND subject = $2",
        )
        .bind(pool_id)
        .bind(of.subject())
        .bind(lock_until)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A right guess: the failures are forgotten and its slot given back.
    pub async fn guess_succeeded(&self, pool_id: &str, of: Guesses<'_>) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sign_in_failures SET failures = 0, last_failure = 0, locked_until = 0, \
             in_flight = CASE WHEN in_flight > 0 THEN in_flight - 1 ELSE 0 END \
             WHERE pool_id = $1 AND subject = $2",
        )
        .bind(pool_id)
        .bind(of.subject())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Drop counters with nothing left to say: no failure since `quiet_since`, no lock and no
    /// slot still running at `now`.
    pub async fn purge_stale_failures(&self, now: i64, quiet_since: i64) -> StoreResult<u64> {
        let n = sqlx::query(
            "DELETE FROM sign_in_failures WHERE last_failure < $2 AND locked_until < $1 AND in_flight_until < $1",
        )
        .bind(now)
        .bind(quiet_since)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n)
    }
}
