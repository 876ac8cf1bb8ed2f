//! Identities (GetId, DescribeIdentity, ListIdentities, DeleteIdentities, UnlinkIdentity) and
//! the one place that links logins to identities and merges identities, as Cognito does:
//! a login not seen before is linked to the identity of the request (or gets a new one); logins
//! that belong to different identities merge those identities into one survivor, and the others
//! are disabled and remember it. An identity holds one user per public provider (any number of
//! developer users) and at most [`MAX_LOGINS`] logins.

use super::IdentityPools;
use super::error::{Error, LOGINS_DONT_MATCH, NO_GUESTS, Result, identity_not_found};
use super::logins::{LoginError, Logins};
use super::pools::{COGNITO_IDENTITY_PROVIDER, IdentityPool};
use crate::store::identity::{IdentityPoolRow, IdentityRow, Linking, LoginRules, NewLogin};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

/// Logins one identity may hold (Cognito's limit for linked logins).
pub const MAX_LOGINS: i64 = 20;
/// Attempts at linking when concurrent requests keep changing the same logins.
const LINK_ATTEMPTS: usize = 8;
/// Longest chain of merges followed from an identity to the one it lives in now.
const MAX_MERGE_HOPS: usize = 32;

/// What DescribeIdentity and ListIdentities tell of an identity.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityDescription {
    pub identity_id: String,
    /// The providers of its logins, each once.
    pub logins: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Beyond Cognito's shape (the dashboard shows them): the pool, whether the identity is
    /// enabled, and the identity it was merged into.
    pub identity_pool_id: String,
    pub enabled: bool,
    pub merged_into: Option<String>,
}

/// A login of a request after validation.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The provider as this pool stores it: the configured name for user pools (whichever form
    /// the request used), else the key as given.
    pub provider: String,
    pub subject: String,
    pub claims: Map<String, Value>,
    /// The RoleMappings key of the provider (`{provider}:{clientId}` for user pools).
    pub mapping_key: String,
    /// The provider-specific `amr` entry: `{provider}:{user}` (user pools:
    /// `{provider}:CognitoSignIn:{sub}`).
    pub amr_detail: String,
    /// This service's own OpenID token: it proves an identity and is never linked.
    pub identity_token: bool,
}

impl Verified {
    pub fn link(&self) -> NewLogin {
        (self.provider.clone(), self.subject.clone())
    }
}

/// `amr` for authenticated logins: `authenticated`, then each provider and its detail.
pub fn authenticated_amr(logins: &[Verified]) -> Vec<String> {
    let mut amr = vec!["authenticated".to_string()];
    for l in logins {
        if l.identity_token {
            let inner = l.claims.get("amr").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
            amr.extend(inner.filter(|a| *a != "authenticated").map(str::to_string));
        } else {
            amr.push(l.provider.clone());
            amr.push(l.amr_detail.clone());
        }
    }
    amr
}

pub fn new_identity_id(region: &str) -> String {
    format!("{region}:{}", uuid::Uuid::new_v4())
}

fn forbidden(id: &str) -> Error {
    Error::NotAuthorized(format!("Access to Identity '{id}' is forbidden."))
}

/// An opaque NextToken for a text key (subjects may hold any character).
pub fn encode_token(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

pub fn decode_token(token: Option<&str>) -> Result<Option<String>> {
    token
        .map(|t| {
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| Error::invalid("Invalid NextToken."))
        })
        .transpose()
}

impl IdentityPools {
    /// A new, enabled identity of identity pool `pool_id`, created now.
    fn new_identity(&self, pool_id: &str) -> IdentityRow {
        let now = self.now();
        IdentityRow {
            id: new_identity_id(&self.config.region),
            pool_id: pool_id.to_string(),
            enabled: true,
            merged_into: None,
            created_at: now,
            updated_at: now,
        }
    }

    pub(crate) fn login_rules<'a>(&self, pool: &'a IdentityPool) -> LoginRules<'a> {
        LoginRules { multi_user_provider: pool.developer_provider_name.as_deref(), max_logins: MAX_LOGINS }
    }

    /// The configured provider name a login key stands for: for a user pool, the first
    /// CognitoIdentityProviders entry of the same user pool, so both key forms are one provider.
    pub fn canonical_provider(&self, pool: &IdentityPool, key: &str) -> String {
        match self.user_pool_of_provider_name(key) {
            Some(up) => pool
                .cognito_identity_providers
                .iter()
                .map(|c| c.provider_name.as_str())
                .find(|p| self.user_pool_of_provider_name(p).as_deref() == Some(up.as_str()))
                .unwrap_or(key)
                .to_string(),
            None => key.to_string(),
        }
    }

    /// Validate every login of a request with `validate_login` (which refuses the developer
    /// provider: only GetOpenIdTokenForDeveloperIdentity takes it). This service's own token is
    /// refused unless `allow_identity_token` (GetId takes no Cognito token).
    pub(crate) async fn verify_logins(
        &self,
        row: &IdentityPoolRow,
        pool: &IdentityPool,
        logins: &Logins,
        allow_identity_token: bool,
    ) -> Result<Vec<Verified>> {
        let mut out: Vec<Verified> = Vec::new();
        for (key, token) in logins {
            let identity_token = key == COGNITO_IDENTITY_PROVIDER;
            if identity_token && !allow_identity_token {
                return Err(Error::NotAuthorized("Invalid login token. Can't pass in a Cognito token.".into()));
            }
            let login = self.validate_login(&row.id, &row.config, key, token).await.map_err(|e| match e {
                LoginError::NotAuthorized(m) => Error::NotAuthorized(m),
                LoginError::External(m) => Error::ExternalService(m),
                LoginError::Internal(e) => Error::Internal(e),
            })?;
            let provider = self.canonical_provider(pool, key);
            let (mapping_key, amr_detail) = if let Some(up) = self.user_pool_of_provider_name(key) {
                // Role mappings of user pools are per app client: the entry of the token's client.
                let aud = login.claims.get("aud").and_then(Value::as_str).unwrap_or_default();
                let entry = pool.cognito_identity_providers.iter().find(|c| {
                    c.client_id == aud
                        && self.user_pool_of_provider_name(&c.provider_name).as_deref() == Some(up.as_str())
                });
                let name = entry.map(|c| c.provider_name.as_str()).unwrap_or(&provider);
                (format!("{name}:{aud}"), format!("{provider}:CognitoSignIn:{}", login.subject))
            } else {
                (provider.clone(), format!("{provider}:{}", login.subject))
            };
            let v = Verified {
                provider,
                subject: login.subject,
                claims: login.claims,
                mapping_key,
                amr_detail,
                identity_token,
            };
            if !out.iter().any(|o| o.provider == v.provider && o.subject == v.subject) {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// The identity `id` lives in now: itself, or the one it was merged into. A disabled
    /// identity that was not merged (its last login was removed) is inaccessible.
    pub(crate) async fn live_identity(&self, id: &str) -> Result<IdentityRow> {
        let mut row = self.store.get_identity(id).await?.ok_or_else(|| identity_not_found(id))?;
        for _ in 0..MAX_MERGE_HOPS {
            match (&row.merged_into, row.enabled) {
                (None, true) => return Ok(row),
                (None, false) => return Err(forbidden(id)),
                (Some(next), _) => {
                    row = self.store.get_identity(next).await?.ok_or_else(|| forbidden(id))?;
                }
            }
        }
        Err(forbidden(id))
    }

    /// Give `links` one identity: the identity `named` (if any) or the ones the logins belong
    /// to, merged into one, or a new identity. Returns the identity they now live in.
    pub(crate) async fn settle_identity(
        &self,
        row: &IdentityPoolRow,
        pool: &IdentityPool,
        named: Option<&str>,
        links: &[NewLogin],
    ) -> Result<IdentityRow> {
        let rules = self.login_rules(pool);
        for _ in 0..LINK_ATTEMPTS {
            let mut candidates: Vec<IdentityRow> = Vec::new();
            if let Some(id) = named {
                candidates.push(self.live_identity(id).await?);
            }
            let mut new: Vec<NewLogin> = Vec::new();
            let mut moved = false;
            for (provider, subject) in links {
                match self.store.get_identity_login(&row.id, provider, subject).await? {
                    None => new.push((provider.clone(), subject.clone())),
                    Some(l) if candidates.iter().any(|c| c.id == l.identity_id) => {}
                    Some(l) => match self.store.get_identity(&l.identity_id).await? {
                        Some(owner) if owner.enabled && owner.merged_into.is_none() => candidates.push(owner),
                        // Merged or unlinked under our feet: read again.
                        _ => moved = true,
                    },
                }
            }
            if moved {
                continue;
            }
            let now = self.now();
            if candidates.is_empty() {
                let identity = self.new_identity(&row.id);
                check_new_logins(&new, rules)?;
                match self.store.create_identity(&identity, &new).await? {
                    Linking::Done => return Ok(identity),
                    _ => continue,
                }
            }
            // The survivor: an identity with logins before a guest, then the oldest.
            let mut ranked = Vec::new();
            for c in candidates {
                let has_logins = !self.store.identity_logins(&c.id).await?.is_empty();
                ranked.push((!has_logins, c.created_at, c.id.clone(), c));
            }
            ranked.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
            let survivor = ranked.remove(0).3;
            let others: Vec<String> = ranked.into_iter().map(|r| r.2).collect();
            match self.store.link_identity(&row.id, &survivor.id, &others, &new, rules, now).await? {
                Linking::Done => {
                    if !others.is_empty() {
                        tracing::info!(survivor = %survivor.id, merged = ?others, "identities merged");
                    }
                    return Ok(survivor);
                }
                Linking::Retry => continue,
                Linking::ProviderClash(p) => return Err(clash(&p)),
                Linking::TooMany => return Err(too_many()),
            }
        }
        Err(Error::internal(anyhow::anyhow!("logins kept changing while linking them")))
    }

    /// GetId: the identity of the logins (linking and merging as needed), or a new guest
    /// identity when there are none and the pool allows guests.
    pub async fn get_id(&self, pool_id: &str, logins: &Logins) -> Result<String> {
        let row = self.identity_pool_row(pool_id).await?;
        let pool = IdentityPool::from_row(&row)?;
        if logins.is_empty() {
            if !pool.allow_unauthenticated_identities {
                return Err(Error::NotAuthorized(NO_GUESTS.into()));
            }
            let identity = self.new_identity(&row.id);
            self.store.create_identity(&identity, &[]).await?;
            return Ok(identity.id);
        }
        let verified = self.verify_logins(&row, &pool, logins, false).await?;
        let links: Vec<NewLogin> = verified.iter().map(Verified::link).collect();
        Ok(self.settle_identity(&row, &pool, None, &links).await?.id)
    }

    /// DescribeIdentity.
    pub async fn describe_identity(&self, id: &str) -> Result<IdentityDescription> {
        let row = self.store.get_identity(id).await?.ok_or_else(|| identity_not_found(id))?;
        self.identity_description(&row).await
    }

    async fn identity_description(&self, row: &IdentityRow) -> Result<IdentityDescription> {
        let mut providers: Vec<String> = Vec::new();
        for l in self.store.identity_logins(&row.id).await? {
            if !providers.contains(&l.provider) {
                providers.push(l.provider);
            }
        }
        Ok(IdentityDescription {
            identity_id: row.id.clone(),
            logins: providers,
            created_at: row.created_at,
            updated_at: row.updated_at,
            identity_pool_id: row.pool_id.clone(),
            enabled: row.enabled,
            merged_into: row.merged_into.clone(),
        })
    }

    /// ListIdentities: identities in creation order, `max` at a time.
    pub async fn list_identities(
        &self,
        pool_id: &str,
        max: i64,
        next: Option<&str>,
        hide_disabled: bool,
    ) -> Result<(Vec<IdentityDescription>, Option<String>)> {
        self.identity_pool_row(pool_id).await?;
        let after = decode_token(next)?;
        let after = match after.as_deref().map(|a| a.split_once(' ')) {
            None => None,
            Some(Some((at, id))) => Some((at.parse::<i64>().map_err(|_| Error::invalid("Invalid NextToken."))?, id)),
            Some(None) => return Err(Error::invalid("Invalid NextToken.")),
        };
        let rows = self.store.list_identities(pool_id, after, max + 1, hide_disabled).await?;
        let (rows, next) = crate::store::page(rows, max, |r| encode_token(&format!("{} {}", r.created_at, r.id)));
        let mut out = Vec::new();
        for r in &rows {
            out.push(self.identity_description(r).await?);
        }
        Ok((out, next))
    }

    /// DeleteIdentities: the ids that could not be deleted (each for an internal error). An id
    /// that does not exist is already deleted.
    pub async fn delete_identities(&self, ids: &[String]) -> Vec<String> {
        let mut unprocessed = Vec::new();
        for id in ids {
            if let Err(e) = self.store.delete_identity(id).await {
                tracing::error!(error = ?e, identity = %id, "identity not deleted");
                unprocessed.push(id.clone());
            }
        }
        unprocessed
    }

    /// UnlinkIdentity: with logins that prove the caller owns the identity, remove the logins
    /// of the providers named in `remove`. An identity left without logins is disabled.
    pub async fn unlink_identity(&self, id: &str, logins: &Logins, remove: &[String]) -> Result<()> {
        let named = self.store.get_identity(id).await?.ok_or_else(|| identity_not_found(id))?;
        let row = self.identity_pool_row(&named.pool_id).await?;
        let pool = IdentityPool::from_row(&row)?;
        let live = self.live_identity(id).await?;
        let verified = self.verify_logins(&row, &pool, logins, false).await?;
        if verified.is_empty() {
            return Err(Error::NotAuthorized(LOGINS_DONT_MATCH.into()));
        }
        for v in &verified {
            let owner = self.store.get_identity_login(&row.id, &v.provider, &v.subject).await?;
            if owner.is_none_or(|o| o.identity_id != live.id) {
                return Err(Error::NotAuthorized(LOGINS_DONT_MATCH.into()));
            }
        }
        let mut providers: Vec<String> = remove.iter().map(|k| self.canonical_provider(&pool, k)).collect();
        providers.sort();
        providers.dedup();
        match self.store.unlink_identity_providers(&live.id, &providers, self.now()).await? {
            Some(n) => {
                tracing::info!(identity = %live.id, removed = n, "logins unlinked");
                Ok(())
            }
            None => Err(forbidden(id)),
        }
    }

    /// The dashboard's unlink of a user pool's or a public provider's login from identity `id`,
    /// without the login's token: the operator is trusted, where Cognito's UnlinkIdentity asks the
    /// caller to prove the login. Developer users go through UnlinkDeveloperIdentity instead. An
    /// identity left without logins is disabled, as UnlinkIdentity leaves it.
    pub async fn remove_login(&self, id: &str, provider: &str) -> Result<()> {
        let named = self.store.get_identity(id).await?.ok_or_else(|| identity_not_found(id))?;
        let row = self.identity_pool_row(&named.pool_id).await?;
        let pool = IdentityPool::from_row(&row)?;
        if pool.developer_provider_name.as_deref() == Some(provider) {
            return Err(Error::invalid("Unlink a developer user by its identifier."));
        }
        let live = self.live_identity(id).await?;
        match self.store.unlink_identity_providers(&live.id, &[provider.to_string()], self.now()).await? {
            Some(0) => Err(Error::ResourceNotFound(format!("The identity has no login of {provider}."))),
            Some(_) => Ok(()),
            None => Err(forbidden(id)),
        }
    }
}

pub(crate) fn clash(provider: &str) -> Error {
    Error::ResourceConflict(format!(
        "The identity is already linked to a different user of {provider}; an identity can hold one login per provider."
    ))
}

pub(crate) fn too_many() -> Error {
    Error::LimitExceeded(format!("An identity can have at most {MAX_LOGINS} linked logins."))
}

/// The rules a new identity's logins must keep (no other writer can see it yet).
fn check_new_logins(new: &[NewLogin], rules: LoginRules) -> Result<()> {
    if new.len() as i64 > rules.max_logins {
        return Err(too_many());
    }
    for (i, (p, s)) in new.iter().enumerate() {
        if Some(p.as_str()) != rules.multi_user_provider && new[..i].iter().any(|(op, os)| op == p && os != s) {
            return Err(clash(p));
        }
    }
    Ok(())
}
