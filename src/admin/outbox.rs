//! The outbox viewer (development mode, when mail is written to `{DATA_DIR}/outbox` instead of
//! going out through SMTP): the newest messages and one message as written. Messages hold codes
//! and temporary passwords, so only administrators read them.

use super::{Access, Configure, Layout, internal, page};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    layout: Layout,
    enabled: bool,
    messages: Vec<crate::mail::outbox::OutboxMessage>,
    times: Vec<String>,
    message: Option<(String, String)>,
}

/// `/admin/outbox`: the newest 100 messages.
pub async fn list(a: Access<Configure>) -> HttpResponse {
    let layout = Layout::of(&a.op, "outbox", None);
    let Some(outbox) = a.svc.operators.outbox() else {
        return page(
            StatusCode::OK,
            &OutboxPage { layout, enabled: false, messages: Vec::new(), times: Vec::new(), message: None },
        );
    };
    match outbox.list(100).await {
        Ok(messages) => {
            let times = messages.iter().map(|m| super::users::date(m.written_at)).collect();
            page(StatusCode::OK, &OutboxPage { layout, enabled: true, messages, times, message: None })
        }
        Err(e) => internal(e),
    }
}

/// `/admin/outbox/{name}`: one message as written (headers and MIME parts, as text).
pub async fn show(a: Access<Configure>, name: Path<String>) -> HttpResponse {
    let layout = Layout::of(&a.op, "outbox", None);
    let missing =
        || super::message(StatusCode::NOT_FOUND, "No such message", "The outbox has no message with this name.");
    let Some(outbox) = a.svc.operators.outbox() else {
        return missing();
    };
    match outbox.read(&name).await {
        Ok(Some(text)) => page(
            StatusCode::OK,
            &OutboxPage {
                layout,
                enabled: true,
                messages: Vec::new(),
                times: Vec::new(),
                message: Some((name.into_inner(), text)),
            },
        ),
        Ok(None) => missing(),
        Err(e) => internal(e),
    }
}
