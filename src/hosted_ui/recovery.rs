//! Forgotten passwords: `/forgotPassword` asks for the username and mails a code,
//! `/confirmForgotPassword` takes the code and a new password, then back to sign-in. The rules
//! (rate limits, user-existence hiding, policy) are [`crate::userpool::recovery`]'s.

use super::kit::{CsrfForm, Fields, Flow, PageQuery, field, or_internal, policy_rules};
use crate::i18n::t;
use crate::userpool::error::Error;
use crate::web::{PageContext, redirect};
use actix_web::HttpResponse;
use askama::Template;

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

fn forgot_page(flow: &Flow, username: &str, error: Option<&str>) -> HttpResponse {
    flow.form_page(error, |page| ForgotPage {
        page,
        action: flow.url("forgotPassword"),
        username,
        error,
        login_link: flow.url("login"),
    })
}

fn reset_page(flow: &Flow, username: &str, error: Option<&str>) -> HttpResponse {
    flow.form_page(error, |page| ResetPage {
        page,
        action: flow.url("confirmForgotPassword"),
        username,
        rules: policy_rules(flow.ctx.lang, flow.ctx.pool.password_policy()),
        error,
        login_link: flow.url("login"),
    })
}

pub async fn show_forgot(flow: Flow, extra: crate::web::Query<PageQuery>) -> HttpResponse {
    forgot_page(&flow, extra.username.as_deref().unwrap_or(""), None)
}

pub async fn submit_forgot(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let username = field(&form, "username");
    if username.is_empty() {
        return forgot_page(&flow, username, Some(t(ctx.lang, "form.enter_username")));
    }
    match svc.sign_in.forgot_password(&ctx.pool, &r.client, username, flow.caller()).await {
        Ok(_) => {
            let q: String =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("username", username).finish();
            redirect(&format!("{}&{q}", flow.url("confirmForgotPassword")))
        }
        Err(Error::UserNotFound(m)) => forgot_page(&flow, username, Some(&m.in_lang(ctx.lang))),
        Err(e) => or_internal(ctx.lang, &e, "forgot password", |m| forgot_page(&flow, username, Some(m))),
    }
}

pub async fn show_reset(flow: Flow, extra: crate::web::Query<PageQuery>) -> HttpResponse {
    reset_page(&flow, extra.username.as_deref().unwrap_or(""), None)
}

pub async fn submit_reset(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (username, code, password) = (field(&form, "username"), field(&form, "code"), get("password"));
    if username.is_empty() || code.is_empty() || password.is_empty() {
        return reset_page(&flow, username, Some(t(ctx.lang, "form.enter_reset")));
    }
    if get("confirm_password") != password {
        return reset_page(&flow, username, Some(t(ctx.lang, "form.passwords_differ")));
    }
    match svc.sign_in.confirm_forgot_password(&ctx.pool, &r.client, username, code, &password, flow.source()).await {
        Ok(()) => redirect(&format!("{}&notice=password_reset", flow.url("login"))),
        Err(Error::UserNotFound(m)) => reset_page(&flow, username, Some(&m.in_lang(ctx.lang))),
        Err(e) => or_internal(ctx.lang, &e, "password reset", |m| reset_page(&flow, username, Some(m))),
    }
}
