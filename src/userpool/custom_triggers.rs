//! The three triggers of CUSTOM_AUTH ([`super::custom_auth`]), with each `request` as Cognito
//! builds it: DefineAuthChallenge decides the next step from the challenges so far,
//! CreateAuthChallenge makes a challenge, VerifyAuthChallengeResponse checks an answer. Each
//! gets `userNotFound` (true for a name no user has, when the client hides unknown users; then
//! `userAttributes` is empty) and the caller's `clientMetadata`.

use super::error::{Error, Message, Result};
use super::model::Pool;
use super::user_triggers::event_attributes;
use crate::store::users::UserRow;
use crate::triggers::{Call, Trigger, TriggerError, Triggers, flag, with_client_metadata};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Whom a flow is for: the user, or only the name given when no user has it.
#[derive(Debug, Clone)]
pub struct Subject {
    pub user: Option<UserRow>,
    /// The user's username, or the name given.
    pub name: String,
}

impl Subject {
    /// `request` with `userAttributes`, `userNotFound` and the `clientMetadata`.
    fn request(&self, mut request: Value, metadata: &Map<String, Value>) -> Value {
        request["userAttributes"] = self.user.as_ref().map(event_attributes).unwrap_or_else(|| json!({}));
        request["userNotFound"] = json!(self.user.is_none());
        with_client_metadata(request, metadata)
    }
}

/// Who a trigger is called by, and about whom.
pub struct Context<'a> {
    pub triggers: &'a Triggers,
    pub pool: &'a Pool,
    pub client_id: &'a str,
    pub subject: &'a Subject,
    pub metadata: &'a Map<String, Value>,
}

impl Context<'_> {
    async fn invoke(&self, trigger: Trigger, source: &'static str, request: Value) -> Result<Map<String, Value>> {
        let call = Call {
            trigger,
            source,
            pool_id: &self.pool.id,
            user_name: &self.subject.name,
            client_id: Some(self.client_id),
            request: self.subject.request(request, self.metadata),
        };
        self.triggers.invoke(&self.pool.config, call).await?.ok_or_else(not_configured)
    }
}

/// What DefineAuthChallenge decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Fail,
    IssueTokens,
    /// Ask this challenge next (`CUSTOM_CHALLENGE`, or `PASSWORD_VERIFIER` after SRP_A).
    Challenge(String),
}

/// Cognito's refusal of CUSTOM_AUTH in a pool without the function it needs.
pub fn not_configured() -> Error {
    Error::InvalidParameter(Message::Text("Custom auth lambda trigger is not configured for the user pool.".into()))
}

fn invalid(trigger: Trigger) -> Error {
    TriggerError::InvalidResponse.into_error(trigger)
}

/// DefineAuthChallenge with the challenges so far (`session`).
pub async fn define(cx: &Context<'_>, session: &[Value]) -> Result<Decision> {
    let t = Trigger::DefineAuthChallenge;
    let r = cx.invoke(t, "DefineAuthChallenge_Authentication", json!({"session": session})).await?;
    if flag(&r, "failAuthentication", t)? {
        return Ok(Decision::Fail);
    }
    if flag(&r, "issueTokens", t)? {
        return Ok(Decision::IssueTokens);
    }
    match r.get("challengeName") {
        Some(Value::String(name)) if !name.is_empty() => Ok(Decision::Challenge(name.clone())),
        _ => Err(invalid(t)),
    }
}

/// A challenge CreateAuthChallenge made.
#[derive(Debug, Clone, PartialEq)]
pub struct Created {
    /// Shown to the client (strings only, as Cognito's ChallengeParameters).
    pub public: BTreeMap<String, String>,
    /// Kept on the server for VerifyAuthChallengeResponse.
    pub private: Value,
    /// For the next DefineAuthChallenge's session entry (null when none).
    pub metadata: Value,
}

/// CreateAuthChallenge for `challenge_name`, with the challenges so far.
pub async fn create(cx: &Context<'_>, challenge_name: &str, session: &[Value]) -> Result<Created> {
    let t = Trigger::CreateAuthChallenge;
    let request = json!({"challengeName": challenge_name, "session": session});
    let r = cx.invoke(t, "CreateAuthChallenge_Authentication", request).await?;
    let public = match r.get("publicChallengeParameters") {
        None | Some(Value::Null) => BTreeMap::new(),
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
            .collect::<Option<_>>()
            .ok_or_else(|| invalid(t))?,
        Some(_) => return Err(invalid(t)),
    };
    let private = match r.get("privateChallengeParameters") {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v.clone(),
        Some(_) => return Err(invalid(t)),
    };
    let metadata = match r.get("challengeMetadata") {
        None | Some(Value::Null) => Value::Null,
        Some(v @ Value::String(_)) => v.clone(),
        Some(_) => return Err(invalid(t)),
    };
    Ok(Created { public, private, metadata })
}

/// VerifyAuthChallengeResponse: whether `answer` is right for the challenge's private
/// parameters.
pub async fn verify(cx: &Context<'_>, private: &Value, answer: &str) -> Result<bool> {
    let t = Trigger::VerifyAuthChallengeResponse;
    let request = json!({"privateChallengeParameters": private, "challengeAnswer": answer});
    let r = cx.invoke(t, "VerifyAuthChallengeResponse_Authentication", request).await?;
    flag(&r, "answerCorrect", t)
}

/// One entry of DefineAuthChallenge's `session`.
pub fn session_entry(challenge_name: &str, result: bool, metadata: &Value) -> Value {
    json!({"challengeName": challenge_name, "challengeResult": result, "challengeMetadata": metadata})
}
