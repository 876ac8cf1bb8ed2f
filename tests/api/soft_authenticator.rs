//! A software WebAuthn authenticator for the passkey tests, written from the specification
//! (WebAuthn Level 3 §6.1 authenticator data, §6.5 attestation object with the `none` format,
//! §5.8.1 client data; RFC 8152 COSE keys; RFC 8949 CBOR): a P-256 key (aws-lc-rs), user presence
//! and verification flags set, a signature counter, and the browser's part (client data, origin).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

pub struct SoftAuthenticator {
    key: EcdsaKeyPair,
    pub credential_id: Vec<u8>,
    /// The signature counter the next assertion carries (minus one).
    pub counter: u32,
    /// The origin the "browser" reports in its client data.
    pub origin: String,
    /// The relying party id the authenticator hashes; None: the one the options name.
    pub rp_id: Option<String>,
    user_handle: Vec<u8>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

/// CBOR head: major type and argument.
fn head(major: u8, n: u64, out: &mut Vec<u8>) {
    let m = major << 5;
    match n {
        0..=23 => out.push(m | n as u8),
        24..=0xff => out.extend([m | 24, n as u8]),
        0x100..=0xffff => {
            out.push(m | 25);
            out.extend((n as u16).to_be_bytes());
        }
        _ => {
            out.push(m | 26);
            out.extend((n as u32).to_be_bytes());
        }
    }
}

fn int(v: i64, out: &mut Vec<u8>) {
    if v >= 0 { head(0, v as u64, out) } else { head(1, (-1 - v) as u64, out) }
}

fn bytes(b: &[u8], out: &mut Vec<u8>) {
    head(2, b.len() as u64, out);
    out.extend_from_slice(b);
}

fn text(t: &str, out: &mut Vec<u8>) {
    head(3, t.len() as u64, out);
    out.extend_from_slice(t.as_bytes());
}

impl SoftAuthenticator {
    pub fn new(origin: &str) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).expect("key");
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref()).expect("key");
        let credential_id: Vec<u8> = sha256(pkcs8.as_ref())[..16].to_vec();
        SoftAuthenticator { key, credential_id, counter: 0, origin: origin.into(), rp_id: None, user_handle: vec![] }
    }

    /// The credential public key as a COSE_Key (EC2, P-256, ES256).
    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.public_key().as_ref();
        assert_eq!(point.len(), 65, "an uncompressed P-256 point");
        let mut out = Vec::new();
        head(5, 5, &mut out);
        int(1, &mut out);
        int(2, &mut out); // kty: EC2
        int(3, &mut out);
        int(-7, &mut out); // alg: ES256
        int(-1, &mut out);
        int(1, &mut out); // crv: P-256
        int(-2, &mut out);
        bytes(&point[1..33], &mut out);
        int(-3, &mut out);
        bytes(&point[33..], &mut out);
        out
    }

    fn client_data(&self, kind: &str, challenge: &str) -> String {
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false}).to_string()
    }

    fn auth_data(&self, rp_id: &str, flags: u8, attested: Option<Vec<u8>>) -> Vec<u8> {
        let rp = self.rp_id.as_deref().unwrap_or(rp_id);
        let mut out = sha256(rp.as_bytes());
        out.push(flags);
        out.extend(self.counter.to_be_bytes());
        if let Some(a) = attested {
            out.extend(a);
        }
        out
    }

    /// `navigator.credentials.create({publicKey: options})`, as RegistrationResponseJSON.
    pub fn register(&mut self, options: &Value) -> Value {
        let challenge = options["challenge"].as_str().expect("a challenge");
        let rp_id = options["rp"]["id"].as_str().expect("rp.id");
        self.user_handle = URL_SAFE_NO_PAD.decode(options["user"]["id"].as_str().expect("user.id")).expect("user id");
        let client_data = self.client_data("webauthn.create", challenge);
        let mut attested = vec![0u8; 16]; // AAGUID
        attested.extend((self.credential_id.len() as u16).to_be_bytes());
        attested.extend(&self.credential_id);
        attested.extend(self.cose_key());
        let auth_data = self.auth_data(rp_id, UP | UV | AT, Some(attested));
        let mut att = Vec::new();
        head(5, 3, &mut att);
        text("fmt", &mut att);
        text("none", &mut att);
        text("attStmt", &mut att);
        head(5, 0, &mut att);
        text("authData", &mut att);
        bytes(&auth_data, &mut att);
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "attestationObject": b64(&att),
                "transports": ["internal"],
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        })
    }

    /// `navigator.credentials.get({publicKey: options})`, as AuthenticationResponseJSON.
    pub fn assert(&mut self, options: &Value) -> Value {
        self.counter += 1;
        let challenge = options["challenge"].as_str().expect("a challenge");
        let rp_id = options["rpId"].as_str().expect("rpId");
        let client_data = self.client_data("webauthn.get", challenge);
        let auth_data = self.auth_data(rp_id, UP | UV, None);
        let signed = [auth_data.clone(), sha256(client_data.as_bytes())].concat();
        let signature = self.key.sign(&SystemRandom::new(), &signed).expect("sign");
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(client_data.as_bytes()),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.as_ref()),
                "userHandle": b64(&self.user_handle),
            },
            "authenticatorAttachment": "platform",
            "clientExtensionResults": {},
        })
    }
}
