//! The second-factor pages: a code from the authenticator app or from e-mail (`/mfa`), the
//! choice between factors (`/mfa/select`), authenticator set-up with a server-rendered QR code
//! (`/mfa/setup`), and the one-time showing of recovery codes (`/mfa/setup/done` continues).
//! Each renders one challenge of the sign-in engine ([`crate::userpool::mfa`]).

use super::kit::{Form, accept, field, message, page, page_url};
use super::steps::{challenge_page, expired_or, finish, setup_page};
use crate::authorization::request::AuthorizeParams;
use crate::i18n::t;
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::step::{Answer, Challenge, MfaCode, MfaKind};
use crate::web::PageContext;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use std::sync::Arc;

#[derive(Template)]
#[template(path = "hosted_ui/recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    codes: Vec<String>,
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
