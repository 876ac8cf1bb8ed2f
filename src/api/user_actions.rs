//! Users and groups.

use super::pool_actions::with_token;
use super::render::{self, group_type, user_type};
use super::{ApiResult, attribute_list, limit, pool_id_in, s, username_in};
use crate::services::Services;
use crate::userpool::attributes;
use crate::userpool::groups::{GroupChanges, NewGroup};
use crate::userpool::user_triggers::TriggerInput;
use crate::userpool::users::{MessageAction, NewUser};
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub directory: &'a crate::userpool::directory::Directory,
    pub users: &'a crate::userpool::Users,
    pub sign_in: &'a crate::userpool::SignIn,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { directory: &svc.directory, users: &svc.users, sign_in: &svc.sign_in }
    }
}

pub const ACTIONS: &[&str] = &[
    "AdminCreateUser",
    "AdminGetUser",
    "AdminDeleteUser",
    "AdminSetUserPassword",
    "AdminUpdateUserAttributes",
    "AdminDisableUser",
    "AdminEnableUser",
    "AdminUserGlobalSignOut",
    "ListUsers",
    "CreateGroup",
    "GetGroup",
    "UpdateGroup",
    "ListGroups",
    "DeleteGroup",
    "AdminAddUserToGroup",
    "AdminRemoveUserFromGroup",
    "AdminListGroupsForUser",
    "ListUsersInGroup",
];

/// AdminCreateUser's request as a command.
fn new_user(i: &Value) -> NewUser {
    NewUser {
        username: username_in(i),
        attributes: attribute_list(&i["UserAttributes"]),
        temporary_password: i["TemporaryPassword"].as_str().map(str::to_string),
        message_action: match s(i, "MessageAction") {
            "RESEND" => Some(MessageAction::Resend),
            "SUPPRESS" => Some(MessageAction::Suppress),
            _ => None,
        },
        deliver_by_email: i["DesiredDeliveryMediums"].as_array().is_some_and(|m| m.iter().any(|x| x == "EMAIL")),
        force_alias_creation: i["ForceAliasCreation"] == true,
        trigger_input: TriggerInput::from_api(&i["ValidationData"], &i["ClientMetadata"]),
    }
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    let username = &username_in(i);
    Ok(match action {
        "AdminCreateUser" => {
            let u = svc.users.admin_create_user(&pool_id_in(i)?, &new_user(i)).await?;
            json!({"User": user_type(&u, None)})
        }
        "AdminGetUser" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            let u = svc.users.user(&pool, username).await?;
            let mut out = json!({
                "Username": u.username,
                "UserAttributes": render::attributes(&attributes::to_list(&u, None)),
                "UserCreateDate": u.created_at,
                "UserLastModifiedDate": u.updated_at,
                "Enabled": u.enabled,
                "UserStatus": u.status,
            });
            super::auth_actions::add_mfa_summary(svc.sign_in, &pool, &u, &mut out).await?;
            out
        }
        "AdminDeleteUser" => {
            svc.users.admin_delete_user(&pool_id_in(i)?, username).await?;
            json!({})
        }
        "AdminSetUserPassword" => {
            svc.users
                .admin_set_password(
                    &pool_id_in(i)?,
                    username,
                    s(i, "Password"),
                    i["Permanent"].as_bool().unwrap_or(false),
                )
                .await?;
            json!({})
        }
        "AdminUpdateUserAttributes" => {
            svc.users.admin_update_attributes(&pool_id_in(i)?, username, &attribute_list(&i["UserAttributes"])).await?;
            json!({})
        }
        "AdminDisableUser" | "AdminEnableUser" => {
            svc.users.admin_set_enabled(&pool_id_in(i)?, username, action == "AdminEnableUser").await?;
            json!({})
        }
        "AdminUserGlobalSignOut" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            let user = svc.users.user(&pool, username).await?;
            svc.users.global_sign_out(&pool, user).await?;
            json!({})
        }
        "ListUsers" => {
            let only: Option<Vec<String>> = i["AttributesToGet"]
                .as_array()
                .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect());
            let (users, next) = svc
                .users
                .list_users(&pool_id_in(i)?, s(i, "Filter"), limit(i, "Limit", 60), i["PaginationToken"].as_str())
                .await?;
            let list: Vec<Value> = users.iter().map(|u| user_type(u, only.as_deref())).collect();
            with_token(json!({"Users": list}), "PaginationToken", next)
        }
        "CreateGroup" => {
            let settings = NewGroup {
                description: i["Description"].as_str().map(str::to_string),
                role_arn: i["RoleArn"].as_str().map(str::to_string),
                precedence: i["Precedence"].as_i64(),
            };
            json!({"Group": group_type(&svc.users.create_group(&pool_id_in(i)?, s(i, "GroupName"), &settings).await?)})
        }
        "GetGroup" => {
            json!({"Group": group_type(&svc.users.group(&pool_id_in(i)?, s(i, "GroupName")).await?)})
        }
        "UpdateGroup" => {
            let text = |k: &str| i.get(k).map(|v| v.as_str().map(str::to_string));
            let changes = GroupChanges {
                description: text("Description"),
                role_arn: text("RoleArn"),
                precedence: i.get("Precedence").map(Value::as_i64),
            };
            json!({"Group": group_type(&svc.users.update_group(&pool_id_in(i)?, s(i, "GroupName"), &changes).await?)})
        }
        "DeleteGroup" => {
            svc.users.delete_group(&pool_id_in(i)?, s(i, "GroupName")).await?;
            json!({})
        }
        "ListGroups" => {
            let (rows, next) =
                svc.users.list_groups(&pool_id_in(i)?, limit(i, "Limit", 60), i["NextToken"].as_str()).await?;
            let list: Vec<Value> = rows.iter().map(group_type).collect();
            with_token(json!({"Groups": list}), "NextToken", next)
        }
        "AdminAddUserToGroup" => {
            svc.users.add_user_to_group(&pool_id_in(i)?, username, s(i, "GroupName")).await?;
            json!({})
        }
        "AdminRemoveUserFromGroup" => {
            svc.users.remove_user_from_group(&pool_id_in(i)?, username, s(i, "GroupName")).await?;
            json!({})
        }
        "AdminListGroupsForUser" => {
            let (max, after) = (limit(i, "Limit", 60), i["NextToken"].as_str());
            let (groups, next) = svc.users.groups_of_user_page(&pool_id_in(i)?, username, max, after).await?;
            let list: Vec<Value> = groups.iter().map(group_type).collect();
            with_token(json!({"Groups": list}), "NextToken", next)
        }
        "ListUsersInGroup" => {
            let (max, after) = (limit(i, "Limit", 60), i["NextToken"].as_str());
            let (rows, next) = svc.users.users_in_group(&pool_id_in(i)?, s(i, "GroupName"), max, after).await?;
            let list: Vec<Value> = rows.iter().map(|u| user_type(u, None)).collect();
            with_token(json!({"Users": list}), "NextToken", next)
        }
        _ => return Err(super::unsupported(action)),
    })
}
