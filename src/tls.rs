//! HTTPS: the certificate chain and private key named by `PORTCULLIS_TLS_CERT` and
//! `PORTCULLIS_TLS_KEY` (PEM files), served through rustls on aws-lc-rs. actix offers HTTP/2 and
//! HTTP/1.1 through ALPN. The certificate in use lives in a [`CertStore`], the server's
//! certificate resolver: [`CertStore::reload`] (what SIGHUP runs) reads both files again and
//! swaps the new pair in for the handshakes that follow, without a restart and without touching
//! open connections; a pair that does not load leaves the old one in place.

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Why a certificate or key file could not be used; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("TLS certificate file {0}: {1}")]
    Cert(PathBuf, String),
    #[error("TLS key file {0}: {1}")]
    Key(PathBuf, String),
    #[error("TLS set-up failed: {0}")]
    Setup(String),
}

/// What an operator wants to know about a certificate: whom it names and how long it lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub subject: String,
    /// The host names and IP addresses it is for (subjectAltName: DNS names, IPs as text).
    pub names: Vec<String>,
    /// Epoch seconds.
    pub not_before: i64,
    pub not_after: i64,
}

impl CertInfo {
    /// Whether it is for `host` (a name or an IP address): a name it lists (case-insensitive),
    /// or a `*.` wildcard of it standing for exactly one label (RFC 6125 §6.4.3).
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        self.names.iter().map(|n| n.to_ascii_lowercase()).any(|name| match name.strip_prefix("*.") {
            Some(parent) => host.split_once('.').is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
            None => name == host,
        })
    }

    /// `not_after` as RFC 3339 (UTC).
    pub fn expiry(&self) -> String {
        chrono::DateTime::from_timestamp(self.not_after, 0)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| self.not_after.to_string())
    }
}

/// A certificate chain with its private key, ready for handshakes.
pub struct LoadedCert {
    pub key: Arc<CertifiedKey>,
    pub info: CertInfo,
}

fn provider() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Read and check the pair: PEM certificates (leaf first) and a PKCS#8, RSA or SEC1 key that
/// belongs to the leaf.
pub fn load(cert_path: &Path, key_path: &Path) -> Result<LoadedCert, TlsError> {
    let cert_err = |why: String| TlsError::Cert(cert_path.to_path_buf(), why);
    let key_err = |why: String| TlsError::Key(key_path.to_path_buf(), why);
    let cert_pem = std::fs::read(cert_path).map_err(|e| cert_err(format!("cannot read it: {e}")))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| cert_err(format!("not a PEM file: {e}")))?;
    let Some(leaf) = chain.first() else {
        return Err(cert_err("no CERTIFICATE block in it".into()));
    };
    let info = describe(leaf).map_err(|e| cert_err(format!("not a valid X.509 certificate: {e}")))?;
    let key_pem = std::fs::read(key_path).map_err(|e| key_err(format!("cannot read it: {e}")))?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| match e {
        rustls::pki_types::pem::Error::NoItemsFound => {
            key_err("no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block in it".into())
        }
        e => key_err(format!("not a PEM file: {e}")),
    })?;
    let signing_key = provider()
        .key_provider
        .load_private_key(key_der)
        .map_err(|e| key_err(format!("not a usable private key: {e}")))?;
    let key = CertifiedKey::new(chain, signing_key);
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) = key.keys_match() {
        return Err(key_err(format!("the key does not belong to the certificate in {}", cert_path.display())));
    }
    Ok(LoadedCert { key: Arc::new(key), info })
}

/// The subject and validity of a DER certificate.
pub fn describe(der: &CertificateDer<'_>) -> Result<CertInfo, String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).map_err(|e| e.to_string())?;
    let validity = cert.validity();
    let mut names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(n) => names.push(n.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(b) => {
                    let ip = match b.len() {
                        4 => <[u8; 4]>::try_from(*b).ok().map(std::net::IpAddr::from),
                        16 => <[u8; 16]>::try_from(*b).ok().map(std::net::IpAddr::from),
                        _ => None,
                    };
                    names.extend(ip.map(|ip| ip.to_string()));
                }
                _ => {}
            }
        }
    }
    Ok(CertInfo {
        subject: cert.subject().to_string(),
        names,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
    })
}

/// The certificate the server presents, swapped in place by [`CertStore::reload`].
pub struct CertStore {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<Arc<LoadedCert>>,
}

impl std::fmt::Debug for CertStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertStore").field("cert", &self.cert_path).field("key", &self.key_path).finish()
    }
}

impl CertStore {
    /// Load the pair once; a start-up with files that do not load fails with the reason.
    pub fn open(cert_path: &Path, key_path: &Path) -> Result<Arc<CertStore>, TlsError> {
        let loaded = load(cert_path, key_path)?;
        tracing::info!(subject = %loaded.info.subject, expires = %loaded.info.expiry(), "TLS certificate loaded");
        Ok(Arc::new(CertStore {
            cert_path: cert_path.to_path_buf(),
            key_path: key_path.to_path_buf(),
            current: RwLock::new(Arc::new(loaded)),
        }))
    }

    /// The certificate handshakes present now.
    pub fn current(&self) -> CertInfo {
        self.read().info.clone()
    }

    fn read(&self) -> Arc<LoadedCert> {
        // A writer never panics while holding the lock (it only swaps an Arc), so a poisoned
        // lock still holds a whole value.
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Read both files again. On success the new pair serves every handshake from now on
    /// (connections already open keep theirs); on failure the old pair stays and the reason,
    /// naming the file, is logged and returned.
    pub fn reload(&self) -> Result<CertInfo, TlsError> {
        match load(&self.cert_path, &self.key_path) {
            Ok(loaded) => {
                let info = loaded.info.clone();
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(loaded);
                tracing::info!(subject = %info.subject, expires = %info.expiry(), "TLS certificate reloaded");
                Ok(info)
            }
            Err(e) => {
                tracing::error!(error = %e, "TLS reload failed; the previous certificate stays in use");
                Err(e)
            }
        }
    }

    /// The rustls configuration that presents this store's certificate (TLS 1.2 and 1.3, no
    /// client certificates; actix adds the ALPN protocols h2 and http/1.1).
    pub fn server_config(self: &Arc<Self>) -> Result<rustls::ServerConfig, TlsError> {
        Ok(rustls::ServerConfig::builder_with_provider(Arc::new(provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Setup(e.to_string()))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone()))
    }
}

impl ResolvesServerCert for CertStore {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.read().key.clone())
    }
}

/// On SIGHUP, reload the certificate (when there is one); the process keeps running either
/// way (without this handler SIGHUP would end it).
pub fn reload_on_hangup(store: Option<Arc<CertStore>>) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                match &store {
                    // `reload` logs the outcome itself.
                    Some(s) => {
                        let _ = s.reload();
                    }
                    None => tracing::info!("SIGHUP: TLS is not configured, nothing to reload"),
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = store;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pem(label: &str, der: &[u8]) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
        format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
    }

    fn self_signed(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params.distinguished_name.push(rcgen::DnType::CommonName, name);
        let cert = params.self_signed(&key).unwrap();
        (pem("CERTIFICATE", cert.der()), pem("PRIVATE KEY", &key.serialize_der()))
    }

    #[test]
    fn each_bad_file_is_named_with_its_problem() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = self_signed("one.test");
        let (_, other_key) = self_signed("two.test");
        let c = dir.path().join("cert.pem");
        let k = dir.path().join("key.pem");
        let missing = dir.path().join("missing.pem");
        std::fs::write(&c, &cert).unwrap();
        std::fs::write(&k, &key).unwrap();
        let ok = load(&c, &k).unwrap();
        assert!(ok.info.subject.contains("CN=one.test"), "{}", ok.info.subject);
        assert!(ok.info.not_after > ok.info.not_before);
        assert_eq!(ok.info.names, ["one.test"]);
        assert!(ok.info.covers("ONE.test") && !ok.info.covers("two.test") && !ok.info.covers("a.one.test"));
        let wild =
            CertInfo { names: vec!["*.example.com".into(), "127.0.0.1".into(), "::1".into()], ..ok.info.clone() };
        assert!(wild.covers("id.example.com") && wild.covers("127.0.0.1") && wild.covers("[::1]"));
        assert!(!wild.covers("example.com") && !wild.covers("a.b.example.com") && !wild.covers(".example.com"));

        let e = load(&missing, &k).err().unwrap().to_string();
        assert!(e.starts_with(&format!("TLS certificate file {}: cannot read it", missing.display())), "{e}");
        let e = load(&c, &missing).err().unwrap().to_string();
        assert!(e.starts_with(&format!("TLS key file {}: cannot read it", missing.display())), "{e}");
        // Cert and key swapped: neither file holds what it should.
        let e = load(&k, &c).err().unwrap().to_string();
        assert!(e.contains("no CERTIFICATE block"), "{e}");
        let e = load(&c, &c).err().unwrap().to_string();
        assert!(e.starts_with("TLS key file") && e.contains("no PRIVATE KEY"), "{e}");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n").unwrap();
        let e = load(&junk, &k).err().unwrap().to_string();
        assert!(e.starts_with(&format!("TLS certificate file {}", junk.display())), "{e}");
        let other = dir.path().join("other.pem");
        std::fs::write(&other, &other_key).unwrap();
        let e = load(&c, &other).err().unwrap().to_string();
        assert!(e.contains("does not belong to the certificate"), "{e}");
    }

    #[test]
    fn a_reload_swaps_a_good_pair_in_and_keeps_the_old_one_on_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let c = dir.path().join("cert.pem");
        let k = dir.path().join("key.pem");
        let (cert, key) = self_signed("one.test");
        std::fs::write(&c, &cert).unwrap();
        std::fs::write(&k, &key).unwrap();
        let store = CertStore::open(&c, &k).unwrap();
        assert!(store.current().subject.contains("one.test"));
        let (cert, key) = self_signed("two.test");
        std::fs::write(&c, &cert).unwrap();
        std::fs::write(&k, &key).unwrap();
        assert!(store.reload().unwrap().subject.contains("two.test"));
        assert!(store.current().subject.contains("two.test"));
        std::fs::write(&k, "garbage").unwrap();
        assert!(store.reload().is_err());
        assert!(store.current().subject.contains("two.test"));
    }
}
