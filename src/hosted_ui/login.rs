//! Sign-in page (`/login`) and the NEW_PASSWORD_REQUIRED page (`/newPassword`).

use super::kit::{PageQuery, accept, caller, csrf_failed, message, notice_text, or_internal, validated};
use super::steps::{finish, login_page, new_password_page, to_confirmation};
use crate::authorization::request::AuthorizeParams;
use crate::federation::flow::client_allows_cognito;
use crate::i18n::t;
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::step::Answer;
use crate::web::csrf_ok;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

pub async fn show(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    extra: crate::web::Query<PageQuery>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match validated(&req, &svc, &q).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let hint = r.login_hint.clone().unwrap_or_default();
    login_page(&req, &svc, &ctx, &r, &hint, None, notice_text(ctx.lang, extra.notice.as_deref()))
}

pub async fn submit(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: crate::web::Form<LoginForm>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match validated(&req, &svc, &q).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if !csrf_ok(&req, &svc, &form.csrf) {
        return csrf_failed(ctx.lang);
    }
    if !client_allows_cognito(&r.client) {
        return crate::web::error_page(ctx.lang, StatusCode::BAD_REQUEST, t(ctx.lang, "error.cognito_disabled"));
    }
    if form.username.trim().is_empty() || form.password.is_empty() {
        let m = Some(t(ctx.lang, "form.enter_username_password"));
        return login_page(&req, &svc, &ctx, &r, &form.username, m, None);
    }
    // The page never tells whether an account exists, whatever the client's setting.
    let (username, from) = (form.username.trim(), caller(&req, &svc, ctx.lang));
    match svc.password_sign_in_as(&ctx.pool, &r.client, username, &form.password, from, true).await {
        Ok(outcome) => finish(&req, &svc, &ctx, &r, outcome).await,
        // The password was right: send the user on to confirm the account, as Cognito's UI does.
        Err(Error::UserNotConfirmed(_)) => to_confirmation(&req, &svc, &ctx, &r, form.username.trim()).await,
        Err(e) => {
            or_internal(ctx.lang, &e, "sign-in", |m| login_page(&req, &svc, &ctx, &r, &form.username, Some(m), None))
        }
    }
}

pub async fn new_password(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: crate::web::Form<BTreeMap<String, String>>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let session = form.get("session").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let attrs: BTreeMap<String, String> =
        form.iter().filter_map(|(k, v)| Some((k.strip_prefix("userAttributes.")?.to_string(), v.clone()))).collect();
    let required: Vec<String> = attrs.keys().cloned().collect();
    if form.get("confirm_password").is_some_and(|c| *c != password) {
        let m = Some(t(ctx.lang, "form.passwords_differ"));
        return new_password_page(&req, &svc, &ctx, &r, &session, &required, m);
    }
    let answer = Answer::NewPassword { password, attributes: attrs };
    match svc.respond(&ctx.pool, &r.client, &session, &answer, ctx.lang).await {
        Ok(outcome) => finish(&req, &svc, &ctx, &r, outcome).await,
        Err(e @ Error::NotAuthorized(_)) => {
            login_page(&req, &svc, &ctx, &r, "", message(ctx.lang, &e).as_deref(), None)
        }
        Err(e) => or_internal(ctx.lang, &e, "new password", |m| {
            new_password_page(&req, &svc, &ctx, &r, &session, &required, Some(m))
        }),
    }
}
