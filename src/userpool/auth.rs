//! The sign-in engine: one state machine of challenges, driven by both the hosted pages and the
//! JSON API (InitiateAuth / RespondToAuthChallenge). A rule lives here once. After the password
//! (and a new one when required) comes the second factor ([`super::mfa`]).
//!
//! Credential checks have one shape whether or not the user exists (a dummy argon2 verify for
//! unknown users) and lockout follows Cognito (§3.1): from the fifth consecutive failure the
//! account is locked for 2^(n-5) seconds, at most 15 minutes; attempts while locked are refused
//! without extending it; the count resets after 15 minutes without failures.

use super::attributes::{self, UserWrite};
use super::error::{Error, Result};
use super::model::{Client, Pool};
use super::password::check_policy;
use super::users::{CONFIRMED, FORCE_CHANGE_PASSWORD};
use crate::crypto::sha256_hex;
use crate::i18n::Lang;
use crate::services::Services;
use crate::store::sessions::ChallengeRow;
use crate::store::users::UserRow;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const NEW_PASSWORD_REQUIRED: &str = "NEW_PASSWORD_REQUIRED";
const LOCKOUT_FREE_FAILURES: i64 = 5;
const LOCKOUT_MAX_SECS: i64 = 900;
const FAILURE_WINDOW_SECS: i64 = 900;

pub fn incorrect() -> Error {
    Error::NotAuthorized("Incorrect username or password.".into())
}

pub fn session_expired() -> Error {
    Error::NotAuthorized("Invalid session for the user, session is expired.".into())
}

#[derive(Debug)]
pub enum AuthOutcome {
    /// Signed in; tokens may be issued.
    Authenticated { user: UserRow, auth_time: i64 },
    /// Another step is needed: answer `name` with `session`.
    Challenge { name: String, session: String, params: Map<String, Value>, user: UserRow },
}

impl Services {
    /// Username (or alias) and password: the first step of every password sign-in. `lang` is
    /// the language of a code mailed as the second factor.
    pub async fn password_sign_in(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        password: &str,
        lang: Lang,
    ) -> Result<AuthOutcome> {
        let now = self.now();
        let found = self.find_user(pool, username).await?;
        let Some(user) = found else {
            self.passwords.verify(None, password).await?;
            return Err(if client.prevents_user_existence_errors() {
                incorrect()
            } else {
                Error::UserNotFound("User does not exist.".into())
            });
        };
        let failures = self.store.get_login_failures(&pool.id, &user.id).await?;
        if failures.locked_until > now {
            return Err(Error::NotAuthorized("Password attempts exceeded".into()));
        }
        if !self.passwords.verify(user.password_hash.as_deref(), password).await? {
            // Counted atomically in the store: simultaneous failures must all count.
            let n = self.store.record_login_failure(&pool.id, &user.id, now, FAILURE_WINDOW_SECS).await?;
            if n >= LOCKOUT_FREE_FAILURES {
                let exp = (n - LOCKOUT_FREE_FAILURES).min(20) as u32;
                self.store.lock_login_until(&pool.id, &user.id, now + 2i64.pow(exp).min(LOCKOUT_MAX_SECS)).await?;
            }
            return Err(incorrect());
        }
        if failures.failures > 0 {
            self.store.clear_login_failures(&pool.id, &user.id).await?;
        }
        self.after_password(pool, client, user, now, lang).await
    }

    /// Status checks once the password is known to be right.
    async fn after_password(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        now: i64,
        lang: Lang,
    ) -> Result<AuthOutcome> {
        if !user.enabled {
            return Err(Error::NotAuthorized("User is disabled.".into()));
        }
        match user.status.as_str() {
            "UNCONFIRMED" => Err(Error::UserNotConfirmed("User is not confirmed.".into())),
            "RESET_REQUIRED" => Err(Error::PasswordResetRequired("Password reset required for the user".into())),
            FORCE_CHANGE_PASSWORD => {
                let days = pool.password_policy().temporary_password_validity_days;
                if user.password_set_at.unwrap_or(0) + days * 86400 < now {
                    return Err(Error::NotAuthorized(
                        "Temporary password has expired and must be reset by an administrator.".into(),
                    ));
                }
                self.new_password_challenge(pool, client, user).await
            }
            _ => self.second_factor(pool, client, user, now, lang).await,
        }
    }

    async fn new_password_challenge(&self, pool: &Pool, client: &Client, user: UserRow) -> Result<AuthOutcome> {
        let session = self.open_challenge(pool, client, &user, NEW_PASSWORD_REQUIRED, json!({})).await?;
        let visible: BTreeMap<&String, &String> =
            user.attributes.iter().filter(|(k, _)| !k.ends_with("_verified") && !k.starts_with("dev:")).collect();
        let required: Vec<String> = attributes::missing_required(pool, &user.attributes)
            .into_iter()
            .map(|a| format!("userAttributes.{a}"))
            .collect();
        let mut params = Map::new();
        params.insert("USER_ID_FOR_SRP".into(), json!(user.username));
        params.insert("userAttributes".into(), json!(serde_json::to_string(&visible).unwrap_or_default()));
        params.insert("requiredAttributes".into(), json!(serde_json::to_string(&required).unwrap_or_default()));
        Ok(AuthOutcome::Challenge { name: NEW_PASSWORD_REQUIRED.into(), session, params, user })
    }

    /// The pending challenge behind a session, if it is live and belongs to this client.
    pub async fn pending_challenge(&self, client: &Client, session: &str) -> Result<ChallengeRow> {
        match self.store.peek_challenge(&sha256_hex(session), self.now()).await? {
            Some(c) if c.client_id == client.id => Ok(c),
            _ => Err(session_expired()),
        }
    }

    /// Answer NEW_PASSWORD_REQUIRED: a policy-conforming password and any missing required
    /// attributes (`attrs` without the `userAttributes.` prefix), written as the user writes
    /// them ([`attributes::write_as_user`]): the client's WriteAttributes apply and no
    /// `*_verified` flag can be claimed.
    pub async fn respond_new_password(
        &self,
        pool: &Pool,
        client: &Client,
        session: &str,
        new_password: &str,
        attrs: &BTreeMap<String, String>,
        lang: Lang,
    ) -> Result<AuthOutcome> {
        let pending = self.pending_challenge(client, session).await?;
        if pending.challenge != NEW_PASSWORD_REQUIRED {
            return Err(session_expired());
        }
        let mut user = self.store.get_user(&pending.user_id).await?.ok_or_else(session_expired)?;
        check_policy(&pool.password_policy(), new_password)?;
        let pairs = attrs.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        attributes::write_as_user(pool, client, &mut user.attributes, pairs, UserWrite::NewPassword)?;
        let missing = attributes::missing_required(pool, &user.attributes);
        if let Some(m) = missing.first() {
            return Err(Error::invalid(format!("Invalid attributes given, {m} is missing")));
        }
        let now = self.now();
        // Consume the session last, so a rejected password can be retried within it.
        if self.store.take_challenge(&pending.id_hash, now).await?.is_none() {
            return Err(session_expired());
        }
        user.password_hash = Some(self.passwords.hash(new_password).await?);
        user.password_set_at = Some(now);
        user.status = CONFIRMED.into();
        user.updated_at = now;
        self.save_user(pool, &user).await?;
        self.after_password(pool, client, user, now, lang).await
    }
}
