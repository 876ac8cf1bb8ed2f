//! Real-browser tests: Debian's Chromium, headless, driven over WebDriver (chromedriver's HTTP
//! JSON protocol) through the hosted pages: sign-in, the new-password challenge, sign-up with the
//! code from a real SMTP sink, TOTP set-up and sign-in with MFA, and password reset, each from the
//! relying party's `/oauth2/authorize` to its callback and a token redemption; and the operators'
//! dashboard ([`admin`]). Each test runs its own chromedriver and profile, so tests run side by
//! side. Without Chromium installed they are skipped, unless `PORTCULLIS_BROWSER_TESTS=required`
//! (as in `.ci/run`), which makes a missing browser a failure. `PORTCULLIS_SCREENSHOTS=<dir>`
//! saves screenshots of the pages there.

#[path = "../api/fake_idp/mod.rs"]
mod fake_idp;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
#[allow(dead_code)]
#[path = "../api/smtp.rs"]
mod smtp;

mod admin;
mod admin_identity;
mod passkeys;

use helpers::*;
use portcullis::clock::Clock;
use serde_json::{Value, json};
use smtp::spawn_with_mail;
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

/// One chromedriver and one headless Chromium session in its own temporary profile. Every test
/// starts its own (on a free port), so tests can run side by side; dropping it ends the session
/// (chromedriver quits the browser) and then chromedriver, and kills whatever is left of the
/// process group it started.
struct Driver {
    child: Child,
    port: u16,
    base: String,
    session: String,
    http: reqwest::Client,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        end_session_blocking(self.port, &self.session);
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Chromium was started by chromedriver in the group created for it: end any straggler.
        let _ =
            Command::new("kill").args(["-KILL", "--", &format!("-{}", self.child.id())]).stderr(Stdio::null()).status();
    }
}

/// `DELETE /session/{id}` without an async runtime (for `Drop`): chromedriver closes Chromium.
fn end_session_blocking(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else { return };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
    let req = format!(
        "DELETE /session/{session} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_ok() {
        let _ = s.read_to_end(&mut Vec::new());
    }
}

/// How long to wait for an element or a URL: generous, the machine may be busy hashing passwords.
const WAIT: Duration = Duration::from_secs(20);

impl Driver {
    async fn start() -> Driver {
        use std::os::unix::process::CommandExt;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
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
        let session = Self::new_session(&http, &base, &profile).await;
        Driver { child, port, base, session, http, profile }
    }

    async fn new_session(http: &reqwest::Client, base: &str, profile: &tempfile::TempDir) -> String {
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": CHROMIUM,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                     "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                     "--window-size=1000,800", format!("--user-data-dir={}", profile.path().display())]
        }}}});
        let r: Value = http.post(format!("{base}/session")).json(&caps).send().await.unwrap().json().await.unwrap();
        r["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {r}")).to_string()
    }

    /// A fresh browser (new profile: no cookies, no history) on the same chromedriver.
    async fn restart_browser(&mut self) {
        self.http.delete(format!("{}/session/{}", self.base, self.session)).send().await.unwrap();
        self.profile = tempfile::tempdir().unwrap();
        self.session = Self::new_session(&self.http, &self.base, &self.profile).await;
    }

    /// A WebDriver command; the `value` of its answer (an `{"error": …}` object when it failed).
    async fn cmd(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut req = self.http.request(method, url);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await.unwrap().json().await.unwrap();
        v["value"].clone()
    }

    /// A command that must succeed.
    async fn cmd_ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let what = format!("{method} {path}");
        let v = self.cmd(method, path, body).await;
        assert!(v.get("error").is_none(), "{what} failed: {v}");
        v
    }

    async fn goto(&self, url: &str) {
        self.cmd_ok(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    async fn current_url(&self) -> String {
        self.cmd(reqwest::Method::GET, "/url", None).await.as_str().unwrap_or_default().to_string()
    }

    /// Element ids matching a CSS selector, now (possibly none).
    async fn find_all(&self, css: &str) -> Vec<String> {
        let v =
            self.cmd(reqwest::Method::POST, "/elements", Some(json!({"using": "css selector", "value": css}))).await;
        v.as_array()
            .map(|els| {
                els.iter().filter_map(|e| e.as_object()?.values().next()?.as_str().map(str::to_string)).collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `css`, waiting (bounded) for it to appear.
    async fn find(&self, css: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(el) = self.find_all(css).await.into_iter().next() {
                return el;
            }
            let at = self.current_url().await;
            assert!(Instant::now() < deadline, "no element {css} on {at}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        let v = self.cmd_ok(reqwest::Method::GET, &format!("/element/{el}/text"), None).await;
        v.as_str().unwrap_or_default().to_string()
    }

    async fn property(&self, css: &str, name: &str) -> Value {
        let el = self.find(css).await;
        self.cmd_ok(reqwest::Method::GET, &format!("/element/{el}/property/{name}"), None).await
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.cmd_ok(reqwest::Method::POST, &format!("/element/{el}/value"), Some(json!({"text": text}))).await;
    }

    async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd_ok(reqwest::Method::POST, &format!("/element/{el}/click"), Some(json!({}))).await;
    }

    /// Run a script in the page (WebDriver runs it outside the page's CSP).
    async fn script(&self, body: &str) -> Value {
        self.cmd_ok(reqwest::Method::POST, "/execute/sync", Some(json!({"script": body, "args": []}))).await
    }

    /// Emulate a screen of `width` × `height` CSS pixels (a phone when `mobile`: its viewport
    /// meta tag applies and scrollbars overlay the page), or the plain window again with `None`.
    async fn emulate_screen(&self, screen: Option<(u32, u32, bool)>) {
        let (cmd, params) = match screen {
            Some((width, height, mobile)) => (
                "Emulation.setDeviceMetricsOverride",
                json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}),
            ),
            None => ("Emulation.clearDeviceMetricsOverride", json!({})),
        };
        self.cmd_ok(reqwest::Method::POST, "/goog/cdp/execute", Some(json!({"cmd": cmd, "params": params}))).await;
    }

    /// A PNG of the whole page at the current width (beyond the viewport when it is taller).
    async fn full_page_png(&self) -> Vec<u8> {
        use base64::Engine;
        let size =
            self.script("return [document.documentElement.scrollWidth, document.documentElement.scrollHeight]").await;
        let params = json!({"captureBeyondViewport": true, "fromSurface": true,
            "clip": {"x": 0, "y": 0, "width": size[0], "height": size[1], "scale": 1}});
        let v = self
            .cmd_ok(
                reqwest::Method::POST,
                "/goog/cdp/execute",
                Some(json!({"cmd": "Page.captureScreenshot", "params": params})),
            )
            .await;
        base64::engine::general_purpose::STANDARD.decode(v["data"].as_str().unwrap_or_default()).expect("base64 PNG")
    }

    /// A PNG of the viewport.
    async fn screenshot_png(&self) -> Vec<u8> {
        use base64::Engine;
        let v = self.cmd_ok(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default()).expect("base64 PNG")
    }

    /// Save a screenshot as `{name}.png` in `$PORTCULLIS_SCREENSHOTS` when that is set.
    async fn screenshot(&self, name: &str) {
        if let Some(dir) = screenshot_dir() {
            std::fs::write(dir.join(format!("{name}.png")), self.screenshot_png().await).expect("write screenshot");
        }
    }

    /// Wait until the browser is at a URL starting with `prefix`.
    async fn wait_for_url(&self, prefix: &str) -> String {
        let deadline = Instant::now() + WAIT;
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

/// Where screenshots go: `$PORTCULLIS_SCREENSHOTS` (created), or nowhere when unset.
fn screenshot_dir() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(std::env::var_os("PORTCULLIS_SCREENSHOTS")?);
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    Some(dir)
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

/// Sign-in, then the NEW_PASSWORD_REQUIRED challenge of an admin-created user, in one browser.
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

/// The sign-in page's "Continue with Google" button, clicked in a real browser, goes through a
/// fake Google (a real OIDC provider on loopback) and back to the app with a code for a new
/// federated user; a second click signs the same user in again.
#[tokio::test]
async fn continue_with_google_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let google = fake_idp::FakeOidc::start().await;
    google.set_user(json!({"sub": "10769150350006150715113082367", "email": "jane@gmail.example",
                           "email_verified": true, "name": "Jane Doe"}));
    let callback = callback_server().await;
    let pool = app.create_pool(json!({})).await;
    let base = google.base();
    app.ok(
        "CreateIdentityProvider",
        json!({"UserPoolId": pool, "ProviderName": "Google", "ProviderType": "Google",
               "ProviderDetails": {"client_id": google.client_id(), "client_secret": google.client_secret(),
                                   "authorize_scopes": "openid email profile", "oidc_issuer": base,
                                   "authorize_url": format!("{base}/authorize"), "token_url": format!("{base}/token"),
                                   "jwks_uri": format!("{base}/jwks")},
               "AttributeMapping": {"email": "email", "email_verified": "email_verified", "name": "name"}}),
    )
    .await;
    let (client, _) = app
        .create_client(&pool, false, json!({"CallbackURLs": [callback], "LogoutURLs": [callback], "SupportedIdentityProviders": ["COGNITO", "Google"]}))
        .await;
    let driver = Driver::start().await;
    for (round, state) in ["g1", "g2"].into_iter().enumerate() {
        let (verifier, challenge) = pkce();
        driver.goto(&authorize_url(&app, &pool, &client, &callback, state, &challenge)).await;
        driver.wait_for_url(&app.url(&pool, "/login")).await;
        if round == 0 {
            assert_eq!(driver.text("a.idpButton-customizable").await, "Continue with Google");
            driver.screenshot("login-with-google").await;
        }
        driver.click("a.idpButton-customizable").await;
        let id = landed_and_redeemed(&app, &driver, (&pool, &client, &callback), state, &verifier).await;
        assert_eq!(id["cognito:username"], "Google_10769150350006150715113082367");
        assert_eq!(id["email"], "jane@gmail.example");
        assert_eq!(id["identities"][0]["providerName"], "Google");
        // The upstream saw our idpresponse as its redirect URI, and PKCE.
        let sent = google.last_authorize().expect("the fake Google saw the browser");
        assert_eq!(sent.get("redirect_uri"), Some(&app.url(&pool, "/oauth2/idpresponse")));
        assert_eq!(sent.get("code_challenge_method").map(String::as_str), Some("S256"));
        // Sign out of the pool so the second round goes through Google again.
        driver
            .goto(&format!("{}?client_id={client}&logout_uri={}", app.url(&pool, "/logout"), urlencode(&callback)))
            .await;
        driver.wait_for_url(&callback).await;
    }
    let user =
        app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": "Google_10769150350006150715113082367"})).await;
    assert_eq!(user["UserStatus"], "EXTERNAL_PROVIDER");
}

fn pkce_challenge_of(url: &str) -> String {
    query_param(url, "code_challenge").unwrap_or_default()
}

/// `/oauth2/authorize` for a code-flow client with PKCE, sending the browser back to `callback`.
fn authorize_url(app: &TestApp, pool: &str, client: &str, callback: &str, state: &str, challenge: &str) -> String {
    format!(
        "{}?response_type=code&client_id={client}&redirect_uri={}&scope=openid+email&state={state}&code_challenge={challenge}&code_challenge_method=S256",
        app.url(pool, "/oauth2/authorize"),
        urlencode(callback)
    )
}

/// The current TOTP code for a base32 secret at `at` (seconds), as an authenticator app shows it.
fn totp_code(secret_b32: &str, at: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).expect("base32 secret");
    let t = totp_rs::Builder::new().with_secret(secret).build().expect("totp");
    t.generate(at as u64).to_string()
}

/// The browser is on the callback with `state`: redeem its code (PKCE) and return the ID token's claims.
async fn landed_and_redeemed(
    app: &TestApp,
    driver: &Driver,
    (pool, client, callback): (&str, &str, &str),
    state: &str,
    verifier: &str,
) -> Value {
    let landed = driver.wait_for_url(callback).await;
    assert_eq!(query_param(&landed, "state").as_deref(), Some(state), "{landed}");
    let code = query_param(&landed, "code").unwrap_or_else(|| panic!("no code on {landed}"));
    let tokens = redeem(app, pool, client, callback, &code, verifier).await;
    assert!(tokens["access_token"].is_string() && tokens["refresh_token"].is_string(), "{tokens}");
    claims(tokens["id_token"].as_str().expect("id_token"))
}

#[tokio::test]
async fn sign_up_with_the_mailed_code_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let (app, sink) = spawn_with_mail().await;
    let callback = callback_server().await;
    let pool = app
        .create_pool(json!({
            "AutoVerifiedAttributes": ["email"],
            "Schema": [{"Name": "name", "AttributeDataType": "String", "Required": true, "Mutable": true}],
        }))
        .await;
    let (client, _) = app.create_client(&pool, false, json!({"CallbackURLs": [callback]})).await;
    let driver = Driver::start().await;

    let (verifier, challenge) = pkce();
    driver.goto(&authorize_url(&app, &pool, &client, &callback, "su1", &challenge)).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.click("#signup-link").await;
    driver.wait_for_url(&app.url(&pool, "/signup")).await;
    driver.type_into("input[name=username]", "bob").await;
    driver.type_into("input[name='userAttributes.email']", "bob@example.com").await;
    driver.type_into("input[name='userAttributes.name']", "Bob Builder").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[name=signUpButton]").await;

    driver.wait_for_url(&app.url(&pool, "/confirm")).await;
    assert_eq!(driver.property("input[name=username]", "value").await, "bob", "the username is carried over");
    let code = sink.nth_to("bob@example.com", 0).await.code();
    driver.type_into("input[name=code]", &code).await;
    driver.click("button[name=confirmButton]").await;

    let id = landed_and_redeemed(&app, &driver, (&pool, &client, &callback), "su1", &verifier).await;
    assert_eq!(id["cognito:username"], "bob");
    assert_eq!(id["email"], "bob@example.com");
    assert_eq!(id["email_verified"], true);
    let user = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    assert_eq!(user["UserStatus"], "CONFIRMED");
    assert!(user["UserAttributes"].as_array().unwrap().contains(&json!({"Name": "name", "Value": "Bob Builder"})));
}

#[tokio::test]
async fn required_totp_is_set_up_from_the_page_then_asked_in_a_new_browser() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let callback = callback_server().await;
    let pool = app.create_pool(json!({})).await;
    app.ok(
        "SetUserPoolMfaConfig",
        json!({"UserPoolId": pool, "MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true}}),
    )
    .await;
    let (client, _) = app.create_client(&pool, false, json!({"CallbackURLs": [callback]})).await;
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let mut driver = Driver::start().await;
    let rp = (pool.as_str(), client.as_str(), callback.as_str());

    // First sign-in: the password, then the authenticator set-up page.
    let (verifier, challenge) = pkce();
    driver.goto(&authorize_url(&app, &pool, &client, &callback, "m1", &challenge)).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.type_into("input[name=username]", "alice").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.find("figure.qr svg").await;
    let secret = driver.text("#totp-secret").await;
    assert!(secret.len() >= 16 && secret.chars().all(|c| c.is_ascii_alphanumeric()), "secret {secret:?}");
    let uri = driver.text("#otpauth-uri").await;
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")), "{uri}");
    driver.type_into("input[name=code]", &totp_code(&secret, app.clock.now())).await;
    driver.click("button[name=verifyButton]").await;

    driver.find("#recovery-codes").await;
    let codes = driver.find_all("#recovery-codes li").await;
    assert_eq!(codes.len(), 10, "ten recovery codes are shown once");
    driver.click("button[name=continueButton]").await;
    let id = landed_and_redeemed(&app, &driver, rp, "m1", &verifier).await;
    assert_eq!(id["cognito:username"], "alice");
    let user = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(user["UserMFASettingList"], json!(["SOFTWARE_TOKEN_MFA"]));

    // A new browser (no session cookie), thirty seconds later: password, then the app's next code.
    driver.restart_browser().await;
    app.clock.advance_secs(30);
    let (verifier, challenge) = pkce();
    driver.goto(&authorize_url(&app, &pool, &client, &callback, "m2", &challenge)).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.type_into("input[name=username]", "alice").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.find("form[name=mfaForm]").await;
    assert_eq!(driver.property("input[name=challenge]", "value").await, "SOFTWARE_TOKEN_MFA");
    driver.type_into("input[name=code]", &totp_code(&secret, app.clock.now())).await;
    driver.click("button[name=verifyButton]").await;
    let id = landed_and_redeemed(&app, &driver, rp, "m2", &verifier).await;
    assert_eq!(id["cognito:username"], "alice");
}

#[tokio::test]
async fn forgot_password_with_the_mailed_code_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let (app, sink) = spawn_with_mail().await;
    let callback = callback_server().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({"CallbackURLs": [callback]})).await;
    app.create_user(
        &pool,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    let driver = Driver::start().await;

    let (verifier, challenge) = pkce();
    driver.goto(&authorize_url(&app, &pool, &client, &callback, "fp1", &challenge)).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.click("#forgot-password-link").await;
    driver.wait_for_url(&app.url(&pool, "/forgotPassword")).await;
    driver.type_into("input[name=username]", "alice").await;
    driver.click("button[name=resetButton]").await;

    driver.wait_for_url(&app.url(&pool, "/confirmForgotPassword")).await;
    let code = sink.nth_to("alice@example.com", 0).await.code();
    let new_password = "Brand-New-Pass-7";
    driver.type_into("input[name=code]", &code).await;
    driver.type_into("input[name=password]", new_password).await;
    driver.type_into("input[name=confirm_password]", new_password).await;
    driver.click("button[name=changePasswordButton]").await;

    let back = driver.wait_for_url(&app.url(&pool, "/login")).await;
    assert_eq!(query_param(&back, "notice").as_deref(), Some("password_reset"), "{back}");
    assert!(driver.text(".notice").await.contains("Your password has been reset."));
    driver.type_into("input[name=username]", "alice").await;
    driver.type_into("input[name=password]", new_password).await;
    driver.click("button[name=signInSubmitButton]").await;
    let id = landed_and_redeemed(&app, &driver, (&pool, &client, &callback), "fp1", &verifier).await;
    assert_eq!(id["cognito:username"], "alice");
    let (status, _) = initiate_auth(&app, &client, "alice", PASSWORD).await;
    assert_eq!(status, 400, "the old password is gone");
}

/// A screen to check a page on: its name in the screenshot's file name, width, height, and
/// whether it is a phone.
type Screen = (&'static str, u32, u32, bool);

/// Check a page at a desktop and a phone size: styled (the stylesheet passed the CSP), nothing
/// wider than the screen, every element inside it (or inside a box that scrolls sideways, as a
/// wide table's does). With `PORTCULLIS_SCREENSHOTS` set, saves `{name}-{desktop|phone}.png` (what the
/// screen shows) and `…-full.png` (the whole page) there.
async fn check_layout(driver: &Driver, name: &str) {
    check_layout_on(driver, name, &[("desktop", 1000, 800, false), ("phone", 390, 844, true)]).await;
}

/// [`check_layout`] on the given screens.
async fn check_layout_on(driver: &Driver, name: &str, screens: &[Screen]) {
    for &(label, width, height, mobile) in screens {
        driver.emulate_screen(Some((width, height, mobile))).await;
        let m = driver
            .script(
                "const d = document.documentElement; \
                 const inScroller = e => { for (let a = e.parentElement; a && a !== d; a = a.parentElement) { \
                   if (['auto', 'scroll'].includes(getComputedStyle(a).overflowX)) return true; } return false; }; \
                 const out = [...document.querySelectorAll('main *')].filter(e => { \
                   const r = e.getBoundingClientRect(); \
                   return r.width > 0 && (r.left < 0 || r.right > d.clientWidth + 0.5) && !inScroller(e); }) \
                   .map(e => e.tagName + (e.id ? '#' + e.id : '') + (e.className ? '.' + e.className : '')); \
                 const styled = [...document.styleSheets].some(s => s.cssRules.length > 0); \
                 return {inner: window.innerWidth, client: d.clientWidth, scroll: d.scrollWidth, height: d.scrollHeight, out, styled};",
            )
            .await;
        assert_eq!(m["inner"], width, "{name} {label}: the viewport is {m}");
        assert_eq!(m["styled"], true, "{name} {label}: the stylesheet did not load (CSP?)");
        assert!(m["scroll"].as_u64() <= m["client"].as_u64(), "{name} {label}: the page scrolls sideways: {m}");
        assert_eq!(m["out"], json!([]), "{name} {label}: elements outside the screen: {m}");
        if let Some(dir) = screenshot_dir() {
            std::fs::write(dir.join(format!("{name}-{label}.png")), driver.screenshot_png().await).unwrap();
            if m["height"].as_u64() > Some(height as u64) {
                std::fs::write(dir.join(format!("{name}-{label}-full.png")), driver.full_page_png().await).unwrap();
            }
        }
    }
    driver.emulate_screen(None).await;
}

/// Every hosted page, in the state a user meets it, fits a desktop and a phone screen.
#[tokio::test]
async fn every_hosted_page_fits_desktop_and_phone_screens() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn().await;
    let callback = callback_server().await;
    let mut driver = Driver::start().await;

    // Sign-in, sign-up, confirmation, password reset and new password on a pool without MFA.
    let pool = app
        .create_pool(json!({
            "AutoVerifiedAttributes": ["email"],
            "Schema": [{"Name": "name", "AttributeDataType": "String", "Required": true, "Mutable": true}],
        }))
        .await;
    let (client, _) =
        app.create_client(&pool, false, json!({"CallbackURLs": [callback], "ClientName": "Example App"})).await;
    let attrs = json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"}, {"Name": "name", "Value": "Alice"}]);
    app.create_user(&pool, "alice", PASSWORD, attrs).await;
    let (_, challenge) = pkce();
    let authorize = authorize_url(&app, &pool, &client, &callback, "shots", &challenge);
    driver.goto(&authorize).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.type_into("input[name=username]", "alice").await;
    driver.type_into("input[name=password]", "Wrong-Pass-1").await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.find("p.error").await;
    check_layout(&driver, "login-error").await;

    driver.click("#signup-link").await;
    driver.wait_for_url(&app.url(&pool, "/signup")).await;
    check_layout(&driver, "signup").await;
    driver.type_into("input[name=username]", "carol").await;
    driver.type_into("input[name='userAttributes.email']", "carol@example.com").await;
    driver.type_into("input[name='userAttributes.name']", "Carol").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[name=signUpButton]").await;
    driver.wait_for_url(&app.url(&pool, "/confirm")).await;
    check_layout(&driver, "confirm").await;

    driver.goto(&authorize).await;
    driver.click("#forgot-password-link").await;
    driver.wait_for_url(&app.url(&pool, "/forgotPassword")).await;
    check_layout(&driver, "forgot-password").await;
    driver.type_into("input[name=username]", "alice").await;
    driver.click("button[name=resetButton]").await;
    driver.wait_for_url(&app.url(&pool, "/confirmForgotPassword")).await;
    check_layout(&driver, "confirm-forgot-password").await;

    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "bob", "TemporaryPassword": "Temp-Pass-123", "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "name", "Value": "Bob"}]}),
    )
    .await;
    driver.goto(&authorize).await;
    driver.type_into("input[name=username]", "bob").await;
    driver.type_into("input[name=password]", "Temp-Pass-123").await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.find("form[name=newPasswordForm]").await;
    check_layout(&driver, "new-password").await;

    // The MFA pages on a pool that requires a second factor.
    let mfa_pool = app.create_pool(json!({})).await;
    app.ok(
        "SetUserPoolMfaConfig",
        json!({"UserPoolId": mfa_pool, "MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true},
               "EmailMfaConfiguration": {"Subject": "Sign-in code", "Message": "Use {####} to sign in."}}),
    )
    .await;
    let (mfa_client, _) =
        app.create_client(&mfa_pool, false, json!({"CallbackURLs": [callback], "ClientName": "Example App"})).await;
    let attrs = json!([{"Name": "email", "Value": "dave@example.com"}, {"Name": "email_verified", "Value": "true"}]);
    app.create_user(&mfa_pool, "dave", PASSWORD, attrs).await;
    let authorize = authorize_url(&app, &mfa_pool, &mfa_client, &callback, "shots", &challenge);
    driver.goto(&authorize).await;
    driver.type_into("input[name=username]", "dave").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.find("figure.qr svg").await;
    check_layout(&driver, "mfa-setup").await;
    let secret = driver.text("#totp-secret").await;
    driver.type_into("input[name=code]", &totp_code(&secret, app.clock.now())).await;
    driver.click("button[name=verifyButton]").await;
    driver.find("#recovery-codes").await;
    check_layout(&driver, "recovery-codes").await;
    driver.click("button[name=continueButton]").await;
    driver.wait_for_url(&callback).await;

    app.ok(
        "AdminSetUserMFAPreference",
        json!({"UserPoolId": mfa_pool, "Username": "dave", "EmailMfaSettings": {"Enabled": true},
               "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": false}}),
    )
    .await;
    driver.restart_browser().await;
    driver.goto(&authorize).await;
    driver.type_into("input[name=username]", "dave").await;
    driver.type_into("input[name=password]", PASSWORD).await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.find("form[name=selectMfaForm]").await;
    check_layout(&driver, "mfa-select").await;
    driver.click("button[name=selectButton]").await;
    driver.find("form[name=mfaForm]").await;
    driver.type_into("input[name=code]", "123456").await;
    driver.click("details.recovery summary").await;
    check_layout(&driver, "mfa-code").await;

    // An error page: an authorization request from an unknown client.
    driver.goto(&authorize.replace(&mfa_client, "nosuchclient0000000000000a")).await;
    driver.find("p.error").await;
    check_layout(&driver, "error").await;
}
