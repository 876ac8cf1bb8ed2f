//! USER_AUTH through the API: InitiateAuth / AdminInitiateAuth with a `PREFERRED_CHALLENGE` or
//! none, and RespondToAuthChallenge SELECT_CHALLENGE with the factor chosen
//! ([`crate::userpool::user_auth`]). EMAIL_OTP codes are answered like any EMAIL_OTP challenge.

use super::auth_actions::{TokenCause, Uses, missing, outcome, password_verifier};
use super::{ApiResult, s};
use crate::i18n::Lang;
use crate::userpool::clients::ClientProof;
use crate::userpool::model::{Client, Pool};
use crate::userpool::throttle::{Caller, Source};
use crate::userpool::user_auth::{SELECT_CHALLENGE, UserAuthAttempt, UserAuthStep};
use serde_json::{Value, json};

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
