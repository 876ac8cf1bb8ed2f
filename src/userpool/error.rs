//! The service error: one variant per Cognito exception that the services raise. Surfaces map
//! it once each: the JSON API to `{"__type","message"}`, the OAuth endpoints to RFC 6749 errors,
//! the hosted pages to messages on the page.

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
    UserNotFound(String),
    #[error("{0}")]
    UsernameExists(String),
    #[error("{0}")]
    AliasExists(String),
    #[error("{0}")]
    InvalidPassword(String),
    #[error("{0}")]
    UserNotConfirmed(String),
    #[error("{0}")]
    PasswordResetRequired(String),
    #[error("{0}")]
    GroupExists(String),
    #[error("{0}")]
    ScopeDoesNotExist(String),
    #[error("{0}")]
    InvalidOAuthFlow(String),
    #[error("{0}")]
    LimitExceeded(String),
    #[error("{0}")]
    CodeMismatch(String),
    #[error("{0}")]
    ExpiredCode(String),
    #[error("{0}")]
    CodeDeliveryFailure(String),
    #[error("{0}")]
    SoftwareTokenMfaNotFound(String),
    #[error("{0}")]
    EnableSoftwareTokenMfa(String),
    #[error("{0}")]
    UnsupportedOperation(String),
    #[error("{0}")]
    InvalidUserPoolConfiguration(String),
    #[error("{0}")]
    DuplicateProvider(String),
    #[error("{0}")]
    UnsupportedIdentityProvider(String),
    /// Load shed (the password queue is full) or a rate limit reached; worth retrying after
    /// `retry_after_secs`. The API answers Cognito's TooManyRequestsException, the pages and
    /// OAuth endpoints 429 with `Retry-After`.
    #[error("Too many requests")]
    TooManyRequests { retry_after_secs: u64 },
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
            Error::UserNotFound(_) => "UserNotFoundException",
            Error::UsernameExists(_) => "UsernameExistsException",
            Error::AliasExists(_) => "AliasExistsException",
            Error::InvalidPassword(_) => "InvalidPasswordException",
            Error::UserNotConfirmed(_) => "UserNotConfirmedException",
            Error::PasswordResetRequired(_) => "PasswordResetRequiredException",
            Error::GroupExists(_) => "GroupExistsException",
            Error::ScopeDoesNotExist(_) => "ScopeDoesNotExistException",
            Error::InvalidOAuthFlow(_) => "InvalidOAuthFlowException",
            Error::LimitExceeded(_) => "LimitExceededException",
            Error::CodeMismatch(_) => "CodeMismatchException",
            Error::ExpiredCode(_) => "ExpiredCodeException",
            Error::CodeDeliveryFailure(_) => "CodeDeliveryFailureException",
            Error::SoftwareTokenMfaNotFound(_) => "SoftwareTokenMFANotFoundException",
            Error::EnableSoftwareTokenMfa(_) => "EnableSoftwareTokenMFAException",
            Error::UnsupportedOperation(_) => "UnsupportedOperationException",
            Error::InvalidUserPoolConfiguration(_) => "InvalidUserPoolConfigurationException",
            Error::DuplicateProvider(_) => "DuplicateProviderException",
            Error::UnsupportedIdentityProvider(_) => "UnsupportedIdentityProviderException",
            Error::TooManyRequests { .. } => "TooManyRequestsException",
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

pub type Result<T, E = Error> = std::result::Result<T, E>;
