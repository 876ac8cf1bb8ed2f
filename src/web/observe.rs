//! Every request observed: a request id of our own (in the `x-amzn-RequestId` header of the
//! answer, as AWS services send it, and on every log line written while the request is served,
//! through its tracing span), one log line when it is answered (route template, status,
//! duration, and the pool when the path names one; never the query, headers or body), and the
//! measures for `/metrics`: route template (never the raw path, so an id in the path makes no
//! new series), method, status and duration ([`crate::metrics`]).

use super::backstop::REQUEST_ID_HEADER;
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use std::time::Instant;
use tracing::Instrument;

/// The id of the request being served (in the request's extensions).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The middleware: wraps the whole app, so every answer is counted, error pages included.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let id = uuid::Uuid::new_v4().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method);
    let mut answer = next.call(req).instrument(span.clone()).await;
    let (route, status, pool) = match &answer {
        Ok(res) => {
            // A well-formed pool id only: a path segment is the client's text.
            let pool =
                res.request().match_info().get("pool").and_then(crate::ids::PoolId::parse).map(|p| p.to_string());
            (res.request().match_pattern(), res.status().as_u16(), pool)
        }
        Err(e) => (None, e.as_response_error().status_code().as_u16(), None),
    };
    let route = route.map_or_else(|| "unmatched".to_string(), |p| template(&p));
    let seconds = started.elapsed().as_secs_f64();
    crate::metrics::http_request(&route, method, status, seconds);
    span.in_scope(|| {
        let ms = (seconds * 1000.0).round() as u64;
        tracing::info!(route = %route, status, ms, pool = pool.as_deref().unwrap_or(""), "answered");
    });
    if let Ok(res) = &mut answer
        && let (Ok(name), Ok(value)) = (HeaderName::try_from(REQUEST_ID_HEADER), HeaderValue::from_str(&id))
    {
        res.headers_mut().insert(name, value);
    }
    answer
}

/// A route pattern without its segments' regexes: `/{pool:[\w-]+_[0-9a-zA-Z]+}/x` → `/{pool}/x`
/// (a regex may hold braces of its own, `{8}`).
fn template(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len());
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if c != '{' {
            out.push(c);
            continue;
        }
        out.push('{');
        let (mut depth, mut in_regex) = (1, false);
        for c in chars.by_ref() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ':' if depth == 1 => in_regex = true,
                _ => {}
            }
            if depth == 0 {
                break;
            }
            if !in_regex {
                out.push(c);
            }
        }
        out.push('}');
    }
    out
}

/// The methods a label may carry; anything else is "other" (a client picks the method).
fn method_label(m: &actix_web::http::Method) -> &'static str {
    match m.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        "HEAD" => "HEAD",
        "PATCH" => "PATCH",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::template;

    #[test]
    fn route_templates_lose_their_regexes_only() {
        assert_eq!(template("/{pool:[\\w-]+_[0-9a-zA-Z]+}/.well-known/jwks.json"), "/{pool}/.well-known/jwks.json");
        assert_eq!(template("/a/{id:[0-9a-f]{8}-[0-9a-f]{4}}/b/{name}"), "/a/{id}/b/{name}");
        assert_eq!(template("/"), "/");
        assert_eq!(
            template("/admin/pools/{pool}/users/{username}/{action}"),
            "/admin/pools/{pool}/users/{username}/{action}"
        );
    }
}
