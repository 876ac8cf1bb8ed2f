//! IAM roles: the list, creating a role (name, path, description, trust policy), a role's page
//! with the trust policy editor, and deletion. Each change is the IAM action's service call
//! (CreateRole, UpdateAssumeRolePolicy, DeleteRole), so a refused policy shows IAM's error code
//! and message exactly as the Query API answers it; each change is audited with the policy
//! before and after.

use super::{
    Access, Change, Configure, Layout, Read, SECTION, date, internal, message, notice, page, see_other, segment,
    status_of,
};
use crate::iam::error::IamError;
use crate::iam::roles::NewRole;
use crate::services::Services;
use crate::store::iam::RoleRow;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;

/// Roles a page lists.
const ROLES_PER_PAGE: i64 = 50;

fn role_link(name: &str) -> String {
    format!("/admin/iam/roles/{}", segment(name))
}

/// IAM's error as the form shows it: `Code: message`; internal errors are the 500 page.
fn refusal(e: IamError) -> Result<String, HttpResponse> {
    match e {
        IamError::Internal(cause) => Err(internal(cause)),
        other => Ok(format!("{}: {other}", other.code())),
    }
}

/// The trust policy the Cognito console writes for an identity pool's role: web identities of
/// `cognito-identity.amazonaws.com` for this pool (`aud`) that are `authenticated` or
/// `unauthenticated` (`amr`).
fn identity_pool_policy(pool_id: &str, amr: &str) -> String {
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": "cognito-identity.amazonaws.com"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {"cognito-identity.amazonaws.com:aud": pool_id},
                "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": amr}
            }
        }]
    });
    serde_json::to_string_pretty(&policy).unwrap_or_default()
}

/// A role as the audit trail records it: IAM's members, the trust policy as JSON.
fn role_document(svc: &Services, role: &RoleRow) -> serde_json::Value {
    let policy = serde_json::from_str(&role.assume_role_policy)
        .unwrap_or_else(|_| serde_json::Value::String(role.assume_role_policy.clone()));
    serde_json::json!({"Arn": svc.iam.role_arn(role), "Path": role.path, "Description": role.description,
                       "AssumeRolePolicyDocument": policy})
}

/// A role as the list shows it.
pub struct RoleLine {
    pub name: String,
    pub link: String,
    pub arn: String,
    pub description: String,
    pub created: String,
}

/// The create form's fields.
#[derive(Default)]
pub struct NewRoleForm {
    pub name: String,
    pub path: String,
    pub description: String,
    pub trust: String,
}

#[derive(Template)]
#[template(path = "admin/identity_roles.html")]
struct RolesPage {
    layout: Layout,
    roles: Vec<RoleLine>,
    next: Option<String>,
    form: NewRoleForm,
    error: Option<String>,
}

async fn roles_page(
    svc: &Services,
    layout: Layout,
    marker: Option<&str>,
    form: NewRoleForm,
    error: Option<String>,
) -> HttpResponse {
    let found = match svc.iam.list_roles(None, marker, Some(ROLES_PER_PAGE)).await {
        Ok(p) => p,
        Err(IamError::Internal(e)) => return internal(e),
        Err(e) => return message(StatusCode::BAD_REQUEST, "Unreadable page", &e.to_string()),
    };
    let roles = found
        .roles
        .iter()
        .map(|r| RoleLine {
            name: r.name.clone(),
            link: role_link(&r.name),
            arn: svc.iam.role_arn(r),
            description: r.description.clone().unwrap_or_default(),
            created: date(r.created_at),
        })
        .collect();
    page(status_of(error.is_some()), &RolesPage { layout, roles, next: found.marker, form, error })
}

#[derive(serde::Deserialize)]
pub struct RolesQuery {
    marker: Option<String>,
    notice: Option<String>,
    /// Prefill the trust policy for this identity pool's `authenticated` (or, with
    /// `kind=unauthenticated`, guest) identities.
    for_pool: Option<String>,
    kind: Option<String>,
}

/// `/admin/iam/roles`: the roles, and (for admins) the create form.
pub async fn list(a: Access<Read>, q: crate::web::Query<RolesQuery>) -> HttpResponse {
    let mut form = NewRoleForm { path: "/".into(), ..NewRoleForm::default() };
    if let Some(pool) = q.for_pool.as_deref().filter(|p| !p.is_empty()) {
        let amr = if q.kind.as_deref() == Some("unauthenticated") { "unauthenticated" } else { "authenticated" };
        form.trust = identity_pool_policy(pool, amr);
    }
    let layout = Layout::of(&a.op, SECTION, notice(q.notice.as_deref()));
    roles_page(&a.svc, layout, q.marker.as_deref(), form, None).await
}

/// `POST /admin/iam/roles`: CreateRole.
pub async fn create(c: Change<Configure>) -> HttpResponse {
    let f = &c.form;
    let form = NewRoleForm {
        name: f.get("name").trim().to_string(),
        path: f.get("path").trim().to_string(),
        description: f.get("description").to_string(),
        trust: f.get("trust").to_string(),
    };
    let input = NewRole {
        name: form.name.clone(),
        path: Some(form.path.clone()).filter(|p| !p.is_empty()),
        assume_role_policy_document: form.trust.clone(),
        description: f.text("description"),
        max_session_duration: None,
    };
    match c.svc.iam.create_role(input).await {
        Ok(role) => {
            let details = serde_json::json!({"after": role_document(&c.svc, &role)});
            c.audit(None, "CreateRole", format!("role:{}", role.name), details).await;
            see_other(&format!("{}?notice=role_created", role_link(&role.name)))
        }
        Err(e) => match refusal(e) {
            Ok(m) => roles_page(&c.svc, Layout::of(&c.op, SECTION, None), None, form, Some(m)).await,
            Err(resp) => resp,
        },
    }
}

#[derive(Template)]
#[template(path = "admin/identity_role.html")]
struct RolePage {
    layout: Layout,
    role: RoleRow,
    link: String,
    arn: String,
    created: String,
    trust: String,
    error: Option<String>,
}

fn role_page(
    svc: &Services,
    layout: Layout,
    role: RoleRow,
    trust: Option<String>,
    error: Option<String>,
) -> HttpResponse {
    page(
        status_of(error.is_some()),
        &RolePage {
            layout,
            link: role_link(&role.name),
            arn: svc.iam.role_arn(&role),
            created: date(role.created_at),
            trust: trust.unwrap_or_else(|| role.assume_role_policy.clone()),
            role,
            error,
        },
    )
}

/// The role of the path, or the not-found page.
async fn path_role(svc: &Services, name: &str) -> Result<RoleRow, HttpResponse> {
    match svc.iam.get_role(name).await {
        Ok(r) => Ok(r),
        Err(IamError::NoSuchEntity(_) | IamError::Validation(_)) => {
            Err(message(StatusCode::NOT_FOUND, "No such role", "There is no IAM role with this name."))
        }
        Err(e) => Err(internal(e)),
    }
}

#[derive(serde::Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

/// `/admin/iam/roles/{name}`: the role and its trust policy editor.
pub async fn show(a: Access<Read>, path: Path<String>, q: crate::web::Query<NoticeQuery>) -> HttpResponse {
    match path_role(&a.svc, &path).await {
        Ok(role) => role_page(&a.svc, Layout::of(&a.op, SECTION, notice(q.notice.as_deref())), role, None, None),
        Err(resp) => resp,
    }
}

/// `POST /admin/iam/roles/{name}/trust`: UpdateAssumeRolePolicy; a refused policy stays in the
/// editor with IAM's error.
pub async fn save_trust(c: Change<Configure>, path: Path<String>) -> HttpResponse {
    let role = match path_role(&c.svc, &path).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let trust = c.form.get("trust").to_string();
    match c.svc.iam.update_assume_role_policy(&role.name, &trust).await {
        Ok(updated) => {
            let details = crate::events::changes(&role_document(&c.svc, &role), &role_document(&c.svc, &updated));
            c.audit(None, "UpdateAssumeRolePolicy", format!("role:{}", updated.name), details).await;
            see_other(&format!("{}?notice=trust", role_link(&updated.name)))
        }
        Err(e) => match refusal(e) {
            Ok(m) => role_page(&c.svc, Layout::of(&c.op, SECTION, None), role, Some(trust), Some(m)),
            Err(resp) => resp,
        },
    }
}

/// `POST /admin/iam/roles/{name}/delete`: DeleteRole, with the confirmation box.
pub async fn delete(c: Change<Configure>, path: Path<String>) -> HttpResponse {
    let role = match path_role(&c.svc, &path).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let layout = Layout::of(&c.op, SECTION, None);
    if !c.form.checked("confirm") {
        return role_page(&c.svc, layout, role, None, Some("Tick the confirmation box to delete the role.".into()));
    }
    match c.svc.iam.delete_role(&role.name).await {
        Ok(()) => {
            let details = serde_json::json!({"before": role_document(&c.svc, &role)});
            c.audit(None, "DeleteRole", format!("role:{}", role.name), details).await;
            see_other("/admin/iam/roles?notice=role_deleted")
        }
        Err(e) => match refusal(e) {
            Ok(m) => role_page(&c.svc, layout, role, None, Some(m)),
            Err(resp) => resp,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::iam::policy::{PolicyKind, parse};

    #[test]
    fn the_identity_pool_policy_is_a_valid_trust_policy() {
        let text = identity_pool_policy("local:11111111-2222-3333-4444-555555555555", "authenticated");
        let policy = parse(&text, PolicyKind::Trust).unwrap();
        assert_eq!(policy.statements.len(), 1);
        assert!(
            text.contains("\"cognito-identity.amazonaws.com:aud\": \"local:11111111-2222-3333-4444-555555555555\"")
        );
    }
}
