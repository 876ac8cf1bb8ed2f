//! The AWS Signature Version 4 computation both directions share, through the `aws-sigv4`
//! crate: the management API re-signs a request it received to check its signature
//! (`crate::api::sigv4`), the triggers sign the Lambda Invoke calls they send. The signing key
//! is derived from the credentials, the region and the service named here.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::{Duration, UNIX_EPOCH};

/// Who signs, for which region and service, at which time (epoch seconds).
pub struct Signer<'a> {
    pub access_key_id: &'a str,
    pub secret: &'a str,
    pub session_token: Option<&'a str>,
    pub region: &'a str,
    pub service: &'a str,
    pub time: i64,
}

/// What signing a request gives: the signature (hex) and the headers to add to it
/// (`authorization`, `x-amz-date`, and `x-amz-security-token` with a session token).
#[derive(Debug)]
pub struct Signed {
    pub signature: String,
    pub headers: Vec<(String, String)>,
}

impl Signer<'_> {
    /// Sign `method` `uri` with exactly `headers` (lower-case names; `host` among them unless
    /// `uri` is absolute) and `body`. `sign_all`: every given header is signed (what a verifier
    /// re-signing a received request needs); otherwise the crate's default exclusions apply.
    pub fn sign<'h>(
        &self,
        method: &'h str,
        uri: &'h str,
        headers: impl Iterator<Item = (&'h str, &'h str)>,
        body: &'h [u8],
        sign_all: bool,
    ) -> Result<Signed, String> {
        let identity: Identity = Credentials::new(
            self.access_key_id,
            self.secret,
            self.session_token.map(str::to_string),
            None,
            "portcullis",
        )
        .into();
        let mut settings = SigningSettings::default();
        if sign_all {
            settings.excluded_headers = Some(vec![]);
        }
        let time = UNIX_EPOCH + Duration::from_secs(self.time.max(0) as u64);
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region(self.region)
            .name(self.service)
            .time(time)
            .settings(settings)
            .build()
            .map_err(|e| e.to_string())?
            .into();
        let signable =
            SignableRequest::new(method, uri, headers, SignableBody::Bytes(body)).map_err(|e| e.to_string())?;
        let out = sign(signable, &params).map_err(|e| e.to_string())?;
        let signature = out.signature().to_string();
        let (instructions, _) = out.into_parts();
        let headers = instructions.headers().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
        Ok(Signed { signature, headers })
    }
}
