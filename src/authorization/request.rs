//! The authorization request: parsed and validated once, by `/oauth2/authorize` and by every
//! hosted page that continues it, and completed (code or implicit tokens) once the user is
//! signed in. Unknown clients and unregistered redirect URIs are shown as pages, never
//! redirected to; every other error goes back to the app's redirect URI.

use super::Authorization;
use super::redirect::RedirectUri;
use crate::crypto::SecretToken;
use crate::ids::Scope;
use crate::store::grants::AuthCodeRow;
use crate::store::users::UserRow;
use crate::tokens::issue::Grant;
use crate::userpool::client_definition::OAuthFlow;
use crate::userpool::model::{Client, Pool};
use serde::{Deserialize, Serialize};

pub const CODE_TTL_SECS: i64 = 300;

/// Parameters of `/oauth2/authorize`, from the query (GET) or the form body (POST), and of the
/// hosted pages that carry them on. `acr_values` and `claims` are not read: OIDC Core §3.1.2.1
/// makes the requested `acr` a voluntary claim, and §5.5 lets a provider that does not support
/// `claims` ignore it and return the claims it finds useful (discovery says
/// `claims_parameter_supported: false`).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub identity_provider: Option<String>,
    pub idp_identifier: Option<String>,
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
    pub lang: Option<String>,
    /// OIDC Core §3.1.2.1: the longest time (seconds) since the user last authenticated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<String>,
    /// Request objects and dynamic registration are not supported (OIDC Core §3.1.2.6, §6):
    /// these are read only to be refused by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration: Option<String>,
}

impl AuthorizeParams {
    /// The parameters as a query string, to carry them from page to page.
    pub fn query(&self) -> String {
        serde_urlencoded::to_string(self).unwrap_or_default()
    }

    /// A request that opens `client`'s hosted pages in `lang` as its users meet them (for the
    /// dashboard's links and previews): the first callback URL, the first browser flow, every
    /// allowed scope (`scope` absent), and for the code flow a PKCE challenge nobody holds the
    /// verifier of, so it shows the pages and signs no one in. `None` when the client has no
    /// hosted pages (no callback URL, or neither the code nor the implicit flow).
    pub fn sample(client: &Client, lang: &str) -> Option<AuthorizeParams> {
        let callback = client.callback_urls().first()?;
        let flow = client.allowed_oauth_flows().iter().find(|f| matches!(f, OAuthFlow::Code | OAuthFlow::Implicit))?;
        let code = *flow == OAuthFlow::Code;
        let challenge = code.then(|| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(crate::crypto::sha256(crate::crypto::random_token().as_bytes()))
        });
        Some(AuthorizeParams {
            response_type: Some(if code { "code" } else { "token" }.into()),
            client_id: Some(client.id.to_string()),
            redirect_uri: Some(callback.to_string()),
            code_challenge_method: challenge.as_ref().map(|_| "S256".into()),
            code_challenge: challenge,
            lang: Some(lang.into()),
            ..AuthorizeParams::default()
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Code,
    Token,
}

/// A validated request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: Client,
    pub redirect_uri: RedirectUri,
    pub response_type: ResponseType,
    pub scopes: Vec<Scope>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Option<String>,
    pub login_hint: Option<String>,
    /// `max_age` in seconds: a hosted session older than this is not used (OIDC Core §3.1.2.1).
    pub max_age: Option<i64>,
    /// The upstream provider to sign in with (`identity_provider` / `idp_identifier`).
    pub idp: Option<String>,
    pub params: AuthorizeParams,
}

#[derive(Debug)]
pub enum AuthorizeError {
    /// Show an error page (the catalogue's `error.*` key); the redirect URI cannot be trusted.
    Page(&'static str),
    /// Redirect to the app with `error`.
    Redirect(String),
}

/// `{redirect_uri}?error=…&error_description=…&state=…`
pub fn error_redirect(redirect_uri: &RedirectUri, state: Option<&str>, error: &str, description: &str) -> String {
    let mut pairs = vec![("error", error), ("error_description", description)];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    append_query(redirect_uri.as_str(), &pairs)
}

fn append_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let q = serde_urlencoded::to_string(pairs).unwrap_or_default();
    if uri.contains('?') { format!("{uri}&{q}") } else { format!("{uri}?{q}") }
}

fn is_pkce_value(s: &str) -> bool {
    (43..=128).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// S256: BASE64URL(SHA-256(verifier)) == challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    use base64::Engine;
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(crate::crypto::sha256(verifier.as_bytes()));
    is_pkce_value(verifier) && crate::crypto::constant_time_eq(computed.as_bytes(), challenge.as_bytes())
}

impl Authorization {
    /// The upstream provider an authorization request asks for (`identity_provider` or
    /// `idp_identifier`): `Ok(None)` for the pool's own sign-in, `Err` with the reason when the
    /// client may not use what it asks for.
    pub async fn requested_provider(
        &self,
        pool: &Pool,
        client: &Client,
        p: &AuthorizeParams,
    ) -> std::result::Result<Option<String>, &'static str> {
        let supported = client.supported_identity_providers();
        let name = match (p.identity_provider.as_deref(), p.idp_identifier.as_deref()) {
            (Some(n), _) if !n.is_empty() => n.to_string(),
            (_, Some(id)) if !id.is_empty() => match self.store.get_identity_provider_by_identifier(&pool.id, id).await
            {
                Ok(Some(row)) => row.name,
                Ok(None) => return Err("No identity provider has that identifier"),
                Err(e) => {
                    tracing::error!(error = %e, "provider lookup failed");
                    return Err("An internal error occurred");
                }
            },
            _ => return Ok(None),
        };
        if name == "COGNITO" {
            return if client_allows_cognito(client) {
                Ok(None)
            } else {
                Err("COGNITO is not enabled for this client")
            };
        }
        if !supported.contains(&name) {
            return Err("The identity provider is not enabled for this client");
        }
        match self.store.get_identity_provider(&pool.id, &name).await {
            Ok(Some(_)) => Ok(Some(name)),
            Ok(None) => Err("The identity provider is not enabled for this client"),
            Err(e) => {
                tracing::error!(error = %e, "provider lookup failed");
                Err("An internal error occurred")
            }
        }
    }

    pub async fn validate_authorize(
        &self,
        pool: &Pool,
        p: &AuthorizeParams,
    ) -> Result<AuthorizeRequest, AuthorizeError> {
        let client_id = p.client_id.as_deref().unwrap_or_default();
        let client = match self.directory.find_client_named(client_id).await {
            Ok(Some(c)) if c.pool_id == pool.id => c,
            Ok(_) => {
                return Err(AuthorizeError::Page("error.unknown_client"));
            }
            Err(e) if e.is_unavailable() => return Err(AuthorizeError::Page("error.unavailable")),
            Err(e) => {
                tracing::error!(error = ?e, "client lookup failed");
                return Err(AuthorizeError::Page("error.internal"));
            }
        };
        let Some(redirect_uri) = RedirectUri::callback(&client, p.redirect_uri.as_deref().unwrap_or_default()) else {
            return Err(AuthorizeError::Page("error.redirect_mismatch"));
        };
        let state = p.state.clone();
        let fail =
            |e: &str, d: &str| Err(AuthorizeError::Redirect(error_redirect(&redirect_uri, state.as_deref(), e, d)));
        let flows = client.allowed_oauth_flows();
        let response_type = match p.response_type.as_deref() {
            None | Some("") => return fail("invalid_request", "response_type is required"),
            Some("code") => ResponseType::Code,
            Some("token") => ResponseType::Token,
            Some(_) => {
                return fail("unsupported_response_type", "response_type must be code or token");
            }
        };
        let flow = if response_type == ResponseType::Code { OAuthFlow::Code } else { OAuthFlow::Implicit };
        if !client.oauth_enabled() || !flows.contains(&flow) {
            return fail("unauthorized_client", "The client is not allowed this response_type");
        }
        let Some(scopes) = super::scopes::narrow(p.scope.as_deref(), client.allowed_oauth_scopes().to_vec()) else {
            return fail("invalid_scope", "None of the requested scopes is allowed for this client");
        };
        let has = |s: &str| scopes.iter().any(|x| x == s);
        if (has("email") || has("phone") || has("profile")) && !has("openid") {
            return fail("invalid_scope", "The email, phone and profile scopes require openid");
        }
        let code_challenge = match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
            (None, None) => None,
            (Some(c), Some("S256")) if is_pkce_value(c) => Some(c.to_string()),
            (Some(_), Some("S256")) => {
                return fail("invalid_request", "code_challenge is malformed");
            }
            (Some(_), None) | (Some(_), Some("plain")) | (None, Some(_)) => {
                return fail("invalid_request", "code_challenge_method must be S256 and comes with code_challenge");
            }
            (Some(_), Some(_)) => {
                return fail("invalid_request", "code_challenge_method must be S256");
            }
        };
        if response_type == ResponseType::Code && client.secret.is_none() && code_challenge.is_none() {
            return fail("invalid_request", "PKCE (code_challenge with S256) is required for public clients");
        }
        let idp = match self.requested_provider(pool, &client, p).await {
            Ok(idp) => idp,
            Err(reason) => return fail("invalid_request", reason),
        };
        match p.prompt.as_deref() {
            None | Some("") | Some("none") | Some("login") | Some("consent") | Some("select_account") => {}
            Some(_) => return fail("invalid_request", "Unsupported prompt value"),
        }
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.is_empty());
        if given(&p.request) {
            return fail("request_not_supported", "Request objects are not supported");
        }
        if given(&p.request_uri) {
            return fail("request_uri_not_supported", "request_uri is not supported");
        }
        if given(&p.registration) {
            return fail("registration_not_supported", "The registration parameter is not supported");
        }
        let max_age = match p.max_age.as_deref().filter(|m| !m.is_empty()) {
            None => None,
            Some(m) => match parse_max_age(m) {
                Some(secs) => Some(secs),
                None => return fail("invalid_request", "max_age must be a non-negative integer"),
            },
        };
        Ok(AuthorizeRequest {
            client,
            redirect_uri,
            response_type,
            scopes,
            state,
            nonce: p.nonce.clone(),
            code_challenge,
            prompt: p.prompt.clone().filter(|s| !s.is_empty()),
            login_hint: p.login_hint.clone(),
            max_age,
            idp,
            params: p.clone(),
        })
    }

    /// Whether the hosted session of a user who authenticated at `auth_time` may complete
    /// request `r` without a new sign-in: not with `prompt=login`, and not when `max_age` was
    /// asked and more than that many seconds have passed (`max_age=0` always signs in again,
    /// OIDC Core §3.1.2.1).
    pub fn session_satisfies(&self, r: &AuthorizeRequest, auth_time: i64) -> bool {
        if r.prompt.as_deref() == Some("login") {
            return false;
        }
        match r.max_age {
            None => true,
            Some(0) => false,
            Some(max) => self.now().saturating_sub(auth_time) <= max,
        }
    }

    /// The user is signed in: issue a code (or implicit tokens) and build the callback URL.
    pub async fn complete_authorize(
        &self,
        pool: &Pool,
        r: &AuthorizeRequest,
        user: &UserRow,
        auth_time: i64,
    ) -> crate::userpool::error::Result<String> {
        match r.response_type {
            ResponseType::Code => {
                let code = SecretToken::generate();
                let now = self.now();
                self.store
                    .insert_auth_code(&AuthCodeRow {
                        code_hash: code.hash(),
                        pool_id: pool.id.clone(),
                        client_id: r.client.id.clone(),
                        user_id: user.id.clone(),
                        redirect_uri: r.redirect_uri.to_string(),
                        scopes: r.scopes.join(" "),
                        nonce: r.nonce.clone(),
                        code_challenge: r.code_challenge.clone(),
                        auth_time,
                        created_at: now,
                        expires_at: now + CODE_TTL_SECS,
                        used_at: None,
                        // Dated now, so a sign-out before the redemption refuses the code.
                        origin_jti: Some(self.tokens.new_origin()),
                    })
                    .await?;
                let code = code.into_clear();
                let mut pairs = vec![("code", code.as_str())];
                if let Some(s) = &r.state {
                    pairs.push(("state", s));
                }
                Ok(append_query(r.redirect_uri.as_str(), &pairs))
            }
            ResponseType::Token => {
                let grant = Grant {
                    scopes: Some(r.scopes.clone()),
                    nonce: r.nonce.clone(),
                    auth_time,
                    device_key: None,
                    source: "TokenGeneration_HostedAuth",
                    client_metadata: Default::default(),
                };
                let t = self.tokens.issue_implicit_tokens(pool, &r.client, user, &grant).await?;
                let expires = t.expires_in.to_string();
                let mut pairs = vec![("access_token", t.access_token.as_str())];
                if let Some(id) = &t.id_token {
                    pairs.push(("id_token", id));
                }
                pairs.push(("token_type", "Bearer"));
                pairs.push(("expires_in", &expires));
                if let Some(s) = &r.state {
                    pairs.push(("state", s));
                }
                Ok(format!("{}#{}", r.redirect_uri, serde_urlencoded::to_string(&pairs).unwrap_or_default()))
            }
        }
    }
}

/// `max_age` as seconds: digits only; a value past `i64` is as good as no limit.
fn parse_max_age(m: &str) -> Option<i64> {
    if m.is_empty() || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(m.parse::<i64>().unwrap_or(i64::MAX))
}

/// Whether the client offers the pool's own sign-in (an empty list means only that).
pub fn client_allows_cognito(client: &Client) -> bool {
    let supported = client.supported_identity_providers();
    supported.is_empty() || supported.iter().any(|s| s == "COGNITO")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_example() {
        assert!(pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
        assert!(!pkce_matches(
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXx",
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        ));
    }

    #[test]
    fn max_age_is_digits_only() {
        assert_eq!(parse_max_age("0"), Some(0));
        assert_eq!(parse_max_age("3600"), Some(3600));
        assert_eq!(parse_max_age("99999999999999999999999"), Some(i64::MAX));
        for bad in ["", "-1", "1.5", " 1", "+1", "abc"] {
            assert_eq!(parse_max_age(bad), None, "{bad}");
        }
    }

    #[test]
    fn error_redirect_keeps_existing_query_and_state() {
        assert_eq!(
            error_redirect(&RedirectUri::assumed("https://a.example/cb?x=1"), Some("s 1"), "invalid_scope", "no"),
            "https://a.example/cb?x=1&error=invalid_scope&error_description=no&state=s+1"
        );
    }
}
