//! The database going away, seen from outside: the server reaches PostgreSQL through a proxy
//! this test controls, which forwards, refuses (every connection dropped, new ones closed at
//! once: the database down) or blackholes (connections held open, nothing answered: the network
//! cut). While it is away every surface answers 503 with `Retry-After` in its own format (the
//! Cognito API's InternalErrorException, OAuth's `temporarily_unavailable`, the hosted pages'
//! page), never "not found" nor "invalid token", readiness says so within a second and requests
//! fail within seconds; when it is back, the same requests succeed at once.
//!
//! PostgreSQL only (`PORTCULLIS_TEST_DB=postgres`): SQLite has no connection to lose.

use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard};
use crate::helpers::*;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Forward,
    Refuse,
    Blackhole,
}

/// A TCP proxy to PostgreSQL on 127.0.0.1:5432.
struct PgProxy {
    port: u16,
    mode: watch::Sender<Mode>,
}

impl PgProxy {
    async fn start() -> PgProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let port = listener.local_addr().expect("addr").port();
        let (mode, watching) = watch::channel(Mode::Forward);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *watching.borrow() == Mode::Refuse {
                    drop(client);
                    continue;
                }
                tokio::spawn(relay(client, watching.clone()));
            }
        });
        PgProxy { port, mode }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

/// One connection: bytes both ways while forwarding, none while blackholed (the connection
/// stays open), and both ends closed when the database is refused.
async fn relay(mut client: TcpStream, mut mode: watch::Receiver<Mode>) {
    let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await else { return };
    let (mut from_client, mut from_server) = ([0u8; 16384], [0u8; 16384]);
    loop {
        let now = *mode.borrow_and_update();
        match now {
            Mode::Refuse => return,
            Mode::Blackhole => {
                if mode.changed().await.is_err() {
                    return;
                }
                continue;
            }
            Mode::Forward => {}
        }
        tokio::select! {
            r = client.read(&mut from_client) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => if server.write_all(&from_client[..n]).await.is_err() { return },
            },
            r = server.read(&mut from_server) => match r {
                Ok(0) | Err(_) => return,
                Ok(n) => if client.write_all(&from_server[..n]).await.is_err() { return },
            },
            changed = mode.changed() => if changed.is_err() { return },
        }
    }
}

/// InitiateAuth with a refresh token, unsigned: the whole response (for its headers).
async fn refresh_via_api(app: &TestApp, client_id: &str, token: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
        .body(
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client_id, "AuthParameters": {"REFRESH_TOKEN": token}})
                .to_string(),
        )
        .send()
        .await
        .expect("the server answers")
}

async fn refresh_via_token_endpoint(app: &TestApp, f: &Flow, token: &str) -> reqwest::Response {
    let form = [("grant_type", "refresh_token"), ("client_id", f.client_id.as_str()), ("refresh_token", token)];
    app.http.post(app.url(&f.pool, "/oauth2/token")).form(&form).send().await.expect("the server answers")
}

fn retry_after(r: &reqwest::Response) -> Option<u64> {
    r.headers().get("retry-after")?.to_str().ok()?.parse().ok()
}

/// A 503 with Retry-After, and what its body says.
async fn told_to_retry(r: reqwest::Response, what: &str) -> String {
    let (status, wait) = (r.status().as_u16(), retry_after(&r));
    let body = r.text().await.unwrap_or_default();
    assert_eq!((status, wait.is_some_and(|s| s >= 1)), (503, true), "{what}: {status} {wait:?} {body}");
    body
}

/// Readiness, and how long it took to say.
async fn readiness(app: &TestApp) -> (u16, Duration) {
    let at = Instant::now();
    let r = app.http.get(format!("{}/health/ready", app.base)).send().await.expect("the server answers");
    (r.status().as_u16(), at.elapsed())
}

#[tokio::test]
async fn while_the_database_is_away_every_surface_says_retry_and_nothing_reads_as_missing() {
    if backend() != "postgres" {
        eprintln!("SKIPPED while_the_database_is_away…: PostgreSQL only (PORTCULLIS_TEST_DB=postgres)");
        return;
    }
    let proxy = PgProxy::start().await;
    let port = proxy.port;
    let app = TestApp::spawn_with(|c| {
        let url = c.database_url.take().expect("a test database");
        c.database_url = Some(url.replacen("127.0.0.1:5432", &format!("127.0.0.1:{port}"), 1));
        c.database_acquire_timeout_ms = 1000;
        c.admin_username = Some(ADMIN.into());
        c.admin_password = Some(portcullis::config::Secret::new(ADMIN_PASSWORD));
        c.admin_mfa = portcullis::config::AdminMfa::Optional;
    })
    .await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let users_page = format!("/admin/pools/{}/users", "{pool}");
    let f = setup_flow(&app, false, json!({})).await;
    let (st, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    let refresh = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    let tokens = tokens_via_browser(&app, &f).await;
    let (web_refresh, web_access) =
        (tokens["refresh_token"].as_str().unwrap().to_string(), tokens["access_token"].as_str().unwrap().to_string());
    let jwks = format!("{}/{}/.well-known/jwks.json", app.base, f.pool);
    assert_eq!(app.http.get(&jwks).send().await.unwrap().status(), 200);
    assert_eq!(readiness(&app).await.0, 200);

    for mode in [Mode::Refuse, Mode::Blackhole] {
        proxy.set(mode);
        // Readiness says so within a second or so, however the database is away.
        let (status, took) = readiness(&app).await;
        assert_eq!(status, 503, "{mode:?}");
        assert!(took < Duration::from_millis(1800), "{mode:?}: readiness took {took:?}");

        // The Cognito API: InternalErrorException, 503, Retry-After; within seconds.
        let at = Instant::now();
        let body = told_to_retry(refresh_via_api(&app, &f.client_id, &refresh).await, "InitiateAuth").await;
        assert!(at.elapsed() < Duration::from_secs(6), "{mode:?}: InitiateAuth took {:?}", at.elapsed());
        let body: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(body["__type"], "InternalErrorException", "{body}");
        let (st, e) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
        assert_eq!((st, err_type(&e)), (503, "InternalErrorException"), "{mode:?}: {e}");

        // OAuth: temporarily_unavailable, with the pool's settings cached and once they expire;
        // never "the user pool does not exist" or an invalid grant.
        for cached in [true, false] {
            if !cached {
                app.clock.advance_secs(60);
            }
            let body = told_to_retry(refresh_via_token_endpoint(&app, &f, &web_refresh).await, "token").await;
            let body: Value = serde_json::from_str(&body).expect("JSON");
            assert_eq!(body["error"], "temporarily_unavailable", "{mode:?} cached {cached}: {body}");
            let r = app.http.get(app.url(&f.pool, "/oauth2/userInfo")).bearer_auth(&web_access).send().await.unwrap();
            told_to_retry(r, "userInfo").await;
        }
        let r = app.http.get(&jwks).send().await.unwrap();
        told_to_retry(r, "JWKS").await;
        let login = f.authorize_url(&app, "").replace("/oauth2/authorize", "/login");
        let page = told_to_retry(app.browser().get(&login).send().await.unwrap(), "hosted sign-in page").await;
        assert!(page.contains("temporarily unavailable"), "{page}");
        let page = told_to_retry(admin.get(&app, &users_page.replace("{pool}", &f.pool)).await, "dashboard").await;
        assert!(page.contains("cannot reach its database"), "{page}");

        // Back: the same requests work again at once (the pool reconnects on demand).
        proxy.set(Mode::Forward);
        let mut back = None;
        for _ in 0..40 {
            let r = refresh_via_token_endpoint(&app, &f, &web_refresh).await;
            if r.status() == 200 {
                back = Some(r);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(back.is_some(), "{mode:?}: the token endpoint did not recover within 4 s");
        assert_eq!(refresh_via_api(&app, &f.client_id, &refresh).await.status(), 200, "{mode:?}");
        assert_eq!(readiness(&app).await.0, 200, "{mode:?}");
        assert_eq!(app.http.get(&jwks).send().await.unwrap().status(), 200);
    }
    // Nothing stored was lost.
    let (st, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
}
