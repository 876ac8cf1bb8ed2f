//! `portcullis doctor`: check a deployment without changing it, one line per check: `ok`,
//! `warn` or `FAIL` with what to fix. Configuration, database (reachable, migrations applied —
//! pending ones are reported, not applied), the master key against the signing keys, the TLS
//! files, mail delivery and the data directory. No line ever carries a secret: the configured
//! secrets are masked in every line before it is printed, whatever an error message quotes.

use crate::config::{Config, ConfigError};
use crate::crypto::MasterKey;
use crate::store::{Backend, Store};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A certificate expiring sooner than this is a warning.
pub const EXPIRY_WARN_DAYS: i64 = 30;
/// How long the database may take to answer.
const DB_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that `{:<4}` lines the messages up.
        f.pad(match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        })
    }
}

/// One check's verdict: what was checked, what was found and, unless it is fine, what to do.
#[derive(Debug, Clone)]
pub struct Check {
    pub level: Level,
    pub name: &'static str,
    pub message: String,
}

/// Every check's verdict, with the secrets to mask when printing.
#[derive(Default)]
pub struct Report {
    pub checks: Vec<Check>,
    secrets: Vec<String>,
}

impl Report {
    fn add(&mut self, level: Level, name: &'static str, message: impl Into<String>) {
        self.checks.push(Check { level, name, message: message.into() });
    }
    fn ok(&mut self, name: &'static str, message: impl Into<String>) {
        self.add(Level::Ok, name, message);
    }
    fn warn(&mut self, name: &'static str, message: impl Into<String>) {
        self.add(Level::Warn, name, message);
    }
    fn fail(&mut self, name: &'static str, message: impl Into<String>) {
        self.add(Level::Fail, name, message);
    }

    pub fn failed(&self) -> bool {
        self.checks.iter().any(|c| c.level == Level::Fail)
    }

    /// The report as printed: one line per check, every configured secret masked.
    pub fn lines(&self) -> Vec<String> {
        self.checks
            .iter()
            .map(|c| {
                let mut line = format!("{:<4} {}: {}", c.level, c.name, c.message);
                for s in self.secrets.iter().filter(|s| s.len() >= 4) {
                    line = line.replace(s.as_str(), "***");
                }
                line
            })
            .collect()
    }
}

/// Run every check against the configuration `portcullis serve` would load.
pub async fn run(config_file: Option<&Path>) -> Report {
    let mut r = Report::default();
    let config = match Config::load(config_file) {
        Ok(c) => c,
        Err(e) => {
            r.fail("config", format!("{} — fix: correct that setting", config_error(&e)));
            return r;
        }
    };
    r.secrets = secrets_of(&config);
    let source = config_file.map(|p| format!("file {} and the environment", p.display()));
    r.ok("config", format!("parses ({})", source.as_deref().unwrap_or("environment only")));
    check_public_url(&mut r, &config);
    check_listen(&mut r, &config);
    let store = check_database(&mut r, &config).await;
    check_master_key(&mut r, &config, store.as_ref()).await;
    if let Some(s) = &store {
        s.close().await;
    }
    check_tls(&mut r, &config, chrono::Utc::now().timestamp());
    check_mail(&mut r, &config).await;
    check_data_dir(&mut r, &config);
    r
}

/// A configuration error without the file's text: a TOML parse error quotes the offending
/// line, which may hold a secret, so only its position and reason are kept.
fn config_error(e: &ConfigError) -> String {
    match e {
        ConfigError::Parse(path, msg) => {
            let mut lines = msg.lines().map(str::trim).filter(|l| !l.is_empty());
            let at = lines.next().unwrap_or("");
            let why = msg.lines().map(str::trim).rfind(|l| !l.is_empty() && !l.contains('|')).unwrap_or("");
            format!("invalid config file {}: {at}: {why}", path.display())
        }
        e => e.to_string(),
    }
}

/// The values no line may show.
fn secrets_of(c: &Config) -> Vec<String> {
    let mut out: Vec<String> = [&c.master_key, &c.admin_secret_access_key, &c.admin_password, &c.smtp_url]
        .into_iter()
        .flatten()
        .map(|s| s.expose().to_string())
        .collect();
    for u in [c.smtp_url.as_ref().map(|s| s.expose().to_string()), c.database_url.clone()].into_iter().flatten() {
        if let Some(p) = url::Url::parse(&u).ok().and_then(|u| u.password().map(str::to_string)) {
            out.push(p.clone());
            if let Ok(decoded) = percent_encoding::percent_decode_str(&p).decode_utf8() {
                out.push(decoded.into_owned());
            }
        }
    }
    if let Ok(key) = std::fs::read_to_string(c.data_dir.join("master.key")) {
        out.push(key.trim().to_string());
    }
    out
}

fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h == "localhost" || h.ends_with(".localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn check_public_url(r: &mut Report, c: &Config) {
    let host = url::Url::parse(&c.public_url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
    if host.is_empty() {
        r.fail(
            "public URL",
            format!("{} has no host — fix: set PORTCULLIS_PUBLIC_URL to an absolute URL", c.public_url),
        );
    } else if !c.is_https() && !is_loopback_host(&host) {
        r.warn(
            "public URL",
            format!(
                "{} is plain http on a host that is not loopback: cookies are not Secure and tokens cross the \
                 network in clear — fix: use an https PORTCULLIS_PUBLIC_URL (PORTCULLIS_TLS_CERT/KEY or a TLS proxy)",
                c.public_url
            ),
        );
    } else {
        r.ok("public URL", c.public_url.clone());
    }
}

fn check_listen(r: &mut Report, c: &Config) {
    use std::net::ToSocketAddrs;
    match c.listen.to_socket_addrs().map(|mut a| a.next()) {
        Ok(Some(addr)) if addr.to_string() == c.listen => r.ok("listen", c.listen.clone()),
        Ok(Some(addr)) => r.ok("listen", format!("{} ({addr})", c.listen)),
        _ => r.fail(
            "listen",
            format!(
                "{:?} is not an address to bind — fix: set PORTCULLIS_LISTEN to host:port, e.g. 127.0.0.1:9240",
                c.listen
            ),
        ),
    }
}

/// The database as the report names it: the SQLite file, or `scheme://host:port/db` without credentials.
fn database_name(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.scheme() == "sqlite" => url.trim_start_matches("sqlite://").split('?').next().unwrap_or("").into(),
        Ok(u) => format!(
            "{}://{}{}{}",
            u.scheme(),
            u.host_str().unwrap_or(""),
            u.port().map(|p| format!(":{p}")).unwrap_or_default(),
            u.path()
        ),
        Err(_) => "the configured database".into(),
    }
}

async fn check_database(r: &mut Report, c: &Config) -> Option<Store> {
    let url = c.effective_database_url();
    let name = database_name(&url);
    if url.starts_with("sqlite:") {
        let path = PathBuf::from(&name);
        if !path.exists() {
            r.warn(
                "database",
                format!("no database at {name} yet — `portcullis serve` creates it and applies the migrations"),
            );
            return None;
        }
    }
    let store = match Store::connect_unmigrated(&url, 1, DB_TIMEOUT).await {
        Ok(s) => s,
        Err(e) => {
            r.fail(
                "database",
                format!(
                    "cannot connect to {name}: {e} — fix: check PORTCULLIS_DATABASE_URL and that the database is up"
                ),
            );
            return None;
        }
    };
    match store.migration_status().await {
        Ok((_, unknown)) if !unknown.is_empty() => r.warn(
            "database",
            format!(
                "{name} has migrations this binary does not know ({}) — fix: run the release that applied them",
                unknown.iter().map(|v| format!("{v:04}")).collect::<Vec<_>>().join(", ")
            ),
        ),
        Ok((pending, _)) if pending.iter().any(|(v, _)| *v == 1) => {
            r.warn(
                "database",
                format!(
                    "{name} reachable but empty: all {} migrations pending — fix: `portcullis serve` applies them at start",
                    pending.len()
                ),
            );
            store.close().await;
            return None;
        }
        Ok((pending, _)) if pending.is_empty() => {
            r.ok("database", format!("{name} reachable ({}), every migration applied", backend_name(&store)))
        }
        Ok((pending, _)) => r.warn(
            "database",
            format!(
                "{name} reachable, {} migration(s) pending: {} — fix: `portcullis serve` applies them at start",
                pending.len(),
                pending.iter().map(|(v, d)| format!("{v:04} {d}")).collect::<Vec<_>>().join(", ")
            ),
        ),
        Err(e) => r.fail("database", format!("cannot read the migrations of {name}: {e}")),
    }
    let store = store.with_min_free_disk(c.min_free_disk_mb.saturating_mul(1 << 20));
    match store.disk_check() {
        Some(Ok(())) => r.ok("disk", format!("at least {} MB free for {name}", c.min_free_disk_mb)),
        Some(Err(trouble)) => r.fail("disk", format!("{trouble} — fix: free space on the database's file system")),
        None => {}
    }
    Some(store)
}

fn backend_name(s: &Store) -> &'static str {
    match s.backend() {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    }
}

async fn check_master_key(r: &mut Report, c: &Config, store: Option<&Store>) {
    const FIX: &str =
        "fix: use the PORTCULLIS_MASTER_KEY (or the data directory's master.key) the server was started with";
    let master = match MasterKey::load_existing(c.master_key.as_ref().map(|s| s.expose()), &c.data_dir) {
        Ok(m) => m,
        Err(e) => {
            r.fail("master key", format!("{e} — fix: PORTCULLIS_MASTER_KEY is the base64 of 32 bytes"));
            return;
        }
    };
    let Some(store) = store else {
        match master {
            Some(m) => r.ok("master key", format!("key {} loads (no database to check it against)", m.id())),
            None => r.warn("master key", "none yet — `portcullis serve` generates one into the data directory"),
        }
        return;
    };
    let (keys, pools) = match (store.live_signing_keys().await, store.all_pool_ids().await) {
        (Ok(k), Ok(p)) => (k, p),
        (Err(e), _) | (_, Err(e)) => {
            r.fail("master key", format!("cannot read the signing keys: {e}"));
            return;
        }
    };
    let Some(master) = master else {
        if keys.is_empty() {
            r.warn("master key", "none yet — `portcullis serve` generates one into the data directory");
        } else {
            r.fail(
                "master key",
                format!(
                    "none configured and no {} — the stored signing keys cannot be opened; {FIX}",
                    c.data_dir.join("master.key").display()
                ),
            );
        }
        return;
    };
    let mut by_owner: BTreeMap<&str, Vec<&crate::store::keys::SigningKeyRow>> = BTreeMap::new();
    for k in &keys {
        by_owner.entry(k.pool_id.as_str()).or_default().push(k);
    }
    let closed: Vec<String> = keys
        .iter()
        .filter(|k| !crate::tokens::keys::master_opens(&master, k))
        .map(|k| format!("{} key {} of {}", k.state, k.kid, k.pool_id))
        .collect();
    let mut incomplete: Vec<String> = Vec::new();
    for pool in &pools {
        let states: Vec<&str> =
            by_owner.get(pool.as_str()).map(|v| v.iter().map(|k| k.state.as_str()).collect()).unwrap_or_default();
        if !states.contains(&"active") || !states.contains(&"next") {
            incomplete.push(pool.to_string());
        }
    }
    if !closed.is_empty() {
        r.fail(
            "master key",
            format!("key {} cannot open {} signing key(s): {} — {FIX}", master.id(), closed.len(), closed.join("; ")),
        );
    } else if !incomplete.is_empty() {
        r.fail(
            "master key",
            format!(
                "key {} opens every stored key, but pool(s) {} lack an active or next key — fix: \
                 `portcullis keys rotate --pool POOL`",
                master.id(),
                incomplete.join(", ")
            ),
        );
    } else {
        r.ok(
            "master key",
            format!("key {} opens the active and next signing keys of {} issuer(s)", master.id(), by_owner.len()),
        );
    }
}

fn check_tls(r: &mut Report, c: &Config, now: i64) {
    let (Some(cert), Some(key)) = (&c.tls_cert, &c.tls_key) else {
        if c.is_https() && c.trusted_proxies.is_empty() {
            r.warn(
                "TLS",
                "not configured and no trusted proxy, yet the public URL is https — fix: set PORTCULLIS_TLS_CERT \
                 and PORTCULLIS_TLS_KEY, or list the TLS proxy in PORTCULLIS_TRUSTED_PROXIES",
            );
        } else {
            r.ok("TLS", "not configured: serving plain HTTP");
        }
        return;
    };
    let info = match crate::tls::load(cert, key) {
        Ok(l) => l.info,
        Err(e) => {
            r.fail("TLS", format!("{e} — fix: point PORTCULLIS_TLS_CERT/PORTCULLIS_TLS_KEY at a readable PEM pair"));
            return;
        }
    };
    let days = (info.not_after - now).div_euclid(86_400);
    let host = url::Url::parse(&c.public_url).ok().and_then(|u| u.host_str().map(str::to_string)).unwrap_or_default();
    if info.not_after <= now {
        r.fail(
            "TLS",
            format!(
                "{} expired on {} — fix: renew it, then `systemctl reload portcullis`",
                info.subject,
                info.expiry()
            ),
        );
    } else if info.not_before > now {
        r.fail("TLS", format!("{} is not valid yet — fix: check the certificate's dates and the clock", info.subject));
    } else if days < EXPIRY_WARN_DAYS {
        r.warn(
            "TLS",
            format!(
                "{} expires on {} (in {days} days) — fix: renew it, then `systemctl reload portcullis`",
                info.subject,
                info.expiry()
            ),
        );
    } else if !c.is_https() {
        r.warn(
            "TLS",
            format!(
                "the server serves https but the public URL {} is http: issuers, redirects and cookies name http — \
                 fix: set PORTCULLIS_PUBLIC_URL to https://…",
                c.public_url
            ),
        );
    } else if !host.is_empty() && !info.covers(&host) {
        r.warn(
            "TLS",
            format!(
                "{} is not for {host}, the public URL's host (it names {}) — fix: a certificate whose subjectAltName \
                 names {host}, unless a proxy in front presents another",
                info.subject,
                if info.names.is_empty() { "no subjectAltName".to_string() } else { info.names.join(", ") }
            ),
        );
    } else {
        r.ok("TLS", format!("{} valid until {} ({days} days)", info.subject, info.expiry()));
    }
}

async fn check_mail(r: &mut Report, c: &Config) {
    match &c.smtp_url {
        Some(url) => {
            let u = url::Url::parse(url.expose()).ok();
            let server = u
                .as_ref()
                .map(|u| {
                    format!(
                        "{}:{}",
                        u.host_str().unwrap_or(""),
                        u.port().map(|p| p.to_string()).unwrap_or_else(|| "default port".into())
                    )
                })
                .unwrap_or_else(|| "the SMTP server".into());
            match crate::mail::Mailer::check_smtp(url.expose()).await {
                Ok(()) => r.ok("mail", format!("SMTP server {server} answers")),
                Err(e) => r.fail(
                    "mail",
                    format!(
                        "cannot reach SMTP server {server}: {e} — fix: check PORTCULLIS_SMTP_URL (host, port, TLS mode, \
                         credentials) and that the server accepts connections"
                    ),
                ),
            }
        }
        None => {
            let outbox = c.data_dir.join("outbox");
            let Some(dir) = [&outbox, &c.data_dir].into_iter().find(|d| d.exists()) else {
                r.warn(
                    "mail",
                    format!("no PORTCULLIS_SMTP_URL: mails go to {}, created at first start", outbox.display()),
                );
                return;
            };
            match writable(dir) {
                Ok(()) => r.ok("mail", format!("no PORTCULLIS_SMTP_URL: mails go to {}, writable", outbox.display())),
                Err(e) => r.fail(
                    "mail",
                    format!("no PORTCULLIS_SMTP_URL and {} is not writable: {e} — fix: set PORTCULLIS_SMTP_URL or make it writable", dir.display()),
                ),
            }
        }
    }
}

fn check_data_dir(r: &mut Report, c: &Config) {
    let sqlite = c.effective_database_url().starts_with("sqlite:");
    let dir = &c.data_dir;
    if !dir.exists() {
        r.warn("data dir", format!("{} does not exist yet — `portcullis serve` creates it", dir.display()));
        return;
    }
    match writable(dir) {
        Ok(()) => r.ok("data dir", format!("{} writable", dir.display())),
        Err(e) if sqlite => r.fail(
            "data dir",
            format!(
                "{} is not writable: {e} — fix: give the service user write access (the SQLite database lives there)",
                dir.display()
            ),
        ),
        Err(e) => r.warn("data dir", format!("{} is not writable: {e} (only read on PostgreSQL)", dir.display())),
    }
}

/// Whether a file can be created in `dir` (created and removed again).
fn writable(dir: &Path) -> std::io::Result<()> {
    let probe = dir.join(format!(".doctor-{}", crate::crypto::random_token()));
    std::fs::OpenOptions::new().write(true).create_new(true).open(&probe)?;
    std::fs::remove_file(&probe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_with_tls(dir: &Path, not_after: time::OffsetDateTime) -> Config {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["doctor.test".to_string()]).unwrap();
        params.not_before = time::OffsetDateTime::from_unix_timestamp(1_700_000_000).unwrap();
        params.not_after = not_after;
        let cert = params.self_signed(&key).unwrap();
        let pem = |label: &str, der: &[u8]| {
            use base64::Engine;
            format!(
                "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
                base64::engine::general_purpose::STANDARD.encode(der)
            )
        };
        std::fs::write(dir.join("c.pem"), pem("CERTIFICATE", cert.der())).unwrap();
        std::fs::write(dir.join("k.pem"), pem("PRIVATE KEY", &key.serialize_der())).unwrap();
        Config {
            tls_cert: Some(dir.join("c.pem")),
            tls_key: Some(dir.join("k.pem")),
            public_url: "https://doctor.test".into(),
            ..Config::default()
        }
    }

    #[test]
    fn a_certificate_is_ok_warned_about_within_30_days_and_fails_once_expired() {
        let dir = tempfile::tempdir().unwrap();
        let c = config_with_tls(dir.path(), time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap());
        let level_at = |now: i64| {
            let mut r = Report::default();
            check_tls(&mut r, &c, now);
            (r.checks[0].level, r.checks[0].message.clone())
        };
        assert_eq!(level_at(1_800_000_000 - 31 * 86_400).0, Level::Ok);
        let (level, msg) = level_at(1_800_000_000 - 29 * 86_400);
        assert_eq!(level, Level::Warn, "{msg}");
        assert!(msg.contains("in 29 days") && msg.contains("renew"), "{msg}");
        let (level, msg) = level_at(1_800_000_001);
        assert_eq!(level, Level::Fail);
        assert!(msg.contains("expired on 2027-01-15T08:00:00Z"), "{msg}");
        assert_eq!(level_at(1_600_000_000).0, Level::Fail);
        // Valid, but for another host than the public URL's, or served under an http public URL.
        let check = |c: &Config| {
            let mut r = Report::default();
            check_tls(&mut r, c, 1_750_000_000);
            (r.checks[0].level, r.checks[0].message.clone())
        };
        let (level, msg) = check(&Config { public_url: "https://id.other.test".into(), ..c.clone() });
        assert_eq!(level, Level::Warn);
        assert!(msg.contains("is not for id.other.test") && msg.contains("it names doctor.test"), "{msg}");
        let (level, msg) = check(&Config { public_url: "http://doctor.test".into(), ..c.clone() });
        assert_eq!(level, Level::Warn);
        assert!(msg.contains("fix: set PORTCULLIS_PUBLIC_URL to https://"), "{msg}");
    }

    #[test]
    fn secrets_are_masked_and_parse_errors_do_not_quote_the_file() {
        let mut r = Report { secrets: vec!["hunter2-secret".into()], ..Report::default() };
        r.fail("x", "cannot reach smtp://u:hunter2-secret@h:25");
        r.ok("y", "fine");
        assert_eq!(r.lines(), ["FAIL x: cannot reach smtp://u:***@h:25", "ok   y: fine"]);
        assert!(r.failed());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "master_key = \"hunter2-secret\nlisten = 1\n").unwrap();
        let e = Config::load_from(Some(&p), &[]).unwrap_err();
        assert!(e.to_string().contains("hunter2-secret"), "the raw error quotes the line: {e}");
        let shown = config_error(&e);
        assert!(!shown.contains("hunter2-secret") && shown.contains("line 1"), "{shown}");
    }

    #[test]
    fn plain_http_off_loopback_is_a_warning_and_a_bad_listen_address_fails() {
        let mut r = Report::default();
        for url in ["http://id.example.com", "http://127.0.0.1:9240", "http://localhost:1", "https://id.example.com"] {
            check_public_url(&mut r, &Config { public_url: url.into(), ..Config::default() });
        }
        check_listen(&mut r, &Config { listen: "nonsense".into(), ..Config::default() });
        check_listen(&mut r, &Config::default());
        let levels: Vec<Level> = r.checks.iter().map(|c| c.level).collect();
        assert_eq!(levels, [Level::Warn, Level::Ok, Level::Ok, Level::Ok, Level::Fail, Level::Ok]);
        assert!(r.checks[0].message.contains("fix: use an https PORTCULLIS_PUBLIC_URL"));
        assert!(r.checks[4].message.contains("fix: set PORTCULLIS_LISTEN"));
    }

    #[test]
    fn database_names_carry_no_credentials() {
        assert_eq!(
            database_name("postgres://u:pw@db.example:5433/portcullis"),
            "postgres://db.example:5433/portcullis"
        );
        assert_eq!(database_name("sqlite:///var/lib/p/portcullis.db?mode=rwc"), "/var/lib/p/portcullis.db");
    }
}
