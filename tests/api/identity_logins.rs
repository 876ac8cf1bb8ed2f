//! Identity pools, part B: the identity-pool OpenID token issuer (discovery and keys over HTTP, a
//! strict verifier accepting its tokens, keys created once under concurrency) and the validation
//! of every kind of `Logins` entry against real tokens: user-pool ID tokens from the hosted flow
//! and from InitiateAuth, our own identity tokens, and the local fake OpenID Connect provider and
//! Facebook of `fake_idp`. The JSON actions that call `validate_login` are part A's; until they
//! land the tests call the service directly.

use crate::fake_idp::*;
use crate::helpers::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use portcullis::identity_pools::logins::{Login, LoginError};
use portcullis::services::Services;
use serde_json::{Value, json};
use std::sync::Arc;

const IDENTITY_POOL: &str = "local:3f6c8a8e-2a9b-4f0e-9d51-4c1f3e2b7a10";
const OTHER_IDENTITY_POOL: &str = "local:9d0e1f2a-3b4c-4d5e-8f60-718293a4b5c6";
const IDENTITY_ID: &str = "local:0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

const NOT_SUPPORTED: &str = "Token is not from a supported provider of this identity pool.";
const NOT_OIDC: &str = "Invalid login token. Not a valid OpenId Connect identity token.";
const ISSUER_MISMATCH: &str = "Invalid login token. Issuer doesn't match providerName";
const AUDIENCE: &str = "Invalid login token. Incorrect token audience.";
const SIGNATURE: &str = "Invalid login token. Couldn't verify signed token.";
const EXPIRED: &str = "Invalid login token. Token expired: ";

/// The message of a refused login.
fn refused(r: Result<Login, LoginError>) -> String {
    match r {
        Err(LoginError::NotAuthorized(m)) => m,
        other => panic!("expected NotAuthorizedException, got {other:?}"),
    }
}

fn accepted(r: Result<Login, LoginError>) -> Login {
    r.unwrap_or_else(|e| panic!("login refused: {e:?}"))
}

/// The same JWT with one bit of its signature flipped.
fn with_bad_signature(jwt: &str) -> String {
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).expect("signature");
    sig[10] ^= 1;
    format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig))
}

/// A presented token carries no nonce of ours.
fn any_nonce(_: Option<&Nonce>) -> Result<(), String> {
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The identity-pool OpenID token issuer
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn discovery_and_keys_let_a_strict_verifier_accept_identity_tokens() {
    let app = TestApp::spawn().await;
    let r = app.http.get(format!("{}/identity/.well-known/openid-configuration", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=300");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let doc: Value = r.json().await.unwrap();
    let issuer = format!("{}/identity", app.base);
    assert_eq!(doc["issuer"], issuer);
    assert_eq!(doc["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(doc["response_types_supported"], json!(["id_token"]));
    assert_eq!(doc["subject_types_supported"], json!(["public"]));
    assert_eq!(doc["id_token_signing_alg_values_supported"], json!(["RS256"]));
    for claim in ["sub", "aud", "amr", "iss", "exp", "iat", "https://cognito-identity.amazonaws.com/identity-pool-arn"]
    {
        assert!(doc["claims_supported"].as_array().unwrap().contains(&json!(claim)), "{claim}");
    }

    // The keys exist before any token does (created by the first JWKS request).
    let r = app.http.get(doc["jwks_uri"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, max-age=300");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let jwks_text = r.text().await.unwrap();
    let jwks: Value = serde_json::from_str(&jwks_text).unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "the active key and the next one");
    for k in jwks["keys"].as_array().unwrap() {
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["alg"], "RS256");
        assert!(k.get("d").is_none(), "no private part");
    }

    let amr = vec![
        "authenticated".to_string(),
        "cognito-idp.local.amazonaws.com/local_abc".to_string(),
        "cognito-idp.local.amazonaws.com/local_abc:CognitoSignIn:1234".to_string(),
    ];
    let token = app.services.identity_pools.issue_identity_token(IDENTITY_POOL, IDENTITY_ID, &amr, 600).await.unwrap();
    let c = claims(&token);
    assert_eq!(c["iss"], issuer);
    assert_eq!(c["sub"], IDENTITY_ID);
    assert_eq!(c["aud"], IDENTITY_POOL);
    assert_eq!(c["amr"], json!(amr));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 600);
    assert_eq!(
        c["https://cognito-identity.amazonaws.com/identity-pool-arn"],
        format!("arn:aws:cognito-identity:local:000000000000:identitypool/{IDENTITY_POOL}")
    );
    let header = claims(&format!("x.{}", token.split('.').next().unwrap()));
    assert_eq!(header["alg"], "RS256");
    assert!(jwks_text.contains(header["kid"].as_str().unwrap()), "signed by a published key");

    // A strict OpenID Connect verifier, knowing only the issuer's published documents, accepts it
    // for the identity pool and for no one else.
    let keys: CoreJsonWebKeySet = serde_json::from_str(&jwks_text).unwrap();
    let verifier = |aud: &str| {
        CoreIdTokenVerifier::new_public_client(
            ClientId::new(aud.into()),
            IssuerUrl::new(issuer.clone()).unwrap(),
            keys.clone(),
        )
    };
    let parsed: CoreIdToken = token.parse().unwrap();
    let verified = parsed.claims(&verifier(IDENTITY_POOL), any_nonce).expect("a valid OpenID token");
    assert_eq!(verified.subject().as_str(), IDENTITY_ID);
    assert_eq!(verified.auth_method_refs().map(|a| a.len()), Some(3));
    assert!(parsed.claims(&verifier(OTHER_IDENTITY_POOL), any_nonce).is_err());
    let forged: CoreIdToken = with_payload(&token, |c| c["sub"] = json!("local:someone-else")).parse().unwrap();
    assert!(forged.claims(&verifier(IDENTITY_POOL), any_nonce).is_err());

    // The service's own check agrees, until the token expires.
    let mine = app.services.identity_pools.verify_identity_token(&token).await.expect("valid");
    assert_eq!(mine["sub"], IDENTITY_ID);
    assert!(app.services.identity_pools.verify_identity_token(&with_bad_signature(&token)).await.is_none());
    assert!(app.services.identity_pools.verify_identity_token("not.a.token").await.is_none());
    assert!(app.services.identity_pools.verify_user_pool_id_token(&token).await.is_none(), "not a user-pool token");
    app.clock.advance_secs(601);
    assert!(app.services.identity_pools.verify_identity_token(&token).await.is_none());
}

#[tokio::test]
async fn the_identity_issuer_is_not_taken_for_a_user_pool() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let own: Value =
        app.http.get(app.url(&pool, "/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(own["issuer"], format!("{}/{pool}", app.base));
    let identity: Value = app
        .http
        .get(format!("{}/identity/.well-known/openid-configuration", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(identity["issuer"], format!("{}/identity", app.base));
    assert!(identity.get("authorization_endpoint").is_none());
    // The pool's keys and the issuer's are different sets.
    let pool_keys = app.http.get(app.url(&pool, "/.well-known/jwks.json")).send().await.unwrap().text().await.unwrap();
    let id_keys = app
        .http
        .get(format!("{}/identity/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_ne!(pool_keys, id_keys);
    // Nothing else lives under /identity.
    let r = app.http.get(format!("{}/identity/oauth2/authorize", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = app.http.post(format!("{}/identity/.well-known/jwks.json", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 405);
}

/// Another node on the same database: its own caches, the same rows.
async fn second_node(app: &TestApp) -> Services {
    let config = app.config.clone();
    let store = portcullis::store::Store::connect(config.database_url.as_deref().unwrap(), 4).await.unwrap();
    let master = portcullis::crypto::MasterKey::load_or_create(None, &config.data_dir).unwrap();
    let mailer = portcullis::mail::Mailer::from_config(&config).unwrap();
    Services::new(Arc::new(config), store, app.clock.clone(), master, mailer)
}

#[tokio::test]
async fn the_issuers_keys_are_created_once_however_many_ask_at_once() {
    let app = TestApp::spawn().await;
    let other = Arc::new(second_node(&app).await);
    let barrier = Arc::new(tokio::sync::Barrier::new(8));
    let mut tasks = Vec::new();
    for i in 0..8 {
        let svc = if i % 2 == 0 { app.services.clone() } else { other.clone() };
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            svc.identity_pools
                .issue_identity_token(IDENTITY_POOL, &format!("local:identity-{i}"), &["unauthenticated".into()], 600)
                .await
        }));
    }
    let mut tokens = Vec::new();
    for t in tasks {
        tokens.push(t.await.unwrap().expect("issued"));
    }
    let keys = app.services.store.signing_keys("identity").await.unwrap();
    let states: Vec<&str> = keys.iter().map(|k| k.state.as_str()).collect();
    assert_eq!(keys.len(), 2, "one key set: {states:?}");
    assert!(states.contains(&"active") && states.contains(&"next"));
    let active = keys.iter().find(|k| k.state == "active").unwrap().kid.clone();
    // Every token is signed by the one active key and verifies on both nodes.
    for t in &tokens {
        let header = claims(&format!("x.{}", t.split('.').next().unwrap()));
        assert_eq!(header["kid"], active);
        assert!(app.services.identity_pools.verify_identity_token(t).await.is_some());
        assert!(other.identity_pools.verify_identity_token(t).await.is_some());
    }
}

// ---------------------------------------------------------------------------------------------
// Logins: user pools
// ---------------------------------------------------------------------------------------------

/// An identity pool trusting the user pool of `f` (under the `cognito-idp` form of its name).
fn trusting(f: &Flow, client_id: &str, server_side_check: bool) -> Value {
    json!({"IdentityPoolName": "ids", "AllowUnauthenticatedIdentities": false, "CognitoIdentityProviders": [
        {"ProviderName": format!("cognito-idp.local.amazonaws.com/{}", f.pool), "ClientId": client_id,
         "ServerSideTokenCheck": server_side_check}]})
}

#[tokio::test]
async fn user_pool_id_tokens_log_in_under_either_form_of_the_pools_name() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let tokens = tokens_via_browser(&app, &f).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let sub = claims(id_token)["sub"].as_str().unwrap().to_string();
    let ours = format!("127.0.0.1:{}/{}", app.port, f.pool);
    let sdk = format!("cognito-idp.eu-west-3.amazonaws.com/{}", f.pool);

    for config in [trusting(&f, &f.client_id, false), trusting(&f, &f.client_id, true)] {
        for key in [&ours, &sdk] {
            let login =
                accepted(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, id_token).await);
            assert_eq!(&login.provider, key, "the key as given");
            assert_eq!(login.subject, sub);
            assert_eq!(login.claims["email"], "alice@example.com");
            assert_eq!(login.claims["token_use"], "id");
        }
    }
    // The pool listed under our own form of its name.
    let config = json!({"CognitoIdentityProviders": [{"ProviderName": ours, "ClientId": f.client_id}]});
    accepted(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, &sdk, id_token).await);

    // An ID token from the API sign-in too.
    let (status, auth) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{auth}");
    let api_id = auth["AuthenticationResult"]["IdToken"].as_str().unwrap();
    let login = accepted(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, &ours, api_id).await);
    assert_eq!(login.subject, sub);

    // verify_user_pool_id_token names the pool; access tokens are not ID tokens.
    let (pool, c) = app.services.identity_pools.verify_user_pool_id_token(id_token).await.expect("valid ID token");
    assert_eq!(pool, f.pool);
    assert_eq!(c["aud"], f.client_id.as_str());
    assert!(
        app.services.identity_pools.verify_user_pool_id_token(tokens["access_token"].as_str().unwrap()).await.is_none()
    );
    assert!(app.services.identity_pools.verify_user_pool_id_token(&with_bad_signature(id_token)).await.is_none());
}

#[tokio::test]
async fn forged_misdirected_and_expired_user_pool_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let tokens = tokens_via_browser(&app, &f).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let key = format!("cognito-idp.local.amazonaws.com/{}", f.pool);
    let config = trusting(&f, &f.client_id, false);
    let check = |token: String, config: Value, key: String| {
        let svc = app.services.clone();
        async move { svc.identity_pools.validate_login(IDENTITY_POOL, &config, &key, &token).await }
    };

    // Another client of the pool than the one the identity pool trusts.
    let other_client = trusting(&f, "someotherclientid00000000", false);
    assert_eq!(refused(check(id_token.into(), other_client, key.clone()).await), AUDIENCE);
    // A pool the identity pool does not list; a pool the token is not from.
    let other_pool = app.create_pool(json!({})).await;
    let other_key = format!("cognito-idp.local.amazonaws.com/{other_pool}");
    assert_eq!(refused(check(id_token.into(), config.clone(), other_key.clone()).await), NOT_SUPPORTED);
    let both = json!({"CognitoIdentityProviders": [
        {"ProviderName": key, "ClientId": f.client_id}, {"ProviderName": other_key, "ClientId": f.client_id}]});
    assert_eq!(refused(check(id_token.into(), both, other_key).await), ISSUER_MISMATCH);
    // Edited claims under the original signature; a damaged signature.
    let edited = with_payload(id_token, |c| c["sub"] = json!("00000000-0000-0000-0000-000000000000"));
    assert_eq!(refused(check(edited, config.clone(), key.clone()).await), SIGNATURE);
    assert_eq!(refused(check(with_bad_signature(id_token), config.clone(), key.clone()).await), SIGNATURE);
    // Not ID tokens.
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert_eq!(refused(check(access, config.clone(), key.clone()).await), NOT_OIDC);
    assert_eq!(refused(check("not-a-jwt".into(), config.clone(), key.clone()).await), NOT_OIDC);
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    assert_eq!(refused(check(refresh, config.clone(), key.clone()).await), NOT_OIDC);

    // Expired, in Cognito's words: "Token expired: {now} >= {exp}".
    let exp = claims(id_token)["exp"].as_i64().unwrap();
    app.clock.advance_secs(3601);
    let message = refused(check(id_token.into(), config.clone(), key.clone()).await);
    assert!(message.starts_with(EXPIRED), "{message}");
    let (now, at) = message[EXPIRED.len()..].split_once(" >= ").expect("now >= exp");
    assert!(now.parse::<i64>().unwrap() >= exp);
    assert_eq!(at.parse::<i64>().unwrap(), exp);
    assert!(app.services.identity_pools.verify_user_pool_id_token(id_token).await.is_none());
}

#[tokio::test]
async fn server_side_token_check_refuses_revoked_signed_out_disabled_and_deleted_users() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let key = format!("127.0.0.1:{}/{}", app.port, f.pool);
    let checked = trusting(&f, &f.client_id, true);
    let offline = trusting(&f, &f.client_id, false);
    let validate = |config: &Value, token: &str| {
        let (svc, config, token, key) = (app.services.clone(), config.clone(), token.to_string(), key.clone());
        async move { svc.identity_pools.validate_login(IDENTITY_POOL, &config, &key, &token).await }
    };

    // Revoking the refresh token revokes the ID tokens of that sign-in only.
    let first = tokens_via_browser(&app, &f).await;
    let second = tokens_via_browser(&app, &f).await;
    let (status, body) =
        app.public_api("RevokeToken", json!({"Token": first["refresh_token"], "ClientId": f.client_id})).await;
    assert_eq!(status, 200, "{body}");
    let revoked = first["id_token"].as_str().unwrap();
    assert_eq!(refused(validate(&checked, revoked).await), "Invalid login token. Token has been revoked.");
    accepted(validate(&offline, revoked).await);
    accepted(validate(&checked, second["id_token"].as_str().unwrap()).await);

    // Disabled: every earlier token is refused, and stays so once the user is enabled again.
    let before = second["id_token"].as_str().unwrap();
    app.clock.advance_secs(2);
    app.ok("AdminDisableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(refused(validate(&checked, before).await), "Invalid login token. User is disabled.");
    app.services.users.admin_set_enabled(&f.pool.as_str().into(), &"alice".into(), true).await.unwrap();
    assert_eq!(refused(validate(&checked, before).await), "Invalid login token. Token has been revoked.");
    accepted(validate(&offline, before).await);
    app.clock.advance_secs(2);
    let fresh = tokens_via_browser(&app, &f).await;
    accepted(validate(&checked, fresh["id_token"].as_str().unwrap()).await);

    // Deleted.
    app.ok("AdminDeleteUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(
        refused(validate(&checked, fresh["id_token"].as_str().unwrap()).await),
        "Invalid login token. User does not exist."
    );
    accepted(validate(&offline, fresh["id_token"].as_str().unwrap()).await);
}

// ---------------------------------------------------------------------------------------------
// Logins: our own identity tokens
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn identity_tokens_log_in_to_the_pool_they_were_issued_for() {
    let app = TestApp::spawn().await;
    let key = "cognito-identity.amazonaws.com";
    let config = json!({"IdentityPoolName": "ids", "AllowUnauthenticatedIdentities": true});
    let amr = vec!["authenticated".to_string(), "login.example.com".to_string()];
    let token = app.services.identity_pools.issue_identity_token(IDENTITY_POOL, IDENTITY_ID, &amr, 900).await.unwrap();

    let login = accepted(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, &token).await);
    assert_eq!(login.provider, key);
    assert_eq!(login.subject, IDENTITY_ID);
    assert_eq!(login.claims["amr"], json!(amr));
    assert_eq!(
        refused(app.services.identity_pools.validate_login(OTHER_IDENTITY_POOL, &config, key, &token).await),
        AUDIENCE
    );
    let edited = with_payload(&token, |c| c["aud"] = json!(OTHER_IDENTITY_POOL));
    assert_eq!(
        refused(app.services.identity_pools.validate_login(OTHER_IDENTITY_POOL, &config, key, &edited).await),
        SIGNATURE
    );
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, "garbage").await),
        NOT_OIDC
    );

    // A user-pool ID token is not one of ours.
    let f = setup_flow(&app, false, json!({})).await;
    let id_token = tokens_via_browser(&app, &f).await["id_token"].as_str().unwrap().to_string();
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, &id_token).await),
        ISSUER_MISMATCH
    );

    app.clock.advance_secs(901);
    let message = refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, &token).await);
    assert!(message.starts_with(EXPIRED), "{message}");
    assert!(app.services.identity_pools.issue_identity_token(IDENTITY_POOL, IDENTITY_ID, &amr, 0).await.is_err());
}

// ---------------------------------------------------------------------------------------------
// Logins: OpenID Connect providers and Google
// ---------------------------------------------------------------------------------------------

/// An ID token from the fake provider, obtained as its client would: /authorize, then /token.
pub(crate) async fn fake_id_token(fake: &FakeOidc) -> String {
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let redirect_uri = "https://app.example/cb";
    let client_id = fake.client_id();
    let r = http
        .get(fake.url("/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", redirect_uri),
            ("scope", "openid email"),
            ("state", "st"),
            ("nonce", "n0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let code = query_param(&location(&r), "code").expect("code");
    let t: Value = http
        .post(fake.url("/token"))
        .basic_auth(&client_id, Some(fake.client_secret()))
        .form(&[("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", redirect_uri)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    t["id_token"].as_str().unwrap_or_else(|| panic!("no id_token: {t}")).to_string()
}

/// The `Logins` key of the fake provider: its issuer without the scheme.
fn issuer_key(fake: &FakeOidc) -> String {
    fake.issuer().trim_start_matches("http://").to_string()
}

#[tokio::test]
async fn oidc_provider_id_tokens_log_in_for_the_configured_client() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    let key = issuer_key(&fake);
    let config = json!({"SupportedLoginProviders": {key.clone(): fake.client_id()}});
    let validate = |config: Value, key: String, token: String| {
        let svc = app.services.clone();
        async move { svc.identity_pools.validate_login(IDENTITY_POOL, &config, &key, &token).await }
    };
    let token = fake_id_token(&fake).await;
    let login = accepted(validate(config.clone(), key.clone(), token.clone()).await);
    assert_eq!(login.provider, key);
    assert_eq!(login.subject, fake.user()["sub"].as_str().unwrap());
    assert_eq!(login.claims["email"], "jane@example.com");
    assert_eq!(fake.jwks_fetches(), 1, "discovery brought the keys");
    accepted(validate(config.clone(), key.clone(), token.clone()).await);
    assert_eq!(fake.jwks_fetches(), 1, "keys are cached");

    // Several client ids, comma separated.
    let several = json!({"SupportedLoginProviders": {key.clone(): format!("web.apps.example, {}", fake.client_id())}});
    accepted(validate(several, key.clone(), token.clone()).await);
    // Another client; a provider the pool does not trust; known only by its IAM ARN.
    let other = json!({"SupportedLoginProviders": {key.clone(): "someone-else.apps.example"}});
    assert_eq!(refused(validate(other, key.clone(), token.clone()).await), AUDIENCE);
    assert_eq!(refused(validate(json!({}), key.clone(), token.clone()).await), NOT_SUPPORTED);
    let by_arn = json!({"OpenIdConnectProviderARNs": [format!("arn:aws:iam::000000000000:oidc-provider/{key}")]});
    assert_eq!(refused(validate(by_arn.clone(), key.clone(), token.clone()).await), AUDIENCE);
    let mut both = by_arn;
    both["SupportedLoginProviders"] = json!({key.clone(): fake.client_id()});
    accepted(validate(both, key.clone(), token.clone()).await);
    // The key names another issuer than the token's.
    let elsewhere = format!("{key}/realms/other");
    let config2 = json!({"SupportedLoginProviders": {elsewhere.clone(): fake.client_id()}});
    assert_eq!(refused(validate(config2, elsewhere, token.clone()).await), ISSUER_MISMATCH);
    // Not a JWT at all (a Facebook token sent under an OIDC key, as SDK users do by mistake).
    assert_eq!(refused(validate(config.clone(), key.clone(), "EAAGm0PX4ZCpsBA".into()).await), NOT_OIDC);
    assert_eq!(refused(validate(config.clone(), key.clone(), with_bad_signature(&token)).await), SIGNATURE);

    // What the provider gets wrong.
    fake.set_behavior(Behavior::ForgedSignature);
    let forged = fake_id_token(&fake).await;
    assert_eq!(refused(validate(config.clone(), key.clone(), forged).await), SIGNATURE);
    fake.set_behavior(Behavior::WrongAudience);
    let misdirected = fake_id_token(&fake).await;
    assert_eq!(refused(validate(config.clone(), key.clone(), misdirected).await), AUDIENCE);
    fake.set_behavior(Behavior::WrongIssuer);
    let wrong_issuer = fake_id_token(&fake).await;
    assert_eq!(refused(validate(config.clone(), key.clone(), wrong_issuer).await), ISSUER_MISMATCH);
    fake.set_behavior(Behavior::Expired);
    let stale = fake_id_token(&fake).await;
    let message = refused(validate(config.clone(), key.clone(), stale).await);
    assert!(message.starts_with(EXPIRED), "{message}");
    fake.set_behavior(Behavior::Normal);

    // The provider rotates its key: the unknown kid fetches the keys again, once.
    let fetched = fake.jwks_fetches();
    fake.rotate_key().await;
    let rotated = fake_id_token(&fake).await;
    accepted(validate(config.clone(), key.clone(), rotated).await);
    assert_eq!(fake.jwks_fetches(), fetched + 1);
    // The old token's key is gone from the provider's set.
    assert_eq!(refused(validate(config, key, token).await), SIGNATURE);
}

#[tokio::test]
async fn an_unreachable_provider_is_an_external_failure() {
    let app = TestApp::spawn().await;
    // A port nobody listens on: bind one, learn it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let key = format!("127.0.0.1:{port}");
    let head = URL_SAFE_NO_PAD.encode(json!({"alg": "RS256", "kid": "k1"}).to_string());
    let body = URL_SAFE_NO_PAD.encode(
        json!({"iss": format!("http://{key}"), "sub": "u1", "aud": "client", "iat": 1, "exp": 4102444800i64})
            .to_string(),
    );
    let token = format!("{head}.{body}.{}", URL_SAFE_NO_PAD.encode([7u8; 256]));
    let config = json!({"SupportedLoginProviders": {key.clone(): "client"}});
    match app.services.identity_pools.validate_login(IDENTITY_POOL, &config, &key, &token).await {
        Err(LoginError::External(m)) => assert!(m.contains("discovery"), "{m}"),
        other => panic!("expected an external failure, got {other:?}"),
    }
}

#[tokio::test]
async fn google_logins_are_checked_against_the_configured_google_issuer() {
    let fake = FakeOidc::start().await;
    let issuer = fake.issuer();
    let app = TestApp::spawn_with(|c| c.google_issuer_url = issuer).await;
    let token = fake_id_token(&fake).await;
    let key = "accounts.google.com";
    let config = json!({"SupportedLoginProviders": {"accounts.google.com": fake.client_id()}});
    let login = accepted(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, &token).await);
    assert_eq!(login.provider, key);
    assert_eq!(login.subject, fake.user()["sub"].as_str().unwrap());
    let other = json!({"SupportedLoginProviders": {"accounts.google.com": "another.apps.googleusercontent.com"}});
    assert_eq!(refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &other, key, &token).await), AUDIENCE);
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &json!({}), key, &token).await),
        NOT_SUPPORTED
    );
    // The token is not from Google under any other name.
    let as_oidc = json!({"SupportedLoginProviders": {"login.example.com": fake.client_id()}});
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &as_oidc, "login.example.com", &token).await),
        ISSUER_MISMATCH
    );
}

// ---------------------------------------------------------------------------------------------
// Logins: Facebook, and what this server cannot check
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn facebook_access_tokens_log_in_for_the_configured_app() {
    let fb = FakeFacebook::start().await;
    let graph = fb.base();
    let app = TestApp::spawn_with(|c| c.facebook_graph_url = graph).await;
    let key = "graph.facebook.com";
    let config = json!({"SupportedLoginProviders": {"graph.facebook.com": fb.client_id()}});
    let token = fb.user_access_token().await;

    let login = accepted(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, &token).await);
    assert_eq!(login.provider, key);
    assert_eq!(login.subject, "10158000000000001");
    assert_eq!(fb.app_requests(), 1);
    assert_eq!(fb.last_me_fields(), Some(vec!["id".to_string()]));

    let other_app = json!({"SupportedLoginProviders": {"graph.facebook.com": "999999999999999"}});
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &other_app, key, &token).await),
        AUDIENCE
    );
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &json!({}), key, &token).await),
        NOT_SUPPORTED
    );
    let not_facebook = "Invalid login token. Not a valid Facebook access token.";
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, "EAAGnotatoken").await),
        not_facebook
    );
    assert_eq!(
        refused(app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, "two words").await),
        not_facebook
    );

    // Graph failing is the provider's failure, not the user's.
    fb.set_behavior(FacebookBehavior::MeError(500));
    match app.services.identity_pools.validate_login(IDENTITY_POOL, &config, key, &token).await {
        Err(LoginError::External(m)) => assert!(m.contains("500"), "{m}"),
        other => panic!("expected an external failure, got {other:?}"),
    }
}

#[tokio::test]
async fn providers_this_server_cannot_check_and_developer_names_are_refused() {
    let app = TestApp::spawn().await;
    let config = json!({
        "SupportedLoginProviders": {"www.amazon.com": "amzn1.application.x"},
        "DeveloperProviderName": "login.mycompany.myapp",
        "SamlProviderARNs": ["arn:aws:iam::000000000000:saml-provider/corp"],
    });
    let svc = &app.services;
    assert_eq!(
        refused(svc.identity_pools.validate_login(IDENTITY_POOL, &config, "www.amazon.com", "Atza|token").await),
        "Invalid login token. Login with Amazon logins are not supported by this server."
    );
    assert_eq!(
        refused(svc.identity_pools.validate_login(IDENTITY_POOL, &config, "api.twitter.com", "a;b").await),
        NOT_SUPPORTED
    );
    assert!(
        refused(svc.identity_pools.validate_login(IDENTITY_POOL, &config, "login.mycompany.myapp", "user-1").await)
            .contains("GetOpenIdTokenForDeveloperIdentity")
    );
    assert!(
        refused(
            svc.identity_pools
                .validate_login(IDENTITY_POOL, &config, "arn:aws:iam::000000000000:saml-provider/corp", "PHNhbWw+")
                .await
        )
        .contains("SAML")
    );
}
