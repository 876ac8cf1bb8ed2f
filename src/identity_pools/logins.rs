//! Validating one entry of an identity pool's `Logins` map: the key names the
//! provider, the value is its token. Each kind is checked as Cognito checks it, with Cognito's
//! messages:
//! - user pools of this server (`{PUBLIC_URL without scheme}/{poolId}`, or the
//!   `cognito-idp.{region}.amazonaws.com/{poolId}` form SDKs build): an ID token of that pool for
//!   a client the identity pool lists in `CognitoIdentityProviders`, and with
//!   `ServerSideTokenCheck` a user who still exists, is enabled and did not sign out;
//! - `cognito-identity.amazonaws.com`: this server's own identity-pool OpenID token, for this pool;
//! - `accounts.google.com` and any OpenID Connect issuer (`login.example.com`, `host:port/path`):
//!   an ID token of that issuer for the client id configured in `SupportedLoginProviders`;
//! - `graph.facebook.com`: a Facebook access token of the configured app, as Graph describes it.
//!
//! Developer providers are not logins here: only GetOpenIdTokenForDeveloperIdentity takes them.

use super::IdentityPools;
use crate::federation::facebook::{self, GraphRefusal};
use crate::federation::oidc::IdTokenRejection;
use crate::federation::providers::{GOOGLE_ISSUER, GOOGLE_JWKS_URI, url_allowed};
use crate::identity_pools::tokens::{Refused, is_user_pool_id};
use crate::tokens::jwt;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;

/// A request's `Logins`: provider key (`accounts.google.com`, a user pool's provider name, …)
/// -> that provider's token.
pub type Logins = BTreeMap<String, String>;

/// The key of this server's own identity-pool OpenID tokens.
pub const COGNITO_IDENTITY_KEY: &str = "cognito-identity.amazonaws.com";
pub const GOOGLE_KEY: &str = "accounts.google.com";
pub const FACEBOOK_KEY: &str = "graph.facebook.com";
/// Public providers Cognito knows whose tokens this server cannot check (no upstream to ask).
const UNCHECKABLE_KEYS: &[(&str, &str)] =
    &[("www.amazon.com", "Login with Amazon"), ("api.twitter.com", "Twitter"), ("www.digits.com", "Digits")];

const NOT_SUPPORTED: &str = "Token is not from a supported provider of this identity pool.";
const NOT_OIDC: &str = "Invalid login token. Not a valid OpenId Connect identity token.";
const ISSUER_MISMATCH: &str = "Invalid login token. Issuer doesn't match providerName";
const AUDIENCE: &str = "Invalid login token. Incorrect token audience.";
const SIGNATURE: &str = "Invalid login token. Couldn't verify signed token.";
const REVOKED: &str = "Invalid login token. Token has been revoked.";
const NO_USER: &str = "Invalid login token. User does not exist.";
const DISABLED: &str = "Invalid login token. User is disabled.";
const NOT_FACEBOOK: &str = "Invalid login token. Not a valid Facebook access token.";

/// A validated login: the provider key as configured in the pool, and the user's id there.
#[derive(Debug, Clone, PartialEq)]
pub struct Login {
    pub provider: String,
    pub subject: String,
    /// The token's claims (an ID token's, or Facebook's `/me` answer), for role mapping rules.
    pub claims: Map<String, Value>,
}

/// Why a login was refused.
#[derive(Debug)]
pub enum LoginError {
    /// Cognito's `NotAuthorizedException` messages ("Invalid login token. …").
    NotAuthorized(String),
    /// The upstream provider could not be asked (`ExternalServiceException`).
    External(String),
    Internal(anyhow::Error),
}

impl fmt::Display for LoginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoginError::NotAuthorized(m) | LoginError::External(m) => f.write_str(m),
            LoginError::Internal(_) => f.write_str("internal error"),
        }
    }
}

fn refuse(message: &str) -> LoginError {
    LoginError::NotAuthorized(message.to_string())
}

fn expired(now: i64, exp: i64) -> LoginError {
    LoginError::NotAuthorized(format!("Invalid login token. Token expired: {now} >= {exp}"))
}

/// What kind of provider a `Logins` key names.
enum Kind {
    CognitoIdentity,
    UserPool(String),
    Google,
    Facebook,
    /// Any other key: an OpenID Connect issuer's host and path, if the pool trusts it.
    Oidc,
}

impl IdentityPools {
    /// Validate one `Logins` entry for identity pool `pool` (its IdentityPool config JSON as stored).
    pub async fn validate_login(
        &self,
        pool_id: &str,
        pool_config: &Value,
        key: &str,
        token: &str,
    ) -> Result<Login, LoginError> {
        if pool_config["DeveloperProviderName"].as_str() == Some(key) {
            return Err(refuse(
                "Invalid login token. Developer provider logins are only accepted by GetOpenIdTokenForDeveloperIdentity.",
            ));
        }
        let (subject, claims) = match self.login_kind(key) {
            Kind::CognitoIdentity => self.identity_token_login(pool_id, token).await?,
            Kind::UserPool(user_pool) => self.user_pool_login(pool_config, &user_pool, token).await?,
            Kind::Google => {
                let audiences = supported_audiences(pool_config, GOOGLE_KEY).ok_or_else(|| refuse(NOT_SUPPORTED))?;
                let issuer = &self.config.google_issuer_url;
                // Google's own issuer: Google's key set, and its scheme-less `iss` too. An overridden
                // issuer is an ordinary OpenID Connect provider (discovered, matched exactly).
                let google = issuer == GOOGLE_ISSUER;
                self.presented_id_token(issuer, google.then_some(GOOGLE_JWKS_URI), &audiences, google, token).await?
            }
            Kind::Facebook => self.facebook_login(pool_config, token).await?,
            Kind::Oidc => self.oidc_login(pool_config, key, token).await?,
        };
        Ok(Login { provider: key.to_string(), subject, claims })
    }

    fn login_kind(&self, key: &str) -> Kind {
        if key == COGNITO_IDENTITY_KEY {
            Kind::CognitoIdentity
        } else if let Some(pool) = self.user_pool_of_provider_name(key) {
            Kind::UserPool(pool)
        } else if key == GOOGLE_KEY {
            Kind::Google
        } else if key == FACEBOOK_KEY {
            Kind::Facebook
        } else {
            Kind::Oidc
        }
    }

    /// The user pool a provider name (a `Logins` key, or a `CognitoIdentityProviders`
    /// ProviderName) names: `cognito-idp.{region}.amazonaws.com/{poolId}` or
    /// `{PUBLIC_URL without scheme}/{poolId}`.
    pub fn user_pool_of_provider_name(&self, name: &str) -> Option<String> {
        let (host, pool) = name.rsplit_once('/')?;
        if !is_user_pool_id(pool) {
            return None;
        }
        let aws = host
            .strip_prefix("cognito-idp.")
            .and_then(|h| h.strip_suffix(".amazonaws.com"))
            .is_some_and(|region| !region.is_empty() && region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        let ours = self.config.public_url.split_once("://").is_some_and(|(_, rest)| host.eq_ignore_ascii_case(rest));
        (aws || ours).then(|| pool.to_string())
    }

    /// `cognito-identity.amazonaws.com`: our own OpenID token, issued for this identity pool.
    async fn identity_token_login(
        &self,
        pool_id: &str,
        token: &str,
    ) -> Result<(String, Map<String, Value>), LoginError> {
        let claims = self.check_identity_token(token).await.map_err(|r| self.refused(r))?;
        if claims.get("aud").and_then(Value::as_str) != Some(pool_id) {
            return Err(refuse(AUDIENCE));
        }
        Ok((text(&claims, "sub").ok_or_else(|| refuse(NOT_OIDC))?, claims))
    }

    /// A user-pool ID token, for a client of that pool the identity pool lists.
    async fn user_pool_login(
        &self,
        pool_config: &Value,
        user_pool: &str,
        token: &str,
    ) -> Result<(String, Map<String, Value>), LoginError> {
        // The identity pool's entries for this user pool: (ClientId, ServerSideTokenCheck).
        let entries: Vec<(&str, bool)> = pool_config["CognitoIdentityProviders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| {
                p["ProviderName"].as_str().and_then(|n| self.user_pool_of_provider_name(n)).as_deref()
                    == Some(user_pool)
            })
            .filter_map(|p| Some((p["ClientId"].as_str()?, p["ServerSideTokenCheck"].as_bool().unwrap_or(false))))
            .collect();
        if entries.is_empty() {
            return Err(refuse(NOT_SUPPORTED));
        }
        let unverified = jwt::peek_claims(token).ok_or_else(|| refuse(NOT_OIDC))?;
        if unverified.get("iss").and_then(Value::as_str) != Some(self.tokens.issuer(user_pool).as_str()) {
            return Err(refuse(ISSUER_MISMATCH));
        }
        let (_, claims) = self.check_user_pool_id_token(token).await.map_err(|r| self.refused(r))?;
        let aud = claims.get("aud").and_then(Value::as_str);
        let Some(&(_, server_side_check)) = entries.iter().find(|(client, _)| Some(*client) == aud) else {
            return Err(refuse(AUDIENCE));
        };
        let sub = text(&claims, "sub").ok_or_else(|| refuse(NOT_OIDC))?;
        if server_side_check {
            self.user_still_signed_in(user_pool, &sub, &claims).await?;
        }
        Ok((sub, claims))
    }

    /// ServerSideTokenCheck: the user exists in the pool, is enabled, did not sign out after the
    /// token was issued, and the sign-in it came from was not revoked.
    async fn user_still_signed_in(
        &self,
        user_pool: &str,
        sub: &str,
        claims: &Map<String, Value>,
    ) -> Result<(), LoginError> {
        let origin = text(claims, "origin_jti").ok_or_else(|| refuse(REVOKED))?;
        let found = self.store.get_token_user(sub, &origin).await.map_err(|e| LoginError::Internal(e.into()))?;
        let Some((user, origin_revoked)) = found.filter(|(u, _)| u.pool_id == user_pool) else {
            return Err(refuse(NO_USER));
        };
        if !user.enabled {
            return Err(refuse(DISABLED));
        }
        let iat = claims.get("iat").and_then(Value::as_i64).unwrap_or(0);
        if origin_revoked || crate::tokens::issue::revoked_by_sign_out(&user, &origin, iat) {
            return Err(refuse(REVOKED));
        }
        Ok(())
    }

    /// Any other key: an OpenID Connect issuer (`https://{key}`, or `http://{key}` on a loopback
    /// host) the pool trusts through `SupportedLoginProviders` (whose value is the client id) or
    /// `OpenIdConnectProviderARNs` (`arn:aws:iam::{account}:oidc-provider/{key}`). The client ids
    /// of an IAM OIDC provider are not kept here, so the audience is always the one
    /// `SupportedLoginProviders` names: a provider known only by its ARN accepts no token.
    async fn oidc_login(
        &self,
        pool_config: &Value,
        key: &str,
        token: &str,
    ) -> Result<(String, Map<String, Value>), LoginError> {
        let audiences = supported_audiences(pool_config, key);
        if let Some((_, name)) = UNCHECKABLE_KEYS.iter().find(|(k, _)| *k == key) {
            return Err(match audiences {
                Some(_) => LoginError::NotAuthorized(format!(
                    "Invalid login token. {name} logins are not supported by this server."
                )),
                None => refuse(NOT_SUPPORTED),
            });
        }
        if listed(pool_config, "SamlProviderARNs", |arn| arn == key) {
            return Err(refuse("Invalid login token. SAML logins are not supported by this server."));
        }
        let unverified = jwt::peek_claims(token).ok_or_else(|| refuse(NOT_OIDC))?;
        let by_arn = listed(pool_config, "OpenIdConnectProviderARNs", |arn| {
            arn.starts_with("arn:aws:iam::") && arn.split_once(":oidc-provider/").is_some_and(|(_, p)| p == key)
        });
        if (audiences.is_none() && !by_arn) || !is_issuer_key(key) {
            return Err(refuse(NOT_SUPPORTED));
        }
        let iss = unverified.get("iss").and_then(Value::as_str).unwrap_or_default();
        let secure = format!("https://{key}");
        let loopback = format!("http://{key}");
        if iss != secure && !(iss == loopback && url_allowed(&loopback)) {
            return Err(refuse(ISSUER_MISMATCH));
        }
        let audiences = audiences.unwrap_or_default();
        if audiences.is_empty() {
            return Err(refuse(AUDIENCE));
        }
        self.presented_id_token(iss, None, &audiences, false, token).await
    }

    /// An upstream ID token, checked by the federation client (keys cached, refetched once on an
    /// unknown `kid`).
    async fn presented_id_token(
        &self,
        issuer: &str,
        jwks_uri: Option<&str>,
        audiences: &[String],
        google: bool,
        token: &str,
    ) -> Result<(String, Map<String, Value>), LoginError> {
        let now = self.now();
        let claims =
            self.upstream.verify_presented_id_token(issuer, jwks_uri, audiences, google, token, now).await.map_err(
                |r| match r {
                    IdTokenRejection::Upstream(e) => LoginError::External(e.description),
                    IdTokenRejection::Expired => {
                        let exp = jwt::peek_claims(token).and_then(|c| c.get("exp").and_then(Value::as_i64));
                        expired(now, exp.unwrap_or_default())
                    }
                    IdTokenRejection::Issuer => refuse(ISSUER_MISMATCH),
                    IdTokenRejection::Audience => refuse(AUDIENCE),
                    IdTokenRejection::Signature => refuse(SIGNATURE),
                    IdTokenRejection::Malformed | IdTokenRejection::Nonce | IdTokenRejection::Invalid(_) => {
                        refuse(NOT_OIDC)
                    }
                },
            )?;
        Ok((text(&claims, "sub").ok_or_else(|| refuse(NOT_OIDC))?, claims))
    }

    /// `graph.facebook.com`: Graph says which app the access token was issued to (it must be
    /// the configured app id) and whose it is.
    async fn facebook_login(
        &self,
        pool_config: &Value,
        token: &str,
    ) -> Result<(String, Map<String, Value>), LoginError> {
        let apps = supported_audiences(pool_config, FACEBOOK_KEY).ok_or_else(|| refuse(NOT_SUPPORTED))?;
        // Access tokens are printable ASCII; anything else is not one (and cannot be sent).
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(refuse(NOT_FACEBOOK));
        }
        let (app, me) = facebook::presented_token(&self.upstream, &self.config.facebook_graph_url, token)
            .await
            .map_err(|r| match r {
                GraphRefusal::Token(message) => {
                    tracing::info!(graph = %message, "Facebook refused a login token");
                    refuse(NOT_FACEBOOK)
                }
                GraphRefusal::Upstream(e) => LoginError::External(e.description),
            })?;
        if !apps.contains(&app) {
            return Err(refuse(AUDIENCE));
        }
        Ok((text(&me, "id").ok_or_else(|| refuse(NOT_FACEBOOK))?, me))
    }

    fn refused(&self, r: Refused) -> LoginError {
        match r {
            Refused::Malformed | Refused::WrongUse => refuse(NOT_OIDC),
            Refused::UnknownIssuer => refuse(ISSUER_MISMATCH),
            Refused::Signature => refuse(SIGNATURE),
            Refused::Expired { exp } => expired(self.now(), exp),
        }
    }
}

/// Whether the pool's list `member` has a string entry that `matches`.
fn listed(pool_config: &Value, member: &str, matches: impl Fn(&str) -> bool) -> bool {
    pool_config[member].as_array().into_iter().flatten().filter_map(Value::as_str).any(matches)
}

/// A non-empty string claim.
fn text(claims: &Map<String, Value>, name: &str) -> Option<String> {
    claims.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The client or app ids `SupportedLoginProviders` gives for `key` (comma-separated when a
/// provider has several clients), or `None` when the pool does not list the provider.
fn supported_audiences(pool_config: &Value, key: &str) -> Option<Vec<String>> {
    let value = pool_config["SupportedLoginProviders"].get(key)?.as_str()?;
    Some(value.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect())
}

/// Whether a key can be an issuer's host and path: `https://{key}` is a URL with a host and
/// nothing after its path.
pub fn is_issuer_key(key: &str) -> bool {
    if key.is_empty() || key.contains("://") || key.ends_with('/') || key.contains(['?', '#', '@', ' ']) {
        return false;
    }
    url::Url::parse(&format!("https://{key}")).is_ok_and(|u| u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn issuer_keys_are_hosts_with_paths() {
        assert!(is_issuer_key("login.example.com"));
        assert!(is_issuer_key("127.0.0.1:8080/realms/x"));
        assert!(!is_issuer_key("https://login.example.com"));
        assert!(!is_issuer_key("login.example.com/"));
        assert!(!is_issuer_key("user@login.example.com"));
        assert!(!is_issuer_key("login.example.com?x=1"));
        assert!(!is_issuer_key(""));
    }

    #[test]
    fn supported_audiences_split_on_commas() {
        let config = json!({"SupportedLoginProviders": {"accounts.google.com": "a.apps, b.apps", "x": ""}});
        assert_eq!(supported_audiences(&config, "accounts.google.com"), Some(vec!["a.apps".into(), "b.apps".into()]));
        assert_eq!(supported_audiences(&config, "x"), Some(vec![]));
        assert_eq!(supported_audiences(&config, "graph.facebook.com"), None);
        assert_eq!(supported_audiences(&json!({}), "x"), None);
    }
}
