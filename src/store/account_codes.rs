//! One-time codes mailed to users (one live code per user and purpose), the simulated codes of
//! usernames that do not exist, and the shared fixed-window rate counters that limit how often
//! codes are sent and tried.

use super::{Store, StoreResult};
use crate::ids::UserSub;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserCodeRow {
    pub user_id: UserSub,
    pub purpose: String,
    /// Keyed MAC of the code (see `userpool::codes`); the code itself is never stored.
    pub code_mac: String,
    /// The attribute the code went to (`email` or `phone_number`).
    pub destination: String,
    pub expires_at: i64,
    pub failed_attempts: i64,
    pub created_at: i64,
}

impl Store {
    /// Store a new code, replacing the user's previous code for the same purpose.
    pub async fn put_user_code(&self, c: &UserCodeRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_codes (user_id, purpose, code_mac, destination, expires_at, failed_attempts, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) \
             ON CONFLICT (user_id, purpose) DO UPDATE SET code_mac = $3, destination = $4, expires_at = $5, \
             failed_attempts = 0, created_at = $6",
        )
        .bind(&c.user_id)
        .bind(&c.purpose)
        .bind(&c.code_mac)
        .bind(&c.destination)
        .bind(c.expires_at)
        .bind(c.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn get_user_code(&self, user_id: &str, purpose: &str) -> StoreResult<Option<UserCodeRow>> {
        Ok(sqlx::query_as("SELECT * FROM user_codes WHERE user_id = $1 AND purpose = $2")
            .bind(user_id)
            .bind(purpose)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Count a wrong guess against the live code; returns the new count (0 when there is no code).
    /// Count one guess at a live code before it is checked, in one statement that refuses once
    /// `max_guesses` have been counted, so simultaneous guesses cannot all pass a limit read
    /// earlier. Returns the code (with the guess counted), or `None` when there is no live code
    /// or no guess left.
    pub async fn claim_user_code_guess(
        &self,
        user_id: &str,
        purpose: &str,
        max_guesses: i64,
        now: i64,
    ) -> StoreResult<Option<UserCodeRow>> {
        Ok(sqlx::query_as(
            "UPDATE user_codes SET failed_attempts = failed_attempts + 1 \
             WHERE user_id = $1 AND purpose = $2 AND failed_attempts < $3 AND expires_at > $4 RETURNING *",
        )
        .bind(user_id)
        .bind(purpose)
        .bind(max_guesses)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn fail_user_code(&self, user_id: &str, purpose: &str) -> StoreResult<i64> {
        let r = sqlx::query_scalar(
            "UPDATE user_codes SET failed_attempts = failed_attempts + 1 WHERE user_id = $1 AND purpose = $2 \
             RETURNING failed_attempts",
        )
        .bind(user_id)
        .bind(purpose)
        .fetch_optional(&self.pool)
        .await?;
        Ok(r.unwrap_or(0))
    }

    /// Consume the code with this MAC; true for exactly one caller even under concurrency.
    pub async fn take_user_code(&self, user_id: &str, purpose: &str, code_mac: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM user_codes WHERE user_id = $1 AND purpose = $2 AND code_mac = $3")
            .bind(user_id)
            .bind(purpose)
            .bind(code_mac)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Make the code with this MAC unredeemable (`spoiled` is the stored MAC no code has), if it is
    /// still the live one: its later guesses are counted and answered as wrong, as any code's.
    pub async fn spoil_user_code(
        &self,
        user_id: &str,
        purpose: &str,
        code_mac: &str,
        spoiled: &str,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE user_codes SET code_mac = $4 WHERE user_id = $1 AND purpose = $2 AND code_mac = $3")
            .bind(user_id)
            .bind(purpose)
            .bind(code_mac)
            .bind(spoiled)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_user_code(&self, user_id: &str, purpose: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM user_codes WHERE user_id = $1 AND purpose = $2")
            .bind(user_id)
            .bind(purpose)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Record a simulated code for `key` (a MAC standing for a username that does not exist),
    /// replacing an earlier one: a fresh expiry and no wrong guesses yet.
    pub async fn put_simulated_code(&self, key: &str, purpose: &str, expires_at: i64) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO simulated_codes (key, purpose, expires_at, failed_attempts) VALUES ($1, $2, $3, 0) \
             ON CONFLICT (key, purpose) DO UPDATE SET expires_at = $3, failed_attempts = 0",
        )
        .bind(key)
        .bind(purpose)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A simulated code's (expires_at, failed_attempts), if one was recorded.
    pub async fn get_simulated_code(&self, key: &str, purpose: &str) -> StoreResult<Option<(i64, i64)>> {
        Ok(sqlx::query_as("SELECT expires_at, failed_attempts FROM simulated_codes WHERE key = $1 AND purpose = $2")
            .bind(key)
            .bind(purpose)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Count a wrong guess against a simulated code, as [`Store::fail_user_code`] does for a real one.
    pub async fn fail_simulated_code(&self, key: &str, purpose: &str) -> StoreResult<()> {
        sqlx::query("UPDATE simulated_codes SET failed_attempts = failed_attempts + 1 WHERE key = $1 AND purpose = $2")
            .bind(key)
            .bind(purpose)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Count one event against `key` in a fixed window of `window_secs`; returns the count in
    /// the current window including this event. One atomic statement, so concurrent hits on
    /// any node are all counted.
    pub async fn hit_rate_counter(&self, key: &str, now: i64, window_secs: i64) -> StoreResult<i64> {
        Ok(self.hit_rate_window(key, now, window_secs).await?.0)
    }

    /// [`Store::hit_rate_counter`], also returning when the current window started.
    pub async fn hit_rate_window(&self, key: &str, now: i64, window_secs: i64) -> StoreResult<(i64, i64)> {
        Ok(sqlx::query_as(
            "INSERT INTO rate_counters (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET \
             count = CASE WHEN rate_counters.window_start <= $3 THEN 1 ELSE rate_counters.count + 1 END, \
             window_start = CASE WHEN rate_counters.window_start <= $3 THEN $2 ELSE rate_counters.window_start END \
             RETURNING count, window_start",
        )
        .bind(key)
        .bind(now)
        .bind(now - window_secs)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Drop expired codes (real and simulated) and counters whose window ended more than a day ago.
    pub async fn delete_expired_account_codes(&self, now: i64) -> StoreResult<u64> {
        let a = sqlx::query("DELETE FROM user_codes WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        let s = sqlx::query("DELETE FROM simulated_codes WHERE expires_at < $1").bind(now).execute(&self.pool).await?;
        let b = sqlx::query("DELETE FROM rate_counters WHERE window_start < $1")
            .bind(now - 86_400)
            .execute(&self.pool)
            .await?;
        Ok(a.rows_affected() + s.rows_affected() + b.rows_affected())
    }
}
