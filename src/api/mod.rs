//! The Cognito JSON protocol (AWS JSON 1.1) on `POST /`: `X-Amz-Target` names the service
//! (`cognito-idp` or `cognito-identity`) and the action, SigV4 is verified for the actions
//! Cognito signs, input is validated against the service model, and every error is
//! `{"__type","message"}`. One file per action group.
//!
//! `POST /` with a form body (`application/x-www-form-urlencoded`) is the AWS Query protocol
//! instead — IAM and STS, XML answers — in [`query`].

mod auth_actions;
mod branding_actions;
mod client_shapes;
mod device_actions;
mod event_actions;
mod iam_actions;
mod identity_actions;
mod identity_shapes;
mod import_actions;
mod mfa_actions;
pub mod model;
mod pool_actions;
mod pool_input;
mod profile_actions;
mod provider_actions;
pub mod query;
mod render;
mod signup_actions;
pub mod sigv4;
mod sts_actions;
mod terms_actions;
mod user_actions;
mod user_auth_actions;
pub mod xml;

use crate::ids::{ClientId, PoolId, Username};
use crate::services::Services;
use crate::userpool::directory::{client_not_found, pool_not_found};
use crate::userpool::error::Error;
use crate::userpool::throttle::Source;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};
use std::sync::Arc;
use tracing::Instrument;

pub const IDP_PREFIX: &str = "AWSCognitoIdentityProviderService.";
/// Identity pools (`cognito-identity`).
pub const IDENTITY_PREFIX: &str = "AWSCognitoIdentityService.";
/// Largest accepted request body.
pub const MAX_BODY: usize = 1024 * 1024;

/// An error in the protocol's own format.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub type_name: &'static str,
    pub message: String,
    /// Seconds for `Retry-After` (the database unavailable).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: u16, type_name: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            type_name,
            message: message.into(),
            retry_after: None,
        }
    }

    /// An internal failure: 503 with `Retry-After` when the database is unavailable (AWS SDKs
    /// retry it), otherwise an opaque 500. The cause is logged, never shown.
    pub fn internal(cause: &anyhow::Error, surface: &str) -> Self {
        if crate::store::unavailable(cause) {
            tracing::warn!(error = %cause, "{surface}: the database is unavailable");
            let mut e = ApiError::new(503, "InternalErrorException", crate::web::UNAVAILABLE);
            e.retry_after = Some(crate::store::RETRY_AFTER_SECS);
            return e;
        }
        tracing::error!(error = ?cause, "internal error in {surface}");
        ApiError::new(500, "InternalErrorException", "An internal error occurred.")
    }

    pub fn response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status);
        if let Some(secs) = self.retry_after {
            resp.insert_header((actix_web::http::header::RETRY_AFTER, secs.to_string()));
        }
        resp.insert_header(("x-amzn-ErrorType", self.type_name))
            .insert_header(("x-amzn-RequestId", uuid::Uuid::new_v4().to_string()))
            .content_type("application/x-amz-json-1.1")
            .body(json!({"__type": self.type_name, "message": self.message}).to_string())
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        match &e {
            Error::Internal(cause) => ApiError::internal(cause, "the Cognito API"),
            Error::NotAuthorized(m) => ApiError::new(400, e.type_name(), m.to_string()),
            other => ApiError::new(400, other.type_name(), other.to_string()),
        }
    }
}

pub type ApiResult = Result<Value, ApiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/")
            .wrap(crate::web::cors())
            // The AWS Query protocol (IAM, STS) is told apart by its form body.
            .route(web::post().guard(actix_web::guard::fn_guard(query::is_query)).to(query::handle))
            .route(web::post().to(handle))
            .route(web::method(actix_web::http::Method::OPTIONS).to(crate::web::preflight)),
    );
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

async fn handle(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let Some(body) = crate::web::read_body(payload, MAX_BODY).await else {
        return ApiError::new(413, "SerializationException", "Request body is too large.").response();
    };
    match dispatch(&req, &body, &svc).await {
        Ok(v) => HttpResponse::Ok()
            .insert_header(("x-amzn-RequestId", uuid::Uuid::new_v4().to_string()))
            .content_type("application/x-amz-json-1.1")
            .body(v.to_string()),
        Err(e) => e.response(),
    }
}

async fn dispatch(req: &HttpRequest, body: &[u8], svc: &Services) -> ApiResult {
    let h = req.headers();
    let Some(target) = header(h, "x-amz-target") else {
        return Err(ApiError::new(400, "UnknownOperationException", "Missing X-Amz-Target header."));
    };
    let content_type = header(h, "content-type").unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(mime.as_str(), "application/x-amz-json-1.1" | "application/x-amz-json-1.0" | "application/json") {
        return Err(ApiError::new(
            400,
            "SerializationException",
            "Unsupported Content-Type; use application/x-amz-json-1.1.",
        ));
    }
    let (action, model, identity) = if let Some(a) = target.strip_prefix(IDP_PREFIX) {
        (a, model::Model::get(), false)
    } else if let Some(a) = target.strip_prefix(IDENTITY_PREFIX) {
        (a, model::Model::identity(), true)
    } else {
        return Err(ApiError::new(400, "UnknownOperationException", "Unknown operation."));
    };
    let Some(signed) = model.action(action) else {
        return Err(ApiError::new(400, "UnknownOperationException", format!("Unknown operation {action}.")));
    };
    let operator_key = if signed { Some(authenticate(req, body, svc).await?) } else { None };
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::new(400, "SerializationException", "Request body is not valid UTF-8."))?;
    let input: Value = if text.trim().is_empty() {
        json!({})
    } else {
        serde_json::from_str(text)
            .map_err(|_| ApiError::new(400, "SerializationException", "Request body is not valid JSON."))?
    };
    model.validate(action, &input).map_err(|e| match e {
        model::Invalid::Serialization(m) => ApiError::new(400, "SerializationException", m),
        // Cognito user pools word a broken constraint as their own InvalidParameterException;
        // Cognito identity answers AWS's ValidationException.
        model::Invalid::Constraints(m) if identity => ApiError::new(400, "ValidationException", m),
        model::Invalid::Constraints(m) => ApiError::new(400, "InvalidParameterException", m),
    })?;
    // Who asks, for the per-address limits of the account actions: a signed call comes from
    // the operator's own back end.
    let source =
        if signed { Source::Operator } else { Source::Address(crate::web::client::client_ip(req, &svc.config)) };
    if identity {
        refuse_system_pool_logins(svc, &input)?;
    } else {
        refuse_system_pool(svc, &input).await?;
    }
    // The pool and client a call names go on every line it logs (ids, never secrets).
    // Only well-formed ids: a client's text never reaches the log as it was sent.
    let pool = input["UserPoolId"].as_str().and_then(PoolId::parse).map(|p| p.to_string()).unwrap_or_default();
    let client = input["ClientId"].as_str().and_then(ClientId::parse).map(|c| c.to_string()).unwrap_or_default();
    let span = tracing::info_span!("api", action, pool, client);
    let answer = run_action(svc, action, &input, identity, source).instrument(span).await;
    if let (Ok(_), Some(key)) = (&answer, &operator_key)
        && changes_something(action)
    {
        audit(req, svc, action, key, &input).await;
    }
    answer
}

/// Whether a signed action changes something (and so goes to the audit trail): everything but
/// the reads, and the administrator's sign-in steps (sign-in events record those).
pub(super) fn changes_something(action: &str) -> bool {
    let reads = ["Describe", "List", "Get", "AdminGet", "AdminList", "Lookup"];
    !reads.iter().any(|p| action.starts_with(p))
        && !matches!(action, "AdminInitiateAuth" | "AdminRespondToAuthChallenge")
}

/// Record a management call in the audit trail: the access key, the action, the pool and the
/// target it names, and its input with every secret-named member redacted by the event log.
async fn audit(req: &HttpRequest, svc: &Services, action: &str, key: &str, input: &Value) {
    let pool = input["UserPoolId"].as_str().and_then(PoolId::parse);
    let mut e = crate::events::AuditEvent::new(pool.as_ref(), action, &format!("key:{key}"));
    // Targets are named as the dashboard's audit names them (`user:NAME`, `client:ID`, …).
    let kinds = [
        ("Username", "user"),
        ("ClientId", "client"),
        ("GroupName", "group"),
        ("ProviderName", "provider"),
        ("Identifier", "resource-server"),
        ("IdentityPoolId", "identity-pool"),
        ("RoleName", "role"),
        ("Domain", "domain"),
        ("TermsId", "terms"),
    ];
    e.target = kinds
        .iter()
        .find_map(|(k, kind)| input[*k].as_str().map(|v| format!("{kind}:{v}")))
        .or_else(|| pool.as_ref().map(|p| format!("pool:{p}")));
    e.ip = Some(crate::web::client::client_ip(req, &svc.config));
    let mut input = input.clone();
    if let Some(m) = input.as_object_mut() {
        m.remove("ImageFile"); // a logo's bytes: large, and not a setting to compare
    }
    e.details = json!({"input": input});
    svc.events.record_audit(e).await;
}

async fn run_action(svc: &Services, action: &str, input: &Value, identity: bool, source: Source) -> ApiResult {
    if identity {
        identity_actions::run(identity_actions::Uses::of(svc), action, input).await
    } else if pool_actions::ACTIONS.contains(&action) {
        pool_actions::run(pool_actions::Uses::of(svc), action, input).await
    } else if user_actions::ACTIONS.contains(&action) {
        user_actions::run(user_actions::Uses::of(svc), action, input).await
    } else if auth_actions::ACTIONS.contains(&action) {
        auth_actions::run(auth_actions::Uses::of(svc), action, input, source).await
    } else if mfa_actions::ACTIONS.contains(&action) {
        mfa_actions::run(mfa_actions::Uses::of(svc), action, input, source).await
    } else if signup_actions::ACTIONS.contains(&action) {
        signup_actions::run(signup_actions::Uses::of(svc), action, input, source).await
    } else if branding_actions::ACTIONS.contains(&action) {
        branding_actions::run(branding_actions::Uses::of(svc), action, input).await
    } else if provider_actions::ACTIONS.contains(&action) {
        provider_actions::run(provider_actions::Uses::of(svc), action, input).await
    } else if profile_actions::ACTIONS.contains(&action) {
        profile_actions::run(profile_actions::Uses::of(svc), action, input, source).await
    } else if event_actions::ACTIONS.contains(&action) {
        event_actions::run(event_actions::Uses::of(svc), action, input).await
    } else if user_auth_actions::ACTIONS.contains(&action) {
        user_auth_actions::run(auth_actions::Uses::of(svc), action, input).await
    } else if device_actions::ACTIONS.contains(&action) {
        device_actions::run(device_actions::Uses::of(svc), action, input, source).await
    } else if terms_actions::ACTIONS.contains(&action) {
        terms_actions::run(terms_actions::Uses::of(svc), action, input).await
    } else if import_actions::ACTIONS.contains(&action) {
        import_actions::run(import_actions::Uses::of(svc), action, input).await
    } else {
        Err(unsupported(action))
    }
}

/// The system pool belongs to the dashboard, not to the API: an action that names it, one of
/// its clients, or a token it issued is answered as for a pool, client or token that does not
/// exist.
async fn refuse_system_pool(svc: &Services, input: &Value) -> Result<(), ApiError> {
    let operators = &svc.operators;
    let Some(system) = operators.system() else {
        return Ok(());
    };
    if let Some(id) = input["UserPoolId"].as_str()
        && operators.is_system_pool(id)
    {
        return Err(pool_not_found(id).into());
    }
    if let Some(id) = input["ClientId"].as_str()
        && svc.directory.find_client_named(id).await?.is_some_and(|c| c.pool_id == system.pool_id)
    {
        return Err(client_not_found(id).into());
    }
    let system_issuer = svc.tokens.issuer(&system.pool_id);
    if let Some(token) = input["AccessToken"].as_str()
        && crate::tokens::jwt::peek_claims(token)
            .is_some_and(|c| c.get("iss").and_then(Value::as_str) == Some(&system_issuer))
    {
        return Err(Error::NotAuthorized("Invalid Access Token".into()).into());
    }
    Ok(())
}

/// Identity pools cannot trust the system pool: naming it as a provider, or presenting one of
/// its tokens as a login, is refused (operators' tokens open the dashboard, nothing else).
fn refuse_system_pool_logins(svc: &Services, input: &Value) -> Result<(), ApiError> {
    let Some(system) = svc.operators.system() else {
        return Ok(());
    };
    let names_it = |provider: &str| provider.rsplit('/').next() == Some(system.pool_id.as_str());
    let providers = input["CognitoIdentityProviders"].as_array().into_iter().flatten();
    if providers.filter_map(|p| p["ProviderName"].as_str()).any(names_it) {
        return Err(ApiError::new(
            400,
            "InvalidParameterException",
            "The user pool named as a provider does not exist.",
        ));
    }
    if input["Logins"].as_object().is_some_and(|m| m.keys().any(|k| names_it(k))) {
        return Err(ApiError::new(400, "NotAuthorizedException", "Invalid login token."));
    }
    Ok(())
}

fn unsupported(action: &str) -> ApiError {
    ApiError::new(400, "UnsupportedOperationException", format!("{action} is not supported by this server yet."))
}

/// Verify SigV4 against a management key; the key's id.
async fn authenticate(req: &HttpRequest, body: &[u8], svc: &Services) -> Result<String, ApiError> {
    use sigv4::SigError;
    let h = req.headers();
    let Some(auth) = header(h, "authorization") else {
        return Err(ApiError::new(403, "MissingAuthenticationTokenException", "Missing Authentication Token"));
    };
    let parsed = sigv4::parse_authorization(auth).map_err(|e| match e {
        SigError::Malformed(m) => ApiError::new(400, "IncompleteSignatureException", m),
        _ => ApiError::new(400, "IncompleteSignatureException", "Invalid authorization header."),
    })?;
    let unknown =
        || ApiError::new(400, "UnrecognizedClientException", "The security token included in the request is invalid.");
    let Some(secret) = svc.iam.management_secret(&parsed.access_key_id).await.map_err(Error::Internal)? else {
        return Err(unknown());
    };
    let request = sigv4_request(req, body);
    // Cognito answers a bad or expired signature with 400, like its other client errors
    // (observed: `400 Bad Request` `{"__type":"InvalidSignatureException",…}` from cognito-idp).
    sigv4::verify(&request, &parsed, &secret, None, svc.now()).map_err(|e| match e {
        SigError::Expired(m) => ApiError::new(400, "InvalidSignatureException", m),
        SigError::Malformed(m) => ApiError::new(400, "IncompleteSignatureException", m),
        _ => ApiError::new(
            400,
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
        ),
    })?;
    Ok(parsed.access_key_id)
}

/// A request as [`sigv4::verify`] reads it: method, path and query as received, every header.
pub(crate) fn sigv4_request<'a>(req: &'a HttpRequest, body: &'a [u8]) -> sigv4::Request<'a> {
    let headers: Vec<(String, String)> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_ascii_lowercase(), v.to_string())))
        .collect();
    let uri = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    sigv4::Request { method: req.method().as_str(), uri, headers, body }
}

/// Shared input accessors.
pub(crate) fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

/// The request's `UserPoolId`: one not shaped like a pool id names no pool, and gets the
/// answer an unknown one gets.
pub(crate) fn pool_id_in(v: &Value) -> Result<PoolId, ApiError> {
    let raw = s(v, "UserPoolId");
    PoolId::parse(raw).ok_or_else(|| pool_not_found(raw).into())
}

/// The request's `ClientId`: one not shaped like a client id names no client.
pub(crate) fn client_id_in(v: &Value) -> Result<ClientId, ApiError> {
    let raw = s(v, "ClientId");
    ClientId::parse(raw).ok_or_else(|| client_not_found(raw).into())
}

/// The request's `Username`, as sent: the model has held it to Cognito's `UsernameType` where the
/// action has one, and a name the user signs in with may be any alias.
pub(crate) fn username_in(v: &Value) -> Username {
    Username::from(s(v, "Username"))
}

/// Cognito's `[{Name, Value}]` (AttributeType list) as (name, value) pairs; missing members
/// read as empty strings.
pub(crate) fn attribute_list(v: &Value) -> Vec<(String, String)> {
    v.as_array().into_iter().flatten().map(|a| (s(a, "Name").to_string(), s(a, "Value").to_string())).collect()
}

/// A `map<string,string>` member (the model has checked the value types); empty when absent.
pub(crate) fn string_map(v: &Value) -> std::collections::BTreeMap<String, String> {
    v.as_object()
        .map(|m| m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default()
}

/// A list-of-strings member; empty when absent.
pub(crate) fn string_list(v: &Value) -> Vec<String> {
    given_strings(v).unwrap_or_default()
}

/// A list-of-strings member, `None` when absent (or null): a command keeps "not given" apart
/// from "given empty".
pub(crate) fn given_strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
}

/// A string member, `None` when absent (or null).
pub(crate) fn given_text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

pub(crate) fn limit(v: &Value, k: &str, default: i64) -> i64 {
    v[k].as_i64().filter(|n| *n > 0).unwrap_or(default).min(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_parsed_and_a_malformed_one_is_not_found_as_an_unknown_one_is() {
        assert_eq!(pool_id_in(&json!({"UserPoolId": "local_abc"})).unwrap(), "local_abc");
        assert_eq!(client_id_in(&json!({"ClientId": "abc+1"})).unwrap(), "abc+1");
        let long = "x".repeat(200);
        for raw in ["nounderscore", "a_b\u{0}", long.as_str(), ""] {
            let e = pool_id_in(&json!({"UserPoolId": raw})).unwrap_err();
            assert_eq!(
                (e.type_name, e.message),
                ("ResourceNotFoundException", format!("User pool {raw} does not exist."))
            );
        }
        for raw in ["a-b", "a\u{1}", long.as_str()] {
            let e = client_id_in(&json!({"ClientId": raw})).unwrap_err();
            let expected = format!("User pool client {raw} does not exist.");
            assert_eq!((e.type_name, e.message), ("ResourceNotFoundException", expected));
        }
        assert_eq!(username_in(&json!({"Username": "Bob Smith"})), "Bob Smith");
    }
}
