//! A posted file form (`multipart/form-data`, read by `actix-multipart`): the logo upload. The
//! same checks as [`super::Change`] (session, role, the session's CSRF token), on the form's
//! text fields, plus one file of at most [`MAX_FILE_BYTES`].

use super::{Change, Fields, Need, message, refused};
use crate::services::Services;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;
use std::sync::Arc;

/// The largest file a form may carry (a logo is at most 100 KB; the rest is slack for headers).
pub const MAX_FILE_BYTES: usize = 128 * 1024;
/// The largest text field.
const MAX_FIELD_BYTES: usize = 4 * 1024;

/// A change with a file: the [`Change`] (its text fields in `form`) and the file field `file`.
pub struct Upload<N: Need> {
    pub change: Change<N>,
    pub file: Option<Vec<u8>>,
}

/// The multipart body's text fields and its `file` field; `None` when it is not a readable
/// multipart form within the limits.
async fn read(req: &HttpRequest, payload: Payload) -> Option<(Fields, Option<Vec<u8>>)> {
    let mut parts = actix_multipart::Multipart::new(req.headers(), payload);
    let mut pairs = Vec::new();
    let mut file = None;
    while let Some(field) = parts.next().await {
        let mut field = field.ok()?;
        let name = field.name()?.to_string();
        let limit = if name == "file" { MAX_FILE_BYTES } else { MAX_FIELD_BYTES };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.ok()?;
            if bytes.len() + chunk.len() > limit {
                return None;
            }
            bytes.extend_from_slice(&chunk);
        }
        if name == "file" {
            file = Some(bytes).filter(|b| !b.is_empty());
        } else {
            pairs.push((name, String::from_utf8(bytes).ok()?));
        }
    }
    Some((Fields::from_pairs(pairs)?, file))
}

impl<N: Need + 'static> FromRequest for Upload<N> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let payload = payload.take();
        Box::pin(async move {
            let svc = web::Data::<Arc<Services>>::extract(&req).await?.get_ref().clone();
            let bad_form = || {
                message(
                    StatusCode::BAD_REQUEST,
                    "Unreadable form",
                    "The form or its file could not be read (at most 128 KB).",
                )
            };
            let (form, file) = read(&req, payload).await.ok_or_else(|| refused(bad_form()))?;
            let op = super::signed_form(&req, &svc, N::ROLE, &form).await?;
            Ok(Upload { change: Change { req, svc, op, form, need: PhantomData }, file })
        })
    }
}
