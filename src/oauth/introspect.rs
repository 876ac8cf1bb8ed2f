//! `POST /oauth2/introspect` (RFC 7662): whether a token is active, for confidential clients
//! of the pool, authenticated as at the token endpoint ([`super::token::authenticate_client`]).
//! Server to server only: no CORS (a browser app has no secret to authenticate with).

use super::oauth_error;
use super::token::client_token_request;
use crate::authorization::introspection::IntrospectRefusal;
use crate::services::Services;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

pub async fn introspect(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let (pool, client, token) = match client_token_request(&req, payload, &svc).await {
        Ok(t) => t,
        Err(refused) => return refused,
    };
    match svc.authorization.introspect(&pool, &client, &token).await {
        Ok(answer) => HttpResponse::Ok()
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("Pragma", "no-cache"))
            .json(answer),
        // RFC 7662 §2.1: the endpoint requires client authentication; a public client has none.
        Err(IntrospectRefusal::PublicClient) => {
            oauth_error(401, "invalid_client", "Token introspection requires a confidential client")
        }
        Err(IntrospectRefusal::Unavailable) => super::unavailable(),
        Err(IntrospectRefusal::Failed(e)) => super::failure(&e, "introspection"),
    }
}
