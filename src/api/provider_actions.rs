//! Identity providers of a pool and the upstream identities linked to its users.

use super::pool_actions::with_token;
use super::{ApiResult, limit, s};
use crate::services::Services;
use crate::userpool::linked_identities::ProviderUser;
use serde_json::{Value, json};

pub const ACTIONS: &[&str] = &[
    "CreateIdentityProvider",
    "DescribeIdentityProvider",
    "UpdateIdentityProvider",
    "DeleteIdentityProvider",
    "ListIdentityProviders",
    "GetIdentityProviderByIdentifier",
    "AdminLinkProviderForUser",
    "AdminDisableProviderForUser",
];

pub async fn run(svc: &Services, action: &str, i: &Value) -> ApiResult {
    let pool_id = s(i, "UserPoolId");
    let name = s(i, "ProviderName");
    Ok(match action {
        "CreateIdentityProvider" => {
            let p = svc.user_pools.create_identity_provider(pool_id, i).await?;
            json!({"IdentityProvider": svc.user_pools.identity_provider_type(&p)?})
        }
        "DescribeIdentityProvider" => {
            let p = svc.user_pools.identity_provider(pool_id, name).await?;
            json!({"IdentityProvider": svc.user_pools.identity_provider_type(&p)?})
        }
        "UpdateIdentityProvider" => {
            let p = svc.user_pools.update_identity_provider(pool_id, i).await?;
            json!({"IdentityProvider": svc.user_pools.identity_provider_type(&p)?})
        }
        "DeleteIdentityProvider" => {
            svc.user_pools.delete_identity_provider(pool_id, name).await?;
            json!({})
        }
        "ListIdentityProviders" => {
            let (rows, next) = svc
                .user_pools
                .list_identity_providers(pool_id, limit(i, "MaxResults", 60), i["NextToken"].as_str())
                .await?;
            let list: Vec<Value> = rows
                .iter()
                .map(|p| {
                    json!({"ProviderName": p.name, "ProviderType": p.provider_type,
                           "LastModifiedDate": p.updated_at, "CreationDate": p.created_at})
                })
                .collect();
            with_token(json!({"Providers": list}), "NextToken", next)
        }
        "GetIdentityProviderByIdentifier" => {
            let p = svc.user_pools.identity_provider_by_identifier(pool_id, s(i, "IdpIdentifier")).await?;
            json!({"IdentityProvider": svc.user_pools.identity_provider_type(&p)?})
        }
        "AdminLinkProviderForUser" => {
            let (destination, source) =
                (ProviderUser::from_json(&i["DestinationUser"]), ProviderUser::from_json(&i["SourceUser"]));
            svc.users.admin_link_provider_for_user(pool_id, &destination, &source).await?;
            json!({})
        }
        "AdminDisableProviderForUser" => {
            svc.users.admin_disable_provider_for_user(pool_id, &ProviderUser::from_json(&i["User"])).await?;
            json!({})
        }
        _ => return Err(super::unsupported(action)),
    })
}
