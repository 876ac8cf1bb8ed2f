//! Federation (issue #4): signing in through Google, Facebook and any OpenID Connect provider,
//! against the local fakes of `fake_idp`. First, that the fakes are faithful providers (a
//! strict relying party, the `openidconnect` crate, accepts the fake OIDC provider and rejects each
//! of its misbehaviours); then the flows through `/oauth2/idpresponse`.

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

fn rp_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

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

// ---------------------------------------------------------------------------------------------
// Flows through /oauth2/idpresponse
// ---------------------------------------------------------------------------------------------

const APP_STATE: &str = "APPSTATE";

/// ProviderDetails pointing a `Google` provider at the fake.
fn google_details(fake: &FakeOidc) -> Value {
    let base = fake.base();
    json!({
        "client_id": fake.client_id(), "client_secret": fake.client_secret(),
        "authorize_scopes": "openid email profile", "oidc_issuer": base,
        "authorize_url": format!("{base}/authorize"), "token_url": format!("{base}/token"),
        "attributes_url": format!("{base}/userinfo"), "jwks_uri": format!("{base}/jwks"),
    })
}

fn google_mapping() -> Value {
    json!({"email": "email", "email_verified": "email_verified", "name": "name", "username": "sub"})
}

/// ProviderDetails pointing a `Facebook` provider at the fake.
fn facebook_details(fb: &FakeFacebook) -> Value {
    let base = fb.base();
    json!({
        "client_id": fb.client_id(), "client_secret": fb.client_secret(),
        "authorize_scopes": "public_profile,email", "api_version": "v17.0",
        "authorize_url": format!("{base}/dialog/oauth"), "token_url": format!("{base}/oauth/access_token"),
        "attributes_url": format!("{base}/me?fields="),
    })
}

/// ProviderDetails of a generic OIDC provider found by discovery from `issuer`.
fn oidc_details(issuer: &str, client_id: &str, client_secret: &str) -> Value {
    json!({"client_id": client_id, "client_secret": client_secret, "authorize_scopes": "openid email",
           "oidc_issuer": issuer, "attributes_request_method": "GET"})
}

async fn create_provider(app: &TestApp, pool: &str, name: &str, kind: &str, details: Value, mapping: Value) {
    create_provider_with(
        app,
        pool,
        json!({"ProviderName": name, "ProviderType": kind,
                                           "ProviderDetails": details, "AttributeMapping": mapping}),
    )
    .await;
}

/// CreateIdentityProvider in `pool` with `request`.
async fn create_provider_with(app: &TestApp, pool: &str, mut request: Value) {
    request["UserPoolId"] = json!(pool);
    app.ok("CreateIdentityProvider", request).await;
}

/// A pool, the provider, and a public code client that may use it (and the pool's own sign-in).
async fn pool_with_provider(app: &TestApp, name: &str, kind: &str, details: Value, mapping: Value) -> Flow {
    let pool = app.create_pool(json!({})).await;
    create_provider(app, &pool, name, kind, details, mapping).await;
    client_for(app, &pool, json!(["COGNITO", name])).await
}

async fn client_for(app: &TestApp, pool: &str, providers: Value) -> Flow {
    let (client_id, secret) = app.create_client(pool, false, json!({"SupportedIdentityProviders": providers})).await;
    let (verifier, challenge) = pkce();
    Flow { pool: pool.to_string(), client_id, secret, verifier, challenge }
}

async fn google_flow(app: &TestApp, fake: &FakeOidc) -> Flow {
    pool_with_provider(app, "Google", "Google", google_details(fake), google_mapping()).await
}

/// The app's authorize URL with `extra` (e.g. `identity_provider=Google`), state `APPSTATE`.
fn authorize(app: &TestApp, f: &Flow, extra: &str) -> String {
    format!(
        "{}?response_type=code&client_id={}&redirect_uri={}&state={APP_STATE}&scope=openid+email+profile&code_challenge={}&code_challenge_method=S256&{extra}",
        app.url(&f.pool, "/oauth2/authorize"),
        f.client_id,
        urlencode(CALLBACK),
        f.challenge
    )
}

/// One upstream round trip in `browser`: the app's authorize (→ the provider), the provider
/// (→ `/oauth2/idpresponse`), and the app's answer to that.
struct Trip {
    /// The provider URL the app sent the browser to.
    upstream: String,
    /// The `/oauth2/idpresponse` URL the provider sent the browser back to.
    idpresponse: String,
    /// The app's answer at `/oauth2/idpresponse`.
    answer: reqwest::Response,
}

async fn go_upstream(browser: &reqwest::Client, authorize_url: &str) -> String {
    let r = browser.get(authorize_url).send().await.expect("authorize");
    let status = r.status();
    let upstream = location(&r);
    assert_eq!(status, 302, "authorize did not redirect: {}", r.text().await.unwrap_or_default());
    upstream
}

async fn trip(app: &TestApp, browser: &reqwest::Client, authorize_url: &str) -> Trip {
    let upstream = go_upstream(browser, authorize_url).await;
    let r = browser.get(&upstream).send().await.expect("provider");
    assert_eq!(r.status(), 302, "the provider answers with a redirect: {upstream}");
    let idpresponse = location(&r);
    assert!(idpresponse.starts_with(&format!("{}/", app.base)), "back to the app: {idpresponse}");
    let answer = browser.get(&idpresponse).send().await.expect("idpresponse");
    Trip { upstream, idpresponse, answer }
}

/// The callback URL of a redirect to the app, with the app's state.
fn to_app(r: &reqwest::Response) -> String {
    let loc = location(r);
    assert_eq!(r.status(), 302, "expected a redirect to the app, got {} to {loc:?}", r.status());
    assert!(loc.starts_with(&format!("{CALLBACK}?")), "not the app's callback: {loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), Some(APP_STATE), "the app's state comes back: {loc}");
    loc
}

/// The `error` of a redirect to the app, insisting it has a description.
fn app_error(r: &reqwest::Response) -> String {
    let loc = to_app(r);
    assert!(query_param(&loc, "code").is_none(), "an error, not a code: {loc}");
    let error = query_param(&loc, "error").unwrap_or_else(|| panic!("no error in {loc}"));
    assert!(query_param(&loc, "error_description").is_some_and(|d| !d.is_empty()), "no error_description: {loc}");
    error
}

/// Redeem the code of a redirect to the app: the ID token's claims.
async fn redeem(app: &TestApp, f: &Flow, r: &reqwest::Response) -> Value {
    let loc = to_app(r);
    let code = query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"));
    let t = f.redeem(app, &code).await;
    assert_eq!(t.status(), 200, "token redemption");
    let t: Value = t.json().await.unwrap();
    claims(t["id_token"].as_str().expect("id_token"))
}

/// A whole upstream sign-in in a fresh browser: the ID token's claims.
async fn upstream_sign_in(app: &TestApp, f: &Flow, extra: &str) -> Value {
    let t = trip(app, &app.browser(), &authorize(app, f, extra)).await;
    redeem(app, f, &t.answer).await
}

/// A user's attributes by name, from AdminGetUser.
fn attributes(user: &Value) -> std::collections::BTreeMap<String, String> {
    user["UserAttributes"]
        .as_array()
        .unwrap_or_else(|| panic!("no attributes: {user}"))
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_string(), a["Value"].as_str().unwrap().to_string()))
        .collect()
}

/// The page the app shows instead of redirecting: a client error, in HTML, not to the app.
async fn assert_error_page(r: reqwest::Response, what: &str) {
    let status = r.status().as_u16();
    let loc = location(&r);
    assert!((400..500).contains(&status), "{what}: expected a 4xx page, got {status} (location {loc:?})");
    assert!(!loc.starts_with(CALLBACK), "{what}: must not redirect to the app: {loc}");
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(ct.starts_with("text/html"), "{what}: an HTML page, got {ct:?}");
}

const JANE_SUB: &str = "110248495921238986420";

fn jane() -> Value {
    json!({"sub": JANE_SUB, "email": "jane@example.com", "email_verified": true, "name": "Jane Doe"})
}

#[tokio::test]
async fn google_sign_in_creates_an_external_user() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let t = trip(&app, &browser, &authorize(&app, &f, "identity_provider=Google")).await;

    // What went upstream.
    assert!(t.upstream.starts_with(&fake.url("/authorize?")), "{}", t.upstream);
    let sent = fake.last_authorize().expect("the fake saw /authorize");
    let idpresponse = app.url(&f.pool, "/oauth2/idpresponse");
    assert_eq!(sent.get("client_id"), Some(&fake.client_id()), "the upstream client id");
    assert_eq!(sent.get("redirect_uri"), Some(&idpresponse));
    assert_eq!(sent.get("response_type").map(String::as_str), Some("code"));
    assert_eq!(sent.get("scope").map(String::as_str), Some("openid email profile"));
    let upstream_state = sent.get("state").cloned().unwrap_or_default();
    assert!(upstream_state.len() >= 16, "an unguessable state: {upstream_state:?}");
    assert!(!upstream_state.contains(APP_STATE), "the app's state is not sent upstream");
    assert!(sent.get("nonce").is_some_and(|n| n.len() >= 16), "a nonce: {sent:?}");
    assert!(sent.get("code_challenge").is_some_and(|c| c.len() >= 43), "PKCE: {sent:?}");
    assert_eq!(sent.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert_ne!(sent.get("code_challenge"), Some(&f.challenge), "the app's PKCE stays with the app");
    assert!(t.idpresponse.starts_with(&format!("{idpresponse}?")), "{}", t.idpresponse);
    assert_eq!(fake.token_requests(), 1, "the code was redeemed upstream");

    let c = redeem(&app, &f, &t.answer).await;
    let username = format!("Google_{JANE_SUB}");
    assert_eq!(c["cognito:username"], username);
    assert_eq!(c["email"], "jane@example.com");
    assert_eq!(c["name"], "Jane Doe");
    let identities = c["identities"].as_array().unwrap_or_else(|| panic!("identities claim: {c}"));
    assert_eq!(identities.len(), 1);
    let id = &identities[0];
    assert_eq!(id["userId"], JANE_SUB);
    assert_eq!(id["providerName"], "Google");
    assert_eq!(id["providerType"], "Google");
    assert_eq!(id["issuer"], Value::Null);
    assert!(id.get("primary").is_some() && id.get("dateCreated").is_some(), "{id}");

    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": username})).await;
    assert_eq!(user["UserStatus"], "EXTERNAL_PROVIDER");
    let attrs = attributes(&user);
    assert_eq!(attrs.get("email").map(String::as_str), Some("jane@example.com"));
    assert_eq!(attrs.get("name").map(String::as_str), Some("Jane Doe"));
    assert_eq!(attrs.get("sub"), c["sub"].as_str().map(str::to_string).as_ref());
    let stored: Value = serde_json::from_str(attrs.get("identities").expect("identities attribute")).unwrap();
    assert_eq!(stored[0]["userId"], JANE_SUB);
    assert_eq!(stored[0]["providerName"], "Google");
}

#[tokio::test]
async fn idp_identifier_selects_the_provider() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let pool = app.create_pool(json!({})).await;
    let request = json!({"ProviderName": "Google", "ProviderType": "Google", "ProviderDetails": google_details(&fake),
                         "AttributeMapping": google_mapping(), "IdpIdentifiers": ["example.com"]});
    create_provider_with(&app, &pool, request).await;
    let f = client_for(&app, &pool, json!(["COGNITO", "Google"])).await;
    let c = upstream_sign_in(&app, &f, "idp_identifier=example.com").await;
    assert_eq!(c["cognito:username"], format!("Google_{JANE_SUB}"));
    assert_eq!(fake.authorize_requests(), 1);
}

#[tokio::test]
async fn a_returning_user_keeps_its_sub_and_gets_fresh_attributes() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let first = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    fake.set_user(json!({"sub": JANE_SUB, "email": "jane@example.com", "email_verified": true, "name": "Jane Smith"}));
    let second = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(second["sub"], first["sub"], "the same pool user");
    assert_eq!(second["cognito:username"], first["cognito:username"]);
    assert_eq!(second["name"], "Jane Smith", "attributes are updated at each sign-in");
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": format!("Google_{JANE_SUB}")})).await;
    assert_eq!(attributes(&user).get("name").map(String::as_str), Some("Jane Smith"));
}

#[tokio::test]
async fn a_linked_google_identity_signs_in_as_the_native_user() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let alice =
        app.create_user(&f.pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let alice_sub = attributes(&json!({"UserAttributes": alice["Attributes"]})).get("sub").cloned().expect("sub");
    app.ok(
        "AdminLinkProviderForUser",
        json!({"UserPoolId": f.pool,
               "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "alice"},
               "SourceUser": {"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject",
                              "ProviderAttributeValue": JANE_SUB}}),
    )
    .await;
    let c = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(c["cognito:username"], "alice");
    assert_eq!(c["sub"], alice_sub);
    let (status, body) =
        app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": format!("Google_{JANE_SUB}")})).await;
    assert_eq!(status, 400, "no Google_ user was created: {body}");
    assert_eq!(body["__type"], "UserNotFoundException");
}

#[tokio::test]
async fn denied_consent_goes_back_to_the_app_as_access_denied() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_behavior(Behavior::Deny);
    let f = google_flow(&app, &fake).await;
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Google")).await;
    assert_eq!(query_param(&t.idpresponse, "error").as_deref(), Some("access_denied"));
    assert_eq!(app_error(&t.answer), "access_denied");
    assert_eq!(fake.token_requests(), 0);
}

#[tokio::test]
async fn idpresponse_with_a_wrong_or_unknown_state_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let upstream = go_upstream(&browser, &authorize(&app, &f, "identity_provider=Google")).await;
    let back = location(&browser.get(&upstream).send().await.unwrap());
    let code = query_param(&back, "code").expect("code");
    let callback = app.url(&f.pool, "/oauth2/idpresponse");
    let state = query_param(&back, "state").expect("state");
    let cases = [
        ("a changed state", format!("{callback}?code={code}&state={}x", urlencode(&state))),
        ("an unknown state", format!("{callback}?code={code}&state={}", portcullis::crypto::random_token())),
        ("no state", format!("{callback}?code={code}")),
        ("the app's state", format!("{callback}?code={code}&state={APP_STATE}")),
    ];
    for (what, url) in cases {
        assert_error_page(browser.get(&url).send().await.unwrap(), what).await;
    }
    assert_eq!(fake.token_requests(), 0, "no code is redeemed for an unknown state");
}

#[tokio::test]
async fn a_replayed_idpresponse_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let t = trip(&app, &browser, &authorize(&app, &f, "identity_provider=Google")).await;
    to_app(&t.answer);
    assert_error_page(browser.get(&t.idpresponse).send().await.unwrap(), "the same answer again").await;
    assert_eq!(fake.token_requests(), 1, "the replay is refused before going upstream");
}

#[tokio::test]
async fn idpresponse_in_another_browser_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let upstream = go_upstream(&browser, &authorize(&app, &f, "identity_provider=Google")).await;
    let back = location(&browser.get(&upstream).send().await.unwrap());
    // An attacker's browser (or a plain client) brings the answer: no binding cookie.
    assert_error_page(app.browser().get(&back).send().await.unwrap(), "another browser").await;
    assert_error_page(app.http.get(&back).send().await.unwrap(), "no cookies at all").await;
    assert_eq!(fake.token_requests(), 0);
}

/// Sign in through a fake that misbehaves: the app is told `invalid_request`, never a 500.
async fn misbehaving_google(behavior: Behavior) {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    fake.set_behavior(behavior.clone());
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Google")).await;
    assert_eq!(app_error(&t.answer), "invalid_request", "{behavior:?}");
    assert_eq!(fake.token_requests(), 1, "{behavior:?}");
    let (status, body) =
        app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": format!("Google_{JANE_SUB}")})).await;
    assert_eq!(status, 400, "{behavior:?}: no user was created: {body}");
}

#[tokio::test]
async fn a_forged_id_token_signature_is_refused() {
    misbehaving_google(Behavior::ForgedSignature).await;
}

#[tokio::test]
async fn an_expired_id_token_is_refused() {
    misbehaving_google(Behavior::Expired).await;
}

#[tokio::test]
async fn an_id_token_for_another_audience_is_refused() {
    misbehaving_google(Behavior::WrongAudience).await;
}

#[tokio::test]
async fn an_id_token_from_another_issuer_is_refused() {
    misbehaving_google(Behavior::WrongIssuer).await;
}

#[tokio::test]
async fn an_id_token_with_the_wrong_nonce_is_refused() {
    misbehaving_google(Behavior::WrongNonce).await;
}

#[tokio::test]
async fn a_token_response_without_an_id_token_is_refused() {
    misbehaving_google(Behavior::NoIdToken).await;
}

#[tokio::test]
async fn token_endpoint_errors_are_reported_to_the_app() {
    misbehaving_google(Behavior::TokenError(400)).await;
    misbehaving_google(Behavior::TokenError(503)).await;
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out() {
    let app = TestApp::spawn_with(|c| c.upstream_timeout_secs = 1).await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    fake.set_behavior(Behavior::TokenDelay(std::time::Duration::from_secs(6)));
    let browser = app.browser();
    let upstream = go_upstream(&browser, &authorize(&app, &f, "identity_provider=Google")).await;
    let back = location(&browser.get(&upstream).send().await.unwrap());
    let started = std::time::Instant::now();
    let r = browser.get(&back).send().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(app_error(&r), "invalid_request");
    assert!(waited < std::time::Duration::from_secs(4), "gave up after the 1 s timeout, not the provider: {waited:?}");
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_reported_to_the_app() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let down = format!("http://127.0.0.1:{}", closed_port());
    let mut details = google_details(&fake);
    details["token_url"] = json!(format!("{down}/token"));
    details["jwks_uri"] = json!(format!("{down}/jwks"));
    details["attributes_url"] = json!(format!("{down}/userinfo"));
    let f = pool_with_provider(&app, "Google", "Google", details, google_mapping()).await;
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Google")).await;
    assert_eq!(app_error(&t.answer), "invalid_request");
}

#[tokio::test]
async fn an_unreachable_oidc_issuer_is_reported_to_the_app() {
    let app = TestApp::spawn().await;
    let down = format!("http://127.0.0.1:{}", closed_port());
    let f =
        pool_with_provider(&app, "Corp", "OIDC", oidc_details(&down, "id", "secret"), json!({"email": "email"})).await;
    let r = app.browser().get(authorize(&app, &f, "identity_provider=Corp")).send().await.unwrap();
    assert_eq!(app_error(&r), "invalid_request", "discovery failed");
}

#[tokio::test]
async fn a_rotated_upstream_key_is_fetched_again() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    upstream_sign_in(&app, &f, "identity_provider=Google").await;
    let fetched = fake.jwks_fetches();
    assert!(fetched >= 1, "the JWKS was fetched to verify the ID token");
    fake.rotate_key().await;
    let c = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(c["cognito:username"], format!("Google_{JANE_SUB}"));
    assert!(fake.jwks_fetches() > fetched, "an unknown kid makes the app fetch the JWKS again");
}

#[tokio::test]
async fn a_provider_the_client_does_not_list_is_refused() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    let f = google_flow(&app, &fake).await;
    let cognito_only = client_for(&app, &f.pool, json!(["COGNITO"])).await;
    let r = app.browser().get(authorize(&app, &cognito_only, "identity_provider=Google")).send().await.unwrap();
    assert_eq!(app_error(&r), "invalid_request");
    let r = app.browser().get(authorize(&app, &f, "identity_provider=Nobody")).send().await.unwrap();
    assert_eq!(app_error(&r), "invalid_request", "an unknown provider");
    let r = app.browser().get(authorize(&app, &f, "idp_identifier=nowhere.example")).send().await.unwrap();
    assert_eq!(app_error(&r), "invalid_request", "an unknown identifier");
    assert_eq!(fake.authorize_requests(), 0);
}

#[tokio::test]
async fn the_hosted_login_page_offers_the_clients_providers() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let login = authorize(&app, &f, "").replace("/oauth2/authorize?", "/login?");
    let browser = app.browser();
    let r = browser.get(&login).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let at = html.find("idpButton-customizable").unwrap_or_else(|| panic!("no provider button: {html}"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag_end = at + html[at..].find('>').unwrap();
    let tag = &html[tag_start..=tag_end];
    let href_at = tag.find("href=\"").unwrap_or_else(|| panic!("no href: {tag}")) + 6;
    let href = unescape(&tag[href_at..href_at + tag[href_at..].find('"').unwrap()]);
    let text_end = tag_end + 1 + html[tag_end + 1..].find('<').unwrap();
    assert_eq!(html[tag_end + 1..text_end].trim(), "Continue with Google");
    let href = if href.starts_with('/') { format!("{}{href}", app.base) } else { href };
    assert!(href.starts_with(&app.url(&f.pool, "/oauth2/authorize?")), "{href}");
    assert_eq!(query_param(&href, "identity_provider").as_deref(), Some("Google"));
    assert_eq!(query_param(&href, "client_id"), Some(f.client_id.clone()));
    assert_eq!(query_param(&href, "redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(query_param(&href, "state").as_deref(), Some(APP_STATE));
    // The button works.
    let t = trip(&app, &browser, &href).await;
    assert_eq!(redeem(&app, &f, &t.answer).await["cognito:username"], format!("Google_{JANE_SUB}"));
}

#[tokio::test]
async fn facebook_sign_in_with_appsecret_proof() {
    let app = TestApp::spawn().await;
    let fb = FakeFacebook::start().await;
    fb.require_proof(true);
    fb.set_user(json!({"id": "10158000000000001", "email": "joe@example.com", "name": "Joe Bloggs",
                       "first_name": "Joe"}));
    let f = pool_with_provider(
        &app,
        "Facebook",
        "Facebook",
        facebook_details(&fb),
        json!({"email": "email", "name": "name", "username": "id"}),
    )
    .await;
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Facebook")).await;
    let sent = fb.last_authorize().expect("the dialog was opened");
    assert_eq!(sent.get("client_id"), Some(&fb.client_id()));
    assert_eq!(sent.get("redirect_uri"), Some(&app.url(&f.pool, "/oauth2/idpresponse")));
    assert_eq!(sent.get("scope").map(String::as_str), Some("public_profile,email"));
    assert!(sent.get("state").is_some_and(|s| !s.contains(APP_STATE)));
    let c = redeem(&app, &f, &t.answer).await;
    assert_eq!(fb.last_proof(), Some(Proof::Correct), "/me carries appsecret_proof");
    let mut fields = fb.last_me_fields().expect("/me was called");
    fields.sort();
    assert_eq!(fields, ["email", "id", "name"], "the fields of the attribute mapping");
    assert_eq!(c["cognito:username"], "Facebook_10158000000000001");
    assert_eq!(c["email"], "joe@example.com");
    assert_eq!(c["name"], "Joe Bloggs");
    let id = &c["identities"][0];
    assert_eq!(id["userId"], "10158000000000001");
    assert_eq!(id["providerName"], "Facebook");
    assert_eq!(id["providerType"], "Facebook");
    assert_eq!(id["issuer"], Value::Null);
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "Facebook_10158000000000001"})).await;
    assert_eq!(user["UserStatus"], "EXTERNAL_PROVIDER");
}

#[tokio::test]
async fn facebook_refusals_and_failures_go_back_to_the_app() {
    let app = TestApp::spawn().await;
    let fb = FakeFacebook::start().await;
    let f = pool_with_provider(&app, "Facebook", "Facebook", facebook_details(&fb), json!({"email": "email"})).await;
    let url = authorize(&app, &f, "identity_provider=Facebook");
    fb.set_behavior(FacebookBehavior::Deny);
    assert_eq!(app_error(&trip(&app, &app.browser(), &url).await.answer), "access_denied");
    fb.set_behavior(FacebookBehavior::TokenError(500));
    assert_eq!(app_error(&trip(&app, &app.browser(), &url).await.answer), "invalid_request", "token endpoint");
    fb.set_behavior(FacebookBehavior::MeError(500));
    assert_eq!(app_error(&trip(&app, &app.browser(), &url).await.answer), "invalid_request", "/me");
    assert_eq!(fb.me_requests(), 1);
}

/// A generic OIDC provider configured from its issuer alone.
async fn oidc_sign_in(auth_method: Option<&str>) {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(json!({"sub": "corp-7", "email": "sam@corp.example", "email_verified": true}));
    let mut details = oidc_details(&fake.issuer(), &fake.client_id(), &fake.client_secret());
    if let Some(m) = auth_method {
        details["token_endpoint_auth_method"] = json!(m);
    }
    let f = pool_with_provider(&app, "Corp", "OIDC", details, json!({"email": "email", "username": "sub"})).await;
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Corp")).await;
    assert!(t.upstream.starts_with(&fake.url("/authorize?")), "the discovered endpoint: {}", t.upstream);
    let sent = fake.last_authorize().unwrap();
    assert_eq!(sent.get("scope").map(String::as_str), Some("openid email"));
    assert!(sent.contains_key("nonce") && sent.contains_key("code_challenge"), "{sent:?}");
    let c = redeem(&app, &f, &t.answer).await;
    assert_eq!(
        fake.last_token_auth_method().as_deref(),
        Some(auth_method.unwrap_or("client_secret_basic")),
        "client authentication at the token endpoint"
    );
    assert_eq!(c["cognito:username"], "Corp_corp-7");
    assert_eq!(c["email"], "sam@corp.example");
    let id = &c["identities"][0];
    assert_eq!(id["userId"], "corp-7");
    assert_eq!(id["providerName"], "Corp");
    assert_eq!(id["providerType"], "OIDC");
    assert_eq!(id["issuer"], fake.issuer());
}

#[tokio::test]
async fn oidc_provider_sign_in_with_client_secret_basic() {
    oidc_sign_in(None).await;
}

#[tokio::test]
async fn oidc_provider_sign_in_with_client_secret_post() {
    oidc_sign_in(Some("client_secret_post")).await;
}

#[tokio::test]
async fn one_pool_signs_in_through_another() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn().await;
    let pool_b = b.create_pool(json!({})).await;
    let idpresponse_b = b.url(&pool_b, "/oauth2/idpresponse");

    // A, upstream: a confidential client whose callback is B's idpresponse, and a user.
    let pool_a = a.create_pool(json!({})).await;
    let (client_a, secret_a) =
        a.create_client(&pool_a, true, json!({"CallbackURLs": [idpresponse_b], "AllowedOAuthFlows": ["code"]})).await;
    a.create_user(
        &pool_a,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"},
                                                      {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    let alice_a = a.ok("AdminGetUser", json!({"UserPoolId": pool_a, "Username": "alice"})).await;
    let alice_sub = attributes(&alice_a).get("sub").cloned().expect("sub");

    // B, downstream: A as an OIDC provider.
    let details = oidc_details(&a.url(&pool_a, ""), &client_a, secret_a.as_deref().expect("secret"));
    create_provider(&b, &pool_b, "Upstream", "OIDC", details, json!({"email": "email", "username": "sub"})).await;
    let f = client_for(&b, &pool_b, json!(["COGNITO", "Upstream"])).await;

    let browser = b.browser();
    let a_authorize = go_upstream(&browser, &authorize(&b, &f, "identity_provider=Upstream")).await;
    assert!(a_authorize.starts_with(&a.url(&pool_a, "/oauth2/authorize?")), "{a_authorize}");
    let r = sign_in(&browser, &a_authorize, "alice", PASSWORD).await;
    assert_eq!(r.status(), 302, "A signs alice in");
    let back = location(&r);
    assert!(back.starts_with(&format!("{idpresponse_b}?")), "A answers B: {back}");
    let answer = browser.get(&back).send().await.unwrap();
    let c = redeem(&b, &f, &answer).await;
    assert_eq!(c["cognito:username"], format!("Upstream_{alice_sub}"));
    assert_eq!(c["email"], "alice@example.com");
    assert_eq!(c["identities"][0]["issuer"], a.url(&pool_a, ""));
}
