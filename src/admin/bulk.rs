//! Bulk actions on a pool's users: on the users ticked on the list, or on every user the
//! current search matches. The first POST is a dry run that counts the users and asks for
//! confirmation; the confirmed POST carries the same selection and runs the action on each user
//! through the same service call as the single-user action, reporting how many succeeded.

use super::users::SEARCH_FIELDS;
use super::{Change, InPool, Layout, ManageUsers, internal, page};
use crate::ids::Username;
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::model::Pool;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use askama::Template;

/// At most this many users in one bulk action (a larger search must be narrowed).
pub const MAX_USERS: usize = 5_000;

/// The actions, as the form names them, with the words the confirmation uses.
pub const ACTIONS: &[(&str, &str)] = &[
    ("disable", "Disable"),
    ("enable", "Enable"),
    ("sign-out", "Sign out everywhere"),
    ("reset-password", "Force a password reset"),
    ("add-group", "Add to group"),
    ("remove-group", "Remove from group"),
    ("delete", "Delete"),
];

#[derive(Template)]
#[template(path = "admin/bulk.html")]
struct BulkPage {
    layout: Layout,
    pool: Pool,
    action: String,
    action_label: &'static str,
    group: String,
    scope: String,
    users: Vec<String>,
    field: String,
    field_label: &'static str,
    q: String,
    exact: bool,
    count: usize,
    too_many: bool,
    done: Option<Outcome>,
}

/// What a confirmed bulk action did.
pub struct Outcome {
    pub succeeded: usize,
    pub failed: Vec<(String, String)>,
}

/// The users a bulk form selects: the ticked ones, or (scope `search`) every user the search
/// matches, up to [`MAX_USERS`] + 1 (to tell "too many").
async fn selection(svc: &Services, pool: &Pool, c: &Change<ManageUsers>) -> Result<Vec<Username>, Error> {
    let f = &c.form;
    if f.get("scope") != "search" {
        let mut names: Vec<String> = f.all("user");
        names.dedup();
        return Ok(names.into_iter().take(MAX_USERS + 1).map(Username::from).collect());
    }
    let field = search_field(f.get("field"));
    let text = f.get("q").trim();
    let mut found = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let (rows, more) = super::users::find(svc, pool, field, text, f.checked("exact"), 60, next.as_deref()).await?;
        found.extend(rows.into_iter().map(|u| u.username));
        if found.len() > MAX_USERS || more.is_none() {
            break;
        }
        next = more;
    }
    Ok(found)
}

fn search_field(raw: &str) -> &'static str {
    SEARCH_FIELDS.iter().find(|(n, _)| *n == raw).map(|(n, _)| *n).unwrap_or("email")
}

/// `POST /admin/pools/{pool}/bulk`: without `confirm`, the count and the confirmation; with
/// it, the action on every selected user.
pub async fn run(c: InPool<Change<ManageUsers>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let action = c.form.get("action").to_string();
    let Some((_, label)) = ACTIONS.iter().find(|(a, _)| *a == action) else {
        return super::message(StatusCode::BAD_REQUEST, "No such action", "Choose one of the bulk actions.");
    };
    let group = c.form.get("group").trim().to_string();
    if action.ends_with("-group") && group.is_empty() {
        return super::message(
            StatusCode::BAD_REQUEST,
            "No group",
            "Name the group to add the users to or remove them from.",
        );
    }
    let users = match selection(&c.svc, &pool, &c).await {
        Ok(u) => u,
        Err(Error::Internal(e)) => return internal(e),
        Err(e) => return super::message(StatusCode::BAD_REQUEST, "The search was refused", &e.to_string()),
    };
    let too_many = users.len() > MAX_USERS;
    let confirmed = c.form.get("confirm") == "yes" && !too_many;
    let done = if confirmed { Some(apply(&c, &pool, &action, &group, &users).await) } else { None };
    let scope = if c.form.get("scope") == "search" { "search" } else { "selected" };
    let status = if too_many { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page(
        status,
        &BulkPage {
            layout: Layout::of(&c.op, "pools", None),
            action_label: label,
            action,
            group,
            scope: scope.into(),
            count: users.len().min(MAX_USERS),
            users: if scope == "selected" { users.iter().map(|u| u.to_string()).collect() } else { Vec::new() },
            field: search_field(c.form.get("field")).into(),
            field_label: SEARCH_FIELDS
                .iter()
                .find(|(n, _)| *n == search_field(c.form.get("field")))
                .map(|(_, l)| *l)
                .unwrap_or("e-mail"),
            q: c.form.get("q").trim().to_string(),
            exact: c.form.checked("exact"),
            too_many,
            done,
            pool,
        },
    )
}

/// Run `action` on each user; a user that fails (gone meanwhile, no verified e-mail for a
/// reset) is reported and the rest go on.
async fn apply(c: &Change<ManageUsers>, pool: &Pool, action: &str, group: &str, users: &[Username]) -> Outcome {
    let svc = &c.svc;
    let audited = super::users::cognito_action(action).unwrap_or("Bulk");
    let details = if group.is_empty() {
        serde_json::json!({"Bulk": true})
    } else {
        serde_json::json!({"Bulk": true, "GroupName": group})
    };
    let mut outcome = Outcome { succeeded: 0, failed: Vec::new() };
    for name in users {
        let sub = match svc.users.find_user(pool, name).await {
            Ok(u) => u.map(|u| u.id),
            Err(_) => None,
        };
        let result = match action {
            "disable" => svc.users.admin_set_enabled(&pool.id, name, false).await,
            "enable" => svc.users.admin_set_enabled(&pool.id, name, true).await,
            "sign-out" => match svc.users.user(pool, name).await {
                Ok(user) => svc.users.global_sign_out(pool, user).await,
                Err(e) => Err(e),
            },
            "reset-password" => svc.sign_in.admin_reset_user_password(&pool.id, name).await,
            "add-group" => svc.users.add_user_to_group(&pool.id, name, group).await,
            "remove-group" => svc.users.remove_user_from_group(&pool.id, name, group).await,
            "delete" => svc.users.admin_delete_user(&pool.id, name).await,
            _ => Ok(()),
        };
        match result {
            Ok(()) => {
                outcome.succeeded += 1;
                match &sub {
                    Some(sub) => c.audit_user(&pool.id, audited, (sub, name), details.clone()).await,
                    None => c.audit(Some(&pool.id), audited, format!("user:{name}"), details.clone()).await,
                }
            }
            Err(Error::Internal(e)) => {
                tracing::error!(error = ?e, "bulk action failed on a user");
                outcome.failed.push((name.to_string(), "internal error".into()));
            }
            Err(e) => outcome.failed.push((name.to_string(), e.to_string())),
        }
    }
    outcome
}
