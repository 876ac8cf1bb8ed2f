//! `/.well-known/openid-configuration` and `/.well-known/jwks.json`.

use crate::services::Services;
use crate::web::{PageError, pool_context};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;
use std::sync::Arc;

/// Claims of ID tokens and userInfo besides the pool's custom attributes.
#[rustfmt::skip]
const CLAIMS: &[&str] = &[
    "sub", "iss", "aud", "exp", "iat", "auth_time", "jti", "origin_jti", "event_id", "token_use", "nonce", "at_hash",
    "cognito:username", "username", "cognito:groups", "cognito:roles", "cognito:preferred_role", "identities",
    "email", "email_verified", "phone_number", "phone_number_verified", "name", "given_name", "family_name",
    "middle_name", "nickname", "preferred_username", "profile", "picture", "website", "gender", "birthdate",
    "zoneinfo", "locale", "address", "updated_at",
];

pub async fn configuration(req: HttpRequest, svc: web::Data<Arc<Services>>) -> Result<HttpResponse, PageError> {
    let ctx = pool_context(&req, &svc).await?;
    let base = &ctx.base_url;
    // Every claim an ID token or userInfo may carry: token claims, standard attributes, and
    // this pool's custom attributes (developer-only ones never leave the server).
    let mut claims: Vec<String> = CLAIMS.iter().map(|c| c.to_string()).collect();
    claims.extend(
        ctx.pool
            .schema()
            .iter()
            .filter_map(|a| a["Name"].as_str())
            .filter(|n| n.starts_with("custom:"))
            .map(str::to_string),
    );
    // The algorithms the pool's ID tokens may be signed with: RS256 always (the default, and
    // what relying parties assume without being told), ES256 while a key of it is published.
    let keys = svc.tokens.pool_keys(&ctx.pool.id, None).await.map_err(|_| {
        PageError::new(ctx.lang, actix_web::http::StatusCode::SERVICE_UNAVAILABLE, "error.keys_unavailable")
    })?;
    let mut algs = vec!["RS256"];
    algs.extend(keys.published_algs().into_iter().map(|a| a.name()).filter(|a| *a != "RS256"));
    let doc = json!({
        "issuer": svc.tokens.issuer(&ctx.pool.id),
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "userinfo_endpoint": format!("{base}/oauth2/userInfo"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "end_session_endpoint": format!("{base}/logout"),
        "jwks_uri": format!("{}/.well-known/jwks.json", svc.tokens.issuer(&ctx.pool.id)),
        "response_types_supported": ["code", "token"],
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials"],
        "scopes_supported": ["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": algs,
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "prompt_values_supported": ["none", "login"],
        "claims_supported": claims,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "public, max-age=300")).json(doc))
}

pub async fn jwks(req: HttpRequest, svc: web::Data<Arc<Services>>) -> Result<HttpResponse, PageError> {
    let ctx = pool_context(&req, &svc).await?;
    let keys = svc.tokens.pool_keys(&ctx.pool.id, None).await.map_err(|_| {
        PageError::new(ctx.lang, actix_web::http::StatusCode::SERVICE_UNAVAILABLE, "error.keys_unavailable")
    })?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(keys.jwks.clone()))
}
