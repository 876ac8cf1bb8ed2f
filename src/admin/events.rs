//! The event log: sign-in events and the audit trail, filtered by pool, user, client, address,
//! category, type, outcome and time, newest first, a page at a time; and the same listing
//! exported as CSV or JSON lines.

use super::{Access, Layout, Read, internal, page};
use crate::events::{Category, EventCursor, EventFilter, Outcome};
use crate::ids::{ClientId, PoolId, UserSub};
use crate::services::Services;
use crate::store::events::EventRow;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;
use serde::Deserialize;

/// Rows on one page of the log.
const PAGE_SIZE: i64 = 100;
/// Rows in one export (the filter narrows a larger log).
pub const EXPORT_MAX: usize = 10_000;

/// The log's filter as the page's query string carries it.
#[derive(Debug, Default, Deserialize)]
pub struct LogQuery {
    pub pool: Option<String>,
    pub user: Option<String>,
    pub sub: Option<String>,
    pub client: Option<String>,
    pub ip: Option<String>,
    pub category: Option<String>,
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    pub outcome: Option<String>,
    /// `YYYY-MM-DD` (UTC), inclusive.
    pub from: Option<String>,
    pub to: Option<String>,
    pub after: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Midnight UTC of a `YYYY-MM-DD` date, in epoch milliseconds.
fn day_millis(date: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

impl LogQuery {
    /// The service's filter; an unreadable date is an error to show.
    pub fn filter(&self) -> Result<EventFilter, String> {
        let date = |v: &Option<String>, what: &str| match given(v) {
            None => Ok(None),
            Some(d) => day_millis(&d).map(Some).ok_or_else(|| format!("The {what} date must read YYYY-MM-DD.")),
        };
        Ok(EventFilter {
            pool_id: given(&self.pool).map(PoolId::from),
            user_sub: given(&self.sub).map(UserSub::from),
            username: given(&self.user),
            client_id: given(&self.client).map(ClientId::from),
            ip: given(&self.ip),
            category: given(&self.category).and_then(|c| Category::parse(&c)),
            event_types: given(&self.event_type).into_iter().collect(),
            outcome: given(&self.outcome).and_then(|o| Outcome::parse(&o)),
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?.map(|t| t + 86_400_000 - 1),
        })
    }

    /// The filter as a query string (for the next page and the export links).
    pub fn query_string(&self) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("pool", &self.pool),
            ("user", &self.user),
            ("sub", &self.sub),
            ("client", &self.client),
            ("ip", &self.ip),
            ("category", &self.category),
            ("type", &self.event_type),
            ("outcome", &self.outcome),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if let Some(v) = given(v) {
                q.append_pair(k, &v);
            }
        }
        q.finish()
    }
}

/// An event as the log shows it.
pub struct EventLine {
    pub at: String,
    pub pool: String,
    pub category: String,
    pub event_type: String,
    pub outcome: String,
    pub reason: String,
    pub user: String,
    pub client: String,
    pub ip: String,
    pub actor: String,
    pub target: String,
    pub details: String,
}

pub fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_default()
}

impl EventLine {
    pub fn of(e: &EventRow) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        EventLine {
            at: time(e.at),
            pool: e.pool_id.as_ref().map(|p| p.to_string()).unwrap_or_default(),
            category: e.category.clone(),
            event_type: e.event_type.clone(),
            outcome: e.outcome.clone(),
            reason: text(&e.reason),
            user: text(&e.username),
            client: e.client_id.as_ref().map(|c| c.to_string()).unwrap_or_default(),
            ip: text(&e.ip),
            actor: text(&e.actor),
            target: text(&e.target),
            details: e.details.clone().filter(|d| d != "null").unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/events.html")]
struct EventsPage {
    layout: Layout,
    q: LogQuery,
    pools: Vec<(String, String)>,
    types: Vec<&'static str>,
    events: Vec<EventLine>,
    next: Option<String>,
    query: String,
    error: Option<String>,
}

/// The pools to filter by (id, name).
async fn pool_choices(svc: &Services) -> Vec<(String, String)> {
    match svc.user_pools.list_pools(60, None).await {
        Ok((pools, _)) => pools.into_iter().map(|p| (p.id.to_string(), p.name)).collect(),
        Err(e) => {
            tracing::warn!(error = ?e, "pool list for the event filter failed");
            Vec::new()
        }
    }
}

/// `/admin/events`: the log.
pub async fn log(a: Access<Read>, q: crate::web::Query<LogQuery>) -> HttpResponse {
    let q = q.into_inner();
    let after = given(&q.after).and_then(|c| EventCursor::parse(&c));
    let (events, next, error) = match q.filter() {
        Err(e) => (Vec::new(), None, Some(e)),
        Ok(filter) => match a.svc.events.list(&filter, PAGE_SIZE, after.as_ref()).await {
            Ok(p) => (p.events.iter().map(EventLine::of).collect(), p.next.map(|c| c.encode()), None),
            Err(e) => return internal(e),
        },
    };
    let mut types: Vec<&'static str> = crate::events::AuthEventType::ALL.iter().map(|t| t.as_str()).collect();
    types.extend(AUDIT_ACTIONS);
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let body = EventsPage {
        layout: Layout::of(&a.op, "events", None),
        pools: pool_choices(&a.svc).await,
        types,
        events,
        next,
        query: q.query_string(),
        q,
        error,
    };
    page(status, &body)
}

/// The audit actions the dashboard records (for the type filter).
const AUDIT_ACTIONS: &[&str] = &[
    "CreateUserPool",
    "UpdateUserPool",
    "AddCustomAttributes",
    "CreateUserPoolClient",
    "AdminCreateUser",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminUserGlobalSignOut",
    "AdminConfirmSignUp",
    "AdminSetUserPassword",
    "AdminResetUserPassword",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminDeleteUser",
    "CreateGroup",
    "DeleteGroup",
    "RotateSigningKeys",
    "AdminDeleteUserAttributes",
    "AdminSetUserSettings",
    "AdminUpdateAuthEventFeedback",
    "UpdateUserPoolDomain",
    "AddUserPoolClientSecret",
    "DeleteUserPoolClientSecret",
    "UnlinkIdentity",
    "AdminUpdateDeviceStatus",
    "AdminForgetDevice",
    "DeleteWebAuthnCredential",
];

/// Every event the filter selects, up to [`EXPORT_MAX`].
async fn all_events(svc: &Services, filter: &EventFilter) -> Result<Vec<EventRow>, crate::userpool::error::Error> {
    let mut out = Vec::new();
    let mut after: Option<EventCursor> = None;
    loop {
        let page = svc.events.list(filter, crate::events::MAX_PAGE, after.as_ref()).await?;
        out.extend(page.events);
        match page.next {
            Some(n) if out.len() < EXPORT_MAX => after = Some(n),
            _ => break,
        }
    }
    out.truncate(EXPORT_MAX);
    Ok(out)
}

fn csv_field(s: &str) -> String {
    // Quoted, quotes doubled; a leading formula character is neutralised for spreadsheets.
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_string() };
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[derive(Deserialize)]
pub struct Format {
    format: String,
}

/// `/admin/events/export/{csv|json}`: the filtered log as a download (JSON lines for `json`).
pub async fn export(
    a: Access<Read>,
    format: actix_web::web::Path<Format>,
    q: crate::web::Query<LogQuery>,
) -> HttpResponse {
    let filter = match q.filter() {
        Ok(f) => f,
        Err(e) => return super::message(StatusCode::BAD_REQUEST, "Bad filter", &e),
    };
    let rows = match all_events(&a.svc, &filter).await {
        Ok(r) => r,
        Err(e) => return internal(e),
    };
    let (body, mime, ext) = match format.format.as_str() {
        "csv" => {
            let mut out = String::from(
                "id,time,pool,category,type,outcome,reason,user_sub,username,client,ip,actor,target,details\n",
            );
            for e in &rows {
                let fields = [
                    e.id.clone(),
                    time(e.at),
                    e.pool_id.as_ref().map(|p| p.to_string()).unwrap_or_default(),
                    e.category.clone(),
                    e.event_type.clone(),
                    e.outcome.clone(),
                    e.reason.clone().unwrap_or_default(),
                    e.user_sub.as_ref().map(|s| s.to_string()).unwrap_or_default(),
                    e.username.clone().unwrap_or_default(),
                    e.client_id.as_ref().map(|c| c.to_string()).unwrap_or_default(),
                    e.ip.clone().unwrap_or_default(),
                    e.actor.clone().unwrap_or_default(),
                    e.target.clone().unwrap_or_default(),
                    e.details.clone().unwrap_or_default(),
                ];
                out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
                out.push('\n');
            }
            (out, "text/csv; charset=utf-8", "csv")
        }
        "json" => {
            let mut out = String::new();
            for e in &rows {
                let line = serde_json::json!({
                    "id": e.id, "at": e.at, "pool_id": e.pool_id, "category": e.category,
                    "type": e.event_type, "outcome": e.outcome, "reason": e.reason,
                    "user_sub": e.user_sub, "username": e.username, "client_id": e.client_id, "ip": e.ip,
                    "actor": e.actor, "target": e.target,
                    "details": crate::events::details_of(e),
                });
                out.push_str(&line.to_string());
                out.push('\n');
            }
            (out, "application/x-ndjson", "jsonl")
        }
        _ => return super::message(StatusCode::NOT_FOUND, "Not found", "Export as csv or json."),
    };
    HttpResponse::Ok()
        .content_type(mime)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"portcullis-events.{ext}\"")))
        .insert_header(("Cache-Control", "no-store"))
        .body(body)
}
