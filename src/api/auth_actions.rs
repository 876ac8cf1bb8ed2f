//! Sign-in through the API: InitiateAuth / AdminInitiateAuth and the challenge responses,
//! driving the same engine as the hosted pages; RevokeToken; GetUser.

use super::{ApiError, ApiResult, s};
use crate::authorization::revocation::RevokeRefusal;
use crate::i18n::Lang;
use crate::ids::ClientId;
use crate::services::Services;
use crate::store::users::UserRow;
use crate::tokens::Tokens;
use crate::tokens::issue::{AccessClaims, Grant, RefreshProof, TokenRejection, TokenSet};
use crate::userpool::SignIn;
use crate::userpool::attributes;
use crate::userpool::auth::PasswordAttempt;
use crate::userpool::client_definition::ExplicitAuthFlow;
use crate::userpool::clients::ClientProof;
use crate::userpool::custom_auth::{CustomAnswer, CustomAttempt, CustomStep};
use crate::userpool::devices::{DeviceChallenge, DeviceProof, TokenDevice};
use crate::userpool::directory::Directory;
use crate::userpool::model::{Client, Pool};
use crate::userpool::srp_sign_in::{PASSWORD_VERIFIER, SrpChallenge, SrpProof};
use crate::userpool::step::{
    Answer, CUSTOM_CHALLENGE, Challenge, DEVICE_PASSWORD_VERIFIER, DEVICE_SRP_AUTH, MFA_SETUP, MfaCode, MfaKind,
    NEW_PASSWORD_REQUIRED, SELECT_MFA_TYPE, SignInStep,
};
use crate::userpool::throttle::{Caller, Source};
use crate::userpool::user_auth::SELECT_CHALLENGE as USER_AUTH_SELECT;
use crate::userpool::user_triggers::TriggerInput;

const EMAIL_OTP: &str = "EMAIL_OTP";
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub authorization: &'a crate::authorization::Authorization,
    pub directory: &'a Directory,
    pub sign_in: &'a SignIn,
    pub tokens: &'a Tokens,
    pub users: &'a crate::userpool::Users,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses {
            authorization: &svc.authorization,
            directory: &svc.directory,
            sign_in: &svc.sign_in,
            tokens: &svc.tokens,
            users: &svc.users,
        }
    }
}

pub const ACTIONS: &[&str] = &[
    "InitiateAuth",
    "AdminInitiateAuth",
    "RespondToAuthChallenge",
    "AdminRespondToAuthChallenge",
    "GetTokensFromRefreshToken",
    "RevokeToken",
    "GetUser",
    "GlobalSignOut",
];

fn flow_allowed(client: &Client, flow: &str) -> bool {
    use ExplicitAuthFlow::*;
    let flows = client.explicit_auth_flows();
    let has = |f: ExplicitAuthFlow| flows.contains(&f);
    match flow {
        "USER_PASSWORD_AUTH" => has(AllowUserPasswordAuth) || has(UserPasswordAuth),
        "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => has(AllowAdminUserPasswordAuth) || has(AdminNoSrpAuth),
        // A rotating client refreshes through GetTokensFromRefreshToken only, as Cognito's.
        "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => {
            !client.refresh_rotation() && (has(AllowRefreshTokenAuth) || flows.iter().all(|f| f.is_legacy()))
        }
        // Clients configured with the legacy flags alone always had SRP.
        "USER_SRP_AUTH" => has(AllowUserSrpAuth) || flows.iter().all(|f| f.is_legacy()),
        "CUSTOM_AUTH" => has(AllowCustomAuth) || has(CustomAuthFlowOnly),
        "USER_AUTH" => has(AllowUserAuth),
        _ => false,
    }
}

fn result(t: &TokenSet, device: &TokenDevice) -> Value {
    let mut r = json!({"AccessToken": t.access_token, "ExpiresIn": t.expires_in, "TokenType": "Bearer"});
    if let Some(id) = &t.id_token {
        r["IdToken"] = json!(id);
    }
    if let Some(rt) = &t.refresh_token {
        r["RefreshToken"] = json!(rt);
    }
    if let TokenDevice::New { key, group_key } = device {
        r["NewDeviceMetadata"] = json!({"DeviceKey": key, "DeviceGroupKey": group_key});
    }
    json!({"AuthenticationResult": r, "ChallengeParameters": {}})
}

/// How a sign-in step was reached, for the PreTokenGeneration event: its `triggerSource` and
/// the `ClientMetadata` that reaches it (RespondToAuthChallenge's, not InitiateAuth's, as in
/// Cognito).
pub(super) struct TokenCause {
    source: &'static str,
    metadata: Map<String, Value>,
}

impl TokenCause {
    /// InitiateAuth / AdminInitiateAuth: a sign-in without challenge.
    pub(super) fn initiate() -> Self {
        TokenCause { source: "TokenGeneration_Authentication", metadata: Map::new() }
    }

    /// RespondToAuthChallenge / AdminRespondToAuthChallenge answering `challenge`.
    pub(super) fn respond(challenge: &str, i: &Value) -> Self {
        let source = match challenge {
            NEW_PASSWORD_REQUIRED => "TokenGeneration_NewPasswordChallenge",
            DEVICE_PASSWORD_VERIFIER => "TokenGeneration_AuthenticateDevice",
            _ => "TokenGeneration_Authentication",
        };
        TokenCause { source, metadata: client_metadata(i) }
    }
}

/// The request's `ClientMetadata` (string values only).
fn client_metadata(i: &Value) -> Map<String, Value> {
    TriggerInput::from_api(&Value::Null, &i["ClientMetadata"]).client_metadata
}

/// The answer to a sign-in step: tokens (issued to the device the request names when the user
/// confirmed it, else to a new device when the pool tracks them), or the next challenge.
pub(super) async fn outcome(
    svc: Uses<'_>,
    (pool, client): (&Pool, &Client),
    step: SignInStep,
    device: Option<&str>,
    cause: TokenCause,
) -> ApiResult {
    match step {
        SignInStep::Authenticated { user, auth_time } => {
            let device = svc.users.device_for_tokens(pool, &user, device).await?;
            let device_key = device.key().map(str::to_string);
            let TokenCause { source, metadata: client_metadata } = cause;
            let grant = Grant { scopes: None, nonce: None, auth_time, device_key, source, client_metadata };
            let t = svc.tokens.issue_user_tokens(pool, client, &user, &grant).await?;
            Ok(result(&t, &device))
        }
        SignInStep::Challenge { session, user, challenge } => Ok(json!({
            "ChallengeName": challenge.name(),
            "Session": session,
            "ChallengeParameters": challenge_parameters(&user, &challenge),
        })),
    }
}

/// InitiateAuth's answer to USER_SRP_AUTH. Like Cognito, no Session: the SECRET_BLOCK carries it.
pub(super) fn password_verifier(c: SrpChallenge) -> Value {
    json!({
        "ChallengeName": PASSWORD_VERIFIER,
        "ChallengeParameters": {
            "SALT": c.salt,
            "SRP_B": c.srp_b,
            "SECRET_BLOCK": c.secret_block,
            "USERNAME": c.username,
            "USER_ID_FOR_SRP": c.user_id_for_srp,
        },
    })
}

/// RespondToAuthChallenge's answer to DEVICE_SRP_AUTH: the device's salt and the server's B.
fn device_password_verifier(c: DeviceChallenge) -> Value {
    json!({
        "ChallengeName": DEVICE_PASSWORD_VERIFIER,
        "Session": c.session,
        "ChallengeParameters": {
            "SALT": c.salt,
            "SRP_B": c.srp_b,
            "SECRET_BLOCK": c.secret_block,
            "USERNAME": c.username,
            "DEVICE_KEY": c.device_key,
        },
    })
}

/// A JSON array of factor names inside a string, as Cognito sends MFAS_CAN_CHOOSE and
/// MFAS_CAN_SETUP.
fn factor_list(factors: &[MfaKind]) -> Value {
    let names: Vec<&str> = factors.iter().map(|f| f.challenge_name()).collect();
    json!(json!(names).to_string())
}

/// Cognito's ChallengeParameters for a challenge: strings only, lists and maps as JSON text.
fn challenge_parameters(user: &UserRow, challenge: &Challenge) -> Map<String, Value> {
    let mut params = Map::new();
    match challenge {
        Challenge::NewPassword { required_attributes } => {
            let visible: BTreeMap<&String, &String> =
                user.attributes.iter().filter(|(k, _)| !k.ends_with("_verified") && !k.starts_with("dev:")).collect();
            let required: Vec<String> = required_attributes.iter().map(|a| format!("userAttributes.{a}")).collect();
            params.insert("USER_ID_FOR_SRP".into(), json!(user.username));
            params.insert("userAttributes".into(), json!(serde_json::to_string(&visible).unwrap_or_default()));
            params.insert("requiredAttributes".into(), json!(serde_json::to_string(&required).unwrap_or_default()));
        }
        Challenge::Mfa { destination, .. } => {
            params.insert("USER_ID_FOR_SRP".into(), json!(user.username));
            if let Some(to) = destination {
                params.insert("CODE_DELIVERY_DELIVERY_MEDIUM".into(), json!("EMAIL"));
                params.insert("CODE_DELIVERY_DESTINATION".into(), json!(to));
            }
        }
        Challenge::SelectMfa(factors) => {
            params.insert("MFAS_CAN_CHOOSE".into(), factor_list(factors));
            params.insert("USER_ID_FOR_SRP".into(), json!(user.username));
        }
        Challenge::MfaSetup(factors) => {
            params.insert("MFAS_CAN_SETUP".into(), factor_list(factors));
            params.insert("USER_ID_FOR_SRP".into(), json!(user.username));
        }
        Challenge::DeviceSrp => {
            params.insert("USERNAME".into(), json!(user.username));
        }
        Challenge::Custom(public) => return custom_parameters(user.username.as_str(), public),
    }
    params
}

/// CUSTOM_CHALLENGE's ChallengeParameters: CreateAuthChallenge's public ones and USERNAME.
fn custom_parameters(username: &str, public: &BTreeMap<String, String>) -> Map<String, Value> {
    let mut params: Map<String, Value> = public.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    params.insert("USERNAME".into(), json!(username));
    params
}

/// The answer to a step of a custom flow: as [`outcome`], the PASSWORD_VERIFIER of a flow that
/// started with SRP, or a challenge for a name no user has, shaped as a user's.
async fn custom_outcome(
    svc: Uses<'_>,
    pool: &Pool,
    client: &Client,
    step: CustomStep,
    device: Option<&str>,
    cause: TokenCause,
) -> ApiResult {
    match step {
        CustomStep::Step(step) => outcome(svc, (pool, client), step, device, cause).await,
        CustomStep::Verifier(c) => Ok(password_verifier(c)),
        CustomStep::Nobody { session, username, parameters } => Ok(json!({
            "ChallengeName": CUSTOM_CHALLENGE,
            "Session": session,
            "ChallengeParameters": custom_parameters(&username, &parameters),
        })),
    }
}

pub(super) fn missing(names: &str) -> ApiError {
    ApiError::new(400, "InvalidParameterException", format!("Missing required parameter {names}"))
}

/// RespondToAuthChallenge's ChallengeName and ChallengeResponses as an answer, or
/// InvalidParameterException for a challenge this engine does not ask.
fn answer(name: &str, responses: &Value) -> Result<Answer, ApiError> {
    let get = |k: &str| responses[k].as_str().unwrap_or_default().to_string();
    let kind = MfaKind::from_challenge_name(name);
    Ok(match name {
        NEW_PASSWORD_REQUIRED => {
            let attributes: BTreeMap<String, String> = responses
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.strip_prefix("userAttributes.")?.to_string(), v.as_str()?.to_string())))
                .collect();
            Answer::NewPassword { password: get("NEW_PASSWORD"), attributes }
        }
        SELECT_MFA_TYPE => Answer::SelectMfa(get("ANSWER")),
        MFA_SETUP => Answer::MfaSetupDone,
        _ => match kind {
            Some(MfaKind::SoftwareToken) if !get("RECOVERY_CODE").is_empty() => {
                Answer::Mfa(MfaCode::Recovery(get("RECOVERY_CODE")))
            }
            Some(MfaKind::SoftwareToken) => Answer::Mfa(MfaCode::SoftwareToken(get("SOFTWARE_TOKEN_MFA_CODE"))),
            Some(MfaKind::Email) => Answer::Mfa(MfaCode::Email(get("EMAIL_OTP_CODE"))),
            None => {
                return Err(ApiError::new(400, "InvalidParameterException", format!("Unsupported challenge {name}")));
            }
        },
    })
}

/// The user behind an access token that carries `aws.cognito.signin.user.admin` (the
/// self-service actions: GetUser, AssociateSoftwareToken, SetUserMFAPreference, …).
pub(super) async fn access_token_user(
    tokens: &Tokens,
    directory: &Directory,
    token: &str,
) -> Result<(Pool, UserRow, ClientId), ApiError> {
    let (pool, a) = self_service_token(tokens, directory, token).await?;
    Ok((pool, a.user, a.client_id))
}

/// [`access_token_user`] with the token's claims (the remembered-device actions read its
/// `device_key`).
pub(super) async fn self_service_token(
    tokens: &Tokens,
    directory: &Directory,
    token: &str,
) -> Result<(Pool, AccessClaims), ApiError> {
    let a = tokens.verify_access_token(None, token).await.map_err(|r| {
        let msg = match r {
            TokenRejection::Expired => "Access Token has expired",
            TokenRejection::Revoked => "Access Token has been revoked",
            TokenRejection::Invalid => "Invalid Access Token",
            TokenRejection::Unavailable => {
                let mut e = ApiError::new(503, "InternalErrorException", crate::web::UNAVAILABLE);
                e.retry_after = Some(crate::store::RETRY_AFTER_SECS);
                return e;
            }
        };
        ApiError::new(400, "NotAuthorizedException", msg)
    })?;
    if !a.scopes.iter().any(|s| s == "aws.cognito.signin.user.admin") {
        return Err(ApiError::new(400, "NotAuthorizedException", "Access Token does not have required scopes"));
    }
    let pool = directory.pool(&a.user.pool_id).await?;
    Ok((pool, a))
}

/// `PreferredMfaSetting` and `UserMFASettingList` (present only when the user has factors).
pub(super) async fn add_mfa_summary(
    sign_in: &SignIn,
    pool: &Pool,
    user: &UserRow,
    out: &mut Value,
) -> Result<(), ApiError> {
    let (preferred, list) = sign_in.mfa_summary(pool, user).await?;
    if let Some(p) = preferred {
        out["PreferredMfaSetting"] = json!(p);
    }
    if !list.is_empty() {
        out["UserMFASettingList"] = json!(list);
    }
    Ok(())
}

/// The client named by `ClientId`, checked against `UserPoolId` when the action has one.
pub(super) async fn client_for(directory: &Directory, i: &Value) -> Result<(Pool, Client), ApiError> {
    let not_found = || ApiError::new(400, "ResourceNotFoundException", "User pool client does not exist.");
    let client = directory.find_client_named(s(i, "ClientId")).await?.ok_or_else(not_found)?;
    if let Some(p) = i["UserPoolId"].as_str()
        && p != client.pool_id
    {
        return Err(not_found());
    }
    let pool = directory.pool(&client.pool_id).await?;
    Ok((pool, client))
}

pub async fn run(svc: Uses<'_>, action: &str, i: &Value, source: Source) -> ApiResult {
    match action {
        "InitiateAuth" | "AdminInitiateAuth" => {
            let (pool, client) = client_for(svc.directory, i).await?;
            let flow = s(i, "AuthFlow");
            let p = &i["AuthParameters"];
            let admin = action == "AdminInitiateAuth";
            let password_flow = if admin {
                matches!(flow, "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH")
            } else {
                flow == "USER_PASSWORD_AUTH"
            };
            let refresh_flow = matches!(flow, "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN");
            let srp_flow = flow == "USER_SRP_AUTH";
            let custom_flow = flow == "CUSTOM_AUTH";
            let user_auth_flow = flow == "USER_AUTH";
            if !password_flow && !refresh_flow && !srp_flow && !custom_flow && !user_auth_flow {
                return Err(ApiError::new(
                    400,
                    "InvalidParameterException",
                    format!("{flow} is not supported for {action}."),
                ));
            }
            if !flow_allowed(&client, flow) {
                return Err(ApiError::new(
                    400,
                    "InvalidParameterException",
                    format!("{flow} flow not enabled for this client"),
                ));
            }
            if refresh_flow {
                let proof = RefreshProof::SecretHash(p["SECRET_HASH"].as_str());
                let device = p["DEVICE_KEY"].as_str();
                let token = s(p, "REFRESH_TOKEN");
                let t = svc.tokens.refresh_tokens(&pool, &client, token, proof, device, &Map::new()).await?;
                return Ok(result(&t, &TokenDevice::None));
            }
            let username = s(p, "USERNAME");
            if user_auth_flow {
                return super::user_auth_actions::initiate(svc, (&pool, &client), i, source).await;
            }
            if custom_flow {
                if username.is_empty() {
                    return Err(missing("USERNAME"));
                }
                let srp_a = match p["CHALLENGE_NAME"].as_str() {
                    Some("SRP_A") if s(p, "SRP_A").is_empty() => return Err(missing("SRP_A")),
                    Some("SRP_A") => Some(s(p, "SRP_A")),
                    _ => None,
                };
                client.authenticate_api(ClientProof::SecretHash { username, hash: p["SECRET_HASH"].as_str() })?;
                let attempt = CustomAttempt { username, srp_a, metadata: Some(&i["ClientMetadata"]) };
                let caller = Caller { source, lang: Lang::En, device: p["DEVICE_KEY"].as_str() };
                let step = svc.sign_in.custom_start(&pool, &client, attempt, caller).await?;
                return custom_outcome(svc, &pool, &client, step, p["DEVICE_KEY"].as_str(), TokenCause::initiate())
                    .await;
            }
            if srp_flow {
                if username.is_empty() || s(p, "SRP_A").is_empty() {
                    return Err(missing("USERNAME or SRP_A"));
                }
                client.authenticate_api(ClientProof::SecretHash { username, hash: p["SECRET_HASH"].as_str() })?;
                let caller = Caller { source, lang: Lang::En, device: p["DEVICE_KEY"].as_str() };
                let c = svc.sign_in.srp_start(&pool, &client, username, s(p, "SRP_A"), caller).await?;
                return Ok(password_verifier(c));
            }
            if username.is_empty() || p["PASSWORD"].as_str().is_none() {
                return Err(missing("USERNAME or PASSWORD"));
            }
            client.authenticate_api(ClientProof::SecretHash { username, hash: p["SECRET_HASH"].as_str() })?;
            let device = p["DEVICE_KEY"].as_str();
            let metadata = Some(&i["ClientMetadata"]);
            let attempt = PasswordAttempt { username, password: s(p, "PASSWORD"), device, metadata };
            let o =
                svc.sign_in.password_sign_in(&pool, &client, attempt, Caller { device, ..Caller::of(source) }).await?;
            outcome(svc, (&pool, &client), o, device, TokenCause::initiate()).await
        }
        "RespondToAuthChallenge" | "AdminRespondToAuthChallenge" => {
            let (pool, client) = client_for(svc.directory, i).await?;
            let r = &i["ChallengeResponses"];
            client.authenticate_api(ClientProof::SecretHash {
                username: s(r, "USERNAME"),
                hash: r["SECRET_HASH"].as_str(),
            })?;
            let device = r["DEVICE_KEY"].as_str();
            let caller = Caller { source, lang: Lang::En, device };
            let cause = TokenCause::respond(s(i, "ChallengeName"), i);
            match s(i, "ChallengeName") {
                USER_AUTH_SELECT => {
                    return super::user_auth_actions::select(svc, (&pool, &client), i, caller).await;
                }
                crate::userpool::passkeys::WEB_AUTHN => {
                    return super::user_auth_actions::respond_passkey(svc, (&pool, &client), i, caller).await;
                }
                EMAIL_OTP => {
                    let (username, code) = (s(r, "USERNAME"), s(r, "EMAIL_OTP_CODE"));
                    if code.is_empty() {
                        return Err(missing("EMAIL_OTP_CODE"));
                    }
                    let o = svc.sign_in.respond_code(&pool, &client, s(i, "Session"), (username, code), caller).await?;
                    return outcome(svc, (&pool, &client), o, device, cause).await;
                }
                CUSTOM_CHALLENGE => {
                    let (Some(username), Some(answer)) = (r["USERNAME"].as_str(), r["ANSWER"].as_str()) else {
                        return Err(missing("USERNAME or ANSWER"));
                    };
                    let session = s(i, "Session");
                    let a = CustomAnswer { session, username, answer, metadata: Some(&i["ClientMetadata"]) };
                    let step = svc.sign_in.custom_respond(&pool, &client, a, caller).await?;
                    return custom_outcome(svc, &pool, &client, step, device, cause).await;
                }
                PASSWORD_VERIFIER => {
                    let proof = SrpProof {
                        username: s(r, "USERNAME"),
                        secret_block: s(r, "PASSWORD_CLAIM_SECRET_BLOCK"),
                        signature: s(r, "PASSWORD_CLAIM_SIGNATURE"),
                        timestamp: s(r, "TIMESTAMP"),
                        device_key: device,
                    };
                    let o = svc.sign_in.srp_verify(&pool, &client, proof, caller).await?;
                    return outcome(svc, (&pool, &client), o, device, cause).await;
                }
                DEVICE_SRP_AUTH => {
                    if s(r, "DEVICE_KEY").is_empty() || s(r, "SRP_A").is_empty() {
                        return Err(missing("DEVICE_KEY or SRP_A"));
                    }
                    let c = svc
                        .sign_in
                        .device_srp_start(
                            &pool,
                            &client,
                            s(i, "Session"),
                            s(r, "USERNAME"),
                            s(r, "DEVICE_KEY"),
                            s(r, "SRP_A"),
                        )
                        .await?;
                    return Ok(device_password_verifier(c));
                }
                DEVICE_PASSWORD_VERIFIER => {
                    let proof = DeviceProof {
                        session: s(i, "Session"),
                        username: s(r, "USERNAME"),
                        device_key: s(r, "DEVICE_KEY"),
                        secret_block: s(r, "PASSWORD_CLAIM_SECRET_BLOCK"),
                        signature: s(r, "PASSWORD_CLAIM_SIGNATURE"),
                        timestamp: s(r, "TIMESTAMP"),
                    };
                    let o = svc.sign_in.device_srp_verify(&pool, &client, proof, source).await?;
                    return outcome(svc, (&pool, &client), o, device, cause).await;
                }
                _ => {}
            }
            let answer = answer(s(i, "ChallengeName"), r)?;
            let o = svc.sign_in.respond(&pool, &client, s(i, "Session"), &answer, caller).await?;
            outcome(svc, (&pool, &client), o, device, cause).await
        }
        "GetTokensFromRefreshToken" => {
            let (pool, client) = client_for(svc.directory, i).await?;
            let secret = RefreshProof::Secret(i["ClientSecret"].as_str());
            let device = i["DeviceKey"].as_str();
            let metadata = client_metadata(i);
            let t = svc.tokens.refresh_tokens(&pool, &client, s(i, "RefreshToken"), secret, device, &metadata).await?;
            let mut out = result(&t, &TokenDevice::None);
            if let Some(o) = out.as_object_mut() {
                o.remove("ChallengeParameters");
            }
            Ok(out)
        }
        "RevokeToken" => {
            let client = svc
                .directory
                .find_client_named(s(i, "ClientId"))
                .await?
                .ok_or_else(|| ApiError::new(400, "NotAuthorizedException", "Invalid client."))?;
            client.authenticate_api(ClientProof::Secret(i["ClientSecret"].as_str()))?;
            match svc.authorization.revoke(&client, s(i, "Token")).await {
                Ok(()) => {}
                Err(RevokeRefusal::NotEnabled) => {
                    return Err(ApiError::new(
                        400,
                        "UnsupportedOperationException",
                        "Token revocation is not enabled for this client.",
                    ));
                }
                Err(RevokeRefusal::NotARefreshToken) => {
                    return Err(ApiError::new(
                        400,
                        "UnsupportedTokenTypeException",
                        "Only refresh tokens can be revoked.",
                    ));
                }
                Err(RevokeRefusal::Failed(e)) => return Err(e.into()),
            }
            Ok(json!({}))
        }
        "GlobalSignOut" => {
            let (pool, user, _) = access_token_user(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
            svc.users.global_sign_out(&pool, user).await?;
            Ok(json!({}))
        }
        "GetUser" => {
            let (pool, user, client_id) = access_token_user(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
            let readable =
                svc.directory.find_client(&client_id).await?.and_then(|c| c.settings.read_attributes.clone());
            let mut out = json!({
                "Username": user.username,
                "UserAttributes": super::render::attributes(&attributes::to_list_for_client(&user, readable.as_deref())),
            });
            add_mfa_summary(svc.sign_in, &pool, &user, &mut out).await?;
            Ok(out)
        }
        _ => Err(super::unsupported(action)),
    }
}
