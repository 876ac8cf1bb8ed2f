//! A reader of the messages [`super::encrypt`] writes, following the specification step by step
//! with the private key: header fields, the unwrapped data key, commitment, header
//! authentication, and the frame.

use super::*;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey};

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        a
    }
    fn u16(&mut self) -> usize {
        u16::from_be_bytes(self.take(2).try_into().unwrap()) as usize
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    fn short(&mut self) -> &'a [u8] {
        let n = self.u16();
        self.take(n)
    }
}

fn open(cipher: &LessSafeKey, iv: [u8; 12], aad: &[u8], content: &[u8], tag: &[u8]) -> Option<Vec<u8>> {
    let mut buf = [content, tag].concat();
    let n = cipher.open_in_place(Nonce::assume_unique_for_key(iv), Aad::from(aad), &mut buf).ok()?.len();
    buf.truncate(n);
    Some(buf)
}

/// Decrypt `message` with `private`: (encryption context pairs, plaintext), or a panic naming
/// the field that is wrong.
fn decrypt(
    private: &PrivateDecryptingKey,
    namespace: &str,
    name: &str,
    message: &[u8],
) -> (Vec<(String, String)>, Vec<u8>) {
    let mut r = Reader(message);
    assert_eq!(r.take(1), [VERSION]);
    assert_eq!(r.u16(), SUITE_ID as usize);
    let message_id = r.take(32);
    let context = r.short();
    let mut pairs = Vec::new();
    if !context.is_empty() {
        let mut c = Reader(context);
        for _ in 0..c.u16() {
            let k = String::from_utf8(c.short().to_vec()).unwrap();
            pairs.push((k, String::from_utf8(c.short().to_vec()).unwrap()));
        }
        assert!(c.0.is_empty());
    }
    assert_eq!(r.u16(), 1, "one encrypted data key");
    assert_eq!(r.short(), namespace.as_bytes());
    assert_eq!(r.short(), name.as_bytes());
    let wrapped = r.short();
    assert_eq!(r.take(1), [FRAMED]);
    assert_eq!(r.u32(), FRAME_LENGTH);
    let commitment = r.take(32);
    let header_len = message.len() - r.0.len();
    let header_tag = r.take(16);

    let oaep = OaepPrivateDecryptingKey::new(private.clone()).unwrap();
    let mut out = vec![0u8; oaep.min_output_size()];
    let data_key = oaep.decrypt(&OAEP_SHA256_MGF1SHA256, wrapped, &mut out, None).unwrap().to_vec();
    assert_eq!(data_key.len(), 32);
    let (content_key, expected_commitment) = derive_keys(&data_key, message_id).unwrap();
    assert_eq!(commitment, expected_commitment, "key commitment");
    let cipher = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &content_key).unwrap());
    let header = &message[..header_len];
    assert_eq!(open(&cipher, [0; 12], header, &[], header_tag), Some(vec![]), "header authentication");

    assert_eq!(r.u32(), FINAL_FRAME);
    let sequence = r.u32();
    assert_eq!(sequence, 1);
    let iv: [u8; 12] = r.take(12).try_into().unwrap();
    assert_eq!(iv, frame_iv(1));
    let len = r.u32() as usize;
    let content = r.take(len);
    let tag = r.take(16);
    assert!(r.0.is_empty(), "no footer for an unsigned suite");
    let aad = [message_id, FINAL_FRAME_AAD, &sequence.to_be_bytes(), &(len as u64).to_be_bytes()].concat();
    (pairs, open(&cipher, iv, &aad, content, tag).expect("frame authentication"))
}

fn keys() -> (PrivateDecryptingKey, RawRsaKey) {
    let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let der = private.public_key().as_der().unwrap();
    let public = RawRsaKey::from_spki_der("portcullis", "arn:aws:kms:local:000000000000:key/k1", der.as_ref()).unwrap();
    (private, public)
}

#[test]
fn a_message_decrypts_with_the_private_key_and_carries_the_spec_header() {
    let (private, public) = keys();
    let context = [("userpool-id", "local_abc"), ("a", "first")];
    let m = encrypt(&public, &context, b"123456").unwrap();
    let (pairs, plaintext) = decrypt(&private, "portcullis", "arn:aws:kms:local:000000000000:key/k1", &m);
    assert_eq!(plaintext, b"123456");
    let sorted = vec![("a".to_string(), "first".to_string()), ("userpool-id".to_string(), "local_abc".to_string())];
    assert_eq!(pairs, sorted, "the context, sorted by key");
    let again = encrypt(&public, &context, b"123456").unwrap();
    assert_ne!(m[3..35], again[3..35], "a fresh message id each time");
    assert_ne!(m, again);
}

#[test]
fn a_changed_byte_fails_authentication() {
    let (private, public) = keys();
    let mut m = encrypt(&public, &[], b"secret").unwrap();
    let last = m.len() - 20;
    m[last] ^= 1;
    let r = std::panic::catch_unwind(|| decrypt(&private, "portcullis", "arn:aws:kms:local:000000000000:key/k1", &m));
    assert!(r.is_err());
}

#[test]
fn junk_keys_and_long_plaintexts_are_refused() {
    assert!(RawRsaKey::from_spki_der("n", "k", b"not a key").is_err());
    let (_, public) = keys();
    assert!(encrypt(&public, &[], &[0u8; FRAME_LENGTH as usize]).is_err(), "one frame at most");
}
