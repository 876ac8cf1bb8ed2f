//! `GET|POST /oauth2/authorize`: validate, then either complete at once from a live hosted-UI
//! session (SSO across the pool's clients) when `prompt` and `max_age` allow it, answer
//! `login_required` for `prompt=none`, or send the browser to the hosted sign-in page with the
//! same parameters.
//!
//! POST (OIDC Core §3.1.2.1: "MUST support GET and POST") takes the same parameters
//! form-encoded and answers exactly as GET. Like GET it is the entry point an app sends the
//! browser to, so it carries no CSRF token and no CORS headers: all it can do is send a code to
//! one of the client's registered redirect URIs. The session cookie is `SameSite=Lax`, which a
//! browser leaves off a cross-site POST: such a request signs the user in again (and
//! `prompt=none` answers `login_required`), never silently.

use crate::authorization::request::{AuthorizeParams, AuthorizeRequest, error_redirect};
use crate::federation::flow::{FEDERATION_COOKIE, STATE_TTL_SECS};
use crate::services::Services;
use crate::web::{PageError, PoolContext, SESSION_COOKIE, cookie, pool_context, redirect, reject};
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

/// Send the browser to provider `name` for request `r`, with a cookie that binds the sign-in
/// to this browser (`/oauth2/idpresponse` takes the answer).
async fn go_upstream(svc: &Services, ctx: &PoolContext, r: &AuthorizeRequest, name: &str) -> HttpResponse {
    let callback = format!("{}/oauth2/idpresponse", ctx.base_url);
    match svc.federation.start_federation(&ctx.pool, r, name, &callback).await {
        Ok(started) => {
            let mut resp = redirect(&started.url);
            let c = cookie(svc, FEDERATION_COOKIE, started.binding, &ctx.cookie_path, Some(STATE_TTL_SECS));
            let _ = resp.add_cookie(&c);
            resp
        }
        Err(e) => redirect(&error_redirect(&r.redirect_uri, r.state.as_deref(), e.error, &e.description)),
    }
}

pub async fn authorize(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    svc: web::Data<Arc<Services>>,
) -> Result<HttpResponse, PageError> {
    answer(req, &q, &svc).await
}

/// `POST /oauth2/authorize`: the parameters form-encoded in the body, the answers of GET.
pub async fn authorize_form(
    req: HttpRequest,
    form: crate::web::Form<AuthorizeParams>,
    svc: web::Data<Arc<Services>>,
) -> Result<HttpResponse, PageError> {
    answer(req, &form, &svc).await
}

async fn answer(req: HttpRequest, q: &AuthorizeParams, svc: &Services) -> Result<HttpResponse, PageError> {
    let ctx = pool_context(&req, svc).await?;
    let r = match svc.authorization.validate_authorize(&ctx.pool, q).await {
        Ok(r) => r,
        Err(e) => return Ok(reject(ctx.lang, e)),
    };
    // A named provider: straight upstream, as Cognito does (the provider keeps its own session).
    if let Some(name) = &r.idp {
        return Ok(go_upstream(svc, &ctx, &r, name).await);
    }
    // The session is used only when `prompt` and `max_age` allow it; otherwise the user signs
    // in again (or, with `prompt=none`, is told `login_required`).
    if r.prompt.as_deref() != Some("login")
        && let Some(cookie) = req.cookie(SESSION_COOKIE)
        && let Ok(Some((user, auth_time))) = svc.sign_in.current_session(&ctx.pool, cookie.value()).await
        && svc.authorization.session_satisfies(&r, auth_time)
    {
        return Ok(match svc.authorization.complete_authorize(&ctx.pool, &r, &user, auth_time).await {
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
