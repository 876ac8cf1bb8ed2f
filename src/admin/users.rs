//! A pool's users: the search (server-side, a page at a time), creating a user, a user's page
//! (attributes, groups, MFA), and the actions on one user. Every action goes through the same
//! service call as its Cognito API action.

use super::pools::{NoticeQuery, notice_of, user_link};
use super::{Access, Change, InPool, Layout, ManageUsers, Read, internal, page, see_other};
use crate::ids::Username;
use crate::services::Services;
use crate::store::users::UserRow;
use crate::userpool::error::Error;
use crate::userpool::model::Pool;
use crate::userpool::users::{MessageAction, NewUser};
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;

/// The attributes the search can match on (ListUsers' searchable attributes).
pub const SEARCH_FIELDS: &[(&str, &str)] = &[
    ("email", "E-mail"),
    ("username", "Username"),
    ("phone_number", "Phone number"),
    ("name", "Name"),
    ("given_name", "Given name"),
    ("family_name", "Family name"),
    ("preferred_username", "Preferred username"),
    ("sub", "Sub"),
    ("cognito:user_status", "Status (CONFIRMED, UNCONFIRMED, FORCE_CHANGE_PASSWORD, …)"),
    ("status", "Enabled or Disabled"),
    ("group", "Group (exact name)"),
    ("mfa", "MFA turned on (no text needed)"),
    ("provider", "Linked to identity provider (its name)"),
    ("custom", "Custom attribute (custom:name=value)"),
];

/// One page of the users a search selects: ListUsers' filters, a group's members, users with
/// MFA on, or users linked to a provider.
pub(super) async fn find(
    svc: &Services,
    pool: &Pool,
    field: &str,
    text: &str,
    exact: bool,
    limit: i64,
    token: Option<&str>,
) -> Result<(Vec<UserRow>, Option<String>), Error> {
    use crate::userpool::users::UserSearch;
    match field {
        "group" if !text.is_empty() => svc.users.users_in_group(&pool.id, text, limit, token).await,
        "mfa" => svc.users.search_users(&pool.id, UserSearch::HasMfa, limit, token).await,
        "provider" if !text.is_empty() => {
            svc.users.search_users(&pool.id, UserSearch::LinkedTo(text), limit, token).await
        }
        "custom" if !text.is_empty() => {
            let Some((name, value)) = text.split_once('=') else {
                return Err(Error::invalid("Search a custom attribute as custom:name=value."));
            };
            let search = UserSearch::Custom { name: name.trim(), value: value.trim(), prefix: !exact };
            svc.users.search_users(&pool.id, search, limit, token).await
        }
        "group" | "provider" | "custom" => svc.users.list_users(&pool.id, "", limit, token).await,
        _ if text.is_empty() => svc.users.list_users(&pool.id, "", limit, token).await,
        _ => {
            let search = UserSearch::Field { name: field, value: text, prefix: !exact && field != "status" };
            svc.users.search_users(&pool.id, search, limit, token).await
        }
    }
}

/// A user as the list shows it.
pub struct UserLine {
    pub username: String,
    pub link: String,
    pub email: String,
    pub status: String,
    pub enabled: bool,
    pub created: String,
}

pub(super) fn date(epoch: i64) -> String {
    chrono::DateTime::from_timestamp(epoch, 0).map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

impl UserLine {
    fn of(pool: &Pool, u: &UserRow) -> Self {
        UserLine {
            username: u.username.to_string(),
            link: user_link(&pool.id, &u.username),
            email: u.attributes.get("email").cloned().unwrap_or_default(),
            status: u.status.clone(),
            enabled: u.enabled,
            created: date(u.created_at),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    layout: Layout,
    pool: Pool,
    users: Vec<UserLine>,
    field: String,
    q: String,
    exact: bool,
    next: Option<String>,
    error: Option<String>,
    fields: &'static [(&'static str, &'static str)],
    actions: &'static [(&'static str, &'static str)],
}

#[derive(serde::Deserialize)]
pub struct SearchQuery {
    field: Option<String>,
    q: Option<String>,
    exact: Option<String>,
    next: Option<String>,
    notice: Option<String>,
}

const PAGE_SIZE: i64 = 50;

/// `/admin/pools/{pool}/users`: search and page through the users.
pub async fn list(a: InPool<Access<Read>>, q: crate::web::Query<SearchQuery>) -> HttpResponse {
    let (a, pool) = a.into_parts();
    let q = q.into_inner();
    let field = q.field.filter(|f| SEARCH_FIELDS.iter().any(|(n, _)| n == f)).unwrap_or_else(|| "email".into());
    let text = q.q.unwrap_or_default().trim().to_string();
    let exact = q.exact.is_some_and(|v| !v.is_empty());
    let notice = notice_of(&NoticeQuery::from(q.notice));
    let mut error = None;
    let listing = find(&a.svc, &pool, &field, &text, exact, PAGE_SIZE, q.next.as_deref()).await;
    let (users, next) = match listing {
        Ok((rows, next)) => (rows.iter().map(|u| UserLine::of(&pool, u)).collect(), next),
        Err(Error::Internal(e)) => return internal(e),
        Err(e) => {
            error = Some(e.to_string());
            (Vec::new(), None)
        }
    };
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let layout = Layout::of(&a.op, "pools", notice);
    page(
        status,
        &UsersPage {
            layout,
            pool,
            users,
            field,
            q: text,
            exact,
            next,
            error,
            fields: SEARCH_FIELDS,
            actions: super::bulk::ACTIONS,
        },
    )
}

/// `POST /admin/pools/{pool}/users`: create a user (AdminCreateUser), the invitation mailed
/// unless suppressed.
pub async fn create(c: InPool<Change<ManageUsers>>) -> HttpResponse {
    let (c, pool) = c.into_parts();
    let f = &c.form;
    let username = f.get("username").trim().to_string();
    let mut attributes = Vec::new();
    if let Some(email) = f.text("email") {
        attributes.push(("email".to_string(), email));
        if f.checked("email_verified") {
            attributes.push(("email_verified".to_string(), "true".to_string()));
        }
    }
    let new = NewUser {
        username: Username::from(username.as_str()),
        attributes,
        temporary_password: f.text("temporary_password"),
        message_action: (!f.checked("send_invitation")).then_some(MessageAction::Suppress),
        deliver_by_email: f.checked("send_invitation"),
        force_alias_creation: false,
        trigger_input: Default::default(),
    };
    match c.svc.users.admin_create_user(&pool.id, &new).await {
        Ok(user) => {
            let details = serde_json::json!({"after": {"Username": user.username, "Attributes": user.attributes}});
            c.audit_user(&pool.id, "AdminCreateUser", (&user.id, &user.username), details).await;
            see_other(&format!("{}?notice=user_created", user_link(&pool.id, &user.username)))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => {
            let layout = Layout::of(&c.op, "pools", None);
            let error = Some(e.to_string());
            let page_data = UsersPage {
                layout,
                pool,
                users: Vec::new(),
                field: "email".into(),
                q: String::new(),
                exact: false,
                next: None,
                error,
                fields: SEARCH_FIELDS,
                actions: super::bulk::ACTIONS,
            };
            page(StatusCode::BAD_REQUEST, &page_data)
        }
    }
}

#[derive(Template)]
#[template(path = "admin/user.html")]
struct UserPage {
    layout: Layout,
    pool: Pool,
    user: UserLine,
    sub: String,
    attributes: Vec<(String, String)>,
    groups: Vec<String>,
    mfa: Vec<String>,
    preferred_mfa: Option<String>,
    updated: String,
    action_base: String,
    timeline: Vec<super::events::EventLine>,
    timeline_link: String,
    access: super::user_access::Access,
}

async fn path_user(svc: &Services, pool: &Pool, raw: &str) -> Result<UserRow, HttpResponse> {
    let missing =
        || super::message(StatusCode::NOT_FOUND, "No such user", "There is no user with this name in the pool.");
    match svc.users.find_user(pool, &Username::from(raw)).await {
        Ok(Some(u)) => Ok(u),
        Ok(None) => Err(missing()),
        Err(e) => Err(internal(e)),
    }
}

/// `/admin/pools/{pool}/users/{username}`: the user's attributes, groups and MFA, and the
/// actions an operator may take.
pub async fn show(
    a: InPool<Access<Read>>,
    path: Path<(String, String)>,
    q: crate::web::Query<NoticeQuery>,
) -> HttpResponse {
    let (_, name) = path.into_inner();
    let (a, pool) = a.into_parts();
    let user = match path_user(&a.svc, &pool, &name).await {
        Ok(u) => u,
        Err(resp) => return resp,
    };
    let groups = match a.svc.users.group_claims(&user.id).await {
        Ok(g) => g.names,
        Err(e) => return internal(e),
    };
    let (preferred_mfa, mfa) = match a.svc.sign_in.mfa_summary(&pool, &user).await {
        Ok(m) => m,
        Err(e) => return internal(e),
    };
    let link = user_link(&pool.id, &user.username);
    let filter = crate::events::EventFilter {
        pool_id: Some(pool.id.clone()),
        user_sub: Some(user.id.clone()),
        ..Default::default()
    };
    let timeline = match a.svc.events.list(&filter, 20, None).await {
        Ok(p) => p.events.iter().map(super::events::EventLine::of).collect(),
        Err(e) => return internal(e),
    };
    let timeline_link = format!("/admin/events?pool={}&sub={}", pool.id, user.id);
    let access = match super::user_access::access(&a.svc, &user).await {
        Ok(x) => x,
        Err(e) => return internal(e),
    };
    let page_data = UserPage {
        timeline,
        timeline_link,
        access,
        layout: Layout::of(&a.op, "pools", notice_of(&q)),
        sub: user.id.to_string(),
        attributes: user.attributes.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        groups,
        mfa,
        preferred_mfa,
        updated: date(user.updated_at),
        action_base: link,
        user: UserLine::of(&pool, &user),
        pool,
    };
    page(StatusCode::OK, &page_data)
}

/// The Cognito action a dashboard action on one user corresponds to (its name in the audit).
pub(super) fn cognito_action(action: &str) -> Option<&'static str> {
    Some(match action {
        "disable" => "AdminDisableUser",
        "enable" => "AdminEnableUser",
        "sign-out" => "AdminUserGlobalSignOut",
        "confirm" => "AdminConfirmSignUp",
        "set-password" => "AdminSetUserPassword",
        "reset-password" => "AdminResetUserPassword",
        "add-group" => "AdminAddUserToGroup",
        "remove-group" => "AdminRemoveUserFromGroup",
        "delete" => "AdminDeleteUser",
        "revoke-sign-in" => "RevokeToken",
        "end-session" => "EndHostedSession",
        "reset-mfa" => "ResetUserMFA",
        "remember-device" | "not-remember-device" => "AdminUpdateDeviceStatus",
        "forget-device" => "AdminForgetDevice",
        "remove-passkey" => "DeleteWebAuthnCredential",
        "attributes" => "AdminUpdateUserAttributes",
        "link" => "AdminLinkProviderForUser",
        "unlink" => "AdminDisableProviderForUser",
        _ => return None,
    })
}

/// `POST /admin/pools/{pool}/users/{username}/{action}`: disable, enable, sign-out, confirm,
/// set-password, add-group, remove-group or delete.
pub async fn act(c: InPool<Change<ManageUsers>>, path: Path<(String, String, String)>) -> HttpResponse {
    let (_, name, action) = path.into_inner();
    let (c, pool) = c.into_parts();
    let user = match path_user(&c.svc, &pool, &name).await {
        Ok(u) => u,
        Err(resp) => return resp,
    };
    let svc = &c.svc;
    let username = user.username.clone();
    let Some(cognito_action) = cognito_action(&action) else {
        return super::message(StatusCode::NOT_FOUND, "No such action", "This action does not exist.");
    };
    let sub = user.id.clone();
    if let Some(done) = super::user_access::act(&c, &pool, &user, &action).await {
        return match done {
            Ok(details) => {
                c.audit_user(&pool.id, cognito_action, (&sub, &username), details).await;
                see_other(&format!("{}?notice=changed", user_link(&pool.id, &username)))
            }
            Err(Error::Internal(e)) => internal(e),
            Err(e) => super::message(StatusCode::BAD_REQUEST, "The change was refused", &e.to_string()),
        };
    }
    let result = match action.as_str() {
        "disable" => svc.users.admin_set_enabled(&pool.id, &username, false).await,
        "enable" => svc.users.admin_set_enabled(&pool.id, &username, true).await,
        "sign-out" => svc.users.global_sign_out(&pool, user).await,
        "confirm" => svc.sign_in.admin_confirm_sign_up(&pool.id, &username, &Default::default()).await,
        "reset-password" => svc.sign_in.admin_reset_user_password(&pool.id, &username).await,
        "set-password" => {
            svc.users.admin_set_password(&pool.id, &username, c.form.get("password"), c.form.checked("permanent")).await
        }
        "add-group" => svc.users.add_user_to_group(&pool.id, &username, c.form.get("group").trim()).await,
        "remove-group" => svc.users.remove_user_from_group(&pool.id, &username, c.form.get("group").trim()).await,
        "delete" if !c.form.checked("confirm") => {
            return super::message(StatusCode::BAD_REQUEST, "Not deleted", "Tick the box to confirm the deletion.");
        }
        "delete" => {
            return match svc.users.admin_delete_user(&pool.id, &username).await {
                Ok(()) => {
                    c.audit_user(&pool.id, cognito_action, (&sub, &username), serde_json::Value::Null).await;
                    see_other(&format!("/admin/pools/{}/users?notice=deleted", pool.id))
                }
                Err(e) => internal(e),
            };
        }
        _ => return super::message(StatusCode::NOT_FOUND, "No such action", "This action does not exist."),
    };
    match result {
        Ok(()) => {
            let details = match action.as_str() {
                "set-password" => serde_json::json!({"Permanent": c.form.checked("permanent")}),
                "add-group" | "remove-group" => serde_json::json!({"GroupName": c.form.get("group").trim()}),
                _ => serde_json::Value::Null,
            };
            c.audit_user(&pool.id, cognito_action, (&sub, &username), details).await;
            see_other(&format!("{}?notice=changed", user_link(&pool.id, &username)))
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => super::message(StatusCode::BAD_REQUEST, "The change was refused", &e.to_string()),
    }
}
