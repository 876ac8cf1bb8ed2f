//! The sign-in engine: one state machine of challenges, driven by both the hosted pages and the
//! JSON API (InitiateAuth / RespondToAuthChallenge). A rule lives here once. After the password
//! (and a new one when required) comes the second factor ([`super::mfa`]).
//!
//! Credential checks have one shape whether or not the user exists (a dummy argon2 verify for
//! unknown users, and for guesses refused by the lock) and lockout follows Cognito (in
//! [`super::lockout`], which admits each guess atomically before it is checked); failures for a
//! username no user has are counted and locked the same way.

use super::SignIn;
use super::attributes::{self, UserWrite};
use super::error::{Error, Message, Result};
use super::lockout::{Guess, attempts_exceeded};
use super::migration::MigrationSource;
use super::model::{Client, Pool};
use super::password::check_policy;
use super::sign_in_events::Who;
use super::step::{Answer, Challenge, NEW_PASSWORD_REQUIRED, SignInStep};
use super::throttle::{Caller, SourceLimit};
use super::user_triggers::{TriggerInput, pre_authentication};
use super::users::{CONFIRMED, FORCE_CHANGE_PASSWORD};
use crate::crypto::TokenHash;
use crate::events::ChallengeKind;
use crate::i18n::Lang;
use crate::ids::Username;
use crate::store::guesses::Guesses;
use crate::store::sessions::ChallengeRow;
use crate::store::users::UserRow;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub fn incorrect() -> Error {
    Error::NotAuthorized(Message::Incorrect)
}

pub fn session_expired() -> Error {
    Error::NotAuthorized(Message::SessionExpired)
}

/// The first step of a password sign-in, as the request gives it.
#[derive(Debug, Clone, Copy)]
pub struct PasswordAttempt<'a> {
    /// The username or an alias.
    pub username: &'a str,
    pub password: &'a str,
    /// DEVICE_KEY: the remembered device the request names, if any.
    pub device: Option<&'a str>,
    /// `ClientMetadata`: PreAuthentication gets it as its `validationData`, as Cognito passes it.
    pub metadata: Option<&'a Value>,
}

impl SignIn {
    /// Username (or alias) and password: the first step of every password sign-in. The
    /// caller's language is that of a code mailed as the second factor. An unknown user is
    /// UserNotFoundException unless the client sets PreventUserExistenceErrors.
    pub async fn password_sign_in(
        &self,
        pool: &Pool,
        client: &Client,
        attempt: PasswordAttempt<'_>,
        caller: Caller<'_>,
    ) -> Result<SignInStep> {
        let hide = client.prevents_user_existence_errors();
        self.password_sign_in_as(pool, client, attempt, caller, hide).await
    }

    /// [`Self::password_sign_in`], with unknown users answered exactly like existing ones
    /// (wrong password, then the lockout) when `hide_unknown_users`, whatever the client says:
    /// the hosted pages never tell whether an account exists. The outcome is recorded as a
    /// SignIn event.
    pub async fn password_sign_in_as(
        &self,
        pool: &Pool,
        client: &Client,
        attempt: PasswordAttempt<'_>,
        caller: Caller<'_>,
        hide_unknown_users: bool,
    ) -> Result<SignInStep> {
        let step = self.password_step(pool, client, attempt, caller, hide_unknown_users).await;
        let (password_step, who) = (Some(ChallengeKind::Password), Who::Named(attempt.username));
        self.record_sign_in(pool, client, caller, step.as_ref(), &[], password_step, Value::Null, who).await;
        step
    }

    async fn password_step(
        &self,
        pool: &Pool,
        client: &Client,
        attempt: PasswordAttempt<'_>,
        caller: Caller<'_>,
        hide_unknown_users: bool,
    ) -> Result<SignInStep> {
        let PasswordAttempt { username, password, device, metadata } = attempt;
        let lang = caller.lang;
        self.limit_source(SourceLimit::SignIn, caller.source).await?;
        let now = self.now();
        let mut found = self.users.find_user(pool, &Username::from(username)).await?;
        // A name no user has: the pool's UserMigration function may know it ([`super::migration`]).
        let mut refusal = None;
        if found.is_none() {
            let input = TriggerInput::from_api(&Value::Null, metadata.unwrap_or(&Value::Null));
            let why = MigrationSource::Authentication { password };
            (found, refusal) = self.migrate_unknown((pool, client), username, why, &input, hide_unknown_users).await?;
        }
        // PreAuthentication before the password is checked; for a name no user has only when
        // unknown users are hidden (with `userNotFound`), as Cognito does.
        if found.is_some() || hide_unknown_users {
            let input = TriggerInput::from_api(&Value::Null, metadata.unwrap_or(&Value::Null)).as_validation_data();
            pre_authentication(&self.triggers, pool, client.id.as_str(), found.as_ref(), username, &input).await?;
        }
        let Some(user) = found else {
            // Counted like a user's failures, so a name no user has locks the same way.
            let key = self.codes.phantom_id(pool, username);
            let guess = self.guarded_guess(&pool.id, Guesses::UnknownUser(&key), async {
                self.check_no_user(&pool.id, password).await?;
                Ok(None::<()>)
            });
            let refused = matches!(guess.await?, Guess::Refused);
            if refused {
                // The same work as a checked guess.
                self.check_no_user(&pool.id, password).await?;
            }
            return Err(match (hide_unknown_users, refused) {
                (false, _) => refusal.unwrap_or_else(|| Error::UserNotFound("User does not exist.".into())),
                (true, true) => attempts_exceeded(),
                (true, false) => incorrect(),
            });
        };
        if user.status == super::recovery::RESET_REQUIRED && user.password_hash.is_none() {
            // An imported user has no password yet: as Cognito, any sign-in asks for the reset
            // (after the same work as a checked guess).
            self.check_no_user(&pool.id, password).await?;
            return Err(Error::PasswordResetRequired(Message::ResetRequired));
        }
        let check = async {
            let ok = self.check_password(&user, password).await?;
            Ok(ok.then_some(()))
        };
        match self.guarded_guess(&pool.id, Guesses::Password(&user.id), check).await? {
            Guess::Right(()) => {}
            Guess::Wrong => return Err(incorrect()),
            Guess::Refused => {
                // The same work as a checked guess, so the refusal does not show in the timing.
                self.check_no_user(&pool.id, password).await?;
                return Err(attempts_exceeded());
            }
        }
        self.password_seen_right(&user, password).await;
        self.after_password(pool, client, user, device, now, lang).await
    }

    /// A user from before USER_SRP_AUTH (or imported) gets their SRP verifier the first time
    /// their password is seen right. A failure here is logged, not the sign-in's.
    pub(super) async fn ensure_srp_verifier(&self, user: &UserRow, password: &str) {
        if user.srp_verifier.is_some() {
            return;
        }
        let sealed = match self.passwords.srp_verifier(&user.pool_id, &user.id, user.username.as_str(), password).await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "SRP verifier not derived at sign-in");
                return;
            }
        };
        if let Err(e) = self.store.set_srp_verifier_if_none(&user.id, &sealed).await {
            tracing::warn!(error = %e, "SRP verifier not stored at sign-in");
        }
    }

    /// Status checks once the password is known to be right; `device` is the remembered
    /// device the request names, if any.
    pub(super) async fn after_password(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        device: Option<&str>,
        now: i64,
        lang: Lang,
    ) -> Result<SignInStep> {
        if !user.enabled {
            return Err(Error::NotAuthorized(Message::UserDisabled));
        }
        match user.status.as_str() {
            "UNCONFIRMED" => Err(Error::UserNotConfirmed(Message::NotConfirmed)),
            "RESET_REQUIRED" => Err(Error::PasswordResetRequired(Message::ResetRequired)),
            FORCE_CHANGE_PASSWORD => {
                let days = pool.password_policy().temporary_password_validity_days;
                if user.password_set_at.unwrap_or(0) + days * 86400 < now {
                    return Err(Error::NotAuthorized(Message::TemporaryPasswordExpired));
                }
                self.new_password_challenge(pool, client, user).await
            }
            _ => self.after_account_checks(pool, client, user, device, now, lang).await,
        }
    }

    async fn new_password_challenge(&self, pool: &Pool, client: &Client, user: UserRow) -> Result<SignInStep> {
        let session = self.open_challenge(pool, client, &user, NEW_PASSWORD_REQUIRED, json!({})).await?;
        let required_attributes = attributes::missing_required(pool, &user.attributes);
        Ok(SignInStep::Challenge { session, user, challenge: Challenge::NewPassword { required_attributes } })
    }

    /// The pending challenge behind a session, if it is live and belongs to this client.
    pub async fn pending_challenge(&self, client: &Client, session: &str) -> Result<ChallengeRow> {
        match self.store.peek_challenge(&TokenHash::of(session), self.now()).await? {
            Some(c) if c.client_id == client.id => Ok(c),
            _ => Err(session_expired()),
        }
    }

    /// Answer the challenge pending behind `session` for `caller`; a code mailed on the way
    /// (choosing EMAIL_OTP) is in the caller's language. The outcome is recorded as an event.
    pub async fn respond(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        answer: &Answer,
        caller: Caller<'_>,
    ) -> Result<SignInStep> {
        let step = self.answer_challenge(pool, client, session, answer, caller.lang).await;
        self.record_answer(pool, client, session, answer, caller, &step, true).await;
        step
    }

    /// RespondToAuthChallenge EMAIL_OTP: the code of a first factor (USER_AUTH) or of a second
    /// one. A session no challenge is behind answers as a code nobody was sent does
    /// ([`Self::simulated_code_answer`]), for the name the answer gives.
    pub async fn respond_code(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        (username, code): (&str, &str),
        caller: Caller<'_>,
    ) -> Result<SignInStep> {
        let pending = self.store.peek_challenge(&TokenHash::of(session), self.now()).await?;
        let answer = Answer::Mfa(super::step::MfaCode::Email(code.to_string()));
        let Some(pending) = pending.filter(|c| c.client_id == client.id) else {
            let e = self.simulated_code_answer(pool, session, username).await;
            let (mfa, details) = (Some(ChallengeKind::Mfa), json!({"factor": "EMAIL_OTP"}));
            self.record_sign_in(pool, client, caller, Err(&e), &[], mfa, details, Who::Named(username)).await;
            return Err(e);
        };
        let after_password = pending.data["first"] != true;
        let step = self.answer_challenge(pool, client, session, &answer, caller.lang).await;
        self.record_answer(pool, client, session, &answer, caller, &step, after_password).await;
        step
    }

    async fn answer_challenge(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        answer: &Answer,
        lang: Lang,
    ) -> Result<SignInStep> {
        match answer {
            Answer::NewPassword { password, attributes } => {
                self.respond_new_password(pool, client, session, password, attributes, lang).await
            }
            Answer::Mfa(_) | Answer::SelectMfa(_) | Answer::MfaSetupDone => {
                self.respond_mfa(pool, client, session, answer, lang).await
            }
        }
    }

    /// Answer NEW_PASSWORD_REQUIRED: a policy-conforming password and any missing required
    /// attributes (bare names), written as the user writes them
    /// ([`attributes::write_as_user`]): the client's WriteAttributes apply and no `*_verified`
    /// flag can be claimed.
    async fn respond_new_password(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        new_password: &str,
        attrs: &BTreeMap<String, String>,
        lang: Lang,
    ) -> Result<SignInStep> {
        let pending = self.pending_challenge(client, session).await?;
        if pending.challenge != NEW_PASSWORD_REQUIRED {
            return Err(session_expired());
        }
        let mut user = self.store.get_user(&pending.user_id).await?.ok_or_else(session_expired)?;
        check_policy(pool.password_policy(), new_password)?;
        let pairs = attrs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        attributes::write_as_user(pool, client, &mut user.attributes, pairs, UserWrite::NewPassword)?;
        let missing = attributes::missing_required(pool, &user.attributes);
        if let Some(m) = missing.first() {
            return Err(Error::InvalidParameter(Message::AttributeMissing { name: m.to_string() }));
        }
        let now = self.now();
        // Consume the session last, so a rejected password can be retried within it.
        if self.store.take_challenge(&pending.id_hash, now).await?.is_none() {
            return Err(session_expired());
        }
        self.passwords.credential(&pool.id, &user.id, user.username.as_str(), new_password).await?.set_on(&mut user);
        user.password_set_at = Some(now);
        user.status = CONFIRMED.into();
        user.updated_at = now;
        self.users.save_user(pool, &user).await?;
        self.after_password(pool, client, user, None, now, lang).await
    }
}
