//! Users' second factors (TOTP secrets sealed by the caller, e-mail OTP switch, preference),
//! one-time recovery codes, and the data a pending sign-in challenge carries between steps.

use super::{IntBool, Store, StoreResult};
use crate::crypto::TokenHash;
use crate::ids::{PoolId, UserSub};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct UserMfaRow {
    pub user_id: UserSub,
    /// Sealed TOTP secret in use.
    pub totp_secret: Option<String>,
    /// Sealed TOTP secret waiting for its first code.
    pub totp_pending: Option<String>,
    #[sqlx(try_from = "IntBool")]
    pub totp_enabled: bool,
    pub totp_last_step: i64,
    #[sqlx(try_from = "IntBool")]
    pub email_enabled: bool,
    /// `SOFTWARE_TOKEN_MFA` or `EMAIL_OTP`.
    pub preferred: Option<String>,
    pub updated_at: i64,
}

impl Store {
    /// The user's factors; a user who never set any gets the empty default.
    pub async fn get_user_mfa(&self, user_id: &str) -> StoreResult<UserMfaRow> {
        let r = sqlx::query_as("SELECT * FROM user_mfa WHERE user_id = $1")
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?;
        Ok(r.unwrap_or_else(|| UserMfaRow { user_id: user_id.into(), ..UserMfaRow::default() }))
    }

    /// Write the factor settings (the TOTP replay counter is only moved by [`Store::accept_totp_step`]).
    pub async fn put_user_mfa(&self, m: &UserMfaRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_mfa (user_id, totp_secret, totp_pending, totp_enabled, totp_last_step, email_enabled, preferred, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (user_id) DO UPDATE SET totp_secret = $2, totp_pending = $3, totp_enabled = $4, \
             email_enabled = $6, preferred = $7, updated_at = $8",
        )
        .bind(&m.user_id)
        .bind(&m.totp_secret)
        .bind(&m.totp_pending)
        .bind(m.totp_enabled as i64)
        .bind(m.totp_last_step)
        .bind(m.email_enabled as i64)
        .bind(&m.preferred)
        .bind(m.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// How many users of the pool have a second factor turned on (TOTP or e-mail OTP).
    pub async fn count_users_with_mfa(&self, pool_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) AS n FROM user_mfa m JOIN users u ON u.id = m.user_id \
             WHERE u.pool_id = $1 AND (m.totp_enabled = 1 OR m.email_enabled = 1)",
        )
        .bind(pool_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Accept a TOTP time step once: true only if it is later than every step accepted before,
    /// even when two requests race with the same code.
    pub async fn accept_totp_step(&self, user_id: &str, step: i64) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE user_mfa SET totp_last_step = $2 WHERE user_id = $1 AND totp_last_step < $2")
            .bind(user_id)
            .bind(step)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replace the user's recovery codes.
    pub async fn replace_recovery_codes(&self, user_id: &str, macs: &[String], now: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
        for mac in macs {
            sqlx::query("INSERT INTO recovery_codes (user_id, code_mac, created_at) VALUES ($1, $2, $3)")
                .bind(user_id)
                .bind(mac)
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Use a recovery code: true for exactly one caller.
    pub async fn take_recovery_code(&self, user_id: &str, mac: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1 AND code_mac = $2")
            .bind(user_id)
            .bind(mac)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn count_recovery_codes(&self, user_id: &str) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) AS n FROM recovery_codes WHERE user_id = $1")
            .bind(user_id)
            .fetch_one(&self.pool)
            .await?)
    }

    /// Replace what a still-pending challenge carries (e.g. a TOTP verified during MFA_SETUP).
    pub async fn set_challenge_data(&self, id_hash: &TokenHash, data: &Value, now: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE auth_challenges SET data = $2 WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $3",
        )
        .bind(id_hash)
        .bind(data.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Whether the MFA adoption reading of the hour starting at `at` (epoch ms) has been taken.
    pub async fn mfa_adoption_taken(&self, at: i64) -> StoreResult<bool> {
        let n: Option<i64> = sqlx::query_scalar("SELECT at FROM mfa_adoption WHERE at = $1 LIMIT 1")
            .bind(at)
            .fetch_optional(&self.pool)
            .await?;
        Ok(n.is_some())
    }

    /// Take the MFA adoption reading of every pool with users for the hour starting at `at`, in one
    /// statement; a reading already there (another node's) is kept. Returns the rows written.
    pub async fn take_mfa_adoption(&self, at: i64) -> StoreResult<u64> {
        // SQLite needs a WHERE before ON CONFLICT in an INSERT … SELECT (a parsing ambiguity).
        let done = sqlx::query(
            "INSERT INTO mfa_adoption (pool_id, at, with_mfa, users) \
             SELECT u.pool_id, $1, \
                    SUM(CASE WHEN m.totp_enabled = 1 OR m.email_enabled = 1 THEN 1 ELSE 0 END), COUNT(*) \
             FROM users u LEFT JOIN user_mfa m ON m.user_id = u.id WHERE 1 = 1 GROUP BY u.pool_id \
             ON CONFLICT DO NOTHING",
        )
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// MFA adoption readings in `[from, to)`: (hour, users with MFA, users), summed over `pool_id`
    /// or over every pool but the system pool, by hour.
    pub async fn mfa_adoption_readings(
        &self,
        pool_id: Option<&PoolId>,
        from: i64,
        to: i64,
    ) -> StoreResult<Vec<(i64, i64, i64)>> {
        let pools = match pool_id {
            Some(_) => "pool_id = $3",
            None => "pool_id NOT IN (SELECT value FROM kv WHERE key = 'system_pool_id')",
        };
        let sql = format!(
            "SELECT at, CAST(SUM(with_mfa) AS BIGINT), CAST(SUM(users) AS BIGINT) FROM mfa_adoption \
             WHERE at >= $1 AND at < $2 AND {pools} GROUP BY at ORDER BY at"
        );
        let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(from).bind(to);
        if let Some(p) = pool_id {
            q = q.bind(p.to_string());
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Delete MFA adoption readings older than `before` (epoch ms).
    pub async fn delete_mfa_adoption_before(&self, before: i64) -> StoreResult<u64> {
        let n = sqlx::query("DELETE FROM mfa_adoption WHERE at < $1").bind(before).execute(&self.pool).await?;
        Ok(n.rows_affected())
    }
}
