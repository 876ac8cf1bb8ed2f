//! Users whose password hash came from another system ([`super::imported_hash`]): how an
//! operator sets a pool's Firebase scrypt parameters and a user's imported hash, how the
//! sign-in engine checks a password against whatever hash a user has, and the upgrade at the
//! first right password: the server's argon2id and the SRP verifier, stored in one write, after
//! which the user is like any other (USER_SRP_AUTH included).

use super::error::{Error, Result};
use super::imported_hash::{FirebaseScrypt, ImportedHash};
use super::password::is_current;
use super::users::{CONFIRMED, FORCE_CHANGE_PASSWORD};
use super::{SignIn, UserPools, Users};
use crate::crypto::MasterKey;
use crate::events::{AuthEvent, AuthEventType, Outcome};
use crate::ids::{PoolId, Username};
use crate::store::Store;
use crate::store::guesses::Guesses;
use crate::store::imported_hashes::FirebaseScryptRow;
use crate::store::users::UserRow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// What binds a sealed Firebase signer key to its pool.
fn signer_key_context(pool_id: &str) -> String {
    format!("firebase-signer-key:{pool_id}")
}

impl UserPools {
    /// Set the pool's Firebase scrypt parameters, as the Firebase console's "Password hash
    /// parameters" give them (base64 signer key and salt separator, rounds, memory cost). The
    /// signer key is sealed with the master key.
    pub async fn set_firebase_scrypt(
        &self,
        pool_id: &PoolId,
        signer_key: &str,
        salt_separator: &str,
        rounds: u32,
        mem_cost: u32,
    ) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let params = FirebaseScrypt::from_export(signer_key, salt_separator, rounds, mem_cost)
            .map_err(|e| Error::invalid(e.to_string()))?;
        let row = FirebaseScryptRow {
            pool_id: pool.id.to_string(),
            signer_key_enc: self.master.seal(params.signer_key(), &signer_key_context(pool.id.as_str())),
            salt_separator: STANDARD.encode(params.salt_separator()),
            rounds: i64::from(rounds),
            mem_cost: i64::from(mem_cost),
            updated_at: self.clock.now(),
        };
        self.store.put_firebase_scrypt(&row).await?;
        Ok(())
    }

    /// The pool's Firebase rounds and memory cost, if set (never the signer key).
    pub async fn firebase_scrypt_costs(&self, pool_id: &PoolId) -> Result<Option<(i64, i64)>> {
        Ok(self.store.get_firebase_scrypt(pool_id.as_str()).await?.map(|r| (r.rounds, r.mem_cost)))
    }
}

impl Users {
    /// Give a user a password hash from another system (checked by [`ImportedHash::parse`];
    /// a malformed or unknown one is InvalidParameterException). Their SRP verifier is dropped
    /// (it belonged to the old password) until their first password sign-in; a user who had
    /// to set a new password (temporary password, reset) is confirmed, as an import is.
    pub async fn set_imported_password_hash(&self, pool_id: &PoolId, username: &Username, hash: &str) -> Result<()> {
        let hash = ImportedHash::parse(hash).map_err(|e| Error::invalid(e.to_string()))?;
        let pool = self.directory.pool(pool_id).await?;
        let mut user = self.user(&pool, username).await?;
        // The decoy first: a hash is never stored in a pool whose other checks cost less.
        self.decoys.consider(&pool.id, &hash).await?;
        let now = self.now();
        user.password_hash = Some(hash.as_str().to_string());
        user.srp_verifier = None;
        user.password_set_at = Some(now);
        if matches!(user.status.as_str(), FORCE_CHANGE_PASSWORD | "RESET_REQUIRED") {
            user.status = CONFIRMED.into();
        }
        user.updated_at = now;
        self.save_user(&pool, &user).await?;
        self.store.clear_failures(&pool.id, Guesses::Password(&user.id)).await?;
        self.store.delete_user_browser_sessions(&user.id).await?;
        let event = AuthEvent::new(&pool.id, AuthEventType::PasswordChange, Outcome::Pass).user(&user);
        self.events.record_auth(event.details(serde_json::json!({"by": "import"}))).await;
        Ok(())
    }
}

/// The pool's Firebase parameters with the signer key opened, if set (and it opens).
pub(super) async fn firebase_params(
    store: &Store,
    master: &MasterKey,
    pool_id: &str,
) -> Result<Option<FirebaseScrypt>> {
    let Some(row) = store.get_firebase_scrypt(pool_id).await? else {
        return Ok(None);
    };
    let opened = master.open(&row.signer_key_enc, &signer_key_context(pool_id));
    let separator = STANDARD.decode(&row.salt_separator);
    let (Ok(signer_key), Ok(separator)) = (opened, separator) else {
        tracing::error!(pool_id, "the pool's Firebase signer key does not open under this master key");
        return Ok(None);
    };
    let (rounds, mem_cost) = (u32::try_from(row.rounds).unwrap_or(0), u32::try_from(row.mem_cost).unwrap_or(0));
    Ok(FirebaseScrypt::new(signer_key, separator, rounds, mem_cost).ok())
}

impl SignIn {
    /// Whether `password` is the user's, whatever format their stored hash is in; a user with
    /// no password, or a Firebase hash in a pool without Firebase parameters, costs what a
    /// name no user has costs ([`Self::check_no_user`]) and is refused. The pool's decoy
    /// ([`super::decoy`]) makes every check in a pool with imported hashes cost the same.
    pub(super) async fn check_password(&self, user: &UserRow, password: &str) -> Result<bool> {
        let stored = user.password_hash.as_deref();
        let decoy = self.decoys.for_pool(&user.pool_id).await?;
        if stored.and_then(|h| ImportedHash::parse(h).ok()).is_some_and(|h| h.is_firebase()) {
            let Some(params) = self.firebase_scrypt(user.pool_id.as_str()).await? else {
                tracing::warn!(pool_id = %user.pool_id, "a Firebase scrypt hash, and no Firebase parameters for its pool");
                self.passwords.verify_stored(None, None, decoy, password).await?;
                return Ok(false);
            };
            return self.passwords.verify_stored(stored, Some(params), decoy, password).await;
        }
        self.passwords.verify_stored(stored, None, decoy, password).await
    }

    /// The work of a password check with no hash to check it against (a name no user has, a
    /// user without a password, a guess refused by the lockout): the dummy argon2 verify and
    /// the pool's decoy, if it has one.
    pub(super) async fn check_no_user(&self, pool_id: &PoolId, password: &str) -> Result<()> {
        let decoy = self.decoys.for_pool(pool_id).await?;
        self.passwords.verify_stored(None, None, decoy, password).await?;
        Ok(())
    }

    async fn firebase_scrypt(&self, pool_id: &str) -> Result<Option<FirebaseScrypt>> {
        firebase_params(&self.store, &self.master, pool_id).await
    }

    /// The password was just found right: a user on an imported (or older) hash moves to the
    /// server's argon2id with an SRP verifier in one write; anyone else gets a verifier if they
    /// lack one. A failure here is logged, not the sign-in's.
    pub(super) async fn password_seen_right(&self, user: &UserRow, password: &str) {
        let Some(old) = user.password_hash.as_deref().filter(|h| !is_current(h)) else {
            return self.ensure_srp_verifier(user, password).await;
        };
        let credential =
            match self.passwords.credential(&user.pool_id, &user.id, user.username.as_str(), password).await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(error = %e, "imported password hash not upgraded at sign-in");
                    return;
                }
            };
        let (new, verifier) = (credential.argon2_hash(), credential.sealed_srp_verifier());
        match self.store.upgrade_password_hash(user.id.as_str(), old, new, verifier).await {
            Ok(true) => crate::metrics::password_hash_upgraded(),
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "imported password hash not stored at sign-in"),
        }
    }
}
