//! Leases: work one node at a time should do, taken in one statement so two nodes asking at
//! once cannot both get it.

use super::{Store, StoreResult};

impl Store {
    /// Take (or renew) the lease `name` for `holder` until `until`: granted when nobody holds
    /// it, when it ran out by `now`, or when `holder` already holds it.
    pub async fn take_lease(&self, name: &str, holder: &str, now: i64, until: i64) -> StoreResult<bool> {
        let n = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $4) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.expires_at <= $3 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now)
        .bind(until)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    /// Let go of the lease `name` if `holder` holds it: the next node to ask gets it.
    pub async fn release_lease(&self, name: &str, holder: &str) -> StoreResult<()> {
        sqlx::query("UPDATE leases SET expires_at = 0 WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
