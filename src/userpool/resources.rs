//! Pool domains (a prefix under the configured base domain, or a custom domain) and resource
//! servers with their custom scopes.

use super::UserPools;
use super::error::{Error, Result};
use crate::ids::PoolId;
use crate::store::StoreError;
use crate::store::pool_resources::{DomainRow, ResourceServerRow};
use serde_json::{Value, json};

/// CreateUserPoolDomain.
#[derive(Debug, Clone, Default)]
pub struct NewDomain {
    /// `Domain`: a prefix, or with `custom` a fully qualified name.
    pub domain: String,
    /// `CustomDomainConfig`: given for a custom domain.
    pub custom: Option<CustomDomainConfig>,
    /// `ManagedLoginVersion` (1 when not given).
    pub managed_login_version: Option<i64>,
}

/// `CustomDomainConfigType`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomDomainConfig {
    /// `CertificateArn`.
    pub certificate_arn: String,
    /// `SecurityPolicy`: TLS_V1, TLS_V1_2_2021 or TLS_V1_3_2025.
    pub security_policy: Option<String>,
}

/// A pool's domain.
#[derive(Debug, Clone, PartialEq)]
pub struct Domain {
    /// The host it is served at.
    pub host: String,
    pub pool_id: PoolId,
    /// The domain as it was requested (a prefix or a custom domain's name).
    pub requested: String,
    /// Set for a custom domain.
    pub custom: Option<CustomDomainConfig>,
    pub managed_login_version: i64,
}

/// The stored row's document: `RequestedDomain`, `CustomDomainConfig`, `ManagedLoginVersion`.
impl From<DomainRow> for Domain {
    fn from(d: DomainRow) -> Self {
        let c = &d.config;
        let custom = d.custom.then(|| CustomDomainConfig {
            certificate_arn: c["CustomDomainConfig"]["CertificateArn"].as_str().unwrap_or_default().to_string(),
            security_policy: c["CustomDomainConfig"]["SecurityPolicy"].as_str().map(str::to_string),
        });
        Domain {
            requested: c["RequestedDomain"].as_str().unwrap_or(&d.domain).to_string(),
            managed_login_version: c["ManagedLoginVersion"].as_i64().unwrap_or(1),
            custom,
            host: d.domain,
            pool_id: d.pool_id,
        }
    }
}

/// CreateResourceServer / UpdateResourceServer.
#[derive(Debug, Clone, Default)]
pub struct ResourceServerDefinition {
    /// `Identifier`: the prefix of its scopes (`{identifier}/{scope}`).
    pub identifier: String,
    /// `Name`.
    pub name: String,
    /// `Scopes`.
    pub scopes: Vec<ResourceServerScope>,
}

/// `ResourceServerScopeType`.
#[derive(Debug, Clone, Default)]
pub struct ResourceServerScope {
    /// `ScopeName`.
    pub name: String,
    /// `ScopeDescription`.
    pub description: String,
}

impl UserPools {
    /// The host a domain is served at: `{prefix}.{base}` for prefixes, the name itself for custom ones.
    pub fn domain_host(&self, domain: &str, custom: bool) -> String {
        if custom { domain.to_lowercase() } else { format!("{}.{}", domain, self.domain_base) }
    }

    pub async fn create_domain(&self, pool_id: &PoolId, input: &NewDomain) -> Result<Domain> {
        self.directory.pool(pool_id).await?;
        let requested = input.domain.clone();
        let custom = input.custom.is_some();
        if custom != requested.contains('.') {
            return Err(Error::invalid(if custom {
                "A custom domain must be a fully qualified domain name, such as auth.example.com."
            } else {
                "A domain prefix cannot contain dots; use CustomDomainConfig for a custom domain."
            }));
        }
        if !custom && self.store.domains_of_pool(pool_id).await?.iter().any(|d| !d.custom) {
            return Err(Error::invalid("The user pool already has a domain configured."));
        }
        let custom_config = input.custom.as_ref().map(|c| {
            let mut v = json!({"CertificateArn": c.certificate_arn});
            if let Some(p) = &c.security_policy {
                v["SecurityPolicy"] = json!(p);
            }
            v
        });
        let row = DomainRow {
            domain: self.domain_host(&requested, custom),
            pool_id: pool_id.clone(),
            custom,
            config: json!({
                "RequestedDomain": requested,
                "CustomDomainConfig": custom_config,
                "ManagedLoginVersion": input.managed_login_version.unwrap_or(1),
            }),
            created_at: self.now(),
        };
        match self.store.insert_domain(&row).await {
            Ok(()) => Ok(Domain::from(row)),
            Err(StoreError::Conflict) => Err(Error::invalid("Domain already associated with another user pool.")),
            Err(e) => Err(e.into()),
        }
    }

    /// DescribeUserPoolDomain: `None` when the domain does not exist (Cognito answers `{}`).
    pub async fn describe_domain(&self, domain: &str) -> Result<Option<Domain>> {
        let row = match self.store.get_domain(&self.domain_host(domain, false)).await? {
            Some(r) => Some(r),
            None => self.store.get_domain(&domain.to_lowercase()).await?,
        };
        let Some(d) = row else { return Ok(None) };
        self.directory.pool(&d.pool_id).await?;
        Ok(Some(Domain::from(d)))
    }

    /// UpdateUserPoolDomain: the managed login version (1, the classic hosted UI, or 2) and a
    /// custom domain's certificate ARN and security policy; what is not given stays.
    pub async fn update_domain(&self, pool_id: &PoolId, input: &NewDomain) -> Result<Domain> {
        self.directory.pool(pool_id).await?;
        let row = self
            .store
            .domains_of_pool(pool_id)
            .await?
            .into_iter()
            .find(|d| Domain::from(d.clone()).requested == input.domain)
            .ok_or_else(|| {
                Error::ResourceNotFound(format!("No such domain or user pool exists: {}", input.domain).into())
            })?;
        if let Some(v) = input.managed_login_version
            && !(1..=2).contains(&v)
        {
            return Err(Error::invalid("ManagedLoginVersion must be 1 or 2."));
        }
        let mut config = row.config.clone();
        if let Some(v) = input.managed_login_version {
            config["ManagedLoginVersion"] = json!(v);
        }
        if let Some(c) = &input.custom {
            if !row.custom {
                return Err(Error::invalid("CustomDomainConfig can only be updated for a custom domain."));
            }
            let mut v = json!({"CertificateArn": c.certificate_arn});
            if let Some(p) = &c.security_policy {
                v["SecurityPolicy"] = json!(p);
            }
            config["CustomDomainConfig"] = v;
        }
        self.store.update_domain_config(pool_id, &row.domain, &config).await?;
        Ok(Domain::from(DomainRow { config, ..row }))
    }

    pub async fn delete_domain(&self, pool_id: &PoolId, domain: &str) -> Result<()> {
        self.directory.pool(pool_id).await?;
        for d in self.store.domains_of_pool(pool_id).await? {
            let d = Domain::from(d);
            if d.requested == domain {
                self.store.delete_domain(pool_id, &d.host).await?;
                return Ok(());
            }
        }
        Err(Error::invalid(format!("No such domain or user pool exists: {domain}")))
    }

    pub async fn create_resource_server(
        &self,
        pool_id: &PoolId,
        input: &ResourceServerDefinition,
    ) -> Result<ResourceServerRow> {
        self.directory.pool(pool_id).await?;
        if self.store.list_resource_servers(pool_id, 26, None).await?.len() >= 25 {
            return Err(Error::LimitExceeded("A user pool can have at most 25 resource servers.".into()));
        }
        let row = ResourceServerRow {
            pool_id: pool_id.clone(),
            identifier: input.identifier.clone(),
            name: input.name.clone(),
            scopes: check_scopes(&input.scopes)?,
        };
        match self.store.insert_resource_server(&row).await {
            Ok(()) => Ok(row),
            Err(StoreError::Conflict) => {
                Err(Error::invalid(format!("{} already exists in user pool {pool_id}.", row.identifier)))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update_resource_server(
        &self,
        pool_id: &PoolId,
        input: &ResourceServerDefinition,
    ) -> Result<ResourceServerRow> {
        let mut row = self.resource_server(pool_id, &input.identifier).await?;
        row.name = input.name.clone();
        row.scopes = check_scopes(&input.scopes)?;
        self.store.update_resource_server(&row).await?;
        Ok(row)
    }

    /// ListResourceServers: a page of at most `max`, and the token of the next.
    pub async fn list_resource_servers(
        &self,
        pool_id: &PoolId,
        max: i64,
        after: Option<&str>,
    ) -> Result<(Vec<ResourceServerRow>, Option<String>)> {
        self.directory.pool(pool_id).await?;
        let rows = self.store.list_resource_servers(pool_id, max + 1, after).await?;
        Ok(crate::store::page(rows, max, |r| r.identifier.clone()))
    }

    pub async fn resource_server(&self, pool_id: &PoolId, identifier: &str) -> Result<ResourceServerRow> {
        self.directory.pool(pool_id).await?;
        self.store
            .get_resource_server(pool_id, identifier)
            .await?
            .ok_or_else(|| Error::ResourceNotFound(format!("Resource server {identifier} does not exist.").into()))
    }

    pub async fn delete_resource_server(&self, pool_id: &PoolId, identifier: &str) -> Result<()> {
        self.resource_server(pool_id, identifier).await?;
        self.store.delete_resource_server(pool_id, identifier).await?;
        Ok(())
    }
}

/// The scopes as stored (`[{"ScopeName", "ScopeDescription"}]`); a name may appear once.
fn check_scopes(scopes: &[ResourceServerScope]) -> Result<Value> {
    let mut seen = std::collections::HashSet::new();
    for s in scopes {
        if !seen.insert(s.name.as_str()) {
            return Err(Error::invalid(format!("Duplicate scope name: {}", s.name)));
        }
    }
    Ok(scopes.iter().map(|s| json!({"ScopeName": s.name, "ScopeDescription": s.description})).collect())
}
