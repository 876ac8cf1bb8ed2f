//! Stand-in for Part C's IAM and STS module (`src/iam/mod.rs` of the identity-pools contract):
//! the contract's types and the signature Part A calls, so Part A builds before Part C is
//! merged. It vends no credentials. Replaced wholesale by Part C's module at merge.

use crate::services::Services;

/// Who is asking to assume a role through web identity federation.
pub struct WebIdentity {
    pub provider: String,
    pub subject: String,
    pub audience: String,
    pub amr: Vec<String>,
}

pub struct TemporaryCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: i64,
    pub assumed_role_arn: String,
    pub assumed_role_id: String,
}

pub enum AssumeError {
    NoSuchRole,
    NotTrusted,
    Invalid(String),
    Internal(anyhow::Error),
}

impl Services {
    pub async fn assume_role_with_web_identity(
        &self,
        _role_arn: &str,
        _session_name: &str,
        _who: &WebIdentity,
        _duration_secs: Option<i64>,
    ) -> Result<TemporaryCredentials, AssumeError> {
        Err(AssumeError::Internal(anyhow::anyhow!("IAM roles and STS are not part of this build yet")))
    }
}
