//! Hosted-UI sessions: server-side rows behind an opaque cookie (SHA-256 at rest), one hour,
//! shared by every client of the pool (SSO). A new sign-in replaces the old session.

use super::SignIn;
use super::error::Result;
use super::model::Pool;
use crate::crypto::{SecretToken, TokenHash};
use crate::store::sessions::BrowserSessionRow;
use crate::store::users::UserRow;

pub const SESSION_SECS: i64 = 3600;

impl SignIn {
    /// Start a session; returns the cookie value. `previous` (the old cookie) is ended.
    pub async fn start_session(
        &self,
        pool: &Pool,
        user: &UserRow,
        auth_time: i64,
        previous: Option<&str>,
    ) -> Result<String> {
        if let Some(old) = previous {
            self.store.delete_browser_session(&TokenHash::of(old)).await?;
        }
        let token = SecretToken::generate();
        let now = self.now();
        self.store
            .insert_browser_session(&BrowserSessionRow {
                id_hash: token.hash(),
                pool_id: pool.id.clone(),
                user_id: user.id.clone(),
                auth_time,
                created_at: now,
                expires_at: now + SESSION_SECS,
            })
            .await?;
        Ok(token.into_clear())
    }

    /// The signed-in user of a live session of this pool, with their auth time.
    pub async fn current_session(&self, pool: &Pool, token: &str) -> Result<Option<(UserRow, i64)>> {
        let Some(s) = self.store.get_browser_session(&TokenHash::of(token), self.now()).await? else {
            return Ok(None);
        };
        if s.pool_id != pool.id {
            return Ok(None);
        }
        let Some(user) = self.store.get_user(&s.user_id).await? else {
            return Ok(None);
        };
        // Sessions are dated to the second only: one is ended by a sign-out after its second.
        if !user.enabled || s.created_at.saturating_add(1).saturating_mul(1000) < user.tokens_valid_after {
            return Ok(None);
        }
        Ok(Some((user, s.auth_time)))
    }

    pub async fn end_session(&self, token: &str) -> Result<()> {
        self.store.delete_browser_session(&TokenHash::of(token)).await?;
        Ok(())
    }
}
