//! The PreTokenGeneration trigger, version 1 (`LambdaConfig.PreTokenGeneration`, or
//! `PreTokenGenerationConfig` with `LambdaVersion` `V1_0`): before a user's tokens are signed the
//! function gets the user's attributes and groups (`groupConfiguration`) and may answer
//! `claimsOverrideDetails`: `claimsToAddOrOverride` and `claimsToSuppress` change the ID token,
//! `groupOverrideDetails` replaces the groups (and IAM roles) of both tokens. Reserved claims
//! ([`RESERVED`], cognito.md §2.6) are never changed. V2/V3 events are not sent yet.

use crate::store::users::UserRow;
use crate::triggers::{Call, Trigger, TriggerError, Triggers};
use crate::userpool::error::Result;
use crate::userpool::model::Pool;
use crate::userpool::user_triggers::event_attributes;
use serde_json::{Map, Value, json};

/// Claims a function cannot add, override or suppress.
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

/// What the function changed.
#[derive(Debug, Default)]
pub struct Overrides {
    pub add: Map<String, Value>,
    pub suppress: Vec<String>,
    /// Replacement groups, IAM roles and preferred role, each when given.
    pub groups: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    pub preferred_role: Option<String>,
}

impl Overrides {
    /// Apply the claim changes to an ID token's claims.
    pub fn apply_to_id(&self, claims: &mut Map<String, Value>) {
        for name in &self.suppress {
            if !RESERVED.contains(&name.as_str()) {
                claims.remove(name);
            }
        }
        for (k, v) in &self.add {
            if !RESERVED.contains(&k.as_str()) {
                claims.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The V1 function's ARN, when the pool has one.
fn v1_arn(pool: &Pool) -> Option<&str> {
    let lambda = pool.config.get("LambdaConfig")?;
    if let Some(c) = lambda.get("PreTokenGenerationConfig") {
        return (c["LambdaVersion"] == "V1_0").then(|| c["LambdaArn"].as_str()).flatten();
    }
    lambda.get("PreTokenGeneration")?.as_str()
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
}

/// Call the pool's V1 function for `user` (`source`: `TokenGeneration_Authentication`,
/// `_HostedAuth`, `_RefreshTokens`, …). `None` when the pool has none.
pub async fn run(
    triggers: &Triggers,
    pool: &Pool,
    source: &'static str,
    client_id: &str,
    user: &UserRow,
    groups: (&[String], &[String], Option<&str>),
) -> Result<Option<Overrides>> {
    let Some(arn) = v1_arn(pool) else {
        return Ok(None);
    };
    let request = json!({
        "userAttributes": event_attributes(user),
        "groupConfiguration": {
            "groupsToOverride": groups.0,
            "iamRolesToOverride": groups.1,
            "preferredRole": groups.2,
        },
    });
    let trigger = Trigger::PreTokenGeneration;
    let call = Call {
        trigger,
        source,
        pool_id: &pool.id,
        user_name: user.username.as_str(),
        client_id: Some(client_id),
        request,
    };
    let response = triggers.invoke_arn(arn, call).await?;
    let invalid = || TriggerError::InvalidResponse.into_error(trigger);
    let details = match response.get("claimsOverrideDetails") {
        None | Some(Value::Null) => return Ok(Some(Overrides::default())),
        Some(Value::Object(d)) => d,
        Some(_) => return Err(invalid()),
    };
    let add = match details.get("claimsToAddOrOverride") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid()),
    };
    let suppress = match details.get("claimsToSuppress") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => strings(v).ok_or_else(invalid)?,
    };
    let g = details.get("groupOverrideDetails").cloned().unwrap_or(Value::Null);
    Ok(Some(Overrides {
        add,
        suppress,
        groups: strings(&g["groupsToOverride"]),
        roles: strings(&g["iamRolesToOverride"]),
        preferred_role: g["preferredRole"].as_str().map(str::to_string),
    }))
}
