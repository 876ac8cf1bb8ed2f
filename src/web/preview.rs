//! A hosted page shown inside the dashboard, with the client's branding as it is stored now: the
//! branding preview. The dashboard imports no other surface, so this is a port: the dashboard
//! asks [`Previews`] for a page, and startup fills it with the hosted UI's renderer (which renders
//! the very pages a user meets, inert).
//!
//! The policy of a preview's answer lives here, in one place ([`frameable`]): it may be framed
//! by our own origin only (`frame-ancestors 'self'`, `X-Frame-Options: SAMEORIGIN`), while every
//! other page keeps `frame-ancestors 'none'`; its forms cannot be sent (`form-action 'none'`);
//! it is sandboxed (no script, form, pop-up or top-level navigation, and no autofocus that would
//! scroll the dashboard) but keeps its origin, so its style sheets and logo load as `'self'` and
//! its links to the other previews carry the dashboard's cookie; it sets no cookie and is never
//! cached. Its links lead only to other previews ([`Links`]), never to a real hosted page.

use super::error_page;
use crate::i18n::{Lang, t};
use crate::services::Services;
use crate::userpool::model::{Client, Pool};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use std::sync::Arc;

/// The strict policy of every page, with the framing, the forms and the sandbox of a preview.
const PREVIEW_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; \
                           form-action 'none'; sandbox allow-same-origin; frame-ancestors 'self'";

/// The strict policy of every page, for the dashboard page that embeds previews: frames of our
/// own origin allowed.
const EMBEDDING_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; \
                             base-uri 'none'; frame-ancestors 'none'";

/// The hosted pages a preview can show, named by their hosted paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewPage {
    Login,
    SignUp,
    ForgotPassword,
}

impl PreviewPage {
    pub const ALL: [PreviewPage; 3] = [PreviewPage::Login, PreviewPage::SignUp, PreviewPage::ForgotPassword];

    /// The page's path under the pool (`login`, `signup`, `forgotPassword`), also its name in
    /// the preview's URL.
    pub fn path(self) -> &'static str {
        match self {
            PreviewPage::Login => "login",
            PreviewPage::SignUp => "signup",
            PreviewPage::ForgotPassword => "forgotPassword",
        }
    }

    pub fn from_path(path: &str) -> Option<PreviewPage> {
        PreviewPage::ALL.into_iter().find(|p| p.path() == path)
    }

    /// What the dashboard calls the page.
    pub fn title(self) -> &'static str {
        match self {
            PreviewPage::Login => "Sign-in",
            PreviewPage::SignUp => "Sign-up",
            PreviewPage::ForgotPassword => "Forgot password",
        }
    }
}

/// Where a preview's links lead: the preview of the page they name, in the same language; `#`
/// for a page that has none (a form's next step). Never a real hosted page.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
    lang: Lang,
}

impl Links {
    /// The previews at `{base}/{page}?lang={lang}` (the dashboard's route).
    pub fn new(base: String, lang: Lang) -> Self {
        Links { base, lang }
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    pub fn to(&self, page: PreviewPage) -> String {
        format!("{}/{}?lang={}", self.base, page.path(), self.lang.code())
    }

    /// The link for the hosted path `path` (what a live page would link).
    pub fn to_path(&self, path: &str) -> String {
        PreviewPage::from_path(path).map(|p| self.to(p)).unwrap_or_else(|| "#".into())
    }
}

/// What to preview: a client's page, in a language, with its links.
pub struct Preview {
    pub pool: Pool,
    pub client: Client,
    pub page: PreviewPage,
    pub links: Links,
}

/// Renders a preview (the hosted UI's; see [`Previews`]).
pub type Render = fn(HttpRequest, Arc<Services>, Preview) -> LocalBoxFuture<'static, HttpResponse>;

/// The port through which the dashboard shows hosted pages: startup gives it the hosted UI's
/// renderer, and every answer leaves through [`frameable`].
#[derive(Clone, Copy)]
pub struct Previews {
    render: Render,
}

impl Previews {
    pub fn new(render: Render) -> Self {
        Previews { render }
    }

    pub async fn show(&self, req: &HttpRequest, svc: &Arc<Services>, preview: Preview) -> HttpResponse {
        let lang = preview.links.lang();
        frameable(lang, (self.render)(req.clone(), svc.clone(), preview).await)
    }
}

/// A rendered preview as it may leave: framed by our own origin only, sandboxed, no cookie set,
/// never cached. A redirect (a preview never sends the browser anywhere) becomes the internal
/// error page.
pub fn frameable(lang: Lang, resp: HttpResponse) -> HttpResponse {
    let mut resp = if resp.status().is_redirection() {
        tracing::error!(status = %resp.status(), "a preview answered with a redirect");
        error_page(lang, StatusCode::INTERNAL_SERVER_ERROR, t(lang, "error.internal"))
    } else {
        resp
    };
    let headers = resp.headers_mut();
    headers.remove(header::SET_COOKIE);
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PREVIEW_CSP));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A dashboard page that embeds previews: the strict policy, with frames of our own origin.
pub fn embedding(mut resp: HttpResponse) -> HttpResponse {
    if resp.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(EMBEDDING_CSP));
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::CSP;

    fn directives(csp: &str) -> Vec<&str> {
        let mut d: Vec<&str> = csp.split(';').map(str::trim).collect();
        d.sort_unstable();
        d
    }

    /// The two policies are the strict one with only their own changes.
    #[test]
    fn policies_differ_from_the_strict_one_only_where_they_must() {
        let strict = directives(CSP);
        let framed = CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'");
        let mut want = directives(&framed);
        want.extend(["form-action 'none'", "sandbox allow-same-origin"]);
        want.sort_unstable();
        assert_eq!(directives(PREVIEW_CSP), want);
        let mut want = strict.clone();
        want.push("frame-src 'self'");
        want.sort_unstable();
        assert_eq!(directives(EMBEDDING_CSP), want);
        assert!(strict.contains(&"frame-ancestors 'none'"));
    }

    #[test]
    fn links_lead_to_previews_only() {
        let links = Links::new("/admin/pools/p/clients/c/preview".into(), Lang::Fr);
        assert_eq!(links.to_path("signup"), "/admin/pools/p/clients/c/preview/signup?lang=fr");
        assert_eq!(links.to_path("login"), "/admin/pools/p/clients/c/preview/login?lang=fr");
        assert_eq!(links.to_path("confirmForgotPassword"), "#");
        assert_eq!(links.to_path("mfa"), "#");
    }

    #[test]
    fn a_preview_sets_no_cookie_and_never_redirects() {
        let mut resp = HttpResponse::Ok().insert_header((header::CONTENT_SECURITY_POLICY, CSP)).finish();
        resp.add_cookie(&actix_web::cookie::Cookie::new("portcullis_csrf", "x")).unwrap();
        let resp = frameable(Lang::En, resp);
        assert!(resp.headers().get(header::SET_COOKIE).is_none());
        assert_eq!(resp.headers().get(header::X_FRAME_OPTIONS).unwrap(), "SAMEORIGIN");
        assert_eq!(resp.headers().get(header::CONTENT_SECURITY_POLICY).unwrap(), PREVIEW_CSP);
        let away = HttpResponse::Found().insert_header(("Location", "https://app.example/cb")).finish();
        let resp = frameable(Lang::En, away);
        assert_eq!(resp.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(resp.headers().get(header::LOCATION).is_none());
    }
}
