//! Sign-up (`/signup`), confirmation (`/confirm`) and a new confirmation code (`/resendcode`).
//! The rules are [`crate::userpool::signup`]'s; these pages only collect input and render
//! outcomes. A confirmed account continues the original authorization request to the app.

use super::kit::{
    CsrfForm, Fields, Flow, PageQuery, RequiredField, TermsNotice, field, notice_text, or_internal, policy_rules,
};
use super::steps::{confirmation_redirect, finish, login_page};
use crate::i18n::{Lang, t};
use crate::userpool::model::Pool;
use crate::web::{CONFIRM_COOKIE, PageContext, cookie, error_page, redirect};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use std::collections::BTreeMap;

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
    /// The client's terms documents.
    terms: Option<TermsNotice>,
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

fn signup_page(flow: &Flow, values: &BTreeMap<String, String>, error: Option<&str>) -> HttpResponse {
    let (ctx, lang) = (&flow.ctx, flow.ctx.lang);
    let by_email = signs_up_by_email(&ctx.pool);
    let fields = wanted_attributes(&ctx.pool)
        .iter()
        .map(|n| {
            RequiredField::new(lang, n, values.get(&format!("userAttributes.{n}")).map(String::as_str).unwrap_or(""))
        })
        .collect();
    flow.form_page(error, |page| SignUpPage {
        page,
        action: flow.url("signup"),
        username: values.get("username").map(String::as_str).unwrap_or(""),
        username_label: t(lang, if by_email { "attr.email" } else { "common.username" }),
        username_type: if by_email { "email" } else { "text" },
        username_autocomplete: if by_email { "email" } else { "username" },
        fields,
        rules: policy_rules(lang, ctx.pool.password_policy()),
        error,
        login_link: flow.url("login"),
        client_name: &flow.request.client.name,
        terms: flow.terms_notice(),
    })
}

fn confirm_page(flow: &Flow, username: &str, error: Option<&str>, notice: Option<&'static str>) -> HttpResponse {
    flow.form_page(error, |page| ConfirmPage {
        page,
        action: flow.url("confirm"),
        resend_action: flow.url("resendcode"),
        username,
        error,
        notice,
        login_link: flow.url("login"),
    })
}

fn not_available(lang: Lang) -> HttpResponse {
    error_page(lang, StatusCode::FORBIDDEN, t(lang, "error.signup_unavailable"))
}

pub async fn show_signup(flow: Flow) -> HttpResponse {
    if flow.ctx.pool.admin_create_user_only() {
        return not_available(flow.ctx.lang);
    }
    signup_page(&flow, &BTreeMap::new(), None)
}

pub async fn submit_signup(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    if ctx.pool.admin_create_user_only() {
        return not_available(ctx.lang);
    }
    let username = field(&form, "username").to_string();
    let password = form.get("password").cloned().unwrap_or_default();
    if username.is_empty() || password.is_empty() {
        return signup_page(&flow, &form, Some(t(ctx.lang, "form.enter_new_account")));
    }
    let attrs: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("userAttributes.")?.to_string(), v.trim().to_string())))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let input = Default::default();
    match svc.sign_in.sign_up(&ctx.pool, &r.client, &username, &password, &attrs, &input, flow.caller()).await {
        Ok(done) if done.confirmed => redirect(&format!("{}&notice=confirmed", flow.url("login"))),
        Ok(done) if done.delivery.is_some() => confirmation_redirect(&flow, &username, &done.user.id).await,
        Ok(_) => login_page(&flow, &username, None, notice_text(ctx.lang, Some("awaiting_admin"))),
        Err(e) => or_internal(ctx.lang, &e, "sign-up", |m| signup_page(&flow, &form, Some(m))),
    }
}

pub async fn show_confirm(flow: Flow, extra: crate::web::Query<PageQuery>) -> HttpResponse {
    let username = extra.username.clone().unwrap_or_default();
    confirm_page(&flow, &username, None, notice_text(flow.ctx.lang, extra.notice.as_deref()))
}

pub async fn submit_confirm(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let (username, code) = (field(&form, "username"), field(&form, "code"));
    if username.is_empty() || code.is_empty() {
        return confirm_page(&flow, username, Some(t(ctx.lang, "form.enter_username_code")), None);
    }
    let user = match svc
        .sign_in
        .confirm_sign_up(&ctx.pool, &r.client, username, code, &Default::default(), flow.source())
        .await
    {
        Ok(u) => u,
        Err(e) => {
            return or_internal(ctx.lang, &e, "confirmation", |m| confirm_page(&flow, username, Some(m), None));
        }
    };
    let held = flow.req.cookie(CONFIRM_COOKIE).map(|c| c.value().to_string());
    let outcome = match held {
        Some(secret) => svc
            .sign_in
            .sign_in_after_confirmation(&ctx.pool, &r.client, &user, &secret, flow.caller())
            .await
            .ok()
            .flatten(),
        None => None,
    };
    let mut resp = match outcome {
        Some(o) => finish(&flow, o).await,
        None => redirect(&format!("{}&notice=confirmed", flow.url("login"))),
    };
    let mut gone = cookie(svc, CONFIRM_COOKIE, String::new(), &ctx.cookie_path, Some(0));
    gone.make_removal();
    let _ = resp.add_cookie(&gone);
    resp
}

pub async fn resend(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let username = field(&form, "username");
    if username.is_empty() {
        return confirm_page(&flow, username, Some(t(ctx.lang, "form.enter_username")), None);
    }
    match svc.sign_in.resend_confirmation_code(&ctx.pool, &r.client, username, flow.caller()).await {
        Ok(_) => confirm_page(&flow, username, None, notice_text(ctx.lang, Some("code_sent"))),
        Err(e) => or_internal(ctx.lang, &e, "resend", |m| confirm_page(&flow, username, Some(m), None)),
    }
}
