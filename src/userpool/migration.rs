//! The UserMigration trigger: a user the pool does not know, met at a password sign-in
//! (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH, the hosted login page) or at ForgotPassword,
//! is asked of the pool's function and, when it answers with the user, created here.
//!
//! As Cognito: the sign-in's password becomes the user's (argon2id hash and SRP verifier), so
//! after that they are like any other user and the function is not called for them again;
//! `finalUserStatus` is CONFIRMED (the default) or RESET_REQUIRED; a ForgotPassword migration
//! always lands RESET_REQUIRED with no password. A refusal (the function's error) is
//! `UserNotFoundException` "UserMigration failed with error {message}." (what Cognito answers),
//! which the callers hide like any unknown user when the client prevents user-existence errors.
//! USER_SRP_AUTH never calls it: the server never sees the password there (as Cognito).
//!
//! The answer's other members, as Cognito uses them for a migrated user: `messageAction`
//! (`SUPPRESS` or `RESEND`) and `desiredDeliveryMediums` (`EMAIL`, `SMS`) are checked (anything
//! else is InvalidLambdaResponseException) but send no welcome message: a sign-in migration
//! that lands CONFIRMED has the user holding the password already, and a ForgotPassword
//! migration mails the reset code the request asked for, whatever `messageAction` says. `SMS`
//! is accepted and ignored, as this server sends no SMS (the CustomMessage trigger's
//! `smsMessage` likewise). A sign-in's password must meet the pool's password policy like any
//! new password (InvalidPasswordException, and no user written): Cognito refuses such a
//! migration too, though its exact error is not documented.

use super::SignIn;
use super::attributes::{self, Writer};
use super::error::{Error, Result};
use super::model::{Client, Pool};
use super::password::check_policy;
use super::recovery::RESET_REQUIRED;
use super::user_triggers::{TriggerInput, user_migration};
use super::users::{CONFIRMED, check_required, resolve_username};
use crate::store::users::UserRow;
use crate::triggers::{Trigger, TriggerError, flag};
use serde_json::{Map, Value};

/// Why the function was called: a sign-in with its password, or ForgotPassword.
#[derive(Debug, Clone, Copy)]
pub enum MigrationSource<'a> {
    Authentication { password: &'a str },
    ForgotPassword,
}

fn invalid() -> Error {
    TriggerError::InvalidResponse.into_error(Trigger::UserMigration)
}

/// `response.userAttributes` as a list of names and string values.
fn user_attributes(response: &Map<String, Value>) -> Result<Vec<(String, String)>> {
    let Some(Value::Object(m)) = response.get("userAttributes") else {
        return Err(invalid());
    };
    m.iter()
        .filter(|(k, _)| k.as_str() != "sub" && !k.starts_with("cognito:"))
        .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())).ok_or_else(invalid))
        .collect()
}

/// A string member that must be one of `allowed` when present.
fn one_of(response: &Map<String, Value>, name: &str, allowed: &[&str]) -> Result<Option<String>> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if allowed.contains(&s.as_str()) => Ok(Some(s.clone())),
        Some(_) => Err(invalid()),
    }
}

/// `desiredDeliveryMediums`: absent, or a list of `EMAIL` and `SMS`.
fn delivery_mediums(response: &Map<String, Value>) -> Result<()> {
    match response.get("desiredDeliveryMediums") {
        None | Some(Value::Null) => Ok(()),
        Some(Value::Array(list)) if list.iter().all(|m| matches!(m.as_str(), Some("EMAIL" | "SMS"))) => Ok(()),
        Some(_) => Err(invalid()),
    }
}

impl SignIn {
    /// [`Self::migrate_user`] as the sign-in and ForgotPassword answer it: the user created, or
    /// none with the function's refusal (UserNotFoundException) for the caller to answer or
    /// hide. When unknown users are hidden (`hide`), any other failure (the function
    /// unreachable, a bad answer, attributes or a password the pool refuses) is a name no user
    /// has too, with no refusal to tell: only a name the pool does not know reaches the
    /// function, so its failures would set those names apart. Such a failure is logged, and the
    /// call is in the event log.
    pub(super) async fn migrate_unknown(
        &self,
        (pool, client): (&Pool, &Client),
        username: &str,
        why: MigrationSource<'_>,
        input: &TriggerInput,
        hide: bool,
    ) -> Result<(Option<UserRow>, Option<Error>)> {
        match self.migrate_user(pool, client, username, why, input).await {
            Ok(user) => Ok((user, None)),
            Err(e @ Error::UserNotFound(_)) => Ok((None, Some(e))),
            Err(e) if hide && !matches!(e, Error::Internal(_)) => {
                tracing::info!(pool = %pool.id, error = e.type_name(), "UserMigration failed: answered as an unknown user");
                Ok((None, None))
            }
            Err(e) => Err(e),
        }
    }

    /// Ask the pool's UserMigration function about `username`, whom the pool does not know, and
    /// create the user it answers with. `None` when the pool has no such function.
    async fn migrate_user(
        &self,
        pool: &Pool,
        client: &Client,
        username: &str,
        why: MigrationSource<'_>,
        input: &TriggerInput,
    ) -> Result<Option<UserRow>> {
        let (source, password) = match why {
            MigrationSource::Authentication { password } => ("UserMigration_Authentication", Some(password)),
            MigrationSource::ForgotPassword => ("UserMigration_ForgotPassword", None),
        };
        let answer = user_migration(&self.triggers, pool, source, username, client.id.as_str(), password, input).await;
        let response = match answer {
            Ok(Some(r)) => r,
            Ok(None) => return Ok(None),
            Err(Error::UserLambdaValidation(m)) => return Err(Error::UserNotFound(m)),
            Err(e) => return Err(e),
        };
        let list = user_attributes(&response)?;
        let status = one_of(&response, "finalUserStatus", &[CONFIRMED, RESET_REQUIRED])?;
        one_of(&response, "messageAction", &["SUPPRESS", "RESEND"])?;
        delivery_mediums(&response)?;
        let force_alias = flag(&response, "forceAliasCreation", Trigger::UserMigration)?;
        let mut attrs = attributes::parse_list(pool, &list, Writer::Admin, true)?;
        let sub = uuid::Uuid::new_v4().to_string();
        let name = resolve_username(pool, username, &sub, &mut attrs)?;
        check_required(pool, &attrs)?;
        if let Some(p) = password {
            check_policy(pool.password_policy(), p)?;
        }
        let status = match password {
            None => RESET_REQUIRED.to_string(),
            Some(_) => status.unwrap_or_else(|| CONFIRMED.to_string()),
        };
        let now = self.now();
        let mut user = UserRow {
            id: sub.into(),
            pool_id: pool.id.clone(),
            username_key: pool.lookup_key(&name),
            username: name.into(),
            status,
            enabled: true,
            password_hash: None,
            srp_verifier: None,
            password_set_at: password.map(|_| now),
            attributes: attrs,
            tokens_valid_after: 0,
            created_at: now,
            updated_at: now,
        };
        if let Some(p) = password {
            self.passwords.credential(&pool.id, &user.id, user.username.as_str(), p).await?.set_on(&mut user);
        }
        self.users.insert_new_user(pool, &user, force_alias).await?;
        tracing::info!(pool = %pool.id, "user migrated by the UserMigration trigger");
        Ok(Some(user))
    }
}
