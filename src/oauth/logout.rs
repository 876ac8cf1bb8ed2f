//! `GET /logout`: end the hosted-UI session, then go to a registered sign-out URL
//! (`logout_uri`) or back to sign-in (`redirect_uri` + `response_type`). Tokens are not revoked.

use crate::authorization::redirect::RedirectUri;
use crate::services::Services;
use crate::web::redirect;
use crate::web::{PageError, SESSION_COOKIE, cookie, pool_context};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

#[derive(Debug, Deserialize, Serialize)]
pub struct LogoutParams {
    client_id: Option<String>,
    logout_uri: Option<String>,
    redirect_uri: Option<String>,
    response_type: Option<String>,
    state: Option<String>,
    scope: Option<String>,
    /// Not Cognito parameters: carried on to `/login` so that public clients, for which PKCE is
    /// required here (RFC 9700), can sign in again through the `redirect_uri` form.
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    nonce: Option<String>,
}

pub async fn logout(
    req: HttpRequest,
    q: crate::web::Query<LogoutParams>,
    svc: web::Data<Arc<Services>>,
) -> Result<HttpResponse, PageError> {
    let ctx = pool_context(&req, &svc).await?;
    let bad = |key| PageError::new(ctx.lang, StatusCode::BAD_REQUEST, key);
    let client = match svc.directory.find_client_named(q.client_id.as_deref().unwrap_or_default()).await {
        Ok(Some(c)) if c.pool_id == ctx.pool.id => c,
        Ok(_) => return Err(bad("error.unknown_client")),
        Err(e) => return Err(PageError::failure(ctx.lang, &e)),
    };
    let target = match (&q.logout_uri, &q.redirect_uri) {
        (Some(l), _) => RedirectUri::sign_out(&client, l).ok_or_else(|| bad("error.logout_uri"))?.to_string(),
        (None, Some(r)) => {
            let r = RedirectUri::callback(&client, r).ok_or_else(|| bad("error.logout_redirect_uri"))?;
            if !matches!(q.response_type.as_deref(), Some("code" | "token")) {
                return Err(bad("error.logout_response_type"));
            }
            let again = serde_urlencoded::to_string([
                ("client_id", Some(client.id.as_str())),
                ("redirect_uri", Some(r.as_str())),
                ("response_type", q.response_type.as_deref()),
                ("state", q.state.as_deref()),
                ("scope", q.scope.as_deref()),
                ("code_challenge", q.code_challenge.as_deref()),
                ("code_challenge_method", q.code_challenge_method.as_deref()),
                ("nonce", q.nonce.as_deref()),
            ])
            .unwrap_or_default();
            format!("{}/login?{again}", ctx.base_url)
        }
        (None, None) => return Err(bad("error.logout_target")),
    };
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        let _ = svc.sign_in.end_session(c.value()).await;
    }
    let mut resp = redirect(&target);
    let _ = resp.add_removal_cookie(&cookie(&svc, SESSION_COOKIE, String::new(), &ctx.cookie_path, None));
    Ok(resp)
}
