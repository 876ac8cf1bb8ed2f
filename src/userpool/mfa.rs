//! Multi-factor authentication: the pool's `MfaConfiguration` (OFF / OPTIONAL /
//! ON) with TOTP (`SoftwareTokenMfaConfiguration`) and e-mail OTP (`EmailMfaConfiguration`)
//! factors, users' factors and preference, and the sign-in engine's second step:
//! SOFTWARE_TOKEN_MFA, EMAIL_OTP, SELECT_MFA_TYPE and MFA_SETUP.
//!
//! TOTP follows RFC 6238 (SHA-1, 6 digits, 30 s, one step of skew either way); an accepted time
//! step is never accepted again. Secrets are sealed with the master key. E-mail codes live in
//! the challenge (as a MAC) for the auth session's validity. Beyond Cognito, users get ten
//! one-time recovery codes when they set up an authenticator; a recovery code answers a
//! SOFTWARE_TOKEN_MFA challenge in place of the app's code.
//!
//! Every second-factor guess (TOTP, e-mail code, recovery code, the set-up code of an MFA_SETUP
//! session) is admitted and counted per user by [`super::lockout`], which locks like passwords
//! and answers a locked user NotAuthorizedException "Password attempts exceeded"; only a right
//! second factor clears that count, not a right password.

use super::SignIn;
use super::auth::session_expired;
use super::error::{Error, Message, Result};
use super::lockout::{Guess, attempts_exceeded};
use super::model::{Client, MfaMode, Pool};
use super::pool_definition::{EmailMfaConfig, PoolMfaChanges};
use super::sign_in_events::Who;
use super::step::{Answer, Challenge, MFA_SETUP, MfaCode, MfaKind, SELECT_MFA_TYPE, SignInStep};
use super::throttle::Source;
use crate::crypto::{SecretToken, TokenHash, constant_time_eq, random_array, random_from};
use crate::events::{ChallengeKind, ChallengeResult};
use crate::i18n::Lang;
use crate::ids::PoolId;
use crate::store::guesses::Guesses;
use crate::store::mfa::UserMfaRow;
use crate::store::sessions::ChallengeRow;
use crate::store::users::UserRow;
use serde_json::{Value, json};
/// Wrong answers one challenge survives (beyond the user's own lockout of second-factor
/// guesses, which new challenges do not reset).
const MAX_CHALLENGE_FAILURES: i64 = 5;
const RECOVERY_CODES: usize = 10;

/// The pool's MFA settings (GetUserPoolMfaConfig, SetUserPoolMfaConfig).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolMfaConfig {
    pub mode: MfaMode,
    /// TOTP is a factor.
    pub software_token_enabled: bool,
    /// E-mail OTP is a factor, with these templates.
    pub email: Option<EmailMfaConfig>,
    /// The passkeys' relying party, when configured.
    pub webauthn: Option<super::pool_definition::WebAuthnConfig>,
}

/// How a user wants one factor (Set/AdminSetUserMFAPreference); `None` leaves a part as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FactorPreference {
    pub enabled: Option<bool>,
    pub preferred: Option<bool>,
}

/// A user's MFA preference change: the factors not named stay as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MfaPreference {
    pub software_token: Option<FactorPreference>,
    pub email: Option<FactorPreference>,
}

fn wrong_code() -> Error {
    Error::CodeMismatch(Message::CodeOrAuthState)
}

fn setup_code_mismatch() -> Error {
    Error::EnableSoftwareTokenMfa("Code mismatch and fail enable Software Token MFA".into())
}

/// The second step a sign-in takes after the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum SecondFactor {
    /// No second factor: signed in.
    None,
    /// MFA is required and the user has no factor: set one up (MFA_SETUP).
    SetUp,
    /// Ask for this factor.
    Ask(MfaKind),
    /// Let the user choose (SELECT_MFA_TYPE).
    Choose(Vec<MfaKind>),
}

/// The factors a user can answer with now, in the pool's order.
fn active_factors(pool: &Pool, user: &UserRow, m: &UserMfaRow) -> Vec<MfaKind> {
    let mut out = Vec::new();
    if pool.totp_allowed() && m.totp_enabled && m.totp_secret.is_some() {
        out.push(MfaKind::SoftwareToken);
    }
    if pool.email_mfa_allowed() && m.email_enabled && user.attributes.get("email").is_some_and(|e| !e.is_empty()) {
        out.push(MfaKind::Email);
    }
    out
}

/// A TOTP for this secret, named for authenticator apps.
fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<totp_rs::Totp> {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.to_vec())
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
        .map_err(|e| Error::internal(anyhow::anyhow!("totp: {e:?}")))
}

impl SignIn {
    fn seal_totp(&self, user_id: &str, secret: &[u8]) -> String {
        self.master.seal(secret, &format!("totp:{user_id}"))
    }

    fn open_totp(&self, user_id: &str, sealed: &str) -> Result<Vec<u8>> {
        self.master.open(sealed, &format!("totp:{user_id}")).map_err(Error::internal)
    }

    fn recovery_mac(&self, user_id: &str, code: &str) -> String {
        let normal: String = code.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
        hex::encode(self.master.mac("recovery-code", format!("{user_id}\0{normal}").as_bytes()))
    }

    /// Open a challenge for `user` (a sign-in step); returns its session secret.
    pub(super) async fn open_challenge(
        &self,
        pool: &Pool,
        client: &Client,
        user: &UserRow,
        name: &str,
        data: Value,
    ) -> Result<String> {
        let session = SecretToken::generate();
        let minutes = client.settings.auth_session_minutes;
        self.store
            .insert_challenge(&ChallengeRow {
                id_hash: session.hash(),
                pool_id: pool.id.clone(),
                client_id: client.id.clone(),
                user_id: user.id.clone(),
                challenge: name.into(),
                data,
                expires_at: self.now() + minutes * 60,
                used_at: None,
            })
            .await?;
        Ok(session.into_clear())
    }

    /// What the second step will be for this user, decided before anything is sent.
    pub(super) async fn plan_second_factor(&self, pool: &Pool, user: &UserRow) -> Result<SecondFactor> {
        let mode = pool.mfa_mode();
        if mode == MfaMode::Off {
            return Ok(SecondFactor::None);
        }
        let m = self.store.get_user_mfa(&user.id).await?;
        let factors = active_factors(pool, user, &m);
        if factors.is_empty() {
            if mode != MfaMode::On {
                return Ok(SecondFactor::None);
            }
            if !pool.totp_allowed() {
                return Err(Error::InvalidUserPoolConfiguration(
                    "MFA is required but no factor the user can set up is enabled.".into(),
                ));
            }
            return Ok(SecondFactor::SetUp);
        }
        let preferred = factors.iter().copied().find(|f| m.preferred.as_deref() == Some(f.challenge_name()));
        Ok(match (factors.as_slice(), preferred) {
            (&[only], _) | (_, Some(only)) => SecondFactor::Ask(only),
            _ => SecondFactor::Choose(factors),
        })
    }

    /// The step after a correct password, as planned: a second factor, its set-up, or done.
    /// An e-mailed code is in `lang` unless the pool has a template.
    pub(super) async fn second_factor(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        plan: SecondFactor,
        now: i64,
        lang: Lang,
    ) -> Result<SignInStep> {
        match plan {
            SecondFactor::None => Ok(SignInStep::Authenticated { user, auth_time: now }),
            SecondFactor::SetUp => {
                let session = self.open_challenge(pool, client, &user, MFA_SETUP, json!({})).await?;
                let challenge = Challenge::MfaSetup(vec![MfaKind::SoftwareToken]);
                Ok(SignInStep::Challenge { session, user, challenge })
            }
            SecondFactor::Ask(only) => self.factor_challenge(pool, client, user, only, lang).await,
            SecondFactor::Choose(factors) => {
                let session = self.open_challenge(pool, client, &user, SELECT_MFA_TYPE, json!({})).await?;
                Ok(SignInStep::Challenge { session, user, challenge: Challenge::SelectMfa(factors) })
            }
        }
    }

    /// Ask for one factor; EMAIL_OTP mails its code now.
    async fn factor_challenge(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        factor: MfaKind,
        lang: Lang,
    ) -> Result<SignInStep> {
        if factor == MfaKind::Email {
            return self.mail_code_challenge(pool, client, user, lang, (false, false)).await;
        }
        let session = self.open_challenge(pool, client, &user, factor.challenge_name(), json!({})).await?;
        Ok(SignInStep::Challenge { session, user, challenge: Challenge::Mfa { kind: factor, destination: None } })
    }

    /// A pending MFA challenge of this client, counting one more answer against it.
    async fn live_challenge(&self, client: &Client, session: &str, name: &str) -> Result<(ChallengeRow, UserRow)> {
        let c = self.pending_challenge(client, session).await?;
        if c.challenge != name {
            return Err(Error::invalid(format!("The session is for {}, not {name}.", c.challenge)));
        }
        let tries = self.store.hit_rate_counter(&format!("challenge:{}", c.id_hash), self.now(), 3600).await?;
        if tries > MAX_CHALLENGE_FAILURES {
            return Err(session_expired());
        }
        let user = self.store.get_user(&c.user_id).await?.ok_or_else(session_expired)?;
        Ok((c, user))
    }

    /// Consume the challenge once its answer was right.
    async fn close_challenge(&self, c: &ChallengeRow) -> Result<()> {
        match self.store.take_challenge(&c.id_hash, self.now()).await? {
            Some(_) => Ok(()),
            None => Err(session_expired()),
        }
    }

    /// Check a TOTP code against the user's active secret, once per time step.
    async fn check_totp(&self, pool: &Pool, user: &UserRow, m: &UserMfaRow, code: &str) -> Result<bool> {
        let Some(sealed) = &m.totp_secret else {
            return Err(Error::SoftwareTokenMfaNotFound("Software token MFA has not been enabled by the user.".into()));
        };
        let secret = self.open_totp(&user.id, sealed)?;
        let t = totp(&secret, &pool.name, &user.username)?;
        let Some(step) = t.check(code.trim(), self.now().max(0) as u64) else {
            return Ok(false);
        };
        Ok(self.store.accept_totp_step(&user.id, step as i64).await?)
    }

    /// Answer an MFA challenge (a code, the choice of factor, or the end of set-up). Choosing
    /// EMAIL_OTP mails the code in `lang`.
    pub(super) async fn respond_mfa(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        answer: &Answer,
        lang: Lang,
    ) -> Result<SignInStep> {
        let (c, user) = self.live_challenge(client, session, answer.challenge_name()).await?;
        match answer {
            Answer::Mfa(code) => {
                let check = async {
                    let ok = match code {
                        MfaCode::Email(code) => {
                            let mac = self.sign_in_code_mac(&user.id, code);
                            let expected = c.data["code_mac"].as_str().unwrap_or_default();
                            !expected.is_empty() && constant_time_eq(mac.as_bytes(), expected.as_bytes())
                        }
                        MfaCode::Recovery(code) => {
                            let mac = self.recovery_mac(&user.id, code);
                            self.store.take_recovery_code(&user.id, &mac).await?
                        }
                        MfaCode::SoftwareToken(code) => {
                            let m = self.store.get_user_mfa(&user.id).await?;
                            self.check_totp(pool, &user, &m, code).await?
                        }
                    };
                    Ok(ok.then_some(()))
                };
                match self.guarded_guess(&pool.id, Guesses::SecondFactor(&user.id), check).await? {
                    Guess::Right(()) => {}
                    Guess::Wrong => return Err(wrong_code()),
                    Guess::Refused => return Err(attempts_exceeded()),
                }
            }
            Answer::SelectMfa(answer) => {
                let m = self.store.get_user_mfa(&user.id).await?;
                let chosen = active_factors(pool, &user, &m).into_iter().find(|f| f.challenge_name() == answer);
                let Some(factor) = chosen else {
                    return Err(Error::invalid(format!("{answer} is not a factor this user can choose.")));
                };
                self.close_challenge(&c).await?;
                return self.factor_challenge(pool, client, user, factor, lang).await;
            }
            Answer::MfaSetupDone => {
                if c.data["totp_verified"] != true {
                    return Err(Error::invalid("Verify a software token with this session first."));
                }
            }
            Answer::NewPassword { .. } => return Err(session_expired()),
        }
        self.close_challenge(&c).await?;
        Ok(SignInStep::Authenticated { user, auth_time: self.now() })
    }

    /// AssociateSoftwareToken: a new secret waits for its first code. Returns it in base32.
    pub async fn associate_software_token(&self, user: &UserRow) -> Result<String> {
        let secret: [u8; 20] = random_array();
        let mut m = self.store.get_user_mfa(&user.id).await?;
        m.totp_pending = Some(self.seal_totp(&user.id, &secret));
        m.updated_at = self.now();
        self.store.put_user_mfa(&m).await?;
        Ok(totp_rs::Secret::from(secret.to_vec()).to_base32())
    }

    /// AssociateSoftwareToken with an MFA_SETUP session.
    pub async fn associate_for_session(&self, client: &Client, session: &str) -> Result<(UserRow, String)> {
        let c = self.pending_challenge(client, session).await?;
        if c.challenge != MFA_SETUP {
            return Err(session_expired());
        }
        let user = self.store.get_user(&c.user_id).await?.ok_or_else(session_expired)?;
        let secret = self.associate_software_token(&user).await?;
        Ok((user, secret))
    }

    /// The client a live challenge session belongs to (for actions that carry only the session).
    pub async fn challenge_client(&self, session: &str) -> Result<Option<Client>> {
        match self.store.peek_challenge(&TokenHash::of(session), self.now()).await? {
            Some(c) => self.directory.find_client(&c.client_id).await,
            None => Ok(None),
        }
    }

    /// For an MFA_SETUP session: the pending secret's `otpauth://` URI and base32 text, making
    /// a new secret when `fresh` or when none is pending.
    pub async fn setup_details(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        fresh: bool,
    ) -> Result<(String, String)> {
        let c = self.pending_challenge(client, session).await?;
        if c.challenge != MFA_SETUP {
            return Err(session_expired());
        }
        let user = self.store.get_user(&c.user_id).await?.ok_or_else(session_expired)?;
        let mut m = self.store.get_user_mfa(&user.id).await?;
        if fresh || m.totp_pending.is_none() {
            self.associate_software_token(&user).await?;
            m = self.store.get_user_mfa(&user.id).await?;
        }
        let sealed = m.totp_pending.ok_or_else(session_expired)?;
        let t = totp(&self.open_totp(&user.id, &sealed)?, &pool.name, &user.username)?;
        let uri = t.to_url().map_err(|e| Error::internal(anyhow::anyhow!("otpauth: {e:?}")))?;
        Ok((uri, t.secret().to_base32()))
    }

    /// VerifySoftwareToken: the first code makes the pending secret the user's TOTP factor and
    /// issues fresh recovery codes (returned once, in clear).
    pub async fn verify_software_token(&self, pool: &Pool, user: &UserRow, code: &str) -> Result<Vec<String>> {
        let mut m = self.store.get_user_mfa(&user.id).await?;
        let Some(pending) = m.totp_pending.clone() else {
            return Err(Error::InvalidParameter("No software token is waiting for verification.".into()));
        };
        let t = totp(&self.open_totp(&user.id, &pending)?, &pool.name, &user.username)?;
        let now = self.now();
        let Some(step) = t.check(code.trim(), now.max(0) as u64) else {
            return Err(setup_code_mismatch());
        };
        m.totp_secret = Some(pending);
        m.totp_pending = None;
        m.totp_enabled = true;
        m.updated_at = now;
        self.store.put_user_mfa(&m).await?;
        // The code that proved the secret is spent.
        self.store.accept_totp_step(&user.id, step as i64).await?;
        let codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let c = random_from(b"abcdefghjkmnpqrstuvwxyz23456789", 10);
                format!("{}-{}", &c[..5], &c[5..])
            })
            .collect();
        let macs: Vec<String> = codes.iter().map(|c| self.recovery_mac(&user.id, c)).collect();
        self.store.replace_recovery_codes(&user.id, &macs, now).await?;
        Ok(codes)
    }

    /// VerifySoftwareToken with an MFA_SETUP session: the session may then finish the sign-in.
    /// A wrong code is recorded as a failed second factor of the sign-in.
    pub async fn verify_for_session(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        code: &str,
        source: Source,
    ) -> Result<Vec<String>> {
        let verified = self.verify_setup_code(pool, client, session, code).await;
        if let Err(e) = &verified {
            let failed = Err(e);
            let (passed, details) = ([ChallengeResult::password(true)], json!({"mfa_setup": true}));
            let mfa = Some(ChallengeKind::Mfa);
            let caller = super::throttle::Caller::of(source);
            self.record_sign_in(pool, client, caller, failed, &passed, mfa, details, Who::Session(session)).await;
        }
        verified
    }

    async fn verify_setup_code(&self, pool: &Pool, client: &Client, session: &str, code: &str) -> Result<Vec<String>> {
        let (c, user) = self.live_challenge(client, session, MFA_SETUP).await?;
        // A wrong set-up code counts like a wrong second factor: no session is an open oracle.
        let check = async {
            match self.verify_software_token(pool, &user, code).await {
                Ok(codes) => Ok(Some(codes)),
                Err(Error::EnableSoftwareTokenMfa(_)) => Ok(None),
                Err(e) => Err(e),
            }
        };
        let codes = match self.guarded_guess(&pool.id, Guesses::SecondFactor(&user.id), check).await? {
            Guess::Right(codes) => codes,
            Guess::Wrong => return Err(setup_code_mismatch()),
            Guess::Refused => return Err(attempts_exceeded()),
        };
        let mut data = c.data.clone();
        data["totp_verified"] = json!(true);
        if !self.store.set_challenge_data(&c.id_hash, &data, self.now()).await? {
            return Err(session_expired());
        }
        Ok(codes)
    }

    /// Set/AdminSetUserMFAPreference: enable or disable TOTP and e-mail OTP, and the preferred one.
    pub async fn set_mfa_preference(&self, pool: &Pool, user: &UserRow, input: &MfaPreference) -> Result<()> {
        let mut m = self.store.get_user_mfa(&user.id).await?;
        for (setting, factor) in [(input.software_token, MfaKind::SoftwareToken), (input.email, MfaKind::Email)] {
            let Some(s) = setting else {
                continue;
            };
            let enabled = s.enabled;
            if factor == MfaKind::SoftwareToken {
                if enabled == Some(true) && m.totp_secret.is_none() {
                    return Err(Error::SoftwareTokenMfaNotFound("User has not verified software token mfa".into()));
                }
                if let Some(e) = enabled {
                    m.totp_enabled = e;
                }
            } else {
                if enabled == Some(true) && !pool.email_mfa_allowed() {
                    return Err(Error::InvalidParameter("Email MFA is not enabled for this user pool.".into()));
                }
                if enabled == Some(true) && user.attributes.get("email").is_none_or(|e| e.is_empty()) {
                    return Err(Error::InvalidParameter("User does not have an email address.".into()));
                }
                if let Some(e) = enabled {
                    m.email_enabled = e;
                }
            }
            match (s.preferred, enabled) {
                (Some(true), _) => m.preferred = Some(factor.challenge_name().into()),
                (_, Some(false)) | (Some(false), _) if m.preferred.as_deref() == Some(factor.challenge_name()) => {
                    m.preferred = None
                }
                _ => {}
            }
        }
        m.updated_at = self.now();
        self.store.put_user_mfa(&m).await?;
        Ok(())
    }

    /// MFA adoption in a pool: users with a second factor turned on, and all users.
    pub async fn mfa_adoption(&self, pool_id: &PoolId) -> Result<(i64, i64)> {
        Ok((self.store.count_users_with_mfa(pool_id).await?, self.store.count_users(pool_id).await?))
    }

    /// `PreferredMfaSetting` and `UserMFASettingList` for GetUser / AdminGetUser.
    pub async fn mfa_summary(&self, pool: &Pool, user: &UserRow) -> Result<(Option<String>, Vec<String>)> {
        let m = self.store.get_user_mfa(&user.id).await?;
        let factors: Vec<String> =
            active_factors(pool, user, &m).into_iter().map(|f| f.challenge_name().to_string()).collect();
        let preferred = m.preferred.filter(|p| factors.contains(p));
        Ok((preferred, factors))
    }

    /// Recovery codes the user still holds.
    pub async fn recovery_codes_left(&self, user: &UserRow) -> Result<i64> {
        Ok(self.store.count_recovery_codes(&user.id).await?)
    }
}

impl super::UserPools {
    /// SetUserPoolMfaConfig: mode and factors; ON needs at least one factor.
    pub async fn set_pool_mfa_config(&self, pool_id: &PoolId, changes: &PoolMfaChanges) -> Result<PoolMfaConfig> {
        let pool = self.directory.pool(pool_id).await?;
        let mut config = (*pool.config).clone();
        for (key, v) in changes.document() {
            config[key] = v;
        }
        let candidate = pool.with_config(config);
        if let Some(w) = &changes.webauthn {
            super::passkeys::check_configuration(w)?;
        }
        if candidate.mfa_mode() != MfaMode::Off && !candidate.totp_allowed() && !candidate.email_mfa_allowed() {
            return Err(Error::InvalidParameter("At least one MFA factor must be enabled to turn MFA on.".into()));
        }
        self.replace_pool_config(&pool, (*candidate.config).clone()).await?;
        self.pool_mfa_config(pool_id).await
    }

    /// GetUserPoolMfaConfig.
    pub async fn pool_mfa_config(&self, pool_id: &PoolId) -> Result<PoolMfaConfig> {
        let pool = self.directory.pool(pool_id).await?;
        Ok(PoolMfaConfig {
            mode: pool.mfa_mode(),
            software_token_enabled: pool.totp_allowed(),
            email: pool
                .email_mfa_allowed()
                .then(|| EmailMfaConfig::from_document(&pool.config["EmailMfaConfiguration"])),
            webauthn: pool.config["WebAuthnConfiguration"]
                .is_object()
                .then(|| super::pool_definition::WebAuthnConfig::from_document(&pool.config["WebAuthnConfiguration"])),
        })
    }
}
