//! A pool's upstream identity providers (CreateIdentityProvider and friends): Cognito's rules
//! for provider names, ProviderDetails, AttributeMapping and IdpIdentifiers. The client secret
//! is sealed with the master key and kept apart from the other details; DescribeIdentityProvider
//! shows it, as Cognito does.

use super::UserPools;
use super::error::{Error, Result};
use super::model::Pool;
use crate::federation::providers::{self, URL_DETAILS};
use crate::federation::secret_context;
use crate::ids::PoolId;
use crate::store::StoreError;
use crate::store::federation::IdentityProviderRow;
use std::collections::BTreeMap;

/// Cognito's quota of identity providers per pool.
pub const MAX_PROVIDERS: usize = 300;
/// Names an OIDC provider may not take (any case): Cognito's own and the social providers'.
const RESERVED_NAMES: &[&str] = &["Cognito", "Google", "Facebook", "LoginWithAmazon", "SignInWithApple"];

/// Whether `name` means the pool's own users (`COGNITO` in SupportedIdentityProviders,
/// `Cognito` in AdminLinkProviderForUser).
pub fn is_cognito(name: &str) -> bool {
    name.eq_ignore_ascii_case("cognito")
}

/// `IdentityProviderTypeType`: the kinds of provider Cognito has (this server federates to
/// [`providers::TYPES`] only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderType {
    Saml,
    Facebook,
    Google,
    LoginWithAmazon,
    SignInWithApple,
    Oidc,
}

impl ProviderType {
    pub const ALL: [ProviderType; 6] = [
        ProviderType::Saml,
        ProviderType::Facebook,
        ProviderType::Google,
        ProviderType::LoginWithAmazon,
        ProviderType::SignInWithApple,
        ProviderType::Oidc,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ProviderType::Saml => "SAML",
            ProviderType::Facebook => "Facebook",
            ProviderType::Google => "Google",
            ProviderType::LoginWithAmazon => "LoginWithAmazon",
            ProviderType::SignInWithApple => "SignInWithApple",
            ProviderType::Oidc => "OIDC",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

/// CreateIdentityProvider.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIdentityProvider {
    /// `ProviderName`.
    pub name: String,
    /// `ProviderType`.
    pub provider_type: ProviderType,
    /// `ProviderDetails`, `client_secret` included, as given.
    pub details: BTreeMap<String, String>,
    /// `AttributeMapping`: pool attribute -> upstream claim, as given.
    pub attribute_mapping: BTreeMap<String, String>,
    /// `IdpIdentifiers`, as given.
    pub idp_identifiers: Vec<String>,
}

/// UpdateIdentityProvider: what is given replaces what was there; `None` keeps it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IdentityProviderChanges {
    /// `ProviderDetails`; without `client_secret` the old secret stays.
    pub details: Option<BTreeMap<String, String>>,
    /// `AttributeMapping`.
    pub attribute_mapping: Option<BTreeMap<String, String>>,
    /// `IdpIdentifiers`.
    pub idp_identifiers: Option<Vec<String>>,
}

fn not_found(name: &str) -> Error {
    Error::ResourceNotFound(format!("Identity provider {name} does not exist.").into())
}

/// Supported type, and a name Cognito allows for it.
fn check_type_and_name(provider_type: ProviderType, name: &str) -> Result<()> {
    let t = provider_type.as_str();
    if providers::UNSUPPORTED_TYPES.contains(&t) {
        return Err(Error::invalid(format!(
            "This server does not support {t} identity providers; supported types are Google, Facebook and OIDC."
        )));
    }
    match provider_type {
        ProviderType::Google | ProviderType::Facebook if name != t => {
            Err(Error::invalid(format!("A {t} identity provider must be named {t}.")))
        }
        ProviderType::Oidc if RESERVED_NAMES.iter().any(|r| r.eq_ignore_ascii_case(name)) => Err(Error::invalid(
            format!("{name} is a reserved provider name; choose another name for an OIDC provider."),
        )),
        _ => Ok(()),
    }
}

/// Check ProviderDetails for a type: every key known, required keys present, values non-empty,
/// URLs https (http on loopback only), enumerated values valid. Returns the details without
/// `client_secret`, and the secret.
pub fn check_details(
    provider_type: &str,
    mut details: BTreeMap<String, String>,
) -> Result<(BTreeMap<String, String>, Option<String>)> {
    let required = providers::required_details(provider_type);
    let optional = providers::optional_details(provider_type);
    for (k, v) in &details {
        if !required.contains(&k.as_str()) && !optional.contains(&k.as_str()) {
            return Err(Error::invalid(format!(
                "ProviderDetails key {k} is not valid for a {provider_type} identity provider."
            )));
        }
        if v.trim().is_empty() {
            return Err(Error::invalid(format!("ProviderDetails {k} must not be empty.")));
        }
    }
    if let Some(k) = required.iter().find(|k| !details.contains_key(**k)) {
        return Err(Error::invalid(format!(
            "ProviderDetails {k} is required for a {provider_type} identity provider."
        )));
    }
    for k in URL_DETAILS {
        if let Some(u) = details.get(*k)
            && !providers::url_allowed(u)
        {
            return Err(Error::invalid(format!(
                "ProviderDetails {k} must be an https URL (http only for localhost): {u}"
            )));
        }
    }
    let one_of = |k: &str, allowed: &[&str]| -> Result<()> {
        match details.get(k) {
            Some(v) if !allowed.contains(&v.as_str()) => {
                Err(Error::invalid(format!("ProviderDetails {k} must be one of {}; got {v}", allowed.join(", "))))
            }
            _ => Ok(()),
        }
    };
    one_of("attributes_request_method", &["GET", "POST"])?;
    one_of("token_request_method", &["GET", "POST"])?;
    one_of("attributes_url_add_attributes", &["true", "false"])?;
    one_of("token_endpoint_auth_method", &["client_secret_basic", "client_secret_post"])?;
    if matches!(provider_type, "Google" | "OIDC")
        && !details.get("authorize_scopes").is_some_and(|s| s.split_whitespace().any(|x| x == "openid"))
    {
        return Err(Error::invalid(format!(
            "ProviderDetails authorize_scopes of a {provider_type} identity provider must include openid."
        )));
    }
    if let Some(v) = details.get("api_version")
        && !is_api_version(v)
    {
        return Err(Error::invalid(format!("ProviderDetails api_version must look like v17.0; got {v}")));
    }
    let secret = details.remove("client_secret");
    Ok((details, secret))
}

/// A Facebook Graph API version: `v` then `major.minor`.
fn is_api_version(v: &str) -> bool {
    let Some((major, minor)) = v.strip_prefix('v').and_then(|r| r.split_once('.')) else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

/// Check an AttributeMapping against the pool: keys are mutable attributes of its schema or
/// `username`, values name upstream claims. `username` gets the type's default when unmapped.
pub fn check_mapping(
    pool: &Pool,
    provider_type: &str,
    mut mapping: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>> {
    for (attr, claim) in &mapping {
        if attr != "username" {
            let Some(schema) = pool.schema_attribute(attr) else {
                return Err(Error::invalid(format!(
                    "AttributeMapping: {attr} is not an attribute of user pool {}.",
                    pool.id
                )));
            };
            // Mapped attributes are written at every federated sign-in, so they must be mutable;
            // this also keeps `sub`, the user's immutable id, out of reach.
            if schema["Mutable"] == false {
                return Err(Error::invalid(format!(
                    "AttributeMapping: {attr} is immutable and cannot be mapped to a provider attribute."
                )));
            }
        }
        if claim.trim().is_empty() {
            return Err(Error::invalid(format!("AttributeMapping: the provider attribute for {attr} is empty.")));
        }
    }
    let (key, claim) = providers::default_mapping(provider_type);
    mapping.entry(key.to_string()).or_insert_with(|| claim.to_string());
    Ok(mapping)
}

/// IdpIdentifiers, each once.
fn check_identifiers(ids: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for id in ids {
        if out.contains(id) {
            return Err(Error::invalid(format!("Duplicate IdpIdentifier {id} in the request.")));
        }
        out.push(id.clone());
    }
    Ok(out)
}

impl UserPools {
    pub async fn create_identity_provider(
        &self,
        pool_id: &PoolId,
        new: &NewIdentityProvider,
    ) -> Result<IdentityProviderRow> {
        let pool = self.directory.pool(pool_id).await?;
        let name = new.name.as_str();
        let provider_type = new.provider_type.as_str();
        check_type_and_name(new.provider_type, name)?;
        let (details, secret) = check_details(provider_type, new.details.clone())?;
        let attribute_mapping = check_mapping(&pool, provider_type, new.attribute_mapping.clone())?;
        let idp_identifiers = check_identifiers(&new.idp_identifiers)?;
        if self.store.get_identity_provider(&pool.id, name).await?.is_some() {
            return Err(duplicate(name));
        }
        if self.store.list_identity_providers(&pool.id, None, MAX_PROVIDERS as i64).await?.len() >= MAX_PROVIDERS {
            return Err(Error::LimitExceeded(
                format!("A user pool can have at most {MAX_PROVIDERS} identity providers.").into(),
            ));
        }
        let now = self.now();
        let row = IdentityProviderRow {
            pool_id: pool.id.clone(),
            name: name.to_string(),
            provider_type: provider_type.to_string(),
            details,
            secret: secret.map(|s| self.master.seal(s.as_bytes(), &secret_context(&pool.id, name))),
            attribute_mapping,
            idp_identifiers,
            created_at: now,
            updated_at: now,
        };
        match self.store.insert_identity_provider(&row).await {
            Ok(()) => Ok(row),
            Err(StoreError::Conflict) => {
                if self.store.get_identity_provider(&pool.id, name).await?.is_some() {
                    Err(duplicate(name))
                } else {
                    Err(self.identifier_conflict(&row).await)
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    /// An IdpIdentifier of `p` is taken by another provider of the pool: say which.
    async fn identifier_conflict(&self, p: &IdentityProviderRow) -> Error {
        for id in &p.idp_identifiers {
            if let Ok(Some(other)) = self.store.get_identity_provider_by_identifier(&p.pool_id, id).await
                && other.name != p.name
            {
                return Error::invalid(format!(
                    "Duplicate IdpIdentifier {id}: it is already used by provider {} of this user pool.",
                    other.name
                ));
            }
        }
        Error::invalid("Duplicate IdpIdentifier: one of the identifiers is already used in this user pool.")
    }

    /// A provider of the pool; ResourceNotFoundException when the pool or the provider is missing.
    pub async fn identity_provider(&self, pool_id: &PoolId, name: &str) -> Result<IdentityProviderRow> {
        self.directory.pool(pool_id).await?;
        self.store.get_identity_provider(pool_id, name).await?.ok_or_else(|| not_found(name))
    }

    pub async fn identity_provider_by_identifier(
        &self,
        pool_id: &PoolId,
        identifier: &str,
    ) -> Result<IdentityProviderRow> {
        self.directory.pool(pool_id).await?;
        self.store.get_identity_provider_by_identifier(pool_id, identifier).await?.ok_or_else(|| {
            Error::ResourceNotFound(format!("No identity provider has the IdpIdentifier {identifier}.").into())
        })
    }

    /// The provider's client secret, unsealed (the upstream token request needs it).
    pub fn identity_provider_secret(&self, p: &IdentityProviderRow) -> Result<Option<String>> {
        p.secret
            .as_deref()
            .map(|s| self.master.open_string(s, &secret_context(&p.pool_id, &p.name)).map_err(Error::internal))
            .transpose()
    }

    /// UpdateIdentityProvider: what is given replaces what was there; a ProviderDetails without
    /// `client_secret` keeps the old secret.
    pub async fn update_identity_provider(
        &self,
        pool_id: &PoolId,
        name: &str,
        changes: &IdentityProviderChanges,
    ) -> Result<IdentityProviderRow> {
        let pool = self.directory.pool(pool_id).await?;
        refuse_cognito(name, "updated")?;
        let mut p = self.identity_provider(&pool.id, name).await?;
        if let Some(given) = &changes.details {
            let mut given = given.clone();
            if !given.contains_key("client_secret")
                && let Some(old) = self.identity_provider_secret(&p)?
            {
                given.insert("client_secret".into(), old);
            }
            let (details, secret) = check_details(&p.provider_type, given)?;
            p.details = details;
            p.secret = secret.map(|s| self.master.seal(s.as_bytes(), &secret_context(&p.pool_id, &p.name)));
        }
        if let Some(m) = &changes.attribute_mapping {
            p.attribute_mapping = check_mapping(&pool, &p.provider_type, m.clone())?;
        }
        if let Some(ids) = &changes.idp_identifiers {
            p.idp_identifiers = check_identifiers(ids)?;
        }
        p.updated_at = self.now();
        match self.store.update_identity_provider(&p).await {
            Ok(true) => Ok(p),
            Ok(false) => Err(not_found(name)),
            Err(StoreError::Conflict) => Err(self.identifier_conflict(&p).await),
            Err(e) => Err(e.into()),
        }
    }

    /// DeleteIdentityProvider; the pool's clients stop offering it. Users it created stay.
    pub async fn delete_identity_provider(&self, pool_id: &PoolId, name: &str) -> Result<()> {
        self.directory.pool(pool_id).await?;
        refuse_cognito(name, "deleted")?;
        if !self.store.delete_identity_provider(pool_id, name).await? {
            return Err(not_found(name));
        }
        self.remove_provider_from_clients(pool_id, name).await
    }

    /// Take `name` out of every client's SupportedIdentityProviders.
    async fn remove_provider_from_clients(&self, pool_id: &PoolId, name: &str) -> Result<()> {
        let mut after: Option<String> = None;
        loop {
            let rows = self.store.list_clients(pool_id, 100, after.as_deref()).await?;
            let Some(last) = rows.last().map(|c| c.id.clone()) else {
                return Ok(());
            };
            for mut c in rows {
                let Some(list) = c.config["SupportedIdentityProviders"].as_array_mut() else {
                    continue;
                };
                let before = list.len();
                list.retain(|p| p.as_str() != Some(name));
                if list.len() != before {
                    c.updated_at = self.now();
                    self.store.update_client(&c).await?;
                    self.directory.forget_client(&c.id);
                }
            }
            after = Some(last.into_string());
        }
    }

    /// A page of the pool's providers in name order, and the token for the next page.
    pub async fn list_identity_providers(
        &self,
        pool_id: &PoolId,
        max: i64,
        after: Option<&str>,
    ) -> Result<(Vec<IdentityProviderRow>, Option<String>)> {
        self.directory.pool(pool_id).await?;
        let rows = self.store.list_identity_providers(pool_id, after, max + 1).await?;
        Ok(crate::store::page(rows, max, |p| p.name.clone()))
    }

    /// The provider's details as DescribeIdentityProvider shows them: the given ones over the
    /// type's defaults, with the client secret.
    pub fn identity_provider_details(&self, p: &IdentityProviderRow) -> Result<BTreeMap<String, String>> {
        let mut details = providers::with_defaults(&p.provider_type, &p.details);
        if let Some(secret) = self.identity_provider_secret(p)? {
            details.insert("client_secret".into(), secret);
        }
        Ok(details)
    }
}

fn duplicate(name: &str) -> Error {
    Error::DuplicateProvider(format!("A provider with the name {name} already exists in this user pool.").into())
}

/// The pool's own users are not a provider that can be changed (the model's
/// UnsupportedIdentityProviderException for Update/DeleteIdentityProvider).
fn refuse_cognito(name: &str, what: &str) -> Result<()> {
    if is_cognito(name) {
        return Err(Error::UnsupportedIdentityProvider(format!("The {name} provider cannot be {what}.").into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn names_follow_the_type() {
        use ProviderType::*;
        assert!(check_type_and_name(Google, "Google").is_ok());
        assert!(check_type_and_name(Google, "google").is_err());
        assert!(check_type_and_name(Facebook, "Meta").is_err());
        assert!(check_type_and_name(Oidc, "Okta").is_ok());
        for reserved in ["COGNITO", "cognito", "Google", "SignInWithApple"] {
            assert!(check_type_and_name(Oidc, reserved).is_err(), "{reserved}");
        }
        for unsupported in [Saml, LoginWithAmazon, SignInWithApple] {
            let e = check_type_and_name(unsupported, "Corp").unwrap_err();
            assert!(e.to_string().contains(&format!("does not support {}", unsupported.as_str())), "{e}");
        }
        for t in ProviderType::ALL {
            assert_eq!(ProviderType::parse(t.as_str()), Some(t));
        }
    }

    #[test]
    fn details_are_checked_and_the_secret_taken_out() {
        let google = map(&[("client_id", "c"), ("client_secret", "s"), ("authorize_scopes", "openid email")]);
        let (d, s) = check_details("Google", google.clone()).unwrap();
        assert_eq!((d.len(), s.as_deref()), (2, Some("s")));
        let mut unknown = google.clone();
        unknown.insert("colour".into(), "blue".into());
        assert!(check_details("Google", unknown).unwrap_err().to_string().contains("colour"));
        let mut no_openid = google.clone();
        no_openid.insert("authorize_scopes".into(), "email".into());
        assert!(check_details("Google", no_openid).is_err());
        let mut http = google.clone();
        http.insert("token_url".into(), "http://example.com/t".into());
        assert!(check_details("Google", http).is_err());
        let mut empty = google;
        empty.insert("client_id".into(), " ".into());
        assert!(check_details("Google", empty).is_err());

        let oidc = map(&[
            ("client_id", "c"),
            ("authorize_scopes", "openid"),
            ("oidc_issuer", "https://idp.example.com"),
            ("attributes_request_method", "GET"),
        ]);
        assert_eq!(check_details("OIDC", oidc.clone()).unwrap().1, None);
        let mut put = oidc.clone();
        put.insert("attributes_request_method".into(), "PUT".into());
        assert!(check_details("OIDC", put).is_err());
        let mut auth = oidc.clone();
        auth.insert("token_endpoint_auth_method".into(), "private_key_jwt".into());
        assert!(check_details("OIDC", auth).is_err());
        let mut missing = oidc;
        missing.remove("oidc_issuer");
        assert!(check_details("OIDC", missing).unwrap_err().to_string().contains("oidc_issuer"));

        let fb =
            map(&[("client_id", "c"), ("client_secret", "s"), ("authorize_scopes", "email"), ("api_version", "v19.0")]);
        assert!(check_details("Facebook", fb.clone()).is_ok());
        let mut bad = fb;
        bad.insert("api_version".into(), "19".into());
        assert!(check_details("Facebook", bad).is_err());
    }

    #[test]
    fn identifiers_must_not_repeat() {
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(check_identifiers(&ids(&["a", "b"])).unwrap(), ids(&["a", "b"]));
        let e = check_identifiers(&ids(&["a", "b", "a"])).unwrap_err();
        assert!(e.to_string().contains("Duplicate IdpIdentifier a"), "{e}");
    }

    #[test]
    fn api_versions() {
        assert!(is_api_version("v17.0"));
        assert!(is_api_version("v2.12"));
        for bad in ["17.0", "v17", "v.1", "v1.x", "v17.0.1"] {
            assert!(!is_api_version(bad), "{bad}");
        }
    }
}
