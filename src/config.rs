//! Typed configuration, layered: defaults → optional TOML file (`--config`) → `PORTCULLIS_*`
//! environment variables. Unknown keys in the file are rejected; secrets are redacted in Debug.

mod triggers;

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
pub use triggers::TriggerConfig;

/// A secret value that never prints.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to bind, e.g. `127.0.0.1:9240` (port 0 picks a free port).
    pub listen: String,
    /// The URL clients see; issuers and endpoints are built from it.
    pub public_url: String,
    /// `sqlite://…` or `postgres://…`; default: a SQLite file in the data dir.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub region: String,
    pub account_id: String,
    pub admin_access_key_id: Option<String>,
    pub admin_secret_access_key: Option<Secret>,
    pub smtp_url: Option<Secret>,
    /// Base64 of 32 bytes; generated into the data dir when unset.
    pub master_key: Option<Secret>,
    /// Base domain under which `CreateUserPoolDomain` prefixes live (`{prefix}.{base}`).
    pub domain_base: String,
    /// Maximum database connections.
    pub database_max_connections: u32,
    /// Milliseconds a request waits for a database connection (a healthy one: each is checked
    /// before use) before it is answered 503 with `Retry-After`.
    pub database_acquire_timeout_ms: u64,
    /// Megabytes that must stay free on an embedded SQLite database's disk for the node to count
    /// as ready (`/health/ready`); below it writes are about to fail.
    pub min_free_disk_mb: u64,
    /// Milliseconds any request may take before it is abandoned and answered 503 with
    /// `Retry-After` (a query in flight when the network to the database is cut never ends).
    pub request_timeout_ms: u64,
    /// Seconds an outbound call to an upstream identity provider may take, connection included.
    pub upstream_timeout_secs: u64,
    /// The issuer identity pools accept `accounts.google.com` logins from. Google's own issuer
    /// is checked against Google's key set; another one (a test or private provider) is found by
    /// its discovery document and matched exactly.
    pub google_issuer_url: String,
    /// The versioned Graph API base identity pools ask about `graph.facebook.com` logins.
    pub facebook_graph_url: String,
    /// Networks whose forwarded headers (`Forwarded`, `X-Forwarded-*`) are believed: the
    /// reverse proxies in front of the server. None by default.
    pub trusted_proxies: Vec<crate::web::client::Cidr>,
    /// Password hashes and checks that may wait for a hashing thread; past it, requests are
    /// refused with TooManyRequestsException. Default: 64 per core.
    pub password_queue: usize,
    /// Threads hashing and checking passwords, each holding argon2's 19 MiB while it works.
    /// Default (and most): one per core, so sign-ins can use every core.
    pub password_hashers: usize,
    /// Per client IP address and 5-minute window: password sign-ins, sign-ups, code mails
    /// (forgot password, resend code) and code entries (confirm sign-up, confirm forgot
    /// password). 0 turns a limit off.
    pub rate_limit_sign_in: u32,
    pub rate_limit_sign_up: u32,
    pub rate_limit_send_code: u32,
    pub rate_limit_confirm_code: u32,
    /// The first dashboard administrator, created once (permanent password, group `admins`)
    /// while the system pool has no administrator. Both or neither.
    pub admin_username: Option<String>,
    pub admin_password: Option<Secret>,
    /// Whether dashboard operators must set up TOTP (`required`, the default) or may (`optional`).
    pub admin_mfa: AdminMfa,
    /// Days the event log keeps events (sign-in events and the audit trail); 0 keeps them for
    /// ever. The janitor deletes older ones.
    pub event_retention_days: u32,
    /// HTTPS: the PEM certificate chain (leaf first) and its private key (PKCS#8, RSA or SEC1).
    /// Both or neither; SIGHUP reloads them from the same paths.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// Where `LambdaConfig` functions are invoked (see [`TriggerConfig`]).
    pub triggers: TriggerConfig,
}

/// `PORTCULLIS_ADMIN_MFA`: the system pool's MFA setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AdminMfa {
    Required,
    Optional,
}

impl AdminMfa {
    fn parse(v: &str) -> Result<Self, ConfigError> {
        match v.trim().to_ascii_lowercase().as_str() {
            "required" => Ok(AdminMfa::Required),
            "optional" => Ok(AdminMfa::Optional),
            _ => Err(ConfigError::Invalid("PORTCULLIS_ADMIN_MFA", format!("{v} (use required or optional)"))),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:9240".into(),
            public_url: "http://localhost:9240".into(),
            database_url: None,
            data_dir: PathBuf::from("./portcullis-data"),
            region: "local".into(),
            account_id: "000000000000".into(),
            admin_access_key_id: None,
            admin_secret_access_key: None,
            smtp_url: None,
            master_key: None,
            domain_base: "auth.localhost".into(),
            database_max_connections: 16,
            database_acquire_timeout_ms: 2000,
            min_free_disk_mb: 8,
            request_timeout_ms: 30_000,
            upstream_timeout_secs: 10,
            google_issuer_url: crate::federation::providers::GOOGLE_ISSUER.into(),
            facebook_graph_url: format!(
                "https://graph.facebook.com/{}",
                crate::federation::providers::FACEBOOK_API_VERSION
            ),
            trusted_proxies: Vec::new(),
            password_queue: 64 * cores(),
            password_hashers: cores(),
            rate_limit_sign_in: 300,
            rate_limit_sign_up: 50,
            rate_limit_send_code: 50,
            rate_limit_confirm_code: 100,
            admin_username: None,
            admin_password: None,
            admin_mfa: AdminMfa::Required,
            event_retention_days: 90,
            tls_cert: None,
            tls_key: None,
            triggers: TriggerConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {0}: {1}")]
    Read(PathBuf, std::io::Error),
    #[error("invalid config file {0}: {1}")]
    Parse(PathBuf, String),
    #[error("invalid value for {0}: {1}")]
    Invalid(&'static str, String),
}

/// The file form: every key optional, unknown keys rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    public_url: Option<String>,
    database_url: Option<String>,
    data_dir: Option<PathBuf>,
    region: Option<String>,
    account_id: Option<String>,
    admin_access_key_id: Option<String>,
    admin_secret_access_key: Option<Secret>,
    smtp_url: Option<Secret>,
    master_key: Option<Secret>,
    domain_base: Option<String>,
    database_max_connections: Option<u32>,
    database_acquire_timeout_ms: Option<u64>,
    min_free_disk_mb: Option<u64>,
    request_timeout_ms: Option<u64>,
    upstream_timeout_secs: Option<u64>,
    google_issuer_url: Option<String>,
    facebook_graph_url: Option<String>,
    /// Comma-separated CIDRs, or a list of them.
    trusted_proxies: Option<CidrList>,
    password_queue: Option<usize>,
    password_hashers: Option<usize>,
    rate_limit_sign_in: Option<u32>,
    rate_limit_sign_up: Option<u32>,
    rate_limit_send_code: Option<u32>,
    rate_limit_confirm_code: Option<u32>,
    admin_username: Option<String>,
    admin_password: Option<Secret>,
    admin_mfa: Option<AdminMfa>,
    event_retention_days: Option<u32>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    lambda_endpoint: Option<String>,
    lambda_access_key_id: Option<String>,
    lambda_secret_access_key: Option<Secret>,
    trigger_webhook_secret: Option<Secret>,
    /// Function ARN → webhook URL.
    triggers: Option<BTreeMap<String, String>>,
    /// KMSKeyID ARN → PEM public key file.
    custom_sender_keys: Option<BTreeMap<String, PathBuf>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum CidrList {
    Text(String),
    List(Vec<String>),
}

/// The cores this process may use (its CPU quota counted): the password hashers (one per core at
/// most), their queue and the allocator's arenas are sized by it.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn trusted_proxies(list: &str) -> Result<Vec<crate::web::client::Cidr>, ConfigError> {
    crate::web::client::parse_cidrs(list).map_err(|e| ConfigError::Invalid("PORTCULLIS_TRUSTED_PROXIES", e))
}

impl Config {
    /// Defaults, then the file (if any), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let vars: Vec<(String, String)> = std::env::vars().collect();
        Self::load_from(file, &vars)
    }

    pub fn load_from(file: Option<&Path>, env: &[(String, String)]) -> Result<Config, ConfigError> {
        let mut c = Config::default();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read(path.into(), e))?;
            let f: FileConfig = toml::from_str(&text).map_err(|e| ConfigError::Parse(path.into(), e.to_string()))?;
            macro_rules! take {
                ($($field:ident),*) => { $( if let Some(v) = f.$field { c.$field = v; } )* };
            }
            take!(
                listen,
                public_url,
                data_dir,
                region,
                account_id,
                domain_base,
                database_max_connections,
                database_acquire_timeout_ms,
                min_free_disk_mb,
                request_timeout_ms,
                upstream_timeout_secs,
                google_issuer_url,
                facebook_graph_url,
                password_queue,
                password_hashers,
                rate_limit_sign_in,
                rate_limit_sign_up,
                rate_limit_send_code,
                rate_limit_confirm_code,
                admin_mfa,
                event_retention_days
            );
            let (t, w) = (f.trigger_webhook_secret, f.triggers);
            c.triggers.take_file(f.lambda_endpoint, f.lambda_access_key_id, f.lambda_secret_access_key, t, w);
            c.triggers.sender_keys = f.custom_sender_keys.unwrap_or_default();
            if f.tls_cert.is_some() {
                c.tls_cert = f.tls_cert;
            }
            if f.tls_key.is_some() {
                c.tls_key = f.tls_key;
            }
            if f.admin_username.is_some() {
                c.admin_username = f.admin_username;
            }
            if f.admin_password.is_some() {
                c.admin_password = f.admin_password;
            }
            match f.trusted_proxies {
                Some(CidrList::Text(t)) => c.trusted_proxies = trusted_proxies(&t)?,
                Some(CidrList::List(l)) => c.trusted_proxies = trusted_proxies(&l.join(","))?,
                None => {}
            }
            if f.database_url.is_some() {
                c.database_url = f.database_url;
            }
            if f.admin_access_key_id.is_some() {
                c.admin_access_key_id = f.admin_access_key_id;
            }
            if f.admin_secret_access_key.is_some() {
                c.admin_secret_access_key = f.admin_secret_access_key;
            }
            if f.smtp_url.is_some() {
                c.smtp_url = f.smtp_url;
            }
            if f.master_key.is_some() {
                c.master_key = f.master_key;
            }
        }
        for (k, v) in env {
            let Some(name) = k.strip_prefix("PORTCULLIS_") else {
                continue;
            };
            match name {
                "LISTEN" => c.listen = v.clone(),
                "PUBLIC_URL" => c.public_url = v.clone(),
                "DATABASE_URL" => c.database_url = Some(v.clone()),
                "DATA_DIR" => c.data_dir = PathBuf::from(v),
                "REGION" => c.region = v.clone(),
                "ACCOUNT_ID" => c.account_id = v.clone(),
                "ADMIN_ACCESS_KEY_ID" => c.admin_access_key_id = Some(v.clone()),
                "ADMIN_SECRET_ACCESS_KEY" => c.admin_secret_access_key = Some(Secret::new(v)),
                "SMTP_URL" => c.smtp_url = Some(Secret::new(v)),
                "MASTER_KEY" => c.master_key = Some(Secret::new(v)),
                "DOMAIN_BASE" => c.domain_base = v.clone(),
                "GOOGLE_ISSUER_URL" => c.google_issuer_url = v.clone(),
                "FACEBOOK_GRAPH_URL" => c.facebook_graph_url = v.clone(),
                // Empty (as an EnvironmentFile may leave it) is unset.
                "TLS_CERT" => c.tls_cert = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty()),
                "TLS_KEY" => c.tls_key = Some(PathBuf::from(v)).filter(|p| !p.as_os_str().is_empty()),
                "ADMIN_USERNAME" => c.admin_username = Some(v.clone()),
                "ADMIN_PASSWORD" => c.admin_password = Some(Secret::new(v)),
                "ADMIN_MFA" => c.admin_mfa = AdminMfa::parse(v)?,
                "DATABASE_MAX_CONNECTIONS" => {
                    c.database_max_connections =
                        v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_DATABASE_MAX_CONNECTIONS", v.clone()))?
                }
                "DATABASE_ACQUIRE_TIMEOUT_MS" => {
                    c.database_acquire_timeout_ms = v
                        .parse()
                        .map_err(|_| ConfigError::Invalid("PORTCULLIS_DATABASE_ACQUIRE_TIMEOUT_MS", v.clone()))?
                }
                "REQUEST_TIMEOUT_MS" => {
                    c.request_timeout_ms =
                        v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_REQUEST_TIMEOUT_MS", v.clone()))?
                }
                "MIN_FREE_DISK_MB" => {
                    c.min_free_disk_mb =
                        v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_MIN_FREE_DISK_MB", v.clone()))?
                }
                "TRUSTED_PROXIES" => c.trusted_proxies = trusted_proxies(v)?,
                "PASSWORD_QUEUE" => {
                    c.password_queue =
                        v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_PASSWORD_QUEUE", v.clone()))?
                }
                "PASSWORD_HASHERS" => {
                    c.password_hashers =
                        v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_PASSWORD_HASHERS", v.clone()))?
                }
                "RATE_LIMIT_SIGN_IN" | "RATE_LIMIT_SIGN_UP" | "RATE_LIMIT_SEND_CODE" | "RATE_LIMIT_CONFIRM_CODE" => {
                    let n: u32 = v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_RATE_LIMIT_*", v.clone()))?;
                    match name {
                        "RATE_LIMIT_SIGN_IN" => c.rate_limit_sign_in = n,
                        "RATE_LIMIT_SIGN_UP" => c.rate_limit_sign_up = n,
                        "RATE_LIMIT_SEND_CODE" => c.rate_limit_send_code = n,
                        _ => c.rate_limit_confirm_code = n,
                    }
                }
                "EVENT_RETENTION_DAYS" => {
                    c.event_retention_days =
                        v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_EVENT_RETENTION_DAYS", v.clone()))?
                }
                "UPSTREAM_TIMEOUT_SECS" => {
                    c.upstream_timeout_secs =
                        v.parse().map_err(|_| ConfigError::Invalid("PORTCULLIS_UPSTREAM_TIMEOUT_SECS", v.clone()))?
                }
                n if triggers::ENV.contains(&n) => c.triggers.set_env(n, v),
                _ => {}
            }
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&mut self) -> Result<(), ConfigError> {
        self.public_url = self.public_url.trim_end_matches('/').to_string();
        let url = url::Url::parse(&self.public_url)
            .map_err(|e| ConfigError::Invalid("PORTCULLIS_PUBLIC_URL", e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.query().is_some() || url.fragment().is_some() {
            return Err(ConfigError::Invalid("PORTCULLIS_PUBLIC_URL", "must be an http(s) URL without query".into()));
        }
        if self.account_id.len() != 12 || !self.account_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::Invalid("PORTCULLIS_ACCOUNT_ID", "must be 12 digits".into()));
        }
        let region_ok = !self.region.is_empty()
            && self.region.len() <= 32
            && self.region.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !region_ok {
            return Err(ConfigError::Invalid("PORTCULLIS_REGION", "letters, digits and '-' only".into()));
        }
        if self.admin_access_key_id.is_some() != self.admin_secret_access_key.is_some() {
            return Err(ConfigError::Invalid(
                "PORTCULLIS_ADMIN_ACCESS_KEY_ID",
                "set both PORTCULLIS_ADMIN_ACCESS_KEY_ID and PORTCULLIS_ADMIN_SECRET_ACCESS_KEY, or neither".into(),
            ));
        }
        for (name, value) in [
            ("PORTCULLIS_GOOGLE_ISSUER_URL", &mut self.google_issuer_url),
            ("PORTCULLIS_FACEBOOK_GRAPH_URL", &mut self.facebook_graph_url),
        ] {
            *value = value.trim_end_matches('/').to_string();
            let plain = url::Url::parse(value).is_ok_and(|u| u.query().is_none() && u.fragment().is_none());
            if !plain || !crate::federation::providers::url_allowed(value) {
                return Err(ConfigError::Invalid(name, "must be an https URL (http only on a loopback host)".into()));
            }
        }
        if self.admin_username.is_some() != self.admin_password.is_some() {
            return Err(ConfigError::Invalid(
                "PORTCULLIS_ADMIN_USERNAME",
                "set both PORTCULLIS_ADMIN_USERNAME and PORTCULLIS_ADMIN_PASSWORD, or neither".into(),
            ));
        }
        match (&self.tls_cert, &self.tls_key) {
            (Some(_), None) => {
                return Err(ConfigError::Invalid(
                    "PORTCULLIS_TLS_KEY",
                    "missing: PORTCULLIS_TLS_CERT is set, so set PORTCULLIS_TLS_KEY to its private key file too".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid(
                    "PORTCULLIS_TLS_CERT",
                    "missing: PORTCULLIS_TLS_KEY is set, so set PORTCULLIS_TLS_CERT to its certificate file too".into(),
                ));
            }
            _ => {}
        }
        if self.password_hashers == 0 || self.password_hashers > cores() {
            return Err(ConfigError::Invalid(
                "PORTCULLIS_PASSWORD_HASHERS",
                format!("must be between 1 and the number of cores ({})", cores()),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid("PORTCULLIS_DATABASE_MAX_CONNECTIONS", "must be at least 1".into()));
        }
        if self.request_timeout_ms < 1000 {
            return Err(ConfigError::Invalid("PORTCULLIS_REQUEST_TIMEOUT_MS", "must be at least 1000".into()));
        }
        if self.database_acquire_timeout_ms == 0 {
            return Err(ConfigError::Invalid("PORTCULLIS_DATABASE_ACQUIRE_TIMEOUT_MS", "must be at least 1".into()));
        }
        self.triggers.validate()
    }

    /// The database URL in force: the configured one or the SQLite file in the data dir.
    pub fn effective_database_url(&self) -> String {
        match &self.database_url {
            Some(u) => u.clone(),
            None => format!("sqlite://{}?mode=rwc", self.data_dir.join("portcullis.db").display()),
        }
    }

    /// Whether the public URL is https (cookies get `Secure`).
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn env_overrides_defaults_and_trims_public_url() {
        let c = Config::load_from(
            None,
            &env(&[("PORTCULLIS_PUBLIC_URL", "https://id.example.com/"), ("PORTCULLIS_REGION", "eu-west-1")]),
        )
        .unwrap();
        assert_eq!(c.public_url, "https://id.example.com");
        assert_eq!(c.region, "eu-west-1");
        assert_eq!(c.listen, "127.0.0.1:9240");
        assert!(c.is_https());
    }

    #[test]
    fn rejects_bad_account_id_and_half_a_key_pair() {
        assert!(Config::load_from(None, &env(&[("PORTCULLIS_ACCOUNT_ID", "123")])).is_err());
        assert!(Config::load_from(None, &env(&[("PORTCULLIS_ADMIN_ACCESS_KEY_ID", "AKIA1")])).is_err());
    }

    #[test]
    fn file_rejects_unknown_keys_and_env_wins_over_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "listen = \"0.0.0.0:1\"\nbogus = 1\n").unwrap();
        assert!(matches!(Config::load_from(Some(&p), &[]), Err(ConfigError::Parse(..))));
        std::fs::write(&p, "listen = \"0.0.0.0:1\"\nregion = \"a\"\n").unwrap();
        let c = Config::load_from(Some(&p), &env(&[("PORTCULLIS_REGION", "b")])).unwrap();
        assert_eq!(c.listen, "0.0.0.0:1");
        assert_eq!(c.region, "b");
    }

    #[test]
    fn upstream_overrides_are_https_or_loopback_urls() {
        let c = Config::load_from(None, &[]).unwrap();
        assert_eq!(c.google_issuer_url, "https://accounts.google.com");
        assert_eq!(c.facebook_graph_url, "https://graph.facebook.com/v17.0");
        let c = Config::load_from(None, &env(&[("PORTCULLIS_FACEBOOK_GRAPH_URL", "http://127.0.0.1:9/v1/")])).unwrap();
        assert_eq!(c.facebook_graph_url, "http://127.0.0.1:9/v1");
        assert!(Config::load_from(None, &env(&[("PORTCULLIS_GOOGLE_ISSUER_URL", "http://idp.example")])).is_err());
        assert!(Config::load_from(None, &env(&[("PORTCULLIS_FACEBOOK_GRAPH_URL", "https://g.example/?x=1")])).is_err());
    }

    #[test]
    fn password_hashers_are_one_per_core_at_most() {
        let cores = cores();
        assert_eq!(Config::load_from(None, &[]).unwrap().password_hashers, cores);
        let c = Config::load_from(None, &env(&[("PORTCULLIS_PASSWORD_HASHERS", "1")])).unwrap();
        assert_eq!(c.password_hashers, 1);
        for bad in ["0".to_string(), (cores + 1).to_string(), "two".into()] {
            let e = Config::load_from(None, &env(&[("PORTCULLIS_PASSWORD_HASHERS", &bad)])).unwrap_err().to_string();
            assert!(e.contains("PORTCULLIS_PASSWORD_HASHERS"), "{bad}: {e}");
        }
    }

    #[test]
    fn trusted_proxies_parse_from_env_and_file_and_a_bad_cidr_is_refused() {
        assert!(Config::load_from(None, &[]).unwrap().trusted_proxies.is_empty());
        let c = Config::load_from(None, &env(&[("PORTCULLIS_TRUSTED_PROXIES", "10.0.0.0/8, fd00::/8")])).unwrap();
        assert_eq!(format!("{:?}", c.trusted_proxies), "[10.0.0.0/8, fd00::/8]");
        let e = Config::load_from(None, &env(&[("PORTCULLIS_TRUSTED_PROXIES", "10.0.0.0/8,10.0.0.300/8")]));
        let msg = e.unwrap_err().to_string();
        assert!(msg.contains("PORTCULLIS_TRUSTED_PROXIES") && msg.contains("10.0.0.300/8"), "{msg}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "trusted_proxies = [\"127.0.0.0/8\", \"::1\"]\npassword_queue = 3\n").unwrap();
        let c = Config::load_from(Some(&p), &[]).unwrap();
        assert_eq!(format!("{:?}", c.trusted_proxies), "[127.0.0.0/8, ::1/128]");
        assert_eq!(c.password_queue, 3);
        std::fs::write(&p, "trusted_proxies = \"192.168.0.0/16\"\n").unwrap();
        assert_eq!(Config::load_from(Some(&p), &[]).unwrap().trusted_proxies.len(), 1);
        std::fs::write(&p, "trusted_proxies = \"192.168.0.0/40\"\n").unwrap();
        assert!(Config::load_from(Some(&p), &[]).is_err());
        let c = Config::load_from(None, &env(&[("PORTCULLIS_RATE_LIMIT_SIGN_IN", "0")])).unwrap();
        assert_eq!(c.rate_limit_sign_in, 0);
        assert!(Config::load_from(None, &env(&[("PORTCULLIS_RATE_LIMIT_SIGN_UP", "-1")])).is_err());
    }

    #[test]
    fn event_retention_defaults_to_90_days_and_0_keeps_events() {
        assert_eq!(Config::load_from(None, &[]).unwrap().event_retention_days, 90);
        let c = Config::load_from(None, &env(&[("PORTCULLIS_EVENT_RETENTION_DAYS", "0")])).unwrap();
        assert_eq!(c.event_retention_days, 0);
        assert!(Config::load_from(None, &env(&[("PORTCULLIS_EVENT_RETENTION_DAYS", "-1")])).is_err());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "event_retention_days = 30\n").unwrap();
        assert_eq!(Config::load_from(Some(&p), &[]).unwrap().event_retention_days, 30);
    }

    #[test]
    fn tls_files_come_in_pairs_from_env_or_file() {
        let c = Config::load_from(
            None,
            &env(&[("PORTCULLIS_TLS_CERT", "/etc/p/cert.pem"), ("PORTCULLIS_TLS_KEY", "/etc/p/key.pem")]),
        )
        .unwrap();
        assert_eq!(c.tls_cert.as_deref(), Some(Path::new("/etc/p/cert.pem")));
        assert_eq!(c.tls_key.as_deref(), Some(Path::new("/etc/p/key.pem")));
        let e = Config::load_from(None, &env(&[("PORTCULLIS_TLS_CERT", "/c.pem")])).unwrap_err().to_string();
        assert!(e.starts_with("invalid value for PORTCULLIS_TLS_KEY: missing"), "{e}");
        let e = Config::load_from(None, &env(&[("PORTCULLIS_TLS_KEY", "/k.pem")])).unwrap_err().to_string();
        assert!(e.starts_with("invalid value for PORTCULLIS_TLS_CERT: missing"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "tls_cert = \"/f/cert.pem\"\n").unwrap();
        assert!(Config::load_from(Some(&p), &[]).is_err());
        let c = Config::load_from(Some(&p), &env(&[("PORTCULLIS_TLS_KEY", "/e/key.pem")])).unwrap();
        assert_eq!(c.tls_cert.as_deref(), Some(Path::new("/f/cert.pem")));
        assert_eq!(c.tls_key.as_deref(), Some(Path::new("/e/key.pem")));
    }

    #[test]
    fn secrets_do_not_print() {
        let c = Config::load_from(None, &env(&[("PORTCULLIS_MASTER_KEY", "topsecret")])).unwrap();
        assert!(!format!("{c:?}").contains("topsecret"));
    }
}
