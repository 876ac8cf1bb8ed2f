//! The ES256 part of the load driver (issue #14), kept apart from the other scenarios:
//!
//! - `es256-setup`: a second pool for the client_credentials scenario (a resource server and a
//!   machine client, as `setup` makes for the RS256 pool); prints `ES_POOL`, `ES_M2M_ID`,
//!   `ES_M2M_SECRET`. `bench/run.sh` then switches it to ES256 with the real CLI
//!   (`portcullis keys rotate --alg ES256`) before any token is issued.
//! - `token-alg`: one client_credentials token of a pool; prints its header's `alg`, so the
//!   script can check that the pool really signs with ES256 before measuring it.
//! - `sign-rate`: JWS signatures (and verifications) per second on one core with the server's
//!   own key code (`portcullis::tokens::signer`), RSA-2048 against P-256, over an access token's
//!   signing input; prints `SIGNRATE <rs256 signs/s> <es256 signs/s> <rs256 verifies/s> <es256 verifies/s>`.

use super::{Res, api_of, arg, field, http, num};
use base64::Engine;
use portcullis::tokens::signer::{Alg, PrivateKey};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};

pub async fn setup(a: &HashMap<String, String>) -> Res<()> {
    let api = api_of(a)?;
    let (pool, m2m) = super::machine_pool(&api, "bench-es256").await?;
    println!("ES_POOL={pool}");
    println!("ES_M2M_ID={}", field(&m2m, &["UserPoolClient", "ClientId"])?);
    println!("ES_M2M_SECRET={}", field(&m2m, &["UserPoolClient", "ClientSecret"])?);
    Ok(())
}

pub async fn token_alg(a: &HashMap<String, String>) -> Res<()> {
    let url = format!("{}/{}/oauth2/token", arg(a, "base"), arg(a, "pool"));
    let r = http()
        .post(url)
        .basic_auth(arg(a, "client-id"), Some(arg(a, "client-secret")))
        .form(&[("grant_type", "client_credentials"), ("scope", "bench/read")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if r.status() != 200 {
        return Err(format!("token: HTTP {}", r.status()));
    }
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    let token = field(&v, &["access_token"])?;
    let header = token.split('.').next().unwrap_or_default();
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).map_err(|e| e.to_string())?;
    let header: Value = serde_json::from_slice(&header).map_err(|e| e.to_string())?;
    println!("{}", header["alg"].as_str().unwrap_or("?"));
    Ok(())
}

/// Operations per second of `op` run back to back on this thread for `window`.
fn rate(window: Duration, mut op: impl FnMut() -> Res<()>) -> Res<f64> {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < window {
        op()?;
        n += 1;
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

pub fn sign_rate(a: &HashMap<String, String>) -> Res<()> {
    let window = Duration::from_millis(num(a, "ms", 1000).max(10));
    // A signing input the size of a typical access token's header and claims.
    let claims = json!({"sub": "7c9f2e1a-0d5b-4c3e-9a4f-2b8d6e1f3a57", "iss": "http://127.0.0.1:9240/local_AbCdEfGhI",
        "client_id": "abcdefghijklmnopqrstuvwxyz", "origin_jti": "0193f2a8-4b7c-7d2e-9f1a-3c5e7b9d1f2a",
        "event_id": "5e0b8f4d-2c1a-4e3b-8d7f-9a6c4b2e1d3f", "token_use": "access", "scope": "aws.cognito.signin.user.admin",
        "auth_time": 1_765_000_000, "exp": 1_765_003_600, "iat": 1_765_000_000,
        "jti": "b1d2f3a4-c5e6-4f7a-8b9c-0d1e2f3a4b5c", "username": "user0"});
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let mut out = Vec::new();
    for alg in [Alg::Rs256, Alg::Es256] {
        let key = PrivateKey::generate(alg).map_err(|e| e.to_string())?;
        let input = format!("{}.{}", b64(&json!({"kid": "k", "alg": alg.name()})), b64(&claims));
        let signs = rate(window, || key.sign(input.as_bytes()).map(|_| ()).map_err(|e| e.to_string()))?;
        let public = key.public();
        let sig = key.sign(input.as_bytes()).map_err(|e| e.to_string())?;
        let verifies = rate(window, || {
            if public.verify(alg, input.as_bytes(), &sig) { Ok(()) } else { Err(format!("{alg} did not verify")) }
        })?;
        out.push((signs, verifies));
    }
    println!("SIGNRATE {:.0} {:.0} {:.0} {:.0}", out[0].0, out[1].0, out[0].1, out[1].1);
    Ok(())
}
