//! Sign-in page (`/login`) and the NEW_PASSWORD_REQUIRED page (`/newPassword`).

use crate::authorization::request::{AuthorizeParams, AuthorizeRequest};
use crate::federation::flow::client_allows_cognito;
use crate::i18n::{Lang, t};
use crate::services::Services;
use crate::userpool::error::{Error, Message};
use crate::userpool::sessions::SESSION_SECS;
use crate::userpool::step::{Answer, Challenge, SignInStep};
use crate::userpool::throttle::{Caller, Source};
use crate::web::{
    CSRF_COOKIE, PageContext, PageError, PoolContext, SESSION_COOKIE, cookie, csrf, csrf_ok, pool_context, redirect,
    reject, render,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "hosted_ui/login.html")]
struct LoginPage<'a> {
    page: PageContext,
    action: String,
    username: &'a str,
    error: Option<&'a str>,
    notice: Option<&'static str>,
    client_name: &'a str,
    signup_link: Option<String>,
    forgot_link: String,
    /// A "Continue with …" button per upstream provider the client offers.
    providers: Vec<IdpButton>,
    /// Whether the client offers the username and password form.
    show_form: bool,
}

struct IdpButton {
    label: String,
    href: String,
}

/// The buttons of the providers `r`'s client supports: each goes back through
/// `/oauth2/authorize` with `identity_provider` set.
fn idp_buttons(ctx: &PoolContext, r: &AuthorizeRequest) -> Vec<IdpButton> {
    r.client
        .supported_identity_providers()
        .iter()
        .filter(|name| *name != "COGNITO")
        .map(|name| {
            let mut params = r.params.clone();
            params.identity_provider = Some(name.clone());
            params.idp_identifier = None;
            IdpButton {
                label: crate::i18n::tf(ctx.lang, "login.continue_with", "provider", name),
                href: format!("{}/oauth2/authorize?{}", ctx.base_url, params.query()),
            }
        })
        .collect()
}

/// An attribute input on a hosted form.
pub(super) struct RequiredField {
    pub name: String,
    pub label: String,
    pub input_type: &'static str,
    pub autocomplete: &'static str,
    pub value: String,
}

impl RequiredField {
    /// The input for attribute `name`: standard attributes are labelled from the catalogue,
    /// custom ones by their name.
    pub fn new(lang: Lang, name: &str, value: &str) -> Self {
        let (input_type, autocomplete, label_key) = match name {
            "email" => ("email", "email", Some("attr.email")),
            "phone_number" => ("tel", "tel", Some("attr.phone_number")),
            "name" => ("text", "name", Some("attr.name")),
            "given_name" => ("text", "given-name", Some("attr.given_name")),
            "family_name" => ("text", "family-name", Some("attr.family_name")),
            "middle_name" => ("text", "additional-name", Some("attr.middle_name")),
            "nickname" => ("text", "nickname", Some("attr.nickname")),
            "preferred_username" => ("text", "username", Some("attr.preferred_username")),
            "birthdate" => ("date", "bday", Some("attr.birthdate")),
            "address" => ("text", "street-address", Some("attr.address")),
            "gender" => ("text", "sex", Some("attr.gender")),
            "locale" => ("text", "language", Some("attr.locale")),
            "zoneinfo" => ("text", "on", Some("attr.zoneinfo")),
            "website" => ("url", "url", Some("attr.website")),
            "profile" => ("url", "url", Some("attr.profile")),
            "picture" => ("url", "url", Some("attr.picture")),
            _ => ("text", "on", None),
        };
        let label = match label_key {
            Some(key) => t(lang, key).to_string(),
            None => {
                let label = name.strip_prefix("custom:").unwrap_or(name).replace('_', " ");
                let mut chars = label.chars();
                chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
            }
        };
        RequiredField { name: name.to_string(), label, input_type, autocomplete, value: value.to_string() }
    }
}

/// Short notices a page may show after a redirect (never free text from the query).
pub(super) fn notice_text(lang: Lang, key: Option<&str>) -> Option<&'static str> {
    let key = match key? {
        "confirmed" => "notice.confirmed",
        "password_reset" => "notice.password_reset",
        "code_sent" => "notice.code_sent",
        "awaiting_admin" => "notice.awaiting_admin",
        _ => return None,
    };
    Some(t(lang, key))
}

/// Query members the hosted pages pass beside the authorization request.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub notice: Option<String>,
}

#[derive(Template)]
#[template(path = "hosted_ui/new_password.html")]
struct NewPasswordPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    error: Option<&'a str>,
    fields: Vec<RequiredField>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

/// Render a page in the request's language, setting the CSRF cookie when the browser has none.
pub(super) fn page<T: Template>(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    status: StatusCode,
    build: impl FnOnce(PageContext) -> T,
) -> HttpResponse {
    let c = csrf(req, svc);
    let mut resp =
        render(status, &build(PageContext { lang: ctx.lang, csrf: c.field.clone(), brand: ctx.brand.clone() }));
    if c.is_new {
        let _ = resp.add_cookie(&cookie(svc, CSRF_COOKIE, c.cookie_value, "/", None));
    }
    resp
}

/// `{base}/{page}?{authorization request}`: where a hosted page lives for this request.
pub(super) fn page_url(ctx: &PoolContext, r: &AuthorizeRequest, page: &str) -> String {
    format!("{}/{page}?{}", ctx.base_url, r.params.query())
}

pub(super) fn login_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    username: &str,
    error: Option<&str>,
    notice: Option<&'static str>,
) -> HttpResponse {
    let status = form_status(error);
    page(req, svc, ctx, status, |page| LoginPage {
        page,
        action: page_url(ctx, r, "login"),
        username,
        error,
        notice,
        client_name: &r.client.name,
        signup_link: (!ctx.pool.admin_create_user_only()).then(|| page_url(ctx, r, "signup")),
        forgot_link: page_url(ctx, r, "forgotPassword"),
        providers: idp_buttons(ctx, r),
        show_form: client_allows_cognito(&r.client),
    })
}

/// Words for the hosted page, in its language. Unknown users read exactly like wrong passwords.
pub(super) fn message(lang: Lang, e: &Error) -> Option<String> {
    match e {
        Error::UserNotFound(_) => Some(Message::Incorrect.in_lang(lang)),
        Error::NotAuthorized(m)
        | Error::UserNotConfirmed(m)
        | Error::PasswordResetRequired(m)
        | Error::InvalidPassword(m)
        | Error::InvalidParameter(m)
        | Error::UsernameExists(m)
        | Error::AliasExists(m)
        | Error::CodeMismatch(m)
        | Error::ExpiredCode(m)
        | Error::LimitExceeded(m)
        | Error::CodeDeliveryFailure(m) => Some(m.in_lang(lang)),
        _ => None,
    }
}

/// The internal-error page (the cause is logged by the caller).
pub(super) fn internal(lang: Lang) -> HttpResponse {
    crate::web::error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, t(lang, "error.internal"))
}

/// A page for a service error that has words, the internal-error page otherwise.
/// Too many requests is the 429 page.
pub(super) fn or_internal(lang: Lang, e: &Error, what: &str, show: impl FnOnce(&str) -> HttpResponse) -> HttpResponse {
    if let Error::TooManyRequests { retry_after_secs } = e {
        return crate::web::too_many_requests(lang, *retry_after_secs);
    }
    match message(lang, e) {
        Some(m) => show(&m),
        None => {
            tracing::error!(error = ?e, "{what} failed");
            internal(lang)
        }
    }
}

/// Who sends a page's form (for the per-address limits the account services apply) and the
/// page's language.
pub(super) fn caller(req: &HttpRequest, svc: &Services, lang: Lang) -> Caller {
    Caller { source: source(req, svc), lang }
}

pub(super) fn source(req: &HttpRequest, svc: &Services) -> Source {
    Source::Address(crate::web::client::client_ip(req, &svc.config))
}

pub(super) async fn validated(
    req: &HttpRequest,
    svc: &Services,
    q: &AuthorizeParams,
) -> Result<(PoolContext, AuthorizeRequest), HttpResponse> {
    let mut ctx = pool_context(req, svc).await.map_err(|e| actix_web::ResponseError::error_response(&e))?;
    let r = svc.validate_authorize(&ctx.pool, q).await.map_err(|e| reject(ctx.lang, e))?;
    ctx.brand = super::branding::brand(svc, &ctx, &r.client).await;
    Ok((ctx, r))
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

pub(super) fn csrf_failed(lang: Lang) -> HttpResponse {
    actix_web::ResponseError::error_response(&PageError::new(lang, StatusCode::FORBIDDEN, "error.csrf"))
}

/// Signed in: start the session (replacing any old one) and go back to the app.
pub(super) async fn finish(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    step: SignInStep,
) -> HttpResponse {
    match step {
        SignInStep::Authenticated { user, auth_time } => {
            let previous = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
            let result = async {
                let token = svc.start_session(&ctx.pool, &user, auth_time, previous.as_deref()).await?;
                let url = svc.complete_authorize(&ctx.pool, r, &user, auth_time).await?;
                Ok::<_, Error>((token, url))
            }
            .await;
            match result {
                Ok((token, url)) => {
                    let mut resp = redirect(&url);
                    let _ = resp.add_cookie(&cookie(svc, SESSION_COOKIE, token, &ctx.cookie_path, Some(SESSION_SECS)));
                    resp
                }
                Err(e) => {
                    tracing::error!(error = ?e, "sign-in completion failed");
                    internal(ctx.lang)
                }
            }
        }
        SignInStep::Challenge { session, challenge: Challenge::NewPassword { required_attributes }, .. } => {
            new_password_page(req, svc, ctx, r, &session, &required_attributes, None)
        }
        SignInStep::Challenge { session, challenge, .. } => {
            super::mfa::challenge_page(req, svc, ctx, r, &session, &challenge, None).await
        }
    }
}

fn new_password_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    session: &str,
    required: &[String],
    error: Option<&str>,
) -> HttpResponse {
    let fields = required.iter().map(|name| RequiredField::new(ctx.lang, name, "")).collect();
    let status = form_status(error);
    page(req, svc, ctx, status, |page| NewPasswordPage {
        page,
        action: format!("{}/newPassword?{}", ctx.base_url, r.params.query()),
        session,
        error,
        fields,
    })
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
        Err(Error::UserNotConfirmed(_)) => {
            super::signup::to_confirmation(&req, &svc, &ctx, &r, form.username.trim()).await
        }
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

pub(super) type Form = crate::web::Form<BTreeMap<String, String>>;

/// Validate the request and the form's CSRF token; the form's fields on success.
pub(super) async fn accept(
    req: &HttpRequest,
    svc: &Services,
    q: &AuthorizeParams,
    form: &Form,
) -> Result<(PoolContext, AuthorizeRequest), HttpResponse> {
    let (ctx, r) = validated(req, svc, q).await?;
    if !csrf_ok(req, svc, form.get("_csrf").map(String::as_str).unwrap_or_default()) {
        return Err(csrf_failed(ctx.lang));
    }
    Ok((ctx, r))
}

pub(super) fn field<'a>(form: &'a Form, k: &str) -> &'a str {
    form.get(k).map(|v| v.trim()).unwrap_or_default()
}

/// A form page answers 400 when it shows an error, 200 otherwise.
pub(super) fn form_status(error: Option<&str>) -> StatusCode {
    if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK }
}
