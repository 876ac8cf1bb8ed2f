//! Signing keys: the published JWKS, signatures, rotation (service call and the real CLI),
//! per-pool isolation, and encryption of private keys at rest.

use crate::helpers::*;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, PublicKeyComponents};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_2048_8192_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use portcullis::crypto::MasterKey;
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn jwks(app: &TestApp, pool: &str) -> Vec<Value> {
    let r = app.http.get(app.url(pool, "/.well-known/jwks.json")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let v: Value = r.json().await.unwrap();
    v["keys"].as_array().expect("keys array").clone()
}

fn kids(keys: &[Value]) -> BTreeSet<String> {
    keys.iter().map(|k| k["kid"].as_str().unwrap().to_string()).collect()
}

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

fn header(jwt: &str) -> Value {
    serde_json::from_slice(&b64(jwt.split('.').next().unwrap())).unwrap()
}

fn kid(jwt: &str) -> String {
    header(jwt)["kid"].as_str().expect("kid").to_string()
}

/// RS256 verification of a compact JWS against one JWK.
fn verifies_with(jwk: &Value, jwt: &str) -> bool {
    let (signed, sig) = jwt.rsplit_once('.').unwrap();
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else { return false };
    let n = b64(jwk["n"].as_str().unwrap());
    let e = b64(jwk["e"].as_str().unwrap());
    PublicKeyComponents { n: n.as_slice(), e: e.as_slice() }
        .verify(&RSA_PKCS1_2048_8192_SHA256, signed.as_bytes(), &sig)
        .is_ok()
}

/// Verify by the token's `kid`, as a relying party would.
fn verifies(keys: &[Value], jwt: &str) -> bool {
    let k = kid(jwt);
    keys.iter().find(|j| j["kid"] == k.as_str()).is_some_and(|j| verifies_with(j, jwt))
}

async fn userinfo_status(app: &TestApp, pool: &str, access_token: &str) -> u16 {
    let r = app.http.get(app.url(pool, "/oauth2/userInfo")).bearer_auth(access_token).send().await.unwrap();
    r.status().as_u16()
}

async fn api_tokens(app: &TestApp, f: &Flow) -> Value {
    let v = app
        .ok(
            "AdminInitiateAuth",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
        )
        .await;
    v["AuthenticationResult"].clone()
}

#[tokio::test]
async fn jwks_publishes_rsa_keys_that_verify_every_issued_token() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let keys = jwks(&app, &f.pool).await;
    assert_eq!(keys.len(), 2, "the active key and the next one");
    assert_eq!(kids(&keys).len(), 2, "kids are unique");
    for k in &keys {
        assert_eq!(k["kty"], "RSA", "{k}");
        assert_eq!(k["alg"], "RS256");
        assert_eq!(k["use"], "sig");
        assert!(!k["kid"].as_str().unwrap().is_empty());
        assert_eq!(k["e"], "AQAB");
        let n = b64(k["n"].as_str().unwrap());
        assert_eq!(n.len(), 256, "2048-bit modulus without a leading zero");
        assert!(n[0] & 0x80 != 0);
        for private in ["d", "p", "q", "dp", "dq", "qi"] {
            assert!(k.get(private).is_none(), "private member {private} published: {k}");
        }
    }

    let browser = tokens_via_browser(&app, &f).await;
    let api = api_tokens(&app, &f).await;
    let tokens = [
        browser["id_token"].as_str().unwrap(),
        browser["access_token"].as_str().unwrap(),
        api["IdToken"].as_str().unwrap(),
        api["AccessToken"].as_str().unwrap(),
    ];
    for t in tokens {
        let h = header(t);
        assert_eq!(h["alg"], "RS256");
        assert!(kids(&keys).contains(&kid(t)), "kid {} is published", kid(t));
        assert!(verifies(&keys, t), "signature verifies against the JWKS");
        let other = keys.iter().find(|k| k["kid"] != h["kid"]).unwrap();
        assert!(!verifies_with(other, t), "and only against its own key");
        let tampered = with_payload(t, |p| p["sub"] = json!("someone-else"));
        assert!(!verifies(&keys, &tampered), "a changed payload breaks the signature");
    }
    assert_eq!(kids(&keys).len(), 2);
    assert_eq!(tokens.iter().map(|t| kid(t)).collect::<BTreeSet<_>>().len(), 1, "one active key signs");
}

#[tokio::test]
async fn rotation_changes_the_signing_kid_and_keeps_old_tokens_valid() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let before = jwks(&app, &f.pool).await;
    let old = tokens_via_browser(&app, &f).await;
    let old_kid = kid(old["access_token"].as_str().unwrap());

    let new_kid = app.services.user_pools.rotate_keys(&f.pool.as_str().into()).await.expect("rotate");
    assert_ne!(new_kid, old_kid);
    assert!(kids(&before).contains(&new_kid), "the new key was published before it signed anything");

    let after = jwks(&app, &f.pool).await;
    assert_eq!(after.len(), 3, "retired, active and a fresh next key");
    let after_kids = kids(&after);
    assert!(after_kids.contains(&old_kid) && after_kids.contains(&new_kid));
    assert_eq!(after_kids.difference(&kids(&before)).count(), 1, "one new next key");

    let new = tokens_via_browser(&app, &f).await;
    for t in [new["access_token"].as_str().unwrap(), new["id_token"].as_str().unwrap()] {
        assert_eq!(kid(t), new_kid);
        assert!(verifies(&after, t));
    }
    let api = api_tokens(&app, &f).await;
    assert_eq!(kid(api["IdToken"].as_str().unwrap()), new_kid);
    // Tokens signed before the rotation still verify and are still accepted.
    for t in [old["access_token"].as_str().unwrap(), old["id_token"].as_str().unwrap()] {
        assert!(verifies(&after, t));
    }
    assert_eq!(userinfo_status(&app, &f.pool, old["access_token"].as_str().unwrap()).await, 200);
    assert_eq!(userinfo_status(&app, &f.pool, new["access_token"].as_str().unwrap()).await, 200);
    // A refresh token from before the rotation yields tokens signed by the new key.
    let r = f.refresh_request(&app, old["refresh_token"].as_str().unwrap()).send().await.unwrap();
    let refreshed: Value = r.json().await.unwrap();
    assert_eq!(kid(refreshed["id_token"].as_str().unwrap()), new_kid);

    // Once no token the retired key signed can be valid, a later rotation drops it.
    app.clock.advance_secs(portcullis::tokens::keys::RETIRED_KEY_KEEP_SECS + 60);
    let third = app.services.user_pools.rotate_keys(&f.pool.as_str().into()).await.unwrap();
    let later = kids(&jwks(&app, &f.pool).await);
    assert!(!later.contains(&old_kid), "the long-retired key is removed");
    assert!(later.contains(&new_kid), "the just-retired key stays published");
    assert!(later.contains(&third));
    assert_eq!(later.len(), 3);
    assert_eq!(userinfo_status(&app, &f.pool, old["access_token"].as_str().unwrap()).await, 401);

    assert!(app.services.user_pools.rotate_keys(&"local_nosuchpoo".into()).await.is_err());
}

#[tokio::test]
async fn each_pool_signs_with_its_own_keys() {
    let app = TestApp::spawn().await;
    let a = setup_flow(&app, false, json!({})).await;
    let b = setup_flow(&app, false, json!({})).await;
    let (keys_a, keys_b) = (jwks(&app, &a.pool).await, jwks(&app, &b.pool).await);
    assert!(kids(&keys_a).is_disjoint(&kids(&keys_b)));

    let ta = tokens_via_browser(&app, &a).await;
    let tb = tokens_via_browser(&app, &b).await;
    let (at_a, at_b) = (ta["access_token"].as_str().unwrap(), tb["access_token"].as_str().unwrap());
    assert!(verifies(&keys_a, at_a) && !verifies(&keys_b, at_a));
    assert_eq!(userinfo_status(&app, &a.pool, at_a).await, 200);
    assert_eq!(userinfo_status(&app, &b.pool, at_a).await, 401, "pool B refuses pool A's token");
    assert_eq!(userinfo_status(&app, &a.pool, at_b).await, 401);

    // Relabelled as pool B's: the issuer matches B but the signature is A's.
    let relabelled = with_payload(at_a, |p| {
        p["iss"] = json!(app.url(&b.pool, ""));
        p["client_id"] = json!(b.client_id);
    });
    assert_eq!(userinfo_status(&app, &b.pool, &relabelled).await, 401);
    // A's signature under the header of one of B's keys.
    let parts: Vec<&str> = at_a.split('.').collect();
    let b_kid = kid(at_b);
    let forged_header = URL_SAFE_NO_PAD.encode(json!({"kid": b_kid, "alg": "RS256"}).to_string());
    let forged = format!(
        "{forged_header}.{}.{}",
        URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&{
                let mut p = claims(at_a);
                p["iss"] = json!(app.url(&b.pool, ""));
                p
            })
            .unwrap(),
        ),
        parts[2]
    );
    assert_eq!(userinfo_status(&app, &b.pool, &forged).await, 401);
    // Rotating one pool leaves the other alone.
    app.services.user_pools.rotate_keys(&a.pool.as_str().into()).await.unwrap();
    assert_eq!(kids(&jwks(&app, &b.pool).await), kids(&keys_b));
    assert_eq!(userinfo_status(&app, &b.pool, at_b).await, 200);
}

#[tokio::test]
async fn private_keys_and_secrets_are_encrypted_at_rest() {
    use sqlx::{Connection, Row};
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client_id, secret) = app.create_client(&pool, true, json!({})).await;
    let secret = secret.unwrap();
    app.services.user_pools.rotate_keys(&pool.as_str().into()).await.unwrap();
    let published = jwks(&app, &pool).await;

    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(app.config.database_url.as_deref().unwrap()).await.unwrap();
    let rows = sqlx::query("SELECT kid, pool_id, state, private_enc, public_jwk FROM signing_keys WHERE pool_id = $1")
        .bind(&pool)
        .fetch_all(&mut db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 3);
    let master_text = std::fs::read_to_string(app.config.data_dir.join("master.key")).expect("master.key");
    let master = MasterKey::from_base64(&master_text).unwrap();
    let other_master = MasterKey::from_bytes(&[7; 32]);
    for r in &rows {
        let kid: String = r.try_get("kid").unwrap();
        let private_enc: String = r.try_get("private_enc").unwrap();
        let public_jwk: String = r.try_get("public_jwk").unwrap();
        for text in [&private_enc, &public_jwk] {
            for marker in ["PRIVATE KEY", "BEGIN", "MIIE", "MIIF"] {
                assert!(!text.contains(marker), "{marker} in a stored key: {text}");
            }
        }
        let jwk: Value = serde_json::from_str(&public_jwk).unwrap();
        let members: BTreeSet<&str> = jwk.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"].into_iter().collect(), "public parts only");
        assert!(published.contains(&jwk), "the stored public key is the published one");

        // Sealed: v1.{master key id}.{nonce ‖ ciphertext}, none of the key's material visible.
        let (version, rest) = private_enc.split_once('.').unwrap();
        let (key_id, body) = rest.split_once('.').unwrap();
        assert_eq!((version, key_id), ("v1", master.id()));
        let raw = URL_SAFE_NO_PAD.decode(body).unwrap();
        let n = b64(jwk["n"].as_str().unwrap());
        assert!(!raw.windows(32).any(|w| w == &n[..32]), "the modulus appears in the sealed blob");
        assert!(!raw.starts_with(&[0x30, 0x82]), "a DER structure in the clear");

        // Only the master key, under this key's own context, opens it; it is the published key.
        let context = format!("signing-key:{pool}:{kid}");
        let der = master.open(&private_enc, &context).expect("opens with the master key");
        let pair = KeyPair::from_pkcs8(&der).expect("PKCS#8");
        assert_eq!(pair.public_key().modulus().big_endian_without_leading_zero(), n.as_slice());
        assert!(pair.as_der().is_ok());
        assert!(other_master.open(&private_enc, &context).is_err());
        assert!(master.open(&private_enc, &format!("signing-key:{pool}:another")).is_err());
    }

    // Client secrets and management secrets are sealed too.
    let row =
        sqlx::query("SELECT secret_enc FROM clients WHERE id = $1").bind(&client_id).fetch_one(&mut db).await.unwrap();
    let sealed: String = row.try_get("secret_enc").unwrap();
    assert!(sealed.starts_with("v1.") && !sealed.contains(&secret));
    let row = sqlx::query("SELECT secret_enc FROM management_keys WHERE access_key_id = $1")
        .bind(ACCESS_KEY)
        .fetch_one(&mut db)
        .await
        .unwrap();
    let sealed: String = row.try_get("secret_enc").unwrap();
    assert!(sealed.starts_with("v1.") && !sealed.contains(SECRET_KEY));
    db.close().await.unwrap();
}

/// Run the real binary against the test's database and data directory.
pub(crate) async fn cli(app: &TestApp, args: &[&str], extra_env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_portcullis"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("PORTCULLIS_")) {
        cmd.env_remove(k);
    }
    cmd.args(args)
        .env("PORTCULLIS_DATABASE_URL", app.config.database_url.as_deref().unwrap())
        .env("PORTCULLIS_DATA_DIR", &app.config.data_dir)
        .env("RUST_LOG", "warn");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    tokio::task::spawn_blocking(move || cmd.output().expect("run portcullis")).await.unwrap()
}

#[tokio::test]
async fn cli_rotation_reaches_the_running_server() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let before = jwks(&app, &f.pool).await;
    let old = tokens_via_browser(&app, &f).await;
    let old_kid = kid(old["access_token"].as_str().unwrap());

    let out = cli(&app, &["keys", "rotate", "--pool", &f.pool], &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find(|l| l.contains("active signing key is now")).expect("the new kid is printed");
    let new_kid = line.rsplit(' ').next().unwrap().to_string();
    assert!(line.contains(&f.pool), "{line}");
    assert!(kids(&before).contains(&new_kid), "the CLI promoted the pre-published next key");
    assert_ne!(new_kid, old_kid);

    // Nodes cache keys for a short while; past that, this node sees the rotation.
    app.clock.advance_secs(31);
    let after = jwks(&app, &f.pool).await;
    let after_kids = kids(&after);
    assert_eq!(after.len(), 3, "{after_kids:?}");
    assert!(after_kids.contains(&new_kid) && after_kids.contains(&old_kid));
    let new = tokens_via_browser(&app, &f).await;
    assert_eq!(kid(new["id_token"].as_str().unwrap()), new_kid);
    assert_eq!(kid(new["access_token"].as_str().unwrap()), new_kid);
    assert!(verifies(&after, new["id_token"].as_str().unwrap()));
    assert_eq!(userinfo_status(&app, &f.pool, old["access_token"].as_str().unwrap()).await, 200);
    assert_eq!(userinfo_status(&app, &f.pool, new["access_token"].as_str().unwrap()).await, 200);

    // An unknown pool is an error with a message, not a crash.
    let out = cli(&app, &["keys", "rotate", "--pool", "local_nosuchpoo"], &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"), "{:?}", out);

    // A master key other than the server's is refused before anything is written.
    let wrong = base64::engine::general_purpose::STANDARD.encode([9u8; 32]);
    let out = cli(&app, &["keys", "rotate", "--pool", &f.pool], &[("PORTCULLIS_MASTER_KEY", &wrong)]).await;
    assert!(!out.status.success(), "{:?}", out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("master key"), "{:?}", out);
    app.clock.advance_secs(31);
    assert_eq!(kids(&jwks(&app, &f.pool).await), after_kids, "nothing changed");
    let still = tokens_via_browser(&app, &f).await;
    assert_eq!(kid(still["id_token"].as_str().unwrap()), new_kid, "the pool still signs");
}
