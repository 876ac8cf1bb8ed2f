//! Imported password hashes: a pool's Firebase scrypt parameters, and the one write that
//! replaces a user's imported hash with the server's argon2id and SRP verifier.

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
}
