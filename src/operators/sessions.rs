//! Dashboard sessions: started after the system pool's hosted UI signed an operator in, kept in
//! the store (so every node sees them and sign-out ends them everywhere), with a short idle
//! timeout and an absolute lifetime. The browser holds a random id; the store holds its hash.
//! Each session has its own CSRF token, a MAC of the id, so a token is worthless in any other
//! session and after sign-out.

use super::{Operators, Role};
use crate::crypto::{SecretToken, TokenHash, constant_time_eq};
use crate::ids::UserSub;
use crate::store::admin_sessions::AdminSessionRow;
use crate::userpool::error::Result;

/// A session ends after this long without a request.
pub const IDLE_SECS: i64 = 15 * 60;
/// And after this long in any case.
pub const LIFETIME_SECS: i64 = 8 * 3600;

/// A new session: the cookie value (shown to the browser once) and the session's CSRF token.
pub struct SessionStart {
    pub cookie_value: String,
}

/// A live session and who holds it. `role` is read from the system pool's groups on every
/// request, so a role taken away takes effect at once.
#[derive(Debug, Clone)]
pub struct Signed {
    pub sub: UserSub,
    pub username: String,
    pub role: Option<Role>,
    /// The CSRF token every form of this session carries.
    pub csrf: String,
}

impl Operators {
    /// Start a session for the system-pool user `sub` (just signed in through the hosted UI).
    pub async fn start_session(&self, sub: &UserSub) -> Result<SessionStart> {
        let user = self.store.get_user(sub).await?.filter(|u| self.is_system_pool(&u.pool_id));
        let Some(user) = user else {
            return Err(crate::userpool::error::Error::NotAuthorized("Not a dashboard operator.".into()));
        };
        let username = user.username.to_string();
        let token = SecretToken::generate();
        let now = self.clock.now();
        let row = AdminSessionRow {
            id_hash: token.hash().as_str().to_string(),
            user_sub: sub.to_string(),
            username,
            created_at: self.clock.now_millis(),
            last_seen: now,
            expires_at: now + LIFETIME_SECS,
        };
        self.store.insert_admin_session(&row).await?;
        Ok(SessionStart { cookie_value: token.into_clear() })
    }

    /// The session the cookie value names, if it is live and its operator still exists, is
    /// enabled, and has not been signed out everywhere since it started.
    pub async fn session(&self, cookie_value: &str) -> Result<Option<Signed>> {
        if cookie_value.is_empty() || cookie_value.len() > 128 {
            return Ok(None);
        }
        let now = self.clock.now();
        let hash = TokenHash::of(cookie_value);
        let Some(row) = self.store.touch_admin_session(hash.as_str(), now, now - IDLE_SECS).await? else {
            return Ok(None);
        };
        let user = self.store.get_user(&row.user_sub).await?;
        let live = user
            .as_ref()
            .is_some_and(|u| self.is_system_pool(&u.pool_id) && u.enabled && u.tokens_valid_after <= row.created_at);
        if !live {
            self.store.delete_admin_session(hash.as_str()).await?;
            return Ok(None);
        }
        let sub = UserSub::from(row.user_sub);
        Ok(Some(Signed {
            role: self.role_of(&sub).await?,
            sub,
            username: row.username,
            csrf: self.csrf_token(cookie_value),
        }))
    }

    /// Sign-out: the session ends on every node.
    pub async fn end_session(&self, cookie_value: &str) -> Result<()> {
        self.store.delete_admin_session(TokenHash::of(cookie_value).as_str()).await?;
        Ok(())
    }

    /// The CSRF token of the session whose cookie value is given.
    pub fn csrf_token(&self, cookie_value: &str) -> String {
        hex::encode(self.master.mac("admin-csrf", cookie_value.as_bytes()))
    }

    /// Whether `token` is the CSRF token of that session (constant time).
    pub fn csrf_matches(&self, cookie_value: &str, token: &str) -> bool {
        !cookie_value.is_empty() && constant_time_eq(self.csrf_token(cookie_value).as_bytes(), token.as_bytes())
    }
}
