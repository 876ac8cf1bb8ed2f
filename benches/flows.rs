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
//! And for the dashboard scenario (`bench/run.sh admin`):
//!
//! - `seed`: create a pool through the management API, then write N users straight into the
//!   server's database through the library (`Services::open` on the same database URL and data
//!   dir, the rows AdminCreateUser writes, a batch of users a transaction through
//!   `Store::insert_users`, one precomputed password hash), and check that ListUsers finds them;
//!   prints `KEY=value` lines (the pool, the seed time).
//! - `admin-session`: sign the bootstrap administrator in to `/admin` through the system pool's
//!   hosted UI (code + PKCE, password only); prints the session cookie.
//! - `admin-walk`: follow the "Next page" links of a users page to page N (or the last page).
//! - `admin-load`: GET one dashboard page R times from C concurrent workers, checking each
//!   answer (200 and the expected number of user rows).
//!
//! Result lines read `RESULT <count> <elapsed_us> <p50_us> <p99_us> <errors>`, as the wrk
//! scripts in `bench/` print them (`admin-load` adds `<max_us>`). Arguments are `--name value`
//! pairs; cargo's `--bench` is ignored.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

// ES256 (issue #14): its fixtures, the alg check and the sign-rate measure.
#[path = "flows/es256.rs"]
mod es256;

type Res<T> = Result<T, String>;

#[path = "scale/mod.rs"]
mod scale;

// The import/export scenario (issue #15).
#[path = "transfer/mod.rs"]
mod transfer;

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
        "srp" => rt.block_on(srp_logins(&a)),
        "srp-math" => srp_math(&a),
        "port" => free_port(),
        "seed" => rt.block_on(seed(&a)),
        "admin-session" => rt.block_on(admin_session(&a)),
        "admin-walk" => rt.block_on(admin_walk(&a)),
        "admin-load" => rt.block_on(admin_load(&a)),
        "es256-setup" => rt.block_on(es256::setup(&a)),
        "token-alg" => rt.block_on(es256::token_alg(&a)),
        "sign-rate" => es256::sign_rate(&a),
        "scale-seed" => rt.block_on(scale::scale_seed(&a)),
        "scale-logins" => rt.block_on(scale::scale_logins(&a)),
        "scale-list" => rt.block_on(scale::scale_list(&a)),
        "scale-refresh" => rt.block_on(scale::scale_refresh(&a)),
        "rs256" => scale::rs256(&a),
        "transfer-import" => rt.block_on(transfer::transfer_import(&a)),
        _ => Err(
            "usage: flows setup|flows|argon2|srp|srp-math|port|seed|admin-session|admin-walk|admin-load|es256-setup|token-alg|sign-rate|scale-seed|scale-logins|scale-list|scale-refresh|rs256 --name value …"
                .into(),
        ),
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

/// The management API client of `--base`, `--key` and `--secret`.
fn api_of(a: &HashMap<String, String>) -> Res<Api> {
    let base = arg(a, "base");
    let host = url::Url::parse(&base)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .ok_or("bad --base")?;
    Ok(Api { http: http(), base, host, key: arg(a, "key"), secret: arg(a, "secret") })
}

/// A pool named `name` with a `bench/read` resource server and a machine client allowed it
/// (client_credentials, with a secret): the pool id and CreateUserPoolClient's answer.
async fn machine_pool(api: &Api, name: &str) -> Res<(String, Value)> {
    let pool = field(&api.call("CreateUserPool", json!({"PoolName": name})).await?, &["UserPool", "Id"])?;
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
    Ok((pool, m2m))
}

async fn setup(a: &HashMap<String, String>) -> Res<()> {
    let api = api_of(a)?;
    let base = api.base.clone();
    let users = num(a, "users", 16);
    let password = arg(a, "password");

    let (pool, m2m) = machine_pool(&api, "bench").await?;
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
                   "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
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
    let p = portcullis::userpool::password::Passwords::new(portcullis::crypto::MasterKey::from_bytes(&[7; 32]));
    let pool_id = portcullis::ids::PoolId::from("local_bench".to_string());
    let sub = portcullis::ids::UserSub::from("bench".to_string());
    let credential = p.credential(&pool_id, &sub, "bench", "Bench-password-1").await.map_err(|e| e.to_string())?;
    let hash = credential.argon2_hash().to_string();
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

// ---------------------------------------------------------------- SRP

/// The SRP client side (Cognito's variant), written from the formulas for the driver: A = g^a
/// for a 256-bit a, then the PASSWORD_VERIFIER answer. Exponents are bounded to their bits so the
/// driver spends little CPU beside the server on the shared cores.
mod srp_client {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use crypto_bigint::modular::{FixedMontyForm, FixedMontyParams};
    use crypto_bigint::{Odd, U3072};
    use serde_json::{Value, json};
    use sha2::{Digest, Sha256};

    type Monty = FixedMontyForm<{ U3072::LIMBS }>;
    const N_HEX: &str = concat!(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
        "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
        "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
        "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
        "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
        "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
        "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
        "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
    );

    fn params() -> FixedMontyParams<{ U3072::LIMBS }> {
        FixedMontyParams::new_vartime(Odd::<U3072>::from_be_hex(N_HEX))
    }

    fn num(bytes: &[u8]) -> U3072 {
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
        let mut buf = [0u8; 384];
        buf[384 - (bytes.len() - start)..].copy_from_slice(&bytes[start..]);
        U3072::from_be_slice(&buf)
    }

    fn num_hex(h: &str) -> Option<U3072> {
        let h = if h.len() % 2 == 1 { format!("0{h}") } else { h.to_string() };
        hex::decode(h).ok().filter(|b| b.len() <= 385).map(|b| num(&b))
    }

    fn pad(x: &U3072) -> Vec<u8> {
        let b = x.to_be_bytes();
        let start = b.iter().position(|v| *v != 0).unwrap_or(383);
        let mut out = b[start..].to_vec();
        if out[0] >= 0x80 {
            out.insert(0, 0);
        }
        out
    }

    fn h(parts: &[&[u8]]) -> U3072 {
        let mut d = Sha256::new();
        for p in parts {
            d.update(p);
        }
        num(&d.finalize())
    }

    fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
        use hmac::Mac;
        let mut m = hmac::Hmac::<Sha256>::new_from_slice(key).expect("any key length");
        m.update(data);
        m.finalize().into_bytes().to_vec()
    }

    pub struct Client {
        a: U3072,
        pub big_a: String,
    }

    impl Client {
        pub fn new() -> Client {
            let a = num(&portcullis::crypto::random_array::<32>());
            let g = Monty::new(&U3072::from_u8(2), &params());
            Client { a, big_a: hex::encode(pad(&g.pow_bounded_exp(&a, 256).retrieve())) }
        }

        /// ChallengeResponses for a PASSWORD_VERIFIER challenge.
        pub fn answer(&self, pool_id: &str, password: &str, c: &Value, timestamp: &str) -> Option<Value> {
            let p = params();
            let user_id = c["USER_ID_FOR_SRP"].as_str()?;
            let (big_a, big_b) = (num_hex(&self.big_a)?, num_hex(c["SRP_B"].as_str()?)?);
            let k = h(&[&pad(Odd::<U3072>::from_be_hex(N_HEX).as_ref()), &[2]]);
            let u = h(&[&pad(&big_a), &pad(&big_b)]);
            let pool_name = pool_id.split_once('_')?.1;
            let inner = Sha256::digest(format!("{pool_name}{user_id}:{password}").as_bytes());
            let x = h(&[&pad(&num_hex(c["SALT"].as_str()?)?), &inner]);
            let g = Monty::new(&U3072::from_u8(2), &p);
            let base = Monty::new(&big_b, &p).sub(&Monty::new(&k, &p).mul(&g.pow_bounded_exp(&x, 256)));
            let s = base.pow_bounded_exp(&self.a.wrapping_add(&u.wrapping_mul(&x)), 520).retrieve();
            let key = hmac(&hmac(&pad(&u), &pad(&s)), b"Caldera Derived Key\x01");
            let block = STANDARD.decode(c["SECRET_BLOCK"].as_str()?).ok()?;
            let msg = [pool_name.as_bytes(), user_id.as_bytes(), &block, timestamp.as_bytes()].concat();
            Some(json!({
                "USERNAME": c["USERNAME"],
                "PASSWORD_CLAIM_SECRET_BLOCK": c["SECRET_BLOCK"],
                "PASSWORD_CLAIM_SIGNATURE": STANDARD.encode(hmac(&key[..16], &msg)),
                "TIMESTAMP": timestamp,
            }))
        }
    }
}

/// One SRP sign-in through the public API (InitiateAuth USER_SRP_AUTH, then
/// RespondToAuthChallenge PASSWORD_VERIFIER), checked to end with tokens.
async fn srp_sign_in(
    http: &reqwest::Client,
    base: &str,
    pool: &str,
    client_id: &str,
    user: &str,
    password: &str,
) -> Res<()> {
    let call = |target: &'static str, body: Value| {
        http.post(format!("{base}/"))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{target}"))
            .body(body.to_string())
            .send()
    };
    let c = srp_client::Client::new();
    let r = call(
        "InitiateAuth",
        json!({"AuthFlow": "USER_SRP_AUTH", "ClientId": client_id, "AuthParameters": {"USERNAME": user, "SRP_A": c.big_a}}),
    )
    .await
    .map_err(|e| e.to_string())?;
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    let now = chrono::Utc::now().format("%a %b %-d %H:%M:%S UTC %Y").to_string();
    let answer = c.answer(pool, password, &v["ChallengeParameters"], &now).ok_or_else(|| format!("challenge: {v}"))?;
    let r = call(
        "RespondToAuthChallenge",
        json!({"ClientId": client_id, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": answer}),
    )
    .await
    .map_err(|e| e.to_string())?;
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    if v["AuthenticationResult"]["AccessToken"].is_string() { Ok(()) } else { Err(format!("proof: {v}")) }
}

/// SRP sign-ins from `concurrency` workers for `duration-ms`; prints RESULT as `flows` does.
async fn srp_logins(a: &HashMap<String, String>) -> Res<()> {
    let (base, pool, client_id, password) = (arg(a, "base"), arg(a, "pool"), arg(a, "client-id"), arg(a, "password"));
    let users = num(a, "users", 16).max(1);
    let workers = num(a, "concurrency", 8).max(1);
    let duration = Duration::from_secs_f64(num(a, "duration-ms", 10_000) as f64 / 1000.0);
    let start = Instant::now();
    let deadline = start + duration;
    let http = http();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let (http, base, pool, client_id, password) =
            (http.clone(), base.clone(), pool.clone(), client_id.clone(), password.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut first_error) = (Vec::new(), 0u64, None);
            let mut n = w;
            while Instant::now() < deadline {
                let t = Instant::now();
                let user = format!("user{}", n % users);
                match srp_sign_in(&http, &base, &pool, &client_id, &user, &password).await {
                    Ok(()) => lat.push(t.elapsed().as_micros() as u64),
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
            eprintln!("srp error (first of worker): {f}");
        }
    }
    let elapsed = start.elapsed().as_micros();
    all.sort_unstable();
    println!("RESULT {} {elapsed} {} {} {errors}", all.len(), percentile(&all, 50.0), percentile(&all, 99.0));
    Ok(())
}

/// The server's SRP arithmetic per sign-in, in-process and one at a time: B = k·v + g^b at the
/// first step, S = (A·v^u)^b and the key at the second (the argon2 verify's counterpart), and a
/// verifier's derivation (g^x, done when a password is set). Prints
/// "SRP <median µs per sign-in> <fastest> <median µs per verifier>".
fn srp_math(a: &HashMap<String, String>) -> Res<()> {
    use portcullis::userpool::srp::{ServerEphemeral, Verifier, parse_client_public, session_key};
    let samples = num(a, "samples", 50).max(1);
    let verifier = Verifier::derive("bench", "user0", "Bench-password-1");
    let client = srp_client::Client::new();
    let big_a = parse_client_public(&client.big_a).ok_or("A")?;
    let (mut per_sign_in, mut per_verifier) = (Vec::new(), Vec::new());
    for _ in 0..samples {
        let t = Instant::now();
        let e = ServerEphemeral::new(&verifier);
        session_key(&big_a, &e, &verifier).ok_or("u = 0")?;
        per_sign_in.push(t.elapsed().as_micros() as u64);
        let t = Instant::now();
        std::hint::black_box(Verifier::derive("bench", "user0", "Bench-password-1"));
        per_verifier.push(t.elapsed().as_micros() as u64);
    }
    per_sign_in.sort_unstable();
    per_verifier.sort_unstable();
    println!("SRP {} {} {}", percentile(&per_sign_in, 50.0), per_sign_in[0], percentile(&per_verifier, 50.0));
    Ok(())
}

// ---------------------------------------------------------------- dashboard: seed

/// The seeded users' usernames, `user000042`; their e-mail is the same at `bench.example`.
fn seeded(n: u64) -> String {
    format!("user{n:06}")
}

/// A search prefix that matches ten of `users` seeded users (`user01234` at 100k: user012340–9).
fn ten_prefix(users: u64) -> String {
    format!("user{:05}", users * 1234 / 100_000)
}

/// A search prefix that matches the newest tenth of `users` seeded users (`user09` at 100k,
/// `user9` at a million): many matches, all of them after the other users in creation order.
fn late_prefix(users: u64) -> String {
    let digits = (users / 10).max(1).ilog10() as usize;
    let first = seeded(users - users / 10);
    first[..first.len() - digits.min(6)].to_string()
}

/// How many of `users` seeded users' e-mails start with `prefix`.
fn matching(users: u64, prefix: &str) -> u64 {
    (0..users).filter(|n| seeded(*n).starts_with(prefix)).count() as u64
}

/// Print `KEY='value'` for the shell script's `eval`, refusing anything that would need escaping.
fn print_var(k: &str, v: &str) -> Res<()> {
    if !v.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.+/=%?&:".contains(&b)) {
        return Err(format!("unexpected characters in {k}: {v}"));
    }
    println!("{k}='{v}'");
    Ok(())
}

/// Every user ListUsers returns for `filter`, a page of 60 at a time.
async fn list_all(
    svc: &portcullis::services::Services,
    pool: &portcullis::ids::PoolId,
    filter: &str,
) -> Res<Vec<String>> {
    let (mut out, mut token) = (Vec::new(), None::<String>);
    loop {
        let (rows, next) = svc.users.list_users(pool, filter, 60, token.as_deref()).await.map_err(|e| e.to_string())?;
        out.extend(rows.iter().map(|u| u.attributes.get("email").cloned().unwrap_or_default()));
        match next {
            Some(n) => token = Some(n),
            None => return Ok(out),
        }
    }
}

/// Create a pool through the API, then write `--users` users into the server's database through
/// the library: the rows AdminCreateUser writes (user row, aliases and search rows from the same
/// `attributes` functions), `--batch` users a transaction through `Store::insert_users` (the
/// statements of `Store::insert_user`, one commit per batch instead of per user), `--concurrency`
/// batches at a time, with one argon2 hash computed up front instead of one per user; on
/// PostgreSQL then `VACUUM ANALYZE`. The server's configuration comes from the environment
/// (`PORTCULLIS_DATABASE_URL`, `PORTCULLIS_DATA_DIR`), so this opens the very database it serves.
async fn seed(a: &HashMap<String, String>) -> Res<()> {
    let api = api_of(a)?;
    let users = num(a, "users", 100_000);
    let concurrency = num(a, "concurrency", 4).max(1) as usize;
    let batch = num(a, "batch", 1).max(1);
    let password = arg(a, "password");
    let created = api.call("CreateUserPool", json!({"PoolName": "bench-admin"})).await?;
    let pool_id = portcullis::ids::PoolId::from(field(&created, &["UserPool", "Id"])?);

    let config = portcullis::config::Config::load(None).map_err(|e| e.to_string())?;
    let url = config.database_url.clone().unwrap_or_default();
    let svc = portcullis::services::Services::open(config).await.map_err(|e| format!("{e:#}"))?;
    let pool = svc.directory.pool(&pool_id).await.map_err(|e| e.to_string())?;
    let hash = seed_hash(&pool_id, &password).await?;
    let start = Instant::now();
    // One second apart, the newest now: distinct creation times, as users signing up over a day.
    insert_seeded(&svc, &pool, &hash, 0..users, svc.now() - users as i64, batch, concurrency).await?;
    let seed_us = start.elapsed().as_micros();
    let analyze_us = analyze(&url).await?;

    // The users are real: ListUsers (the dashboard's search) finds exactly the seeded ones.
    for prefix in ["user0001".to_string(), ten_prefix(users), late_prefix(users), "nobody".to_string()] {
        let found = list_all(&svc, &pool.id, &format!("email ^= \"{prefix}\"")).await?;
        let expected = matching(users, &prefix) as usize;
        if found.len() != expected || !found.iter().all(|e| e.starts_with(&prefix) && e.ends_with("@bench.example")) {
            return Err(format!("ListUsers email ^= {prefix:?}: {} users, expected {expected}", found.len()));
        }
        eprintln!("[seed] ListUsers email ^= {prefix:?} finds {expected} users");
    }
    // The `next` token of the last dashboard page (50 users a page): the ListUsers token after
    // the users before it, taken 10,000 at a time (following 2,000 "Next page" links would take
    // longer than the measurement).
    let pages = users.div_ceil(50).max(1);
    let (mut skip, mut token) = ((pages - 1) * 50, None::<String>);
    while skip > 0 {
        let take = skip.min(10_000);
        let (_, next) =
            svc.users.list_users(&pool.id, "", take as i64, token.as_deref()).await.map_err(|e| e.to_string())?;
        token = Some(next.ok_or("ListUsers ended before the last page")?);
        skip -= take;
    }
    print_var("POOL", &pool.id)?;
    print_var("SEED_US", &seed_us.to_string())?;
    print_var("ANALYZE_US", &analyze_us)?;
    print_var("LAST_PAGE", &pages.to_string())?;
    print_var("LAST_ROWS", &(users - (pages - 1) * 50).to_string())?;
    print_var("LAST_TOKEN", &token.unwrap_or_default())?;
    print_var("TEN_PREFIX", &ten_prefix(users))?;
    print_var("TEN_ROWS", &matching(users, &ten_prefix(users)).to_string())?;
    print_var("LATE_PREFIX", &late_prefix(users))?;
    print_var("LATE_ROWS", &matching(users, &late_prefix(users)).min(50).to_string())?;
    print_var("ALL_ROWS", &users.min(50).to_string())?;
    Ok(())
}

/// One argon2 hash of `password` for every seeded user (their SRP verifiers would each need their
/// own name, so seeded users sign in with USER_PASSWORD_AUTH and get one at the first sign-in).
async fn seed_hash(pool_id: &portcullis::ids::PoolId, password: &str) -> Res<String> {
    let passwords = portcullis::userpool::password::Passwords::new(portcullis::crypto::MasterKey::from_bytes(&[7; 32]));
    let seed_sub = portcullis::ids::UserSub::from("seed".to_string());
    let credential = passwords.credential(pool_id, &seed_sub, "seed", password).await.map_err(|e| e.to_string())?;
    Ok(credential.argon2_hash().to_string())
}

/// Write the seeded users `range` (`user000042`, e-mail at `bench.example`, verified, created
/// at `first + n`) into `pool`: the rows AdminCreateUser writes, `batch` users a transaction
/// through `Store::insert_users`, `concurrency` transactions at a time.
async fn insert_seeded(
    svc: &portcullis::services::Services,
    pool: &portcullis::userpool::model::Pool,
    hash: &str,
    range: std::ops::Range<u64>,
    first: i64,
    batch: u64,
    concurrency: usize,
) -> Res<()> {
    use futures_util::{StreamExt, TryStreamExt};
    use portcullis::store::users::UserRow;
    use portcullis::userpool::attributes;
    let start = Instant::now();
    let new_user = |n: u64| {
        let name = seeded(n);
        let attrs = std::collections::BTreeMap::from([
            ("email".to_string(), format!("{name}@bench.example")),
            ("email_verified".to_string(), "true".to_string()),
        ]);
        let at = first + n as i64;
        let user = UserRow {
            id: uuid::Uuid::new_v4().to_string().into(),
            pool_id: pool.id.clone(),
            username_key: pool.lookup_key(&name),
            username: name.as_str().into(),
            status: "CONFIRMED".into(),
            enabled: true,
            password_hash: Some(hash.to_string()),
            srp_verifier: None,
            password_set_at: Some(at),
            tokens_valid_after: 0,
            created_at: at,
            updated_at: at,
            attributes: attrs,
        };
        let aliases = attributes::aliases(pool, &user.attributes);
        let search = attributes::search_values(&user.attributes);
        (user, aliases, search)
    };
    let (from, to) = (range.start, range.end);
    let report_every = ((to - from) / 10).max(batch).div_ceil(batch) * batch;
    let new_user = &new_user;
    futures_util::stream::iter((from..to).step_by(batch as usize))
        .map(|lo| async move {
            let hi = (lo + batch).min(to);
            let rows: Vec<_> = (lo..hi).map(new_user).collect();
            svc.store.insert_users(&rows).await.map_err(|e| format!("users {lo}..{hi}: {e}"))?;
            if (hi - from).is_multiple_of(report_every) {
                eprintln!("[seed] {} users, {:.1} s", hi - from, start.elapsed().as_secs_f64());
            }
            Ok::<_, String>(())
        })
        .buffer_unordered(concurrency)
        .try_collect::<()>()
        .await
}

/// PostgreSQL: `VACUUM ANALYZE`, the statistics autovacuum would gather within a minute or so of
/// a bulk load (its insert and analyze thresholds); without them the planner guesses every
/// range's size. Its time in µs, or "" on SQLite.
async fn analyze(url: &str) -> Res<String> {
    if !url.starts_with("postgres") {
        return Ok(String::new());
    }
    use sqlx::Connection;
    let t = Instant::now();
    let mut db = sqlx::PgConnection::connect(url).await.map_err(|e| e.to_string())?;
    sqlx::raw_sql("VACUUM ANALYZE").execute(&mut db).await.map_err(|e| e.to_string())?;
    Ok(t.elapsed().as_micros().to_string())
}

// ---------------------------------------------------------------- dashboard: sign-in and pages

/// `location` against `base` when it is a path.
fn absolute(base: &str, location: &str) -> String {
    if location.starts_with('/') { format!("{base}{location}") } else { location.to_string() }
}

/// Sign in to `/admin` as a fresh browser (cookie jar): /admin → the system pool's authorize
/// (PKCE) → its login page → the password → /admin/callback, which sets the session cookie.
async fn admin_session(a: &HashMap<String, String>) -> Res<()> {
    let base = arg(a, "base");
    let (username, password) = (arg(a, "username"), arg(a, "password"));
    let err = |step: &str, e: reqwest::Error| format!("{step}: {e}");
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let expect = |step: &str, r: &reqwest::Response, status: u16| {
        if r.status() == status { Ok(()) } else { Err(format!("{step}: HTTP {}, expected {status}", r.status())) }
    };
    let r = browser.get(format!("{base}/admin")).send().await.map_err(|e| err("/admin", e))?;
    expect("/admin", &r, 302)?;
    let r = browser.get(absolute(&base, &location(&r))).send().await.map_err(|e| err("authorize", e))?;
    expect("authorize", &r, 302)?;
    let r = browser.get(absolute(&base, &location(&r))).send().await.map_err(|e| err("login page", e))?;
    expect("login page", &r, 200)?;
    let html = r.text().await.map_err(|e| err("login page", e))?;
    let action = between(&html, "action=\"")?;
    let csrf = between(&html, "name=\"_csrf\" value=\"")?;
    let r = browser
        .post(absolute(&base, &action))
        .form(&[("_csrf", csrf.as_str()), ("username", username.as_str()), ("password", password.as_str())])
        .send()
        .await
        .map_err(|e| err("login post", e))?;
    let callback = absolute(&base, &location(&r));
    if r.status() != 302 || !callback.starts_with(&format!("{base}/admin/callback?")) {
        return Err(format!(
            "login post: HTTP {} to {callback:?} (MFA asked? run with PORTCULLIS_ADMIN_MFA=optional)",
            r.status()
        ));
    }
    let r = browser.get(&callback).send().await.map_err(|e| err("callback", e))?;
    expect("callback", &r, 303)?;
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next()?.strip_prefix("portcullis_admin=").map(str::to_string))
        .next()
        .ok_or("the callback set no session cookie")?;
    // The cookie alone opens the dashboard (the load sends it without a cookie jar).
    let page = admin_get(&http(), &base, &session, "/admin").await?;
    if !page.contains(&username) {
        return Err("the overview does not name the operator".into());
    }
    print_var("ADMIN_COOKIE", &session)
}

/// GET a dashboard page with the session cookie; its HTML, or why not.
async fn admin_get(http: &reqwest::Client, base: &str, session: &str, path: &str) -> Res<String> {
    let r = http
        .get(format!("{base}{path}"))
        .header("cookie", format!("portcullis_admin={session}"))
        .send()
        .await
        .map_err(|e| format!("GET {path}: {e}"))?;
    let status = r.status();
    let html = r.text().await.map_err(|e| format!("GET {path}: {e}"))?;
    if status != 200 {
        return Err(format!("GET {path}: HTTP {status}"));
    }
    Ok(html)
}

/// The users listed on a users page: links to a user's page.
fn user_rows(html: &str, pool: &str) -> usize {
    html.matches(&format!("href=\"/admin/pools/{pool}/users/")).count()
}

/// The path of the page's "Next page" link.
fn next_link(html: &str) -> Option<String> {
    let end = html.find("\">Next page</a>")?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(unescape(&html[start..end]))
}

/// Follow "Next page" from `--path` to page `--pages` (or the last page): prints the path of the
/// page reached, its number, its user rows and the walk's time.
async fn admin_walk(a: &HashMap<String, String>) -> Res<()> {
    let (base, session, pool) = (arg(a, "base"), arg(a, "cookie"), arg(a, "pool"));
    let target = num(a, "pages", 100).max(1);
    let http = http();
    let (mut path, mut page) = (arg(a, "path"), 1);
    let start = Instant::now();
    let mut slowest = 0;
    loop {
        let t = Instant::now();
        let html = admin_get(&http, &base, &session, &path).await?;
        slowest = slowest.max(t.elapsed().as_micros());
        match next_link(&html) {
            Some(next) if page < target => {
                path = next;
                page += 1;
            }
            _ => {
                print_var("WALK_PATH", &path)?;
                print_var("WALK_PAGE", &page.to_string())?;
                print_var("WALK_ROWS", &user_rows(&html, &pool).to_string())?;
                print_var("WALK_US", &start.elapsed().as_micros().to_string())?;
                return print_var("WALK_MAX_US", &slowest.to_string());
            }
        }
    }
}

/// One dashboard page to load, and what its answer must hold.
struct AdminPage {
    http: reqwest::Client,
    base: String,
    session: String,
    pool: String,
    path: String,
    rows: usize,
}

impl AdminPage {
    /// GET the page: HTTP 200 with the expected number of user rows.
    async fn get(&self) -> Res<()> {
        let html = admin_get(&self.http, &self.base, &self.session, &self.path).await?;
        let n = user_rows(&html, &self.pool);
        if n != self.rows {
            return Err(format!("GET {}: {n} user rows, expected {}", self.path, self.rows));
        }
        Ok(())
    }
}

/// GET `--path` `--requests` times from `--concurrency` workers (after `--warmup` unmeasured
/// requests), each answer checked: HTTP 200 with `--rows` user rows. Stops early after
/// `--max-seconds`. Prints `RESULT <count> <elapsed_us> <p50_us> <p99_us> <errors> <max_us>`.
async fn admin_load(a: &HashMap<String, String>) -> Res<()> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let page = std::sync::Arc::new(AdminPage {
        http: http(),
        base: arg(a, "base"),
        session: arg(a, "cookie"),
        pool: arg(a, "pool"),
        path: arg(a, "path"),
        rows: num(a, "rows", 50) as usize,
    });
    let workers = num(a, "concurrency", 4).max(1);
    for _ in 0..num(a, "warmup", 8) {
        page.get().await?;
    }
    let left = std::sync::Arc::new(AtomicU64::new(num(a, "requests", 200)));
    let take = move || left.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1)).is_ok();
    let start = Instant::now();
    let deadline = start + Duration::from_secs(num(a, "max-seconds", 120));
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let (page, take) = (page.clone(), take.clone());
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut first_error) = (Vec::new(), 0u64, None);
            while Instant::now() < deadline && take() {
                let t = Instant::now();
                match page.get().await {
                    Ok(()) => lat.push(t.elapsed().as_micros() as u64),
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
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
            eprintln!("admin-load error (first of worker): {f}");
        }
    }
    let elapsed = start.elapsed().as_micros();
    all.sort_unstable();
    let max = all.last().copied().unwrap_or(0);
    println!("RESULT {} {elapsed} {} {} {errors} {max}", all.len(), percentile(&all, 50.0), percentile(&all, 99.0));
    Ok(())
}
