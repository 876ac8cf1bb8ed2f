//! The fakes of `fake_idp` are faithful providers: a strict relying party, the `openidconnect`
//! crate, accepts the fake OpenID Connect provider and rejects each of its misbehaviours, and
//! the fake Facebook speaks Graph as Facebook does.

use crate::fake_idp::*;
use crate::helpers::*;
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata};
use openidconnect::{
    AuthType, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use serde_json::{Value, json};

const RP_CALLBACK: &str = "https://rp.example/cb";

type RpClient =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// The crate's client for the fake, from discovery.
async fn rp_client(fake: &FakeOidc, http: &openidconnect::reqwest::Client) -> RpClient {
    let issuer = IssuerUrl::new(fake.issuer()).unwrap();
    let metadata = CoreProviderMetadata::discover_async(issuer.clone(), http).await.expect("discovery");
    assert_eq!(metadata.issuer(), &issuer);
    CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(fake.client_id()),
        Some(ClientSecret::new(fake.client_secret())),
    )
    .set_redirect_uri(RedirectUrl::new(RP_CALLBACK.into()).unwrap())
}

/// One code flow of the crate against the fake, the fake consenting by itself. The ID token's
/// verified claims, or why the crate refused at the token endpoint or at verification.
async fn rp_round(
    fake: &FakeOidc,
    client: &RpClient,
    http: &openidconnect::reqwest::Client,
) -> Result<(CoreIdTokenClaims, openidconnect::AccessToken), String> {
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let r = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = r.get(url.as_str()).send().await.unwrap();
    assert_eq!(r.status(), 302, "the fake consents by itself");
    let back = location(&r);
    assert!(back.starts_with(&format!("{RP_CALLBACK}?")), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some(state.secret().as_str()));
    if let Some(error) = query_param(&back, "error") {
        return Err(format!("authorize: {error}"));
    }
    let code = query_param(&back, "code").expect("code");
    let sent = fake.last_authorize().expect("authorize recorded");
    assert_eq!(sent.get("nonce"), Some(nonce.secret()));
    assert_eq!(sent.get("code_challenge_method").map(String::as_str), Some("S256"));

    let tokens = client
        .exchange_code(AuthorizationCode::new(code.clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(http)
        .await
        .map_err(|e| format!("token: {e:?}"))?;
    assert!(fake.last_token_request().unwrap().contains_key("code_verifier"));
    let replay = client.exchange_code(AuthorizationCode::new(code)).unwrap().request_async(http).await;
    assert!(format!("{:?}", replay.expect_err("codes are single use")).contains("invalid_grant"));
    let id_token = tokens.id_token().ok_or("no ID token")?;
    let claims = id_token.claims(&client.id_token_verifier(), &nonce).map_err(|e| format!("ID token: {e:?}"))?;
    Ok((claims.clone(), tokens.access_token().clone()))
}

#[tokio::test]
async fn fake_google_is_a_valid_oidc_provider() {
    let fake = FakeOidc::start().await;
    // RFC 6749 §2.3.1: Basic credentials are form-urlencoded first; a secret that needs it.
    fake.set_client("rp-client.apps.example", "s3cret/+=:&%x");
    fake.set_user(json!({"sub": "110248495921238986420", "email": "jane@example.com", "email_verified": true,
                         "name": "Jane Doe", "given_name": "Jane"}));
    let http = rp_http();
    let client = rp_client(&fake, &http).await;
    let fetched = fake.jwks_fetches();
    assert_eq!(fetched, 1, "discovery fetched the JWKS");

    let (c, access) = rp_round(&fake, &client, &http).await.expect("a clean sign-in");
    assert_eq!(c.subject().as_str(), "110248495921238986420");
    assert_eq!(c.email().map(|e| e.as_str()), Some("jane@example.com"));
    assert_eq!(c.email_verified(), Some(true));
    assert_eq!(c.name().and_then(|n| n.get(None)).map(|n| n.as_str()), Some("Jane Doe"));
    assert!(c.auth_time().is_some());
    assert_eq!(fake.last_token_auth_method().as_deref(), Some("client_secret_basic"));
    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(access.clone(), Some(c.subject().clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.email().map(|e| e.as_str()), Some("jane@example.com"));
    let r = reqwest::Client::new().get(fake.url("/userinfo")).bearer_auth("not-a-token").send().await.unwrap();
    assert_eq!(r.status(), 401);

    // client_secret_post too.
    let post = client.clone().set_auth_type(AuthType::RequestBody);
    rp_round(&fake, &post, &http).await.expect("client_secret_post");
    assert_eq!(fake.last_token_auth_method().as_deref(), Some("client_secret_post"));

    // Each misbehaviour is one a careful relying party refuses.
    for (behavior, expect) in [
        (Behavior::Deny, "access_denied"),
        (Behavior::Expired, "Expired"),
        (Behavior::WrongAudience, "InvalidAudience"),
        (Behavior::WrongIssuer, "InvalidIssuer"),
        (Behavior::WrongNonce, "InvalidNonce"),
        (Behavior::ForgedSignature, "Signature"),
        (Behavior::NoIdToken, "no ID token"),
        (Behavior::TokenError(503), "token"),
    ] {
        fake.set_behavior(behavior.clone());
        let err = rp_round(&fake, &client, &http).await.err();
        let err = err.unwrap_or_else(|| panic!("{behavior:?} was accepted"));
        assert!(err.contains(expect), "{behavior:?}: {err}");
    }
    fake.set_behavior(Behavior::Normal);

    // A rotated key: the cached JWKS no longer verifies; a fresh discovery does.
    let old_kid = fake.kid();
    fake.rotate_key().await;
    assert_ne!(fake.kid(), old_kid);
    let err = rp_round(&fake, &client, &http).await.expect_err("the old JWKS does not know the new kid");
    assert!(err.contains("ID token"), "{err}");
    let refreshed = rp_client(&fake, &http).await;
    rp_round(&fake, &refreshed, &http).await.expect("verified with the refetched JWKS");
    assert!(fake.jwks_fetches() > fetched);

    // Unknown clients and missing redirect URIs get a page, not a redirect.
    let plain = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = plain
        .get(fake.url("/authorize?response_type=code&client_id=nobody&redirect_uri=https://rp.example/cb"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = plain.get(fake.url("/authorize?response_type=code&client_id=rp-client.apps.example")).send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn fake_facebook_speaks_graph() {
    let fb = FakeFacebook::start().await;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let dialog = |st: &str| {
        format!(
            "{}?client_id={}&redirect_uri={}&state={st}&scope=public_profile,email",
            fb.url("/dialog/oauth"),
            fb.client_id(),
            urlencode(RP_CALLBACK)
        )
    };
    let r = http.get(dialog("s1")).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let back = location(&r);
    assert_eq!(query_param(&back, "state").as_deref(), Some("s1"));
    let code = query_param(&back, "code").expect("code");
    assert_eq!(fb.last_authorize().unwrap().get("scope").map(String::as_str), Some("public_profile,email"));

    let token_url = fb.url("/oauth/access_token");
    let secret = fb.client_secret();
    let form = [
        ("client_id", fb.client_id()),
        ("client_secret", secret.clone()),
        ("redirect_uri", RP_CALLBACK.into()),
        ("code", code.clone()),
    ];
    let r = http.get(&token_url).query(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["token_type"], "bearer");
    let token = t["access_token"].as_str().unwrap().to_string();
    let r = http.post(&token_url).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 400, "codes are single use");
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["type"], "OAuthException");

    let proof: String = portcullis::crypto::hmac_sha256(secret.as_bytes(), token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let me = |fields: &str, proof: Option<&str>| {
        let mut q = vec![("fields", fields.to_string()), ("access_token", token.clone())];
        if let Some(p) = proof {
            q.push(("appsecret_proof", p.to_string()));
        }
        http.get(fb.url("/me")).query(&q).send()
    };
    let user: Value = me("id,email", Some(&proof)).await.unwrap().json().await.unwrap();
    assert_eq!(user, json!({"id": "10158000000000001", "email": "joe@example.com"}), "only the fields asked for");
    assert_eq!(fb.last_proof(), Some(Proof::Correct));
    assert_eq!(fb.last_me_fields(), Some(vec!["id".to_string(), "email".to_string()]));
    let r = me("id", Some("00ff")).await.unwrap();
    assert_eq!(r.status(), 400, "a wrong proof is always refused");
    assert_eq!(me("id", None).await.unwrap().status(), 200, "no proof is fine unless required");
    fb.require_proof(true);
    let r = me("id", None).await.unwrap();
    assert_eq!(r.status(), 400);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["error"]["message"], "Invalid appsecret_proof provided in the API argument");
    let r = http.get(fb.url("/me?fields=id")).bearer_auth(&token).query(&[("appsecret_proof", &proof)]).send().await;
    assert_eq!(r.unwrap().status(), 200, "the token as a bearer header");

    fb.set_behavior(FacebookBehavior::Deny);
    let back = location(&http.get(dialog("s2")).send().await.unwrap());
    assert_eq!(query_param(&back, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&back, "error_reason").as_deref(), Some("user_denied"));
    assert_eq!(query_param(&back, "state").as_deref(), Some("s2"));
}
