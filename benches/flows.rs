//! Load driver for `bench/run.sh` (a `harness = false` bench target). Three sub-commands:
//!
//! - `setup`: create the fixtures on a running server through the management API (SigV4-signed)
//!   and the token endpoint; prints `KEY=value` lines for the shell script.
//! - `flows`: complete authorization-code flows (GET authorize → GET login page → POST login
//!   with the CSRF field → POST token) from N concurrent workers for a fixed time; each flow is
//!   a fresh browser (no session cookie), so each one checks a password.
//! - `argon2`: the time of one password verify, sequentially, with the server's own hasher
//!   (same parameters, same code path), for the argon2 bound; and argon2's throughput on all cores.
//! - `port`: print a free port on 127.0.0.1.
//!
//! Result lines read `RESULT <count> <elapsed_us> <p50_us> <p99_us> <errors>`, as the wrk
//! scripts in `bench/` print them. Arguments are `--name value` pairs; cargo's `--bench` is ignored.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

type Res<T> = Result<T, String>;

const CALLBACK: &str = "http://localhost:3000/cb";

fn args() -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut it = std::env::args().skip(2);
    while let Some(k) = it.next() {
        if k == "--bench" {
            continue;
        }
        if let Some(name) = k.strip_prefix("--") {
            out.insert(name.to_string(), it.next().unwrap_or_default());
        }
    }
    out
}

fn arg(a: &HashMap<String, String>, name: &str) -> String {
    match a.get(name) {
        Some(v) => v.clone(),
        None => {
            eprintln!("missing --{name}");
            std::process::exit(2)
        }
    }
}

fn num(a: &HashMap<String, String>, name: &str, default: u64) -> u64 {
    a.get(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

fn main() {
    // reqwest's rustls needs a process-wide crypto provider (the server's, aws-lc-rs).
    portcullis::federation::install_crypto_provider();
    let sub = std::env::args().nth(1).unwrap_or_default();
    let a = args();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    let r = match sub.as_str() {
        "setup" => rt.block_on(setup(&a)),
        "flows" => rt.block_on(flows(&a)),
        "argon2" => rt.block_on(argon2_time(&a)),
        "port" => free_port(),
        _ => Err("usage: flows setup|flows|argon2|port --name value …".into()),
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

/// A free port on 127.0.0.1 (for the server's listen address and public URL).
fn free_port() -> Res<()> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    println!("{}", l.local_addr().map_err(|e| e.to_string())?.port());
    Ok(())
}

// ---------------------------------------------------------------- setup

struct Api {
    http: reqwest::Client,
    base: String,
    host: String,
    key: String,
    secret: String,
}

impl Api {
    async fn call(&self, action: &str, body: Value) -> Res<Value> {
        let body = body.to_string();
        let target = format!("AWSCognitoIdentityProviderService.{action}");
        let headers = [
            ("content-type", "application/x-amz-json-1.1"),
            ("host", self.host.as_str()),
            ("x-amz-target", target.as_str()),
        ];
        let identity: Identity = Credentials::new(&self.key, &self.secret, None, None, "bench").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("cognito-idp")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let signable = SignableRequest::new("POST", "/", headers.iter().copied(), SignableBody::Bytes(body.as_bytes()))
            .map_err(|e| e.to_string())?;
        let (instructions, _) = sign(signable, &params).map_err(|e| e.to_string())?.into_parts();
        let mut req = self.http.post(format!("{}/", self.base)).body(body);
        for (k, v) in headers.iter().filter(|(k, _)| *k != "host") {
            req = req.header(*k, *v);
        }
        for (k, v) in instructions.headers() {
            req = req.header(k, v);
        }
        let resp = req.send().await.map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        let text = resp.text().await.map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("{action}: HTTP {status}: {text}"));
        }
        serde_json::from_str(&text).map_err(|e| format!("{action}: {e}"))
    }
}

fn field(v: &Value, path: &[&str]) -> Res<String> {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_str().map(str::to_string).ok_or_else(|| format!("no {} in {v}", path.join(".")))
}

async fn setup(a: &HashMap<String, String>) -> Res<()> {
    let base = arg(a, "base");
    let host = url::Url::parse(&base)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .ok_or("bad --base")?;
    let api = Api { http: http(), base: base.clone(), host, key: arg(a, "key"), secret: arg(a, "secret") };
    let users = num(a, "users", 16);
    let password = arg(a, "password");

    let pool = field(&api.call("CreateUserPool", json!({"PoolName": "bench"})).await?, &["UserPool", "Id"])?;
    api.call(
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "bench", "Name": "bench",
               "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}]}),
    )
    .await?;
    let m2m = api
        .call(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "m2m", "GenerateSecret": true,
                   "AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["bench/read"],
                   "AllowedOAuthFlowsUserPoolClient": true}),
        )
        .await?;
    let web = api
        .call(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "web", "GenerateSecret": true,
                   "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid", "email", "profile"],
                   "AllowedOAuthFlowsUserPoolClient": true, "CallbackURLs": [CALLBACK],
                   "ExplicitAuthFlows": ["ALLOW_REFRESH_TOKEN_AUTH"]}),
        )
        .await?;
    let app = api
        .call(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "app", "GenerateSecret": false,
                   "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
        )
        .await?;
    for i in 0..users {
        let username = format!("user{i}");
        api.call(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": username, "MessageAction": "SUPPRESS",
                   "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")},
                                      {"Name": "email_verified", "Value": "true"}]}),
        )
        .await?;
        api.call(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": username, "Password": password, "Permanent": true}),
        )
        .await?;
    }
    let flow = Flow {
        http: http(),
        base: base.clone(),
        pool: pool.clone(),
        client_id: field(&web, &["UserPoolClient", "ClientId"])?,
        client_secret: field(&web, &["UserPoolClient", "ClientSecret"])?,
        password: password.clone(),
    };
    let tokens = flow.run("user0").await?;
    let out = [
        ("POOL", pool),
        ("M2M_ID", field(&m2m, &["UserPoolClient", "ClientId"])?),
        ("M2M_SECRET", field(&m2m, &["UserPoolClient", "ClientSecret"])?),
        ("WEB_ID", flow.client_id.clone()),
        ("WEB_SECRET", flow.client_secret.clone()),
        ("APP_ID", field(&app, &["UserPoolClient", "ClientId"])?),
        ("ACCESS_TOKEN", field(&tokens, &["access_token"])?),
        ("REFRESH_TOKEN", field(&tokens, &["refresh_token"])?),
    ];
    for (k, v) in out {
        // Every value is base64url, a JWT or an id: no shell quoting needed, but be safe.
        if !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+/=".contains(&b)) {
            return Err(format!("unexpected characters in {k}"));
        }
        println!("{k}={v}");
    }
    Ok(())
}

// ---------------------------------------------------------------- code flows

struct Flow {
    http: reqwest::Client,
    base: String,
    pool: String,
    client_id: String,
    client_secret: String,
    password: String,
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn unescape(s: &str) -> String {
    s.replace("&#38;", "&").replace("&amp;", "&").replace("&#34;", "\"").replace("&quot;", "\"").replace("&#39;", "'")
}

/// The text between `start` and the next `"` after it.
fn between(html: &str, start: &str) -> Res<String> {
    let i = html.find(start).ok_or_else(|| format!("no {start} in page"))? + start.len();
    let j = html[i..].find('"').ok_or("unterminated attribute")? + i;
    Ok(unescape(&html[i..j]))
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// `name=value` of every Set-Cookie, joined as a Cookie header.
fn cookies(r: &reqwest::Response) -> String {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_string))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Flow {
    /// One complete code flow for `username` as a new browser; the token response.
    async fn run(&self, username: &str) -> Res<Value> {
        let err = |step: &str, e: reqwest::Error| format!("{step}: {e}");
        let verifier = portcullis::crypto::random_token();
        let challenge =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(portcullis::crypto::sha256(verifier.as_bytes()));
        let authorize = format!(
            "{}/{}/oauth2/authorize?response_type=code&client_id={}&redirect_uri={}&scope=openid+email+profile&state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
            self.base,
            self.pool,
            self.client_id,
            enc(CALLBACK)
        );
        let r = self.http.get(&authorize).send().await.map_err(|e| err("authorize", e))?;
        if r.status() != 302 {
            return Err(format!("authorize: HTTP {}", r.status()));
        }
        let login = location(&r);
        let r = self.http.get(&login).send().await.map_err(|e| err("login page", e))?;
        if r.status() != 200 {
            return Err(format!("login page: HTTP {}", r.status()));
        }
        let jar = cookies(&r);
        let html = r.text().await.map_err(|e| err("login page", e))?;
        let action = between(&html, "action=\"")?;
        let csrf = between(&html, "name=\"_csrf\" value=\"")?;
        let r = self
            .http
            .post(&action)
            .header("cookie", jar)
            .form(&[("_csrf", csrf.as_str()), ("username", username), ("password", self.password.as_str())])
            .send()
            .await
            .map_err(|e| err("login post", e))?;
        let back = location(&r);
        if r.status() != 302 || !back.starts_with(CALLBACK) {
            return Err(format!("login post: HTTP {} to {back:?}", r.status()));
        }
        let code = url::Url::parse(&back)
            .ok()
            .and_then(|u| u.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.to_string()))
            .ok_or("no code on the callback")?;
        let r = self
            .http
            .post(format!("{}/{}/oauth2/token", self.base, self.pool))
            .basic_auth(&self.client_id, Some(&self.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
                ("code_verifier", verifier.as_str()),
            ])
            .send()
            .await
            .map_err(|e| err("token", e))?;
        if r.status() != 200 {
            return Err(format!("token: HTTP {}", r.status()));
        }
        r.json().await.map_err(|e| err("token", e))
    }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[i.clamp(1, sorted.len()) - 1]
}

async fn flows(a: &HashMap<String, String>) -> Res<()> {
    let flow = std::sync::Arc::new(Flow {
        http: http(),
        base: arg(a, "base"),
        pool: arg(a, "pool"),
        client_id: arg(a, "client-id"),
        client_secret: arg(a, "client-secret"),
        password: arg(a, "password"),
    });
    let users = num(a, "users", 16).max(1);
    let workers = num(a, "concurrency", 16).max(1);
    let duration = Duration::from_secs_f64(num(a, "duration-ms", 10_000) as f64 / 1000.0);
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let flow = flow.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut first_error) = (Vec::new(), 0u64, None);
            let mut n = w;
            while Instant::now() < deadline {
                let t = Instant::now();
                match flow.run(&format!("user{}", n % users)).await {
                    Ok(_) => lat.push(t.elapsed().as_micros() as u64),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
                n += workers;
            }
            (lat, errors, first_error)
        }));
    }
    let (mut all, mut errors) = (Vec::new(), 0);
    for t in tasks {
        let (lat, e, first) = t.await.map_err(|e| e.to_string())?;
        all.extend(lat);
        errors += e;
        if let Some(f) = first {
            eprintln!("flow error (first of worker): {f}");
        }
    }
    let elapsed = start.elapsed().as_micros();
    all.sort_unstable();
    println!("RESULT {} {elapsed} {} {} {errors}", all.len(), percentile(&all, 50.0), percentile(&all, 99.0));
    Ok(())
}

// ---------------------------------------------------------------- argon2

/// The median and fastest time of one verify with the server's hasher (parameters come from
/// the stored hash, as in a login), one at a time so that the verify has a core to itself; then
/// the verifies per second with all cores hashing.
async fn argon2_time(a: &HashMap<String, String>) -> Res<()> {
    let samples = num(a, "samples", 15).max(1);
    let p = portcullis::userpool::password::Passwords::new();
    let hash = p.hash("Bench-password-1").await.map_err(|e| e.to_string())?;
    if !p.verify(Some(&hash), "Bench-password-1").await.map_err(|e| e.to_string())? {
        return Err("verify failed".into());
    }
    let mut times = Vec::new();
    for _ in 0..samples {
        let t = Instant::now();
        p.verify(Some(&hash), "Bench-password-1").await.map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_micros() as u64);
    }
    times.sort_unstable();
    // Then every core at once, through the same pool: argon2's own throughput when the cores
    // share caches and memory bandwidth (and nothing else of the server runs).
    let parallel = samples * std::thread::available_parallelism().map(|n| n.get() as u64).unwrap_or(2);
    let t = Instant::now();
    let runs = (0..parallel).map(|_| p.verify(Some(&hash), "Bench-password-1"));
    for ok in futures_util::future::join_all(runs).await {
        ok.map_err(|e| e.to_string())?;
    }
    let per_s = parallel as f64 / t.elapsed().as_secs_f64();
    println!("ARGON2 {} {} {} {per_s:.1}", percentile(&times, 50.0), times[0], hash.split('$').nth(3).unwrap_or(""));
    Ok(())
}
