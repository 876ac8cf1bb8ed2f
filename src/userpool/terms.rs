//! Terms documents (CreateTerms, DescribeTerms, ListTerms, UpdateTerms, DeleteTerms): an app
//! client's terms of use and privacy policy, each a link per managed-login language, which the
//! client's hosted sign-up page (and its sign-in page, beside the sign-up link) shows in the
//! page's language, falling back to `cognito:default`.
//!
//! Cognito's rules as its API reference states them: one document per name (`terms-of-use`,
//! `privacy-policy`) and client, `TermsSource` `LINK`, `Enforcement` `NONE`, 1 to 13 links keyed
//! by the language ids of [`LANGUAGE_IDS`], each URL 1 to 1024 characters with no space. The
//! URLs follow the callback-URL rule ([`is_web_url`]: HTTPS, plain HTTP on loopback only), as a
//! browser is sent to them. Cognito shows its line only once both documents exist; here each
//! document that exists is linked (a pool with only a privacy policy still shows it).

use super::UserPools;
use super::clients::is_web_url;
use super::error::{Error, Message, Result};
use crate::i18n::Lang;
use crate::ids::{ClientId, PoolId};
use crate::store::StoreError;
use crate::store::terms::TermsRow;
use std::collections::BTreeMap;

/// The two documents a client may have, by their `TermsName`.
pub const TERMS_OF_USE: &str = "terms-of-use";
pub const PRIVACY_POLICY: &str = "privacy-policy";
const NAMES: [&str; 2] = [TERMS_OF_USE, PRIVACY_POLICY];
/// The language ids Cognito accepts as `Links` keys (`LanguageIdType`): the default, then the
/// languages of managed login.
pub const LANGUAGE_IDS: [&str; 12] = [
    "cognito:default",
    "cognito:english",
    "cognito:french",
    "cognito:spanish",
    "cognito:german",
    "cognito:bahasa-indonesia",
    "cognito:italian",
    "cognito:japanese",
    "cognito:korean",
    "cognito:portuguese-brazil",
    "cognito:chinese-simplified",
    "cognito:chinese-traditional",
];
const DEFAULT_LANGUAGE: &str = "cognito:default";
const MAX_LINKS: usize = 13;
const MAX_URL_LEN: usize = 1024;

/// Cognito's language id of a language the pages speak.
pub fn language_id(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "cognito:english",
        Lang::Fr => "cognito:french",
        Lang::De => "cognito:german",
    }
}

/// A terms document (`TermsType`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    pub id: String,
    pub pool_id: PoolId,
    pub client_id: ClientId,
    pub name: String,
    pub source: String,
    pub enforcement: String,
    pub links: BTreeMap<String, String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl From<TermsRow> for Terms {
    fn from(r: TermsRow) -> Self {
        Terms {
            id: r.terms_id,
            pool_id: r.pool_id,
            client_id: r.client_id,
            name: r.name,
            source: r.source,
            enforcement: r.enforcement,
            links: r.links,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

impl Terms {
    fn row(&self) -> TermsRow {
        TermsRow {
            terms_id: self.id.clone(),
            pool_id: self.pool_id.clone(),
            client_id: self.client_id.clone(),
            name: self.name.clone(),
            source: self.source.clone(),
            enforcement: self.enforcement.clone(),
            links: self.links.clone(),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// CreateTerms' members.
#[derive(Debug, Clone, Default)]
pub struct NewTerms {
    pub client_id: String,
    pub name: String,
    pub source: String,
    pub enforcement: String,
    pub links: BTreeMap<String, String>,
}

/// UpdateTerms' members: only those given change.
#[derive(Debug, Clone, Default)]
pub struct TermsChange {
    pub name: Option<String>,
    pub source: Option<String>,
    pub enforcement: Option<String>,
    pub links: Option<BTreeMap<String, String>>,
}

/// The links a hosted page of a client shows, in the page's language.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageTerms {
    pub terms_of_use: Option<String>,
    pub privacy_policy: Option<String>,
}

impl PageTerms {
    pub fn is_empty(&self) -> bool {
        self.terms_of_use.is_none() && self.privacy_policy.is_none()
    }
}

fn check_name(name: &str) -> Result<()> {
    if NAMES.contains(&name) {
        return Ok(());
    }
    Err(Error::invalid(format!("TermsName must be one of {}.", NAMES.join(", "))))
}

fn check_source(source: &str) -> Result<()> {
    if source == "LINK" { Ok(()) } else { Err(Error::invalid("TermsSource must be LINK.")) }
}

fn check_enforcement(enforcement: &str) -> Result<()> {
    if enforcement == "NONE" { Ok(()) } else { Err(Error::invalid("Enforcement must be NONE.")) }
}

/// `Links`: 1 to 13 entries, keys among [`LANGUAGE_IDS`], values web addresses a browser may be
/// sent to.
pub fn check_links(links: &BTreeMap<String, String>) -> Result<()> {
    if links.is_empty() || links.len() > MAX_LINKS {
        return Err(Error::invalid(format!("Links must have between 1 and {MAX_LINKS} entries.")));
    }
    for (language, url) in links {
        if !LANGUAGE_IDS.contains(&language.as_str()) {
            return Err(Error::invalid(format!(
                "Links key {language} is not a supported language id; use one of {}.",
                LANGUAGE_IDS.join(", ")
            )));
        }
        let bad = || {
            Error::invalid(format!(
                "Invalid link for {language}: {url}. Links must use HTTPS (HTTP only for localhost)."
            ))
        };
        let printable = !url.is_empty()
            && url.chars().count() <= MAX_URL_LEN
            && !url.chars().any(|c| c.is_whitespace() || c.is_control());
        if !printable {
            return Err(bad());
        }
        match url::Url::parse(url) {
            Ok(u) if is_web_url(&u) => {}
            _ => return Err(bad()),
        }
    }
    Ok(())
}

/// The link of `links` for `lang`, else the default one.
fn link_for(links: &BTreeMap<String, String>, lang: Lang) -> Option<String> {
    links.get(language_id(lang)).or_else(|| links.get(DEFAULT_LANGUAGE)).cloned()
}

fn terms_not_found(id: &str) -> Error {
    Error::ResourceNotFound(format!("Terms {id} do not exist.").into())
}

fn terms_exist(name: &str) -> Error {
    Error::TermsExists(Message::Text(format!("Terms {name} already exist for this app client.")))
}

impl UserPools {
    /// CreateTerms: a document of a client of the pool, unless the client has one of that name.
    pub async fn create_terms(&self, pool_id: &PoolId, new: NewTerms) -> Result<Terms> {
        let pool = self.directory.pool(pool_id).await?;
        let client = self.directory.client_named(&pool.id, &new.client_id).await?;
        check_name(&new.name)?;
        check_source(&new.source)?;
        check_enforcement(&new.enforcement)?;
        check_links(&new.links)?;
        let now = self.now();
        let terms = Terms {
            id: uuid::Uuid::new_v4().to_string(),
            pool_id: pool.id,
            client_id: client.id,
            name: new.name,
            source: new.source,
            enforcement: new.enforcement,
            links: new.links,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_terms(&terms.row()).await {
            Ok(()) => Ok(terms),
            Err(StoreError::Conflict) => Err(terms_exist(&terms.name)),
            Err(e) => Err(e.into()),
        }
    }

    /// DescribeTerms.
    pub async fn describe_terms(&self, pool_id: &PoolId, terms_id: &str) -> Result<Terms> {
        let pool = self.directory.pool(pool_id).await?;
        let row = self.store.get_terms(&pool.id, &terms_id.to_ascii_lowercase()).await?;
        row.map(Terms::from).ok_or_else(|| terms_not_found(terms_id))
    }

    /// ListTerms: up to `limit` documents after the page key `next`, and the next page's key.
    pub async fn list_terms(
        &self,
        pool_id: &PoolId,
        limit: i64,
        next: Option<&str>,
    ) -> Result<(Vec<Terms>, Option<String>)> {
        let pool = self.directory.pool(pool_id).await?;
        let rows = self.store.list_terms(&pool.id, limit + 1, next).await?;
        let (rows, next) = crate::store::page(rows, limit, |r| r.terms_id.clone());
        Ok((rows.into_iter().map(Terms::from).collect(), next))
    }

    /// UpdateTerms: the given members replace the document's; a new name the client already
    /// has is refused.
    pub async fn update_terms(&self, pool_id: &PoolId, terms_id: &str, change: TermsChange) -> Result<Terms> {
        let mut terms = self.describe_terms(pool_id, terms_id).await?;
        if let Some(name) = change.name {
            check_name(&name)?;
            terms.name = name;
        }
        if let Some(source) = change.source {
            check_source(&source)?;
            terms.source = source;
        }
        if let Some(enforcement) = change.enforcement {
            check_enforcement(&enforcement)?;
            terms.enforcement = enforcement;
        }
        if let Some(links) = change.links {
            check_links(&links)?;
            terms.links = links;
        }
        terms.updated_at = self.now();
        match self.store.update_terms(&terms.row()).await {
            Ok(true) => Ok(terms),
            Ok(false) => Err(terms_not_found(terms_id)),
            Err(StoreError::Conflict) => Err(terms_exist(&terms.name)),
            Err(e) => Err(e.into()),
        }
    }

    /// DeleteTerms.
    pub async fn delete_terms(&self, pool_id: &PoolId, terms_id: &str) -> Result<()> {
        let pool = self.directory.pool(pool_id).await?;
        if self.store.delete_terms(&pool.id, &terms_id.to_ascii_lowercase()).await? {
            Ok(())
        } else {
            Err(terms_not_found(terms_id))
        }
    }

    /// What a hosted page of `client_id` in `lang` links: each document's link for the
    /// language, else its default link.
    pub async fn page_terms(&self, client_id: &ClientId, lang: Lang) -> Result<PageTerms> {
        let mut out = PageTerms::default();
        for row in self.store.client_terms(client_id).await? {
            let link = link_for(&row.links, lang);
            match row.name.as_str() {
                TERMS_OF_USE => out.terms_of_use = link,
                PRIVACY_POLICY => out.privacy_policy = link,
                _ => {}
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn links_take_cognitos_language_ids_and_web_addresses_only() {
        let ok = [
            links(&[("cognito:default", "https://terms.example.com")]),
            links(&[
                ("cognito:chinese-traditional", "https://t.example/zh#s1"),
                ("cognito:german", "http://localhost:8/t"),
            ]),
            links(&[("cognito:english", "http://127.0.0.1/t"), ("cognito:french", "http://[::1]/t")]),
        ];
        for l in ok {
            assert!(check_links(&l).is_ok(), "{l:?}");
        }
        let long = format!("https://t.example/{}", "a".repeat(1024));
        let bad = [
            links(&[]),
            links(&[("cognito:klingon", "https://t.example")]),
            links(&[("english", "https://t.example")]),
            links(&[("cognito:default", "http://t.example")]),
            links(&[("cognito:default", "ftp://t.example/x")]),
            links(&[("cognito:default", "myapp://terms")]),
            links(&[("cognito:default", "javascript:alert(1)")]),
            links(&[("cognito:default", "https://t.example/a b")]),
            links(&[("cognito:default", "")]),
            links(&[("cognito:default", long.as_str())]),
        ];
        for l in bad {
            assert!(matches!(check_links(&l), Err(Error::InvalidParameter(_))), "{l:?}");
        }
    }

    #[test]
    fn a_page_takes_its_languages_link_else_the_default() {
        let l = links(&[("cognito:default", "https://d"), ("cognito:french", "https://fr")]);
        assert_eq!(link_for(&l, Lang::Fr).as_deref(), Some("https://fr"));
        assert_eq!(link_for(&l, Lang::De).as_deref(), Some("https://d"));
        assert_eq!(link_for(&links(&[("cognito:german", "https://de")]), Lang::En), None);
        let ids: Vec<_> = Lang::ALL.into_iter().map(language_id).collect();
        assert!(ids.iter().all(|id| LANGUAGE_IDS.contains(id)), "{ids:?}");
    }
}
