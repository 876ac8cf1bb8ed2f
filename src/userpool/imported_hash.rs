//! Password hashes brought from other systems (beyond Cognito): the one parser that accepts or
//! refuses a stored hash string ([`ImportedHash::parse`], which the user import will call on a
//! CSV cell), the bounds that keep an imported hash from making a sign-in arbitrarily slow or
//! large, and the constant-time checks, run on the password hashing threads
//! ([`super::password::Passwords`]). A user whose hash is not the server's own argon2id is moved
//! to it at their first successful password sign-in ([`super::password_import`]).
//!
//! Accepted (see docs/imported-password-hashes.md):
//! - bcrypt `$2a$`, `$2b$`, `$2y$`, cost 4 to 16;
//! - argon2 `$argon2id$`, `$argon2i$`, `$argon2d$`, any version, m ≤ 128 MiB, t ≤ 16, p ≤ 16;
//! - scrypt `$scrypt$ln=…,r=…,p=…$salt$hash` (PHC, as RustCrypto and passlib write it);
//! - PBKDF2 `$pbkdf2-sha256$`, `$pbkdf2-sha512$` and `$pbkdf2$` (HMAC-SHA1), with the rounds as
//!   passlib writes them (`$pbkdf2-sha256$29000$salt$hash`) or as PHC (`i=29000[,l=32]`);
//! - Firebase's scrypt `$firebase-scrypt$<salt>$<passwordHash>` (the two base64 values of a
//!   Firebase export) with the pool's Firebase parameters ([`FirebaseScrypt`]).
//!
//! Salts and hashes are base64 with or without padding, `+` or passlib's `.`.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Params, Version};
use aws_lc_rs::cipher::{AES_256, EncryptingKey, EncryptionContext, UnboundCipherKey};
use aws_lc_rs::iv::FixedLength;
use aws_lc_rs::pbkdf2;
use base64::Engine;
use base64::alphabet::STANDARD;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use std::num::NonZeroU32;

/// Why a hash string is refused: unknown format, malformed, or parameters past the bounds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HashFormatError(String);

fn malformed(algorithm: &str, why: &str) -> HashFormatError {
    HashFormatError(format!("Malformed {algorithm} password hash: {why}."))
}

fn too_costly(algorithm: &str, why: &str) -> HashFormatError {
    HashFormatError(format!("The {algorithm} password hash asks for too much work: {why}."))
}

/// The most memory one check may take (scrypt's 128·r·N, argon2's m): 128 MiB, what
/// RustCrypto's scrypt recommends (ln=17, r=8). Only while the check runs, once per user.
const MAX_MEMORY_BYTES: u64 = 128 << 20;
/// The most memory passes (scrypt's p, argon2's t) times that memory: 256 MiB of mixing.
const MAX_WORK_BYTES: u64 = 256 << 20;
const MAX_BCRYPT_COST: u32 = 16;
const MAX_PBKDF2_ITERATIONS: u32 = 5_000_000;
const MAX_SALT_BYTES: usize = 1024;
const MAX_HASH_BYTES: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pbkdf2Digest {
    Sha1,
    Sha256,
    Sha512,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Bcrypt,
    Argon2 { big: bool },
    Scrypt { log_n: u8, r: u32, p: u32, salt: Vec<u8>, hash: Vec<u8> },
    Pbkdf2 { digest: Pbkdf2Digest, iterations: NonZeroU32, salt: Vec<u8>, hash: Vec<u8> },
    FirebaseScrypt { salt: Vec<u8>, hash: Vec<u8> },
}

/// A stored password hash in one of the accepted formats, parsed and within bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedHash {
    text: String,
    kind: Kind,
}

/// A pool's Firebase scrypt parameters, as the Firebase console shows them under "Password hash
/// parameters": the signer key (secret), the salt separator, rounds and memory cost.
#[derive(Clone, PartialEq, Eq)]
pub struct FirebaseScrypt {
    signer_key: Vec<u8>,
    salt_separator: Vec<u8>,
    rounds: u32,
    mem_cost: u32,
}

impl std::fmt::Debug for FirebaseScrypt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FirebaseScrypt")
            .field("signer_key", &"<redacted>")
            .field("rounds", &self.rounds)
            .field("mem_cost", &self.mem_cost)
            .finish_non_exhaustive()
    }
}

/// Base64 as the formats write it: standard or passlib's `.` for `+`, padding optional.
fn decode(algorithm: &str, what: &str, s: &str) -> Result<Vec<u8>, HashFormatError> {
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &STANDARD,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    );
    LENIENT.decode(s.replace('.', "+")).map_err(|_| malformed(algorithm, &format!("the {what} is not base64")))
}

fn salt_and_hash(algorithm: &str, salt: &str, hash: &str) -> Result<(Vec<u8>, Vec<u8>), HashFormatError> {
    let (salt, hash) = (decode(algorithm, "salt", salt)?, decode(algorithm, "hash", hash)?);
    if salt.len() > MAX_SALT_BYTES {
        return Err(malformed(algorithm, "the salt is too long"));
    }
    if hash.is_empty() || hash.len() > MAX_HASH_BYTES {
        return Err(malformed(algorithm, "the hash is empty or too long"));
    }
    Ok((salt, hash))
}

/// scrypt's memory (128·r·N) and work (that times p) within bounds.
fn scrypt_bounds(algorithm: &str, log_n: u32, r: u32, p: u32) -> Result<u8, HashFormatError> {
    if !(1..=24).contains(&log_n) || r == 0 || p == 0 {
        return Err(malformed(algorithm, "N must be 2 to 2^24 and r, p at least 1"));
    }
    let memory = (128 * u64::from(r)) << log_n;
    if memory > MAX_MEMORY_BYTES {
        return Err(too_costly(algorithm, "more than 128 MiB of memory"));
    }
    if memory * u64::from(p) > MAX_WORK_BYTES {
        return Err(too_costly(algorithm, "p times the memory is more than 256 MiB"));
    }
    u8::try_from(log_n).map_err(|_| malformed(algorithm, "N is out of range"))
}

/// `name=value` pairs of a PHC parameter field.
fn phc_params(field: &str) -> impl Iterator<Item = (&str, &str)> {
    field.split(',').map(|kv| kv.split_once('=').unwrap_or((kv, "")))
}

fn number(algorithm: &str, name: &str, value: &str) -> Result<u32, HashFormatError> {
    value.parse().map_err(|_| malformed(algorithm, &format!("{name} is not a number")))
}

impl ImportedHash {
    /// Parse a stored password hash; unknown formats, malformed strings and parameters past
    /// the bounds are refused with a message saying which.
    pub fn parse(s: &str) -> Result<ImportedHash, HashFormatError> {
        let text = s.trim().to_string();
        let kind = if text.starts_with("$2a$") || text.starts_with("$2b$") || text.starts_with("$2y$") {
            parse_bcrypt(&text)?
        } else if text.starts_with("$argon2") {
            parse_argon2(&text)?
        } else if let Some(rest) = text.strip_prefix("$scrypt$") {
            parse_scrypt(rest)?
        } else if let Some(rest) = text.strip_prefix("$pbkdf2-sha256$") {
            parse_pbkdf2(Pbkdf2Digest::Sha256, "pbkdf2-sha256", rest)?
        } else if let Some(rest) = text.strip_prefix("$pbkdf2-sha512$") {
            parse_pbkdf2(Pbkdf2Digest::Sha512, "pbkdf2-sha512", rest)?
        } else if let Some(rest) = text.strip_prefix("$pbkdf2$") {
            parse_pbkdf2(Pbkdf2Digest::Sha1, "pbkdf2", rest)?
        } else if let Some(rest) = text.strip_prefix("$firebase-scrypt$") {
            let (salt, hash) =
                rest.split_once('$').ok_or_else(|| malformed("firebase-scrypt", "expected $salt$hash"))?;
            let (salt, hash) = salt_and_hash("firebase-scrypt", salt, hash)?;
            Kind::FirebaseScrypt { salt, hash }
        } else {
            return Err(HashFormatError(
                "Unknown password hash format: expected bcrypt ($2a$, $2b$, $2y$), argon2 ($argon2id$, $argon2i$, \
                 $argon2d$), $scrypt$, $pbkdf2-sha256$, $pbkdf2-sha512$, $pbkdf2$ or $firebase-scrypt$."
                    .into(),
            ));
        };
        Ok(ImportedHash { text, kind })
    }

    /// The hash as it is stored.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The hash without its salt and digest: the format and its parameters (`$2b$12`,
    /// `$scrypt$ln=14,r=8,p=1`, `$pbkdf2-sha256$29000`, `$argon2id$v=19$m=65536,t=3,p=4`,
    /// `$firebase-scrypt`). Two hashes with the same signature cost the same to check.
    pub fn signature(&self) -> &str {
        let (head, _) = self.text.rsplit_once('$').unwrap_or((&self.text, ""));
        match self.kind {
            Kind::Bcrypt => head,
            _ => head.rsplit_once('$').map_or(head, |(params, _)| params),
        }
    }

    /// A hash of the same format and parameters with a random salt and digest: no password is
    /// known to match it, it copies nothing of this one but its signature, and checking a
    /// password against it does all the work of checking this one (the password module's
    /// decoy, [`super::decoy`]).
    pub fn decoy(&self) -> Result<ImportedHash, HashFormatError> {
        use base64::engine::general_purpose::STANDARD_NO_PAD;
        let random = |len: usize| {
            let mut out = Vec::with_capacity(len + 32);
            while out.len() < len {
                out.extend_from_slice(&crate::crypto::random_array::<32>());
            }
            out.truncate(len);
            out
        };
        let text = match &self.kind {
            Kind::Bcrypt => {
                let (salt, digest) = (random(16), random(23));
                const BCRYPT: GeneralPurpose =
                    GeneralPurpose::new(&base64::alphabet::BCRYPT, base64::engine::general_purpose::NO_PAD);
                format!("{}${}{}", self.signature(), BCRYPT.encode(salt), BCRYPT.encode(digest))
            }
            _ => {
                let mut fields: Vec<&str> = self.text.rsplitn(3, '$').collect();
                let (digest, salt) = (fields.remove(0), fields.remove(0));
                let len = |field: &str| decode("decoy", "field", field).map(|b| b.len());
                let (salt, digest) = (random(len(salt)?), random(len(digest)?));
                format!("{}${}${}", self.signature(), STANDARD_NO_PAD.encode(salt), STANDARD_NO_PAD.encode(digest))
            }
        };
        ImportedHash::parse(&text)
    }

    /// Whether checking it needs the pool's Firebase parameters.
    pub fn is_firebase(&self) -> bool {
        matches!(self.kind, Kind::FirebaseScrypt { .. })
    }

    /// Whether an argon2 check needs more memory than the server's own parameters, so it must
    /// not grow the hashing thread's kept memory.
    pub(super) fn needs_own_memory(&self) -> bool {
        matches!(self.kind, Kind::Argon2 { big: true })
    }

    /// Check `password` (constant-time comparison of the outputs). A Firebase hash without
    /// the pool's parameters never matches. Argon2 hashes are checked by `argon2`, the
    /// password module's verifier (which owns the hashing threads' memory).
    pub(super) fn verify(
        &self,
        password: &[u8],
        firebase: Option<&FirebaseScrypt>,
        argon2: impl FnOnce(&str, &[u8]) -> bool,
    ) -> bool {
        match &self.kind {
            Kind::Bcrypt => bcrypt::verify(password, &self.text).unwrap_or(false),
            Kind::Argon2 { .. } => argon2(&self.text, password),
            Kind::Scrypt { log_n, r, p, salt, hash } => {
                let mut out = vec![0u8; hash.len()];
                scrypt::Params::new(*log_n, *r, *p)
                    .is_ok_and(|params| scrypt::scrypt(password, salt, &params, &mut out).is_ok())
                    && crate::crypto::constant_time_eq(&out, hash)
            }
            Kind::Pbkdf2 { digest, iterations, salt, hash } => {
                let algorithm = match digest {
                    Pbkdf2Digest::Sha1 => pbkdf2::PBKDF2_HMAC_SHA1,
                    Pbkdf2Digest::Sha256 => pbkdf2::PBKDF2_HMAC_SHA256,
                    Pbkdf2Digest::Sha512 => pbkdf2::PBKDF2_HMAC_SHA512,
                };
                pbkdf2::verify(algorithm, *iterations, salt, password, hash).is_ok()
            }
            Kind::FirebaseScrypt { salt, hash } => firebase
                .and_then(|f| f.hash(password, salt))
                .is_some_and(|out| crate::crypto::constant_time_eq(&out, hash)),
        }
    }
}

fn parse_bcrypt(text: &str) -> Result<Kind, HashFormatError> {
    let parts: bcrypt::HashParts =
        text.parse().map_err(|_| malformed("bcrypt", "expected $2b$cost$ and 53 characters"))?;
    let cost = parts.get_cost();
    if !(4..=31).contains(&cost) {
        return Err(malformed("bcrypt", "the cost must be 4 to 31"));
    }
    if cost > MAX_BCRYPT_COST {
        return Err(too_costly("bcrypt", "a cost above 16"));
    }
    Ok(Kind::Bcrypt)
}

fn parse_argon2(text: &str) -> Result<Kind, HashFormatError> {
    let phc = PasswordHash::new(text).map_err(|_| malformed("argon2", "not a PHC string"))?;
    Algorithm::try_from(phc.algorithm.as_str()).map_err(|_| malformed("argon2", "unknown variant"))?;
    phc.version.map(Version::try_from).transpose().map_err(|_| malformed("argon2", "unknown version"))?;
    let params = Params::try_from(&phc).map_err(|_| malformed("argon2", "invalid parameters"))?;
    match (&phc.salt, &phc.hash) {
        (Some(_), Some(hash)) if hash.len() <= MAX_HASH_BYTES => {}
        _ => return Err(malformed("argon2", "the salt or hash is missing or too long")),
    }
    let memory = u64::from(params.m_cost()) * 1024;
    if memory > MAX_MEMORY_BYTES {
        return Err(too_costly("argon2", "more than 128 MiB of memory"));
    }
    if params.t_cost() > 16 || params.p_cost() > 16 || memory * u64::from(params.t_cost()) > MAX_WORK_BYTES {
        return Err(too_costly("argon2", "t or p above 16, or t times the memory above 256 MiB"));
    }
    Ok(Kind::Argon2 { big: params.m_cost() > super::password::SERVER_M_COST })
}

fn parse_scrypt(rest: &str) -> Result<Kind, HashFormatError> {
    let mut fields = rest.split('$');
    let (Some(params), Some(salt), Some(hash), None) = (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(malformed("scrypt", "expected $scrypt$ln=…,r=…,p=…$salt$hash"));
    };
    let (mut log_n, mut r, mut p) = (None, None, None);
    for (name, value) in phc_params(params) {
        let slot = match name {
            "ln" => &mut log_n,
            "r" => &mut r,
            "p" => &mut p,
            _ => return Err(malformed("scrypt", &format!("unknown parameter {name}"))),
        };
        *slot = Some(number("scrypt", name, value)?);
    }
    let (Some(log_n), Some(r), Some(p)) = (log_n, r, p) else {
        return Err(malformed("scrypt", "ln, r and p are required"));
    };
    let log_n = scrypt_bounds("scrypt", log_n, r, p)?;
    let (salt, hash) = salt_and_hash("scrypt", salt, hash)?;
    Ok(Kind::Scrypt { log_n, r, p, salt, hash })
}

fn parse_pbkdf2(digest: Pbkdf2Digest, algorithm: &str, rest: &str) -> Result<Kind, HashFormatError> {
    let mut fields = rest.split('$');
    let (Some(params), Some(salt), Some(hash), None) = (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(malformed(algorithm, "expected $rounds$salt$hash"));
    };
    let iterations = if params.contains('=') {
        let mut iterations = None;
        for (name, value) in phc_params(params) {
            match name {
                "i" => iterations = Some(number(algorithm, name, value)?),
                // The output length is the hash's own.
                "l" => {}
                _ => return Err(malformed(algorithm, &format!("unknown parameter {name}"))),
            }
        }
        iterations.ok_or_else(|| malformed(algorithm, "i is required"))?
    } else {
        number(algorithm, "the rounds", params)?
    };
    if iterations > MAX_PBKDF2_ITERATIONS {
        return Err(too_costly(algorithm, "more than 5,000,000 iterations"));
    }
    let iterations = NonZeroU32::new(iterations).ok_or_else(|| malformed(algorithm, "zero iterations"))?;
    let (salt, hash) = salt_and_hash(algorithm, salt, hash)?;
    Ok(Kind::Pbkdf2 { digest, iterations, salt, hash })
}

impl FirebaseScrypt {
    /// The parameters as Firebase shows them: base64 signer key and salt separator, rounds
    /// (scrypt's r) and memory cost (log2 of scrypt's N), within the scrypt bounds.
    pub fn from_export(
        signer_key: &str,
        salt_separator: &str,
        rounds: u32,
        mem_cost: u32,
    ) -> Result<FirebaseScrypt, HashFormatError> {
        let signer_key = decode("firebase-scrypt", "signer key", signer_key.trim())?;
        let salt_separator = decode("firebase-scrypt", "salt separator", salt_separator.trim())?;
        Self::new(signer_key, salt_separator, rounds, mem_cost)
    }

    /// The parameters from raw bytes (the signer key as unsealed from the store).
    pub fn new(
        signer_key: Vec<u8>,
        salt_separator: Vec<u8>,
        rounds: u32,
        mem_cost: u32,
    ) -> Result<FirebaseScrypt, HashFormatError> {
        if signer_key.is_empty() || signer_key.len() > MAX_HASH_BYTES || salt_separator.len() > MAX_SALT_BYTES {
            return Err(malformed("firebase-scrypt", "the signer key must be 1 to 128 bytes"));
        }
        scrypt_bounds("firebase-scrypt", mem_cost, rounds, 1)?;
        Ok(FirebaseScrypt { signer_key, salt_separator, rounds, mem_cost })
    }

    pub fn signer_key(&self) -> &[u8] {
        &self.signer_key
    }

    pub fn salt_separator(&self) -> &[u8] {
        &self.salt_separator
    }

    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    pub fn mem_cost(&self) -> u32 {
        self.mem_cost
    }

    /// Firebase's hash of `password` with a user's `salt`: the key scrypt derives from the
    /// password and salt‖separator (N = 2^mem_cost, r = rounds, p = 1, 32 bytes) encrypts
    /// the signer key with AES-256-CTR from a zero counter.
    fn hash(&self, password: &[u8], salt: &[u8]) -> Option<Vec<u8>> {
        let log_n = u8::try_from(self.mem_cost).ok()?;
        let params = scrypt::Params::new(log_n, self.rounds, 1).ok()?;
        let mut key = [0u8; 32];
        scrypt::scrypt(password, &[salt, &self.salt_separator].concat(), &params, &mut key).ok()?;
        let cipher = EncryptingKey::ctr(UnboundCipherKey::new(&AES_256, &key).ok()?).ok()?;
        let mut out = self.signer_key.clone();
        cipher.less_safe_encrypt(&mut out, EncryptionContext::Iv128(FixedLength::from([0u8; 16]))).ok()?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_argon2(_: &str, _: &[u8]) -> bool {
        panic!("not an argon2 hash")
    }

    fn check(hash: &str, password: &str, firebase: Option<&FirebaseScrypt>) -> bool {
        ImportedHash::parse(hash).unwrap().verify(password.as_bytes(), firebase, no_argon2)
    }

    /// The example in Firebase's own scrypt tool (github.com/firebase/scrypt, README).
    #[test]
    fn firebase_known_answer() {
        let params = FirebaseScrypt::from_export(
            "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
            "Bw==",
            8,
            14,
        )
        .unwrap();
        let hash = "$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+\
                    VHjoZilo78198JAdRuid5lQ==";
        assert!(check(hash, "user1password", Some(&params)));
        assert!(!check(hash, "user1passwore", Some(&params)));
        assert!(!check(hash, "user1password", None));
        assert!(!format!("{params:?}").contains("jxspr"));
    }

    /// OpenBSD's bcrypt test vectors (as jBCrypt carries them), in each accepted prefix.
    #[test]
    fn bcrypt_known_answers() {
        let h = "$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i";
        for prefix in ["$2a$", "$2b$", "$2y$"] {
            let h = h.replacen("$2a$", prefix, 1);
            assert!(check(&h, "abc", None), "{h}");
            assert!(!check(&h, "abd", None));
        }
        assert!(check("$2a$06$DCq7YPn5Rq63x1Lad4cll.TV4S6ytwfsfvkgY8jIucDrjc8deX1s.", "", None));
    }

    /// RFC 7914 §11's scrypt vector and RFC 6070's PBKDF2-HMAC-SHA1 vector, as PHC strings.
    #[test]
    fn scrypt_and_pbkdf2_known_answers() {
        let b64 = |hex_str: &str| STANDARD_NO_PAD.encode(hex::decode(hex_str).unwrap());
        use base64::engine::general_purpose::STANDARD_NO_PAD;
        let scrypt_out = "fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640";
        let s = format!("$scrypt$ln=10,r=8,p=16${}${}", STANDARD_NO_PAD.encode("NaCl"), b64(scrypt_out));
        assert!(check(&s, "password", None));
        assert!(!check(&s, "passwore", None));
        let p = format!(
            "$pbkdf2$4096${}${}",
            STANDARD_NO_PAD.encode("salt"),
            b64("4b007901b765489abead49d926f721d065a429c1")
        );
        assert!(check(&p, "password", None));
        assert!(check(&p.replace("$4096$", "$i=4096,l=20$"), "password", None));
        assert!(!check(&p, "Password", None));
    }

    /// A decoy keeps the format and parameters (signature), parses, shares neither salt nor
    /// digest with its source, and the source's password does not match it.
    #[test]
    fn decoys_keep_the_signature_and_nothing_else() {
        let firebase = FirebaseScrypt::from_export("a2V5a2V5a2V5", "Bw==", 8, 10).unwrap();
        let cases = [
            ("$2b$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i", "$2b$06"),
            ("$scrypt$ln=10,r=8,p=1$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWI", "$scrypt$ln=10,r=8,p=1"),
            (
                "$pbkdf2-sha256$29000$N2ZFSe0W.jvXOq1b$SLtc.cUe5jL0yhXWQ.tJFSHfdyqY2xZ6xTyYlfb5qEM",
                "$pbkdf2-sha256$29000",
            ),
            ("$pbkdf2$i=4096,l=20$c2FsdA$SwB5AbdlSJq+rUnZJvch0GWkKcE", "$pbkdf2$i=4096,l=20"),
            (
                "$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHQ$GpZ3sK/oH9p7VIiV56G/64Zo/8GaUw434IimaPqxwCo",
                "$argon2id$v=19$m=65536,t=2,p=4",
            ),
            ("$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQ", "$firebase-scrypt"),
        ];
        for (source, signature) in cases {
            let source = ImportedHash::parse(source).unwrap();
            assert_eq!(source.signature(), signature);
            let decoy = source.decoy().unwrap();
            assert_eq!(decoy.signature(), signature, "{decoy:?}");
            assert_eq!(ImportedHash::parse(decoy.as_str()).as_ref(), Ok(&decoy));
            let (salt, digest) = match (&source.kind, &decoy.kind) {
                (Kind::Bcrypt | Kind::Argon2 { .. }, _) => {
                    let tail = |h: &ImportedHash| h.as_str().rsplit_once('$').unwrap().1.to_string();
                    assert_ne!(tail(&source), tail(&decoy));
                    continue;
                }
                (Kind::Scrypt { salt, hash, .. }, Kind::Scrypt { salt: s, hash: h, .. })
                | (Kind::Pbkdf2 { salt, hash, .. }, Kind::Pbkdf2 { salt: s, hash: h, .. })
                | (Kind::FirebaseScrypt { salt, hash }, Kind::FirebaseScrypt { salt: s, hash: h }) => {
                    assert_eq!((salt.len(), hash.len()), (s.len(), h.len()), "{signature}");
                    (salt != s, hash != h)
                }
                _ => panic!("{signature}: the decoy changed format"),
            };
            assert!(salt && digest, "{signature}: fresh salt and digest");
            assert_ne!(decoy.as_str(), source.as_str());
            assert_ne!(decoy.as_str(), source.decoy().unwrap().as_str(), "random each time");
        }
        // Known passwords of the vectors above do not match their decoys.
        let bcrypt = ImportedHash::parse(cases[0].0).unwrap().decoy().unwrap();
        assert!(check(cases[0].0, "abc", None) && !check(bcrypt.as_str(), "abc", None));
        let pbkdf2 = ImportedHash::parse(cases[3].0).unwrap().decoy().unwrap();
        assert!(check(cases[3].0, "password", None) && !check(pbkdf2.as_str(), "password", None));
        let fb = ImportedHash::parse(cases[5].0).unwrap().decoy().unwrap();
        assert!(!check(fb.as_str(), "user1password", Some(&firebase)));
    }

    #[test]
    fn refuses_unknown_malformed_and_costly_hashes() {
        let err = |s: &str| ImportedHash::parse(s).unwrap_err().to_string();
        assert!(err("plaintext").starts_with("Unknown password hash format"));
        assert!(err("$md5$abc").starts_with("Unknown"));
        assert!(err("$2b$06$short").starts_with("Malformed bcrypt"));
        assert!(err("$2b$20$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i").contains("too much work"));
        assert!(err("$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo").contains("128 MiB"));
        assert!(err("$argon2id$v=19$m=65536,t=16,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo").contains("too much work"));
        assert!(err("$argon2id$v=19$garbage").starts_with("Malformed argon2"));
        assert!(err("$scrypt$ln=18,r=8,p=1$c2FsdA$aGFzaA").contains("128 MiB"));
        assert!(err("$scrypt$ln=16,r=8,p=5$c2FsdA$aGFzaA").contains("256 MiB"));
        assert!(err("$scrypt$ln=14,r=8$c2FsdA$aGFzaA").contains("required"));
        assert!(err("$scrypt$ln=14,r=8,p=1$c2FsdA$!!").contains("not base64"));
        assert!(err("$pbkdf2-sha256$99999999$c2FsdA$aGFzaA").contains("too much work"));
        assert!(err("$pbkdf2-sha512$0$c2FsdA$aGFzaA").contains("zero"));
        assert!(err("$pbkdf2-sha256$1000$c2FsdA").starts_with("Malformed"));
        assert!(err("$firebase-scrypt$c2FsdA").starts_with("Malformed"));
        assert!(FirebaseScrypt::from_export("a2V5", "Bw==", 8, 30).is_err());
        assert!(FirebaseScrypt::from_export("", "Bw==", 8, 14).is_err());
        // Within bounds: OWASP-style parameters of each family.
        assert!(ImportedHash::parse("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo").is_ok());
        assert!(ImportedHash::parse("$scrypt$ln=17,r=8,p=1$c2FsdA$aGFzaA").is_ok());
        assert!(ImportedHash::parse("$pbkdf2-sha256$600000$c2FsdA$aGFzaA").is_ok());
    }
}
