//! IAM roles, trust policies and temporary credentials: what identity pools and the STS
//! endpoint need from AWS, kept here with no AWS behind it.
//!
//! - [`roles`]: CreateRole, GetRole, ListRoles, DeleteRole and inline policies (services).
//! - [`policy`]: policy documents — decoding, grammar, the typed model; [`trust`]: evaluating a
//!   trust policy for `sts:AssumeRoleWithWebIdentity`.
//! - [`credentials`]: vending `ASIA…` credentials for a trusting role, and finding the session
//!   behind a temporary access key (for SigV4 with `X-Amz-Security-Token`).
//! - [`web_identity`]: the STS `WebIdentityToken` (an identity-pool OpenID token or a user-pool
//!   ID token) as a [`WebIdentity`].
//!
//! The Query-protocol surface (XML) is `crate::api::query`; rows are `crate::store::iam`.

use crate::clock::Clock;
use crate::crypto::MasterKey;
use crate::store::Store;
use std::sync::Arc;

pub mod credentials;
pub mod error;
pub mod managed;
pub mod policy;
pub mod roles;
pub mod trust;
pub mod web_identity;

/// The IAM context: roles and their policies, and the temporary credentials vended for them.
/// Holds only what it uses: the store, the clock, the master key (session secrets are sealed)
/// and the account id every ARN names.
pub struct Iam {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    account_id: String,
}

impl Iam {
    pub fn new(store: Store, clock: Arc<dyn Clock>, master: MasterKey, account_id: String) -> Self {
        Iam { store, clock, master, account_id }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The account every ARN names.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The secret of the management key `access_key_id`, if it is one (both signed APIs verify
    /// SigV4 with it).
    pub async fn management_secret(&self, access_key_id: &str) -> anyhow::Result<Option<String>> {
        let Some(key) = self.store.get_management_key(access_key_id).await? else {
            return Ok(None);
        };
        let secret = self.master.open_string(&key.secret_enc, &format!("management-key:{}", key.access_key_id))?;
        Ok(Some(secret))
    }
}

/// Who is asking to assume a role through web identity federation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebIdentity {
    /// The `Federated` principal: `cognito-identity.amazonaws.com` for identity-pool tokens, or a user pool's issuer without scheme.
    pub provider: String,
    /// `sub`.
    pub subject: String,
    /// `aud`.
    pub audience: String,
    /// Empty when the token has none.
    pub amr: Vec<String>,
}

/// Credentials vended for a role (AssumeRoleWithWebIdentity, GetCredentialsForIdentity).
#[derive(Clone, PartialEq, Eq)]
pub struct TemporaryCredentials {
    /// `ASIA…`.
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expiration: i64,
    /// `arn:aws:sts::{account}:assumed-role/{role}/{session}`.
    pub assumed_role_arn: String,
    /// `AROA…:{session}`.
    pub assumed_role_id: String,
}

impl std::fmt::Debug for TemporaryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .field("assumed_role_arn", &self.assumed_role_arn)
            .finish_non_exhaustive()
    }
}

/// Why no credentials were vended.
#[derive(Debug, thiserror::Error)]
pub enum AssumeError {
    /// The ARN names no role of this account.
    #[error("no such role")]
    NoSuchRole,
    /// The role's trust policy does not allow `sts:AssumeRoleWithWebIdentity` for this identity.
    #[error("Not authorized to perform sts:AssumeRoleWithWebIdentity")]
    NotTrusted,
    /// Bad input (ARN, session name, duration), in STS's words.
    #[error("{0}")]
    Invalid(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// `arn:aws:iam::{account}:role{path}{name}`.
pub fn role_arn(account: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account}:role{path}{name}")
}

/// `arn:aws:sts::{account}:assumed-role/{role}/{session}`.
pub fn assumed_role_arn(account: &str, role_name: &str, session_name: &str) -> String {
    format!("arn:aws:sts::{account}:assumed-role/{role_name}/{session_name}")
}

/// A role ARN's (account, path, name); `None` when it is not one.
pub fn parse_role_arn(arn: &str) -> Option<(&str, String, &str)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    let (path, name) = match path_and_name.rsplit_once('/') {
        Some((path, name)) => (format!("/{path}/"), name),
        None => ("/".to_string(), path_and_name),
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    Some((account, path, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_round_trip() {
        assert_eq!(role_arn("123456789012", "/", "r"), "arn:aws:iam::123456789012:role/r");
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/r"), Some(("123456789012", "/".into(), "r")));
        assert_eq!(
            parse_role_arn(&role_arn("123456789012", "/a/b/", "Role_1")),
            Some(("123456789012", "/a/b/".into(), "Role_1"))
        );
        for bad in [
            "arn:aws:iam::123456789012:user/r",
            "arn:aws:iam::12345:role/r",
            "arn:aws:iam::123456789012:role/",
            "arn:aws:sts::123456789012:role/r",
            "role/r",
        ] {
            assert_eq!(parse_role_arn(bad), None, "{bad}");
        }
        assert_eq!(parse_role_arn("arn:aws:iam::123456789012:role/a//r"), Some(("123456789012", "/a//".into(), "r")));
        assert_eq!(assumed_role_arn("1", "r", "s"), "arn:aws:sts::1:assumed-role/r/s");
    }
}
