//! One-time codes sent to users, and the per-user rate limits around them (Cognito §3.5).
//!
//! A code is six random digits, stored only as a MAC under a key derived from the master key
//! (six digits hashed without a key could be read back by trying all million), bound to the
//! user and purpose. Each code survives a few wrong guesses, then dies; the shared rate
//! counters cap how often codes are sent and tried, across every node.

use super::error::{Error, Result};
use super::messages;
use super::model::Pool;
use crate::crypto::{constant_time_eq, random_from};
use crate::i18n::Lang;
use crate::services::Services;
use crate::store::account_codes::UserCodeRow;
use crate::store::users::UserRow;
use serde_json::{Value, json};

/// Sign-up confirmation code: 24 hours.
pub const SIGN_UP_CODE_SECS: i64 = 24 * 3600;
/// Forgot-password code: 1 hour.
pub const FORGOT_PASSWORD_CODE_SECS: i64 = 3600;
/// Wrong guesses a code survives.
const MAX_CODE_FAILURES: i64 = 5;
const HOUR: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    SignUp,
    ForgotPassword,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SignUp => "sign_up",
            Purpose::ForgotPassword => "forgot_password",
        }
    }

    fn lifetime(self) -> i64 {
        match self {
            Purpose::SignUp => SIGN_UP_CODE_SECS,
            Purpose::ForgotPassword => FORGOT_PASSWORD_CODE_SECS,
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
}

impl Limited {
    fn per_hour(self) -> i64 {
        match self {
            Limited::ResendConfirmationCode => 5,
            Limited::ConfirmSignUp => 15,
            Limited::ForgotPassword => 5,
            Limited::ConfirmForgotPassword => 10,
        }
    }
}

pub fn mismatch() -> Error {
    Error::CodeMismatch("Invalid verification code provided, please try again.".into())
}

pub fn expired() -> Error {
    Error::ExpiredCode("Invalid code provided, please request a code again.".into())
}

pub fn limit_exceeded() -> Error {
    Error::LimitExceeded("Attempt limit exceeded, please try after some time.".into())
}

/// Cognito's `CodeDeliveryDetailsType` for an e-mail.
pub fn email_delivery(address: &str) -> Value {
    json!({"Destination": messages::mask_email(address), "DeliveryMedium": "EMAIL", "AttributeName": "email"})
}

impl Services {
    fn code_mac(&self, user_id: &str, purpose: Purpose, code: &str) -> String {
        hex::encode(self.master.mac("user-code", format!("{user_id}\0{}\0{code}", purpose.as_str()).as_bytes()))
    }

    /// Count one `action` for `user`; refuse with LimitExceededException past the hourly limit.
    pub async fn rate_limit(&self, action: Limited, user_id: &str) -> Result<()> {
        let key = format!("{action:?}:{user_id}");
        let n = self.store.hit_rate_counter(&key, self.now(), HOUR).await?;
        if n > action.per_hour() { Err(limit_exceeded()) } else { Ok(()) }
    }

    /// Make a new code for `purpose` (replacing any earlier one) and mail it to the user's
    /// e-mail address, in `lang` unless the pool has its own template. Returns the delivery
    /// details; a failed delivery is CodeDeliveryFailureException and leaves no live code behind.
    pub async fn send_code(&self, pool: &Pool, user: &UserRow, purpose: Purpose, lang: Lang) -> Result<Value> {
        let Some(address) = user.attributes.get("email").filter(|e| !e.is_empty()).cloned() else {
            return Err(Error::invalid("The user has no email address to send a code to."));
        };
        let code = random_from(b"0123456789", 6);
        let now = self.now();
        self.store
            .put_user_code(&UserCodeRow {
                user_id: user.id.clone(),
                purpose: purpose.as_str().into(),
                code_mac: self.code_mac(&user.id, purpose, &code),
                destination: "email".into(),
                expires_at: now + purpose.lifetime(),
                failed_attempts: 0,
                created_at: now,
            })
            .await?;
        let mail = messages::verification(pool, &address, &code, &user.username, lang);
        if let Err(e) = self.mailer.send(&mail).await {
            tracing::warn!(error = %e, pool = %pool.id, "code delivery failed");
            self.store.delete_user_code(&user.id, purpose.as_str()).await?;
            return Err(Error::CodeDeliveryFailure("Unable to deliver the verification code.".into()));
        }
        Ok(email_delivery(&address))
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
