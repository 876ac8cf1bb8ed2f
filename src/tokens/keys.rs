//! Signing keys. Each pool always has an `active` key (signs) and a `next` key (published
//! ahead of use so relying parties have it cached before rotation). Rotation promotes
//! `next` → `active`, `active` → `retired` (still published, so tokens signed before rotation
//! verify until they expire) and creates a new `next`. Retired keys are removed once no token
//! they signed can be valid. Private halves are sealed with the master key; nodes cache the
//! parsed keys briefly and reload on an unknown `kid`.

use crate::crypto::MasterKey;
use crate::store::keys::SigningKeyRow;
use crate::store::{Store, StoreError};
use anyhow::Context;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Longest ID/access token lifetime (1 day) plus clock-skew margin.
pub const RETIRED_KEY_KEEP_SECS: i64 = 86400 + 3600;
const CACHE_TTL_MILLIS: i64 = 30_000;

pub struct PoolKeys {
    pub active_kid: String,
    pub active: Arc<KeyPair>,
    /// kid → (n, e) for verification.
    pub public: HashMap<String, (Vec<u8>, Vec<u8>)>,
    /// The JWKS document, serialised once.
    pub jwks: String,
    loaded_at: i64,
}

impl std::fmt::Debug for PoolKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PoolKeys(active={})", self.active_kid)
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

/// Generate an RSA-2048 key (blocking work) and describe it as a stored row in `state`.
pub async fn generate(master: &MasterKey, pool_id: &str, state: &str, now: i64) -> anyhow::Result<SigningKeyRow> {
    let key = tokio::task::spawn_blocking(|| KeyPair::generate(KeySize::Rsa2048))
        .await?
        .map_err(|_| anyhow::anyhow!("RSA key generation failed"))?;
    let pkcs8 = key.as_der().map_err(|_| anyhow::anyhow!("cannot encode key"))?;
    let n = key.public_key().modulus().big_endian_without_leading_zero().to_vec();
    let e = key.public_key().exponent().big_endian_without_leading_zero().to_vec();
    // kid: base64 of the SHA-256 of the modulus (the shape of Cognito's kids, ending in '=').
    let kid = STANDARD.encode(crate::crypto::sha256(&n));
    let jwk = json!({
        "alg": "RS256",
        "e": URL_SAFE_NO_PAD.encode(&e),
        "kid": kid,
        "kty": "RSA",
        "n": URL_SAFE_NO_PAD.encode(&n),
        "use": "sig",
    });
    Ok(SigningKeyRow {
        private_enc: master.seal(pkcs8.as_ref(), &seal_context(pool_id, &kid)),
        kid,
        pool_id: pool_id.to_string(),
        state: state.to_string(),
        public_jwk: jwk.to_string(),
        created_at: now,
        retired_at: None,
    })
}

/// Give a new pool its `active` and `next` keys.
pub async fn provision(store: &Store, master: &MasterKey, pool_id: &str, now: i64) -> anyhow::Result<()> {
    for state in ["active", "next"] {
        let k = generate(master, pool_id, state, now).await?;
        store.insert_signing_key(&k).await?;
    }
    Ok(())
}

/// Give an issuer that is not a user pool (the identity-pool token issuer, created on first use)
/// its `active` and `next` keys unless it has an active key. Safe when several requests or
/// nodes ask at once: only one set is ever stored (see [`Store::insert_first_signing_keys`]).
/// Returns whether this call stored them.
pub async fn provision_once(store: &Store, master: &MasterKey, owner: &str, now: i64) -> anyhow::Result<bool> {
    if store.signing_keys(owner).await?.iter().any(|k| k.state == "active") {
        return Ok(false);
    }
    let keys = [generate(master, owner, "active", now).await?, generate(master, owner, "next", now).await?];
    Ok(store.insert_first_signing_keys(owner, &keys).await?)
}

/// Rotate: `next` becomes active, the active key retires, a new `next` is created, and keys
/// retired long enough ago are removed. Returns the new active kid.
pub async fn rotate(store: &Store, master: &MasterKey, pool_id: &str, now: i64) -> anyhow::Result<String> {
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
    let next = match keys.iter().find(|k| k.state == "next") {
        Some(k) => k.kid.clone(),
        None => {
            let k = generate(master, pool_id, "next", now).await?;
            store.insert_signing_key(&k).await?;
            k.kid
        }
    };
    store.activate_signing_key(pool_id, &next, now).await?;
    let fresh = generate(master, pool_id, "next", now).await?;
    store.insert_signing_key(&fresh).await?;
    store.remove_retired_keys(pool_id, now - RETIRED_KEY_KEEP_SECS).await?;
    Ok(next)
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
    let pair = KeyPair::from_pkcs8(&der).map_err(|e| anyhow::anyhow!("stored key rejected: {e}"))?;
    let mut public = HashMap::new();
    let mut jwks = Vec::new();
    for k in &rows {
        let jwk: Value = serde_json::from_str(&k.public_jwk)?;
        let n = URL_SAFE_NO_PAD.decode(jwk["n"].as_str().unwrap_or_default())?;
        let e = URL_SAFE_NO_PAD.decode(jwk["e"].as_str().unwrap_or_default())?;
        public.insert(k.kid.clone(), (n, e));
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
    /// RS256 signature with the active key.
    pub fn sign(&self, msg: &[u8]) -> anyhow::Result<Vec<u8>> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        let mut sig = vec![0u8; self.active.public_modulus_len()];
        self.active
            .sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &rng, msg, &mut sig)
            .map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
        Ok(sig)
    }

    /// Verify an RS256 signature made by the key `kid`.
    pub fn verify(&self, kid: &str, msg: &[u8], sig: &[u8]) -> bool {
        let Some((n, e)) = self.public.get(kid) else {
            return false;
        };
        PublicKeyComponents { n: n.as_slice(), e: e.as_slice() }
            .verify(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, msg, sig)
            .is_ok()
    }
}
/// How long a pool's signing certificate is valid from its key's creation: ten years.
const CERTIFICATE_YEARS: i64 = 10;

/// A self-signed X.509 certificate (DER, base64 without PEM armour, as Cognito's
/// GetSigningCertificate returns it) for the pool's active signing key: subject and issuer
/// `CN=<pool id>`, serial from the key id, valid from the key's creation. Signing is
/// deterministic (RSA PKCS#1 v1.5), so the same key always gives the same certificate.
pub async fn certificate(store: &Store, master: &MasterKey, pool_id: &str) -> anyhow::Result<String> {
    let rows = store.signing_keys(pool_id).await.map_err(|e: StoreError| anyhow::anyhow!(e))?;
    let active = rows.iter().find(|k| k.state == "active").context("pool has no active signing key")?;
    let der = master.open(&active.private_enc, &seal_context(pool_id, &active.kid))?;
    let pkcs8 = rustls::pki_types::PrivatePkcs8KeyDer::from(der);
    let key = rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&pkcs8, &rcgen::PKCS_RSA_SHA256)
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
