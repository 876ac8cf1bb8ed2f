//! The two extractors every hosted page starts with: [`Flow`], the authorization request the
//! page continues, validated for the request's pool, and [`CsrfForm`], a posted form whose CSRF
//! token matches the browser's cookie. A refusal is the finished page (or redirect) as an error
//! that carries it. Put together, they answer in the pages' order ([`super::sequence`]). A
//! flow may also be a dashboard preview's ([`Flow::preview`]), built from the client alone.

use super::csrf_failed;
use super::sequence::{FlowTurn, TokenTurn};
use crate::authorization::request::{AuthorizeError, AuthorizeParams, AuthorizeRequest};
use crate::i18n::{t, tf};
use crate::services::Services;
use crate::userpool::branding::logo_extension;
use crate::userpool::model::Client;
use crate::userpool::terms::PageTerms;
use crate::web::preview::{Links, Preview};
use crate::web::{Brand, PoolContext, csrf_ok, error_page, pool_context, reject, request_lang};
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A hosted page's request: its pool (with the page's language and the client's branding) and
/// the authorization request it continues, with what answers it (the request, the services).
pub struct Flow {
    pub req: HttpRequest,
    pub svc: Arc<Services>,
    pub ctx: PoolContext,
    pub request: AuthorizeRequest,
    /// A dashboard preview of the page ([`Flow::preview`]): its links lead to the other
    /// previews and it sets no cookie.
    pub preview: Option<Links>,
    /// The client's terms documents in the page's language (the sign-up and sign-in pages
    /// link them).
    pub terms: PageTerms,
}

/// A refusal: the response the client reads, as the extractor's error.
fn refused(resp: HttpResponse) -> actix_web::Error {
    InternalError::from_response("the hosted page refused the request", resp).into()
}

impl Flow {
    /// Validate `params` for the request's pool; the pool-not-found page, or the authorization
    /// request's own page or redirect ([`reject`]), otherwise.
    pub async fn validate(
        req: &HttpRequest,
        svc: &Arc<Services>,
        params: &AuthorizeParams,
    ) -> Result<Flow, HttpResponse> {
        let mut ctx = pool_context(req, svc).await.map_err(|e| e.error_response())?;
        let request = svc.authorization.validate_authorize(&ctx.pool, params).await.map_err(|e| reject(ctx.lang, e))?;
        ctx.brand = brand(svc, &ctx, &request.client).await;
        let terms = terms(svc, &ctx, &request.client).await;
        Ok(Flow { req: req.clone(), svc: svc.clone(), ctx, request, preview: None, terms })
    }

    /// The flow a user of `p.client` starts from the app ([`AuthorizeParams::sample`]),
    /// validated as every page validates it, with the client's branding, as a dashboard preview.
    /// The pages are linked under `{PUBLIC_URL}/{poolId}` whatever the pool's domain, so the
    /// branding loads from the dashboard's origin. Nothing is written: validating reads. When a
    /// user would meet an error instead of the page, that error's page (never a redirect).
    pub async fn preview(req: &HttpRequest, svc: &Arc<Services>, p: &Preview) -> Result<Flow, HttpResponse> {
        let lang = p.links.lang();
        let refused = |text: String| error_page(lang, StatusCode::BAD_REQUEST, &text);
        let params = AuthorizeParams::sample(&p.client, lang.code())
            .ok_or_else(|| refused(t(lang, "error.preview_unavailable").into()))?;
        let mut ctx = PoolContext::path_style(svc, p.pool.clone(), lang);
        let request = svc.authorization.validate_authorize(&ctx.pool, &params).await.map_err(|e| match e {
            AuthorizeError::Page(key) => refused(t(lang, key).into()),
            AuthorizeError::Redirect(url) => {
                let error = url::Url::parse(&url)
                    .ok()
                    .and_then(|u| u.query_pairs().find(|(k, _)| k == "error").map(|(_, v)| v.into_owned()))
                    .unwrap_or_default();
                refused(tf(lang, "error.preview_refused", "detail", &error))
            }
        })?;
        ctx.brand = brand(svc, &ctx, &request.client).await;
        let terms = terms(svc, &ctx, &request.client).await;
        Ok(Flow { req: req.clone(), svc: svc.clone(), ctx, request, preview: Some(p.links.clone()), terms })
    }
}

/// The query (control characters refused, as [`crate::web::Query`]), then the pool and the
/// authorization request.
impl FromRequest for Flow {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let turn = FlowTurn::take(req);
        let query = crate::web::Query::<AuthorizeParams>::from_request(req, payload).into_inner();
        Box::pin(validated(req.clone(), turn, query))
    }
}

/// The flow's checks, in the flow's turn.
async fn validated(
    req: HttpRequest,
    turn: FlowTurn,
    query: Result<crate::web::Query<AuthorizeParams>, actix_web::Error>,
) -> Result<Flow, actix_web::Error> {
    let params = query?;
    turn.start().await;
    let svc = web::Data::<Arc<Services>>::extract(&req).await?;
    let flow = Flow::validate(&req, &svc, &params).await.map_err(refused)?;
    turn.valid().await;
    Ok(flow)
}

/// The branding a page of `client` links. A failed lookup leaves the page unbranded.
async fn brand(svc: &Services, ctx: &PoolContext, client: &Client) -> Brand {
    match svc.user_pools.page_branding(&ctx.pool.id, &client.id).await {
        Ok(Some(b)) => Brand {
            css_url: b.has_css.then(|| format!("{}/ui/css/{}.css?v={}", ctx.base_url, b.client_id, b.version)),
            logo_url: b.image_type.as_deref().map(|kind| {
                format!("{}/ui/logo/{}.{}?v={}", ctx.base_url, b.client_id, logo_extension(kind), b.version)
            }),
            logo_alt: crate::i18n::tf(ctx.lang, "brand.logo_alt", "client", &client.name),
        },
        Ok(None) => Brand::default(),
        Err(e) => {
            tracing::warn!(error = ?e, "branding lookup failed; page left unbranded");
            Brand::default()
        }
    }
}

/// The terms documents a page of `client` links. A failed lookup leaves them unlinked.
async fn terms(svc: &Services, ctx: &PoolContext, client: &Client) -> PageTerms {
    svc.user_pools.page_terms(&client.id, ctx.lang).await.unwrap_or_else(|e| {
        tracing::warn!(error = ?e, "terms lookup failed; page shows no terms");
        PageTerms::default()
    })
}

/// A form that carries the page's CSRF token (its `_csrf` field).
pub trait WithCsrf {
    fn csrf_token(&self) -> &str;
}

impl WithCsrf for BTreeMap<String, String> {
    fn csrf_token(&self) -> &str {
        self.get("_csrf").map(String::as_str).unwrap_or_default()
    }
}

/// A posted form (read as [`crate::web::Form`]) whose token matches the browser's CSRF cookie;
/// the 403 page otherwise. After a [`Flow`], the token is checked once the flow is valid.
pub struct CsrfForm<T>(pub T);

impl<T> std::ops::Deref for CsrfForm<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + WithCsrf + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let turn = TokenTurn::take(req);
        Box::pin(checked(req.clone(), turn, crate::web::Form::<T>::from_request(req, payload)))
    }
}

/// The form read, then its token checked in the token's turn.
async fn checked<T: WithCsrf>(
    req: HttpRequest,
    turn: TokenTurn,
    form: impl Future<Output = Result<crate::web::Form<T>, actix_web::Error>>,
) -> Result<CsrfForm<T>, actix_web::Error> {
    let form = form.await?.into_inner();
    turn.read().await;
    turn.start().await;
    let svc = web::Data::<Arc<Services>>::extract(&req).await?;
    if !csrf_ok(&req, &svc, form.csrf_token()) {
        return Err(refused(csrf_failed(request_lang(&req))));
    }
    Ok(CsrfForm(form))
}
