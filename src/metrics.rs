//! Prometheus metrics through the `metrics` facade and its Prometheus exporter (maintained
//! crates, rather than a hand-written registry and text format): one recorder for the process,
//! installed on first use and rendered by `/metrics`.
//!
//! Labels are bounded on purpose: route templates (never raw paths), methods, status codes,
//! event types, outcomes and reasons, grant types. No pool, client, user or address is ever a
//! label, so the series stay few however many pools and users there are.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// Latency buckets in seconds: from a cached lookup to a slow password hash.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The process's recorder: installed the first time anything asks (several servers in one
/// process, as in the tests, share it).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .expect("fixed, non-empty buckets");
        match builder.install_recorder() {
            Ok(h) => {
                spawn_upkeep(h.clone());
                h
            }
            // Another recorder is already installed (cannot happen here): keep serving, unrecorded.
            Err(e) => {
                tracing::warn!(error = %e, "metrics recorder not installed");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The exporter keeps each histogram sample until it is folded into the buckets; without a
/// scrape nothing would fold them and memory would grow with every request. A thread of its own
/// folds them every few seconds, whatever runtime (or none) the process has.
fn spawn_upkeep(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new().name("metrics-upkeep".into()).spawn(move || {
        loop {
            std::thread::sleep(UPKEEP_EVERY);
            handle.run_upkeep();
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "the metrics upkeep thread did not start");
    }
}

/// Make sure the recorder exists before anything records (metrics recorded with no recorder
/// installed are dropped).
pub fn init() {
    handle();
    static DESCRIBED: OnceLock<()> = OnceLock::new();
    DESCRIBED.get_or_init(|| {
        use metrics::{describe_counter, describe_gauge, describe_histogram};
        describe_counter!("portcullis_http_requests_total", "HTTP requests by route template, method and status.");
        describe_histogram!("portcullis_http_request_duration_seconds", "HTTP request duration.");
        describe_counter!("portcullis_auth_events_total", "Sign-in and account events by type, outcome and reason.");
        describe_counter!("portcullis_tokens_issued_total", "Token sets issued, by grant.");
        describe_histogram!("portcullis_password_queue_wait_seconds", "Time a password job waited for a thread.");
        describe_gauge!("portcullis_password_jobs", "Password hash jobs queued or running.");
        describe_gauge!(
            "portcullis_password_hash_memory_bytes",
            "argon2 memory the hashing threads hold (19 MiB a busy thread; freed when idle)."
        );
        describe_counter!("portcullis_password_jobs_shed_total", "Password jobs refused: the queue was full.");
        describe_counter!("portcullis_password_hash_upgrades_total", "Imported password hashes moved to argon2id.");
        describe_counter!(
            "portcullis_password_decoy_verifies_total",
            "Password checks that also verified the pool's decoy imported hash."
        );
        describe_counter!("portcullis_database_unavailable_total", "Database operations failed: database unavailable.");
        describe_gauge!("portcullis_database_connections", "Database connections by state.");
        describe_gauge!("portcullis_database_connections_max", "The most database connections allowed.");
        describe_histogram!(
            "portcullis_upstream_request_duration_seconds",
            "Calls to upstream identity providers (federation), by call and outcome."
        );
        describe_counter!("portcullis_trigger_calls_total", "Lambda trigger calls, by trigger and outcome.");
        describe_histogram!(
            "portcullis_trigger_call_duration_seconds",
            "Lambda trigger calls, by trigger and outcome."
        );
    });
}

/// One HTTP request: its route template (`/{pool}/oauth2/token`), method, status and duration.
pub fn http_request(route: &str, method: &str, status: u16, seconds: f64) {
    let labels = [("route", route.to_string()), ("method", method.to_string()), ("status", status.to_string())];
    metrics::counter!("portcullis_http_requests_total", &labels).increment(1);
    metrics::histogram!("portcullis_http_request_duration_seconds", &labels).record(seconds);
}

/// A sign-in, sign-up, confirmation, recovery or other account event and how it went
/// (`reason`: why it failed, e.g. `LockedOut`).
pub fn auth_event(event: &'static str, outcome: &'static str, reason: Option<&'static str>) {
    let labels = [("event", event), ("outcome", outcome), ("reason", reason.unwrap_or("none"))];
    metrics::counter!("portcullis_auth_events_total", &labels).increment(1);
}

/// Tokens issued, by how they were granted (`sign_in` for the API, `authorization_code`,
/// `implicit`, `refresh_token`, `client_credentials`).
pub fn tokens_issued(grant: &'static str) {
    metrics::counter!("portcullis_tokens_issued_total", "grant" => grant).increment(1);
}

/// A password hash or check waited `seconds` for a hashing thread.
pub fn password_queue_wait(seconds: f64) {
    metrics::histogram!("portcullis_password_queue_wait_seconds").record(seconds);
}

/// Password jobs queued or running now.
pub fn password_jobs(delta: f64) {
    metrics::gauge!("portcullis_password_jobs").increment(delta);
}

/// The hashing threads took (positive) or gave back (negative) `bytes` of argon2 memory.
pub fn password_hash_memory(bytes: f64) {
    metrics::gauge!("portcullis_password_hash_memory_bytes").increment(bytes);
}

/// A password job refused because the queue was full.
pub fn password_shed() {
    metrics::counter!("portcullis_password_jobs_shed_total").increment(1);
}

/// An imported password hash replaced by the server's argon2id at a sign-in.
pub fn password_hash_upgraded() {
    metrics::counter!("portcullis_password_hash_upgrades_total").increment(1);
}

/// A password check verified its pool's decoy hash ([`crate::userpool::decoy`]).
pub fn password_decoy_verified() {
    metrics::counter!("portcullis_password_decoy_verifies_total").increment(1);
}

/// A database operation failed because the database was unavailable (down, unreachable, out of
/// connections, locked or full).
pub fn database_unavailable() {
    metrics::counter!("portcullis_database_unavailable_total").increment(1);
}

/// The database connection pool now: connections open, idle, and the most allowed.
pub fn database_pool(open: u32, idle: usize, max: u32) {
    metrics::gauge!("portcullis_database_connections", "state" => "in_use")
        .set(open.saturating_sub(idle as u32) as f64);
    metrics::gauge!("portcullis_database_connections", "state" => "idle").set(idle as f64);
    metrics::gauge!("portcullis_database_connections_max").set(max as f64);
}

/// One call to an upstream identity provider: which (`discovery`, `keys`, `token`, `userinfo`,
/// `graph`), whether it succeeded, and how long it took (connection included).
pub fn upstream_call(call: &'static str, ok: bool, seconds: f64) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::histogram!("portcullis_upstream_request_duration_seconds", "call" => call, "outcome" => outcome)
        .record(seconds);
}

/// One trigger call: the trigger (`PreSignUp`, …), its outcome (`ok`, `refused`, `unexpected`,
/// `invalid_response`) and how long it took.
pub fn trigger_call(trigger: &'static str, outcome: &'static str, seconds: f64) {
    let labels = [("trigger", trigger), ("outcome", outcome)];
    metrics::counter!("portcullis_trigger_calls_total", &labels).increment(1);
    metrics::histogram!("portcullis_trigger_call_duration_seconds", &labels).record(seconds);
}
