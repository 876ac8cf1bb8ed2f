//! Signing operators in: the dashboard is an OpenID Connect relying party of the system pool,
//! through the `openidconnect` crate (authorization code with PKCE, state and nonce), exactly
//! as any application of a pool would be. The hosted UI does the rest (password, new password,
//! TOTP set-up and codes, lockout).
//!
//! The sign-in in progress lives in a sealed, short-lived cookie, so any node can finish it.
//! The code is redeemed over the server's own loopback address ([`BackChannel`]), since
//! `PUBLIC_URL` may not be reachable from the server itself; the ID token is checked against
//! the system pool's keys in memory, with the server's clock.

use super::{LOGIN_COOKIE, SESSION_COOKIE, internal, message};
use crate::ids::UserSub;
use crate::operators::{CALLBACK_PATH, SIGNED_OUT_PATH, SystemPool};
use crate::services::Services;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthUrl, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// How long a started sign-in may take.
const LOGIN_SECS: i64 = 600;

/// Where the server reaches its own endpoints (its bound address on loopback), and the HTTP
/// client that does (no redirects followed, as a relying party must).
pub struct BackChannel {
    pub base: String,
    pub http: openidconnect::reqwest::Client,
}

impl BackChannel {
    /// The back channel of a server bound to `addr` (a wildcard address is reached on loopback).
    pub fn for_addr(addr: std::net::SocketAddr) -> anyhow::Result<BackChannel> {
        let ip = match addr.ip() {
            std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let http = openidconnect::reqwest::ClientBuilder::new()
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        Ok(BackChannel { base: format!("http://{}", std::net::SocketAddr::new(ip, addr.port())), http })
    }
}

/// The sign-in in progress, sealed into [`LOGIN_COOKIE`].
#[derive(Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    expires: i64,
}

const SEAL_CONTEXT: &str = "admin-login";

fn cookie(svc: &Services, name: &'static str, value: String, max_age: i64) -> Cookie<'static> {
    let mut c = crate::web::cookie(svc, name, value, "/admin", Some(max_age));
    c.set_same_site(SameSite::Lax);
    c
}

/// A page under `/admin` to come back to: the path asked for, never anything off the site.
fn return_path(req: &HttpRequest) -> String {
    let path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/admin");
    if path.starts_with("/admin") && !path.starts_with("//") && !path.contains('\\') {
        path.to_string()
    } else {
        "/admin".into()
    }
}

type Rp = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
>;

/// The relying party: the system pool's issuer, its keys, the dashboard client, the callback.
async fn relying_party(req: &HttpRequest, svc: &Services, system: &SystemPool) -> anyhow::Result<Rp> {
    let issuer = svc.tokens.issuer(&system.pool_id);
    let keys = svc.tokens.pool_keys(&system.pool_id, None).await?;
    let jwks: CoreJsonWebKeySet = serde_json::from_str(&keys.jwks)?;
    let back = match req.app_data::<web::Data<BackChannel>>() {
        Some(b) => b.base.clone(),
        None => svc.config.public_url.clone(),
    };
    Ok(CoreClient::new(ClientId::new(system.client_id.to_string()), IssuerUrl::new(issuer.clone())?, jwks)
        .set_auth_uri(AuthUrl::new(format!("{issuer}/oauth2/authorize"))?)
        .set_token_uri(TokenUrl::new(format!("{back}/{}/oauth2/token", system.pool_id))?)
        .set_redirect_uri(RedirectUrl::new(format!("{}{CALLBACK_PATH}", svc.config.public_url))?))
}

/// Send the browser to the system pool's hosted UI, remembering where it was going.
pub async fn start(req: &HttpRequest, svc: &Services) -> HttpResponse {
    let Some(system) = svc.operators.system() else {
        return internal(anyhow::anyhow!("the system pool is not ready"));
    };
    let rp = match relying_party(req, svc, system).await {
        Ok(rp) => rp,
        Err(e) => return internal(e),
    };
    let verifier = PkceCodeVerifier::new(crate::crypto::random_token());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let (url, state, nonce) = rp
        .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = Pending {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        verifier: verifier.secret().clone(),
        next: return_path(req),
        expires: svc.now() + LOGIN_SECS,
    };
    let sealed = match serde_json::to_vec(&pending) {
        Ok(plain) => svc.master.seal(&plain, SEAL_CONTEXT),
        Err(e) => return internal(e),
    };
    let mut resp = crate::web::redirect(url.as_str());
    let _ = resp.add_cookie(&cookie(svc, LOGIN_COOKIE, sealed, LOGIN_SECS));
    resp
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

fn failed(text: &str) -> HttpResponse {
    message(StatusCode::BAD_REQUEST, "Sign-in failed", text)
}

/// `/admin/callback`: the hosted UI's answer. The state must be this browser's, the code is
/// redeemed with the PKCE verifier, and the ID token must carry the nonce and verify against
/// the system pool's keys; then a dashboard session starts.
pub async fn callback(
    req: HttpRequest,
    svc: web::Data<Arc<Services>>,
    query: crate::web::Query<CallbackQuery>,
) -> HttpResponse {
    let Some(system) = svc.operators.system() else {
        return internal(anyhow::anyhow!("the system pool is not ready"));
    };
    let pending = req
        .cookie(LOGIN_COOKIE)
        .and_then(|c| svc.master.open(c.value(), SEAL_CONTEXT).ok())
        .and_then(|plain| serde_json::from_slice::<Pending>(&plain).ok())
        .filter(|p| p.expires > svc.now());
    let Some(pending) = pending else {
        return failed("This sign-in was not started here or took too long. Open the dashboard again.");
    };
    let state_ok =
        query.state.as_deref().is_some_and(|s| crate::crypto::constant_time_eq(s.as_bytes(), pending.state.as_bytes()));
    if !state_ok {
        return failed("The answer does not belong to this sign-in. Open the dashboard again.");
    }
    if query.error.is_some() {
        return failed("The sign-in page refused the request. Open the dashboard again.");
    }
    let Some(code) = query.code.clone() else {
        return failed("The answer carries no code. Open the dashboard again.");
    };
    let sub = match redeem(&req, &svc, system, code, &pending).await {
        Ok(sub) => sub,
        Err(e) => {
            tracing::warn!(error = %e, "dashboard sign-in refused");
            return failed("The sign-in could not be completed. Open the dashboard again.");
        }
    };
    let started = match svc.operators.start_session(&sub).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let mut resp = super::see_other(&pending.next);
    let _ = resp.add_cookie(&cookie(&svc, SESSION_COOKIE, started.cookie_value, crate::operators::LIFETIME_SECS));
    let _ = resp.add_removal_cookie(&cookie(&svc, LOGIN_COOKIE, String::new(), 0));
    resp
}

/// Redeem the code and verify the ID token; the signed-in user's `sub`.
async fn redeem(
    req: &HttpRequest,
    svc: &Services,
    system: &SystemPool,
    code: String,
    pending: &Pending,
) -> anyhow::Result<UserSub> {
    let rp = relying_party(req, svc, system).await?;
    let http = match req.app_data::<web::Data<BackChannel>>() {
        Some(b) => b.http.clone(),
        None => BackChannel::for_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?.http,
    };
    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| anyhow::anyhow!("code exchange failed: {e}"))?;
    let id_token = tokens.id_token().ok_or_else(|| anyhow::anyhow!("no ID token"))?;
    let now = svc.clock.now_millis();
    // The system pool may be rotated to ES256 like any pool; the crate still matches the
    // header's algorithm to the key's type.
    let algs = [CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, CoreJwsSigningAlgorithm::EcdsaP256Sha256];
    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs(algs)
        .set_time_fn(move || chrono::DateTime::from_timestamp_millis(now).unwrap_or_default());
    let claims = id_token.claims(&verifier, &Nonce::new(pending.nonce.clone()))?;
    Ok(UserSub::from(claims.subject().as_str()))
}

/// `POST /admin/sign-out`: the dashboard session ends, then the hosted UI's session too (or
/// the next visit would sign straight back in).
pub async fn sign_out(req: HttpRequest, svc: web::Data<Arc<Services>>, body: web::Bytes) -> HttpResponse {
    let raw = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let token = super::Fields::parse(&body).map(|f| f.get("_csrf").to_string()).unwrap_or_default();
    if !svc.operators.csrf_matches(&raw, &token) {
        return message(StatusCode::FORBIDDEN, "Form expired", "Reload the page and sign out again.");
    }
    if let Err(e) = svc.operators.end_session(&raw).await {
        return internal(e);
    }
    let Some(system) = svc.operators.system() else {
        return internal(anyhow::anyhow!("the system pool is not ready"));
    };
    let logout = format!(
        "{}/logout?client_id={}&logout_uri={}",
        svc.tokens.issuer(&system.pool_id),
        system.client_id,
        super::segment(&format!("{}{SIGNED_OUT_PATH}", svc.config.public_url)),
    );
    let mut resp = super::see_other(&logout);
    let _ = resp.add_removal_cookie(&cookie(&svc, SESSION_COOKIE, String::new(), 0));
    resp
}

/// Where the hosted UI's sign-out comes back to.
pub async fn signed_out() -> HttpResponse {
    message(StatusCode::OK, "Signed out", "You are signed out of the dashboard.")
}
