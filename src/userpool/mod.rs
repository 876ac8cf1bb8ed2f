//! User pools: the rules. Pools and their settings, app clients, users and attributes, groups,
//! domains and resource servers, upstream identity providers and the identities linked to users,
//! hosted-UI branding, passwords, sign-up and recovery with mailed codes, and the sign-in engine
//! that both the hosted pages and the JSON API drive.

mod argon2_memory;
pub mod attributes;
pub mod auth;
pub mod branding;
pub mod client_definition;
pub mod client_document;
pub mod client_secrets;
pub mod clients;
pub mod codes;
pub mod css;
pub mod custom_auth;
pub mod custom_triggers;
pub mod decoy;
pub mod devices;
pub mod directory;
pub mod error;
pub mod groups;
pub mod identity_providers;
pub mod imported_hash;
pub mod linked_identities;
pub mod lockout;
pub mod messages;
pub mod mfa;
pub mod migration;
pub mod model;
pub mod passkeys;
pub mod password;
pub mod password_import;
pub mod pool_definition;
pub mod pool_document;
pub mod pools;
pub mod profile;
pub mod recovery;
pub mod resources;
pub mod sessions;
mod sign_in_events;
pub mod signup;
pub mod srp;
pub mod srp_sign_in;
pub mod step;
pub mod terms;
pub mod throttle;
pub mod user_access;
pub mod user_auth;
pub mod user_triggers;
pub mod users;

use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::MasterKey;
use crate::events::Events;
use crate::ids::PoolId;
use crate::mail::Mailer;
use crate::services::Infra;
use crate::store::Store;
use crate::tokens::Tokens;
use crate::tokens::signer::Alg;
use crate::triggers::Triggers;
use decoy::Decoys;
use directory::Directory;
use password::Passwords;
use std::sync::Arc;

/// What an operator configures: pools and their settings, app clients, domains, resource
/// servers, upstream identity providers, branding, MFA configuration and signing-key rotation.
pub struct UserPools {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    directory: Arc<Directory>,
    tokens: Arc<Tokens>,
    region: String,
    account_id: String,
    domain_base: String,
}

impl UserPools {
    pub fn new(infra: &Infra) -> Self {
        UserPools {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            master: infra.master.clone(),
            directory: infra.directory.clone(),
            tokens: infra.tokens.clone(),
            region: infra.config.region.clone(),
            account_id: infra.config.account_id.clone(),
            domain_base: infra.config.domain_base.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }

    /// The account every pool ARN names.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// The pool's signing keys, newest first: the active one, the next one (published ahead of
    /// the next rotation) and the retired ones still published for their tokens' lifetime.
    pub async fn signing_keys(&self, pool_id: &PoolId) -> error::Result<Vec<SigningKey>> {
        self.directory.pool(pool_id).await?;
        let rows = self.store.signing_keys(pool_id).await?;
        rows.into_iter()
            .map(|k| {
                let alg = crate::tokens::keys::alg_of(&k).map_err(error::Error::Internal)?;
                Ok(SigningKey { alg, kid: k.kid, state: k.state, created_at: k.created_at, retired_at: k.retired_at })
            })
            .collect()
    }

    /// Stop publishing a retired key before its tokens expire (a key thought compromised):
    /// tokens it signed stop verifying at once on this node, within the key cache's life on
    /// others. False when `kid` is not one of the pool's retired keys.
    pub async fn retire_key_now(&self, pool_id: &PoolId, kid: &str) -> error::Result<bool> {
        self.directory.pool(pool_id).await?;
        let removed = self.store.remove_retired_key(pool_id, kid).await?;
        if removed {
            self.tokens.forget_keys(pool_id);
        }
        Ok(removed)
    }

    /// GetSigningCertificate: a self-signed certificate for the pool's active signing key, DER
    /// in base64.
    pub async fn signing_certificate(&self, pool_id: &PoolId) -> error::Result<String> {
        self.directory.pool(pool_id).await?;
        self.tokens.signing_certificate(pool_id).await
    }

    /// Rotate an existing pool's signing keys, keeping its algorithm; returns the new active kid.
    pub async fn rotate_keys(&self, pool_id: &PoolId) -> error::Result<String> {
        self.rotate_keys_with(pool_id, None).await
    }

    /// Rotate an existing pool's signing keys to a key of `alg` (RS256 or ES256; `None` keeps
    /// the pool's current one). Switching retires the old key as any rotation does, so tokens
    /// it signed verify until they expire; returns the new active kid.
    pub async fn rotate_keys_with(&self, pool_id: &PoolId, alg: Option<Alg>) -> error::Result<String> {
        self.directory.pool(pool_id).await?;
        self.tokens.rotate_keys(pool_id, alg).await
    }
}

/// A signing key as operators see it (never its private part).
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub kid: String,
    /// The JWS algorithm it signs with.
    pub alg: Alg,
    /// `active`, `next` or `retired`.
    pub state: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// A pool's users: create, read, update and delete them, their attributes, groups and linked
/// identities, and the invitation mail.
pub struct Users {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    passwords: Passwords,
    decoys: Arc<Decoys>,
    mailer: Mailer,
    directory: Arc<Directory>,
    events: Arc<Events>,
    triggers: Arc<Triggers>,
}

impl Users {
    pub fn new(infra: &Infra) -> Self {
        Users {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            master: infra.master.clone(),
            passwords: infra.passwords.clone(),
            decoys: infra.decoys.clone(),
            mailer: infra.mailer.clone(),
            directory: infra.directory.clone(),
            events: infra.events.clone(),
            triggers: infra.triggers.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// One-time codes sent by mail (sign-up confirmation, password reset, attribute verification):
/// minted, mailed, rate-limited and redeemed, with the answers for users that do not exist.
#[derive(Clone)]
pub struct Codes {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    mailer: Mailer,
    triggers: Arc<Triggers>,
}

impl Codes {
    pub fn new(infra: &Infra) -> Self {
        Codes {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            master: infra.master.clone(),
            mailer: infra.mailer.clone(),
            triggers: infra.triggers.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }
}

/// The self-service flows: sign-in with its challenges (new password, MFA and its setup),
/// lockout and per-source throttling, hosted-UI sessions, sign-up and password recovery.
pub struct SignIn {
    store: Store,
    clock: Arc<dyn Clock>,
    master: MasterKey,
    passwords: Passwords,
    decoys: Arc<Decoys>,
    mailer: Mailer,
    config: Arc<Config>,
    directory: Arc<Directory>,
    users: Arc<Users>,
    codes: Arc<Codes>,
    events: Arc<Events>,
    triggers: Arc<Triggers>,
}

impl SignIn {
    pub fn new(infra: &Infra, users: Arc<Users>, codes: Arc<Codes>) -> Self {
        SignIn {
            store: infra.store.clone(),
            clock: infra.clock.clone(),
            master: infra.master.clone(),
            passwords: infra.passwords.clone(),
            decoys: infra.decoys.clone(),
            mailer: infra.mailer.clone(),
            config: infra.config.clone(),
            directory: infra.directory.clone(),
            users,
            codes,
            events: infra.events.clone(),
            triggers: infra.triggers.clone(),
        }
    }

    fn now(&self) -> i64 {
        self.clock.now()
    }
}
