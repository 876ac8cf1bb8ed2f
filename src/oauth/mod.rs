//! The OAuth 2.0 / OpenID Connect endpoints of each pool, under `{PUBLIC_URL}/{poolId}` and at
//! the root of a pool domain: discovery and JWKS, authorize, token (one file per concern),
//! userInfo, revoke and logout. Errors are RFC 6749 JSON, redirects, or HTML pages.

mod authorize;
mod discovery;
mod identity_issuer;
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
pub fn oauth_error(status: u16, error: &str, description: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .insert_header(("Cache-Control", "no-store"))
    .insert_header(("Pragma", "no-cache"))
    .json(json!({"error": error, "error_description": description}))
}
