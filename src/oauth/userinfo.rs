//! `GET|POST /oauth2/userInfo`: claims of the access token's user, by scope (OIDC Core §5.3).

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

pub async fn userinfo(req: HttpRequest, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let ctx = match pool_context(&req, &svc).await {
        Ok(c) => c,
        Err(e) if e.status.as_u16() == 404 => {
            return bearer_error(404, "invalid_request", "The user pool does not exist");
        }
        Err(e) => return crate::oauth::context_error(&e),
    };
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return bearer_error(401, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint");
    };
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
