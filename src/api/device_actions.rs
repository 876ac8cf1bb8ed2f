//! Remembered devices: ConfirmDevice, GetDevice, ListDevices, UpdateDeviceStatus and
//! ForgetDevice by the user's access token, and the administrator's Admin… counterparts
//! ([`crate::userpool::devices`]).

use super::auth_actions::self_service_token;
use super::render::device_type;
use super::{ApiError, ApiResult, limit, pool_id_in, s, username_in};
use crate::services::Services;
use crate::store::users::UserRow;
use crate::userpool::devices::NewDevice;
use crate::userpool::model::Pool;
use crate::userpool::throttle::Source;
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub directory: &'a crate::userpool::directory::Directory,
    pub tokens: &'a crate::tokens::Tokens,
    pub users: &'a crate::userpool::Users,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { directory: &svc.directory, tokens: &svc.tokens, users: &svc.users }
    }
}

pub const ACTIONS: &[&str] = &[
    "ConfirmDevice",
    "GetDevice",
    "ListDevices",
    "UpdateDeviceStatus",
    "ForgetDevice",
    "AdminGetDevice",
    "AdminListDevices",
    "AdminUpdateDeviceStatus",
    "AdminForgetDevice",
];

/// The user the request is about: the access token's, or the named user of the pool for the
/// Admin… actions.
async fn subject(svc: Uses<'_>, action: &str, i: &Value) -> Result<(Pool, UserRow), ApiError> {
    if action.starts_with("Admin") {
        let pool = svc.directory.pool(&pool_id_in(i)?).await?;
        let user = svc.users.user(&pool, &username_in(i)).await?;
        return Ok((pool, user));
    }
    let (pool, a) = self_service_token(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
    Ok((pool, a.user))
}

/// DeviceRememberedStatus: `remembered` or `not_remembered` (the model refuses anything else).
fn remembered(i: &Value) -> Result<bool, ApiError> {
    match s(i, "DeviceRememberedStatus") {
        "remembered" => Ok(true),
        "not_remembered" => Ok(false),
        _ => Err(ApiError::new(400, "InvalidParameterException", "DeviceRememberedStatus is required.")),
    }
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value, source: Source) -> ApiResult {
    let key = s(i, "DeviceKey");
    Ok(match action {
        "ConfirmDevice" => {
            let (pool, a) = self_service_token(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
            let config = &i["DeviceSecretVerifierConfig"];
            let new = NewDevice {
                key,
                verifier: s(config, "PasswordVerifier"),
                salt: s(config, "Salt"),
                name: i["DeviceName"].as_str(),
            };
            let token_device = a.claims.get("device_key").and_then(Value::as_str);
            let necessary = svc.users.confirm_device(&pool, &a.user, token_device, new, source).await?;
            json!({"UserConfirmationNecessary": necessary})
        }
        "GetDevice" | "AdminGetDevice" => {
            let (_, user) = subject(svc, action, i).await?;
            json!({"Device": device_type(&svc.users.device(&user, key).await?)})
        }
        "ListDevices" | "AdminListDevices" => {
            let (_, user) = subject(svc, action, i).await?;
            let (devices, next) =
                svc.users.devices(&user, limit(i, "Limit", 60), i["PaginationToken"].as_str()).await?;
            let list: Vec<Value> = devices.iter().map(device_type).collect();
            super::pool_actions::with_token(json!({"Devices": list}), "PaginationToken", next)
        }
        "UpdateDeviceStatus" | "AdminUpdateDeviceStatus" => {
            let (_, user) = subject(svc, action, i).await?;
            svc.users.set_device_remembered(&user, key, remembered(i)?).await?;
            json!({})
        }
        "ForgetDevice" | "AdminForgetDevice" => {
            let (_, user) = subject(svc, action, i).await?;
            svc.users.forget_device(&user, key).await?;
            json!({})
        }
        _ => return Err(super::unsupported(action)),
    })
}
