//! What every hosted page is made with: validating the request's authorization flow (pool,
//! client, language, branding) and a form's CSRF token, rendering a page with the CSRF cookie
//! and the page's links, the attribute inputs and password rules of the forms, the notices a
//! redirect may ask for, and the words (or the internal-error page) for a service error.

use crate::authorization::request::{AuthorizeParams, AuthorizeRequest};
use crate::i18n::{Lang, t, tf};
use crate::services::Services;
use crate::userpool::branding::logo_extension;
use crate::userpool::error::{Error, Message};
use crate::userpool::model::{Client, PasswordPolicy};
use crate::userpool::throttle::{Caller, Source};
use crate::web::{
    Brand, CSRF_COOKIE, PageContext, PageError, PoolContext, cookie, csrf, csrf_ok, pool_context, reject, render,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;

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
    ctx.brand = brand(svc, &ctx, &r.client).await;
    Ok((ctx, r))
}

pub(super) fn csrf_failed(lang: Lang) -> HttpResponse {
    actix_web::ResponseError::error_response(&PageError::new(lang, StatusCode::FORBIDDEN, "error.csrf"))
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

/// What a password must contain, in words, for the forms that set one.
pub(super) fn policy_rules(lang: Lang, p: &PasswordPolicy) -> Vec<String> {
    let mut rules = vec![tf(lang, "rule.min_length", "n", &p.minimum_length.to_string())];
    for (on, key) in [
        (p.require_uppercase, "rule.uppercase"),
        (p.require_lowercase, "rule.lowercase"),
        (p.require_numbers, "rule.number"),
        (p.require_symbols, "rule.symbol"),
    ] {
        if on {
            rules.push(t(lang, key).to_string());
        }
    }
    rules
}

/// The branding a page of `client` links. A failed lookup leaves the page unbranded.
pub(super) async fn brand(svc: &Services, ctx: &PoolContext, client: &Client) -> Brand {
    match svc.page_branding(&ctx.pool.id, &client.id).await {
        Ok(Some(b)) => Brand {
            css_url: b.has_css.then(|| format!("{}/ui/css/{}.css?v={}", ctx.base_url, b.client_id, b.version)),
            logo_url: b.image_type.as_deref().map(|kind| {
                format!("{}/ui/logo/{}.{}?v={}", ctx.base_url, b.client_id, logo_extension(kind), b.version)
            }),
            logo_alt: tf(ctx.lang, "brand.logo_alt", "client", &client.name),
        },
        Ok(None) => Brand::default(),
        Err(e) => {
            tracing::warn!(error = ?e, "branding lookup failed; page left unbranded");
            Brand::default()
        }
    }
}
