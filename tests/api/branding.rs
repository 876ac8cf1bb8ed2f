//! Hosted-UI branding through the signed API (SetUICustomization / GetUICustomization): pool
//! default and client overrides, what the sign-in page links, how the CSS and logo are served
//! (under the pool and at a pool domain's root), what is refused, and clearing a level.

use crate::helpers::*;
use base64::Engine;
use serde_json::{Value, json};

/// A 1×1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49,
    0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D,
    0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];
/// The start of a JPEG (JFIF) file: enough for the magic-byte check.
const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46, 0x49, 0x46, 0x00, 0x01, 0xFF, 0xD9];

const POOL_CSS: &str =
    ".submitButton-customizable { background-color: #ff6600; }\n.logo-customizable { max-height: 80px; }";
const CLIENT_CSS: &str = ".label-customizable { color: rgb(18, 52, 86); }";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The sign-in page of `client_id`.
async fn login_html(app: &TestApp, pool: &str, client_id: &str) -> String {
    let (verifier, challenge) = pkce();
    let f = Flow { pool: pool.into(), client_id: client_id.into(), secret: None, verifier, challenge };
    let browser = app.browser();
    let r = browser.get(f.authorize_url(app, "")).send().await.unwrap();
    let page = browser.get(location(&r)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

/// The value of `attr` on the first tag that starts with `tag_start`.
fn attr_of(html: &str, tag_start: &str, attr: &str) -> Option<String> {
    let at = html.find(tag_start)?;
    let tag = &html[at..at + html[at..].find('>')?];
    let marker = format!("{attr}=\"");
    let start = tag.find(&marker)? + marker.len();
    Some(unescape(&tag[start..start + tag[start..].find('"')?]))
}

fn custom_css_href(html: &str) -> Option<String> {
    let custom = html.find("<link rel=\"stylesheet\" href=\"/static/portcullis.css\">")? + 10;
    attr_of(&html[custom..], "<link rel=\"stylesheet\"", "href")
}

async fn error_type(app: &TestApp, body: Value) -> (String, String) {
    let (status, v) = app.api("SetUICustomization", body).await;
    assert_eq!(status, 400, "{v}");
    (v["__type"].as_str().unwrap_or_default().into(), v["message"].as_str().unwrap_or_default().into())
}

#[tokio::test]
async fn pool_default_and_client_override_are_set_got_linked_and_served() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (own, _) = app.create_client(&pool, false, json!({"ClientName": "own"})).await;
    let (plain, _) = app.create_client(&pool, false, json!({"ClientName": "plain"})).await;

    let set = app.ok("SetUICustomization", json!({"UserPoolId": pool, "CSS": POOL_CSS, "ImageFile": b64(PNG)})).await;
    let all = &set["UICustomization"];
    assert_eq!((all["UserPoolId"].as_str(), all["ClientId"].as_str()), (Some(pool.as_str()), Some("ALL")));
    assert_eq!(all["CSS"], POOL_CSS);
    let version = all["CSSVersion"].as_str().expect("CSSVersion").to_string();
    let image_url = all["ImageUrl"].as_str().expect("ImageUrl").to_string();
    assert_eq!(image_url, format!("{}/ui/logo/ALL.png?v={version}", app.url(&pool, "")));
    assert!(all["CreationDate"].is_number() && all["LastModifiedDate"].is_number());

    let set = app.ok("SetUICustomization", json!({"UserPoolId": pool, "ClientId": own, "CSS": CLIENT_CSS})).await;
    assert_eq!(set["UICustomization"]["ClientId"], own.as_str());
    assert!(set["UICustomization"].get("ImageUrl").is_none(), "a client's setting replaces the default whole");

    let got = |client: Option<&str>| {
        let mut body = json!({"UserPoolId": pool});
        if let Some(c) = client {
            body["ClientId"] = json!(c);
        }
        app.ok("GetUICustomization", body)
    };
    let g = got(Some(&own)).await;
    assert_eq!(
        (g["UICustomization"]["ClientId"].as_str(), g["UICustomization"]["CSS"].as_str()),
        (Some(own.as_str()), Some(CLIENT_CSS))
    );
    let g = got(Some(&plain)).await;
    assert_eq!(g["UICustomization"]["ClientId"], "ALL", "a client without its own falls back to the default");
    assert_eq!(g["UICustomization"]["ImageUrl"], image_url.as_str());
    let g = got(Some("ALL")).await;
    assert_eq!(g["UICustomization"]["CSS"], POOL_CSS);
    assert_eq!(got(None).await, g);

    // The pages link the level that applies, after the default theme; no inline style.
    let page = login_html(&app, &pool, &plain).await;
    let css_href = custom_css_href(&page).expect("pool CSS linked");
    assert!(css_href.starts_with(&format!("{}/ui/css/ALL.css?v=", app.url(&pool, ""))), "{css_href}");
    let logo_src = attr_of(&page, "<img", "src").expect("logo");
    assert_eq!(logo_src, image_url);
    assert_eq!(attr_of(&page, "<img", "alt").as_deref(), Some("plain logo"));
    assert_eq!(attr_of(&page, "<img", "class").as_deref(), Some("logo-customizable"));
    assert!(page.contains("class=\"submitButton-customizable\"") && page.contains("class=\"inputField-customizable\""));
    assert!(page.contains("class=\"label-customizable\"") && page.contains("background-customizable"));
    assert!(!page.contains("style=") && !page.contains("<style"), "the strict CSP allows no inline style");

    let page = login_html(&app, &pool, &own).await;
    let own_href = custom_css_href(&page).expect("client CSS linked");
    assert!(own_href.starts_with(&format!("{}/ui/css/{own}.css?v=", app.url(&pool, ""))), "{own_href}");
    assert!(!page.contains("<img"), "the client's own level has no logo");

    // Served with the right types; a current version may be cached for good.
    let r = app.http.get(&css_href).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert_eq!(r.text().await.unwrap(), POOL_CSS);
    let r = app.http.get(&own_href).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), CLIENT_CSS);
    let r = app.http.get(&logo_src).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let stale = app.http.get(app.url(&pool, "/ui/logo/ALL.png?v=old")).send().await.unwrap();
    assert_eq!(stale.headers()["cache-control"], "public, max-age=60");
    let none = app.http.get(app.url(&pool, &format!("/ui/logo/{own}.png"))).send().await.unwrap();
    assert_eq!(none.status(), 404, "the client's level has no logo");

    // The same files at the root of a pool domain.
    app.ok("CreateUserPoolDomain", json!({"UserPoolId": pool, "Domain": "brand"})).await;
    let host = format!("brand.{}", app.config.domain_base);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", app.port).parse().unwrap();
    let client = reqwest::Client::builder().resolve(&host, addr).build().unwrap();
    let r = client.get(format!("http://{host}:{}/ui/logo/ALL.png", app.port)).send().await.unwrap();
    assert_eq!((r.status().as_u16(), r.headers()["content-type"].to_str().unwrap()), (200, "image/png"));
    let r = client.get(format!("http://{host}:{}/ui/css/ALL.css", app.port)).send().await.unwrap();
    assert_eq!(r.text().await.unwrap(), POOL_CSS);

    // A JPEG logo gets its own type and extension.
    let set = app.ok("SetUICustomization", json!({"UserPoolId": pool, "ClientId": own, "ImageFile": b64(JPEG)})).await;
    let jpeg_url = set["UICustomization"]["ImageUrl"].as_str().unwrap().to_string();
    assert!(jpeg_url.contains(&format!("/ui/logo/{own}.jpg?v=")), "{jpeg_url}");
    let r = app.http.get(&jpeg_url).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(custom_css_href(&login_html(&app, &pool, &own).await).is_none(), "the new setting has no CSS");
}

#[tokio::test]
async fn clearing_a_client_level_falls_back_to_the_pool_default() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    app.ok(
        "SetUICustomization",
        json!({"UserPoolId": pool, "ClientId": "ALL", "CSS": POOL_CSS, "ImageFile": b64(PNG)}),
    )
    .await;
    app.ok("SetUICustomization", json!({"UserPoolId": pool, "ClientId": client, "CSS": CLIENT_CSS})).await;
    assert!(
        custom_css_href(&login_html(&app, &pool, &client).await).unwrap().contains(&format!("/ui/css/{client}.css"))
    );

    let cleared = app.ok("SetUICustomization", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(cleared["UICustomization"]["ClientId"], client.as_str());
    assert!(cleared["UICustomization"].get("CSS").is_none());
    let g = app.ok("GetUICustomization", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(
        (g["UICustomization"]["ClientId"].as_str(), g["UICustomization"]["CSS"].as_str()),
        (Some("ALL"), Some(POOL_CSS))
    );
    let page = login_html(&app, &pool, &client).await;
    assert!(custom_css_href(&page).unwrap().contains("/ui/css/ALL.css"));
    assert!(attr_of(&page, "<img", "src").unwrap().contains("/ui/logo/ALL.png"));
    let gone = app.http.get(app.url(&pool, &format!("/ui/css/{client}.css"))).send().await.unwrap();
    assert_eq!(gone.status(), 404);

    // Clearing the default too leaves the pages plain.
    app.ok("SetUICustomization", json!({"UserPoolId": pool})).await;
    let page = login_html(&app, &pool, &client).await;
    assert!(custom_css_href(&page).is_none() && !page.contains("<img"));
    let g = app.ok("GetUICustomization", json!({"UserPoolId": pool})).await;
    assert_eq!(g["UICustomization"], json!({"UserPoolId": pool, "ClientId": "ALL"}));

    // A deleted client takes its branding along.
    app.ok("SetUICustomization", json!({"UserPoolId": pool, "ClientId": client, "CSS": CLIENT_CSS})).await;
    app.ok("DeleteUserPoolClient", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert!(app.services.store.get_ui_customization(&pool, &client).await.unwrap().is_none());
}

#[tokio::test]
async fn bad_css_and_bad_logos_are_invalid_parameters() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let with_css = |css: &str| json!({"UserPoolId": pool, "CSS": css});
    let bad_css = [
        (".logo-customizable { background: url(https://evil.example/t.png); }", "url()"),
        ("@import url(https://evil.example/x.css);", "@import"),
        (".banner-customizable a, body { color: red; }", "selector"),
        (".label-customizable { color: red; } </style><script>alert(1)</script>", "'<'"),
        (".label-customizable { width: expression(alert(1)); }", "expression()"),
    ];
    for (css, named) in bad_css {
        let (kind, message) = error_type(&app, with_css(css)).await;
        assert_eq!(kind, "InvalidParameterException", "{css}");
        assert!(message.contains(named), "{css}: {message}");
    }
    let svg = b64(b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>");
    let (kind, message) = error_type(&app, json!({"UserPoolId": pool, "ImageFile": svg})).await;
    assert_eq!(kind, "InvalidParameterException");
    assert!(message.contains("PNG or JPEG"), "{message}");
    let mut big = PNG.to_vec();
    big.resize(120 * 1024, 0);
    let (kind, message) = error_type(&app, json!({"UserPoolId": pool, "ImageFile": b64(&big)})).await;
    assert_eq!(kind, "InvalidParameterException");
    assert!(message.contains("too large"), "{message}");
    let mut just_over = PNG.to_vec();
    just_over.resize(100 * 1024 + 1, 0);
    let (_, message) = error_type(&app, json!({"UserPoolId": pool, "ImageFile": b64(&just_over)})).await;
    assert!(message.contains("at most"), "{message}");
    let (kind, _) = error_type(&app, json!({"UserPoolId": pool, "ImageFile": "%%% not base64"})).await;
    assert_eq!(kind, "InvalidParameterException");

    // Nothing of that was stored; unknown clients and pools are not found; the action is signed.
    let g = app.ok("GetUICustomization", json!({"UserPoolId": pool})).await;
    assert!(g["UICustomization"].get("CSSVersion").is_none());
    let (kind, _) = error_type(&app, json!({"UserPoolId": pool, "ClientId": "nosuchclient", "CSS": POOL_CSS})).await;
    assert_eq!(kind, "ResourceNotFoundException");
    let (status, v) = app.api("GetUICustomization", json!({"UserPoolId": "local_000000000"})).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("ResourceNotFoundException")));
    let (status, v) = app.public_api("SetUICustomization", with_css(POOL_CSS)).await;
    assert_eq!((status, v["__type"].as_str()), (403, Some("MissingAuthenticationTokenException")));
}
