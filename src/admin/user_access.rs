//! The parts of a user's page about access: sign-ins with live refresh tokens (revocable one by
//! one), hosted-page sessions (ended one by one), remembered devices (remembered or not,
//! forgotten), passkeys (removed), linked upstream identities (link, unlink),
//! resetting MFA, and editing attributes. Each change goes through the same service call as its
//! Cognito action where there is one, and is audited.

use super::Change;
use super::ManageUsers;
use crate::store::devices::DeviceRow;
use crate::store::users::UserRow;
use crate::userpool::error::{Error, Result};
use crate::userpool::linked_identities::{COGNITO_SUBJECT, ProviderUser};
use crate::userpool::model::Pool;
use crate::userpool::passkeys::PasskeyDescription;
use crate::userpool::user_access::{ActiveSignIn, HostedSession};

/// What the user page shows of the user's access.
pub struct Access {
    pub sign_ins: Vec<SignInLine>,
    pub sessions: Vec<SessionLine>,
    pub devices: Vec<DeviceLine>,
    pub passkeys: Vec<PasskeyLine>,
    pub identities: Vec<(String, String)>,
}

pub struct PasskeyLine {
    pub id: String,
    pub name: String,
    /// The authenticator's attachment and transports (`platform: internal, hybrid`).
    pub kind: String,
    pub created: String,
}

impl From<PasskeyDescription> for PasskeyLine {
    fn from(p: PasskeyDescription) -> Self {
        let transports = p.transports.join(", ");
        let kind = match (p.authenticator_attachment, transports.is_empty()) {
            (Some(a), false) => format!("{a}: {transports}"),
            (Some(a), true) => a,
            (None, _) => transports,
        };
        PasskeyLine { id: p.credential_id, name: p.friendly_name, kind, created: super::users::date(p.created_at) }
    }
}

pub struct DeviceLine {
    pub key: String,
    pub name: String,
    pub remembered: bool,
    pub last_ip: String,
    pub created: String,
    pub last_signed_in: String,
}

impl From<DeviceRow> for DeviceLine {
    fn from(d: DeviceRow) -> Self {
        DeviceLine {
            key: d.device_key,
            name: d.name.unwrap_or_default(),
            remembered: d.remembered,
            last_ip: d.last_ip.unwrap_or_default(),
            created: super::users::date(d.created_at),
            last_signed_in: d.last_authenticated_at.map(super::users::date).unwrap_or_default(),
        }
    }
}

pub struct SignInLine {
    pub origin: String,
    pub client: String,
    pub scopes: String,
    pub created: String,
    pub expires: String,
}

pub struct SessionLine {
    pub id: String,
    pub created: String,
    pub expires: String,
}

impl From<ActiveSignIn> for SignInLine {
    fn from(s: ActiveSignIn) -> Self {
        SignInLine {
            origin: s.origin,
            client: s.client_id.to_string(),
            scopes: s.scopes,
            created: super::users::date(s.created_at),
            expires: super::users::date(s.expires_at),
        }
    }
}

impl From<HostedSession> for SessionLine {
    fn from(s: HostedSession) -> Self {
        SessionLine {
            id: s.id_hash,
            created: super::users::date(s.created_at),
            expires: super::users::date(s.expires_at),
        }
    }
}

/// The user's access, for the page.
pub async fn access(svc: &crate::services::Services, user: &UserRow) -> Result<Access> {
    Ok(Access {
        sign_ins: svc.users.active_sign_ins(user).await?.into_iter().map(SignInLine::from).collect(),
        sessions: svc.users.hosted_sessions(user).await?.into_iter().map(SessionLine::from).collect(),
        devices: svc.users.devices(user, DEVICES_SHOWN, None).await?.0.into_iter().map(DeviceLine::from).collect(),
        passkeys: svc.sign_in.list_passkeys(user).await?.into_iter().map(PasskeyLine::from).collect(),
        identities: svc
            .users
            .linked_identities(user)
            .await?
            .into_iter()
            .map(|i| (i.provider_name, i.provider_user_id))
            .collect(),
    })
}

/// The most devices the page lists (the oldest first).
const DEVICES_SHOWN: i64 = 60;

fn upstream(provider: &str, id: &str) -> ProviderUser {
    ProviderUser { provider_name: provider.into(), attribute_name: COGNITO_SUBJECT.into(), attribute_value: id.into() }
}

/// The access actions, by the name in the form's URL: `None` for an action that is not one of
/// them; otherwise what happened, and the details to audit.
pub async fn act(
    c: &Change<ManageUsers>,
    pool: &Pool,
    user: &UserRow,
    action: &str,
) -> Option<Result<serde_json::Value>> {
    let svc = &c.svc;
    let f = &c.form;
    let missing = || Error::invalid("That sign-in or session is not one of the user's any more.");
    Some(match action {
        "revoke-sign-in" => {
            let origin = f.get("origin");
            match svc.users.revoke_sign_in(user, origin).await {
                Ok(true) => Ok(serde_json::json!({"Origin": origin})),
                Ok(false) => Err(missing()),
                Err(e) => Err(e),
            }
        }
        "end-session" => match svc.users.end_hosted_session(user, f.get("session")).await {
            Ok(true) => Ok(serde_json::Value::Null),
            Ok(false) => Err(missing()),
            Err(e) => Err(e),
        },
        "reset-mfa" => svc.sign_in.reset_mfa(pool, user).await.map(|_| serde_json::Value::Null),
        "remember-device" | "not-remember-device" => {
            let key = f.get("device");
            let remembered = action == "remember-device";
            let status = if remembered { "remembered" } else { "not_remembered" };
            svc.users
                .set_device_remembered(user, key, remembered)
                .await
                .map(|_| serde_json::json!({"DeviceKey": key, "DeviceRememberedStatus": status}))
        }
        "forget-device" => {
            let key = f.get("device");
            svc.users.forget_device(user, key).await.map(|_| serde_json::json!({"DeviceKey": key}))
        }
        "remove-passkey" => {
            let id = f.get("credential");
            svc.sign_in.delete_passkey(user, id).await.map(|_| serde_json::json!({"CredentialId": id}))
        }
        "attributes" => {
            let mut list: Vec<(String, String)> = user
                .attributes
                .keys()
                .filter_map(|k| {
                    let field = format!("attr.{k}");
                    let given = f.get(&field);
                    (f.has(&field) && given != user.attributes[k].as_str()).then(|| (k.clone(), given.to_string()))
                })
                .collect();
            if let (Some(name), Some(value)) = (f.text("new_name"), f.text("new_value")) {
                list.push((name, value));
            }
            if list.is_empty() {
                return Some(Err(Error::invalid("Nothing was changed.")));
            }
            let changed: serde_json::Map<String, serde_json::Value> =
                list.iter().map(|(k, v)| (k.clone(), serde_json::Value::from(v.as_str()))).collect();
            let before: serde_json::Map<String, serde_json::Value> = list
                .iter()
                .map(|(k, _)| {
                    (k.clone(), user.attributes.get(k).map_or(serde_json::Value::Null, |v| v.as_str().into()))
                })
                .collect();
            svc.users
                .admin_update_attributes(&pool.id, &user.username, &list)
                .await
                .map(|_| serde_json::json!({"before": before, "after": changed}))
        }
        "link" => {
            let destination = ProviderUser {
                provider_name: "Cognito".into(),
                attribute_name: COGNITO_SUBJECT.into(),
                attribute_value: user.username.to_string(),
            };
            let source = upstream(f.get("provider").trim(), f.get("provider_user_id").trim());
            svc.users.admin_link_provider_for_user(&pool.id, &destination, &source).await.map(
                |_| serde_json::json!({"ProviderName": source.provider_name, "ProviderUserId": source.attribute_value}),
            )
        }
        "unlink" => {
            let who = upstream(f.get("provider"), f.get("provider_user_id"));
            svc.users
                .admin_disable_provider_for_user(&pool.id, &who)
                .await
                .map(|_| serde_json::json!({"ProviderName": who.provider_name, "ProviderUserId": who.attribute_value}))
        }
        _ => return None,
    })
}
