//! Identity pools (`AWSCognitoIdentityService.*`): pools, roles and tags; identities; the
//! enhanced, basic and developer-authenticated flows. Input has passed the `cognito-identity`
//! model; the services hold the rules.

use super::pool_actions::with_token;
use super::{ApiError, ApiResult, limit, s};
use crate::identity_pools::error::Error;
use crate::identity_pools::pools::{IdentityPool, string_map};
use crate::services::Services;
use serde_json::{Map, Value, json};

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match &e {
            Error::Internal(cause) => {
                tracing::error!(error = ?cause, "internal error in the identity pools API");
                ApiError::new(500, "InternalErrorException", "An internal error occurred.")
            }
            other => ApiError::new(400, other.type_name(), other.to_string()),
        }
    }
}

fn map(v: &Value, k: &str) -> Map<String, Value> {
    v[k].as_object().cloned().unwrap_or_default()
}

fn opt<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v[k].as_str()
}

fn strings(v: &Value, k: &str) -> Vec<String> {
    v[k].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

fn pool_value(p: &IdentityPool) -> Value {
    p.to_value()
}

pub async fn run(svc: &Services, action: &str, i: &Value) -> ApiResult {
    let pool_id = s(i, "IdentityPoolId");
    let identity_id = s(i, "IdentityId");
    Ok(match action {
        "CreateIdentityPool" => pool_value(&svc.identity_pools.create_identity_pool(i).await?),
        "DescribeIdentityPool" => pool_value(&svc.identity_pools.identity_pool(pool_id).await?),
        "UpdateIdentityPool" => pool_value(&svc.identity_pools.update_identity_pool(i).await?),
        "DeleteIdentityPool" => {
            svc.identity_pools.delete_identity_pool(pool_id).await?;
            json!({})
        }
        "ListIdentityPools" => {
            let (pools, next) =
                svc.identity_pools.list_identity_pools(limit(i, "MaxResults", 60), opt(i, "NextToken")).await?;
            let list: Vec<Value> = pools
                .iter()
                .map(|p| json!({"IdentityPoolId": p.identity_pool_id, "IdentityPoolName": p.identity_pool_name}))
                .collect();
            with_token(json!({"IdentityPools": list}), "NextToken", next)
        }
        "SetIdentityPoolRoles" => {
            svc.identity_pools.set_identity_pool_roles(pool_id, i).await?;
            json!({})
        }
        "GetIdentityPoolRoles" => {
            let roles = svc.identity_pools.identity_pool_roles(pool_id).await?;
            let mut v = serde_json::to_value(&roles).map_err(|e| ApiError::from(Error::internal(e)))?;
            v["IdentityPoolId"] = json!(pool_id);
            v
        }
        "TagResource" => {
            svc.identity_pools.retag_identity_pool(s(i, "ResourceArn"), &string_map(&i["Tags"]), &[]).await?;
            json!({})
        }
        "UntagResource" => {
            svc.identity_pools
                .retag_identity_pool(s(i, "ResourceArn"), &Default::default(), &strings(i, "TagKeys"))
                .await?;
            json!({})
        }
        "ListTagsForResource" => json!({"Tags": svc.identity_pools.identity_pool_tags(s(i, "ResourceArn")).await?}),
        "GetId" => json!({"IdentityId": svc.identity_pools.get_id(pool_id, &map(i, "Logins")).await?}),
        "GetCredentialsForIdentity" => {
            let (id, c) = svc
                .identity_pools
                .credentials_for_identity(identity_id, &map(i, "Logins"), opt(i, "CustomRoleArn"))
                .await?;
            json!({"IdentityId": id, "Credentials": {
                "AccessKeyId": c.access_key_id, "SecretKey": c.secret_access_key,
                "SessionToken": c.session_token, "Expiration": c.expiration}})
        }
        "GetOpenIdToken" => {
            let (id, token) = svc.identity_pools.open_id_token(identity_id, &map(i, "Logins")).await?;
            json!({"IdentityId": id, "Token": token})
        }
        "GetOpenIdTokenForDeveloperIdentity" => {
            let (id, token) = svc
                .identity_pools
                .open_id_token_for_developer_identity(
                    pool_id,
                    opt(i, "IdentityId"),
                    &map(i, "Logins"),
                    &map(i, "PrincipalTags"),
                    i["TokenDuration"].as_i64(),
                )
                .await?;
            json!({"IdentityId": id, "Token": token})
        }
        "LookupDeveloperIdentity" => {
            let found = svc
                .identity_pools
                .lookup_developer_identity(
                    pool_id,
                    opt(i, "IdentityId"),
                    opt(i, "DeveloperUserIdentifier"),
                    limit(i, "MaxResults", 60),
                    opt(i, "NextToken"),
                )
                .await?;
            with_token(
                json!({"IdentityId": found.identity_id, "DeveloperUserIdentifierList": found.developer_users}),
                "NextToken",
                found.next_token,
            )
        }
        "MergeDeveloperIdentities" => {
            let id = svc
                .identity_pools
                .merge_developer_identities(
                    pool_id,
                    s(i, "DeveloperProviderName"),
                    s(i, "SourceUserIdentifier"),
                    s(i, "DestinationUserIdentifier"),
                )
                .await?;
            json!({"IdentityId": id})
        }
        "UnlinkDeveloperIdentity" => {
            svc.identity_pools
                .unlink_developer_identity(
                    pool_id,
                    s(i, "DeveloperProviderName"),
                    identity_id,
                    s(i, "DeveloperUserIdentifier"),
                )
                .await?;
            json!({})
        }
        "UnlinkIdentity" => {
            svc.identity_pools.unlink_identity(identity_id, &map(i, "Logins"), &strings(i, "LoginsToRemove")).await?;
            json!({})
        }
        "DescribeIdentity" => svc.identity_pools.describe_identity(identity_id).await?,
        "ListIdentities" => {
            let (list, next) = svc
                .identity_pools
                .list_identities(
                    pool_id,
                    limit(i, "MaxResults", 60),
                    opt(i, "NextToken"),
                    i["HideDisabled"].as_bool().unwrap_or(false),
                )
                .await?;
            with_token(json!({"IdentityPoolId": pool_id, "Identities": list}), "NextToken", next)
        }
        "DeleteIdentities" => {
            let unprocessed = svc.identity_pools.delete_identities(&strings(i, "IdentityIdsToDelete")).await;
            json!({"UnprocessedIdentityIds": unprocessed})
        }
        _ => return Err(super::unsupported(action)),
    })
}
