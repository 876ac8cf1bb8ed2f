//! Passwords: argon2id (m=19 MiB, t=2, p=1) on blocking threads bounded by the core count, a
//! dummy verify for unknown users so timing does not reveal who exists, and the pool policy.

use super::error::{Error, Result};
use super::model::PasswordPolicy;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

#[derive(Clone, Debug)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

fn argon() -> Argon2<'static> {
    // OWASP's first recommendation; these are also the crate defaults, pinned here on purpose.
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A real hash of a random password, verified against when the user does not exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = crate::crypto::random_array::<16>();
        argon()
            .hash_password_with_salt(crate::crypto::random_token().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

impl Passwords {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
        Passwords { permits: Arc::new(Semaphore::new(cores)) }
    }

    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let _permit = self.permits.acquire().await.map_err(Error::internal)?;
        tokio::task::spawn_blocking(f).await.map_err(Error::internal)
    }

    pub async fn hash(&self, password: &str) -> Result<String> {
        let pw = password.as_bytes().to_vec();
        self.run(move || {
            let salt = crate::crypto::random_array::<16>();
            argon().hash_password_with_salt(&pw, &salt).map(|h| h.to_string())
        })
        .await?
        .map_err(|e| Error::internal(anyhow::anyhow!("argon2: {e}")))
    }

    /// Verify against the stored hash, or against a dummy hash when there is none, so the
    /// work done is the same either way.
    pub async fn verify(&self, stored: Option<&str>, password: &str) -> Result<bool> {
        let (hash, real) = match stored {
            Some(h) => (h.to_string(), true),
            None => (dummy_hash().to_string(), false),
        };
        let pw = password.as_bytes().to_vec();
        let ok = self.run(move || argon().verify_password(&pw, hash.as_str()).is_ok()).await?;
        Ok(ok && real)
    }
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

/// Cognito's special characters (space counts too).
pub const SYMBOLS: &str = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ";

/// Check a password against the pool policy; the message lists the first failed rule as Cognito does.
pub fn check_policy(policy: &PasswordPolicy, password: &str) -> Result<()> {
    let fail = |why: &str| Err(Error::InvalidPassword(format!("Password did not conform with policy: {why}")));
    if password.chars().count() < policy.minimum_length {
        return fail("Password not long enough");
    }
    if password.chars().count() > 256 {
        return fail("Password is too long");
    }
    if policy.require_lowercase && !password.chars().any(|c| c.is_lowercase()) {
        return fail("Password must have lowercase characters");
    }
    if policy.require_uppercase && !password.chars().any(|c| c.is_uppercase()) {
        return fail("Password must have uppercase characters");
    }
    if policy.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
        return fail("Password must have numeric characters");
    }
    if policy.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
        return fail("Password must have symbol characters");
    }
    Ok(())
}

/// A temporary password that satisfies any policy: 12 random characters plus one of each class.
pub fn generate_temporary(policy: &PasswordPolicy) -> String {
    let len = policy.minimum_length.max(12);
    let mut s =
        crate::crypto::random_from(b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", len.saturating_sub(4));
    s.push_str(&crate::crypto::random_from(b"ABCDEFGHJKLMNPQRSTUVWXYZ", 1));
    s.push_str(&crate::crypto::random_from(b"abcdefghijkmnopqrstuvwxyz", 1));
    s.push_str(&crate::crypto::random_from(b"23456789", 1));
    s.push_str(&crate::crypto::random_from(b"!@#%&*+=", 1));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> PasswordPolicy {
        PasswordPolicy {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            temporary_password_validity_days: 7,
        }
    }

    #[test]
    fn policy_names_the_failed_rule() {
        let p = strict();
        assert!(check_policy(&p, "Aa1!aaaa").is_ok());
        let msg = |pw| check_policy(&p, pw).unwrap_err().to_string();
        assert!(msg("Aa1!").contains("not long enough"));
        assert!(msg("AA1!AAAA").contains("lowercase"));
        assert!(msg("aa1!aaaa").contains("uppercase"));
        assert!(msg("Aaa!aaaa").contains("numeric"));
        assert!(msg("Aa1aaaaa").contains("symbol"));
    }

    #[test]
    fn generated_temporary_passwords_pass_the_strictest_policy() {
        for _ in 0..20 {
            assert!(check_policy(&strict(), &generate_temporary(&strict())).is_ok());
        }
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new();
        let h = p.hash("Secret-1a").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(p.verify(Some(&h), "Secret-1a").await.unwrap());
        assert!(!p.verify(Some(&h), "Secret-1b").await.unwrap());
        assert!(!p.verify(None, "Secret-1a").await.unwrap());
    }
}
