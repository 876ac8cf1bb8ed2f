//! `POST /oauth2/token`: reads the client's credentials and the grant's parameters, hands them
//! to the grants ([`crate::authorization::grants`]) and words the outcome as RFC 6749 JSON.

use super::oauth_error;
use crate::authorization::grants::{CodeRedemption, GrantError};
use crate::ids::ClientId;
use crate::services::Services;
use crate::tokens::issue::TokenSet;
use crate::userpool::error::Error;
use crate::userpool::model::{Client, Pool};
use crate::userpool::throttle::Source;
use crate::web::pool_context;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::{Map, Value, json};
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

/// A request about one token from an authenticated client (revocation, introspection): the
/// body read, the pool found, the form parsed, the client authenticated through
/// [`authenticate_client`] and `token` given; or the answer that refuses the request.
pub(super) async fn client_token_request(
    req: &HttpRequest,
    payload: web::Payload,
    svc: &Services,
) -> Result<(Pool, Client, String), HttpResponse> {
    let Some(body) = crate::web::read_body(payload, crate::oauth::MAX_FORM).await else {
        return Err(oauth_error(413, "invalid_request", "The request body is too large"));
    };
    let ctx = pool_context(req, svc).await.map_err(|e| super::context_error(&e))?;
    let form = parse_form(req, &body)?;
    let client = authenticate_client(req, &form, svc, &ctx.pool).await?.client;
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return Err(oauth_error(400, "invalid_request", "token is required"));
    };
    Ok((ctx.pool, client, token.clone()))
}

/// Authenticate the client of a token or revocation request: `client_secret_basic`,
/// `client_secret_post`, or none for a public client (one method per request).
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
    if id.is_empty() {
        return Err(oauth_error(400, "invalid_request", "client_id is required"));
    }
    // An id not shaped like a client id names no client: the same answer as an unknown one.
    let authenticated = match ClientId::parse(&id) {
        Some(id) => svc.authorization.authenticate_client(pool, &id, secret.as_deref()).await,
        None => Err(GrantError::InvalidClient),
    };
    match authenticated {
        Ok(client) => Ok(Authenticated { client, secret }),
        Err(GrantError::InvalidClient) if via_basic => {
            let mut r = oauth_error(401, "invalid_client", "Client authentication failed");
            r.headers_mut().insert(
                actix_web::http::header::WWW_AUTHENTICATE,
                actix_web::http::header::HeaderValue::from_static("Basic realm=\"portcullis\""),
            );
            Err(r)
        }
        Err(e) => Err(grant_error(e)),
    }
}

/// A client that proved itself, with the secret it proved it with (the refresh grant hands
/// that proof on to the service).
pub(super) struct Authenticated {
    pub client: Client,
    pub secret: Option<String>,
}

/// A refused grant as an RFC 6749 §5.2 error.
fn grant_error(e: GrantError) -> HttpResponse {
    match e {
        GrantError::InvalidRequest(d) => oauth_error(400, "invalid_request", d),
        GrantError::InvalidClient => oauth_error(400, "invalid_client", "Client authentication failed"),
        GrantError::UnauthorizedClient(d) => oauth_error(400, "unauthorized_client", d),
        GrantError::InvalidGrant(d) => oauth_error(400, "invalid_grant", d),
        GrantError::InvalidScope(d) => oauth_error(400, "invalid_scope", d),
        GrantError::Failed(e) => server_error(e),
    }
}

fn server_error(e: Error) -> HttpResponse {
    match &e {
        // The pool's function refused the tokens: its words, as a refused request.
        Error::UserLambdaValidation(m) => return oauth_error(400, "invalid_request", &m.to_string()),
        // The function failed or answered nonsense: the server's dependency, not the client.
        Error::UnexpectedLambda(m) | Error::InvalidLambdaResponse(m) => {
            tracing::warn!(error = %e, "the token endpoint: a trigger failed");
            return oauth_error(502, "server_error", &m.to_string());
        }
        _ => {}
    }
    if let Error::TooManyRequests { retry_after_secs } = e {
        let mut resp = oauth_error(429, "temporarily_unavailable", "Too many requests");
        resp.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(retry_after_secs.max(1)),
        );
        return resp;
    }
    super::failure(&e, "the token endpoint")
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
        Err(e) => return super::context_error(&e),
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
    let get = |k: &str| form.get(k).map(String::as_str);
    let source = Source::Address(crate::web::client::client_ip(&req, &svc.config));
    let issued = match grant_type.as_str() {
        "authorization_code" => {
            let r = CodeRedemption {
                code: get("code"),
                redirect_uri: get("redirect_uri"),
                code_verifier: get("code_verifier"),
            };
            svc.authorization.redeem_authorization_code(&ctx.pool, &client, r, source).await
        }
        "refresh_token" => {
            let Some(rt) = get("refresh_token").filter(|s| !s.is_empty()) else {
                return oauth_error(400, "invalid_request", "refresh_token is required");
            };
            svc.authorization.refresh_grant(&ctx.pool, &client, rt, secret.as_deref(), source).await
        }
        _ => {
            // `aws_client_metadata`: a JSON object of strings for the PreTokenGeneration trigger.
            let metadata = match get("aws_client_metadata").map(serde_json::from_str::<Value>) {
                None => Map::new(),
                Some(Ok(Value::Object(m))) => m.into_iter().filter(|(_, v)| v.is_string()).collect(),
                Some(_) => return oauth_error(400, "invalid_request", "aws_client_metadata must be a JSON object"),
            };
            svc.authorization.client_credentials_grant(&ctx.pool, &client, get("scope"), &metadata, source).await
        }
    };
    match issued {
        Ok(t) => token_response(&t),
        Err(e) => grant_error(e),
    }
}
