//! The shared service context: configuration, store, clock, master key, password hasher,
//! mailer and key cache. Built once by [`crate::startup`] and passed explicitly; no globals.

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::MasterKey;
use crate::mail::Mailer;
use crate::store::Store;
use crate::tokens::keys::{KeyCache, PoolKeys};
use crate::userpool::error::{Error, Result};
use crate::userpool::password::Passwords;
use std::sync::Arc;

pub struct Services {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub master: MasterKey,
    pub passwords: Passwords,
    pub mailer: Mailer,
    pub keys: KeyCache,
    pub pools: TtlCache<crate::userpool::model::Pool>,
    pub clients: TtlCache<Option<crate::userpool::model::Client>>,
    /// Outbound calls to upstream identity providers and their cached metadata and keys.
    pub federation: crate::federation::Federation,
}

/// How long a node trusts its cached pool and client settings.
pub const SETTINGS_CACHE_MILLIS: i64 = 5_000;

impl Services {
    pub fn new(config: Arc<Config>, store: Store, clock: Arc<dyn Clock>, master: MasterKey, mailer: Mailer) -> Self {
        let federation = crate::federation::Federation::new(config.upstream_timeout_secs)
            .expect("the TLS client for upstream providers could not be built");
        Services {
            federation,
            mailer,
            config,
            store,
            clock,
            master,
            passwords: Passwords::new(),
            keys: KeyCache::default(),
            pools: TtlCache::new(SETTINGS_CACHE_MILLIS),
            clients: TtlCache::new(SETTINGS_CACHE_MILLIS),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// `{PUBLIC_URL}/{poolId}`: the `iss` of every token of the pool.
    pub fn issuer(&self, pool_id: &str) -> String {
        format!("{}/{}", self.config.public_url, pool_id)
    }

    pub async fn pool_keys(&self, pool_id: &str, need_kid: Option<&str>) -> Result<Arc<PoolKeys>> {
        self.keys
            .get(&self.store, &self.master, pool_id, self.clock.now_millis(), need_kid)
            .await
            .map_err(Error::Internal)
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
        let kid = crate::tokens::keys::rotate(&self.store, &self.master, pool_id, self.now())
            .await
            .map_err(Error::Internal)?;
        self.keys.forget(pool_id);
        Ok(kid)
    }
}

/// A per-node cache with a short time to live, for hot read paths (pool settings, clients).
/// Writes on this node invalidate at once; other nodes see changes within the TTL.
pub struct TtlCache<T> {
    entries: std::sync::Mutex<std::collections::HashMap<String, (i64, Arc<T>)>>,
    ttl_millis: i64,
}

impl<T> TtlCache<T> {
    pub fn new(ttl_millis: i64) -> Self {
        TtlCache { entries: Default::default(), ttl_millis }
    }

    pub fn get(&self, key: &str, now_millis: i64) -> Option<Arc<T>> {
        let m = self.entries.lock().ok()?;
        m.get(key).filter(|(at, _)| now_millis - at < self.ttl_millis).map(|(_, v)| v.clone())
    }

    pub fn put(&self, key: &str, value: Arc<T>, now_millis: i64) {
        if let Ok(mut m) = self.entries.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(key.to_string(), (now_millis, value));
        }
    }

    pub fn forget(&self, key: &str) {
        if let Ok(mut m) = self.entries.lock() {
            m.remove(key);
        }
    }
}
