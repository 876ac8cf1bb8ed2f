//! A user's own profile by access token (ChangePassword, UpdateUserAttributes,
//! GetUserAttributeVerificationCode, VerifyUserAttribute, DeleteUserAttributes, DeleteUser,
//! SetUserSettings, GetUserAuthFactors) and the administrator's counterparts
//! (AdminDeleteUserAttributes, AdminSetUserSettings, AdminGetUserAuthFactors).

use super::auth_actions::access_token_user;
use super::render::code_delivery;
use super::{ApiError, ApiResult, attribute_list, pool_id_in, s, string_list, username_in};
use crate::ids::ClientId;
use crate::services::Services;
use crate::store::users::UserRow;
use crate::userpool::directory::Directory;
use crate::userpool::model::{Client, Pool};
use crate::userpool::profile::MfaOption;
use crate::userpool::throttle::Source;
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub directory: &'a Directory,
    pub sign_in: &'a crate::userpool::SignIn,
    pub tokens: &'a crate::tokens::Tokens,
    pub users: &'a crate::userpool::Users,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { directory: &svc.directory, sign_in: &svc.sign_in, tokens: &svc.tokens, users: &svc.users }
    }
}

pub const ACTIONS: &[&str] = &[
    "ChangePassword",
    "UpdateUserAttributes",
    "GetUserAttributeVerificationCode",
    "VerifyUserAttribute",
    "DeleteUserAttributes",
    "AdminDeleteUserAttributes",
    "DeleteUser",
    "SetUserSettings",
    "AdminSetUserSettings",
    "GetUserAuthFactors",
    "AdminGetUserAuthFactors",
];

/// The user behind the request's access token, their pool and the client the token was issued to.
async fn token_user(svc: Uses<'_>, i: &Value) -> Result<(Pool, UserRow, Client), ApiError> {
    let (pool, user, client_id) = access_token_user(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
    let client = client_of(svc.directory, &client_id).await?;
    Ok((pool, user, client))
}

async fn client_of(directory: &Directory, id: &ClientId) -> Result<Client, ApiError> {
    directory.find_client(id).await?.ok_or_else(|| ApiError::new(400, "NotAuthorizedException", "Invalid Access Token"))
}

fn mfa_options(i: &Value) -> Vec<MfaOption> {
    let list = i["MFAOptions"].as_array().into_iter().flatten();
    list.map(|o| MfaOption {
        delivery_medium: s(o, "DeliveryMedium").to_string(),
        attribute_name: s(o, "AttributeName").to_string(),
    })
    .collect()
}

/// Get/AdminGetUserAuthFactors' answer.
async fn auth_factors(svc: Uses<'_>, pool: &Pool, user: &UserRow) -> ApiResult {
    let mut out = json!({
        "Username": user.username,
        "ConfiguredUserAuthFactors": svc.sign_in.first_factors(pool, user, svc.sign_in.has_passkeys(user).await?),
    });
    super::auth_actions::add_mfa_summary(svc.sign_in, pool, user, &mut out).await?;
    Ok(out)
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value, source: Source) -> ApiResult {
    Ok(match action {
        "ChangePassword" => {
            let (pool, user, client) = token_user(svc, i).await?;
            let previous = i["PreviousPassword"].as_str();
            svc.sign_in.change_password(&pool, &client, user, previous, s(i, "ProposedPassword"), source).await?;
            json!({})
        }
        "UpdateUserAttributes" => {
            let (pool, user, client) = token_user(svc, i).await?;
            let pairs = attribute_list(&i["UserAttributes"]);
            let sent = svc.sign_in.update_own_attributes(&pool, &client, user, &pairs).await?;
            let list: Vec<Value> = sent.iter().map(code_delivery).collect();
            json!({"CodeDeliveryDetailsList": list})
        }
        "GetUserAttributeVerificationCode" => {
            let (pool, user, _) = token_user(svc, i).await?;
            let d = svc.sign_in.send_attribute_code(&pool, &user, s(i, "AttributeName")).await?;
            json!({"CodeDeliveryDetails": code_delivery(&d)})
        }
        "VerifyUserAttribute" => {
            let (pool, user, _) = token_user(svc, i).await?;
            svc.sign_in.verify_attribute(&pool, user, s(i, "AttributeName"), s(i, "Code")).await?;
            json!({})
        }
        "DeleteUserAttributes" => {
            let (pool, user, client) = token_user(svc, i).await?;
            let names = string_list(&i["UserAttributeNames"]);
            svc.sign_in.delete_own_attributes(&pool, &client, user, &names).await?;
            json!({})
        }
        "AdminDeleteUserAttributes" => {
            let names = string_list(&i["UserAttributeNames"]);
            svc.users.admin_delete_attributes(&pool_id_in(i)?, &username_in(i), &names).await?;
            json!({})
        }
        "DeleteUser" => {
            let (_, user, _) = token_user(svc, i).await?;
            svc.sign_in.delete_self(&user).await?;
            json!({})
        }
        "SetUserSettings" => {
            let (_, user, _) = token_user(svc, i).await?;
            svc.sign_in.set_user_settings(&user, &mfa_options(i)).await?;
            json!({})
        }
        "AdminSetUserSettings" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            let user = svc.users.user(&pool, &username_in(i)).await?;
            svc.sign_in.set_user_settings(&user, &mfa_options(i)).await?;
            json!({})
        }
        "GetUserAuthFactors" => {
            let (pool, user, _) = token_user(svc, i).await?;
            auth_factors(svc, &pool, &user).await?
        }
        "AdminGetUserAuthFactors" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            let user = svc.users.user(&pool, &username_in(i)).await?;
            auth_factors(svc, &pool, &user).await?
        }
        _ => return Err(super::unsupported(action)),
    })
}
