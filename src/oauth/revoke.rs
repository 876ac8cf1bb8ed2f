//! `POST /oauth2/revoke` (RFC 7009): revoke a refresh token and every token minted from it.

use super::oauth_error;
use super::token::{authenticate_client, parse_form};
use crate::authorization::revocation::RevokeRefusal;
use crate::services::Services;
use crate::web::pool_context;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

pub async fn revoke(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
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
    let client = match authenticate_client(&req, &form, &svc, &ctx.pool).await {
        Ok(a) => a.client,
        Err(r) => return r,
    };
    let Some(token) = form.get("token").filter(|t| !t.is_empty()) else {
        return oauth_error(400, "invalid_request", "token is required");
    };
    match svc.authorization.revoke(&client, token).await {
        Ok(()) => HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).finish(),
        Err(RevokeRefusal::NotEnabled) => {
            oauth_error(400, "invalid_request", "Token revocation is not enabled for this client")
        }
        Err(RevokeRefusal::NotARefreshToken) => {
            oauth_error(400, "unsupported_token_type", "Only refresh tokens can be revoked")
        }
        Err(RevokeRefusal::Failed(e)) => super::failure(&e, "revocation"),
    }
}
