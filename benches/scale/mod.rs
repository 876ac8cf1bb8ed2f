//! The scale scenarios of `bench/run.sh sqlite scale` (issue 14): the same pool measured at a
//! thousand users and again after seeding it to a million.
//!
//! - `scale-seed`: users `--from`..`--to` written into an existing pool (the fixtures' pool,
//!   whose app client allows USER_PASSWORD_AUTH and SRP) through the library, as `seed` does;
//!   prints the seed time and what the ListUsers rows need (a sub, a ten-user prefix, the
//!   PaginationToken of a page in the middle of the pool).
//! - `scale-logins`: InitiateAuth USER_PASSWORD_AUTH (or SRP) from N workers for a fixed time.
//!   `--mode hot`: `--hot` users spread evenly over the whole pool, each signed in once before
//!   the measurement (so every measured sign-in is a repeat, as most are); `cold`: users never
//!   signed in, in a scattered order, each once (the first sign-in also derives and stores the
//!   user's SRP verifier); `srp`: the hot users through USER_SRP_AUTH + PASSWORD_VERIFIER.
//! - `scale-list`: one ListUsers request (signed, with `--filter` and `--token`), repeated and
//!   checked (HTTP 200 and `--rows` users).
//! - `scale-refresh`: a client with refresh-token rotation; each worker signs a user in once and
//!   then follows its chain of GetTokensFromRefreshToken, every answer a new refresh token; at
//!   the end a spent token is presented again and must be refused.
//! - `rs256`: the time of one RS256 signature (2048-bit key, aws-lc-rs as the server signs)
//!   on one thread, and the signatures per second on every core.
//!
//! Each load prints `RESULT <count> <elapsed_us> <p50_us> <p99_us> <errors>` over the measured
//! part only (after `--warmup-ms`).

use super::{Api, Res, api_of, arg, field, http, num, percentile, print_var, seeded, srp_sign_in, ten_prefix};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Creation times of seeded users: one second apart from this instant, so the pool's order is
/// the seeding order whichever run writes them (the fixtures' users, created now, come last).
const EPOCH: i64 = 1_600_000_000;

fn ms(a: &HashMap<String, String>, name: &str, default: u64) -> Duration {
    Duration::from_millis(num(a, name, default))
}

/// Run `op(worker, n)` back to back from `workers` tasks for `warmup` (unmeasured) and then
/// `duration`; `op` returns `Ok(false)` when it has no more work. Prints RESULT.
async fn load<F, Fut>(workers: u64, warmup: Duration, duration: Duration, op: F) -> Res<()>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Res<bool>> + Send,
{
    let op = Arc::new(op);
    let begin = Instant::now() + warmup;
    let deadline = begin + duration;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let op = op.clone();
        tasks.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut first_error, mut last) = (Vec::new(), 0u64, None, begin);
            while Instant::now() < deadline {
                let t = Instant::now();
                let r = op(w).await;
                let measured = t >= begin;
                match r {
                    Ok(false) => break,
                    Ok(true) if measured => lat.push(t.elapsed().as_micros() as u64),
                    Ok(true) => {}
                    Err(e) => {
                        errors += measured as u64;
                        first_error.get_or_insert(e);
                    }
                }
                last = last.max(Instant::now());
            }
            (lat, errors, first_error, last)
        }));
    }
    let (mut all, mut errors, mut end) = (Vec::new(), 0, begin);
    for t in tasks {
        let (lat, e, first, last) = t.await.map_err(|e| e.to_string())?;
        all.extend(lat);
        errors += e;
        end = end.max(last);
        if let Some(f) = first {
            eprintln!("error (first of worker): {f}");
        }
    }
    all.sort_unstable();
    let elapsed = end.saturating_duration_since(begin).as_micros().max(1);
    println!("RESULT {} {elapsed} {} {} {errors}", all.len(), percentile(&all, 50.0), percentile(&all, 99.0));
    Ok(())
}

/// Unsigned Cognito API call (InitiateAuth, GetTokensFromRefreshToken): the answer's JSON on
/// HTTP 200, else the error body.
async fn public_call(http: &reqwest::Client, base: &str, target: &str, body: Value) -> Res<Value> {
    let r = http
        .post(format!("{base}/"))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{target}"))
        .body(body.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status().as_u16();
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    if status != 200 {
        return Err(format!("{target}: HTTP {status}: {v}"));
    }
    Ok(v)
}

async fn password_sign_in(http: &reqwest::Client, base: &str, client_id: &str, user: &str, pw: &str) -> Res<Value> {
    let v = public_call(
        http,
        base,
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client_id,
               "AuthParameters": {"USERNAME": user, "PASSWORD": pw}}),
    )
    .await?;
    if !v["AuthenticationResult"]["AccessToken"].is_string() {
        return Err(format!("no tokens for {user}: {v}"));
    }
    Ok(v["AuthenticationResult"].clone())
}

/// Write users `--from`..`--to` of the seeded population into `--pool` (see the module doc).
pub async fn scale_seed(a: &HashMap<String, String>) -> Res<()> {
    let (from, to) = (num(a, "from", 0), num(a, "to", 1000));
    let batch = num(a, "batch", 500).max(1);
    let concurrency = num(a, "concurrency", 1).max(1) as usize;
    let pool_id = portcullis::ids::PoolId::from(arg(a, "pool"));
    let config = portcullis::config::Config::load(None).map_err(|e| e.to_string())?;
    let url = config.database_url.clone().unwrap_or_default();
    let svc = portcullis::services::Services::open(config).await.map_err(|e| format!("{e:#}"))?;
    let pool = svc.directory.pool(&pool_id).await.map_err(|e| e.to_string())?;
    let hash = super::seed_hash(&pool_id, &arg(a, "password")).await?;
    let start = Instant::now();
    super::insert_seeded(&svc, &pool, &hash, from..to, EPOCH, batch, concurrency).await?;
    let seed_us = start.elapsed().as_micros();
    let analyze_us = super::analyze(&url).await?;

    // The rows of the ListUsers scenario, found through the library (and so checked to exist).
    let middle = seeded(to / 2);
    let (rows, _) = svc
        .users
        .list_users(&pool.id, &format!("username = \"{middle}\""), 60, None)
        .await
        .map_err(|e| e.to_string())?;
    let sub = rows.first().ok_or_else(|| format!("ListUsers finds no {middle}"))?.id.to_string();
    let ten = ten_prefix(to);
    let (rows, _) =
        svc.users.list_users(&pool.id, &format!("email ^= \"{ten}\""), 60, None).await.map_err(|e| e.to_string())?;
    if rows.len() != 10 {
        return Err(format!("email ^= {ten:?}: {} users, expected 10", rows.len()));
    }
    // The PaginationToken after the first half of the pool: a page in the middle, 10,000 at a time.
    let (mut skip, mut token) = (to / 2, None::<String>);
    while skip > 0 {
        let take = skip.min(10_000);
        let (_, next) =
            svc.users.list_users(&pool.id, "", take as i64, token.as_deref()).await.map_err(|e| e.to_string())?;
        token = Some(next.ok_or("ListUsers ended before the middle of the pool")?);
        skip -= take;
    }
    print_var("SEED_US", &seed_us.to_string())?;
    print_var("ANALYZE_US", &analyze_us)?;
    print_var("MIDDLE_USER", &middle)?;
    print_var("MIDDLE_SUB", &sub)?;
    print_var("TEN_PREFIX", &ten)?;
    print_var("DEEP_TOKEN", &token.unwrap_or_default())?;
    Ok(())
}

/// The `i`-th of `hot` users spread evenly over `users`.
fn hot_user(i: u64, hot: u64, users: u64) -> String {
    seeded(i * (users / hot).max(1))
}

/// Sign-ins against the seeded pool (see the module doc for `--mode`).
pub async fn scale_logins(a: &HashMap<String, String>) -> Res<()> {
    let (base, client_id, password, pool) = (arg(a, "base"), arg(a, "client-id"), arg(a, "password"), arg(a, "pool"));
    let users = num(a, "users", 1000).max(1);
    let hot = num(a, "hot", 200).clamp(1, users);
    let workers = num(a, "concurrency", 8).max(1);
    let mode = arg(a, "mode");
    let http = http();
    let (warmup, duration) = (ms(a, "warmup-ms", 2000), ms(a, "duration-ms", 10_000));
    match mode.as_str() {
        "hot" | "srp" => {
            // Every hot user signed in once (their SRP verifier is made then), not measured.
            let next = Arc::new(AtomicU64::new(0));
            let mut tasks = Vec::new();
            for _ in 0..workers {
                let (http, base, client_id, password, next) =
                    (http.clone(), base.clone(), client_id.clone(), password.clone(), next.clone());
                tasks.push(tokio::spawn(async move {
                    loop {
                        let i = next.fetch_add(1, Ordering::AcqRel);
                        if i >= hot {
                            return Ok::<_, String>(());
                        }
                        password_sign_in(&http, &base, &client_id, &hot_user(i, hot, users), &password).await?;
                    }
                }));
            }
            for t in tasks {
                t.await.map_err(|e| e.to_string())??;
            }
            let next = Arc::new(AtomicU64::new(0));
            let srp = mode == "srp";
            load(workers, warmup, duration, move |_| {
                let (http, base, client_id, password, pool) =
                    (http.clone(), base.clone(), client_id.clone(), password.clone(), pool.clone());
                // A fixed stride through the hot users: each in turn, never the same twice in a row.
                let user = hot_user(next.fetch_add(1, Ordering::AcqRel) * 7 % hot, hot, users);
                async move {
                    if srp {
                        srp_sign_in(&http, &base, &pool, &client_id, &user, &password).await?;
                    } else {
                        password_sign_in(&http, &base, &client_id, &user, &password).await?;
                    }
                    Ok(true)
                }
            })
            .await
        }
        "cold" => {
            // Users by a stride coprime with the pool's size, skipping the hot ones: scattered over
            // the pool, each once.
            let step = (users / hot).max(1);
            let stride = (1..).map(|k| 7_919 * k + 1).find(|s| gcd(*s, users) == 1).unwrap_or(1);
            let next = Arc::new(AtomicU64::new(0));
            load(workers, warmup, duration, move |_| {
                let (http, base, client_id, password, next) =
                    (http.clone(), base.clone(), client_id.clone(), password.clone(), next.clone());
                async move {
                    let user = loop {
                        let t = next.fetch_add(1, Ordering::AcqRel);
                        if t >= users {
                            return Ok(false);
                        }
                        let n = (t * stride + 1) % users;
                        if !n.is_multiple_of(step) {
                            break seeded(n);
                        }
                    };
                    password_sign_in(&http, &base, &client_id, &user, &password).await?;
                    Ok(true)
                }
            })
            .await
        }
        _ => Err("--mode hot, cold or srp".into()),
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// ListUsers `--filter` (and `--token`) repeated, each answer checked to hold `--rows` users.
pub async fn scale_list(a: &HashMap<String, String>) -> Res<()> {
    let api = Arc::new(api_of(a)?);
    let mut body =
        json!({"UserPoolId": arg(a, "pool"), "Limit": 60, "Filter": a.get("filter").cloned().unwrap_or_default()});
    if let Some(t) = a.get("token").filter(|t| !t.is_empty()) {
        body["PaginationToken"] = json!(t);
    }
    let rows = num(a, "rows", 60) as usize;
    let body = Arc::new(body);
    let (warmup, duration) = (ms(a, "warmup-ms", 1000), ms(a, "duration-ms", 5000));
    load(num(a, "concurrency", 4).max(1), warmup, duration, move |_| {
        let (api, body) = (api.clone(), body.clone());
        async move {
            let v = api.call("ListUsers", (*body).clone()).await?;
            let n = v["Users"].as_array().map_or(0, Vec::len);
            if n != rows {
                return Err(format!("ListUsers {}: {n} users, expected {rows}", body["Filter"]));
            }
            Ok(true)
        }
    })
    .await
}

async fn rotating_client(api: &Api, pool: &str) -> Res<String> {
    let c = api
        .call(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "rotating", "GenerateSecret": false,
                   "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                   "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}),
        )
        .await?;
    field(&c, &["UserPoolClient", "ClientId"])
}

/// Refresh chains on a rotating client (see the module doc).
pub async fn scale_refresh(a: &HashMap<String, String>) -> Res<()> {
    let api = api_of(a)?;
    let (pool, password) = (arg(a, "pool"), arg(a, "password"));
    let users = num(a, "users", 1000).max(1);
    let workers = num(a, "concurrency", 32).max(1);
    let client_id = rotating_client(&api, &pool).await?;
    let http = http();
    let base = api.base.clone();
    let mut chains = Vec::new();
    for w in 0..workers {
        let t = password_sign_in(&http, &base, &client_id, &hot_user(w, workers, users), &password).await?;
        chains.push(tokio::sync::Mutex::new((field(&t, &["RefreshToken"])?, String::new())));
    }
    let chains = Arc::new(chains);
    let (warmup, duration) = (ms(a, "warmup-ms", 2000), ms(a, "duration-ms", 10_000));
    let (c2, h2, b2, id2) = (chains.clone(), http.clone(), base.clone(), client_id.clone());
    load(workers, warmup, duration, move |w| {
        let (chains, http, base, client_id) = (c2.clone(), h2.clone(), b2.clone(), id2.clone());
        async move {
            let mut chain = chains[w as usize].lock().await;
            let v = public_call(
                &http,
                &base,
                "GetTokensFromRefreshToken",
                json!({"ClientId": client_id, "RefreshToken": chain.0}),
            )
            .await?;
            let fresh = field(&v, &["AuthenticationResult", "RefreshToken"])?;
            field(&v, &["AuthenticationResult", "IdToken"])?;
            if fresh == chain.0 {
                return Err("rotation returned the same refresh token".into());
            }
            let spent = std::mem::replace(&mut chain.0, fresh);
            chain.1 = spent;
            Ok(true)
        }
    })
    .await?;
    // A spent token presented again: refused (and its family revoked), or rotation did not rotate.
    let spent = chains[0].lock().await.1.clone();
    let reuse =
        public_call(&http, &base, "GetTokensFromRefreshToken", json!({"ClientId": client_id, "RefreshToken": spent}));
    if !spent.is_empty() && reuse.await.is_ok() {
        return Err("a spent refresh token was accepted again".into());
    }
    Ok(())
}

/// The RS256 sign time (one thread) and rate (every core), through the server's own key code
/// (`portcullis::tokens::signer`, as `flows sign-rate` measures both algorithms).
pub fn rs256(a: &HashMap<String, String>) -> Res<()> {
    use portcullis::tokens::signer::{Alg, PrivateKey};
    let samples = num(a, "samples", 200).max(1);
    let key = Arc::new(PrivateKey::generate(Alg::Rs256).map_err(|e| e.to_string())?);
    let msg = [b'x'; 700];
    let sign = |key: &PrivateKey| key.sign(&msg).map(|_| ()).map_err(|e| e.to_string());
    let mut times = Vec::new();
    for _ in 0..samples {
        let t = Instant::now();
        sign(&key)?;
        times.push(t.elapsed().as_micros() as u64);
    }
    times.sort_unstable();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let t = Instant::now();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..samples {
                        sign(&key)?;
                    }
                    Ok::<_, String>(())
                })
            })
            .collect();
        handles.into_iter().try_for_each(|h| h.join().map_err(|_| "thread".to_string())?)
    })?;
    let per_s = (samples * cores as u64) as f64 / t.elapsed().as_secs_f64();
    println!("RS256 {} {per_s:.0}", percentile(&times, 50.0));
    Ok(())
}
