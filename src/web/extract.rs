//! The query and form extractors of the browser-facing surfaces (hosted pages, authorize,
//! logout): `actix_web::web::Query` and `web::Form` that first refuse a control character
//! ([`super::has_forbidden_control`]) in any name or value with the 400 error page, the one
//! check every page's input passes. Errors otherwise read as the app's `QueryConfig` and
//! `FormConfig` handlers word them ([`super::query_error`], [`super::form_error`]).

use super::{PageError, form_error, has_forbidden_control, query_error};
use actix_web::dev::Payload;
use actix_web::error::UrlencodedError;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::future::{Ready, ready};

fn refused(req: &HttpRequest) -> actix_web::Error {
    PageError::for_request(req, StatusCode::BAD_REQUEST, "error.request_unreadable")
        .with_detail("it contains control characters.")
        .into()
}

fn any_control<'a>(mut pairs: impl Iterator<Item = (&'a str, &'a str)>) -> bool {
    pairs.any(|(k, v)| has_forbidden_control(k) || has_forbidden_control(v))
}

/// The query string as `T`, control characters refused.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if any_control(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            return ready(Err(refused(req)));
        }
        ready(
            web::Query::<T>::from_query(req.query_string())
                .map(|q| Query(q.into_inner()))
                .map_err(|e| query_error(e, req)),
        )
    }
}

/// The urlencoded body as `T`, control characters refused (`FormConfig`'s limit applies).
#[derive(Debug)]
pub struct Form<T>(pub T);

impl<T> Form<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        // Read as pairs (content type, limit and errors as `web::Form`), check, then decode.
        let pairs = web::Form::<Vec<(String, String)>>::from_request(req, payload);
        let req = req.clone();
        Box::pin(async move {
            let pairs = pairs.await?.into_inner();
            if any_control(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
                return Err(refused(&req));
            }
            let text =
                serde_urlencoded::to_string(&pairs).map_err(|e| form_error(UrlencodedError::Serialize(e), &req))?;
            serde_urlencoded::from_str::<T>(&text).map(Form).map_err(|e| form_error(UrlencodedError::Parse(e), &req))
        })
    }
}
