//! Developer-authenticated identities: the pool's backend (SigV4) vouches for its own users
//! under the pool's DeveloperProviderName. GetOpenIdTokenForDeveloperIdentity creates or links
//! identities and returns an OpenID token for them; LookupDeveloperIdentity,
//! MergeDeveloperIdentities and UnlinkDeveloperIdentity manage the developer users of identities.
//! One identity may hold several developer users (merging puts them together).

use super::IdentityPools;
use super::error::{Error, Result, identity_not_found};
use super::identities::{Verified, authenticated_amr, clash, decode_token, encode_token, too_many};
use super::logins::Logins;
use super::pools::IdentityPool;
use crate::store::identity::{IdentityLoginRow, IdentityPoolRow, IdentityRow, Linking, NewLogin};
use serde_json::Map;
use std::collections::BTreeMap;

/// Default lifetime of a developer identity's token (TokenDuration).
pub const DEFAULT_TOKEN_SECS: i64 = 900;
const MAX_DEVELOPER_USER_ID: usize = 1024;
const MERGE_ATTEMPTS: usize = 8;

/// What LookupDeveloperIdentity found.
pub struct DeveloperLookup {
    pub identity_id: String,
    pub developer_users: Vec<String>,
    pub next_token: Option<String>,
}

impl IdentityPools {
    /// The pool and its developer provider; `name`, when given, must be that provider.
    async fn developer_pool(
        &self,
        pool_id: &str,
        name: Option<&str>,
    ) -> Result<(IdentityPoolRow, IdentityPool, String)> {
        let row = self.identity_pool_row(pool_id).await?;
        let pool = IdentityPool::from_row(&row)?;
        let Some(dev) = pool.developer_provider_name.clone() else {
            return Err(Error::invalid(format!("Identity pool {pool_id} has no DeveloperProviderName.")));
        };
        if let Some(n) = name
            && n != dev
        {
            return Err(Error::invalid(format!(
                "{n} is not the developer provider of identity pool {pool_id}; it is {dev}."
            )));
        }
        Ok((row, pool, dev))
    }

    /// An identity of pool `pool_id`.
    async fn identity_in(&self, pool_id: &str, id: &str) -> Result<IdentityRow> {
        match self.store.get_identity(id).await? {
            Some(i) if i.pool_id == pool_id => Ok(i),
            _ => Err(identity_not_found(id)),
        }
    }

    /// The login of a developer user.
    async fn developer_login(&self, pool_id: &str, dev: &str, user: &str) -> Result<IdentityLoginRow> {
        self.store
            .get_identity_login(pool_id, dev, user)
            .await?
            .ok_or_else(|| Error::ResourceNotFound(format!("Developer user {user} not found.")))
    }

    /// GetOpenIdTokenForDeveloperIdentity: (identity id, token).
    pub async fn open_id_token_for_developer_identity(
        &self,
        pool_id: &str,
        identity_id: Option<&str>,
        logins: &Logins,
        principal_tags: &BTreeMap<String, String>,
        ttl_secs: Option<i64>,
    ) -> Result<(String, String)> {
        let (row, pool, dev) = self.developer_pool(pool_id, None).await?;
        if !principal_tags.is_empty() {
            return Err(Error::invalid("PrincipalTags are not supported by this server."));
        }
        let Some(user) = logins.get(&dev) else {
            return Err(Error::invalid(format!(
                "Logins must contain the developer provider {dev} of this identity pool."
            )));
        };
        if user.chars().count() > MAX_DEVELOPER_USER_ID {
            return Err(Error::invalid(format!(
                "The developer user identifier must be at most {MAX_DEVELOPER_USER_ID} characters."
            )));
        }
        let others: Logins = logins.iter().filter(|(k, _)| **k != dev).map(|(k, v)| (k.clone(), v.clone())).collect();
        let verified = self.verify_logins(&row, &pool, &others, false).await?;
        if let Some(id) = identity_id {
            self.identity_in(&row.id, id).await?;
            let live = self.live_identity(id).await?;
            if let Some(owner) = self.store.get_identity_login(&row.id, &dev, user).await?
                && owner.identity_id != live.id
            {
                return Err(Error::DeveloperUserAlreadyRegistered(format!(
                    "Developer user {user} is already registered with a different identity ({}).",
                    owner.identity_id
                )));
            }
        }
        let developer = Verified {
            provider: dev.clone(),
            subject: user.to_string(),
            claims: Map::new(),
            mapping_key: dev.clone(),
            amr_detail: format!("{dev}:{}:{user}", row.id),
            identity_token: false,
        };
        let mut all = vec![developer];
        all.extend(verified);
        let links: Vec<NewLogin> = all.iter().map(Verified::link).collect();
        let identity = self.settle_identity(&row, &pool, identity_id, &links).await?;
        let ttl = ttl_secs.unwrap_or(DEFAULT_TOKEN_SECS);
        let token = self.issue_identity_token(&row.id, &identity.id, &authenticated_amr(&all), ttl).await?;
        Ok((identity.id, token))
    }

    /// LookupDeveloperIdentity: the identity of a developer user, or the developer users of an
    /// identity (both given: they must agree).
    pub async fn lookup_developer_identity(
        &self,
        pool_id: &str,
        identity_id: Option<&str>,
        user: Option<&str>,
        max: i64,
        next: Option<&str>,
    ) -> Result<DeveloperLookup> {
        let (row, _, dev) = self.developer_pool(pool_id, None).await?;
        let identity = match (user, identity_id) {
            (None, None) => {
                return Err(Error::invalid("Either IdentityId or DeveloperUserIdentifier must be specified."));
            }
            (Some(u), named) => {
                let login = self.developer_login(&row.id, &dev, u).await?;
                if let Some(id) = named
                    && id != login.identity_id
                {
                    return Err(Error::ResourceConflict(format!("Developer user {u} is not linked to identity {id}.")));
                }
                login.identity_id
            }
            (None, Some(id)) => self.identity_in(&row.id, id).await?.id,
        };
        let after = decode_token(next)?;
        let subjects = self.store.identity_login_subjects(&identity, &dev, after.as_deref(), max + 1).await?;
        let (developer_users, next_token) = crate::store::page(subjects, max, |s| encode_token(s));
        Ok(DeveloperLookup { identity_id: identity, developer_users, next_token })
    }

    /// MergeDeveloperIdentities: the source user's identity merges into the destination user's;
    /// returns the destination identity.
    pub async fn merge_developer_identities(
        &self,
        pool_id: &str,
        provider: &str,
        source: &str,
        destination: &str,
    ) -> Result<String> {
        let (row, pool, dev) = self.developer_pool(pool_id, Some(provider)).await?;
        let rules = self.login_rules(&pool);
        for _ in 0..MERGE_ATTEMPTS {
            let src = self.developer_login(&row.id, &dev, source).await?;
            let dst = self.developer_login(&row.id, &dev, destination).await?;
            if src.identity_id == dst.identity_id {
                return Ok(dst.identity_id);
            }
            let others = [src.identity_id.clone()];
            match self.store.link_identity(&row.id, &dst.identity_id, &others, &[], rules, self.now()).await? {
                Linking::Done => {
                    tracing::info!(survivor = %dst.identity_id, merged = %src.identity_id, "developer identities merged");
                    return Ok(dst.identity_id);
                }
                Linking::Retry => continue,
                Linking::ProviderClash(p) => return Err(clash(&p)),
                Linking::TooMany => return Err(too_many()),
            }
        }
        Err(Error::internal(anyhow::anyhow!("identities kept changing while merging them")))
    }

    /// UnlinkDeveloperIdentity: remove a developer user from its identity.
    pub async fn unlink_developer_identity(
        &self,
        pool_id: &str,
        provider: &str,
        identity_id: &str,
        user: &str,
    ) -> Result<()> {
        let (row, _, dev) = self.developer_pool(pool_id, Some(provider)).await?;
        self.identity_in(&row.id, identity_id).await?;
        let login = self.developer_login(&row.id, &dev, user).await?;
        if login.identity_id != identity_id
            || !self.store.unlink_identity_login(identity_id, &row.id, &dev, user, self.now()).await?
        {
            return Err(Error::ResourceConflict(format!(
                "Developer user {user} is not linked to identity {identity_id}."
            )));
        }
        Ok(())
    }
}
