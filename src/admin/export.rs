//! Export a pool's users from the dashboard, streamed page by page as the service reads them
//! (never built in memory):
//!
//! - `GET /admin/pools/{pool}/export-users?format=csv|jsonl`: any signed-in role that may read
//!   the pool (viewers too); never password hashes. A read, like the users list it mirrors.
//! - `POST /admin/pools/{pool}/export-users` (CSRF-checked form, `format`, `include_hashes`):
//!   admins only, because it can include the stored password hashes; recorded in the audit
//!   trail as `ExportUsers` with the format and whether hashes were included.
//!
//! The request deadline covers the handler up to the answer's head; the body then streams
//! for as long as the pool takes (see [`crate::web::deadline`]).

use super::{Access, Change, Configure, InPool, Read, internal};
use crate::services::Services;
use crate::transfer::export::{ExportFormat, ExportOptions};
use crate::userpool::model::Pool;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use futures_util::StreamExt;

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
}

/// `GET`: the export without hashes.
pub async fn download(a: InPool<Access<Read>>, q: crate::web::Query<ExportQuery>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    let Some(format) = format_of(&q.format) else {
        return bad_format();
    };
    stream(&a.svc, &pool, ExportOptions { format, include_hashes: false }).await
}

/// `POST`: admins, hashes when the form asks for them; audited.
pub async fn download_with_hashes(c: InPool<Change<Configure>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let Some(format) = format_of(c.form.get("format")) else {
        return bad_format();
    };
    let include_hashes = c.form.checked("include_hashes");
    let answer = stream(&c.svc, &pool, ExportOptions { format, include_hashes }).await;
    if answer.status().is_success() {
        let details = serde_json::json!({"format": format.extension(), "include_hashes": include_hashes});
        c.audit(Some(&pool.id), "ExportUsers", format!("pool:{}", pool.id), details).await;
    }
    answer
}

fn format_of(raw: &str) -> Option<ExportFormat> {
    if raw.is_empty() { Some(ExportFormat::Csv) } else { ExportFormat::parse(raw) }
}

fn bad_format() -> HttpResponse {
    super::message(StatusCode::BAD_REQUEST, "No such format", "Export as csv or jsonl.")
}

async fn stream(svc: &Services, pool: &Pool, opts: ExportOptions) -> HttpResponse {
    let chunks = match svc.transfer.export(&pool.id, opts).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let pool_id = pool.id.clone();
    let body = chunks.map(move |chunk| {
        chunk.map(actix_web::web::Bytes::from).map_err(|e| {
            // The head is sent: the download ends short, and the cause is logged.
            tracing::error!(error = ?e, pool = %pool_id, "a user export stopped part way");
            actix_web::error::ErrorServiceUnavailable(crate::web::UNAVAILABLE)
        })
    });
    let name = format!("{}-users.{}", pool.id, opts.format.extension());
    HttpResponse::Ok()
        .content_type(opts.format.content_type())
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{name}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body)
}
