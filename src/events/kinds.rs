//! The event log's vocabulary: what happened ([`AuthEventType`], an audit action), how it went
//! ([`Outcome`], [`Reason`]), the commands that record an event ([`AuthEvent`], [`AuditEvent`])
//! and the questions asked of the log ([`EventFilter`], [`SeriesQuery`]). Plain types, no wire
//! format: the JSON API words them as Cognito's `AuthEventType`, the dashboard as pages.

use crate::ids::{ClientId, PoolId, UserSub};
use crate::store::users::UserRow;
use crate::userpool::error::{Error, Message};
use crate::userpool::throttle::Source;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::IpAddr;

/// Longest username kept in an event (a name typed at a failed sign-in can be anything).
const MAX_USERNAME: usize = 128;

/// The two kinds of events the log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// Something a user (or an app for a user) did: sign-in, sign-up, recovery, token grants.
    Auth,
    /// Something an operator changed.
    Audit,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Auth => "auth",
            Category::Audit => "audit",
        }
    }

    pub fn parse(s: &str) -> Option<Category> {
        [Category::Auth, Category::Audit].into_iter().find(|c| c.as_str() == s)
    }
}

/// How an event ended (Cognito's `EventResponse`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail,
    /// A sign-in that passed a step and waits for the next (a challenge).
    InProgress,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "Pass",
            Outcome::Fail => "Fail",
            Outcome::InProgress => "InProgress",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        [Outcome::Pass, Outcome::Fail, Outcome::InProgress].into_iter().find(|o| o.as_str() == s)
    }
}

/// What an auth event is. The first five are Cognito's `EventType` values (the ones
/// AdminListUserAuthEvents shows); the rest are this server's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthEventType {
    /// A sign-in step: the password, each second-factor answer, a lockout (a Fail with reason
    /// `locked_out`).
    SignIn,
    SignUp,
    /// A recovery code sent (ForgotPassword).
    ForgotPassword,
    /// A new password: ConfirmForgotPassword, NEW_PASSWORD_REQUIRED, AdminSetUserPassword.
    PasswordChange,
    /// A sign-up code sent again.
    ResendCode,
    /// A sign-up confirmed (ConfirmSignUp, AdminConfirmSignUp).
    Confirmation,
    /// Tokens granted at the token endpoint (authorization_code, refresh_token,
    /// client_credentials).
    TokenGrant,
    /// A sign-in through an upstream identity provider.
    Federation,
    /// A call of a pool's Lambda trigger (details: trigger, source, latency, result).
    Trigger,
}

impl AuthEventType {
    pub const ALL: [AuthEventType; 9] = [
        AuthEventType::SignIn,
        AuthEventType::SignUp,
        AuthEventType::ForgotPassword,
        AuthEventType::PasswordChange,
        AuthEventType::ResendCode,
        AuthEventType::Confirmation,
        AuthEventType::TokenGrant,
        AuthEventType::Federation,
        AuthEventType::Trigger,
    ];

    /// Cognito's `EventType` values: the types AdminListUserAuthEvents lists.
    pub const COGNITO: [AuthEventType; 5] = [
        AuthEventType::SignIn,
        AuthEventType::SignUp,
        AuthEventType::ForgotPassword,
        AuthEventType::PasswordChange,
        AuthEventType::ResendCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuthEventType::SignIn => "SignIn",
            AuthEventType::SignUp => "SignUp",
            AuthEventType::ForgotPassword => "ForgotPassword",
            AuthEventType::PasswordChange => "PasswordChange",
            AuthEventType::ResendCode => "ResendCode",
            AuthEventType::Confirmation => "Confirmation",
            AuthEventType::TokenGrant => "TokenGrant",
            AuthEventType::Federation => "Federation",
            AuthEventType::Trigger => "Trigger",
        }
    }

    pub fn parse(s: &str) -> Option<AuthEventType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// Why an event failed: a code, never free text (the dashboard words it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    BadPassword,
    UserNotFound,
    /// Refused by the lockout.
    LockedOut,
    /// A wrong second-factor code (or set-up code).
    MfaFailed,
    Disabled,
    NotConfirmed,
    ResetRequired,
    TemporaryPasswordExpired,
    SessionExpired,
    /// A wrong mailed code.
    BadCode,
    CodeExpired,
    /// The new password breaks the pool's policy.
    PasswordPolicy,
    UserExists,
    /// No (verified) address to send a code to.
    NoAddress,
    AlreadyConfirmed,
    NotPermitted,
    NotAuthorized,
    InvalidParameter,
    /// A per-user hourly limit.
    LimitExceeded,
    /// A per-address limit, or load shedding.
    RateLimited,
    DeliveryFailed,
    /// Token endpoint refusals (RFC 6749 §5.2).
    InvalidGrant,
    InvalidClient,
    UnauthorizedClient,
    InvalidScope,
    InvalidRequest,
    /// The upstream identity provider refused or failed.
    Upstream,
    /// An operator's role does not allow the action.
    Forbidden,
    /// A trigger's function refused.
    TriggerRefused,
    /// A trigger could not be called or answered nonsense.
    TriggerFailed,
    /// Anything else (an internal error).
    Error,
}

impl Reason {
    pub fn as_str(self) -> &'static str {
        use Reason::*;
        match self {
            BadPassword => "bad_password",
            UserNotFound => "user_not_found",
            LockedOut => "locked_out",
            MfaFailed => "mfa_failed",
            Disabled => "disabled",
            NotConfirmed => "not_confirmed",
            ResetRequired => "reset_required",
            TemporaryPasswordExpired => "temporary_password_expired",
            SessionExpired => "session_expired",
            BadCode => "bad_code",
            CodeExpired => "code_expired",
            PasswordPolicy => "password_policy",
            UserExists => "user_exists",
            NoAddress => "no_address",
            AlreadyConfirmed => "already_confirmed",
            NotPermitted => "not_permitted",
            NotAuthorized => "not_authorized",
            InvalidParameter => "invalid_parameter",
            LimitExceeded => "limit_exceeded",
            RateLimited => "rate_limited",
            DeliveryFailed => "delivery_failed",
            InvalidGrant => "invalid_grant",
            InvalidClient => "invalid_client",
            UnauthorizedClient => "unauthorized_client",
            InvalidScope => "invalid_scope",
            InvalidRequest => "invalid_request",
            Upstream => "upstream",
            Forbidden => "forbidden",
            TriggerRefused => "trigger_refused",
            TriggerFailed => "trigger_failed",
            Error => "error",
        }
    }

    /// The reason a service error stands for.
    pub fn of(e: &Error) -> Reason {
        match e {
            Error::NotAuthorized(m) => match m {
                Message::Incorrect => Reason::BadPassword,
                Message::AttemptsExceeded => Reason::LockedOut,
                Message::UserDisabled => Reason::Disabled,
                Message::TemporaryPasswordExpired => Reason::TemporaryPasswordExpired,
                Message::SessionExpired => Reason::SessionExpired,
                Message::SignUpNotPermitted | Message::CannotReset | Message::CannotConfirm { .. } => {
                    Reason::NotPermitted
                }
                _ => Reason::NotAuthorized,
            },
            Error::UserNotFound(_) => Reason::UserNotFound,
            Error::UserNotConfirmed(_) => Reason::NotConfirmed,
            Error::PasswordResetRequired(_) => Reason::ResetRequired,
            Error::CodeMismatch(_) => Reason::BadCode,
            Error::ExpiredCode(_) => Reason::CodeExpired,
            Error::InvalidPassword(_) => Reason::PasswordPolicy,
            Error::UsernameExists(_) | Error::AliasExists(_) => Reason::UserExists,
            Error::InvalidParameter(Message::NoRecoveryAddress) => Reason::NoAddress,
            Error::InvalidParameter(Message::AlreadyConfirmed) => Reason::AlreadyConfirmed,
            Error::InvalidParameter(_) => Reason::InvalidParameter,
            Error::EnableSoftwareTokenMfa(_) => Reason::MfaFailed,
            Error::LimitExceeded(_) => Reason::LimitExceeded,
            Error::TooManyRequests { .. } => Reason::RateLimited,
            Error::CodeDeliveryFailure(_) => Reason::DeliveryFailed,
            Error::UserLambdaValidation(_) => Reason::TriggerRefused,
            Error::UnexpectedLambda(_) | Error::InvalidLambdaResponse(_) => Reason::TriggerFailed,
            _ => Reason::Error,
        }
    }
}

/// A step of a sign-in (Cognito's `ChallengeName` in `ChallengeResponses`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChallengeKind {
    Password,
    Mfa,
}

/// How one step of a sign-in went; kept in a SignIn event's details as `challenges`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeResult {
    pub challenge: ChallengeKind,
    pub success: bool,
}

impl ChallengeResult {
    pub fn password(success: bool) -> Self {
        ChallengeResult { challenge: ChallengeKind::Password, success }
    }

    pub fn mfa(success: bool) -> Self {
        ChallengeResult { challenge: ChallengeKind::Mfa, success }
    }
}

/// Feedback on an auth event (Cognito's `FeedbackValue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FeedbackValue {
    Valid,
    Invalid,
}

/// Feedback given on an event, as kept in its `feedback` column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feedback {
    pub value: FeedbackValue,
    /// Who gave it (`Admin`, or a user through a feedback link).
    pub provider: String,
    /// Epoch milliseconds.
    pub at: i64,
}

/// Record an auth event: built with [`AuthEvent::new`] and the setters, recorded with
/// [`super::Events::record_auth`].
#[derive(Debug, Clone, PartialEq)]
pub struct AuthEvent {
    pub pool_id: PoolId,
    pub event_type: AuthEventType,
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    pub user_sub: Option<UserSub>,
    pub username: Option<String>,
    pub client_id: Option<ClientId>,
    pub ip: Option<IpAddr>,
    /// A JSON object (or null): challenge results, grant type, provider… never a secret
    /// (members with secret names are redacted when recorded, whatever the caller sends).
    pub details: Value,
}

impl AuthEvent {
    pub fn new(pool_id: &PoolId, event_type: AuthEventType, outcome: Outcome) -> Self {
        AuthEvent {
            pool_id: pool_id.clone(),
            event_type,
            outcome,
            reason: None,
            user_sub: None,
            username: None,
            client_id: None,
            ip: None,
            details: Value::Null,
        }
    }

    /// A failure: Fail with `reason`.
    pub fn failed(pool_id: &PoolId, event_type: AuthEventType, reason: Reason) -> Self {
        AuthEvent { reason: Some(reason), ..AuthEvent::new(pool_id, event_type, Outcome::Fail) }
    }

    /// The user it is about: sub and username.
    pub fn user(mut self, user: &UserRow) -> Self {
        self.user_sub = Some(user.id.clone());
        self.username = Some(user.username.to_string());
        self
    }

    /// The username as given, when no user is known (cut to 128 characters).
    pub fn username(mut self, name: &str) -> Self {
        self.username = Some(name.chars().take(MAX_USERNAME).collect());
        self
    }

    pub fn client(mut self, id: &ClientId) -> Self {
        self.client_id = Some(id.clone());
        self
    }

    /// Who asked: the client's address, none for an operator's signed call.
    pub fn source(mut self, source: Source) -> Self {
        self.ip = match source {
            Source::Address(ip) => Some(ip),
            Source::Operator => None,
        };
        self
    }

    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }
}

/// Record an operator's action: who (`actor`) did what (`action`, e.g. `UpdateUserPool`) to
/// which thing (`target`), with the settings it changed ([`super::changes`]).
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// The user pool concerned; `None` for things outside user pools (IAM roles, identity
    /// pools, management keys).
    pub pool_id: Option<PoolId>,
    pub action: String,
    pub outcome: Outcome,
    pub reason: Option<Reason>,
    /// Who acted, e.g. `admin:alice` or `key:AKIA…`.
    pub actor: String,
    /// What was acted on, e.g. `user:bob`, `client:1a2b…`.
    pub target: Option<String>,
    /// The user acted on, when it is one.
    pub user_sub: Option<UserSub>,
    pub client_id: Option<ClientId>,
    pub ip: Option<IpAddr>,
    /// Before/after of what changed; secret-named members are redacted when recorded.
    pub details: Value,
}

impl AuditEvent {
    pub fn new(pool_id: Option<&PoolId>, action: &str, actor: &str) -> Self {
        AuditEvent {
            pool_id: pool_id.cloned(),
            action: action.to_string(),
            outcome: Outcome::Pass,
            reason: None,
            actor: actor.to_string(),
            target: None,
            user_sub: None,
            client_id: None,
            ip: None,
            details: Value::Null,
        }
    }
}

/// Which events to list; unset members match every event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventFilter {
    pub pool_id: Option<PoolId>,
    pub user_sub: Option<UserSub>,
    pub username: Option<String>,
    pub client_id: Option<ClientId>,
    pub ip: Option<String>,
    pub category: Option<Category>,
    /// Any of these types (auth types by [`AuthEventType::as_str`], audit actions by name).
    pub event_types: Vec<String>,
    pub outcome: Option<Outcome>,
    /// At or after (epoch ms).
    pub from: Option<i64>,
    /// Before (epoch ms).
    pub to: Option<i64>,
}

/// Events counted over time, for charts.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesQuery {
    /// One pool, or every pool.
    pub pool_id: Option<PoolId>,
    /// Epoch ms, inclusive.
    pub from: i64,
    /// Epoch ms, exclusive.
    pub to: i64,
    pub bucket_secs: i64,
}

/// How many events of one type, outcome and reason fell in one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesPoint {
    /// The bucket's start, epoch ms.
    pub start: i64,
    pub event_type: String,
    pub outcome: String,
    /// The failure reason (`locked_out` tells lockouts from other failed sign-ins).
    pub reason: Option<String>,
    pub count: i64,
}
