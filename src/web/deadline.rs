//! Every request has a deadline (`PORTCULLIS_REQUEST_TIMEOUT_MS`). Waiting for a database
//! connection is bounded already (the acquire timeout), but a query in flight when the network to
//! the database is cut waits for an answer that never comes, until TCP gives up many minutes
//! later. Past the deadline the request is dropped (an open transaction rolls back with it) and
//! answered 503 with `Retry-After`, in the format of the surface it was sent to: the AWS JSON
//! and Query protocols, OAuth's JSON error, or a page.

use super::backstop::REQUEST_ID_HEADER;
use crate::i18n::Lang;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use std::time::Duration;

/// Which surface a request went to, as far as its answer's format goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// `POST /` with `X-Amz-Target`: the Cognito and Cognito Identity JSON APIs.
    AwsJson,
    /// `POST /` without it: IAM and STS (AWS Query, XML).
    AwsQuery,
    /// The OAuth and OIDC endpoints that answer JSON.
    OAuth,
    /// Everything else answers pages.
    Page(Lang),
}

fn format_of(req: &ServiceRequest) -> Format {
    let path = req.path();
    if path == "/" && req.method() == Method::POST {
        return if req.headers().contains_key("x-amz-target") { Format::AwsJson } else { Format::AwsQuery };
    }
    let oauth_json = ["/oauth2/token", "/oauth2/userInfo", "/oauth2/revoke", "/oauth2/introspect", "/.well-known/"];
    if oauth_json.iter().any(|p| path.contains(p)) {
        return Format::OAuth;
    }
    Format::Page(super::request_lang(req.request()))
}

/// A request that ran past its deadline.
#[derive(Debug)]
struct TimedOut {
    format: Format,
    request_id: String,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(super::UNAVAILABLE)
    }
}

impl ResponseError for TimedOut {
    fn status_code(&self) -> StatusCode {
        StatusCode::SERVICE_UNAVAILABLE
    }

    fn error_response(&self) -> HttpResponse {
        let mut resp = match self.format {
            Format::AwsJson => HttpResponse::ServiceUnavailable().content_type("application/x-amz-json-1.1").body(
                serde_json::json!({"__type": "InternalErrorException", "message": super::UNAVAILABLE}).to_string(),
            ),
            Format::AwsQuery => HttpResponse::ServiceUnavailable().content_type("text/xml").body(format!(
                "<ErrorResponse><Error><Type>Receiver</Type><Code>ServiceUnavailable</Code><Message>{}</Message>\
                 </Error><RequestId>{}</RequestId></ErrorResponse>",
                super::UNAVAILABLE,
                self.request_id
            )),
            Format::OAuth => HttpResponse::ServiceUnavailable()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .json(serde_json::json!({"error": "temporarily_unavailable", "error_description": super::UNAVAILABLE})),
            Format::Page(lang) => {
                super::PageError::new(lang, StatusCode::SERVICE_UNAVAILABLE, "error.unavailable").error_response()
            }
        };
        resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(crate::store::RETRY_AFTER_SECS));
        if let (Ok(name), Ok(id)) =
            (header::HeaderName::try_from(REQUEST_ID_HEADER), header::HeaderValue::from_str(&self.request_id))
        {
            resp.headers_mut().insert(name, id);
        }
        resp
    }
}

/// The deadline of a PUT to a user import job's pre-signed URL (a file of up to 100 MB on
/// what may be a slow link), in place of the usual one.
pub const UPLOAD_DEADLINE: Duration = Duration::from_secs(15 * 60);

/// The deadline of a request: the configured one, or [`UPLOAD_DEADLINE`] for an upload. A
/// streamed download (the dashboard's export) is bounded only up to its answer's head: the
/// deadline covers the handler, and the body that follows is sent page by page, each page a
/// query bounded by the database's own timeouts.
fn deadline_of(limit: Duration, req: &ServiceRequest) -> Duration {
    if req.method() == Method::PUT && req.path().starts_with(crate::transfer::UPLOAD_PATH) {
        return limit.max(UPLOAD_DEADLINE);
    }
    limit
}

/// The middleware, for `actix_web::middleware::from_fn`: `limit` is the deadline.
pub async fn bounded(
    limit: Duration,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let format = format_of(&req);
    let limit = deadline_of(limit, &req);
    let (method, path) = (req.method().clone(), req.path().to_string());
    let request_id = req.extensions().get::<super::observe::RequestId>().map(|r| r.0.clone());
    match tokio::time::timeout(limit, next.call(req)).await {
        Ok(answer) => answer,
        Err(_) => {
            let request_id = request_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            tracing::warn!(
                method = %method,
                path = %path,
                limit_ms = limit.as_millis() as u64,
                "a request ran past its deadline (PORTCULLIS_REQUEST_TIMEOUT_MS) and was answered 503"
            );
            Err(TimedOut { format, request_id }.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn answer(req: TestRequest) -> (Format, HttpResponse) {
        let format = format_of(&req.to_srv_request());
        (format, TimedOut { format, request_id: "rid".into() }.error_response())
    }

    fn body(resp: HttpResponse) -> String {
        let bytes = actix_web::body::to_bytes(resp.into_body());
        String::from_utf8(futures_util::FutureExt::now_or_never(bytes).unwrap().unwrap().to_vec()).unwrap()
    }

    #[test]
    fn only_uploads_get_the_long_deadline() {
        let short = Duration::from_secs(30);
        let put = TestRequest::put().uri("/user-import-uploads/import-abc?token=x").to_srv_request();
        assert_eq!(deadline_of(short, &put), UPLOAD_DEADLINE);
        let get = TestRequest::get().uri("/user-import-uploads/import-abc").to_srv_request();
        assert_eq!(deadline_of(short, &get), short);
        let api = TestRequest::post().uri("/").to_srv_request();
        assert_eq!(deadline_of(short, &api), short);
    }

    #[test]
    fn each_surface_is_told_to_retry_in_its_own_format() {
        let api =
            TestRequest::post().uri("/").insert_header(("x-amz-target", "AWSCognitoIdentityProviderService.GetUser"));
        let (format, resp) = answer(api);
        assert_eq!(format, Format::AwsJson);
        assert_eq!(resp.status(), 503);
        assert_eq!(resp.headers().get("retry-after").unwrap(), "2");
        assert_eq!(resp.headers().get("x-amzn-requestid").unwrap(), "rid");
        assert!(body(resp).contains("\"__type\":\"InternalErrorException\""));

        let (format, resp) = answer(TestRequest::post().uri("/"));
        assert_eq!(format, Format::AwsQuery);
        assert!(body(resp).contains("<Code>ServiceUnavailable</Code><Message>"));

        for path in
            ["/local_abc123/oauth2/token", "/local_abc123/oauth2/userInfo", "/local_abc123/.well-known/jwks.json"]
        {
            let (format, resp) = answer(TestRequest::get().uri(path));
            assert_eq!(format, Format::OAuth, "{path}");
            assert_eq!(resp.headers().get("retry-after").unwrap(), "2");
            assert!(body(resp).contains("\"error\":\"temporarily_unavailable\""), "{path}");
        }

        let (format, resp) = answer(TestRequest::get().uri("/local_abc123/login?lang=fr"));
        assert_eq!(format, Format::Page(Lang::Fr));
        assert_eq!(resp.headers().get("retry-after").unwrap(), "2");
        assert_eq!(resp.headers().get("x-amzn-requestid").unwrap(), "rid");
        assert!(resp.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/html"));
    }
}
