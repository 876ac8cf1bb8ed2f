//! Failure counters for passwords and second-factor codes (lockout), which admit each guess
//! atomically.

use super::{Store, StoreResult};

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
