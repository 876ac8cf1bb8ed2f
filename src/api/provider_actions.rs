//! Identity providers of a pool and the upstream identities linked to its users.

use super::pool_actions::with_token;
use super::{ApiError, ApiResult, limit, pool_id_in, s, string_list, string_map};
use crate::services::Services;
use crate::store::federation::IdentityProviderRow;
use crate::userpool::error::Error;
use crate::userpool::identity_providers::{IdentityProviderChanges, NewIdentityProvider, ProviderType};
use crate::userpool::linked_identities::ProviderUser;
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub user_pools: &'a crate::userpool::UserPools,
    pub users: &'a crate::userpool::Users,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { user_pools: &svc.user_pools, users: &svc.users }
    }
}

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

pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    let name = s(i, "ProviderName");
    Ok(match action {
        "CreateIdentityProvider" => {
            let p = svc.user_pools.create_identity_provider(&pool_id_in(i)?, &new_provider(i)?).await?;
            json!({"IdentityProvider": identity_provider_type(svc, &p)?})
        }
        "DescribeIdentityProvider" => {
            let p = svc.user_pools.identity_provider(&pool_id_in(i)?, name).await?;
            json!({"IdentityProvider": identity_provider_type(svc, &p)?})
        }
        "UpdateIdentityProvider" => {
            let p = svc.user_pools.update_identity_provider(&pool_id_in(i)?, name, &provider_changes(i)).await?;
            json!({"IdentityProvider": identity_provider_type(svc, &p)?})
        }
        "DeleteIdentityProvider" => {
            svc.user_pools.delete_identity_provider(&pool_id_in(i)?, name).await?;
            json!({})
        }
        "ListIdentityProviders" => {
            let (rows, next) = svc
                .user_pools
                .list_identity_providers(&pool_id_in(i)?, limit(i, "MaxResults", 60), i["NextToken"].as_str())
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
            let p = svc.user_pools.identity_provider_by_identifier(&pool_id_in(i)?, s(i, "IdpIdentifier")).await?;
            json!({"IdentityProvider": identity_provider_type(svc, &p)?})
        }
        "AdminLinkProviderForUser" => {
            let (destination, source) = (provider_user(&i["DestinationUser"]), provider_user(&i["SourceUser"]));
            svc.users.admin_link_provider_for_user(&pool_id_in(i)?, &destination, &source).await?;
            json!({})
        }
        "AdminDisableProviderForUser" => {
            svc.users.admin_disable_provider_for_user(&pool_id_in(i)?, &provider_user(&i["User"])).await?;
            json!({})
        }
        _ => return Err(super::unsupported(action)),
    })
}

/// A CreateIdentityProvider request.
fn new_provider(i: &Value) -> Result<NewIdentityProvider, ApiError> {
    let t = s(i, "ProviderType");
    let provider_type = ProviderType::parse(t).ok_or_else(|| Error::invalid(format!("Invalid ProviderType: {t}")))?;
    Ok(NewIdentityProvider {
        name: s(i, "ProviderName").to_string(),
        provider_type,
        details: string_map(&i["ProviderDetails"]),
        attribute_mapping: string_map(&i["AttributeMapping"]),
        idp_identifiers: string_list(&i["IdpIdentifiers"]),
    })
}

/// An UpdateIdentityProvider request: members left out (or null) are not changed.
fn provider_changes(i: &Value) -> IdentityProviderChanges {
    let given = |k: &str| i.get(k).filter(|v| !v.is_null());
    IdentityProviderChanges {
        details: given("ProviderDetails").map(string_map),
        attribute_mapping: given("AttributeMapping").map(string_map),
        idp_identifiers: given("IdpIdentifiers").map(string_list),
    }
}

/// A `ProviderUserIdentifierType`.
fn provider_user(v: &Value) -> ProviderUser {
    ProviderUser {
        provider_name: s(v, "ProviderName").to_string(),
        attribute_name: s(v, "ProviderAttributeName").to_string(),
        attribute_value: s(v, "ProviderAttributeValue").to_string(),
    }
}

/// Cognito's `IdentityProviderType`: the details over the type's defaults, with the secret.
fn identity_provider_type(svc: Uses<'_>, p: &IdentityProviderRow) -> Result<Value, ApiError> {
    Ok(json!({
        "UserPoolId": p.pool_id,
        "ProviderName": p.name,
        "ProviderType": p.provider_type,
        "ProviderDetails": svc.user_pools.identity_provider_details(p)?,
        "AttributeMapping": p.attribute_mapping,
        "IdpIdentifiers": p.idp_identifiers,
        "LastModifiedDate": p.updated_at,
        "CreationDate": p.created_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn create_input_is_typed_and_an_unknown_type_refused() {
        let i = json!({"ProviderName": "Okta", "ProviderType": "OIDC",
            "ProviderDetails": {"client_id": "c", "authorize_scopes": "openid"},
            "AttributeMapping": {"email": "mail"}, "IdpIdentifiers": ["okta", "corp"]});
        let p = new_provider(&i).unwrap();
        assert_eq!((p.name.as_str(), p.provider_type), ("Okta", ProviderType::Oidc));
        assert_eq!(p.details.get("authorize_scopes").map(String::as_str), Some("openid"));
        assert_eq!(p.attribute_mapping, BTreeMap::from([("email".to_string(), "mail".to_string())]));
        assert_eq!(p.idp_identifiers, ["okta", "corp"]);
        let ldap =
            json!({"UserPoolId": "local_abc", "ProviderName": "x", "ProviderType": "LDAP", "ProviderDetails": {}});
        assert!(
            crate::api::model::Model::get().validate("CreateIdentityProvider", &ldap).is_err(),
            "the model refuses it"
        );
        assert_eq!(
            new_provider(&ldap).unwrap_err().message,
            "Invalid ProviderType: LDAP",
            "and so would the conversion"
        );
    }

    #[test]
    fn update_input_changes_only_what_is_given() {
        assert_eq!(provider_changes(&json!({"ProviderName": "Okta", "AttributeMapping": null})), Default::default());
        let c = provider_changes(&json!({"ProviderDetails": {}, "IdpIdentifiers": []}));
        assert_eq!((c.details, c.attribute_mapping, c.idp_identifiers), (Some(BTreeMap::new()), None, Some(vec![])));
    }

    #[test]
    fn a_provider_user_reads_its_three_members() {
        let u = provider_user(&json!({"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject",
                                       "ProviderAttributeValue": "123"}));
        assert_eq!(
            (u.provider_name.as_str(), u.attribute_name.as_str(), u.attribute_value.as_str()),
            ("Google", "Cognito_Subject", "123")
        );
        assert_eq!(provider_user(&Value::Null), ProviderUser::default());
    }
}
