//! The second-factor pages: a code from the authenticator app or from e-mail (`/mfa`), the
//! choice between factors (`/mfa/select`), authenticator set-up with a server-rendered QR code
//! (`/mfa/setup`), and the one-time showing of recovery codes (`/mfa/setup/done` continues).
//! Each renders one challenge of the sign-in engine ([`crate::userpool::mfa`]).

use super::login::{
    Form, accept, field, finish, form_status as status, internal, login_page, message, or_internal, page, page_url,
};
use crate::i18n::t;
use crate::oauth::request::{AuthorizeParams, AuthorizeRequest};
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::mfa::{EMAIL_OTP, MFA_SETUP, SELECT_MFA_TYPE, SOFTWARE_TOKEN_MFA};
use crate::web::{PageContext, PoolContext};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "hosted_ui/mfa_code.html")]
struct CodePage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    challenge: &'a str,
    by_email: bool,
    destination: &'a str,
    error: Option<&'a str>,
}

struct Choice {
    value: &'static str,
    /// Catalogue key of the label.
    label: &'static str,
}

#[derive(Template)]
#[template(path = "hosted_ui/mfa_select.html")]
struct SelectPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    choices: Vec<Choice>,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "hosted_ui/mfa_setup.html")]
struct SetupPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    qr_svg: String,
    otpauth_uri: &'a str,
    secret: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "hosted_ui/recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    codes: Vec<String>,
}

/// A challenge the engine returned: its name, session and parameters.
pub(super) struct Pending<'a> {
    pub name: &'a str,
    pub session: &'a str,
    pub params: &'a Map<String, Value>,
}

/// Render the page for an MFA challenge.
pub(super) async fn challenge_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    pending: Pending<'_>,
    error: Option<&str>,
) -> HttpResponse {
    let Pending { name, session, params } = pending;
    match name {
        SOFTWARE_TOKEN_MFA | EMAIL_OTP => page(req, svc, ctx, status(error), |page| CodePage {
            page,
            action: page_url(ctx, r, "mfa"),
            session,
            challenge: name,
            by_email: name == EMAIL_OTP,
            destination: params.get("CODE_DELIVERY_DESTINATION").and_then(Value::as_str).unwrap_or(""),
            error,
        }),
        SELECT_MFA_TYPE => {
            let allowed: Vec<String> = params
                .get("MFAS_CAN_CHOOSE")
                .and_then(Value::as_str)
                .and_then(|s| serde_json::from_str(s).ok())
                .unwrap_or_default();
            let choices = [(SOFTWARE_TOKEN_MFA, "mfa.select.totp"), (EMAIL_OTP, "mfa.select.email")]
                .into_iter()
                .filter(|(v, _)| allowed.iter().any(|a| a == v))
                .map(|(value, label)| Choice { value, label })
                .collect();
            page(req, svc, ctx, status(error), |page| SelectPage {
                page,
                action: page_url(ctx, r, "mfa/select"),
                session,
                choices,
                error,
            })
        }
        MFA_SETUP => setup_page(req, svc, ctx, r, session, true, error).await,
        _ => internal(ctx.lang),
    }
}

async fn setup_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    session: &str,
    fresh: bool,
    error: Option<&str>,
) -> HttpResponse {
    let (uri, secret) = match svc.setup_details(&ctx.pool, &r.client, session, fresh).await {
        Ok(v) => v,
        Err(e) => return expired_or(req, svc, ctx, r, &e),
    };
    let qr_svg = match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .dark_color(qrcode::render::svg::Color("#1b1f24"))
            .light_color(qrcode::render::svg::Color("#ffffff"))
            .build(),
        Err(e) => {
            tracing::error!(error = ?e, "QR code rendering failed");
            String::new()
        }
    };
    page(req, svc, ctx, status(error), |page| SetupPage {
        page,
        action: page_url(ctx, r, "mfa/setup"),
        session,
        qr_svg,
        otpauth_uri: &uri,
        secret: &secret,
        error,
    })
}

/// A dead session sends the user back to sign in; other errors get the generic handling.
fn expired_or(req: &HttpRequest, svc: &Services, ctx: &PoolContext, r: &AuthorizeRequest, e: &Error) -> HttpResponse {
    match e {
        Error::NotAuthorized(_) => login_page(req, svc, ctx, r, "", message(ctx.lang, e).as_deref(), None),
        _ => or_internal(ctx.lang, e, "MFA", |m| crate::web::error_page(ctx.lang, StatusCode::BAD_REQUEST, m)),
    }
}

/// POST /mfa: the code of a SOFTWARE_TOKEN_MFA or EMAIL_OTP challenge, or a recovery code.
pub async fn submit_code(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: Form,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let (session, name) = (field(&form, "session"), field(&form, "challenge"));
    let mut responses = BTreeMap::new();
    match name {
        SOFTWARE_TOKEN_MFA if !field(&form, "recovery_code").is_empty() => {
            responses.insert("RECOVERY_CODE".to_string(), field(&form, "recovery_code").to_string());
        }
        SOFTWARE_TOKEN_MFA => {
            responses.insert("SOFTWARE_TOKEN_MFA_CODE".to_string(), field(&form, "code").to_string());
        }
        EMAIL_OTP => {
            responses.insert("EMAIL_OTP_CODE".to_string(), field(&form, "code").to_string());
        }
        _ => return crate::web::error_page(ctx.lang, StatusCode::BAD_REQUEST, t(ctx.lang, "error.not_a_sign_in")),
    }
    match svc.respond_mfa(&ctx.pool, &r.client, session, name, &responses, ctx.lang).await {
        Ok(outcome) => finish(&req, &svc, &ctx, &r, outcome).await,
        Err(e @ Error::CodeMismatch(_)) => {
            let mut params = Map::new();
            params.insert("CODE_DELIVERY_DESTINATION".into(), Value::String(field(&form, "destination").into()));
            let m = message(ctx.lang, &e);
            challenge_page(&req, &svc, &ctx, &r, Pending { name, session, params: &params }, m.as_deref()).await
        }
        Err(e) => expired_or(&req, &svc, &ctx, &r, &e),
    }
}

/// POST /mfa/select: which factor to use.
pub async fn submit_select(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: Form,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let responses = BTreeMap::from([("ANSWER".to_string(), field(&form, "answer").to_string())]);
    match svc.respond_mfa(&ctx.pool, &r.client, field(&form, "session"), SELECT_MFA_TYPE, &responses, ctx.lang).await {
        Ok(outcome) => finish(&req, &svc, &ctx, &r, outcome).await,
        Err(e) => expired_or(&req, &svc, &ctx, &r, &e),
    }
}

/// POST /mfa/setup: the first code from the new authenticator; shows the recovery codes.
pub async fn submit_setup(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: Form,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let session = field(&form, "session");
    match svc.verify_for_session(&ctx.pool, &r.client, session, field(&form, "code")).await {
        Ok(codes) => page(&req, &svc, &ctx, StatusCode::OK, |page| RecoveryCodesPage {
            page,
            action: page_url(&ctx, &r, "mfa/setup/done"),
            session,
            codes,
        }),
        Err(Error::EnableSoftwareTokenMfa(_)) => {
            let m = t(ctx.lang, "mfa.setup.wrong_code");
            setup_page(&req, &svc, &ctx, &r, session, false, Some(m)).await
        }
        Err(e) => expired_or(&req, &svc, &ctx, &r, &e),
    }
}

/// POST /mfa/setup/done: recovery codes saved; finish signing in.
pub async fn submit_setup_done(
    req: HttpRequest,
    q: crate::web::Query<AuthorizeParams>,
    form: Form,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let (ctx, r) = match accept(&req, &svc, &q, &form).await {
        Ok(v) => v,
        Err(resp) => return resp,
    };
    let session = field(&form, "session");
    match svc.respond_mfa(&ctx.pool, &r.client, session, MFA_SETUP, &BTreeMap::new(), ctx.lang).await {
        Ok(outcome) => finish(&req, &svc, &ctx, &r, outcome).await,
        Err(e) => expired_or(&req, &svc, &ctx, &r, &e),
    }
}
