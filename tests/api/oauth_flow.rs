//! The OAuth 2.0 flows through the hosted page and the token endpoint: the code flow, the
//! implicit and client_credentials grants, revoking a refresh token, and userInfo.

use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn code_flow_with_pkce_issues_cognito_shaped_tokens() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let t = tokens_via_browser(&app, &f).await;
    let id = claims(t["id_token"].as_str().unwrap());
    let at = claims(t["access_token"].as_str().unwrap());
    assert_eq!(id["iss"], app.url(&f.pool, ""));
    assert_eq!(id["aud"], f.client_id);
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["cognito:username"], "alice");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["nonce"], "n0nce");
    assert!(id["at_hash"].is_string());
    assert_eq!(at["token_use"], "access");
    assert_eq!(at["client_id"], f.client_id);
    assert_eq!(at["origin_jti"], id["origin_jti"]);
    assert_eq!(at["scope"], "openid email profile");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 3600);
    assert!(t["refresh_token"].is_string());

    let ui = app
        .http
        .get(app.url(&f.pool, "/oauth2/userInfo"))
        .bearer_auth(t["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 200);
    let ui: serde_json::Value = ui.json().await.unwrap();
    assert_eq!(ui["sub"], id["sub"]);
    assert_eq!(ui["email"], "alice@example.com");
}

#[tokio::test]
async fn code_is_single_use_and_replay_revokes_what_it_issued() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    let code = query_param(&location(&r), "code").unwrap();
    assert_eq!(query_param(&location(&r), "state").as_deref(), Some("st8"));
    let first: serde_json::Value = f.redeem(&app, &code).await.json().await.unwrap();
    let at = first["access_token"].as_str().unwrap();
    let ok = app.http.get(app.url(&f.pool, "/oauth2/userInfo")).bearer_auth(at).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    let again = f.redeem(&app, &code).await;
    assert_eq!(again.status(), 400);
    assert_eq!(again.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
    let revoked = app.http.get(app.url(&f.pool, "/oauth2/userInfo")).bearer_auth(at).send().await.unwrap();
    assert_eq!(revoked.status(), 401);
    let refresh = f.refresh_request(&app, first["refresh_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(refresh.status(), 400);
}

#[tokio::test]
async fn pkce_is_required_for_public_clients_and_verified() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let no_pkce = format!(
        "{}?response_type=code&client_id={}&redirect_uri={}&state=s",
        app.url(&f.pool, "/oauth2/authorize"),
        f.client_id,
        urlencode(CALLBACK)
    );
    let r = app.http.get(&no_pkce).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let loc = location(&r);
    assert!(loc.starts_with(CALLBACK), "{loc}");
    assert_eq!(query_param(&loc, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_param(&loc, "state").as_deref(), Some("s"));

    let browser = app.browser();
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    let code = query_param(&location(&r), "code").unwrap();
    let wrong = Flow {
        verifier: pkce().0,
        pool: f.pool.clone(),
        client_id: f.client_id.clone(),
        secret: None,
        challenge: String::new(),
    };
    let t = wrong.redeem(&app, &code).await;
    assert_eq!(t.status(), 400);
    assert_eq!(t.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn unknown_client_and_unregistered_redirect_get_a_page_not_a_redirect() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    for url in [
        format!(
            "{}?response_type=code&client_id=nope&redirect_uri={}",
            app.url(&f.pool, "/oauth2/authorize"),
            urlencode(CALLBACK)
        ),
        format!(
            "{}?response_type=code&client_id={}&redirect_uri={}",
            app.url(&f.pool, "/oauth2/authorize"),
            f.client_id,
            urlencode("https://evil.example/cb")
        ),
        format!(
            "{}?response_type=code&client_id={}&redirect_uri={}",
            app.url(&f.pool, "/oauth2/authorize"),
            f.client_id,
            urlencode("http://localhost:3000/cb/")
        ),
    ] {
        let r = app.http.get(&url).send().await.unwrap();
        assert_eq!(r.status(), 400, "{url}");
        assert!(r.headers().get("location").is_none());
        assert!(r.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    }
}

#[tokio::test]
async fn wrong_password_and_unknown_user_read_the_same() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let b = app.browser();
    let wrong = sign_in(&b, &f.authorize_url(&app, ""), "alice", "Wrong-pass-1").await;
    assert_eq!(wrong.status(), 400);
    let wrong = wrong.text().await.unwrap();
    let unknown = sign_in(&b, &f.authorize_url(&app, ""), "mallory", "Wrong-pass-1").await.text().await.unwrap();
    assert!(wrong.contains("Incorrect username or password."));
    assert!(unknown.contains("Incorrect username or password."));
}

#[tokio::test]
async fn browser_apps_can_call_token_userinfo_and_the_json_api_cross_origin() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    for url in [app.url(&pool, "/oauth2/token"), app.url(&pool, "/oauth2/userInfo"), format!("{}/", app.base)] {
        let r = app
            .http
            .request(reqwest::Method::OPTIONS, &url)
            .header("Origin", "https://spa.example")
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{url}");
        assert_eq!(r.headers()["access-control-allow-origin"], "*");
        assert!(r.headers()["access-control-allow-headers"].to_str().unwrap().contains("x-amz-target"));
    }
    // The hosted pages are not CORS-enabled and cannot be framed.
    let jwks = app.http.get(app.url(&pool, "/.well-known/jwks.json")).send().await.unwrap();
    assert_eq!(jwks.headers()["access-control-allow-origin"], "*");
    assert_eq!(jwks.headers()["x-frame-options"], "DENY");
    let keys: serde_json::Value = jwks.json().await.unwrap();
    assert_eq!(keys["keys"].as_array().unwrap().len(), 2, "active and next keys are published");
}

#[tokio::test]
async fn garbage_input_never_causes_a_server_error() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, true, json!({})).await;
    let junk_bodies: [&[u8]; 5] =
        [b"", b"\xff\xfe\xfd", b"grant_type=authorization_code&code=%zz", b"a=1&a=2", &[b'x'; 100_000]];
    let form_paths = ["/oauth2/token", "/oauth2/revoke", "/login", "/newPassword"];
    for path in form_paths {
        for body in junk_bodies {
            let r = app
                .http
                .post(app.url(&f.pool, path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_vec())
                .send()
                .await
                .unwrap();
            assert!(
                r.status().is_client_error(),
                "{path} answered {} to {:?}",
                r.status(),
                &body[..body.len().min(20)]
            );
        }
    }
    for query in [
        "",
        "?response_type=code",
        "?client_id=%ff%fe",
        "?redirect_uri=javascript:alert(1)&client_id=x",
        "?prompt=bogus",
    ] {
        for path in ["/oauth2/authorize", "/login", "/logout"] {
            let r = app.http.get(format!("{}{query}", app.url(&f.pool, path))).send().await.unwrap();
            assert!(r.status().is_client_error(), "{path}{query} answered {}", r.status());
        }
    }
    for token in ["", "abc", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."] {
        let r = app.http.get(app.url(&f.pool, "/oauth2/userInfo")).bearer_auth(token).send().await.unwrap();
        assert_eq!(r.status(), 401, "token {token:?}");
    }
    let r = app.http.get(format!("{}/local_nosuchpool/.well-known/jwks.json", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

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
    let r = f.refresh_request(&app, rt).send().await.unwrap();
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
