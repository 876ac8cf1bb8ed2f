//! IAM actions over the Query protocol: CreateRole, GetRole, ListRoles, UpdateAssumeRolePolicy,
//! DeleteRole, PutRolePolicy, GetRolePolicy, DeleteRolePolicy. Policy documents are returned
//! URL-encoded, as IAM returns them (SDKs decode them).

use super::query::{Caller, QueryError, iso8601};
use super::xml::Xml;
use crate::iam::Iam;
use crate::iam::policy::url_encode;
use crate::iam::roles::NewRole;
use crate::store::iam::RoleRow;

/// Run an IAM action for an authenticated caller; the content of `<{Action}Result>`, if any.
pub(super) async fn run(
    iam: &Iam,
    action: &str,
    p: &super::query::Params,
    caller: Option<Caller>,
) -> Result<Option<Xml>, QueryError> {
    if let Some(Caller::Assumed(session)) = &caller {
        return Err(QueryError::new(
            403,
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: iam:{action} (roles are managed with management keys)",
                session.arn(iam.account_id())
            ),
        ));
    }
    Ok(match action {
        "CreateRole" => {
            if p.get("PermissionsBoundary").is_some() {
                return Err(QueryError::validation("PermissionsBoundary is not supported by this server."));
            }
            if !p.list("Tags").is_empty() {
                return Err(QueryError::validation("Tags are not supported by this server."));
            }
            let role = iam
                .create_role(NewRole {
                    name: p.required("RoleName", "roleName")?.to_string(),
                    path: p.get("Path").map(str::to_string),
                    assume_role_policy_document: p
                        .required("AssumeRolePolicyDocument", "assumeRolePolicyDocument")?
                        .to_string(),
                    description: p.get("Description").map(str::to_string),
                    max_session_duration: p.int("MaxSessionDuration", "maxSessionDuration")?,
                })
                .await?;
            Some(element("Role", |x| role_fields(iam, &role, x)))
        }
        "GetRole" => {
            let role = iam.get_role(p.required("RoleName", "roleName")?).await?;
            Some(element("Role", |x| role_fields(iam, &role, x)))
        }
        "ListRoles" => {
            let page = iam.list_roles(p.get("PathPrefix"), p.get("Marker"), p.int("MaxItems", "maxItems")?).await?;
            let mut x = Xml::new();
            x.elem("Roles", |x| {
                for role in &page.roles {
                    x.elem("member", |x| role_fields(iam, role, x));
                }
            });
            x.text("IsTruncated", if page.marker.is_some() { "true" } else { "false" });
            if let Some(m) = &page.marker {
                x.text("Marker", m);
            }
            Some(x)
        }
        "UpdateAssumeRolePolicy" => {
            iam.update_assume_role_policy(
                p.required("RoleName", "roleName")?,
                p.required("PolicyDocument", "policyDocument")?,
            )
            .await?;
            None
        }
        "DeleteRole" => {
            iam.delete_role(p.required("RoleName", "roleName")?).await?;
            None
        }
        "PutRolePolicy" => {
            iam.put_role_policy(
                p.required("RoleName", "roleName")?,
                p.required("PolicyName", "policyName")?,
                p.required("PolicyDocument", "policyDocument")?,
            )
            .await?;
            None
        }
        "GetRolePolicy" => {
            let policy = iam
                .get_role_policy(p.required("RoleName", "roleName")?, p.required("PolicyName", "policyName")?)
                .await?;
            let mut x = Xml::new();
            x.text("RoleName", &policy.role_name)
                .text("PolicyName", &policy.policy_name)
                .text("PolicyDocument", &url_encode(&policy.document));
            Some(x)
        }
        "DeleteRolePolicy" => {
            iam.delete_role_policy(p.required("RoleName", "roleName")?, p.required("PolicyName", "policyName")?)
                .await?;
            None
        }
        other => return Err(QueryError::new(400, "InvalidAction", format!("Could not find operation {other}"))),
    })
}

fn element(tag: &str, inner: impl FnOnce(&mut Xml)) -> Xml {
    let mut x = Xml::new();
    x.elem(tag, inner);
    x
}

/// The members of IAM's `Role` shape.
fn role_fields(iam: &Iam, role: &RoleRow, x: &mut Xml) {
    x.text("Path", &role.path)
        .text("RoleName", &role.name)
        .text("RoleId", &role.role_id)
        .text("Arn", &iam.role_arn(role))
        .text("CreateDate", &iso8601(role.created_at))
        .text("AssumeRolePolicyDocument", &url_encode(&role.assume_role_policy));
    if let Some(d) = &role.description {
        x.text("Description", d);
    }
    x.text("MaxSessionDuration", &role.max_session_duration.to_string());
}
