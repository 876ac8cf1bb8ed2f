//! What the federation tests (`federation*`) share: upstream providers pointed at the fakes of
//! `fake_idp`, the app's authorize URL, one upstream round trip through
//! `/oauth2/idpresponse`, and reading what the app answered.

use crate::fake_idp::*;
use crate::helpers::*;
use serde_json::{Value, json};

pub const APP_STATE: &str = "APPSTATE";

/// ProviderDetails pointing a `Google` provider at the fake.
pub fn google_details(fake: &FakeOidc) -> Value {
    let base = fake.base();
    json!({
        "client_id": fake.client_id(), "client_secret": fake.client_secret(),
        "authorize_scopes": "openid email profile", "oidc_issuer": base,
        "authorize_url": format!("{base}/authorize"), "token_url": format!("{base}/token"),
        "attributes_url": format!("{base}/userinfo"), "jwks_uri": format!("{base}/jwks"),
    })
}

pub fn google_mapping() -> Value {
    json!({"email": "email", "email_verified": "email_verified", "name": "name", "username": "sub"})
}

/// ProviderDetails pointing a `Facebook` provider at the fake.
pub fn facebook_details(fb: &FakeFacebook) -> Value {
    let base = fb.base();
    json!({
        "client_id": fb.client_id(), "client_secret": fb.client_secret(),
        "authorize_scopes": "public_profile,email", "api_version": "v17.0",
        "authorize_url": format!("{base}/dialog/oauth"), "token_url": format!("{base}/oauth/access_token"),
        "attributes_url": format!("{base}/me?fields="),
    })
}

/// ProviderDetails of a generic OIDC provider found by discovery from `issuer`.
pub fn oidc_details(issuer: &str, client_id: &str, client_secret: &str) -> Value {
    json!({"client_id": client_id, "client_secret": client_secret, "authorize_scopes": "openid email",
           "oidc_issuer": issuer, "attributes_request_method": "GET"})
}

pub async fn create_provider(app: &TestApp, pool: &str, name: &str, kind: &str, details: Value, mapping: Value) {
    create_provider_with(
        app,
        pool,
        json!({"ProviderName": name, "ProviderType": kind,
                                           "ProviderDetails": details, "AttributeMapping": mapping}),
    )
    .await;
}

/// CreateIdentityProvider in `pool` with `request`.
pub async fn create_provider_with(app: &TestApp, pool: &str, mut request: Value) {
    request["UserPoolId"] = json!(pool);
    app.ok("CreateIdentityProvider", request).await;
}

/// A pool, the provider, and a public code client that may use it (and the pool's own sign-in).
pub async fn pool_with_provider(app: &TestApp, name: &str, kind: &str, details: Value, mapping: Value) -> Flow {
    let pool = app.create_pool(json!({})).await;
    create_provider(app, &pool, name, kind, details, mapping).await;
    client_for(app, &pool, json!(["COGNITO", name])).await
}

pub async fn client_for(app: &TestApp, pool: &str, providers: Value) -> Flow {
    let (client_id, secret) = app.create_client(pool, false, json!({"SupportedIdentityProviders": providers})).await;
    let (verifier, challenge) = pkce();
    Flow { pool: pool.to_string(), client_id, secret, verifier, challenge }
}

pub async fn google_flow(app: &TestApp, fake: &FakeOidc) -> Flow {
    pool_with_provider(app, "Google", "Google", google_details(fake), google_mapping()).await
}

/// The app's authorize URL with `extra` (e.g. `identity_provider=Google`), state `APPSTATE`.
pub fn authorize(app: &TestApp, f: &Flow, extra: &str) -> String {
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
pub struct Trip {
    /// The provider URL the app sent the browser to.
    pub upstream: String,
    /// The `/oauth2/idpresponse` URL the provider sent the browser back to.
    pub idpresponse: String,
    /// The app's answer at `/oauth2/idpresponse`.
    pub answer: reqwest::Response,
}

pub async fn go_upstream(browser: &reqwest::Client, authorize_url: &str) -> String {
    let r = browser.get(authorize_url).send().await.expect("authorize");
    let status = r.status();
    let upstream = location(&r);
    assert_eq!(status, 302, "authorize did not redirect: {}", r.text().await.unwrap_or_default());
    upstream
}

pub async fn trip(app: &TestApp, browser: &reqwest::Client, authorize_url: &str) -> Trip {
    let upstream = go_upstream(browser, authorize_url).await;
    let r = browser.get(&upstream).send().await.expect("provider");
    assert_eq!(r.status(), 302, "the provider answers with a redirect: {upstream}");
    let idpresponse = location(&r);
    assert!(idpresponse.starts_with(&format!("{}/", app.base)), "back to the app: {idpresponse}");
    let answer = browser.get(&idpresponse).send().await.expect("idpresponse");
    Trip { upstream, idpresponse, answer }
}

/// The callback URL of a redirect to the app, with the app's state.
pub fn to_app(r: &reqwest::Response) -> String {
    let loc = location(r);
    assert_eq!(r.status(), 302, "expected a redirect to the app, got {} to {loc:?}", r.status());
    assert!(loc.starts_with(&format!("{CALLBACK}?")), "not the app's callback: {loc}");
    assert_eq!(query_param(&loc, "state").as_deref(), Some(APP_STATE), "the app's state comes back: {loc}");
    loc
}

/// The `error` of a redirect to the app, insisting it has a description.
pub fn app_error(r: &reqwest::Response) -> String {
    let loc = to_app(r);
    assert!(query_param(&loc, "code").is_none(), "an error, not a code: {loc}");
    let error = query_param(&loc, "error").unwrap_or_else(|| panic!("no error in {loc}"));
    assert!(query_param(&loc, "error_description").is_some_and(|d| !d.is_empty()), "no error_description: {loc}");
    error
}

/// Redeem the code of a redirect to the app: the ID token's claims.
pub async fn redeem(app: &TestApp, f: &Flow, r: &reqwest::Response) -> Value {
    let loc = to_app(r);
    let code = query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"));
    let t = f.redeem(app, &code).await;
    assert_eq!(t.status(), 200, "token redemption");
    let t: Value = t.json().await.unwrap();
    claims(t["id_token"].as_str().expect("id_token"))
}

/// A whole upstream sign-in in a fresh browser: the ID token's claims.
pub async fn upstream_sign_in(app: &TestApp, f: &Flow, extra: &str) -> Value {
    let t = trip(app, &app.browser(), &authorize(app, f, extra)).await;
    redeem(app, f, &t.answer).await
}

/// A user's attributes by name, from AdminGetUser.
pub fn attributes(user: &Value) -> std::collections::BTreeMap<String, String> {
    user["UserAttributes"]
        .as_array()
        .unwrap_or_else(|| panic!("no attributes: {user}"))
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_string(), a["Value"].as_str().unwrap().to_string()))
        .collect()
}

/// The page the app shows instead of redirecting: a client error, in HTML, not to the app.
pub async fn assert_error_page(r: reqwest::Response, what: &str) {
    let status = r.status().as_u16();
    let loc = location(&r);
    assert!((400..500).contains(&status), "{what}: expected a 4xx page, got {status} (location {loc:?})");
    assert!(!loc.starts_with(CALLBACK), "{what}: must not redirect to the app: {loc}");
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(ct.starts_with("text/html"), "{what}: an HTML page, got {ct:?}");
}

pub const JANE_SUB: &str = "110248495921238986420";

pub fn jane() -> Value {
    json!({"sub": JANE_SUB, "email": "jane@example.com", "email_verified": true, "name": "Jane Doe"})
}
