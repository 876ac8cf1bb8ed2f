//! USER_AUTH through the API: InitiateAuth / AdminInitiateAuth with a `PREFERRED_CHALLENGE` or
//! none, RespondToAuthChallenge SELECT_CHALLENGE with the factor chosen and WEB_AUTHN with the
//! passkey's assertion ([`crate::userpool::user_auth`]); EMAIL_OTP codes are answered like any
//! EMAIL_OTP challenge. And a user's passkeys by access token: StartWebAuthnRegistration,
//! CompleteWebAuthnRegistration, ListWebAuthnCredentials, DeleteWebAuthnCredential
//! ([`crate::userpool::passkeys`]).

use super::auth_actions::{TokenCause, Uses, missing, outcome, password_verifier};
use super::{ApiResult, s};
use crate::i18n::Lang;
use crate::userpool::clients::ClientProof;
use crate::userpool::model::{Client, Pool};
use crate::userpool::passkeys::{PasskeyDescription, WEB_AUTHN};
use crate::userpool::throttle::{Caller, Source};
use crate::userpool::user_auth::{SELECT_CHALLENGE, UserAuthAttempt, UserAuthStep};
use serde_json::{Value, json};

pub const ACTIONS: &[&str] = &[
    "StartWebAuthnRegistration",
    "CompleteWebAuthnRegistration",
    "ListWebAuthnCredentials",
    "DeleteWebAuthnCredential",
];

/// RespondToAuthChallenge WEB_AUTHN: `CREDENTIAL`, the passkey's AuthenticationResponseJSON.
pub(super) async fn respond_passkey(
    svc: Uses<'_>,
    (pool, client): (&Pool, &Client),
    i: &Value,
    caller: Caller<'_>,
) -> ApiResult {
    let r = &i["ChallengeResponses"];
    let credential = match &r["CREDENTIAL"] {
        Value::String(text) => text.clone(),
        Value::Object(_) => r["CREDENTIAL"].to_string(),
        _ => return Err(missing("CREDENTIAL")),
    };
    let answer = (s(r, "USERNAME"), credential.as_str());
    let step = svc.sign_in.respond_passkey(pool, client, s(i, "Session"), answer, caller).await?;
    outcome(svc, (pool, client), step, caller.device, TokenCause::respond(WEB_AUTHN, i)).await
}

fn description(d: &PasskeyDescription) -> Value {
    let mut out = json!({
        "CredentialId": d.credential_id,
        "FriendlyCredentialName": d.friendly_name,
        "RelyingPartyId": d.relying_party_id,
        "AuthenticatorTransports": d.transports,
        "CreatedAt": d.created_at,
    });
    if let Some(a) = &d.authenticator_attachment {
        out["AuthenticatorAttachment"] = json!(a);
    }
    out
}

/// The passkey actions, by the user's access token.
pub async fn run(svc: Uses<'_>, action: &str, i: &Value) -> ApiResult {
    let (pool, user, client_id) =
        super::auth_actions::access_token_user(svc.tokens, svc.directory, s(i, "AccessToken")).await?;
    match action {
        "StartWebAuthnRegistration" => {
            let options = svc.sign_in.start_passkey_registration(&pool, client_id.as_str(), &user).await?;
            Ok(json!({"CredentialCreationOptions": options}))
        }
        "CompleteWebAuthnRegistration" => {
            let credential = match &i["Credential"] {
                Value::Object(_) => i["Credential"].clone(),
                Value::String(text) => serde_json::from_str(text)
                    .map_err(|_| super::ApiError::new(400, "InvalidParameterException", "Credential is not JSON."))?,
                _ => return Err(missing("Credential")),
            };
            svc.sign_in.complete_passkey_registration(&pool, client_id.as_str(), &user, &credential).await?;
            Ok(json!({}))
        }
        "ListWebAuthnCredentials" => {
            let all = svc.sign_in.list_passkeys(&user).await?;
            let size = i["MaxResults"].as_u64().filter(|n| (1..=20).contains(n)).unwrap_or(20) as usize;
            let start = match i["NextToken"].as_str() {
                Some(t) => t.parse::<usize>().map_err(|_| {
                    super::ApiError::new(400, "InvalidParameterException", "The NextToken is not valid.")
                })?,
                None => 0,
            };
            let page: Vec<Value> = all.iter().skip(start).take(size).map(description).collect();
            let mut out = json!({"Credentials": page});
            if start + size < all.len() {
                out["NextToken"] = json!((start + size).to_string());
            }
            Ok(out)
        }
        "DeleteWebAuthnCredential" => {
            if s(i, "CredentialId").is_empty() {
                return Err(missing("CredentialId"));
            }
            svc.sign_in.delete_passkey(&user, s(i, "CredentialId")).await?;
            Ok(json!({}))
        }
        _ => Err(super::unsupported(action)),
    }
}

/// InitiateAuth with USER_AUTH.
pub(super) async fn initiate(svc: Uses<'_>, (pool, client): (&Pool, &Client), i: &Value, source: Source) -> ApiResult {
    let p = &i["AuthParameters"];
    let username = s(p, "USERNAME");
    if username.is_empty() {
        return Err(missing("USERNAME"));
    }
    client.authenticate_api(ClientProof::SecretHash { username, hash: p["SECRET_HASH"].as_str() })?;
    let attempt = UserAuthAttempt {
        username,
        factor: p["PREFERRED_CHALLENGE"].as_str(),
        password: p["PASSWORD"].as_str(),
        srp_a: p["SRP_A"].as_str(),
        metadata: Some(&i["ClientMetadata"]),
        hide: false,
    };
    let device = p["DEVICE_KEY"].as_str();
    let caller = Caller { source, lang: Lang::En, device };
    let step = svc.sign_in.user_auth_start(pool, client, attempt, caller).await?;
    render(svc, (pool, client), step, device, TokenCause::initiate()).await
}

/// RespondToAuthChallenge SELECT_CHALLENGE: `ANSWER` names the factor, with `PASSWORD` or
/// `SRP_A` when it needs one.
pub(super) async fn select(
    svc: Uses<'_>,
    (pool, client): (&Pool, &Client),
    i: &Value,
    caller: Caller<'_>,
) -> ApiResult {
    let r = &i["ChallengeResponses"];
    if s(r, "ANSWER").is_empty() {
        return Err(missing("ANSWER"));
    }
    let attempt = UserAuthAttempt {
        username: s(r, "USERNAME"),
        factor: r["ANSWER"].as_str(),
        password: r["PASSWORD"].as_str(),
        srp_a: r["SRP_A"].as_str(),
        metadata: Some(&i["ClientMetadata"]),
        hide: false,
    };
    let step = svc.sign_in.user_auth_select(pool, client, s(i, "Session"), attempt, caller).await?;
    render(svc, (pool, client), step, caller.device, TokenCause::respond(SELECT_CHALLENGE, i)).await
}

async fn render(
    svc: Uses<'_>,
    (pool, client): (&Pool, &Client),
    step: UserAuthStep,
    device: Option<&str>,
    cause: TokenCause,
) -> ApiResult {
    match step {
        UserAuthStep::Step(step) => outcome(svc, (pool, client), step, device, cause).await,
        UserAuthStep::Srp(c) => Ok(password_verifier(c)),
        UserAuthStep::Passkey { session, username, options } => Ok(json!({
            "ChallengeName": WEB_AUTHN,
            "Session": session,
            "ChallengeParameters": {"USERNAME": username, "CREDENTIAL_REQUEST_OPTIONS": options.to_string()},
        })),
        UserAuthStep::Select { session, username, available } => {
            let names: Vec<&str> = available.iter().map(|f| f.name()).collect();
            Ok(json!({
                "ChallengeName": SELECT_CHALLENGE,
                "Session": session,
                "ChallengeParameters": {"USERNAME": username},
                "AvailableChallenges": names,
            }))
        }
        // As a real EMAIL_OTP challenge renders ([`super::auth_actions`]).
        UserAuthStep::Code { session, username, destination } => Ok(json!({
            "ChallengeName": "EMAIL_OTP",
            "Session": session,
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": username,
                "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                "CODE_DELIVERY_DESTINATION": destination,
            },
        })),
    }
}
