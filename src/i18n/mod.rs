//! Languages and the message catalogue: every word the hosted pages, the error pages and the
//! default mails show. Cognito's pages speak English only; ours speak the languages below.
//!
//! - [`Lang`] is a shipped language; [`negotiate`] picks one from the `lang` query parameter
//!   (it wins), then `Accept-Language` (by q-value), then English.
//! - [`t`] looks a key up (English when a language lacks it); [`tf`] fills one `{name}`
//!   placeholder. The catalogues are static arrays, one file per language, indexed once.
//! - [`localize`] translates an English text the services produce (Cognito's exception
//!   messages, which the JSON API must keep verbatim, and page-level errors): a known text, or
//!   a known text with one variable part, becomes the catalogue's; anything else stays English.

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

/// Namespaces whose English texts are also produced outside the catalogue (by the services, or
/// as page errors) and so may be translated back by text.
const BY_TEXT: &[&str] = &["cognito.", "error."];

/// An English text with at most one `{placeholder}`, split around it.
struct Pattern {
    key: &'static str,
    prefix: &'static str,
    suffix: &'static str,
    name: &'static str,
}

struct Reverse {
    exact: HashMap<&'static str, &'static str>,
    patterns: Vec<Pattern>,
}

static REVERSE: LazyLock<Reverse> = LazyLock::new(|| {
    let mut exact = HashMap::new();
    let mut patterns = Vec::new();
    for &(key, text) in en::MESSAGES.iter().filter(|(k, _)| BY_TEXT.iter().any(|ns| k.starts_with(ns))) {
        match placeholders(text).as_slice() {
            [] => {
                exact.insert(text, key);
            }
            [name] if !text.starts_with('{') => {
                let at = text.find(&format!("{{{name}}}")).unwrap_or(0);
                patterns.push(Pattern { key, prefix: &text[..at], suffix: &text[at + name.len() + 2..], name });
            }
            _ => {}
        }
    }
    Reverse { exact, patterns }
});

/// The `{name}` placeholders of a text, in order.
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

/// An English service or page message in `lang`: a catalogue text when it is a known one (its
/// variable part translated too, when that is known), the English text otherwise.
pub fn localize(lang: Lang, english: &str) -> String {
    if lang == Lang::En {
        return english.to_string();
    }
    let rev = &*REVERSE;
    if let Some(key) = rev.exact.get(english) {
        return t(lang, key).to_string();
    }
    for p in &rev.patterns {
        if english.len() >= p.prefix.len() + p.suffix.len()
            && let Some(value) = english.strip_prefix(p.prefix).and_then(|r| r.strip_suffix(p.suffix))
            && !value.is_empty()
        {
            return tf(lang, p.key, p.name, &localize(lang, value));
        }
    }
    english.to_string()
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
    fn texts_translated_back_by_text_are_unambiguous() {
        let mut seen = HashMap::new();
        for (key, text) in en::MESSAGES.iter().filter(|(k, _)| BY_TEXT.iter().any(|ns| k.starts_with(ns))) {
            if let Some(other) = seen.insert(*text, *key) {
                panic!("{key} and {other} share the English text {text:?}");
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

    #[test]
    fn service_messages_are_translated_by_text() {
        assert_eq!(
            localize(Lang::Fr, "Incorrect username or password."),
            "Nom d'utilisateur ou mot de passe incorrect."
        );
        assert_eq!(localize(Lang::En, "Incorrect username or password."), "Incorrect username or password.");
        assert_eq!(
            localize(Lang::De, "Password did not conform with policy: Password must have numeric characters"),
            "Das Passwort entspricht nicht der Richtlinie: Das Passwort muss Ziffern enthalten"
        );
        assert_eq!(
            localize(Lang::Fr, "Password did not conform with policy: Something new"),
            "Le mot de passe n'est pas conforme à la politique\u{a0}: Something new"
        );
        assert_eq!(localize(Lang::Fr, "Something nobody translated."), "Something nobody translated.");
    }
}
