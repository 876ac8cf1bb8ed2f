//! The AWS Query protocol on `POST /` (`Content-Type: application/x-www-form-urlencoded`,
//! `Action=…&Version=…&…`), as IAM and STS speak it: XML answers
//! (`<{Action}Response xmlns=…><{Action}Result>…</{Action}Result><ResponseMetadata>…`) and XML
//! errors (`<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/>`) with AWS's
//! HTTP statuses.
//!
//! Authentication: IAM actions take SigV4 with a management key (scope service `iam`);
//! STS AssumeRoleWithWebIdentity is unsigned; STS GetCallerIdentity takes SigV4 (scope
//! service `sts`) with a management key or with temporary credentials and their
//! `X-Amz-Security-Token`. The actions are in [`super::iam_actions`] and [`super::sts_actions`].

use super::sigv4::{self, SigError};
use super::xml::Xml;
use super::{MAX_BODY, header, sigv4_request};
use crate::iam::credentials::{Session, SessionError};
use crate::services::Services;
use actix_web::guard::GuardContext;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use std::collections::BTreeMap;
use std::sync::Arc;
use tracing::Instrument;

pub const IAM_NAMESPACE: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub const STS_NAMESPACE: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub const IAM_VERSION: &str = "2010-05-08";
pub const STS_VERSION: &str = "2011-06-15";

/// The service an action belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Iam,
    Sts,
}

impl Api {
    pub fn namespace(self) -> &'static str {
        match self {
            Api::Iam => IAM_NAMESPACE,
            Api::Sts => STS_NAMESPACE,
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Api::Iam => IAM_VERSION,
            Api::Sts => STS_VERSION,
        }
    }

    /// The service name a SigV4 credential scope must carry.
    pub fn signing_name(self) -> &'static str {
        match self {
            Api::Iam => "iam",
            Api::Sts => "sts",
        }
    }
}

/// Every action served, its service, and whether it must be signed.
const ACTIONS: &[(&str, Api, bool)] = &[
    ("CreateRole", Api::Iam, true),
    ("GetRole", Api::Iam, true),
    ("ListRoles", Api::Iam, true),
    ("UpdateAssumeRolePolicy", Api::Iam, true),
    ("DeleteRole", Api::Iam, true),
    ("PutRolePolicy", Api::Iam, true),
    ("GetRolePolicy", Api::Iam, true),
    ("DeleteRolePolicy", Api::Iam, true),
    ("CreatePolicy", Api::Iam, true),
    ("GetPolicy", Api::Iam, true),
    ("GetPolicyVersion", Api::Iam, true),
    ("ListPolicies", Api::Iam, true),
    ("DeletePolicy", Api::Iam, true),
    ("AttachRolePolicy", Api::Iam, true),
    ("DetachRolePolicy", Api::Iam, true),
    ("ListAttachedRolePolicies", Api::Iam, true),
    ("AssumeRoleWithWebIdentity", Api::Sts, false),
    ("GetCallerIdentity", Api::Sts, true),
];

/// Route guard: a form body is the Query protocol.
pub fn is_query(ctx: &GuardContext) -> bool {
    ctx.head()
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"))
}

/// An error in the Query protocol's format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl QueryError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        QueryError { status, code, message: message.into() }
    }

    /// A 500 whose cause is logged, never shown; a 503 while the database is unavailable.
    pub fn internal(api: Api, cause: anyhow::Error) -> Self {
        if crate::store::unavailable(&cause) {
            tracing::warn!(error = %cause, "the Query API: the database is unavailable");
            return QueryError::new(503, "ServiceUnavailable", crate::web::UNAVAILABLE);
        }
        tracing::error!(error = ?cause, "internal error in the Query API");
        match api {
            Api::Iam => QueryError::new(
                500,
                "ServiceFailure",
                "The request processing has failed because of an unknown error, exception or failure.",
            ),
            Api::Sts => QueryError::new(
                500,
                "InternalFailure",
                "The request processing has failed because of an unknown error, exception or failure.",
            ),
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        QueryError::new(400, "ValidationError", message)
    }

    pub fn response(&self, api: Api, request_id: &str) -> HttpResponse {
        let fault = if self.status >= 500 { "Receiver" } else { "Sender" };
        let mut x = Xml::new();
        x.root("ErrorResponse", api.namespace(), |x| {
            x.elem("Error", |x| {
                x.text("Type", fault).text("Code", self.code).text("Message", &self.message);
            });
            x.text("RequestId", request_id);
        });
        HttpResponse::build(StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST))
            .insert_header(("x-amzn-RequestId", request_id))
            .content_type("text/xml")
            .body(x.finish())
    }
}

impl From<crate::iam::error::IamError> for QueryError {
    fn from(e: crate::iam::error::IamError) -> Self {
        match e {
            crate::iam::error::IamError::Internal(cause) => QueryError::internal(Api::Iam, cause),
            other => QueryError::new(other.status(), other.code(), other.to_string()),
        }
    }
}

/// The form's parameters. Lists are `Name.member.N` (scalars) or `Name.member.N.Field`
/// (structures), N from 1.
#[derive(Debug, Default, Clone)]
pub struct Params(BTreeMap<String, String>);

impl Params {
    pub fn parse(body: &[u8]) -> Result<Params, QueryError> {
        let mut map = BTreeMap::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            // U+0000 cannot be stored (PostgreSQL) and no member takes control characters.
            if crate::web::has_forbidden_control(&k) || crate::web::has_forbidden_control(&v) {
                let member = if crate::web::has_forbidden_control(&k) { "<key>".to_string() } else { camel(&k) };
                return Err(QueryError::validation(format!(
                    "1 validation error detected: Value at '{member}' failed to satisfy constraint: \
                     Member must satisfy regular expression pattern: {}",
                    crate::web::NO_CONTROLS_PATTERN
                )));
            }
            if map.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(QueryError::validation(format!("Parameter {k} appears more than once.")));
            }
        }
        Ok(Params(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A required member: IAM's "must not be null" when missing (`member` is its camelCase name).
    pub fn required(&self, name: &str, member: &str) -> Result<&str, QueryError> {
        self.get(name).ok_or_else(|| {
            QueryError::validation(format!(
                "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
            ))
        })
    }

    /// An optional integer member.
    pub fn int(&self, name: &str, member: &str) -> Result<Option<i64>, QueryError> {
        match self.get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                QueryError::validation(format!(
                    "1 validation error detected: Value '{v}' at '{member}' failed to satisfy constraint: Member must be a number"
                ))
            }),
        }
    }

    /// The members of the list `name`, in order: each a map of field → value (a scalar
    /// member's value is under the field `""`). An empty list (`Name=`) has none.
    pub fn list(&self, name: &str) -> Vec<BTreeMap<String, String>> {
        let prefix = format!("{name}.member.");
        let mut items: BTreeMap<u32, BTreeMap<String, String>> = BTreeMap::new();
        for (k, v) in self.0.range(prefix.clone()..) {
            let Some(rest) = k.strip_prefix(&prefix) else { break };
            let (index, field) = rest.split_once('.').unwrap_or((rest, ""));
            if let Ok(n) = index.parse::<u32>() {
                items.entry(n).or_default().insert(field.to_string(), v.clone());
            }
        }
        items.into_values().collect()
    }
}

/// A parameter's member name as IAM words it (`RoleName` → `roleName`).
fn camel(name: &str) -> String {
    let mut c = name.chars();
    c.next().map(|f| f.to_lowercase().chain(c).collect()).unwrap_or_default()
}

/// Who signed the request.
#[derive(Debug)]
pub enum Caller {
    /// A management key: the account itself.
    Management,
    /// Temporary credentials of an assumed role.
    Assumed(Box<Session>),
}

pub async fn handle(req: HttpRequest, payload: web::Payload, svc: web::Data<Arc<Services>>) -> HttpResponse {
    let request_id = uuid::Uuid::new_v4().to_string();
    let Some(body) = crate::web::read_body(payload, MAX_BODY).await else {
        return QueryError::new(413, "RequestEntityTooLarge", "Request body is too large.")
            .response(Api::Iam, &request_id);
    };
    let params = match Params::parse(&body) {
        Ok(p) => p,
        Err(e) => return e.response(Api::Iam, &request_id),
    };
    let version = params.get("Version");
    // Errors before the action is known speak the dialect the Version asks for.
    let guessed = if version == Some(STS_VERSION) { Api::Sts } else { Api::Iam };
    let Some(action) = params.get("Action") else {
        return QueryError::new(400, "MissingAction", "Missing Action").response(guessed, &request_id);
    };
    let Some(&(action, api, signed)) =
        ACTIONS.iter().find(|(name, api, _)| *name == action && version.is_none_or(|v| v == api.version()))
    else {
        let message =
            format!("Could not find operation {action} for version {}", version.unwrap_or("NO_VERSION_SPECIFIED"));
        return QueryError::new(400, "InvalidAction", message).response(guessed, &request_id);
    };
    let result = async {
        let caller = if signed { Some(authenticate(&req, &body, &svc, api).await?) } else { None };
        match api {
            Api::Iam => super::iam_actions::run(&svc.iam, action, &params, caller).await,
            Api::Sts => super::sts_actions::run(super::sts_actions::Uses::of(&svc), action, &params, caller).await,
        }
    }
    .instrument(tracing::info_span!("query", action))
    .await;
    if result.is_ok() && signed && api == Api::Iam && super::changes_something(action) {
        audit(&req, &svc, action, &params).await;
    }
    match result {
        Ok(inner) => {
            let mut x = Xml::new();
            x.root(&format!("{action}Response"), api.namespace(), |x| {
                if let Some(inner) = inner {
                    x.elem(&format!("{action}Result"), |x| {
                        x.append(inner);
                    });
                }
                x.elem("ResponseMetadata", |x| {
                    x.text("RequestId", &request_id);
                });
            });
            HttpResponse::Ok()
                .insert_header(("x-amzn-RequestId", request_id.as_str()))
                .content_type("text/xml")
                .body(x.finish())
        }
        Err(e) => e.response(api, &request_id),
    }
}

/// Record an IAM change in the audit trail, as the JSON API records its changes: the access
/// key, the action, the role it names and its parameters (secret-named ones redacted by the
/// event log; policy documents are kept, they hold no secret).
async fn audit(req: &HttpRequest, svc: &Services, action: &str, params: &Params) {
    let key = header(req.headers(), "authorization")
        .and_then(|a| sigv4::parse_authorization(a).ok())
        .map(|p| p.access_key_id)
        .unwrap_or_default();
    let mut e = crate::events::AuditEvent::new(None, action, &format!("key:{key}"));
    e.target = params.get("RoleName").map(|r| format!("role:{r}"));
    e.ip = Some(crate::web::client::client_ip(req, &svc.config));
    let input: serde_json::Map<String, serde_json::Value> = params
        .0
        .iter()
        .filter(|(k, _)| *k != "Action" && *k != "Version")
        .map(|(k, v)| (k.clone(), v.as_str().into()))
        .collect();
    e.details = serde_json::json!({"input": input});
    svc.events.record_audit(e).await;
}

const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. \
     Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Verify the request's SigV4 signature: with a management key, or with temporary credentials
/// and their session token. The credential scope must name `api`'s service.
pub async fn authenticate(req: &HttpRequest, body: &[u8], svc: &Services, api: Api) -> Result<Caller, QueryError> {
    let h = req.headers();
    let Some(auth) = header(h, "authorization") else {
        return Err(QueryError::new(403, "MissingAuthenticationToken", "Request is missing Authentication Token"));
    };
    let parsed = sigv4::parse_authorization(auth).map_err(|e| match e {
        SigError::Malformed(m) => QueryError::new(403, "IncompleteSignature", m),
        _ => QueryError::new(403, "IncompleteSignature", "Invalid authorization header."),
    })?;
    if parsed.service != api.signing_name() {
        return Err(QueryError::new(
            403,
            "SignatureDoesNotMatch",
            format!("Credential should be scoped to correct service: '{}'. ", api.signing_name()),
        ));
    }
    let invalid_token =
        || QueryError::new(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
    let session_token = header(h, "x-amz-security-token");
    let (caller, secret) = match svc.iam.management_secret(&parsed.access_key_id).await {
        Err(e) => return Err(QueryError::internal(api, e)),
        // Long-term keys carry no session token.
        Ok(Some(_)) if session_token.is_some() => return Err(invalid_token()),
        Ok(Some(secret)) => (Caller::Management, secret),
        Ok(None) => match svc.iam.temporary_session(&parsed.access_key_id, session_token).await {
            Ok(session) => {
                let secret = session.secret_access_key.clone();
                (Caller::Assumed(Box::new(session)), secret)
            }
            Err(SessionError::Invalid) => return Err(invalid_token()),
            Err(SessionError::Expired) => {
                return Err(QueryError::new(
                    403,
                    "ExpiredToken",
                    "The security token included in the request is expired",
                ));
            }
            Err(SessionError::Internal(cause)) => return Err(QueryError::internal(api, cause)),
        },
    };
    // The session token, when signed, is one of the signed headers like any other.
    sigv4::verify(&sigv4_request(req, body), &parsed, &secret, None, svc.now()).map_err(|e| match e {
        SigError::Expired(m) => QueryError::new(403, "SignatureDoesNotMatch", m),
        SigError::Malformed(m) => QueryError::new(403, "IncompleteSignature", m),
        _ => QueryError::new(403, "SignatureDoesNotMatch", SIGNATURE_MISMATCH),
    })?;
    Ok(caller)
}

/// ISO 8601 in UTC, as the Query protocol's timestamps (`2026-01-02T03:04:05Z`).
pub fn iso8601(epoch_secs: i64) -> String {
    chrono::DateTime::from_timestamp(epoch_secs, 0).unwrap_or_default().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_forms_with_member_lists() {
        let p = Params::parse(
            b"Action=CreateRole&RoleName=r&Tags.member.2.Key=b&Tags.member.1.Key=a&Tags.member.1.Value=x%20y\
              &Tags.member.10.Key=c&PolicyArns.member.1=arn%3Aaws&Empty=",
        )
        .unwrap();
        assert_eq!(p.get("Action"), Some("CreateRole"));
        let tags = p.list("Tags");
        assert_eq!(tags.len(), 3);
        assert_eq!((tags[0]["Key"].as_str(), tags[0]["Value"].as_str()), ("a", "x y"));
        assert_eq!(tags[1]["Key"], "b");
        assert_eq!(tags[2]["Key"], "c", "numeric order, not text order");
        assert_eq!(p.list("PolicyArns")[0][""], "arn:aws");
        assert!(p.list("Empty").is_empty());
        assert!(p.list("Missing").is_empty());
        assert_eq!(p.int("RoleName", "roleName").unwrap_err().code, "ValidationError");
        assert!(p.required("Nope", "nope").unwrap_err().message.contains("Value null at 'nope'"));
        assert!(Params::parse(b"A=1&A=2").is_err(), "duplicates are refused");
        assert_eq!(Params::parse(b"A=a+b%2B").unwrap().get("A"), Some("a b+"));
        let e = Params::parse(b"Action=GetRole&RoleName=a%00b").unwrap_err();
        assert_eq!((e.status, e.code), (400, "ValidationError"));
        assert!(e.message.starts_with("1 validation error detected: Value at 'roleName' failed"), "{}", e.message);
        assert!(Params::parse(b"Action=GetRole&Role%01Name=a").unwrap_err().message.contains("'<key>'"));
        assert_eq!(Params::parse(b"P=%7B%0A%09%7D").unwrap().get("P"), Some("{\n\t}"), "whitespace is text");
    }

    #[test]
    fn errors_are_aws_xml() {
        let r =
            QueryError::new(404, "NoSuchEntity", "The role with name <x> cannot be found.").response(Api::Iam, "rid");
        assert_eq!(r.status(), 404);
        let body = actix_web::body::MessageBody::try_into_bytes(r.into_body()).unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>NoSuchEntity</Code><Message>The role with name &lt;x&gt; cannot be found.</Message></Error>\
             <RequestId>rid</RequestId></ErrorResponse>"
        );
    }

    #[test]
    fn formats_iso8601() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_440_938_160), "2015-08-30T12:36:00Z");
    }
}
