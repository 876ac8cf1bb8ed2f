//! The panic backstop: a panic inside a handler becomes an opaque 500 with a request id
//! (`x-amzn-RequestId`), logged with that id, the method and the path — never the query, the
//! headers or the body, which may hold credentials. Without it actix drops the connection.
//! This is a last line only: request paths must not panic in the first place.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, ResponseError};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;

/// The header that carries the id of a request answered by the backstop.
pub const REQUEST_ID_HEADER: &str = "x-amzn-RequestId";

/// Replace the default panic hook (which prints the formatted message, possibly quoting request
/// data) with a log line holding the location and only a literal message. The backstop then
/// logs the request id that goes with it.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = literal_message(info.payload());
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(location = %location, panic = message, "panic");
    }));
}

/// A panic's message if it is a literal, the only kind safe to log: a formatted one may quote
/// request data.
fn literal_message(payload: &(dyn std::any::Any + Send)) -> &'static str {
    payload.downcast_ref::<&'static str>().copied().unwrap_or("(formatted message withheld)")
}

/// A handler panicked: the 500 the client reads.
#[derive(Debug)]
struct Panicked {
    request_id: String,
}

impl std::fmt::Display for Panicked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "An internal error occurred. Request id: {}", self.request_id)
    }
}

impl ResponseError for Panicked {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::InternalServerError()
            .insert_header((REQUEST_ID_HEADER, self.request_id.as_str()))
            .insert_header(("Cache-Control", "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

/// Middleware (`actix_web::middleware::from_fn(catch_panic)`). The request cannot be kept
/// for the answer (routing needs it unshared), so the 500 leaves as an error, which the server
/// renders with [`ResponseError::error_response`].
pub async fn catch_panic(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let (method, path) = (req.method().clone(), req.path().to_string());
    // The id the request is logged under (see `observe`), or a new one where it is not observed.
    let known = req.extensions().get::<super::observe::RequestId>().map(|r| r.0.clone());
    match AssertUnwindSafe(async move { next.call(req).await }).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => {
            let request_id = known.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            let message = literal_message(payload.as_ref());
            tracing::error!(
                request_id = %request_id,
                method = %method,
                path = %path,
                panic = message,
                "a handler panicked; answered 500"
            );
            Err(Panicked { request_id }.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::middleware::from_fn;
    use actix_web::{App, test, web};

    async fn boom() -> &'static str {
        panic!("secret-in-panic {}", 42)
    }

    async fn literal() -> &'static str {
        panic!("literal")
    }

    #[actix_web::test]
    async fn a_panicking_handler_answers_an_opaque_500_with_a_request_id() {
        let app = test::init_service(
            App::new()
                .wrap(from_fn(catch_panic))
                .route("/boom", web::get().to(boom))
                .route("/literal", web::post().to(literal))
                .route("/fine", web::get().to(|| async { "fine" })),
        )
        .await;
        for req in [
            test::TestRequest::get().uri("/boom?code=hunter2").to_request(),
            test::TestRequest::post().uri("/literal").set_payload("password=hunter2").to_request(),
        ] {
            // The server renders a service error as its response; so does the test.
            let Err(err) = test::try_call_service(&app, req).await else { panic!("the panic was not caught") };
            let resp = err.error_response();
            assert_eq!(resp.status(), 500);
            let id = resp.headers().get(REQUEST_ID_HEADER).and_then(|v| v.to_str().ok()).unwrap().to_string();
            assert_eq!(id.len(), 36, "a uuid: {id}");
            let body = actix_web::body::to_bytes(resp.into_body()).await.unwrap();
            let body = std::str::from_utf8(&body).unwrap();
            assert!(body.contains(&id), "{body}");
            assert!(!body.contains("secret") && !body.contains("hunter2") && !body.contains("literal"), "{body}");
        }
        // Requests after a panic are served as usual.
        let resp = test::call_service(&app, test::TestRequest::get().uri("/fine").to_request()).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(test::read_body(resp).await, "fine");
    }
}
