//! A pool's hosted-UI branding on the pages: the URLs the layout links (the client's own
//! level, else the pool default `ALL`), and the two endpoints that serve them,
//! `/ui/css/{level}.css` and `/ui/logo/{level}.{png|jpg}`, under the pool path or at a pool
//! domain's root. A `?v=` matching the content's version may be cached for good; other
//! requests get a minute, so a change shows within one.

use crate::i18n::t;
use crate::services::Services;
use crate::web::{PoolContext, error_page, pool_context};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct Version {
    v: Option<String>,
}

/// Cache for good what is asked for by its current version; a minute otherwise.
fn cache_control(asked: Option<&str>, current: &str) -> &'static str {
    if asked == Some(current) { "public, max-age=31536000, immutable" } else { "public, max-age=60" }
}

/// The level a file name names: `ALL.css` → `ALL`, `{clientId}.png` → the client id.
fn level(req: &HttpRequest) -> Option<String> {
    let file = req.match_info().get("file")?;
    let (level, _ext) = file.rsplit_once('.')?;
    (!level.is_empty() && level.len() <= 128 && level.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then(|| level.to_string())
}

/// Resolve the pool and level, or answer with the error page.
async fn target(req: &HttpRequest, svc: &Services) -> Result<(PoolContext, String), HttpResponse> {
    let ctx = pool_context(req, svc).await.map_err(|e| e.error_response())?;
    match level(req) {
        Some(l) => Ok((ctx, l)),
        None => Err(missing(&ctx)),
    }
}

fn missing(ctx: &PoolContext) -> HttpResponse {
    error_page(ctx.lang, StatusCode::NOT_FOUND, t(ctx.lang, "error.not_found"))
}

fn failed(ctx: &PoolContext, e: &crate::userpool::error::Error) -> HttpResponse {
    tracing::error!(error = ?e, "serving branding failed");
    error_page(ctx.lang, StatusCode::INTERNAL_SERVER_ERROR, t(ctx.lang, "error.internal"))
}

pub async fn css(req: HttpRequest, q: crate::web::Query<Version>, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let (ctx, level) = match target(&req, &svc).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    match svc.user_pools.branding_css(&ctx.pool.id, &level).await {
        Ok(Some((css, version))) => HttpResponse::Ok()
            .content_type("text/css; charset=utf-8")
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Cache-Control", cache_control(q.v.as_deref(), &version)))
            .body(css),
        Ok(None) => missing(&ctx),
        Err(e) => failed(&ctx, &e),
    }
}

pub async fn logo(req: HttpRequest, q: crate::web::Query<Version>, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let (ctx, level) = match target(&req, &svc).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    match svc.user_pools.branding_logo(&ctx.pool.id, &level).await {
        Ok(Some(logo)) => HttpResponse::Ok()
            .content_type(logo.content_type)
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .insert_header(("Content-Security-Policy", "default-src 'none'"))
            .insert_header(("Cache-Control", cache_control(q.v.as_deref(), &logo.version)))
            .body(logo.bytes),
        Ok(None) => missing(&ctx),
        Err(e) => failed(&ctx, &e),
    }
}
