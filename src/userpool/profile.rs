//! A signed-in user's own account, on the strength of an access token: ChangePassword, attribute
//! updates and deletions through the client's WriteAttributes, e-mail verification codes
//! (GetUserAttributeVerificationCode, VerifyUserAttribute) and DeleteUser; and the
//! administrator's AdminDeleteUserAttributes.
//!
//! A changed e-mail address of a pool that auto-verifies e-mail gets a code at the new address.
//! When the pool's `AttributesRequireVerificationBeforeUpdate` names `email` the old address
//! stays (and keeps signing in) until the code is verified: the new address waits in the code's
//! row, so it lives exactly as long as the code. Otherwise the new address is stored unverified
//! at once, as Cognito does. Phone numbers are stored unverified: this server sends no SMS.

use super::SignIn;
use super::attributes::{self, UserWrite, Writer};
use super::codes::{self, CodeDelivery, Limited, Purpose};
use super::error::{Error, Message, Result};
use super::lockout::{Guess, attempts_exceeded};
use super::model::{Client, Pool};
use super::password::check_policy;
use super::throttle::Source;
use super::user_triggers::MessageCall;
use crate::events::{AuthEventType, Reason};
use crate::i18n::Lang;
use crate::ids::{PoolId, Username};
use crate::store::guesses::Guesses;
use crate::store::users::UserRow;
use serde_json::json;

/// The CustomMessage source of a code asked for with GetUserAttributeVerificationCode.
const VERIFY: &str = "CustomMessage_VerifyUserAttribute";

fn incorrect() -> Error {
    Error::NotAuthorized(Message::Incorrect)
}

impl SignIn {
    /// ChangePassword: the previous password is a guess under the user's lockout; the new one
    /// meets the pool's policy. Recorded as a PasswordChange event (`via` ChangePassword).
    pub async fn change_password(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        previous: Option<&str>,
        proposed: &str,
        source: Source,
    ) -> Result<()> {
        let name = user.username.to_string();
        let r = self.set_own_password(pool, &user, previous, proposed).await;
        let failed = r.as_ref().err().map(Reason::of);
        let (kind, details) = (AuthEventType::PasswordChange, json!({"via": "ChangePassword"}));
        self.record_account(pool, client, source, kind, failed, Some(&user), &name, details).await;
        r
    }

    async fn set_own_password(
        &self,
        pool: &Pool,
        user: &UserRow,
        previous: Option<&str>,
        proposed: &str,
    ) -> Result<()> {
        self.codes.rate_limit(Limited::ChangePassword, &user.id).await?;
        // A password that would be refused anyway does not spend a guess.
        check_policy(pool.password_policy(), proposed)?;
        match (previous, user.password_hash.as_deref()) {
            (None, Some(_)) => {
                return Err(Error::invalid("PreviousPassword is required for a user with a password."));
            }
            (None, None) => {}
            (Some(previous), _) => {
                let check = async {
                    let ok = self.check_password(user, previous).await?;
                    Ok(ok.then_some(()))
                };
                match self.guarded_guess(&pool.id, Guesses::Password(&user.id), check).await? {
                    Guess::Right(()) => {}
                    Guess::Wrong => return Err(incorrect()),
                    Guess::Refused => {
                        self.check_no_user(&pool.id, previous).await?;
                        return Err(attempts_exceeded());
                    }
                }
            }
        }
        let mut user = user.clone();
        let now = self.now();
        self.passwords.credential(&pool.id, &user.id, user.username.as_str(), proposed).await?.set_on(&mut user);
        user.password_set_at = Some(now);
        user.updated_at = now;
        self.users.save_user(pool, &user).await?;
        self.store.clear_failures(&pool.id, Guesses::Password(&user.id)).await?;
        // A new password ends every hosted-UI session that the old one opened.
        self.store.delete_user_browser_sessions(&user.id).await?;
        Ok(())
    }

    /// UpdateUserAttributes: the pairs go through [`attributes::write_as_user`]; an empty value
    /// deletes. Returns where verification codes went.
    pub async fn update_own_attributes(
        &self,
        pool: &Pool,
        client: &Client,
        mut user: UserRow,
        pairs: &[(String, String)],
    ) -> Result<Vec<CodeDelivery>> {
        let old_email = user.attributes.get("email").cloned();
        let mut attrs = user.attributes.clone();
        let pairs = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        attributes::write_as_user(pool, client, &mut attrs, pairs, UserWrite::Update)?;
        attrs.retain(|_, v| !v.is_empty());
        drop_orphan_flags(&mut attrs);
        super::users::check_required(pool, &attrs)?;
        let new_email = attrs.get("email").cloned().filter(|e| Some(e) != old_email.as_ref());
        let pending =
            new_email.as_ref().filter(|_| pool.auto_verifies_email() && pool.email_update_needs_verification());
        if pending.is_some() {
            // The old address, and its verified flag, stay until the new one is proven.
            for k in ["email", "email_verified"] {
                match user.attributes.get(k) {
                    Some(v) => attrs.insert(k.to_string(), v.clone()),
                    None => attrs.remove(k),
                };
            }
        }
        user.attributes = attrs;
        user.updated_at = self.now();
        self.users.save_user(pool, &user).await?;
        let mut deliveries = Vec::new();
        if let Some(address) = new_email.filter(|_| pool.auto_verifies_email()) {
            deliveries.push(
                self.codes
                    .send_address_code(
                        pool,
                        &user,
                        &address,
                        MessageCall::new("CustomMessage_UpdateUserAttribute"),
                        Lang::En,
                    )
                    .await?,
            );
        }
        Ok(deliveries)
    }

    /// GetUserAttributeVerificationCode: a code to the user's e-mail address, or to the new
    /// address still waiting for its code when the pool verifies before updating.
    pub async fn send_attribute_code(&self, pool: &Pool, user: &UserRow, attribute: &str) -> Result<CodeDelivery> {
        self.codes.rate_limit(Limited::GetUserAttributeVerificationCode, &user.id).await?;
        match attribute {
            "email" if pool.email_update_needs_verification() => {
                let pending = self.codes.pending_address(user).await?;
                let Some(address) = pending.or_else(|| user.attributes.get("email").filter(|e| !e.is_empty()).cloned())
                else {
                    return Err(Error::invalid("User does not have an email address to verify."));
                };
                self.codes.send_address_code(pool, user, &address, MessageCall::new(VERIFY), Lang::En).await
            }
            "email" => {
                let Some(address) = user.attributes.get("email").filter(|e| !e.is_empty()) else {
                    return Err(Error::invalid("User does not have an email address to verify."));
                };
                self.codes.send_address_code(pool, user, address, MessageCall::new(VERIFY), Lang::En).await
            }
            "phone_number" => {
                Err(Error::invalid("Phone numbers cannot be verified: this user pool sends no SMS messages."))
            }
            other => Err(Error::invalid(format!("Invalid attribute name: {other} cannot be verified."))),
        }
    }

    /// VerifyUserAttribute: the code proves the address it went to, which becomes the user's
    /// verified e-mail (a pending new address takes the old one's place).
    pub async fn verify_attribute(&self, pool: &Pool, mut user: UserRow, attribute: &str, code: &str) -> Result<()> {
        self.codes.rate_limit(Limited::VerifyUserAttribute, &user.id).await?;
        if attribute != "email" {
            return Err(codes::mismatch());
        }
        let address = self.codes.redeem_code(&user, Purpose::VerifyEmail, code).await?;
        let current = user.attributes.get("email");
        if current != Some(&address) && !pool.email_update_needs_verification() {
            // A code for an address the user has since changed away from.
            return Err(codes::expired());
        }
        user.attributes.insert("email".into(), address);
        user.attributes.insert("email_verified".into(), "true".into());
        user.updated_at = self.now();
        self.users.save_user(pool, &user).await
    }

    /// DeleteUserAttributes: the user's own, through the client's WriteAttributes.
    pub async fn delete_own_attributes(
        &self,
        pool: &Pool,
        client: &Client,
        mut user: UserRow,
        names: &[String],
    ) -> Result<()> {
        let mut attrs = user.attributes.clone();
        let pairs = names.iter().map(|n| (n.as_str(), ""));
        attributes::write_as_user(pool, client, &mut attrs, pairs, UserWrite::Update)?;
        attrs.retain(|_, v| !v.is_empty());
        drop_orphan_flags(&mut attrs);
        super::users::check_required(pool, &attrs)?;
        user.attributes = attrs;
        user.updated_at = self.now();
        self.users.save_user(pool, &user).await
    }

    /// DeleteUser: the account, its sessions and every token it holds are gone.
    pub async fn delete_self(&self, user: &UserRow) -> Result<()> {
        self.store.revoke_user_refresh_tokens(&user.id, self.now()).await?;
        self.store.delete_user_browser_sessions(&user.id).await?;
        self.store.delete_user(&user.id).await?;
        Ok(())
    }
}

/// One of SetUserSettings' `MFAOptions` (legacy SMS MFA).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaOption {
    /// `SMS` or `EMAIL`.
    pub delivery_medium: String,
    pub attribute_name: String,
}

impl SignIn {
    /// SetUserSettings / AdminSetUserSettings: legacy SMS MFA. An empty list turns it off,
    /// which, with no SMS factor to hold, leaves nothing to store; turning it on is answered as
    /// Cognito answers a pool that cannot send SMS, since this server sends none.
    pub async fn set_user_settings(&self, user: &UserRow, options: &[MfaOption]) -> Result<()> {
        for o in options {
            if o.delivery_medium != "SMS" {
                return Err(Error::invalid("Only SMS is supported as the delivery medium for MFAOptions."));
            }
            if o.attribute_name != "phone_number" {
                return Err(Error::invalid("Only phone_number is supported as the attribute name for MFAOptions."));
            }
            if user.attributes.get("phone_number").is_none_or(|p| p.is_empty()) {
                return Err(Error::invalid("User does not have delivery config set to turn on SMS_MFA"));
            }
        }
        if options.is_empty() {
            return Ok(());
        }
        Err(Error::invalid("SMS MFA is not enabled for this user pool: it sends no SMS messages."))
    }

    /// GetUserAuthFactors: the first factors the user can sign in with, as Cognito names them
    /// (PASSWORD when the user has one; EMAIL_OTP when the pool's SignInPolicy allows it and
    /// the user has a verified address).
    pub fn first_factors(&self, pool: &Pool, user: &UserRow, passkeys: bool) -> Vec<&'static str> {
        let factors = pool.allowed_first_factors();
        let allowed = |f: &str| factors.iter().any(|x| x == f);
        let verified_email = user.attributes.get("email").is_some_and(|e| !e.is_empty())
            && user.attributes.get("email_verified").map(String::as_str) == Some("true");
        let mut out = Vec::new();
        if user.password_hash.is_some() {
            out.push("PASSWORD");
        }
        if allowed("EMAIL_OTP") && verified_email {
            out.push("EMAIL_OTP");
        }
        if allowed("WEB_AUTHN") && passkeys {
            out.push("WEB_AUTHN");
        }
        out
    }
}

impl super::Users {
    /// AdminDeleteUserAttributes.
    pub async fn admin_delete_attributes(&self, pool_id: &PoolId, username: &Username, names: &[String]) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let mut user = self.user(&pool, username).await?;
        attributes::check_deletions(&pool, names, Writer::Admin)?;
        for n in names {
            user.attributes.remove(n);
        }
        drop_orphan_flags(&mut user.attributes);
        super::users::check_required(&pool, &user.attributes)?;
        user.updated_at = self.now();
        self.save_user(&pool, &user).await
    }
}

/// A deleted e-mail address or phone number takes its verified flag with it.
fn drop_orphan_flags(attrs: &mut std::collections::BTreeMap<String, String>) {
    for (attr, flag) in [("email", "email_verified"), ("phone_number", "phone_number_verified")] {
        if !attrs.contains_key(attr) {
            attrs.remove(flag);
        }
    }
}
