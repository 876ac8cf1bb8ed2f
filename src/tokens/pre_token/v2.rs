//! The version 2 and 3 answer: `claimsAndScopeOverrideDetails` {`idTokenGeneration`
//! {`claimsToAddOrOverride`, `claimsToSuppress`}, `accessTokenGeneration` {the same,
//! `scopesToAdd`, `scopesToSuppress`}, `groupOverrideDetails`}. Claim values may be any JSON
//! (strings, numbers, booleans, arrays, objects), except that the ID token's
//! `phone_number_verified`, `email_verified`, `updated_at` and `address` take no array or
//! object. A version 1 `claimsOverrideDetails` in the answer is ignored.

use super::{Overrides, SIMPLE_ID_CLAIMS, claim_changes, group_override, invalid, object, strings};
use crate::userpool::error::Result;
use serde_json::{Map, Value};

pub(super) fn parse(response: &Map<String, Value>) -> Result<Overrides> {
    let mut o = Overrides::default();
    let Some(details) = object(response, "claimsAndScopeOverrideDetails")? else { return Ok(o) };
    o.id = claim_changes(object(details, "idTokenGeneration")?)?;
    let complex = |v: &Value| v.is_array() || v.is_object();
    if o.id.add.iter().any(|(k, v)| SIMPLE_ID_CLAIMS.contains(&k.as_str()) && complex(v)) {
        return Err(invalid());
    }
    let access = object(details, "accessTokenGeneration")?;
    o.access = claim_changes(access)?;
    if let Some(a) = access {
        o.scopes_to_add = strings(a.get("scopesToAdd"))?.unwrap_or_default();
        o.scopes_to_suppress = strings(a.get("scopesToSuppress"))?.unwrap_or_default();
    }
    group_override(details, &mut o)?;
    Ok(o)
}
