//! The pages of the sign-in engine's steps ([`crate::userpool::step`]), whichever page the step
//! comes from: the sign-in page, the session and the redirect back to the app once signed in
//! ([`finish`]), the new-password page, the second-factor pages (a code, the choice of factor,
//! authenticator set-up with a server-rendered QR code), and the way to the confirmation page
//! for an account not yet confirmed.

use super::kit::{Flow, RequiredField, TermsNotice, internal, message, or_internal};
use crate::authorization::request::client_allows_cognito;
use crate::i18n::t;
use crate::ids::{UserSub, Username};
use crate::userpool::codes::SIGN_UP_CODE_SECS;
use crate::userpool::error::Error;
use crate::userpool::sessions::SESSION_SECS;
use crate::userpool::step::{Challenge, MfaKind, SignInStep};
use crate::web::{CONFIRM_COOKIE, PageContext, SESSION_COOKIE, cookie, redirect};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

#[derive(Template)]
#[template(path = "hosted_ui/login.html")]
struct LoginPage<'a> {
    page: PageContext,
    action: String,
    username: &'a str,
    error: Option<&'a str>,
    notice: Option<&'static str>,
    client_name: &'a str,
    signup_link: Option<String>,
    forgot_link: String,
    /// A "Continue with …" button per upstream provider the client offers.
    providers: Vec<IdpButton>,
    /// Whether the client offers the username and password form.
    show_form: bool,
    /// The client's terms documents, shown beside the sign-up link.
    terms: Option<TermsNotice>,
    /// "Email me a code" and "Sign in with a passkey" (the pool allows them).
    email_code: bool,
    passkeys: bool,
}

struct IdpButton {
    label: String,
    href: String,
}

/// The buttons of the providers the flow's client supports: each goes back through
/// `/oauth2/authorize` with `identity_provider` set.
fn idp_buttons(flow: &Flow) -> Vec<IdpButton> {
    let (ctx, r) = (&flow.ctx, &flow.request);
    r.client
        .supported_identity_providers()
        .iter()
        .filter(|name| *name != "COGNITO")
        .map(|name| {
            let mut params = r.params.clone();
            params.identity_provider = Some(name.clone());
            params.idp_identifier = None;
            IdpButton {
                label: crate::i18n::tf(ctx.lang, "login.continue_with", "provider", name),
                href: flow.authorize_url(&params),
            }
        })
        .collect()
}

/// The sign-in page.
pub fn login_page(flow: &Flow, username: &str, error: Option<&str>, notice: Option<&'static str>) -> HttpResponse {
    let signup_link = (!flow.ctx.pool.admin_create_user_only()).then(|| flow.url("signup"));
    let terms = signup_link.as_ref().and_then(|_| flow.terms_notice());
    flow.form_page(error, |page| LoginPage {
        page,
        action: flow.url("login"),
        username,
        error,
        notice,
        client_name: &flow.request.client.name,
        signup_link,
        forgot_link: flow.url("forgotPassword"),
        providers: idp_buttons(flow),
        show_form: client_allows_cognito(&flow.request.client),
        terms,
        email_code: super::passwordless::offers_email_code(flow),
        passkeys: super::passwordless::offers_passkeys(flow),
    })
}

/// Signed in: start the session (replacing any old one) and go back to the app. A challenge:
/// its page.
pub async fn finish(flow: &Flow, step: SignInStep) -> HttpResponse {
    let (svc, ctx, r) = (&flow.svc, &flow.ctx, &flow.request);
    match step {
        SignInStep::Authenticated { user, auth_time } => {
            let previous = flow.req.cookie(SESSION_COOKIE).map(|c| c.value().to_string());
            let result = async {
                let token = svc.sign_in.start_session(&ctx.pool, &user, auth_time, previous.as_deref()).await?;
                let url = svc.authorization.complete_authorize(&ctx.pool, r, &user, auth_time).await?;
                Ok::<_, Error>((token, url))
            }
            .await;
            match result {
                Ok((token, url)) => {
                    // A passkey is offered first; the way back to the app stays open.
                    let url = if super::passwordless::should_offer(flow, &user).await {
                        super::passwordless::offer_url(flow)
                    } else {
                        url
                    };
                    let mut resp = redirect(&url);
                    let _ = resp.add_cookie(&cookie(svc, SESSION_COOKIE, token, &ctx.cookie_path, Some(SESSION_SECS)));
                    resp
                }
                Err(e) => {
                    tracing::error!(error = ?e, "sign-in completion failed");
                    internal(ctx.lang)
                }
            }
        }
        SignInStep::Challenge { session, challenge: Challenge::NewPassword { required_attributes }, .. } => {
            new_password_page(flow, &session, &required_attributes, None)
        }
        SignInStep::Challenge { session, challenge, user } => {
            challenge_page(flow, (&session, user.username.as_str()), &challenge, None).await
        }
    }
}

#[derive(Template)]
#[template(path = "hosted_ui/new_password.html")]
struct NewPasswordPage<'a> {
    page: PageContext,
    action: String,
    session: &'a str,
    error: Option<&'a str>,
    fields: Vec<RequiredField>,
}

/// The NEW_PASSWORD_REQUIRED page, with an input per attribute the user must give.
pub fn new_password_page(flow: &Flow, session: &str, required: &[String], error: Option<&str>) -> HttpResponse {
    let fields = required.iter().map(|name| RequiredField::new(flow.ctx.lang, name, "")).collect();
    flow.form_page(error, |page| NewPasswordPage { page, action: flow.url("newPassword"), session, error, fields })
}

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
    /// The name an e-mailed code's answer carries (a first factor's may be for nobody).
    username: &'a str,
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

/// The page for a code of `username`: an e-mailed one (a first factor or a second) or the
/// authenticator app's.
pub fn code_page(
    flow: &Flow,
    (session, username): (&str, &str),
    kind: MfaKind,
    destination: &str,
    error: Option<&str>,
) -> HttpResponse {
    flow.form_page(error, |page| CodePage {
        page,
        action: flow.url("mfa"),
        session,
        challenge: kind.challenge_name(),
        by_email: kind == MfaKind::Email,
        destination,
        error,
        username,
    })
}

/// The page for a second-factor challenge of `username`.
pub async fn challenge_page(
    flow: &Flow,
    (session, username): (&str, &str),
    challenge: &Challenge,
    error: Option<&str>,
) -> HttpResponse {
    match challenge {
        Challenge::Mfa { kind, destination } => {
            code_page(flow, (session, username), *kind, destination.as_deref().unwrap_or(""), error)
        }
        Challenge::SelectMfa(allowed) => {
            let choices = [(MfaKind::SoftwareToken, "mfa.select.totp"), (MfaKind::Email, "mfa.select.email")]
                .into_iter()
                .filter(|(v, _)| allowed.contains(v))
                .map(|(kind, label)| Choice { value: kind.challenge_name(), label })
                .collect();
            flow.form_page(error, |page| SelectPage { page, action: flow.url("mfa/select"), session, choices, error })
        }
        Challenge::MfaSetup(_) => setup_page(flow, session, true, error).await,
        Challenge::NewPassword { .. } | Challenge::DeviceSrp | Challenge::Custom(_) => internal(flow.ctx.lang),
    }
}

/// The authenticator set-up page: the secret (`fresh`: a new one) as a QR code and as text.
pub async fn setup_page(flow: &Flow, session: &str, fresh: bool, error: Option<&str>) -> HttpResponse {
    let (uri, secret) = match flow.svc.sign_in.setup_details(&flow.ctx.pool, &flow.request.client, session, fresh).await
    {
        Ok(v) => v,
        Err(e) => return expired_or(flow, &e),
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
    flow.form_page(error, |page| SetupPage {
        page,
        action: flow.url("mfa/setup"),
        session,
        qr_svg,
        otpauth_uri: &uri,
        secret: &secret,
        error,
    })
}

/// A dead session sends the user back to sign in; other errors of a second-factor step get the
/// generic handling.
pub fn expired_or(flow: &Flow, e: &Error) -> HttpResponse {
    let lang = flow.ctx.lang;
    match e {
        Error::NotAuthorized(_) => login_page(flow, "", message(lang, e).as_deref(), None),
        _ => or_internal(lang, e, "MFA", |m| crate::web::error_page(lang, StatusCode::BAD_REQUEST, m)),
    }
}

/// Go to the confirmation page holding a fresh confirmation session.
pub async fn confirmation_redirect(flow: &Flow, username: &str, user_id: &UserSub) -> HttpResponse {
    let (svc, ctx) = (&flow.svc, &flow.ctx);
    let session = svc.sign_in.start_confirmation_session(&ctx.pool, &flow.request.client, user_id).await.ok().flatten();
    let q: String = url::form_urlencoded::Serializer::new(String::new()).append_pair("username", username).finish();
    let mut resp = redirect(&format!("{}&{q}", flow.url("confirm")));
    if let Some(s) = session {
        let _ = resp.add_cookie(&cookie(svc, CONFIRM_COOKIE, s, &ctx.cookie_path, Some(SIGN_UP_CODE_SECS)));
    }
    resp
}

/// Sign-in by an unconfirmed user who knew the password: mail a fresh code and go confirm.
pub async fn to_confirmation(flow: &Flow, username: &str) -> HttpResponse {
    let (svc, ctx) = (&flow.svc, &flow.ctx);
    let user = match svc.users.find_user(&ctx.pool, &Username::from(username)).await {
        Ok(Some(u)) => u,
        _ => return login_page(flow, username, Some(t(ctx.lang, "cognito.not_confirmed")), None),
    };
    if let Err(e) = svc.sign_in.resend_confirmation_code(&ctx.pool, &flow.request.client, username, flow.caller()).await
    {
        tracing::info!(error = %e, "no new confirmation code on sign-in");
    }
    confirmation_redirect(flow, username, &user.id).await
}
