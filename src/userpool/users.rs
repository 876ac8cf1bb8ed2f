//! Users: admin creation with temporary passwords, lookup by username or alias, attribute
//! updates, passwords, enable/disable, deletion, and ListUsers with Cognito's filter syntax.

use super::Users;
use super::attributes::{self, AttributeList, Writer, looks_like_email, looks_like_phone};
use super::error::{Error, Message, Result};
use super::model::Pool;
use super::password::{check_policy, generate_temporary};
use super::user_triggers::{MessageCall, custom_email_sender, custom_message, has_email_sender, pre_sign_up};
use crate::events::{AuthEvent, AuthEventType, Outcome};
use crate::ids::{PoolId, Username};
use crate::mail::Mail;
use crate::store::StoreError;
use crate::store::users::{UserColumn, UserFilter, UserRow};
use std::collections::BTreeMap;

pub const FORCE_CHANGE_PASSWORD: &str = "FORCE_CHANGE_PASSWORD";
pub const CONFIRMED: &str = "CONFIRMED";

fn user_not_found() -> Error {
    Error::UserNotFound("User does not exist.".into())
}

/// Parse a ListUsers filter: `name = "value"` or `name ^= "value"`; empty means all users.
pub fn parse_filter(filter: &str) -> Result<UserFilter> {
    let f = filter.trim();
    if f.is_empty() {
        return Ok(UserFilter::All);
    }
    let bad = || Error::invalid("Error while parsing filter.");
    let (name, rest, prefix) = if let Some(i) = f.find("^=") {
        (f[..i].trim(), f[i + 2..].trim(), true)
    } else if let Some(i) = f.find('=') {
        (f[..i].trim(), f[i + 1..].trim(), false)
    } else {
        return Err(bad());
    };
    if !(rest.len() >= 2 && rest.starts_with('"') && rest.ends_with('"')) {
        return Err(bad());
    }
    let mut value = String::new();
    let mut chars = rest[1..rest.len() - 1].chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => value.push(chars.next().ok_or_else(bad)?),
            '"' => return Err(bad()),
            c => value.push(c),
        }
    }
    field_filter(name, value, prefix).ok_or_else(bad)
}

/// The filter on one of ListUsers' fields (`username`, `sub`, `cognito:user_status`, `status`
/// as Enabled or Disabled, or a searchable attribute) equal to, or starting with, `value`.
fn field_filter(name: &str, value: String, prefix: bool) -> Option<UserFilter> {
    let col = |column, value: String| Some(UserFilter::Column { column, value, prefix });
    match name {
        "username" => col(UserColumn::Username, value),
        "sub" => col(UserColumn::Sub, value),
        "cognito:user_status" => col(UserColumn::Status, value.to_uppercase()),
        "status" => match value.as_str() {
            "Enabled" => Some(UserFilter::Column { column: UserColumn::Enabled, value: "1".into(), prefix: false }),
            "Disabled" => Some(UserFilter::Column { column: UserColumn::Enabled, value: "0".into(), prefix: false }),
            _ => None,
        },
        n if attributes::SEARCHABLE.contains(&n) => Some(UserFilter::Attribute { name: n.to_string(), value, prefix }),
        _ => None,
    }
}

/// What the dashboard's user search asks for.
#[derive(Debug, Clone, Copy)]
pub enum UserSearch<'a> {
    /// A ListUsers filter (`email ^= "ann"`).
    Filter(&'a str),
    /// One of ListUsers' fields (`email`, `username`, `cognito:user_status`, …) equal to, or
    /// starting with, a value: the filter without its syntax.
    Field { name: &'a str, value: &'a str, prefix: bool },
    /// Users with a second factor turned on.
    HasMfa,
    /// Users with an identity of this upstream provider linked.
    LinkedTo(&'a str),
    /// A custom attribute (`custom:…`) equal to, or starting with, a value.
    Custom { name: &'a str, value: &'a str, prefix: bool },
}

/// AdminCreateUser's `MessageAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    /// Send the invitation again to a user who has not signed in yet (new temporary password).
    Resend,
    /// Create the user without mailing the invitation.
    Suppress,
}

/// A user an administrator creates (AdminCreateUser).
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: Username,
    pub attributes: Vec<(String, String)>,
    /// Chosen by the administrator; generated to the pool's policy otherwise.
    pub temporary_password: Option<String>,
    pub message_action: Option<MessageAction>,
    /// `DesiredDeliveryMediums` includes EMAIL.
    pub deliver_by_email: bool,
    /// A taken alias moves to the new user instead of failing.
    pub force_alias_creation: bool,
    /// `ValidationData` and `ClientMetadata`, for the PreSignUp trigger.
    pub trigger_input: super::user_triggers::TriggerInput,
}

impl Users {
    /// Find a user by username, or by an alias / username attribute of the pool.
    pub async fn find_user(&self, pool: &Pool, name: &Username) -> Result<Option<UserRow>> {
        let key = pool.lookup_key(name);
        if let Some(u) = self.store.get_user_by_username(&pool.id, &key).await? {
            return Ok(Some(u));
        }
        for kind in pool.username_attributes().iter().chain(pool.alias_attributes().iter()) {
            if let Some(u) = self.store.get_user_by_alias(&pool.id, kind, &key).await? {
                return Ok(Some(u));
            }
        }
        Ok(None)
    }

    pub async fn user(&self, pool: &Pool, name: &Username) -> Result<UserRow> {
        self.find_user(pool, name).await?.ok_or_else(user_not_found)
    }

    /// Write a user back with recomputed aliases; alias collisions become AliasExistsException.
    pub async fn save_user(&self, pool: &Pool, user: &UserRow) -> Result<()> {
        let aliases = attributes::aliases(pool, &user.attributes);
        match self.store.update_user(user, &aliases, &attributes::search_values(&user.attributes)).await {
            Ok(_) => Ok(()),
            Err(StoreError::Conflict) => Err(Error::AliasExists(Message::EmailExists)),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn admin_create_user(&self, pool_id: &PoolId, input: &NewUser) -> Result<UserRow> {
        let pool = self.directory.pool(pool_id).await?;
        let given = input.username.clone();
        let mut attrs = attributes::parse_list(&pool, &input.attributes, Writer::Admin, true)?;
        let now = self.now();
        let policy = pool.password_policy();

        if input.message_action == Some(MessageAction::Resend) {
            let mut user = self.user(&pool, &given).await?;
            if user.status != FORCE_CHANGE_PASSWORD {
                return Err(Error::UnsupportedOperation(
                    "Resend not possible. User is not in FORCE_CHANGE_PASSWORD status.".into(),
                ));
            }
            let temp = input.temporary_password.clone().unwrap_or_else(|| generate_temporary(policy));
            self.passwords.credential(&pool.id, &user.id, user.username.as_str(), &temp).await?.set_on(&mut user);
            user.password_set_at = Some(now);
            user.updated_at = now;
            let invitation = self.invitation(&pool, &user, &temp, input).await?;
            self.save_user(&pool, &user).await?;
            if let Some(mail) = invitation {
                self.send_invitation(&pool, &mail).await?;
            }
            return Ok(user);
        }

        let sub = uuid::Uuid::new_v4().to_string();
        let username = resolve_username(&pool, &given, &sub, &mut attrs)?;
        check_required(&pool, &attrs)?;
        let temp = match input.temporary_password.as_deref() {
            Some(p) => {
                check_policy(policy, p)?;
                p.to_string()
            }
            None => generate_temporary(policy),
        };
        // PreSignUp_AdminCreateUser before anything is written: a refusal writes nothing. The
        // user must still set a password, so only autoVerifyEmail / autoVerifyPhone apply.
        let (source, trigger_input) = ("PreSignUp_AdminCreateUser", &input.trigger_input);
        let decision = pre_sign_up(&self.triggers, &pool, source, &username, None, &attrs, trigger_input).await?;
        decision.verify(&mut attrs)?;
        let mut user = UserRow {
            id: sub.into(),
            pool_id: pool.id.clone(),
            username_key: pool.lookup_key(&username),
            username: username.into(),
            status: FORCE_CHANGE_PASSWORD.into(),
            enabled: true,
            password_hash: None,
            srp_verifier: None,
            password_set_at: Some(now),
            attributes: attrs,
            tokens_valid_after: 0,
            created_at: now,
            updated_at: now,
        };
        self.passwords.credential(&pool.id, &user.id, user.username.as_str(), &temp).await?.set_on(&mut user);
        // The CustomMessage function is asked before the user is written: its refusal leaves nothing.
        let invitation = self.invitation(&pool, &user, &temp, input).await?;
        self.insert_new_user(&pool, &user, input.force_alias_creation).await?;
        if let Some(mail) = invitation {
            self.send_invitation(&pool, &mail).await?;
        } else if let Some(to) = invitee(&user, input).filter(|_| has_email_sender(&pool)) {
            // The function gets the temporary password once the user exists, and mails it itself.
            let why = MessageCall::new("CustomMessage_AdminCreateUser").with(&input.trigger_input.client_metadata);
            custom_email_sender(&self.triggers, &pool, why, &user, to, &temp).await;
        }
        Ok(user)
    }

    /// The invitation AdminCreateUser mails (username and temporary password, as the pool's
    /// CustomMessage function words it) unless `MessageAction` is SUPPRESS, when
    /// `DesiredDeliveryMediums` includes EMAIL and the user has an address. SMS, Cognito's
    /// default medium, is not sent by this server. None either when the pool's CustomEmailSender
    /// sends it.
    async fn invitation(&self, pool: &Pool, user: &UserRow, temp: &str, input: &NewUser) -> Result<Option<Mail>> {
        let Some(to) = invitee(user, input).filter(|_| !has_email_sender(pool)) else {
            return Ok(None);
        };
        let why = MessageCall::new("CustomMessage_AdminCreateUser").with(&input.trigger_input.client_metadata);
        let custom = custom_message(&self.triggers, pool, why, user).await?;
        Ok(Some(super::messages::invitation(pool, to, &user.username, temp, crate::i18n::Lang::En, &custom)))
    }

    async fn send_invitation(&self, pool: &Pool, mail: &Mail) -> Result<()> {
        self.mailer.send(mail).await.map_err(|e| {
            tracing::warn!(error = %e, pool = %pool.id, "invitation delivery failed");
            Error::CodeDeliveryFailure("Unable to deliver the invitation message.".into())
        })
    }

    /// Insert a new user with its aliases; a taken username or alias becomes Cognito's error.
    /// With `force_alias` (AdminCreateUser's ForceAliasCreation) a taken alias moves to the new user.
    /// UsernameExistsException when inserting `user` would answer it: the name, or where users
    /// sign in with an attribute, that attribute, is taken. Checked before PreSignUp, so the
    /// answer for a taken name never depends on the function (nor is it asked about a user that
    /// cannot be created); insertion still decides races.
    pub(crate) async fn check_name_free(&self, pool: &Pool, user: &UserRow) -> Result<()> {
        if self.store.get_user_by_username(&pool.id, &user.username_key).await?.is_some() {
            return Err(Error::UsernameExists(Message::UserExists));
        }
        for kind in pool.username_attributes() {
            let Some(v) = user.attributes.get(kind).filter(|v| !v.is_empty()) else {
                continue;
            };
            if self.store.get_user_by_alias(&pool.id, kind, &pool.lookup_key(v)).await?.is_some() {
                return Err(Error::UsernameExists(Message::EmailExists));
            }
        }
        Ok(())
    }

    pub(crate) async fn insert_new_user(&self, pool: &Pool, user: &UserRow, force_alias: bool) -> Result<()> {
        let aliases = attributes::aliases(pool, &user.attributes);
        let search = attributes::search_values(&user.attributes);
        let mut inserted = self.store.insert_user(user, &aliases, &search).await;
        if matches!(inserted, Err(StoreError::Conflict))
            && force_alias
            && pool.username_attributes().is_empty()
            && self.store.get_user_by_username(&pool.id, &user.username_key).await?.is_none()
            && self.release_aliases(pool, &aliases).await?
        {
            inserted = self.store.insert_user(user, &aliases, &search).await;
        }
        match inserted {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict) => {
                let by_attribute = !pool.username_attributes().is_empty();
                if by_attribute || self.store.get_user_by_username(&pool.id, &user.username_key).await?.is_some() {
                    Err(Error::UsernameExists(if by_attribute { Message::EmailExists } else { Message::UserExists }))
                } else {
                    Err(Error::AliasExists(Message::EmailExists))
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// ForceAliasCreation: other users holding one of these email / phone aliases lose it (their
    /// attribute becomes unverified). False when an alias cannot be moved (preferred_username).
    async fn release_aliases(&self, pool: &Pool, aliases: &[crate::store::users::Alias]) -> Result<bool> {
        for (kind, key) in aliases {
            let Some(mut holder) = self.store.get_user_by_alias(&pool.id, kind, key).await? else {
                continue;
            };
            let flag = match kind.as_str() {
                "email" => "email_verified",
                "phone_number" => "phone_number_verified",
                _ => return Ok(false),
            };
            holder.attributes.insert(flag.to_string(), "false".into());
            holder.updated_at = self.now();
            self.save_user(pool, &holder).await?;
        }
        Ok(true)
    }

    pub async fn admin_delete_user(&self, pool_id: &PoolId, username: &Username) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let user = self.user(&pool, username).await?;
        self.store.delete_user(&user.id).await?;
        Ok(())
    }

    pub async fn admin_set_password(
        &self,
        pool_id: &PoolId,
        username: &Username,
        password: &str,
        permanent: bool,
    ) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let mut user = self.user(&pool, username).await?;
        check_policy(pool.password_policy(), password)?;
        let now = self.now();
        self.passwords.credential(&pool.id, &user.id, user.username.as_str(), password).await?.set_on(&mut user);
        user.password_set_at = Some(now);
        user.status = if permanent { CONFIRMED.into() } else { FORCE_CHANGE_PASSWORD.into() };
        user.updated_at = now;
        self.save_user(&pool, &user).await?;
        self.store.clear_failures(&pool.id, crate::store::guesses::Guesses::Password(&user.id)).await?;
        self.store.delete_user_browser_sessions(&user.id).await?;
        let event = AuthEvent::new(&pool.id, AuthEventType::PasswordChange, Outcome::Pass).user(&user);
        self.events.record_auth(event.details(serde_json::json!({"by": "admin", "permanent": permanent}))).await;
        Ok(())
    }

    pub async fn admin_update_attributes(
        &self,
        pool_id: &PoolId,
        username: &Username,
        list: &AttributeList,
    ) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let mut user = self.user(&pool, username).await?;
        let changes = attributes::parse_list(&pool, list, Writer::Admin, false)?;
        apply_changes(&mut user.attributes, changes);
        let missing = attributes::missing_required(&pool, &user.attributes);
        if let Some(m) = missing.first() {
            return Err(Error::invalid(format!(
                "Attributes did not conform to the schema: {m}: The attribute is required"
            )));
        }
        user.updated_at = self.now();
        self.save_user(&pool, &user).await
    }

    /// Disable or enable. Disabling also ends every session and invalidates issued tokens.
    pub async fn admin_set_enabled(&self, pool_id: &PoolId, username: &Username, enabled: bool) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        let mut user = self.user(&pool, username).await?;
        let now = self.now();
        user.enabled = enabled;
        user.updated_at = now;
        if !enabled {
            user.tokens_valid_after = self.clock.now_millis() + 1;
            self.store.revoke_user_refresh_tokens(&user.id, now).await?;
            self.store.delete_user_browser_sessions(&user.id).await?;
        }
        self.save_user(&pool, &user).await
    }

    /// Global sign-out (GlobalSignOut, AdminUserGlobalSignOut): every token issued so far is
    /// refused, refresh tokens included. As in Cognito, hosted-UI sessions are left alone.
    pub async fn global_sign_out(&self, pool: &Pool, mut user: UserRow) -> Result<()> {
        let now = self.now();
        user.tokens_valid_after = self.clock.now_millis() + 1;
        user.updated_at = now;
        self.store.revoke_user_refresh_tokens(&user.id, now).await?;
        self.save_user(pool, &user).await
    }

    pub async fn list_users(
        &self,
        pool_id: &PoolId,
        filter: &str,
        limit: i64,
        token: Option<&str>,
    ) -> Result<(Vec<UserRow>, Option<String>)> {
        let filter = parse_filter(filter)?;
        self.list_where(pool_id, &filter, limit, token).await
    }

    /// The dashboard's search: ListUsers' filters, and beyond Cognito the users with a second
    /// factor turned on or with an identity of an upstream provider linked.
    pub async fn search_users(
        &self,
        pool_id: &PoolId,
        search: UserSearch<'_>,
        limit: i64,
        token: Option<&str>,
    ) -> Result<(Vec<UserRow>, Option<String>)> {
        let filter = match search {
            UserSearch::Filter(f) => parse_filter(f)?,
            UserSearch::Field { name, value, prefix } => field_filter(name, value.to_string(), prefix)
                .ok_or_else(|| Error::invalid(format!("Users cannot be searched by {name} {value}.")))?,
            UserSearch::HasMfa => UserFilter::HasMfa,
            UserSearch::LinkedTo(provider) => UserFilter::LinkedTo { provider: provider.to_string() },
            UserSearch::Custom { name, value, prefix } => {
                if !name.starts_with("custom:") || name.len() > 40 {
                    return Err(Error::invalid("Name a custom attribute, as custom:name."));
                }
                UserFilter::Attribute { name: name.to_string(), value: value.to_string(), prefix }
            }
        };
        self.list_where(pool_id, &filter, limit, token).await
    }

    async fn list_where(
        &self,
        pool_id: &PoolId,
        filter: &UserFilter,
        limit: i64,
        token: Option<&str>,
    ) -> Result<(Vec<UserRow>, Option<String>)> {
        let pool = self.directory.pool(pool_id).await?;
        let after = match token {
            Some(t) => Some(decode_cursor(&self.master, t)?),
            None => None,
        };
        let rows = self.store.list_users(&pool.id, filter, limit + 1, after).await?;
        Ok(crate::store::page(rows, limit, |u| encode_cursor(&self.master, u.created_at, &u.id)))
    }
}

/// The stored username for a requested one. With `UsernameAttributes` the e-mail or phone
/// number becomes an attribute and the username is the `sub`; with an e-mail alias, usernames
/// that look like e-mail addresses are refused.
pub(crate) fn resolve_username(
    pool: &Pool,
    given: &str,
    sub: &str,
    attrs: &mut BTreeMap<String, String>,
) -> Result<String> {
    let username_attrs = pool.username_attributes();
    if username_attrs.is_empty() {
        if pool.alias_attributes().iter().any(|a| a == "email") && looks_like_email(given) {
            return Err(Error::InvalidParameter(Message::UsernameFormat));
        }
        return Ok(given.to_string());
    }
    let kind = if looks_like_email(given) && username_attrs.iter().any(|a| a == "email") {
        "email"
    } else if looks_like_phone(given) && username_attrs.iter().any(|a| a == "phone_number") {
        "phone_number"
    } else {
        return Err(Error::InvalidParameter(Message::UsernameFormat));
    };
    attrs.insert(kind.to_string(), given.to_string());
    Ok(sub.to_string())
}

/// Every required schema attribute has a value.
pub(crate) fn check_required(pool: &Pool, attrs: &BTreeMap<String, String>) -> Result<()> {
    let missing = attributes::missing_required(pool, attrs);
    if missing.is_empty() {
        return Ok(());
    }
    Err(Error::invalid(format!(
        "Attributes did not conform to the schema: {}",
        missing.iter().map(|m| format!("{m}: The attribute {m} is required")).collect::<Vec<_>>().join(", ")
    )))
}

/// Apply attribute changes: an empty value deletes; a changed email/phone loses its verified flag
/// unless the change sets it.
fn apply_changes(attrs: &mut BTreeMap<String, String>, changes: BTreeMap<String, String>) {
    attributes::unverify_changed(attrs, &changes);
    for (k, v) in changes {
        if v.is_empty() {
            attrs.remove(&k);
        } else {
            attrs.insert(k, v);
        }
    }
}

/// Pagination tokens are MAC'd so a client cannot forge a cursor.
fn encode_cursor(master: &crate::crypto::MasterKey, t: i64, id: &str) -> String {
    use base64::Engine;
    let body = format!("{t}:{id}");
    let mac = hex::encode(&master.mac("users-cursor", body.as_bytes())[..12]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{body}:{mac}"))
}

fn decode_cursor(master: &crate::crypto::MasterKey, token: &str) -> Result<(i64, String)> {
    use base64::Engine;
    let bad = || Error::invalid("Invalid pagination token.");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let s = String::from_utf8(raw).map_err(|_| bad())?;
    let (body, mac) = s.rsplit_once(':').ok_or_else(bad)?;
    let expect = hex::encode(&master.mac("users-cursor", body.as_bytes())[..12]);
    if !crate::crypto::constant_time_eq(expect.as_bytes(), mac.as_bytes()) {
        return Err(bad());
    }
    let (t, id) = body.split_once(':').ok_or_else(bad)?;
    Ok((t.parse().map_err(|_| bad())?, id.to_string()))
}

/// The address AdminCreateUser's invitation goes to: the user's e-mail, when the caller asked
/// for EMAIL delivery and did not suppress the message.
fn invitee<'u>(user: &'u UserRow, input: &NewUser) -> Option<&'u String> {
    let by_email = input.deliver_by_email && input.message_action != Some(MessageAction::Suppress);
    user.attributes.get("email").filter(|e| by_email && !e.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_like_cognito() {
        assert!(matches!(parse_filter("").unwrap(), UserFilter::All));
        match parse_filter("email ^= \"ali\"").unwrap() {
            UserFilter::Attribute { name, value, prefix } => {
                assert_eq!((name.as_str(), value.as_str(), prefix), ("email", "ali", true))
            }
            f => panic!("{f:?}"),
        }
        match parse_filter("cognito:user_status = \"unconfirmed\"").unwrap() {
            UserFilter::Column { value, .. } => assert_eq!(value, "UNCONFIRMED"),
            f => panic!("{f:?}"),
        }
        match parse_filter(r#"username = "a\"b""#).unwrap() {
            UserFilter::Column { value, prefix, .. } => {
                assert_eq!((value.as_str(), prefix), ("a\"b", false))
            }
            f => panic!("{f:?}"),
        }
        for bad in ["email = ali", "custom:x = \"1\"", "email", "status = \"Maybe\"", "email = \"a\"b\""] {
            assert!(parse_filter(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn changing_email_unverifies_it() {
        let mut a: BTreeMap<String, String> =
            [("email".to_string(), "a@x.io".to_string()), ("email_verified".into(), "true".into())].into();
        apply_changes(&mut a, [("email".to_string(), "b@x.io".to_string())].into());
        assert_eq!(a["email_verified"], "false");
        apply_changes(&mut a, [("name".to_string(), "".to_string())].into());
        assert!(!a.contains_key("name"));
    }

    #[test]
    fn cursors_are_tamper_evident() {
        let k = crate::crypto::MasterKey::from_bytes(&[1; 32]);
        let c = encode_cursor(&k, 5, "abc");
        assert_eq!(decode_cursor(&k, &c).unwrap(), (5, "abc".to_string()));
        assert!(decode_cursor(&crate::crypto::MasterKey::from_bytes(&[2; 32]), &c).is_err());
        assert!(decode_cursor(&k, "garbage").is_err());
    }
}
