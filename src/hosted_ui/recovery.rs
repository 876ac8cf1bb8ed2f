//! Forgotten passwords: `/forgotPassword` asks for the username and mails a code,
//! `/confirmForgotPassword` takes the code and a new password, then back to sign-in. The rules
//! (rate limits, user-existence hiding, policy) are [`crate::userpool::recovery`]'s.

use super::kit::{
    PageQuery, accept, caller, field, form_status, or_internal, page, page_url, policy_rules, source, validated,
};
use crate::authorization::request::{AuthorizeParams, AuthorizeRequest};
use crate::i18n::t;
use crate::services::Services;
use crate::userpool::error::Error;
use crate::web::redirect;
use crate::web::{PageContext, PoolContext};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "hosted_ui/forgot_password.html")]
struct ForgotPage<'a> {
    page: PageContext,
    action: String,
    username: &'a str,
    error: Option<&'a str>,
    login_link: String,
}

#[derive(Template)]
#[template(path = "hosted_ui/confirm_forgot_password.html")]
struct ResetPage<'a> {
    page: PageContext,
    action: String,
    username: &'a str,
    rules: Vec<String>,
    error: Option<&'a str>,
    login_link: String,
}

fn forgot_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    username: &str,
    error: Option<&str>,
) -> HttpResponse {
    let status = form_status(error);
    page(req, svc, ctx, status, |page| ForgotPage {
        page,
        action: page_url(ctx, r, "forgotPassword"),
        username,
        error,
        login_link: page_url(ctx, r, "login"),
    })
}

fn reset_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    username: &str,
    error: Option<&str>,
) -> HttpResponse {
    let status = form_status(error);
    page(req, svc, ctx, status, |page| ResetPage {
        page,
        action: page_url(ctx, r, "confirmForgotPassword"),
        username,
        rules: policy_rules(ctx.lang, ctx.pool.password_policy()),
        error,
        login_link: page_url(ctx, r, "login"),
    })
}

pub async fn show_forgot(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    extra: crate::web::Query<PageQuery>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match validated(&req, &svc, &q).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    forgot_page(&req, &svc, &ctx, &r, extra.username.as_deref().unwrap_or(""), None)
}

pub async fn submit_forgot(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: crate::web::Form<BTreeMap<String, String>>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let username = field(&form, "username").to_string();
    if username.is_empty() {
        return forgot_page(&req, &svc, &ctx, &r, &username, Some(t(ctx.lang, "form.enter_username")));
    }
    match svc.forgot_password(&ctx.pool, &r.client, &username, caller(&req, &svc, ctx.lang)).await {
        Ok(_) => {
            let q: String =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("username", &username).finish();
            redirect(&format!("{}&{q}", page_url(&ctx, &r, "confirmForgotPassword")))
        }
        Err(Error::UserNotFound(m)) => forgot_page(&req, &svc, &ctx, &r, &username, Some(&m.in_lang(ctx.lang))),
        Err(e) => {
            or_internal(ctx.lang, &e, "forgot password", |m| forgot_page(&req, &svc, &ctx, &r, &username, Some(m)))
        }
    }
}

pub async fn show_reset(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    extra: crate::web::Query<PageQuery>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match validated(&req, &svc, &q).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    reset_page(&req, &svc, &ctx, &r, extra.username.as_deref().unwrap_or(""), None)
}

pub async fn submit_reset(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: crate::web::Form<BTreeMap<String, String>>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let username = get("username").trim().to_string();
    let code = get("code").trim().to_string();
    let password = get("password");
    if username.is_empty() || code.is_empty() || password.is_empty() {
        return reset_page(&req, &svc, &ctx, &r, &username, Some(t(ctx.lang, "form.enter_reset")));
    }
    if get("confirm_password") != password {
        return reset_page(&req, &svc, &ctx, &r, &username, Some(t(ctx.lang, "form.passwords_differ")));
    }
    match svc.confirm_forgot_password(&ctx.pool, &r.client, &username, &code, &password, source(&req, &svc)).await {
        Ok(()) => redirect(&format!("{}&notice=password_reset", page_url(&ctx, &r, "login"))),
        Err(Error::UserNotFound(m)) => reset_page(&req, &svc, &ctx, &r, &username, Some(&m.in_lang(ctx.lang))),
        Err(e) => or_internal(ctx.lang, &e, "password reset", |m| reset_page(&req, &svc, &ctx, &r, &username, Some(m))),
    }
}
