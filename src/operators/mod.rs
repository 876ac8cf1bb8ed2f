//! Dashboard operators: the built-in **system pool** the dashboard signs in through (its app
//! client and its role groups), the first administrator, operator accounts made from the
//! command line, dashboard sessions, and the role each operator holds.
//!
//! The system pool is an ordinary pool to the engine (hosted pages, MFA, lockout, tokens), but
//! it is not listed by ListUserPools and the Cognito API refuses to touch it
//! ([`Operators::is_system_pool`]). Its groups are the roles: `admins`, `operators`, `viewers`.

mod accounts;
mod sessions;

pub use accounts::OperatorAccount;

pub use sessions::{IDLE_SECS, LIFETIME_SECS, SessionStart, Signed};

use crate::clock::Clock;
use crate::config::{AdminMfa, Config};
use crate::crypto::MasterKey;
use crate::ids::{ClientId, PoolId, UserSub, Username};
use crate::services::Infra;
use crate::store::Store;
use crate::userpool::client_definition::{ClientDefinition, NewClient, OAuthFlow};
use crate::userpool::directory::Directory;
use crate::userpool::error::{Error, Result};
use crate::userpool::groups::NewGroup;
use crate::userpool::model::MfaMode;
use crate::userpool::pool_definition::{
    AccountRecoverySetting, AdminCreateUserConfig, PoolDefinition, PoolMfaChanges, PoolOptions, RecoveryOption,
    SoftwareTokenMfaConfig,
};
use crate::userpool::users::{MessageAction, NewUser};
use crate::userpool::{UserPools, Users};
use std::sync::{Arc, OnceLock};

/// The `kv` key that names the system pool (also read by the store to hide it from lists).
pub const SYSTEM_POOL_KEY: &str = "system_pool_id";
/// The system pool's name and its one app client's.
pub const SYSTEM_POOL_NAME: &str = "portcullis-system";
pub const DASHBOARD_CLIENT_NAME: &str = "portcullis-dashboard";
/// Where the hosted UI sends an operator back (under `PUBLIC_URL`).
pub const CALLBACK_PATH: &str = "/admin/callback";
pub const SIGNED_OUT_PATH: &str = "/admin/signed-out";

/// A dashboard role: the system-pool group that grants it. Ordered: each role can do what the
/// ones before it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// `viewers`: read only.
    Viewer,
    /// `operators`: users, groups and sessions; no pool, key, IAM or provider settings.
    Operator,
    /// `admins`: everything.
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Operator, Role::Viewer];

    /// The system-pool group of the role.
    pub fn group(self) -> &'static str {
        match self {
            Role::Admin => "admins",
            Role::Operator => "operators",
            Role::Viewer => "viewers",
        }
    }

    pub fn of_group(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.group() == name)
    }

    fn description(self) -> &'static str {
        match self {
            Role::Admin => "Dashboard administrators: every page and every change.",
            Role::Operator => "Dashboard operators: users, groups and sessions.",
            Role::Viewer => "Dashboard viewers: read only.",
        }
    }
}

/// The system pool and the dashboard's app client in it.
#[derive(Debug, Clone)]
pub struct SystemPool {
    pub pool_id: PoolId,
    pub client_id: ClientId,
}

/// The operators context: the system pool, operator accounts and dashboard sessions.
pub struct Operators {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    config: Arc<Config>,
    directory: Arc<Directory>,
    user_pools: Arc<UserPools>,
    users: Arc<Users>,
    system: OnceLock<SystemPool>,
}

impl Operators {
    pub fn new(infra: &Infra, user_pools: Arc<UserPools>, users: Arc<Users>) -> Self {
        Operators {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            master: infra.master.clone(),
            config: infra.config.clone(),
            directory: infra.directory.clone(),
            user_pools,
            users,
            system: OnceLock::new(),
        }
    }

    /// The system pool, once [`Operators::ensure_system_pool`] has run.
    pub fn system(&self) -> Option<&SystemPool> {
        self.system.get()
    }

    /// Whether `id` is the system pool (which the Cognito API must not see or change).
    pub fn is_system_pool(&self, id: &str) -> bool {
        self.system.get().is_some_and(|s| s.pool_id.as_str() == id)
    }

    /// Create the system pool, its dashboard client and role groups when missing, bring the
    /// client's URLs and the MFA setting in line with the configuration, and create the first
    /// administrator from `PORTCULLIS_ADMIN_USERNAME`/`PASSWORD` while there is none. Safe on
    /// several nodes starting at once: the pool id is claimed once in the store.
    pub async fn ensure_system_pool(&self) -> Result<SystemPool> {
        let pool_id = self.system_pool_id().await?;
        self.apply_mfa(&pool_id).await?;
        let client_id = self.ensure_client(&pool_id).await?;
        for role in Role::ALL {
            let group = NewGroup { description: Some(role.description().into()), role_arn: None, precedence: None };
            match self.users.create_group(&pool_id, role.group(), &group).await {
                Ok(_) | Err(Error::GroupExists(_)) => {}
                Err(e) => return Err(e),
            }
        }
        let system = SystemPool { pool_id, client_id };
        let _ = self.system.set(system.clone());
        self.bootstrap_admin(&system).await?;
        Ok(system)
    }

    /// The system pool for a one-off command beside a running server: the one the server made,
    /// left as it is (the command's configuration may differ from the server's); made only when
    /// no server has started yet.
    pub(crate) async fn attach(&self) -> Result<SystemPool> {
        if let Some(s) = self.system.get() {
            return Ok(s.clone());
        }
        let Some(id) = self.store.kv_get(SYSTEM_POOL_KEY).await? else {
            return self.ensure_system_pool().await;
        };
        let pool_id = PoolId::from(id);
        let (clients, _) = self.user_pools.list_clients(&pool_id, 60, None).await?;
        let client = clients.into_iter().find(|c| c.name == DASHBOARD_CLIENT_NAME);
        let client_id = match client {
            Some(c) => c.id,
            None => self.ensure_client(&pool_id).await?,
        };
        let system = SystemPool { pool_id, client_id };
        let _ = self.system.set(system.clone());
        Ok(system)
    }

    async fn system_pool_id(&self) -> Result<PoolId> {
        if let Some(id) = self.store.kv_get(SYSTEM_POOL_KEY).await? {
            return Ok(PoolId::from(id));
        }
        let def = PoolDefinition {
            name: SYSTEM_POOL_NAME.into(),
            options: PoolOptions {
                admin_create_user: Some(AdminCreateUserConfig {
                    allow_admin_create_user_only: Some(true),
                    ..Default::default()
                }),
                // Operators recover through an administrator, not a mailed code.
                account_recovery: Some(AccountRecoverySetting {
                    recovery_mechanisms: Some(vec![RecoveryOption { priority: 1, name: "admin_only".into() }]),
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let created = self.user_pools.create_pool(&def).await?;
        let claimed = self.store.kv_set_if_absent(SYSTEM_POOL_KEY, &created.id).await?;
        if claimed != created.id.as_str() {
            // Another node created it first: ours is not needed.
            self.user_pools.delete_pool(&created.id).await?;
        }
        Ok(PoolId::from(claimed))
    }

    async fn apply_mfa(&self, pool_id: &PoolId) -> Result<()> {
        let mode = match self.config.admin_mfa {
            AdminMfa::Required => MfaMode::On,
            AdminMfa::Optional => MfaMode::Optional,
        };
        if self.directory.pool(pool_id).await?.mfa_mode() == mode {
            return Ok(());
        }
        let changes = PoolMfaChanges {
            mode: Some(mode),
            software_token: Some(SoftwareTokenMfaConfig { enabled: Some(true) }),
            ..Default::default()
        };
        self.user_pools.set_pool_mfa_config(pool_id, &changes).await.map(|_| ())
    }

    /// The dashboard client: public (code + PKCE), its callback under the current `PUBLIC_URL`.
    async fn ensure_client(&self, pool_id: &PoolId) -> Result<ClientId> {
        let public = &self.config.public_url;
        let definition = ClientDefinition {
            callback_urls: Some(vec![format!("{public}{CALLBACK_PATH}")]),
            logout_urls: Some(vec![format!("{public}{SIGNED_OUT_PATH}")]),
            allowed_oauth_flows: Some(vec![OAuthFlow::Code]),
            allowed_oauth_scopes: Some(vec!["openid".into(), "email".into(), "profile".into()]),
            oauth_enabled: Some(true),
            supported_identity_providers: Some(vec!["COGNITO".into()]),
            ..Default::default()
        };
        let (clients, _) = self.user_pools.list_clients(pool_id, 60, None).await?;
        if let Some(row) = clients.iter().find(|c| c.name == DASHBOARD_CLIENT_NAME) {
            let current = self.directory.client(pool_id, &row.id).await?;
            if current.callback_urls() != definition.callback_urls.as_deref().unwrap_or_default() {
                self.user_pools.update_client(pool_id, &row.id, None, &definition).await?;
            }
            return Ok(row.id.clone());
        }
        let new = NewClient { name: DASHBOARD_CLIENT_NAME.into(), generate_secret: false, secret: None, definition };
        Ok(self.user_pools.create_client(pool_id, &new).await?.id)
    }

    /// The configured first administrator, created with a permanent password while the
    /// `admins` group is empty.
    async fn bootstrap_admin(&self, system: &SystemPool) -> Result<()> {
        let (Some(name), Some(password)) = (&self.config.admin_username, &self.config.admin_password) else {
            return Ok(());
        };
        let (admins, _) = self.users.users_in_group(&system.pool_id, Role::Admin.group(), 1, None).await?;
        if !admins.is_empty() {
            return Ok(());
        }
        let username = Username::from(name.as_str());
        let pool = self.directory.pool(&system.pool_id).await?;
        if self.users.find_user(&pool, &username).await?.is_none() {
            self.create_user(&system.pool_id, &username, None).await?;
        }
        self.users.admin_set_password(&system.pool_id, &username, password.expose(), true).await?;
        self.users.add_user_to_group(&system.pool_id, &username, Role::Admin.group()).await?;
        tracing::info!(username = %username, "dashboard administrator created from the configuration");
        Ok(())
    }

    /// `portcullis admin create-user`: an operator account in `role`'s group with a generated
    /// temporary password (returned once; the first sign-in sets a new one, then TOTP).
    pub async fn create_operator(&self, username: &Username, role: Role) -> Result<String> {
        let system = self.attach().await?;
        let pool = self.directory.pool(&system.pool_id).await?;
        let temporary = crate::userpool::password::generate_temporary(pool.password_policy());
        self.create_user(&system.pool_id, username, Some(temporary.clone())).await?;
        self.users.add_user_to_group(&system.pool_id, username, role.group()).await?;
        Ok(temporary)
    }

    async fn create_user(&self, pool_id: &PoolId, username: &Username, temporary: Option<String>) -> Result<()> {
        let new = NewUser {
            username: username.clone(),
            temporary_password: temporary,
            message_action: Some(MessageAction::Suppress),
            ..Default::default()
        };
        self.users.admin_create_user(pool_id, &new).await.map(|_| ())
    }

    /// The outbox mails are written to in development mode (no `PORTCULLIS_SMTP_URL`), for
    /// the dashboard's outbox viewer; `None` when mail goes out through SMTP.
    pub fn outbox(&self) -> Option<crate::mail::outbox::Outbox> {
        self.config.smtp_url.is_none().then(|| crate::mail::outbox::Outbox::new(self.config.data_dir.join("outbox")))
    }

    /// The operator's role: the highest of their system-pool groups, if any.
    pub async fn role_of(&self, sub: &UserSub) -> Result<Option<Role>> {
        let groups = self.users.group_claims(sub).await?;
        Ok(groups.names.iter().filter_map(|g| Role::of_group(g)).max())
    }
}
