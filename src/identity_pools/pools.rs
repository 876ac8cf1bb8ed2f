//! Identity pools (CreateIdentityPool and friends): Cognito's rules for the IdentityPool
//! document, its login providers and tags, and the pool's roles and role mappings.

use super::IdentityPools;
use super::error::{Error, Result, pool_not_found};
use super::logins::is_issuer_key;
use super::roles::PoolRoles;
use crate::store::identity::IdentityPoolRow;
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Identity pools per account (Cognito's default quota).
pub const MAX_POOLS: i64 = 1000;
/// User-pool providers per identity pool (Cognito's default quota).
pub const MAX_USER_POOL_PROVIDERS: usize = 50;
/// Tags per resource.
pub const MAX_TAGS: usize = 50;
/// The public providers a pool can name in SupportedLoginProviders.
pub const PUBLIC_PROVIDERS: &[&str] = &[
    "graph.facebook.com",
    "accounts.google.com",
    "www.amazon.com",
    "appleid.apple.com",
    "api.twitter.com",
    "www.digits.com",
];
/// The login key of this service's own OpenID tokens.
pub const COGNITO_IDENTITY_PROVIDER: &str = super::logins::COGNITO_IDENTITY_KEY;

/// The IdentityPool shape: CreateIdentityPool/UpdateIdentityPool input, the stored document,
/// and what Describe/Create/Update return.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdentityPool {
    #[serde(default)]
    pub identity_pool_id: String,
    pub identity_pool_name: String,
    pub allow_unauthenticated_identities: bool,
    #[serde(default)]
    pub allow_classic_flow: bool,
    #[serde(default)]
    pub supported_login_providers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_provider_name: Option<String>,
    #[serde(default, rename = "OpenIdConnectProviderARNs")]
    pub open_id_connect_provider_arns: Vec<String>,
    #[serde(default)]
    pub cognito_identity_providers: Vec<CognitoIdentityProvider>,
    #[serde(default, rename = "SamlProviderARNs")]
    pub saml_provider_arns: Vec<String>,
    #[serde(default)]
    pub identity_pool_tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CognitoIdentityProvider {
    #[serde(default)]
    pub provider_name: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub server_side_token_check: bool,
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("regex"))
}

fn is_oidc_provider_arn(arn: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"^arn:aws:iam::\d{12}:oidc-provider/[\x21-\x7E]+$").is_match(arn)
}

fn is_saml_provider_arn(arn: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    re(&RE, r"^arn:aws:iam::\d{12}:saml-provider/[\w+=,.@-]+$").is_match(arn)
}

/// The name an OpenID Connect provider's logins and role mappings use: its ARN's resource
/// (`arn:aws:iam::123456789012:oidc-provider/login.example.com` → `login.example.com`).
pub fn oidc_provider_name(arn: &str) -> &str {
    arn.split_once(":oidc-provider/").map(|(_, n)| n).unwrap_or(arn)
}

/// Drop nulls at the top level so absent and null members read the same.
fn without_nulls(input: &Value) -> Value {
    match input.as_object() {
        Some(m) => Value::Object(m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), v.clone())).collect()),
        None => input.clone(),
    }
}

impl IdentityPool {
    fn from_input(input: &Value) -> Result<IdentityPool> {
        serde_json::from_value(without_nulls(input)).map_err(|e| Error::invalid(format!("Invalid identity pool: {e}")))
    }

    pub fn from_row(row: &IdentityPoolRow) -> Result<IdentityPool> {
        serde_json::from_value(row.config.clone()).map_err(Error::internal)
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| json!({}))
    }

    /// The keys role mappings may use: SupportedLoginProviders keys, OpenID Connect provider
    /// names, SAML provider ARNs, and `ProviderName:ClientId` of each user-pool provider.
    pub fn mapping_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.supported_login_providers.keys().cloned().collect();
        keys.extend(self.open_id_connect_provider_arns.iter().map(|a| oidc_provider_name(a).to_string()));
        keys.extend(self.saml_provider_arns.iter().cloned());
        keys.extend(self.cognito_identity_providers.iter().map(|c| format!("{}:{}", c.provider_name, c.client_id)));
        keys
    }
}

impl IdentityPools {
    /// Check a pool document (Create or Update) against Cognito's rules and this server's user pools.
    async fn check_identity_pool(&self, p: &IdentityPool) -> Result<()> {
        for key in p.supported_login_providers.keys() {
            // Public providers, and OpenID Connect issuers by host and path (this server keeps
            // no IAM OIDC providers, so an issuer's client id is given here).
            let issuer = is_issuer_key(key) && key != COGNITO_IDENTITY_PROVIDER;
            if !(PUBLIC_PROVIDERS.contains(&key.as_str()) || issuer) || self.user_pool_of_provider_name(key).is_some() {
                return Err(Error::invalid(format!(
                    "Invalid SupportedLoginProviders key {key}: use one of {}, or an OpenID Connect issuer's host and path; \
                     user pools go in CognitoIdentityProviders.",
                    PUBLIC_PROVIDERS.join(", ")
                )));
            }
        }
        if let Some(dev) = &p.developer_provider_name
            && (PUBLIC_PROVIDERS.contains(&dev.as_str())
                || dev == COGNITO_IDENTITY_PROVIDER
                || dev.starts_with("cognito-idp."))
        {
            return Err(Error::invalid(format!("DeveloperProviderName {dev} is reserved for another provider.")));
        }
        for arn in &p.open_id_connect_provider_arns {
            if !is_oidc_provider_arn(arn) {
                return Err(Error::invalid(format!("Invalid OpenIdConnectProviderARN: {arn}")));
            }
        }
        for arn in &p.saml_provider_arns {
            if !is_saml_provider_arn(arn) {
                return Err(Error::invalid(format!("Invalid SamlProviderARN: {arn}")));
            }
        }
        let duplicated = |v: &[String]| v.iter().enumerate().any(|(i, a)| v[..i].contains(a));
        if duplicated(&p.open_id_connect_provider_arns) || duplicated(&p.saml_provider_arns) {
            return Err(Error::invalid("Provider ARNs must not repeat."));
        }
        if p.cognito_identity_providers.len() > MAX_USER_POOL_PROVIDERS {
            return Err(Error::LimitExceeded(format!(
                "An identity pool can have at most {MAX_USER_POOL_PROVIDERS} Cognito user pool providers."
            )));
        }
        for (i, c) in p.cognito_identity_providers.iter().enumerate() {
            if c.provider_name.is_empty() || c.client_id.is_empty() {
                return Err(Error::invalid("CognitoIdentityProviders entries need a ProviderName and a ClientId."));
            }
            if p.cognito_identity_providers[..i]
                .iter()
                .any(|o| o.provider_name == c.provider_name && o.client_id == c.client_id)
            {
                return Err(Error::invalid(format!(
                    "Duplicate Cognito identity provider {} with client {}.",
                    c.provider_name, c.client_id
                )));
            }
            let Some(pool_id) = self.user_pool_of_provider_name(&c.provider_name) else {
                return Err(Error::invalid(format!(
                    "Invalid Cognito identity provider name {}; use cognito-idp.{}.amazonaws.com/{{userPoolId}} or {}/{{userPoolId}}.",
                    c.provider_name,
                    self.config.region,
                    self.config.public_url.split_once("://").map(|(_, h)| h).unwrap_or_default()
                )));
            };
            let client = self.directory.find_client(&c.client_id).await.map_err(Error::from)?;
            if client.is_none_or(|cl| cl.pool_id != pool_id) {
                return Err(Error::invalid(format!(
                    "Invalid Cognito identity provider: user pool {pool_id} has no app client {}.",
                    c.client_id
                )));
            }
        }
        check_tags(&p.identity_pool_tags)?;
        Ok(())
    }

    pub async fn create_identity_pool(&self, input: &Value) -> Result<IdentityPool> {
        let mut p = IdentityPool::from_input(input)?;
        self.check_identity_pool(&p).await?;
        if self.store.count_identity_pools().await? >= MAX_POOLS {
            return Err(Error::LimitExceeded(format!("An account can have at most {MAX_POOLS} identity pools.")));
        }
        p.identity_pool_id = format!("{}:{}", self.config.region, uuid::Uuid::new_v4());
        let now = self.now();
        let row = IdentityPoolRow {
            id: p.identity_pool_id.clone(),
            name: p.identity_pool_name.clone(),
            config: p.to_value(),
            roles: serde_json::to_value(PoolRoles::default()).map_err(Error::internal)?,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_identity_pool(&row).await?;
        Ok(p)
    }

    pub async fn identity_pool_row(&self, id: &str) -> Result<IdentityPoolRow> {
        self.store.get_identity_pool(id).await?.ok_or_else(|| pool_not_found(id))
    }

    pub async fn identity_pool(&self, id: &str) -> Result<IdentityPool> {
        IdentityPool::from_row(&self.identity_pool_row(id).await?)
    }

    /// Pools in id order: at most `max`, after the NextToken `next` (the last id of a page).
    pub async fn list_identity_pools(
        &self,
        max: i64,
        next: Option<&str>,
    ) -> Result<(Vec<IdentityPool>, Option<String>)> {
        let rows = self.store.list_identity_pools(next, max + 1).await?;
        let (rows, next) = crate::store::page(rows, max, |r| r.id.clone());
        let pools = rows.iter().map(IdentityPool::from_row).collect::<Result<Vec<_>>>()?;
        Ok((pools, next))
    }

    /// UpdateIdentityPool: the whole document is replaced (omitted members revert to their
    /// defaults), except that a DeveloperProviderName, once set, cannot change or go, and tags
    /// stay as they are unless IdentityPoolTags is given.
    pub async fn update_identity_pool(&self, input: &Value) -> Result<IdentityPool> {
        let mut p = IdentityPool::from_input(input)?;
        let current = self.identity_pool(&p.identity_pool_id).await?;
        match (&current.developer_provider_name, &p.developer_provider_name) {
            (Some(old), Some(new)) if old != new => {
                return Err(Error::invalid(format!("DeveloperProviderName cannot be changed once set (it is {old}).")));
            }
            (Some(old), None) => p.developer_provider_name = Some(old.clone()),
            _ => {}
        }
        if input.get("IdentityPoolTags").is_none_or(Value::is_null) {
            p.identity_pool_tags = current.identity_pool_tags.clone();
        }
        self.check_identity_pool(&p).await?;
        if !self
            .store
            .update_identity_pool(&p.identity_pool_id, &p.identity_pool_name, &p.to_value(), self.now())
            .await?
        {
            return Err(pool_not_found(&p.identity_pool_id));
        }
        Ok(p)
    }

    pub async fn delete_identity_pool(&self, id: &str) -> Result<()> {
        if !self.store.delete_identity_pool(id).await? {
            return Err(pool_not_found(id));
        }
        Ok(())
    }

    pub async fn set_identity_pool_roles(&self, id: &str, input: &Value) -> Result<()> {
        let pool = self.identity_pool(id).await?;
        let roles = PoolRoles::from_input(input, &pool.mapping_keys())?;
        let stored = serde_json::to_value(&roles).map_err(Error::internal)?;
        if !self.store.set_identity_pool_roles(id, &stored, self.now()).await? {
            return Err(pool_not_found(id));
        }
        Ok(())
    }

    pub async fn identity_pool_roles(&self, id: &str) -> Result<PoolRoles> {
        let row = self.identity_pool_row(id).await?;
        serde_json::from_value(row.roles).map_err(Error::internal)
    }

    /// The pool an `identitypool` ARN of this account and region names.
    async fn tagged_pool(&self, arn: &str) -> Result<IdentityPool> {
        let prefix =
            format!("arn:aws:cognito-identity:{}:{}:identitypool/", self.config.region, self.config.account_id);
        let id = arn.strip_prefix(&prefix).ok_or_else(|| Error::invalid(format!("Invalid ResourceArn: {arn}")))?;
        self.store
            .get_identity_pool(id)
            .await?
            .map(|r| IdentityPool::from_row(&r))
            .transpose()?
            .ok_or_else(|| Error::ResourceNotFound(format!("Resource {arn} not found.")))
    }

    pub async fn identity_pool_tags(&self, arn: &str) -> Result<BTreeMap<String, String>> {
        Ok(self.tagged_pool(arn).await?.identity_pool_tags)
    }

    /// Add or replace tags (TagResource), or remove them (UntagResource).
    pub async fn retag_identity_pool(
        &self,
        arn: &str,
        add: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<()> {
        let mut p = self.tagged_pool(arn).await?;
        p.identity_pool_tags.extend(add.iter().map(|(k, v)| (k.clone(), v.clone())));
        p.identity_pool_tags.retain(|k, _| !remove.contains(k));
        check_tags(&p.identity_pool_tags)?;
        if !self
            .store
            .update_identity_pool(&p.identity_pool_id, &p.identity_pool_name, &p.to_value(), self.now())
            .await?
        {
            return Err(Error::ResourceNotFound(format!("Resource {arn} not found.")));
        }
        Ok(())
    }
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid(format!("A resource can have at most {MAX_TAGS} tags.")));
    }
    if let Some(k) = tags.keys().find(|k| k.to_ascii_lowercase().starts_with("aws:")) {
        return Err(Error::invalid(format!("Tag keys starting with aws: are reserved: {k}")));
    }
    Ok(())
}

/// A `map<string,string>` input member (the model has checked the value types).
pub fn string_map(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default()
}
