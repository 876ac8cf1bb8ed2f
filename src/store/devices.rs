//! Users' remembered devices: one row per confirmed device, keyed by its device key.

use super::{IntBool, Store, StoreResult, conflict};
use crate::ids::{PoolId, UserSub};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeviceRow {
    pub device_key: String,
    pub pool_id: PoolId,
    pub user_id: UserSub,
    /// The DeviceGroupKey the verifier was made under (SRP's "pool name" for the device).
    pub group_key: String,
    /// The device's SRP salt and verifier, sealed with the master key.
    pub verifier_enc: String,
    pub name: Option<String>,
    #[sqlx(try_from = "IntBool")]
    pub remembered: bool,
    pub last_ip: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub last_authenticated_at: Option<i64>,
}

impl Store {
    /// A newly confirmed device; [`super::StoreError::Conflict`] when the key is taken.
    pub async fn insert_device(&self, d: &DeviceRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO devices (device_key, pool_id, user_id, group_key, verifier_enc, name, remembered, last_ip, \
             created_at, updated_at, last_authenticated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&d.device_key)
        .bind(&d.pool_id)
        .bind(&d.user_id)
        .bind(&d.group_key)
        .bind(&d.verifier_enc)
        .bind(&d.name)
        .bind(d.remembered as i64)
        .bind(&d.last_ip)
        .bind(d.created_at)
        .bind(d.updated_at)
        .bind(d.last_authenticated_at)
        .execute(&self.pool)
        .await
        .map_err(conflict)?;
        Ok(())
    }

    /// The user's device with this key, if it is theirs.
    pub async fn get_device(&self, user_id: &str, device_key: &str) -> StoreResult<Option<DeviceRow>> {
        Ok(sqlx::query_as("SELECT * FROM devices WHERE device_key = $1 AND user_id = $2")
            .bind(device_key)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The user's devices, oldest first (a user has few: paged by the caller).
    pub async fn devices_of_user(&self, user_id: &str) -> StoreResult<Vec<DeviceRow>> {
        Ok(sqlx::query_as("SELECT * FROM devices WHERE user_id = $1 ORDER BY created_at, device_key")
            .bind(user_id)
            .fetch_all(&self.pool)
            .await?)
    }

    /// Remember or stop remembering; false when the user has no such device.
    pub async fn set_device_remembered(
        &self,
        user_id: &str,
        device_key: &str,
        remembered: bool,
        now: i64,
    ) -> StoreResult<bool> {
        let r =
            sqlx::query("UPDATE devices SET remembered = $3, updated_at = $4 WHERE device_key = $1 AND user_id = $2")
                .bind(device_key)
                .bind(user_id)
                .bind(remembered as i64)
                .bind(now)
                .execute(&self.pool)
                .await?;
        Ok(r.rows_affected() > 0)
    }

    /// A device authenticated (device SRP) from this address.
    pub async fn touch_device(&self, device_key: &str, ip: Option<&str>, now: i64) -> StoreResult<()> {
        sqlx::query(
            "UPDATE devices SET last_authenticated_at = $2, last_ip = COALESCE($3, last_ip) WHERE device_key = $1",
        )
        .bind(device_key)
        .bind(now)
        .bind(ip)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forget a device and revoke the sign-ins (refresh-token families) issued to it, in one
    /// transaction; false when the user has no such device.
    pub async fn forget_device(&self, user_id: &str, device_key: &str, now: i64) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let r = sqlx::query("DELETE FROM devices WHERE device_key = $1 AND user_id = $2")
            .bind(device_key)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if r.rows_affected() == 0 {
            return Ok(false);
        }
        sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $3 WHERE device_key = $1 AND user_id = $2 AND revoked_at IS NULL",
        )
        .bind(device_key)
        .bind(user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
