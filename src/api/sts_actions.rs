//! STS actions over the Query protocol: AssumeRoleWithWebIdentity (unsigned: the web identity
//! token is the credential) and GetCallerIdentity (who signed the request).

use super::query::{Api, Caller, Params, QueryError, iso8601};
use super::xml::Xml;
use crate::iam::AssumeError;
use crate::iam::credentials::check_assume_input;
use crate::iam::error::check_string;
use crate::iam::web_identity::WebTokenError;
use crate::services::Services;

/// The contexts these actions use, and nothing else.
#[derive(Clone, Copy)]
pub struct Uses<'a> {
    pub iam: &'a crate::iam::Iam,
    pub identity_pools: &'a crate::identity_pools::IdentityPools,
}

impl<'a> Uses<'a> {
    pub fn of(svc: &'a Services) -> Self {
        Uses { iam: &svc.iam, identity_pools: &svc.identity_pools }
    }
}

/// The STS model's pattern for ARNs (characters other than control characters).
const ARN_PATTERN: &str =
    "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+";

pub(super) async fn run(
    svc: Uses<'_>,
    action: &str,
    p: &Params,
    caller: Option<Caller>,
) -> Result<Option<Xml>, QueryError> {
    match (action, caller) {
        ("AssumeRoleWithWebIdentity", _) => assume_role_with_web_identity(svc, p).await.map(Some),
        ("GetCallerIdentity", Some(caller)) => Ok(Some(caller_identity(svc, &caller))),
        (other, _) => Err(QueryError::new(400, "InvalidAction", format!("Could not find operation {other}"))),
    }
}

fn assume_error(e: AssumeError) -> QueryError {
    match e {
        // A role that does not exist is refused like one that does not trust the caller.
        AssumeError::NoSuchRole | AssumeError::NotTrusted => {
            QueryError::new(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity")
        }
        AssumeError::Invalid(m) => QueryError::validation(m),
        AssumeError::Internal(cause) => QueryError::internal(Api::Sts, cause),
    }
}

async fn assume_role_with_web_identity(svc: Uses<'_>, p: &Params) -> Result<Xml, QueryError> {
    let role_arn = p.required("RoleArn", "roleArn")?;
    check_string("roleArn", role_arn, 20, 2048, ARN_PATTERN, |c| !c.is_control() || matches!(c, '\t' | '\n' | '\r'))
        .map_err(|e| QueryError::validation(e.to_string()))?;
    let session_name = p.required("RoleSessionName", "roleSessionName")?;
    let token = p.required("WebIdentityToken", "webIdentityToken")?;
    // The token is a secret: never repeated in a message.
    if !(4..=20_000).contains(&token.len()) {
        return Err(QueryError::validation(
            "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: \
             Member must have length between 4 and 20000",
        ));
    }
    let duration = p.int("DurationSeconds", "durationSeconds")?;
    if p.get("ProviderId").is_some() {
        return Err(QueryError::validation(
            "ProviderId is only for OAuth 2.0 access tokens; this server accepts OpenID Connect ID tokens.",
        ));
    }
    if p.get("Policy").is_some() || !p.list("PolicyArns").is_empty() {
        return Err(QueryError::validation("Session policies (Policy, PolicyArns) are not supported by this server."));
    }
    check_assume_input(session_name, duration).map_err(assume_error)?;

    let who = svc.identity_pools.web_identity_from_token(token).await.map_err(|e| match e {
        WebTokenError::Invalid => QueryError::new(
            400,
            "InvalidIdentityToken",
            "The web identity token that was passed could not be validated. Get a new identity token from the \
             identity provider and then retry the request.",
        ),
        WebTokenError::Expired { now, exp } => QueryError::new(
            400,
            "ExpiredTokenException",
            format!("Token expired: current date/time {now} must be before the expiration date/time {exp}"),
        ),
    })?;
    let creds =
        svc.iam.assume_role_with_web_identity(role_arn, session_name, &who, duration).await.map_err(assume_error)?;

    let mut x = Xml::new();
    x.elem("Credentials", |x| {
        x.text("AccessKeyId", &creds.access_key_id)
            .text("SecretAccessKey", &creds.secret_access_key)
            .text("SessionToken", &creds.session_token)
            .text("Expiration", &iso8601(creds.expiration));
    });
    x.text("SubjectFromWebIdentityToken", &who.subject);
    x.elem("AssumedRoleUser", |x| {
        x.text("Arn", &creds.assumed_role_arn).text("AssumedRoleId", &creds.assumed_role_id);
    });
    x.text("Provider", &who.provider).text("Audience", &who.audience);
    Ok(x)
}

/// Temporary credentials answer as their assumed role; a management key answers as the
/// account's root (`arn:aws:iam::{account}:root`, UserId = the account id), as AWS answers
/// for root credentials.
fn caller_identity(svc: Uses<'_>, caller: &Caller) -> Xml {
    let account = svc.iam.account_id();
    let (arn, user_id) = match caller {
        Caller::Assumed(session) => (session.arn(account), session.user_id()),
        Caller::Management => (format!("arn:aws:iam::{account}:root"), account.to_string()),
    };
    let mut x = Xml::new();
    x.text("Arn", &arn).text("UserId", &user_id).text("Account", account);
    x
}
