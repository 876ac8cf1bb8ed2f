//! The pre-signed URLs of user import jobs: `PUT {PUBLIC_URL}/user-import-uploads/{JobId}?token=…`
//! with the CSV as the body, as Cognito's documentation has users upload it to S3 (`curl -v -T
//! users.csv -H "x-amz-server-side-encryption:AES256" "$PRE_SIGNED_URL"`). The
//! `x-amz-server-side-encryption` header is accepted and needs nothing here: the file is kept
//! in the database, which is where every node can read it. Errors are answered as S3 answers
//! them, an XML `<Error>` with a `Code` and a `Message`, so curl shows why.
//!
//! The body is read up to [`MAX_UPLOAD_BYTES`] (Cognito's 100 MB); a longer one (or a longer
//! `Content-Length`) is refused with 413 before anything is kept. The request deadline of
//! this path is [`crate::web::deadline::UPLOAD_DEADLINE`], not the usual one, so a large file
//! on a slow link is not cut off.

use crate::services::Services;
use crate::transfer::{MAX_UPLOAD_BYTES, UPLOAD_PATH, UploadRefused};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(&format!("{UPLOAD_PATH}/{{job_id}}"), web::put().to(upload));
}

#[derive(serde::Deserialize)]
struct UploadQuery {
    token: Option<String>,
}

/// An S3-style error answer.
fn s3_error(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    HttpResponse::build(status).content_type("application/xml").body(body)
}

fn too_large() -> HttpResponse {
    s3_error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size (100 MB).",
    )
}

async fn upload(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    svc: web::Data<Arc<Services>>,
) -> HttpResponse {
    let token = web::Query::<UploadQuery>::from_query(req.query_string()).ok().and_then(|q| q.into_inner().token);
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return s3_error(StatusCode::FORBIDDEN, "AccessDenied", "The upload URL has no token.");
    };
    let declared =
        req.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_UPLOAD_BYTES as u64) {
        return too_large();
    }
    let Some(body) = crate::web::read_body(payload, MAX_UPLOAD_BYTES).await else {
        return too_large();
    };
    match svc.transfer.upload(&path.into_inner(), &token, &body).await {
        Ok(Ok(())) => HttpResponse::Ok().finish(),
        Ok(Err(UploadRefused::UnknownToken)) => {
            s3_error(StatusCode::FORBIDDEN, "AccessDenied", "The upload token is not valid for this job.")
        }
        Ok(Err(UploadRefused::Expired)) => s3_error(StatusCode::FORBIDDEN, "AccessDenied", "Request has expired"),
        Ok(Err(UploadRefused::JobStarted)) => s3_error(
            StatusCode::CONFLICT,
            "InvalidJobState",
            "The import job has been started; its file can no longer change.",
        ),
        Ok(Err(UploadRefused::NotText)) => {
            s3_error(StatusCode::BAD_REQUEST, "InvalidArgument", "The file must be UTF-8 encoded CSV text.")
        }
        Err(e) if e.is_unavailable() => {
            tracing::warn!(error = ?e, "a user import upload: the database is unavailable");
            let mut r = s3_error(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable", crate::web::UNAVAILABLE);
            r.headers_mut().insert(
                actix_web::http::header::RETRY_AFTER,
                actix_web::http::header::HeaderValue::from(crate::store::RETRY_AFTER_SECS),
            );
            r
        }
        Err(e) => {
            tracing::error!(error = ?e, "a user import upload failed");
            s3_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalError", "We encountered an internal error.")
        }
    }
}
