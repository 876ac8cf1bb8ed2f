//! The hosted pages: sign-in and the new-password challenge (askama, plain HTML forms that work
//! without JavaScript, CSRF on every form). The pages render the sign-in engine's outcomes;
//! the rules live in [`crate::userpool::auth`].

mod login;

use actix_web::{HttpResponse, web};

const CSS: &str = include_str!("../../static/portcullis.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/static/portcullis.css", web::get().to(css));
    let pool = crate::oauth::POOL;
    for prefix in ["", &format!("/{pool}")] {
        cfg.route(&format!("{prefix}/login"), web::get().to(login::show))
            .route(&format!("{prefix}/login"), web::post().to(login::submit))
            .route(&format!("{prefix}/newPassword"), web::post().to(login::new_password));
    }
}

async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(CSS)
}
