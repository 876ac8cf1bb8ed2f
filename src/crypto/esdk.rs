//! AWS Encryption SDK messages, encrypt side only: what Cognito hands a custom sender function
//! (the code, encrypted), with the data key wrapped by a *raw RSA keyring* in place of KMS.
//!
//! Per the AWS Encryption SDK specification (data-format/message-header.md, message-body.md,
//! framework/raw-rsa-keyring.md): message format version 2, algorithm suite 0x0478
//! `ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY` (key commitment, no signature, so any commitment
//! policy decrypts it), framed content with one final frame. A fresh 256-bit data key is
//! wrapped with RSA-OAEP (SHA-256, MGF1 SHA-256) under the recipient's public key, recorded with
//! provider id = the keyring's key namespace and provider info = its key name. The content key
//! and the commitment key are HKDF-SHA512 of the data key, salted with the message id, with the
//! info `suite id ‖ "DERIVEKEY"` and `"COMMITKEY"`. Any AWS Encryption SDK with a raw RSA keyring
//! of the same namespace, name and private key decrypts the message.

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::error::Unspecified;
use aws_lc_rs::hkdf::{HKDF_SHA512, KeyType, Salt};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};

/// `ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY`.
pub const SUITE_ID: u16 = 0x0478;
/// Message format version 2.
pub const VERSION: u8 = 0x02;
/// Content type: framed.
pub const FRAMED: u8 = 0x02;
/// The frame length written in the header (the SDKs' default).
pub const FRAME_LENGTH: u32 = 4096;
/// Marks the final frame.
pub const FINAL_FRAME: u32 = 0xFFFF_FFFF;
/// The body AAD content string of a final frame.
pub const FINAL_FRAME_AAD: &[u8] = b"AWSKMSEncryptionClient Final Frame";

/// A recipient's RSA public key as a raw RSA keyring names it.
pub struct RawRsaKey {
    /// The keyring's key namespace (the encrypted data key's provider id).
    pub namespace: String,
    /// The keyring's key name (the encrypted data key's provider info).
    pub name: String,
    key: OaepPublicEncryptingKey,
}

impl std::fmt::Debug for RawRsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawRsaKey({}, {}, {} bits)", self.namespace, self.name, self.key.key_size_bits())
    }
}

impl RawRsaKey {
    /// From an X.509 SubjectPublicKeyInfo (DER) of an RSA key of at least 2048 bits.
    pub fn from_spki_der(namespace: &str, name: &str, der: &[u8]) -> Result<Self, String> {
        let public = PublicEncryptingKey::from_der(der).map_err(|e| format!("not an RSA public key ({e})"))?;
        if public.key_size_bits() < 2048 {
            return Err(format!("an RSA key of {} bits; at least 2048 are needed", public.key_size_bits()));
        }
        let key = OaepPublicEncryptingKey::new(public).map_err(|_| "not usable for RSA-OAEP".to_string())?;
        Ok(RawRsaKey { namespace: namespace.into(), name: name.into(), key })
    }
}

/// The output length of an HKDF expansion.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-SHA512 of `data_key` salted with `message_id`: 32 bytes for `info`.
pub fn hkdf32(data_key: &[u8], message_id: &[u8], info: &[u8]) -> Result<[u8; 32], Unspecified> {
    let mut out = [0u8; 32];
    Salt::new(HKDF_SHA512, message_id).extract(data_key).expand(&[info], Len(32))?.fill(&mut out)?;
    Ok(out)
}

/// (content key, commitment key) of a data key for a message.
pub fn derive_keys(data_key: &[u8], message_id: &[u8]) -> Result<([u8; 32], [u8; 32]), Unspecified> {
    let mut info = SUITE_ID.to_be_bytes().to_vec();
    info.extend_from_slice(b"DERIVEKEY");
    Ok((hkdf32(data_key, message_id, &info)?, hkdf32(data_key, message_id, b"COMMITKEY")?))
}

/// The IV of frame `sequence`: the number, big-endian, padded to 12 bytes with zeros.
pub fn frame_iv(sequence: u32) -> [u8; 12] {
    let mut iv = [0u8; 12];
    iv[8..].copy_from_slice(&sequence.to_be_bytes());
    iv
}

/// The serialized encryption context: pairs sorted by key, each length-prefixed; empty for none.
fn context_bytes(context: &[(&str, &str)]) -> Result<Vec<u8>, Unspecified> {
    let mut pairs = context.to_vec();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = Vec::new();
    if pairs.is_empty() {
        return Ok(out);
    }
    out.extend_from_slice(&u16::try_from(pairs.len()).map_err(|_| Unspecified)?.to_be_bytes());
    for (k, v) in pairs {
        put_short(&mut out, k.as_bytes())?;
        put_short(&mut out, v.as_bytes())?;
    }
    Ok(out)
}

/// `bytes` after its length as a big-endian u16.
fn put_short(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), Unspecified> {
    out.extend_from_slice(&u16::try_from(bytes.len()).map_err(|_| Unspecified)?.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// Encrypt `plaintext` (at most one frame: shorter than [`FRAME_LENGTH`]) to `key`, bound to
/// `context`: the whole message.
pub fn encrypt(key: &RawRsaKey, context: &[(&str, &str)], plaintext: &[u8]) -> Result<Vec<u8>, Unspecified> {
    if plaintext.len() >= FRAME_LENGTH as usize {
        return Err(Unspecified);
    }
    let data_key: [u8; 32] = crate::crypto::random_array();
    let message_id: [u8; 32] = crate::crypto::random_array();
    let mut wrapped = vec![0u8; key.key.ciphertext_size()];
    let wrapped = key.key.encrypt(&OAEP_SHA256_MGF1SHA256, &data_key, &mut wrapped, None)?.to_vec();
    let (content_key, commitment) = derive_keys(&data_key, &message_id)?;
    let cipher = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &content_key)?);

    let mut header = vec![VERSION];
    header.extend_from_slice(&SUITE_ID.to_be_bytes());
    header.extend_from_slice(&message_id);
    put_short(&mut header, &context_bytes(context)?)?;
    header.extend_from_slice(&1u16.to_be_bytes());
    put_short(&mut header, key.namespace.as_bytes())?;
    put_short(&mut header, key.name.as_bytes())?;
    put_short(&mut header, &wrapped)?;
    header.push(FRAMED);
    header.extend_from_slice(&FRAME_LENGTH.to_be_bytes());
    header.extend_from_slice(&commitment);
    // Version 2 header authentication: the tag alone, over the header with a zero IV.
    let mut empty = [];
    let tag =
        cipher.seal_in_place_separate_tag(Nonce::assume_unique_for_key([0u8; 12]), Aad::from(&header), &mut empty)?;
    let mut message = header;
    message.extend_from_slice(tag.as_ref());

    let sequence = 1u32;
    let mut aad = message_id.to_vec();
    aad.extend_from_slice(FINAL_FRAME_AAD);
    aad.extend_from_slice(&sequence.to_be_bytes());
    aad.extend_from_slice(&(plaintext.len() as u64).to_be_bytes());
    let mut content = plaintext.to_vec();
    let iv = frame_iv(sequence);
    let tag = cipher.seal_in_place_separate_tag(Nonce::assume_unique_for_key(iv), Aad::from(&aad), &mut content)?;
    message.extend_from_slice(&FINAL_FRAME.to_be_bytes());
    message.extend_from_slice(&sequence.to_be_bytes());
    message.extend_from_slice(&iv);
    message.extend_from_slice(&u32::try_from(content.len()).map_err(|_| Unspecified)?.to_be_bytes());
    message.extend_from_slice(&content);
    message.extend_from_slice(tag.as_ref());
    Ok(message)
}

#[cfg(test)]
#[path = "esdk_tests.rs"]
mod tests;
