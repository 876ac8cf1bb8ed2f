//! A pool's decoy password hash, so that an imported hash does not tell who exists by timing.
//!
//! A user with an imported hash (bcrypt cost 12, scrypt, …) pays their own hash and the dummy
//! argon2 verify on every password check. Without more, a name no user has, a user without a
//! password or one on the server's argon2id would pay argon2 alone, and answer measurably
//! faster. So a pool that has imported hashes keeps a decoy: a hash of the same format and
//! parameters as its costliest imported hash, with a random salt and digest
//! ([`ImportedHash::decoy`]), that those checks verify besides their argon2
//! ([`Passwords::verify_stored`]). Every password check in the pool then costs one argon2 and
//! one imported-format verify.
//!
//! The decoy is chosen when an imported hash is about to be stored (the user import, an
//! operator setting a user's hash): when the pool has none, or the new hash's format and
//! parameters (its signature) differ from the decoy's, one verify of each is timed on the
//! hashing threads and the slower kept. Each node remembers which signatures lost to a pool's
//! decoy, so an import mixing formats times each pair once, not once a batch. The janitor drops
//! the decoy once no user of the pool has a hash other than the server's own argon2id
//! ([`Decoys::retire_unused`]).

use super::directory::{SETTINGS_CACHE_MILLIS, TtlCache};
use super::error::{Error, Result};
use super::imported_hash::ImportedHash;
use super::password::{Decoy, Passwords, current_prefix, is_current};
use super::password_import::firebase_params;
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::ids::PoolId;
use crate::store::Store;
use crate::store::imported_hashes::PasswordDecoyRow;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Outcomes a node remembers before it forgets them all (a bound, never reached in practice).
const CHEAPER_MEMO_MAX: usize = 4096;

/// The pools' decoys: chosen, looked up (per-node cached for a few seconds), retired.
pub struct Decoys {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    passwords: Passwords,
    cache: TtlCache<Option<PasswordDecoyRow>>,
    /// (pool, the decoy's signature, a signature timed no costlier than it).
    cheaper: Mutex<HashSet<(String, String, String)>>,
}

impl Decoys {
    pub fn new(store: Store, clock: Arc<dyn Clock>, master: MasterKey, passwords: Passwords) -> Self {
        let cheaper = Mutex::new(HashSet::new());
        Decoys { store, clock, master, passwords, cache: TtlCache::new(SETTINGS_CACHE_MILLIS), cheaper }
    }

    /// The pool's decoy as stored, if it has one (cached per node for a few seconds; a change
    /// on this node is seen at once).
    pub async fn row(&self, pool_id: &PoolId) -> Result<Option<PasswordDecoyRow>> {
        let now = self.clock.now_millis();
        if let Some(row) = self.cache.get(pool_id, now) {
            return Ok((*row).clone());
        }
        let row = self.store.get_password_decoy(pool_id.as_str()).await?;
        self.cache.put(pool_id, Arc::new(row.clone()), now);
        Ok(row)
    }

    /// What a password check in the pool verifies besides its argon2, if the pool has a decoy.
    pub(super) async fn for_pool(&self, pool_id: &PoolId) -> Result<Option<Decoy>> {
        let Some(row) = self.row(pool_id).await? else {
            return Ok(None);
        };
        self.checkable(pool_id, row.hash).await.map(Some)
    }

    /// A decoy hash with the pool's Firebase parameters when it needs them.
    async fn checkable(&self, pool_id: &PoolId, hash: String) -> Result<Decoy> {
        let firebase = if ImportedHash::parse(&hash).is_ok_and(|h| h.is_firebase()) {
            firebase_params(&self.store, &self.master, pool_id.as_str()).await?
        } else {
            None
        };
        Ok(Decoy { hash, firebase })
    }

    /// `hash` is about to be stored for a user of the pool: make sure the pool's decoy costs at
    /// least as much to check. Nothing to do for the server's own argon2id or a hash with the
    /// decoy's signature; otherwise one verify of each is timed and the slower kept.
    pub async fn consider(&self, pool_id: &PoolId, hash: &ImportedHash) -> Result<()> {
        if is_current(hash.as_str()) {
            return Ok(());
        }
        let kept = self.store.get_password_decoy(pool_id.as_str()).await?;
        if kept.as_ref().is_some_and(|d| d.signature == hash.signature()) {
            return Ok(());
        }
        let memo = kept.as_ref().map(|d| (pool_id.to_string(), d.signature.clone(), hash.signature().to_string()));
        if memo.as_ref().is_some_and(|m| self.remembered(m)) {
            return Ok(());
        }
        let candidate = hash.decoy().map_err(|e| Error::internal(anyhow::anyhow!("decoy hash: {e}")))?;
        let micros = self.passwords.verify_micros(self.checkable(pool_id, candidate.as_str().into()).await?).await?;
        if let (Some(kept), Some(memo)) = (kept, memo) {
            let kept_micros = self.passwords.verify_micros(self.checkable(pool_id, kept.hash).await?).await?;
            if kept_micros >= micros {
                self.remember(memo);
                return Ok(());
            }
        }
        let row = PasswordDecoyRow {
            pool_id: pool_id.to_string(),
            hash: candidate.as_str().to_string(),
            signature: candidate.signature().to_string(),
            verify_micros: micros,
            updated_at: self.clock.now(),
        };
        self.store.put_password_decoy(&row).await?;
        self.cache.forget(pool_id);
        tracing::info!(pool_id = %pool_id, signature = %row.signature, micros, "password decoy chosen");
        Ok(())
    }

    fn remembered(&self, memo: &(String, String, String)) -> bool {
        self.cheaper.lock().unwrap_or_else(|p| p.into_inner()).contains(memo)
    }

    fn remember(&self, memo: (String, String, String)) {
        let mut cheaper = self.cheaper.lock().unwrap_or_else(|p| p.into_inner());
        if cheaper.len() >= CHEAPER_MEMO_MAX {
            cheaper.clear();
        }
        cheaper.insert(memo);
    }

    /// Drop the decoy of every pool where no user has an imported hash any more (the janitor);
    /// how many were dropped.
    pub async fn retire_unused(&self) -> Result<u64> {
        let mut dropped = 0;
        for pool_id in self.store.pools_with_password_decoys().await? {
            if self.store.retire_password_decoy(&pool_id, current_prefix()).await? {
                self.cache.forget(&pool_id);
                dropped += 1;
            }
        }
        Ok(dropped)
    }
}
