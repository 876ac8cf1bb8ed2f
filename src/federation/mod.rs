//! Federation: signing in through upstream identity providers (Google, Facebook, any OpenID
//! Connect provider), as Cognito's `/oauth2/idpresponse` does. `flow` sends the browser upstream
//! and takes the answer back; `oidc` and `facebook` speak to the provider; `users` turns the
//! upstream identity into a pool user.

pub mod facebook;
pub mod flow;
pub mod oidc;
pub mod providers;
pub mod users;

use crate::crypto::MasterKey;
use crate::store::federation::IdentityProviderRow;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Why an upstream sign-in failed, in the words the app gets back (`error`,
/// `error_description`), as Cognito reports IdP problems.
#[derive(Debug)]
pub struct UpstreamError {
    pub error: &'static str,
    pub description: String,
}

impl UpstreamError {
    pub fn invalid(description: impl Into<String>) -> Self {
        UpstreamError { error: "invalid_request", description: description.into() }
    }
}

pub type UpstreamResult<T> = Result<T, UpstreamError>;

/// A provider's settings with Cognito's defaults filled in and its secret opened.
#[derive(Debug, Clone)]
pub struct Provider {
    pub name: String,
    /// `Google`, `Facebook` or `OIDC`.
    pub provider_type: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Explicit details merged over the type's defaults.
    pub details: BTreeMap<String, String>,
    /// Details as given (without defaults).
    pub given: BTreeMap<String, String>,
    /// Pool attribute → upstream claim.
    pub mapping: BTreeMap<String, String>,
}

/// The context a provider's secret is sealed under.
pub fn secret_context(pool_id: &str, name: &str) -> String {
    format!("idp-secret:{pool_id}:{name}")
}

impl Provider {
    pub fn from_row(row: &IdentityProviderRow, master: &MasterKey) -> anyhow::Result<Provider> {
        let details = providers::with_defaults(&row.provider_type, &row.details);
        let client_secret = match &row.secret {
            Some(sealed) => Some(master.open_string(sealed, &secret_context(&row.pool_id, &row.name))?),
            None => None,
        };
        let mut mapping = row.attribute_mapping.clone();
        let (user, claim) = providers::default_mapping(&row.provider_type);
        mapping.entry(user.to_string()).or_insert_with(|| claim.to_string());
        Ok(Provider {
            name: row.name.clone(),
            provider_type: row.provider_type.clone(),
            client_id: row.details.get("client_id").cloned().unwrap_or_default(),
            client_secret,
            details,
            given: row.details.clone(),
            mapping,
        })
    }

    pub fn detail(&self, key: &str) -> Option<&str> {
        self.details.get(key).map(String::as_str).filter(|s| !s.is_empty())
    }

    /// The `issuer` member of the `identities` claim: null for social providers.
    pub fn identity_issuer(&self) -> Option<String> {
        (self.provider_type == "OIDC").then(|| self.detail("oidc_issuer").unwrap_or_default().to_string())
    }

    /// Scopes to ask for, as configured (space or comma separated upstream).
    pub fn scopes(&self) -> &str {
        self.detail("authorize_scopes").unwrap_or("openid")
    }
}

/// What the upstream said about the user: its claims, after validation.
pub type Claims = Map<String, Value>;

/// Outbound HTTP to upstream providers and the caches of their metadata and keys, shared by
/// every request.
pub struct Upstream {
    pub http: reqwest::Client,
    discovery: Mutex<HashMap<String, (i64, Arc<openidconnect::core::CoreProviderMetadata>)>>,
    jwks: Mutex<HashMap<String, (i64, Arc<openidconnect::core::CoreJsonWebKeySet>)>>,
}

/// How long discovered metadata and fetched keys are trusted before they are fetched again
/// (keys are also fetched again at once when a token names a key the cached set lacks).
pub const METADATA_TTL_SECS: i64 = 3600;

/// Make aws-lc-rs the process's rustls provider, for HTTP clients built without their own TLS
/// configuration. Harmless when a provider is already installed.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

impl Upstream {
    pub fn new(timeout_secs: u64) -> anyhow::Result<Upstream> {
        install_crypto_provider();
        Ok(Upstream { http: http_client(timeout_secs)?, discovery: Mutex::default(), jwks: Mutex::default() })
    }
}

/// Run one outbound call (`call` names it for `/metrics`: `discovery`, `keys`, `token`,
/// `userinfo`, `graph`) and record how long it took and whether it succeeded.
pub(crate) async fn timed<T, E>(
    call: &'static str,
    f: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let at = std::time::Instant::now();
    let r = f.await;
    crate::metrics::upstream_call(call, r.is_ok(), at.elapsed().as_secs_f64());
    r
}

/// An HTTP client for upstream calls: TLS through rustls on aws-lc-rs with the webpki roots, no
/// redirects followed, one timeout for connecting and for the whole exchange.
pub(crate) fn http_client(timeout_secs: u64) -> anyhow::Result<reqwest::Client> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let timeout = Duration::from_secs(timeout_secs.max(1));
    Ok(reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(timeout)
        .timeout(timeout)
        .user_agent(concat!("Portcullis/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

/// Describe a failed outbound call the way Cognito does ("Timeout occurred in calling IdP token
/// endpoint", "{provider} Error - 500 error getting token").
pub fn call_failed(provider: &str, what: &str, e: &reqwest::Error) -> UpstreamError {
    if e.is_timeout() {
        UpstreamError::invalid(format!("Timeout occurred in calling IdP {what} endpoint"))
    } else if let Some(status) = e.status() {
        UpstreamError::invalid(format!("{provider} Error - {} error calling {what} endpoint", status.as_u16()))
    } else if e.is_connect() {
        UpstreamError::invalid(format!("Connection refused by IdP {what} endpoint"))
    } else {
        UpstreamError::invalid(format!("Error calling IdP {what} endpoint"))
    }
}

/// Describe a failed code exchange.
pub fn token_failed<E: oauth2::ErrorResponse + 'static>(
    name: &str,
    err: oauth2::RequestTokenError<oauth2::HttpClientError<reqwest::Error>, E>,
) -> UpstreamError {
    match err {
        oauth2::RequestTokenError::Request(oauth2::HttpClientError::Reqwest(e)) => call_failed(name, "token", &e),
        oauth2::RequestTokenError::ServerResponse(r) => {
            tracing::info!(provider = name, error = %r, "upstream refused the code");
            UpstreamError::invalid(format!("{name} Error - error getting token: {r}"))
        }
        other => {
            tracing::info!(provider = name, error = %other, "upstream token call failed");
            UpstreamError::invalid(format!("{name} Error - error getting token"))
        }
    }
}

/// Federated sign-in through a pool's upstream providers: the round trip to the upstream
/// ([`flow`]) and the pool users it creates or refreshes ([`users`]).
pub struct Federation {
    store: crate::store::Store,
    clock: Arc<dyn crate::clock::Clock>,
    master: MasterKey,
    upstream: Arc<Upstream>,
    events: Arc<crate::events::Events>,
    triggers: Arc<crate::triggers::Triggers>,
}

impl Federation {
    pub fn new(infra: &crate::services::Infra) -> Self {
        Federation {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            master: infra.master.clone(),
            upstream: infra.upstream.clone(),
            events: infra.events.clone(),
            triggers: infra.triggers.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }
}
