//! The shared service context: configuration, store, clock, master key, password hasher,
//! mailer, settings caches, and the contexts split out so far ([`crate::tokens::Tokens`],
//! [`crate::iam::Iam`]), each holding only its own dependencies. Built once by
//! [`crate::startup`] and passed explicitly; no globals.

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::MasterKey;
use crate::mail::Mailer;
use crate::store::Store;
use crate::userpool::error::Result;
use crate::userpool::password::Passwords;
use std::sync::Arc;

pub struct Services {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub master: MasterKey,
    pub passwords: Passwords,
    pub mailer: Mailer,
    /// Issuing, refreshing, revoking and verifying tokens, with the signing keys.
    pub tokens: crate::tokens::Tokens,
    pub pools: TtlCache<crate::userpool::model::Pool>,
    pub clients: TtlCache<Option<crate::userpool::model::Client>>,
    /// Outbound calls to upstream identity providers and their cached metadata and keys.
    pub federation: crate::federation::Federation,
    /// IAM roles and temporary credentials.
    pub iam: crate::iam::Iam,
}

/// How long a node trusts its cached pool and client settings.
pub const SETTINGS_CACHE_MILLIS: i64 = 5_000;

impl Services {
    pub fn new(config: Arc<Config>, store: Store, clock: Arc<dyn Clock>, master: MasterKey, mailer: Mailer) -> Self {
        let federation = crate::federation::Federation::new(config.upstream_timeout_secs)
            .expect("the TLS client for upstream providers could not be built");
        let passwords = Passwords::with_queue(config.password_queue);
        let tokens =
            crate::tokens::Tokens::new(store.clone(), clock.clone(), master.clone(), config.public_url.clone());
        let iam = crate::iam::Iam::new(store.clone(), clock.clone(), master.clone(), config.account_id.clone());
        Services {
            tokens,
            iam,
            federation,
            mailer,
            config,
            store,
            clock,
            master,
            passwords,
            pools: TtlCache::new(SETTINGS_CACHE_MILLIS),
            clients: TtlCache::new(SETTINGS_CACHE_MILLIS),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }
}

impl Services {
    /// Open the store and keys for a one-off command (no server).
    pub async fn open(config: Config) -> anyhow::Result<Services> {
        crate::crypto::create_private_dir(&config.data_dir)?;
        let master = MasterKey::load_or_create(config.master_key.as_ref().map(|s| s.expose()), &config.data_dir)?;
        let store = Store::connect(&config.effective_database_url(), config.database_max_connections).await?;
        let mailer = Mailer::from_config(&config)?;
        Ok(Services::new(Arc::new(config), store, Arc::new(crate::clock::SystemClock), master, mailer))
    }

    /// Rotate a pool's signing keys; returns the new active kid.
    pub async fn rotate_keys(&self, pool_id: &str) -> Result<String> {
        self.pool(pool_id).await?;
        self.tokens.rotate_keys(pool_id).await
    }
}

/// Longest pool or client id looked up at all: real ones are far shorter (a client id is 26
/// characters, a pool id `{region}_{9}`), so a longer one is "not found" without touching the
/// cache or the database.
pub const MAX_LOOKUP_ID_LEN: usize = 128;

/// Most bytes of keys a [`TtlCache`] holds (each entry weighs its key's length plus a fixed
/// overhead), so attacker-chosen ids cannot grow it without bound.
pub const SETTINGS_CACHE_WEIGHT: u64 = 4 * 1024 * 1024;

/// A per-node cache with a short time to live, for hot read paths (pool settings, clients),
/// negative answers included. Writes on this node invalidate at once; other nodes see changes
/// within the TTL. Bounded (moka, by the weight of the keys); entries also carry the time they
/// were stored by the service clock, so the TTL follows the injected [`Clock`].
pub struct TtlCache<T> {
    entries: moka::sync::Cache<String, (i64, Arc<T>)>,
    ttl_millis: i64,
}

/// What one entry weighs besides its key: the value is shared (`Arc`) and small.
const ENTRY_OVERHEAD: u32 = 64;

impl<T: Send + Sync + 'static> TtlCache<T> {
    pub fn new(ttl_millis: i64) -> Self {
        Self::with_capacity(ttl_millis, SETTINGS_CACHE_WEIGHT)
    }

    pub fn with_capacity(ttl_millis: i64, max_weight: u64) -> Self {
        let entries = moka::sync::Cache::builder()
            .max_capacity(max_weight)
            .weigher(|k: &String, _: &(i64, Arc<T>)| {
                u32::try_from(k.len()).unwrap_or(u32::MAX).saturating_add(ENTRY_OVERHEAD)
            })
            // A backstop in real time; the service clock decides freshness in `get`.
            .time_to_live(std::time::Duration::from_millis(u64::try_from(ttl_millis.max(1)).unwrap_or(1)))
            .build();
        TtlCache { entries, ttl_millis }
    }

    pub fn get(&self, key: &str, now_millis: i64) -> Option<Arc<T>> {
        let (at, v) = self.entries.get(key)?;
        (now_millis - at < self.ttl_millis).then_some(v)
    }

    pub fn put(&self, key: &str, value: Arc<T>, now_millis: i64) {
        self.entries.insert(key.to_string(), (now_millis, value));
    }

    pub fn forget(&self, key: &str) {
        self.entries.invalidate(key);
    }

    /// The weight held now, after pending evictions ran.
    pub fn weight(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_keeps_its_ttl_by_the_service_clock() {
        let c: TtlCache<u8> = TtlCache::new(5_000);
        c.put("a", Arc::new(1), 1_000);
        assert_eq!(c.get("a", 5_999).as_deref(), Some(&1));
        assert_eq!(c.get("a", 6_000), None);
        c.put("b", Arc::new(2), 1_000);
        c.forget("b");
        assert_eq!(c.get("b", 1_000), None);
    }

    #[test]
    fn the_cache_never_exceeds_its_bound_under_many_distinct_keys() {
        let max = 64 * 1024;
        let c: TtlCache<Option<u8>> = TtlCache::with_capacity(60_000, max);
        for i in 0..100_000u32 {
            c.put(&format!("{i:0>200}"), Arc::new(None), 0);
            if i % 10_000 == 0 {
                assert!(c.weight() <= max, "{} > {max} after {i} keys", c.weight());
            }
        }
        assert!(c.weight() <= max);
        assert!(c.weight() > 0);
    }
}
