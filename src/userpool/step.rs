//! The sign-in engine's vocabulary: the step it reaches ([`SignInStep`]), the challenge it asks
//! ([`Challenge`]) and the answers it takes ([`Answer`]). Plain types, no wire format: the JSON
//! API renders a step as ChallengeName + ChallengeParameters and parses ChallengeResponses into
//! an [`Answer`]; the hosted pages render a step as a page and build an [`Answer`] from a form.

use crate::store::users::UserRow;
use std::collections::BTreeMap;

/// A second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaKind {
    /// A code from an authenticator app (RFC 6238), or a recovery code in its place.
    SoftwareToken,
    /// A code mailed to the user's verified address.
    Email,
}

impl MfaKind {
    /// The challenge that asks for this factor (`SOFTWARE_TOKEN_MFA`, `EMAIL_OTP`), which is
    /// also the factor's name in SELECT_MFA_TYPE and the MFA settings.
    pub fn challenge_name(self) -> &'static str {
        match self {
            MfaKind::SoftwareToken => "SOFTWARE_TOKEN_MFA",
            MfaKind::Email => "EMAIL_OTP",
        }
    }

    pub fn from_challenge_name(name: &str) -> Option<MfaKind> {
        [MfaKind::SoftwareToken, MfaKind::Email].into_iter().find(|k| k.challenge_name() == name)
    }
}

/// Where the engine stands after a credential or an answer.
#[derive(Debug)]
pub enum SignInStep {
    /// Signed in; tokens may be issued.
    Authenticated { user: UserRow, auth_time: i64 },
    /// Another step is needed: answer `challenge` with `session`.
    Challenge { session: String, user: UserRow, challenge: Challenge },
}

/// What the engine asks for next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Challenge {
    /// A new password (the temporary one was right), and the required attributes the user
    /// still lacks (bare names, e.g. `email`).
    NewPassword { required_attributes: Vec<String> },
    /// A code of this factor; for e-mail, the masked address it was sent to.
    Mfa { kind: MfaKind, destination: Option<String> },
    /// A choice between the user's factors, in the pool's order.
    SelectMfa(Vec<MfaKind>),
    /// The pool requires MFA and the user has none: set up one of these.
    MfaSetup(Vec<MfaKind>),
    /// The user named a device they remembered: prove it (device SRP, API sign-ins only).
    DeviceSrp,
    /// A CUSTOM_AUTH challenge: CreateAuthChallenge's public parameters (API sign-ins only).
    Custom(BTreeMap<String, String>),
}

impl Challenge {
    /// Cognito's ChallengeName.
    pub fn name(&self) -> &'static str {
        match self {
            Challenge::NewPassword { .. } => NEW_PASSWORD_REQUIRED,
            Challenge::Mfa { kind, .. } => kind.challenge_name(),
            Challenge::SelectMfa(_) => SELECT_MFA_TYPE,
            Challenge::MfaSetup(_) => MFA_SETUP,
            Challenge::DeviceSrp => DEVICE_SRP_AUTH,
            Challenge::Custom(_) => CUSTOM_CHALLENGE,
        }
    }
}

pub const NEW_PASSWORD_REQUIRED: &str = "NEW_PASSWORD_REQUIRED";
pub const SELECT_MFA_TYPE: &str = "SELECT_MFA_TYPE";
pub const MFA_SETUP: &str = "MFA_SETUP";
pub const DEVICE_SRP_AUTH: &str = "DEVICE_SRP_AUTH";
pub const DEVICE_PASSWORD_VERIFIER: &str = "DEVICE_PASSWORD_VERIFIER";
pub const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// A code answering an MFA challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MfaCode {
    /// From the authenticator app.
    SoftwareToken(String),
    /// One of the user's one-time recovery codes, in place of the app's code.
    Recovery(String),
    /// From the mail.
    Email(String),
}

impl MfaCode {
    /// The challenge this code answers.
    pub fn kind(&self) -> MfaKind {
        match self {
            MfaCode::SoftwareToken(_) | MfaCode::Recovery(_) => MfaKind::SoftwareToken,
            MfaCode::Email(_) => MfaKind::Email,
        }
    }
}

/// An answer to a pending challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The new password and the missing required attributes (bare names).
    NewPassword {
        password: String,
        attributes: BTreeMap<String, String>,
    },
    Mfa(MfaCode),
    /// The factor chosen, as the user named it (the engine checks it is one of theirs).
    SelectMfa(String),
    /// The authenticator set up with this session was verified: finish signing in.
    MfaSetupDone,
}

impl Answer {
    /// The challenge this answers (Cognito's ChallengeName).
    pub fn challenge_name(&self) -> &'static str {
        match self {
            Answer::NewPassword { .. } => NEW_PASSWORD_REQUIRED,
            Answer::Mfa(code) => code.kind().challenge_name(),
            Answer::SelectMfa(_) => SELECT_MFA_TYPE,
            Answer::MfaSetupDone => MFA_SETUP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_names_round_trip_and_unknown_names_are_none() {
        for k in [MfaKind::SoftwareToken, MfaKind::Email] {
            assert_eq!(MfaKind::from_challenge_name(k.challenge_name()), Some(k));
        }
        assert_eq!(MfaKind::from_challenge_name("SMS_MFA"), None);
    }

    #[test]
    fn a_recovery_code_answers_the_software_token_challenge() {
        assert_eq!(Answer::Mfa(MfaCode::Recovery("x".into())).challenge_name(), "SOFTWARE_TOKEN_MFA");
        assert_eq!(Answer::Mfa(MfaCode::Email("1".into())).challenge_name(), "EMAIL_OTP");
    }
}
