//! Password recovery: ForgotPassword mails a code (1 hour) to the user's
//! verified e-mail, ConfirmForgotPassword sets a new password with it, and
//! AdminResetUserPassword forces the user through that path (status RESET_REQUIRED).
//!
//! With PreventUserExistenceErrors on the client, every answer has the shape it has for a real
//! user who can recover the password: an unknown username goes through the same steps in the
//! same order (rate limit, recovery setting, policy, code) with a simulated code
//! ([`super::codes`]), and a real user Cognito would single out (disabled, or with no verified
//! address: Cognito answers "User is disabled." or InvalidParameterException there, which tells
//! that the user exists) gets a plausible delivery of an unredeemable code instead, and no mail.

use super::SignIn;
use super::codes::{CodeDelivery, Limited, Purpose};
use super::error::{Error, Message, Result};
use super::migration::MigrationSource;
use super::model::{Client, Pool};
use super::password::check_policy;
use super::throttle::{Caller, Source, SourceLimit};
use super::user_triggers::MessageCall;
use super::user_triggers::TriggerInput;
use super::users::CONFIRMED;
use crate::events::{AuthEvent, AuthEventType, Outcome, Reason};
use crate::i18n::Lang;
use crate::ids::{PoolId, Username};
use crate::store::users::UserRow;
use serde_json::{Value, json};

pub const RESET_REQUIRED: &str = "RESET_REQUIRED";
/// The CustomMessage source of a password-reset code.
const FORGOT: &str = "CustomMessage_ForgotPassword";

fn no_recovery_address() -> Error {
    Error::InvalidParameter(Message::NoRecoveryAddress)
}

fn admin_only() -> Error {
    Error::NotAuthorized(Message::CannotReset)
}

fn has_verified_email(user: &UserRow) -> bool {
    user.attributes.get("email").is_some_and(|e| !e.is_empty())
        && user.attributes.get("email_verified").map(String::as_str) == Some("true")
}

impl SignIn {
    /// ForgotPassword; the code mail is in the caller's language unless the pool has a template.
    /// Recorded as a ForgotPassword event, a Fail when no code went out.
    pub async fn forgot_password(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        caller: Caller<'_>,
    ) -> Result<CodeDelivery> {
        let r = self.send_recovery_code(pool, client, username, caller).await;
        let user = self.users.find_user(pool, &Username::from(username)).await.ok().flatten();
        let failed = match (&r, &user) {
            (Err(e), _) => Some(Reason::of(e)),
            (Ok(_), None) => Some(Reason::UserNotFound),
            (Ok(_), Some(u)) if !u.enabled => Some(Reason::Disabled),
            (Ok(_), Some(u)) if !has_verified_email(u) => Some(Reason::NoAddress),
            (Ok(_), Some(_)) => None,
        };
        let kind = AuthEventType::ForgotPassword;
        self.record_account(pool, client, caller.source, kind, failed, user.as_ref(), username, Value::Null).await;
        r
    }

    async fn send_recovery_code(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        caller: Caller<'_>,
    ) -> Result<CodeDelivery> {
        let lang = caller.lang;
        self.limit_source(SourceLimit::SendCode, caller.source).await?;
        let hide = client.prevents_user_existence_errors();
        let mut found = self.users.find_user(pool, &Username::from(username)).await?;
        let mut refusal = None;
        if found.is_none() {
            // The pool's UserMigration function may know the name ([`super::migration`]).
            let (why, input) = (MigrationSource::ForgotPassword, TriggerInput::default());
            (found, refusal) = self.migrate_unknown((pool, client), username, why, &input, hide).await?;
        }
        let Some(user) = found else {
            if !hide {
                return Err(refusal.unwrap_or(Error::UserNotFound(Message::UsernameClientNotFound)));
            }
            self.codes.rate_limit(Limited::ForgotPassword, &self.codes.phantom_id(pool, username)).await?;
            if pool.recovery_admin_only() {
                return Err(admin_only());
            }
            return self.codes.send_simulated_code(pool, username, Purpose::ForgotPassword).await;
        };
        self.codes.rate_limit(Limited::ForgotPassword, &user.id).await?;
        if pool.recovery_admin_only() {
            return Err(admin_only());
        }
        let refusal = if !user.enabled {
            Some(Error::NotAuthorized(Message::UserDisabled))
        } else if !has_verified_email(&user) {
            Some(no_recovery_address())
        } else {
            None
        };
        let why = MessageCall::new(FORGOT).by(client.id.as_str());
        match refusal {
            Some(_) if hide => self.codes.send_unredeemable_code(pool, &user, Purpose::ForgotPassword).await,
            Some(e) => Err(e),
            None if hide => self.codes.send_code_unawaited(pool, &user, Purpose::ForgotPassword, why, lang).await,
            None => self.codes.send_code(pool, &user, Purpose::ForgotPassword, why, lang).await,
        }
    }

    /// ConfirmForgotPassword: a new password with the mailed code. Recorded as a PasswordChange
    /// event (`via` ForgotPassword).
    pub async fn confirm_forgot_password(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        code: &str,
        new_password: &str,
        source: Source,
    ) -> Result<()> {
        let r = self.reset_password(pool, client, username, code, new_password, source).await;
        let user = self.users.find_user(pool, &Username::from(username)).await.ok().flatten();
        let failed = match (&r, &user) {
            (Ok(()), _) => None,
            (Err(e), None) if matches!(Reason::of(e), Reason::BadCode | Reason::CodeExpired) => {
                Some(Reason::UserNotFound)
            }
            (Err(e), _) => Some(Reason::of(e)),
        };
        let (kind, details) = (AuthEventType::PasswordChange, json!({"via": "ForgotPassword"}));
        self.record_account(pool, client, source, kind, failed, user.as_ref(), username, details).await;
        if let (Ok(()), Some(user)) = (&r, &user) {
            let (src, id) = ("PostConfirmation_ConfirmForgotPassword", Some(client.id.as_str()));
            let input = super::user_triggers::TriggerInput::default();
            super::user_triggers::post_confirmation(&self.triggers, pool, src, id, user, &input).await;
        }
        r
    }

    async fn reset_password(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        code: &str,
        new_password: &str,
        source: Source,
    ) -> Result<()> {
        self.limit_source(SourceLimit::ConfirmCode, source).await?;
        let Some(mut user) = self.users.find_user(pool, &Username::from(username)).await? else {
            if !client.prevents_user_existence_errors() {
                return Err(Error::UserNotFound(Message::UsernameClientNotFound));
            }
            // The real path's steps in its order: rate limit, policy (so a weak password reads
            // the same for everyone and never burns a real code), then the code, which cannot be
            // right. The real path hashes the new password only after a right code, which nobody
            // holds for a username that does not exist: the work to match is that of a wrong
            // code (a read and a counted failure), which the simulated check does.
            self.codes.rate_limit(Limited::ConfirmForgotPassword, &self.codes.phantom_id(pool, username)).await?;
            check_policy(pool.password_policy(), new_password)?;
            return Err(self.codes.simulated_code_error(pool, username, Purpose::ForgotPassword).await);
        };
        self.codes.rate_limit(Limited::ConfirmForgotPassword, &user.id).await?;
        // A rejected password must not burn the code.
        check_policy(pool.password_policy(), new_password)?;
        self.codes.redeem_code(&user, Purpose::ForgotPassword, code).await?;
        let now = self.now();
        self.passwords.credential(&pool.id, &user.id, user.username.as_str(), new_password).await?.set_on(&mut user);
        user.password_set_at = Some(now);
        user.status = CONFIRMED.into();
        user.updated_at = now;
        self.users.save_user(pool, &user).await?;
        self.store.clear_failures(&pool.id, crate::store::guesses::Guesses::Password(&user.id)).await?;
        // A new password ends every hosted-UI session that the old one opened.
        self.store.delete_user_browser_sessions(&user.id).await?;
        Ok(())
    }

    /// AdminResetUserPassword: the user must set a new password with a mailed code before
    /// signing in again.
    pub async fn admin_reset_user_password(&self, pool_id: &PoolId, username: &Username) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let mut user = self.users.user(&pool, username).await?;
        if !has_verified_email(&user) {
            return Err(no_recovery_address());
        }
        if user.status != super::signup::UNCONFIRMED {
            user.status = RESET_REQUIRED.into();
        }
        user.updated_at = self.now();
        self.users.save_user(&pool, &user).await?;
        self.store.delete_user_browser_sessions(&user.id).await?;
        self.codes.send_code(&pool, &user, Purpose::ForgotPassword, MessageCall::new(FORGOT), Lang::En).await?;
        let event = AuthEvent::new(&pool.id, AuthEventType::ForgotPassword, Outcome::Pass).user(&user);
        self.events.record_auth(event.details(json!({"by": "admin"}))).await;
        Ok(())
    }
}
