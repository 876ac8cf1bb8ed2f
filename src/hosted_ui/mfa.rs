//! The second-factor pages: a code from the authenticator app or from e-mail (`/mfa`), the
//! choice between factors (`/mfa/select`), authenticator set-up with a server-rendered QR code
//! (`/mfa/setup`), and the one-time showing of recovery codes (`/mfa/setup/done` continues).
//! Each renders one challenge of the sign-in engine ([`crate::userpool::mfa`]).

use super::login::{
    Form, accept, field, finish, form_status as status, internal, login_page, message, or_internal, page, page_url,
};
use crate::authorization::request::{AuthorizeParams, AuthorizeRequest};
use crate::i18n::t;
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::step::{Answer, Challenge, MfaCode, MfaKind};
use crate::web::{PageContext, PoolContext};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
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
    /// The factor's challenge name (the form's value).
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

/// Render the page for a second-factor challenge.
pub(super) async fn challenge_page(
    req: &HttpRequest,
    svc: &Services,
    ctx: &PoolContext,
    r: &AuthorizeRequest,
    session: &str,
    challenge: &Challenge,
    error: Option<&str>,
) -> HttpResponse {
    match challenge {
        Challenge::Mfa { kind, destination } => page(req, svc, ctx, status(error), |page| CodePage {
            page,
            action: page_url(ctx, r, "mfa"),
            session,
            challenge: kind.challenge_name(),
            by_email: *kind == MfaKind::Email,
            destination: destination.as_deref().unwrap_or(""),
            error,
        }),
        Challenge::SelectMfa(allowed) => {
            let choices = [(MfaKind::SoftwareToken, "mfa.select.totp"), (MfaKind::Email, "mfa.select.email")]
                .into_iter()
                .filter(|(v, _)| allowed.contains(v))
                .map(|(kind, label)| Choice { value: kind.challenge_name(), label })
                .collect();
            page(req, svc, ctx, status(error), |page| SelectPage {
                page,
                action: page_url(ctx, r, "mfa/select"),
                session,
                choices,
                error,
            })
        }
        Challenge::MfaSetup(_) => setup_page(req, svc, ctx, r, session, true, error).await,
        Challenge::NewPassword { .. } => internal(ctx.lang),
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
    let session = field(&form, "session");
    let (code, recovery) = (field(&form, "code").to_string(), field(&form, "recovery_code"));
    let code = match MfaKind::from_challenge_name(field(&form, "challenge")) {
        Some(MfaKind::SoftwareToken) if !recovery.is_empty() => MfaCode::Recovery(recovery.to_string()),
        Some(MfaKind::SoftwareToken) => MfaCode::SoftwareToken(code),
        Some(MfaKind::Email) => MfaCode::Email(code),
        None => return crate::web::error_page(ctx.lang, StatusCode::BAD_REQUEST, t(ctx.lang, "error.not_a_sign_in")),
    };
    let kind = code.kind();
    match svc.respond(&ctx.pool, &r.client, session, &Answer::Mfa(code), ctx.lang).await {
        Ok(step) => finish(&req, &svc, &ctx, &r, step).await,
        Err(e @ Error::CodeMismatch(_)) => {
            let destination = Some(field(&form, "destination").to_string());
            let m = message(ctx.lang, &e);
            challenge_page(&req, &svc, &ctx, &r, session, &Challenge::Mfa { kind, destination }, m.as_deref()).await
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
    let answer = Answer::SelectMfa(field(&form, "answer").to_string());
    match svc.respond(&ctx.pool, &r.client, field(&form, "session"), &answer, ctx.lang).await {
        Ok(step) => finish(&req, &svc, &ctx, &r, step).await,
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
    match svc.respond(&ctx.pool, &r.client, session, &Answer::MfaSetupDone, ctx.lang).await {
        Ok(step) => finish(&req, &svc, &ctx, &r, step).await,
        Err(e) => expired_or(&req, &svc, &ctx, &r, &e),
    }
}
