//! The key material of the two JWS algorithms a pool may sign with: RS256 (RSA-2048, PKCS#1
//! v1.5, the default, as Cognito) and ES256 (ECDSA on P-256 with SHA-256; the signature is the
//! fixed 64-byte `r ‖ s` that JWS requires, RFC 7518 §3.4, not DER). A stored key's algorithm is
//! read from its public JWK (`kty`, `crv`, `alg`), so rows need no column of their own.
//! Verification takes the algorithm the token's header names and refuses it unless it is the
//! key's own: no algorithm confusion.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize, PublicKeyComponents};
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _, RSA_PKCS1_2048_8192_SHA256,
    RSA_PKCS1_SHA256, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

/// A JWS signing algorithm of ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Alg {
    Rs256,
    Es256,
}

impl Alg {
    /// Every algorithm, in the order discovery lists them (RS256, the default, first).
    pub const ALL: [Alg; 2] = [Alg::Rs256, Alg::Es256];

    /// The JOSE name (`alg` of headers and JWKs).
    pub fn name(self) -> &'static str {
        match self {
            Alg::Rs256 => "RS256",
            Alg::Es256 => "ES256",
        }
    }

    /// The algorithm a JOSE name means (exactly as JOSE spells it); `None` for any other, such
    /// as `none` or `HS256`.
    pub fn from_jose(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == name)
    }
}

impl std::fmt::Display for Alg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Alg {
    type Err = String;

    /// As typed by an operator: the JOSE name in any case.
    fn from_str(s: &str) -> Result<Alg, String> {
        Alg::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("unknown signing algorithm {s:?}: use RS256 or ES256"))
    }
}

/// A private signing key, opened.
pub enum PrivateKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({})", self.alg())
    }
}

impl PrivateKey {
    /// A new key (RSA-2048 takes tens of milliseconds: call off the async executor).
    pub fn generate(alg: Alg) -> anyhow::Result<PrivateKey> {
        Ok(match alg {
            Alg::Rs256 => PrivateKey::Rsa(
                RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| anyhow::anyhow!("RSA key generation failed"))?,
            ),
            Alg::Es256 => PrivateKey::Ec(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| anyhow::anyhow!("P-256 key generation failed"))?,
            ),
        })
    }

    /// A stored key (PKCS#8) of algorithm `alg`.
    pub fn from_pkcs8(alg: Alg, der: &[u8]) -> anyhow::Result<PrivateKey> {
        Ok(match alg {
            Alg::Rs256 => {
                PrivateKey::Rsa(RsaKeyPair::from_pkcs8(der).map_err(|e| anyhow::anyhow!("stored key rejected: {e}"))?)
            }
            Alg::Es256 => PrivateKey::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|e| anyhow::anyhow!("stored key rejected: {e}"))?,
            ),
        })
    }

    /// PKCS#8 DER, to be sealed.
    pub fn to_pkcs8(&self) -> anyhow::Result<Vec<u8>> {
        match self {
            PrivateKey::Rsa(k) => Ok(k.as_der().map_err(|_| anyhow::anyhow!("cannot encode key"))?.as_ref().to_vec()),
            PrivateKey::Ec(k) => {
                Ok(k.to_pkcs8v1().map_err(|_| anyhow::anyhow!("cannot encode key"))?.as_ref().to_vec())
            }
        }
    }

    pub fn alg(&self) -> Alg {
        match self {
            PrivateKey::Rsa(_) => Alg::Rs256,
            PrivateKey::Ec(_) => Alg::Es256,
        }
    }

    /// The public half.
    pub fn public(&self) -> PublicKey {
        match self {
            PrivateKey::Rsa(k) => PublicKey::Rsa {
                n: k.public_key().modulus().big_endian_without_leading_zero().to_vec(),
                e: k.public_key().exponent().big_endian_without_leading_zero().to_vec(),
            },
            PrivateKey::Ec(k) => PublicKey::Ec { point: k.public_key().as_ref().to_vec() },
        }
    }

    /// The JWS signature of `msg` in this key's algorithm.
    pub fn sign(&self, msg: &[u8]) -> anyhow::Result<Vec<u8>> {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        match self {
            PrivateKey::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, msg, &mut sig).map_err(|_| anyhow::anyhow!("RSA signing failed"))?;
                Ok(sig)
            }
            PrivateKey::Ec(k) => {
                Ok(k.sign(&rng, msg).map_err(|_| anyhow::anyhow!("ECDSA signing failed"))?.as_ref().to_vec())
            }
        }
    }
}

/// A public verification key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Modulus and exponent, big-endian without leading zeros.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The uncompressed P-256 point `04 ‖ x ‖ y` (65 bytes).
    Ec { point: Vec<u8> },
}

/// Bytes of each P-256 coordinate.
const P256_COORDINATE: usize = 32;

impl PublicKey {
    pub fn alg(&self) -> Alg {
        match self {
            PublicKey::Rsa { .. } => Alg::Rs256,
            PublicKey::Ec { .. } => Alg::Es256,
        }
    }

    /// The key id: base64 of the SHA-256 of the modulus (the shape of Cognito's kids, ending
    /// in '=') or, for P-256, of the uncompressed point.
    pub fn kid(&self) -> String {
        match self {
            PublicKey::Rsa { n, .. } => STANDARD.encode(crate::crypto::sha256(n)),
            PublicKey::Ec { point } => STANDARD.encode(crate::crypto::sha256(point)),
        }
    }

    /// The published JWK (RFC 7517/7518): public members only.
    pub fn jwk(&self, kid: &str) -> Value {
        match self {
            PublicKey::Rsa { n, e } => json!({
                "alg": "RS256",
                "e": URL_SAFE_NO_PAD.encode(e),
                "kid": kid,
                "kty": "RSA",
                "n": URL_SAFE_NO_PAD.encode(n),
                "use": "sig",
            }),
            PublicKey::Ec { point } => json!({
                "alg": "ES256",
                "crv": "P-256",
                "kid": kid,
                "kty": "EC",
                "use": "sig",
                "x": URL_SAFE_NO_PAD.encode(&point[1..1 + P256_COORDINATE]),
                "y": URL_SAFE_NO_PAD.encode(&point[1 + P256_COORDINATE..]),
            }),
        }
    }

    /// The key a stored JWK describes, by its `kty` (and `crv`), which must agree with its
    /// `alg` when it names one.
    pub fn from_jwk(jwk: &Value) -> anyhow::Result<PublicKey> {
        let text = |name: &str| jwk.get(name).and_then(Value::as_str);
        let bytes = |name: &str| -> anyhow::Result<Vec<u8>> {
            let s = text(name).ok_or_else(|| anyhow::anyhow!("JWK without {name}"))?;
            Ok(URL_SAFE_NO_PAD.decode(s)?)
        };
        let key = match (text("kty"), text("crv")) {
            (Some("RSA"), _) => PublicKey::Rsa { n: bytes("n")?, e: bytes("e")? },
            (Some("EC"), Some("P-256")) => {
                let (x, y) = (bytes("x")?, bytes("y")?);
                anyhow::ensure!(
                    x.len() == P256_COORDINATE && y.len() == P256_COORDINATE,
                    "P-256 JWK of the wrong size"
                );
                let mut point = Vec::with_capacity(1 + 2 * P256_COORDINATE);
                point.push(0x04);
                point.extend_from_slice(&x);
                point.extend_from_slice(&y);
                PublicKey::Ec { point }
            }
            (kty, crv) => anyhow::bail!("unsupported JWK (kty {kty:?}, crv {crv:?})"),
        };
        if let Some(alg) = text("alg") {
            anyhow::ensure!(alg == key.alg().name(), "JWK alg {alg} does not fit its key type");
        }
        Ok(key)
    }

    /// Whether `sig` is this key's signature of `msg` in algorithm `alg`. A signature claimed in
    /// any other algorithm than the key's own is refused without looking at it.
    pub fn verify(&self, alg: Alg, msg: &[u8], sig: &[u8]) -> bool {
        if alg != self.alg() {
            return false;
        }
        match self {
            PublicKey::Rsa { n, e } => PublicKeyComponents { n: n.as_slice(), e: e.as_slice() }
                .verify(&RSA_PKCS1_2048_8192_SHA256, msg, sig)
                .is_ok(),
            PublicKey::Ec { point } => UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point).verify(msg, sig).is_ok(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jose_names_are_exact_and_operator_input_is_not() {
        assert_eq!(Alg::from_jose("ES256"), Some(Alg::Es256));
        assert_eq!(Alg::from_jose("RS256"), Some(Alg::Rs256));
        for other in ["es256", "none", "HS256", "", "ES384"] {
            assert_eq!(Alg::from_jose(other), None, "{other}");
        }
        assert_eq!("es256".parse::<Alg>(), Ok(Alg::Es256));
        assert_eq!("RS256".parse::<Alg>(), Ok(Alg::Rs256));
        assert!("HS256".parse::<Alg>().is_err());
    }

    #[test]
    fn each_key_verifies_only_its_own_algorithm_and_survives_storage() {
        for alg in Alg::ALL {
            let key = PrivateKey::generate(alg).unwrap();
            assert_eq!(key.alg(), alg);
            let stored = PrivateKey::from_pkcs8(alg, &key.to_pkcs8().unwrap()).unwrap();
            assert_eq!(stored.public(), key.public());
            let other = Alg::ALL.into_iter().find(|a| *a != alg).unwrap();
            assert!(PrivateKey::from_pkcs8(other, &key.to_pkcs8().unwrap()).is_err(), "{alg} read as {other}");

            let public = PublicKey::from_jwk(&key.public().jwk("k")).unwrap();
            assert_eq!(public, key.public(), "the JWK round-trips");
            let sig = stored.sign(b"header.payload").unwrap();
            if alg == Alg::Es256 {
                assert_eq!(sig.len(), 64, "fixed r || s, not DER");
            }
            assert!(public.verify(alg, b"header.payload", &sig));
            assert!(!public.verify(other, b"header.payload", &sig), "{alg} key accepted {other}");
            assert!(!public.verify(alg, b"header.payloaD", &sig));
        }
    }

    #[test]
    fn a_jwk_whose_alg_contradicts_its_key_type_is_refused() {
        let ec = PrivateKey::generate(Alg::Es256).unwrap().public().jwk("k");
        let mut lying = ec.clone();
        lying["alg"] = json!("RS256");
        assert!(PublicKey::from_jwk(&lying).is_err());
        let mut other_curve = ec;
        other_curve["crv"] = json!("P-384");
        assert!(PublicKey::from_jwk(&other_curve).is_err());
        assert!(PublicKey::from_jwk(&json!({"kty": "oct", "k": "AAAA"})).is_err());
    }
}
