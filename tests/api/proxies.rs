//! Forwarded headers (`Forwarded`, `X-Forwarded-*`) count only from the trusted proxies
//! (`PORTCULLIS_TRUSTED_PROXIES`, none by default): otherwise a client could pick the pool
//! domain a request is served for, or the host discovery announces (a cached document).
//! The tests connect from 127.0.0.1.

use crate::helpers::*;
use portcullis::web::client::parse_cidrs;
use serde_json::{Value, json};

/// A pool `acme.{domain_base}` and a client that resolves `hosts` to the test server.
async fn pool_with_domain(app: &TestApp) -> (String, reqwest::Client) {
    let f = setup_flow(app, false, json!({})).await;
    app.ok("CreateUserPoolDomain", json!({"UserPoolId": f.pool, "Domain": "acme"})).await;
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", app.port).parse().unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("evil.example", addr)
        .resolve(&format!("acme.{}", app.config.domain_base), addr)
        .build()
        .unwrap();
    (f.pool, client)
}

fn discovery_at(app: &TestApp, host: &str) -> String {
    format!("http://{host}:{}/.well-known/openid-configuration", app.port)
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_do_not_select_a_pool_domain() {
    let app = TestApp::spawn().await;
    let (_, client) = pool_with_domain(&app).await;
    let acme = format!("acme.{}", app.config.domain_base);
    let forged = [
        ("x-forwarded-host", acme.clone()),
        ("x-forwarded-host", format!("{acme}:{}", app.port)),
        ("forwarded", format!("host={acme}")),
        ("forwarded", format!("for=192.0.2.1;host=\"{acme}:{}\";proto=https", app.port)),
    ];
    for (name, value) in forged {
        let r = client.get(discovery_at(&app, "evil.example")).header(name, &value).send().await.unwrap();
        assert_eq!(r.status(), 404, "Host: evil.example with {name}: {value} served the pool");
    }
    // The real Host still selects the domain.
    let r = client.get(discovery_at(&app, &acme)).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_do_not_change_discovery() {
    let app = TestApp::spawn().await;
    let (_, client) = pool_with_domain(&app).await;
    let acme = format!("acme.{}", app.config.domain_base);
    let root = format!("http://{acme}:{}", app.port);
    for (name, value) in [
        ("forwarded", format!("host={acme}:6666")),
        ("forwarded", format!("host={acme};proto=https")),
        ("x-forwarded-host", format!("{acme}:6666")),
        ("x-forwarded-proto", "https".to_string()),
    ] {
        let r = client.get(discovery_at(&app, &acme)).header(name, &value).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let d: Value = r.json().await.unwrap();
        assert_eq!(d["authorization_endpoint"], format!("{root}/oauth2/authorize"), "{name}: {value}");
        assert_eq!(d["token_endpoint"], format!("{root}/oauth2/token"), "{name}: {value}");
    }
}

#[tokio::test]
async fn forwarded_headers_from_a_trusted_proxy_are_honoured() {
    let app = TestApp::spawn_with(|c| c.trusted_proxies = parse_cidrs("127.0.0.0/8").unwrap()).await;
    let (_, client) = pool_with_domain(&app).await;
    let acme = format!("acme.{}", app.config.domain_base);

    // The proxy's X-Forwarded-Host selects the domain whatever the Host of the hop.
    let r = client.get(discovery_at(&app, "evil.example")).header("x-forwarded-host", &acme).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["token_endpoint"], format!("http://{acme}/oauth2/token"));

    // Forwarded (RFC 7239) host and proto shape the endpoints.
    let r = client
        .get(discovery_at(&app, "evil.example"))
        .header("forwarded", format!("for=192.0.2.1;host=\"{acme}:6666\";proto=https"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["authorization_endpoint"], format!("https://{acme}:6666/oauth2/authorize"));

    // X-Forwarded-Proto alone, on the real host.
    let r = client.get(discovery_at(&app, &acme)).header("x-forwarded-proto", "https").send().await.unwrap();
    let d: Value = r.json().await.unwrap();
    assert_eq!(d["token_endpoint"], format!("https://{acme}:{}/oauth2/token", app.port));

    // A forwarded host that is no pool's domain is not served.
    let r = client.get(discovery_at(&app, &acme)).header("x-forwarded-host", "evil.example").send().await.unwrap();
    assert_eq!(r.status(), 404);
}
