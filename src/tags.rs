//! AWS resource tags as Cognito checks them, for user pools (`UserPoolTags`, TagResource) and
//! identity pools alike: at most 50 per resource, keys 1–128 characters, values up to 256, and
//! no key under the reserved `aws:` prefix.

use std::collections::BTreeMap;

/// The most tags one resource may carry.
pub const MAX_TAGS: usize = 50;

/// What is wrong with a resource's tags, if anything (the message the API answers).
pub fn problem(tags: &BTreeMap<String, String>) -> Option<String> {
    if tags.len() > MAX_TAGS {
        return Some(format!("A resource can have at most {MAX_TAGS} tags."));
    }
    if let Some(k) = tags.keys().find(|k| k.to_ascii_lowercase().starts_with("aws:")) {
        return Some(format!("Tag keys starting with aws: are reserved: {k}"));
    }
    if let Some(k) = tags.keys().find(|k| k.is_empty() || k.chars().count() > 128) {
        return Some(format!("Tag key '{k}' must be 1 to 128 characters long."));
    }
    if let Some(k) = tags.iter().find(|(_, v)| v.chars().count() > 256).map(|(k, _)| k) {
        return Some(format!("The value of tag '{k}' is longer than 256 characters."));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn limits_and_the_reserved_prefix_are_refused() {
        assert_eq!(problem(&tags(&[("team", "core"), ("empty", "")])), None);
        assert!(problem(&tags(&[("AWS:name", "x")])).is_some());
        assert!(problem(&tags(&[("", "x")])).is_some());
        assert!(problem(&tags(&[(&"k".repeat(129), "x")])).is_some());
        assert_eq!(problem(&tags(&[(&"k".repeat(128), &"v".repeat(256))])), None);
        assert!(problem(&tags(&[("k", &"v".repeat(257))])).is_some());
        let many: BTreeMap<String, String> = (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert!(problem(&many).is_some());
        assert_eq!(problem(&many.into_iter().take(50).collect()), None);
    }
}
