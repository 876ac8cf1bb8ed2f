//! What an operator sees and ends of one user's access: the sign-ins still able to mint tokens
//! (their refresh tokens), the hosted-page sessions, and the upstream identities linked to the
//! user; and resetting the user's second factors.

use super::error::Result;
use super::model::Pool;
use super::{SignIn, Users};
use crate::ids::ClientId;
use crate::store::federation::UserIdentityRow;
use crate::store::users::UserRow;

/// A sign-in whose refresh token is live: revoking it ends the refresh token and every token
/// minted from the sign-in.
#[derive(Debug, Clone)]
pub struct ActiveSignIn {
    /// The sign-in's origin (`origin_jti`, also in its tokens); not a secret.
    pub origin: String,
    pub client_id: ClientId,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A hosted-page session (the cookie that skips the sign-in form), by the hash it is stored as.
#[derive(Debug, Clone)]
pub struct HostedSession {
    pub id_hash: String,
    pub created_at: i64,
    pub auth_time: i64,
    pub expires_at: i64,
}

/// How much longer than its refresh token a sign-in's access and ID tokens can live (their
/// longest validity, one day): a revocation is remembered that long.
const LONGEST_TOKEN_SECS: i64 = 86_400;

impl Users {
    /// The user's sign-ins whose refresh tokens are live, newest first.
    pub async fn active_sign_ins(&self, user: &UserRow) -> Result<Vec<ActiveSignIn>> {
        let rows = self.store.live_refresh_tokens_of_user(&user.id, self.now()).await?;
        Ok(rows
            .into_iter()
            .map(|r| ActiveSignIn {
                origin: r.origin_jti,
                client_id: r.client_id,
                scopes: r.scopes,
                created_at: r.created_at,
                expires_at: r.expires_at,
            })
            .collect())
    }

    /// Revoke one of the user's sign-ins (its refresh token and every token minted from it);
    /// false when it is not one of the user's live sign-ins.
    pub async fn revoke_sign_in(&self, user: &UserRow, origin: &str) -> Result<bool> {
        let live = self.store.live_refresh_tokens_of_user(&user.id, self.now()).await?;
        let Some(row) = live.into_iter().find(|r| r.origin_jti == origin) else {
            return Ok(false);
        };
        self.store.revoke_origin(&row.origin_jti, self.now(), row.expires_at + LONGEST_TOKEN_SECS).await?;
        Ok(true)
    }

    /// The user's live hosted-page sessions, newest first.
    pub async fn hosted_sessions(&self, user: &UserRow) -> Result<Vec<HostedSession>> {
        let rows = self.store.browser_sessions_of_user(&user.id, self.now()).await?;
        Ok(rows
            .into_iter()
            .map(|s| HostedSession {
                id_hash: s.id_hash.as_str().to_string(),
                created_at: s.created_at,
                auth_time: s.auth_time,
                expires_at: s.expires_at,
            })
            .collect())
    }

    /// End one of the user's hosted-page sessions; false when it is not theirs or is gone.
    pub async fn end_hosted_session(&self, user: &UserRow, id_hash: &str) -> Result<bool> {
        Ok(self.store.delete_user_browser_session(&user.id, id_hash).await?)
    }

    /// The upstream identities linked to the user, oldest first.
    pub async fn linked_identities(&self, user: &UserRow) -> Result<Vec<UserIdentityRow>> {
        Ok(self.store.identities_of_user(&user.id).await?)
    }
}

impl SignIn {
    /// Reset the user's second factors: the authenticator and its recovery codes are forgotten
    /// and e-mail OTP is turned off, so the next sign-in sets a factor up again where the pool
    /// requires one.
    pub async fn reset_mfa(&self, _pool: &Pool, user: &UserRow) -> Result<()> {
        let now = self.clock.now();
        let mut mfa = self.store.get_user_mfa(&user.id).await?;
        mfa.totp_secret = None;
        mfa.totp_pending = None;
        mfa.totp_enabled = false;
        mfa.email_enabled = false;
        mfa.preferred = None;
        mfa.updated_at = now;
        self.store.put_user_mfa(&mfa).await?;
        self.store.replace_recovery_codes(&user.id, &[], now).await?;
        Ok(())
    }
}
