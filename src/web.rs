//! Shared web plumbing for the browser-facing surfaces: security headers, HTML error pages,
//! CSRF tokens, cookies, the shared page context and the request's language, and resolving the
//! pool of a request (path `/{poolId}/…` or the Host header of a pool domain). Also what every
//! surface shares about untrusted input: the control characters no surface accepts
//! ([`has_forbidden_control`]), the pages' query and form extractors that refuse them
//! ([`Query`], [`Form`]), and the panic backstop ([`backstop`]). And the port through which
//! the dashboard previews hosted pages ([`preview`]).

use crate::authorization::request::AuthorizeError;
use crate::i18n::{self, Lang};
use crate::ids::PoolId;
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::model::Pool;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use std::fmt;

pub mod backstop;
pub mod client;
pub mod deadline;
mod extract;
pub mod observe;
pub mod preview;

pub use extract::{Form, Query};

pub const CSRF_COOKIE: &str = "portcullis_csrf";
pub const SESSION_COOKIE: &str = "portcullis_session";
/// The confirmation session between sign-up and confirmation (see `userpool::signup`).
pub const CONFIRM_COOKIE: &str = "portcullis_confirm";
/// Strict CSP: no inline script, styles from our origin only, never framed (the dashboard's
/// previews of hosted pages alone may be framed, by the dashboard: [`preview`]).
pub const CSP: &str = strict_csp!();
/// [`CSP`] with this server's own scripts allowed: the hosted pages that run the WebAuthn
/// ceremony (`static/passkey.js`) and nothing else.
pub const CSP_WITH_SCRIPT: &str = concat!(strict_csp!(), "; script-src 'self'");

macro_rules! strict_csp {
    () => {
        "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'"
    };
}
use strict_csp;

pub use crate::input::has_forbidden_control;

/// The pool-id segment of path-style routes (`{PUBLIC_URL}/{poolId}/…`).
pub const POOL: &str = r"{pool:[\w-]+_[0-9a-zA-Z]+}";

/// The pattern the JSON and Query APIs name when they refuse a control character.
pub const NO_CONTROLS_PATTERN: &str = r"[^\x00-\x08\x0B\x0C\x0E-\x1F]*";

/// Headers every response carries (HSTS only on https answers: [`hsts`]).
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
}

/// The HSTS value: a year, this host only (`includeSubDomains` would bind every sibling
/// host of the public URL's domain to https, which is the operator's call, not ours).
pub const HSTS: &str = "max-age=31536000";

/// `Strict-Transport-Security` on answers that reach the client over https: served over TLS by
/// this server, or, with an https public URL, relayed by a trusted proxy that says the client
/// used https. Never on plain http (RFC 6797 §7.2: browsers ignore it there, and it would be a lie).
pub async fn hsts(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl actix_web::body::MessageBody>,
) -> Result<actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>, actix_web::Error> {
    let https = req.app_config().secure()
        || req
            .app_data::<actix_web::web::Data<std::sync::Arc<Services>>>()
            .is_some_and(|svc| svc.config.is_https() && client::forwarded_https(req.request(), &svc.config));
    let mut res = next.call(req).await?;
    if https {
        res.headers_mut().insert(
            actix_web::http::header::STRICT_TRANSPORT_SECURITY,
            actix_web::http::header::HeaderValue::from_static(HSTS),
        );
    }
    Ok(res)
}

/// What every page's layout shows besides the page itself: the language (`<html lang>` and
/// every text, through [`PageContext::t`]), the form's CSRF token, and the branding.
pub struct PageContext {
    pub lang: Lang,
    pub csrf: String,
    pub brand: Brand,
}

/// A pool's or client's branding as the layout links it (SetUICustomization): a style sheet
/// after the default theme and a logo, both served from our origin.
#[derive(Debug, Clone, Default)]
pub struct Brand {
    pub css_url: Option<String>,
    pub logo_url: Option<String>,
    pub logo_alt: String,
}

impl PageContext {
    /// A page without a form or branding.
    pub fn plain(lang: Lang) -> Self {
        PageContext { lang, csrf: String::new(), brand: Brand::default() }
    }

    /// The catalogue's text for `key` in the page's language.
    pub fn t(&self, key: &'static str) -> &'static str {
        i18n::t(self.lang, key)
    }

    /// The catalogue's text for `key` with its `{name}` placeholder filled.
    pub fn tf(&self, key: &'static str, name: &str, value: &str) -> String {
        i18n::tf(self.lang, key, name, value)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage<'a> {
    pub page: PageContext,
    pub message: &'a str,
}

/// An HTML page response with the strict CSP and no caching.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", CSP))
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}

pub fn render<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            HttpResponse::InternalServerError()
                .content_type("text/plain")
                .body("An error was encountered with the requested page.")
        }
    }
}

/// A 302 to `location`, never cached.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found().insert_header(("Location", location)).insert_header(("Cache-Control", "no-store")).finish()
}

/// An authorization request that failed validation: its page (in `lang`) or its redirect.
pub fn reject(lang: Lang, e: AuthorizeError) -> HttpResponse {
    match e {
        AuthorizeError::Page(key @ ("error.unavailable" | "error.internal")) => {
            let status = if key == "error.unavailable" {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            };
            PageError::new(lang, status, key).error_response()
        }
        AuthorizeError::Page(key) => error_page(lang, StatusCode::BAD_REQUEST, i18n::t(lang, key)),
        AuthorizeError::Redirect(url) => redirect(&url),
    }
}

/// The error page with `message` (already in `lang`).
pub fn error_page(lang: Lang, status: StatusCode, message: &str) -> HttpResponse {
    render(status, &ErrorPage { page: PageContext::plain(lang), message })
}

/// What an API client is told while the database is unavailable (with 503 and `Retry-After`).
pub const UNAVAILABLE: &str = "The service is temporarily unavailable. Retry shortly.";

/// A page-level error (bad query, unknown client, …) rendered as HTML in `lang`: the
/// catalogue's `key` (an `error.*` text), with its `{detail}` filled in when it has one.
#[derive(Debug)]
pub struct PageError {
    pub status: StatusCode,
    pub key: &'static str,
    pub detail: Option<String>,
    pub lang: Lang,
}

impl PageError {
    pub fn new(lang: Lang, status: StatusCode, key: &'static str) -> Self {
        PageError { status, key, detail: None, lang }
    }

    /// In the language of the request.
    pub fn for_request(req: &HttpRequest, status: StatusCode, key: &'static str) -> Self {
        Self::new(request_lang(req), status, key)
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// A service failure as a page: 503 (with `Retry-After`) while the database is unavailable,
    /// otherwise 500. The cause is logged, never shown.
    pub fn failure(lang: Lang, e: &Error) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "the database is unavailable");
            return Self::new(lang, StatusCode::SERVICE_UNAVAILABLE, "error.unavailable");
        }
        tracing::error!(error = ?e, "a page failed");
        Self::new(lang, StatusCode::INTERNAL_SERVER_ERROR, "error.internal")
    }

    fn text(&self, lang: Lang) -> String {
        match &self.detail {
            Some(d) => i18n::tf(lang, self.key, "detail", d),
            None => i18n::t(lang, self.key).to_string(),
        }
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut resp = error_page(self.lang, self.status, &self.text(self.lang));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(crate::store::RETRY_AFTER_SECS),
            );
        }
        resp
    }
}

/// The 429 page: too many requests (a rate limit, or the password queue full), with `Retry-After`.
pub fn too_many_requests(lang: Lang, retry_after_secs: u64) -> HttpResponse {
    let mut resp = error_page(lang, StatusCode::TOO_MANY_REQUESTS, i18n::t(lang, "error.too_many_requests"));
    resp.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from(retry_after_secs.max(1)),
    );
    resp
}

pub fn form_error(err: actix_web::error::UrlencodedError, req: &HttpRequest) -> actix_web::Error {
    PageError::for_request(req, StatusCode::BAD_REQUEST, "error.form_unreadable").with_detail(err.to_string()).into()
}

pub fn query_error(err: actix_web::error::QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    PageError::for_request(req, StatusCode::BAD_REQUEST, "error.request_unreadable").with_detail(err.to_string()).into()
}

pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let lang = request_lang(&req);
    error_page(lang, StatusCode::NOT_FOUND, i18n::t(lang, "error.not_found"))
}

/// The language a browser request reads: its `lang` query parameter (the authorization
/// request's, carried from page to page), then `Accept-Language`, then English.
pub fn request_lang(req: &HttpRequest) -> Lang {
    let param = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "lang")
        .map(|(_, v)| v.into_owned());
    let accept = req.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok());
    i18n::negotiate(param.as_deref(), accept)
}

/// The pool a request is for, and the base URL its endpoints live under.
pub struct PoolContext {
    pub pool: Pool,
    /// `{PUBLIC_URL}/{poolId}` for path-style requests, `{scheme}://{host}` on a pool domain.
    pub base_url: String,
    /// Cookie path that scopes the session to this pool.
    pub cookie_path: String,
    /// The language the request's pages and mails are in ([`request_lang`]).
    pub lang: Lang,
    /// The branding of the request's client, once it is known (hosted pages).
    pub brand: Brand,
}

impl PoolContext {
    /// The pool's pages under `{PUBLIC_URL}/{poolId}` (a path-style request, or a dashboard
    /// preview, which links the same branding from the dashboard's origin).
    pub fn path_style(svc: &Services, pool: Pool, lang: Lang) -> Self {
        PoolContext {
            base_url: format!("{}/{}", svc.config.public_url, pool.id),
            cookie_path: format!("{}/{}", public_path(&svc.config.public_url), pool.id),
            pool,
            lang,
            brand: Brand::default(),
        }
    }
}

pub async fn pool_context(req: &HttpRequest, svc: &Services) -> Result<PoolContext, PageError> {
    let lang = request_lang(req);
    let missing = || PageError::new(lang, StatusCode::NOT_FOUND, "error.no_pool");
    if let Some(raw) = req.match_info().get("pool") {
        // Not shaped like a pool id (a control character, a stray path): no pool, as for an unknown id.
        let id = PoolId::parse(raw).ok_or_else(missing)?;
        // Only a pool that is not there is "no pool": a failure to look is not an answer.
        let pool = svc.directory.pool(&id).await.map_err(|e| match e {
            Error::ResourceNotFound(_) => missing(),
            e => PageError::failure(lang, &e),
        })?;
        return Ok(PoolContext::path_style(svc, pool, lang));
    }
    let host = client::host(req, &svc.config).to_ascii_lowercase();
    // `name[:port]` only: the host becomes the base of redirects and discovery endpoints, so
    // anything else after the name (`:1@evil.example`, a path) must not select the domain.
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        Some(_) => return Err(missing()),
        None => host.as_str(),
    };
    if has_forbidden_control(name) {
        return Err(missing());
    }
    let pool =
        svc.directory.pool_at_domain(name).await.map_err(|e| PageError::failure(lang, &e))?.ok_or_else(missing)?;
    let scheme = client::scheme(req, &svc.config);
    Ok(PoolContext {
        pool,
        base_url: format!("{scheme}://{host}"),
        cookie_path: "/".into(),
        lang,
        brand: Brand::default(),
    })
}

fn public_path(public_url: &str) -> String {
    url::Url::parse(public_url).map(|u| u.path().trim_end_matches('/').to_string()).unwrap_or_default()
}

/// A cookie with the project's defaults: HttpOnly, SameSite=Lax, Secure on https.
pub fn cookie(
    svc: &Services,
    name: &'static str,
    value: String,
    path: &str,
    max_age_secs: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(svc.config.is_https())
        .path(if path.is_empty() { "/".to_string() } else { path.to_string() })
        .finish();
    if let Some(s) = max_age_secs {
        c.set_max_age(actix_web::cookie::time::Duration::seconds(s));
    }
    c
}

/// CSRF: a random cookie, and a form field that is the MAC of it. A page GET sets the cookie
/// when absent; a POST must carry a field matching the cookie.
pub struct Csrf {
    pub cookie_value: String,
    pub field: String,
    pub is_new: bool,
}

pub fn csrf(req: &HttpRequest, svc: &Services) -> Csrf {
    let (cookie_value, is_new) = match req.cookie(CSRF_COOKIE).map(|c| c.value().to_string()).filter(|v| v.len() >= 32)
    {
        Some(v) => (v, false),
        None => (crate::crypto::random_token(), true),
    };
    let field = hex::encode(svc.master.mac("csrf", cookie_value.as_bytes()));
    Csrf { cookie_value, field, is_new }
}

pub fn csrf_ok(req: &HttpRequest, svc: &Services, field: &str) -> bool {
    let Some(c) = req.cookie(CSRF_COOKIE) else {
        return false;
    };
    let expected = hex::encode(svc.master.mac("csrf", c.value().as_bytes()));
    crate::crypto::constant_time_eq(expected.as_bytes(), field.as_bytes())
}

/// Read a request body up to `limit` bytes; `None` when it is larger (each surface answers
/// that in its own format) or the stream fails.
pub async fn read_body(mut payload: actix_web::web::Payload, limit: usize) -> Option<actix_web::web::Bytes> {
    use futures_util::StreamExt;
    let mut buf = actix_web::web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.ok()?;
        if buf.len() + chunk.len() > limit {
            return None;
        }
        buf.extend_from_slice(&chunk);
    }
    Some(buf.freeze())
}

/// CORS for endpoints browsers call from other origins (SPAs using PKCE, Amplify calling the
/// JSON API). They authenticate by body, bearer token or signature, never by cookie, so any
/// origin may call them.
pub fn cors() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("Access-Control-Allow-Origin", "*"))
        .add(("Access-Control-Allow-Methods", "GET, POST, OPTIONS"))
        .add((
            "Access-Control-Allow-Headers",
            "authorization, content-type, x-amz-target, x-amz-user-agent, x-amz-date, x-amz-security-token, \
             x-amz-content-sha256, amz-sdk-invocation-id, amz-sdk-request, cache-control",
        ))
        .add(("Access-Control-Expose-Headers", "x-amzn-RequestId, x-amzn-ErrorType, WWW-Authenticate"))
        .add(("Access-Control-Max-Age", "600"))
}

/// Answer a CORS preflight (the headers come from [`cors`]).
pub async fn preflight() -> HttpResponse {
    HttpResponse::NoContent().finish()
}
