//! Identity pools (CreateIdentityPool and friends): Cognito's rules for the IdentityPool
//! document, its login providers and tags, and the pool's roles and role mappings.

use super::IdentityPools;
use super::error::{Error, Result, pool_not_found};
use super::logins::is_issuer_key;
use super::roles::PoolRoles;
use crate::store::identity::IdentityPoolRow;
use regex::Regex;
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Identity pools per account (Cognito's default quota).
pub const MAX_POOLS: i64 = 1000;
/// User-pool providers per identity pool (Cognito's default quota).
pub const MAX_USER_POOL_PROVIDERS: usize = 50;
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

/// An identity pool: its id and settings (Cognito's IdentityPool).
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityPool {
    pub identity_pool_id: String,
    pub identity_pool_name: String,
    pub allow_unauthenticated_identities: bool,
    /// The basic (classic) flow: GetOpenIdToken.
    pub allow_classic_flow: bool,
    /// Public providers and OpenID Connect issuers -> their client or app ids.
    pub supported_login_providers: BTreeMap<String, String>,
    pub developer_provider_name: Option<String>,
    pub open_id_connect_provider_arns: Vec<String>,
    pub cognito_identity_providers: Vec<CognitoIdentityProvider>,
    pub saml_provider_arns: Vec<String>,
    pub identity_pool_tags: BTreeMap<String, String>,
}

/// A user pool's app client whose ID tokens the pool accepts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CognitoIdentityProvider {
    /// The user pool as a provider name (`cognito-idp.{region}.amazonaws.com/{poolId}`).
    pub provider_name: String,
    pub client_id: String,
    /// Check with the user pool that the user still exists and is signed in.
    pub server_side_token_check: bool,
}

/// CreateIdentityPool / UpdateIdentityPool: the pool's settings as given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityPoolDefinition {
    /// `IdentityPoolName`.
    pub name: String,
    /// `AllowUnauthenticatedIdentities`.
    pub allow_unauthenticated_identities: bool,
    /// `AllowClassicFlow`.
    pub allow_classic_flow: bool,
    /// `SupportedLoginProviders`.
    pub supported_login_providers: BTreeMap<String, String>,
    /// `DeveloperProviderName`.
    pub developer_provider_name: Option<String>,
    /// `OpenIdConnectProviderARNs`.
    pub open_id_connect_provider_arns: Vec<String>,
    /// `CognitoIdentityProviders`.
    pub cognito_identity_providers: Vec<CognitoIdentityProvider>,
    /// `SamlProviderARNs`.
    pub saml_provider_arns: Vec<String>,
    /// `IdentityPoolTags`; `None` when not given (UpdateIdentityPool then keeps the tags).
    pub tags: Option<BTreeMap<String, String>>,
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

/// The model's `IdentityPoolName`: `[\w\s+=,.@-]+`, 1-128 characters (as the JSON API's model
/// checks it).
fn is_pool_name(name: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    (1..=128).contains(&name.chars().count()) && re(&RE, r"^[\w\s+=,.@-]+$").is_match(name)
}

/// The model's `DeveloperProviderName`: `[\w._-]+`, 1-128 characters.
fn is_developer_provider_name(name: &str) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    (1..=128).contains(&name.chars().count()) && re(&RE, r"^[\w._-]+$").is_match(name)
}

/// The name an OpenID Connect provider's logins and role mappings use: its ARN's resource
/// (`arn:aws:iam::123456789012:oidc-provider/login.example.com` → `login.example.com`).
pub fn oidc_provider_name(arn: &str) -> &str {
    arn.split_once(":oidc-provider/").map(|(_, n)| n).unwrap_or(arn)
}

impl IdentityPool {
    /// The pool `id` with the settings of `d` (and its tags, none when not given).
    fn new(id: String, d: &IdentityPoolDefinition) -> IdentityPool {
        IdentityPool {
            identity_pool_id: id,
            identity_pool_name: d.name.clone(),
            allow_unauthenticated_identities: d.allow_unauthenticated_identities,
            allow_classic_flow: d.allow_classic_flow,
            supported_login_providers: d.supported_login_providers.clone(),
            developer_provider_name: d.developer_provider_name.clone(),
            open_id_connect_provider_arns: d.open_id_connect_provider_arns.clone(),
            cognito_identity_providers: d.cognito_identity_providers.clone(),
            saml_provider_arns: d.saml_provider_arns.clone(),
            identity_pool_tags: d.tags.clone().unwrap_or_default(),
        }
    }

    pub fn from_row(row: &IdentityPoolRow) -> Result<IdentityPool> {
        IdentityPool::from_document(&row.config)
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
        // The JSON API's model refuses these first; the dashboard relies on the checks here.
        if !is_pool_name(&p.identity_pool_name) {
            return Err(Error::invalid(
                "IdentityPoolName must be 1 to 128 letters, digits, spaces or the characters _+=,.@-.",
            ));
        }
        if let Some(dev) = &p.developer_provider_name
            && !is_developer_provider_name(dev)
        {
            return Err(Error::invalid(format!(
                "Invalid DeveloperProviderName {dev}: use 1 to 128 letters, digits or the characters _.-"
            )));
        }
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
            let client = self.directory.find_client_named(&c.client_id).await.map_err(Error::from)?;
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

    pub async fn create_identity_pool(&self, d: &IdentityPoolDefinition) -> Result<IdentityPool> {
        let id = format!("{}:{}", self.config.region, uuid::Uuid::new_v4());
        let p = IdentityPool::new(id, d);
        self.check_identity_pool(&p).await?;
        if self.store.count_identity_pools().await? >= MAX_POOLS {
            return Err(Error::LimitExceeded(format!("An account can have at most {MAX_POOLS} identity pools.")));
        }
        let now = self.now();
        let row = IdentityPoolRow {
            id: p.identity_pool_id.clone(),
            name: p.identity_pool_name.clone(),
            config: p.document(),
            roles: PoolRoles::default().document(),
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
    pub async fn update_identity_pool(&self, id: &str, d: &IdentityPoolDefinition) -> Result<IdentityPool> {
        let mut p = IdentityPool::new(id.to_string(), d);
        let current = self.identity_pool(id).await?;
        match (&current.developer_provider_name, &p.developer_provider_name) {
            (Some(old), Some(new)) if old != new => {
                return Err(Error::invalid(format!("DeveloperProviderName cannot be changed once set (it is {old}).")));
            }
            (Some(old), None) => p.developer_provider_name = Some(old.clone()),
            _ => {}
        }
        if d.tags.is_none() {
            p.identity_pool_tags = current.identity_pool_tags.clone();
        }
        self.check_identity_pool(&p).await?;
        if !self
            .store
            .update_identity_pool(&p.identity_pool_id, &p.identity_pool_name, &p.document(), self.now())
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

    /// SetIdentityPoolRoles: check `roles` against the pool's providers and store them.
    pub async fn set_identity_pool_roles(&self, id: &str, roles: &PoolRoles) -> Result<()> {
        let pool = self.identity_pool(id).await?;
        roles.check(&pool.mapping_keys())?;
        if !self.store.set_identity_pool_roles(id, &roles.document(), self.now()).await? {
            return Err(pool_not_found(id));
        }
        Ok(())
    }

    pub async fn identity_pool_roles(&self, id: &str) -> Result<PoolRoles> {
        let row = self.identity_pool_row(id).await?;
        PoolRoles::from_document(&row.roles)
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
            .update_identity_pool(&p.identity_pool_id, &p.identity_pool_name, &p.document(), self.now())
            .await?
        {
            return Err(Error::ResourceNotFound(format!("Resource {arn} not found.")));
        }
        Ok(())
    }
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<()> {
    crate::tags::problem(tags).map_or(Ok(()), |m| Err(Error::invalid(m)))
}
