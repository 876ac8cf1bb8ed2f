//! `POST /oauth2/token`: client authentication (client_secret_basic, client_secret_post, or
//! none for public clients) and the authorization_code, refresh_token and client_credentials
//! grants, with RFC 6749 error bodies.

use super::oauth_error;
use super::request::{custom_scopes, pkce_matches};
use crate::crypto::TokenHash;
use crate::services::Services;
use crate::tokens::issue::{Grant, RefreshProof, TokenSet, revoked_by_sign_out};
use crate::tokens::{claims, jwt};
use crate::userpool::clients::ClientProof;
use crate::userpool::error::Error;
use crate::userpool::model::{Client, Pool};
use crate::web::pool_context;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

/// Parse an urlencoded body; repeated parameters are an error (RFC 6749 §3.2).
pub(super) fn parse_form(req: &HttpRequest, body: &[u8]) -> Result<HashMap<String, String>, HttpResponse> {
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded") {
        return Err(oauth_error(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded"));
    }
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body)
        .map_err(|_| oauth_error(400, "invalid_request", "The request body is malformed"))?;
    let mut out = HashMap::new();
    for (k, v) in pairs {
        // U+0000 cannot be stored (PostgreSQL) and no parameter takes control characters.
        if crate::web::has_forbidden_control(&k) || crate::web::has_forbidden_control(&v) {
            return Err(oauth_error(400, "invalid_request", "Request parameters must not contain control characters"));
        }
        if out.insert(k.clone(), v).is_some() {
            return Err(oauth_error(400, "invalid_request", &format!("Parameter {k} is repeated")));
        }
    }
    Ok(out)
}

/// Authenticate the client of a token or revocation request.
pub(super) async fn authenticate_client(
    req: &HttpRequest,
    form: &HashMap<String, String>,
    svc: &Services,
    pool: &Pool,
) -> Result<Authenticated, HttpResponse> {
    let basic = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")));
    let (id, secret, via_basic) = match basic {
        Some(b) => {
            let raw = base64::engine::general_purpose::STANDARD.decode(b.trim()).ok();
            let text = raw.and_then(|r| String::from_utf8(r).ok()).unwrap_or_default();
            let (i, s) = text.split_once(':').unwrap_or(("", ""));
            let dec = |x: &str| percent_encoding::percent_decode_str(x).decode_utf8_lossy().to_string();
            if form.contains_key("client_secret") {
                return Err(oauth_error(400, "invalid_request", "Use one client authentication method"));
            }
            if form.get("client_id").is_some_and(|c| *c != dec(i)) {
                return Err(oauth_error(400, "invalid_request", "client_id does not match the Authorization header"));
            }
            (dec(i), Some(dec(s)), true)
        }
        None => (form.get("client_id").cloned().unwrap_or_default(), form.get("client_secret").cloned(), false),
    };
    let status = if via_basic { 401 } else { 400 };
    let invalid = || {
        let mut r = oauth_error(status, "invalid_client", "Client authentication failed");
        if via_basic {
            r.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Basic realm=\"portcullis\""),
            );
        }
        r
    };
    if id.is_empty() {
        return Err(oauth_error(400, "invalid_request", "client_id is required"));
    }
    let client = match svc.find_client(&id).await {
        Ok(Some(c)) if c.pool_id == pool.id => c,
        Ok(_) => return Err(invalid()),
        Err(e) => return Err(server_error(e)),
    };
    match client.authenticate(ClientProof::Secret(secret.as_deref())) {
        Ok(()) => Ok(Authenticated { client, secret }),
        Err(_) => Err(invalid()),
    }
}

/// A client that proved itself, with the secret it proved it with (the refresh grant hands
/// that proof on to the service).
pub(super) struct Authenticated {
    pub client: Client,
    pub secret: Option<String>,
}

fn server_error(e: Error) -> HttpResponse {
    if let Error::TooManyRequests { retry_after_secs } = e {
        let mut resp = oauth_error(429, "temporarily_unavailable", "Too many requests");
        resp.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(retry_after_secs.max(1)),
        );
        return resp;
    }
    tracing::error!(error = ?e, "token endpoint failure");
    oauth_error(500, "server_error", "An internal error occurred")
}

fn token_response(t: &TokenSet) -> HttpResponse {
    let mut body = json!({"access_token": t.access_token, "token_type": "Bearer", "expires_in": t.expires_in});
    if let Some(id) = &t.id_token {
        body["id_token"] = json!(id);
    }
    if let Some(r) = &t.refresh_token {
        body["refresh_token"] = json!(r);
    }
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).insert_header(("Pragma", "no-cache")).json(body)
}

pub async fn token(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let Some(body) = crate::web::read_body(payload, crate::oauth::MAX_FORM).await else {
        return oauth_error(413, "invalid_request", "The request body is too large");
    };
    let ctx = match pool_context(&req, &svc).await {
        Ok(c) => c,
        Err(_) => return oauth_error(404, "invalid_request", "The user pool does not exist"),
    };
    let form = match parse_form(&req, &body) {
        Ok(f) => f,
        Err(r) => return r,
    };
    let grant_type = form.get("grant_type").cloned().unwrap_or_default();
    if grant_type.is_empty() {
        return oauth_error(400, "invalid_request", "grant_type is required");
    }
    if !matches!(grant_type.as_str(), "authorization_code" | "refresh_token" | "client_credentials") {
        return oauth_error(400, "unsupported_grant_type", "The grant_type is not supported");
    }
    let Authenticated { client, secret } = match authenticate_client(&req, &form, &svc, &ctx.pool).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match grant_type.as_str() {
        "authorization_code" => authorization_code(&svc, &ctx.pool, &client, &form).await,
        "refresh_token" => {
            let Some(rt) = form.get("refresh_token").filter(|s| !s.is_empty()) else {
                return oauth_error(400, "invalid_request", "refresh_token is required");
            };
            match svc.refresh_tokens(&ctx.pool, &client, rt, RefreshProof::Secret(secret.as_deref())).await {
                Ok(t) => token_response(&t),
                Err(Error::NotAuthorized(_)) => {
                    oauth_error(400, "invalid_grant", "The refresh token is invalid, expired or revoked")
                }
                Err(e) => server_error(e),
            }
        }
        _ => client_credentials(&svc, &ctx.pool, &client, &form).await,
    }
}

async fn authorization_code(
    svc: &Services,
    pool: &Pool,
    client: &Client,
    form: &HashMap<String, String>,
) -> HttpResponse {
    if !client.oauth_enabled() || !client.allowed_oauth_flows().iter().any(|f| f == "code") {
        return oauth_error(400, "unauthorized_client", "The client may not use the authorization_code grant");
    }
    let (Some(code), Some(redirect_uri)) = (form.get("code"), form.get("redirect_uri")) else {
        return oauth_error(400, "invalid_request", "code and redirect_uri are required");
    };
    let bad = || oauth_error(400, "invalid_grant", "The authorization code is invalid, expired or already used");
    let hash = TokenHash::of(code);
    let row = match svc.store.get_auth_code(&hash).await {
        Ok(Some(r)) => r,
        Ok(None) => return bad(),
        Err(e) => return server_error(e.into()),
    };
    // Everything the request must match is checked before the code is spent: whoever holds a
    // code without the client's credentials, its redirect URI and the PKCE verifier can
    // neither redeem it nor spoil the login it belongs to.
    if row.client_id != client.id || row.pool_id != pool.id || row.redirect_uri != *redirect_uri {
        return bad();
    }
    match (&row.code_challenge, form.get("code_verifier")) {
        (Some(ch), Some(v)) if pkce_matches(v, ch) => {}
        (None, None) => {}
        _ => return oauth_error(400, "invalid_grant", "PKCE verification failed"),
    }
    // Then it is consumed atomically: of concurrent redemptions exactly one gets the row.
    let origin = row.origin_jti.clone().unwrap_or_else(|| svc.new_origin());
    let row = match svc.store.redeem_auth_code(&hash, svc.now(), &origin).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            revoke_if_replayed(svc, client, &hash).await;
            return bad();
        }
        Err(e) => return server_error(e.into()),
    };
    let user = match svc.store.get_user(&row.user_id).await {
        Ok(Some(u)) if u.enabled && !revoked_by_sign_out(&u, &origin, row.created_at) => u,
        Ok(_) => return bad(),
        Err(e) => return server_error(e.into()),
    };
    let scopes: Vec<String> = row.scopes.split(' ').filter(|s| !s.is_empty()).map(str::to_string).collect();
    let grant = Grant { scopes: Some(scopes), nonce: row.nonce.clone(), auth_time: row.auth_time };
    match svc.issue_with_origin(pool, client, &user, &grant, &origin).await {
        Ok(t) => token_response(&t),
        Err(e) => server_error(e),
    }
}

/// A code that was already redeemed and is presented again by its own client revokes
/// everything its first redemption issued (RFC 6749 §4.1.2).
async fn revoke_if_replayed(svc: &Services, client: &Client, hash: &TokenHash) {
    if let Ok(Some(used)) = svc.store.get_auth_code(hash).await
        && used.used_at.is_some()
        && let Some(o) = used.origin_jti
    {
        let now = svc.now();
        let until = now + client.refresh_token_secs().max(client.access_token_secs()).max(client.id_token_secs());
        let _ = svc.store.revoke_origin(&o, now, until).await;
        tracing::warn!(client_id = %client.id, "authorization code replayed; issued tokens revoked");
    }
}

async fn client_credentials(
    svc: &Services,
    pool: &Pool,
    client: &Client,
    form: &HashMap<String, String>,
) -> HttpResponse {
    if client.secret.is_none()
        || !client.oauth_enabled()
        || !client.allowed_oauth_flows().iter().any(|f| f == "client_credentials")
    {
        return oauth_error(400, "unauthorized_client", "The client may not use the client_credentials grant");
    }
    let allowed = custom_scopes(&client.allowed_oauth_scopes());
    let scopes: Vec<String> = match form.get("scope").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => allowed,
        Some(s) => {
            let kept: Vec<String> =
                s.split_whitespace().filter(|r| allowed.iter().any(|a| a == r)).map(str::to_string).collect();
            if kept.is_empty() {
                return oauth_error(400, "invalid_scope", "None of the requested scopes is allowed for this client");
            }
            kept
        }
    };
    let keys = match svc.pool_keys(&pool.id, None).await {
        Ok(k) => k,
        Err(e) => return server_error(e),
    };
    let c = claims::m2m_access_token(&svc.issuer(&pool.id), &client.id, &scopes, svc.now(), client.access_token_secs());
    match jwt::sign(&keys, &c) {
        Ok(at) => token_response(&TokenSet {
            access_token: at,
            id_token: None,
            refresh_token: None,
            expires_in: client.access_token_secs(),
        }),
        Err(e) => server_error(Error::Internal(e)),
    }
}
