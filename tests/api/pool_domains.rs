//! Pool domains: a pool's domain (`{prefix}.{domain_base}`, by Host header) serves discovery and
//! the hosted sign-in at its root, and a forwarded host that is not a plain host and port
//! selects no domain.

use crate::helpers::*;
use serde_json::{Value, json};

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
    let r = post_login(&browser, &html, "alice", PASSWORD).await;
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
