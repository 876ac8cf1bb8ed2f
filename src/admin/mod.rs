//! The operators' dashboard at `{PUBLIC_URL}/admin`: plain server-rendered pages (askama) that
//! work without JavaScript, signed in through the system pool's own hosted UI ([`sign_in`]).
//!
//! Every handler states what it needs in its signature, and the extractor enforces it on the
//! server before the handler runs:
//! - [`Access<N>`] for a page (GET): a live dashboard session whose role is at least `N`'s;
//!   without a session the browser is sent to sign in.
//! - [`Change<N>`] for a change (POST): the same, plus the form's CSRF token, which belongs to
//!   the session (so a token from another session, or from before a sign-out, is refused). A
//!   refused change answers 4xx and changes nothing.
//!
//! The needs are [`Read`] (viewers), [`ManageUsers`] (operators: users, groups, sessions) and
//! [`Configure`] (admins: pools, clients, keys, IAM, providers).

mod bulk;
mod charts;
mod clients;
mod events;
mod export;
mod fields;
mod groups;
mod identity;
mod integrations;
mod operators;
mod outbox;
mod pools;
mod previews;
mod settings;
mod sign_in;
mod upload;
mod user_access;
mod users;

pub use fields::Fields;
pub use sign_in::BackChannel;

use crate::operators::{Role, Signed};
use crate::services::Services;
use actix_web::dev::Payload;
use actix_web::error::InternalError;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;
use std::sync::Arc;

/// The dashboard's session cookie (path `/admin`).
pub const SESSION_COOKIE: &str = "portcullis_admin";
/// The sign-in in progress: state, nonce, PKCE verifier and return path, sealed.
pub const LOGIN_COOKIE: &str = "portcullis_admin_login";

/// The dashboard's routes; `previews` renders the hosted pages its branding previews show
/// (the hosted UI's renderer, handed over by startup: the dashboard imports no other surface).
pub fn configure(cfg: &mut web::ServiceConfig, previews: crate::web::preview::Previews) {
    cfg.app_data(web::Data::new(previews));
    cfg.route("/admin", web::get().to(pools::overview))
        .route("/admin/", web::get().to(pools::overview))
        .route("/admin/callback", web::get().to(sign_in::callback))
        .route("/admin/sign-out", web::post().to(sign_in::sign_out))
        .route("/admin/signed-out", web::get().to(sign_in::signed_out))
        .route("/admin/static/admin.css", web::get().to(css))
        .route("/admin/events", web::get().to(events::log))
        .route("/admin/operators", web::get().to(operators::list))
        .route("/admin/operators", web::post().to(operators::create))
        .route("/admin/operators/{username}/{action}", web::post().to(operators::act))
        .route("/admin/outbox", web::get().to(outbox::list))
        .route("/admin/outbox/{name}", web::get().to(outbox::show))
        .route("/admin/events/export/{format}", web::get().to(events::export))
        .route("/admin/pools", web::get().to(pools::list))
        .route("/admin/pools", web::post().to(pools::create))
        .route("/admin/pools/{pool}", web::get().to(pools::show))
        .route("/admin/pools/{pool}/clients", web::post().to(pools::create_client))
        .route("/admin/pools/{pool}/clients/{client}", web::get().to(clients::show))
        .route("/admin/pools/{pool}/clients/{client}", web::post().to(clients::save))
        .route("/admin/pools/{pool}/clients/{client}/delete", web::post().to(clients::delete))
        .route("/admin/pools/{pool}/clients/{client}/branding", web::post().to(clients::branding))
        .route("/admin/pools/{pool}/clients/{client}/logo", web::post().to(clients::logo))
        .route("/admin/pools/{pool}/clients/{client}/preview/{page}", web::get().to(previews::show))
        .route("/admin/pools/{pool}/integrations", web::get().to(integrations::show))
        .route("/admin/pools/{pool}/integrations/{what}", web::post().to(integrations::change))
        .route("/admin/pools/{pool}/settings", web::get().to(settings::show))
        .route("/admin/pools/{pool}/settings", web::post().to(settings::save))
        .route("/admin/pools/{pool}/attributes", web::post().to(settings::add_attributes))
        .route("/admin/pools/{pool}/users", web::get().to(users::list))
        .route("/admin/pools/{pool}/users", web::post().to(users::create))
        .route("/admin/pools/{pool}/bulk", web::post().to(bulk::run))
        .route("/admin/pools/{pool}/export-users", web::get().to(export::download))
        .route("/admin/pools/{pool}/export-users", web::post().to(export::download_with_hashes))
        .route("/admin/pools/{pool}/groups", web::get().to(groups::list))
        .route("/admin/pools/{pool}/groups", web::post().to(groups::create))
        .route("/admin/pools/{pool}/groups/{name}", web::get().to(groups::show))
        .route("/admin/pools/{pool}/groups/{name}/delete", web::post().to(groups::delete))
        .route("/admin/pools/{pool}/keys", web::get().to(groups::keys))
        .route("/admin/pools/{pool}/keys/rotate", web::post().to(groups::rotate))
        .route("/admin/pools/{pool}/keys/retire", web::post().to(groups::retire))
        .route("/admin/pools/{pool}/users/{username}", web::get().to(users::show))
        .route("/admin/pools/{pool}/users/{username}/{action}", web::post().to(users::act));
    identity::configure(cfg);
}

const CSS: &str = include_str!("../../static/admin.css");

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS)
}

/// What a handler needs the operator's role to be.
pub trait Need {
    const ROLE: Role;
}

/// Read any page: viewers and up.
pub struct Read;
/// Change users, groups and sessions: operators and up.
pub struct ManageUsers;
/// Change pools, clients, keys, IAM and providers: admins.
pub struct Configure;

impl Need for Read {
    const ROLE: Role = Role::Viewer;
}
impl Need for ManageUsers {
    const ROLE: Role = Role::Operator;
}
impl Need for Configure {
    const ROLE: Role = Role::Admin;
}

/// A page request from a signed-in operator whose role meets `N`.
pub struct Access<N: Need> {
    pub req: HttpRequest,
    pub svc: Arc<Services>,
    pub op: Signed,
    need: PhantomData<N>,
}

/// A change (a posted form) from a signed-in operator whose role meets `N`, with the session's
/// CSRF token.
pub struct Change<N: Need> {
    pub req: HttpRequest,
    pub svc: Arc<Services>,
    pub op: Signed,
    pub form: Fields,
    need: PhantomData<N>,
}

fn refused(resp: HttpResponse) -> actix_web::Error {
    InternalError::from_response("the dashboard refused the request", resp).into()
}

/// The session of a dashboard request, or the answer that refuses it: on a host other than
/// `PUBLIC_URL`'s (a pool domain) there is no dashboard; a page without a session starts the
/// sign-in; anything else without one is refused.
async fn signed(req: &HttpRequest, svc: &Services, role: Role) -> Result<Signed, HttpResponse> {
    if !on_public_host(req, svc) {
        return Err(message(StatusCode::NOT_FOUND, "Not found", "There is no page at this address."));
    }
    let raw = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    let session = match svc.operators.session(&raw).await {
        Ok(s) => s,
        Err(e) => return Err(internal(e)),
    };
    let Some(op) = session else {
        return Err(if req.method() == actix_web::http::Method::GET {
            sign_in::start(req, svc).await
        } else {
            message(
                StatusCode::UNAUTHORIZED,
                "Signed out",
                "Your session has ended. Sign in again and repeat the change.",
            )
        });
    };
    match op.role {
        Some(r) if r >= role => Ok(op),
        Some(_) => Err(message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!("Your role does not allow this. It needs the {} group.", role.group()),
        )),
        None => Err(message(
            StatusCode::FORBIDDEN,
            "No dashboard role",
            "Your account is in none of the groups admins, operators or viewers. Ask an administrator to add it.",
        )),
    }
}

/// The session of a posted form, as [`signed`], and the form's CSRF token checked against it:
/// every kind of change (urlencoded or multipart) goes through here.
async fn signed_form(req: &HttpRequest, svc: &Services, role: Role, form: &Fields) -> Result<Signed, actix_web::Error> {
    let op = signed(req, svc, role).await.map_err(refused)?;
    let raw = req.cookie(SESSION_COOKIE).map(|c| c.value().to_string()).unwrap_or_default();
    if !svc.operators.csrf_matches(&raw, form.get("_csrf")) {
        return Err(refused(message(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form does not belong to your session. Reload the page and try again.",
        )));
    }
    Ok(op)
}

fn on_public_host(req: &HttpRequest, svc: &Services) -> bool {
    let host = crate::web::client::host(req, &svc.config).to_ascii_lowercase();
    url::Url::parse(&svc.config.public_url).is_ok_and(|u| {
        let expected = match (u.host_str(), u.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            _ => return false,
        };
        host == expected.to_ascii_lowercase()
    })
}

impl<N: Need + 'static> FromRequest for Access<N> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let svc = web::Data::<Arc<Services>>::extract(&req).await?.get_ref().clone();
            let op = signed(&req, &svc, N::ROLE).await.map_err(refused)?;
            Ok(Access { req, svc, op, need: PhantomData })
        })
    }
}

impl<N: Need + 'static> FromRequest for Change<N> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let body = web::Bytes::from_request(&req, payload);
        Box::pin(async move {
            let svc = web::Data::<Arc<Services>>::extract(&req).await?.get_ref().clone();
            let bad_form = || message(StatusCode::BAD_REQUEST, "Unreadable form", "The form could not be read.");
            let body = body.await.map_err(|_| refused(bad_form()))?;
            let form = Fields::parse(&body).ok_or_else(|| refused(bad_form()))?;
            let op = signed_form(&req, &svc, N::ROLE, &form).await?;
            Ok(Change { req, svc, op, form, need: PhantomData })
        })
    }
}

/// A dashboard request (`R`: [`Access`] or [`Change`]) about the object its path names, `T`: the
/// user pool of `{pool}` or the identity pool of `{id}`. `R` is extracted first, so nobody learns
/// whether a pool exists before the session, the role and the CSRF token are checked; then the
/// object is loaded, or the request is answered with the not-found page.
pub struct Within<T, R> {
    pub inner: R,
    pub pool: T,
}

/// A request about the user pool of the path's `{pool}`.
pub type InPool<R> = Within<crate::userpool::model::Pool, R>;
/// A request about the identity pool of the path's `{id}`.
pub type InIdentityPool<R> = Within<crate::identity_pools::pools::IdentityPool, R>;

impl<T, R> Within<T, R> {
    /// The request and the object.
    pub fn into_parts(self) -> (R, T) {
        (self.inner, self.pool)
    }
}

/// What a path segment names, loaded for a dashboard request.
pub trait PathObject: Sized {
    /// The route's segment that holds the id.
    const SEGMENT: &'static str;
    /// The object, or the page that answers the request (not found, or the 500 page).
    fn load(svc: &Services, raw: &str) -> impl std::future::Future<Output = Result<Self, HttpResponse>>;
}

impl PathObject for crate::userpool::model::Pool {
    const SEGMENT: &'static str = "pool";
    fn load(svc: &Services, raw: &str) -> impl std::future::Future<Output = Result<Self, HttpResponse>> {
        pools::path_pool(svc, raw)
    }
}

impl PathObject for crate::identity_pools::pools::IdentityPool {
    const SEGMENT: &'static str = "id";
    fn load(svc: &Services, raw: &str) -> impl std::future::Future<Output = Result<Self, HttpResponse>> {
        identity::path_pool(svc, raw)
    }
}

/// The dashboard extractors that carry the services.
pub trait Dashboard {
    fn services(&self) -> &Arc<Services>;
}

impl<N: Need> Dashboard for Access<N> {
    fn services(&self) -> &Arc<Services> {
        &self.svc
    }
}

impl<N: Need> Dashboard for Change<N> {
    fn services(&self) -> &Arc<Services> {
        &self.svc
    }
}

impl<T, R> FromRequest for Within<T, R>
where
    T: PathObject + 'static,
    R: FromRequest<Error = actix_web::Error> + Dashboard + 'static,
    R::Future: 'static,
{
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let inner = R::from_request(req, payload);
        // Decoded in full, as `web::Path` decodes it.
        let raw = req.match_info().get(T::SEGMENT).unwrap_or_default();
        let raw = percent_encoding::percent_decode_str(raw).decode_utf8_lossy().into_owned();
        Box::pin(async move {
            let inner = inner.await?;
            let pool = T::load(inner.services(), &raw).await.map_err(refused)?;
            Ok(Within { inner, pool })
        })
    }
}

impl<N: Need> Change<N> {
    /// Record this change, once it succeeded, in the audit trail: the operator, the action (the
    /// Cognito action it corresponds to), the target and what changed (secret-named members
    /// are redacted by the event log).
    pub async fn audit(
        &self,
        pool: Option<&crate::ids::PoolId>,
        action: &str,
        target: String,
        details: serde_json::Value,
    ) {
        self.record(pool, action, target, None, details).await
    }

    /// [`Change::audit`] of a change to one user (it shows on the user's timeline).
    pub async fn audit_user(
        &self,
        pool: &crate::ids::PoolId,
        action: &str,
        user: (&crate::ids::UserSub, &str),
        details: serde_json::Value,
    ) {
        self.record(Some(pool), action, format!("user:{}", user.1), Some(user.0.clone()), details).await
    }

    async fn record(
        &self,
        pool: Option<&crate::ids::PoolId>,
        action: &str,
        target: String,
        user_sub: Option<crate::ids::UserSub>,
        details: serde_json::Value,
    ) {
        let mut e = crate::events::AuditEvent::new(pool, action, &format!("dashboard:{}", self.op.username));
        e.target = Some(target);
        e.user_sub = user_sub;
        e.ip = Some(crate::web::client::client_ip(&self.req, &self.svc.config));
        e.details = details;
        self.svc.events.record_audit(e).await;
    }
}

/// What every dashboard page's layout shows: who is signed in, their role, the CSRF token of
/// their forms, the section to highlight, and a notice after a change.
pub struct Layout {
    pub username: String,
    pub role: &'static str,
    pub csrf: String,
    pub section: &'static str,
    pub notice: Option<String>,
    pub can_manage_users: bool,
    pub can_configure: bool,
}

impl Layout {
    pub fn of(op: &Signed, section: &'static str, notice: Option<String>) -> Self {
        let role = op.role.unwrap_or(Role::Viewer);
        Layout {
            username: op.username.clone(),
            role: role.group(),
            csrf: op.csrf.clone(),
            section,
            notice,
            can_manage_users: role >= Role::Operator,
            can_configure: role >= Role::Admin,
        }
    }
}

/// The dashboard's security policy: the strict CSP of every page, and no caching.
pub fn page<T: Template>(status: StatusCode, page: &T) -> HttpResponse {
    crate::web::render(status, page)
}

#[derive(Template)]
#[template(path = "admin/message.html")]
struct MessagePage<'a> {
    title: &'a str,
    text: &'a str,
}

/// A page with a title and one sentence (refusals, errors, "signed out").
pub fn message(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    page(status, &MessagePage { title, text })
}

/// A service failure the operator cannot fix: logged, and a 500 page, or 503 with `Retry-After`
/// while the database is unavailable.
pub fn internal(e: impl Into<anyhow::Error>) -> HttpResponse {
    let e: anyhow::Error = e.into();
    if crate::store::unavailable(&e) {
        tracing::warn!(error = %e, "dashboard: the database is unavailable");
        let mut resp = message(
            StatusCode::SERVICE_UNAVAILABLE,
            "The database is unavailable",
            "Portcullis cannot reach its database right now. Try again in a moment.",
        );
        resp.headers_mut().insert(
            actix_web::http::header::RETRY_AFTER,
            actix_web::http::header::HeaderValue::from(crate::store::RETRY_AFTER_SECS),
        );
        return resp;
    }
    tracing::error!(error = ?e, "dashboard request failed");
    message(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong", "The request failed. Try again in a moment.")
}

/// After a change: back to `location` with a notice (one of a fixed set, never free text).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", location)).insert_header(("Cache-Control", "no-store")).finish()
}

/// Percent-encode one path segment (usernames may hold `@`, `+`, spaces).
pub fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}
