//! The code flow through the hosted page and the token endpoint.

use crate::helpers::*;
use serde_json::json;

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
    let refresh = app
        .http
        .post(app.url(&f.pool, "/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &f.client_id),
            ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
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
