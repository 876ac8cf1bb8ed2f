//! App clients: Cognito's defaults and rules for OAuth flows, scopes, redirect URLs, auth flows
//! and token validities.

use super::UserPools;
use super::client_definition::{ClientDefinition, NewClient, OAuthFlow, TimeUnit};
use super::error::{Error, Result};
use super::model::{Client, Pool, new_client_id, new_client_secret};
use crate::ids::{ClientId, PoolId};
use crate::store::clients::ClientRow;
use serde_json::Value;

pub const RESERVED_SCOPES: &[&str] = &["openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"];
/// Callback and sign-out URLs: HTTPS, except plain HTTP on loopback; app schemes allowed; no fragment.
pub fn check_redirect_url(u: &str) -> Result<()> {
    let bad = || {
        Error::invalid(format!(
            "Invalid redirect URL: {u}. URLs must use HTTPS (HTTP only for localhost) and must not contain a fragment."
        ))
    };
    if u.is_empty() || u.len() > 1024 || u.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let url = url::Url::parse(u).map_err(|_| bad())?;
    if url.fragment().is_some() {
        return Err(bad());
    }
    match url.scheme() {
        "https" | "http" if is_web_url(&url) => Ok(()),
        "https" | "http" | "javascript" | "data" | "file" | "vbscript" => Err(bad()),
        _ => Ok(()),
    }
}

/// The web addresses a client may send browsers to: HTTPS, or plain HTTP on loopback only
/// (`localhost`, `127.0.0.0/8`, `::1`). Callback and sign-out URLs follow it (beside app
/// schemes), and so do the links of terms documents ([`super::terms`]).
pub fn is_web_url(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => true,
        "http" => match url.host() {
            Some(url::Host::Domain("localhost")) => true,
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            _ => false,
        },
        _ => false,
    }
}

impl UserPools {
    /// Check a client's settings against Cognito's rules and the pool, and return the document
    /// to store (what was given, with Cognito's defaults).
    /// The client's settings document from `d`, checked; `creating` words the refusals as
    /// CreateUserPoolClient's rather than UpdateUserPoolClient's.
    async fn client_settings(
        &self,
        pool: &Pool,
        d: &ClientDefinition,
        has_secret: bool,
        creating: bool,
    ) -> Result<Value> {
        // Token validities, checked after unit conversion.
        let units = &d.token_validity_units;
        let secs = |given: Option<i64>, unit: TimeUnit, default: i64| -> i64 {
            given.filter(|v| *v > 0).map(|v| v * unit.seconds()).unwrap_or(default)
        };
        let access = secs(d.access_token_validity, units.access(), 3600);
        let id = secs(d.id_token_validity, units.id(), 3600);
        let refresh = d.refresh_secs();
        if !(300..=86400).contains(&access) {
            return Err(Error::invalid("Access token validity must be between 5 minutes and 1 day."));
        }
        if !(300..=86400).contains(&id) {
            return Err(Error::invalid("ID token validity must be between 5 minutes and 1 day."));
        }
        if !(3600..=3650 * 86400).contains(&refresh) {
            return Err(Error::invalid("Refresh token validity must be between 60 minutes and 10 years."));
        }
        if refresh <= access || refresh <= id {
            return Err(Error::invalid("Refresh token validity must be greater than access and ID token validity."));
        }

        // Explicit auth flows.
        let flows = d.explicit_auth_flows.as_deref().unwrap_or_default();
        if flows.iter().any(|f| f.is_legacy()) && flows.iter().any(|f| !f.is_legacy()) {
            return Err(Error::invalid("ExplicitAuthFlows can not have both ALLOW_ and legacy values."));
        }

        // Redirect URLs.
        let callbacks = d.callback_urls.as_deref().unwrap_or_default();
        for u in callbacks.iter().chain(d.logout_urls.as_deref().unwrap_or_default()) {
            check_redirect_url(u)?;
        }
        if let Some(default) = &d.default_redirect_uri {
            check_redirect_url(default)?;
            if !callbacks.contains(default) {
                return Err(Error::invalid("DefaultRedirectURI must be one of the CallbackURLs."));
            }
        }

        // OAuth flows and scopes.
        let oauth_flows = d.allowed_oauth_flows.as_deref().unwrap_or_default();
        let scopes = d.allowed_oauth_scopes.as_deref().unwrap_or_default();
        for sc in scopes {
            if RESERVED_SCOPES.contains(&sc.as_str()) {
                continue;
            }
            let exists = match sc.rsplit_once('/') {
                Some((server, name)) => match self.store.get_resource_server(&pool.id, server).await? {
                    Some(rs) => rs.scopes.as_array().is_some_and(|a| a.iter().any(|x| x["ScopeName"] == name)),
                    None => false,
                },
                None => false,
            };
            if !exists {
                return Err(Error::ScopeDoesNotExist(format!("Invalid scope requested: {sc}").into()));
            }
        }
        if (scopes.iter().any(|s| s == "email" || s == "phone" || s == "profile"))
            && !scopes.iter().any(|s| s == "openid")
        {
            return Err(Error::invalid("The openid scope is required when email, phone or profile is requested."));
        }
        let oauth_on = d.oauth_enabled.unwrap_or(false);
        if oauth_on {
            if oauth_flows.is_empty() {
                return Err(Error::InvalidOAuthFlow(
                    "AllowedOAuthFlows must be set when AllowedOAuthFlowsUserPoolClient is true.".into(),
                ));
            }
            if scopes.is_empty() {
                return Err(Error::invalid(
                    "AllowedOAuthScopes must be set when AllowedOAuthFlowsUserPoolClient is true.",
                ));
            }
        }
        if oauth_flows.contains(&OAuthFlow::ClientCredentials) {
            if oauth_flows.len() > 1 {
                return Err(Error::InvalidOAuthFlow(
                    "client_credentials flow can not be selected along with code flow or implicit flow.".into(),
                ));
            }
            if !has_secret {
                return Err(Error::InvalidOAuthFlow(
                    "client_credentials flow can not be selected if client does not have a client secret.".into(),
                ));
            }
            if scopes.iter().any(|s| RESERVED_SCOPES.contains(&s.as_str())) {
                return Err(Error::InvalidOAuthFlow(
                    "client_credentials flow can only be used with custom scopes.".into(),
                ));
            }
        } else if oauth_on && callbacks.is_empty() {
            return Err(Error::invalid("CallbackURLs can not be empty when the code or implicit flow is allowed."));
        }

        // Identity providers: the pool's own users (COGNITO) or a provider of the pool.
        for p in d.supported_identity_providers.as_deref().unwrap_or_default() {
            if p != "COGNITO" && self.store.get_identity_provider(&pool.id, p).await?.is_none() {
                return Err(Error::invalid(format!("The provider {p} does not exist for User Pool {}", pool.id)));
            }
        }

        // Attribute permissions name attributes of the schema.
        let doing = if creating { "creating" } else { "updating" };
        for (kind, list) in [("read", &d.read_attributes), ("write", &d.write_attributes)] {
            if list.as_deref().unwrap_or_default().iter().any(|a| pool.schema_attribute(a).is_none()) {
                return Err(Error::invalid(format!("Invalid {kind} attributes specified while {doing} a client")));
            }
        }
        Ok(d.document())
    }

    pub async fn create_client(&self, pool_id: &PoolId, new: &NewClient) -> Result<Client> {
        let pool = self.directory.pool(pool_id).await?;
        let secret = match (new.generate_secret, &new.secret) {
            (_, Some(given)) => Some(given.clone()),
            (true, None) => Some(new_client_secret()),
            (false, None) => None,
        };
        let config = self.client_settings(&pool, &new.definition, secret.is_some(), true).await?;
        let now = self.now();
        let id = new_client_id();
        let row = ClientRow {
            secret_enc: secret.as_ref().map(|s| self.master.seal(s.as_bytes(), &format!("client-secret:{id}"))),
            id,
            pool_id: pool.id.clone(),
            name: new.name.clone(),
            config,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_client(&row).await?;
        Ok(Client::from_row(row, secret))
    }

    pub async fn list_clients(
        &self,
        pool_id: &PoolId,
        max: i64,
        after: Option<&str>,
    ) -> Result<(Vec<ClientRow>, Option<String>)> {
        self.directory.pool(pool_id).await?;
        let rows = self.store.list_clients(pool_id, max + 1, after).await?;
        Ok(crate::store::page(rows, max, |c| c.id.to_string()))
    }

    /// UpdateUserPoolClient: settings not given return to their defaults, as in Cognito; the
    /// name stays unless a new one is given.
    pub async fn update_client(
        &self,
        pool_id: &PoolId,
        client_id: &ClientId,
        name: Option<&str>,
        definition: &ClientDefinition,
    ) -> Result<Client> {
        let pool = self.directory.pool(pool_id).await?;
        let old = self.directory.client(pool_id, client_id).await?;
        let config = self.client_settings(&pool, definition, old.secret.is_some(), false).await?;
        let row = ClientRow {
            id: old.id.clone(),
            pool_id: old.pool_id.clone(),
            name: name.map(str::to_string).unwrap_or(old.name.clone()),
            secret_enc: None,
            config,
            created_at: old.created_at,
            updated_at: self.now(),
        };
        self.store.update_client(&row).await?;
        self.directory.forget_client(client_id);
        Ok(Client::from_row(row, old.secret))
    }

    pub async fn delete_client(&self, pool_id: &PoolId, client_id: &ClientId) -> Result<()> {
        self.directory.client(pool_id, client_id).await?;
        self.store.delete_client(pool_id, client_id).await?;
        self.store.delete_ui_customization(pool_id, client_id).await?;
        self.directory.forget_client(client_id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::check_redirect_url;

    #[test]
    fn redirect_urls_follow_cognito_rules() {
        for ok in [
            "https://app.example.com/cb",
            "http://localhost:3000/cb",
            "http://127.0.0.1/cb",
            "http://[::1]:8/x",
            "myapp://callback",
        ] {
            assert!(check_redirect_url(ok).is_ok(), "{ok}");
        }
        for bad in ["http://example.com/cb", "https://a.example/cb#frag", "javascript:alert(1)", "", "not a url"] {
            assert!(check_redirect_url(bad).is_err(), "{bad}");
        }
    }
}

/// What a request offers as proof that it comes from an app client. Every surface that
/// authenticates a client (the token and revocation endpoints, InitiateAuth and its refresh
/// flow, RespondToAuthChallenge, sign-up and recovery, RevokeToken) turns its wire format into
/// one of these and asks [`Client::authenticate`]; no surface compares a secret itself.
#[derive(Clone, Copy, Debug)]
pub enum ClientProof<'a> {
    /// The secret itself (RFC 6749 §2.3.1 `client_secret_basic` / `client_secret_post`, the
    /// RevokeToken action's `ClientSecret`); `None` when the request carries none.
    Secret(Option<&'a str>),
    /// Cognito's `SECRET_HASH` over `username`; `None` when the request carries none.
    SecretHash { username: &'a str, hash: Option<&'a str> },
}

/// Why a client was not authenticated; each surface words it in its own format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuthFailure {
    /// The secret is missing or wrong, or a client without a secret offered one.
    BadSecret,
    /// The secret hash is missing or wrong.
    BadSecretHash,
}

impl ClientAuthFailure {
    /// Cognito's error for the JSON API.
    pub fn to_error(self, client_id: &str) -> Error {
        match self {
            ClientAuthFailure::BadSecret => Error::NotAuthorized("Client secret is incorrect.".into()),
            ClientAuthFailure::BadSecretHash => {
                Error::NotAuthorized(format!("Unable to verify secret hash for client {client_id}").into())
            }
        }
    }
}

impl Client {
    /// The one client-authentication rule: a client with a secret must prove it holds it
    /// (compared in constant time); a client without one is public and must not offer a
    /// secret. A secret hash offered to a public client is ignored, as Cognito does.
    pub fn authenticate(&self, proof: ClientProof<'_>) -> std::result::Result<(), ClientAuthFailure> {
        use crate::crypto::constant_time_eq;
        // While a secret is rotated, either of the two is accepted.
        let secrets = || self.secret.iter().chain(self.other_secrets.iter());
        match (&self.secret, proof) {
            (None, ClientProof::Secret(None) | ClientProof::SecretHash { .. }) => Ok(()),
            (None, ClientProof::Secret(Some(_))) => Err(ClientAuthFailure::BadSecret),
            (Some(_), ClientProof::Secret(given)) => match given {
                Some(g) if secrets().any(|s| constant_time_eq(s.as_bytes(), g.as_bytes())) => Ok(()),
                _ => Err(ClientAuthFailure::BadSecret),
            },
            (Some(_), ClientProof::SecretHash { username, hash }) => match hash {
                Some(h)
                    if secrets()
                        .any(|s| constant_time_eq(h.as_bytes(), secret_hash(s, username, &self.id).as_bytes())) =>
                {
                    Ok(())
                }
                _ => Err(ClientAuthFailure::BadSecretHash),
            },
        }
    }

    /// [`Client::authenticate`] with Cognito's error for the JSON API.
    pub fn authenticate_api(&self, proof: ClientProof<'_>) -> Result<()> {
        self.authenticate(proof).map_err(|f| f.to_error(&self.id))
    }
}

/// `SECRET_HASH = Base64(HMAC-SHA256(client secret, username ‖ client id))`.
pub fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .encode(crate::crypto::hmac_sha256(secret.as_bytes(), format!("{username}{client_id}").as_bytes()))
}

#[cfg(test)]
mod client_auth_tests {
    use super::*;
    use serde_json::json;

    fn client(secret: Option<&str>) -> Client {
        Client::for_tests(json!({}), secret)
    }

    #[test]
    fn a_confidential_client_must_prove_its_secret() {
        let c = client(Some("s3cret"));
        let good = secret_hash("s3cret", "alice", "c1");
        assert_eq!(c.authenticate(ClientProof::Secret(Some("s3cret"))), Ok(()));
        assert_eq!(c.authenticate(ClientProof::Secret(Some("s3cre"))), Err(ClientAuthFailure::BadSecret));
        assert_eq!(c.authenticate(ClientProof::Secret(None)), Err(ClientAuthFailure::BadSecret));
        assert_eq!(c.authenticate(ClientProof::SecretHash { username: "alice", hash: Some(&good) }), Ok(()));
        for (username, hash) in [("bob", Some(good.as_str())), ("alice", Some("x")), ("alice", None)] {
            assert_eq!(
                c.authenticate(ClientProof::SecretHash { username, hash }),
                Err(ClientAuthFailure::BadSecretHash)
            );
        }
    }

    #[test]
    fn a_public_client_offers_no_secret() {
        let c = client(None);
        assert_eq!(c.authenticate(ClientProof::Secret(None)), Ok(()));
        assert_eq!(c.authenticate(ClientProof::Secret(Some("x"))), Err(ClientAuthFailure::BadSecret));
        assert_eq!(c.authenticate(ClientProof::SecretHash { username: "a", hash: Some("x") }), Ok(()));
    }
}
