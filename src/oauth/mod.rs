//! The OAuth 2.0 / OpenID Connect endpoints of each pool, under `{PUBLIC_URL}/{poolId}` and at
//! the root of a pool domain: discovery and JWKS, authorize, token (one file per concern),
//! userInfo, revoke, introspect and logout. Errors are RFC 6749 JSON, redirects, or HTML pages.

mod authorize;
mod discovery;
mod identity_issuer;
mod introspect;
mod logout;
mod revoke;
mod token;
mod userinfo;

use actix_web::{HttpResponse, web};
use serde_json::json;

/// Largest accepted form body at the token and revocation endpoints.
pub const MAX_FORM: usize = 64 * 1024;

pub use crate::web::POOL;

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::web::{cors, preflight};
    let options = || web::method(actix_web::http::Method::OPTIONS).to(preflight);
    for prefix in ["", &format!("/{POOL}")] {
        cfg.route(&format!("{prefix}/oauth2/authorize"), web::get().to(authorize::authorize))
            .route(&format!("{prefix}/oauth2/authorize"), web::post().to(authorize::authorize_form))
            .route(&format!("{prefix}/oauth2/introspect"), web::post().to(introspect::introspect))
            .route(&format!("{prefix}/logout"), web::get().to(logout::logout))
            .service(
                web::resource(format!("{prefix}/oauth2/token"))
                    .wrap(cors())
                    .route(web::post().to(token::token))
                    .route(options()),
            )
            .service(
                web::resource(format!("{prefix}/oauth2/userInfo"))
                    .wrap(cors())
                    .route(web::get().to(userinfo::userinfo))
                    .route(web::post().to(userinfo::userinfo))
                    .route(options()),
            )
            .service(
                web::resource(format!("{prefix}/oauth2/revoke"))
                    .wrap(cors())
                    .route(web::post().to(revoke::revoke))
                    .route(options()),
            )
            .service(
                web::resource(format!("{prefix}/.well-known/openid-configuration"))
                    .wrap(cors())
                    .route(web::get().to(discovery::configuration))
                    .route(options()),
            )
            .service(
                web::resource(format!("{prefix}/.well-known/jwks.json"))
                    .wrap(cors())
                    .route(web::get().to(discovery::jwks))
                    .route(options()),
            );
    }
}

pub use identity_issuer::configure as configure_identity_issuer;

/// An RFC 6749 §5.2 error body.
/// The database unavailable, in RFC 6749's words: 503 `temporarily_unavailable` with `Retry-After`.
pub fn unavailable() -> HttpResponse {
    let mut resp = oauth_error(503, "temporarily_unavailable", crate::web::UNAVAILABLE);
    resp.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(crate::store::RETRY_AFTER_SECS),
    );
    resp
}

/// The pool of the request could not be had: 404 when there is none, 503 while the database is
/// unavailable, 500 otherwise (never "no pool" for a failure to look).
pub fn context_error(e: &crate::web::PageError) -> HttpResponse {
    match e.status.as_u16() {
        404 => oauth_error(404, "invalid_request", "The user pool does not exist"),
        503 => unavailable(),
        _ => oauth_error(500, "server_error", "An internal error occurred"),
    }
}

/// A service failure at an OAuth endpoint: 503 while the database is unavailable, else 500.
pub fn failure(e: &crate::userpool::error::Error, what: &str) -> HttpResponse {
    if e.is_unavailable() {
        tracing::warn!(error = %e, "{what}: the database is unavailable");
        return unavailable();
    }
    tracing::error!(error = ?e, "{what} failed");
    oauth_error(500, "server_error", "An internal error occurred")
}

pub fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .insert_header(("Cache-Control", "no-store"))
    .insert_header(("Pragma", "no-cache"))
    .json(json!({"error": error, "error_description": description}))
}
