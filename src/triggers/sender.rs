//! CustomEmailSender: the pool's function mails its codes itself. In place of a mail, the
//! function gets the event with `request.type` `customEmailSenderRequestV1` and `request.code`
//! the code (or temporary password) encrypted as an AWS Encryption SDK message
//! ([`crate::crypto::esdk`]), base64, as Cognito sends it.
//!
//! Cognito encrypts under the pool's `LambdaConfig.KMSKeyID`; there is no KMS here, so the
//! configuration maps that ARN to an RSA public key (`[custom_sender_keys]`, ARN → PEM file)
//! and the message's data key is wrapped to it for a *raw RSA keyring* with key namespace
//! [`KEY_NAMESPACE`] and key name = the KMSKeyID ARN. The encryption context is
//! `{"userpool-id": <pool id>}`. The function decrypts with the AWS Encryption SDK, changing only
//! its keyring (docs/custom-email-sender.md).
//!
//! As Cognito, the function is invoked asynchronously: the request that sends the code does not
//! wait for it and is not failed by it. The call is written to the retry queue
//! ([`super::retry`]) before it is sent and settled after, so a failed call, or one a stopping
//! node never finished, is sent again with the event as it was: the ciphertext is stored, never
//! the code. (The row is written in the background task, like the call, so the request's timing
//! does not depend on it.) A pool
//! whose KMSKeyID has no configured key sends nothing: the failure is logged and recorded in the
//! event log.

use super::{Call, Trigger, Triggers};
use crate::crypto::esdk::{self, RawRsaKey};
use crate::events::{AuthEvent, AuthEventType, Reason};
use base64::Engine;
use rustls::pki_types::SubjectPublicKeyInfoDer;
use rustls::pki_types::pem::PemObject;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The raw RSA keyring's key namespace (the encrypted data key's provider id).
pub const KEY_NAMESPACE: &str = "portcullis";
/// `request.type` of the events.
pub const REQUEST_TYPE: &str = "customEmailSenderRequestV1";

/// The configured keys, by KMSKeyID ARN.
pub type SenderKeys = BTreeMap<String, Arc<RawRsaKey>>;

/// Read each ARN's PEM public key (`-----BEGIN PUBLIC KEY-----`, an RSA key of at least 2048
/// bits). An error names the ARN and the file.
pub fn load_keys(paths: &BTreeMap<String, PathBuf>) -> Result<SenderKeys, String> {
    let mut keys = SenderKeys::new();
    for (arn, path) in paths {
        let problem = |why: String| format!("custom_sender_keys: {arn}: {}: {why}", path.display());
        let pem = std::fs::read(path).map_err(|e| problem(e.to_string()))?;
        let der = SubjectPublicKeyInfoDer::from_pem_slice(&pem)
            .map_err(|e| problem(format!("no PEM public key (BEGIN PUBLIC KEY) in it: {e:?}")))?;
        let key = RawRsaKey::from_spki_der(KEY_NAMESPACE, arn, der.as_ref()).map_err(problem)?;
        keys.insert(arn.clone(), Arc::new(key));
    }
    Ok(keys)
}

/// The CustomEmailSender function ARN of a pool's stored document.
pub fn email_sender_arn(pool_document: &Value) -> Option<&str> {
    let sender = pool_document.get("LambdaConfig")?.get(Trigger::CustomEmailSender.name())?;
    sender.get("LambdaArn")?.as_str().filter(|s| !s.is_empty())
}

/// The `triggerSource` of the custom email sender for a CustomMessage one
/// (`CustomMessage_SignUp` → `CustomEmailSender_SignUp`, …).
pub fn sender_source(message_source: &str) -> Option<&'static str> {
    Some(match message_source.strip_prefix("CustomMessage_")? {
        "SignUp" => "CustomEmailSender_SignUp",
        "ResendCode" => "CustomEmailSender_ResendCode",
        "ForgotPassword" => "CustomEmailSender_ForgotPassword",
        "UpdateUserAttribute" => "CustomEmailSender_UpdateUserAttribute",
        "VerifyUserAttribute" => "CustomEmailSender_VerifyUserAttribute",
        "AdminCreateUser" => "CustomEmailSender_AdminCreateUser",
        "Authentication" => "CustomEmailSender_Authentication",
        _ => return None,
    })
}

impl Triggers {
    /// Hand `secret` (a code or temporary password) to the pool's CustomEmailSender function,
    /// encrypted into `call.request.code`, without waiting for it. The caller has checked that
    /// the pool has the function ([`email_sender_arn`]).
    pub async fn send_email(self: &Arc<Self>, pool_document: &Value, mut call: Call<'_>, secret: &str) {
        let Some(arn) = email_sender_arn(pool_document).map(str::to_string) else {
            return;
        };
        let kms_key = pool_document["LambdaConfig"]["KMSKeyID"].as_str().unwrap_or_default();
        let context = [("userpool-id", call.pool_id.as_str())];
        let encrypted = match self.sender_keys.get(kms_key) {
            Some(key) => esdk::encrypt(key, &context, secret.as_bytes()).map_err(|_| "encryption failed"),
            None => Err("no key configured for the pool's KMSKeyID"),
        };
        let code = match encrypted {
            Ok(m) => base64::engine::general_purpose::STANDARD.encode(m),
            Err(why) => return self.unsendable(&call, kms_key, why).await,
        };
        call.request["type"] = json!(REQUEST_TYPE);
        call.request["code"] = json!(code);
        let event = self.event(&call);
        let (this, pool_id, trigger) = (self.clone(), call.pool_id.clone(), call.trigger);
        tokio::spawn(async move { this.send_written_ahead(&pool_id, trigger, &arn, &event).await });
    }

    /// The code cannot be encrypted: nothing is sent; logged and recorded.
    async fn unsendable(&self, call: &Call<'_>, kms_key: &str, why: &'static str) {
        tracing::error!(pool = %call.pool_id, kms_key, trigger = call.trigger.name(), "{why}: the code was not sent");
        crate::metrics::trigger_call(call.trigger.name(), "no_key", 0.0);
        let details =
            json!({"trigger": call.trigger.name(), "source": call.source, "result": "no_key", "kms_key": kms_key});
        let e = AuthEvent::failed(call.pool_id, AuthEventType::Trigger, Reason::TriggerFailed)
            .username(call.user_name)
            .details(details);
        self.events.record_auth(e).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_follow_the_custom_message_ones() {
        assert_eq!(sender_source("CustomMessage_SignUp"), Some("CustomEmailSender_SignUp"));
        assert_eq!(sender_source("CustomMessage_Authentication"), Some("CustomEmailSender_Authentication"));
        assert_eq!(sender_source("CustomMessage_AdminCreateUser"), Some("CustomEmailSender_AdminCreateUser"));
        assert_eq!(sender_source("PreSignUp_SignUp"), None);
    }

    #[test]
    fn the_arn_is_read_from_the_versioned_member() {
        let doc = json!({"LambdaConfig": {"CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": "arn:f"}}});
        assert_eq!(email_sender_arn(&doc), Some("arn:f"));
        assert_eq!(email_sender_arn(&json!({"LambdaConfig": {}})), None);
    }

    #[test]
    fn keys_load_from_pem_and_bad_files_name_the_arn() {
        use aws_lc_rs::encoding::AsDer;
        let dir = tempfile::tempdir().unwrap();
        let private = aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        let der = private.public_key().as_der().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let good = dir.path().join("good.pem");
        std::fs::write(&good, format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")).unwrap();
        let bad = dir.path().join("bad.pem");
        std::fs::write(&bad, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").unwrap();
        let keys = load_keys(&BTreeMap::from([("arn:k1".to_string(), good.clone())])).unwrap();
        assert_eq!(keys["arn:k1"].name, "arn:k1");
        assert_eq!(keys["arn:k1"].namespace, "portcullis");
        let e = load_keys(&BTreeMap::from([("arn:k2".to_string(), bad)])).unwrap_err();
        assert!(e.contains("arn:k2") && e.contains("bad.pem"), "{e}");
        let e = load_keys(&BTreeMap::from([("arn:k3".to_string(), dir.path().join("missing.pem"))])).unwrap_err();
        assert!(e.contains("arn:k3"), "{e}");
    }
}
