//! Sign-up (`/signup`), confirmation (`/confirm`) and a new confirmation code (`/resendcode`).
//! The rules are [`crate::userpool::signup`]'s; these pages only collect input and render
//! outcomes. A confirmed account continues the original authorization request to the app.

use super::kit::{
    PageQuery, RequiredField, accept, caller, field, form_status, notice_text, or_internal, page, page_url,
    policy_rules, source, validated,
};
use super::steps::{confirmation_redirect, finish, login_page};
use crate::authorization::request::{AuthorizeParams, AuthorizeRequest};
use crate::i18n::{Lang, t};
use crate::services::Services;
use crate::userpool::model::Pool;
use crate::web::redirect;
use crate::web::{CONFIRM_COOKIE, PageContext, PoolContext, cookie, error_page};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "hosted_ui/signup.html")]
struct SignUpPage<'a> {
    page: PageContext,
    action: String,
    username: &'a str,
    username_label: &'static str,
    username_type: &'static str,
    username_autocomplete: &'static str,
    fields: Vec<RequiredField>,
    rules: Vec<String>,
    error: Option<&'a str>,
    login_link: String,
    client_name: &'a str,
}

#[derive(Template)]
#[template(path = "hosted_ui/confirm.html")]
struct ConfirmPage<'a> {
    page: PageContext,
    action: String,
    resend_action: String,
    username: &'a str,
    error: Option<&'a str>,
    notice: Option<&'static str>,
    login_link: String,
}

fn signs_up_by_email(pool: &Pool) -> bool {
    pool.username_attributes().iter().any(|a| a == "email")
}

/// Attributes the sign-up form asks for: the required ones, and the e-mail that receives the
/// code, except the one the username already is.
fn wanted_attributes(pool: &Pool) -> Vec<String> {
    let mut names = pool.required_attributes().to_vec();
    if pool.auto_verifies_email() && !names.iter().any(|n| n == "email") {
        names.push("email".into());
    }
    names.retain(|n| n != "sub" && !(signs_up_by_email(pool) && n == "email"));
    names
}

fn signup_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    values: &BTreeMap<String, String>,
    error: Option<&str>,
) -> HttpResponse {
    let by_email = signs_up_by_email(&ctx.pool);
    let fields = wanted_attributes(&ctx.pool)
        .iter()
        .map(|n| {
            RequiredField::new(
                ctx.lang,
                n,
                values.get(&format!("userAttributes.{n}")).map(String::as_str).unwrap_or(""),
            )
        })
        .collect();
    let status = form_status(error);
    page(req, svc, ctx, status, |page| SignUpPage {
        page,
        action: page_url(ctx, r, "signup"),
        username: values.get("username").map(String::as_str).unwrap_or(""),
        username_label: t(ctx.lang, if by_email { "attr.email" } else { "common.username" }),
        username_type: if by_email { "email" } else { "text" },
        username_autocomplete: if by_email { "email" } else { "username" },
        fields,
        rules: policy_rules(ctx.lang, ctx.pool.password_policy()),
        error,
        login_link: page_url(ctx, r, "login"),
        client_name: &r.client.name,
    })
}

fn confirm_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    username: &str,
    error: Option<&str>,
    notice: Option<&'static str>,
) -> HttpResponse {
    let status = form_status(error);
    page(req, svc, ctx, status, |page| ConfirmPage {
        page,
        action: page_url(ctx, r, "confirm"),
        resend_action: page_url(ctx, r, "resendcode"),
        username,
        error,
        notice,
        login_link: page_url(ctx, r, "login"),
    })
}

fn not_available(lang: Lang) -> HttpResponse {
    error_page(lang, StatusCode::FORBIDDEN, t(lang, "error.signup_unavailable"))
}

pub async fn show_signup(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match validated(&req, &svc, &q).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if ctx.pool.admin_create_user_only() {
        return not_available(ctx.lang);
    }
    signup_page(&req, &svc, &ctx, &r, &BTreeMap::new(), None)
}

pub async fn submit_signup(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: crate::web::Form<BTreeMap<String, String>>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    if ctx.pool.admin_create_user_only() {
        return not_available(ctx.lang);
    }
    let get = |k: &str| form.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let username = get("username");
    let password = form.get("password").cloned().unwrap_or_default();
    if username.is_empty() || password.is_empty() {
        return signup_page(&req, &svc, &ctx, &r, &form, Some(t(ctx.lang, "form.enter_new_account")));
    }
    let attrs: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("userAttributes.")?.to_string(), v.trim().to_string())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    match svc.sign_up(&ctx.pool, &r.client, &username, &password, &attrs, caller(&req, &svc, ctx.lang)).await {
        Ok(done) if done.delivery.is_some() => confirmation_redirect(&svc, &ctx, &r, &username, &done.user.id).await,
        Ok(_) => login_page(&req, &svc, &ctx, &r, &username, None, notice_text(ctx.lang, Some("awaiting_admin"))),
        Err(e) => or_internal(ctx.lang, &e, "sign-up", |m| signup_page(&req, &svc, &ctx, &r, &form, Some(m))),
    }
}

pub async fn show_confirm(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    extra: crate::web::Query<PageQuery>,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match validated(&req, &svc, &q).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let username = extra.username.clone().unwrap_or_default();
    confirm_page(&req, &svc, &ctx, &r, &username, None, notice_text(ctx.lang, extra.notice.as_deref()))
}

pub async fn submit_confirm(
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
    let code = field(&form, "code").to_string();
    if username.is_empty() || code.is_empty() {
        return confirm_page(&req, &svc, &ctx, &r, &username, Some(t(ctx.lang, "form.enter_username_code")), None);
    }
    let user = match svc.confirm_sign_up(&ctx.pool, &r.client, &username, &code, source(&req, &svc)).await {
        Ok(u) => u,
        Err(e) => {
            return or_internal(ctx.lang, &e, "confirmation", |m| {
                confirm_page(&req, &svc, &ctx, &r, &username, Some(m), None)
            });
        }
    };
    let held = req.cookie(CONFIRM_COOKIE).map(|c| c.value().to_string());
    let outcome = match held {
        Some(secret) => {
            svc.sign_in_after_confirmation(&ctx.pool, &r.client, &user, &secret, ctx.lang).await.ok().flatten()
        }
        None => None,
    };
    let mut resp = match outcome {
        Some(o) => finish(&req, &svc, &ctx, &r, o).await,
        None => redirect(&format!("{}&notice=confirmed", page_url(&ctx, &r, "login"))),
    };
    let mut gone = cookie(&svc, CONFIRM_COOKIE, String::new(), &ctx.cookie_path, Some(0));
    gone.make_removal();
    let _ = resp.add_cookie(&gone);
    resp
}

pub async fn resend(
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
        return confirm_page(&req, &svc, &ctx, &r, &username, Some(t(ctx.lang, "form.enter_username")), None);
    }
    match svc.resend_confirmation_code(&ctx.pool, &r.client, &username, caller(&req, &svc, ctx.lang)).await {
        Ok(_) => confirm_page(&req, &svc, &ctx, &r, &username, None, notice_text(ctx.lang, Some("code_sent"))),
        Err(e) => or_internal(ctx.lang, &e, "resend", |m| confirm_page(&req, &svc, &ctx, &r, &username, Some(m), None)),
    }
}
