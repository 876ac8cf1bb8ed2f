//! Self-service account actions: SignUp, ConfirmSignUp, ResendConfirmationCode,
//! ForgotPassword, ConfirmForgotPassword (unsigned, authorised by the client id and its
//! SECRET_HASH), and their admin counterparts AdminConfirmSignUp and AdminResetUserPassword.
//! The API has no language: its default mails are English, as Cognito's.

use super::auth_actions::client_for;
use super::render::code_delivery;
use super::{ApiResult, pool_id_in, s, username_in};
use crate::services::Services;
use crate::userpool::clients::ClientProof;
use crate::userpool::throttle::{Caller, Source};
use crate::userpool::user_triggers::TriggerInput;
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub directory: &'a crate::userpool::directory::Directory,
    pub sign_in: &'a crate::userpool::SignIn,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { directory: &svc.directory, sign_in: &svc.sign_in }
    }
}

pub const ACTIONS: &[&str] = &[
    "SignUp",
    "ConfirmSignUp",
    "ResendConfirmationCode",
    "ForgotPassword",
    "ConfirmForgotPassword",
    "AdminConfirmSignUp",
    "AdminResetUserPassword",
];

pub async fn run(svc: Uses<'_>, action: &str, i: &Value, source: Source) -> ApiResult {
    let username = &username_in(i);
    let input = TriggerInput::from_api(&i["ValidationData"], &i["ClientMetadata"]);
    match action {
        "AdminConfirmSignUp" => {
            svc.sign_in.admin_confirm_sign_up(&pool_id_in(i)?, username, &input).await?;
            return Ok(json!({}));
        }
        "AdminResetUserPassword" => {
            svc.sign_in.admin_reset_user_password(&pool_id_in(i)?, username).await?;
            return Ok(json!({}));
        }
        _ => {}
    }
    let (pool, client) = client_for(svc.directory, i).await?;
    // The API has no language: its default mails are English, as Cognito's.
    let caller = Caller::of(source);
    client.authenticate_api(ClientProof::SecretHash { username, hash: i["SecretHash"].as_str() })?;
    Ok(match action {
        "SignUp" => {
            let attributes = super::attribute_list(&i["UserAttributes"]);
            let password = s(i, "Password");
            let r = svc.sign_in.sign_up(&pool, &client, username, password, &attributes, &input, caller).await?;
            let mut out = json!({"UserConfirmed": r.confirmed, "UserSub": r.user.id});
            if let Some(d) = &r.delivery {
                out["CodeDeliveryDetails"] = code_delivery(d);
            }
            out
        }
        "ConfirmSignUp" => {
            let code = s(i, "ConfirmationCode");
            svc.sign_in.confirm_sign_up(&pool, &client, username, code, &input, source).await?;
            json!({})
        }
        "ResendConfirmationCode" => {
            let d = svc.sign_in.resend_confirmation_code(&pool, &client, username, caller).await?;
            json!({"CodeDeliveryDetails": code_delivery(&d)})
        }
        "ForgotPassword" => {
            let d = svc.sign_in.forgot_password(&pool, &client, username, caller).await?;
            json!({"CodeDeliveryDetails": code_delivery(&d)})
        }
        "ConfirmForgotPassword" => {
            svc.sign_in
                .confirm_forgot_password(&pool, &client, username, s(i, "ConfirmationCode"), s(i, "Password"), source)
                .await?;
            json!({})
        }
        _ => return Err(super::unsupported(action)),
    })
}
