//! CUSTOM_AUTH in the sign-in engine: the pool's DefineAuthChallenge function leads the flow,
//! CreateAuthChallenge makes each CUSTOM_CHALLENGE and VerifyAuthChallengeResponse checks each
//! answer ([`super::custom_triggers`]). API sign-ins only: the hosted pages have no custom
//! authentication, as in Cognito.
//!
//! The flow's state (the session list DefineAuthChallenge gets, the private challenge
//! parameters) stays on the server, in a `custom_auth_sessions` row behind the client's
//! Session; each answer spends its row and the next challenge opens a new one, so a Session
//! answers once, and only within the client's AuthSessionValidity. A flow may start with SRP
//! (`CHALLENGE_NAME=SRP_A`): DefineAuthChallenge then gets `[SRP_A]` and may ask
//! PASSWORD_VERIFIER, checked by [`super::srp_sign_in`] (counted by the lockout like any
//! password), whose pending row carries the flow on.
//!
//! For a name no user has, when the client hides unknown users, the flow runs all the same with
//! `userNotFound` set: the functions see it and the caller cannot tell. Tokens are never issued
//! to nobody. Tokens come straight from the flow (no MFA after it, as Cognito); the account
//! checks of a password sign-in still apply, and PreTokenGeneration and PostAuthentication run
//! as for every sign-in.

use super::SignIn;
use super::auth::{incorrect, session_expired};
use super::custom_triggers::{self as custom, Context, Decision, Subject, session_entry};
use super::error::{Error, Message, Result};
use super::model::{Client, Pool};
use super::sign_in_events::Who;
use super::srp;
use super::srp_sign_in::{PASSWORD_VERIFIER, SrpChallenge};
use super::step::{CUSTOM_CHALLENGE, Challenge, SignInStep};
use super::throttle::{Caller, SourceLimit};
use super::user_triggers::{TriggerInput, pre_authentication};
use crate::crypto::{SecretToken, TokenHash};
use crate::ids::Username;
use crate::store::custom_auth::CustomAuthRow;
use crate::store::users::UserRow;
use crate::triggers::{Trigger, TriggerError, arn_of};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The most challenges one flow may hold: DefineAuthChallenge asking for more fails it.
pub const MAX_CHALLENGES: usize = 10;

/// The `challengeName` of the first entry when a flow starts with SRP.
pub const SRP_A: &str = "SRP_A";

/// InitiateAuth CUSTOM_AUTH, as the request gives it.
#[derive(Debug, Clone, Copy)]
pub struct CustomAttempt<'a> {
    /// The username or an alias.
    pub username: &'a str,
    /// SRP_A when the flow starts with SRP (`CHALLENGE_NAME=SRP_A`).
    pub srp_a: Option<&'a str>,
    /// `ClientMetadata`.
    pub metadata: Option<&'a Value>,
}

/// RespondToAuthChallenge CUSTOM_CHALLENGE, as the request gives it.
#[derive(Debug, Clone, Copy)]
pub struct CustomAnswer<'a> {
    pub session: &'a str,
    pub username: &'a str,
    pub answer: &'a str,
    pub metadata: Option<&'a Value>,
}

/// Where a custom flow stands.
#[derive(Debug)]
pub enum CustomStep {
    /// Signed in, or a user's next CUSTOM_CHALLENGE ([`Challenge::Custom`]).
    Step(SignInStep),
    /// The flow started with SRP and DefineAuthChallenge asked for the password proof.
    Verifier(SrpChallenge),
    /// A CUSTOM_CHALLENGE for a name no user has: answered as a user's would be.
    Nobody { session: String, username: String, parameters: BTreeMap<String, String> },
}

fn metadata_of(metadata: Option<&Value>) -> Map<String, Value> {
    TriggerInput::from_api(&Value::Null, metadata.unwrap_or(&Value::Null)).client_metadata
}

fn details() -> Value {
    json!({"flow": "CUSTOM_AUTH"})
}

impl SignIn {
    /// InitiateAuth / AdminInitiateAuth CUSTOM_AUTH: PreAuthentication, then what
    /// DefineAuthChallenge decides. An unknown user is UserNotFoundException unless the client
    /// hides unknown users. Recorded as a SignIn event.
    pub async fn custom_start(
        &self,
        pool: &Pool,
        client: &Client,
        attempt: CustomAttempt<'_>,
        caller: Caller<'_>,
    ) -> Result<CustomStep> {
        let step = self.custom_first(pool, client, attempt, caller).await;
        self.record_custom(pool, client, caller, &step, attempt.username).await;
        step
    }

    async fn custom_first(
        &self,
        pool: &Pool,
        client: &Client,
        attempt: CustomAttempt<'_>,
        caller: Caller<'_>,
    ) -> Result<CustomStep> {
        if arn_of(&pool.config, Trigger::DefineAuthChallenge).is_none() {
            return Err(custom::not_configured());
        }
        self.limit_source(SourceLimit::SignIn, caller.source).await?;
        let big_a = match attempt.srp_a {
            Some(a) => Some(
                srp::parse_client_public(a)
                    .ok_or_else(|| Error::InvalidParameter(Message::Text("SRP_A is not a valid value.".into())))?,
            ),
            None => None,
        };
        let hide = client.prevents_user_existence_errors();
        let found = self.users.find_user(pool, &Username::from(attempt.username)).await?;
        if found.is_none() && !hide {
            return Err(Error::UserNotFound("User does not exist.".into()));
        }
        let input = TriggerInput::from_api(&Value::Null, attempt.metadata.unwrap_or(&Value::Null));
        let id = client.id.as_str();
        pre_authentication(&self.triggers, pool, id, found.as_ref(), attempt.username, &input.as_validation_data())
            .await?;
        let name = found.as_ref().map(|u| u.username.to_string()).unwrap_or_else(|| attempt.username.to_string());
        let subject = Subject { user: found, name };
        let metadata = metadata_of(attempt.metadata);
        let session = match big_a {
            Some(_) => vec![session_entry(SRP_A, true, &Value::Null)],
            None => vec![],
        };
        let cx = self.custom_context(pool, client, &subject, &metadata);
        let decision = custom::define(&cx, &session).await?;
        if let (Some(a), Decision::Challenge(name)) = (&big_a, &decision)
            && name == PASSWORD_VERIFIER
        {
            // The flow goes on after the proof, in the PASSWORD_VERIFIER row.
            let flow = json!({"session": session, "client_metadata": metadata});
            let user = subject.user.clone();
            let verifier = user.as_ref().and_then(|u| self.passwords.open_srp_verifier(u));
            let a = srp::to_hex(a);
            let c = self.srp_open(pool, client, user.zip(verifier), &subject.name, &a, hide, flow).await?;
            return Ok(CustomStep::Verifier(c));
        }
        self.custom_decided(&cx, client, decision, session).await
    }

    /// After the SRP proof of a flow that started with SRP_A (`flow`: what the
    /// PASSWORD_VERIFIER row kept): DefineAuthChallenge with PASSWORD_VERIFIER passed.
    pub(super) async fn custom_after_password(
        &self,
        pool: &Pool,
        client: &Client,
        user: UserRow,
        flow: &Value,
    ) -> Result<SignInStep> {
        let mut session = flow["session"].as_array().cloned().unwrap_or_default();
        session.push(session_entry(PASSWORD_VERIFIER, true, &Value::Null));
        let metadata = flow["client_metadata"].as_object().cloned().unwrap_or_default();
        let subject = Subject { name: user.username.to_string(), user: Some(user) };
        let cx = self.custom_context(pool, client, &subject, &metadata);
        let decision = custom::define(&cx, &session).await?;
        match self.custom_decided(&cx, client, decision, session).await? {
            CustomStep::Step(step) => Ok(step),
            // A known user's flow never answers as nobody's, nor asks SRP twice.
            CustomStep::Nobody { .. } | CustomStep::Verifier(_) => Err(incorrect()),
        }
    }

    /// RespondToAuthChallenge CUSTOM_CHALLENGE: VerifyAuthChallengeResponse on the answer, then
    /// what DefineAuthChallenge decides with it added. Recorded as a SignIn event.
    pub async fn custom_respond(
        &self,
        pool: &Pool,
        client: &Client,
        answer: CustomAnswer<'_>,
        caller: Caller<'_>,
    ) -> Result<CustomStep> {
        let step = self.custom_answer(pool, client, answer, caller).await;
        self.record_custom(pool, client, caller, &step, answer.username).await;
        step
    }

    async fn custom_answer(
        &self,
        pool: &Pool,
        client: &Client,
        answer: CustomAnswer<'_>,
        caller: Caller<'_>,
    ) -> Result<CustomStep> {
        self.limit_source(SourceLimit::SignIn, caller.source).await?;
        let now = self.now();
        let row = self.store.take_custom_auth(&TokenHash::of(answer.session), now).await?;
        let row = row.filter(|r| r.client_id == client.id && r.pool_id == pool.id).ok_or_else(session_expired)?;
        let named = self.users.find_user(pool, &Username::from(answer.username)).await?;
        // The answer must name the flow's subject.
        let subject = match (&row.user_id, named) {
            (Some(id), Some(u)) if u.id == *id => Subject { name: u.username.to_string(), user: Some(u) },
            (None, None) if pool.lookup_key(answer.username) == pool.lookup_key(&row.username) => {
                Subject { user: None, name: row.username.clone() }
            }
            _ => return Err(incorrect()),
        };
        let metadata = metadata_of(answer.metadata);
        let cx = self.custom_context(pool, client, &subject, &metadata);
        let right = custom::verify(&cx, &row.data["private"], answer.answer).await?;
        let mut session = row.data["session"].as_array().cloned().unwrap_or_default();
        session.push(session_entry(CUSTOM_CHALLENGE, right, &row.data["metadata"]));
        let decision = custom::define(&cx, &session).await?;
        self.custom_decided(&cx, client, decision, session).await
    }

    fn custom_context<'a>(
        &'a self,
        pool: &'a Pool,
        client: &'a Client,
        subject: &'a Subject,
        metadata: &'a Map<String, Value>,
    ) -> Context<'a> {
        Context { triggers: &self.triggers, pool, client_id: client.id.as_str(), subject, metadata }
    }

    /// Carry out what DefineAuthChallenge decided, `session` being the challenges so far.
    async fn custom_decided(
        &self,
        cx: &Context<'_>,
        client: &Client,
        decision: Decision,
        session: Vec<Value>,
    ) -> Result<CustomStep> {
        let name = match decision {
            Decision::Fail => return Err(incorrect()),
            Decision::IssueTokens => {
                let user = cx.subject.user.clone().ok_or_else(incorrect)?;
                return self.custom_signed_in(user).map(CustomStep::Step);
            }
            Decision::Challenge(name) if name == CUSTOM_CHALLENGE => name,
            // PASSWORD_VERIFIER only right after SRP_A; nothing else is a challenge here.
            Decision::Challenge(_) => {
                return Err(TriggerError::InvalidResponse.into_error(Trigger::DefineAuthChallenge));
            }
        };
        if session.len() >= MAX_CHALLENGES {
            return Err(incorrect());
        }
        let created = custom::create(cx, &name, &session).await?;
        let data = json!({"session": session, "private": created.private, "metadata": created.metadata});
        let secret = SecretToken::generate();
        self.store
            .insert_custom_auth(&CustomAuthRow {
                id_hash: secret.hash(),
                pool_id: cx.pool.id.clone(),
                client_id: client.id.clone(),
                user_id: cx.subject.user.as_ref().map(|u| u.id.clone()),
                username: cx.subject.name.clone(),
                data,
                expires_at: self.now() + client.settings.auth_session_minutes * 60,
                used_at: None,
            })
            .await?;
        let session = secret.into_clear();
        let parameters = created.public;
        Ok(match cx.subject.user.clone() {
            Some(user) => {
                CustomStep::Step(SignInStep::Challenge { session, user, challenge: Challenge::Custom(parameters) })
            }
            None => CustomStep::Nobody { session, username: cx.subject.name.clone(), parameters },
        })
    }

    /// The account checks of a password sign-in, then tokens: a custom flow asks no second
    /// factor and no new password.
    fn custom_signed_in(&self, user: UserRow) -> Result<SignInStep> {
        if !user.enabled {
            return Err(Error::NotAuthorized(Message::UserDisabled));
        }
        match user.status.as_str() {
            "UNCONFIRMED" => Err(Error::UserNotConfirmed(Message::NotConfirmed)),
            "RESET_REQUIRED" => Err(Error::PasswordResetRequired(Message::ResetRequired)),
            _ => Ok(SignInStep::Authenticated { user, auth_time: self.now() }),
        }
    }

    /// Record a custom step as a SignIn event: signed in, a user's next challenge, or a failure
    /// (for the name given). The SRP proof records its own; a flow for nobody records its failure.
    async fn record_custom(
        &self,
        pool: &Pool,
        client: &Client,
        caller: Caller<'_>,
        step: &Result<CustomStep>,
        name: &str,
    ) {
        let step = match step {
            Ok(CustomStep::Step(s)) => Ok(s),
            Ok(CustomStep::Verifier(_) | CustomStep::Nobody { .. }) => return,
            Err(e) => Err(e),
        };
        self.record_sign_in(pool, client, caller, step, &[], None, details(), Who::Named(name)).await
    }
}
