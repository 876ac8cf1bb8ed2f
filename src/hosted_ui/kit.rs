//! What every hosted page is made with: the request's validated [`Flow`] and the CSRF-checked
//! [`CsrfForm`] (extractors), rendering a page with the CSRF cookie and the page's links, the
//! attribute inputs and password rules of the forms, the notices a redirect may ask for, and
//! the words (or the internal-error page) for a service error.

mod flow;
mod sequence;
mod terms;

pub use flow::{CsrfForm, Flow, WithCsrf};
pub use terms::TermsNotice;

use crate::authorization::request::AuthorizeParams;
use crate::i18n::{Lang, t, tf};
use crate::userpool::error::{Error, Message};
use crate::userpool::model::PasswordPolicy;
use crate::userpool::throttle::{Caller, Source};
use crate::web::{CSRF_COOKIE, PageContext, PageError, cookie, csrf, render};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde::Deserialize;
use std::collections::BTreeMap;

impl Flow {
    /// Render a page in the request's language, setting the CSRF cookie when the browser has
    /// none. A preview's forms carry no token and it sets no cookie (its forms cannot be sent).
    pub fn page<T: Template>(&self, status: StatusCode, build: impl FnOnce(PageContext) -> T) -> HttpResponse {
        let brand = self.ctx.brand.clone();
        if self.preview.is_some() {
            return render(status, &build(PageContext { lang: self.ctx.lang, csrf: String::new(), brand }));
        }
        let c = csrf(&self.req, &self.svc);
        let mut resp = render(status, &build(PageContext { lang: self.ctx.lang, csrf: c.field.clone(), brand }));
        if c.is_new {
            let _ = resp.add_cookie(&cookie(&self.svc, CSRF_COOKIE, c.cookie_value, "/", None));
        }
        resp
    }

    /// A form page: 400 when it shows an error, 200 otherwise.
    pub fn form_page<T: Template>(&self, error: Option<&str>, build: impl FnOnce(PageContext) -> T) -> HttpResponse {
        self.page(if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK }, build)
    }

    /// `{base}/{page}?{authorization request}`: where a hosted page lives for this request (in a
    /// preview, that page's preview, or nowhere).
    pub fn url(&self, page: &str) -> String {
        match &self.preview {
            Some(links) => links.to_path(page),
            None => format!("{}/{page}?{}", self.ctx.base_url, self.request.params.query()),
        }
    }

    /// `/oauth2/authorize` with `params` (in a preview, nowhere: it would start a sign-in).
    pub fn authorize_url(&self, params: &AuthorizeParams) -> String {
        match &self.preview {
            Some(_) => "#".into(),
            None => format!("{}/oauth2/authorize?{}", self.ctx.base_url, params.query()),
        }
    }

    /// Who sends the page's form (for the per-address limits the account services apply) and
    /// the page's language.
    pub fn caller(&self) -> Caller<'static> {
        Caller { source: self.source(), lang: self.ctx.lang, device: None }
    }

    pub fn source(&self) -> Source {
        Source::Address(crate::web::client::client_ip(&self.req, &self.svc.config))
    }

    /// The line linking the client's terms documents in the page's language, when it has any.
    pub fn terms_notice(&self) -> Option<TermsNotice> {
        TermsNotice::new(self.ctx.lang, &self.terms)
    }
}

/// An attribute input on a hosted form.
pub struct RequiredField {
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

/// What a password must contain, in words, for the forms that set one.
pub fn policy_rules(lang: Lang, p: &PasswordPolicy) -> Vec<String> {
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

/// Short notices a page may show after a redirect (never free text from the query).
pub fn notice_text(lang: Lang, key: Option<&str>) -> Option<&'static str> {
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

/// A posted form's fields by name.
pub type Fields = BTreeMap<String, String>;

/// Field `k`, trimmed ("" when absent).
pub fn field<'a>(form: &'a Fields, k: &str) -> &'a str {
    form.get(k).map(|v| v.trim()).unwrap_or_default()
}

/// Words for the hosted page, in its language. Unknown users read exactly like wrong passwords.
pub fn message(lang: Lang, e: &Error) -> Option<String> {
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
        | Error::CodeDeliveryFailure(m)
        // A trigger's words, as the function wrote them.
        | Error::UserLambdaValidation(m)
        | Error::UnexpectedLambda(m)
        | Error::InvalidLambdaResponse(m) => Some(m.in_lang(lang)),
        _ => None,
    }
}

/// The internal-error page (the cause is logged by the caller).
pub fn internal(lang: Lang) -> HttpResponse {
    crate::web::error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, t(lang, "error.internal"))
}

/// A page for a service error that has words, the internal-error page otherwise (503 with
/// `Retry-After` while the database is unavailable). Too many requests is the 429 page.
pub fn or_internal(lang: Lang, e: &Error, what: &str, show: impl FnOnce(&str) -> HttpResponse) -> HttpResponse {
    if let Error::TooManyRequests { retry_after_secs } = e {
        return crate::web::too_many_requests(lang, *retry_after_secs);
    }
    match message(lang, e) {
        Some(m) => show(&m),
        None => {
            tracing::error!(error = ?e, "{what} failed");
            actix_web::ResponseError::error_response(&PageError::failure(lang, e))
        }
    }
}

/// A 400 error page with the catalogue's `key`.
pub fn bad_request(lang: Lang, key: &'static str) -> HttpResponse {
    crate::web::error_page(lang, StatusCode::BAD_REQUEST, t(lang, key))
}

/// The 403 page of a form whose CSRF token does not match the cookie.
pub fn csrf_failed(lang: Lang) -> HttpResponse {
    actix_web::ResponseError::error_response(&PageError::new(lang, StatusCode::FORBIDDEN, "error.csrf"))
}
