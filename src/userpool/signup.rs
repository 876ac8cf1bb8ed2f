//! Self-service sign-up: SignUp creates an UNCONFIRMED user and mails a
//! code to the auto-verified e-mail; ConfirmSignUp (or AdminConfirmSignUp) confirms it;
//! ResendConfirmationCode sends a fresh code. The hosted pages and the JSON API both call these.
//!
//! After a confirmation the hosted UI signs the user straight in, as Cognito's does, through a
//! confirmation session: a single-use secret handed out at sign-up (and at a sign-in attempt by
//! an unconfirmed user who knew the password), bound to that user and client.

use super::SignIn;
use super::attributes::AttributeList;
use super::attributes::{self, UserWrite};
use super::codes::{self, CodeDelivery, Limited, Purpose, SIGN_UP_CODE_SECS};
use super::error::{Error, Message, Result};
use super::model::{Client, Pool};
use super::password::check_policy;
use super::sign_in_events::Who;
use super::step::SignInStep;
use super::throttle::{Caller, Source, SourceLimit};
use super::user_triggers::{MessageCall, TriggerInput, post_confirmation, pre_sign_up};
use super::users::{CONFIRMED, check_required, resolve_username};
use crate::crypto::{SecretToken, TokenHash};
use crate::events::{AuthEvent, AuthEventType, Outcome, Reason};
use crate::i18n::Lang;
use crate::ids::{PoolId, UserSub, Username};
use crate::store::sessions::ChallengeRow;
use crate::store::users::UserRow;
use serde_json::{Value, json};
use std::collections::BTreeMap;

pub const UNCONFIRMED: &str = "UNCONFIRMED";
/// The challenge name of a confirmation session.
const CONFIRMATION_SESSION: &str = "SIGN_UP_CONFIRMATION";
/// The CustomMessage source of a resent confirmation code.
const RESEND: &str = "CustomMessage_ResendCode";

/// What SignUp reports.
#[derive(Debug)]
pub struct SignUpResult {
    pub user: UserRow,
    pub confirmed: bool,
    /// Where the code went, when one was sent.
    pub delivery: Option<CodeDelivery>,
}

impl SignIn {
    /// SignUp; the code mail is in the caller's language unless the pool has a template.
    /// Recorded as a SignUp event. The pool's PreSignUp trigger (`PreSignUp_SignUp`) runs
    /// before anything is written: its refusal writes nothing; `autoConfirmUser` confirms the
    /// user at once (no code is sent, and PostConfirmation runs), `autoVerifyEmail` /
    /// `autoVerifyPhone` mark the attribute verified (it must be given).
    #[allow(clippy::too_many_arguments)]
    pub async fn sign_up(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        password: &str,
        attribute_list: &AttributeList,
        input: &TriggerInput,
        caller: Caller<'_>,
    ) -> Result<SignUpResult> {
        let r = self.create_account(pool, client, username, password, attribute_list, input, caller).await;
        let (failed, user, details) = match &r {
            Ok(done) => (None, Some(&done.user), json!({"code_sent": done.delivery.is_some()})),
            Err(e) => (Some(Reason::of(e)), None, Value::Null),
        };
        self.record_account(pool, client, caller.source, AuthEventType::SignUp, failed, user, username, details).await;
        r
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_account(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        password: &str,
        attribute_list: &AttributeList,
        input: &TriggerInput,
        caller: Caller<'_>,
    ) -> Result<SignUpResult> {
        let lang = caller.lang;
        self.limit_source(SourceLimit::SignUp, caller.source).await?;
        if pool.admin_create_user_only() {
            return Err(Error::NotAuthorized(Message::SignUpNotPermitted));
        }
        let mut attrs = BTreeMap::new();
        let pairs = attribute_list.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        attributes::write_as_user(pool, client, &mut attrs, pairs, UserWrite::SignUp)?;
        if username.is_empty() {
            return Err(Error::InvalidParameter(Message::UsernameEmpty));
        }
        let sub = uuid::Uuid::new_v4().to_string();
        let stored_name = resolve_username(pool, username, &sub, &mut attrs)?;
        check_required(pool, &attrs)?;
        check_policy(pool.password_policy(), password)?;
        let now = self.now();
        let mut user = UserRow {
            id: sub.into(),
            pool_id: pool.id.clone(),
            username_key: pool.lookup_key(&stored_name),
            username: stored_name.into(),
            status: UNCONFIRMED.into(),
            enabled: true,
            password_hash: None,
            srp_verifier: None,
            password_set_at: Some(now),
            attributes: attrs,
            tokens_valid_after: 0,
            created_at: now,
            updated_at: now,
        };
        // A taken name is UsernameExistsException whatever PreSignUp would say.
        self.users.check_name_free(pool, &user).await?;
        let (source, name, id) = ("PreSignUp_SignUp", user.username.as_str(), Some(client.id.as_str()));
        let decision = pre_sign_up(&self.triggers, pool, source, name, id, &user.attributes, input).await?;
        decision.verify(&mut user.attributes)?;
        if decision.auto_confirm {
            user.status = CONFIRMED.into();
        }
        self.passwords.credential(&pool.id, &user.id, user.username.as_str(), password).await?.set_on(&mut user);
        self.users.insert_new_user(pool, &user, false).await?;
        if decision.auto_confirm {
            let source = "PostConfirmation_ConfirmSignUp";
            post_confirmation(&self.triggers, pool, source, Some(client.id.as_str()), &user, input).await;
            return Ok(SignUpResult { user, confirmed: true, delivery: None });
        }
        let why = MessageCall::new("CustomMessage_SignUp").by(client.id.as_str()).with(&input.client_metadata);
        let delivery = if pool.auto_verifies_email() && user.attributes.contains_key("email") {
            Some(self.codes.send_code(pool, &user, Purpose::SignUp, why, lang).await?)
        } else {
            None
        };
        Ok(SignUpResult { user, confirmed: false, delivery })
    }

    /// ConfirmSignUp. With PreventUserExistenceErrors an unknown username has its code checked
    /// like anyone's (a simulated one: see [`super::codes`]), and so has a user who is already
    /// confirmed: Cognito's "User cannot be confirmed. Current status is CONFIRMED" would tell
    /// that the user exists. Recorded as a Confirmation event.
    pub async fn confirm_sign_up(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        code: &str,
        input: &TriggerInput,
        source: Source,
    ) -> Result<UserRow> {
        let r = self.confirm_account(pool, client, username, code, source).await;
        let kind = AuthEventType::Confirmation;
        match &r {
            Ok(user) => {
                self.record_account(pool, client, source, kind, None, Some(user), username, Value::Null).await;
                let (src, id) = ("PostConfirmation_ConfirmSignUp", Some(client.id.as_str()));
                post_confirmation(&self.triggers, pool, src, id, user, input).await
            }
            Err(e) => {
                let user = self.users.find_user(pool, &Username::from(username)).await.ok().flatten();
                let reason = match (&user, Reason::of(e)) {
                    (None, Reason::BadCode | Reason::CodeExpired) => Reason::UserNotFound,
                    (_, r) => r,
                };
                self.record_account(pool, client, source, kind, Some(reason), user.as_ref(), username, Value::Null)
                    .await
            }
        }
        r
    }

    async fn confirm_account(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        code: &str,
        source: Source,
    ) -> Result<UserRow> {
        self.limit_source(SourceLimit::ConfirmCode, source).await?;
        let hide = client.prevents_user_existence_errors();
        let Some(mut user) = self.users.find_user(pool, &Username::from(username)).await? else {
            if !hide {
                return Err(Error::UserNotFound(Message::UsernameClientNotFound));
            }
            self.codes.rate_limit(Limited::ConfirmSignUp, &self.codes.phantom_id(pool, username)).await?;
            return Err(self.codes.simulated_code_error(pool, username, Purpose::SignUp).await);
        };
        self.codes.rate_limit(Limited::ConfirmSignUp, &user.id).await?;
        if user.status != UNCONFIRMED {
            if hide {
                // No code of a confirmed user is live, bar an unredeemable one: this answers
                // expired or wrong code, as for anyone.
                self.codes.redeem_code(&user, Purpose::SignUp, code).await?;
                return Err(codes::mismatch());
            }
            return Err(Error::NotAuthorized(Message::CannotConfirm { status: user.status.clone() }));
        }
        let proven = self.codes.redeem_code(&user, Purpose::SignUp, code).await?;
        user.status = CONFIRMED.into();
        user.attributes.insert(format!("{proven}_verified"), "true".into());
        user.updated_at = self.now();
        self.users.save_user(pool, &user).await?;
        Ok(user)
    }

    /// ResendConfirmationCode. With PreventUserExistenceErrors an unknown username gets a
    /// simulated code, and a user Cognito would single out (already confirmed, or with no
    /// address to send to) an unredeemable one, each with a plausible delivery and no mail.
    /// Recorded as a ResendCode event, a Fail when no code went out.
    pub async fn resend_confirmation_code(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        caller: Caller<'_>,
    ) -> Result<CodeDelivery> {
        let r = self.resend_code(pool, client, username, caller).await;
        let user = self.users.find_user(pool, &Username::from(username)).await.ok().flatten();
        let failed = match (&r, &user) {
            (Err(e), _) => Some(Reason::of(e)),
            (Ok(_), None) => Some(Reason::UserNotFound),
            (Ok(_), Some(u)) if u.status != UNCONFIRMED => Some(Reason::AlreadyConfirmed),
            (Ok(_), Some(u)) if u.attributes.get("email").is_none_or(|e| e.is_empty()) => Some(Reason::NoAddress),
            (Ok(_), Some(_)) => None,
        };
        let kind = AuthEventType::ResendCode;
        self.record_account(pool, client, caller.source, kind, failed, user.as_ref(), username, Value::Null).await;
        r
    }

    async fn resend_code(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        caller: Caller<'_>,
    ) -> Result<CodeDelivery> {
        let lang = caller.lang;
        self.limit_source(SourceLimit::SendCode, caller.source).await?;
        let hide = client.prevents_user_existence_errors();
        let Some(user) = self.users.find_user(pool, &Username::from(username)).await? else {
            if !hide {
                return Err(Error::UserNotFound(Message::UsernameClientNotFound));
            }
            self.codes.rate_limit(Limited::ResendConfirmationCode, &self.codes.phantom_id(pool, username)).await?;
            return self.codes.send_simulated_code(pool, username, Purpose::SignUp).await;
        };
        self.codes.rate_limit(Limited::ResendConfirmationCode, &user.id).await?;
        let has_email = user.attributes.get("email").is_some_and(|e| !e.is_empty());
        if hide && (user.status != UNCONFIRMED || !has_email) {
            return self.codes.send_unredeemable_code(pool, &user, Purpose::SignUp).await;
        }
        if user.status != UNCONFIRMED {
            return Err(Error::InvalidParameter(Message::AlreadyConfirmed));
        }
        let why = MessageCall::new(RESEND).by(client.id.as_str());
        if hide {
            return self.codes.send_code_unawaited(pool, &user, Purpose::SignUp, why, lang).await;
        }
        self.codes.send_code(pool, &user, Purpose::SignUp, why, lang).await
    }

    /// AdminConfirmSignUp; PostConfirmation (`PostConfirmation_ConfirmSignUp`) follows.
    pub async fn admin_confirm_sign_up(
        &self,
        pool_id: &PoolId,
        username: &Username,
        input: &TriggerInput,
    ) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let mut user = self.users.user(&pool, username).await?;
        if user.status != UNCONFIRMED {
            return Err(Error::NotAuthorized(Message::CannotConfirm { status: user.status.clone() }));
        }
        user.status = CONFIRMED.into();
        user.updated_at = self.now();
        self.users.save_user(&pool, &user).await?;
        self.store.delete_user_code(&user.id, "sign_up").await?;
        let event = AuthEvent::new(&pool.id, AuthEventType::Confirmation, Outcome::Pass).user(&user);
        self.events.record_auth(event.details(json!({"by": "admin"}))).await;
        post_confirmation(&self.triggers, &pool, "PostConfirmation_ConfirmSignUp", None, &user, input).await;
        Ok(())
    }

    /// Open a confirmation session for the user `user_id` on `client`; returns its secret, or
    /// `None` when the user no longer exists.
    pub async fn start_confirmation_session(
        &self,
        pool: &Pool,
        client: &Client,
        user_id: &UserSub,
    ) -> Result<Option<String>> {
        let Some(user) = self.store.get_user(user_id).await? else {
            return Ok(None);
        };
        let secret = SecretToken::generate();
        self.store
            .insert_challenge(&ChallengeRow {
                id_hash: secret.hash(),
                pool_id: pool.id.clone(),
                client_id: client.id.clone(),
                user_id: user.id.clone(),
                challenge: CONFIRMATION_SESSION.into(),
                data: json!({}),
                expires_at: self.now() + SIGN_UP_CODE_SECS,
                used_at: None,
            })
            .await?;
        Ok(Some(secret.into_clear()))
    }

    /// The sign-in a confirmation earns: only with the confirmation session of the same user
    /// and client, used once. It stands for the password only: the second factor (or its
    /// set-up when the pool requires MFA) still follows. `None` means the user must sign in
    /// with the password. A sign-in it starts is recorded as a SignIn event.
    pub async fn sign_in_after_confirmation(
        &self,
        pool: &Pool,
        client: &Client,
        user: &UserRow,
        secret: &str,
        caller: Caller<'_>,
    ) -> Result<Option<SignInStep>> {
        let r = self.confirmed_sign_in(pool, client, user, secret, caller.lang).await;
        let step = match &r {
            Ok(Some(step)) => Ok(step),
            Ok(None) => return r,
            Err(e) => Err(e),
        };
        let details = json!({"via": "confirmation"});
        self.record_sign_in(pool, client, caller, step, &[], None, details, Who::Known(user)).await;
        r
    }

    async fn confirmed_sign_in(
        &self,
        pool: &Pool,
        client: &Client,
        user: &UserRow,
        secret: &str,
        lang: Lang,
    ) -> Result<Option<SignInStep>> {
        let now = self.now();
        let Some(c) = self.store.peek_challenge(&TokenHash::of(secret), now).await? else {
            return Ok(None);
        };
        if c.challenge != CONFIRMATION_SESSION || c.client_id != client.id || c.user_id != user.id {
            return Ok(None);
        }
        if self.store.take_challenge(&c.id_hash, now).await?.is_none() || !user.enabled {
            return Ok(None);
        }
        let plan = self.plan_second_factor(pool, user).await?;
        Ok(Some(self.second_factor(pool, client, user.clone(), plan, now, lang).await?))
    }
}
