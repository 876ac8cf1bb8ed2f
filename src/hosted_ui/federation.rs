//! The end of a sign-in through an upstream provider: `/oauth2/authorize` with a provider sent
//! the browser upstream (with a cookie that binds the sign-in to it), and `/oauth2/idpresponse`
//! takes the answer. Problems the app can hear about go back to its redirect URI as `error`; an answer that
//! cannot be tied to a sign-in of this browser gets a page.

use super::kit::Flow;
use super::steps::finish;
use crate::authorization::request::error_redirect;
use crate::federation::flow::FEDERATION_COOKIE;
use crate::i18n::t;
use crate::services::Services;
use crate::userpool::step::SignInStep;
use crate::web::{PoolContext, cookie, error_page, pool_context, redirect};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::sync::Arc;

/// What a provider sends back (RFC 6749 §4.1.2).
#[derive(Deserialize)]
pub struct IdpResponse {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

/// `GET /oauth2/idpresponse`.
pub async fn idp_response(
    req: HttpRequest,
    q: crate::web::Query<IdpResponse>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let ctx = match pool_context(&req, &svc).await {
        Ok(ctx) => ctx,
        Err(e) => return actix_web::ResponseError::error_response(&e),
    };
    // The binding is single use, like the state it guards.
    let mut gone = cookie(&svc, FEDERATION_COOKIE, String::new(), &ctx.cookie_path, None);
    gone.make_removal();
    let mut resp = answer(&req, &q, &svc, ctx).await;
    let _ = resp.add_cookie(&gone);
    resp
}

async fn answer(req: &HttpRequest, q: &IdpResponse, svc: &Arc<Services>, ctx: PoolContext) -> HttpResponse {
    let binding = req.cookie(FEDERATION_COOKIE).map(|c| c.value().to_string());
    let pending = match svc
        .federation
        .take_federation(&ctx.pool, q.state.as_deref().unwrap_or_default(), binding.as_deref())
        .await
    {
        Ok(Some(p)) => p,
        Ok(None) => return error_page(ctx.lang, StatusCode::BAD_REQUEST, t(ctx.lang, "error.federation_state")),
        Err(e) => {
            tracing::error!(error = ?e, "reading a pending federated sign-in failed");
            return error_page(ctx.lang, StatusCode::INTERNAL_SERVER_ERROR, t(ctx.lang, "error.internal"));
        }
    };
    let flow = match Flow::validate(req, svc, &pending.params).await {
        Ok(flow) => flow,
        Err(resp) => return resp,
    };
    let r = &flow.request;
    let back = |error: &str, description: &str| {
        redirect(&error_redirect(&r.redirect_uri, r.state.as_deref(), error, description))
    };
    if let Some(error) = q.error.as_deref() {
        let said = q.error_description.as_deref().unwrap_or(error);
        let said: String = said.chars().take(200).collect();
        tracing::info!(provider = %pending.provider, error, "upstream sign-in refused");
        return if error == "access_denied" {
            back("access_denied", &format!("{} Error - {said}", pending.provider))
        } else {
            back("invalid_request", &format!("{} Error - {error}: {said}", pending.provider))
        };
    }
    let Some(code) = q.code.as_deref().filter(|c| !c.is_empty()) else {
        return back("invalid_request", &format!("{} Error - the IdP returned no code", pending.provider));
    };
    match svc.federation.finish_federation(&flow.ctx.pool, &pending, code, flow.source()).await {
        Ok(user) => finish(&flow, SignInStep::Authenticated { user, auth_time: svc.now() }).await,
        Err(e) => back(e.error, &e.description),
    }
}
