//! The upstream round trip. `start_federation` stores a pending sign-in (keyed by a hash of the
//! `state` sent upstream, with the nonce, PKCE verifier and the app's request sealed) and returns
//! the provider's URL plus a value for a cookie that binds the sign-in to this browser.
//! `take_federation` gives the pending sign-in back once, to the browser that started it, and
//! `finish_federation` turns the provider's code into a pool user.

use super::Federation;
use super::users::DISABLED;
use super::{Provider, UpstreamError, UpstreamResult, facebook, oidc};
use crate::authorization::request::{AuthorizeParams, AuthorizeRequest};
use crate::crypto::{SecretToken, TokenHash};
use crate::events::{AuthEvent, AuthEventType, Outcome, Reason};
use crate::ids::ClientId;
use crate::store::federation::FederationStateRow;
use crate::store::users::UserRow;
use crate::userpool::error::{Error, Result};
use crate::userpool::model::Pool;
use crate::userpool::throttle::Source;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// How long the provider has to send the browser back.
pub const STATE_TTL_SECS: i64 = 600;
/// The cookie binding a pending upstream sign-in to the browser that started it.
pub const FEDERATION_COOKIE: &str = "portcullis_fed";

/// What a pending sign-in keeps, sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    /// SHA-256 of the browser's binding cookie.
    binding: TokenHash,
    /// The `redirect_uri` given upstream (the token request repeats it).
    callback: String,
    #[serde(default)]
    oidc: Option<oidc::Secrets>,
}

/// A sign-in that went upstream and came back.
pub struct Pending {
    pub provider: String,
    /// The app's authorization request, to continue.
    pub params: AuthorizeParams,
    kept: Kept,
}

/// Where to send the browser, and the value of its binding cookie.
pub struct Started {
    pub url: String,
    pub binding: String,
}

fn seal_context(state_hash: &TokenHash) -> String {
    format!("federation-state:{state_hash}")
}

impl Federation {
    /// A provider of the pool with its defaults and secret, if it exists.
    pub async fn upstream_provider(&self, pool_id: &str, name: &str) -> Result<Option<Provider>> {
        let Some(row) = self.store.get_identity_provider(pool_id, name).await? else {
            return Ok(None);
        };
        Provider::from_row(&row, &self.master).map(Some).map_err(Error::Internal)
    }

    /// Send the sign-in upstream: `callback` is this pool's `/oauth2/idpresponse` as the browser
    /// sees it.
    pub async fn start_federation(
        &self,
        pool: &Pool,
        r: &AuthorizeRequest,
        name: &str,
        callback: &str,
    ) -> UpstreamResult<Started> {
        let internal = |e: &dyn std::fmt::Display| {
            tracing::error!(error = %e, "starting a federated sign-in failed");
            UpstreamError { error: "server_error", description: "An internal error occurred".into() }
        };
        let p = self
            .upstream_provider(&pool.id, name)
            .await
            .map_err(|e| internal(&e))?
            .ok_or_else(|| UpstreamError::invalid("The identity provider is not enabled for this client"))?;
        let now = self.now();
        let state = SecretToken::generate();
        let state_hash = state.hash();
        let state = state.into_clear();
        let binding = SecretToken::generate();
        let (url, secrets) = if p.provider_type == "Facebook" {
            (facebook::authorize_url(&p, callback, &state)?, None)
        } else {
            let e = self.upstream.endpoints(&p, now).await?;
            let (url, s) = oidc::authorize_url(&p, &e, callback, &state)?;
            (url, Some(s))
        };
        let kept = Kept { binding: binding.hash(), callback: callback.to_string(), oidc: secrets };
        // The app's request goes on without the provider choice, which is now made.
        let mut params = r.params.clone();
        params.identity_provider = None;
        params.idp_identifier = None;
        let kept_json = serde_json::to_vec(&kept).map_err(|e| internal(&e))?;
        let row = FederationStateRow {
            secrets: self.master.seal(&kept_json, &seal_context(&state_hash)),
            state_hash,
            pool_id: pool.id.clone(),
            provider_name: p.name.clone(),
            request: params.query(),
            created_at: now,
            expires_at: now + STATE_TTL_SECS,
        };
        self.store.insert_federation_state(&row).await.map_err(|e| internal(&e))?;
        Ok(Started { url, binding: binding.into_clear() })
    }

    /// The pending sign-in `state` names, once, if it belongs to this pool and this browser
    /// (`binding` is its cookie) and has not expired.
    pub async fn take_federation(&self, pool: &Pool, state: &str, binding: Option<&str>) -> Result<Option<Pending>> {
        if state.is_empty() || state.len() > 256 {
            return Ok(None);
        }
        let state_hash = TokenHash::of(state);
        let Some(row) = self.store.take_federation_state(&state_hash, self.now()).await? else {
            return Ok(None);
        };
        if row.pool_id != pool.id {
            return Ok(None);
        }
        let opened =
            self.master.open(&row.secrets, &seal_context(&state_hash)).map_err(|e| Error::Internal(e.into()))?;
        let kept: Kept = serde_json::from_slice(&opened).map_err(|e| Error::Internal(e.into()))?;
        let bound = binding.is_some_and(|b| kept.binding.matches(b));
        if !bound {
            return Ok(None);
        }
        let params: AuthorizeParams =
            serde_urlencoded::from_str(&row.request).map_err(|e| Error::Internal(e.into()))?;
        Ok(Some(Pending { provider: row.provider_name, params, kept }))
    }

    /// Redeem the provider's code and sign the upstream identity in as a pool user, for a
    /// browser at `source`. Recorded as a Federation event naming the provider.
    pub async fn finish_federation(
        &self,
        pool: &Pool,
        pending: &Pending,
        code: &str,
        source: Source,
    ) -> UpstreamResult<UserRow> {
        let signed_in = self.federated_sign_in(pool, pending, code).await;
        let event = match &signed_in {
            Ok(user) => AuthEvent::new(&pool.id, AuthEventType::Federation, Outcome::Pass).user(user),
            Err(e) if e.description == DISABLED => {
                AuthEvent::failed(&pool.id, AuthEventType::Federation, Reason::Disabled)
            }
            Err(e) if e.error == "server_error" => {
                AuthEvent::failed(&pool.id, AuthEventType::Federation, Reason::Error)
            }
            Err(_) => AuthEvent::failed(&pool.id, AuthEventType::Federation, Reason::Upstream),
        };
        let event = match pending.params.client_id.as_deref() {
            Some(id) => event.client(&ClientId::from(id)),
            None => event,
        };
        self.events.record_auth(event.source(source).details(json!({"provider": pending.provider}))).await;
        signed_in
    }

    async fn federated_sign_in(&self, pool: &Pool, pending: &Pending, code: &str) -> UpstreamResult<UserRow> {
        let p = match self.upstream_provider(&pool.id, &pending.provider).await {
            Ok(Some(p)) => p,
            Ok(None) => return Err(UpstreamError::invalid("The identity provider no longer exists")),
            Err(e) => {
                tracing::error!(error = ?e, "provider lookup failed");
                return Err(UpstreamError { error: "server_error", description: "An internal error occurred".into() });
            }
        };
        let now = self.now();
        let callback = &pending.kept.callback;
        let claims = match &pending.kept.oidc {
            None => facebook::sign_in(&self.upstream, &p, callback, code).await?,
            Some(secrets) => {
                let e = self.upstream.endpoints(&p, now).await?;
                oidc::sign_in(&self.upstream, &p, &e, callback, code, secrets, now).await?
            }
        };
        self.federated_user(pool, &p, &claims, pending.params.client_id.as_deref()).await
    }
}
