//! `GET /oauth2/authorize`: validate, then either complete at once from a live hosted-UI
//! session (SSO across the pool's clients), answer `login_required` for `prompt=none`, or send
//! the browser to the hosted sign-in page with the same parameters.

use super::request::{AuthorizeError, AuthorizeParams, error_redirect};
use crate::i18n::{Lang, t};
use crate::services::Services;
use crate::web::{PageError, SESSION_COOKIE, error_page, pool_context};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found().insert_header(("Location", location)).insert_header(("Cache-Control", "no-store")).finish()
}

/// Map a validation failure to a page (in `lang`) or a redirect.
pub fn reject(lang: Lang, e: AuthorizeError) -> HttpResponse {
    match e {
        AuthorizeError::Page(key) => error_page(lang, StatusCode::BAD_REQUEST, t(lang, key)),
        AuthorizeError::Redirect(url) => redirect(&url),
    }
}

pub async fn authorize(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    svc: web::Data<Arc<Services>>,
) -> Result<HttpResponse, PageError> {
    let ctx = pool_context(&req, &svc).await?;
    let r = match svc.validate_authorize(&ctx.pool, &q).await {
        Ok(r) => r,
        Err(e) => return Ok(reject(ctx.lang, e)),
    };
    // A named provider: straight upstream, as Cognito does (the provider keeps its own session).
    if let Some(name) = &r.idp {
        return Ok(crate::hosted_ui::federation::go_upstream(&svc, &ctx, &r, name).await);
    }
    if r.prompt.as_deref() != Some("login")
        && let Some(cookie) = req.cookie(SESSION_COOKIE)
        && let Ok(Some((user, auth_time))) = svc.current_session(&ctx.pool, cookie.value()).await
    {
        return Ok(match svc.complete_authorize(&ctx.pool, &r, &user, auth_time).await {
            Ok(url) => redirect(&url),
            Err(e) => {
                tracing::error!(error = ?e, "completing authorize from session failed");
                redirect(&error_redirect(
                    &r.redirect_uri,
                    r.state.as_deref(),
                    "server_error",
                    "An internal error occurred",
                ))
            }
        });
    }
    if r.prompt.as_deref() == Some("none") {
        return Ok(redirect(&error_redirect(
            &r.redirect_uri,
            r.state.as_deref(),
            "login_required",
            "The user is not signed in",
        )));
    }
    Ok(redirect(&format!("{}/login?{}", ctx.base_url, r.params.query())))
}
