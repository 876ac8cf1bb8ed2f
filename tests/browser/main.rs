//! Real-browser tests: Debian's Chromium, headless, driven over WebDriver (chromedriver's HTTP
//! JSON protocol) through the hosted pages. Without Chromium installed they are skipped, unless
//! `PORTCULLIS_BROWSER_TESTS=required` (as in `.ci/run`), which makes a missing browser a failure.

#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

use helpers::*;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// Is a browser available? Panics when it is required and missing.
fn browser_available() -> bool {
    let present = std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists();
    if !present {
        assert!(
            std::env::var("PORTCULLIS_BROWSER_TESTS").as_deref() != Ok("required"),
            "Chromium and chromedriver are required (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipping browser test: {CHROMEDRIVER} or {CHROMIUM} is not installed");
    }
    present
}

struct Driver {
    child: Child,
    base: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{base}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     "--window-size=1000,800", format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let r: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        let session = r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_string();
        Driver { child, base, session, http, _profile: profile }
    }

    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    async fn goto(&self, url: &str) {
        self.cmd(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn current_url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_string()
    }

    async fn find(&self, css: &str) -> String {
        let v = self.cmd(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(|x| x.as_str())
            .unwrap_or_else(|| panic!("no element {css}: {v}"))
            .to_string()
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/value"), Some(json!({"text": text}))).await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({}))).await;
    }

    async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let v = self.cmd(reqwest::Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).unwrap_or_default();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }

    /// Wait until the browser is at a URL starting with `prefix`.
    async fn wait_for_url(&self, prefix: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let u = self.current_url().await;
            if u.starts_with(prefix) {
                return u;
            }
            assert!(Instant::now() < deadline, "browser stayed at {u}, expected {prefix}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A local app callback that answers every request with a small page.
async fn callback_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 9\r\nconnection: close\r\n\r\nsigned in")
                .await;
        }
    });
    format!("http://127.0.0.1:{}/callback", addr.port())
}

async fn redeem(app: &TestApp, pool: &str, client: &str, callback: &str, code: &str, verifier: &str) -> Value {
    let r = app
        .http
        .post(app.url(pool, "/oauth2/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("client_id", client),
            ("code", code),
            ("redirect_uri", callback),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// One test drives both flows in one browser, so the suite never runs two Chromiums at once.
#[tokio::test]
async fn hosted_sign_in_and_new_password_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let callback = callback_server().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({"CallbackURLs": [callback]})).await;
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let driver = Driver::start().await;

    // 1. A confirmed user signs in and lands on the app's callback with a code.
    let (verifier, challenge) = pkce();
    let authorize = format!(
        "{}?response_type=code&client_id={client}&redirect_uri={}&scope=openid+email&state=b1&nonce=nb&code_challenge={challenge}&code_challenge_method=S256",
        app.url(&pool, "/oauth2/authorize"),
        urlencode(&callback)
    );
    driver.goto(&authorize).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.screenshot("login").await;
    driver.type_into("input[name=username]", "alice").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[type=submit]").await;
    let landed = driver.wait_for_url(&callback).await;
    assert_eq!(query_param(&landed, "state").as_deref(), Some("b1"));
    let code = query_param(&landed, "code").expect("code on the callback");
    let tokens = redeem(&app, &pool, &client, &callback, &code, &verifier).await;
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], "alice");
    assert_eq!(id["nonce"], "nb");

    // 2. An admin-created user must choose a new password first. The browser still has alice's
    //    session (SSO), so `prompt=login` asks for credentials again.
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "bob", "TemporaryPassword": "Temp-Pass-123", "MessageAction": "SUPPRESS"}),
    )
    .await;
    let (verifier, challenge) = pkce();
    let authorize =
        authorize.replace(&pkce_challenge_of(&authorize), &challenge).replace("state=b1", "state=b2") + "&prompt=login";
    driver.goto(&authorize).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.type_into("input[name=username]", "bob").await;
    driver.type_into("input[name=password]", "Temp-Pass-123").await;
    driver.click("button[type=submit]").await;
    let el = driver.find("input[name=confirm_password]").await;
    assert!(!el.is_empty());
    driver.screenshot("new-password").await;
    driver.type_into("input[name=password]", "Brand-New-Pass-9").await;
    driver.type_into("input[name=confirm_password]", "Brand-New-Pass-9").await;
    driver.click("button[type=submit]").await;
    let landed = driver.wait_for_url(&callback).await;
    assert_eq!(query_param(&landed, "state").as_deref(), Some("b2"));
    let code = query_param(&landed, "code").expect("code on the callback");
    let tokens = redeem(&app, &pool, &client, &callback, &code, &verifier).await;
    assert_eq!(claims(tokens["id_token"].as_str().unwrap())["cognito:username"], "bob");
    let user = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    assert_eq!(user["UserStatus"], "CONFIRMED");
}

fn pkce_challenge_of(url: &str) -> String {
    query_param(url, "code_challenge").unwrap_or_default()
}
