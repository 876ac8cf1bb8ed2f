//! The enhanced flow's GetCredentialsForIdentity and the basic flow's GetOpenIdToken. Both start
//! by proving the caller's claim on an identity: no logins for a guest identity of a pool that
//! allows guests; else logins that are (or now get) linked to it, or an OpenID token of this
//! service for it. Credentials come from the role the pool's roles and role mappings choose,
//! assumed through STS web identity federation as `cognito-identity.amazonaws.com`.
//!
//! GetOpenIdToken is the basic (classic) flow: the pool must allow it (`AllowClassicFlow`), or
//! the call fails as Cognito's does. GetOpenIdTokenForDeveloperIdentity belongs to the enhanced
//! flow and needs no such switch.

use super::IdentityPools;
use super::error::{Error, INVALID_POOL_CONFIGURATION, LOGINS_DONT_MATCH, NO_GUESTS, Result, identity_not_found};
use super::identities::{Verified, authenticated_amr};
use super::logins::Logins;
use super::pools::{COGNITO_IDENTITY_PROVIDER, IdentityPool};
use super::roles::{self, MappedLogin, NoRole};
use crate::iam::{AssumeError, TemporaryCredentials, WebIdentity};
use crate::store::identity::{IdentityPoolRow, IdentityRow, NewLogin};
use serde_json::Value;

/// Lifetime of a GetOpenIdToken token.
pub const OPEN_ID_TOKEN_SECS: i64 = 600;
/// The session name of credentials vended for identities.
pub const SESSION_NAME: &str = "CognitoIdentityCredentials";

/// Who the caller proved to be.
pub(crate) struct Proven {
    pub row: IdentityPoolRow,
    pub identity: IdentityRow,
    /// `None` for a guest; else the logins of the request.
    pub logins: Option<Vec<Verified>>,
}

impl Proven {
    pub fn amr(&self) -> Vec<String> {
        match &self.logins {
            None => vec!["unauthenticated".to_string()],
            Some(l) => authenticated_amr(l),
        }
    }
}

fn is_guest_token(v: &Verified) -> bool {
    v.claims.get("amr").and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| x == "unauthenticated"))
}

impl IdentityPools {
    /// Prove the caller's claim on identity `id` with `logins` (linking and merging as GetId does).
    pub(crate) async fn prove_identity(&self, id: &str, logins: &Logins) -> Result<Proven> {
        let named = self.store.get_identity(id).await?.ok_or_else(|| identity_not_found(id))?;
        let row = self.identity_pool_row(&named.pool_id).await?;
        let pool = IdentityPool::from_row(&row)?;
        if logins.is_empty() {
            let live = self.live_identity(id).await?;
            return self.guest_proof(live, row, pool).await;
        }
        let verified = self.verify_logins(&row, &pool, logins, true).await?;
        let live = self.live_identity(id).await?;
        let (tokens, links): (Vec<&Verified>, Vec<&Verified>) = verified.iter().partition(|v| v.identity_token);
        if tokens.iter().any(|t| t.subject != named.id && t.subject != live.id) {
            return Err(Error::NotAuthorized(LOGINS_DONT_MATCH.into()));
        }
        if links.is_empty() {
            // Only this service's own tokens for the identity: they carry the proof.
            if tokens.iter().all(|t| is_guest_token(t)) {
                return self.guest_proof(live, row, pool).await;
            }
            return Ok(Proven { row, identity: live, logins: Some(verified) });
        }
        let new: Vec<NewLogin> = links.iter().map(|v| v.link()).collect();
        let identity = self.settle_identity(&row, &pool, Some(id), &new).await?;
        Ok(Proven { row, identity, logins: Some(verified) })
    }

    /// A guest's claim: an identity without logins, in a pool that allows guests.
    async fn guest_proof(&self, identity: IdentityRow, row: IdentityPoolRow, pool: IdentityPool) -> Result<Proven> {
        if !self.store.identity_logins(&identity.id).await?.is_empty() {
            return Err(Error::NotAuthorized(LOGINS_DONT_MATCH.into()));
        }
        if !pool.allow_unauthenticated_identities {
            return Err(Error::NotAuthorized(NO_GUESTS.into()));
        }
        Ok(Proven { row, identity, logins: None })
    }

    /// GetCredentialsForIdentity: (the identity the credentials are for, the credentials).
    pub async fn credentials_for_identity(
        &self,
        id: &str,
        logins: &Logins,
        custom_role_arn: Option<&str>,
    ) -> Result<(String, TemporaryCredentials)> {
        let proven = self.prove_identity(id, logins).await?;
        let roles = self.identity_pool_roles(&proven.row.id).await?;
        let chosen = match &proven.logins {
            None => roles::guest_role(&roles, custom_role_arn),
            Some(l) => {
                let mapped: Vec<MappedLogin> = l
                    .iter()
                    .filter(|v| !v.identity_token)
                    .map(|v| MappedLogin { mapping_key: v.mapping_key.clone(), claims: &v.claims })
                    .collect();
                roles::authenticated_role(&roles, &mapped, custom_role_arn)
            }
        };
        let role = match chosen {
            Ok(r) => r,
            Err(NoRole::Denied(m)) => return Err(Error::NotAuthorized(m)),
            Err(NoRole::Unconfigured) => {
                return Err(Error::InvalidIdentityPoolConfiguration(INVALID_POOL_CONFIGURATION.into()));
            }
        };
        let who = WebIdentity {
            provider: COGNITO_IDENTITY_PROVIDER.to_string(),
            subject: proven.identity.id.clone(),
            audience: proven.row.id.clone(),
            amr: proven.amr(),
        };
        let creds =
            self.iam.assume_role_with_web_identity(&role, SESSION_NAME, &who, None).await.map_err(|e| match e {
                AssumeError::NoSuchRole | AssumeError::NotTrusted => {
                    Error::InvalidIdentityPoolConfiguration(INVALID_POOL_CONFIGURATION.into())
                }
                AssumeError::Invalid(m) => {
                    tracing::warn!(role = %role, reason = %m, "role refused the identity");
                    Error::InvalidIdentityPoolConfiguration(INVALID_POOL_CONFIGURATION.into())
                }
                AssumeError::Internal(e) => Error::Internal(e),
            })?;
        Ok((proven.identity.id, creds))
    }

    /// GetOpenIdToken: (identity id, a 10-minute OpenID token for it).
    pub async fn open_id_token(&self, id: &str, logins: &Logins) -> Result<(String, String)> {
        let proven = self.prove_identity(id, logins).await?;
        if proven.row.config["AllowClassicFlow"] != true {
            return Err(Error::InvalidParameter(
                "Basic (classic) flow is not enabled, please use enhanced flow.".into(),
            ));
        }
        let token =
            self.issue_identity_token(&proven.row.id, &proven.identity.id, &proven.amr(), OPEN_ID_TOKEN_SECS).await?;
        Ok((proven.identity.id, token))
    }
}
