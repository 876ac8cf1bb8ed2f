//! Triggers: a pool's `LambdaConfig` functions, invoked with Cognito's event JSON.
//!
//! [`Triggers::invoke`] builds the event envelope exactly as Cognito does (`version` "1",
//! `triggerSource`, `region`, `userPoolId`, `userName`, `callerContext {awsSdkVersion,
//! clientId}`, `request`, `response`), sends it by the ARN's route ([`transport`]: the AWS
//! Lambda Invoke API, or a Standard Webhooks endpoint) with a 5 s timeout and no redirects, and
//! hands back the function's `response`. A function that cannot be reached or is busy (refused
//! connection, 5xx, 429) is tried up to three times within those 5 s, as Cognito does; a
//! function's error is never tried again. Failures become Cognito's exceptions
//! ([`TriggerError::into_error`]): a function error is `UserLambdaValidationException`
//! "{Trigger} failed with error {errorMessage}.", a timeout, refused connection, 5xx or missing
//! endpoint `UnexpectedLambdaException`, an answer that is not the event
//! `InvalidLambdaResponseException`.
//!
//! Every call is an event in the event log (type `Trigger`: trigger, source, latency, result) and
//! is counted in `/metrics` (`portcullis_trigger_calls_total{trigger,outcome}`,
//! `portcullis_trigger_call_duration_seconds`).
//!
//! Post-* triggers (PostConfirmation, PostAuthentication) follow a change already written: their
//! failure is queued in the database ([`retry`]) and retried by the retry worker, and the request
//! they follow still succeeds (see [`Triggers::after`]). The user flows call them from
//! `crate::userpool::user_triggers`, token issuance from `crate::tokens::pre_token`.
//!
//! CustomEmailSender ([`sender`]) gets the codes the server would mail, encrypted, and is not
//! waited for; its failed calls are queued the same way.

pub mod arn;
pub mod retry;
pub mod sender;
pub mod transport;

use crate::clock::Clock;
use crate::config::TriggerConfig;
use crate::events::{AuthEvent, AuthEventType, Events, Outcome, Reason};
use crate::ids::PoolId;
use crate::store::Store;
use crate::userpool::error::{Error, Message};
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// How long a function may take, every attempt included.
pub const TIMEOUT_SECS: u64 = 5;
/// Attempts at a call whose function could not be reached or was busy
/// ([`TriggerError::Unavailable`]), as Cognito's three; a function's error, a timeout or a bad
/// answer is never tried again.
pub const ATTEMPTS: u32 = 3;
/// The pause before the second attempt; it doubles before the third.
const RETRY_PAUSE_MS: u64 = 100;

/// The triggers this server invokes, by their `LambdaConfig` member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    PreSignUp,
    PostConfirmation,
    PreAuthentication,
    PostAuthentication,
    PreTokenGeneration,
    UserMigration,
    CustomMessage,
    CustomEmailSender,
    DefineAuthChallenge,
    CreateAuthChallenge,
    VerifyAuthChallengeResponse,
}

impl Trigger {
    /// The `LambdaConfig` member, also the name in error messages and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::PreSignUp => "PreSignUp",
            Trigger::PostConfirmation => "PostConfirmation",
            Trigger::PreAuthentication => "PreAuthentication",
            Trigger::PostAuthentication => "PostAuthentication",
            Trigger::PreTokenGeneration => "PreTokenGeneration",
            Trigger::UserMigration => "UserMigration",
            Trigger::CustomMessage => "CustomMessage",
            Trigger::CustomEmailSender => "CustomEmailSender",
            Trigger::DefineAuthChallenge => "DefineAuthChallenge",
            Trigger::CreateAuthChallenge => "CreateAuthChallenge",
            Trigger::VerifyAuthChallengeResponse => "VerifyAuthChallengeResponse",
        }
    }

    pub fn parse(s: &str) -> Option<Trigger> {
        [
            Trigger::PreSignUp,
            Trigger::PostConfirmation,
            Trigger::PreAuthentication,
            Trigger::PostAuthentication,
            Trigger::PreTokenGeneration,
            Trigger::UserMigration,
            Trigger::CustomMessage,
            Trigger::CustomEmailSender,
            Trigger::DefineAuthChallenge,
            Trigger::CreateAuthChallenge,
            Trigger::VerifyAuthChallengeResponse,
        ]
        .into_iter()
        .find(|t| t.name() == s)
    }
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerError {
    /// The function answered with an error: its `errorMessage`.
    Refused(String),
    /// The call did not complete (timeout, no endpoint, an answer no retry mends): what happened.
    Unexpected(String),
    /// The function could not be reached or was busy (connection refused, a 5xx, throttled with
    /// 429): what happened. Tried again within the time budget ([`ATTEMPTS`]).
    Unavailable(String),
    /// The answer is not the event with a well-formed `response`.
    InvalidResponse,
}

impl TriggerError {
    /// The result word of events and metrics.
    pub fn outcome(&self) -> &'static str {
        match self {
            TriggerError::Refused(_) => "refused",
            TriggerError::Unexpected(_) | TriggerError::Unavailable(_) => "unexpected",
            TriggerError::InvalidResponse => "invalid_response",
        }
    }

    /// Cognito's exception for a failed call of `trigger`.
    pub fn into_error(self, trigger: Trigger) -> Error {
        let name = trigger.name();
        match self {
            TriggerError::Refused(m) => {
                Error::UserLambdaValidation(Message::Text(format!("{name} failed with error {m}.")))
            }
            TriggerError::Unexpected(m) | TriggerError::Unavailable(m) => {
                Error::UnexpectedLambda(Message::Text(format!("{name} invocation failed due to error {m}.")))
            }
            TriggerError::InvalidResponse => {
                Error::InvalidLambdaResponse(Message::Text("Unrecognizable lambda output".into()))
            }
        }
    }
}

/// One invocation: which trigger, why, about whom, and its `request`.
pub struct Call<'a> {
    pub trigger: Trigger,
    /// `triggerSource`, e.g. `PreSignUp_SignUp`.
    pub source: &'static str,
    pub pool_id: &'a PoolId,
    pub user_name: &'a str,
    pub client_id: Option<&'a str>,
    /// The `request` member (`userAttributes`, …).
    pub request: Value,
}

/// The function ARN `pool_document` (a pool's stored document) names for `trigger`.
pub fn arn_of(pool_document: &Value, trigger: Trigger) -> Option<&str> {
    pool_document.get("LambdaConfig")?.get(trigger.name())?.as_str().filter(|s| !s.is_empty())
}

/// `ClientMetadata` as the event's `clientMetadata` (strings only), absent when empty.
pub fn with_client_metadata(mut request: Value, metadata: &Map<String, Value>) -> Value {
    if !metadata.is_empty() {
        request["clientMetadata"] = Value::Object(metadata.clone());
    }
    request
}

/// The trigger service: the HTTP client, where functions live, and the event log.
pub struct Triggers {
    http: reqwest::Client,
    config: TriggerConfig,
    region: String,
    store: Store,
    clock: Arc<dyn Clock>,
    events: Arc<Events>,
    /// The CustomEmailSender keys, by KMSKeyID ARN ([`sender`]).
    sender_keys: sender::SenderKeys,
}

impl Triggers {
    /// With the federation's HTTP client set-up (rustls, no redirects) and a 5 s timeout.
    pub fn new(
        config: &crate::config::Config,
        store: Store,
        clock: Arc<dyn Clock>,
        events: Arc<Events>,
    ) -> anyhow::Result<Self> {
        let http = crate::federation::http_client(TIMEOUT_SECS)?;
        let sender_keys = sender::load_keys(&config.triggers.sender_keys).map_err(anyhow::Error::msg)?;
        let (config, region) = (config.triggers.clone(), config.region.clone());
        Ok(Triggers { http, config, region, store, clock, events, sender_keys })
    }

    /// The event Cognito sends for `call`.
    pub fn event(&self, call: &Call) -> Value {
        json!({
            "version": "1",
            "triggerSource": call.source,
            "region": self.region,
            "userPoolId": call.pool_id.as_str(),
            "userName": call.user_name,
            "callerContext": {
                "awsSdkVersion": concat!("portcullis-", env!("CARGO_PKG_VERSION")),
                "clientId": call.client_id.unwrap_or("CLIENT_ID_NOT_APPLICABLE"),
            },
            "request": call.request,
            "response": {},
        })
    }

    /// Invoke the pool's function for `call.trigger`: `Ok(None)` when the pool has none, the
    /// function's `response` object otherwise.
    pub async fn invoke(&self, pool_document: &Value, call: Call<'_>) -> Result<Option<Map<String, Value>>, Error> {
        let Some(arn) = arn_of(pool_document, call.trigger) else {
            return Ok(None);
        };
        let event = self.event(&call);
        self.send(arn, call.trigger, call.pool_id, &event).await.map(Some).map_err(|e| e.into_error(call.trigger))
    }

    /// Invoke the function `arn` (a trigger whose ARN is not a plain `LambdaConfig` member):
    /// its `response` object.
    pub async fn invoke_arn(&self, arn: &str, call: Call<'_>) -> Result<Map<String, Value>, Error> {
        let event = self.event(&call);
        self.invoke_event(arn, call.trigger, call.pool_id, &event).await
    }

    /// Invoke the function `arn` with an `event` built from [`Self::event`] and then adjusted
    /// (another `version`, a member left out): its `response` object.
    pub async fn invoke_event(
        &self,
        arn: &str,
        trigger: Trigger,
        pool_id: &PoolId,
        event: &Value,
    ) -> Result<Map<String, Value>, Error> {
        self.send(arn, trigger, pool_id, event).await.map_err(|e| e.into_error(trigger))
    }

    /// Invoke a post-* trigger after its change is written. A failure does not fail the request:
    /// the change has happened, and an error would make the caller retry what succeeded.
    /// (Cognito reports the function's error though its change stands; this server departs from
    /// it on purpose.) The event is queued in the database instead and the retry worker retries it
    /// with backoff ([`retry`]), on one node, across restarts.
    pub async fn after(&self, pool_document: &Value, call: Call<'_>) {
        let Some(arn) = arn_of(pool_document, call.trigger) else {
            return;
        };
        let event = self.event(&call);
        if let Err(e) = self.send(arn, call.trigger, call.pool_id, &event).await {
            self.queue(call.pool_id, call.trigger, arn, &event, &e).await;
        }
    }

    /// Send `event` to `arn`, record the call, and return the `response` object.
    async fn send(
        &self,
        arn: &str,
        trigger: Trigger,
        pool_id: &PoolId,
        event: &Value,
    ) -> Result<Map<String, Value>, TriggerError> {
        let at = std::time::Instant::now();
        let r = self.exchange(arn, event).await;
        let seconds = at.elapsed().as_secs_f64();
        let outcome = match &r {
            Ok(_) => "ok",
            Err(e) => e.outcome(),
        };
        crate::metrics::trigger_call(trigger.name(), outcome, seconds);
        let details = json!({
            "trigger": trigger.name(),
            "source": event["triggerSource"],
            "latency_ms": (seconds * 1000.0).round() as i64,
            "result": outcome,
        });
        let e = match &r {
            Ok(_) => AuthEvent::new(pool_id, AuthEventType::Trigger, Outcome::Pass),
            Err(TriggerError::Refused(_)) => AuthEvent::failed(pool_id, AuthEventType::Trigger, Reason::TriggerRefused),
            Err(_) => AuthEvent::failed(pool_id, AuthEventType::Trigger, Reason::TriggerFailed),
        };
        let e = e.username(event["userName"].as_str().unwrap_or_default());
        self.events.record_auth(e.details(details)).await;
        if let Err(e) = &r {
            tracing::info!(trigger = trigger.name(), result = e.outcome(), "trigger call failed");
        }
        r
    }

    /// One call, in up to [`ATTEMPTS`] attempts while the function is unavailable, all within
    /// [`TIMEOUT_SECS`].
    async fn exchange(&self, arn: &str, event: &Value) -> Result<Map<String, Value>, TriggerError> {
        use std::time::Duration;
        let route = transport::route(&self.config, arn)?;
        let body = serde_json::to_vec(event).map_err(|_| TriggerError::InvalidResponse)?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(TIMEOUT_SECS);
        let mut pause = Duration::from_millis(RETRY_PAUSE_MS);
        let mut attempt = 1;
        let answer = loop {
            let send = transport::send(&self.http, &self.config, &route, body.clone(), self.clock.now());
            let r = match tokio::time::timeout_at(deadline, send).await {
                Ok(r) => r,
                Err(_) => Err(TriggerError::Unexpected(transport::TIMED_OUT.into())),
            };
            match r {
                Err(TriggerError::Unavailable(_))
                    if attempt < ATTEMPTS && tokio::time::Instant::now() + pause < deadline =>
                {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                r => break r?,
            }
        };
        match answer.get("response") {
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(Value::Null) | None if answer.is_object() => Ok(Map::new()),
            _ => Err(TriggerError::InvalidResponse),
        }
    }
}

/// Member `name` of a `response` as a flag: absent or null is false, a non-boolean is an
/// invalid response.
pub fn flag(response: &Map<String, Value>, name: &str, trigger: Trigger) -> Result<bool, Error> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(TriggerError::InvalidResponse.into_error(trigger)),
    }
}
