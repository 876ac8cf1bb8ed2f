//! One-time codes sent to users, and the per-user rate limits around them.
//!
//! A code is six random digits, stored only as a MAC under a key derived from the master key
//! (six digits hashed without a key could be read back by trying all million), bound to the
//! user and purpose. Each code survives a few wrong guesses, then dies; the shared rate
//! counters cap how often codes are sent and tried, across every node.
//!
//! For clients with PreventUserExistenceErrors, codes can be *simulated*: a username that does
//! not exist gets a phantom (a MAC of pool and username) whose code is remembered but never made
//! or mailed, and a real user the answer must not single out (disabled, no verified address,
//! already confirmed) gets an unredeemable code. Either way every later answer (delivery shape,
//! rate limit, wrong code, expired or used-up code) is the one a real user would get.

use super::Codes;
use super::attributes::looks_like_email;
use super::error::{Error, Message, Result};
use super::messages;
use super::model::Pool;
use super::user_triggers::{MessageCall, custom_email_sender, custom_message, has_email_sender};
use crate::crypto::{constant_time_eq, random_from};
use crate::i18n::Lang;
use crate::ids::UserSub;
use crate::store::account_codes::UserCodeRow;
use crate::store::users::UserRow;

/// Sign-up confirmation code: 24 hours.
pub const SIGN_UP_CODE_SECS: i64 = 24 * 3600;
/// Forgot-password code: 1 hour.
pub const FORGOT_PASSWORD_CODE_SECS: i64 = 3600;
/// Attribute verification code: 24 hours.
pub const ATTRIBUTE_CODE_SECS: i64 = 24 * 3600;
/// Wrong guesses a code survives.
const MAX_CODE_FAILURES: i64 = 5;
const HOUR: i64 = 3600;
/// The stored MAC of an unredeemable code: never the hex MAC of any code.
const UNREDEEMABLE: &str = "unredeemable";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignUp,
    ForgotPassword,
    /// Proving an e-mail address (GetUserAttributeVerificationCode, UpdateUserAttributes): the
    /// code row's destination is the address it went to, which may be a new one still pending.
    VerifyEmail,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SignUp => "sign_up",
            Purpose::ForgotPassword => "forgot_password",
            Purpose::VerifyEmail => "verify_email",
        }
    }

    fn lifetime(self) -> i64 {
        match self {
            Purpose::SignUp => SIGN_UP_CODE_SECS,
            Purpose::ForgotPassword => FORGOT_PASSWORD_CODE_SECS,
            Purpose::VerifyEmail => ATTRIBUTE_CODE_SECS,
        }
    }
}

/// Actions with a per-user hourly limit (Cognito's published figures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limited {
    ResendConfirmationCode,
    ConfirmSignUp,
    ForgotPassword,
    ConfirmForgotPassword,
    ChangePassword,
    GetUserAttributeVerificationCode,
    VerifyUserAttribute,
    /// Codes mailed to sign in with (USER_AUTH's EMAIL_OTP); not a published Cognito figure.
    SignInCode,
}

impl Limited {
    fn per_hour(self) -> i64 {
        match self {
            Limited::ResendConfirmationCode => 5,
            Limited::ConfirmSignUp => 15,
            Limited::ForgotPassword => 5,
            Limited::ConfirmForgotPassword => 10,
            Limited::ChangePassword => 5,
            Limited::GetUserAttributeVerificationCode => 5,
            Limited::VerifyUserAttribute => 15,
            Limited::SignInCode => 10,
        }
    }
}

pub fn mismatch() -> Error {
    Error::CodeMismatch(Message::CodeMismatch)
}

pub fn expired() -> Error {
    Error::ExpiredCode(Message::CodeExpired)
}

pub fn limit_exceeded() -> Error {
    Error::LimitExceeded(Message::AttemptLimitExceeded)
}

/// How a code reaches a user. This server sends codes by e-mail only (SMS is not sent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryMedium {
    Email,
}

/// Where a code went (Cognito's `CodeDeliveryDetailsType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeDelivery {
    /// The destination, masked as Cognito shows it (`a***@e***`).
    pub destination: String,
    pub medium: DeliveryMedium,
    /// The attribute the destination was read from (`email`).
    pub attribute: String,
}

impl CodeDelivery {
    /// A code mailed to `address` (the user's `email` attribute), shown masked.
    pub fn email(address: &str) -> CodeDelivery {
        CodeDelivery {
            destination: messages::mask_email(address),
            medium: DeliveryMedium::Email,
            attribute: "email".into(),
        }
    }
}

impl Codes {
    fn code_mac(&self, user_id: &str, purpose: Purpose, code: &str) -> String {
        hex::encode(self.master.mac("user-code", format!("{user_id}\0{}\0{code}", purpose.as_str()).as_bytes()))
    }

    /// The stand-in id of a username that does not exist in `pool`: a MAC of the pool and the
    /// lookup key (so `Bob` and `bob` agree where the pool ignores case). Its rate limits,
    /// simulated codes and sign-in failures are kept under it; the username itself is never stored.
    pub fn phantom_id(&self, pool: &Pool, username: &str) -> UserSub {
        let mac = self.master.mac("phantom-user", format!("{}\0{}", pool.id, pool.lookup_key(username)).as_bytes());
        UserSub::from(format!("phantom:{}", hex::encode(&mac[..16])))
    }

    /// Where a code to `username` would go if it were a user with an e-mail address, masked as
    /// a real delivery is. When the pool signs in with e-mail and the name is an address, a real
    /// user's code would go to that very address, so it is the one shown (in lower case, the
    /// usual form of a stored address); otherwise a plausible address derived from the phantom
    /// MAC, the same on every call.
    pub fn simulated_delivery(&self, pool: &Pool, username: &str) -> CodeDelivery {
        let by_email = pool.username_attributes().iter().chain(pool.alias_attributes().iter()).any(|a| a == "email");
        if by_email && looks_like_email(username) {
            return CodeDelivery::email(&username.to_lowercase());
        }
        let mac = self.master.mac("phantom-address", format!("{}\0{}", pool.id, pool.lookup_key(username)).as_bytes());
        let letter = |b: u8| char::from(b'a' + b % 26);
        CodeDelivery::email(&format!("{}@{}.example", letter(mac[0]), letter(mac[1])))
    }

    /// Pretend to send a `purpose` code to a username that does not exist: a simulated code is
    /// remembered under its phantom (nothing is made or mailed) and the delivery looks real.
    pub async fn send_simulated_code(&self, pool: &Pool, username: &str, purpose: Purpose) -> Result<CodeDelivery> {
        let expires_at = self.now() + purpose.lifetime();
        self.store.put_simulated_code(&self.phantom_id(pool, username), purpose.as_str(), expires_at).await?;
        Ok(self.simulated_delivery(pool, username))
    }

    /// Check a code "sent" to a username that does not exist. It is never right; the error is
    /// the one [`Services::redeem_code`] gives a real user with a wrong code: expired when no
    /// simulated code is live or it had its wrong guesses, else a wrong code (counted). The work
    /// is that of a real wrong guess: a read and a counted failure.
    pub async fn simulated_code_error(&self, pool: &Pool, username: &str, purpose: Purpose) -> Error {
        let key = self.phantom_id(pool, username);
        match self.store.get_simulated_code(&key, purpose.as_str()).await {
            Ok(Some((expires_at, failures))) if expires_at > self.now() && failures < MAX_CODE_FAILURES => {
                match self.store.fail_simulated_code(&key, purpose.as_str()).await {
                    Ok(()) => mismatch(),
                    Err(e) => e.into(),
                }
            }
            Ok(_) => expired(),
            Err(e) => e.into(),
        }
    }

    /// Pretend to send a `purpose` code to a real user whom a client with
    /// PreventUserExistenceErrors must not single out: an unredeemable code replaces any live
    /// one (so wrong guesses, expiry and exhaustion answer as for a mailed code), nothing is
    /// mailed, and the delivery is the one a real code would show.
    pub async fn send_unredeemable_code(&self, pool: &Pool, user: &UserRow, purpose: Purpose) -> Result<CodeDelivery> {
        let now = self.now();
        self.store
            .put_user_code(&UserCodeRow {
                user_id: user.id.clone(),
                purpose: purpose.as_str().into(),
                code_mac: UNREDEEMABLE.into(),
                destination: "email".into(),
                expires_at: now + purpose.lifetime(),
                failed_attempts: 0,
                created_at: now,
            })
            .await?;
        Ok(match user.attributes.get("email").filter(|e| !e.is_empty()) {
            Some(address) => CodeDelivery::email(address),
            None => self.simulated_delivery(pool, &user.username),
        })
    }

    /// Count one `action` for `user`; refuse with LimitExceededException past the hourly limit.
    pub async fn rate_limit(&self, action: Limited, user_id: &UserSub) -> Result<()> {
        let key = format!("{action:?}:{user_id}");
        let n = self.store.hit_rate_counter(&key, self.now(), HOUR).await?;
        if n > action.per_hour() { Err(limit_exceeded()) } else { Ok(()) }
    }

    /// Make a new code for `purpose` (replacing any earlier one) and mail it to the user's
    /// e-mail address, in `lang` unless the pool has its own template. Returns the delivery
    /// details; a failed delivery is CodeDeliveryFailureException and leaves no live code behind.
    pub async fn send_code(
        &self,
        pool: &Pool,
        user: &UserRow,
        purpose: Purpose,
        why: MessageCall<'_>,
        lang: Lang,
    ) -> Result<CodeDelivery> {
        let (address, mac, mail) = self.new_code(pool, user, purpose, why, lang).await?;
        if let Some(Err(e)) = self.deliver(mail.as_ref()).await {
            tracing::warn!(error = %e, pool = %pool.id, "code delivery failed");
            self.store.take_user_code(&user.id, purpose.as_str(), &mac).await?;
            return Err(Error::CodeDeliveryFailure(Message::UndeliverableCode));
        }
        Ok(CodeDelivery::email(&address))
    }

    /// [`Services::send_code`] for a client with PreventUserExistenceErrors: the answer waits
    /// for neither the CustomMessage function nor the delivery, and reports neither's failure,
    /// since a username that does not exist has no function called and no mail sent (the time
    /// either takes would tell a real user from a simulated one). The code is stored first; the
    /// function is asked and the mail sent in the background. When either fails the code is
    /// made unredeemable, so no live code is left that nobody received and later guesses are
    /// answered as a simulated code's; a refusal is in the event log (a Trigger event) and both
    /// are logged.
    pub async fn send_code_unawaited(
        &self,
        pool: &Pool,
        user: &UserRow,
        purpose: Purpose,
        why: MessageCall<'_>,
        lang: Lang,
    ) -> Result<CodeDelivery> {
        let Some(address) = user.attributes.get("email").filter(|e| !e.is_empty()).cloned() else {
            return Err(Error::invalid("The user has no email address to send a code to."));
        };
        if has_email_sender(pool) {
            // The sender function is called in the background already.
            self.new_code_to(pool, user, (purpose, why), lang, address.clone(), "email").await?;
            return Ok(CodeDelivery::email(&address));
        }
        let (code, mac) = self.store_code(user, purpose, "email").await?;
        let (codes, pool, user) = (self.clone(), pool.clone(), user.clone());
        let (source, client_id) = (why.source, why.client_id.map(str::to_owned));
        let metadata = why.client_metadata.cloned();
        let to = address.clone();
        tokio::spawn(async move {
            let why = MessageCall { source, client_id: client_id.as_deref(), client_metadata: metadata.as_ref() };
            let sent = match custom_message(&codes.triggers, &pool, why, &user).await {
                Ok(custom) => {
                    let mail = messages::verification(&pool, &to, &code, &user.username, lang, &custom);
                    codes.mailer.send(&mail).await.map_err(|e| e.to_string())
                }
                Err(e) => Err(format!("CustomMessage failed: {}", e.type_name())),
            };
            if let Err(why) = sent {
                // Spoiled, not deleted: its later answers are those of a simulated code.
                tracing::warn!(pool = %pool.id, error = %why, "no code delivered; the code is spoiled");
                let spoiled = codes.store.spoil_user_code(&user.id, purpose.as_str(), &mac, UNREDEEMABLE);
                if let Err(e) = spoiled.await {
                    tracing::error!(error = %e, "could not spoil an undelivered code");
                }
            }
        });
        Ok(CodeDelivery::email(&address))
    }

    /// A fresh code stored for `user` (replacing any earlier one): its address, MAC and mail.
    async fn new_code(
        &self,
        pool: &Pool,
        user: &UserRow,
        purpose: Purpose,
        why: MessageCall<'_>,
        lang: Lang,
    ) -> Result<(String, String, Option<crate::mail::Mail>)> {
        let Some(address) = user.attributes.get("email").filter(|e| !e.is_empty()).cloned() else {
            return Err(Error::invalid("The user has no email address to send a code to."));
        };
        self.new_code_to(pool, user, (purpose, why), lang, address, "email").await
    }

    /// Mail a code proving `address` (the user's e-mail, or a new one waiting for it) and
    /// remember the address with the code: redeeming it answers that address.
    pub async fn send_address_code(
        &self,
        pool: &Pool,
        user: &UserRow,
        address: &str,
        why: MessageCall<'_>,
        lang: Lang,
    ) -> Result<CodeDelivery> {
        let purpose = Purpose::VerifyEmail;
        let (_, mac, mail) = self.new_code_to(pool, user, (purpose, why), lang, address.to_string(), address).await?;
        if let Some(Err(e)) = self.deliver(mail.as_ref()).await {
            tracing::warn!(error = %e, pool = %pool.id, "code delivery failed");
            self.store.take_user_code(&user.id, purpose.as_str(), &mac).await?;
            return Err(Error::CodeDeliveryFailure(Message::UndeliverableCode));
        }
        Ok(CodeDelivery::email(address))
    }

    /// `why`: the code's purpose and what its mail's CustomMessage call says. The function is asked
    /// before the code is stored, so a refusal leaves no code behind. With a CustomEmailSender
    /// the code goes to that function (not awaited) and there is no mail to send.
    async fn new_code_to(
        &self,
        pool: &Pool,
        user: &UserRow,
        (purpose, why): (Purpose, MessageCall<'_>),
        lang: Lang,
        address: String,
        destination: &str,
    ) -> Result<(String, String, Option<crate::mail::Mail>)> {
        let sender = has_email_sender(pool);
        let custom = if sender { Default::default() } else { custom_message(&self.triggers, pool, why, user).await? };
        let (code, mac) = self.store_code(user, purpose, destination).await?;
        if sender {
            custom_email_sender(&self.triggers, pool, why, user, &address, &code).await;
            return Ok((address, mac, None));
        }
        let mail = messages::verification(pool, &address, &code, &user.username, lang, &custom);
        Ok((address, mac, Some(mail)))
    }

    /// A fresh `purpose` code for `user`, stored as its MAC (replacing any earlier one) with the
    /// destination it goes to: the code and its MAC.
    async fn store_code(&self, user: &UserRow, purpose: Purpose, destination: &str) -> Result<(String, String)> {
        let code = random_from(b"0123456789", 6);
        let now = self.now();
        let mac = self.code_mac(&user.id, purpose, &code);
        self.store
            .put_user_code(&UserCodeRow {
                user_id: user.id.clone(),
                purpose: purpose.as_str().into(),
                code_mac: mac.clone(),
                destination: destination.into(),
                expires_at: now + purpose.lifetime(),
                failed_attempts: 0,
                created_at: now,
            })
            .await?;
        Ok((code, mac))
    }

    /// Send `mail`, if there is one: `None` when there is none.
    async fn deliver(
        &self,
        mail: Option<&crate::mail::Mail>,
    ) -> Option<std::result::Result<(), crate::mail::MailError>> {
        Some(self.mailer.send(mail?).await)
    }

    /// The new e-mail address waiting for its code (UpdateUserAttributes when the pool verifies
    /// before updating): the live verification code's address when it is not the user's own.
    pub async fn pending_address(&self, user: &UserRow) -> Result<Option<String>> {
        let row = self.store.get_user_code(&user.id, Purpose::VerifyEmail.as_str()).await?;
        Ok(row
            .filter(|r| r.expires_at > self.now() && r.code_mac != UNREDEEMABLE)
            .map(|r| r.destination)
            .filter(|d| user.attributes.get("email") != Some(d)))
    }

    /// Check and consume a code. Returns the attribute it was sent to (now proven).
    pub async fn redeem_code(&self, user: &UserRow, purpose: Purpose, code: &str) -> Result<String> {
        // The guess is counted before it is checked (a right one consumes the code anyway), so
        // simultaneous guesses never get past the limit.
        let claimed = self.store.claim_user_code_guess(&user.id, purpose.as_str(), MAX_CODE_FAILURES, self.now());
        let Some(row) = claimed.await? else {
            return Err(expired());
        };
        let mac = self.code_mac(&user.id, purpose, code.trim());
        if !constant_time_eq(mac.as_bytes(), row.code_mac.as_bytes()) {
            return Err(mismatch());
        }
        if !self.store.take_user_code(&user.id, purpose.as_str(), &mac).await? {
            return Err(expired());
        }
        Ok(row.destination)
    }
}
