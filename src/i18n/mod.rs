//! Languages and the message catalogue: every word the hosted pages, the error pages and the
//! default mails show. Cognito's pages speak English only; ours speak the languages below.
//!
//! - [`Lang`] is a shipped language; [`negotiate`] picks one from the `lang` query parameter
//!   (it wins), then `Accept-Language` (by q-value), then English.
//! - [`t`] looks a key up (English when a language lacks it); [`tf`] fills one `{name}`
//!   placeholder. The catalogues are static arrays, one file per language, indexed once.
//! - Service errors carry a code ([`crate::userpool::error::Message`]) and page errors a key
//!   ([`crate::web::PageError`]); both are looked up here by key, never by their English text.

mod de;
mod en;
mod fr;

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the catalogue ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
    De,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::Fr, Lang::De];

    /// The BCP 47 tag (`<html lang>`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
            Lang::De => "de",
        }
    }

    /// The language's name in itself (`Français`), for choosing or labelling.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Fr => "Français",
            Lang::De => "Deutsch",
        }
    }

    /// The shipped language of a tag by its primary subtag (`fr`, `fr-CA`, `de_AT`, `EN`).
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?;
        Lang::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(primary))
    }

    fn entries(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Lang::En => en::MESSAGES,
            Lang::Fr => fr::MESSAGES,
            Lang::De => de::MESSAGES,
        }
    }
}

/// The language for a request: a shipped `lang` parameter, else the best shipped language of
/// `Accept-Language` (highest q first, `q=0` excluded, `*` ignored), else English.
pub fn negotiate(lang_param: Option<&str>, accept_language: Option<&str>) -> Lang {
    if let Some(l) = lang_param.and_then(Lang::from_tag) {
        return l;
    }
    let mut ranked: Vec<(u16, &str)> = accept_language
        .unwrap_or_default()
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let mut q = 1000u16;
            for p in parts {
                if let Some(v) = p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")) {
                    q = v.trim().parse::<f32>().map(|f| (f.clamp(0.0, 1.0) * 1000.0) as u16).unwrap_or(0);
                }
            }
            (q > 0 && !tag.is_empty() && tag != "*").then_some((q, tag))
        })
        .collect();
    // Stable: equal weights keep the header's order.
    ranked.sort_by_key(|r| std::cmp::Reverse(r.0));
    ranked.into_iter().find_map(|(_, tag)| Lang::from_tag(tag)).unwrap_or_default()
}

type Index = HashMap<&'static str, &'static str>;

static INDEXES: LazyLock<[Index; 3]> =
    LazyLock::new(|| Lang::ALL.map(|l| l.entries().iter().copied().collect::<Index>()));

fn index(lang: Lang) -> &'static Index {
    &INDEXES[lang as usize]
}

/// The text of `key` in `lang`; English when the language lacks it; the key itself when even
/// English does (a bug the catalogue test catches).
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    index(lang).get(key).or_else(|| index(Lang::En).get(key)).copied().unwrap_or(key)
}

/// [`t`] with its `{name}` placeholder replaced by `value`.
pub fn tf(lang: Lang, key: &'static str, name: &str, value: &str) -> String {
    t(lang, key).replace(&format!("{{{name}}}"), value)
}

/// The `{name}` placeholders of a text, in order.
#[cfg(test)]
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        out.push(&rest[open + 1..open + close]);
        rest = &rest[open + close + 1..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_key_exists_in_every_language_with_the_same_placeholders() {
        let english: BTreeSet<&str> = en::MESSAGES.iter().map(|(k, _)| *k).collect();
        assert_eq!(english.len(), en::MESSAGES.len(), "duplicate English keys");
        for lang in Lang::ALL {
            let keys: BTreeSet<&str> = lang.entries().iter().map(|(k, _)| *k).collect();
            assert_eq!(keys.len(), lang.entries().len(), "duplicate keys in {lang:?}");
            let missing: Vec<_> = english.difference(&keys).collect();
            assert!(missing.is_empty(), "{lang:?} lacks {missing:?}");
            let extra: Vec<_> = keys.difference(&english).collect();
            assert!(extra.is_empty(), "{lang:?} has keys English lacks: {extra:?}");
            for (key, text) in lang.entries() {
                let mut want = placeholders(t(Lang::En, key));
                let mut got = placeholders(text);
                want.sort_unstable();
                got.sort_unstable();
                assert_eq!(got, want, "{lang:?} {key}: placeholders differ");
                assert!(!text.trim().is_empty(), "{lang:?} {key} is empty");
            }
        }
    }

    #[test]
    fn missing_keys_fall_back_to_english() {
        assert_eq!(t(Lang::Fr, "login.submit"), "Se connecter");
        assert_eq!(t(Lang::En, "no.such.key"), "no.such.key");
        assert_eq!(tf(Lang::En, "rule.min_length", "n", "8"), "At least 8 characters");
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(None, None), Lang::En);
        assert_eq!(negotiate(Some("fr"), None), Lang::Fr);
        assert_eq!(negotiate(Some("DE-at"), None), Lang::De);
        assert_eq!(negotiate(Some("fr"), Some("de")), Lang::Fr, "lang beats Accept-Language");
        assert_eq!(negotiate(Some("xx"), Some("de")), Lang::De, "an unshipped lang defers to the header");
        assert_eq!(negotiate(Some("xx"), None), Lang::En);
        assert_eq!(negotiate(None, Some("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5")), Lang::Fr);
        assert_eq!(negotiate(None, Some("es, de;q=0.4, fr;q=0.6")), Lang::Fr);
        assert_eq!(negotiate(None, Some("de;q=0, fr;q=0.1")), Lang::Fr, "q=0 means not acceptable");
        assert_eq!(negotiate(None, Some("es, it")), Lang::En);
        assert_eq!(negotiate(None, Some("*")), Lang::En);
        assert_eq!(negotiate(None, Some("en-GB,de;q=0.9")), Lang::En);
    }

    /// Every `"error.…"` and `"cognito.…"` key the code names exists in the catalogue (a
    /// missing one would show the key itself).
    #[test]
    fn keys_named_in_the_code_exist() {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push((path.display().to_string(), std::fs::read_to_string(&path).unwrap()));
                }
            }
        }
        let mut files = Vec::new();
        walk(std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")), &mut files);
        let mut checked = 0;
        for (path, text) in &files {
            for part in text.split('"').skip(1).step_by(2) {
                let named = ["error.", "cognito."].iter().any(|ns| part.starts_with(ns))
                    && part.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                    && !part.ends_with(".html");
                if named {
                    assert!(index(Lang::En).contains_key(part), "{path} names {part:?}, which the catalogue lacks");
                    checked += 1;
                }
            }
        }
        assert!(checked > 20, "only {checked} keys found: is the scan broken?");
    }
}
