//! Imported password hashes: a pool's Firebase scrypt parameters, the one write that replaces
//! a user's imported hash with the server's argon2id and SRP verifier, and a pool's decoy hash
//! (what a check without an imported hash of its own verifies, so all cost the same).

use super::{Store, StoreResult};

/// A pool's Firebase scrypt parameters as stored (the signer key sealed).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FirebaseScryptRow {
    pub pool_id: String,
    pub signer_key_enc: String,
    pub salt_separator: String,
    pub rounds: i64,
    pub mem_cost: i64,
    pub updated_at: i64,
}

/// A pool's decoy password hash (see migration 34).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PasswordDecoyRow {
    pub pool_id: String,
    pub hash: String,
    pub signature: String,
    pub verify_micros: i64,
    pub updated_at: i64,
}

impl Store {
    /// Set (or replace) a pool's Firebase scrypt parameters.
    pub async fn put_firebase_scrypt(&self, row: &FirebaseScryptRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO firebase_scrypt_params (pool_id, signer_key_enc, salt_separator, rounds, mem_cost, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (pool_id) DO UPDATE SET signer_key_enc = $2, \
             salt_separator = $3, rounds = $4, mem_cost = $5, updated_at = $6",
        )
        .bind(&row.pool_id)
        .bind(&row.signer_key_enc)
        .bind(&row.salt_separator)
        .bind(row.rounds)
        .bind(row.mem_cost)
        .bind(row.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn get_firebase_scrypt(&self, pool_id: &str) -> StoreResult<Option<FirebaseScryptRow>> {
        Ok(sqlx::query_as("SELECT * FROM firebase_scrypt_params WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Replace the user's password hash `old` by `new` and store its SRP verifier, in one
    /// write, unless the hash was changed meanwhile; whether it was replaced.
    pub async fn upgrade_password_hash(&self, id: &str, old: &str, new: &str, srp_verifier: &str) -> StoreResult<bool> {
        let n =
            sqlx::query("UPDATE users SET password_hash = $3, srp_verifier = $4 WHERE id = $1 AND password_hash = $2")
                .bind(id)
                .bind(old)
                .bind(new)
                .bind(srp_verifier)
                .execute(&self.pool)
                .await?
                .rows_affected();
        Ok(n == 1)
    }

    pub async fn get_password_decoy(&self, pool_id: &str) -> StoreResult<Option<PasswordDecoyRow>> {
        Ok(sqlx::query_as("SELECT * FROM password_decoys WHERE pool_id = $1")
            .bind(pool_id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Set (or replace) a pool's decoy hash.
    pub async fn put_password_decoy(&self, row: &PasswordDecoyRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO password_decoys (pool_id, hash, signature, verify_micros, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (pool_id) DO UPDATE SET hash = $2, signature = $3, \
             verify_micros = $4, updated_at = $5",
        )
        .bind(&row.pool_id)
        .bind(&row.hash)
        .bind(&row.signature)
        .bind(row.verify_micros)
        .bind(row.updated_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The pools that have a decoy hash.
    pub async fn pools_with_password_decoys(&self) -> StoreResult<Vec<String>> {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT pool_id FROM password_decoys ORDER BY pool_id").fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Drop the pool's decoy hash if no user of the pool has a password hash that does not
    /// start with `current` (the server's own argon2id prefix) any more; whether it was dropped.
    /// One statement, so a hash imported meanwhile keeps the decoy.
    pub async fn retire_password_decoy(&self, pool_id: &str, current: &str) -> StoreResult<bool> {
        let n = sqlx::query(
            "DELETE FROM password_decoys WHERE pool_id = $1 AND NOT EXISTS (SELECT 1 FROM users \
             WHERE users.pool_id = $1 AND users.password_hash IS NOT NULL \
             AND substr(users.password_hash, 1, $3) <> $2)",
        )
        .bind(pool_id)
        .bind(current)
        .bind(i32::try_from(current.len()).unwrap_or(i32::MAX))
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }
}
