//! Federation when the upstream provider fails or misbehaves: forged, expired and misdirected ID
//! tokens, token endpoint errors, a slow or unreachable provider, Facebook's refusals, and a
//! rotated signing key. The app is told (`invalid_request`, or `access_denied` for a refusal);
//! it never answers with a server error and creates no user.

use crate::fake_idp::*;
use crate::federation_helpers::*;
use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

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
async fn bad_id_tokens_and_token_endpoint_errors_are_reported_to_the_app() {
    let rows = [
        ("a forged ID token signature", Behavior::ForgedSignature),
        ("an expired ID token", Behavior::Expired),
        ("an ID token for another audience", Behavior::WrongAudience),
        ("an ID token from another issuer", Behavior::WrongIssuer),
        ("an ID token with the wrong nonce", Behavior::WrongNonce),
        ("a token response without an ID token", Behavior::NoIdToken),
        ("a token endpoint error 400", Behavior::TokenError(400)),
        ("a token endpoint error 503", Behavior::TokenError(503)),
    ];
    for_each_row(rows, misbehaving_google).await;
}

/// A Google sign-in whose token endpoint answers after `delay_secs`: the answer to the return
/// from upstream, how long it took, and the fake and flow (to go on with).
async fn back_from_a_slow_provider(app: &TestApp, delay_secs: u64) -> (reqwest::Response, Duration, (FakeOidc, Flow)) {
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(app, &fake).await;
    fake.set_behavior(Behavior::TokenDelay(Duration::from_secs(delay_secs)));
    let browser = app.browser();
    let upstream = go_upstream(&browser, &authorize(app, &f, "identity_provider=Google")).await;
    let back = location(&browser.get(&upstream).send().await.unwrap());
    let started = std::time::Instant::now();
    let r = browser.get(&back).send().await.unwrap();
    (r, started.elapsed(), (fake, f))
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out() {
    let app = TestApp::spawn_with(|c| c.upstream_timeout_secs = 1).await;
    let (r, waited, _) = back_from_a_slow_provider(&app, 6).await;
    assert_eq!(app_error(&r), "invalid_request");
    assert!(waited < Duration::from_secs(4), "gave up after the 1 s timeout, not the provider: {waited:?}");
}

/// A request stuck past PORTCULLIS_REQUEST_TIMEOUT_MS (here a provider slower than the
/// upstream timeout allows for) is abandoned and answered 503 with Retry-After, as a page on a
/// page's path; the server goes on serving, and the same sign-in works once the provider answers.
#[tokio::test]
async fn a_request_past_its_deadline_is_answered_retry_and_the_server_goes_on() {
    let app = TestApp::spawn_with(|c| {
        c.upstream_timeout_secs = 60;
        // Long enough for the set-up (a pool's RSA keys), short beside the provider's delay.
        c.request_timeout_ms = 5000;
    })
    .await;
    let (r, waited, (fake, f)) = back_from_a_slow_provider(&app, 40).await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().get("retry-after").is_some(), "{:?}", r.headers());
    assert!(r.headers().get("x-amzn-requestid").is_some(), "{:?}", r.headers());
    assert!(r.text().await.unwrap().contains("temporarily unavailable"));
    let deadline = Duration::from_secs(5);
    assert!(waited >= deadline && waited < deadline * 2, "answered at the 5 s deadline, not after 40 s: {waited:?}");

    fake.set_behavior(Behavior::Normal);
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Google")).await;
    let c = redeem(&app, &f, &t.answer).await;
    assert_eq!(c["cognito:username"], format!("Google_{JANE_SUB}"));
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
