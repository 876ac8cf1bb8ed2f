//! Issuing and checking user tokens: the ID/access/refresh set after a sign-in, the refresh
//! grant (optionally rotating), revocation by `origin_jti`, and access-token verification for
//! userInfo and the token-authenticated API actions.

use super::Tokens;
use super::claims::{self, Issue, Subject};
use super::jwt;
use super::pre_token::{self, TokenRequest};
use crate::crypto::{SecretToken, TokenHash};
use crate::ids::{ClientId, Scope};
use crate::store::grants::RefreshTokenRow;
use crate::store::users::UserRow;
use crate::userpool::clients::ClientProof;
use crate::userpool::error::{Error, Result};
use crate::userpool::groups::GroupClaims;
use crate::userpool::model::{Client, Pool};
use serde_json::{Map, Value};

#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: String,
    pub id_token: Option<String>,
    pub refresh_token: Option<String>,
    pub expires_in: i64,
}

/// How a refresh request proves it comes from the token's client: the secret itself (the
/// token endpoint) or Cognito's SECRET_HASH over the token's user (REFRESH_TOKEN_AUTH), which can
/// only be checked once the token has named its user. Public clients offer neither.
#[derive(Debug, Clone, Copy)]
pub enum RefreshProof<'a> {
    Secret(Option<&'a str>),
    SecretHash(Option<&'a str>),
}

/// Whether a token, refresh token or code of `user` comes from a sign-in before the user's
/// last global sign-out or disabling. Its sign-in's `origin_jti` is a UUIDv7 whose timestamp
/// dates the sign-in to the millisecond; an origin of another form (from before origins were
/// dated) falls back to `issued_secs`, taken as the start of that second, so it errs on refusing.
pub fn revoked_by_sign_out(user: &UserRow, origin_jti: &str, issued_secs: i64) -> bool {
    let issued_millis = origin_millis(origin_jti).unwrap_or(issued_secs.saturating_mul(1000));
    issued_millis < user.tokens_valid_after
}

/// The millisecond a UUIDv7 origin was made at.
fn origin_millis(origin_jti: &str) -> Option<i64> {
    let id = uuid::Uuid::parse_str(origin_jti).ok()?;
    if id.get_version_num() != 7 {
        return None;
    }
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    i64::try_from(secs).ok()?.checked_mul(1000)?.checked_add(i64::from(nanos / 1_000_000))
}

/// What a sign-in grants: scopes (None = API sign-in), nonce, when the user authenticated, and
/// the remembered-device key it is issued to (API sign-ins of pools that track devices).
#[derive(Debug, Clone, Default)]
pub struct Grant {
    pub scopes: Option<Vec<Scope>>,
    pub nonce: Option<String>,
    pub auth_time: i64,
    pub device_key: Option<String>,
    /// The PreTokenGeneration `triggerSource`: `TokenGeneration_Authentication` (API sign-in),
    /// `_NewPasswordChallenge`, `_AuthenticateDevice`, `_HostedAuth`, `_RefreshTokens`.
    pub source: &'static str,
    /// The caller's `ClientMetadata`, for the PreTokenGeneration event (not stored).
    pub client_metadata: Map<String, Value>,
}

/// Why a token was not accepted (each surface words it its own way).
#[derive(Debug, PartialEq, Eq)]
pub enum TokenRejection {
    Invalid,
    Expired,
    Revoked,
    /// The database could not be asked: the token is neither accepted nor refused.
    Unavailable,
}

/// A verified access token.
#[derive(Debug)]
pub struct AccessClaims {
    pub claims: Map<String, Value>,
    pub user: UserRow,
    pub scopes: Vec<Scope>,
    pub client_id: ClientId,
}

/// What a presented refresh token stands for ([`Tokens::presented_refresh_token`]).
#[derive(Debug)]
pub enum Presented {
    /// A token of ours, as issued (live or not: the caller checks).
    Current(RefreshTokenRow),
    /// A token rotation replaced, within its retry grace period: its family's current token.
    InGrace(RefreshTokenRow),
    /// A token rotation replaced, past its grace period: its family's origin.
    Spent {
        origin: String,
        expires_at: i64,
    },
    Unknown,
}

impl Tokens {
    /// A new sign-in origin (`origin_jti`): a UUIDv7 on the service clock, so that it dates the
    /// sign-in to the millisecond ([`revoked_by_sign_out`]).
    pub fn new_origin(&self) -> String {
        let millis = u64::try_from(self.clock.now_millis()).unwrap_or(0);
        let ts = uuid::Timestamp::from_unix(uuid::NoContext, millis / 1000, ((millis % 1000) * 1_000_000) as u32);
        uuid::Uuid::new_v7(ts).to_string()
    }

    /// Mint tokens for a user. `origin_jti` is the sign-in's origin (a refresh token carries it).
    async fn mint(
        &self,
        pool: &Pool,
        client: &Client,
        user: &UserRow,
        grant: &Grant,
        origin_jti: &str,
    ) -> Result<(String, Option<String>)> {
        let keys = self.pool_keys(&pool.id, None).await?;
        let mut groups = GroupClaims::of(&self.store.groups_for_user(&user.id).await?);
        let current = (&groups.names[..], &groups.roles[..], groups.preferred_role.as_deref());
        let api_scopes = [Scope::from(claims::ADMIN_SCOPE)];
        let request = TokenRequest {
            source: grant.source,
            client_id: client.id.as_str(),
            user: Some((user, current)),
            scopes: grant.scopes.as_deref().unwrap_or(&api_scopes),
            metadata: &grant.client_metadata,
        };
        let overrides = pre_token::run(&self.triggers, pool, request).await?;
        if let Some(o) = &overrides {
            groups.names = o.groups.clone().unwrap_or(groups.names);
            groups.roles = o.roles.clone().unwrap_or(groups.roles);
            groups.preferred_role = o.preferred_role.clone().or(groups.preferred_role);
        }
        let issuer = self.issuer(&pool.id);
        let event_id = uuid::Uuid::new_v4().to_string();
        let readable = client.read_attributes();
        let subject = Subject {
            sub: &user.id,
            username: &user.username,
            attributes: &user.attributes,
            groups: &groups.names,
            roles: &groups.roles,
            preferred_role: groups.preferred_role.as_deref(),
        };
        let issue = Issue {
            issuer: &issuer,
            client_id: &client.id,
            now: self.now(),
            auth_time: grant.auth_time,
            origin_jti,
            event_id: &event_id,
            scopes: grant.scopes.as_deref(),
            readable,
            device_key: grant.device_key.as_deref(),
        };
        let mut access_claims = claims::access_token(&subject, &issue, client.access_token_secs());
        if let Some(o) = &overrides {
            o.apply_to_access(&mut access_claims);
        }
        let access = jwt::sign(&keys, &access_claims).map_err(Error::Internal)?;
        let wants_id = grant.scopes.as_ref().is_none_or(|s| s.iter().any(|x| x == "openid"));
        let id = if wants_id {
            let at = grant.scopes.as_ref().map(|_| access.as_str());
            let mut c = claims::id_token(&subject, &issue, client.id_token_secs(), grant.nonce.as_deref(), at);
            if let Some(o) = &overrides {
                o.apply_to_id(&mut c);
            }
            Some(jwt::sign(&keys, &c).map_err(Error::Internal)?)
        } else {
            None
        };
        Ok((access, id))
    }

    /// Tokens after a sign-in: access, ID (with `openid` or for API sign-ins) and a refresh token.
    pub async fn issue_user_tokens(
        &self,
        pool: &Pool,
        client: &Client,
        user: &UserRow,
        grant: &Grant,
    ) -> Result<TokenSet> {
        let origin = self.new_origin();
        self.issue_with_origin(pool, client, user, grant, &origin).await
    }

    /// As [`Self::issue_user_tokens`] with a given origin (the authorization-code grant binds the
    /// origin to the code so that a replay can revoke it).
    pub async fn issue_with_origin(
        &self,
        pool: &Pool,
        client: &Client,
        user: &UserRow,
        grant: &Grant,
        origin: &str,
    ) -> Result<TokenSet> {
        let (access_token, id_token) = self.mint(pool, client, user, grant, origin).await?;
        let refresh = SecretToken::generate();
        let now = self.now();
        self.store
            .insert_refresh_token(&RefreshTokenRow {
                token_hash: refresh.hash(),
                pool_id: pool.id.clone(),
                client_id: client.id.clone(),
                user_id: user.id.clone(),
                origin_jti: origin.to_string(),
                scopes: grant.scopes.as_ref().map(|s| s.join(" ")).unwrap_or_default(),
                auth_time: grant.auth_time,
                created_at: now,
                expires_at: now + client.refresh_token_secs(),
                revoked_at: None,
                device_key: grant.device_key.clone(),
            })
            .await?;
        crate::metrics::tokens_issued(if grant.scopes.is_some() { "authorization_code" } else { "sign_in" });
        Ok(TokenSet {
            access_token,
            id_token,
            refresh_token: Some(refresh.into_clear()),
            expires_in: client.access_token_secs(),
        })
    }

    /// Access and ID tokens only (implicit grant): no refresh token, origin not revocable.
    pub async fn issue_implicit_tokens(
        &self,
        pool: &Pool,
        client: &Client,
        user: &UserRow,
        grant: &Grant,
    ) -> Result<TokenSet> {
        let origin = self.new_origin();
        let (access_token, id_token) = self.mint(pool, client, user, grant, &origin).await?;
        crate::metrics::tokens_issued("implicit");
        Ok(TokenSet { access_token, id_token, refresh_token: None, expires_in: client.access_token_secs() })
    }

    /// The refresh grant. With rotation (client `RefreshTokenRotation.Feature = ENABLED`) the
    /// token is swapped atomically for a new one, so two concurrent uses cannot both succeed;
    /// without it the token stays valid until it expires or is revoked, as in Cognito. A token
    /// issued to a device the user confirmed refreshes only with that device's key (`device`),
    /// and another device's key is refused for any token issued to a device; a token issued to
    /// no device (the hosted pages) ignores the key an SDK may send along.
    pub async fn refresh_tokens(
        &self,
        pool: &Pool,
        client: &Client,
        refresh_token: &str,
        proof: RefreshProof<'_>,
        device: Option<&str>,
        metadata: &Map<String, Value>,
    ) -> Result<TokenSet> {
        let invalid = || Error::NotAuthorized("Invalid Refresh Token".into());
        // What can be checked before the token is looked up: the secret, or that a hash is there.
        match proof {
            RefreshProof::Secret(secret) => client.authenticate_api(ClientProof::Secret(secret))?,
            RefreshProof::SecretHash(None) => {
                client.authenticate_api(ClientProof::SecretHash { username: "", hash: None })?
            }
            RefreshProof::SecretHash(Some(_)) => {}
        }
        let now = self.now();
        let row = match self.presented_refresh_token(refresh_token).await? {
            Presented::Current(row) | Presented::InGrace(row) => row,
            Presented::Spent { origin, expires_at } => return Err(self.reused(&origin, now, expires_at).await?),
            Presented::Unknown => return Err(invalid()),
        };
        let user = self.live_refresh_user(&pool.id, client, &row).await?.ok_or_else(invalid)?;
        let device = device.filter(|d| !d.is_empty());
        if let Some(issued_to) = row.device_key.as_deref() {
            let confirmed = || async { self.store.get_device(&user.id, issued_to).await.map(|d| d.is_some()) };
            if device.is_some_and(|d| d != issued_to) || (device.is_none() && confirmed().await?) {
                return Err(invalid());
            }
        }
        // The hash is over the user's internal username (the `sub` in pools that sign in by e-mail).
        if let RefreshProof::SecretHash(hash) = proof {
            client.authenticate_api(ClientProof::SecretHash { username: &user.username, hash })?;
        }
        let new_refresh = if client.refresh_rotation() {
            let fresh = SecretToken::generate();
            // The family's current token is replaced (the one presented, or the one that replaced
            // it when a retry within the grace period presents the old one).
            let grace = client.refresh_grace_secs();
            self.store.rotate_refresh_token(&row.token_hash, &fresh.hash(), now, grace).await?.ok_or_else(invalid)?;
            Some(fresh.into_clear())
        } else {
            None
        };
        let scopes = if row.scopes.is_empty() { None } else { Some(row.scopes.split(' ').map(Scope::from).collect()) };
        let (auth_time, device_key, source) = (row.auth_time, row.device_key.clone(), "TokenGeneration_RefreshTokens");
        let grant = Grant { scopes, nonce: None, auth_time, device_key, source, client_metadata: metadata.clone() };
        let (access_token, id_token) = self.mint(pool, client, &user, &grant, &row.origin_jti).await?;
        crate::metrics::tokens_issued("refresh_token");
        Ok(TokenSet { access_token, id_token, refresh_token: new_refresh, expires_in: client.access_token_secs() })
    }

    /// A client's own access token (the client_credentials grant): `sub` is the client, with
    /// `scopes`, as a `V3_0` PreTokenGeneration function changes it.
    pub async fn issue_client_token(
        &self,
        pool: &Pool,
        client: &Client,
        scopes: &[Scope],
        metadata: &Map<String, Value>,
    ) -> Result<TokenSet> {
        let keys = self.pool_keys(&pool.id, None).await?;
        let issuer = self.issuer(&pool.id);
        let mut c = claims::m2m_access_token(&issuer, &client.id, scopes, self.now(), client.access_token_secs());
        let source = "TokenGeneration_ClientCredentials";
        let request = TokenRequest { source, client_id: client.id.as_str(), user: None, scopes, metadata };
        if let Some(o) = pre_token::run(&self.triggers, pool, request).await? {
            o.apply_to_access(&mut c);
        }
        let access_token = jwt::sign(&keys, &c).map_err(Error::Internal)?;
        crate::metrics::tokens_issued("client_credentials");
        Ok(TokenSet { access_token, id_token: None, refresh_token: None, expires_in: client.access_token_secs() })
    }

    /// The user of refresh token `row` while it is live: a token of `client` in pool `pool_id`,
    /// neither revoked nor expired, of an enabled user who has not signed out globally since.
    /// `None` otherwise (the refresh grant and introspection both ask this one rule).
    pub async fn live_refresh_user(
        &self,
        pool_id: &str,
        client: &Client,
        row: &RefreshTokenRow,
    ) -> Result<Option<UserRow>> {
        if row.client_id != client.id
            || row.pool_id != pool_id
            || row.revoked_at.is_some()
            || row.expires_at <= self.now()
        {
            return Ok(None);
        }
        if self.store.origin_revoked(&row.origin_jti).await? {
            return Ok(None);
        }
        let Some(user) = self.store.get_user(&row.user_id).await? else { return Ok(None) };
        if !user.enabled || revoked_by_sign_out(&user, &row.origin_jti, row.created_at) {
            return Ok(None);
        }
        Ok(Some(user))
    }

    /// What a presented refresh token stands for, without acting on it: its own row; for a
    /// token rotation replaced, its family's current row while the retry grace period lasts, and
    /// the family's origin once it is over (a spent token). Refresh, revocation and
    /// introspection all read a token through this one rule.
    pub async fn presented_refresh_token(&self, token: &str) -> Result<Presented> {
        let hash = TokenHash::of(token);
        if let Some(row) = self.store.get_refresh_token(&hash).await? {
            return Ok(Presented::Current(row));
        }
        let Some(old) = self.store.get_rotated_refresh_token(&hash).await? else { return Ok(Presented::Unknown) };
        if self.now() < old.valid_until {
            return Ok(match self.store.get_refresh_token_of_origin(&old.origin_jti).await? {
                Some(row) => Presented::InGrace(row),
                None => Presented::Unknown,
            });
        }
        Ok(Presented::Spent { origin: old.origin_jti, expires_at: old.expires_at })
    }

    /// A spent token presented to refresh is a reuse (someone kept it): the whole family is
    /// revoked, and the caller is told so.
    async fn reused(&self, origin: &str, now: i64, expires_at: i64) -> Result<Error> {
        self.store.revoke_origin(origin, now, expires_at).await?;
        tracing::warn!(origin = %origin, "a rotated refresh token was reused: its family is revoked");
        Ok(Error::RefreshTokenReuse(
            "The refresh token was already used: every token of its sign-in is revoked.".into(),
        ))
    }

    /// Revoke a refresh token of this client and every token minted from it. Unknown tokens
    /// and tokens of other clients are ignored (RFC 7009: the endpoint answers success).
    /// A token rotation replaced revokes its family too, within the grace period or after it.
    pub async fn revoke_refresh_token(&self, client: &Client, refresh_token: &str) -> Result<()> {
        let row = match self.presented_refresh_token(refresh_token).await? {
            Presented::Current(row) | Presented::InGrace(row) => row,
            Presented::Spent { origin, .. } => match self.store.get_refresh_token_of_origin(&origin).await? {
                Some(row) => row,
                None => return Ok(()),
            },
            Presented::Unknown => return Ok(()),
        };
        if row.client_id == client.id {
            self.store.revoke_origin(&row.origin_jti, self.now(), row.expires_at).await?;
        }
        Ok(())
    }

    /// Verify an access token of `pool_id` (or of the pool named by its issuer when `None`):
    /// signature, issuer, use, expiry, revocation, and that the user still exists and is enabled.
    pub async fn verify_access_token(
        &self,
        pool_id: Option<&str>,
        token: &str,
    ) -> Result<AccessClaims, TokenRejection> {
        let (claims, pid) = self.verify_signed_access(pool_id, token).await?;
        let c = Value::Object(claims.clone());
        let origin = c["origin_jti"].as_str().ok_or(TokenRejection::Invalid)?;
        let sub = c["sub"].as_str().unwrap_or_default();
        let (user, origin_revoked) = self
            .store
            .get_token_user(sub, origin)
            .await
            .map_err(|e| if e.is_unavailable() { TokenRejection::Unavailable } else { TokenRejection::Invalid })?
            .ok_or(TokenRejection::Revoked)?;
        if origin_revoked
            || user.pool_id != pid
            || !user.enabled
            || revoked_by_sign_out(&user, origin, c["iat"].as_i64().unwrap_or(0))
        {
            return Err(TokenRejection::Revoked);
        }
        let scopes =
            c["scope"].as_str().unwrap_or_default().split(' ').filter(|s| !s.is_empty()).map(Scope::from).collect();
        let client_id = ClientId::from(c["client_id"].as_str().unwrap_or_default());
        Ok(AccessClaims { claims, user, scopes, client_id })
    }

    /// Verify a client_credentials access token of `pool_id` (no user, no sign-in: `sub` is
    /// its client): signature, issuer, use and expiry. Whether its client still exists is the
    /// caller's to ask.
    pub async fn verify_client_access_token(
        &self,
        pool_id: &str,
        token: &str,
    ) -> Result<Map<String, Value>, TokenRejection> {
        let (claims, _) = self.verify_signed_access(Some(pool_id), token).await?;
        let c = Value::Object(claims.clone());
        if c.get("origin_jti").is_some() || c["sub"].as_str().is_none() || c["sub"] != c["client_id"] {
            return Err(TokenRejection::Invalid);
        }
        Ok(claims)
    }

    /// An access token's claims, once its signature, issuer, use and expiry are good; with the
    /// pool it is of.
    async fn verify_signed_access(
        &self,
        pool_id: Option<&str>,
        token: &str,
    ) -> Result<(Map<String, Value>, String), TokenRejection> {
        let unverified = Value::Object(jwt::peek_claims(token).ok_or(TokenRejection::Invalid)?);
        let iss = unverified["iss"].as_str().ok_or(TokenRejection::Invalid)?;
        let pid = match pool_id {
            Some(p) => p.to_string(),
            None => iss.rsplit('/').next().unwrap_or_default().to_string(),
        };
        if iss != self.issuer(&pid) {
            return Err(TokenRejection::Invalid);
        }
        let kid = jwt::peek_kid(token).ok_or(TokenRejection::Invalid)?;
        let keys = self
            .pool_keys(&pid, Some(&kid))
            .await
            .map_err(|e| if e.is_unavailable() { TokenRejection::Unavailable } else { TokenRejection::Invalid })?;
        let claims = jwt::verify(&keys, token).ok_or(TokenRejection::Invalid)?;
        // Index a Value (missing claims read as null); indexing the Map would panic.
        let c = Value::Object(claims.clone());
        if c["token_use"] != "access" || c["iss"] != iss {
            return Err(TokenRejection::Invalid);
        }
        let now = self.now();
        if c["exp"].as_i64().unwrap_or(0) <= now {
            return Err(TokenRejection::Expired);
        }
        Ok((claims, pid))
    }
}
