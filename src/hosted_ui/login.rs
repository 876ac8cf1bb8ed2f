//! Sign-in page (`/login`) and the NEW_PASSWORD_REQUIRED page (`/newPassword`).

use super::kit::{CsrfForm, Fields, Flow, PageQuery, WithCsrf, bad_request, message, notice_text, or_internal};
use super::steps::{finish, login_page, new_password_page, to_confirmation};
use crate::authorization::request::client_allows_cognito;
use crate::i18n::t;
use crate::userpool::auth::PasswordAttempt;
use crate::userpool::error::Error;
use crate::userpool::step::Answer;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    /// Which button: none (the password), `email_code` or `passkey`.
    #[serde(default)]
    action: String,
}

impl WithCsrf for LoginForm {
    fn csrf_token(&self) -> &str {
        &self.csrf
    }
}

pub async fn show(flow: Flow, extra: crate::web::Query<PageQuery>) -> actix_web::HttpResponse {
    let hint = flow.request.login_hint.clone().unwrap_or_default();
    login_page(&flow, &hint, None, notice_text(flow.ctx.lang, extra.notice.as_deref()))
}

pub async fn submit(flow: Flow, form: CsrfForm<LoginForm>) -> actix_web::HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    if !client_allows_cognito(&r.client) {
        return bad_request(ctx.lang, "error.cognito_disabled");
    }
    match form.action.as_str() {
        "email_code" if super::passwordless::offers_email_code(&flow) => {
            return super::passwordless::start(&flow, form.username.trim(), "EMAIL_OTP").await;
        }
        "passkey" if super::passwordless::offers_passkeys(&flow) => {
            return super::passwordless::start(&flow, form.username.trim(), "WEB_AUTHN").await;
        }
        _ => {}
    }
    if form.username.trim().is_empty() || form.password.is_empty() {
        return login_page(&flow, &form.username, Some(t(ctx.lang, "form.enter_username_password")), None);
    }
    // The page never tells whether an account exists, whatever the client's setting.
    let username = form.username.trim();
    let attempt = PasswordAttempt { username, password: &form.password, device: None, metadata: None };
    match svc.sign_in.password_sign_in_as(&ctx.pool, &r.client, attempt, flow.caller(), true).await {
        Ok(outcome) => finish(&flow, outcome).await,
        // The password was right: send the user on to confirm the account, as Cognito's UI does.
        Err(Error::UserNotConfirmed(_)) => to_confirmation(&flow, username).await,
        Err(e) => or_internal(ctx.lang, &e, "sign-in", |m| login_page(&flow, &form.username, Some(m), None)),
    }
}

pub async fn new_password(flow: Flow, form: CsrfForm<Fields>) -> actix_web::HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let session = form.get("session").cloned().unwrap_or_default();
    let password = form.get("password").cloned().unwrap_or_default();
    let attrs: BTreeMap<String, String> =
        form.iter().filter_map(|(k, v)| Some((k.strip_prefix("userAttributes.")?.to_string(), v.clone()))).collect();
    let required: Vec<String> = attrs.keys().cloned().collect();
    if form.get("confirm_password").is_some_and(|c| *c != password) {
        return new_password_page(&flow, &session, &required, Some(t(ctx.lang, "form.passwords_differ")));
    }
    let answer = Answer::NewPassword { password, attributes: attrs };
    match svc.sign_in.respond(&ctx.pool, &r.client, &session, &answer, flow.caller()).await {
        Ok(outcome) => finish(&flow, outcome).await,
        Err(e @ Error::NotAuthorized(_)) => login_page(&flow, "", message(ctx.lang, &e).as_deref(), None),
        Err(e) => or_internal(ctx.lang, &e, "new password", |m| new_password_page(&flow, &session, &required, Some(m))),
    }
}
