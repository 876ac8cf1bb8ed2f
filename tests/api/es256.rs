//! ES256 signing keys (issue #14): a pool switched to ES256 by the real CLI signs new tokens
//! with P-256 while its RS256 tokens keep working; every token is checked by an independent
//! verifier (the `openidconnect` crate's RustCrypto keys, fetched from the JWKS, and its full ID
//! token validation configured from discovery); forged tokens (alg confusion both ways, `none`,
//! HS256 keyed with the public JWK, altered claims) are refused by userInfo and GetUser; the
//! switch back to RS256; the dashboard's keys page and its rotate form; a system pool on ES256.

use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard, system_pool};
use crate::helpers::*;
use crate::keys::cli;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use openidconnect::core::{
    CoreClient, CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, IssuerUrl, JsonWebKey, JsonWebKeySetUrl, Nonce, PkceCodeVerifier, RedirectUrl,
    TokenResponse,
};
use portcullis::config::AdminMfa;
use portcullis::crypto::MasterKey;
use portcullis::tokens::signer::Alg;
use serde_json::{Value, json};

fn header(jwt: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(jwt.split('.').next().unwrap()).unwrap()).unwrap()
}

fn alg_kid(jwt: &str) -> (String, String) {
    let h = header(jwt);
    (h["alg"].as_str().unwrap().to_string(), h["kid"].as_str().unwrap().to_string())
}

async fn jwks(app: &TestApp, pool: &str) -> CoreJsonWebKeySet {
    let url = JsonWebKeySetUrl::new(app.url(pool, "/.well-known/jwks.json")).unwrap();
    CoreJsonWebKeySet::fetch_async(&url, &rp_http()).await.expect("jwks")
}

async fn raw_jwks(app: &TestApp, pool: &str) -> Vec<Value> {
    let v: Value = app.http.get(app.url(pool, "/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    v["keys"].as_array().unwrap().clone()
}

async fn discovered_algs(app: &TestApp, pool: &str) -> Value {
    let d: Value =
        app.http.get(app.url(pool, "/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    d["id_token_signing_alg_values_supported"].clone()
}

/// The independent check: the key the token's `kid` names in the published set, in the
/// algorithm its header claims, through the openidconnect crate's own RSA and P-256 code.
fn rp_verifies(keys: &CoreJsonWebKeySet, jwt: &str) -> bool {
    let Some((signed, sig)) = jwt.rsplit_once('.') else { return false };
    let Ok(sig) = URL_SAFE_NO_PAD.decode(sig) else { return false };
    let h = header(jwt);
    let Ok(alg) = serde_json::from_value::<CoreJwsSigningAlgorithm>(h["alg"].clone()) else { return false };
    let key: Option<&CoreJsonWebKey> =
        keys.keys().iter().find(|k| k.key_id().map(|id| id.as_str()) == h["kid"].as_str());
    key.is_some_and(|k| k.verify_signature(&alg, signed.as_bytes(), &sig).is_ok())
}

async fn get_user_status(app: &TestApp, access_token: &str) -> u16 {
    app.public_api("GetUser", json!({"AccessToken": access_token})).await.0
}

async fn userinfo_status(app: &TestApp, pool: &str, access_token: &str) -> u16 {
    userinfo(app, pool, access_token).await.status().as_u16()
}

/// API sign-in (InitiateAuth USER_PASSWORD_AUTH): the AuthenticationResult.
async fn api_tokens(app: &TestApp, f: &Flow) -> Value {
    let (status, v) = initiate_auth(app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{v}");
    v["AuthenticationResult"].clone()
}

/// The code flow through the openidconnect crate configured from the pool's discovery document
/// (so it accepts only the algorithms discovery lists): its verified ID token's `sub`, and the
/// raw tokens.
async fn rp_code_flow(app: &TestApp, f: &Flow) -> (String, String, String) {
    let http = rp_http();
    let issuer = IssuerUrl::new(app.url(&f.pool, "")).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer, &http).await.expect("discovery");
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(f.client_id.clone()), None)
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_string()).unwrap());
    let code = code_via_browser(app, f, &app.browser()).await;
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(PkceCodeVerifier::new(f.verifier.clone()))
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("ID token");
    let claims = id_token
        .claims(&client.id_token_verifier(), &Nonce::new("n0nce".into()))
        .unwrap_or_else(|e| panic!("the relying party refused the ID token: {e:?}"));
    (
        claims.subject().to_string(),
        id_token.to_string(),
        openidconnect::OAuth2TokenResponse::access_token(&tokens).secret().clone(),
    )
}

/// The pool's private key `kid`, opened with the server's master key: what only the server
/// holds, to build forgeries that a verifier trusting the key's type over the header would take.
async fn private_ec_key(app: &TestApp, pool: &str, kid: &str) -> EcdsaKeyPair {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut db = sqlx::AnyConnection::connect(app.config.database_url.as_deref().unwrap()).await.unwrap();
    let row = sqlx::query("SELECT private_enc FROM signing_keys WHERE pool_id = $1 AND kid = $2")
        .bind(pool)
        .bind(kid)
        .fetch_one(&mut db)
        .await
        .unwrap();
    let sealed: String = row.try_get("private_enc").unwrap();
    db.close().await.unwrap();
    let master_text = std::fs::read_to_string(app.config.data_dir.join("master.key")).expect("master.key");
    let master = MasterKey::from_base64(&master_text).unwrap();
    let der = master.open(&sealed, &format!("signing-key:{pool}:{kid}")).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der).expect("a P-256 key")
}

/// A compact JWS of `header` over the payload of `jwt`, signed by `sign`.
fn resigned(jwt: &str, header: Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let payload = jwt.split('.').nth(1).unwrap();
    let input = format!("{}.{payload}", URL_SAFE_NO_PAD.encode(header.to_string()));
    let sig = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn es256_sign(key: &EcdsaKeyPair, msg: &[u8]) -> Vec<u8> {
    key.sign(&aws_lc_rs::rand::SystemRandom::new(), msg).unwrap().as_ref().to_vec()
}

#[tokio::test]
async fn a_pool_switched_to_es256_by_the_cli_signs_with_p256_and_its_rs256_tokens_keep_working() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let old_api = api_tokens(&app, &f).await;
    let old_browser = tokens_via_browser(&app, &f).await;
    assert_eq!(alg_kid(old_api["AccessToken"].as_str().unwrap()).0, "RS256", "RS256 stays the default");
    assert_eq!(discovered_algs(&app, &f.pool).await, json!(["RS256"]));
    let rsa_kid = alg_kid(old_api["IdToken"].as_str().unwrap()).1;

    let out = cli(&app, &["keys", "rotate", "--pool", &f.pool, "--alg", "ES256"], &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let line = stdout.lines().find(|l| l.contains("active signing key is now")).expect("the new kid is printed");
    assert!(line.contains("signs with ES256"), "{line}");
    let ec_kid = line.rsplit(' ').next().unwrap().to_string();
    // Nodes cache keys for a short while; past that, this node sees the switch.
    app.clock.advance_secs(31);

    // During the change the JWKS publishes both: the retired RSA key and the EC keys.
    let published = raw_jwks(&app, &f.pool).await;
    let ec: Vec<&Value> = published.iter().filter(|k| k["kty"] == "EC").collect();
    let rsa: Vec<&Value> = published.iter().filter(|k| k["kty"] == "RSA").collect();
    assert_eq!((rsa.len(), ec.len()), (1, 2), "the old active RSA key, the new active and next EC keys: {published:?}");
    assert_eq!(rsa[0]["kid"], rsa_kid.as_str());
    assert!(ec.iter().any(|k| k["kid"] == ec_kid.as_str()));
    for k in &ec {
        let members: Vec<&str> = k.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x", "y"], "public members only: {k}");
        assert_eq!(
            (k["alg"].as_str(), k["crv"].as_str(), k["use"].as_str()),
            (Some("ES256"), Some("P-256"), Some("sig"))
        );
        for c in ["x", "y"] {
            assert_eq!(URL_SAFE_NO_PAD.decode(k[c].as_str().unwrap()).unwrap().len(), 32, "{c} of {k}");
        }
    }
    assert_eq!(discovered_algs(&app, &f.pool).await, json!(["RS256", "ES256"]), "RS256 first, ES256 while published");
    let keys = jwks(&app, &f.pool).await;

    // New tokens, from the API and the code flow, are ES256 by the new key and verify.
    let api = api_tokens(&app, &f).await;
    for t in [api["IdToken"].as_str().unwrap(), api["AccessToken"].as_str().unwrap()] {
        assert_eq!(alg_kid(t), ("ES256".to_string(), ec_kid.clone()));
        assert_eq!(URL_SAFE_NO_PAD.decode(t.rsplit('.').next().unwrap()).unwrap().len(), 64, "r || s");
        assert!(rp_verifies(&keys, t), "the relying party verifies {t}");
        assert!(!rp_verifies(&keys, &with_payload(t, |p| p["sub"] = json!("someone-else"))));
    }
    let (sub, id_token, access) = rp_code_flow(&app, &f).await;
    assert_eq!(sub, claims(api["IdToken"].as_str().unwrap())["sub"].as_str().unwrap());
    assert_eq!(alg_kid(&id_token).0, "ES256");
    assert!(rp_verifies(&keys, &access));
    assert_eq!(get_user_status(&app, api["AccessToken"].as_str().unwrap()).await, 200, "GetUser takes ES256");
    assert_eq!(userinfo_status(&app, &f.pool, &access).await, 200, "userInfo takes ES256");

    // Tokens signed before the switch still verify and are still accepted.
    for t in [old_api["IdToken"].as_str().unwrap(), old_browser["access_token"].as_str().unwrap()] {
        assert_eq!(alg_kid(t).0, "RS256");
        assert!(rp_verifies(&keys, t));
    }
    assert_eq!(get_user_status(&app, old_api["AccessToken"].as_str().unwrap()).await, 200);
    assert_eq!(userinfo_status(&app, &f.pool, old_browser["access_token"].as_str().unwrap()).await, 200);
    // A refresh token from before the switch yields ES256 tokens.
    let r = f.refresh_request(&app, old_browser["refresh_token"].as_str().unwrap()).send().await.unwrap();
    let refreshed: Value = r.json().await.unwrap();
    assert_eq!(alg_kid(refreshed["id_token"].as_str().unwrap()), ("ES256".to_string(), ec_kid.clone()));
    assert!(rp_verifies(&keys, refreshed["access_token"].as_str().unwrap()));

    // Forgeries. The server's own EC key signs them where that makes them valid but for the
    // header: a verifier that trusted the key's type over the header's alg would take them.
    let good = api["AccessToken"].as_str().unwrap();
    let ec_key = private_ec_key(&app, &f.pool, &ec_kid).await;
    let ec_jwk = ec.iter().find(|k| k["kid"] == ec_kid.as_str()).unwrap().to_string();
    let forgeries = [
        (
            "an RS256 header over the EC kid, signed by the EC key",
            resigned(good, json!({"alg": "RS256", "kid": ec_kid}), |m| es256_sign(&ec_key, m)),
        ),
        (
            "an ES256 header over the RSA kid, signed by the EC key",
            resigned(good, json!({"alg": "ES256", "kid": rsa_kid}), |m| es256_sign(&ec_key, m)),
        ),
        ("alg none", resigned(good, json!({"alg": "none", "kid": ec_kid}), |_| Vec::new())),
        (
            "HS256 keyed with the published JWK",
            resigned(good, json!({"alg": "HS256", "kid": ec_kid}), |m| {
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(ec_jwk.as_bytes()).unwrap();
                mac.update(m);
                mac.finalize().into_bytes().to_vec()
            }),
        ),
        ("an ES256 signature over altered claims", with_payload(good, |p| p["username"] = json!("mallory"))),
        (
            "a critical header extension",
            resigned(good, json!({"alg": "ES256", "kid": ec_kid, "crit": ["exp"], "exp": 1}), |m| {
                es256_sign(&ec_key, m)
            }),
        ),
    ];
    // The honest re-signing is accepted: the forgeries fail for their header, not their signer.
    let honest = resigned(good, json!({"alg": "ES256", "kid": ec_kid}), |m| es256_sign(&ec_key, m));
    assert_eq!(get_user_status(&app, &honest).await, 200);
    for (what, forged) in &forgeries {
        assert_eq!(get_user_status(&app, forged).await, 400, "GetUser took {what}");
    }
    let good_web = access.as_str();
    let honest_web = resigned(good_web, json!({"alg": "ES256", "kid": ec_kid}), |m| es256_sign(&ec_key, m));
    assert_eq!(userinfo_status(&app, &f.pool, &honest_web).await, 200);
    let web_forgeries = [
        resigned(good_web, json!({"alg": "RS256", "kid": ec_kid}), |m| es256_sign(&ec_key, m)),
        resigned(good_web, json!({"alg": "none", "kid": ec_kid}), |_| Vec::new()),
        with_payload(good_web, |p| p["scope"] = json!("openid email profile aws.cognito.signin.user.admin")),
    ];
    for forged in &web_forgeries {
        assert_eq!(userinfo_status(&app, &f.pool, forged).await, 401, "userInfo took {forged}");
        assert!(!rp_verifies(&keys, forged), "and so does the relying party");
    }

    // Back to RS256 through the service call the CLI uses: RSA signs again, the EC key that
    // signed stays published (ES256 still listed) and its tokens still work.
    let back = app.services.user_pools.rotate_keys_with(&f.pool.as_str().into(), Some(Alg::Rs256)).await.unwrap();
    let again = api_tokens(&app, &f).await;
    assert_eq!(alg_kid(again["IdToken"].as_str().unwrap()), ("RS256".to_string(), back.clone()));
    let keys = jwks(&app, &f.pool).await;
    assert!(rp_verifies(&keys, again["AccessToken"].as_str().unwrap()));
    assert!(rp_verifies(&keys, good), "the retired EC key still verifies its tokens");
    assert_eq!(get_user_status(&app, good).await, 200);
    assert_eq!(discovered_algs(&app, &f.pool).await, json!(["RS256", "ES256"]));
    let published = raw_jwks(&app, &f.pool).await;
    let kinds: Vec<(&str, &str)> =
        published.iter().map(|k| (k["kty"].as_str().unwrap(), k["kid"].as_str().unwrap())).collect();
    assert_eq!(kinds.iter().filter(|(t, _)| *t == "EC").count(), 1, "only the EC key that signed: {kinds:?}");
    assert!(kinds.contains(&("EC", ec_kid.as_str())));
    // A plain rotation keeps RS256; once the EC key's tokens have expired it is gone, and
    // discovery stops listing ES256.
    app.clock.advance_secs(portcullis::tokens::keys::RETIRED_KEY_KEEP_SECS + 60);
    let kept = app.services.user_pools.rotate_keys(&f.pool.as_str().into()).await.unwrap();
    assert!(raw_jwks(&app, &f.pool).await.iter().all(|k| k["kty"] == "RSA"));
    assert_eq!(discovered_algs(&app, &f.pool).await, json!(["RS256"]));
    assert_eq!(alg_kid(api_tokens(&app, &f).await["IdToken"].as_str().unwrap()), ("RS256".to_string(), kept));
}

#[tokio::test]
async fn rotating_an_es256_pool_keeps_es256_and_promotes_the_published_next_key() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let pool = portcullis::ids::PoolId::from(f.pool.as_str());
    let first = app.services.user_pools.rotate_keys_with(&pool, Some(Alg::Es256)).await.unwrap();
    let before = app.services.user_pools.signing_keys(&pool).await.unwrap();
    let next = before.iter().find(|k| k.state == "next").unwrap();
    assert_eq!(next.alg, Alg::Es256, "the new next key has the new algorithm");
    let next_kid = next.kid.clone();
    // Asking for the algorithm the pool already has is a plain rotation, like asking for none.
    let second = app.services.user_pools.rotate_keys_with(&pool, Some(Alg::Es256)).await.unwrap();
    assert_eq!(second, next_kid, "the pre-published next key became active");
    let third = app.services.user_pools.rotate_keys(&pool).await.unwrap();
    let after = app.services.user_pools.signing_keys(&pool).await.unwrap();
    assert!(after.iter().filter(|k| k.state != "retired").all(|k| k.alg == Alg::Es256), "{after:?}");
    assert!(after.iter().any(|k| k.kid == first && k.state == "retired" && k.alg == Alg::Es256));
    let active = after.iter().find(|k| k.state == "active").unwrap();
    assert_eq!((active.kid.as_str(), active.alg), (third.as_str(), Alg::Es256), "a default rotation keeps ES256");
    let t = api_tokens(&app, &f).await;
    assert_eq!(alg_kid(t["AccessToken"].as_str().unwrap()), ("ES256".to_string(), third));
    assert!(rp_verifies(&jwks(&app, &f.pool).await, t["IdToken"].as_str().unwrap()));
    // GetSigningCertificate certifies the active P-256 key.
    let v = app.ok("GetSigningCertificate", json!({"UserPoolId": f.pool})).await;
    let der = base64::engine::general_purpose::STANDARD.decode(v["Certificate"].as_str().unwrap()).unwrap();
    let ec_public_key_oid = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    assert!(der.windows(ec_public_key_oid.len()).any(|w| w == ec_public_key_oid), "an EC key's certificate");

    // A bad algorithm on the command line is refused before anything changes.
    let out = cli(&app, &["keys", "rotate", "--pool", &f.pool, "--alg", "HS256"], &[]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RS256 or ES256"), "{out:?}");
    assert_eq!(app.services.user_pools.signing_keys(&pool).await.unwrap().len(), after.len());
}

#[tokio::test]
async fn the_dashboard_shows_each_keys_algorithm_and_switches_a_pool_for_admins_only() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = setup_flow(&app, false, json!({})).await;
    let pool = f.pool.clone();
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let keys_page = format!("/admin/pools/{pool}/keys");
    let page = admin.get(&app, &keys_page).await.text().await.unwrap();
    assert!(page.contains("<td>RS256</td>") && !page.contains("<td>ES256</td>"), "{page}");
    assert!(page.contains("<option value=\"ES256\">ES256</option>"), "the form offers ES256: {page}");

    let t = app
        .services
        .operators
        .create_operator(&portcullis::ids::Username::from("op"), portcullis::operators::Role::Operator)
        .await
        .unwrap();
    let operator = sign_in_dashboard(&app, "op", &t, Some("New-Passw0rd!x"), None).await;
    let before = app.services.user_pools.signing_keys(&pool.as_str().into()).await.unwrap();
    assert_eq!(operator.post(&app, &format!("{keys_page}/rotate"), &[("alg", "ES256")]).await.status(), 403);
    assert_eq!(admin.post(&app, &format!("{keys_page}/rotate"), &[("alg", "HS256")]).await.status(), 400);
    let unchanged = app.services.user_pools.signing_keys(&pool.as_str().into()).await.unwrap();
    assert_eq!(unchanged.iter().map(|k| &k.kid).collect::<Vec<_>>(), before.iter().map(|k| &k.kid).collect::<Vec<_>>());

    assert_eq!(admin.post(&app, &format!("{keys_page}/rotate"), &[("alg", "ES256")]).await.status(), 303);
    let page = admin.get(&app, &keys_page).await.text().await.unwrap();
    assert!(page.contains("<td>RS256</td>") && page.contains("<td>ES256</td>"), "both algorithms listed: {page}");
    assert!(page.contains("signed with the active key (ES256)"), "{page}");
    let t = api_tokens(&app, &f).await;
    assert_eq!(alg_kid(t["AccessToken"].as_str().unwrap()).0, "ES256");
    assert!(rp_verifies(&jwks(&app, &pool).await, t["AccessToken"].as_str().unwrap()));
    let export =
        admin.get(&app, &format!("/admin/events/export/json?pool={pool}&category=audit")).await.text().await.unwrap();
    let rotation = export
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|l| l["type"] == "RotateSigningKeys")
        .unwrap_or_else(|| panic!("the rotation is audited: {export}"));
    assert!(rotation.to_string().contains("\"Algorithm\":\"ES256\""), "{rotation}");

    // A plain rotation from the form keeps ES256.
    assert_eq!(admin.post(&app, &format!("{keys_page}/rotate"), &[("alg", "")]).await.status(), 303);
    let t = api_tokens(&app, &f).await;
    assert_eq!(alg_kid(t["IdToken"].as_str().unwrap()).0, "ES256");
}

#[tokio::test]
async fn operators_still_sign_in_when_the_system_pool_signs_with_es256() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let system = system_pool(&app);
    app.services.user_pools.rotate_keys_with(&system.as_str().into(), Some(Alg::Es256)).await.unwrap();
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin.get(&app, "/admin/pools").await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn identity_pools_take_es256_user_pool_id_tokens_and_refuse_a_confused_header() {
    use crate::identity_pool_helpers::{get_id, get_id_ok, id_token, setup};
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let kid = app.services.user_pools.rotate_keys_with(&s.flow.pool.as_str().into(), Some(Alg::Es256)).await.unwrap();
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    assert_eq!(alg_kid(&token), ("ES256".to_string(), kid.clone()));
    let identity = get_id_ok(&app, &s.pool, json!({ s.provider.clone(): token })).await;
    assert!(identity.starts_with("local:"), "{identity}");
    let key = private_ec_key(&app, &s.flow.pool, &kid).await;
    let confused = resigned(&token, json!({"alg": "RS256", "kid": kid}), |m| es256_sign(&key, m));
    let (status, body) = get_id(&app, &s.pool, json!({ s.provider.clone(): confused })).await;
    assert_eq!((status, err_type(&body)), (400, "NotAuthorizedException"), "{body}");
}
