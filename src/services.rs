//! The composition root: the shared infrastructure ([`Infra`]: configuration, store, clock, master
//! key, password hasher, mailer, the pool and client directory, tokens, IAM and outbound calls)
//! and the per-context services built on it, each holding only what it uses. Built once by
//! [`crate::startup`] (or [`Services::open`] for a one-off command) and passed explicitly; no
//! globals.

use crate::authorization::Authorization;
use crate::clock::Clock;
use crate::config::Config;
use crate::crypto::MasterKey;
use crate::events::Events;
use crate::federation::{Federation, Upstream};
use crate::iam::Iam;
use crate::identity_pools::IdentityPools;
use crate::mail::Mailer;
use crate::operators::Operators;
use crate::store::Store;
use crate::tokens::Tokens;
use crate::triggers::Triggers;
use crate::userpool::decoy::Decoys;
use crate::userpool::directory::Directory;
use crate::userpool::password::Passwords;
use crate::userpool::{Codes, SignIn, UserPools, Users};
use std::sync::Arc;

/// What the contexts are built from; each constructor takes only the parts it needs.
pub struct Infra {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub master: MasterKey,
    pub passwords: Passwords,
    /// The pools' decoy password hashes (timing of pools with imported hashes).
    pub decoys: Arc<Decoys>,
    pub mailer: Mailer,
    pub directory: Arc<Directory>,
    pub tokens: Arc<Tokens>,
    pub iam: Arc<Iam>,
    pub upstream: Arc<Upstream>,
    /// The event log, for the contexts that record events.
    pub events: Arc<Events>,
    /// A pool's Lambda triggers.
    pub triggers: Arc<Triggers>,
}

/// Every context, composed. Surfaces reach the context they call through its field.
pub struct Services {
    pub config: Arc<Config>,
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    /// Keys the hosted pages' CSRF tokens and opens management-key secrets.
    pub master: MasterKey,
    /// Pool and client lookups through the per-node settings cache.
    pub directory: Arc<Directory>,
    /// Issuing, refreshing, revoking and verifying tokens, with the signing keys.
    pub tokens: Arc<Tokens>,
    /// IAM roles and temporary credentials.
    pub iam: Arc<Iam>,
    /// Pools, clients, domains, resource servers, identity providers, branding.
    pub user_pools: Arc<UserPools>,
    /// Users, attributes, groups, linked identities.
    pub users: Arc<Users>,
    /// Mailed one-time codes.
    pub codes: Arc<Codes>,
    /// Sign-in, challenges, sessions, sign-up, recovery.
    pub sign_in: Arc<SignIn>,
    /// The OAuth 2.0 rules: authorization requests, grants, client authentication.
    pub authorization: Arc<Authorization>,
    /// Federated sign-in through upstream providers.
    pub federation: Arc<Federation>,
    /// Identity pools and their credentials.
    pub identity_pools: Arc<IdentityPools>,
    /// The event log: sign-in events and the audit trail.
    pub events: Arc<Events>,
    /// The system pool, dashboard operators and their sessions.
    pub operators: Arc<Operators>,
    /// A pool's Lambda triggers and the retry queue of the post-* ones.
    pub triggers: Arc<Triggers>,
    /// User import jobs and exports.
    pub transfer: Arc<crate::transfer::Transfer>,
    /// The pools' decoy password hashes: chosen at imports, retired by the janitor.
    pub decoys: Arc<Decoys>,
}

impl Services {
    pub fn new(config: Arc<Config>, store: Store, clock: Arc<dyn Clock>, master: MasterKey, mailer: Mailer) -> Self {
        let upstream = Upstream::new(config.upstream_timeout_secs)
            .expect("the TLS client for upstream providers could not be built");
        let events = Arc::new(Events::new(store.clone(), clock.clone()));
        let triggers = Triggers::new(&config, store.clone(), clock.clone(), events.clone())
            .expect("the TLS client for triggers could not be built");
        let triggers = Arc::new(triggers);
        let passwords = Passwords::start(
            config.password_hashers,
            config.password_queue,
            master.clone(),
            crate::userpool::password::IDLE_RELEASE,
        );
        let infra = Infra {
            decoys: Arc::new(Decoys::new(store.clone(), clock.clone(), master.clone(), passwords.clone())),
            passwords,
            directory: Arc::new(Directory::new(store.clone(), clock.clone(), master.clone())),
            tokens: Arc::new(Tokens::new(
                store.clone(),
                clock.clone(),
                master.clone(),
                config.public_url.clone(),
                triggers.clone(),
            )),
            iam: Arc::new(Iam::new(store.clone(), clock.clone(), master.clone(), config.account_id.clone())),
            upstream: Arc::new(upstream),
            events,
            triggers,
            config,
            store,
            clock,
            master,
            mailer,
        };
        let users = Arc::new(Users::new(&infra));
        let codes = Arc::new(Codes::new(&infra));
        let user_pools = Arc::new(UserPools::new(&infra));
        Services {
            operators: Arc::new(Operators::new(&infra, user_pools.clone(), users.clone())),
            user_pools,
            sign_in: Arc::new(SignIn::new(&infra, users.clone(), codes.clone())),
            authorization: Arc::new(Authorization::new(&infra)),
            federation: Arc::new(Federation::new(&infra)),
            identity_pools: Arc::new(IdentityPools::new(&infra)),
            transfer: Arc::new(crate::transfer::Transfer::new(&infra)),
            users,
            codes,
            config: infra.config,
            store: infra.store,
            clock: infra.clock,
            master: infra.master,
            directory: infra.directory,
            tokens: infra.tokens,
            iam: infra.iam,
            events: infra.events,
            triggers: infra.triggers,
            decoys: infra.decoys,
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// Whether the database answers (readiness).
    pub async fn ready(&self) -> bool {
        self.store.ready().await
    }

    /// Put the database connection pool's state in the metrics (read when `/metrics` is scraped).
    pub fn measure_database_pool(&self) {
        let (open, idle, max) = self.store.pool_stats();
        crate::metrics::database_pool(open, idle, max);
    }

    /// Open the store and keys for a one-off command (no server).
    pub async fn open(config: Config) -> anyhow::Result<Services> {
        crate::crypto::create_private_dir(&config.data_dir)?;
        let master = MasterKey::load_or_create(config.master_key.as_ref().map(|s| s.expose()), &config.data_dir)?;
        let store = Store::connect_with(
            &config.effective_database_url(),
            config.database_max_connections,
            std::time::Duration::from_millis(config.database_acquire_timeout_ms),
        )
        .await?;
        let mailer = Mailer::from_config(&config)?;
        Ok(Services::new(Arc::new(config), store, Arc::new(crate::clock::SystemClock), master, mailer))
    }
}
