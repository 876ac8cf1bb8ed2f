//! The AWS Query protocol as the SDKs speak it to IAM and STS: a form on `POST /`, SigV4-signed
//! (with a management key or with vended temporary credentials) or not, and an XML answer. Used
//! by the IAM and STS tests and by the identity-pool credential tests.

use crate::helpers::*;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use portcullis::clock::Clock;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
pub const ACCOUNT: &str = "000000000000";

/// Who signs a Query request.
#[derive(Clone)]
pub struct Signer {
    pub key: String,
    pub secret: String,
    pub token: Option<String>,
    /// Service in the credential scope.
    pub service: &'static str,
    /// Signing time (the server's clock unless a test wants skew).
    pub time: SystemTime,
}

impl Signer {
    pub fn management(app: &TestApp, service: &'static str) -> Signer {
        Signer { key: ACCESS_KEY.into(), secret: SECRET_KEY.into(), token: None, service, time: server_time(app) }
    }

    pub fn temporary(app: &TestApp, c: &Creds) -> Signer {
        Signer {
            key: c.access_key_id.clone(),
            secret: c.secret.clone(),
            token: Some(c.session_token.clone()),
            service: "sts",
            time: server_time(app),
        }
    }
}

pub fn server_time(app: &TestApp) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(app.clock.now() as u64)
}

/// POST a Query-protocol form, signed or not: (status, body).
pub async fn query(app: &TestApp, params: &[(&str, &str)], signer: Option<&Signer>) -> (u16, String) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    let host = format!("127.0.0.1:{}", app.port);
    let mut headers: Vec<(String, String)> =
        vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into()), ("host".into(), host)];
    if let Some(s) = signer {
        if let Some(t) = &s.token {
            headers.push(("x-amz-security-token".into(), t.clone()));
        }
        let identity: Identity = Credentials::new(&s.key, &s.secret, None, None, "test").into();
        let params = v4::SigningParams::builder()
            .identity(&identity)
            .region("us-east-1")
            .name(s.service)
            .time(s.time)
            .settings(SigningSettings::default())
            .build()
            .expect("params")
            .into();
        let signable = SignableRequest::new(
            "POST",
            "/",
            headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            SignableBody::Bytes(body.as_bytes()),
        )
        .expect("signable");
        let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
        for (k, v) in instructions.headers() {
            headers.push((k.to_string(), v.to_string()));
        }
    }
    let mut req = app.http.post(format!("{}/", app.base)).body(body);
    for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
        req = req.header(k, v);
    }
    let resp = req.send().await.expect("send");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("body"))
}

pub async fn iam(app: &TestApp, params: &[(&str, &str)]) -> (u16, String) {
    let mut all = params.to_vec();
    all.push(("Version", "2010-05-08"));
    query(app, &all, Some(&Signer::management(app, "iam"))).await
}

pub async fn iam_ok(app: &TestApp, params: &[(&str, &str)]) -> String {
    let (status, body) = iam(app, params).await;
    assert_eq!(status, 200, "{params:?}: {body}");
    body
}

/// Text of the first `<name>` element, unescaped.
pub fn tag(xml: &str, name: &str) -> Option<String> {
    tags(xml, name).into_iter().next()
}

pub fn tags(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(xml_unescape(&after[..end]));
        rest = &after[end + close.len()..];
    }
    out
}

pub fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// Assert an AWS XML error: status, code, namespace; returns the message.
#[track_caller]
pub fn error(got: &(u16, String), status: u16, code: &str, namespace: &str) -> String {
    let (s, body) = got;
    assert_eq!((*s, tag(body, "Code").as_deref()), (status, Some(code)), "{body}");
    assert!(
        body.starts_with(&format!("<ErrorResponse xmlns=\"{namespace}\"><Error><Type>Sender</Type><Code>")),
        "{body}"
    );
    assert!(tag(body, "RequestId").is_some_and(|r| r.len() == 36), "{body}");
    tag(body, "Message").expect("message")
}

/// A trust policy for web identities of `provider`, with conditions.
pub fn trust(provider: &str, condition: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }]})
    .to_string()
}

/// Vended credentials as the test reads them from the XML.
#[derive(Debug, Clone)]
pub struct Creds {
    pub access_key_id: String,
    pub secret: String,
    pub session_token: String,
    pub expiration: i64,
}

/// The credentials of an STS answer.
pub fn creds(xml: &str) -> Creds {
    Creds {
        access_key_id: tag(xml, "AccessKeyId").expect("AccessKeyId"),
        secret: tag(xml, "SecretAccessKey").expect("SecretAccessKey"),
        session_token: tag(xml, "SessionToken").expect("SessionToken"),
        expiration: chrono::DateTime::parse_from_rfc3339(&tag(xml, "Expiration").expect("Expiration"))
            .expect("ISO 8601")
            .timestamp(),
    }
}

impl Creds {
    /// The `Credentials` of a GetCredentialsForIdentity answer (identity pools, JSON).
    pub fn of_identity(c: &Value) -> Creds {
        Creds {
            access_key_id: c["AccessKeyId"].as_str().expect("AccessKeyId").into(),
            secret: c["SecretKey"].as_str().expect("SecretKey").into(),
            session_token: c["SessionToken"].as_str().expect("SessionToken").into(),
            expiration: c["Expiration"].as_i64().expect("Expiration in epoch seconds"),
        }
    }
}

/// AssumeRoleWithWebIdentity (unsigned, as the SDKs send it) with `extra` parameters.
pub async fn assume(
    app: &TestApp,
    role_arn: &str,
    session: &str,
    token: &str,
    extra: &[(&str, &str)],
) -> (u16, String) {
    let mut p = vec![
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", role_arn),
        ("RoleSessionName", session),
        ("WebIdentityToken", token),
    ];
    p.extend_from_slice(extra);
    query(app, &p, None).await
}

/// GetCallerIdentity signed by `signer`.
pub async fn caller_identity(app: &TestApp, signer: &Signer) -> (u16, String) {
    query(app, &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")], Some(signer)).await
}
