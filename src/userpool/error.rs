//! The service error: one variant per Cognito exception that the services raise, each with a
//! [`Message`]. Surfaces map it once each: the JSON API to `{"__type","message"}` with Cognito's
//! English words, the OAuth endpoints to RFC 6749 errors, the hosted pages to the message in the
//! page's language, looked up by its code (never by its English text).

use crate::i18n::{self, Lang};
use crate::store::StoreError;
use std::fmt;

/// What a service error says. A coded message has its words in the catalogue ([`crate::i18n`],
/// the `cognito.*` keys hold Cognito's English word for word); [`Message::Text`] is for
/// messages only the JSON API shows, sent as they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Incorrect,
    UserDisabled,
    AttemptsExceeded,
    NotConfirmed,
    ResetRequired,
    TemporaryPasswordExpired,
    SessionExpired,
    CodeMismatch,
    CodeOrAuthState,
    CodeExpired,
    AttemptLimitExceeded,
    UserExists,
    EmailExists,
    UsernameClientNotFound,
    UsernameFormat,
    UsernameEmpty,
    AlreadyConfirmed,
    CannotConfirm {
        status: String,
    },
    CannotReset,
    NoRecoveryAddress,
    UndeliverableCode,
    UndeliverableSignInCode,
    SignUpNotPermitted,
    UnauthorizedAttribute {
        name: String,
    },
    AttributeMissing {
        name: String,
    },
    /// The first password-policy rule the password breaks.
    Policy(PolicyRule),
    Text(String),
}

/// A password-policy rule, in the order Cognito checks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyRule {
    TooShort,
    TooLong,
    Lowercase,
    Uppercase,
    Numeric,
    Symbol,
}

impl PolicyRule {
    fn key(self) -> &'static str {
        match self {
            PolicyRule::TooShort => "cognito.policy.too_short",
            PolicyRule::TooLong => "cognito.policy.too_long",
            PolicyRule::Lowercase => "cognito.policy.lowercase",
            PolicyRule::Uppercase => "cognito.policy.uppercase",
            PolicyRule::Numeric => "cognito.policy.numeric",
            PolicyRule::Symbol => "cognito.policy.symbol",
        }
    }
}

impl Message {
    /// The catalogue key, and the placeholder with its value when the message has one.
    fn key(&self) -> Option<(&'static str, Option<(&'static str, &str)>)> {
        let plain = |k| Some((k, None));
        match self {
            Message::Incorrect => plain("cognito.incorrect"),
            Message::UserDisabled => plain("cognito.user_disabled"),
            Message::AttemptsExceeded => plain("cognito.attempts_exceeded"),
            Message::NotConfirmed => plain("cognito.not_confirmed"),
            Message::ResetRequired => plain("cognito.reset_required"),
            Message::TemporaryPasswordExpired => plain("cognito.temporary_expired"),
            Message::SessionExpired => plain("cognito.session_expired"),
            Message::CodeMismatch => plain("cognito.code_mismatch"),
            Message::CodeOrAuthState => plain("cognito.code_or_state"),
            Message::CodeExpired => plain("cognito.code_expired"),
            Message::AttemptLimitExceeded => plain("cognito.limit_exceeded"),
            Message::UserExists => plain("cognito.user_exists"),
            Message::EmailExists => plain("cognito.email_exists"),
            Message::UsernameClientNotFound => plain("cognito.user_not_found"),
            Message::UsernameFormat => plain("cognito.username_format"),
            Message::UsernameEmpty => plain("cognito.username_empty"),
            Message::AlreadyConfirmed => plain("cognito.already_confirmed"),
            Message::CannotConfirm { status } => Some(("cognito.cannot_confirm", Some(("status", status)))),
            Message::CannotReset => plain("cognito.cannot_reset"),
            Message::NoRecoveryAddress => plain("cognito.no_recovery_address"),
            Message::UndeliverableCode => plain("cognito.undeliverable_code"),
            Message::UndeliverableSignInCode => plain("cognito.undeliverable_sign_in_code"),
            Message::SignUpNotPermitted => plain("cognito.sign_up_not_permitted"),
            Message::UnauthorizedAttribute { name } => Some(("cognito.unauthorized_attribute", Some(("name", name)))),
            Message::AttributeMissing { name } => Some(("cognito.attribute_missing", Some(("name", name)))),
            Message::Policy(_) | Message::Text(_) => None,
        }
    }

    /// The message in `lang`: Cognito's English for [`Lang::En`] (what the JSON API sends).
    pub fn in_lang(&self, lang: Lang) -> String {
        match (self, self.key()) {
            (Message::Policy(rule), _) => i18n::tf(lang, "cognito.policy", "rule", i18n::t(lang, rule.key())),
            (_, Some((key, None))) => i18n::t(lang, key).to_string(),
            (_, Some((key, Some((name, value))))) => i18n::tf(lang, key, name, value),
            (Message::Text(text), None) => text.clone(),
            (_, None) => String::new(),
        }
    }

    /// Whether the catalogue has words for it in every language (a page can show it).
    pub fn is_coded(&self) -> bool {
        !matches!(self, Message::Text(_))
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.in_lang(Lang::En))
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text)
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.to_string())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    InvalidParameter(Message),
    #[error("{0}")]
    ResourceNotFound(Message),
    #[error("{0}")]
    NotAuthorized(Message),
    #[error("{0}")]
    UserNotFound(Message),
    #[error("{0}")]
    UsernameExists(Message),
    #[error("{0}")]
    AliasExists(Message),
    #[error("{0}")]
    InvalidPassword(Message),
    #[error("{0}")]
    UserNotConfirmed(Message),
    #[error("{0}")]
    PasswordResetRequired(Message),
    #[error("{0}")]
    GroupExists(Message),
    #[error("{0}")]
    ScopeDoesNotExist(Message),
    #[error("{0}")]
    InvalidOAuthFlow(Message),
    #[error("{0}")]
    LimitExceeded(Message),
    #[error("{0}")]
    CodeMismatch(Message),
    #[error("{0}")]
    ExpiredCode(Message),
    #[error("{0}")]
    CodeDeliveryFailure(Message),
    #[error("{0}")]
    SoftwareTokenMfaNotFound(Message),
    #[error("{0}")]
    EnableSoftwareTokenMfa(Message),
    #[error("{0}")]
    UnsupportedOperation(Message),
    #[error("{0}")]
    InvalidUserPoolConfiguration(Message),
    #[error("{0}")]
    DuplicateProvider(Message),
    #[error("{0}")]
    UnsupportedIdentityProvider(Message),
    #[error("{0}")]
    UserPoolAddOnNotEnabled(Message),
    /// A refresh token that rotation replaced, presented after the grace period.
    #[error("{0}")]
    RefreshTokenReuse(Message),
    /// ConfirmDevice for a device key already confirmed.
    #[error("{0}")]
    DeviceKeyExists(Message),
    /// CreateTerms or UpdateTerms naming a document the client already has.
    #[error("{0}")]
    TermsExists(Message),
    /// A trigger's function refused (its error message in Cognito's words).
    #[error("{0}")]
    UserLambdaValidation(Message),
    /// A trigger could not be called (timeout, connection, 5xx, no endpoint).
    #[error("{0}")]
    UnexpectedLambda(Message),
    /// A trigger answered something that is not its event.
    #[error("{0}")]
    InvalidLambdaResponse(Message),
    /// A user import job asked to start or stop in a state that does not allow it.
    #[error("{0}")]
    PreconditionNotMet(Message),
    /// A pool change refused while one of its user import jobs runs.
    #[error("{0}")]
    UserImportInProgress(Message),
    /// A passkey refusal: the exception's name (`WebAuthnNotEnabledException`,
    /// `WebAuthnChallengeNotFoundException`, …) and its message.
    #[error("{1}")]
    WebAuthn(&'static str, Message),
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
            Error::UserPoolAddOnNotEnabled(_) => "UserPoolAddOnNotEnabledException",
            Error::RefreshTokenReuse(_) => "RefreshTokenReuseException",
            Error::DeviceKeyExists(_) => "DeviceKeyExistsException",
            Error::TermsExists(_) => "TermsExistsException",
            Error::UserLambdaValidation(_) => "UserLambdaValidationException",
            Error::UnexpectedLambda(_) => "UnexpectedLambdaException",
            Error::InvalidLambdaResponse(_) => "InvalidLambdaResponseException",
            Error::PreconditionNotMet(_) => "PreconditionNotMetException",
            Error::UserImportInProgress(_) => "UserImportInProgressException",
            Error::WebAuthn(name, _) => name,
            Error::TooManyRequests { .. } => "TooManyRequestsException",
            Error::Internal(_) => "InternalErrorException",
        }
    }

    /// Whether a trigger call failed: the function refused, could not be reached, or answered
    /// what is not its event.
    pub fn is_trigger_failure(&self) -> bool {
        matches!(self, Error::UserLambdaValidation(_) | Error::UnexpectedLambda(_) | Error::InvalidLambdaResponse(_))
    }

    /// Whether this is the database being unavailable (answered 503 with `Retry-After`, never
    /// as "not found").
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Error::Internal(cause) if crate::store::unavailable(cause))
    }

    pub fn internal(e: impl Into<anyhow::Error>) -> Self {
        Error::Internal(e.into())
    }

    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::InvalidParameter(Message::Text(msg.into()))
    }

    /// What the error says, when it says something a person may read (not for internal
    /// errors and load shedding).
    pub fn message(&self) -> Option<&Message> {
        match self {
            Error::InvalidParameter(m)
            | Error::ResourceNotFound(m)
            | Error::NotAuthorized(m)
            | Error::UserNotFound(m)
            | Error::UsernameExists(m)
            | Error::AliasExists(m)
            | Error::InvalidPassword(m)
            | Error::UserNotConfirmed(m)
            | Error::PasswordResetRequired(m)
            | Error::GroupExists(m)
            | Error::ScopeDoesNotExist(m)
            | Error::InvalidOAuthFlow(m)
            | Error::LimitExceeded(m)
            | Error::CodeMismatch(m)
            | Error::ExpiredCode(m)
            | Error::CodeDeliveryFailure(m)
            | Error::SoftwareTokenMfaNotFound(m)
            | Error::EnableSoftwareTokenMfa(m)
            | Error::UnsupportedOperation(m)
            | Error::InvalidUserPoolConfiguration(m)
            | Error::DuplicateProvider(m)
            | Error::UnsupportedIdentityProvider(m)
            | Error::UserPoolAddOnNotEnabled(m)
            | Error::RefreshTokenReuse(m)
            | Error::DeviceKeyExists(m)
            | Error::TermsExists(m)
            | Error::UserLambdaValidation(m)
            | Error::UnexpectedLambda(m)
            | Error::InvalidLambdaResponse(m)
            | Error::PreconditionNotMet(m)
            | Error::UserImportInProgress(m)
            | Error::WebAuthn(_, m) => Some(m),
            Error::TooManyRequests { .. } | Error::Internal(_) => None,
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Internal(e.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coded_messages_are_cognitos_english_and_translated_by_code() {
        assert_eq!(Message::Incorrect.to_string(), "Incorrect username or password.");
        assert_eq!(Message::Incorrect.in_lang(Lang::Fr), "Nom d'utilisateur ou mot de passe incorrect.");
        let status = Message::CannotConfirm { status: "CONFIRMED".into() };
        assert_eq!(status.to_string(), "User cannot be confirmed. Current status is CONFIRMED");
        let policy = Message::Policy(PolicyRule::Numeric);
        assert_eq!(policy.to_string(), "Password did not conform with policy: Password must have numeric characters");
        assert_eq!(
            policy.in_lang(Lang::De),
            "Das Passwort entspricht nicht der Richtlinie: Das Passwort muss Ziffern enthalten"
        );
    }

    #[test]
    fn text_messages_stay_as_written_in_every_language() {
        let m = Message::from("Something only the API says.");
        assert!(!m.is_coded());
        assert_eq!(m.in_lang(Lang::Fr), "Something only the API says.");
        assert_eq!(Error::invalid("x").message(), Some(&Message::Text("x".into())));
    }
}
