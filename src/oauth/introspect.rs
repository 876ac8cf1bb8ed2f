//! `POST /oauth2/introspect` (RFC 7662): whether a token is active, for confidential clients
//! of the pool, authenticated as at the token endpoint ([`super::token::authenticate_client`]).
//! Server to server only: no CORS (a browser app has no secret to authenticate with).

use super::oauth_error;
use super::token::{authenticate_client, parse_form};
use crate::authorization::introspection::IntrospectRefusal;
use crate::services::Services;
use crate::web::pool_context;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

pub async fn introspect(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
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
    match svc.authorization.introspect(&ctx.pool, &client, token).await {
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
