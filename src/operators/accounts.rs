//! Operator accounts as administrators manage them from the dashboard: the list with roles,
//! a role change, disabling and enabling. The last enabled administrator can be neither demoted
//! nor disabled, so the dashboard always keeps one.

use super::{Operators, Role};
use crate::ids::Username;
use crate::userpool::error::{Error, Result};

/// An operator as the list shows it.
#[derive(Debug, Clone)]
pub struct OperatorAccount {
    pub username: String,
    pub role: Option<Role>,
    pub enabled: bool,
    pub status: String,
    pub created_at: i64,
}

impl Operators {
    /// Every operator (the system pool's users, up to 500), oldest first, with their role.
    pub async fn accounts(&self) -> Result<Vec<OperatorAccount>> {
        let system = self.attach().await?;
        let mut out = Vec::new();
        let mut next: Option<String> = None;
        loop {
            let (users, more) = self.users.list_users(&system.pool_id, "", 60, next.as_deref()).await?;
            for u in users {
                out.push(OperatorAccount {
                    role: self.role_of(&u.id).await?,
                    username: u.username.to_string(),
                    enabled: u.enabled,
                    status: u.status,
                    created_at: u.created_at,
                });
            }
            match more {
                Some(n) if out.len() < 500 => next = Some(n),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Refuse a change that would leave no enabled administrator.
    async fn keep_an_admin(&self, username: &Username) -> Result<()> {
        let accounts = self.accounts().await?;
        let admins: Vec<&OperatorAccount> =
            accounts.iter().filter(|a| a.enabled && a.role == Some(Role::Admin)).collect();
        if admins.len() == 1 && admins[0].username == username.as_str() {
            return Err(Error::invalid("This is the last enabled administrator: make another one first."));
        }
        Ok(())
    }

    /// Give an operator exactly one role, or none (`None`: no dashboard access).
    pub async fn set_role(&self, username: &Username, role: Option<Role>) -> Result<()> {
        let system = self.attach().await?;
        if role != Some(Role::Admin) {
            self.keep_an_admin(username).await?;
        }
        let current = self.users.groups_of_user(&system.pool_id, username).await?;
        for g in current.iter().filter(|g| Role::of_group(&g.name).is_some()) {
            if Some(g.name.as_str()) != role.map(Role::group) {
                self.users.remove_user_from_group(&system.pool_id, username, &g.name).await?;
            }
        }
        if let Some(r) = role {
            self.users.add_user_to_group(&system.pool_id, username, r.group()).await?;
        }
        Ok(())
    }

    /// Disable (its sessions end at once) or enable an operator.
    pub async fn set_operator_enabled(&self, username: &Username, enabled: bool) -> Result<()> {
        let system = self.attach().await?;
        if !enabled {
            self.keep_an_admin(username).await?;
        }
        self.users.admin_set_enabled(&system.pool_id, username, enabled).await
    }

    /// Reset an operator's password to a new temporary one (returned once); the next sign-in
    /// sets a new password.
    pub async fn reset_operator_password(&self, username: &Username) -> Result<String> {
        let system = self.attach().await?;
        let pool = self.directory.pool(&system.pool_id).await?;
        let temporary = crate::userpool::password::generate_temporary(pool.password_policy());
        self.users.admin_set_password(&system.pool_id, username, &temporary, false).await?;
        Ok(temporary)
    }
}
