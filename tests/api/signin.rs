//! The hosted sign-in page over HTTP: usernames and aliases, what the page says on failure
//! (without revealing whether an account exists), lockout (§3.1) shared with InitiateAuth, and
//! temporary passwords. The session it starts is in `hosted_session.rs`.

use crate::helpers::*;
use serde_json::{Value, json};

const WRONG: &str = "Wrong-pass-1";
const INCORRECT: &str = "Incorrect username or password.";
const EXCEEDED: &str = "Password attempts exceeded";

/// A pool with `pool_extra` settings and a public code/implicit client, no users.
async fn flow_in(app: &TestApp, pool_extra: Value) -> Flow {
    let pool = app.create_pool(pool_extra).await;
    let (client_id, secret) = app.create_client(&pool, false, json!({})).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

/// A failed sign-in page: 400, the message shown, no redirect and no session.
async fn refused(r: reqwest::Response, message: &str) -> String {
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    assert!(set_cookie(&r, "portcullis_session").is_none(), "a refused sign-in set a session");
    let html = r.text().await.unwrap();
    assert!(html.contains(message), "page lacks {message:?}: {html}");
    html
}

async fn set_status(app: &TestApp, pool_id: &str, username: &str, status: &str) {
    let pool = app.services.directory.pool(&pool_id.into()).await.unwrap();
    let mut user = app.services.users.find_user(&pool, &username.into()).await.unwrap().expect("user");
    user.status = status.into();
    app.services.users.save_user(&pool, &user).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Usernames and aliases

#[tokio::test]
async fn signs_in_with_a_verified_email_alias() {
    let app = TestApp::spawn().await;
    let f = flow_in(&app, json!({"AliasAttributes": ["email"]})).await;
    app.create_user(
        &f.pool,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    app.create_user(&f.pool, "bob", PASSWORD, json!([{"Name": "email", "Value": "bob@example.com"}])).await;

    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice@example.com", PASSWORD).await;
    let id = id_claims(&app, &f, &callback_code(&r)).await;
    assert_eq!(id["cognito:username"], "alice");
    // An unverified email is not an alias.
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "bob@example.com", PASSWORD).await;
    refused(r, INCORRECT).await;
}

#[tokio::test]
async fn signs_in_with_the_email_when_email_is_the_username() {
    let app = TestApp::spawn().await;
    let f = flow_in(&app, json!({"UsernameAttributes": ["email"]})).await;
    app.create_user(&f.pool, "carol@example.com", PASSWORD, json!([])).await;
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "carol@example.com", PASSWORD).await;
    let id = id_claims(&app, &f, &callback_code(&r)).await;
    assert_eq!(id["email"], "carol@example.com");
    assert_eq!(id["cognito:username"], id["sub"], "the stored username is the sub, as in Cognito");
}

#[tokio::test]
async fn usernames_and_aliases_are_case_insensitive_when_the_pool_is() {
    let app = TestApp::spawn().await;
    let f =
        flow_in(&app, json!({"UsernameConfiguration": {"CaseSensitive": false}, "AliasAttributes": ["email"]})).await;
    app.create_user(
        &f.pool,
        "Alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "Alice@Example.com"}, {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    for typed in ["aLICE", "alice@EXAMPLE.COM"] {
        let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), typed, PASSWORD).await;
        let id = id_claims(&app, &f, &callback_code(&r)).await;
        assert_eq!(id["cognito:username"], "Alice", "the username keeps the case it was created with");
    }
}

#[tokio::test]
async fn usernames_are_case_sensitive_when_set_and_by_api_default() {
    let app = TestApp::spawn().await;
    // cognito.md §3.3: CaseSensitive defaults to true through the API (false only in the console).
    for pool_extra in [json!({"UsernameConfiguration": {"CaseSensitive": true}}), json!({})] {
        let f = flow_in(&app, pool_extra).await;
        app.create_user(&f.pool, "Alice", PASSWORD, json!([])).await;
        refused(sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await, INCORRECT).await;
        callback_code(&sign_in(&app.browser(), &f.authorize_url(&app, ""), "Alice", PASSWORD).await);
    }
}

// ---------------------------------------------------------------------------------------------
// What a refused sign-in says

#[tokio::test]
async fn a_disabled_user_with_the_right_password_is_told_so() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.ok("AdminDisableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    refused(r, "User is disabled.").await;
}

#[tokio::test]
async fn an_unconfirmed_user_with_the_right_password_is_sent_to_confirm_without_a_session() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    set_status(&app, &f.pool, "alice", "UNCONFIRMED").await;
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert_eq!(r.status(), 302);
    assert!(location(&r).contains("/confirm?"), "{}", location(&r));
    assert!(set_cookie(&r, "portcullis_session").is_none(), "no session before confirmation");
}

#[tokio::test]
async fn a_wrong_password_reads_the_same_whatever_the_account_or_its_state() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.create_user(&f.pool, "dave", PASSWORD, json!([])).await;
    app.ok("AdminDisableUser", json!({"UserPoolId": f.pool, "Username": "dave"})).await;
    app.create_user(&f.pool, "erin", PASSWORD, json!([])).await;
    set_status(&app, &f.pool, "erin", "UNCONFIRMED").await;

    let b = app.browser();
    let mut pages = Vec::new();
    for user in ["alice", "nobody", "dave", "erin"] {
        let html = refused(sign_in(&b, &f.authorize_url(&app, ""), user, WRONG).await, INCORRECT).await;
        // Only the CSRF field and the echoed username may differ.
        let normalised =
            html.replace(&hidden(&html, "_csrf"), "CSRF").replace(&format!("value=\"{user}\""), "value=\"USERNAME\"");
        pages.push((user, normalised));
    }
    for (user, page) in &pages[1..] {
        assert_eq!(page, &pages[0].1, "{user}'s page differs from a wrong password for an existing user");
    }
}

// ---------------------------------------------------------------------------------------------
// Lockout (§3.1)

#[tokio::test]
async fn five_failures_lock_out_even_the_right_password_until_the_lock_expires() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    let b = app.browser();
    for _ in 0..5 {
        refused(sign_in(&b, &f.authorize_url(&app, ""), "alice", WRONG).await, INCORRECT).await;
    }
    refused(sign_in(&b, &f.authorize_url(&app, ""), "alice", PASSWORD).await, EXCEEDED).await;
    app.clock.advance_secs(1);
    callback_code(&sign_in(&b, &f.authorize_url(&app, ""), "alice", PASSWORD).await);
}

#[tokio::test]
async fn attempts_during_a_lockout_do_not_extend_it_and_each_further_failure_doubles_it() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    let b = app.browser();
    let url = f.authorize_url(&app, "");
    for _ in 0..5 {
        refused(sign_in(&b, &url, "alice", WRONG).await, INCORRECT).await;
    }
    // Locked for 1 s: further attempts are refused and not counted.
    for _ in 0..3 {
        refused(sign_in(&b, &url, "alice", WRONG).await, EXCEEDED).await;
    }
    app.clock.advance_secs(1);
    // The sixth counted failure locks for 2 s.
    refused(sign_in(&b, &url, "alice", WRONG).await, INCORRECT).await;
    app.clock.advance_secs(1);
    refused(sign_in(&b, &url, "alice", PASSWORD).await, EXCEEDED).await;
    app.clock.advance_secs(1);
    callback_code(&sign_in(&b, &url, "alice", PASSWORD).await);
}

#[tokio::test]
async fn the_failure_count_restarts_after_fifteen_quiet_minutes() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    let b = app.browser();
    let url = f.authorize_url(&app, "");
    for _ in 0..4 {
        refused(sign_in(&b, &url, "alice", WRONG).await, INCORRECT).await;
    }
    app.clock.advance_secs(901);
    for _ in 0..4 {
        refused(sign_in(&b, &url, "alice", WRONG).await, INCORRECT).await;
    }
    callback_code(&sign_in(&b, &url, "alice", PASSWORD).await);
}

#[tokio::test]
async fn lockout_is_shared_with_initiate_auth() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    let b = app.browser();
    for _ in 0..3 {
        refused(sign_in(&b, &f.authorize_url(&app, ""), "alice", WRONG).await, INCORRECT).await;
    }
    for _ in 0..2 {
        let (status, body) = initiate_auth(&app, &f.client_id, "alice", WRONG).await;
        assert_eq!(
            (status, body["__type"].as_str(), body["message"].as_str()),
            (400, Some("NotAuthorizedException"), Some(INCORRECT))
        );
    }
    let (status, body) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(
        (status, body["__type"].as_str(), body["message"].as_str()),
        (400, Some("NotAuthorizedException"), Some(EXCEEDED))
    );
    refused(sign_in(&b, &f.authorize_url(&app, ""), "alice", PASSWORD).await, EXCEEDED).await;
    app.clock.advance_secs(1);
    let (status, body) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["AuthenticationResult"]["AccessToken"].is_string());
}

// ---------------------------------------------------------------------------------------------
// Temporary passwords (FORCE_CHANGE_PASSWORD)

async fn create_with_temporary_password(app: &TestApp, pool: &str) {
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "tina", "TemporaryPassword": "Temp-Pass-1x", "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "email", "Value": "tina@example.com"}]}),
    )
    .await;
}

async fn submit_new_password(b: &reqwest::Client, page: &str, password: &str) -> reqwest::Response {
    b.post(form_action(page))
        .form(&[
            ("_csrf", hidden(page, "_csrf").as_str()),
            ("session", hidden(page, "session").as_str()),
            ("password", password),
            ("confirm_password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_temporary_password_leads_to_the_new_password_page_and_then_the_callback() {
    let app = TestApp::spawn().await;
    let f = flow_in(&app, json!({})).await;
    create_with_temporary_password(&app, &f.pool).await;
    let b = app.browser();
    let r = sign_in(&b, &f.authorize_url(&app, ""), "tina", "Temp-Pass-1x").await;
    assert_eq!(r.status(), 200);
    assert!(set_cookie(&r, "portcullis_session").is_none());
    let page = r.text().await.unwrap();
    assert!(page.contains("Change your password") && page.contains("autocomplete=\"new-password\""), "{page}");
    assert!(form_action(&page).contains("/newPassword?"));

    // A password the policy refuses: the page again, with the reason; the session survives.
    let r = submit_new_password(&b, &page, "short").await;
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("Password did not conform with policy: Password not long enough"), "{page}");

    let r = submit_new_password(&b, &page, "Brand-New-Pass-2").await;
    assert_eq!(query_param(&location(&r), "state").as_deref(), Some("st8"));
    assert!(set_cookie(&r, "portcullis_session").is_some());
    let id = id_claims(&app, &f, &callback_code(&r)).await;
    assert_eq!(id["cognito:username"], "tina");
    let u = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "tina"})).await;
    assert_eq!(u["UserStatus"], "CONFIRMED");
    // The temporary password is gone; the new one signs in directly.
    refused(sign_in(&app.browser(), &f.authorize_url(&app, ""), "tina", "Temp-Pass-1x").await, INCORRECT).await;
    callback_code(&sign_in(&app.browser(), &f.authorize_url(&app, ""), "tina", "Brand-New-Pass-2").await);
}

#[tokio::test]
async fn an_expired_temporary_password_is_refused() {
    let app = TestApp::spawn().await;
    let f = flow_in(&app, json!({"Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 1}}})).await;
    create_with_temporary_password(&app, &f.pool).await;
    app.clock.freeze();
    app.clock.advance_secs(86400 - 60);
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "tina", "Temp-Pass-1x").await;
    assert_eq!(r.status(), 200, "still valid a minute before the day is out");
    app.clock.advance_secs(120);
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "tina", "Temp-Pass-1x").await;
    refused(r, "Temporary password has expired and must be reset by an administrator.").await;
}
