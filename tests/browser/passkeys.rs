//! Passkeys in a real browser: Chromium's virtual authenticator (WebDriver's WebAuthn extension)
//! answers the hosted pages' ceremony (`static/passkey.js` under the pages' CSP). A password
//! sign-in is offered a passkey, adds one, goes on to the app; then "Sign in with a passkey"
//! signs the same user in. The pages are reached as `http://localhost` (a relying party must
//! be a domain, and WebAuthn needs a secure context, which localhost is).

use super::*;

#[tokio::test]
async fn a_passkey_is_added_after_sign_in_and_then_signs_in_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn_with(|c| c.public_url = c.public_url.replace("127.0.0.1", "localhost")).await;
    let callback = callback_server().await;
    let pool = app
        .create_pool(json!({"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}}))
        .await;
    app.ok(
        "SetUserPoolMfaConfig",
        json!({"UserPoolId": pool, "WebAuthnConfiguration": {"RelyingPartyId": "localhost"}}),
    )
    .await;
    let (client, _) = app.create_client(&pool, false, json!({"CallbackURLs": [callback]})).await;
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let driver = Driver::start().await;
    let authenticator = driver
        .cmd_ok(
            reqwest::Method::POST,
            "/webauthn/authenticator",
            Some(json!({"protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                        "hasUserVerification": true, "isUserVerified": true, "isUserConsenting": true})),
        )
        .await;
    let authenticator = authenticator.as_str().expect("an authenticator id").to_string();
    // The app's own address only (the callback stays where the client registered it).
    let (loopback, localhost_base) =
        (format!("http://127.0.0.1:{}", app.port), format!("http://localhost:{}", app.port));
    let localhost = |u: String| u.replacen(&loopback, &localhost_base, 1);

    // A password sign-in, then the offer: add a passkey, then on to the app.
    let (verifier, challenge) = pkce();
    let authorize = localhost(authorize_url(&app, &pool, &client, &callback, "p1", &challenge));
    driver.goto(&authorize).await;
    driver.wait_for_url(&localhost(app.url(&pool, "/login"))).await;
    driver.screenshot("passkey-login").await;
    driver.type_into("input[name=username]", "alice").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.wait_for_url(&localhost(app.url(&pool, "/passkeys"))).await;
    driver.screenshot("passkey-offer").await;
    driver.click("#add-passkey-button").await;
    let added = driver.text("p.notice").await;
    assert_eq!(added, "The passkey was added.");
    driver.screenshot("passkey-added").await;
    let stored = driver
        .cmd_ok(reqwest::Method::GET, &format!("/webauthn/authenticator/{authenticator}/credentials"), None)
        .await;
    assert_eq!(stored.as_array().map(Vec::len), Some(1), "{stored}");
    driver.click("#continue-link").await;
    let landed = driver.wait_for_url(&callback).await;
    let code = query_param(&landed, "code").expect("code on the callback");
    redeem(&app, &pool, &client, &callback, &code, &verifier).await;

    // Signing in again (prompt=login asks despite the session): with the passkey.
    let (verifier, challenge) = pkce();
    let authorize = localhost(authorize_url(&app, &pool, &client, &callback, "p2", &challenge)) + "&prompt=login";
    driver.goto(&authorize).await;
    driver.wait_for_url(&localhost(app.url(&pool, "/login"))).await;
    driver.type_into("input[name=username]", "alice").await;
    driver.click("#passkey-sign-in").await;
    driver.find("#passkey-button").await;
    driver.screenshot("passkey-sign-in").await;
    driver.click("#passkey-button").await;
    let landed = driver.wait_for_url(&callback).await;
    assert_eq!(query_param(&landed, "state").as_deref(), Some("p2"));
    let code = query_param(&landed, "code").expect("code on the callback");
    let tokens = redeem(&app, &pool, &client, &callback, &code, &verifier).await;
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["cognito:username"], "alice");
    let credentials = driver
        .cmd_ok(reqwest::Method::GET, &format!("/webauthn/authenticator/{authenticator}/credentials"), None)
        .await;
    assert!(credentials[0]["signCount"].as_u64().unwrap_or(0) >= 1, "the assertion counted: {credentials}");
}
