//! Every request measured for `/metrics`: its route template (never the raw path, so an id in
//! the path makes no new series), method, status and duration ([`crate::metrics`]).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use std::time::Instant;

/// The middleware: wraps the whole app, so every answer is counted, error pages included.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = method_label(req.method());
    let answer = next.call(req).await;
    let (route, status) = match &answer {
        Ok(res) => (res.request().match_pattern(), res.status().as_u16()),
        Err(e) => (None, e.as_response_error().status_code().as_u16()),
    };
    let route = route.map_or_else(|| "unmatched".to_string(), |p| template(&p));
    crate::metrics::http_request(&route, method, status, started.elapsed().as_secs_f64());
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
