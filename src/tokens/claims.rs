//! Claims of Cognito's ID and access tokens and the scope → attribute
//! rules shared by ID tokens and userInfo.

use crate::ids::{ClientId, Scope, UserSub, Username};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

pub const PROFILE_ATTRIBUTES: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "address",
];
/// The scope of an API sign-in's access token (the user's own API).
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";
const EMAIL_ATTRIBUTES: &[&str] = &["email", "email_verified"];
const PHONE_ATTRIBUTES: &[&str] = &["phone_number", "phone_number_verified"];
const BOOLEAN_ATTRIBUTES: &[&str] = &["email_verified", "phone_number_verified"];

/// Who the tokens are for and why; shared by every grant.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    pub sub: &'a UserSub,
    pub username: &'a Username,
    pub attributes: &'a BTreeMap<String, String>,
    pub groups: &'a [String],
    /// `cognito:roles` (ID token only).
    pub roles: &'a [String],
    /// `cognito:preferred_role` (ID token only).
    pub preferred_role: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Issue<'a> {
    pub issuer: &'a str,
    pub client_id: &'a ClientId,
    pub now: i64,
    pub auth_time: i64,
    pub origin_jti: &'a str,
    pub event_id: &'a str,
    /// Granted scopes; `None` for API sign-ins (`aws.cognito.signin.user.admin`, all readable attributes).
    pub scopes: Option<&'a [Scope]>,
    /// Attributes the client may read; `None` = all.
    pub readable: Option<&'a [String]>,
    /// The remembered-device key the sign-in was issued to (`device_key`, access token only).
    pub device_key: Option<&'a str>,
}

/// Attributes visible under the scopes and the client's read permissions, typed as Cognito
/// types them (verified flags as booleans, everything else as strings) except where OIDC
/// requires otherwise (see [`oidc_typed`]).
pub fn visible_attributes(
    attributes: &BTreeMap<String, String>,
    readable: Option<&[String]>,
    scopes: Option<&[Scope]>,
    verified_as_strings: bool,
) -> Map<String, Value> {
    let by_scope = |name: &str| -> bool {
        let Some(scopes) = scopes else { return true };
        let has = |s: &str| scopes.iter().any(|x| x == s);
        if !has("openid") {
            return false;
        }
        if !has("profile") && !has("email") && !has("phone") {
            return true;
        }
        (has("profile") && (PROFILE_ATTRIBUTES.contains(&name) || name.starts_with("custom:")))
            || (has("email") && EMAIL_ATTRIBUTES.contains(&name))
            || (has("phone") && PHONE_ATTRIBUTES.contains(&name))
    };
    let mut out = Map::new();
    for (name, value) in attributes {
        if name.starts_with("dev:") || name == "sub" {
            continue;
        }
        if let Some(r) = readable
            && !r.iter().any(|x| x == name)
        {
            continue;
        }
        if !by_scope(name) {
            continue;
        }
        let v = if BOOLEAN_ATTRIBUTES.contains(&name.as_str()) && !verified_as_strings {
            Value::Bool(value == "true")
        } else {
            oidc_typed(name, value)
        };
        out.insert(name.clone(), v);
    }
    out
}

/// Cognito stores every attribute as a string; OIDC Core §5.1 types two standard claims
/// differently, and strict relying parties refuse the strings: `updated_at` is a number of
/// seconds and `address` a JSON object (a stored JSON object is passed on, any other text
/// becomes its `formatted` member). Everything else, custom attributes included, stays a string.
fn oidc_typed(name: &str, value: &str) -> Value {
    match name {
        "updated_at" => value
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| value.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::String(value.to_string())),
        "address" => match serde_json::from_str::<Value>(value) {
            Ok(v @ Value::Object(_)) => v,
            _ => json!({ "formatted": value }),
        },
        _ => Value::String(value.to_string()),
    }
}

/// `at_hash`: base64url of the left half of SHA-256 of the access token.
pub fn at_hash(access_token: &str) -> String {
    let d = crate::crypto::sha256(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&d[..16])
}

pub fn id_token(
    s: &Subject,
    i: &Issue,
    exp_secs: i64,
    nonce: Option<&str>,
    access_token: Option<&str>,
) -> Map<String, Value> {
    let mut c = visible_attributes(s.attributes, i.readable, i.scopes, false);
    c.insert("sub".into(), json!(s.sub));
    if !s.groups.is_empty() {
        c.insert("cognito:groups".into(), json!(s.groups));
    }
    if !s.roles.is_empty() {
        c.insert("cognito:roles".into(), json!(s.roles));
    }
    if let Some(r) = s.preferred_role {
        c.insert("cognito:preferred_role".into(), json!(r));
    }
    c.insert("iss".into(), json!(i.issuer));
    c.insert("cognito:username".into(), json!(s.username));
    c.insert("origin_jti".into(), json!(i.origin_jti));
    c.insert("aud".into(), json!(i.client_id));
    c.insert("event_id".into(), json!(i.event_id));
    c.insert("token_use".into(), json!("id"));
    c.insert("auth_time".into(), json!(i.auth_time));
    c.insert("exp".into(), json!(i.now + exp_secs));
    c.insert("iat".into(), json!(i.now));
    c.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    if let Some(n) = nonce {
        c.insert("nonce".into(), json!(n));
    }
    if let Some(at) = access_token {
        c.insert("at_hash".into(), json!(at_hash(at)));
    }
    if let Some(identities) = s.attributes.get("identities")
        && let Ok(v) = serde_json::from_str::<Value>(identities)
    {
        c.insert("identities".into(), v);
    }
    c
}

pub fn access_token(s: &Subject, i: &Issue, exp_secs: i64) -> Map<String, Value> {
    let scope = match i.scopes {
        Some(sc) => sc.join(" "),
        None => ADMIN_SCOPE.to_string(),
    };
    let mut c = Map::new();
    c.insert("sub".into(), json!(s.sub));
    if !s.groups.is_empty() {
        c.insert("cognito:groups".into(), json!(s.groups));
    }
    c.insert("iss".into(), json!(i.issuer));
    c.insert("version".into(), json!(2));
    c.insert("client_id".into(), json!(i.client_id));
    c.insert("origin_jti".into(), json!(i.origin_jti));
    c.insert("event_id".into(), json!(i.event_id));
    c.insert("token_use".into(), json!("access"));
    if let Some(key) = i.device_key {
        c.insert("device_key".into(), json!(key));
    }
    c.insert("scope".into(), json!(scope));
    c.insert("auth_time".into(), json!(i.auth_time));
    c.insert("exp".into(), json!(i.now + exp_secs));
    c.insert("iat".into(), json!(i.now));
    c.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    c.insert("username".into(), json!(s.username));
    c
}

/// Machine-to-machine access token (client_credentials): `sub` is the client id.
pub fn m2m_access_token(
    issuer: &str,
    client_id: &ClientId,
    scopes: &[Scope],
    now: i64,
    exp_secs: i64,
) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("sub".into(), json!(client_id));
    c.insert("token_use".into(), json!("access"));
    c.insert("scope".into(), json!(scopes.join(" ")));
    c.insert("auth_time".into(), json!(now));
    c.insert("iss".into(), json!(issuer));
    c.insert("exp".into(), json!(now + exp_secs));
    c.insert("iat".into(), json!(now));
    c.insert("version".into(), json!(2));
    c.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    c.insert("client_id".into(), json!(client_id));
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs() -> BTreeMap<String, String> {
        [("email", "a@b.c"), ("email_verified", "true"), ("name", "A"), ("phone_number", "+1555"), ("custom:t", "x")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn scopes_select_attribute_groups() {
        let s = |l: &[&str]| l.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let sc = |l: &[&str]| l.iter().map(|x| Scope::from(*x)).collect::<Vec<_>>();
        let only_openid = visible_attributes(&attrs(), None, Some(&sc(&["openid"])), false);
        assert_eq!(only_openid.len(), 5);
        let email = visible_attributes(&attrs(), None, Some(&sc(&["openid", "email"])), false);
        assert_eq!(email.keys().collect::<Vec<_>>(), vec!["email", "email_verified"]);
        assert_eq!(email["email_verified"], json!(true));
        let profile = visible_attributes(&attrs(), None, Some(&sc(&["openid", "profile"])), false);
        assert!(profile.contains_key("name") && profile.contains_key("custom:t") && !profile.contains_key("email"));
        assert!(visible_attributes(&attrs(), None, Some(&sc(&["email"])), false).is_empty());
        let readable = s(&["email"]);
        assert_eq!(visible_attributes(&attrs(), Some(&readable), None, false).len(), 1);
    }

    #[test]
    fn updated_at_and_address_have_their_oidc_types() {
        assert_eq!(oidc_typed("updated_at", "1700000000"), json!(1700000000));
        assert_eq!(oidc_typed("address", "1 Main St"), json!({"formatted": "1 Main St"}));
        assert_eq!(oidc_typed("address", r#"{"locality":"X"}"#), json!({"locality": "X"}));
        assert_eq!(oidc_typed("custom:n", "5"), json!("5"));
    }

    #[test]
    fn at_hash_is_left_half_of_sha256() {
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223…
        assert_eq!(at_hash("abc"), URL_SAFE_NO_PAD.encode(hex::decode("ba7816bf8f01cfea414140de5dae2223").unwrap()));
    }
}
