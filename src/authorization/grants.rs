//! The token endpoint's rules: which client is asking (one authentication rule,
//! [`Client::authenticate`]), and the authorization_code, refresh_token and client_credentials
//! grants. Outcomes are tokens or a [`GrantError`] that the endpoint words as RFC 6749 errors;
//! each grant, given or refused, is recorded as a TokenGrant event.

use super::Authorization;
use super::request::pkce_matches;
use super::scopes::{custom_scopes, narrow};
use crate::crypto::TokenHash;
use crate::events::{AuthEvent, AuthEventType, Outcome, Reason};
use crate::ids::{ClientId, Scope};
use crate::store::users::UserRow;
use crate::tokens::issue::{Grant, Presented, RefreshProof, TokenSet, revoked_by_sign_out};
use crate::userpool::client_definition::OAuthFlow;
use crate::userpool::clients::ClientProof;
use crate::userpool::error::Error;
use crate::userpool::model::{Client, Pool};
use crate::userpool::throttle::Source;
use serde_json::{Map, Value, json};

/// Why a grant was refused (RFC 6749 §5.2), with the description sent to the client.
#[derive(Debug)]
pub enum GrantError {
    /// `invalid_request`: a parameter is missing.
    InvalidRequest(&'static str),
    /// `invalid_client`: unknown client, or a wrong or missing secret.
    InvalidClient,
    /// `unauthorized_client`: the client may not use this grant.
    UnauthorizedClient(&'static str),
    /// `invalid_grant`: the code or refresh token is not good (or PKCE failed).
    InvalidGrant(&'static str),
    /// `invalid_scope`.
    InvalidScope(&'static str),
    /// The service failed (database, keys, load shedding).
    Failed(Error),
}

impl From<Error> for GrantError {
    fn from(e: Error) -> Self {
        GrantError::Failed(e)
    }
}

impl From<crate::store::StoreError> for GrantError {
    fn from(e: crate::store::StoreError) -> Self {
        GrantError::Failed(e.into())
    }
}

impl GrantError {
    /// The event log's reason for the refusal.
    pub fn reason(&self) -> Reason {
        match self {
            GrantError::InvalidRequest(_) => Reason::InvalidRequest,
            GrantError::InvalidClient => Reason::InvalidClient,
            GrantError::UnauthorizedClient(_) => Reason::UnauthorizedClient,
            GrantError::InvalidGrant(_) => Reason::InvalidGrant,
            GrantError::InvalidScope(_) => Reason::InvalidScope,
            GrantError::Failed(e) => Reason::of(e),
        }
    }
}

/// The TokenGrant event of a `grant_type` grant to `client` from `source`: a Pass, or a Fail for
/// the refusal.
fn grant_event(
    pool: &Pool,
    client: &Client,
    source: Source,
    grant_type: &str,
    refused: Option<&GrantError>,
) -> AuthEvent {
    let e = match refused {
        None => AuthEvent::new(&pool.id, AuthEventType::TokenGrant, Outcome::Pass),
        Some(r) => AuthEvent::failed(&pool.id, AuthEventType::TokenGrant, r.reason()),
    };
    e.client(&client.id).source(source).details(json!({"grant_type": grant_type}))
}

const BAD_CODE: GrantError = GrantError::InvalidGrant("The authorization code is invalid, expired or already used");

/// The code-grant request's parameters, as sent.
pub struct CodeRedemption<'a> {
    pub code: Option<&'a str>,
    pub redirect_uri: Option<&'a str>,
    pub code_verifier: Option<&'a str>,
}

impl Authorization {
    /// The client of a token or revocation request to `pool`, proved with `secret` (none for
    /// a public client).
    pub async fn authenticate_client(
        &self,
        pool: &Pool,
        client_id: &ClientId,
        secret: Option<&str>,
    ) -> Result<Client, GrantError> {
        let client = match self.directory.find_client(client_id).await? {
            Some(c) if c.pool_id == pool.id => c,
            _ => return Err(GrantError::InvalidClient),
        };
        client.authenticate(ClientProof::Secret(secret)).map_err(|_| GrantError::InvalidClient)?;
        Ok(client)
    }

    /// The authorization_code grant. Everything the request must match (client, pool,
    /// redirect URI, PKCE verifier) is checked before the code is spent, so whoever holds a
    /// code without the rest can neither redeem it nor spoil the login it belongs to; then it
    /// is consumed atomically (of concurrent redemptions exactly one wins), and a code
    /// presented again by its own client revokes what its first redemption issued. `source`
    /// asks (for the event).
    pub async fn redeem_authorization_code(
        &self,
        pool: &Pool,
        client: &Client,
        r: CodeRedemption<'_>,
        source: Source,
    ) -> Result<TokenSet, GrantError> {
        match self.redeem_code(pool, client, r).await {
            Ok((tokens, user)) => {
                self.events
                    .record_auth(grant_event(pool, client, source, "authorization_code", None).user(&user))
                    .await;
                Ok(tokens)
            }
            Err(e) => {
                self.events.record_auth(grant_event(pool, client, source, "authorization_code", Some(&e))).await;
                Err(e)
            }
        }
    }

    async fn redeem_code(
        &self,
        pool: &Pool,
        client: &Client,
        r: CodeRedemption<'_>,
    ) -> Result<(TokenSet, UserRow), GrantError> {
        if !client.oauth_enabled() || !client.allowed_oauth_flows().contains(&OAuthFlow::Code) {
            return Err(GrantError::UnauthorizedClient("The client may not use the authorization_code grant"));
        }
        let (Some(code), Some(redirect_uri)) = (r.code, r.redirect_uri) else {
            return Err(GrantError::InvalidRequest("code and redirect_uri are required"));
        };
        let hash = TokenHash::of(code);
        let row = self.store.get_auth_code(&hash).await?.ok_or(BAD_CODE)?;
        if row.client_id != client.id || row.pool_id != pool.id || row.redirect_uri != redirect_uri {
            return Err(BAD_CODE);
        }
        match (&row.code_challenge, r.code_verifier) {
            (Some(ch), Some(v)) if pkce_matches(v, ch) => {}
            (None, None) => {}
            _ => return Err(GrantError::InvalidGrant("PKCE verification failed")),
        }
        let origin = row.origin_jti.clone().unwrap_or_else(|| self.tokens.new_origin());
        let Some(row) = self.store.redeem_auth_code(&hash, self.now(), &origin).await? else {
            self.revoke_if_replayed(client, &hash).await;
            return Err(BAD_CODE);
        };
        let user = match self.store.get_user(&row.user_id).await? {
            Some(u) if u.enabled && !revoked_by_sign_out(&u, &origin, row.created_at) => u,
            _ => return Err(BAD_CODE),
        };
        let scopes: Vec<Scope> = row.scopes.split(' ').filter(|s| !s.is_empty()).map(Scope::from).collect();
        let grant = Grant {
            scopes: Some(scopes),
            nonce: row.nonce.clone(),
            auth_time: row.auth_time,
            device_key: None,
            source: "TokenGeneration_HostedAuth",
            client_metadata: Default::default(),
        };
        Ok((self.tokens.issue_with_origin(pool, client, &user, &grant, &origin).await?, user))
    }

    /// A code already redeemed, presented again by its own client: revoke everything its
    /// first redemption issued (RFC 6749 §4.1.2).
    async fn revoke_if_replayed(&self, client: &Client, hash: &TokenHash) {
        if let Ok(Some(used)) = self.store.get_auth_code(hash).await
            && used.used_at.is_some()
            && let Some(o) = used.origin_jti
        {
            let now = self.now();
            let until = now + client.refresh_token_secs().max(client.access_token_secs()).max(client.id_token_secs());
            let _ = self.store.revoke_origin(&o, now, until).await;
            tracing::warn!(client_id = %client.id, "authorization code replayed; issued tokens revoked");
        }
    }

    /// The refresh_token grant, with the secret the client authenticated with. The event names
    /// the token's user when the token is known.
    pub async fn refresh_grant(
        &self,
        pool: &Pool,
        client: &Client,
        refresh_token: &str,
        secret: Option<&str>,
        source: Source,
    ) -> Result<TokenSet, GrantError> {
        // Read through the one rule for presented tokens, so a retry within the grace period is
        // attributed to its user too.
        let user_sub = match self.tokens.presented_refresh_token(refresh_token).await {
            Ok(Presented::Current(row) | Presented::InGrace(row)) if row.client_id == client.id => Some(row.user_id),
            _ => None,
        };
        let issued = match self
            .tokens
            .refresh_tokens(pool, client, refresh_token, RefreshProof::Secret(secret), None, &Map::new())
            .await
        {
            Ok(t) => Ok(t),
            Err(Error::NotAuthorized(_)) => {
                Err(GrantError::InvalidGrant("The refresh token is invalid, expired or revoked"))
            }
            Err(Error::RefreshTokenReuse(_)) => Err(GrantError::InvalidGrant(
                "The refresh token was already used: every token of its sign-in is revoked",
            )),
            Err(e) => Err(GrantError::Failed(e)),
        };
        let event = grant_event(pool, client, source, "refresh_token", issued.as_ref().err());
        self.events.record_auth(AuthEvent { user_sub, ..event }).await;
        issued
    }

    /// The client_credentials grant: a confidential client's own access token, with the
    /// requested custom scopes it is allowed (all of them when none are requested); `metadata`
    /// (`aws_client_metadata`) reaches a `V3_0` PreTokenGeneration function.
    pub async fn client_credentials_grant(
        &self,
        pool: &Pool,
        client: &Client,
        scope: Option<&str>,
        metadata: &Map<String, Value>,
        source: Source,
    ) -> Result<TokenSet, GrantError> {
        let issued = self.machine_token(pool, client, scope, metadata).await;
        self.events.record_auth(grant_event(pool, client, source, "client_credentials", issued.as_ref().err())).await;
        issued
    }

    async fn machine_token(
        &self,
        pool: &Pool,
        client: &Client,
        scope: Option<&str>,
        metadata: &Map<String, Value>,
    ) -> Result<TokenSet, GrantError> {
        if client.secret.is_none()
            || !client.oauth_enabled()
            || !client.allowed_oauth_flows().contains(&OAuthFlow::ClientCredentials)
        {
            return Err(GrantError::UnauthorizedClient("The client may not use the client_credentials grant"));
        }
        let allowed = custom_scopes(client.allowed_oauth_scopes());
        let scopes = narrow(scope, allowed)
            .ok_or(GrantError::InvalidScope("None of the requested scopes is allowed for this client"))?;
        Ok(self.tokens.issue_client_token(pool, client, &scopes, metadata).await?)
    }
}
