//! Temporary credentials: vending them for a role whose trust policy accepts a web identity
//! (`assume_role_with_web_identity`, used by STS AssumeRoleWithWebIdentity and by identity
//! pools' GetCredentialsForIdentity), and finding the live session behind a temporary access
//! key when a request is signed with one.
//!
//! An access key id is `ASIA` + 16 characters; the secret (40 characters) is sealed with the
//! master key; the session token (128 characters) is kept only as its SHA-256.

use super::error::{check_range, check_string, is_name_char};
use super::policy::{self, PolicyKind};
use super::trust::{self, Decision};
use super::{AssumeError, Iam, TemporaryCredentials, WebIdentity, assumed_role_arn, parse_role_arn};
use crate::crypto::{SecretToken, TokenHash, random_from};
use crate::store::StoreError;
use crate::store::iam::{RoleRow, TemporaryCredentialRow};

pub const DEFAULT_DURATION_SECS: i64 = 3600;
pub const MIN_DURATION_SECS: i64 = 900;
pub const MAX_DURATION_SECS: i64 = 43_200;
/// How long expired credentials are kept, so that using one answers `ExpiredToken` rather than
/// an unknown key.
pub const EXPIRED_KEEP_SECS: i64 = 24 * 3600;

const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const SECRET_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The seal context of a temporary secret: binds the ciphertext to its access key.
fn seal_context(access_key_id: &str) -> String {
    format!("temporary-credential:{access_key_id}")
}

/// The live session behind a temporary access key.
#[derive(Clone)]
pub struct Session {
    pub access_key_id: String,
    /// For checking the request's signature.
    pub secret_access_key: String,
    pub role: RoleRow,
    pub session_name: String,
    pub subject: String,
    pub audience: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("access_key_id", &self.access_key_id)
            .field("role", &self.role.name)
            .field("session_name", &self.session_name)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// `arn:aws:sts::{account}:assumed-role/{role}/{session}`.
    pub fn arn(&self, account: &str) -> String {
        assumed_role_arn(account, &self.role.name, &self.session_name)
    }

    /// `{role id}:{session}`, GetCallerIdentity's `UserId`.
    pub fn user_id(&self) -> String {
        format!("{}:{}", self.role.role_id, self.session_name)
    }
}

/// Why a temporary access key does not authenticate a request.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Unknown key, missing or wrong session token, revoked, or its role is gone.
    #[error("The security token included in the request is invalid.")]
    Invalid,
    #[error("The security token included in the request is expired")]
    Expired,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// Check a session name (`[\w+=,.@-]{2,64}`) and duration (900-43200 s) as STS does; the
/// duration to use (3600 by default).
pub fn check_assume_input(session_name: &str, duration_secs: Option<i64>) -> Result<i64, AssumeError> {
    let invalid = |e: super::error::IamError| AssumeError::Invalid(e.to_string());
    check_string("roleSessionName", session_name, 2, 64, "[\\w+=,.@-]*", is_name_char).map_err(invalid)?;
    let duration = duration_secs.unwrap_or(DEFAULT_DURATION_SECS);
    check_range("durationSeconds", duration, MIN_DURATION_SECS, MAX_DURATION_SECS).map_err(invalid)?;
    Ok(duration)
}

impl Iam {
    /// Credentials for the role `role_arn` (`arn:aws:iam::{account}:role{path}{name}`) if its trust
    /// policy allows `sts:AssumeRoleWithWebIdentity` for `who` (Principal.Federated = who.provider,
    /// conditions on `{provider}:aud`, `{provider}:sub`, `{provider}:amr` with StringEquals, StringLike,
    /// ForAnyValue:StringLike, ForAllValues:…). `duration_secs` defaults to 3600.
    pub async fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        session_name: &str,
        who: &WebIdentity,
        duration_secs: Option<i64>,
    ) -> Result<TemporaryCredentials, AssumeError> {
        let duration = check_assume_input(session_name, duration_secs)?;
        let (role, decision) = self.web_identity_trust(role_arn, who).await?;
        if decision != Decision::Allow {
            tracing::info!(role = %role.name, provider = %who.provider, "trust policy refused a web identity");
            return Err(AssumeError::NotTrusted);
        }
        if duration > role.max_session_duration {
            return Err(AssumeError::Invalid(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.".into(),
            ));
        }

        let now = self.now();
        let access_key_id = format!("ASIA{}", random_from(UPPER_ALNUM, 16));
        let secret_access_key = random_from(SECRET_ALPHABET, 40);
        let session_token = SecretToken::random_bytes::<96>();
        let row = TemporaryCredentialRow {
            access_key_id: access_key_id.clone(),
            secret_enc: self.master.seal(secret_access_key.as_bytes(), &seal_context(&access_key_id)),
            session_token_hash: session_token.hash(),
            role_name: role.name.clone(),
            session_name: session_name.to_string(),
            subject: who.subject.clone(),
            audience: who.audience.clone(),
            created_at: now,
            expires_at: now + duration,
            revoked_at: None,
            role_id: Some(role.role_id.clone()),
        };
        match self.store.insert_temporary_credential(&row, &role.role_id).await {
            Ok(true) => {}
            // Deleted since it was read.
            Ok(false) => return Err(AssumeError::NoSuchRole),
            Err(StoreError::Conflict) => {
                return Err(AssumeError::Internal(anyhow::anyhow!("access key id collision")));
            }
            Err(e) => return Err(AssumeError::Internal(e.into())),
        }
        tracing::info!(role = %role.name, access_key_id = %access_key_id, expires_at = row.expires_at, "vended temporary credentials");
        Ok(TemporaryCredentials {
            access_key_id,
            secret_access_key,
            session_token: session_token.into_clear(),
            expiration: row.expires_at,
            assumed_role_arn: assumed_role_arn(&self.account_id, &role.name, session_name),
            assumed_role_id: format!("{}:{session_name}", role.role_id),
        })
    }

    /// The role `role_arn` names and what its trust policy decides for `who` asking for
    /// `sts:AssumeRoleWithWebIdentity`; nothing is vended or stored (the credential simulator
    /// asks this too). `NoSuchRole` when the ARN names no role of this account.
    pub async fn web_identity_trust(
        &self,
        role_arn: &str,
        who: &WebIdentity,
    ) -> Result<(RoleRow, Decision), AssumeError> {
        let (account, path, name) =
            parse_role_arn(role_arn).ok_or_else(|| AssumeError::Invalid("Request ARN is invalid".into()))?;
        if account != self.account_id {
            return Err(AssumeError::NoSuchRole);
        }
        let role = self.store.get_role(name).await.map_err(|e| AssumeError::Internal(e.into()))?;
        let Some(role) = role.filter(|r| r.path == path) else {
            return Err(AssumeError::NoSuchRole);
        };
        let trust_policy = policy::parse(&role.assume_role_policy, PolicyKind::Trust).map_err(|e| {
            AssumeError::Internal(anyhow::anyhow!("stored trust policy of {} no longer parses: {e}", role.name))
        })?;
        let decision = trust::evaluate(&trust_policy, &trust::Request::web_identity(who));
        Ok((role, decision))
    }

    /// The session of a temporary access key whose request carries `session_token`
    /// (`X-Amz-Security-Token`). The signature is the caller's to check, with the returned secret.
    pub async fn temporary_session(
        &self,
        access_key_id: &str,
        session_token: Option<&str>,
    ) -> Result<Session, SessionError> {
        let internal = |e: StoreError| SessionError::Internal(e.into());
        let row = self.store.get_temporary_credential(access_key_id).await.map_err(internal)?;
        let presented = TokenHash::of(session_token.unwrap_or_default());
        let Some(row) = row else {
            return Err(SessionError::Invalid);
        };
        if session_token.is_none() || !presented.ct_eq(&row.session_token_hash) {
            return Err(SessionError::Invalid);
        }
        if row.revoked_at.is_some() {
            return Err(SessionError::Invalid);
        }
        if row.expires_at <= self.now() {
            return Err(SessionError::Expired);
        }
        // The role must still be the one the credentials were vended for: not deleted, nor
        // deleted and created again under the same name.
        let role = self.store.get_role(&row.role_name).await.map_err(internal)?;
        let same_role = |r: &crate::store::iam::RoleRow| match &row.role_id {
            Some(id) => r.role_id == *id,
            None => r.created_at <= row.created_at,
        };
        let Some(role) = role.filter(|r| r.name == row.role_name && same_role(r)) else {
            return Err(SessionError::Invalid);
        };
        let secret = self
            .master
            .open_string(&row.secret_enc, &seal_context(&row.access_key_id))
            .map_err(|e| SessionError::Internal(e.into()))?;
        Ok(Session {
            access_key_id: row.access_key_id,
            secret_access_key: secret,
            role,
            session_name: row.session_name,
            subject: row.subject,
            audience: row.audience,
            expires_at: row.expires_at,
        })
    }
}
