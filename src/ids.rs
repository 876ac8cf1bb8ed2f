//! The identifiers every layer speaks of, one type per kind, so a pool id cannot be passed where a
//! client id is meant. Surfaces make them from what a caller sent with `parse`, which applies
//! Cognito's own shape for the kind (an id that fails it names nothing that exists, so the caller
//! answers "not found" exactly as a miss in the store would). Ids read back from the store, or
//! freshly minted, are taken as they are with `From<String>`/`From<&str>`: the type says what kind
//! of id a value is, the store's rows are trusted to hold that kind, and the integration tests
//! build rows from plain strings. The store binds and reads them as TEXT (`store::text_columns!`).

use regex::Regex;
use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::sync::LazyLock;

/// Defines each id type: a transparent `String` newtype that reads as a `&str`.
macro_rules! ids {
    ($($(#[$doc:meta])* $name:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                $name(s)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                $name(s.to_string())
            }
        }

        impl From<&String> for $name {
            fn from(s: &String) -> Self {
                $name(s.clone())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    )*};
}

ids! {
    /// A user pool's id, `{region}_{alphanumerics}` (Cognito's `UserPoolIdType`).
    PoolId;
    /// An app client's id (Cognito's `ClientIdType`).
    ClientId;
    /// A user's immutable `sub`.
    UserSub;
    /// A user's name in its pool, as stored (Cognito's `UsernameType`).
    Username;
    /// An OAuth scope (Cognito's `ScopeType`).
    Scope;
}

/// Whether `s` is `min..=max` characters long and matches `re` as a whole.
fn shaped(s: &str, min: usize, max: usize, re: &Regex) -> bool {
    (min..=max).contains(&s.chars().count()) && re.is_match(s)
}

/// A whole-string regex.
fn whole(pattern: &str) -> Regex {
    Regex::new(&format!("^(?:{pattern})$")).expect("id pattern")
}

static USERNAME: LazyLock<Regex> = LazyLock::new(|| whole(r"[\p{L}\p{M}\p{S}\p{N}\p{P}]+"));
static SCOPE: LazyLock<Regex> = LazyLock::new(|| whole(r"[\x21\x23-\x5B\x5D-\x7E]+"));

/// `\w` as Cognito's (Java) patterns mean it: ASCII letters, digits and `_`.
fn word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

impl PoolId {
    /// `raw` if it has the shape of a pool id: `[\w-]+_[0-9a-zA-Z]+`, at most 55 characters.
    pub fn parse(raw: &str) -> Option<PoolId> {
        let (region, suffix) = raw.rsplit_once('_')?;
        let ok = raw.len() <= 55
            && !region.is_empty()
            && region.bytes().all(|b| word(b) || b == b'-')
            && !suffix.is_empty()
            && suffix.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then(|| PoolId(raw.to_string()))
    }
}

impl ClientId {
    /// `raw` if it has the shape of a client id: `[\w+]+`, 1 to 128 characters.
    pub fn parse(raw: &str) -> Option<ClientId> {
        let ok = (1..=128).contains(&raw.len()) && raw.bytes().all(|b| word(b) || b == b'+');
        ok.then(|| ClientId(raw.to_string()))
    }
}

impl Username {
    /// `raw` if it has the shape of a username: `[\p{L}\p{M}\p{S}\p{N}\p{P}]+`, 1 to 128 characters.
    pub fn parse(raw: &str) -> Option<Username> {
        shaped(raw, 1, 128, &USERNAME).then(|| Username(raw.to_string()))
    }
}

impl UserSub {
    /// `raw` if it could be a stored `sub`: 1 to 128 characters, no control character.
    pub fn parse(raw: &str) -> Option<UserSub> {
        let ok = (1..=128).contains(&raw.chars().count()) && !raw.chars().any(char::is_control);
        ok.then(|| UserSub(raw.to_string()))
    }
}

impl Scope {
    /// `raw` if it has the shape of a scope: `[\x21\x23-\x5B\x5D-\x7E]+`, 1 to 256 characters.
    pub fn parse(raw: &str) -> Option<Scope> {
        shaped(raw, 1, 256, &SCOPE).then(|| Scope(raw.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each of `ok` parses to itself and none of `bad` parses.
    fn shapes<T: PartialEq<str> + fmt::Debug>(parse: fn(&str) -> Option<T>, ok: &[&str], bad: &[&str]) {
        for s in ok {
            assert!(parse(s).is_some_and(|id| id == **s), "{s:?} should parse");
        }
        for s in bad {
            assert!(parse(s).is_none(), "{s:?} should not parse");
        }
    }

    #[test]
    fn pool_ids_have_cognitos_shape() {
        let longest = format!("{}_1", "a".repeat(53));
        let too_long = format!("{}_1", "a".repeat(54));
        let ok = ["us-east-1_AbC123xyz", "local_abc", "a_b", "r_1", "a_b_c", "-_1", longest.as_str()];
        let bad =
            ["", "abc", "_abc", "a_", "a_b-c", "a_b_", "a b_c", "a_bé", "é_1", "a.b_c", "a/b_c", "a_b\n", "a_b\0"];
        shapes(PoolId::parse, &ok, &[&bad[..], &[too_long.as_str()]].concat());
    }

    #[test]
    fn client_ids_have_cognitos_shape() {
        let (longest, too_long) = ("c".repeat(128), "c".repeat(129));
        let ok = ["abcdefghijklmnopqrstuvwxyz", "A_b+1", "+", "_", longest.as_str()];
        shapes(ClientId::parse, &ok, &["", "a-b", "a b", "a\0", "a/b", "a=", "é", too_long.as_str()]);
    }

    #[test]
    fn usernames_have_cognitos_shape() {
        let (longest, too_long) = ("ü".repeat(128), "u".repeat(129));
        let ok = ["alice", "a@b.example", "+4915112345678", "日本", "a_b-c!", longest.as_str()];
        shapes(Username::parse, &ok, &["", "a b", "a\tb", "a\0", too_long.as_str()]);
    }

    #[test]
    fn subs_are_short_and_free_of_controls() {
        let (longest, too_long) = ("s".repeat(128), "s".repeat(129));
        let ok = ["0b4e6c1e-2a3b-4c5d-8e9f-001122334455", longest.as_str()];
        shapes(UserSub::parse, &ok, &["", "a\0b", "a\nb", too_long.as_str()]);
    }

    #[test]
    fn scopes_have_cognitos_shape() {
        let (longest, too_long) = ("s".repeat(256), "s".repeat(257));
        let ok = ["openid", "aws.cognito.signin.user.admin", "https://api.example/read", "a!#[]~", longest.as_str()];
        shapes(Scope::parse, &ok, &["", "a b", "a\"b", "a\\b", "é", "a\u{7f}", too_long.as_str()]);
    }

    #[test]
    fn an_id_reads_as_its_text() {
        let id = PoolId::from("local_abc");
        assert_eq!(id.as_str(), "local_abc");
        assert_eq!(id.to_string(), "local_abc");
        assert_eq!(&*id, "local_abc");
        let text = String::from("local_abc");
        assert_eq!(id, "local_abc");
        assert_eq!("local_abc", id);
        assert_eq!(id, text);
        assert_eq!(text, id);
        assert_eq!(serde_json::to_value(&id).unwrap(), serde_json::json!("local_abc"));
        assert_eq!(serde_json::from_value::<PoolId>(serde_json::json!("x_1")).unwrap(), "x_1");
    }
}
