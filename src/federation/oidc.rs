//! Google and generic OpenID Connect providers, through the `openidconnect` crate: discovery
//! (cached), the authorization URL with state, nonce and PKCE, the code exchange, ID-token
//! validation against the provider's keys (cached, fetched again on an unknown `kid`) and the
//! userinfo call.

use super::providers::GOOGLE_ISSUER;
use super::{Claims, METADATA_TTL_SECS, Provider, Upstream, UpstreamError, UpstreamResult};
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, JsonWebKeySetUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use std::sync::Arc;

/// Where a provider's endpoints are, from its details or its discovery document.
pub struct Endpoints {
    pub issuer: String,
    pub authorize: String,
    pub token: String,
    pub jwks: String,
    pub userinfo: Option<String>,
    pub auth_method: AuthType,
}

impl Upstream {
    /// The provider's endpoints. Explicit details win; anything missing comes from the issuer's
    /// discovery document. Google's endpoints are all known, so Google is never discovered.
    pub async fn endpoints(&self, p: &Provider, now: i64) -> UpstreamResult<Endpoints> {
        let issuer = p.detail("oidc_issuer").unwrap_or_default().to_string();
        let explicit = ["authorize_url", "token_url", "jwks_uri"].iter().all(|k| p.detail(k).is_some());
        let discovered = if explicit { None } else { Some(self.discover(&issuer, now).await?) };
        let pick = |key: &str, from: Option<String>| -> UpstreamResult<String> {
            p.detail(key)
                .map(str::to_string)
                .or(from)
                .ok_or_else(|| UpstreamError::invalid(format!("The IdP has no {key}")))
        };
        let d = discovered.as_deref();
        let authorize = pick("authorize_url", d.map(|m| m.authorization_endpoint().to_string()))?;
        let token = pick("token_url", d.and_then(|m| m.token_endpoint()).map(|u| u.to_string()))?;
        let jwks = pick("jwks_uri", d.map(|m| m.jwks_uri().to_string()))?;
        // Google's default attributes URL is its People API, whose shape is not userinfo's: for
        // Google the ID token carries the claims unless a userinfo URL was given explicitly.
        let userinfo = if p.provider_type == "Google" {
            p.given.get("attributes_url").filter(|s| !s.is_empty()).cloned()
        } else {
            p.detail("attributes_url")
                .map(str::to_string)
                .or_else(|| d.and_then(|m| m.userinfo_endpoint()).map(|u| u.to_string()))
        };
        // Discovered endpoints follow the rule given ones do: https, or http on loopback only.
        for url in [&authorize, &token, &jwks].into_iter().chain(userinfo.as_ref()) {
            if !super::providers::url_allowed(url) {
                return Err(UpstreamError::invalid(format!("The IdP endpoint {url} is not https")));
            }
        }
        let auth_method = match p.detail("token_endpoint_auth_method") {
            Some("client_secret_post") => AuthType::RequestBody,
            Some(_) => AuthType::BasicAuth,
            None => {
                let supported = d.and_then(|m| m.token_endpoint_auth_methods_supported());
                match supported {
                    Some(list)
                        if list.contains(&CoreClientAuthMethod::ClientSecretPost)
                            && !list.contains(&CoreClientAuthMethod::ClientSecretBasic) =>
                    {
                        AuthType::RequestBody
                    }
                    _ if p.provider_type == "Google" => AuthType::RequestBody,
                    _ => AuthType::BasicAuth,
                }
            }
        };
        Ok(Endpoints { issuer, authorize, token, jwks, userinfo, auth_method })
    }

    async fn discover(&self, issuer: &str, now: i64) -> UpstreamResult<Arc<CoreProviderMetadata>> {
        if let Some((at, m)) = self.discovery.lock().expect("discovery cache").get(issuer)
            && now - at < METADATA_TTL_SECS
        {
            return Ok(m.clone());
        }
        let url = IssuerUrl::new(issuer.to_string()).map_err(|_| UpstreamError::invalid("Invalid IdP issuer"))?;
        let m =
            super::timed("discovery", CoreProviderMetadata::discover_async(url, &self.http)).await.map_err(|e| {
                tracing::warn!(issuer, error = %e, "OIDC discovery failed");
                UpstreamError::invalid(format!("Error in calling IdP discovery endpoint: {}", short(&e)))
            })?;
        let m = Arc::new(m);
        self.discovery.lock().expect("discovery cache").insert(issuer.to_string(), (now, m.clone()));
        self.jwks.lock().expect("jwks cache").insert(m.jwks_uri().to_string(), (now, Arc::new(m.jwks().clone())));
        Ok(m)
    }

    /// The provider's keys: cached, or fetched when stale or when `refresh` asks for it.
    async fn keys(&self, url: &str, now: i64, refresh: bool) -> UpstreamResult<Arc<CoreJsonWebKeySet>> {
        if !refresh
            && let Some((at, k)) = self.jwks.lock().expect("jwks cache").get(url)
            && now - at < METADATA_TTL_SECS
        {
            return Ok(k.clone());
        }
        let u = JsonWebKeySetUrl::new(url.to_string()).map_err(|_| UpstreamError::invalid("Invalid IdP jwks_uri"))?;
        let k = super::timed("keys", CoreJsonWebKeySet::fetch_async(&u, &self.http)).await.map_err(|e| {
            tracing::warn!(url, error = %e, "fetching upstream keys failed");
            UpstreamError::invalid(format!("Error in calling jwks uri: {}", short(&e)))
        })?;
        let k = Arc::new(k);
        self.jwks.lock().expect("jwks cache").insert(url.to_string(), (now, k.clone()));
        Ok(k)
    }
}

/// The secrets of one upstream sign-in, kept (sealed) until the provider answers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Secrets {
    pub nonce: String,
    pub verifier: String,
}

fn client(
    p: &Provider,
    e: &Endpoints,
    callback: &str,
) -> UpstreamResult<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
    >,
> {
    let bad = |what: &str| UpstreamError::invalid(format!("Invalid IdP {what}"));
    let issuer = IssuerUrl::new(e.issuer.clone()).map_err(|_| bad("issuer"))?;
    let mut c = CoreClient::new(ClientId::new(p.client_id.clone()), issuer, CoreJsonWebKeySet::default())
        .set_auth_uri(AuthUrl::new(e.authorize.clone()).map_err(|_| bad("authorize_url"))?)
        .set_token_uri(TokenUrl::new(e.token.clone()).map_err(|_| bad("token_url"))?)
        .set_redirect_uri(RedirectUrl::new(callback.to_string()).map_err(|_| bad("redirect URI"))?)
        .set_auth_type(e.auth_method.clone());
    if let Some(s) = &p.client_secret {
        c = c.set_client_secret(ClientSecret::new(s.clone()));
    }
    Ok(c)
}

/// The URL that sends the browser to the provider, and the secrets to keep for its answer.
pub fn authorize_url(p: &Provider, e: &Endpoints, callback: &str, state: &str) -> UpstreamResult<(String, Secrets)> {
    let verifier = PkceCodeVerifier::new(crate::crypto::random_token());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let nonce = crate::crypto::random_token();
    let c = client(p, e, callback)?;
    let (state, nonce2) = (state.to_string(), nonce.clone());
    let mut req = c
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce2),
        )
        .set_pkce_challenge(challenge);
    // `openid` is always asked for; the rest as configured.
    for s in p.scopes().split([' ', ',']).filter(|s| !s.is_empty() && *s != "openid") {
        req = req.add_scope(Scope::new(s.to_string()));
    }
    let (url, _, _) = req.url();
    Ok((url.to_string(), Secrets { nonce, verifier: verifier.secret().clone() }))
}

/// Exchange the code, validate the ID token and gather the user's claims (the ID token's, and
/// the userinfo endpoint's when there is one).
pub async fn sign_in(
    fed: &Upstream,
    p: &Provider,
    e: &Endpoints,
    callback: &str,
    code: &str,
    secrets: &Secrets,
    now: i64,
) -> UpstreamResult<Claims> {
    let c = client(p, e, callback)?;
    let exchange = c
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .set_pkce_verifier(PkceCodeVerifier::new(secrets.verifier.clone()));
    let tokens = super::timed("token", exchange.request_async(&fed.http))
        .await
        .map_err(|err| super::token_failed(&p.name, err))?;
    let id_token = tokens.id_token().ok_or_else(|| UpstreamError::invalid("IdP did not return an id_token"))?;
    let mut claims = verify(fed, p, e, id_token, &secrets.nonce, now).await?;
    if let Some(url) = &e.userinfo {
        let info = userinfo(fed, p, url, tokens.access_token().secret()).await?;
        if info.get("sub").is_some_and(|s| s != &claims["sub"]) {
            return Err(UpstreamError::invalid("The IdP userinfo sub does not match the id_token"));
        }
        for (k, v) in info {
            claims.entry(k).or_insert(v);
        }
    }
    Ok(claims)
}

/// Validate the ID token: signature by one of the provider's keys (fetched again once when the
/// token names an unknown key), issuer, audience = our client id, expiry and nonce.
async fn verify(
    fed: &Upstream,
    p: &Provider,
    e: &Endpoints,
    token: &CoreIdToken,
    nonce: &str,
    now: i64,
) -> UpstreamResult<Claims> {
    let google = p.provider_type == "Google" && e.issuer == GOOGLE_ISSUER;
    let audiences = [p.client_id.clone()];
    let expected = Nonce::new(nonce.to_string());
    check(fed, &e.jwks, &e.issuer, &audiences, google, token, &expected, now).await.map_err(|r| {
        if !matches!(r, IdTokenRejection::Upstream(_)) {
            tracing::info!(provider = %p.name, refused = ?r, "upstream id_token refused");
        }
        UpstreamError::invalid(match r {
            IdTokenRejection::Upstream(err) => return err,
            IdTokenRejection::Expired => "The id_token from the IdP has expired".to_string(),
            IdTokenRejection::Audience => "The id_token from the IdP has an invalid audience".to_string(),
            IdTokenRejection::Issuer => "The id_token from the IdP has an invalid issuer".to_string(),
            IdTokenRejection::Nonce => "The id_token from the IdP has an invalid nonce".to_string(),
            IdTokenRejection::Signature => "The id_token signature from the IdP is invalid".to_string(),
            IdTokenRejection::Malformed => "Malformed id_token".to_string(),
            IdTokenRejection::Invalid(other) => format!("The id_token from the IdP is invalid: {other}"),
        })
    })
}

/// Why an upstream ID token was refused.
#[derive(Debug)]
pub enum IdTokenRejection {
    /// Not a JWT with an ID token's claims.
    Malformed,
    /// No key of the provider made the signature (or a disallowed algorithm).
    Signature,
    Issuer,
    Audience,
    Expired,
    Nonce,
    /// Anything else the verifier refuses, in its words.
    Invalid(String),
    /// The provider's discovery document or keys could not be fetched.
    Upstream(UpstreamError),
}

impl Upstream {
    /// Validate an ID token that a client presents itself (an identity pool's `Logins`), so with
    /// no nonce of ours: signature by one of the issuer's keys (from `jwks_uri`, or from the
    /// issuer's discovery document; fetched again once when the token names an unknown key),
    /// issuer, an audience among `audiences` (any other audience the token lists must be among
    /// them too), and expiry at `now`. `google` also accepts Google's scheme-less issuer.
    pub async fn verify_presented_id_token(
        &self,
        issuer: &str,
        jwks_uri: Option<&str>,
        audiences: &[String],
        google: bool,
        token: &str,
        now: i64,
    ) -> Result<Claims, IdTokenRejection> {
        let parsed: CoreIdToken = token.parse().map_err(|_| IdTokenRejection::Malformed)?;
        let jwks = match jwks_uri {
            Some(u) => u.to_string(),
            None => self.discover(issuer, now).await.map_err(IdTokenRejection::Upstream)?.jwks_uri().to_string(),
        };
        if !super::providers::url_allowed(&jwks) {
            return Err(IdTokenRejection::Upstream(UpstreamError::invalid(format!(
                "The IdP endpoint {jwks} is not https"
            ))));
        }
        check(self, &jwks, issuer, audiences, google, &parsed, any_nonce, now).await
    }
}

/// A presented token was not requested by us: there is no nonce to compare.
fn any_nonce(_: Option<&Nonce>) -> Result<(), String> {
    Ok(())
}

/// The ID token checks shared by sign-in and presented tokens.
#[allow(clippy::too_many_arguments)]
async fn check<N: openidconnect::NonceVerifier + Copy>(
    fed: &Upstream,
    jwks: &str,
    issuer: &str,
    audiences: &[String],
    google: bool,
    token: &CoreIdToken,
    nonce: N,
    now: i64,
) -> Result<Claims, IdTokenRejection> {
    use openidconnect::{ClaimsVerificationError as V, SignatureVerificationError as S};
    let claims = payload(&token.to_string()).ok_or(IdTokenRejection::Malformed)?;
    // The audience the token is for among ours; any other audience it lists must be ours too
    // (none listed: the verifier refuses it, in its order of checks).
    let listed: Vec<&str> = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.as_str()],
        Some(serde_json::Value::Array(list)) => list.iter().filter_map(|a| a.as_str()).collect(),
        _ => vec![],
    };
    let client_id = audiences
        .iter()
        .find(|a| listed.contains(&a.as_str()))
        .or(audiences.first())
        .ok_or(IdTokenRejection::Audience)?;
    let trusted: Vec<String> = audiences.to_vec();
    let issuer_url = IssuerUrl::new(issuer.to_string()).map_err(|_| IdTokenRejection::Issuer)?;
    let mut refreshed = false;
    loop {
        let keys = fed.keys(jwks, now, refreshed).await.map_err(IdTokenRejection::Upstream)?;
        let trusted = trusted.clone();
        let verifier = CoreIdTokenVerifier::new_public_client(
            ClientId::new(client_id.clone()),
            issuer_url.clone(),
            (*keys).clone(),
        )
        .set_time_fn(move || chrono::DateTime::from_timestamp(now, 0).unwrap_or_default())
        .set_other_audience_verifier_fn(move |aud| trusted.iter().any(|t| t.as_str() == aud.as_str()));
        // Google documents `accounts.google.com` without the scheme as a valid issuer too.
        let verifier = if google { verifier.require_issuer_match(false) } else { verifier };
        match token.claims(&verifier, nonce) {
            Ok(_) => break,
            Err(V::SignatureVerification(S::NoMatchingKey)) if !refreshed => refreshed = true,
            Err(err) => {
                return Err(match err {
                    V::Expired(_) => IdTokenRejection::Expired,
                    V::InvalidAudience(_) => IdTokenRejection::Audience,
                    V::InvalidIssuer(_) => IdTokenRejection::Issuer,
                    V::InvalidNonce(_) => IdTokenRejection::Nonce,
                    V::SignatureVerification(_) => IdTokenRejection::Signature,
                    other => IdTokenRejection::Invalid(other.to_string()),
                });
            }
        }
    }
    // Google's issuer, with or without the scheme (the match above was relaxed for it).
    if google {
        let iss = claims.get("iss").and_then(|v| v.as_str()).unwrap_or_default();
        if iss != GOOGLE_ISSUER && iss != "accounts.google.com" {
            return Err(IdTokenRejection::Issuer);
        }
    }
    Ok(claims)
}

/// The claims of a JWT whose signature was already checked.
fn payload(jwt: &str) -> Option<Claims> {
    let part = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Call the userinfo (`attributes_url`) endpoint with the access token, by GET or POST
/// (`attributes_request_method`).
async fn userinfo(fed: &Upstream, p: &Provider, url: &str, access_token: &str) -> UpstreamResult<Claims> {
    let req =
        if p.detail("attributes_request_method") == Some("POST") { fed.http.post(url) } else { fed.http.get(url) };
    let call =
        async { req.bearer_auth(access_token).header("Accept", "application/json").send().await?.error_for_status() };
    let resp = super::timed("userinfo", call).await.map_err(|e| super::call_failed(&p.name, "userinfo", &e))?;
    resp.json::<Claims>()
        .await
        .map_err(|_| UpstreamError::invalid(format!("{} Error - invalid userinfo response", p.name)))
}

/// The first line of an error, without the chain.
fn short(e: &dyn std::fmt::Display) -> String {
    e.to_string().lines().next().unwrap_or_default().chars().take(120).collect()
}
