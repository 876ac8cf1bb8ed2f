//! OIDC beyond Cognito, over HTTP: `max_age` against the hosted session (and `auth_time` in the
//! ID tokens it yields), `POST /oauth2/authorize` answering as GET, `request`/`request_uri`
//! refused by name while `claims`/`acr_values` are ignored, the userInfo access token in a form
//! body (RFC 6750 §2.2), token introspection (RFC 7662) and the discovery fields that announce
//! them.

use crate::helpers::*;
use serde_json::{Value, json};

/// Sign in as alice in `browser` (frozen clock) and return the first ID token's claims.
async fn signed_in(app: &TestApp, f: &Flow, browser: &reqwest::Client) -> Value {
    app.clock.freeze();
    let code = code_via_browser(app, f, browser).await;
    id_claims(app, f, &code).await
}

#[tokio::test]
async fn max_age_uses_a_younger_session_and_signs_in_again_past_it() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    let first = signed_in(&app, &f, &browser).await;
    let t0 = first["auth_time"].as_i64().expect("auth_time");
    app.clock.advance_secs(100);

    // Younger than max_age (and exactly max_age): straight back with a code, same auth_time.
    for max_age in ["300", "100"] {
        let target = authorize_target(&browser, &f.authorize_url(&app, &format!("&max_age={max_age}"))).await;
        let code = query_param(&target, "code").unwrap_or_else(|| panic!("max_age={max_age}: no code in {target}"));
        assert_eq!(id_claims(&app, &f, &code).await["auth_time"], t0, "max_age={max_age}");
    }
    // Older: the sign-in page, and with prompt=none the app is told login_required.
    assert_eq!(authorize_target(&browser, &f.authorize_url(&app, "&max_age=99")).await, "login");
    let target = authorize_target(&browser, &f.authorize_url(&app, "&max_age=99&prompt=none")).await;
    assert!(target.starts_with(&format!("{CALLBACK}?")), "{target}");
    assert_eq!(query_param(&target, "error").as_deref(), Some("login_required"));
    assert_eq!(query_param(&target, "state").as_deref(), Some("st8"));
    assert!(query_param(&target, "code").is_none());
    // Without max_age the session still serves silently.
    assert!(authorize_target(&browser, &f.authorize_url(&app, "")).await.starts_with(CALLBACK));

    // Signing in again through the max_age request: a new auth_time, which the session then keeps.
    let r = sign_in(&browser, &f.authorize_url(&app, "&max_age=99"), "alice", PASSWORD).await;
    let again = id_claims(&app, &f, &callback_code(&r)).await;
    assert_eq!(again["auth_time"], t0 + 100, "the new sign-in's time");
    let target = authorize_target(&browser, &f.authorize_url(&app, "&max_age=99&prompt=none")).await;
    let code = query_param(&target, "code").unwrap_or_else(|| panic!("fresh session refused: {target}"));
    assert_eq!(id_claims(&app, &f, &code).await["auth_time"], t0 + 100);
}

#[tokio::test]
async fn max_age_zero_always_signs_in_again() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    signed_in(&app, &f, &browser).await;
    // Not a second has passed, and still the session is not used.
    assert_eq!(authorize_target(&browser, &f.authorize_url(&app, "&max_age=0")).await, "login");
    let target = authorize_target(&browser, &f.authorize_url(&app, "&max_age=0&prompt=none")).await;
    assert_eq!(query_param(&target, "error").as_deref(), Some("login_required"), "{target}");
    assert!(authorize_target(&browser, &f.authorize_url(&app, "&max_age=1")).await.starts_with(CALLBACK));
}

#[tokio::test]
async fn max_age_that_is_not_a_number_is_an_invalid_request() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    for bad in ["abc", "-1", "1.5"] {
        let target = authorize_target(&app.browser(), &f.authorize_url(&app, &format!("&max_age={bad}"))).await;
        assert!(target.starts_with(&format!("{CALLBACK}?")), "max_age={bad}: {target}");
        assert_eq!(query_param(&target, "error").as_deref(), Some("invalid_request"), "max_age={bad}");
    }
    // A valid max_age is carried to the sign-in page and the flow completes from there.
    let r = sign_in(&app.browser(), &f.authorize_url(&app, "&max_age=600"), "alice", PASSWORD).await;
    callback_code(&r);
}

#[tokio::test]
async fn id_tokens_carry_auth_time_in_the_code_and_implicit_flows_with_max_age() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    app.clock.freeze();
    let r = sign_in(&browser, &f.authorize_url(&app, "&max_age=3600"), "alice", PASSWORD).await;
    let code_claims = id_claims(&app, &f, &callback_code(&r)).await;
    let t0 = code_claims["iat"].as_i64().expect("iat");
    assert_eq!(code_claims["auth_time"], t0, "code flow: auth_time is the sign-in");

    app.clock.advance_secs(30);
    let implicit = f.authorize_url(&app, "&max_age=3600").replace("response_type=code", "response_type=token");
    let target = authorize_target(&browser, &implicit).await;
    let id_token = query_param(&target, "id_token").unwrap_or_else(|| panic!("no id_token in {target}"));
    let c = claims(&id_token);
    assert_eq!(c["auth_time"], t0, "implicit flow from the session: the session's auth_time");
    assert_eq!(c["iat"], t0 + 30);
    assert_eq!(c["nonce"], "n0nce");
}

/// The authorize URL's parameters, to send as a form.
fn params(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url).expect("url").query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// POST the parameters of `url` to its path: (status, Location).
async fn post_authorize(browser: &reqwest::Client, url: &str) -> (u16, String) {
    let path = url.split('?').next().expect("path");
    let r = browser.post(path).form(&params(url)).send().await.expect("post authorize");
    (r.status().as_u16(), location(&r))
}

async fn get_authorize(browser: &reqwest::Client, url: &str) -> (u16, String) {
    let r = browser.get(url).send().await.expect("get authorize");
    (r.status().as_u16(), location(&r))
}

#[tokio::test]
async fn post_authorize_answers_as_get() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    let cases = [
        ("no session", f.authorize_url(&app, "")),
        ("prompt=none without a session", f.authorize_url(&app, "&prompt=none")),
        ("bad scope", f.authorize_url(&app, "").replace("scope=openid+email+profile", "scope=nope")),
        (
            "unsupported response_type",
            f.authorize_url(&app, "").replace("response_type=code", "response_type=id_token"),
        ),
        ("request object", f.authorize_url(&app, "&request=eyJhbGciOiJub25lIn0.e30.")),
    ];
    for (name, url) in &cases {
        let get = get_authorize(&browser, url).await;
        assert_eq!(get.0, 302, "{name}");
        assert_eq!(post_authorize(&browser, url).await, get, "{name}");
    }
    // A repeated parameter, and an unregistered redirect URI: the same error page, never a redirect.
    let repeated = f.authorize_url(&app, "&scope=openid");
    let get = browser.get(&repeated).send().await.unwrap();
    let post = browser.post(repeated.split('?').next().unwrap()).form(&params(&repeated)).send().await.unwrap();
    assert_eq!((post.status().as_u16(), location(&post)), (get.status().as_u16(), location(&get)));
    assert_eq!(post.status(), 400);
    let bad = f.authorize_url(&app, "").replace("redirect_uri=", "redirect_uri=https%3A%2F%2Fevil.example%2F&x=");
    let get = browser.get(&bad).send().await.unwrap();
    let post = browser.post(bad.split('?').next().unwrap()).form(&params(&bad)).send().await.unwrap();
    assert_eq!((post.status(), location(&post)), (get.status(), location(&get)));
    assert_eq!(post.status(), 400);

    // Through the sign-in page the POSTed request carried on, then from the session at once.
    let (status, login) = post_authorize(&browser, &f.authorize_url(&app, "")).await;
    assert_eq!(status, 302);
    assert!(login.contains("/login?"), "{login}");
    let page = browser.get(&login).send().await.unwrap().text().await.unwrap();
    let r = post_login(&browser, &page, "alice", PASSWORD).await;
    id_claims(&app, &f, &callback_code(&r)).await;
    let (status, target) = post_authorize(&browser, &f.authorize_url(&app, "&prompt=none")).await;
    assert_eq!(status, 302);
    let code = query_param(&target, "code").unwrap_or_else(|| panic!("no code from the session: {target}"));
    assert_eq!(query_param(&target, "state").as_deref(), Some("st8"));
    assert_eq!(id_claims(&app, &f, &code).await["nonce"], "n0nce");
    // max_age=0 in a POST is honoured as in a GET.
    let (_, target) = post_authorize(&browser, &f.authorize_url(&app, "&prompt=none&max_age=0")).await;
    assert_eq!(query_param(&target, "error").as_deref(), Some("login_required"), "{target}");
}

#[tokio::test]
async fn request_objects_are_refused_by_name_and_claims_and_acr_values_ignored() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    for (extra, error) in [
        ("&request=eyJhbGciOiJub25lIn0.e30.", "request_not_supported"),
        ("&request_uri=https%3A%2F%2Frp.example%2Fr", "request_uri_not_supported"),
        ("&registration=%7B%7D", "registration_not_supported"),
    ] {
        let target = authorize_target(&app.browser(), &f.authorize_url(&app, extra)).await;
        assert!(target.starts_with(&format!("{CALLBACK}?")), "{extra}: {target}");
        assert_eq!(query_param(&target, "error").as_deref(), Some(error), "{extra}");
        assert_eq!(query_param(&target, "state").as_deref(), Some("st8"));
    }
    let claims_param = urlencode(r#"{"id_token":{"acr":{"essential":true,"values":["urn:x"]}}}"#);
    let extra = format!("&acr_values=urn%3Aunknown&claims={claims_param}");
    let r = sign_in(&app.browser(), &f.authorize_url(&app, &extra), "alice", PASSWORD).await;
    let c = id_claims(&app, &f, &callback_code(&r)).await;
    assert_eq!(c["email"], "alice@example.com");
    assert!(c.get("acr").is_none(), "no acr is claimed: {c}");
}

async fn userinfo_post(app: &TestApp, pool: &str, body: &[(&str, &str)], bearer: Option<&str>) -> reqwest::Response {
    let mut req = app.http.post(app.url(pool, "/oauth2/userInfo")).form(body);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn userinfo_takes_the_access_token_from_a_form_body_but_not_from_two_places() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let t = tokens_via_browser(&app, &f).await;
    let access = t["access_token"].as_str().unwrap();

    let by_header: Value = userinfo(&app, &f.pool, access).await.json().await.unwrap();
    let r = userinfo_post(&app, &f.pool, &[("access_token", access)], None).await;
    assert_eq!(r.status(), 200);
    let by_body: Value = r.json().await.unwrap();
    assert_eq!(by_body, by_header);
    assert_eq!(by_body["email"], "alice@example.com");

    for (name, body, bearer) in [
        ("header and body", vec![("access_token", access)], Some(access)),
        ("token twice in the body", vec![("access_token", access), ("access_token", access)], None),
    ] {
        let r = userinfo_post(&app, &f.pool, &body, bearer).await;
        assert_eq!(r.status(), 400, "{name}");
        let www = r.headers().get("www-authenticate").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        assert!(www.contains("error=\"invalid_request\""), "{name}: {www}");
        assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request", "{name}");
    }
    // A bad token in the body is Cognito's invalid_token; no token at all stays a 401.
    let r = userinfo_post(&app, &f.pool, &[("access_token", "nope")], None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_token");
    let r = userinfo_post(&app, &f.pool, &[("other", "x")], None).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
    // A GET's query string is not a place for the token (RFC 6750 §2.3 is not offered).
    let r =
        app.http.get(format!("{}?access_token={access}", app.url(&f.pool, "/oauth2/userInfo"))).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

/// Introspect `token` as client `id` with `secret` (client_secret_post): (status, body).
async fn introspect(app: &TestApp, pool: &str, id: &str, secret: Option<&str>, token: &str) -> (u16, Value) {
    let mut form = vec![("token", token), ("client_id", id)];
    if let Some(s) = secret {
        form.push(("client_secret", s));
    }
    let r = app.http.post(app.url(pool, "/oauth2/introspect")).form(&form).send().await.unwrap();
    assert_eq!(r.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

fn inactive() -> Value {
    json!({"active": false})
}

#[tokio::test]
async fn introspection_describes_active_access_and_refresh_tokens() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, true, json!({})).await;
    let secret = f.secret.clone().expect("secret");
    let t = tokens_via_browser(&app, &f).await;
    let (access, refresh) = (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap());
    let ac = claims(access);

    let (status, a) = introspect(&app, &f.pool, &f.client_id, Some(&secret), access).await;
    assert_eq!(status, 200, "{a}");
    assert_eq!(a["active"], true);
    assert_eq!(a["token_type"], "Bearer");
    assert_eq!(a["client_id"], f.client_id);
    assert_eq!(a["username"], "alice");
    for claim in ["scope", "exp", "iat", "sub", "iss", "jti"] {
        assert_eq!(a[claim], ac[claim], "{claim}");
        assert!(!a[claim].is_null(), "{claim}");
    }
    assert!(a.get("aud").is_none(), "access tokens carry no aud: {a}");

    // Client authentication by Basic works the same; the hint does not change the answer.
    let r = app
        .http
        .post(app.url(&f.pool, "/oauth2/introspect"))
        .basic_auth(&f.client_id, Some(&secret))
        .form(&[("token", access), ("token_type_hint", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), a);

    let (status, rt) = introspect(&app, &f.pool, &f.client_id, Some(&secret), refresh).await;
    assert_eq!(status, 200);
    assert_eq!(rt["active"], true, "{rt}");
    assert_eq!(rt["client_id"], f.client_id);
    assert_eq!(rt["username"], "alice");
    assert_eq!(rt["scope"], ac["scope"]);
    assert_eq!(rt["iat"], ac["iat"]);
    assert_eq!(rt["exp"], ac["iat"].as_i64().unwrap() + 30 * 86400, "{rt}");
    assert!(rt.get("token_type").is_none());
}

#[tokio::test]
async fn introspection_answers_inactive_for_every_token_it_may_not_describe() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let f = setup_flow(&app, true, json!({})).await;
    let secret = f.secret.clone().expect("secret");
    let t = tokens_via_browser(&app, &f).await;
    let (access, refresh, id) =
        (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap(), t["id_token"].as_str().unwrap());
    let ask = |token: String| {
        let (app, pool, client, secret) = (&app, f.pool.clone(), f.client_id.clone(), secret.clone());
        async move { introspect(app, &pool, &client, Some(&secret), &token).await }
    };

    for (name, token) in [
        ("garbage", "not-a-token".to_string()),
        ("a JWT-shaped forgery", with_payload(access, |c| c["scope"] = json!("openid admin"))),
        ("an ID token", id.to_string()),
    ] {
        assert_eq!(ask(token).await, (200, inactive()), "{name}");
    }

    // Another confidential client of the pool sees the access token but not the refresh token.
    let (other, other_secret) = app.create_client(&f.pool, true, json!({"ClientName": "rs"})).await;
    let other_secret = other_secret.unwrap();
    let (_, a) = introspect(&app, &f.pool, &other, Some(&other_secret), access).await;
    assert_eq!(a["active"], true, "{a}");
    assert_eq!(introspect(&app, &f.pool, &other, Some(&other_secret), refresh).await, (200, inactive()));

    // Another pool's client sees neither.
    let g = setup_flow(&app, true, json!({})).await;
    for token in [access, refresh] {
        assert_eq!(introspect(&app, &g.pool, &g.client_id, g.secret.as_deref(), token).await, (200, inactive()));
    }

    // Expired: the access token after its hour, the refresh token after its 30 days.
    app.clock.advance_secs(3600);
    assert_eq!(ask(access.to_string()).await, (200, inactive()), "expired access token");
    assert_eq!(ask(refresh.to_string()).await.1["active"], true, "the refresh token lives on");
    app.clock.advance_secs(30 * 86400);
    assert_eq!(ask(refresh.to_string()).await, (200, inactive()), "expired refresh token");

    // Revoked: a fresh sign-in's tokens, active until the refresh token is revoked.
    let t = tokens_via_browser(&app, &f).await;
    let (access, refresh) = (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap());
    assert_eq!(ask(access.to_string()).await.1["active"], true);
    let r = app
        .http
        .post(app.url(&f.pool, "/oauth2/revoke"))
        .form(&[("token", refresh), ("client_id", &f.client_id), ("client_secret", &secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(ask(access.to_string()).await, (200, inactive()), "revoked access token");
    assert_eq!(ask(refresh.to_string()).await, (200, inactive()), "revoked refresh token");
}

#[tokio::test]
async fn introspection_answers_inactive_after_a_global_sign_out() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let f = setup_flow(&app, true, json!({})).await;
    let secret = f.secret.clone().expect("secret");
    let t = tokens_via_browser(&app, &f).await;
    let (access, refresh) = (t["access_token"].as_str().unwrap(), t["refresh_token"].as_str().unwrap());
    for token in [access, refresh] {
        assert_eq!(introspect(&app, &f.pool, &f.client_id, Some(&secret), token).await.1["active"], true);
    }
    app.clock.advance_secs(1);
    app.ok("AdminUserGlobalSignOut", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    for token in [access, refresh] {
        assert_eq!(introspect(&app, &f.pool, &f.client_id, Some(&secret), token).await, (200, inactive()));
    }
}

#[tokio::test]
async fn introspection_is_for_authenticated_confidential_clients_only() {
    let app = TestApp::spawn().await;
    let public = setup_flow(&app, false, json!({})).await;
    let t = tokens_via_browser(&app, &public).await;
    let access = t["access_token"].as_str().unwrap();
    // A public client cannot authenticate: refused, whether or not the token exists.
    for token in [access, "unknown"] {
        let (status, e) = introspect(&app, &public.pool, &public.client_id, None, token).await;
        assert_eq!((status, e["error"].as_str()), (401, Some("invalid_client")), "{e}");
    }
    let (id, secret) = app.create_client(&public.pool, true, json!({"ClientName": "rs"})).await;
    let secret = secret.unwrap();
    let (status, e) = introspect(&app, &public.pool, &id, Some("wrong"), access).await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_client")), "{e}");
    let r = app
        .http
        .post(app.url(&public.pool, "/oauth2/introspect"))
        .basic_auth(&id, Some("wrong"))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let (status, e) = introspect(&app, &public.pool, &id, Some(&secret), "").await;
    assert_eq!((status, e["error"].as_str()), (400, Some("invalid_request")), "{e}");
    let (status, a) = introspect(&app, &public.pool, &id, Some(&secret), access).await;
    assert_eq!((status, a["active"].as_bool()), (200, Some(true)), "{a}");
}

#[tokio::test]
async fn introspection_describes_client_credentials_tokens_while_their_client_exists() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    app.ok(
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "api", "Name": "api",
               "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read"}]}),
    )
    .await;
    let m2m = app
        .ok(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "m2m", "GenerateSecret": true,
                   "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthFlowsUserPoolClient": true,
                   "AllowedOAuthScopes": ["api/read"]}),
        )
        .await;
    let (m2m_id, m2m_secret) = (
        m2m["UserPoolClient"]["ClientId"].as_str().unwrap().to_string(),
        m2m["UserPoolClient"]["ClientSecret"].as_str().unwrap().to_string(),
    );
    let r = app
        .http
        .post(app.url(&pool, "/oauth2/token"))
        .basic_auth(&m2m_id, Some(&m2m_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let access = r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_string();
    let (rs, rs_secret) = app.create_client(&pool, true, json!({"ClientName": "rs"})).await;
    let rs_secret = rs_secret.unwrap();

    let (status, a) = introspect(&app, &pool, &rs, Some(&rs_secret), &access).await;
    assert_eq!(status, 200);
    assert_eq!(a["active"], true, "{a}");
    assert_eq!(a["client_id"], m2m_id);
    assert_eq!(a["sub"], m2m_id);
    assert_eq!(a["scope"], "api/read");
    assert!(a.get("username").is_none());

    app.ok("DeleteUserPoolClient", json!({"UserPoolId": pool, "ClientId": m2m_id})).await;
    assert_eq!(introspect(&app, &pool, &rs, Some(&rs_secret), &access).await, (200, inactive()));
}

#[tokio::test]
async fn discovery_announces_introspection_and_no_claims_or_request_parameters() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let d: Value =
        app.http.get(app.url(&pool, "/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(d["introspection_endpoint"], app.url(&pool, "/oauth2/introspect"));
    assert_eq!(
        d["introspection_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post"])
    );
    assert_eq!(d["claims_parameter_supported"], false);
    assert_eq!(d["request_parameter_supported"], false);
    assert_eq!(d["request_uri_parameter_supported"], false);
    assert!(d["claims_supported"].as_array().unwrap().contains(&json!("auth_time")));
}

/// A refresh token rotation replaced stands for its family while its retry grace period lasts:
/// introspection says active (and, once the grace is over, inactive without revoking anything),
/// and revoking it revokes the family, so a client that revokes the token it holds after a lost
/// refresh answer really ends the sign-in.
#[tokio::test]
async fn a_rotated_refresh_token_in_its_grace_period_is_introspected_and_revoked_as_its_family() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let f =
        setup_flow(&app, true, json!({"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 60}}))
            .await;
    let secret = f.secret.clone().expect("secret");
    let refresh = |rt: String| {
        let form = [
            ("grant_type", "refresh_token".to_string()),
            ("client_id", f.client_id.clone()),
            ("client_secret", secret.clone()),
            ("refresh_token", rt),
        ];
        let req = app.http.post(app.url(&f.pool, "/oauth2/token")).form(&form);
        async move {
            let r = req.send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let old = tokens_via_browser(&app, &f).await["refresh_token"].as_str().unwrap().to_string();
    let (status, v) = refresh(old.clone()).await;
    assert_eq!(status, 200, "{v}");
    let new = v["refresh_token"].as_str().expect("rotated").to_string();

    let (_, a) = introspect(&app, &f.pool, &f.client_id, Some(&secret), &old).await;
    assert_eq!((a["active"].clone(), a["username"].clone()), (json!(true), json!("alice")), "in grace: {a}");
    app.clock.advance_secs(61);
    let (_, a) = introspect(&app, &f.pool, &f.client_id, Some(&secret), &old).await;
    assert_eq!(a, inactive(), "past its grace");
    // Asking did not revoke anything: the family's current token still refreshes.
    let (_, a) = introspect(&app, &f.pool, &f.client_id, Some(&secret), &new).await;
    assert_eq!(a["active"], true, "{a}");
    let (status, v) = refresh(new.clone()).await;
    assert_eq!(status, 200, "{v}");
    let current = v["refresh_token"].as_str().unwrap().to_string();

    // Revoking the token just replaced (within its grace) ends the family.
    let form = [("token", new.as_str()), ("client_id", f.client_id.as_str()), ("client_secret", secret.as_str())];
    let r = app.http.post(app.url(&f.pool, "/oauth2/revoke")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (status, v) = refresh(current).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_grant")), "{v}");
}
