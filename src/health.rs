//! `/health/live` (the process answers), `/health/ready` (database reachable and migrated) and
//! `/metrics` (Prometheus text).

use crate::services::Services;
use actix_web::{HttpResponse, web};
use std::sync::Arc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health/live", web::get().to(live))
        .route("/health/ready", web::get().to(ready))
        .route("/metrics", web::get().to(metrics));
}

async fn live() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

async fn ready(svc: web::Data<Arc<Services>>) -> HttpResponse {
    if svc.ready().await {
        HttpResponse::Ok().json(serde_json::json!({"status": "ready"}))
    } else {
        HttpResponse::ServiceUnavailable().json(serde_json::json!({"status": "unavailable"}))
    }
}

async fn metrics(svc: web::Data<Arc<Services>>) -> HttpResponse {
    let up = if svc.ready().await { 1 } else { 0 };
    svc.measure_database_pool();
    let body = format!(
        "# HELP portcullis_up Whether the database is reachable and migrated.\n# TYPE portcullis_up gauge\nportcullis_up {up}\n\
         # HELP portcullis_build_info Build information.\n# TYPE portcullis_build_info gauge\nportcullis_build_info{{version=\"{}\"}} 1\n{}",
        env!("CARGO_PKG_VERSION"),
        crate::metrics::handle().render()
    );
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}
