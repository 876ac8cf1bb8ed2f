//! Secrets at rest and randomness: the master key, AEAD sealing of recoverable secrets (with a
//! key id), opaque random tokens, SHA-256 digests of tokens, constant-time comparison.
//!
//! The primitives (SHA-256, HMAC-SHA256, AES-256-GCM, constant-time comparison) are aws-lc-rs,
//! the same library that backs TLS. [`sigv4`] holds the AWS SigV4 signing both directions share.

pub mod esdk;
pub mod sigv4;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::{constant_time, digest, hmac};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error("master key: {0}")]
    MasterKey(String),
    #[error("sealed value is malformed or was sealed with another key")]
    Unseal,
}

/// The key that encrypts recoverable secrets (signing keys, access-key secrets, …).
#[derive(Clone)]
pub struct MasterKey {
    cipher: Arc<LessSafeKey>,
    id: String,
    mac_key: hmac::Key,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.id)
    }
}

impl MasterKey {
    pub fn from_bytes(bytes: &[u8; 32]) -> Self {
        let id = hex::encode(&sha256(bytes)[..4]);
        let mac_key = sha256(&[b"portcullis-mac-v1".as_slice(), bytes].concat());
        // AES-256-GCM takes exactly this 32-byte key.
        let cipher = UnboundKey::new(&AES_256_GCM, bytes).expect("AES-256-GCM key of 32 bytes");
        MasterKey {
            cipher: Arc::new(LessSafeKey::new(cipher)),
            id,
            mac_key: hmac::Key::new(hmac::HMAC_SHA256, &mac_key),
        }
    }

    /// Parse a base64 (standard or url-safe) 32-byte key.
    pub fn from_base64(s: &str) -> Result<Self, CryptoError> {
        let s = s.trim();
        let raw = STANDARD
            .decode(s)
            .or_else(|_| URL_SAFE_NO_PAD.decode(s))
            .map_err(|_| CryptoError::MasterKey("not base64".into()))?;
        let arr: [u8; 32] =
            raw.try_into().map_err(|_| CryptoError::MasterKey("must decode to exactly 32 bytes".into()))?;
        Ok(Self::from_bytes(&arr))
    }

    /// Use the configured key, else the one in `{data_dir}/master.key`, else generate that file (0600).
    pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<Self, CryptoError> {
        if let Some(k) = configured {
            return Self::from_base64(k);
        }
        let path = data_dir.join("master.key");
        if let Ok(text) = std::fs::read_to_string(&path) {
            return Self::from_base64(&text);
        }
        create_private_dir(data_dir).map_err(|e| CryptoError::MasterKey(e.to_string()))?;
        let bytes: [u8; 32] = random_array();
        let encoded = STANDARD.encode(bytes);
        write_private_file(&path, encoded.as_bytes()).map_err(|e| CryptoError::MasterKey(e.to_string()))?;
        Ok(Self::from_bytes(&bytes))
    }

    /// The key `load_or_create` would use, without creating one: `Ok(None)` when neither is
    /// configured nor `{data_dir}/master.key` exists.
    pub fn load_existing(configured: Option<&str>, data_dir: &Path) -> Result<Option<Self>, CryptoError> {
        if let Some(k) = configured {
            return Self::from_base64(k).map(Some);
        }
        match std::fs::read_to_string(data_dir.join("master.key")) {
            Ok(text) => Self::from_base64(&text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => {
                Err(CryptoError::MasterKey(format!("cannot read {}: {e}", data_dir.join("master.key").display())))
            }
        }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// Encrypt: `v1.{key id}.{base64(nonce ‖ ciphertext)}`. `context` binds the value to its use.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        self.seal_with_nonce(plaintext, context, random_array())
    }

    fn seal_with_nonce(&self, plaintext: &[u8], context: &str, nonce_bytes: [u8; 12]) -> String {
        // nonce ‖ ciphertext ‖ 16-byte tag.
        let mut out = nonce_bytes.to_vec();
        let mut ct = plaintext.to_vec();
        let nonce = Nonce::assume_unique_for_key(nonce_bytes);
        // Encryption with a valid key and a 12-byte nonce cannot fail.
        if self.cipher.seal_in_place_append_tag(nonce, Aad::from(context.as_bytes()), &mut ct).is_ok() {
            out.extend_from_slice(&ct);
        }
        format!("v1.{}.{}", self.id, URL_SAFE_NO_PAD.encode(out))
    }

    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, CryptoError> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Unseal);
        };
        if kid != self.id {
            return Err(CryptoError::Unseal);
        }
        let raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| CryptoError::Unseal)?;
        if raw.len() < 12 + 16 {
            return Err(CryptoError::Unseal);
        }
        let (nonce, ct) = raw.split_at(12);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Unseal)?;
        let mut buf = ct.to_vec();
        let plain_len = self
            .cipher
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| CryptoError::Unseal)?
            .len();
        buf.truncate(plain_len);
        Ok(buf)
    }

    pub fn open_string(&self, sealed: &str, context: &str) -> Result<String, CryptoError> {
        String::from_utf8(self.open(sealed, context)?).map_err(|_| CryptoError::Unseal)
    }

    /// HMAC-SHA256 under a key derived from the master key (CSRF tokens, pagination tokens).
    pub fn mac(&self, purpose: &str, data: &[u8]) -> [u8; 32] {
        to_array(hmac::sign(&self.mac_key, &[purpose.as_bytes(), b"\0", data].concat()).as_ref())
    }
}

/// Create the data directory (owner-only on Unix: it holds the database and the master key).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// Write a file readable only by its owner.
pub fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(contents)?;
    f.sync_all()
}

pub fn random_array<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS RNG failing is unrecoverable; there is nothing safe to fall back to.
    getrandom::getrandom(&mut buf).expect("operating system random number generator failed");
    buf
}

/// 256 random bits, base64url: codes, refresh tokens, session ids.
pub fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(random_array::<32>())
}

/// A random string of `len` characters from `alphabet`, without modulo bias.
pub fn random_from(alphabet: &[u8], len: usize) -> String {
    let limit = 256 - (256 % alphabet.len());
    let mut out = String::with_capacity(len);
    while out.len() < len {
        for b in random_array::<64>() {
            if (b as usize) < limit && out.len() < len {
                out.push(alphabet[b as usize % alphabet.len()] as char);
            }
        }
    }
    out
}

/// A secret handed to a client and kept by the server only as its [`TokenHash`]: browser
/// sessions, challenge sessions, authorization codes, refresh tokens, federation states and
/// bindings, STS session tokens. The clear text leaves only through [`SecretToken::into_clear`],
/// which consumes the token; `Debug` never shows it.
pub struct SecretToken(String);

impl SecretToken {
    /// 256 random bits, base64url without padding (43 characters).
    pub fn generate() -> Self {
        Self::random_bytes::<32>()
    }

    /// `N` random bytes, base64url without padding.
    pub fn random_bytes<const N: usize>() -> Self {
        SecretToken(URL_SAFE_NO_PAD.encode(random_array::<N>()))
    }

    /// The form the token is stored and looked up by.
    pub fn hash(&self) -> TokenHash {
        TokenHash::of(&self.0)
    }

    /// The clear text, to send to the client.
    pub fn into_clear(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for SecretToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretToken(<redacted>)")
    }
}

/// The at-rest form of a [`SecretToken`]: the hex SHA-256 of its clear text. Tokens presented
/// by clients are looked up by [`TokenHash::of`]; nothing else hashes tokens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    /// The hash of a token, whether just generated or presented by a client.
    pub fn of(token: &str) -> Self {
        TokenHash(hex::encode(sha256(token.as_bytes())))
    }

    /// Whether `presented` is the token of this hash (compared in constant time).
    pub fn matches(&self, presented: &str) -> bool {
        self.ct_eq(&Self::of(presented))
    }

    /// Equality in constant time.
    pub fn ct_eq(&self, other: &TokenHash) -> bool {
        constant_time_eq(self.0.as_bytes(), other.0.as_bytes())
    }

    /// A hash as stored (read back from the database).
    pub(crate) fn from_stored(stored: String) -> Self {
        TokenHash(stored)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hex SHA-256 of data that is not a secret token (content fingerprints); tokens go through
/// [`TokenHash`].
pub fn sha256_hex(data: &str) -> String {
    hex::encode(sha256(data.as_bytes()))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    to_array(digest::digest(&digest::SHA256, data).as_ref())
}

pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length.
    to_array(hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data).as_ref())
}

/// Equal length and content; the content is compared in constant time.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// A SHA-256 digest or HMAC-SHA256 tag (always 32 bytes) as an array.
fn to_array(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(bytes);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_roundtrip_and_context_binding() {
        let k = MasterKey::from_bytes(&[7u8; 32]);
        let s = k.seal(b"hello", "ctx");
        assert!(s.starts_with(&format!("v1.{}.", k.id())));
        assert_eq!(k.open(&s, "ctx").unwrap(), b"hello");
        assert!(k.open(&s, "other").is_err());
        let other = MasterKey::from_bytes(&[8u8; 32]);
        assert!(other.open(&s, "ctx").is_err());
        assert!(k.open("v1.x.y", "ctx").is_err());
    }

    /// Known answers recorded from the RustCrypto implementation (aes-gcm, sha2, hmac) that
    /// sealed every stored value before the move to aws-lc-rs: values sealed then must open,
    /// and the same key, nonce and input must give the same bytes.
    fn kat_key() -> MasterKey {
        MasterKey::from_bytes(&std::array::from_fn(|i| i as u8))
    }
    const KAT_SEALED: &str =
        "v1.630dcd29.WpPGC3hr1366qbIWMXgEunpXD5MDxJbDOyYNIbQ5nm1czTQYGk9z0NQzP8u3Ykw7qu7ScSFI9zhHn4AW75Y";
    const KAT_PLAINTEXT: &[u8] = b"portcullis sealed before aws-lc-rs";
    const KAT_CONTEXT: &str = "signing-key:kid-1";

    #[test]
    fn values_sealed_by_the_previous_implementation_still_open() {
        let k = kat_key();
        assert_eq!(k.id(), "630dcd29");
        assert_eq!(k.open(KAT_SEALED, KAT_CONTEXT).unwrap(), KAT_PLAINTEXT);
        assert_eq!(k.open_string(KAT_SEALED, KAT_CONTEXT).unwrap(), "portcullis sealed before aws-lc-rs");
        assert!(k.open(KAT_SEALED, "signing-key:kid-2").is_err(), "the context is authenticated");
        // Byte for byte: the same nonce gives the same sealed text.
        let body = URL_SAFE_NO_PAD.decode(KAT_SEALED.rsplit('.').next().unwrap()).unwrap();
        let nonce: [u8; 12] = body[..12].try_into().unwrap();
        assert_eq!(k.seal_with_nonce(KAT_PLAINTEXT, KAT_CONTEXT, nonce), KAT_SEALED);
    }

    #[test]
    fn macs_and_digests_match_the_previous_implementation() {
        let k = kat_key();
        // CSRF fields and pagination tokens made before the change stay valid.
        assert_eq!(
            hex::encode(k.mac("csrf", b"cookie-value")),
            "5f29ca572f60527e6a45dcf0294c0f66b1692a9853a50ed215a8fcc518f32eb3"
        );
        assert_eq!(
            hex::encode(hmac_sha256(b"key", b"The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
        assert_eq!(hex::encode(sha256(b"abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }

    #[test]
    fn master_key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = MasterKey::load_or_create(None, dir.path()).unwrap();
        let b = MasterKey::load_or_create(None, dir.path()).unwrap();
        assert_eq!(a.id(), b.id());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("master.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn random_from_uses_only_the_alphabet() {
        let s = random_from(b"abc", 100);
        assert_eq!(s.len(), 100);
        assert!(s.bytes().all(|b| b"abc".contains(&b)));
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn secret_tokens_hash_as_before_and_never_print() {
        // The at-rest form is unchanged: hex SHA-256 of the clear text.
        assert_eq!(TokenHash::of("abc").as_str(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        let t = SecretToken::generate();
        assert_eq!(format!("{t:?}"), "SecretToken(<redacted>)");
        let h = t.hash();
        let clear = t.into_clear();
        assert_eq!(clear.len(), 43);
        assert!(clear.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(h, TokenHash::of(&clear));
        assert!(h.matches(&clear));
        assert!(!h.matches("other"));
        assert_eq!(h.to_string(), h.as_str());
        assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{h}\""));
        assert_eq!(SecretToken::random_bytes::<96>().into_clear().len(), 128);
    }

    #[test]
    fn constant_time_eq_checks_length_and_content() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
