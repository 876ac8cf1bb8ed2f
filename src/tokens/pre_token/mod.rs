//! The PreTokenGeneration trigger. `LambdaConfig.PreTokenGeneration`, or
//! `PreTokenGenerationConfig` with `LambdaVersion` `V1_0`, sends the version 1 event ([`v1`]):
//! the function changes the ID token's claims and the groups of both tokens. `V2_0` sends the
//! version 2 event ([`v2`]): claims of both tokens, any JSON value, and the access token's scopes.
//! `V3_0` sends the same event as version "3", and is also called for the machine-to-machine
//! `client_credentials` grant (`TokenGeneration_ClientCredentials`), where only the access token
//! changes. Reserved claims ([`RESERVED`], [`ACCESS_RESERVED`]) are never changed.

mod v1;
mod v2;

use crate::ids::Scope;
use crate::store::users::UserRow;
use crate::triggers::{Call, Trigger, TriggerError, Triggers, with_client_metadata};
use crate::userpool::error::{Error, Result};
use crate::userpool::model::Pool;
use crate::userpool::user_triggers::event_attributes;
use serde_json::{Map, Value, json};

/// ID-token claims a function cannot add, override or suppress.
pub const RESERVED: &[&str] = &[
    "acr",
    "amr",
    "aud",
    "at_hash",
    "auth_time",
    "azp",
    "cognito:username",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
    "cognito:groups",
    "cognito:roles",
    "cognito:preferred_role",
    "event_id",
];

/// Access-token claims a function cannot add, override or suppress: the ID token's, and the
/// access token's own identity (`client_id`, `username`), its `scope` (changed through
/// `scopesToAdd`/`scopesToSuppress` only), its format `version` and the device it is bound to.
pub const ACCESS_RESERVED: &[&str] = &["client_id", "scope", "username", "version", "device_key"];

/// Scopes a function cannot add: they open the user's own API (`aws.cognito.signin.user.admin`)
/// and the userInfo attributes (OIDC scopes), which the sign-in did not grant.
const UNADDABLE_SCOPES: &[&str] = &["aws.cognito.signin.user.admin", "openid", "profile", "email", "phone"];

/// ID-token claims whose value cannot be a JSON object or array (V2).
const SIMPLE_ID_CLAIMS: &[&str] = &["phone_number_verified", "email_verified", "updated_at", "address"];

/// Claims one token gets added or overridden, and suppressed.
#[derive(Debug, Default, Clone)]
pub struct ClaimChanges {
    pub add: Map<String, Value>,
    pub suppress: Vec<String>,
}

impl ClaimChanges {
    /// Suppress, then add or override, every claim that is not `reserved`.
    fn apply(&self, claims: &mut Map<String, Value>, reserved: &[&[&str]]) {
        let free = |name: &str| !reserved.iter().any(|list| list.contains(&name));
        for name in self.suppress.iter().filter(|n| free(n)) {
            claims.remove(name);
        }
        for (k, v) in self.add.iter().filter(|(k, _)| free(k)) {
            claims.insert(k.clone(), v.clone());
        }
    }
}

/// What the function changed.
#[derive(Debug, Default)]
pub struct Overrides {
    pub id: ClaimChanges,
    pub access: ClaimChanges,
    pub scopes_to_add: Vec<String>,
    pub scopes_to_suppress: Vec<String>,
    /// Replacement groups, IAM roles and preferred role, each when given.
    pub groups: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub preferred_role: Option<String>,
}

impl Overrides {
    /// Apply the claim changes to an ID token's claims.
    pub fn apply_to_id(&self, claims: &mut Map<String, Value>) {
        self.id.apply(claims, &[RESERVED]);
    }

    /// Apply the claim and scope changes to an access token's claims: suppressed scopes leave
    /// `scope`, added ones join it (once each, never [`UNADDABLE_SCOPES`]).
    pub fn apply_to_access(&self, claims: &mut Map<String, Value>) {
        self.access.apply(claims, &[RESERVED, ACCESS_RESERVED]);
        if self.scopes_to_add.is_empty() && self.scopes_to_suppress.is_empty() {
            return;
        }
        let current = claims.get("scope").and_then(Value::as_str).unwrap_or_default();
        let mut scopes: Vec<&str> =
            current.split(' ').filter(|s| !s.is_empty() && !self.scopes_to_suppress.iter().any(|x| x == s)).collect();
        for s in &self.scopes_to_add {
            if !s.is_empty() && !scopes.contains(&s.as_str()) && !UNADDABLE_SCOPES.contains(&s.as_str()) {
                scopes.push(s);
            }
        }
        let scope = scopes.join(" ");
        claims.insert("scope".into(), json!(scope));
    }
}

/// The event version a pool's function takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V1,
    V2,
    V3,
}

/// The pool's function: its ARN and event version, when it has one.
fn function(pool: &Pool) -> Option<(&str, Version)> {
    let lambda = pool.config.get("LambdaConfig")?;
    if let Some(c) = lambda.get("PreTokenGenerationConfig") {
        let version = match c["LambdaVersion"].as_str()? {
            "V1_0" => Version::V1,
            "V2_0" => Version::V2,
            "V3_0" => Version::V3,
            _ => return None,
        };
        return c["LambdaArn"].as_str().filter(|a| !a.is_empty()).map(|a| (a, version));
    }
    lambda.get("PreTokenGeneration")?.as_str().filter(|a| !a.is_empty()).map(|a| (a, Version::V1))
}

/// A user's groups, IAM roles and preferred role, as the event's `groupConfiguration` has them.
pub type GroupConfiguration<'a> = (&'a [String], &'a [String], Option<&'a str>);

/// Whom tokens are being made for and why.
pub struct TokenRequest<'a> {
    /// `TokenGeneration_Authentication`, `_HostedAuth`, `_NewPasswordChallenge`,
    /// `_AuthenticateDevice`, `_RefreshTokens` or `_ClientCredentials`.
    pub source: &'static str,
    pub client_id: &'a str,
    /// The user with their groups, IAM roles and preferred role; `None` for a client's own
    /// (client_credentials) token.
    pub user: Option<(&'a UserRow, GroupConfiguration<'a>)>,
    /// The access token's scopes.
    pub scopes: &'a [Scope],
    /// The caller's `ClientMetadata` (strings only).
    pub metadata: &'a Map<String, Value>,
}

fn invalid() -> Error {
    TriggerError::InvalidResponse.into_error(Trigger::PreTokenGeneration)
}

/// Call the pool's function for `r`. `None` when the pool has none (or, for a client's own
/// token, has no `V3_0` function).
pub async fn run(triggers: &Triggers, pool: &Pool, r: TokenRequest<'_>) -> Result<Option<Overrides>> {
    let Some((arn, version)) = function(pool) else {
        return Ok(None);
    };
    if r.user.is_none() && version != Version::V3 {
        return Ok(None);
    }
    let mut request = Map::new();
    if let Some((user, groups)) = r.user {
        request.insert("userAttributes".into(), event_attributes(user));
        let g = json!({"groupsToOverride": groups.0, "iamRolesToOverride": groups.1, "preferredRole": groups.2});
        request.insert("groupConfiguration".into(), g);
    }
    if version != Version::V1 {
        request.insert("scopes".into(), json!(r.scopes));
    }
    let call = Call {
        trigger: Trigger::PreTokenGeneration,
        source: r.source,
        pool_id: &pool.id,
        user_name: r.user.map(|(u, _)| u.username.as_str()).unwrap_or_default(),
        client_id: Some(r.client_id),
        request: with_client_metadata(Value::Object(request), r.metadata),
    };
    let mut event = triggers.event(&call);
    match version {
        Version::V1 => {}
        Version::V2 => event["version"] = json!("2"),
        Version::V3 => event["version"] = json!("3"),
    }
    if r.user.is_none()
        && let Some(e) = event.as_object_mut()
    {
        e.remove("userName");
    }
    let response = triggers.invoke_event(arn, Trigger::PreTokenGeneration, &pool.id, &event).await?;
    let mut overrides = match version {
        Version::V1 => v1::parse(&response)?,
        Version::V2 | Version::V3 => v2::parse(&response)?,
    };
    if r.user.is_none() {
        // A client's own token: no ID token, no groups.
        overrides.id = ClaimChanges::default();
        (overrides.groups, overrides.roles, overrides.preferred_role) = (None, None, None);
    }
    Ok(Some(overrides))
}

/// A list of strings; absent or null is `None`, anything else an invalid response.
fn strings(v: Option<&Value>) -> Result<Option<Vec<String>>> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(a)) => {
            a.iter().map(|x| x.as_str().map(str::to_string).ok_or_else(invalid)).collect::<Result<_>>().map(Some)
        }
        Some(_) => Err(invalid()),
    }
}

/// An object member; absent or null is `None`, a non-object an invalid response.
fn object<'a>(parent: &'a Map<String, Value>, name: &str) -> Result<Option<&'a Map<String, Value>>> {
    match parent.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(invalid()),
    }
}

/// `claimsToAddOrOverride` and `claimsToSuppress` of `details`.
fn claim_changes(details: Option<&Map<String, Value>>) -> Result<ClaimChanges> {
    let Some(d) = details else { return Ok(ClaimChanges::default()) };
    Ok(ClaimChanges {
        add: object(d, "claimsToAddOrOverride")?.cloned().unwrap_or_default(),
        suppress: strings(d.get("claimsToSuppress"))?.unwrap_or_default(),
    })
}

/// `groupOverrideDetails` of `details` into `o`.
fn group_override(details: &Map<String, Value>, o: &mut Overrides) -> Result<()> {
    let Some(g) = object(details, "groupOverrideDetails")? else { return Ok(()) };
    o.groups = strings(g.get("groupsToOverride"))?;
    o.roles = strings(g.get("iamRolesToOverride"))?;
    o.preferred_role = match g.get("preferredRole") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid()),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_changes_spare_reserved_claims_and_edit_scope() {
        let mut claims = json!({"sub": "u", "client_id": "c", "scope": "a b openid", "username": "n", "x": 1})
            .as_object()
            .cloned()
            .unwrap();
        let o = Overrides {
            access: ClaimChanges {
                add: json!({"client_id": "evil", "scope": "all", "y": [1, 2]}).as_object().cloned().unwrap(),
                suppress: vec!["username".into(), "sub".into(), "x".into()],
            },
            scopes_to_add: vec!["c".into(), "a".into(), "aws.cognito.signin.user.admin".into()],
            scopes_to_suppress: vec!["b".into()],
            ..Overrides::default()
        };
        o.apply_to_access(&mut claims);
        assert_eq!(claims["client_id"], "c");
        assert_eq!(claims["username"], "n");
        assert_eq!(claims["sub"], "u");
        assert_eq!(claims["scope"], "a openid c");
        assert_eq!(claims["y"], json!([1, 2]));
        assert!(!claims.contains_key("x"));
    }

    #[test]
    fn id_changes_may_set_access_only_reserved_names() {
        let mut claims = Map::new();
        let o = Overrides {
            id: ClaimChanges { add: json!({"scope": "s", "aud": "x"}).as_object().cloned().unwrap(), suppress: vec![] },
            ..Overrides::default()
        };
        o.apply_to_id(&mut claims);
        assert_eq!(Value::Object(claims), json!({"scope": "s"}));
    }
}
