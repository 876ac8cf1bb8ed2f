//! A strict OpenID Connect relying party (the `openidconnect` crate) against a pool: discovery,
//! the code flow with PKCE and nonce, ID token validation, userinfo, refresh and revocation.

use crate::helpers::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenVerifier, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Value, json};
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq)]
enum ClientAuth {
    /// Confidential client, client_secret_basic (the crate's default).
    Basic,
    /// Confidential client, client_secret_post.
    Post,
    /// Public client: no secret, PKCE only.
    Public,
}

/// Register the pool with the crate from its issuer alone, sign alice in through the hosted
/// page, and check everything a careful relying party checks.
async fn relying_party_signs_in(auth: ClientAuth) {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, auth != ClientAuth::Public, json!({})).await;
    // Profile attributes whose OIDC types differ from Cognito's strings.
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": f.pool, "Username": "alice", "UserAttributes": [
            {"Name": "updated_at", "Value": "1700000000"}, {"Name": "address", "Value": "1 Main St, Springfield"},
            {"Name": "birthdate", "Value": "1990-02-03"}, {"Name": "given_name", "Value": "Al"},
            {"Name": "locale", "Value": "en-GB"}]}),
    )
    .await;
    let http = rp_http();
    let issuer = IssuerUrl::new(app.url(&f.pool, "")).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer.clone(), &http).await.expect("discovery");
    assert_eq!(metadata.issuer(), &issuer, "the issuer matches exactly");
    assert!(!metadata.jwks().keys().is_empty(), "keys fetched from jwks_uri");
    // The crate's core metadata has no revocation_endpoint; it is read from the document.
    let discovery: Value =
        app.http.get(app.url(&f.pool, "/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let mut client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(f.client_id.clone()),
        f.secret.clone().map(ClientSecret::new),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.to_string()).unwrap());
    if auth == ClientAuth::Post {
        client = client.set_auth_type(AuthType::RequestBody);
    }

    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(url.as_str().starts_with(&app.url(&f.pool, "/oauth2/authorize?")), "{url}");
    assert_eq!(query_param(url.as_str(), "code_challenge_method").as_deref(), Some("S256"));

    let browser = app.browser();
    let r = sign_in(&browser, url.as_str(), "alice", PASSWORD).await;
    assert_eq!(r.status(), 302);
    let callback = location(&r);
    assert!(callback.starts_with(&format!("{CALLBACK}?")), "{callback}");
    assert_eq!(query_param(&callback, "state").as_deref(), Some(state.secret().as_str()), "state comes back");
    let code = query_param(&callback, "code").expect("code");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .expect("token endpoint known")
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("code exchange ({auth:?}) failed: {e:?}"));
    assert!(tokens.refresh_token().is_some());
    assert_eq!(tokens.expires_in().map(|d| d.as_secs()), Some(3600));
    let scopes: BTreeSet<String> = tokens.scopes().into_iter().flatten().map(|s| s.to_string()).collect();
    assert!(scopes.is_empty() || scopes.contains("openid"), "{scopes:?}");

    // The ID token: signature through the JWKS, iss, aud, exp, nonce, at_hash.
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let c = id_token.claims(&verifier, &nonce).unwrap_or_else(|e| panic!("ID token rejected: {e:?}"));
    assert_eq!(c.issuer(), &issuer);
    assert_eq!(c.audiences(), &[openidconnect::Audience::new(f.client_id.clone())]);
    assert_eq!(c.nonce().map(|n| n.secret()), Some(nonce.secret()));
    assert_eq!(c.email().map(|e| e.as_str()), Some("alice@example.com"));
    assert_eq!(c.email_verified(), Some(true));
    assert_eq!(c.name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("Alice"));
    assert!(c.auth_time().is_some());
    assert_eq!(c.updated_at().map(|t| t.timestamp()), Some(1_700_000_000), "updated_at is a number");
    let address = c.address().and_then(|a| a.formatted.as_ref()).map(|f| f.as_str());
    assert_eq!(address, Some("1 Main St, Springfield"), "address is an object");
    assert_eq!(c.birthdate().map(|b| b.as_str()), Some("1990-02-03"));
    assert_eq!(c.given_name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("Al"));
    assert_eq!(c.locale().map(|l| l.as_str()), Some("en-GB"));
    let expected_hash = c.access_token_hash().expect("at_hash");
    let actual = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(&actual, expected_hash, "at_hash binds the access token");
    let other = AccessTokenHash::from_token(
        &AccessToken::new("another-token".into()),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_ne!(&other, expected_hash);

    // The same token fails a verifier with the wrong nonce, audience or issuer.
    assert!(id_token.claims(&verifier, &Nonce::new("another".into())).is_err(), "nonce is checked");
    let jwks = verifier_jwks(&app, &f.pool, &http).await;
    let wrong_aud = CoreIdTokenVerifier::new_public_client(ClientId::new("someone-else".into()), issuer.clone(), jwks);
    assert!(id_token.claims(&wrong_aud, &nonce).is_err(), "aud is checked");
    let other_pool = app.create_pool(json!({})).await;
    let wrong_iss = CoreIdTokenVerifier::new_public_client(
        ClientId::new(f.client_id.clone()),
        IssuerUrl::new(app.url(&other_pool, "")).unwrap(),
        verifier_jwks(&app, &other_pool, &http).await,
    );
    assert!(id_token.claims(&wrong_iss, &nonce).is_err(), "another pool's keys and issuer do not accept it");

    // userInfo through the crate, bound to the ID token's subject.
    let info: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), Some(c.subject().clone()))
        .expect("userinfo endpoint known")
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("userinfo failed: {e:?}"));
    assert_eq!(info.subject(), c.subject());
    assert_eq!(info.email().map(|e| e.as_str()), Some("alice@example.com"));
    assert_eq!(info.email_verified(), Some(true));
    assert_eq!(info.updated_at().map(|t| t.timestamp()), Some(1_700_000_000));
    assert_eq!(info.address().and_then(|a| a.formatted.as_ref()).map(|f| f.as_str()), Some("1 Main St, Springfield"));

    // Refresh through the crate: a new ID token that verifies (no nonce), same subject and auth_time.
    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .expect("token endpoint known")
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("refresh failed: {e:?}"));
    let rc = refreshed
        .id_token()
        .expect("ID token on refresh")
        .claims(&verifier, |n: Option<&Nonce>| if n.is_none() { Ok(()) } else { Err("unexpected nonce".into()) })
        .unwrap_or_else(|e| panic!("refreshed ID token rejected: {e:?}"));
    assert_eq!(rc.subject(), c.subject());
    assert_eq!(rc.auth_time(), c.auth_time());

    // Revocation (RFC 7009) with the same client authentication. The crate refuses to revoke
    // over plain http, which the loopback test server speaks, so this request is made by hand.
    let mut revoke = app.http.post(discovery["revocation_endpoint"].as_str().unwrap());
    let mut form = vec![("token", tokens.refresh_token().unwrap().secret().clone())];
    match (auth, &f.secret) {
        (ClientAuth::Basic, Some(secret)) => revoke = revoke.basic_auth(&f.client_id, Some(secret)),
        (_, Some(secret)) => {
            form.push(("client_id", f.client_id.clone()));
            form.push(("client_secret", secret.clone()));
        }
        (_, None) => form.push(("client_id", f.client_id.clone())),
    }
    let r = revoke.form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let after = client.user_info(refreshed.access_token().clone(), None).unwrap().request_async(&http).await
        as Result<CoreUserInfoClaims, _>;
    assert!(after.is_err(), "tokens minted from a revoked refresh token are refused");
    let again = client.exchange_refresh_token(tokens.refresh_token().unwrap()).unwrap().request_async(&http).await;
    assert!(again.is_err());
    // The code was used once.
    let replay = client.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(&http).await;
    assert!(replay.is_err());
}

async fn verifier_jwks(
    app: &TestApp,
    pool: &str,
    http: &openidconnect::reqwest::Client,
) -> openidconnect::JsonWebKeySet<openidconnect::core::CoreJsonWebKey> {
    let url = openidconnect::JsonWebKeySetUrl::new(app.url(pool, "/.well-known/jwks.json")).unwrap();
    openidconnect::JsonWebKeySet::fetch_async(&url, http).await.expect("jwks")
}

#[tokio::test]
async fn relying_party_with_each_client_authentication() {
    let rows = [
        ("client_secret_basic", ClientAuth::Basic),
        ("client_secret_post", ClientAuth::Post),
        ("a public client with PKCE only", ClientAuth::Public),
    ];
    for_each_row(rows, relying_party_signs_in).await;
}

#[tokio::test]
async fn a_confidential_client_cannot_skip_its_secret() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, true, json!({})).await;
    let http = rp_http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.url(&f.pool, "")).unwrap(), &http).await.unwrap();
    // The crate used as if the client were public: no secret is sent.
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new(f.client_id.clone()), None)
        .set_redirect_uri(RedirectUrl::new(CALLBACK.to_string()).unwrap());
    let (challenge, pkce_verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, _) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let r = sign_in(&app.browser(), url.as_str(), "alice", PASSWORD).await;
    let code = query_param(&location(&r), "code").expect("code");
    let res = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(pkce_verifier)
        .request_async(&http)
        .await;
    let err = format!("{:?}", res.expect_err("a code of a confidential client needs its secret"));
    assert!(err.contains("invalid_client") || err.contains("InvalidClient"), "{err}");
}

#[tokio::test]
async fn discovery_document_is_complete_consistent_and_reachable() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"Schema": [{"Name": "tier", "AttributeDataType": "String"}]})).await;
    let issuer = app.url(&pool, "");
    let r = app.http.get(app.url(&pool, "/.well-known/openid-configuration")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["issuer"], issuer);

    let strings = |k: &str| -> BTreeSet<String> {
        d[k].as_array()
            .unwrap_or_else(|| panic!("{k} is a list: {d}"))
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect()
    };
    let endpoints = [
        ("authorization_endpoint", "/oauth2/authorize"),
        ("token_endpoint", "/oauth2/token"),
        ("userinfo_endpoint", "/oauth2/userInfo"),
        ("jwks_uri", "/.well-known/jwks.json"),
        ("revocation_endpoint", "/oauth2/revoke"),
        ("end_session_endpoint", "/logout"),
    ];
    for (field, path) in endpoints {
        assert_eq!(d[field], format!("{issuer}{path}"), "{field} under the issuer");
    }
    assert!(strings("response_types_supported").contains("code"));
    assert_eq!(strings("subject_types_supported"), ["public".to_string()].into());
    assert_eq!(d["id_token_signing_alg_values_supported"], json!(["RS256"]));
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]), "no plain PKCE");
    let scopes = strings("scopes_supported");
    for s in ["openid", "email", "phone", "profile"] {
        assert!(scopes.contains(s), "{s}");
    }
    let auth_methods = strings("token_endpoint_auth_methods_supported");
    for m in ["client_secret_basic", "client_secret_post", "none"] {
        assert!(auth_methods.contains(m), "{m}: public clients and both secret methods work");
    }
    let grants = strings("grant_types_supported");
    for g in ["authorization_code", "refresh_token", "client_credentials"] {
        assert!(grants.contains(g), "{g}");
    }
    assert_eq!(
        grants.contains("implicit"),
        strings("response_types_supported").contains("token"),
        "implicit grant iff response_type token"
    );
    let claims_supported = strings("claims_supported");
    for c in ["sub", "iss", "aud", "exp", "iat", "email", "email_verified", "cognito:username", "custom:tier"] {
        assert!(claims_supported.contains(c), "{c} in claims_supported");
    }

    // Every endpoint answers (a client error without its parameters), none is missing.
    for (field, _) in endpoints {
        let url = d[field].as_str().unwrap();
        let r = if matches!(field, "token_endpoint" | "revocation_endpoint") {
            app.http.post(url).form(&[("grant_type", "authorization_code")]).send().await.unwrap()
        } else {
            app.http.get(url).send().await.unwrap()
        };
        let status = r.status().as_u16();
        assert_ne!(status, 404, "{field} {url}");
        assert!(status < 500, "{field} {url} answered {status}");
        if field == "jwks_uri" {
            assert_eq!(status, 200);
        }
    }

    // The document promises what tokens and userinfo actually carry.
    let (client_id, _) = app.create_client(&pool, false, json!({})).await;
    app.create_user(
        &pool,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"},
               {"Name": "name", "Value": "Alice"}, {"Name": "custom:tier", "Value": "gold"}]),
    )
    .await;
    app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": "g", "RoleArn": "arn:aws:iam::000000000000:role/G"}))
        .await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": "alice", "GroupName": "g"})).await;
    let (verifier, challenge) = pkce();
    let f = Flow { pool: pool.clone(), client_id, secret: None, verifier, challenge };
    let t = tokens_via_browser(&app, &f).await;
    let id = claims(t["id_token"].as_str().unwrap());
    let info: Value = app
        .http
        .get(d["userinfo_endpoint"].as_str().unwrap())
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["custom:tier"], "gold");
    for (source, claims) in [("ID token", &id), ("userinfo", &info)] {
        for name in claims.as_object().unwrap().keys() {
            assert!(claims_supported.contains(name), "{source} claim {name} is not in claims_supported");
        }
    }

    // The crate accepts the document as is.
    CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.clone()).unwrap(), &rp_http()).await.expect("discovery");
    // Another pool's document names its own issuer; an unknown pool has none.
    let other = app.create_pool(json!({})).await;
    let od: Value =
        app.http.get(app.url(&other, "/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(od["issuer"], app.url(&other, ""));
    let r =
        app.http.get(format!("{}/local_nosuchpool/.well-known/openid-configuration", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
}
