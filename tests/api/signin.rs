//! The hosted sign-in page and the hosted session, over HTTP: usernames and aliases, what the
//! page says on failure (without revealing whether an account exists), lockout (§3.1) shared
//! with InitiateAuth, temporary passwords, SSO across a pool's clients, `prompt`, session
//! expiry and cookies, CSRF, sign-out, the implicit and client_credentials grants, pool domains
//! by Host header, revocation and userInfo.

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

/// Another client of the same pool, with its own PKCE pair.
async fn second_client(app: &TestApp, f: &Flow, extra: Value) -> Flow {
    let (client_id, secret) = app.create_client(&f.pool, false, extra).await;
    let (verifier, challenge) = pkce();
    Flow { pool: f.pool.clone(), client_id, secret, verifier, challenge }
}

/// A code-flow authorize URL with a chosen scope.
fn authorize_with_scope(app: &TestApp, f: &Flow, scope: &str) -> String {
    format!(
        "{}?response_type=code&client_id={}&redirect_uri={}&scope={}&state=st8&code_challenge={}&code_challenge_method=S256",
        app.url(&f.pool, "/oauth2/authorize"),
        f.client_id,
        urlencode(CALLBACK),
        urlencode(scope),
        f.challenge
    )
}

/// Sign in as alice in a fresh browser with `scope` and redeem the code: the token response.
async fn tokens_with_scope(app: &TestApp, f: &Flow, scope: &str) -> Value {
    let code = callback_code(&sign_in(&app.browser(), &authorize_with_scope(app, f, scope), "alice", PASSWORD).await);
    let t = f.redeem(app, &code).await;
    assert_eq!(t.status(), 200);
    t.json().await.unwrap()
}

/// The code on a callback redirect, insisting that it is one.
fn callback_code(r: &reqwest::Response) -> String {
    let loc = location(r);
    assert_eq!(r.status(), 302, "expected a redirect to the callback");
    assert!(loc.starts_with(&format!("{CALLBACK}?")), "not the callback: {loc}");
    query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// Redeem a code for `f` and return the ID token's claims.
async fn id_claims(app: &TestApp, f: &Flow, code: &str) -> Value {
    let t = f.redeem(app, code).await;
    assert_eq!(t.status(), 200);
    let t: Value = t.json().await.unwrap();
    claims(t["id_token"].as_str().expect("id token"))
}

/// Where an authorize request sends the browser: "login" (the sign-in page) or the callback URL.
async fn authorize_target(browser: &reqwest::Client, url: &str) -> String {
    let r = browser.get(url).send().await.unwrap();
    assert_eq!(r.status(), 302, "authorize answered {}", r.status());
    let loc = location(&r);
    if loc.contains("/login?") { "login".into() } else { loc }
}

/// The Set-Cookie header for `name`, if the response sets it.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

fn cookie_value(header: &str) -> String {
    header.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_string()).unwrap_or_default()
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
    let pool = app.services.pool(pool_id).await.unwrap();
    let mut user = app.services.find_user(&pool, username).await.unwrap().expect("user");
    user.status = status.into();
    app.services.save_user(&pool, &user).await.unwrap();
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

// ---------------------------------------------------------------------------------------------
// The hosted session: SSO, prompt, expiry, pools, login_hint, cookies

#[tokio::test]
async fn a_session_signs_in_to_another_client_of_the_pool_without_the_login_page() {
    let app = TestApp::spawn().await;
    let a = setup_flow(&app, false, json!({})).await;
    let b_client = second_client(&app, &a, json!({"ClientName": "second"})).await;
    let browser = app.browser();
    let first = id_claims(&app, &a, &code_via_browser(&app, &a, &browser).await).await;

    let target = authorize_target(&browser, &b_client.authorize_url(&app, "")).await;
    assert!(target.starts_with(CALLBACK), "expected straight to the callback, got {target}");
    assert_eq!(query_param(&target, "state").as_deref(), Some("st8"));
    let second = id_claims(&app, &b_client, &query_param(&target, "code").unwrap()).await;
    assert_eq!(second["aud"], b_client.client_id);
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(second["auth_time"], first["auth_time"], "SSO keeps the original authentication time");
}

#[tokio::test]
async fn prompt_login_shows_the_login_page_despite_a_session() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    code_via_browser(&app, &f, &browser).await;
    assert!(authorize_target(&browser, &f.authorize_url(&app, "")).await.starts_with(CALLBACK));
    assert_eq!(authorize_target(&browser, &f.authorize_url(&app, "&prompt=login")).await, "login");
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let target = authorize_target(&app.browser(), &f.authorize_url(&app, "&prompt=none")).await;
    assert!(target.starts_with(&format!("{CALLBACK}?")), "{target}");
    assert_eq!(query_param(&target, "error").as_deref(), Some("login_required"));
    assert_eq!(query_param(&target, "state").as_deref(), Some("st8"));
    assert!(query_param(&target, "code").is_none());
}

#[tokio::test]
async fn prompt_none_with_a_session_returns_a_code() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    code_via_browser(&app, &f, &browser).await;
    let target = authorize_target(&browser, &f.authorize_url(&app, "&prompt=none")).await;
    let code = query_param(&target, "code").unwrap_or_else(|| panic!("no code: {target}"));
    id_claims(&app, &f, &code).await;
}

#[tokio::test]
async fn the_session_lasts_one_hour() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    let browser = app.browser();
    code_via_browser(&app, &f, &browser).await;
    app.clock.advance_secs(3599);
    assert!(authorize_target(&browser, &f.authorize_url(&app, "")).await.starts_with(CALLBACK));
    app.clock.advance_secs(1);
    assert_eq!(authorize_target(&browser, &f.authorize_url(&app, "")).await, "login");
    let target = authorize_target(&browser, &f.authorize_url(&app, "&prompt=none")).await;
    assert_eq!(query_param(&target, "error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn sessions_do_not_cross_pools() {
    let app = TestApp::spawn().await;
    let one = setup_flow(&app, false, json!({})).await;
    let two = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    let r = sign_in(&browser, &one.authorize_url(&app, ""), "alice", PASSWORD).await;
    let session = cookie_value(&set_cookie(&r, "portcullis_session").expect("session cookie"));
    callback_code(&r);
    // Same browser, same username, other pool: sign in again.
    assert_eq!(authorize_target(&browser, &two.authorize_url(&app, "")).await, "login");
    // Even when the cookie is presented to the other pool, the server does not accept it.
    let with_cookie = |url: String| app.http.get(url).header("cookie", format!("portcullis_session={session}")).send();
    let r = with_cookie(two.authorize_url(&app, "")).await.unwrap();
    assert!(location(&r).contains("/login?"), "{}", location(&r));
    let r = with_cookie(one.authorize_url(&app, "")).await.unwrap();
    assert!(location(&r).starts_with(CALLBACK), "{}", location(&r));
}

#[tokio::test]
async fn login_hint_prefills_the_username_escaped() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let b = app.browser();
    let r = b.get(f.authorize_url(&app, "&login_hint=alice%40example.com")).send().await.unwrap();
    let page = b.get(location(&r)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("name=\"username\" type=\"text\" value=\"alice@example.com\""), "{page}");
    let r = b.get(f.authorize_url(&app, "&login_hint=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")).send().await.unwrap();
    let page = b.get(location(&r)).send().await.unwrap().text().await.unwrap();
    assert!(!page.contains("<script>"), "{page}");
    // A plain username is shown as given.
    let r = b.get(f.authorize_url(&app, "&login_hint=alice")).send().await.unwrap();
    let page = b.get(location(&r)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("value=\"alice\""));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_scoped_to_the_pool() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    let c = set_cookie(&r, "portcullis_session").expect("session cookie");
    let attrs: Vec<String> = c.split(';').map(|a| a.trim().to_ascii_lowercase()).collect();
    for want in ["httponly", "samesite=lax", "max-age=3600"] {
        assert!(attrs.iter().any(|a| a == want), "{want} missing from {c}");
    }
    assert!(attrs.contains(&format!("path=/{}", f.pool.to_ascii_lowercase())), "not scoped to the pool: {c}");
    assert!(!attrs.iter().any(|a| a == "secure"), "Secure only on https: {c}");
    assert!(cookie_value(&c).len() >= 32, "session id too short to be unguessable");
}

#[tokio::test]
async fn a_new_sign_in_replaces_the_session() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.create_user(&f.pool, "bob", PASSWORD, json!([])).await;
    let browser = app.browser();
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    let first = cookie_value(&set_cookie(&r, "portcullis_session").expect("session cookie"));
    callback_code(&r);
    let r = sign_in(&browser, &f.authorize_url(&app, "&prompt=login"), "bob", PASSWORD).await;
    let second = cookie_value(&set_cookie(&r, "portcullis_session").expect("session cookie"));
    assert_ne!(first, second);
    callback_code(&r);

    let old = app
        .http
        .get(f.authorize_url(&app, ""))
        .header("cookie", format!("portcullis_session={first}"))
        .send()
        .await
        .unwrap();
    assert!(location(&old).contains("/login?"), "the replaced session still works: {}", location(&old));
    let target = authorize_target(&browser, &f.authorize_url(&app, "")).await;
    let id = id_claims(&app, &f, &query_param(&target, "code").expect("code")).await;
    assert_eq!(id["cognito:username"], "bob");
}

#[tokio::test]
async fn a_login_post_without_the_right_csrf_token_is_refused() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let b = app.browser();
    let r = b.get(f.authorize_url(&app, "")).send().await.unwrap();
    let html = b.get(location(&r)).send().await.unwrap().text().await.unwrap();
    let action = form_action(&html);
    let good = hidden(&html, "_csrf");
    let wrong = "0".repeat(good.len());
    let attempts = [
        (b.clone(), vec![("username", "alice"), ("password", PASSWORD)]),
        (b.clone(), vec![("_csrf", wrong.as_str()), ("username", "alice"), ("password", PASSWORD)]),
        // The right field without the cookie it was made for.
        (app.browser(), vec![("_csrf", good.as_str()), ("username", "alice"), ("password", PASSWORD)]),
    ];
    for (client, form) in attempts {
        let r = client.post(&action).form(&form).send().await.unwrap();
        assert_eq!(r.status(), 403);
        assert!(r.headers().get("location").is_none());
        assert!(set_cookie(&r, "portcullis_session").is_none());
    }
    let target = authorize_target(&b, &f.authorize_url(&app, "&prompt=none")).await;
    assert_eq!(query_param(&target, "error").as_deref(), Some("login_required"), "no session was started");
}

// ---------------------------------------------------------------------------------------------
// Sign-out

#[tokio::test]
async fn logout_ends_the_session_and_goes_to_the_logout_uri() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    let session = cookie_value(&set_cookie(&r, "portcullis_session").expect("session cookie"));
    let bye = "http://localhost:3000/bye";
    let r = browser
        .get(format!("{}?client_id={}&logout_uri={}", app.url(&f.pool, "/logout"), f.client_id, urlencode(bye)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert_eq!(location(&r), bye);
    let cleared = set_cookie(&r, "portcullis_session").expect("the cookie is cleared");
    assert!(cleared.to_ascii_lowercase().contains("max-age=0"), "{cleared}");
    assert_eq!(authorize_target(&browser, &f.authorize_url(&app, "")).await, "login");
    // Ended on the server, not only in this browser.
    let r = app
        .http
        .get(f.authorize_url(&app, ""))
        .header("cookie", format!("portcullis_session={session}"))
        .send()
        .await
        .unwrap();
    assert!(location(&r).contains("/login?"), "{}", location(&r));
}

#[tokio::test]
async fn logout_to_an_unregistered_uri_is_an_error_page() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    for uri in ["https://evil.example/bye", "http://localhost:3000/bye/", "http://localhost:3000/cb"] {
        let r = app
            .http
            .get(format!("{}?client_id={}&logout_uri={}", app.url(&f.pool, "/logout"), f.client_id, urlencode(uri)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{uri}");
        assert!(r.headers().get("location").is_none(), "{uri}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    }
}

#[tokio::test]
async fn logout_with_redirect_uri_goes_back_to_sign_in() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    code_via_browser(&app, &f, &browser).await;
    let r = browser
        .get(format!(
            "{}?client_id={}&redirect_uri={}&response_type=code&state=again&code_challenge={}&code_challenge_method=S256",
            app.url(&f.pool, "/logout"),
            f.client_id,
            urlencode(CALLBACK),
            f.challenge
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let login = location(&r);
    assert!(login.starts_with(&app.url(&f.pool, "/login?")), "{login}");
    assert_eq!(query_param(&login, "client_id").as_deref(), Some(f.client_id.as_str()));
    assert_eq!(query_param(&login, "state").as_deref(), Some("again"));
    let target = authorize_target(&browser, &f.authorize_url(&app, "&prompt=none")).await;
    assert_eq!(query_param(&target, "error").as_deref(), Some("login_required"), "signed out");

    let page = browser.get(&login).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let r = browser
        .post(form_action(&html))
        .form(&[("_csrf", hidden(&html, "_csrf").as_str()), ("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(query_param(&location(&r), "state").as_deref(), Some("again"));
    id_claims(&app, &f, &callback_code(&r)).await;
}

// ---------------------------------------------------------------------------------------------
// Implicit and client_credentials grants

#[tokio::test]
async fn the_implicit_flow_returns_tokens_in_the_fragment() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let url = format!(
        "{}?response_type=token&client_id={}&redirect_uri={}&scope=openid+email&state=imp&nonce=n1",
        app.url(&f.pool, "/oauth2/authorize"),
        f.client_id,
        urlencode(CALLBACK)
    );
    let r = sign_in(&app.browser(), &url, "alice", PASSWORD).await;
    assert_eq!(r.status(), 302);
    let loc = location(&r);
    assert!(loc.starts_with(&format!("{CALLBACK}#")), "tokens must be in the fragment: {loc}");
    let frag = |k| query_param(&loc, k);
    assert_eq!(frag("token_type").as_deref(), Some("Bearer"));
    assert_eq!(frag("expires_in").as_deref(), Some("3600"));
    assert_eq!(frag("state").as_deref(), Some("imp"));
    assert!(frag("refresh_token").is_none() && frag("code").is_none());
    let at = frag("access_token").expect("access token");
    let id = claims(&frag("id_token").expect("id token"));
    assert_eq!(id["nonce"], "n1");
    assert_eq!(id["aud"], f.client_id);
    assert_eq!(claims(&at)["scope"], "openid email");
    let ui = app.http.get(app.url(&f.pool, "/oauth2/userInfo")).bearer_auth(&at).send().await.unwrap();
    assert_eq!(ui.status(), 200);
}

/// A pool with a resource server (`https://api.example.com` with `read` and `write`) and a
/// client_credentials client allowed both: (pool, client id, secret).
async fn machine_client(app: &TestApp) -> (String, String, String) {
    let pool = app.create_pool(json!({})).await;
    app.ok(
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example.com", "Name": "api",
               "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read"}, {"ScopeName": "write", "ScopeDescription": "Write"}]}),
    )
    .await;
    let v = app
        .ok(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "m2m", "GenerateSecret": true,
                   "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthFlowsUserPoolClient": true,
                   "AllowedOAuthScopes": ["https://api.example.com/read", "https://api.example.com/write"]}),
        )
        .await;
    let c = &v["UserPoolClient"];
    (pool, c["ClientId"].as_str().unwrap().to_string(), c["ClientSecret"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn client_credentials_works_with_basic_and_post_authentication() {
    let app = TestApp::spawn().await;
    let (pool, id, secret) = machine_client(&app).await;
    let url = app.url(&pool, "/oauth2/token");
    let r = app
        .http
        .post(&url)
        .basic_auth(&id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert!(t.get("id_token").is_none() && t.get("refresh_token").is_none(), "{t}");
    let at = claims(t["access_token"].as_str().unwrap());
    assert_eq!(at["token_use"], "access");
    assert_eq!(at["client_id"], id.as_str());
    assert_eq!(at["sub"], id.as_str());
    assert_eq!(at["iss"], app.url(&pool, ""));
    assert_eq!(at["scope"], "https://api.example.com/read https://api.example.com/write");

    let r = app
        .http
        .post(&url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "https://api.example.com/read"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let t: Value = r.json().await.unwrap();
    assert_eq!(claims(t["access_token"].as_str().unwrap())["scope"], "https://api.example.com/read");
}

#[tokio::test]
async fn client_credentials_with_a_bad_secret_is_invalid_client() {
    let app = TestApp::spawn().await;
    let (pool, id, _) = machine_client(&app).await;
    let url = app.url(&pool, "/oauth2/token");
    let r = app
        .http
        .post(&url)
        .basic_auth(&id, Some("not-the-secret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("www-authenticate").is_some(), "Basic failures say how to authenticate");
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    // RFC 6749 §5.2: 401 is required only when the client used the Authorization header.
    let r = app
        .http
        .post(&url)
        .form(&[("grant_type", "client_credentials"), ("client_id", &id), ("client_secret", "not-the-secret")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
}

#[tokio::test]
async fn client_credentials_with_an_unknown_scope_is_invalid_scope() {
    let app = TestApp::spawn().await;
    let (pool, id, secret) = machine_client(&app).await;
    for scope in ["https://api.example.com/delete", "openid", "https://other.example/read"] {
        let r = app
            .http
            .post(app.url(&pool, "/oauth2/token"))
            .basic_auth(&id, Some(&secret))
            .form(&[("grant_type", "client_credentials"), ("scope", scope)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{scope}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_scope", "{scope}");
    }
}

// ---------------------------------------------------------------------------------------------
// Pool domains

#[tokio::test]
async fn a_pool_domain_serves_discovery_and_sign_in_at_its_root() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.ok("CreateUserPoolDomain", json!({"UserPoolId": f.pool, "Domain": "acme"})).await;
    let host = format!("acme.{}", app.config.domain_base);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", app.port).parse().unwrap();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .resolve(&host, addr)
        .resolve(&format!("nope.{}", app.config.domain_base), addr)
        .build()
        .unwrap();
    let root = format!("http://{host}:{}", app.port);

    // Discovery: endpoints on the domain, issuer and keys on the issuer URL (as Cognito does).
    let d: Value =
        browser.get(format!("{root}/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    let issuer = app.url(&f.pool, "");
    assert_eq!(d["issuer"], issuer);
    assert_eq!(d["jwks_uri"], format!("{issuer}/.well-known/jwks.json"));
    assert_eq!(d["authorization_endpoint"], format!("{root}/oauth2/authorize"));
    assert_eq!(d["token_endpoint"], format!("{root}/oauth2/token"));
    assert_eq!(d["userinfo_endpoint"], format!("{root}/oauth2/userInfo"));

    // The whole code flow at the root of the domain.
    let authorize = f.authorize_url(&app, "").replace(&app.url(&f.pool, ""), &root);
    assert!(authorize.starts_with(&format!("{root}/oauth2/authorize?")));
    let r = browser.get(&authorize).send().await.unwrap();
    let login = location(&r);
    assert!(login.starts_with(&format!("{root}/login?")), "{login}");
    let html = browser.get(&login).send().await.unwrap().text().await.unwrap();
    assert!(form_action(&html).starts_with(&format!("{root}/login?")));
    let r = browser
        .post(form_action(&html))
        .form(&[("_csrf", hidden(&html, "_csrf").as_str()), ("username", "alice"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let session = set_cookie(&r, "portcullis_session").expect("session cookie");
    assert!(session.split(';').any(|a| a.trim() == "Path=/"), "{session}");
    let code = callback_code(&r);
    let t = browser
        .post(format!("{root}/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", f.verifier.as_str()),
            ("client_id", f.client_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(t.status(), 200);
    let t: Value = t.json().await.unwrap();
    assert_eq!(claims(t["id_token"].as_str().unwrap())["iss"], issuer);
    // The domain's session gives SSO on the domain.
    assert!(authorize_target(&browser, &authorize).await.starts_with(CALLBACK));

    // A host that is no pool's domain is not served.
    let nope = format!("http://nope.{}:{}/.well-known/openid-configuration", app.config.domain_base, app.port);
    assert_eq!(browser.get(nope).send().await.unwrap().status(), 404);
}

#[tokio::test]
async fn a_pool_domain_host_that_is_not_a_plain_host_and_port_is_not_served() {
    // The forwarded host is believed from a trusted proxy only (the test connects from 127.0.0.1).
    let app =
        TestApp::spawn_with(|c| c.trusted_proxies = portcullis::web::client::parse_cidrs("127.0.0.0/8").expect("cidr"))
            .await;
    let f = setup_flow(&app, false, json!({})).await;
    app.ok("CreateUserPoolDomain", json!({"UserPoolId": f.pool, "Domain": "acme"})).await;
    let host = format!("acme.{}", app.config.domain_base);
    let discovery = format!("{}/.well-known/openid-configuration", app.base);
    let ok = app.http.get(&discovery).header("x-forwarded-host", format!("{host}:8443")).send().await.unwrap();
    assert_eq!(ok.status(), 200, "a proxy's X-Forwarded-Host with a port selects the domain");
    // Endpoints are built from the host; anything past the name that is not a port could point
    // them (and the sign-in redirect) elsewhere, e.g. through a cache keyed by URL.
    for spoofed in [format!("{host}:1@evil.example"), format!("{host}:80/x")] {
        let r = app.http.get(&discovery).header("x-forwarded-host", &spoofed).send().await.unwrap();
        assert_eq!(r.status(), 404, "{spoofed}");
        let r = app
            .http
            .get(f.authorize_url(&app, "").replace(&app.url(&f.pool, ""), &app.base))
            .header("x-forwarded-host", &spoofed)
            .send()
            .await
            .unwrap();
        assert!(!location(&r).contains("evil.example"), "{spoofed} redirected to {}", location(&r));
        assert_eq!(r.status(), 404, "{spoofed}");
    }
}

// ---------------------------------------------------------------------------------------------
// Revocation and userInfo

#[tokio::test]
async fn revoking_a_refresh_token_kills_it_and_the_access_tokens_minted_from_it() {
    let app = TestApp::spawn().await;
    let scopes = json!({"AllowedOAuthScopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"]});
    let f = setup_flow(&app, false, scopes).await;
    let scope = "openid email aws.cognito.signin.user.admin";
    let t = tokens_with_scope(&app, &f, scope).await;
    let other = tokens_with_scope(&app, &f, scope).await;
    let at = t["access_token"].as_str().unwrap();
    let rt = t["refresh_token"].as_str().unwrap();
    let userinfo = |token: String| app.http.get(app.url(&f.pool, "/oauth2/userInfo")).bearer_auth(token).send();
    let get_user = |token: &str| app.public_api("GetUser", json!({"AccessToken": token}));

    assert_eq!(userinfo(at.into()).await.unwrap().status(), 200);
    let (status, body) = get_user(at).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["Username"], "alice");

    let r = app
        .http
        .post(app.url(&f.pool, "/oauth2/revoke"))
        .form(&[("token", rt), ("client_id", &f.client_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = userinfo(at.into()).await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let (status, body) = get_user(at).await;
    assert_eq!(
        (status, body["__type"].as_str(), body["message"].as_str()),
        (400, Some("NotAuthorizedException"), Some("Access Token has been revoked"))
    );
    let r = app
        .http
        .post(app.url(&f.pool, "/oauth2/token"))
        .form(&[("grant_type", "refresh_token"), ("client_id", &f.client_id), ("refresh_token", rt)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    // Another sign-in's tokens are untouched.
    assert_eq!(userinfo(other["access_token"].as_str().unwrap().into()).await.unwrap().status(), 200);
}

#[tokio::test]
async fn userinfo_answers_post_like_get() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let t = tokens_via_browser(&app, &f).await;
    let at = t["access_token"].as_str().unwrap();
    let url = app.url(&f.pool, "/oauth2/userInfo");
    let get = app.http.get(&url).bearer_auth(at).send().await.unwrap();
    let post = app.http.post(&url).bearer_auth(at).send().await.unwrap();
    assert_eq!((get.status().as_u16(), post.status().as_u16()), (200, 200));
    let (get, post): (Value, Value) = (get.json().await.unwrap(), post.json().await.unwrap());
    assert_eq!(get, post);
    assert_eq!(post["email"], "alice@example.com");
}

#[tokio::test]
async fn userinfo_refuses_tokens_without_openid_and_id_tokens() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let (status, api) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{api}");
    let api_access = api["AuthenticationResult"]["AccessToken"].as_str().unwrap().to_string();
    assert_eq!(claims(&api_access)["scope"], "aws.cognito.signin.user.admin");
    let id_token = tokens_via_browser(&app, &f).await["id_token"].as_str().unwrap().to_string();
    for token in [api_access, id_token] {
        let r = app.http.get(app.url(&f.pool, "/oauth2/userInfo")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let challenge = r.headers().get("www-authenticate").expect("WWW-Authenticate").to_str().unwrap().to_string();
        assert!(challenge.starts_with("Bearer ") && challenge.contains("error=\"invalid_token\""), "{challenge}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_token");
    }
}
