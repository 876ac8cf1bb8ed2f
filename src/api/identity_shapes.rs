//! Identity pools on the wire (`cognito-identity`): the IdentityPool input as an
//! [`IdentityPoolDefinition`], SetIdentityPoolRoles input as [`PoolRoles`], a request's `Logins`,
//! and the answers (IdentityPool, the roles, IdentityDescription). The input has passed the
//! model: members have their types, enums their values, required members are there.

use super::{string_list, string_map};
use crate::identity_pools::identities::IdentityDescription;
use crate::identity_pools::logins::Logins;
use crate::identity_pools::pools::{CognitoIdentityProvider, IdentityPool, IdentityPoolDefinition};
use crate::identity_pools::roles::{PoolRoles, RoleMapping};
use serde_json::{Map, Value, json};

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// A request's `Logins` (provider -> token); empty when absent.
pub(super) fn logins(i: &Value) -> Logins {
    string_map(&i["Logins"])
}

/// The settings of a CreateIdentityPool or UpdateIdentityPool request.
pub(super) fn identity_pool_definition(i: &Value) -> IdentityPoolDefinition {
    let tags = &i["IdentityPoolTags"];
    IdentityPoolDefinition {
        name: text(&i["IdentityPoolName"]),
        allow_unauthenticated_identities: i["AllowUnauthenticatedIdentities"].as_bool().unwrap_or(false),
        allow_classic_flow: i["AllowClassicFlow"].as_bool().unwrap_or(false),
        supported_login_providers: string_map(&i["SupportedLoginProviders"]),
        developer_provider_name: i["DeveloperProviderName"].as_str().map(str::to_string),
        open_id_connect_provider_arns: string_list(&i["OpenIdConnectProviderARNs"]),
        cognito_identity_providers: CognitoIdentityProvider::list(&i["CognitoIdentityProviders"]),
        saml_provider_arns: string_list(&i["SamlProviderARNs"]),
        tags: (!tags.is_null()).then(|| string_map(tags)),
    }
}

/// Cognito's `IdentityPool`: the pool's stored document, kept in Cognito's shape.
pub(super) fn identity_pool(p: &IdentityPool) -> Value {
    p.document()
}

/// The roles and role mappings of a SetIdentityPoolRoles request.
pub(super) fn pool_roles(i: &Value) -> PoolRoles {
    let role_mappings = i["RoleMappings"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(provider, m)| Some((provider.clone(), RoleMapping::from_document(m).ok()?)))
        .collect();
    PoolRoles { roles: string_map(&i["Roles"]), role_mappings }
}

/// GetIdentityPoolRoles' answer.
pub(super) fn pool_roles_value(pool_id: &str, r: &PoolRoles) -> Value {
    let mut v = json!({"IdentityPoolId": pool_id, "Roles": r.roles});
    if !r.role_mappings.is_empty() {
        let mappings: Map<String, Value> = r.role_mappings.iter().map(|(k, m)| (k.clone(), m.document())).collect();
        v["RoleMappings"] = Value::Object(mappings);
    }
    v
}

/// Cognito's `IdentityDescription`.
pub(super) fn identity_description(d: &IdentityDescription) -> Value {
    json!({"IdentityId": d.identity_id, "Logins": d.logins,
           "CreationDate": d.created_at, "LastModifiedDate": d.updated_at})
}

/// DeleteIdentities' `UnprocessedIdentityIds`: each id failed for an internal error.
pub(super) fn unprocessed_identities(ids: &[String]) -> Value {
    ids.iter().map(|id| json!({"IdentityId": id, "ErrorCode": "InternalServerError"})).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity_pools::roles::MatchType;
    use std::collections::BTreeMap;

    #[test]
    fn a_pool_request_becomes_a_definition_and_tags_left_out_stay_unset() {
        let i = json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": true,
            "SupportedLoginProviders": {"accounts.google.com": "g"}, "DeveloperProviderName": "dev",
            "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.local.amazonaws.com/local_a", "ClientId": "c"}],
            "OpenIdConnectProviderARNs": ["arn:aws:iam::000000000000:oidc-provider/x"]});
        let d = identity_pool_definition(&i);
        assert_eq!((d.name.as_str(), d.allow_unauthenticated_identities, d.allow_classic_flow), ("p", true, false));
        assert_eq!(d.developer_provider_name.as_deref(), Some("dev"));
        assert_eq!(
            d.cognito_identity_providers,
            [CognitoIdentityProvider {
                provider_name: "cognito-idp.local.amazonaws.com/local_a".into(),
                client_id: "c".into(),
                server_side_token_check: false
            }]
        );
        assert_eq!(d.tags, None);
        let tagged = identity_pool_definition(&json!({"IdentityPoolTags": {}}));
        assert_eq!(tagged.tags, Some(BTreeMap::new()), "empty tags given replace the pool's tags");
        assert_eq!(identity_pool_definition(&json!({"IdentityPoolTags": null})).tags, None);
    }

    #[test]
    fn a_pool_is_shown_with_every_member_and_the_developer_provider_when_set() {
        let d = identity_pool_definition(&json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false}));
        let mut p = IdentityPool {
            identity_pool_id: "local:1".into(),
            identity_pool_name: d.name,
            allow_unauthenticated_identities: false,
            allow_classic_flow: true,
            supported_login_providers: BTreeMap::new(),
            developer_provider_name: None,
            open_id_connect_provider_arns: vec![],
            cognito_identity_providers: vec![CognitoIdentityProvider::default()],
            saml_provider_arns: vec![],
            identity_pool_tags: BTreeMap::from([("a".into(), "1".into())]),
        };
        assert_eq!(
            identity_pool(&p),
            json!({"IdentityPoolId": "local:1", "IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false,
                   "AllowClassicFlow": true, "SupportedLoginProviders": {}, "OpenIdConnectProviderARNs": [],
                   "CognitoIdentityProviders": [{"ProviderName": "", "ClientId": "", "ServerSideTokenCheck": false}],
                   "SamlProviderARNs": [], "IdentityPoolTags": {"a": "1"}})
        );
        p.developer_provider_name = Some("dev".into());
        assert_eq!(identity_pool(&p)["DeveloperProviderName"], "dev");
    }

    #[test]
    fn roles_round_trip_and_null_members_read_as_absent() {
        let i = json!({"IdentityPoolId": "local:1", "Roles": {"authenticated": "arn:aws:iam::000000000000:role/a"},
        "RoleMappings": {
            "k1": {"Type": "Token", "AmbiguousRoleResolution": "Deny"},
            "k2": {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole", "RulesConfiguration": {"Rules": [
                {"Claim": "c", "MatchType": "NotEqual", "Value": "v", "RoleARN": "arn:aws:iam::000000000000:role/b"}]}},
        }});
        let r = pool_roles(&i);
        assert_eq!(
            r.role_mappings["k2"].rules_configuration.as_ref().unwrap().rules[0].match_type,
            MatchType::NotEqual
        );
        assert_eq!(pool_roles_value("local:1", &r), i);
        let empty = pool_roles(&json!({"Roles": null, "RoleMappings": null}));
        assert_eq!(empty, PoolRoles::default());
        assert_eq!(pool_roles_value("x", &empty), json!({"IdentityPoolId": "x", "Roles": {}}));
        let bare = pool_roles(
            &json!({"Roles": {}, "RoleMappings": {"k": {"Type": "Rules", "AmbiguousRoleResolution": null}}}),
        );
        assert_eq!(bare.role_mappings["k"].ambiguous_role_resolution, None);
        assert_eq!(bare.role_mappings["k"].rules_configuration, None);
    }

    /// The conversion drops mappings and rules outside the enums: the model has refused them.
    #[test]
    fn the_model_refuses_what_the_enums_cannot_hold() {
        let m = crate::api::model::Model::identity();
        let rule = |match_type: &str| json!({"Claim": "a", "MatchType": match_type, "Value": "b", "RoleARN": "arn:aws:iam::000000000000:role/r"});
        for mapping in [
            json!({"Type": "Maybe"}),
            json!({"Type": "Rules", "AmbiguousRoleResolution": "Guess", "RulesConfiguration": {"Rules": [rule("Equals")]}}),
            json!({"Type": "Rules", "RulesConfiguration": {"Rules": [rule("Like")]}}),
        ] {
            let i =
                json!({"IdentityPoolId": "local:0000", "Roles": {}, "RoleMappings": {"graph.facebook.com": mapping}});
            assert!(m.validate("SetIdentityPoolRoles", &i).is_err(), "{i}");
        }
    }

    #[test]
    fn logins_and_identity_answers() {
        let l = logins(&json!({"Logins": {"accounts.google.com": "t1", "graph.facebook.com": "t2"}}));
        assert_eq!(l.get("graph.facebook.com").map(String::as_str), Some("t2"));
        assert!(logins(&json!({})).is_empty());
        let d = IdentityDescription {
            identity_id: "i".into(),
            logins: vec!["p".into()],
            created_at: 1,
            updated_at: 2,
            identity_pool_id: "local:1".into(),
            enabled: true,
            merged_into: None,
        };
        assert_eq!(
            identity_description(&d),
            json!({"IdentityId": "i", "Logins": ["p"], "CreationDate": 1, "LastModifiedDate": 2})
        );
        assert_eq!(
            unprocessed_identities(&["i".into()]),
            json!([{"IdentityId": "i", "ErrorCode": "InternalServerError"}])
        );
    }
}
