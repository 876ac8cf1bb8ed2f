//! `GET|POST /oauth2/userInfo`: claims of the access token's user, by scope (OIDC Core §5.3).
//! The token comes in the `Authorization: Bearer` header (RFC 6750 §2.1) or, on a POST, as
//! `access_token` in a form-encoded body (§2.2); both at once is `invalid_request` (§2, §3.1).

use crate::services::Services;
use crate::tokens::claims::visible_attributes;
use crate::tokens::issue::TokenRejection;
use crate::web::pool_context;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::sync::Arc;

fn bearer_error(status: u16, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::UNAUTHORIZED),
    )
    .insert_header(("WWW-Authenticate", format!("Bearer error=\"{error}\", error_description=\"{description}\"")))
    .json(json!({"error": error, "error_description": description}))
}

/// The bad-request answer, in Cognito's words (400 `invalid_request`).
fn bad_request() -> HttpResponse {
    bearer_error(400, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint")
}

/// The `access_token` of a POST's form-encoded body (RFC 6750 §2.2): `Ok(None)` when the
/// request is not a form POST or the form has none; a repeated or unreadable one is refused.
async fn body_token(req: &HttpRequest, payload: web::Payload) -> Result<Option<String>, HttpResponse> {
    let ct = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    if req.method() != actix_web::http::Method::POST
        || !ct.to_ascii_lowercase().starts_with("application/x-www-form-urlencoded")
    {
        return Ok(None);
    }
    let Some(body) = crate::web::read_body(payload, crate::oauth::MAX_FORM).await else {
        return Err(bearer_error(413, "invalid_request", "The request body is too large"));
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|_| bad_request())?;
    let mut tokens = pairs.into_iter().filter(|(k, _)| k == "access_token").map(|(_, v)| v);
    match (tokens.next(), tokens.next()) {
        (Some(_), Some(_)) => Err(bad_request()),
        (t, None) => Ok(t),
        (None, Some(_)) => Ok(None),
    }
}

pub async fn userinfo(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let ctx = match pool_context(&req, &svc).await {
        Ok(c) => c,
        Err(e) if e.status.as_u16() == 404 => {
            return bearer_error(404, "invalid_request", "The user pool does not exist");
        }
        Err(e) => return crate::oauth::context_error(&e),
    };
    let header = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let body = match body_token(&req, payload).await {
        Ok(t) => t,
        Err(r) => return r,
    };
    let token = match (header, body.as_deref()) {
        // One method per request (RFC 6750 §2): a token in the header and in the body is refused.
        (Some(_), Some(_)) => return bad_request(),
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => "",
    };
    if token.is_empty() {
        return bearer_error(401, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint");
    }
    let a = match svc.tokens.verify_access_token(Some(&ctx.pool.id), token).await {
        Ok(a) => a,
        Err(TokenRejection::Unavailable) => return crate::oauth::unavailable(),
        Err(TokenRejection::Invalid | TokenRejection::Expired | TokenRejection::Revoked) => {
            return bearer_error(
                401,
                "invalid_token",
                "Access token is expired, disabled, or deleted, or the user has globally signed out.",
            );
        }
    };
    // Cognito answers tokens without `openid` (those of InitiateAuth) as invalid tokens, 401,
    // not RFC 6750's 403 insufficient_scope; clients written for Cognito expect that.
    if !a.scopes.iter().any(|s| s == "openid") {
        return bearer_error(401, "invalid_token", "Access token does not contain openid scope");
    }
    // A client that cannot be read now must not widen what is shown: no answer without it.
    let readable = match svc.directory.find_client(&a.client_id).await {
        Ok(Some(c)) => c.settings.read_attributes.clone(),
        Ok(None) => return bearer_error(401, "invalid_token", "The access token's client no longer exists."),
        Err(e) => return crate::oauth::failure(&e, "userInfo"),
    };
    let mut body = visible_attributes(&a.user.attributes, readable.as_deref(), Some(&a.scopes), false);
    body.insert("sub".into(), json!(a.user.id));
    body.insert("username".into(), json!(a.user.username));
    // Federated users: the linked identities, as the JSON text Cognito's userInfo returns.
    if let Some(identities) = a.user.attributes.get("identities") {
        body.insert("identities".into(), json!(identities));
    }
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body)
}
