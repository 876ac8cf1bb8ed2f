//! The identity-pool service error: one variant per `cognito-identity` exception the services
//! raise. The JSON API maps it to `{"__type","message"}` once, in `src/api/identity_actions.rs`.

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidParameter(String),
    #[error("{0}")]
    ResourceNotFound(String),
    #[error("{0}")]
    NotAuthorized(String),
    #[error("{0}")]
    ResourceConflict(String),
    #[error("{0}")]
    InvalidIdentityPoolConfiguration(String),
    #[error("{0}")]
    DeveloperUserAlreadyRegistered(String),
    #[error("{0}")]
    LimitExceeded(String),
    /// An upstream identity provider could not be reached.
    #[error("{0}")]
    ExternalService(String),
    /// Anything unexpected; the cause is logged, never shown.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl Error {
    /// Cognito's exception name (`__type`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Error::InvalidParameter(_) => "InvalidParameterException",
            Error::ResourceNotFound(_) => "ResourceNotFoundException",
            Error::NotAuthorized(_) => "NotAuthorizedException",
            Error::ResourceConflict(_) => "ResourceConflictException",
            Error::InvalidIdentityPoolConfiguration(_) => "InvalidIdentityPoolConfigurationException",
            Error::DeveloperUserAlreadyRegistered(_) => "DeveloperUserAlreadyRegisteredException",
            Error::LimitExceeded(_) => "LimitExceededException",
            Error::ExternalService(_) => "ExternalServiceException",
            Error::Internal(_) => "InternalErrorException",
        }
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Error::Internal(e.into())
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidParameter(msg.into())
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.into())
    }
}

/// Errors of the shared services (signing keys, token minting) are internal here: the identity
/// services only call them for work that cannot fail on the caller's input.
impl From<crate::userpool::error::Error> for Error {
    fn from(e: crate::userpool::error::Error) -> Self {
        match e {
            crate::userpool::error::Error::Internal(cause) => Error::Internal(cause),
            other => Error::Internal(anyhow::anyhow!("{}: {other}", other.type_name())),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// `InvalidIdentityPoolConfigurationException`'s one message.
pub const INVALID_POOL_CONFIGURATION: &str =
    "Invalid identity pool configuration. Check assigned IAM roles for this pool.";
/// An unauthenticated request to a pool without guest access.
pub const NO_GUESTS: &str = "Unauthenticated access is not supported for this identity pool.";
/// Logins that do not prove the caller owns the identity.
pub const LOGINS_DONT_MATCH: &str =
    "Logins don't match. Please include at least one valid login for this identity or identity pool.";

pub fn pool_not_found(id: &str) -> Error {
    Error::ResourceNotFound(format!("IdentityPool '{id}' not found."))
}

pub fn identity_not_found(id: &str) -> Error {
    Error::ResourceNotFound(format!("Identity '{id}' not found."))
}
