//! Signing keys. Each pool always has an `active` key (signs) and a `next` key (published
//! ahead of use so relying parties have it cached before rotation). Rotation promotes
//! `next` → `active`, `active` → `retired` (still published, so tokens signed before rotation
//! verify until they expire) and creates a new `next`. Retired keys are removed once no token
//! they signed can be valid. Private halves are sealed with the master key; nodes cache the
//! parsed keys briefly and reload on an unknown `kid`.
//!
//! A pool signs with RS256 (the default, as Cognito) or ES256 ([`Alg`]); a key's algorithm is
//! read from its stored public JWK. Rotation keeps the pool's algorithm (the active key's)
//! unless told another; switching publishes both algorithms until the old key's tokens expire.

use super::signer::{Alg, PrivateKey, PublicKey};
use crate::crypto::MasterKey;
use crate::store::keys::SigningKeyRow;
use crate::store::{Store, StoreError};
use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Longest ID/access token lifetime (1 day) plus clock-skew margin.
pub const RETIRED_KEY_KEEP_SECS: i64 = 86400 + 3600;
const CACHE_TTL_MILLIS: i64 = 30_000;

pub struct PoolKeys {
    pub active_kid: String,
    pub active: Arc<PrivateKey>,
    /// kid → public key, for verification.
    pub public: HashMap<String, PublicKey>,
    /// The JWKS document, serialised once.
    pub jwks: String,
    loaded_at: i64,
}

impl std::fmt::Debug for PoolKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PoolKeys(active={}, {})", self.active_kid, self.active.alg())
    }
}

/// Per-node cache of parsed keys, by pool.
#[derive(Default)]
pub struct KeyCache {
    pools: Mutex<HashMap<String, Arc<PoolKeys>>>,
}

fn seal_context(pool_id: &str, kid: &str) -> String {
    format!("signing-key:{pool_id}:{kid}")
}

/// Whether `master` opens the private half of a stored key (it was sealed with this master key).
pub fn master_opens(master: &MasterKey, k: &SigningKeyRow) -> bool {
    master.open(&k.private_enc, &seal_context(&k.pool_id, &k.kid)).is_ok()
}

/// The algorithm of a stored key, from its public JWK.
pub fn alg_of(row: &SigningKeyRow) -> anyhow::Result<Alg> {
    let jwk: Value = serde_json::from_str(&row.public_jwk)?;
    Ok(PublicKey::from_jwk(&jwk).with_context(|| format!("signing key {}", row.kid))?.alg())
}

/// Generate a key of `alg` (blocking work) and describe it as a stored row in `state`.
pub async fn generate(
    master: &MasterKey,
    pool_id: &str,
    state: &str,
    now: i64,
    alg: Alg,
) -> anyhow::Result<SigningKeyRow> {
    let key = tokio::task::spawn_blocking(move || PrivateKey::generate(alg)).await??;
    let pkcs8 = key.to_pkcs8()?;
    let public = key.public();
    let kid = public.kid();
    Ok(SigningKeyRow {
        private_enc: master.seal(&pkcs8, &seal_context(pool_id, &kid)),
        public_jwk: public.jwk(&kid).to_string(),
        kid,
        pool_id: pool_id.to_string(),
        state: state.to_string(),
        created_at: now,
        retired_at: None,
    })
}

/// Give a new pool its `active` and `next` keys (RS256, the default).
pub async fn provision(store: &Store, master: &MasterKey, pool_id: &str, now: i64) -> anyhow::Result<()> {
    for state in ["active", "next"] {
        let k = generate(master, pool_id, state, now, Alg::Rs256).await?;
        store.insert_signing_key(&k).await?;
    }
    Ok(())
}

/// Give an issuer that is not a user pool (the identity-pool token issuer, created on first use)
/// its `active` and `next` keys (RS256) unless it has an active key. Safe when several requests
/// or nodes ask at once: only one set is ever stored (see [`Store::insert_first_signing_keys`]).
/// Returns whether this call stored them.
pub async fn provision_once(store: &Store, master: &MasterKey, owner: &str, now: i64) -> anyhow::Result<bool> {
    if store.signing_keys(owner).await?.iter().any(|k| k.state == "active") {
        return Ok(false);
    }
    let keys = [
        generate(master, owner, "active", now, Alg::Rs256).await?,
        generate(master, owner, "next", now, Alg::Rs256).await?,
    ];
    Ok(store.insert_first_signing_keys(owner, &keys).await?)
}

/// Rotate: a key of `alg` becomes active (the pool's current algorithm when `None`), the active
/// key retires, a new `next` of that algorithm is created, and keys retired long enough ago
/// are removed. The key that becomes active is the pre-published `next` when it has the
/// algorithm; when the algorithm changes, a fresh key of the new one is made and activated
/// instead, and the old `next` (which never signed) is dropped. Returns the new active kid.
pub async fn rotate(
    store: &Store,
    master: &MasterKey,
    pool_id: &str,
    now: i64,
    alg: Option<Alg>,
) -> anyhow::Result<String> {
    let keys = store.signing_keys(pool_id).await?;
    // A master key that cannot open the pool's keys (another data directory, a mistyped
    // PORTCULLIS_MASTER_KEY) would seal the new keys unreadably and stop the pool signing.
    for k in keys.iter().filter(|k| k.state != "retired") {
        master.open(&k.private_enc, &seal_context(pool_id, &k.kid)).map_err(|_| {
            anyhow::anyhow!(
                "the master key in use cannot open signing key {} of pool {pool_id}; \
                 use the server's PORTCULLIS_MASTER_KEY or data directory",
                k.kid
            )
        })?;
    }
    let current = match keys.iter().find(|k| k.state == "active") {
        Some(k) => alg_of(k)?,
        None => Alg::Rs256,
    };
    let alg = alg.unwrap_or(current);
    let next = keys.iter().find(|k| k.state == "next");
    let promoted = match next {
        Some(k) if alg_of(k)? == alg => k.kid.clone(),
        other => {
            let k = generate(master, pool_id, "next", now, alg).await?;
            store.replace_next_signing_key(pool_id, other.map(|o| o.kid.as_str()), &k).await?;
            k.kid
        }
    };
    store.activate_signing_key(pool_id, &promoted, now).await?;
    let fresh = generate(master, pool_id, "next", now, alg).await?;
    store.insert_signing_key(&fresh).await?;
    store.remove_retired_keys(pool_id, now - RETIRED_KEY_KEEP_SECS).await?;
    Ok(promoted)
}

impl KeyCache {
    /// The pool's keys, from cache when fresh. `need_kid` forces a reload when the cached set
    /// does not know that kid (another node rotated).
    pub async fn get(
        &self,
        store: &Store,
        master: &MasterKey,
        pool_id: &str,
        now_millis: i64,
        need_kid: Option<&str>,
    ) -> anyhow::Result<Arc<PoolKeys>> {
        if let Some(k) = self.pools.lock().ok().and_then(|m| m.get(pool_id).cloned()) {
            let fresh = now_millis - k.loaded_at < CACHE_TTL_MILLIS;
            let knows = need_kid.is_none_or(|kid| k.public.contains_key(kid));
            if fresh && knows {
                return Ok(k);
            }
        }
        let loaded = Arc::new(load(store, master, pool_id, now_millis).await?);
        if let Ok(mut m) = self.pools.lock() {
            m.insert(pool_id.to_string(), loaded.clone());
        }
        Ok(loaded)
    }

    pub fn forget(&self, pool_id: &str) {
        if let Ok(mut m) = self.pools.lock() {
            m.remove(pool_id);
        }
    }
}

async fn load(store: &Store, master: &MasterKey, pool_id: &str, now_millis: i64) -> anyhow::Result<PoolKeys> {
    let rows = store.signing_keys(pool_id).await.map_err(|e: StoreError| anyhow::anyhow!(e))?;
    let active = rows.iter().find(|k| k.state == "active").context("pool has no active signing key")?;
    let der = master.open(&active.private_enc, &seal_context(pool_id, &active.kid))?;
    let pair = PrivateKey::from_pkcs8(alg_of(active)?, &der)?;
    let mut public = HashMap::new();
    let mut jwks = Vec::new();
    for k in &rows {
        let jwk: Value = serde_json::from_str(&k.public_jwk)?;
        public.insert(k.kid.clone(), PublicKey::from_jwk(&jwk).with_context(|| format!("signing key {}", k.kid))?);
        jwks.push(jwk);
    }
    Ok(PoolKeys {
        active_kid: active.kid.clone(),
        active: Arc::new(pair),
        public,
        jwks: json!({ "keys": jwks }).to_string(),
        loaded_at: now_millis,
    })
}

impl PoolKeys {
    /// The algorithm the pool signs with now.
    pub fn active_alg(&self) -> Alg {
        self.active.alg()
    }

    /// The algorithms of the published keys, RS256 first.
    pub fn published_algs(&self) -> Vec<Alg> {
        Alg::ALL.into_iter().filter(|a| self.public.values().any(|k| k.alg() == *a)).collect()
    }

    /// A signature with the active key, in its algorithm.
    pub fn sign(&self, msg: &[u8]) -> anyhow::Result<Vec<u8>> {
        self.active.sign(msg)
    }

    /// Verify a signature that claims to be made by the key `kid` in algorithm `alg`: false
    /// when the pool has no such key or `alg` is not that key's algorithm.
    pub fn verify(&self, kid: &str, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        self.public.get(kid).is_some_and(|k| k.verify(alg, msg, sig))
    }
}

/// How long a pool's signing certificate is valid from its key's creation: ten years.
const CERTIFICATE_YEARS: i64 = 10;

/// A self-signed X.509 certificate (DER, base64 without PEM armour, as Cognito's
/// GetSigningCertificate returns it) for the pool's active signing key: subject and issuer
/// `CN=<pool id>`, serial from the key id, valid from the key's creation. RSA signing is
/// deterministic (PKCS#1 v1.5), so the same key always gives the same certificate; a pool
/// switched to ES256 gets its P-256 key's certificate, whose ECDSA signature differs on each
/// call (same key, subject, serial and validity).
pub async fn certificate(store: &Store, master: &MasterKey, pool_id: &str) -> anyhow::Result<String> {
    let rows = store.signing_keys(pool_id).await.map_err(|e: StoreError| anyhow::anyhow!(e))?;
    let active = rows.iter().find(|k| k.state == "active").context("pool has no active signing key")?;
    let der = master.open(&active.private_enc, &seal_context(pool_id, &active.kid))?;
    let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from(der);
    let sign_algo = match alg_of(active)? {
        Alg::Rs256 => &rcgen::PKCS_RSA_SHA256,
        Alg::Es256 => &rcgen::PKCS_ECDSA_P256_SHA256,
    };
    let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, sign_algo)
        .map_err(|e| anyhow::anyhow!("stored key rejected for a certificate: {e}"))?;
    let mut params = rcgen::CertificateParams::default();
    let mut name = rcgen::DistinguishedName::new();
    name.push(rcgen::DnType::CommonName, pool_id);
    params.distinguished_name = name;
    let from = time::OffsetDateTime::from_unix_timestamp(active.created_at).context("key creation time")?;
    params.not_before = from;
    params.not_after = from + time::Duration::days(365 * CERTIFICATE_YEARS);
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&crate::crypto::sha256(active.kid.as_bytes())[..16]));
    let cert = params.self_signed(&key).map_err(|e| anyhow::anyhow!("certificate not made: {e}"))?;
    Ok(STANDARD.encode(cert.der()))
}
