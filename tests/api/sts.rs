//! STS over the AWS Query protocol: AssumeRoleWithWebIdentity with user-pool ID tokens and
//! identity-pool OpenID tokens, for roles that trust them and roles that do not; and
//! GetCallerIdentity signed with the vended credentials — tampered, expired and revoked.

use crate::aws_query::*;
use crate::helpers::*;
use portcullis::clock::Clock;
use serde_json::json;

#[tokio::test]
async fn user_pool_id_tokens_buy_credentials_that_sign_get_caller_identity() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let tokens = tokens_via_browser(&app, &flow).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_string();
    let sub = claims(&id_token)["sub"].as_str().unwrap().to_string();
    let idp = provider(&app, &flow.pool);
    let aud = format!("{idp}:aud");
    let trusting = trust(&idp, json!({"StringEquals": {aud.clone(): flow.client_id}}));
    let created = iam_ok(
        &app,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "web-users"),
            ("AssumeRolePolicyDocument", &trusting),
            ("MaxSessionDuration", "7200"),
        ],
    )
    .await;
    let role_id = tag(&created, "RoleId").unwrap();
    let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/web-users");

    let before = app.clock.now();
    let (status, body) = assume(&app, &role_arn, "alice-session", &id_token, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.starts_with(&format!(
        "<AssumeRoleWithWebIdentityResponse xmlns=\"{STS_NS}\"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>"
    )), "{body}");
    let c = creds(&body);
    assert!(c.access_key_id.starts_with("ASIA") && c.access_key_id.len() == 20, "{c:?}");
    assert!(c.access_key_id[4..].chars().all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit()), "{c:?}");
    assert_eq!(c.secret.len(), 40);
    assert!(c.session_token.len() >= 100, "{}", c.session_token.len());
    assert!((c.expiration - (before + 3600)).abs() <= 2, "default duration is an hour");
    assert_eq!(tag(&body, "SubjectFromWebIdentityToken").unwrap(), sub);
    assert_eq!(tag(&body, "Arn").unwrap(), format!("arn:aws:sts::{ACCOUNT}:assumed-role/web-users/alice-session"));
    assert_eq!(tag(&body, "AssumedRoleId").unwrap(), format!("{role_id}:alice-session"));
    assert_eq!(tag(&body, "Provider").unwrap(), idp);
    assert_eq!(tag(&body, "Audience").unwrap(), flow.client_id);

    // At rest: the secret sealed, the session token only as its SHA-256.
    let row = app.services.store.get_temporary_credential(&c.access_key_id).await.unwrap().unwrap();
    assert_ne!(row.secret_enc, c.secret);
    assert!(!row.secret_enc.contains(&c.secret));
    assert_eq!(row.session_token_hash, portcullis::crypto::TokenHash::of(&c.session_token));
    assert_eq!(
        (row.subject.as_str(), row.audience.as_str(), row.role_name.as_str()),
        (sub.as_str(), flow.client_id.as_str(), "web-users")
    );

    // GetCallerIdentity signed with the vended credentials.
    let (status, who) = caller_identity(&app, &Signer::temporary(&app, &c)).await;
    assert_eq!(status, 200, "{who}");
    assert!(
        who.starts_with(&format!("<GetCallerIdentityResponse xmlns=\"{STS_NS}\"><GetCallerIdentityResult>")),
        "{who}"
    );
    assert_eq!(tag(&who, "Arn").unwrap(), format!("arn:aws:sts::{ACCOUNT}:assumed-role/web-users/alice-session"));
    assert_eq!(tag(&who, "UserId").unwrap(), format!("{role_id}:alice-session"));
    assert_eq!(tag(&who, "Account").unwrap(), ACCOUNT);
    // The management key answers as the account root.
    let (status, root) = caller_identity(&app, &Signer::management(&app, "sts")).await;
    assert_eq!(status, 200, "{root}");
    assert_eq!(tag(&root, "Arn").unwrap(), format!("arn:aws:iam::{ACCOUNT}:root"));
    assert_eq!(tag(&root, "UserId").unwrap(), ACCOUNT);

    // Tampered and unknown credentials.
    let mut s = Signer::temporary(&app, &c);
    s.secret.replace_range(0..1, if s.secret.starts_with('A') { "B" } else { "A" });
    let m = error(&caller_identity(&app, &s).await, 403, "SignatureDoesNotMatch", STS_NS);
    assert!(m.starts_with("The request signature we calculated does not match"), "{m}");
    let mut s = Signer::temporary(&app, &c);
    s.token = Some(format!("{}x", c.session_token));
    let m = error(&caller_identity(&app, &s).await, 403, "InvalidClientTokenId", STS_NS);
    assert_eq!(m, "The security token included in the request is invalid.");
    let mut s = Signer::temporary(&app, &c);
    s.token = None;
    error(&caller_identity(&app, &s).await, 403, "InvalidClientTokenId", STS_NS);
    let mut s = Signer::temporary(&app, &c);
    s.key = "ASIAAAAAAAAAAAAAAAAA".into();
    error(&caller_identity(&app, &s).await, 403, "InvalidClientTokenId", STS_NS);
    let mut s = Signer::temporary(&app, &c);
    s.service = "iam";
    error(&caller_identity(&app, &s).await, 403, "SignatureDoesNotMatch", STS_NS);
    error(
        &query(&app, &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")], None).await,
        403,
        "MissingAuthenticationToken",
        STS_NS,
    );
    // Temporary credentials do not manage roles.
    let mut s = Signer::temporary(&app, &c);
    s.service = "iam";
    let m = error(
        &query(&app, &[("Action", "ListRoles"), ("Version", "2010-05-08")], Some(&s)).await,
        403,
        "AccessDenied",
        IAM_NS,
    );
    assert!(
        m.starts_with(&format!("User: arn:aws:sts::{ACCOUNT}:assumed-role/web-users/alice-session is not authorized")),
        "{m}"
    );

    // Refusals: a role that does not trust this client, one that does not exist, another account.
    let other = trust(&idp, json!({"StringEquals": {aud.clone(): "another-client"}}));
    iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "other-app"), ("AssumeRolePolicyDocument", &other)]).await;
    for arn in [
        format!("arn:aws:iam::{ACCOUNT}:role/other-app"),
        format!("arn:aws:iam::{ACCOUNT}:role/ghost"),
        format!("arn:aws:iam::{ACCOUNT}:role/apps/web-users"),
        "arn:aws:iam::123456789012:role/web-users".to_string(),
    ] {
        let m = error(&assume(&app, &arn, "alice", &id_token, &[]).await, 403, "AccessDenied", STS_NS);
        assert_eq!(m, "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    }
    let m = error(
        &assume(&app, "arn:aws:iam::000000000000:user/web-users", "alice", &id_token, &[]).await,
        400,
        "ValidationError",
        STS_NS,
    );
    assert_eq!(m, "Request ARN is invalid");

    // Tokens that are not valid ID tokens of the pool.
    let access = tokens["access_token"].as_str().unwrap();
    let invalid = assume(&app, &role_arn, "alice", access, &[]).await;
    error(&invalid, 400, "InvalidIdentityToken", STS_NS);
    let mut parts: Vec<String> = id_token.split('.').map(str::to_string).collect();
    let mut forged = claims(&id_token);
    forged["aud"] = json!(flow.client_id.clone() + "x");
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    error(&assume(&app, &role_arn, "alice", &parts.join("."), &[]).await, 400, "InvalidIdentityToken", STS_NS);
    error(&assume(&app, &role_arn, "alice", "not-a-jwt", &[]).await, 400, "InvalidIdentityToken", STS_NS);

    // Input checks.
    let m = error(&assume(&app, &role_arn, "a", &id_token, &[]).await, 400, "ValidationError", STS_NS);
    assert!(m.contains("at 'roleSessionName'"), "{m}");
    error(&assume(&app, &role_arn, "has space", &id_token, &[]).await, 400, "ValidationError", STS_NS);
    let m = error(
        &assume(&app, &role_arn, "alice", &id_token, &[("DurationSeconds", "600")]).await,
        400,
        "ValidationError",
        STS_NS,
    );
    assert!(m.contains("greater than or equal to 900"), "{m}");
    let m = error(
        &assume(&app, &role_arn, "alice", &id_token, &[("DurationSeconds", "7201")]).await,
        400,
        "ValidationError",
        STS_NS,
    );
    assert_eq!(m, "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    let m = error(&assume(&app, &role_arn, "alice", "abc", &[]).await, 400, "ValidationError", STS_NS);
    assert!(!m.contains("abc"), "the token is never echoed: {m}");
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    error(&assume(&app, &role_arn, "alice", &id_token, &[("Policy", policy)]).await, 400, "ValidationError", STS_NS);
    let (status, body) = assume(&app, &role_arn, "short", &id_token, &[("DurationSeconds", "900")]).await;
    assert_eq!(status, 200, "{body}");
    let short = creds(&body);
    assert!((short.expiration - (app.clock.now() + 900)).abs() <= 2);

    // Expiry by the server clock: the short session expires, the hour-long one still works.
    app.clock.advance_secs(901);
    let m = error(&caller_identity(&app, &Signer::temporary(&app, &short)).await, 403, "ExpiredToken", STS_NS);
    assert_eq!(m, "The security token included in the request is expired");
    assert_eq!(caller_identity(&app, &Signer::temporary(&app, &c)).await.0, 200);
    app.clock.advance_secs(3600 - 901);
    error(&caller_identity(&app, &Signer::temporary(&app, &c)).await, 403, "ExpiredToken", STS_NS);
    // …and the ID token (one hour) has expired too.
    let m = error(&assume(&app, &role_arn, "alice", &id_token, &[]).await, 400, "ExpiredTokenException", STS_NS);
    assert!(m.starts_with("Token expired: current date/time"), "{m}");
}

#[tokio::test]
async fn deleting_a_role_revokes_its_credentials() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let id_token = tokens_via_browser(&app, &flow).await["id_token"].as_str().unwrap().to_string();
    let idp = provider(&app, &flow.pool);
    let doc = trust(&idp, json!({"StringEquals": {format!("{idp}:aud"): flow.client_id}}));
    let create = [("Action", "CreateRole"), ("RoleName", "temp"), ("AssumeRolePolicyDocument", doc.as_str())];
    iam_ok(&app, &create).await;
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/temp");
    let (status, body) = assume(&app, &arn, "s1", &id_token, &[]).await;
    assert_eq!(status, 200, "{body}");
    let c = creds(&body);
    assert_eq!(caller_identity(&app, &Signer::temporary(&app, &c)).await.0, 200);
    iam_ok(&app, &[("Action", "DeleteRole"), ("RoleName", "temp")]).await;
    error(&caller_identity(&app, &Signer::temporary(&app, &c)).await, 403, "InvalidClientTokenId", STS_NS);
    // A new role of the same name does not bring the old credentials back.
    iam_ok(&app, &create).await;
    error(&caller_identity(&app, &Signer::temporary(&app, &c)).await, 403, "InvalidClientTokenId", STS_NS);
    let (status, body) = assume(&app, &arn, "s2", &id_token, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(caller_identity(&app, &Signer::temporary(&app, &creds(&body))).await.0, 200);
}

/// An identity-pool OpenID token from the identity issuer (sub = identity id, aud = pool, amr).
async fn identity_token(app: &TestApp, pool: &str, identity: &str, amr: &[&str]) -> String {
    let amr: Vec<String> = amr.iter().map(|s| s.to_string()).collect();
    app.services.identity_pools.issue_identity_token(pool, identity, &amr, 600).await.expect("identity token")
}

#[tokio::test]
async fn identity_pool_tokens_and_the_cognito_console_trust_policy() {
    let app = TestApp::spawn().await;
    let pool = "eu-west-3:11111111-2222-3333-4444-555555555555";
    let doc = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {
            "StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
            "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}
        }
    }]})
    .to_string();
    iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "Cognito_Auth_Role"), ("AssumeRolePolicyDocument", &doc)])
        .await;
    let arn = format!("arn:aws:iam::{ACCOUNT}:role/Cognito_Auth_Role");
    let identity = "eu-west-3:aaaaaaaa-0000-0000-0000-000000000001";

    let signed_in =
        identity_token(&app, pool, identity, &["authenticated", "cognito-idp.eu-west-3.amazonaws.com/eu-west-3_x"])
            .await;
    let (status, body) = assume(&app, &arn, "app", &signed_in, &[]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(tag(&body, "Provider").unwrap(), "cognito-identity.amazonaws.com");
    assert_eq!(tag(&body, "Audience").unwrap(), pool);
    assert_eq!(tag(&body, "SubjectFromWebIdentityToken").unwrap(), identity);
    let (status, who) = caller_identity(&app, &Signer::temporary(&app, &creds(&body))).await;
    assert_eq!(
        (status, tag(&who, "Arn").unwrap()),
        (200, format!("arn:aws:sts::{ACCOUNT}:assumed-role/Cognito_Auth_Role/app"))
    );

    // A guest of the same pool, and a signed-in identity of another pool, are refused.
    let guest = identity_token(&app, pool, identity, &["unauthenticated"]).await;
    error(&assume(&app, &arn, "app", &guest, &[]).await, 403, "AccessDenied", STS_NS);
    let elsewhere =
        identity_token(&app, "eu-west-3:99999999-2222-3333-4444-555555555555", identity, &["authenticated"]).await;
    error(&assume(&app, &arn, "app", &elsewhere, &[]).await, 403, "AccessDenied", STS_NS);

    // Expired: refused as expired only when the signature holds.
    app.clock.advance_secs(601);
    let m = error(&assume(&app, &arn, "app", &signed_in, &[]).await, 400, "ExpiredTokenException", STS_NS);
    assert!(m.starts_with("Token expired: current date/time"), "{m}");
    let mut parts: Vec<String> = signed_in.split('.').map(str::to_string).collect();
    let mut forged = claims(&signed_in);
    forged["amr"] = json!(["authenticated", "graph.facebook.com"]);
    use base64::Engine;
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged.to_string());
    error(&assume(&app, &arn, "app", &parts.join("."), &[]).await, 400, "InvalidIdentityToken", STS_NS);

    // The service call identity pools make: no token, a WebIdentity.
    let who = portcullis::iam::WebIdentity {
        provider: "cognito-identity.amazonaws.com".into(),
        subject: identity.into(),
        audience: pool.into(),
        amr: vec!["authenticated".into()],
    };
    let c =
        app.services.iam.assume_role_with_web_identity(&arn, "CognitoIdentityCredentials", &who, None).await.unwrap();
    assert_eq!(
        c.assumed_role_arn,
        format!("arn:aws:sts::{ACCOUNT}:assumed-role/Cognito_Auth_Role/CognitoIdentityCredentials")
    );
    assert!((c.expiration - (app.clock.now() + 3600)).abs() <= 2);
    let guest = portcullis::iam::WebIdentity { amr: vec!["unauthenticated".into()], ..who.clone() };
    assert!(matches!(
        app.services.iam.assume_role_with_web_identity(&arn, "CognitoIdentityCredentials", &guest, None).await,
        Err(portcullis::iam::AssumeError::NotTrusted)
    ));
    assert!(matches!(
        app.services
            .iam
            .assume_role_with_web_identity(
                &format!("arn:aws:iam::{ACCOUNT}:role/none"),
                "CognitoIdentityCredentials",
                &who,
                None
            )
            .await,
        Err(portcullis::iam::AssumeError::NoSuchRole)
    ));
}
