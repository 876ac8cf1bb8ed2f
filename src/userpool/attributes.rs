//! User attributes: validation against the pool schema, the one writer of attributes on a
//! user's behalf ([`write_as_user`]), sign-in aliases and searchable values.

use super::error::{Error, Message, Result};
use super::model::{Client, Pool};
use crate::store::users::{Alias, SearchValue, UserRow};
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

/// Attribute names and values as given, in order (Cognito's `[{Name, Value}]`).
pub type AttributeList = [(String, String)];

/// Check each attribute against the schema and collect them into a map (a later value of a
/// name wins). `creating` allows immutable attributes to be set.
pub fn parse_list(
    pool: &Pool,
    list: &AttributeList,
    writer: Writer,
    creating: bool,
) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (name, value) in list {
        check(pool, name, value, writer, creating)?;
        out.insert(name.clone(), normalized(pool, name, value));
    }
    Ok(out)
}

/// A Boolean attribute's value in any letter case (`True`, as Cognito accepts it) is stored as
/// `true` or `false`; other values as given.
fn normalized(pool: &Pool, name: &str, value: &str) -> String {
    let boolean = pool.schema_attribute(name).is_some_and(|s| s["AttributeDataType"] == "Boolean");
    if boolean { value.to_ascii_lowercase() } else { value.to_string() }
}

/// Check that `names` may be deleted by `writer` (DeleteUserAttributes,
/// AdminDeleteUserAttributes): each in the schema, mutable, and never `sub`; a user may not
/// delete developer-only attributes. Required attributes are the caller's check, once the
/// deletion is applied.
pub fn check_deletions(pool: &Pool, names: &[String], writer: Writer) -> Result<()> {
    for name in names {
        check(pool, name, "", writer, false)?;
    }
    Ok(())
}

fn check(pool: &Pool, name: &str, value: &str, writer: Writer, creating: bool) -> Result<()> {
    if name == "sub" {
        return Err(Error::invalid("Cannot modify an already provided sub attribute."));
    }
    if name == super::linked_identities::IDENTITIES {
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
        return Err(Error::NotAuthorized(Message::UnauthorizedAttribute { name: name.to_string() }));
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
        "Boolean" if !value.eq_ignore_ascii_case("true") && !value.eq_ignore_ascii_case("false") => {
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

/// Why a user (through an app client, not an administrator) writes attributes; the rules differ
/// a little between them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserWrite {
    /// SignUp, on the API and the hosted page: a new user, so immutable attributes may be given.
    SignUp,
    /// The answer to NEW_PASSWORD_REQUIRED, on the API and the hosted page: missing required
    /// attributes may be supplied and other writable ones updated, but a required attribute
    /// already provided stays, and an immutable one can only be filled in while it is empty.
    NewPassword,
    /// UpdateUserAttributes and DeleteUserAttributes: a signed-in user changes their own
    /// attributes; immutable ones stay as they are.
    Update,
}

/// `email_verified` and `phone_number_verified`: proven with a code (or set by an administrator),
/// never claimed by the user. Custom attributes carry a `custom:` prefix, so none is caught here.
fn is_verification_flag(name: &str) -> bool {
    !name.contains(':') && name.ends_with("_verified")
}

fn unauthorized_attribute(name: &str) -> Error {
    Error::NotAuthorized(Message::UnauthorizedAttribute { name: name.to_string() })
}

/// The one writer of attributes on a user's behalf: every path where a user, through an app
/// client, writes attributes (SignUp and the NEW_PASSWORD_REQUIRED answer, on the API and the
/// hosted pages; UpdateUserAttributes and DeleteUserAttributes)
/// goes through it. Administrators write with [`parse_list`] and [`Writer::Admin`] instead, and
/// federation writes what the pool's administrator mapped.
///
/// `pairs` are the (name, value) pairs as sent; `current` is the user's attributes (empty for a
/// new user), changed only when every pair is accepted. The rules, as Cognito's:
/// - `*_verified` cannot be written: NotAuthorizedException, like an attribute outside the
///   client's `WriteAttributes`;
/// - the schema: type, constraints, developer-only and immutable attributes;
/// - the client's `WriteAttributes`, when it has them, name what it may write; required
///   attributes are always writable;
/// - in the new-password challenge a required attribute already provided cannot be changed;
/// - an e-mail or phone number that changes is no longer verified.
pub fn write_as_user<'a>(
    pool: &Pool,
    client: &Client,
    current: &mut BTreeMap<String, String>,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    why: UserWrite,
) -> Result<()> {
    let required = pool.required_attributes();
    let writable = client.write_attributes();
    let mut changes = BTreeMap::new();
    for (name, value) in pairs {
        if is_verification_flag(name) {
            return Err(unauthorized_attribute(name));
        }
        let present = current.get(name).is_some_and(|v| !v.is_empty());
        let creating = match why {
            UserWrite::SignUp => true,
            UserWrite::NewPassword => !present,
            UserWrite::Update => false,
        };
        check(pool, name, value, Writer::User, creating)?;
        let is_required = required.iter().any(|r| r == name);
        if !is_required && writable.as_ref().is_some_and(|w| !w.iter().any(|a| a == name)) {
            return Err(unauthorized_attribute(name));
        }
        if why == UserWrite::NewPassword && is_required && present {
            return Err(Error::invalid(format!("Cannot modify an already provided required attribute: {name}")));
        }
        changes.insert(name.to_string(), normalized(pool, name, value));
    }
    if why != UserWrite::SignUp {
        unverify_changed(current, &changes);
    }
    current.extend(changes);
    Ok(())
}

/// An e-mail address or phone number that `changes` gives a new value is no longer verified in
/// `current`, unless the same changes set its flag (an administrator, or an identity provider's
/// mapped claim, may). Every writer of attributes applies this before applying `changes`.
pub fn unverify_changed(current: &mut BTreeMap<String, String>, changes: &BTreeMap<String, String>) {
    for (attr, flag) in [("email", "email_verified"), ("phone_number", "phone_number_verified")] {
        if let Some(v) = changes.get(attr)
            && current.get(attr) != Some(v)
            && !changes.contains_key(flag)
        {
            current.insert(flag.to_string(), "false".into());
        }
    }
}

/// Required attributes missing from the map.
pub fn missing_required(pool: &Pool, attrs: &BTreeMap<String, String>) -> Vec<String> {
    pool.required_attributes().iter().filter(|n| attrs.get(*n).is_none_or(|v| v.is_empty())).cloned().collect()
}

/// The names a user signs in with besides the username.
pub fn aliases(pool: &Pool, attrs: &BTreeMap<String, String>) -> Vec<Alias> {
    let mut out = Vec::new();
    let verified = |k: &str| attrs.get(k).map(String::as_str) == Some("true");
    for kind in pool.username_attributes() {
        if let Some(v) = attrs.get(kind).filter(|v| !v.is_empty()) {
            out.push((kind.clone(), pool.lookup_key(v)));
        }
    }
    for kind in pool.alias_attributes() {
        let Some(v) = attrs.get(kind).filter(|v| !v.is_empty()) else {
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
    let standard =
        SEARCHABLE.iter().filter_map(|n| attrs.get(*n).filter(|v| !v.is_empty()).map(|v| (n.to_string(), v.clone())));
    // Custom attributes are searchable from the dashboard (not by ListUsers, as in Cognito);
    // values longer than an index entry should hold are left out.
    let custom = attrs
        .iter()
        .filter(|(k, v)| k.starts_with("custom:") && !v.is_empty() && v.len() <= MAX_CUSTOM_SEARCH_BYTES)
        .map(|(k, v)| (k.clone(), v.clone()));
    standard.chain(custom).collect()
}

/// The longest custom attribute value (in bytes) the dashboard's search can find.
pub const MAX_CUSTOM_SEARCH_BYTES: usize = 256;

/// A user's attributes as (name, value) pairs, `sub` first and then by name, as Cognito lists
/// them; with `only`, just the names it holds.
pub fn to_list(user: &UserRow, only: Option<&[String]>) -> Vec<(String, String)> {
    let want = |n: &str| only.is_none_or(|o| o.iter().any(|x| x == n));
    let sub = want("sub").then(|| ("sub".to_string(), user.id.to_string()));
    let rest = user.attributes.iter().filter(|(k, _)| want(k)).map(|(k, v)| (k.clone(), v.clone()));
    sub.into_iter().chain(rest).collect()
}

/// The attributes a client may show its own user (GetUser): `sub` always, developer-only
/// attributes never, the rest limited to the client's `ReadAttributes` when it has them.
pub fn to_list_for_client(user: &UserRow, readable: Option<&[String]>) -> Vec<(String, String)> {
    let shown = |name: &str| {
        name == "sub" || (!name.starts_with("dev:") && readable.is_none_or(|r| r.iter().any(|x| x == name)))
    };
    to_list(user, None).into_iter().filter(|(name, _)| shown(name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_address_is_unverified_unless_the_change_sets_its_flag() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
        };
        let mut a = map(&[("email", "a@x.io"), ("email_verified", "true"), ("phone_number_verified", "true")]);
        unverify_changed(&mut a, &map(&[("email", "a@x.io"), ("name", "A")]));
        assert_eq!(a["email_verified"], "true", "an unchanged address stays verified");
        unverify_changed(&mut a, &map(&[("email", "b@x.io")]));
        assert_eq!(a["email_verified"], "false");
        unverify_changed(&mut a, &map(&[("phone_number", "+15555550100"), ("phone_number_verified", "true")]));
        assert_eq!(a["phone_number_verified"], "true", "the change set the flag itself");
    }

    fn user(attrs: &[(&str, &str)]) -> UserRow {
        UserRow {
            id: "the-sub".into(),
            pool_id: "p".into(),
            username: "u".into(),
            username_key: "u".into(),
            status: "CONFIRMED".into(),
            enabled: true,
            password_hash: None,
            srp_verifier: None,
            password_set_at: None,
            attributes: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            tokens_valid_after: 0,
            created_at: 0,
            updated_at: 0,
        }
    }

    fn names(list: &[(String, String)]) -> Vec<&str> {
        list.iter().map(|(n, _)| n.as_str()).collect()
    }

    #[test]
    fn lists_put_sub_first_and_keep_only_what_is_asked() {
        let u = user(&[("name", "N"), ("email", "e@x.io"), ("dev:x", "1")]);
        let all = to_list(&u, None);
        assert_eq!(all[0], ("sub".to_string(), "the-sub".to_string()));
        assert_eq!(names(&all), ["sub", "dev:x", "email", "name"]);
        assert_eq!(names(&to_list(&u, Some(&["name".to_string()]))), ["name"]);
        assert_eq!(names(&to_list(&u, Some(&["sub".to_string(), "email".to_string()]))), ["sub", "email"]);
        assert!(to_list(&u, Some(&[])).is_empty());
    }

    #[test]
    fn a_client_sees_sub_and_its_readable_attributes_never_developer_ones() {
        let u = user(&[("name", "N"), ("email", "e@x.io"), ("dev:x", "1")]);
        assert_eq!(names(&to_list_for_client(&u, None)), ["sub", "email", "name"]);
        assert_eq!(names(&to_list_for_client(&u, Some(&["name".to_string(), "dev:x".to_string()]))), ["sub", "name"]);
    }

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
