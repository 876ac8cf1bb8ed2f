//! Test harness: each test spawns the real app on port 0 with a fresh database (SQLite in a
//! temp dir, or a new PostgreSQL database when `PORTCULLIS_TEST_DB=postgres`, dropped again when
//! the test ends), a manual clock, and clients that speak the management API (SigV4-signed) and
//! walk browser flows. `TEST_LOG=1` shows the app's tracing (see [`init_test_log`]).

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use portcullis::clock::ManualClock;
use portcullis::config::{Config, Secret};
use portcullis::services::Services;
use portcullis::startup::Application;
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Once};
use std::time::SystemTime;

pub const ACCESS_KEY: &str = "AKIATESTKEY000000001";
pub const SECRET_KEY: &str = "test/secret+key0000000000000000000000000";
pub const PG_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

// By path, so that the browser tests, which include this file by path too, find it.
#[path = "helpers/database.rs"]
mod database;
pub use database::TestDatabase;

#[allow(dead_code)]
pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub clock: Arc<ManualClock>,
    pub services: Arc<Services>,
    pub http: reqwest::Client,
    pub config: Config,
    /// The served certificate when the test configured TLS (`base` is then `https://`).
    pub tls: Option<Arc<portcullis::tls::CertStore>>,
    _database: TestDatabase,
    _dir: tempfile::TempDir,
}

/// Which database the suite runs on.
pub fn backend() -> &'static str {
    match std::env::var("PORTCULLIS_TEST_DB").as_deref() {
        Ok("postgres") => "postgres",
        _ => "sqlite",
    }
}

/// `TEST_LOG=1` (any value but empty or `0`): install a tracing subscriber that writes the app's
/// events to the test output, filtered by `RUST_LOG` (default `portcullis=debug`). Once per
/// process; a no-op without `TEST_LOG`. Events from the server's worker threads are not captured
/// per test, so run the test alone (`cargo test --test api NAME`) to read its log.
pub fn init_test_log() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|v| !v.is_empty() && v != "0") {
            let filter = tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("portcullis=debug"));
            let _ = tracing_subscriber::fmt().with_env_filter(filter).with_test_writer().try_init();
        }
    });
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        init_test_log();
        let dir = tempfile::tempdir().expect("tempdir");
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut database = TestDatabase::create(dir.path()).await;
        let mut config = Config {
            listen: format!("127.0.0.1:{port}"),
            public_url: format!("http://127.0.0.1:{port}"),
            data_dir: dir.path().to_path_buf(),
            database_url: Some(database.url.clone()),
            admin_access_key_id: Some(ACCESS_KEY.into()),
            admin_secret_access_key: Some(Secret::new(SECRET_KEY)),
            database_max_connections: 8,
            ..Config::default()
        };
        tweak(&mut config);
        let clock = Arc::new(ManualClock::new());
        let app = Application::build_on(config.clone(), clock.clone(), listener).await.expect("build app");
        let services = app.services.clone();
        let tls = app.tls.clone();
        database.close_on_drop(services.store.clone());
        tokio::spawn(app.run_until_stopped());
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        TestApp {
            base: format!("{}://127.0.0.1:{port}", if tls.is_some() { "https" } else { "http" }),
            tls,
            port,
            clock,
            services,
            http,
            config,
            _database: database,
            _dir: dir,
        }
    }

    /// A browser-like client: cookie jar, no redirects followed.
    pub fn browser(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("client")
    }

    /// Call a management action signed with the test key (region and service as the SDKs do).
    pub async fn api(&self, action: &str, body: Value) -> (u16, Value) {
        self.api_signed(action, body, ACCESS_KEY, SECRET_KEY, SystemTime::now()).await
    }

    pub async fn api_signed(
        &self,
        action: &str,
        body: Value,
        key: &str,
        secret: &str,
        time: SystemTime,
    ) -> (u16, Value) {
        let target = format!("AWSCognitoIdentityProviderService.{action}");
        self.json_signed(&target, "cognito-idp", body, key, secret, time).await
    }

    /// A JSON 1.1 call to `target`, SigV4-signed for `service` (as the SDKs sign it).
    pub async fn json_signed(
        &self,
        target: &str,
        service: &str,
        body: Value,
        key: &str,
        secret: &str,
        time: SystemTime,
    ) -> (u16, Value) {
        let body = body.to_string();
        let host = format!("127.0.0.1:{}", self.port);
        let headers =
            [("content-type", "application/x-amz-json-1.1"), ("host", host.as_str()), ("x-amz-target", target)];
        let identity: Identity = Credentials::new(key, secret, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("eu-west-3")
            .name(service)
            .time(time)
            .settings(SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let signable = SignableRequest::new("POST", "/", headers.iter().copied(), SignableBody::Bytes(body.as_bytes()))
            .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        let mut req = self.http.post(format!("{}/", self.base)).body(body.clone());
        for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
            req = req.header(*k, *v);
        }
        for (k, v) in instructions.headers() {
            req = req.header(k, v);
        }
        let resp = req.send().await.expect("send");
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Call an action and insist it succeeds.
    pub async fn ok(&self, action: &str, body: Value) -> Value {
        let (status, v) = self.api(action, body).await;
        assert_eq!(status, 200, "{action} failed: {v}");
        v
    }

    /// A signed identity-pools call (`AWSCognitoIdentityService.*`, SigV4 service `cognito-identity`).
    pub async fn identity_api(&self, action: &str, body: Value) -> (u16, Value) {
        let target = format!("AWSCognitoIdentityService.{action}");
        self.json_signed(&target, "cognito-identity", body, ACCESS_KEY, SECRET_KEY, SystemTime::now()).await
    }

    /// A signed identity-pools call that must succeed.
    pub async fn identity_ok(&self, action: &str, body: Value) -> Value {
        let (status, v) = self.identity_api(action, body).await;
        assert_eq!(status, 200, "{action} failed: {v}");
        v
    }

    /// An unsigned identity-pools call (GetId, GetCredentialsForIdentity, GetOpenIdToken, UnlinkIdentity).
    pub async fn identity_public(&self, action: &str, body: Value) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}/", self.base))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("AWSCognitoIdentityService.{action}"))
            .body(body.to_string())
            .send()
            .await
            .expect("send");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// An unsigned call (InitiateAuth and friends).
    pub async fn public_api(&self, action: &str, body: Value) -> (u16, Value) {
        let (status, text) = self.public_api_raw(action, body).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// [`Self::public_api`]'s status and the exact bytes of its answer (for comparing answers).
    pub async fn public_api_raw(&self, action: &str, body: Value) -> (u16, String) {
        let resp = self
            .http
            .post(format!("{}/", self.base))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{action}"))
            .body(body.to_string())
            .send()
            .await
            .expect("send");
        (resp.status().as_u16(), resp.text().await.expect("body"))
    }

    pub async fn create_pool(&self, extra: Value) -> String {
        let mut body = json!({"PoolName": "test-pool"});
        merge(&mut body, extra);
        let v = self.ok("CreateUserPool", body).await;
        v["UserPool"]["Id"].as_str().expect("pool id").to_string()
    }

    /// A code-flow client with callback `http://localhost:3000/cb`. Returns (id, secret).
    pub async fn create_client(&self, pool: &str, secret: bool, extra: Value) -> (String, Option<String>) {
        let mut body = json!({
            "UserPoolId": pool,
            "ClientName": "web",
            "GenerateSecret": secret,
            "AllowedOAuthFlows": ["code", "implicit"],
            "AllowedOAuthScopes": ["openid", "email", "profile"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "CallbackURLs": [CALLBACK],
            "LogoutURLs": ["http://localhost:3000/bye"],
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        });
        merge(&mut body, extra);
        let v = self.ok("CreateUserPoolClient", body).await;
        let c = &v["UserPoolClient"];
        (c["ClientId"].as_str().expect("client id").to_string(), c["ClientSecret"].as_str().map(str::to_string))
    }

    /// A confirmed user with a permanent password.
    pub async fn create_user(&self, pool: &str, username: &str, password: &str, attrs: Value) -> Value {
        let v = self
            .ok(
                "AdminCreateUser",
                json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS", "UserAttributes": attrs}),
            )
            .await;
        self.ok(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": username, "Password": password, "Permanent": true}),
        )
        .await;
        v["User"].clone()
    }

    pub fn url(&self, pool: &str, path: &str) -> String {
        format!("{}/{pool}{path}", self.base)
    }
}

/// The name a user pool goes by as a login provider of identity pools and as a `Federated`
/// principal in IAM: its issuer without the scheme, `{host:port}/{poolId}`.
pub fn provider(app: &TestApp, user_pool: &str) -> String {
    format!("127.0.0.1:{}/{user_pool}", app.port)
}

/// The `__type` of a JSON API error ("" when there is none).
pub fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or_default()
}

/// The `message` of a JSON API error ("" when there is none).
pub fn err_message(v: &Value) -> &str {
    v["message"].as_str().unwrap_or_default()
}

/// AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH (the client must have no secret).
pub async fn admin_auth(app: &TestApp, pool: &str, client: &str, username: &str, password: &str) -> (u16, Value) {
    app.api(
        "AdminInitiateAuth",
        json!({"UserPoolId": pool, "ClientId": client, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
    )
    .await
}

/// Sign in through the API and return the AuthenticationResult.
pub async fn admin_tokens(app: &TestApp, pool: &str, client: &str, username: &str, password: &str) -> Value {
    let (status, v) = admin_auth(app, pool, client, username, password).await;
    assert_eq!(status, 200, "sign-in of {username} failed: {v}");
    v["AuthenticationResult"].clone()
}

/// `[{Name, Value}]` as a map.
pub fn attr_map(list: &Value) -> serde_json::Map<String, Value> {
    list.as_array()
        .expect("attribute list")
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_string(), a["Value"].clone()))
        .collect()
}

/// AdminGetUser, which must succeed.
pub async fn get_user(app: &TestApp, pool: &str, username: &str) -> Value {
    app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": username})).await
}

/// `GET /oauth2/userInfo` of `pool` with `access_token`.
pub async fn userinfo(app: &TestApp, pool: &str, access_token: &str) -> reqwest::Response {
    app.http.get(app.url(pool, "/oauth2/userInfo")).bearer_auth(access_token).send().await.unwrap()
}

/// A set of usernames, to compare listings with.
pub fn usernames(names: &[&str]) -> std::collections::BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

pub const CALLBACK: &str = "http://localhost:3000/cb";
pub const PASSWORD: &str = "Correct-Horse-9";

pub fn merge(base: &mut Value, extra: Value) {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        for (k, v) in e {
            b.insert(k, v);
        }
    }
}

/// PKCE pair (verifier, S256 challenge).
pub fn pkce() -> (String, String) {
    use base64::Engine;
    use sha2::Digest;
    let verifier = portcullis::crypto::random_token();
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// Decode a JWT's payload without verifying it.
pub fn claims(jwt: &str) -> Value {
    use base64::Engine;
    let p = jwt.split('.').nth(1).expect("jwt payload");
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).expect("b64")).expect("json")
}

/// The same JWT with its payload edited and the original signature kept.
pub fn with_payload(jwt: &str, edit: impl FnOnce(&mut Value)) -> String {
    use base64::Engine;
    let parts: Vec<&str> = jwt.split('.').collect();
    let mut payload = claims(jwt);
    edit(&mut payload);
    format!(
        "{}.{}.{}",
        parts[0],
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload.to_string()),
        parts[2]
    )
}

/// The value of a named hidden input in an HTML page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in page: {html}")) + marker.len();
    let end = html[start..].find('"').expect("end quote") + start;
    unescape(&html[start..end])
}

/// The form's action attribute.
pub fn form_action(html: &str) -> String {
    let start = html.find("action=\"").expect("form action") + 8;
    let end = html[start..].find('"').expect("end") + start;
    unescape(&html[start..end])
}

/// The href of the link with this id, unescaped.
pub fn link(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..at].rfind("href=\"").expect("href") + 6;
    let end = html[start..].find('"').unwrap() + start;
    unescape(&html[start..end])
}

pub fn unescape(s: &str) -> String {
    s.replace("&#38;", "&")
        .replace("&amp;", "&")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

pub fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

pub fn query_param(url: &str, name: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    let found = parsed.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.to_string());
    found.or_else(|| {
        let frag = parsed.fragment()?;
        url::form_urlencoded::parse(frag.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.to_string())
    })
}

/// Walk authorize → login form → POST credentials. Returns the final response (a redirect to
/// the callback on success, a page otherwise).
pub async fn sign_in(
    browser: &reqwest::Client,
    authorize_url: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    let r = browser.get(authorize_url).send().await.expect("authorize");
    assert_eq!(r.status(), 302, "authorize did not redirect: {}", r.text().await.unwrap_or_default());
    let login = location(&r);
    let page = browser.get(&login).send().await.expect("login page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    post_login(browser, &html, username, password).await
}

/// POST `username` and `password` through the sign-in form of page `html` (with its CSRF token).
pub async fn post_login(browser: &reqwest::Client, html: &str, username: &str, password: &str) -> reqwest::Response {
    browser
        .post(form_action(html))
        .form(&[("_csrf", hidden(html, "_csrf").as_str()), ("username", username), ("password", password)])
        .send()
        .await
        .expect("login post")
}

pub struct Flow {
    pub pool: String,
    pub client_id: String,
    pub secret: Option<String>,
    pub verifier: String,
    pub challenge: String,
}

impl Flow {
    pub fn authorize_url(&self, app: &TestApp, extra: &str) -> String {
        format!(
            "{}?response_type=code&client_id={}&redirect_uri={}&scope=openid+email+profile&state=st8&nonce=n0nce&code_challenge={}&code_challenge_method=S256{extra}",
            app.url(&self.pool, "/oauth2/authorize"),
            self.client_id,
            urlencode(CALLBACK),
            self.challenge
        )
    }

    /// The token endpoint's refresh_token grant for this client (public: no secret), to send.
    pub fn refresh_request(&self, app: &TestApp, token: &str) -> reqwest::RequestBuilder {
        let form = [("grant_type", "refresh_token"), ("client_id", self.client_id.as_str()), ("refresh_token", token)];
        app.http.post(app.url(&self.pool, "/oauth2/token")).form(&form)
    }

    pub async fn redeem(&self, app: &TestApp, code: &str) -> reqwest::Response {
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", self.verifier.as_str()),
        ];
        form.push(("client_id", &self.client_id));
        let mut req = app.http.post(app.url(&self.pool, "/oauth2/token"));
        if let Some(s) = &self.secret {
            form.push(("client_secret", s));
        }
        req = req.form(&form);
        req.send().await.expect("token")
    }
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A pool, a client (with or without secret), a user `alice`, and a PKCE pair.
pub async fn setup_flow(app: &TestApp, secret: bool, client_extra: Value) -> Flow {
    let pool = app.create_pool(json!({})).await;
    let (client_id, secret) = app.create_client(&pool, secret, client_extra).await;
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"}, {"Name": "name", "Value": "Alice"}])).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

/// Sign in through the hosted page and redeem the code: the token response JSON.
pub async fn tokens_via_browser(app: &TestApp, f: &Flow) -> Value {
    let browser = app.browser();
    let r = sign_in(&browser, &f.authorize_url(app, ""), "alice", PASSWORD).await;
    assert_eq!(r.status(), 302);
    let code = query_param(&location(&r), "code").expect("code");
    let t = f.redeem(app, &code).await;
    assert_eq!(t.status(), 200);
    t.json().await.expect("json")
}

/// An unsent InitiateAuth with USER_PASSWORD_AUTH for a client without a secret (to send many
/// at once, or with extra headers).
pub fn initiate_auth_request(
    app: &TestApp,
    client_id: &str,
    username: &str,
    password: &str,
) -> reqwest::RequestBuilder {
    app.http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
        .body(
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
                   "AuthParameters": {"USERNAME": username, "PASSWORD": password}})
            .to_string(),
        )
}

/// InitiateAuth with USER_PASSWORD_AUTH for a client without a secret: (status, body).
pub async fn initiate_auth(app: &TestApp, client_id: &str, username: &str, password: &str) -> (u16, Value) {
    app.public_api(
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
               "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
    )
    .await
}

/// Sign in as alice through the hosted page of `f` and return the authorization code.
pub async fn code_via_browser(app: &TestApp, f: &Flow, browser: &reqwest::Client) -> String {
    let r = sign_in(browser, &f.authorize_url(app, ""), "alice", PASSWORD).await;
    assert_eq!(r.status(), 302, "sign-in failed: {}", r.text().await.unwrap_or_default());
    query_param(&location(&r), "code").expect("code")
}

/// The code on a callback redirect, insisting that it is one.
pub fn callback_code(r: &reqwest::Response) -> String {
    let loc = location(r);
    assert_eq!(r.status(), 302, "expected a redirect to the callback");
    assert!(loc.starts_with(&format!("{CALLBACK}?")), "not the callback: {loc}");
    query_param(&loc, "code").unwrap_or_else(|| panic!("no code in {loc}"))
}

/// Redeem a code for `f` and return the ID token's claims.
pub async fn id_claims(app: &TestApp, f: &Flow, code: &str) -> Value {
    let t = f.redeem(app, code).await;
    assert_eq!(t.status(), 200);
    let t: Value = t.json().await.unwrap();
    claims(t["id_token"].as_str().expect("id token"))
}

/// Where an authorize request sends the browser: "login" (the sign-in page) or the callback URL.
pub async fn authorize_target(browser: &reqwest::Client, url: &str) -> String {
    let r = browser.get(url).send().await.unwrap();
    assert_eq!(r.status(), 302, "authorize answered {}", r.status());
    let loc = location(&r);
    if loc.contains("/login?") { "login".into() } else { loc }
}

/// The Set-Cookie header for `name`, if the response sets it.
pub fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

pub fn cookie_value(header: &str) -> String {
    header.split(';').next().and_then(|kv| kv.split_once('=')).map(|(_, v)| v.to_string()).unwrap_or_default()
}

/// An HTTP client for the `openidconnect` crate as a relying party: no redirects followed.
pub fn rp_http() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Run `check` on each row of a table, one after the other, and fail naming every row that
/// failed, with its panic message; a failing row does not stop the rows after it.
pub async fn for_each_row<R>(rows: impl IntoIterator<Item = (impl std::fmt::Display, R)>, check: impl AsyncFn(R)) {
    use futures_util::FutureExt;
    let (mut count, mut failed) = (0, Vec::new());
    for (name, row) in rows {
        count += 1;
        if let Err(panic) = std::panic::AssertUnwindSafe(check(row)).catch_unwind().await {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("(a panic without a message)");
            failed.push(format!("row {name}: {why}"));
        }
    }
    assert!(failed.is_empty(), "{} of {count} rows failed:\n{}", failed.len(), failed.join("\n"));
}

/// Send clones of one request all at once (released together by a barrier): (status, JSON body) each.
pub async fn all_at_once(req: reqwest::RequestBuilder, n: usize) -> Vec<(u16, Value)> {
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let mut tasks = Vec::new();
    for _ in 0..n {
        let req = req.try_clone().expect("cloneable request");
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            let r = req.send().await.expect("send");
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap_or(Value::Null))
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.expect("task"));
    }
    out
}

/// Whether `python` imports `module` (with `pythonpath` on its path).
pub fn imports(python: &str, module: &str, pythonpath: Option<&Path>) -> bool {
    let mut cmd = Command::new(python);
    cmd.args(["-c", &format!("import {module}")]).stdout(Stdio::null()).stderr(Stdio::null());
    if let Some(p) = pythonpath {
        cmd.env("PYTHONPATH", p);
    }
    match cmd.status() {
        Ok(s) => s.success(),
        Err(e) => panic!("`{python}` is required for the Python tests and could not be run: {e}"),
    }
}

/// `None` when boto3 imports as is, else the directory to put on `PYTHONPATH` (installed on demand).
pub fn boto3_path(python: &str) -> Option<PathBuf> {
    python_package_path(python, "boto3", "boto3", "pydeps")
}

/// `None` when `module` imports as is, else `target/{dir}` with PyPI's `package` installed into
/// it on demand: the directory to put on `PYTHONPATH`.
pub fn python_package_path(python: &str, module: &str, package: &str, dir: &str) -> Option<PathBuf> {
    if imports(python, module, None) {
        return None;
    }
    let deps = Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join(dir);
    if !imports(python, module, Some(&deps)) {
        let status = Command::new(python)
            .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target"])
            .arg(&deps)
            .arg(package)
            .status()
            .expect("run pip");
        assert!(status.success(), "pip install --target {} {package} failed", deps.display());
        assert!(imports(python, module, Some(&deps)), "{module} still not importable from {}", deps.display());
    }
    Some(deps)
}
