//! Signing in without a password on the hosted pages, and the user's passkeys: "Email me a code"
//! and "Sign in with a passkey" from the sign-in page (USER_AUTH's EMAIL_OTP and WEB_AUTHN,
//! [`crate::userpool::user_auth`]), the passkey page that runs the WebAuthn ceremony
//! (`POST /passkey`), and `/passkeys`, where a signed-in user adds and removes passkeys; right
//! after a sign-in without one, the pages offer it there before going back to the app.
//!
//! The WebAuthn ceremony is the one piece of JavaScript of the hosted pages: `static/passkey.js`,
//! served from this server and allowed by `script-src 'self'` on these pages only. The options
//! travel in a `data-` attribute (escaped like any other), the answer in a hidden field of a
//! plain form, so the server's checks are those of the API.

use super::kit::{CsrfForm, Fields, Flow, field, message, or_internal};
use super::steps::{code_page, finish, login_page};
use crate::i18n::t;
use crate::userpool::error::Error;
use crate::userpool::passkeys::PasskeyDescription;
use crate::userpool::step::{Challenge, MfaKind, SignInStep};
use crate::userpool::user_auth::{FirstFactor, UserAuthAttempt, UserAuthStep, pool_factors};
use crate::web::{PageContext, SESSION_COOKIE, redirect};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_SECURITY_POLICY, HeaderValue};
use askama::Template;

const SCRIPT: &str = include_str!("../../static/passkey.js");

/// `/static/passkey.js`.
pub async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(SCRIPT)
}

/// The pages that load `passkey.js` get [`crate::web::CSP_WITH_SCRIPT`].
fn with_script(mut resp: HttpResponse) -> HttpResponse {
    resp.headers_mut().insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(crate::web::CSP_WITH_SCRIPT));
    resp
}

/// Whether the sign-in page offers "Email me a code": the engine offers the factor.
pub fn offers_email_code(flow: &Flow) -> bool {
    pool_factors(&flow.ctx.pool).contains(&FirstFactor::EmailOtp)
}

/// Whether the sign-in page offers "Sign in with a passkey": the engine offers the factor.
pub fn offers_passkeys(flow: &Flow) -> bool {
    pool_factors(&flow.ctx.pool).contains(&FirstFactor::WebAuthn)
}

#[derive(Template)]
#[template(path = "hosted_ui/passkey_sign_in.html")]
struct PasskeySignInPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    username: &'a str,
    options: String,
    back: String,
}

/// "Email me a code" or "Sign in with a passkey" from the sign-in page (`factor`: EMAIL_OTP or
/// WEB_AUTHN). Like the password form, it never tells whether the name is a user's.
pub async fn start(flow: &Flow, username: &str, factor: &'static str) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    if username.is_empty() {
        return login_page(flow, "", Some(t(ctx.lang, "login.enter_username")), None);
    }
    let attempt =
        UserAuthAttempt { username, factor: Some(factor), password: None, srp_a: None, metadata: None, hide: true };
    match svc.sign_in.user_auth_start(&ctx.pool, &r.client, attempt, flow.caller()).await {
        Ok(UserAuthStep::Step(SignInStep::Challenge {
            session,
            user,
            challenge: Challenge::Mfa { destination, .. },
        })) => code_page(
            flow,
            (&session, user.username.as_str()),
            MfaKind::Email,
            destination.as_deref().unwrap_or(""),
            None,
        ),
        Ok(UserAuthStep::Code { session, username, destination }) => {
            code_page(flow, (&session, &username), MfaKind::Email, &destination, None)
        }
        Ok(UserAuthStep::Passkey { session, username, options }) => {
            with_script(flow.page(StatusCode::OK, |page| PasskeySignInPage {
                page,
                action: flow.url("passkey"),
                session: &session,
                username: &username,
                options: options.to_string(),
                back: flow.url("login"),
            }))
        }
        Ok(UserAuthStep::Step(step)) => finish(flow, step).await,
        Ok(UserAuthStep::Select { .. } | UserAuthStep::Srp(_)) => {
            login_page(flow, username, Some(t(ctx.lang, "login.enter_username_password")), None)
        }
        Err(e) => or_internal(ctx.lang, &e, "passwordless sign-in", |m| login_page(flow, username, Some(m), None)),
    }
}

/// POST /passkey: the passkey's answer to the challenge.
pub async fn respond(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let answer = (field(&form, "username"), field(&form, "credential"));
    let session = field(&form, "session");
    match svc.sign_in.respond_passkey(&ctx.pool, &r.client, session, answer, flow.caller()).await {
        Ok(step) => finish(&flow, step).await,
        Err(e @ (Error::NotAuthorized(_) | Error::InvalidParameter(_))) => {
            login_page(&flow, answer.0, message(ctx.lang, &e).as_deref().or(Some(t(ctx.lang, "passkey.failed"))), None)
        }
        Err(e) => or_internal(ctx.lang, &e, "passkey sign-in", |m| login_page(&flow, answer.0, Some(m), None)),
    }
}

#[derive(Template)]
#[template(path = "hosted_ui/passkeys.html")]
struct PasskeysPage<'a> {
    page: PageContext,
    offer: bool,
    notice: Option<&'a str>,
    error: Option<&'a str>,
    passkeys: Vec<PasskeyDescription>,
    add_action: String,
    delete_action: String,
    options: String,
    continue_url: String,
}

/// The signed-in user of this pool (the hosted session), if any.
async fn session_user(flow: &Flow) -> Option<crate::store::users::UserRow> {
    let token = flow.req.cookie(SESSION_COOKIE)?;
    let found = flow.svc.sign_in.current_session(&flow.ctx.pool, token.value()).await.ok().flatten();
    found.map(|(user, _)| user)
}

/// Where the user goes on from the passkeys page: back through `/oauth2/authorize`, which the
/// live session answers at once with the app's redirect.
fn continue_url(flow: &Flow) -> String {
    flow.authorize_url(&flow.request.params)
}

async fn passkeys_page(flow: &Flow, offer: bool, notice: Option<&str>, error: Option<&str>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let Some(user) = session_user(flow).await else {
        return redirect(&flow.url("login"));
    };
    let listed = svc.sign_in.list_passkeys(&user).await;
    let started = svc.sign_in.start_passkey_registration(&ctx.pool, r.client.id.as_str(), &user).await;
    let (passkeys, options) = match (listed, started) {
        (Ok(list), Ok(options)) => (list, options.to_string()),
        (Ok(list), Err(Error::LimitExceeded(_))) => (list, String::new()),
        (Err(e), _) | (_, Err(e)) => {
            return or_internal(ctx.lang, &e, "passkeys", |m| login_page(flow, "", Some(m), None));
        }
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    with_script(flow.page(status, |page| PasskeysPage {
        page,
        offer,
        notice,
        error,
        passkeys,
        add_action: flow.url("passkeys/add"),
        delete_action: flow.url("passkeys/delete"),
        options,
        continue_url: continue_url(flow),
    }))
}

/// The cookie that remembers the browser was offered a passkey: it is offered again a month on.
const OFFERED_COOKIE: &str = "portcullis_passkey_offered";
const OFFER_AGAIN_SECS: i64 = 30 * 24 * 3600;

/// GET /passkeys: the user's passkeys, to add or remove; `offer=1` after a sign-in (noted in
/// the browser, so the offer does not come at every sign-in).
pub async fn show(flow: Flow, q: crate::web::Query<OfferQuery>) -> HttpResponse {
    let offer = q.offer.as_deref() == Some("1");
    let mut resp = passkeys_page(&flow, offer, None, None).await;
    if offer && resp.status() == StatusCode::OK {
        let path = &flow.ctx.cookie_path;
        let noted = crate::web::cookie(&flow.svc, OFFERED_COOKIE, "1".into(), path, Some(OFFER_AGAIN_SECS));
        let _ = resp.add_cookie(&noted);
    }
    resp
}

#[derive(serde::Deserialize)]
pub struct OfferQuery {
    offer: Option<String>,
}

/// POST /passkeys/add: the new passkey (the ceremony's answer), for the signed-in user.
pub async fn add(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let Some(user) = session_user(&flow).await else {
        return redirect(&flow.url("login"));
    };
    let credential: serde_json::Value = serde_json::from_str(field(&form, "credential")).unwrap_or_default();
    match svc.sign_in.complete_passkey_registration(&ctx.pool, r.client.id.as_str(), &user, &credential).await {
        Ok(()) => passkeys_page(&flow, false, Some(t(ctx.lang, "passkeys.added")), None).await,
        Err(e @ Error::Internal(_)) => {
            or_internal(ctx.lang, &e, "passkey registration", |m| login_page(&flow, "", Some(m), None))
        }
        Err(e) => {
            tracing::info!(error = %e, "a hosted passkey registration was refused");
            passkeys_page(&flow, false, None, Some(t(ctx.lang, "passkey.failed"))).await
        }
    }
}

/// POST /passkeys/delete: remove one of the signed-in user's passkeys.
pub async fn delete(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let Some(user) = session_user(&flow).await else {
        return redirect(&flow.url("login"));
    };
    let lang = flow.ctx.lang;
    match flow.svc.sign_in.delete_passkey(&user, field(&form, "credential_id")).await {
        Ok(()) => passkeys_page(&flow, false, Some(t(lang, "passkeys.removed")), None).await,
        Err(e) => passkeys_page(&flow, false, None, message(lang, &e).as_deref()).await,
    }
}

/// After a hosted sign-in: whether to offer a passkey before going back to the app (the pool
/// allows them, the user has none, this browser was not offered one in the last month, and the
/// request does not ask to sign in afresh, which the way back through `/oauth2/authorize` would
/// ask again).
pub async fn should_offer(flow: &Flow, user: &crate::store::users::UserRow) -> bool {
    let params = &flow.request.params;
    offers_passkeys(flow)
        && flow.preview.is_none()
        && flow.req.cookie(OFFERED_COOKIE).is_none()
        && params.prompt.is_none()
        && params.max_age.as_deref().is_none_or(str::is_empty)
        && matches!(flow.svc.sign_in.has_passkeys(user).await, Ok(false))
}

/// The offer's address.
pub fn offer_url(flow: &Flow) -> String {
    format!("{}&offer=1", flow.url("passkeys"))
}
