//! The hosted pages: sign-in, the new-password challenge, sign-up and confirmation, and
//! password recovery, and the second-factor pages (askama, plain HTML forms that work without JavaScript, CSRF on every form). The pages render the sign-in engine's outcomes;
//! the rules live in [`crate::userpool::auth`]. Pages speak the request's language
//! ([`crate::i18n`]) and link the client's branding, which `/ui/css/…` and `/ui/logo/…` serve.
//! Every page is made with `kit` (the validated flow and the CSRF-checked form as extractors,
//! page rendering) and shows the engine's steps with `steps`; no page imports another.
//! [`preview`] renders the sign-in, sign-up and forgot-password pages, inert, for the
//! dashboard's branding preview.

mod branding;
pub(crate) mod federation;
mod kit;
mod login;
mod mfa;
mod passwordless;
pub mod preview;
mod recovery;
mod signup;
mod steps;

use actix_web::{HttpResponse, web};

const CSS: &str = include_str!("../../static/portcullis.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/portcullis.css", web::get().to(css));
    cfg.route("/static/passkey.js", web::get().to(passwordless::script));
    let pool = crate::web::POOL;
    for prefix in ["", &format!("/{pool}")] {
        cfg.route(&format!("{prefix}/login"), web::get().to(login::show))
            .route(&format!("{prefix}/oauth2/idpresponse"), web::get().to(federation::idp_response))
            .route(&format!("{prefix}/login"), web::post().to(login::submit))
            .route(&format!("{prefix}/newPassword"), web::post().to(login::new_password))
            .route(&format!("{prefix}/mfa"), web::post().to(mfa::submit_code))
            .route(&format!("{prefix}/passkey"), web::post().to(passwordless::respond))
            .route(&format!("{prefix}/passkeys"), web::get().to(passwordless::show))
            .route(&format!("{prefix}/passkeys/add"), web::post().to(passwordless::add))
            .route(&format!("{prefix}/passkeys/delete"), web::post().to(passwordless::delete))
            .route(&format!("{prefix}/mfa/select"), web::post().to(mfa::submit_select))
            .route(&format!("{prefix}/mfa/setup"), web::post().to(mfa::submit_setup))
            .route(&format!("{prefix}/mfa/setup/done"), web::post().to(mfa::submit_setup_done))
            .route(&format!("{prefix}/signup"), web::get().to(signup::show_signup))
            .route(&format!("{prefix}/signup"), web::post().to(signup::submit_signup))
            .route(&format!("{prefix}/confirm"), web::get().to(signup::show_confirm))
            .route(&format!("{prefix}/confirm"), web::post().to(signup::submit_confirm))
            .route(&format!("{prefix}/resendcode"), web::post().to(signup::resend))
            .route(&format!("{prefix}/forgotPassword"), web::get().to(recovery::show_forgot))
            .route(&format!("{prefix}/forgotPassword"), web::post().to(recovery::submit_forgot))
            .route(&format!("{prefix}/confirmForgotPassword"), web::get().to(recovery::show_reset))
            .route(&format!("{prefix}/confirmForgotPassword"), web::post().to(recovery::submit_reset))
            .route(&format!("{prefix}/ui/css/{{file}}"), web::get().to(branding::css))
            .route(&format!("{prefix}/ui/logo/{{file}}"), web::get().to(branding::logo));
    }
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS)
}
