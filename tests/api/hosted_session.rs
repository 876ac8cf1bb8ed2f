//! The hosted session, over HTTP: SSO across a pool's clients, `prompt`, expiry after an hour,
//! pools kept apart, `login_hint`, the cookie's attributes, a new sign-in replacing the session,
//! CSRF on the login form, and sign-out.

use crate::helpers::*;
use serde_json::{Value, json};

/// Another client of the same pool, with its own PKCE pair.
async fn second_client(app: &TestApp, f: &Flow, extra: Value) -> Flow {
    let (client_id, secret) = app.create_client(&f.pool, false, extra).await;
    let (verifier, challenge) = pkce();
    Flow { pool: f.pool.clone(), client_id, secret, verifier, challenge }
}

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
    let r = post_login(&browser, &html, "alice", PASSWORD).await;
    assert_eq!(query_param(&location(&r), "state").as_deref(), Some("again"));
    id_claims(&app, &f, &callback_code(&r)).await;
}
