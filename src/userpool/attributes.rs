//! User attributes: validation against the pool schema, sign-in aliases and searchable values.

use super::error::{Error, Result};
use super::model::Pool;
use crate::store::users::{Alias, SearchValue, UserRow};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Attributes ListUsers can filter on (besides username, sub and status).
pub const SEARCHABLE: &[&str] = &["email", "phone_number", "name", "given_name", "family_name", "preferred_username"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// Management API with admin credentials: may write developer-only and immutable-at-create attributes.
    Admin,
    /// A user or client.
    User,
}

pub fn looks_like_email(v: &str) -> bool {
    let Some((local, domain)) = v.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !v.chars().any(char::is_whitespace)
        && !domain.contains('@')
}

pub fn looks_like_phone(v: &str) -> bool {
    v.len() > 2 && v.len() <= 16 && v.starts_with('+') && v[1..].bytes().all(|b| b.is_ascii_digit())
}

/// Parse `[{Name, Value}]` into a map, checking each against the schema.
/// `creating` allows immutable attributes to be set.
pub fn parse_list(pool: &Pool, list: &Value, writer: Writer, creating: bool) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for a in list.as_array().cloned().unwrap_or_default() {
        let name = a["Name"].as_str().unwrap_or_default().to_string();
        let value = a["Value"].as_str().unwrap_or_default().to_string();
        check(pool, &name, &value, writer, creating)?;
        out.insert(name, value);
    }
    Ok(out)
}

fn check(pool: &Pool, name: &str, value: &str, writer: Writer, creating: bool) -> Result<()> {
    if name == "sub" {
        return Err(Error::invalid("Cannot modify an already provided sub attribute."));
    }
    if name == super::identities::IDENTITIES {
        return Err(Error::invalid(
            "Attributes did not conform to the schema: identities: The attribute is maintained by the user pool \
             (linked identity providers) and cannot be written.",
        ));
    }
    let Some(schema) = pool.schema_attribute(name) else {
        return Err(Error::invalid(format!(
            "Attributes did not conform to the schema: {name}: Attribute does not exist in the schema."
        )));
    };
    if name.starts_with("dev:") && writer != Writer::Admin {
        return Err(Error::NotAuthorized(format!("A client attempted to write unauthorized attribute {name}")));
    }
    if !creating && schema["Mutable"] == false {
        return Err(Error::invalid(format!(
            "Attributes did not conform to the schema: {name}: Attribute cannot be updated. (changing an immutable attribute)"
        )));
    }
    let bad = |why: &str| Err(Error::invalid(format!("Attributes did not conform to the schema: {name}: {why}")));
    if value.chars().count() > 2048 {
        return bad("String must be no longer than 2048 characters");
    }
    if value.is_empty() {
        return Ok(());
    }
    match schema["AttributeDataType"].as_str().unwrap_or("String") {
        "Boolean" if value != "true" && value != "false" => {
            return bad("Value must be 'true' or 'false'");
        }
        "Number" => {
            let Ok(n) = value.parse::<f64>() else {
                return bad("Value must be a number");
            };
            let c = &schema["NumberAttributeConstraints"];
            if let Some(min) = c["MinValue"].as_str().and_then(|s| s.parse::<f64>().ok())
                && n < min
            {
                return bad("Number is below the minimum value");
            }
            if let Some(max) = c["MaxValue"].as_str().and_then(|s| s.parse::<f64>().ok())
                && n > max
            {
                return bad("Number is above the maximum value");
            }
        }
        "String" => {
            let c = &schema["StringAttributeConstraints"];
            let len = value.chars().count();
            if let Some(min) = c["MinLength"].as_str().and_then(|s| s.parse::<usize>().ok())
                && len < min
            {
                return bad("String is too short");
            }
            if let Some(max) = c["MaxLength"].as_str().and_then(|s| s.parse::<usize>().ok())
                && len > max
            {
                return bad("String is too long");
            }
        }
        _ => {}
    }
    match name {
        "email" if !looks_like_email(value) => bad("Invalid email address format."),
        "phone_number" if !looks_like_phone(value) => bad("Invalid phone number format."),
        _ => Ok(()),
    }
}

/// Required attributes missing from the map.
pub fn missing_required(pool: &Pool, attrs: &BTreeMap<String, String>) -> Vec<String> {
    pool.required_attributes().into_iter().filter(|n| attrs.get(n).is_none_or(|v| v.is_empty())).collect()
}

/// The names a user signs in with besides the username.
pub fn aliases(pool: &Pool, attrs: &BTreeMap<String, String>) -> Vec<Alias> {
    let mut out = Vec::new();
    let verified = |k: &str| attrs.get(k).map(String::as_str) == Some("true");
    for kind in pool.username_attributes() {
        if let Some(v) = attrs.get(&kind).filter(|v| !v.is_empty()) {
            out.push((kind.clone(), pool.lookup_key(v)));
        }
    }
    for kind in pool.alias_attributes() {
        let Some(v) = attrs.get(&kind).filter(|v| !v.is_empty()) else {
            continue;
        };
        let eligible = match kind.as_str() {
            "email" => verified("email_verified"),
            "phone_number" => verified("phone_number_verified"),
            _ => true,
        };
        if eligible {
            out.push((kind.clone(), pool.lookup_key(v)));
        }
    }
    out
}

pub fn search_values(attrs: &BTreeMap<String, String>) -> Vec<SearchValue> {
    SEARCHABLE
        .iter()
        .filter_map(|n| attrs.get(*n).filter(|v| !v.is_empty()).map(|v| (n.to_string(), v.clone())))
        .collect()
}

/// `[{Name, Value}]` with `sub` first, as Cognito returns them.
pub fn to_list(user: &UserRow, only: Option<&[String]>) -> Value {
    let mut out = Vec::new();
    let want = |n: &str| only.is_none_or(|o| o.iter().any(|x| x == n));
    if want("sub") {
        out.push(json!({"Name": "sub", "Value": user.id}));
    }
    for (k, v) in &user.attributes {
        if want(k) {
            out.push(json!({"Name": k, "Value": v}));
        }
    }
    Value::Array(out)
}

/// The attributes a client may show its own user (GetUser): `sub` always, developer-only
/// attributes never, the rest limited to the client's `ReadAttributes` when it has them.
pub fn to_list_for_client(user: &UserRow, readable: Option<&[String]>) -> Value {
    let mut out = Vec::new();
    for a in to_list(user, None).as_array().into_iter().flatten() {
        let name = a["Name"].as_str().unwrap_or_default();
        let shown =
            name == "sub" || (!name.starts_with("dev:") && readable.is_none_or(|r| r.iter().any(|x| x == name)));
        if shown {
            out.push(a.clone());
        }
    }
    Value::Array(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_and_phone_shapes() {
        assert!(looks_like_email("a@b.co"));
        assert!(!looks_like_email("a@b"));
        assert!(!looks_like_email("a b@c.d"));
        assert!(looks_like_phone("+14325551212"));
        assert!(!looks_like_phone("14325551212"));
        assert!(!looks_like_phone("+1-432"));
    }
}
