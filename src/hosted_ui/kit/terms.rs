//! The line that links a client's terms documents ([`crate::userpool::terms`]) on its sign-up
//! page, and on its sign-in page beside the sign-up link: the catalogue's sentence for the
//! documents that exist, cut at its `{terms}` and `{privacy}` placeholders into text and links,
//! so the template escapes every piece and no HTML is built here.

use crate::i18n::{Lang, t};
use crate::userpool::terms::PageTerms;

/// The line, piece by piece.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TermsNotice {
    pub pieces: Vec<Piece>,
}

/// Text, linked to `href` when it names a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    pub href: Option<String>,
}

impl TermsNotice {
    /// The line in `lang` for the documents in `terms`; none when there are none.
    pub fn new(lang: Lang, terms: &PageTerms) -> Option<TermsNotice> {
        let key = match (&terms.terms_of_use, &terms.privacy_policy) {
            (Some(_), Some(_)) => "terms.agree_both",
            (Some(_), None) => "terms.agree_terms",
            (None, Some(_)) => "terms.agree_privacy",
            (None, None) => return None,
        };
        let links = [
            ("{terms}", t(lang, "terms.terms_of_use"), &terms.terms_of_use),
            ("{privacy}", t(lang, "terms.privacy_policy"), &terms.privacy_policy),
        ];
        let mut pieces = Vec::new();
        let mut rest = t(lang, key);
        loop {
            // The placeholder that comes first in what is left.
            let next = links
                .iter()
                .filter_map(|(mark, label, href)| Some((rest.find(mark)?, *mark, *label, href.as_ref()?)))
                .min_by_key(|(at, ..)| *at);
            let Some((at, mark, label, href)) = next else { break };
            if at > 0 {
                pieces.push(Piece { text: rest[..at].to_string(), href: None });
            }
            pieces.push(Piece { text: label.to_string(), href: Some(href.clone()) });
            rest = &rest[at + mark.len()..];
        }
        if !rest.is_empty() {
            pieces.push(Piece { text: rest.to_string(), href: None });
        }
        Some(TermsNotice { pieces })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(n: &TermsNotice) -> String {
        n.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    #[test]
    fn the_line_links_each_document_that_exists() {
        let both = PageTerms { terms_of_use: Some("https://t".into()), privacy_policy: Some("https://p".into()) };
        let n = TermsNotice::new(Lang::En, &both).unwrap();
        assert_eq!(text(&n), "By signing up, you agree to the Terms of use and the Privacy policy.");
        let links: Vec<_> = n.pieces.iter().filter_map(|p| Some((p.text.as_str(), p.href.as_deref()?))).collect();
        assert_eq!(links, [("Terms of use", "https://t"), ("Privacy policy", "https://p")]);

        let privacy = PageTerms { terms_of_use: None, privacy_policy: Some("https://p".into()) };
        let n = TermsNotice::new(Lang::De, &privacy).unwrap();
        assert_eq!(text(&n), "Mit der Registrierung stimmen Sie der Datenschutzerklärung zu.");
        assert_eq!(n.pieces.iter().filter(|p| p.href.is_some()).count(), 1);
        assert_eq!(TermsNotice::new(Lang::Fr, &PageTerms::default()), None);
    }
}
