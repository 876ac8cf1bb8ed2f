//! Compact JWS with RS256 or ES256: minting with the pool's active key (in its algorithm),
//! verification by `kid`, where the header's `alg` must be the algorithm of the key it names.

use super::keys::PoolKeys;
use super::signer::Alg;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

pub fn sign(keys: &PoolKeys, claims: &Map<String, Value>) -> anyhow::Result<String> {
    let header = json!({"kid": keys.active_kid, "alg": keys.active_alg().name()});
    let mut out = URL_SAFE_NO_PAD.encode(header.to_string());
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims)?));
    let sig = keys.sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(sig));
    Ok(out)
}

/// The header's `kid` and `alg`, if the token's header is a JWS header of one of our
/// algorithms (not `none`, not HMAC) with no critical extensions (none is understood here,
/// so any listed must be refused, RFC 7515 §4.1.11).
pub fn peek_header(token: &str) -> Option<(String, Alg)> {
    let header = token.split('.').next()?;
    let h: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).ok()?).ok()?;
    if h.get("crit").is_some() {
        return None;
    }
    let alg = Alg::from_jose(h["alg"].as_str()?)?;
    Some((h["kid"].as_str()?.to_string(), alg))
}

/// The header's `kid`, if the token is a well-formed JWS of one of our algorithms.
pub fn peek_kid(token: &str) -> Option<String> {
    peek_header(token).map(|(kid, _)| kid)
}

/// The payload's claims, unverified: only to decide which keys to verify with, or to word a
/// refusal of a token that is then rejected anyway.
pub fn peek_claims(token: &str) -> Option<Map<String, Value>> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

/// Verify the signature and return the claims; time, issuer and use are the caller's to check.
/// The signature must be the named key's, in that key's own algorithm.
pub fn verify(keys: &PoolKeys, token: &str) -> Option<Map<String, Value>> {
    let (kid, alg) = peek_header(token)?;
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let sig = URL_SAFE_NO_PAD.decode(s).ok()?;
    let signed_len = h.len() + 1 + p.len();
    if !keys.verify(&kid, alg, &token.as_bytes()[..signed_len], &sig) {
        return None;
    }
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()
}
