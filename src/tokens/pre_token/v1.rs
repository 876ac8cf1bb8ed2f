//! The version 1 answer: `claimsOverrideDetails` {`claimsToAddOrOverride`, `claimsToSuppress`}
//! change the ID token; its `groupOverrideDetails` replaces the groups of both tokens.

use super::{Overrides, claim_changes, group_override, object};
use crate::userpool::error::Result;
use serde_json::{Map, Value};

pub(super) fn parse(response: &Map<String, Value>) -> Result<Overrides> {
    let mut o = Overrides::default();
    let Some(details) = object(response, "claimsOverrideDetails")? else { return Ok(o) };
    o.id = claim_changes(Some(details))?;
    group_override(details, &mut o)?;
    Ok(o)
}
