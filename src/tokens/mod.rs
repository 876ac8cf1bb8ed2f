//! Tokens: per-pool signing keys (RS256 or ES256, [`signer`]) with a lifecycle ([`keys`]), JWT
//! minting and verification ([`jwt`]), the claims of Cognito's ID and access tokens ([`claims`]), and the
//! [`Tokens`] context that issues, refreshes, revokes and verifies a pool's tokens ([`issue`]).

pub mod claims;
pub mod issue;
pub mod jwt;
pub mod keys;
pub mod pre_token;
pub mod signer;

use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::store::Store;
use crate::userpool::error::{Error, Result};
use keys::{KeyCache, PoolKeys};
use std::sync::Arc;

/// The token context: holds only what issuing and checking tokens needs (the store, the clock,
/// the master key that opens the signing keys, their per-node cache, and the public URL that
/// names each pool's issuer).
pub struct Tokens {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    keys: KeyCache,
    public_url: String,
    /// The PreTokenGeneration trigger ([`pre_token`]).
    triggers: Arc<crate::triggers::Triggers>,
}

impl Tokens {
    pub fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        master: MasterKey,
        public_url: String,
        triggers: Arc<crate::triggers::Triggers>,
    ) -> Self {
        Tokens { store, clock, master, keys: KeyCache::default(), public_url, triggers }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// `{PUBLIC_URL}/{poolId}`: the `iss` of every token of the pool.
    pub fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{}", self.public_url, pool_id)
    }

    /// The pool's signing keys (cached; reloaded when `need_kid` is not among them).
    pub async fn pool_keys(&self, pool_id: &str, need_kid: Option<&str>) -> Result<Arc<PoolKeys>> {
        self.keys
            .get(&self.store, &self.master, pool_id, self.clock.now_millis(), need_kid)
            .await
            .map_err(Error::Internal)
    }

    /// Rotate a pool's signing keys, to a key of `alg` (the pool's current algorithm when
    /// `None`); returns the new active kid.
    pub async fn rotate_keys(&self, pool_id: &str, alg: Option<signer::Alg>) -> Result<String> {
        let kid = keys::rotate(&self.store, &self.master, pool_id, self.now(), alg).await.map_err(Error::Internal)?;
        self.keys.forget(pool_id);
        Ok(kid)
    }

    /// GetSigningCertificate: a certificate for the pool's active signing key.
    pub async fn signing_certificate(&self, pool_id: &str) -> Result<String> {
        keys::certificate(&self.store, &self.master, pool_id).await.map_err(Error::Internal)
    }

    /// Drop a pool's keys from this node's cache (the pool was deleted).
    pub fn forget_keys(&self, pool_id: &str) {
        self.keys.forget(pool_id);
    }
}
