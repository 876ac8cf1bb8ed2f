//! The directory of pools and app clients: every context looks a pool or a client up here, through
//! a short-lived per-node cache ([`TtlCache`]) that writes on this node invalidate at once.

use super::error::{Error, Result};
use super::model::{Client, Pool};
use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::ids::{ClientId, PoolId};
use crate::store::Store;
use std::sync::Arc;

/// How long a node trusts its cached pool and client settings.
pub const SETTINGS_CACHE_MILLIS: i64 = 5_000;

/// Pool and client lookups: the store, the clock that dates cache entries, the master key that
/// opens client secrets, and the two caches.
pub struct Directory {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    pools: TtlCache<Pool>,
    clients: TtlCache<Option<Client>>,
}

impl Directory {
    pub fn new(store: Store, clock: Arc<dyn Clock>, master: MasterKey) -> Self {
        Directory {
            store,
            clock,
            master,
            pools: TtlCache::new(SETTINGS_CACHE_MILLIS),
            clients: TtlCache::new(SETTINGS_CACHE_MILLIS),
        }
    }

    /// The pool (per-node cached for a few seconds; writes on this node invalidate it).
    pub async fn pool(&self, id: &PoolId) -> Result<Pool> {
        if id.len() > MAX_LOOKUP_ID_LEN {
            return Err(pool_not_found(id));
        }
        let now = self.clock.now_millis();
        if let Some(p) = self.pools.get(id, now) {
            return Ok((*p).clone());
        }
        let pool = self.store.get_pool(id).await?.map(Pool::from).ok_or_else(|| pool_not_found(id))?;
        self.pools.put(id, Arc::new(pool.clone()), now);
        Ok(pool)
    }

    /// The client, if it belongs to the pool.
    pub async fn client(&self, pool_id: &PoolId, client_id: &ClientId) -> Result<Client> {
        match self.find_client(client_id).await? {
            Some(c) if c.pool_id == *pool_id => Ok(c),
            _ => Err(client_not_found(client_id)),
        }
    }

    /// The client named by `raw` as a caller sent it, if it belongs to the pool.
    pub async fn client_named(&self, pool_id: &PoolId, raw: &str) -> Result<Client> {
        match ClientId::parse(raw) {
            Some(id) => self.client(pool_id, &id).await,
            None => Err(client_not_found(raw)),
        }
    }

    /// Any client by id, secret decrypted (per-node cached for a few seconds).
    pub async fn find_client(&self, client_id: &ClientId) -> Result<Option<Client>> {
        // No client id is that long or holds a control character (and PostgreSQL cannot even
        // compare U+0000): an id from a header or a percent-decoded credential is simply unknown.
        if client_id.len() > MAX_LOOKUP_ID_LEN || crate::input::has_forbidden_control(client_id) {
            return Ok(None);
        }
        let now = self.clock.now_millis();
        if let Some(c) = self.clients.get(client_id, now) {
            return Ok((*c).clone());
        }
        let found = self.load_client(client_id).await?;
        self.clients.put(client_id, Arc::new(found.clone()), now);
        Ok(found)
    }

    /// The client named by `raw` as a caller sent it (a header, a form, a credential): one that
    /// is not shaped like a client id is unknown, like one that does not exist.
    pub async fn find_client_named(&self, raw: &str) -> Result<Option<Client>> {
        match ClientId::parse(raw) {
            Some(id) => self.find_client(&id).await,
            None => Ok(None),
        }
    }

    async fn load_client(&self, client_id: &ClientId) -> Result<Option<Client>> {
        let Some(row) = self.store.get_client(client_id).await? else {
            return Ok(None);
        };
        let secret = match &row.secret_enc {
            Some(enc) => {
                Some(self.master.open_string(enc, &format!("client-secret:{}", row.id)).map_err(Error::internal)?)
            }
            None => None,
        };
        let others = self.other_secrets(&row.id, secret.as_deref()).await?;
        let mut client = Client::from_row(row, secret);
        client.other_secrets = others;
        Ok(Some(client))
    }

    /// The client's secrets besides its main one (after a rotation), opened.
    async fn other_secrets(&self, client_id: &str, main: Option<&str>) -> Result<Vec<String>> {
        let Some(main) = main else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for r in self.store.client_secrets(client_id).await? {
            let value = self
                .master
                .open_string(&r.secret_enc, &super::client_secrets::seal_context(client_id, &r.secret_id))
                .map_err(Error::internal)?;
            if value != main {
                out.push(value);
            }
        }
        Ok(out)
    }

    /// The pool served at a domain's host name (a prefix domain's full name or a custom domain).
    pub async fn pool_at_domain(&self, host: &str) -> Result<Option<Pool>> {
        match self.store.get_domain(host).await? {
            Some(domain) => self.pool(&domain.pool_id).await.map(Some),
            None => Ok(None),
        }
    }

    /// The pool's settings changed or it was deleted: the next lookup on this node reads the store.
    pub fn forget_pool(&self, id: &str) {
        self.pools.forget(id);
    }

    /// The client's settings changed or it was deleted.
    pub fn forget_client(&self, id: &str) {
        self.clients.forget(id);
    }
}

/// Cognito's answer for a pool id that names no pool.
pub fn pool_not_found(id: &str) -> Error {
    Error::ResourceNotFound(format!("User pool {id} does not exist.").into())
}

/// Cognito's answer for a client id that names no client of the pool.
pub fn client_not_found(id: &str) -> Error {
    Error::ResourceNotFound(format!("User pool client {id} does not exist.").into())
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
