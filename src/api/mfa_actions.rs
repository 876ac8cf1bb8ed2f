//! MFA configuration and factors: SetUserPoolMfaConfig, GetUserPoolMfaConfig,
//! AdminSetUserMFAPreference, SetUserMFAPreference, AssociateSoftwareToken and
//! VerifySoftwareToken (by access token, or by an MFA_SETUP session during sign-in).

use super::auth_actions::{access_token_user, client_for};
use super::pool_input::pool_mfa_changes;
use super::{ApiError, ApiResult, pool_id_in, s, username_in};
use crate::services::Services;
use crate::userpool::error::Error;
use crate::userpool::mfa::{FactorPreference, MfaPreference, PoolMfaConfig};
use crate::userpool::throttle::Source;
use serde_json::{Value, json};

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub directory: &'a crate::userpool::directory::Directory,
    pub sign_in: &'a crate::userpool::SignIn,
    pub tokens: &'a crate::tokens::Tokens,
    pub user_pools: &'a crate::userpool::UserPools,
    pub users: &'a crate::userpool::Users,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses {
            directory: &svc.directory,
            sign_in: &svc.sign_in,
            tokens: &svc.tokens,
            user_pools: &svc.user_pools,
            users: &svc.users,
        }
    }
}

pub const ACTIONS: &[&str] = &[
    "SetUserPoolMfaConfig",
    "GetUserPoolMfaConfig",
    "AdminSetUserMFAPreference",
    "SetUserMFAPreference",
    "AssociateSoftwareToken",
    "VerifySoftwareToken",
];

fn token_or_session(i: &Value) -> Result<(), ApiError> {
    if i["AccessToken"].is_string() == i["Session"].is_string() {
        return Err(ApiError::new(400, "InvalidParameterException", "Give either AccessToken or Session."));
    }
    Ok(())
}

/// Set/AdminSetUserMFAPreference's settings as a preference change (a member that is not an
/// object leaves its factor alone).
fn mfa_preference(i: &Value) -> MfaPreference {
    let factor = |key: &str| {
        let v = &i[key];
        v.is_object()
            .then(|| FactorPreference { enabled: v["Enabled"].as_bool(), preferred: v["PreferredMfa"].as_bool() })
    };
    MfaPreference { software_token: factor("SoftwareTokenMfaSettings"), email: factor("EmailMfaSettings") }
}

/// GetUserPoolMfaConfig's (and SetUserPoolMfaConfig's) answer.
fn pool_mfa_config_type(c: &PoolMfaConfig) -> Value {
    let mut out = json!({
        "MfaConfiguration": c.mode.as_str(),
        "SoftwareTokenMfaConfiguration": {"Enabled": c.software_token_enabled},
    });
    if let Some(e) = &c.email {
        out["EmailMfaConfiguration"] = json!({});
        if let Some(m) = &e.message {
            out["EmailMfaConfiguration"]["Message"] = json!(m);
        }
        if let Some(s) = &e.subject {
            out["EmailMfaConfiguration"]["Subject"] = json!(s);
        }
    }
    if let Some(w) = &c.webauthn {
        let mut doc = json!({});
        for (k, v) in [
            ("RelyingPartyId", &w.relying_party_id),
            ("UserVerification", &w.user_verification),
            ("FactorConfiguration", &w.factor_configuration),
        ] {
            if let Some(v) = v {
                doc[k] = json!(v);
            }
        }
        out["WebAuthnConfiguration"] = doc;
    }
    out
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value, source: Source) -> ApiResult {
    Ok(match action {
        "SetUserPoolMfaConfig" => {
            pool_mfa_config_type(&svc.user_pools.set_pool_mfa_config(&pool_id_in(i)?, &pool_mfa_changes(i)).await?)
        }
        "GetUserPoolMfaConfig" => pool_mfa_config_type(&svc.user_pools.pool_mfa_config(&pool_id_in(i)?).await?),
        "AdminSetUserMFAPreference" => {
            let pool = svc.directory.pool(&pool_id_in(i)?).await?;
            let user = svc.users.user(&pool, &username_in(i)).await?;
            // Cognito's administrator answer, where the user's own call says
            // SoftwareTokenMFANotFoundException.
            svc.sign_in.set_mfa_preference(&pool, &user, &mfa_preference(i)).await.map_err(|e| match e {
                Error::SoftwareTokenMfaNotFound(_) => Error::InvalidParameter(
                    "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA".into(),
                ),
                e => e,
            })?;
            json!({})
        }
        "SetUserMFAPreference" => {
            let (pool, user, _) = access_token_user(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
            svc.sign_in.set_mfa_preference(&pool, &user, &mfa_preference(i)).await?;
            json!({})
        }
        "AssociateSoftwareToken" => {
            token_or_session(i)?;
            if let Some(session) = i["Session"].as_str() {
                let (_, client) = client_for_session(svc, i).await?;
                let (_, secret) = svc.sign_in.associate_for_session(&client, session).await?;
                json!({"SecretCode": secret, "Session": session})
            } else {
                let (_, user, _) = access_token_user(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
                json!({"SecretCode": svc.sign_in.associate_software_token(&user).await?})
            }
        }
        "VerifySoftwareToken" => {
            token_or_session(i)?;
            if let Some(session) = i["Session"].as_str() {
                let (pool, client) = client_for_session(svc, i).await?;
                svc.sign_in.verify_for_session(&pool, &client, session, s(i, "UserCode"), source).await?;
                json!({"Status": "SUCCESS", "Session": session})
            } else {
                let (pool, user, _) = access_token_user(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
                svc.sign_in.verify_software_token(&pool, &user, s(i, "UserCode")).await?;
                json!({"Status": "SUCCESS"})
            }
        }
        _ => return Err(super::unsupported(action)),
    })
}

/// The session alone names the client (AssociateSoftwareToken has no ClientId member).
async fn client_for_session(
    svc: Uses<'_>,
    i: &Value,
) -> Result<(crate::userpool::model::Pool, crate::userpool::model::Client), ApiError> {
    if i["ClientId"].is_string() {
        return client_for(svc.directory, i).await;
    }
    let c = svc.sign_in.challenge_client(s(i, "Session")).await?.ok_or_else(|| {
        ApiError::new(400, "NotAuthorizedException", "Invalid session for the user, session is expired.")
    })?;
    let pool = svc.directory.pool(&c.pool_id).await?;
    Ok((pool, c))
}
