//! Dashboard operators (administrators only): the accounts with their roles, a new operator with
//! a one-time temporary password, a role change, disabling and enabling, a new temporary
//! password, and resetting MFA. Every change is audited.

use super::{Access, Change, Configure, Layout, internal, page, see_other, segment};
use crate::ids::Username;
use crate::operators::{OperatorAccount, Role};
use crate::services::Services;
use crate::userpool::error::Error;
use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::web::Path;
use askama::Template;

#[derive(Template)]
#[template(path = "admin/operators.html")]
struct OperatorsPage {
    layout: Layout,
    accounts: Vec<(OperatorAccount, String, String)>,
    issued: Option<(String, String)>,
    error: Option<String>,
}

async fn operators_page(
    svc: &Services,
    layout: Layout,
    issued: Option<(String, String)>,
    error: Option<String>,
) -> HttpResponse {
    let accounts = match svc.operators.accounts().await {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    let accounts = accounts
        .into_iter()
        .map(|a| {
            let link = format!("/admin/operators/{}", segment(&a.username));
            let role = a.role.map(Role::group).unwrap_or("none").to_string();
            (a, link, role)
        })
        .collect();
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    page(status, &OperatorsPage { layout, accounts, issued, error })
}

/// `/admin/operators`.
pub async fn list(a: Access<Configure>) -> HttpResponse {
    operators_page(&a.svc, Layout::of(&a.op, "operators", None), None, None).await
}

fn role_of_form(value: &str) -> Result<Option<Role>, Error> {
    match value {
        "none" => Ok(None),
        v => Role::of_group(v).map(Some).ok_or_else(|| Error::invalid("Choose admins, operators, viewers or none.")),
    }
}

/// `POST /admin/operators`: a new operator; its temporary password is shown on this page once.
pub async fn create(c: Change<Configure>) -> HttpResponse {
    let layout = Layout::of(&c.op, "operators", None);
    let username = Username::from(c.form.get("username").trim());
    let role = match role_of_form(c.form.get("role")) {
        Ok(Some(r)) => r,
        Ok(None) => Role::Viewer,
        Err(e) => return operators_page(&c.svc, layout, None, Some(e.to_string())).await,
    };
    match c.svc.operators.create_operator(&username, role).await {
        Ok(temporary) => {
            let details = serde_json::json!({"Role": role.group()});
            c.audit(None, "CreateOperator", format!("operator:{username}"), details).await;
            operators_page(&c.svc, layout, Some((username.to_string(), temporary)), None).await
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => operators_page(&c.svc, layout, None, Some(e.to_string())).await,
    }
}

/// `POST /admin/operators/{username}/{action}`: role, disable, enable, reset-password or reset-mfa.
pub async fn act(c: Change<Configure>, path: Path<(String, String)>) -> HttpResponse {
    let (name, action) = path.into_inner();
    let username = Username::from(name.as_str());
    let svc = &c.svc;
    let layout = Layout::of(&c.op, "operators", None);
    let mut issued = None;
    let result: Result<serde_json::Value, Error> = match action.as_str() {
        "role" => match role_of_form(c.form.get("role")) {
            Ok(role) => svc
                .operators
                .set_role(&username, role)
                .await
                .map(|_| serde_json::json!({"Role": role.map(Role::group)})),
            Err(e) => Err(e),
        },
        "disable" => svc.operators.set_operator_enabled(&username, false).await.map(|_| serde_json::Value::Null),
        "enable" => svc.operators.set_operator_enabled(&username, true).await.map(|_| serde_json::Value::Null),
        "reset-password" => svc.operators.reset_operator_password(&username).await.map(|t| {
            issued = Some((username.to_string(), t));
            serde_json::Value::Null
        }),
        "reset-mfa" => reset_mfa(svc, &username).await.map(|_| serde_json::Value::Null),
        _ => return super::message(StatusCode::NOT_FOUND, "No such action", "This action does not exist."),
    };
    match result {
        Ok(details) => {
            c.audit(None, &format!("Operator:{action}"), format!("operator:{username}"), details).await;
            if issued.is_some() {
                operators_page(svc, layout, issued, None).await
            } else {
                see_other("/admin/operators")
            }
        }
        Err(Error::Internal(e)) => internal(e),
        Err(e) => operators_page(svc, layout, None, Some(e.to_string())).await,
    }
}

async fn reset_mfa(svc: &Services, username: &Username) -> Result<(), Error> {
    let Some(system) = svc.operators.system() else {
        return Err(Error::invalid("The system pool is not ready."));
    };
    let pool = svc.directory.pool(&system.pool_id).await?;
    let user = svc.users.user(&pool, username).await?;
    svc.sign_in.reset_mfa(&pool, &user).await
}
