//! Pool domains (a prefix under the configured base domain, or a custom domain) and resource
//! servers with their custom scopes.

use super::UserPools;
use super::error::{Error, Result};
use crate::store::StoreError;
use crate::store::pool_resources::{DomainRow, ResourceServerRow};
use serde_json::{Value, json};

impl UserPools {
    /// The host a domain is served at: `{prefix}.{base}` for prefixes, the name itself for custom ones.
    pub fn domain_host(&self, domain: &str, custom: bool) -> String {
        if custom { domain.to_lowercase() } else { format!("{}.{}", domain, self.domain_base) }
    }

    pub async fn create_domain(&self, pool_id: &str, input: &Value) -> Result<Value> {
        self.directory.pool(pool_id).await?;
        let requested = input["Domain"].as_str().unwrap_or_default().to_string();
        let custom = input["CustomDomainConfig"].is_object();
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
        let host = self.domain_host(&requested, custom);
        let row = DomainRow {
            domain: host.clone(),
            pool_id: pool_id.to_string(),
            custom,
            config: json!({
                "RequestedDomain": requested,
                "CustomDomainConfig": input["CustomDomainConfig"],
                "ManagedLoginVersion": input["ManagedLoginVersion"].as_i64().unwrap_or(1),
            }),
            created_at: self.now(),
        };
        match self.store.insert_domain(&row).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => {
                return Err(Error::invalid("Domain already associated with another user pool."));
            }
            Err(e) => return Err(e.into()),
        }
        let mut out = json!({"ManagedLoginVersion": row.config["ManagedLoginVersion"]});
        if custom {
            out["CloudFrontDomain"] = json!(host);
        }
        Ok(out)
    }

    /// DescribeUserPoolDomain: `{}` when the domain does not exist, as Cognito answers.
    pub async fn describe_domain(&self, domain: &str) -> Result<Value> {
        let row = match self.store.get_domain(&self.domain_host(domain, false)).await? {
            Some(r) => Some(r),
            None => self.store.get_domain(&domain.to_lowercase()).await?,
        };
        let Some(d) = row else { return Ok(json!({})) };
        let pool = self.directory.pool(&d.pool_id).await?;
        let mut v = json!({
            "UserPoolId": d.pool_id,
            "AWSAccountId": self.account_id,
            "Domain": d.config["RequestedDomain"],
            "S3Bucket": "",
            "CloudFrontDistribution": d.domain,
            "Version": "1",
            "Status": "ACTIVE",
            "ManagedLoginVersion": d.config["ManagedLoginVersion"],
        });
        if d.custom {
            v["CustomDomainConfig"] = d.config["CustomDomainConfig"].clone();
        }
        let _ = pool;
        Ok(v)
    }

    pub async fn delete_domain(&self, pool_id: &str, domain: &str) -> Result<()> {
        self.directory.pool(pool_id).await?;
        for d in self.store.domains_of_pool(pool_id).await? {
            if d.config["RequestedDomain"] == domain {
                self.store.delete_domain(pool_id, &d.domain).await?;
                return Ok(());
            }
        }
        Err(Error::invalid(format!("No such domain or user pool exists: {domain}")))
    }

    pub async fn create_resource_server(&self, pool_id: &str, input: &Value) -> Result<ResourceServerRow> {
        self.directory.pool(pool_id).await?;
        if self.store.list_resource_servers(pool_id, 26, None).await?.len() >= 25 {
            return Err(Error::LimitExceeded("A user pool can have at most 25 resource servers.".into()));
        }
        let row = ResourceServerRow {
            pool_id: pool_id.to_string(),
            identifier: input["Identifier"].as_str().unwrap_or_default().to_string(),
            name: input["Name"].as_str().unwrap_or_default().to_string(),
            scopes: check_scopes(&input["Scopes"])?,
        };
        match self.store.insert_resource_server(&row).await {
            Ok(()) => Ok(row),
            Err(StoreError::Conflict) => {
                Err(Error::invalid(format!("{} already exists in user pool {pool_id}.", row.identifier)))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn update_resource_server(&self, pool_id: &str, input: &Value) -> Result<ResourceServerRow> {
        let mut row = self.resource_server(pool_id, input["Identifier"].as_str().unwrap_or_default()).await?;
        row.name = input["Name"].as_str().unwrap_or_default().to_string();
        row.scopes = check_scopes(&input["Scopes"])?;
        self.store.update_resource_server(&row).await?;
        Ok(row)
    }

    pub async fn resource_server(&self, pool_id: &str, identifier: &str) -> Result<ResourceServerRow> {
        self.directory.pool(pool_id).await?;
        self.store
            .get_resource_server(pool_id, identifier)
            .await?
            .ok_or_else(|| Error::ResourceNotFound(format!("Resource server {identifier} does not exist.").into()))
    }

    pub async fn delete_resource_server(&self, pool_id: &str, identifier: &str) -> Result<()> {
        self.resource_server(pool_id, identifier).await?;
        self.store.delete_resource_server(pool_id, identifier).await?;
        Ok(())
    }

    pub fn resource_server_type(&self, r: &ResourceServerRow) -> Value {
        json!({"UserPoolId": r.pool_id, "Identifier": r.identifier, "Name": r.name, "Scopes": r.scopes})
    }
}

fn check_scopes(v: &Value) -> Result<Value> {
    let list = v.as_array().cloned().unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    for s in &list {
        let name = s["ScopeName"].as_str().unwrap_or_default();
        if !seen.insert(name.to_string()) {
            return Err(Error::invalid(format!("Duplicate scope name: {name}")));
        }
    }
    Ok(Value::Array(list))
}
