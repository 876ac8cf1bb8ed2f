//! IAM actions over the Query protocol: CreateRole, GetRole, ListRoles, UpdateAssumeRolePolicy,
//! DeleteRole, PutRolePolicy, GetRolePolicy, DeleteRolePolicy, and the managed policies
//! (CreatePolicy, GetPolicy, GetPolicyVersion, ListPolicies, DeletePolicy, AttachRolePolicy,
//! DetachRolePolicy, ListAttachedRolePolicies). Policy documents are returned URL-encoded, as
//! IAM returns them (SDKs decode them).

use super::query::{Caller, QueryError, iso8601};
use super::xml::Xml;
use crate::iam::Iam;
use crate::iam::managed::{ManagedPolicy, NewPolicy};
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
            truncation(&mut x, page.marker.as_deref());
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
        "CreatePolicy" => {
            if !p.list("Tags").is_empty() {
                return Err(QueryError::validation("Tags are not supported by this server."));
            }
            let policy = iam
                .create_policy(NewPolicy {
                    name: p.required("PolicyName", "policyName")?.to_string(),
                    path: p.get("Path").map(str::to_string),
                    document: p.required("PolicyDocument", "policyDocument")?.to_string(),
                    description: p.get("Description").map(str::to_string),
                })
                .await?;
            Some(element("Policy", |x| policy_fields(&policy, false, x)))
        }
        "GetPolicy" => {
            let policy = iam.get_policy(p.required("PolicyArn", "policyArn")?).await?;
            Some(element("Policy", |x| policy_fields(&policy, true, x)))
        }
        "GetPolicyVersion" => {
            let policy = iam.get_policy(p.required("PolicyArn", "policyArn")?).await?;
            let version = p.required("VersionId", "versionId")?;
            if version != "v1" {
                return Err(QueryError::new(
                    404,
                    "NoSuchEntity",
                    format!("Policy {} version {version} does not exist or is not attachable.", policy.row.arn),
                ));
            }
            Some(element("PolicyVersion", |x| {
                x.text("Document", &url_encode(&policy.row.document))
                    .text("VersionId", "v1")
                    .text("IsDefaultVersion", "true")
                    .text("CreateDate", &iso8601(policy.row.created_at));
            }))
        }
        "ListPolicies" => {
            let only_attached = p.get("OnlyAttached").is_some_and(|v| v.eq_ignore_ascii_case("true"));
            let page = iam
                .list_policies(
                    p.get("Scope"),
                    only_attached,
                    p.get("PathPrefix"),
                    p.get("Marker"),
                    p.int("MaxItems", "maxItems")?,
                )
                .await?;
            let mut x = Xml::new();
            x.elem("Policies", |x| {
                for policy in &page.policies {
                    x.elem("member", |x| policy_fields(policy, false, x));
                }
            });
            truncation(&mut x, page.marker.as_deref());
            Some(x)
        }
        "DeletePolicy" => {
            iam.delete_policy(p.required("PolicyArn", "policyArn")?).await?;
            None
        }
        "AttachRolePolicy" => {
            iam.attach_role_policy(p.required("RoleName", "roleName")?, p.required("PolicyArn", "policyArn")?).await?;
            None
        }
        "DetachRolePolicy" => {
            iam.detach_role_policy(p.required("RoleName", "roleName")?, p.required("PolicyArn", "policyArn")?).await?;
            None
        }
        "ListAttachedRolePolicies" => {
            let (policies, marker) = iam
                .attached_role_policies(
                    p.required("RoleName", "roleName")?,
                    p.get("PathPrefix"),
                    p.get("Marker"),
                    p.int("MaxItems", "maxItems")?,
                )
                .await?;
            let mut x = Xml::new();
            x.elem("AttachedPolicies", |x| {
                for policy in &policies {
                    x.elem("member", |x| {
                        x.text("PolicyName", &policy.name).text("PolicyArn", &policy.arn);
                    });
                }
            });
            truncation(&mut x, marker.as_deref());
            Some(x)
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

/// A listing's `IsTruncated`, and its `Marker` when there is more.
fn truncation(x: &mut Xml, marker: Option<&str>) {
    x.text("IsTruncated", if marker.is_some() { "true" } else { "false" });
    if let Some(m) = marker {
        x.text("Marker", m);
    }
}

/// The members of IAM's `Policy` shape (`Description` only where GetPolicy gives it).
fn policy_fields(p: &ManagedPolicy, with_description: bool, x: &mut Xml) {
    let r = &p.row;
    x.text("PolicyName", &r.name)
        .text("PolicyId", &r.policy_id)
        .text("Arn", &r.arn)
        .text("Path", &r.path)
        .text("DefaultVersionId", "v1")
        .text("AttachmentCount", &p.attachments.to_string())
        .text("PermissionsBoundaryUsageCount", "0")
        .text("IsAttachable", "true");
    if with_description && let Some(d) = &r.description {
        x.text("Description", d);
    }
    x.text("CreateDate", &iso8601(r.created_at)).text("UpdateDate", &iso8601(r.created_at));
}
