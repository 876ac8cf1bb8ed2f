//! The credential simulator's question, answered without side effects: would this login token,
//! presented under this login key of an identity pool, get credentials? Each step is the one
//! GetId and GetCredentialsForIdentity take — the login's validation ([`IdentityPools::verify_logins`]),
//! the role the pool's roles and role mappings choose ([`roles::choose_authenticated_role`]), and
//! the role's trust policy for `cognito-identity.amazonaws.com` ([`crate::iam::Iam::web_identity_trust`]) —
//! but no identity is created or linked and nothing is vended. A guest (no login) is simulated
//! too: whether the pool takes guests, its unauthenticated role, and that role's trust policy.

use super::IdentityPools;
use super::error::{Error, NO_GUESTS, Result};
use super::identities::{authenticated_amr, new_identity_id};
use super::logins::Logins;
use super::pools::{COGNITO_IDENTITY_PROVIDER, IdentityPool};
use super::roles::{self, MappedLogin, RoleChoice};
use crate::iam::trust::Decision;
use crate::iam::{AssumeError, WebIdentity};
use crate::tokens::jwt;
use serde_json::{Map, Value};

/// What the simulator found, step by step; a step is `None` when an earlier one failed.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// The token's claims as it states them, before any check; `None` when it is not a JWT.
    pub stated_claims: Option<Map<String, Value>>,
    /// Step 1: the login validates (signature, issuer, audience, expiry, and the user when the
    /// provider asks for a server-side check), or Cognito's message saying why not. For a guest:
    /// the pool takes guests (`Ok(None)`), or why not.
    pub login: std::result::Result<Option<SimulatedLogin>, String>,
    /// Step 2: the role chosen, and why.
    pub role: Option<RoleChoice>,
    /// Step 3: what the chosen role's trust policy decides for the identity.
    pub trust: Option<SimulatedTrust>,
}

/// A login that validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedLogin {
    /// The provider as the pool stores it.
    pub provider: String,
    pub subject: String,
    /// The RoleMappings key of the login (`{provider}:{clientId}` for user pools).
    pub mapping_key: String,
    /// The identity the login is linked to now; `None` when GetId would create one.
    pub identity_id: Option<String>,
}

/// The trust step: the web identity the role was asked about, and the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedTrust {
    pub role_arn: String,
    /// `cognito-identity.amazonaws.com`, the identity (or a sample new id) as `sub`, the pool as
    /// `aud`, and the `amr` GetCredentialsForIdentity would give.
    pub web_identity: WebIdentity,
    pub outcome: TrustOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustOutcome {
    /// The role's trust policy decided (`Allow`, an explicit or an implicit deny).
    Decided { role_name: String, decision: Decision },
    /// The ARN names no role of this account.
    NoSuchRole,
    /// The ARN is not a role ARN (STS's message).
    Invalid(String),
}

impl IdentityPools {
    /// Simulate GetId + GetCredentialsForIdentity for one login (`key` → `token`) of identity
    /// pool `pool_id`, reading only. Errors are the pool's absence and internal failures; a
    /// refused login is a [`Simulation`] whose login step failed.
    pub async fn simulate(&self, pool_id: &str, key: &str, token: &str) -> Result<Simulation> {
        let row = self.identity_pool_row(pool_id).await?;
        let pool = IdentityPool::from_row(&row)?;
        let stated_claims = jwt::peek_claims(token);
        let logins: Logins = [(key.to_string(), token.to_string())].into();
        let verified = match self.verify_logins(&row, &pool, &logins, false).await {
            Ok(v) => v,
            Err(Error::Internal(e)) => return Err(Error::Internal(e)),
            Err(refused) => {
                return Ok(Simulation { stated_claims, login: Err(refused.to_string()), role: None, trust: None });
            }
        };
        let Some(login) = verified.first() else {
            return Ok(Simulation { stated_claims, login: Err("No login was given.".into()), role: None, trust: None });
        };
        let identity_id = match self.store.get_identity_login(&row.id, &login.provider, &login.subject).await? {
            None => None,
            Some(l) => match self.live_identity(&l.identity_id).await {
                Ok(live) => Some(live.id),
                Err(Error::Internal(e)) => return Err(Error::Internal(e)),
                Err(_) => None,
            },
        };
        let simulated = SimulatedLogin {
            provider: login.provider.clone(),
            subject: login.subject.clone(),
            mapping_key: login.mapping_key.clone(),
            identity_id: identity_id.clone(),
        };
        let pool_roles = self.identity_pool_roles(&row.id).await?;
        let mapped = [MappedLogin { mapping_key: login.mapping_key.clone(), claims: &login.claims }];
        let choice = roles::choose_authenticated_role(&pool_roles, &mapped, None);
        let trust = self.simulate_trust(&row.id, &choice, identity_id, authenticated_amr(&verified)).await?;
        Ok(Simulation { stated_claims, login: Ok(Some(simulated)), role: Some(choice), trust })
    }

    /// Simulate GetId + GetCredentialsForIdentity for a guest (no login) of identity pool
    /// `pool_id`, reading only.
    pub async fn simulate_guest(&self, pool_id: &str) -> Result<Simulation> {
        let row = self.identity_pool_row(pool_id).await?;
        let pool = IdentityPool::from_row(&row)?;
        if !pool.allow_unauthenticated_identities {
            return Ok(Simulation { stated_claims: None, login: Err(NO_GUESTS.into()), role: None, trust: None });
        }
        let choice = roles::choose_guest_role(&self.identity_pool_roles(&row.id).await?);
        let trust = self.simulate_trust(&row.id, &choice, None, vec!["unauthenticated".to_string()]).await?;
        Ok(Simulation { stated_claims: None, login: Ok(None), role: Some(choice), trust })
    }

    /// The trust step for the chosen role, if one was: what its trust policy decides for the
    /// identity (`identity_id`, or a sample new id) with `amr`.
    async fn simulate_trust(
        &self,
        pool_id: &str,
        choice: &RoleChoice,
        identity_id: Option<String>,
        amr: Vec<String>,
    ) -> Result<Option<SimulatedTrust>> {
        let Ok(role_arn) = &choice.role else { return Ok(None) };
        let web_identity = WebIdentity {
            provider: COGNITO_IDENTITY_PROVIDER.to_string(),
            subject: identity_id.unwrap_or_else(|| new_identity_id(&self.config.region)),
            audience: pool_id.to_string(),
            amr,
        };
        let outcome = match self.iam.web_identity_trust(role_arn, &web_identity).await {
            Ok((role, decision)) => TrustOutcome::Decided { role_name: role.name, decision },
            Err(AssumeError::NoSuchRole) => TrustOutcome::NoSuchRole,
            Err(AssumeError::Invalid(m)) => TrustOutcome::Invalid(m),
            Err(AssumeError::NotTrusted) => {
                TrustOutcome::Decided { role_name: String::new(), decision: Decision::ImplicitDeny }
            }
            Err(AssumeError::Internal(e)) => return Err(Error::Internal(e)),
        };
        Ok(Some(SimulatedTrust { role_arn: role_arn.clone(), web_identity, outcome }))
    }
}
