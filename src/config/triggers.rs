//! The triggers' part of the configuration: where a pool's `LambdaConfig` functions are invoked.
//!
//! - `PORTCULLIS_LAMBDA_ENDPOINT` (`lambda_endpoint`): the AWS Lambda Invoke API base URL.
//! - `PORTCULLIS_LAMBDA_ACCESS_KEY_ID` + `PORTCULLIS_LAMBDA_SECRET_ACCESS_KEY`
//!   (`lambda_access_key_id`, `lambda_secret_access_key`): SigV4 credentials for it, both or
//!   neither (unset: calls go unsigned).
//! - The file's `[triggers]` table: function ARN → HTTPS webhook URL (`http://` only on
//!   loopback), signed per the Standard Webhooks spec with `PORTCULLIS_TRIGGER_WEBHOOK_SECRET`
//!   (`trigger_webhook_secret`, a `whsec_…` secret); routes without a secret refuse to start.
//! - The file's `[custom_sender_keys]` table: a pool's `LambdaConfig.KMSKeyID` ARN → the path of
//!   a PEM RSA public key; CustomEmailSender codes are encrypted to it (`crate::triggers::sender`).
//!   A file that is not such a key stops start-up.

use super::{ConfigError, Secret};
use base64::Engine;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct TriggerConfig {
    pub lambda_endpoint: Option<String>,
    pub lambda_access_key_id: Option<String>,
    pub lambda_secret_access_key: Option<Secret>,
    /// `whsec_` and the base64 of the HMAC key.
    pub webhook_secret: Option<Secret>,
    /// Function ARN → webhook URL.
    pub webhooks: BTreeMap<String, String>,
    /// The file's `[custom_sender_keys]`: KMSKeyID ARN → PEM file of the RSA public key
    /// CustomEmailSender codes are encrypted to (read when the triggers start).
    pub sender_keys: BTreeMap<String, std::path::PathBuf>,
    /// How often a node looks for queued post-* calls that are due (default
    /// `crate::triggers::retry::RETRY_EVERY_SECS`). Not read from the environment or the file:
    /// tests shorten it.
    #[serde(skip)]
    pub retry_every_secs: Option<u64>,
}

/// The environment variables [`TriggerConfig::set_env`] reads (without `PORTCULLIS_`).
pub const ENV: &[&str] =
    &["LAMBDA_ENDPOINT", "LAMBDA_ACCESS_KEY_ID", "LAMBDA_SECRET_ACCESS_KEY", "TRIGGER_WEBHOOK_SECRET"];

impl TriggerConfig {
    /// One of [`ENV`]; empty is unset.
    pub fn set_env(&mut self, name: &str, v: &str) {
        let v = Some(v.to_string()).filter(|v| !v.is_empty());
        match name {
            "LAMBDA_ENDPOINT" => self.lambda_endpoint = v,
            "LAMBDA_ACCESS_KEY_ID" => self.lambda_access_key_id = v,
            "LAMBDA_SECRET_ACCESS_KEY" => self.lambda_secret_access_key = v.map(Secret::new),
            "TRIGGER_WEBHOOK_SECRET" => self.webhook_secret = v.map(Secret::new),
            _ => {}
        }
    }

    /// The file's keys, over the defaults.
    pub fn take_file(
        &mut self,
        endpoint: Option<String>,
        key_id: Option<String>,
        secret: Option<Secret>,
        webhook_secret: Option<Secret>,
        webhooks: Option<BTreeMap<String, String>>,
    ) {
        self.lambda_endpoint = endpoint.or(self.lambda_endpoint.take());
        self.lambda_access_key_id = key_id.or(self.lambda_access_key_id.take());
        self.lambda_secret_access_key = secret.or(self.lambda_secret_access_key.take());
        self.webhook_secret = webhook_secret.or(self.webhook_secret.take());
        if let Some(w) = webhooks {
            self.webhooks = w;
        }
    }

    /// The HMAC key of the webhook secret.
    pub fn webhook_key(&self) -> Option<Vec<u8>> {
        let s = self.webhook_secret.as_ref()?.expose();
        base64::engine::general_purpose::STANDARD.decode(s.strip_prefix("whsec_")?).ok().filter(|k| !k.is_empty())
    }

    pub fn validate(&mut self) -> Result<(), ConfigError> {
        if let Some(e) = &mut self.lambda_endpoint {
            *e = e.trim_end_matches('/').to_string();
            let ok = url::Url::parse(e).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.query().is_none());
            if !ok {
                return Err(ConfigError::Invalid("PORTCULLIS_LAMBDA_ENDPOINT", "must be an http(s) URL".into()));
            }
        }
        if self.lambda_access_key_id.is_some() != self.lambda_secret_access_key.is_some() {
            return Err(ConfigError::Invalid(
                "PORTCULLIS_LAMBDA_ACCESS_KEY_ID",
                "set both PORTCULLIS_LAMBDA_ACCESS_KEY_ID and PORTCULLIS_LAMBDA_SECRET_ACCESS_KEY, or neither".into(),
            ));
        }
        if self.webhook_secret.is_some() && self.webhook_key().is_none() {
            return Err(ConfigError::Invalid("PORTCULLIS_TRIGGER_WEBHOOK_SECRET", "must be whsec_ and base64".into()));
        }
        crate::triggers::sender::load_keys(&self.sender_keys)
            .map_err(|e| ConfigError::Invalid("custom_sender_keys", e))?;
        for (arn, url) in &self.webhooks {
            if !crate::federation::providers::url_allowed(url) {
                return Err(ConfigError::Invalid("triggers", format!("{arn}: an https URL (http only on loopback)")));
            }
            if self.webhook_secret.is_none() {
                return Err(ConfigError::Invalid(
                    "PORTCULLIS_TRIGGER_WEBHOOK_SECRET",
                    "missing: the [triggers] table routes functions to webhooks, which are signed with it".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, ConfigError};

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn lambda_settings_come_from_env_and_file_and_webhooks_need_a_secret() {
        let c = Config::load_from(
            None,
            &env(&[
                ("PORTCULLIS_LAMBDA_ENDPOINT", "http://127.0.0.1:9001/"),
                ("PORTCULLIS_LAMBDA_ACCESS_KEY_ID", "AKIA1"),
                ("PORTCULLIS_LAMBDA_SECRET_ACCESS_KEY", "lambda-secret"),
            ]),
        )
        .unwrap();
        assert_eq!(c.triggers.lambda_endpoint.as_deref(), Some("http://127.0.0.1:9001"));
        assert!(!format!("{c:?}").contains("lambda-secret"));
        let half = Config::load_from(None, &env(&[("PORTCULLIS_LAMBDA_ACCESS_KEY_ID", "AKIA1")]));
        assert!(half.is_err());
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        let route = "[triggers]\n\"arn:aws:lambda:us-east-1:123456789012:function:f\" = \"https://h.example/f\"\n";
        std::fs::write(&p, route).unwrap();
        let e = Config::load_from(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("PORTCULLIS_TRIGGER_WEBHOOK_SECRET"), "{e}");
        std::fs::write(&p, format!("trigger_webhook_secret = \"whsec_c2VjcmV0\"\n{route}")).unwrap();
        let c = Config::load_from(Some(&p), &[]).unwrap();
        assert_eq!(c.triggers.webhook_key().as_deref(), Some(&b"secret"[..]));
        assert!(!format!("{c:?}").contains("whsec_c2VjcmV0"));
        std::fs::write(&p, "[triggers]\n\"a\" = \"http://h.example/f\"\ntrigger_webhook_secret = \"whsec_c2VjcmV0\"\n")
            .unwrap();
        assert!(matches!(
            Config::load_from(Some(&p), &[]),
            Err(ConfigError::Parse(..)) | Err(ConfigError::Invalid(..))
        ));
        std::fs::write(&p, "lambda_endpoint = \"ftp://x\"\n").unwrap();
        assert!(Config::load_from(Some(&p), &[]).is_err());
    }

    #[test]
    fn custom_sender_keys_come_from_the_file_and_a_bad_pem_stops_start_up() {
        let dir = tempfile::tempdir().unwrap();
        let (p, pem) = (dir.path().join("c.toml"), dir.path().join("k.pem"));
        std::fs::write(&pem, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").unwrap();
        let table =
            format!("[custom_sender_keys]\n\"arn:aws:kms:us-east-1:1:key/k\" = {:?}\n", pem.display().to_string());
        std::fs::write(&p, table).unwrap();
        let e = Config::load_from(Some(&p), &[]).unwrap_err().to_string();
        assert!(e.contains("custom_sender_keys") && e.contains("arn:aws:kms:us-east-1:1:key/k"), "{e}");
        std::fs::write(&p, "[custom_sender_keys]\n").unwrap();
        assert!(Config::load_from(Some(&p), &[]).unwrap().triggers.sender_keys.is_empty());
    }
}
