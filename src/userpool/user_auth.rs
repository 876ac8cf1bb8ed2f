//! Choice-based sign-in (`USER_AUTH`): the user names themselves, then signs in with one of the
//! first factors the pool's `SignInPolicy.AllowedFirstAuthFactors` allows and they have:
//! PASSWORD (the password itself), PASSWORD_SRP (the password proved with SRP) or EMAIL_OTP (a
//! code mailed to their verified address). A `PREFERRED_CHALLENGE` the user can take is taken at
//! once; otherwise, or without one, the answer is SELECT_CHALLENGE with the factors available,
//! and the choice comes back with RespondToAuthChallenge.
//!
//! After a password (either kind) the sign-in goes on as a password sign-in does: a new password
//! when required, then MFA by the pool's rules. A mailed code is a factor the user holds in their
//! own right: it signs in without MFA, and so is not offered while the pool requires MFA.
//!
//! With PreventUserExistenceErrors the choice offered depends on the pool alone, and a name no user
//! has (or a user who cannot take the factor they chose) gets what a user gets: a SELECT_CHALLENGE
//! session, a PASSWORD_VERIFIER stand-in, or an EMAIL_OTP challenge whose code nobody receives
//! and whose wrong answers are counted like a real one's. The SELECT_CHALLENGE session is sealed
//! by the server (it holds no secret, and a name no user has can carry one too); choosing again
//! with it is allowed within its validity, as asking again is.

use super::SignIn;
use super::auth::{PasswordAttempt, session_expired};
use super::error::{Error, Message, Result};
use super::lockout::{Guess, attempts_exceeded};
use super::messages;
use super::model::{Client, MfaMode, Pool};
use super::srp_sign_in::SrpChallenge;
use super::step::{Challenge, MfaKind, SignInStep};
use super::throttle::{Caller, SourceLimit};
use super::user_triggers::{MessageCall, TriggerInput, custom_email_sender, custom_message, has_email_sender};
use crate::crypto::{SecretToken, TokenHash, random_from};
use crate::i18n::Lang;
use crate::ids::Username;
use crate::store::guesses::Guesses;
use crate::store::users::UserRow;
use serde_json::{Value, json};

/// The purpose of a simulated sign-in code (a code nobody was sent) in the simulated-codes table.
const SIMULATED_PURPOSE: &str = "sign_in_otp";
/// Wrong answers a sign-in code survives, as an MFA challenge does.
const MAX_CODE_FAILURES: i64 = 5;
const SELECT_CONTEXT: &str = "select-challenge";
/// The challenge that offers the first factors.
pub const SELECT_CHALLENGE: &str = "SELECT_CHALLENGE";

/// A first factor of USER_AUTH, by Cognito's name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FirstFactor {
    Password,
    PasswordSrp,
    EmailOtp,
    WebAuthn,
}

impl FirstFactor {
    pub fn name(self) -> &'static str {
        match self {
            FirstFactor::Password => "PASSWORD",
            FirstFactor::PasswordSrp => "PASSWORD_SRP",
            FirstFactor::EmailOtp => "EMAIL_OTP",
            FirstFactor::WebAuthn => "WEB_AUTHN",
        }
    }

    pub fn parse(name: &str) -> Option<FirstFactor> {
        [FirstFactor::Password, FirstFactor::PasswordSrp, FirstFactor::EmailOtp, FirstFactor::WebAuthn]
            .into_iter()
            .find(|f| f.name() == name)
    }
}

/// A USER_AUTH start (InitiateAuth's AuthParameters), or the answer to SELECT_CHALLENGE.
#[derive(Debug, Clone, Copy)]
pub struct UserAuthAttempt<'a> {
    /// The username or an alias.
    pub username: &'a str,
    /// `PREFERRED_CHALLENGE` at the start, `ANSWER` to SELECT_CHALLENGE.
    pub factor: Option<&'a str>,
    /// `PASSWORD`, for the PASSWORD factor.
    pub password: Option<&'a str>,
    /// `SRP_A`, for PASSWORD_SRP.
    pub srp_a: Option<&'a str>,
    /// `ClientMetadata`.
    pub metadata: Option<&'a Value>,
    /// Answer names no user has as users are answered, whatever the client says (the hosted
    /// pages never tell).
    pub hide: bool,
}

/// Where USER_AUTH stands.
#[derive(Debug)]
pub enum UserAuthStep {
    /// A step of the sign-in engine: signed in, or its next challenge (EMAIL_OTP, MFA, …).
    Step(SignInStep),
    /// Prove the password with SRP (PASSWORD_VERIFIER).
    Srp(SrpChallenge),
    /// Choose one of `available` with `session`; `username` is the name challenges carry.
    Select { session: String, username: String, available: Vec<FirstFactor> },
    /// Sign a challenge with a passkey: the options for `navigator.credentials.get`.
    Passkey { session: String, username: String, options: Value },
    /// An EMAIL_OTP challenge whose code nobody was sent (a hidden name): it answers as a real
    /// one does, and no code is right.
    Code { session: String, username: String, destination: String },
}

/// A factor refused as not supported here (SMS_OTP: no SMS is sent), or not a factor at all.
fn unusable(name: &str) -> Error {
    match name {
        "SMS_OTP" => Error::invalid("SMS_OTP is not supported: this server sends no SMS messages."),
        _ => Error::invalid(format!("{name} is not a valid challenge for USER_AUTH.")),
    }
}

/// The first factors the pool offers anyone, in Cognito's order (the hosted sign-in page shows
/// its buttons by this too).
pub fn pool_factors(pool: &Pool) -> Vec<FirstFactor> {
    let allowed = pool.allowed_first_factors();
    let mut out = Vec::new();
    if allowed.iter().any(|f| f == "PASSWORD") {
        out.extend([FirstFactor::Password, FirstFactor::PasswordSrp]);
    }
    if allowed.iter().any(|f| f == "EMAIL_OTP") && pool.mfa_mode() != MfaMode::On {
        out.push(FirstFactor::EmailOtp);
    }
    // A passkey signs in by itself; while MFA is required only when the pool counts a verified
    // passkey as both factors.
    let multi = super::passkeys::pool_configuration(pool).factor_configuration.as_deref()
        == Some("MULTI_FACTOR_WITH_USER_VERIFICATION");
    if allowed.iter().any(|f| f == "WEB_AUTHN") && (pool.mfa_mode() != MfaMode::On || multi) {
        out.push(FirstFactor::WebAuthn);
    }
    out
}

/// Whether `user` can take a mailed code now: confirmed, enabled, with a verified address.
fn can_take_code(user: &UserRow) -> bool {
    user.enabled
        && user.status == super::users::CONFIRMED
        && user.attributes.get("email").is_some_and(|e| !e.is_empty())
        && user.attributes.get("email_verified").map(String::as_str) == Some("true")
}

/// The factors `user` can take among the pool's (`passkeys`: they have one).
fn user_factors(pool: &Pool, user: &UserRow, passkeys: bool) -> Vec<FirstFactor> {
    pool_factors(pool)
        .into_iter()
        .filter(|f| match f {
            FirstFactor::Password | FirstFactor::PasswordSrp => user.password_hash.is_some(),
            FirstFactor::EmailOtp => can_take_code(user),
            FirstFactor::WebAuthn => passkeys && user.status == super::users::CONFIRMED,
        })
        .collect()
}

impl SignIn {
    /// InitiateAuth / AdminInitiateAuth with USER_AUTH. The outcome of a factor taken is recorded
    /// as its own sign-in path records it.
    pub async fn user_auth_start(
        &self,
        pool: &Pool,
        client: &Client,
        attempt: UserAuthAttempt<'_>,
        caller: Caller<'_>,
    ) -> Result<UserAuthStep> {
        let preferred = match attempt.factor.filter(|f| !f.is_empty()) {
            Some(name) => Some(FirstFactor::parse(name).ok_or_else(|| unusable(name))?),
            None => None,
        };
        let hide = attempt.hide || client.prevents_user_existence_errors();
        let user = self.users.find_user(pool, &Username::from(attempt.username)).await?;
        let available = match &user {
            _ if hide => pool_factors(pool),
            None => return Err(Error::UserNotFound("User does not exist.".into())),
            Some(u) if !u.enabled => return Err(Error::NotAuthorized(Message::UserDisabled)),
            Some(u) => user_factors(pool, u, self.has_passkeys(u).await?),
        };
        match preferred.filter(|f| available.contains(f)) {
            Some(factor) => self.take_factor(pool, client, factor, attempt, user, caller).await,
            None => {
                let username = self.challenge_username(pool, attempt.username, user.as_ref());
                let session = self.seal_selection(pool, client, attempt.username, &available);
                Ok(UserAuthStep::Select { session, username, available })
            }
        }
    }

    /// RespondToAuthChallenge SELECT_CHALLENGE: the factor chosen (`attempt.factor`) with what it
    /// needs, for the name the session was started with (as typed: an e-mail address in pools that
    /// sign in by e-mail, where the challenges' USERNAME is the user's generated one).
    pub async fn user_auth_select(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        attempt: UserAuthAttempt<'_>,
        caller: Caller<'_>,
    ) -> Result<UserAuthStep> {
        let (username, available) = self.open_selection(pool, client, session)?;
        let answer = attempt.factor.unwrap_or_default();
        let factor = FirstFactor::parse(answer).ok_or_else(|| unusable(answer))?;
        if !available.contains(&factor) {
            return Err(Error::invalid(format!("{answer} is not an available challenge for this user.")));
        }
        let user = self.users.find_user(pool, &Username::from(username.as_str())).await?;
        let attempt = UserAuthAttempt { username: &username, ..attempt };
        self.take_factor(pool, client, factor, attempt, user, caller).await
    }

    async fn take_factor(
        &self,
        pool: &Pool,
        client: &Client,
        factor: FirstFactor,
        attempt: UserAuthAttempt<'_>,
        user: Option<UserRow>,
        caller: Caller<'_>,
    ) -> Result<UserAuthStep> {
        let UserAuthAttempt { username, password, srp_a, metadata, .. } = attempt;
        match factor {
            FirstFactor::Password => {
                let password = password.ok_or_else(|| Error::invalid("Missing required parameter PASSWORD"))?;
                let attempt = PasswordAttempt { username, password, device: caller.device, metadata };
                self.password_sign_in(pool, client, attempt, caller).await.map(UserAuthStep::Step)
            }
            FirstFactor::PasswordSrp => {
                let srp_a = srp_a
                    .filter(|a| !a.is_empty())
                    .ok_or_else(|| Error::invalid("Missing required parameter SRP_A"))?;
                self.srp_start(pool, client, username, srp_a, caller).await.map(UserAuthStep::Srp)
            }
            FirstFactor::WebAuthn => {
                self.limit_source(SourceLimit::SignIn, caller.source).await?;
                let hide = attempt.hide || client.prevents_user_existence_errors();
                let input = TriggerInput::from_api(&Value::Null, metadata.unwrap_or(&Value::Null)).as_validation_data();
                let id = client.id.as_str();
                super::user_triggers::pre_authentication(&self.triggers, pool, id, user.as_ref(), username, &input)
                    .await?;
                let (session, options) = self.passkey_challenge(pool, client, user.as_ref(), username, hide).await?;
                let username = self.challenge_username(pool, username, user.as_ref());
                Ok(UserAuthStep::Passkey { session, username, options })
            }
            FirstFactor::EmailOtp => {
                let step = self.code_start(pool, client, (username, attempt.hide), user, metadata, caller).await;
                if let Ok(UserAuthStep::Step(s)) = &step {
                    let who = super::sign_in_events::Who::Named(username);
                    self.record_sign_in(pool, client, caller, Ok(s), &[], None, json!({"factor": "EMAIL_OTP"}), who)
                        .await;
                }
                step
            }
        }
    }

    /// EMAIL_OTP as the first factor: PreAuthentication, then a code mailed to a user who can
    /// take one, or (hidden) a challenge for nobody.
    async fn code_start(
        &self,
        pool: &Pool,
        client: &Client,
        (username, hide): (&str, bool),
        user: Option<UserRow>,
        metadata: Option<&Value>,
        caller: Caller<'_>,
    ) -> Result<UserAuthStep> {
        self.limit_source(SourceLimit::SignIn, caller.source).await?;
        let hide = hide || client.prevents_user_existence_errors();
        let input = TriggerInput::from_api(&Value::Null, metadata.unwrap_or(&Value::Null)).as_validation_data();
        let id = client.id.as_str();
        super::user_triggers::pre_authentication(&self.triggers, pool, id, user.as_ref(), username, &input).await?;
        let key = match &user {
            Some(u) => u.id.clone(),
            None => self.codes.phantom_id(pool, username),
        };
        self.codes.rate_limit(super::codes::Limited::SignInCode, &key).await?;
        if let Some(user) = user.as_ref().filter(|u| can_take_code(u)) {
            let step = self.mail_code_challenge(pool, client, user.clone(), caller.lang, (hide, true)).await?;
            return Ok(UserAuthStep::Step(step));
        }
        if !hide {
            return Err(Error::invalid("EMAIL_OTP is not an available challenge for this user."));
        }
        let session = SecretToken::generate().into_clear();
        let expires_at = self.now() + client.settings.auth_session_minutes * 60;
        self.store.put_simulated_code(TokenHash::of(&session).as_str(), SIMULATED_PURPOSE, expires_at).await?;
        // Where a real user's code would go, as an unredeemable code shows it.
        let destination = match user.as_ref().and_then(|u| u.attributes.get("email")).filter(|e| !e.is_empty()) {
            Some(address) => messages::mask_email(address),
            None => self.codes.simulated_delivery(pool, username).destination,
        };
        let username = self.challenge_username(pool, username, user.as_ref());
        Ok(UserAuthStep::Code { session, username, destination })
    }

    /// An EMAIL_OTP challenge for `user`, its code mailed now (or, `unawaited`, in the background,
    /// so the answer's timing does not depend on the function or the mail server); `first` when
    /// it is the first factor (USER_AUTH), not the second.
    pub(super) async fn mail_code_challenge(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        lang: Lang,
        (unawaited, first): (bool, bool),
    ) -> Result<SignInStep> {
        let to = user.attributes.get("email").cloned().unwrap_or_default();
        let code = random_from(b"0123456789", 6);
        let why = MessageCall::new("CustomMessage_Authentication").by(client.id.as_str());
        if has_email_sender(pool) {
            custom_email_sender(&self.triggers, pool, why, &user, &to, &code).await;
        } else if unawaited {
            let (this, pool, user, to, code) =
                (self.mail_parts(), pool.clone(), user.clone(), to.clone(), code.clone());
            let client_id = client.id.to_string();
            tokio::spawn(async move {
                let why = MessageCall::new("CustomMessage_Authentication").by(client_id.as_str());
                let mail = match custom_message(&this.0, &pool, why, &user).await {
                    Ok(custom) => messages::email_otp(&pool, &to, &code, &user.username, lang, &custom),
                    Err(e) => return tracing::warn!(pool = %pool.id, error = e.type_name(), "no sign-in code mailed"),
                };
                if let Err(e) = this.1.send(&mail).await {
                    tracing::warn!(error = %e, pool = %pool.id, "sign-in code delivery failed");
                }
            });
        } else {
            let custom = custom_message(&self.triggers, pool, why, &user).await?;
            let mail = messages::email_otp(pool, &to, &code, &user.username, lang, &custom);
            self.mailer.send(&mail).await.map_err(|e| {
                tracing::warn!(error = %e, pool = %pool.id, "e-mail OTP delivery failed");
                Error::CodeDeliveryFailure(Message::UndeliverableSignInCode)
            })?;
        }
        let mac = self.sign_in_code_mac(&user.id, &code);
        let kind = MfaKind::Email;
        let data = json!({"code_mac": mac, "first": first});
        let session = self.open_challenge(pool, client, &user, kind.challenge_name(), data).await?;
        let destination = Some(messages::mask_email(&to));
        Ok(SignInStep::Challenge { session, user, challenge: Challenge::Mfa { kind, destination } })
    }

    fn mail_parts(&self) -> (std::sync::Arc<crate::triggers::Triggers>, crate::mail::Mailer) {
        (self.triggers.clone(), self.mailer.clone())
    }

    /// The MAC an EMAIL_OTP challenge keeps of its code.
    pub(super) fn sign_in_code_mac(&self, user_id: &str, code: &str) -> String {
        hex::encode(self.master.mac("email-otp", format!("{user_id}\0{}", code.trim()).as_bytes()))
    }

    /// RespondToAuthChallenge WEB_AUTHN: `credential` (AuthenticationResponseJSON) for the
    /// pending challenge, recorded as a sign-in of the name the answer gives.
    pub async fn respond_passkey(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        (username, credential): (&str, &str),
        caller: Caller<'_>,
    ) -> Result<SignInStep> {
        let step = self.passkey_answer(pool, client, session, credential).await;
        let who = super::sign_in_events::Who::Named(username);
        let details = json!({"factor": "WEB_AUTHN"});
        self.record_sign_in(pool, client, caller, step.as_ref(), &[], None, details, who).await;
        step
    }

    /// An EMAIL_OTP answer for a session no challenge is behind: a code nobody was sent
    /// ([`UserAuthStep::Code`]) answers as a real one's wrong code does (counted against the
    /// name's own second-factor lockout, at most [`MAX_CODE_FAILURES`] a session), else the
    /// session is over.
    pub(super) async fn simulated_code_answer(&self, pool: &Pool, session: &str, username: &str) -> Error {
        let key = TokenHash::of(session).to_string();
        let live = match self.store.get_simulated_code(&key, SIMULATED_PURPOSE).await {
            Ok(Some((expires_at, failures))) => expires_at > self.now() && failures < MAX_CODE_FAILURES,
            Ok(None) => false,
            Err(e) => return e.into(),
        };
        if !live {
            return session_expired();
        }
        if let Err(e) = self.store.fail_simulated_code(&key, SIMULATED_PURPOSE).await {
            return e.into();
        }
        let phantom = self.codes.phantom_id(pool, username);
        let never = async { Ok(None::<()>) };
        match self.guarded_guess(&pool.id, Guesses::SecondFactor(&phantom), never).await {
            Ok(Guess::Refused) => attempts_exceeded(),
            Ok(_) => Error::CodeMismatch(Message::CodeOrAuthState),
            Err(e) => e,
        }
    }

    /// The USERNAME challenges carry: the user's own name, or for a name no user has the
    /// stand-in a PASSWORD_VERIFIER challenge would carry.
    fn challenge_username(&self, pool: &Pool, username: &str, user: Option<&UserRow>) -> String {
        match user {
            Some(u) => u.username.to_string(),
            None => self.stand_in_username(pool, username),
        }
    }

    /// The SELECT_CHALLENGE session: pool, client, the name as typed, the factors offered, expiry.
    fn seal_selection(&self, pool: &Pool, client: &Client, username: &str, available: &[FirstFactor]) -> String {
        let expires_at = self.now() + client.settings.auth_session_minutes * 60;
        let names: Vec<&str> = available.iter().map(|f| f.name()).collect();
        let body = json!({"p": pool.id, "c": client.id, "u": username, "a": names, "e": expires_at});
        self.master.seal(body.to_string().as_bytes(), SELECT_CONTEXT)
    }

    /// The name and factors a live SELECT_CHALLENGE session of this client holds.
    fn open_selection(&self, pool: &Pool, client: &Client, session: &str) -> Result<(String, Vec<FirstFactor>)> {
        let body = self.master.open(session, SELECT_CONTEXT).map_err(|_| session_expired())?;
        let v: Value = serde_json::from_slice(&body).map_err(|_| session_expired())?;
        let fresh = v["e"].as_i64().is_some_and(|e| e > self.now());
        if !fresh || v["p"] != json!(pool.id) || v["c"] != json!(client.id) {
            return Err(session_expired());
        }
        let username = v["u"].as_str().ok_or_else(session_expired)?.to_string();
        let available =
            v["a"].as_array().into_iter().flatten().filter_map(|n| FirstFactor::parse(n.as_str()?)).collect();
        Ok((username, available))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factor_names_round_trip() {
        for f in [FirstFactor::Password, FirstFactor::PasswordSrp, FirstFactor::EmailOtp] {
            assert_eq!(FirstFactor::parse(f.name()), Some(f));
        }
        assert_eq!(FirstFactor::parse("SMS_OTP"), None);
        assert_eq!(FirstFactor::parse("password"), None);
    }
}
