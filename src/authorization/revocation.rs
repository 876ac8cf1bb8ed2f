//! Token revocation (RFC 7009), for `/oauth2/revoke` and the RevokeToken action alike: the
//! client must have revocation enabled, only refresh tokens are revoked, and revoking one ends
//! every token minted from it. The caller authenticated the client in its own protocol.

use super::Authorization;
use crate::userpool::error::Error;
use crate::userpool::model::Client;

/// Why a revocation was refused.
#[derive(Debug)]
pub enum RevokeRefusal {
    /// The client's `EnableTokenRevocation` is off.
    NotEnabled,
    /// A JWT (access or ID token): only refresh tokens are revoked.
    NotARefreshToken,
    /// The service failed.
    Failed(Error),
}

impl Authorization {
    /// Revoke `token` for `client`. A refresh token that is unknown or belongs to another
    /// client is ignored, as RFC 7009 asks: the answer must not tell which tokens exist.
    pub async fn revoke(&self, client: &Client, token: &str) -> Result<(), RevokeRefusal> {
        if !client.token_revocation_enabled() {
            return Err(RevokeRefusal::NotEnabled);
        }
        if token.matches('.').count() == 2 {
            return Err(RevokeRefusal::NotARefreshToken);
        }
        self.tokens.revoke_refresh_token(client, token).await.map_err(RevokeRefusal::Failed)
    }
}
