//! Build the application: open the store, load the master key, bootstrap the management key,
//! compose each surface's routes, and bind (port 0 picks a free port).

use crate::clock::{Clock, SystemClock};
use crate::config::Config;
use crate::crypto::{MasterKey, random_from};
use crate::services::Services;
use crate::store::Store;
use crate::store::settings::ManagementKeyRow;
use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use std::net::TcpListener;
use std::sync::Arc;

pub struct Application {
    port: u16,
    server: Server,
    pub services: Arc<Services>,
    /// A management key generated on this start (printed once by the CLI).
    pub generated_key: Option<(String, String)>,
    /// The certificate served when TLS is configured; SIGHUP (or [`crate::tls::CertStore::reload`]) reloads it.
    pub tls: Option<Arc<crate::tls::CertStore>>,
}

/// Configure every surface of the app. Shared by the server and by in-process tests.
pub fn routes(cfg: &mut web::ServiceConfig) {
    crate::health::configure(cfg);
    crate::uploads::configure(cfg);
    crate::api::configure(cfg);
    crate::oauth::configure(cfg);
    crate::oauth::configure_identity_issuer(cfg);
    crate::hosted_ui::configure(cfg);
    // The dashboard previews the hosted pages through a port, importing no other surface.
    crate::admin::configure(cfg, crate::web::preview::Previews::new(crate::hosted_ui::preview::render));
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Application> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(&config.listen)?;
        Self::build_on(config, clock, listener).await
    }

    /// Build on an already bound listener (tests bind first to learn the port for the public URL).
    pub async fn build_on(config: Config, clock: Arc<dyn Clock>, listener: TcpListener) -> anyhow::Result<Application> {
        // The certificate first: a file that does not load stops the start before anything is written.
        let tls = match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => Some(crate::tls::CertStore::open(cert, key)?),
            _ => None,
        };
        crate::crypto::create_private_dir(&config.data_dir)?;
        let master = MasterKey::load_or_create(config.master_key.as_ref().map(|s| s.expose()), &config.data_dir)?;
        let store = Store::connect_with(
            &config.effective_database_url(),
            config.database_max_connections,
            std::time::Duration::from_millis(config.database_acquire_timeout_ms),
        )
        .await?
        .with_min_free_disk(config.min_free_disk_mb.saturating_mul(1 << 20));
        let generated_key = bootstrap_management_key(&store, &master, &config, clock.now()).await?;
        let port = listener.local_addr()?.port();
        let mailer = crate::mail::Mailer::from_config(&config)?;
        let services = Arc::new(Services::new(Arc::new(config), store, clock, master, mailer));
        services.operators.ensure_system_pool().await?;
        let back_channel = web::Data::new(crate::admin::BackChannel::for_addr(listener.local_addr()?)?);
        let data = web::Data::new(services.clone());
        let deadline = std::time::Duration::from_millis(services.config.request_timeout_ms);
        crate::metrics::init();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(back_channel.clone())
                .app_data(web::FormConfig::default().limit(64 * 1024).error_handler(crate::web::form_error))
                .app_data(web::QueryConfig::default().error_handler(crate::web::query_error))
                // A panic in any handler becomes a 500 with a request id (security headers too).
                .wrap(actix_web::middleware::from_fn(crate::web::backstop::catch_panic))
                // No request outlives its deadline (a query whose database went silent).
                .wrap(actix_web::middleware::from_fn(move |req, next| {
                    crate::web::deadline::bounded(deadline, req, next)
                }))
                .wrap(crate::web::security_headers())
                .wrap(actix_web::middleware::from_fn(crate::web::hsts))
                // Outermost: every answer is measured, the panic backstop's too.
                .wrap(actix_web::middleware::from_fn(crate::web::observe::record))
                .configure(routes)
                .default_service(web::to(crate::web::not_found))
        })
        .max_connection_rate(2048)
        .shutdown_timeout(30);
        let server = match &tls {
            Some(store) => server.listen_rustls_0_23(listener, store.server_config()?)?,
            None => server.listen(listener)?,
        }
        .run();
        crate::tls::reload_on_hangup(tls.clone())?;
        spawn_janitor(services.clone());
        spawn_trigger_retries(services.clone());
        spawn_import_worker(services.clone());
        Ok(Application { port, server, services, generated_key, tls })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serve until SIGINT/SIGTERM; in-flight requests finish (actix's graceful shutdown).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let store = self.services.store.clone();
        let r = self.server.await;
        store.close().await;
        r
    }
}

/// Ensure a management key exists: the configured one (kept in sync), or a generated one on the
/// very first start. Returns a freshly generated pair so the caller can print it once.
async fn bootstrap_management_key(
    store: &Store,
    master: &MasterKey,
    config: &Config,
    now: i64,
) -> anyhow::Result<Option<(String, String)>> {
    let seal = |id: &str, secret: &str| master.seal(secret.as_bytes(), &format!("management-key:{id}"));
    if let (Some(id), Some(secret)) = (&config.admin_access_key_id, &config.admin_secret_access_key) {
        match store.get_management_key(id).await? {
            Some(k)
                if master.open_string(&k.secret_enc, &format!("management-key:{id}")).ok().as_deref()
                    == Some(secret.expose()) => {}
            Some(_) => {
                anyhow::bail!("management key {id} exists with a different secret; remove it or use another key id")
            }
            None => {
                store
                    .insert_management_key(&ManagementKeyRow {
                        access_key_id: id.clone(),
                        secret_enc: seal(id, secret.expose()),
                        description: "bootstrap (configured)".into(),
                        created_at: now,
                    })
                    .await?
            }
        }
        return Ok(None);
    }
    if store.count_management_keys().await? > 0 {
        return Ok(None);
    }
    let id = format!("AKIA{}", random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16));
    let secret = random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40);
    store
        .insert_management_key(&ManagementKeyRow {
            access_key_id: id.clone(),
            secret_enc: seal(&id, &secret),
            description: "bootstrap (generated)".into(),
            created_at: now,
        })
        .await?;
    Ok(Some((id, secret)))
}

/// How often each node's janitor wakes.
const JANITOR_EVERY_SECS: u64 = 600;
/// How long after start a node's janitor first wakes.
const JANITOR_FIRST_SECS: u64 = 60;
/// How long a janitor pass holds the lease: less than the interval, so that when the node that
/// held it is gone, the next node to wake takes over.
const JANITOR_LEASE_SECS: i64 = 540;

/// Every ten minutes (the first a minute after start), on one node at a time (a lease in the
/// database): remove expired sessions, codes, federation states, temporary credentials and stale
/// failure counters, and events past the retention; take the hour's MFA adoption reading.
fn spawn_janitor(services: Arc<Services>) {
    let node = uuid::Uuid::new_v4().to_string();
    tokio::spawn(async move {
        // The first pass a minute after start: a node that is starting has better things to do.
        let every = std::time::Duration::from_secs(JANITOR_EVERY_SECS);
        let first = tokio::time::Instant::now() + std::time::Duration::from_secs(JANITOR_FIRST_SECS);
        let mut tick = tokio::time::interval_at(first, every);
        loop {
            tick.tick().await;
            janitor_pass(&services, &node).await;
        }
    });
}

/// How often each node looks for started user import jobs.
const IMPORT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// User import jobs run in the background, on one node at a time (see
/// [`crate::transfer::worker`]); each node looks every [`IMPORT_EVERY`].
fn spawn_import_worker(services: Arc<Services>) {
    let node = uuid::Uuid::new_v4().to_string();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(IMPORT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = services.transfer.run_imports(&node).await {
                tracing::warn!(error = ?e, "a user import pass failed; it is tried again");
            }
        }
    });
}

/// Queued post-* trigger calls ([`crate::triggers::retry`]) are sent again soon after they are
/// due, not at the janitor's pace: each node looks every
/// [`crate::triggers::retry::RETRY_EVERY_SECS`] (configurable for tests), one node at a time.
fn spawn_trigger_retries(services: Arc<Services>) {
    let node = uuid::Uuid::new_v4().to_string();
    let secs = services.config.triggers.retry_every_secs.unwrap_or(crate::triggers::retry::RETRY_EVERY_SECS);
    tokio::spawn(async move {
        let every = std::time::Duration::from_secs(secs.max(1));
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            trigger_retry_pass(&services, &node).await;
        }
    });
}

/// How long a retry pass may hold its lease: longer than a full batch of calls of 5 s each, so
/// no second node sends the same call. A pass lets go when done, so this only delays the take-over
/// from a node that died in a pass.
const TRIGGER_RETRY_LEASE_SECS: i64 = 600;

/// One pass over the queued trigger calls for node `node`: false (nothing done) when another
/// node holds the lease. The lease is let go at the end, so the next node to look may take it.
pub async fn trigger_retry_pass(services: &Services, node: &str) -> bool {
    let now = services.now();
    let store = &services.store;
    match store.take_lease("trigger-retries", node, now, now + TRIGGER_RETRY_LEASE_SECS).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!(error = %e, "the trigger retry lease could not be taken");
            return false;
        }
    }
    match services.triggers.retry_due().await {
        Ok(n) if n > 0 => tracing::info!(calls = n, "queued trigger calls delivered"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "retrying queued trigger calls failed"),
    }
    if let Err(e) = store.release_lease("trigger-retries", node).await {
        tracing::warn!(error = %e, "the trigger retry lease could not be let go");
    }
    true
}

/// One janitor pass for node `node`: false (nothing done) when another node holds the lease.
pub async fn janitor_pass(services: &Services, node: &str) -> bool {
    let now = services.now();
    let store = &services.store;
    match store.take_lease("janitor", node, now, now + JANITOR_LEASE_SECS).await {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::warn!(error = %e, "the janitor's lease could not be taken");
            return false;
        }
    }
    let removed: crate::store::StoreResult<u64> = async {
        Ok(store.delete_expired(now).await?
            + store.delete_expired_account_codes(now).await?
            + store.purge_federation_states(now).await?
            + store.purge_temporary_credentials(now - crate::iam::credentials::EXPIRED_KEEP_SECS).await?
            + store.purge_stale_failures(now, now - crate::userpool::lockout::FAILURE_WINDOW_SECS).await?
            + store.purge_admin_sessions(now, now - crate::operators::IDLE_SECS).await?)
    }
    .await;
    match removed {
        Ok(n) if n > 0 => tracing::info!(rows = n, "expired rows removed"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "cleanup of expired rows failed"),
    }
    match services.decoys.retire_unused().await {
        Ok(n) if n > 0 => tracing::info!(pools = n, "password decoys retired: no imported hashes left"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "retiring password decoys failed"),
    }
    if let Err(e) = services.events.take_mfa_adoption().await {
        tracing::warn!(error = %e, "taking the hour's MFA adoption reading failed");
    }
    match services.events.purge(services.config.event_retention_days).await {
        Ok(n) if n > 0 => tracing::info!(rows = n, "events past the retention removed"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "removing events past the retention failed"),
    }
    true
}
