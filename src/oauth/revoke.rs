//! `POST /oauth2/revoke` (RFC 7009): revoke a refresh token and every token minted from it.

use super::oauth_error;
use super::token::client_token_request;
use crate::authorization::revocation::RevokeRefusal;
use crate::services::Services;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

pub async fn revoke(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let (_, client, token) = match client_token_request(&req, payload, &svc).await {
        Ok(t) => t,
        Err(refused) => return refused,
    };
    match svc.authorization.revoke(&client, &token).await {
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
