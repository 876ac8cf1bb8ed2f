//! Compact JWS with RS256: minting with the pool's active key, verification by `kid`.

use super::keys::PoolKeys;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

pub fn sign(keys: &PoolKeys, claims: &Map<String, Value>) -> anyhow::Result<String> {
    let header = json!({"kid": keys.active_kid, "alg": "RS256"});
    let mut out = URL_SAFE_NO_PAD.encode(header.to_string());
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
    let sig = keys.sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(sig));
    Ok(out)
}

/// The header's `kid`, if the token is a well-formed RS256 JWS.
pub fn peek_kid(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let h: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if h["alg"] != "RS256" {
        return None;
    }
    h["kid"].as_str().map(str::to_string)
}

/// The payload's claims, unverified: only to decide which keys to verify with, or to word a
/// refusal of a token that is then rejected anyway.
pub fn peek_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Verify signature and return the claims; time, issuer and use are the caller's to check.
pub fn verify(keys: &PoolKeys, token: &str) -> Option<Map<String, Value>> {
    let kid = peek_kid(token)?;
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    let signed_len = h.len() + 1 + p.len();
    if !keys.verify(&kid, &token.as_bytes()[..signed_len], &sig) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}
