//! Where the user flows call the pool's triggers ([`crate::triggers`]), with each trigger's
//! `request` as Cognito builds it: PreSignUp before a user is written (self sign-up, admin
//! creation, first federated sign-in), PreAuthentication before the password (or SRP) check,
//! PostAuthentication after a sign-in succeeds, PostConfirmation after a confirmation or a
//! password reset, CustomMessage before a code or invitation mail is written (unless
//! CustomEmailSender sends it in place of the server's mailer), UserMigration
//! for a user the pool does not know. The pre-* ones, CustomMessage and UserMigration can
//! refuse; the post-* ones never fail the request
//! ([`crate::triggers::Triggers::after`]).

use super::error::{Error, Message, Result};
use super::messages::Custom;
use super::model::Pool;
use crate::store::users::UserRow;
use crate::triggers::sender::{email_sender_arn, sender_source};
use crate::triggers::{Call, Trigger, Triggers, flag};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the caller passed for the triggers: `ValidationData` (as name → value) and
/// `ClientMetadata`.
#[derive(Debug, Clone, Default)]
pub struct TriggerInput {
    pub validation_data: Map<String, Value>,
    pub client_metadata: Map<String, Value>,
}

impl TriggerInput {
    /// From the API's `ValidationData` (a list of `{Name, Value}`) and `ClientMetadata` (an
    /// object of strings).
    pub fn from_api(validation_data: &Value, client_metadata: &Value) -> Self {
        let validation_data = validation_data
            .as_array()
            .map(|list| {
                list.iter()
                    .filter_map(|a| Some((a["Name"].as_str()?.to_string(), json!(a["Value"].as_str().unwrap_or("")))))
                    .collect()
            })
            .unwrap_or_default();
        let client_metadata = client_metadata
            .as_object()
            .map(|m| m.iter().filter(|(_, v)| v.is_string()).map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        TriggerInput { validation_data, client_metadata }
    }

    /// The client metadata as the validation data (what PreAuthentication gets).
    pub fn as_validation_data(self) -> Self {
        TriggerInput { validation_data: self.client_metadata, client_metadata: Map::new() }
    }

    /// `request` with `validationData` (null when none was given) and `clientMetadata` (when
    /// given).
    fn request_with(&self, mut request: Value, with_validation: bool) -> Value {
        if with_validation {
            request["validationData"] = match self.validation_data.is_empty() {
                true => Value::Null,
                false => Value::Object(self.validation_data.clone()),
            };
        }
        crate::triggers::with_client_metadata(request, &self.client_metadata)
    }
}

/// A user's attributes as the events carry them: `sub`, the stored attributes and
/// `cognito:user_status`.
pub fn event_attributes(user: &UserRow) -> Value {
    let mut m = Map::new();
    m.insert("sub".into(), json!(user.id.to_string()));
    for (k, v) in &user.attributes {
        m.insert(k.clone(), json!(v));
    }
    m.insert("cognito:user_status".into(), json!(user.status));
    Value::Object(m)
}

/// What a PreSignUp answer decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignUpDecision {
    pub auto_confirm: bool,
    pub auto_verify_email: bool,
    pub auto_verify_phone: bool,
}

impl SignUpDecision {
    /// Mark the attributes the function verified. An attribute to verify must be there, as
    /// Cognito requires.
    pub fn verify(&self, attributes: &mut BTreeMap<String, String>) -> Result<()> {
        for (on, name) in [(self.auto_verify_email, "email"), (self.auto_verify_phone, "phone_number")] {
            if !on {
                continue;
            }
            if attributes.get(name).is_none_or(|v| v.is_empty()) {
                return Err(Error::InvalidParameter(Message::Text(format!(
                    "PreSignUp asked to verify {name}, which the user does not have."
                ))));
            }
            attributes.insert(format!("{name}_verified"), "true".into());
        }
        Ok(())
    }
}

/// PreSignUp (`source`: `PreSignUp_SignUp`, `PreSignUp_AdminCreateUser`,
/// `PreSignUp_ExternalProvider`) before `user_name` with `attributes` is written. No function:
/// nothing decided.
pub async fn pre_sign_up(
    triggers: &Triggers,
    pool: &Pool,
    source: &'static str,
    user_name: &str,
    client_id: Option<&str>,
    attributes: &BTreeMap<String, String>,
    input: &TriggerInput,
) -> Result<SignUpDecision> {
    let request = input.request_with(json!({"userAttributes": attributes}), true);
    let call = Call { trigger: Trigger::PreSignUp, source, pool_id: &pool.id, user_name, client_id, request };
    let Some(response) = triggers.invoke(&pool.config, call).await? else {
        return Ok(SignUpDecision::default());
    };
    Ok(SignUpDecision {
        auto_confirm: flag(&response, "autoConfirmUser", Trigger::PreSignUp)?,
        auto_verify_email: flag(&response, "autoVerifyEmail", Trigger::PreSignUp)?,
        auto_verify_phone: flag(&response, "autoVerifyPhone", Trigger::PreSignUp)?,
    })
}

/// PreAuthentication before the password check: `user` when found; without one (only when
/// the client hides unknown users) `userNotFound` is set and the name given is the userName.
pub async fn pre_authentication(
    triggers: &Triggers,
    pool: &Pool,
    client_id: &str,
    user: Option<&UserRow>,
    name_given: &str,
    input: &TriggerInput,
) -> Result<()> {
    let mut request = json!({"userAttributes": user.map(event_attributes).unwrap_or_else(|| json!({}))});
    if user.is_none() {
        request["userNotFound"] = json!(true);
    }
    let request = input.request_with(request, true);
    let user_name = user.map(|u| u.username.as_str()).unwrap_or(name_given);
    let source = "PreAuthentication_Authentication";
    let call = Call {
        trigger: Trigger::PreAuthentication,
        source,
        pool_id: &pool.id,
        user_name,
        client_id: Some(client_id),
        request,
    };
    triggers.invoke(&pool.config, call).await.map(|_| ())
}

/// PostAuthentication after `user` signed in.
/// `new_device`: the sign-in is from a device the user has not remembered, in a pool that tracks
/// devices ([`super::Users::is_new_device`]).
pub async fn post_authentication(triggers: &Triggers, pool: &Pool, client_id: &str, user: &UserRow, new_device: bool) {
    let request = json!({"userAttributes": event_attributes(user), "newDeviceUsed": new_device});
    let call = Call {
        trigger: Trigger::PostAuthentication,
        source: "PostAuthentication_Authentication",
        pool_id: &pool.id,
        user_name: user.username.as_str(),
        client_id: Some(client_id),
        request,
    };
    triggers.after(&pool.config, call).await
}

/// PostConfirmation (`source`: `PostConfirmation_ConfirmSignUp` or
/// `PostConfirmation_ConfirmForgotPassword`) after `user` was confirmed or reset a password.
pub async fn post_confirmation(
    triggers: &Triggers,
    pool: &Pool,
    source: &'static str,
    client_id: Option<&str>,
    user: &UserRow,
    input: &TriggerInput,
) {
    let request = input.request_with(json!({"userAttributes": event_attributes(user)}), false);
    let call = Call {
        trigger: Trigger::PostConfirmation,
        source,
        pool_id: &pool.id,
        user_name: user.username.as_str(),
        client_id,
        request,
    };
    triggers.after(&pool.config, call).await
}

/// UserMigration (`source`: `UserMigration_Authentication` with the `password` given, or
/// `UserMigration_ForgotPassword` without one) for `user_name`, whom the pool does not know.
/// No function: `None`; otherwise the function's `response`.
pub async fn user_migration(
    triggers: &Triggers,
    pool: &Pool,
    source: &'static str,
    user_name: &str,
    client_id: &str,
    password: Option<&str>,
    input: &TriggerInput,
) -> Result<Option<Map<String, Value>>> {
    let mut request = json!({});
    if let Some(p) = password {
        request["password"] = json!(p);
    }
    let request = input.request_with(request, true);
    let call = Call {
        trigger: Trigger::UserMigration,
        source,
        pool_id: &pool.id,
        user_name,
        client_id: Some(client_id),
        request,
    };
    triggers.invoke(&pool.config, call).await
}

/// The code placeholder CustomMessage gets as `codeParameter`; the code replaces it afterwards,
/// so the function never sees the code.
pub const CODE_PARAMETER: &str = "{####}";
/// The username placeholder of `CustomMessage_AdminCreateUser`.
pub const USERNAME_PARAMETER: &str = "{username}";

/// Why a mail goes out, for CustomMessage: its `triggerSource`, the app client asking (when one
/// does) and the caller's `ClientMetadata`.
#[derive(Debug, Clone, Copy)]
pub struct MessageCall<'a> {
    pub source: &'static str,
    pub client_id: Option<&'a str>,
    pub client_metadata: Option<&'a Map<String, Value>>,
}

impl<'a> MessageCall<'a> {
    /// A mail for `source`, with no client and no metadata.
    pub fn new(source: &'static str) -> Self {
        MessageCall { source, client_id: None, client_metadata: None }
    }

    /// Asked for by `client_id`.
    pub fn by(self, client_id: &'a str) -> Self {
        MessageCall { client_id: Some(client_id), ..self }
    }

    /// With the caller's `ClientMetadata`.
    pub fn with(self, client_metadata: &'a Map<String, Value>) -> Self {
        MessageCall { client_metadata: Some(client_metadata), ..self }
    }
}

/// CustomMessage (`source`: `CustomMessage_SignUp`, `_AdminCreateUser`, `_ResendCode`,
/// `_ForgotPassword`, `_UpdateUserAttribute`, `_VerifyUserAttribute`, `_Authentication`)
/// before a mail to `user`. No function, or an empty answer: the pool's message. As Cognito, an
/// `emailMessage` without the code placeholder (and, for AdminCreateUser, the username one) is
/// not used; `emailSubject` still is. `smsMessage` is ignored: this server sends no SMS.
pub async fn custom_message(triggers: &Triggers, pool: &Pool, why: MessageCall<'_>, user: &UserRow) -> Result<Custom> {
    let MessageCall { source, client_id, client_metadata } = why;
    let invitation = source == "CustomMessage_AdminCreateUser";
    let request = json!({
        "userAttributes": event_attributes(user),
        "codeParameter": CODE_PARAMETER,
        "usernameParameter": if invitation { json!(USERNAME_PARAMETER) } else { Value::Null },
        "linkParameter": Value::Null,
    });
    let request = match client_metadata {
        Some(m) => crate::triggers::with_client_metadata(request, m),
        None => request,
    };
    let user_name = user.username.as_str();
    let call = Call { trigger: Trigger::CustomMessage, source, pool_id: &pool.id, user_name, client_id, request };
    let Some(response) = triggers.invoke(&pool.config, call).await? else {
        return Ok(Custom::default());
    };
    let text = |name: &str| match response.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone()).filter(|s| !s.trim().is_empty())),
        Some(_) => Err(crate::triggers::TriggerError::InvalidResponse.into_error(Trigger::CustomMessage)),
    };
    let usable = |m: &String| m.contains(CODE_PARAMETER) && (!invitation || m.contains(USERNAME_PARAMETER));
    Ok(Custom { subject: text("emailSubject")?, message: text("emailMessage")?.filter(usable) })
}

/// Whether the pool's CustomEmailSender function sends its mails (CustomMessage is then not
/// asked, as in Cognito: the function words its own messages).
pub fn has_email_sender(pool: &Pool) -> bool {
    email_sender_arn(&pool.config).is_some()
}

/// CustomEmailSender in place of the mail `why` describes (`CustomMessage_SignUp` becomes
/// `CustomEmailSender_SignUp`, …) to `user` at `address`, carrying `secret` (the code, or the
/// temporary password of an invitation), which only the function can decrypt. The event's
/// `userAttributes.email` is `address`, where the code must go (a new address waiting for its
/// code included). Not awaited, never fails the caller ([`Triggers::send_email`]).
pub async fn custom_email_sender(
    triggers: &Arc<Triggers>,
    pool: &Pool,
    why: MessageCall<'_>,
    user: &UserRow,
    address: &str,
    secret: &str,
) {
    let Some(source) = sender_source(why.source) else {
        return;
    };
    let mut attributes = event_attributes(user);
    attributes["email"] = json!(address);
    let request = json!({"userAttributes": attributes});
    let request = match why.client_metadata {
        Some(m) => crate::triggers::with_client_metadata(request, m),
        None => request,
    };
    let user_name = user.username.as_str();
    let call = Call {
        trigger: Trigger::CustomEmailSender,
        source,
        pool_id: &pool.id,
        user_name,
        client_id: why.client_id,
        request,
    };
    triggers.send_email(&pool.config, call, secret).await
}
