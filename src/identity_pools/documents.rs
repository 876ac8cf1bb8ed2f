//! How an identity pool's settings and roles are stored: Cognito's `IdentityPool` document and
//! the `{"Roles", "RoleMappings"}` document, in Cognito's member names, as the rows have always
//! held them (the login checks in [`super::logins`] read the pool's document too).

use super::error::{Error, Result};
use super::pools::{CognitoIdentityProvider, IdentityPool};
use super::roles::{
    AmbiguousRoleResolution, MappingRule, MappingType, MatchType, PoolRoles, RoleMapping, RulesConfiguration,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

fn corrupt(what: &str) -> Error {
    Error::internal(anyhow::anyhow!("stored identity pool document: {what}"))
}

fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

impl IdentityPool {
    /// The stored document, which is also Cognito's `IdentityPool` answer: every member,
    /// `DeveloperProviderName` only when set.
    pub fn document(&self) -> Value {
        let providers: Vec<Value> = self
            .cognito_identity_providers
            .iter()
            .map(|c| {
                json!({"ProviderName": c.provider_name, "ClientId": c.client_id,
                       "ServerSideTokenCheck": c.server_side_token_check})
            })
            .collect();
        let mut d = json!({
            "IdentityPoolId": self.identity_pool_id,
            "IdentityPoolName": self.identity_pool_name,
            "AllowUnauthenticatedIdentities": self.allow_unauthenticated_identities,
            "AllowClassicFlow": self.allow_classic_flow,
            "SupportedLoginProviders": self.supported_login_providers,
            "OpenIdConnectProviderARNs": self.open_id_connect_provider_arns,
            "CognitoIdentityProviders": providers,
            "SamlProviderARNs": self.saml_provider_arns,
            "IdentityPoolTags": self.identity_pool_tags,
        });
        if let Some(dev) = &self.developer_provider_name {
            d["DeveloperProviderName"] = json!(dev);
        }
        d
    }

    /// A pool from its stored document (members other than the name and the guest switch
    /// may be missing).
    pub(crate) fn from_document(d: &Value) -> Result<IdentityPool> {
        Ok(IdentityPool {
            identity_pool_id: text(&d["IdentityPoolId"]),
            identity_pool_name: d["IdentityPoolName"]
                .as_str()
                .ok_or_else(|| corrupt("no IdentityPoolName"))?
                .to_string(),
            allow_unauthenticated_identities: d["AllowUnauthenticatedIdentities"]
                .as_bool()
                .ok_or_else(|| corrupt("no AllowUnauthenticatedIdentities"))?,
            allow_classic_flow: d["AllowClassicFlow"].as_bool().unwrap_or(false),
            supported_login_providers: string_map(&d["SupportedLoginProviders"]),
            developer_provider_name: d["DeveloperProviderName"].as_str().map(str::to_string),
            open_id_connect_provider_arns: strings(&d["OpenIdConnectProviderARNs"]),
            cognito_identity_providers: CognitoIdentityProvider::list(&d["CognitoIdentityProviders"]),
            saml_provider_arns: strings(&d["SamlProviderARNs"]),
            identity_pool_tags: string_map(&d["IdentityPoolTags"]),
        })
    }
}

impl CognitoIdentityProvider {
    /// A `CognitoIdentityProviders` list, in Cognito's member names (stored, or as sent).
    pub fn list(v: &Value) -> Vec<CognitoIdentityProvider> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|c| CognitoIdentityProvider {
                provider_name: text(&c["ProviderName"]),
                client_id: text(&c["ClientId"]),
                server_side_token_check: c["ServerSideTokenCheck"].as_bool().unwrap_or(false),
            })
            .collect()
    }
}

impl PoolRoles {
    /// The stored document: `Roles`, and `RoleMappings` when there are any.
    pub(crate) fn document(&self) -> Value {
        let mut d = json!({"Roles": self.roles});
        if !self.role_mappings.is_empty() {
            let mappings: Map<String, Value> =
                self.role_mappings.iter().map(|(k, m)| (k.clone(), m.document())).collect();
            d["RoleMappings"] = Value::Object(mappings);
        }
        d
    }

    /// Roles from their stored document.
    pub(crate) fn from_document(d: &Value) -> Result<PoolRoles> {
        let mut role_mappings = BTreeMap::new();
        for (k, m) in d["RoleMappings"].as_object().into_iter().flatten() {
            role_mappings.insert(k.clone(), RoleMapping::from_document(m)?);
        }
        Ok(PoolRoles { roles: string_map(&d["Roles"]), role_mappings })
    }
}

impl RoleMapping {
    /// The mapping in Cognito's member names, as stored and as GetIdentityPoolRoles answers.
    pub fn document(&self) -> Value {
        let mut d = json!({"Type": self.mapping_type.as_str()});
        if let Some(r) = self.ambiguous_role_resolution {
            d["AmbiguousRoleResolution"] = json!(r.as_str());
        }
        if let Some(rc) = &self.rules_configuration {
            let rules: Vec<Value> = rc
                .rules
                .iter()
                .map(|r| {
                    json!({"Claim": r.claim, "MatchType": r.match_type.as_str(), "Value": r.value,
                           "RoleARN": r.role_arn})
                })
                .collect();
            d["RulesConfiguration"] = json!({"Rules": rules});
        }
        d
    }

    /// A mapping in Cognito's member names; an error when `Type` or a rule's `MatchType` is
    /// missing or unknown.
    pub fn from_document(d: &Value) -> Result<RoleMapping> {
        let mapping_type =
            d["Type"].as_str().and_then(MappingType::parse).ok_or_else(|| corrupt("role mapping without a Type"))?;
        let rules_configuration = match d["RulesConfiguration"]["Rules"].as_array() {
            None => None,
            Some(rules) => Some(RulesConfiguration {
                rules: rules
                    .iter()
                    .map(|r| {
                        Ok(MappingRule {
                            claim: text(&r["Claim"]),
                            match_type: r["MatchType"]
                                .as_str()
                                .and_then(MatchType::parse)
                                .ok_or_else(|| corrupt("rule without a MatchType"))?,
                            value: text(&r["Value"]),
                            role_arn: text(&r["RoleARN"]),
                        })
                    })
                    .collect::<Result<_>>()?,
            }),
        };
        Ok(RoleMapping {
            mapping_type,
            ambiguous_role_resolution: d["AmbiguousRoleResolution"].as_str().and_then(AmbiguousRoleResolution::parse),
            rules_configuration,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_document_round_trips_and_keeps_its_shape() {
        let doc = json!({
            "IdentityPoolId": "local:1", "IdentityPoolName": "p", "AllowUnauthenticatedIdentities": true,
            "AllowClassicFlow": false, "SupportedLoginProviders": {"accounts.google.com": "g"},
            "OpenIdConnectProviderARNs": [], "SamlProviderARNs": ["arn:aws:iam::000000000000:saml-provider/x"],
            "CognitoIdentityProviders": [{"ProviderName": "cognito-idp.local.amazonaws.com/local_a", "ClientId": "c",
                                          "ServerSideTokenCheck": true}],
            "IdentityPoolTags": {}, "DeveloperProviderName": "dev.example",
        });
        let pool = IdentityPool::from_document(&doc).unwrap();
        assert_eq!(pool.developer_provider_name.as_deref(), Some("dev.example"));
        assert!(pool.cognito_identity_providers[0].server_side_token_check);
        assert_eq!(pool.document(), doc);
        let minimal =
            IdentityPool::from_document(&json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false}));
        assert!(minimal.unwrap().document().get("DeveloperProviderName").is_none());
        assert!(IdentityPool::from_document(&json!({"IdentityPoolName": "p"})).is_err());
    }

    #[test]
    fn a_roles_document_round_trips() {
        let doc = json!({"Roles": {"authenticated": "arn:aws:iam::000000000000:role/a"}, "RoleMappings": {
            "k1": {"Type": "Token", "AmbiguousRoleResolution": "Deny"},
            "k2": {"Type": "Rules", "AmbiguousRoleResolution": "AuthenticatedRole", "RulesConfiguration": {"Rules": [
                {"Claim": "c", "MatchType": "StartsWith", "Value": "v", "RoleARN": "arn:aws:iam::000000000000:role/b"}]}},
        }});
        assert_eq!(PoolRoles::from_document(&doc).unwrap().document(), doc);
        assert_eq!(PoolRoles::default().document(), json!({"Roles": {}}));
        assert!(PoolRoles::from_document(&json!({"RoleMappings": {"k": {"Type": "Other"}}})).is_err());
    }
}
