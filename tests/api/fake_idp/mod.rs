//! Local fake upstream identity providers for the federation tests: [`FakeOidc`], a real OpenID
//! Connect provider (the fake Google, and any OIDC provider), and [`FakeFacebook`], an OAuth 2.0
//! provider shaped like Facebook's dialog, Graph token endpoint and `/me`. Each is a real HTTP
//! server on `127.0.0.1:0`; its state sits behind a mutex, so a test can change the user or make
//! the provider misbehave between requests, and can read back what the relying party sent.
//!
//! Also included by the browser tests (`#[path = "../api/fake_idp/mod.rs"]`, a `mod.rs` so that
//! its modules are found from there too), so it depends only on crates every test target has.
//! This module has what both fakes share: serving, parameters, redirects.

#![allow(dead_code)]

mod facebook;
mod oidc;

// Each test target uses a part of what the fakes offer.
#[allow(unused_imports)]
pub use facebook::{FacebookBehavior, FakeFacebook, Proof};
#[allow(unused_imports)]
pub use oidc::{Behavior, FakeOidc};

use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use std::collections::BTreeMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

/// Query or form parameters as a map (the last value of a repeated name wins).
pub type Params = BTreeMap<String, String>;

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn parse_params(raw: &[u8]) -> Params {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// Serve `routes` over `state` on a fresh loopback port; returns the base URL.
fn serve<S: Send + 'static>(state: Arc<Mutex<S>>, routes: fn(&mut web::ServiceConfig)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake provider");
    let port = listener.local_addr().expect("fake provider address").port();
    let data = web::Data::from(state);
    let server = HttpServer::new(move || App::new().app_data(data.clone()).configure(routes))
        .workers(1)
        .disable_signals()
        .shutdown_timeout(0)
        .listen(listener)
        .expect("listen")
        .run();
    tokio::spawn(server);
    format!("http://127.0.0.1:{port}")
}

/// `{redirect_uri}` with `pairs` added to its query, as a 302.
fn redirect_with(redirect_uri: &str, pairs: &[(&str, &str)]) -> HttpResponse {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        return bad_page("redirect_uri is not a URL");
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    HttpResponse::Found().insert_header((header::LOCATION, url.to_string())).finish()
}

/// The error page a provider shows instead of redirecting to an untrusted place.
fn bad_page(message: &'static str) -> HttpResponse {
    HttpResponse::BadRequest().content_type("text/plain; charset=utf-8").body(message)
}

fn bearer(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_string())
}
