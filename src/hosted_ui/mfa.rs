//! The second-factor pages' forms: a code from the authenticator app or from e-mail (`/mfa`),
//! the choice between factors (`/mfa/select`), the first code of a new authenticator
//! (`/mfa/setup`), after which its recovery codes show once (`/mfa/setup/done` continues).
//! Each answers one challenge of the sign-in engine ([`crate::userpool::mfa`]); the challenges'
//! pages are [`super::steps`]'s.

use super::kit::{CsrfForm, Fields, Flow, bad_request, field, message};
use super::steps::{challenge_page, expired_or, finish, setup_page};
use crate::i18n::t;
use crate::userpool::error::Error;
use crate::userpool::step::{Answer, Challenge, MfaCode, MfaKind};
use crate::web::PageContext;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

#[derive(Template)]
#[template(path = "hosted_ui/recovery_codes.html")]
struct RecoveryCodesPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    codes: Vec<String>,
}

/// Answer the challenge of `session`: the next step, or back to sign in when the session is dead.
async fn respond(flow: &Flow, session: &str, answer: &Answer) -> HttpResponse {
    match flow.svc.sign_in.respond(&flow.ctx.pool, &flow.request.client, session, answer, flow.caller()).await {
        Ok(step) => finish(flow, step).await,
        Err(e) => expired_or(flow, &e),
    }
}

/// POST /mfa: the code of a SOFTWARE_TOKEN_MFA or EMAIL_OTP challenge, or a recovery code.
pub async fn submit_code(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    let session = field(&form, "session");
    let (code, recovery) = (field(&form, "code").to_string(), field(&form, "recovery_code"));
    let code = match MfaKind::from_challenge_name(field(&form, "challenge")) {
        Some(MfaKind::SoftwareToken) if !recovery.is_empty() => MfaCode::Recovery(recovery.to_string()),
        Some(MfaKind::SoftwareToken) => MfaCode::SoftwareToken(code),
        Some(MfaKind::Email) => MfaCode::Email(code),
        None => return bad_request(ctx.lang, "error.not_a_sign_in"),
    };
    let kind = code.kind();
    let username = field(&form, "username");
    let answered = match &code {
        // A first factor's code may be for nobody: answered by name, like the API's.
        MfaCode::Email(c) => {
            svc.sign_in.respond_code(&ctx.pool, &r.client, session, (username, c), flow.caller()).await
        }
        _ => svc.sign_in.respond(&ctx.pool, &r.client, session, &Answer::Mfa(code), flow.caller()).await,
    };
    match answered {
        Ok(step) => finish(&flow, step).await,
        Err(e @ Error::CodeMismatch(_)) => {
            let destination = Some(field(&form, "destination").to_string());
            let m = message(ctx.lang, &e);
            challenge_page(&flow, (session, username), &Challenge::Mfa { kind, destination }, m.as_deref()).await
        }
        Err(e) => expired_or(&flow, &e),
    }
}

/// POST /mfa/select: which factor to use.
pub async fn submit_select(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    respond(&flow, field(&form, "session"), &Answer::SelectMfa(field(&form, "answer").to_string())).await
}

/// POST /mfa/setup: the first code from the new authenticator; shows the recovery codes.
pub async fn submit_setup(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    let session = field(&form, "session");
    match flow
        .svc
        .sign_in
        .verify_for_session(&flow.ctx.pool, &flow.request.client, session, field(&form, "code"), flow.source())
        .await
    {
        Ok(codes) => flow.page(StatusCode::OK, |page| RecoveryCodesPage {
            page,
            action: flow.url("mfa/setup/done"),
            session,
            codes,
        }),
        Err(Error::EnableSoftwareTokenMfa(_)) => {
            setup_page(&flow, session, false, Some(t(flow.ctx.lang, "mfa.setup.wrong_code"))).await
        }
        Err(e) => expired_or(&flow, &e),
    }
}

/// POST /mfa/setup/done: recovery codes saved; finish signing in.
pub async fn submit_setup_done(flow: Flow, form: CsrfForm<Fields>) -> HttpResponse {
    respond(&flow, field(&form, "session"), &Answer::MfaSetupDone).await
}
