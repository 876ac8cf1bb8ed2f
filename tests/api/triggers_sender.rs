//! CustomEmailSender end to end: the codes of SignUp, ResendConfirmationCode, ForgotPassword and
//! AdminCreateUser's temporary password reach the function (the fake Lambda) encrypted as AWS
//! Encryption SDK messages, no mail is sent and CustomMessage is not asked; the AWS Encryption
//! SDK for Python (`tests/boto3/esdk_decrypt.py`, a raw RSA keyring with the private key, installed
//! into `target/pydeps-esdk` when Python lacks it) decrypts them, and the decrypted codes work.
//! A failed call is queued with the ciphertext and delivered by the janitor; a pool whose
//! KMSKeyID has no configured key sends nothing and records the failure; CreateUserPool and
//! UpdateUserPool refuse a custom sender without a KMSKeyID.

use crate::aws_sdk::python;
use crate::helpers::*;
use crate::smtp::SmtpSink;
use crate::triggers_fake::*;
use aws_lc_rs::encoding::AsDer;
use base64::Engine;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

const KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const UNKNOWN_KMS_KEY: &str = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000";

/// A fresh RSA key pair as PEM files: the public one for the server, the private one for the
/// function.
struct KeyFiles {
    _dir: tempfile::TempDir,
    public: PathBuf,
    private: PathBuf,
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

fn key_files() -> KeyFiles {
    let key = aws_lc_rs::rsa::PrivateDecryptingKey::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (public, private) = (dir.path().join("public.pem"), dir.path().join("private.pem"));
    std::fs::write(&public, pem("PUBLIC KEY", key.public_key().as_der().unwrap().as_ref())).unwrap();
    std::fs::write(&private, pem("PRIVATE KEY", key.as_der().unwrap().as_ref())).unwrap();
    KeyFiles { _dir: dir, public, private }
}

/// An app whose Lambda endpoint is `fake`, whose mail goes to a new sink, with `keys`' public
/// key configured for [`KMS_KEY`].
async fn sender_app(fake: &FakeLambda, keys: &KeyFiles) -> (TestApp, SmtpSink) {
    sender_app_with(fake, keys, |_| {}).await
}

async fn sender_app_with(
    fake: &FakeLambda,
    keys: &KeyFiles,
    tweak: impl FnOnce(&mut portcullis::config::Config),
) -> (TestApp, SmtpSink) {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| {
        configure(c, fake);
        c.smtp_url = Some(portcullis::config::Secret::new(url));
        c.triggers.sender_keys.insert(KMS_KEY.into(), keys.public.clone());
        tweak(c);
    })
    .await;
    (app, sink)
}

/// A pool whose CustomEmailSender is `sender` (and CustomMessage `msg`, which must stay
/// unasked) with `kms_key`, e-mail verified by code, and a client that signs in with passwords.
async fn sender_pool(app: &TestApp, kms_key: &str) -> (String, String) {
    let lambda = json!({
        "CustomEmailSender": {"LambdaVersion": "V1_0", "LambdaArn": arn("sender")},
        "CustomMessage": arn("msg"),
        "KMSKeyID": kms_key,
    });
    let pool = app.create_pool(json!({"LambdaConfig": lambda, "AutoVerifiedAttributes": ["email"]})).await;
    let flows = json!({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]});
    let (client, _) = app.create_client(&pool, false, flows).await;
    (pool, client)
}

/// The first `n` events the function got, waiting up to ten seconds for them (it is invoked
/// without the request waiting).
async fn sender_events(fake: &FakeLambda, n: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let events = fake.events_of("sender");
        if events.len() >= n {
            return events;
        }
        assert!(tokio::time::Instant::now() < deadline, "{} of {n} sender calls arrived", events.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Decrypt `codes` (base64) with the AWS Encryption SDK for Python: one JSON object each
/// (`plaintext`, `context`, `algorithm`, `version`). Off the runtime, which serves the app.
async fn decrypt(private: &Path, codes: &[&str]) -> Vec<Value> {
    let (private, codes) = (private.to_path_buf(), codes.iter().map(|c| c.to_string()).collect::<Vec<_>>());
    tokio::task::spawn_blocking(move || decrypt_now(&private, &codes)).await.unwrap()
}

fn decrypt_now(private: &Path, codes: &[String]) -> Vec<Value> {
    let python = python();
    let deps = python_package_path(&python, "aws_encryption_sdk", "aws-encryption-sdk", "pydeps-esdk");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3/esdk_decrypt.py");
    let mut cmd = std::process::Command::new(&python);
    cmd.arg(script).arg(private).arg(KMS_KEY).args(codes).env("PYTHONDONTWRITEBYTECODE", "1");
    match deps {
        Some(p) => cmd.env("PYTHONPATH", p),
        None => cmd.env_remove("PYTHONPATH"),
    };
    let out = cmd.output().expect("run python");
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "decryption failed:\n{stdout}\n{stderr}");
    stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// The event's code, after checking the shape Cognito gives it.
fn code_of<'e>(e: &'e Value, source: &str, user: &str, pool: &str) -> &'e str {
    assert_eq!(e["triggerSource"], source, "{e}");
    assert_eq!(e["userName"], user);
    assert_eq!(e["userPoolId"], pool);
    assert_eq!(e["version"], "1");
    assert_eq!(e["request"]["type"], "customEmailSenderRequestV1");
    assert_eq!(e["request"]["userAttributes"]["email"], format!("{user}@example.com"));
    assert!(e["request"]["userAttributes"]["sub"].is_string());
    e["request"]["code"].as_str().expect("an encrypted code")
}

/// The decrypted message is the committing suite 0x0478 of format 2, bound to the pool.
fn plaintext(d: &Value, pool: &str) -> String {
    assert_eq!(d["algorithm"], 0x0478, "{d}");
    assert_eq!(d["version"], 2);
    assert_eq!(d["context"], json!({"userpool-id": pool}));
    d["plaintext"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sign_up_codes_reach_the_sender_encrypted_and_confirm_the_user() {
    let (fake, keys) = (FakeLambda::start(), key_files());
    let (app, sink) = sender_app(&fake, &keys).await;
    let (pool, client) = sender_pool(&app, KMS_KEY).await;
    let body = json!({
        "ClientId": client, "Username": "ann", "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": "ann@example.com"}],
        "ClientMetadata": {"campaign": "spring"},
    });
    let (status, v) = app.public_api("SignUp", body).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    let resend = json!({"ClientId": client, "Username": "ann"});
    assert_eq!(app.public_api("ResendConfirmationCode", resend).await.0, 200);

    // The two calls run on their own and may arrive in either order.
    let mut events = sender_events(&fake, 2).await;
    events.sort_by_key(|e| e["triggerSource"] != "CustomEmailSender_SignUp");
    let first = code_of(&events[0], "CustomEmailSender_SignUp", "ann", &pool);
    assert_eq!(events[0]["request"]["clientMetadata"], json!({"campaign": "spring"}));
    assert_eq!(events[0]["callerContext"]["clientId"], client);
    let second = code_of(&events[1], "CustomEmailSender_ResendCode", "ann", &pool);
    let decrypted = decrypt(&keys.private, &[first, second]).await;
    let (old, new) = (plaintext(&decrypted[0], &pool), plaintext(&decrypted[1], &pool));
    assert!(new.len() == 6 && new.chars().all(|c| c.is_ascii_digit()), "{new}");
    assert!(!events[0].to_string().contains(&old), "the event never carries the code in clear");

    let confirm = json!({"ClientId": client, "Username": "ann", "ConfirmationCode": new});
    let (status, v) = app.public_api("ConfirmSignUp", confirm).await;
    assert_eq!(status, 200, "{v}");
    assert!(sink.all().is_empty(), "no mail is sent");
    assert!(fake.events_of("msg").is_empty(), "CustomMessage is not asked for the sender's mails");
}

#[tokio::test]
async fn forgot_password_codes_and_temporary_passwords_reach_the_sender() {
    let (fake, keys) = (FakeLambda::start(), key_files());
    let (app, sink) = sender_app(&fake, &keys).await;
    let (pool, client) = sender_pool(&app, KMS_KEY).await;
    let invite = json!({
        "UserPoolId": pool, "Username": "bea", "DesiredDeliveryMediums": ["EMAIL"],
        "UserAttributes": [{"Name": "email", "Value": "bea@example.com"}, {"Name": "email_verified", "Value": "true"}],
        "ClientMetadata": {"from": "admin"},
    });
    let (status, v) = app.api("AdminCreateUser", invite).await;
    assert_eq!(status, 200, "{v}");
    let events = sender_events(&fake, 1).await;
    let temporary = code_of(&events[0], "CustomEmailSender_AdminCreateUser", "bea", &pool).to_string();
    assert_eq!(events[0]["request"]["clientMetadata"], json!({"from": "admin"}));
    let temporary = plaintext(&decrypt(&keys.private, &[&temporary]).await[0], &pool);
    let sign_in = json!({"ClientId": client, "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": "bea", "PASSWORD": temporary}});
    let (status, v) = app.public_api("InitiateAuth", sign_in).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ChallengeName"], "NEW_PASSWORD_REQUIRED", "the decrypted temporary password signs in");

    let set = json!({"UserPoolId": pool, "Username": "bea", "Password": PASSWORD, "Permanent": true});
    assert_eq!(app.api("AdminSetUserPassword", set).await.0, 200);
    let (status, v) = app.public_api("ForgotPassword", json!({"ClientId": client, "Username": "bea"})).await;
    assert_eq!(status, 200, "{v}");
    let events = sender_events(&fake, 2).await;
    let code = code_of(&events[1], "CustomEmailSender_ForgotPassword", "bea", &pool);
    let code = plaintext(&decrypt(&keys.private, &[code]).await[0], &pool);
    let reset = json!({"ClientId": client, "Username": "bea", "ConfirmationCode": code, "Password": "New-Horse-77"});
    let (status, v) = app.public_api("ConfirmForgotPassword", reset).await;
    assert_eq!(status, 200, "{v}");
    assert!(sink.all().is_empty(), "no mail is sent");
    assert!(fake.events_of("msg").is_empty());
}

/// The call is written to the queue before it is sent, due only after its whole budget: a node
/// that stopped mid-call would leave it to the retry worker. Once delivered, the row goes.
#[tokio::test]
async fn a_sender_call_is_written_ahead_and_settled() {
    let (fake, keys) = (FakeLambda::start(), key_files());
    let (app, _sink) = sender_app_with(&fake, &keys, |c| c.triggers.retry_every_secs = Some(3600)).await;
    let (pool, client) = sender_pool(&app, KMS_KEY).await;
    fake.script("sender", Script::Slow(2));
    let body = json!({"ClientId": client, "Username": "dot", "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": "dot@example.com"}]});
    assert_eq!(app.public_api("SignUp", body).await.0, 200);
    let store = &app.services.store;
    let pool_id: portcullis::ids::PoolId = pool.as_str().into();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let ahead = loop {
        let rows = store.pool_trigger_retries(&pool_id).await.unwrap();
        if !rows.is_empty() || tokio::time::Instant::now() > deadline {
            break rows;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(ahead.len(), 1, "the call is written down while it is in flight");
    assert_eq!((ahead[0].attempts, ahead[0].last_error.as_str()), (0, "pending"));
    assert!(ahead[0].next_at - ahead[0].created_at >= 60, "not due before the call's budget: {:?}", ahead[0]);
    let event: Value = serde_json::from_str(&ahead[0].event).unwrap();
    code_of(&event, "CustomEmailSender_SignUp", "dot", &pool);
    let events = sender_events(&fake, 1).await;
    assert_eq!(events[0]["request"]["code"], event["request"]["code"]);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !store.pool_trigger_retries(&pool_id).await.unwrap().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "the delivered call stays queued");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_failed_sender_call_is_queued_with_the_ciphertext_and_retried() {
    let (fake, keys) = (FakeLambda::start(), key_files());
    // The clock runs with real time: with the node's own retry worker looking every 15 s, a slow
    // decrypt below would let it send the queued call first. Only this test's passes send it.
    let (app, _sink) = sender_app_with(&fake, &keys, |c| c.triggers.retry_every_secs = Some(3600)).await;
    let (pool, client) = sender_pool(&app, KMS_KEY).await;
    fake.script("sender", Script::Status(503));
    let body = json!({"ClientId": client, "Username": "cal", "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": "cal@example.com"}]});
    let (status, v) = app.public_api("SignUp", body).await;
    assert_eq!(status, 200, "the request does not fail with the function: {v}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let queued = loop {
        let queued = app.services.store.pool_trigger_retries(&pool.as_str().into()).await.unwrap();
        let settled = queued.iter().any(|r| r.last_error != "pending");
        if settled || tokio::time::Instant::now() > deadline {
            break queued;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].attempts, 1, "{:?}", queued[0]);
    assert_eq!(queued[0].trigger_name, "CustomEmailSender");
    let stored: Value = serde_json::from_str(&queued[0].event).unwrap();
    let code = code_of(&stored, "CustomEmailSender_SignUp", "cal", &pool);
    let clear = plaintext(&decrypt(&keys.private, &[code]).await[0], &pool);
    assert!(!queued[0].event.contains(&clear), "the queue holds the ciphertext, never the code");

    // The busy function was tried up to three times within the call's budget; then the queue.
    let tried = fake.events_of("sender").len();
    assert!((1..=3).contains(&tried), "{tried} calls before the queue");
    fake.script("sender", Script::Respond(json!({})));
    app.clock.advance_secs(61);
    assert!(portcullis::startup::trigger_retry_pass(&app.services, "node-1").await);
    let events = sender_events(&fake, tried + 1).await;
    assert_eq!(events[tried]["request"]["code"], code, "the retry sends the event as it was");
    assert!(app.services.store.pool_trigger_retries(&pool.as_str().into()).await.unwrap().is_empty());
    let confirm = json!({"ClientId": client, "Username": "cal", "ConfirmationCode": clear});
    assert_eq!(app.public_api("ConfirmSignUp", confirm).await.0, 200);
}

#[tokio::test]
async fn a_kms_key_without_a_configured_key_sends_nothing_and_is_recorded() {
    let (fake, keys) = (FakeLambda::start(), key_files());
    let (app, sink) = sender_app(&fake, &keys).await;
    let (pool, client) = sender_pool(&app, UNKNOWN_KMS_KEY).await;
    let body = json!({"ClientId": client, "Username": "dot", "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": "dot@example.com"}]});
    let (status, v) = app.public_api("SignUp", body).await;
    assert_eq!(status, 200, "{v}");
    let page = app.services.events.list(&Default::default(), 100, None).await.unwrap();
    let failed: Vec<_> = page.events.iter().filter(|e| e.event_type == "Trigger").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].outcome, "Fail");
    let details = portcullis::events::details_of(failed[0]);
    assert_eq!(details["trigger"], "CustomEmailSender");
    assert_eq!(details["source"], "CustomEmailSender_SignUp");
    assert_eq!(details["result"], "no_key");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.calls().is_empty(), "nothing is sent");
    assert!(sink.all().is_empty(), "and nothing is mailed in its place");
    assert!(app.services.store.pool_trigger_retries(&pool.as_str().into()).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_custom_sender_needs_a_kms_key_id() {
    let app = TestApp::spawn().await;
    let sender = json!({"LambdaVersion": "V1_0", "LambdaArn": arn("sender")});
    let create = |lambda: Value| json!({"PoolName": "p", "LambdaConfig": lambda});
    for name in ["CustomEmailSender", "CustomSMSSender"] {
        let lambda = serde_json::Map::from_iter([(name.to_string(), sender.clone())]);
        let (status, v) = app.api("CreateUserPool", create(Value::Object(lambda))).await;
        assert_eq!(status, 400, "{v}");
        assert_eq!(v["__type"], "InvalidParameterException");
        assert!(v["message"].as_str().unwrap().contains("KMSKeyID"), "{v}");
    }
    let old = json!({"LambdaVersion": "V2_0", "LambdaArn": arn("sender")});
    let (status, v) = app.api("CreateUserPool", create(json!({"CustomEmailSender": old, "KMSKeyID": KMS_KEY}))).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("InvalidParameterException")), "{v}");
    let (status, v) =
        app.api("CreateUserPool", create(json!({"CustomEmailSender": sender, "KMSKeyID": KMS_KEY}))).await;
    assert_eq!(status, 200, "{v}");
    let pool = v["UserPool"]["Id"].as_str().unwrap();
    assert_eq!(v["UserPool"]["LambdaConfig"]["CustomEmailSender"], sender);
    let update = json!({"UserPoolId": pool, "LambdaConfig": {"CustomEmailSender": sender}});
    let (status, v) = app.api("UpdateUserPool", update).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("InvalidParameterException")), "{v}");
}

#[tokio::test]
async fn attribute_and_sign_in_codes_reach_the_sender() {
    let (fake, keys) = (FakeLambda::start(), key_files());
    let (app, sink) = sender_app(&fake, &keys).await;
    let (pool, client) = sender_pool(&app, KMS_KEY).await;
    app.create_user(&pool, "jo", PASSWORD, json!([{"Name": "email", "Value": "jo@example.com"}])).await;
    let (status, v) = initiate_auth(&app, &client, "jo", PASSWORD).await;
    assert_eq!(status, 200, "{v}");
    let access = v["AuthenticationResult"]["AccessToken"].as_str().unwrap().to_string();
    let ask = json!({"AccessToken": access, "AttributeName": "email"});
    assert_eq!(app.public_api("GetUserAttributeVerificationCode", ask).await.0, 200);
    let events = sender_events(&fake, 1).await;
    let code = code_of(&events[0], "CustomEmailSender_VerifyUserAttribute", "jo", &pool).to_string();
    let code = plaintext(&decrypt(&keys.private, &[&code]).await[0], &pool);
    let verify = json!({"AccessToken": access, "AttributeName": "email", "Code": code});
    let (status, v) = app.public_api("VerifyUserAttribute", verify).await;
    assert_eq!(status, 200, "{v}");

    let update = json!({"AccessToken": access, "UserAttributes": [{"Name": "email", "Value": "jo2@example.com"}]});
    assert_eq!(app.public_api("UpdateUserAttributes", update).await.0, 200);
    let events = sender_events(&fake, 2).await;
    assert_eq!(events[1]["triggerSource"], "CustomEmailSender_UpdateUserAttribute");
    assert_eq!(events[1]["request"]["userAttributes"]["email"], "jo2@example.com", "where the code must go");

    let mfa =
        json!({"UserPoolId": pool, "MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {"Message": "Use {####}"}});
    app.ok("SetUserPoolMfaConfig", mfa).await;
    let attrs = json!([{"Name": "email", "Value": "kim@example.com"}, {"Name": "email_verified", "Value": "true"}]);
    app.create_user(&pool, "kim", PASSWORD, attrs).await;
    let email_mfa = json!({"UserPoolId": pool, "Username": "kim", "EmailMfaSettings": {"Enabled": true}});
    app.ok("AdminSetUserMFAPreference", email_mfa).await;
    let (status, v) = initiate_auth(&app, &client, "kim", PASSWORD).await;
    assert_eq!((status, v["ChallengeName"].as_str()), (200, Some("EMAIL_OTP")), "{v}");
    let events = sender_events(&fake, 3).await;
    let code = code_of(&events[2], "CustomEmailSender_Authentication", "kim", &pool).to_string();
    assert_eq!(events[2]["callerContext"]["clientId"], client);
    let code = plaintext(&decrypt(&keys.private, &[&code]).await[0], &pool);
    let answer = json!({"ClientId": client, "ChallengeName": "EMAIL_OTP", "Session": v["Session"],
        "ChallengeResponses": {"USERNAME": "kim", "EMAIL_OTP_CODE": code}});
    let (status, v) = app.public_api("RespondToAuthChallenge", answer).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["AuthenticationResult"]["AccessToken"].is_string(), "{v}");
    assert!(sink.all().is_empty(), "no mail is sent");
    assert!(fake.events_of("msg").is_empty());
}
