//! Discovery and keys of the identity-pool OpenID token issuer, so that anyone who trusts OIDC web
//! identities (object stores' STS, Vault's JWT auth) can validate its tokens:
//! `{PUBLIC_URL}/identity/.well-known/openid-configuration` and `…/jwks.json`.

use crate::identity_pools::tokens::{IDENTITY_ISSUER_PATH, POOL_ARN_CLAIM};
use crate::services::Services;
use crate::web::PageError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::sync::Arc;

/// The discovery document's path.
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
/// The key set's path.
pub const JWKS_PATH: &str = "/.well-known/jwks.json";

pub fn configure(cfg: &mut web::ServiceConfig) {
    use crate::web::{cors, preflight};
    let options = || web::method(actix_web::http::Method::OPTIONS).to(preflight);
    cfg.service(
        web::resource(format!("{IDENTITY_ISSUER_PATH}{DISCOVERY_PATH}"))
            .wrap(cors())
            .route(web::get().to(configuration))
            .route(options()),
    )
    .service(
        web::resource(format!("{IDENTITY_ISSUER_PATH}{JWKS_PATH}"))
            .wrap(cors())
            .route(web::get().to(jwks))
            .route(options()),
    );
}

async fn configuration(svc: web::Data<Arc<Services>>) -> HttpResponse {
    let issuer = svc.identity_pools.identity_token_issuer();
    let doc = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}{JWKS_PATH}"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "aud", "iss", "amr", "iat", "exp", POOL_ARN_CLAIM],
    });
    HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(doc)
}

/// The issuer's keys (created on first use, so relying parties can fetch them before any token
/// is issued).
async fn jwks(req: HttpRequest, svc: web::Data<Arc<Services>>) -> Result<HttpResponse, PageError> {
    let keys = svc.identity_pools.identity_keys().await.map_err(|e| {
        tracing::error!(error = ?e, "identity-pool token keys are unavailable");
        PageError::for_request(&req, StatusCode::SERVICE_UNAVAILABLE, "error.keys_unavailable")
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(keys.jwks.clone()))
}
