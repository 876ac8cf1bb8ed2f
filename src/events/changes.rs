//! Before/after of a changed setting for the audit log, and the redaction that keeps secrets out
//! of every event. [`changes`] keeps only the members that changed (objects are compared member
//! by member, at any depth; arrays and scalars as wholes); [`redact`] replaces the value of any
//! member whose name looks secret (secrets, passwords, key material, codes, tokens) with
//! `"(redacted)"`, so a changed secret shows that it changed and never what it is. Settings
//! about secrets stay readable: booleans and numbers are never secrets (`GenerateSecret`,
//! `TemporaryPasswordValidityDays`), an object is hidden whole only when its name says it is
//! secret or key material (`PrivateKey`, `Credentials`) and is read member by member otherwise
//! (`PasswordPolicy`), and the members of a `…Units` object are units (`TokenValidityUnits`).

use serde_json::{Map, Value};

pub const REDACTED: &str = "(redacted)";

/// `name` in lower case without separators (`client_secret` → `clientsecret`).
fn normal(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase()
}

/// Whether a member called `name` hides a whole subtree: secrets and key material.
fn is_secret_container(name: &str) -> bool {
    let n = normal(name);
    ["secret", "privatekey", "keymaterial", "masterkey", "signingkey", "credential"].iter().any(|s| n.contains(s))
}

/// Whether a text member called `name` may hold a secret: `ClientSecret`, `client_secret`,
/// `TemporaryPassword`, `private_key`, `KeyMaterial`, `SecretHash`, `refresh_token`,
/// `ConfirmationCode`, `code_verifier`…
pub fn is_secret_name(name: &str) -> bool {
    let n = normal(name);
    const INSIDE: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "passphrase",
        "privatekey",
        "keymaterial",
        "masterkey",
        "signingkey",
        "credential",
        "verifier",
        "seed",
    ];
    const ENDS: &[&str] = &["token", "code", "hash", "otp", "pem", "jwk"];
    INSIDE.iter().any(|s| n.contains(s)) || ENDS.iter().any(|s| n.ends_with(s))
}

/// `value` with every secret-named member (at any depth, in arrays too) replaced by
/// `"(redacted)"`.
pub fn redact(value: &Value) -> Value {
    redact_in(value, false)
}

/// [`redact`], inside a `…Units` object when `units`.
fn redact_in(value: &Value, units: bool) -> Value {
    let hidden = |k: &str, v: &Value| match v {
        Value::String(_) => !units && is_secret_name(k),
        Value::Object(_) | Value::Array(_) => is_secret_container(k),
        _ => false,
    };
    match value {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v =
                        if hidden(k, v) { Value::from(REDACTED) } else { redact_in(v, normal(k).ends_with("units")) };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| redact_in(v, false)).collect()),
        other => other.clone(),
    }
}

/// `{"before": {…}, "after": {…}}` with only what changed between `before` and `after`
/// (a member on one side only appears on that side), redacted. Two objects are compared member
/// by member; anything else is a whole value. Null when nothing changed.
pub fn changes(before: &Value, after: &Value) -> Value {
    match diff(before, after) {
        None => Value::Null,
        Some((b, a)) => {
            let mut out = Map::new();
            out.insert("before".into(), b.map(|v| redact(&v)).unwrap_or(Value::Null));
            out.insert("after".into(), a.map(|v| redact(&v)).unwrap_or(Value::Null));
            Value::Object(out)
        }
    }
}

/// What differs: `None` when equal, else each side's part (`None` where a side has nothing).
fn diff(before: &Value, after: &Value) -> Option<(Option<Value>, Option<Value>)> {
    if before == after {
        return None;
    }
    let (Value::Object(b), Value::Object(a)) = (before, after) else {
        let side = |v: &Value| (!v.is_null()).then(|| v.clone());
        return Some((side(before), side(after)));
    };
    let (mut out_b, mut out_a) = (Map::new(), Map::new());
    for (k, bv) in b {
        match a.get(k) {
            None => {
                out_b.insert(k.clone(), bv.clone());
            }
            Some(av) => {
                if let Some((db, da)) = diff(bv, av) {
                    if let Some(v) = db {
                        out_b.insert(k.clone(), v);
                    }
                    if let Some(v) = da {
                        out_a.insert(k.clone(), v);
                    }
                }
            }
        }
    }
    for (k, av) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
        out_a.insert(k.clone(), av.clone());
    }
    let side = |m: Map<String, Value>| (!m.is_empty()).then_some(Value::Object(m));
    Some((side(out_b), side(out_a)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_changed_members_are_kept_at_any_depth() {
        let before = json!({
            "PoolName": "p",
            "Policies": {"PasswordPolicy": {"MinimumLength": 8, "RequireNumbers": true}},
            "MfaConfiguration": "OFF",
            "Gone": 1,
        });
        let after = json!({
            "PoolName": "p",
            "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireNumbers": true}},
            "MfaConfiguration": "ON",
            "New": [1, 2],
        });
        assert_eq!(
            changes(&before, &after),
            json!({
                "before": {"Policies": {"PasswordPolicy": {"MinimumLength": 8}}, "MfaConfiguration": "OFF", "Gone": 1},
                "after": {"Policies": {"PasswordPolicy": {"MinimumLength": 12}}, "MfaConfiguration": "ON", "New": [1, 2]},
            })
        );
    }

    #[test]
    fn nothing_changed_is_null_and_arrays_compare_whole() {
        let v = json!({"a": {"b": [1, 2]}});
        assert_eq!(changes(&v, &v), Value::Null);
        assert_eq!(
            changes(&json!({"urls": ["a", "b"]}), &json!({"urls": ["a", "c"]})),
            json!({"before": {"urls": ["a", "b"]}, "after": {"urls": ["a", "c"]}})
        );
        assert_eq!(changes(&Value::Null, &json!({"x": 1})), json!({"before": null, "after": {"x": 1}}));
        assert_eq!(changes(&json!("OFF"), &json!("ON")), json!({"before": "OFF", "after": "ON"}));
    }

    #[test]
    fn secrets_are_redacted_but_show_that_they_changed() {
        let before = json!({"ProviderDetails": {"client_id": "abc", "client_secret": "old-s3cret"}, "Name": "g"});
        let after = json!({"ProviderDetails": {"client_id": "abc", "client_secret": "new-s3cret"}, "Name": "g"});
        let c = changes(&before, &after);
        assert_eq!(
            c,
            json!({"before": {"ProviderDetails": {"client_secret": REDACTED}},
                   "after": {"ProviderDetails": {"client_secret": REDACTED}}})
        );
        assert!(!c.to_string().contains("s3cret"));
        // A secret inside a changed array, and whole secret-named subtrees.
        let c = changes(
            &json!({"keys": []}),
            &json!({"keys": [{"kid": "k1", "PrivateKey": {"d": "xyz"}}], "TemporaryPassword": "Pw-1"}),
        );
        assert_eq!(
            c,
            json!({"before": {"keys": []},
                   "after": {"keys": [{"kid": "k1", "PrivateKey": REDACTED}], "TemporaryPassword": REDACTED}})
        );
        assert!(!c.to_string().contains("xyz") && !c.to_string().contains("Pw-1"));
    }

    #[test]
    fn secret_names_are_recognised_and_settings_are_not() {
        for name in [
            "ClientSecret",
            "client_secret",
            "SecretAccessKey",
            "TemporaryPassword",
            "password_hash",
            "private_key",
            "KeyMaterial",
            "SECRET_HASH",
            "refresh_token",
            "SessionToken",
            "ConfirmationCode",
            "code",
            "code_verifier",
            "totp_seed",
            "MasterKey",
        ] {
            assert!(is_secret_name(name), "{name} should be redacted");
        }
        for name in [
            "ClientId",
            "AccessKeyId",
            "MinimumLength",
            "AccessTokenValidity",
            "TokenValidityUnits",
            "MfaConfiguration",
            "grant_type",
            "provider",
            "CallbackURLs",
            "kid",
        ] {
            assert!(!is_secret_name(name), "{name} is a setting, not a secret");
        }
        assert_eq!(redact(&json!({"password": null})), json!({"password": null}));
    }

    #[test]
    fn settings_about_secrets_stay_readable() {
        let client = json!({
            "GenerateSecret": true,
            "TokenValidityUnits": {"AccessToken": "hours", "IdToken": "days", "RefreshToken": "days"},
            "AccessTokenValidity": 1,
            "Policies": {"PasswordPolicy": {"MinimumLength": 12, "TemporaryPasswordValidityDays": 7}},
        });
        assert_eq!(redact(&client), client);
        let secrets = json!({"Credentials": {"AccessKeyId": "AKIA", "Expiration": 1}, "ClientSecret": 5, "token": "t"});
        assert_eq!(redact(&secrets), json!({"Credentials": REDACTED, "ClientSecret": 5, "token": REDACTED}));
    }
}
