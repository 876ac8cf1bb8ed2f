//! IAM and STS over the AWS Query protocol (form bodies on `POST /`, XML answers): roles and
//! inline policies, their errors, SigV4 with management keys; AssumeRoleWithWebIdentity with
//! user-pool ID tokens and identity-pool OpenID tokens for trusting and refusing roles; and
//! GetCallerIdentity signed with the vended credentials — tampered, expired and revoked.
//! The boto3 and AWS CLI runs are in `boto3_drives_iam_and_sts`.

use crate::helpers::*;
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use portcullis::clock::Clock;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";
const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const ACCOUNT: &str = "000000000000";

/// Who signs a Query request.
#[derive(Clone)]
struct Signer {
    key: String,
    secret: String,
    token: Option<String>,
    /// Service in the credential scope.
    service: &'static str,
    /// Signing time (the server's clock unless a test wants skew).
    time: SystemTime,
}

impl Signer {
    fn management(app: &TestApp, service: &'static str) -> Signer {
        Signer { key: ACCESS_KEY.into(), secret: SECRET_KEY.into(), token: None, service, time: server_time(app) }
    }

    fn temporary(app: &TestApp, c: &Creds) -> Signer {
        Signer {
            key: c.access_key_id.clone(),
            secret: c.secret.clone(),
            token: Some(c.session_token.clone()),
            service: "sts",
            time: server_time(app),
        }
    }
}

fn server_time(app: &TestApp) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(app.clock.now() as u64)
}

/// POST a Query-protocol form, signed or not: (status, body).
async fn query(app: &TestApp, params: &[(&str, &str)], signer: Option<&Signer>) -> (u16, String) {
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

async fn iam(app: &TestApp, params: &[(&str, &str)]) -> (u16, String) {
    let mut all = params.to_vec();
    all.push(("Version", "2010-05-08"));
    query(app, &all, Some(&Signer::management(app, "iam"))).await
}

async fn iam_ok(app: &TestApp, params: &[(&str, &str)]) -> String {
    let (status, body) = iam(app, params).await;
    assert_eq!(status, 200, "{params:?}: {body}");
    body
}

/// Text of the first `<name>` element, unescaped.
fn tag(xml: &str, name: &str) -> Option<String> {
    tags(xml, name).into_iter().next()
}

fn tags(xml: &str, name: &str) -> Vec<String> {
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

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// Assert an AWS XML error: status, code, namespace; returns the message.
#[track_caller]
fn error(got: &(u16, String), status: u16, code: &str, namespace: &str) -> String {
    let (s, body) = got;
    assert_eq!((*s, tag(body, "Code").as_deref()), (status, Some(code)), "{body}");
    assert!(
        body.starts_with(&format!("<ErrorResponse xmlns=\"{namespace}\"><Error><Type>Sender</Type><Code>")),
        "{body}"
    );
    assert!(tag(body, "RequestId").is_some_and(|r| r.len() == 36), "{body}");
    tag(body, "Message").expect("message")
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().expect("utf-8").into_owned()
}

/// A trust policy for web identities of `provider`, with conditions.
fn trust(provider: &str, condition: Value) -> String {
    json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }]})
    .to_string()
}

const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#;

#[tokio::test]
async fn roles_and_inline_policies_through_the_query_protocol() {
    let app = TestApp::spawn().await;
    let doc = trust("accounts.google.com", json!({"StringEquals": {"accounts.google.com:aud": "app-1"}}));
    let before = app.clock.now();
    let created = iam_ok(
        &app,
        &[
            ("Action", "CreateRole"),
            ("RoleName", "Reader"),
            ("Path", "/apps/web/"),
            ("AssumeRolePolicyDocument", &doc),
            ("Description", "Reads <things> & more"),
            ("MaxSessionDuration", "7200"),
        ],
    )
    .await;
    assert!(
        created.starts_with(&format!("<CreateRoleResponse xmlns=\"{IAM_NS}\"><CreateRoleResult><Role>")),
        "{created}"
    );
    assert!(created.contains("<ResponseMetadata><RequestId>"), "{created}");
    let role_id = tag(&created, "RoleId").unwrap();
    assert!(role_id.starts_with("AROA") && role_id.len() == 21, "{role_id}");
    assert!(role_id[4..].chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()), "{role_id}");
    assert_eq!(tag(&created, "Arn").unwrap(), format!("arn:aws:iam::{ACCOUNT}:role/apps/web/Reader"));
    assert_eq!(tag(&created, "Path").unwrap(), "/apps/web/");
    assert_eq!(tag(&created, "Description").unwrap(), "Reads <things> & more");
    assert!(created.contains("Reads &lt;things&gt; &amp; more"), "escaped: {created}");
    assert_eq!(tag(&created, "MaxSessionDuration").unwrap(), "7200");
    // The document comes back URL-encoded, as IAM returns it.
    let returned = tag(&created, "AssumeRolePolicyDocument").unwrap();
    assert!(returned.starts_with("%7B%22Statement%22%3A%5B%7B"), "{returned}");
    assert_eq!(decode(&returned), doc);
    let date = tag(&created, "CreateDate").unwrap();
    let parsed = chrono::DateTime::parse_from_rfc3339(&date).expect("ISO 8601");
    assert!((parsed.timestamp() - before).abs() <= 2, "{date}");

    // A URL-encoded document is accepted too (decoded once), the path defaults to `/`.
    let encoded: String = url::form_urlencoded::byte_serialize(doc.as_bytes()).collect::<String>().replace('+', "%20");
    let writer =
        iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "Writer"), ("AssumeRolePolicyDocument", &encoded)]).await;
    assert_eq!(decode(&tag(&writer, "AssumeRolePolicyDocument").unwrap()), doc);
    assert_eq!(tag(&writer, "Path").unwrap(), "/");
    assert_eq!(tag(&writer, "MaxSessionDuration").unwrap(), "3600");
    assert_eq!(tag(&writer, "Description"), None);

    // Names are unique without regard to case.
    for name in ["Reader", "READER"] {
        let dup = iam(&app, &[("Action", "CreateRole"), ("RoleName", name), ("AssumeRolePolicyDocument", &doc)]).await;
        assert_eq!(error(&dup, 409, "EntityAlreadyExists", IAM_NS), format!("Role with name {name} already exists."));
    }

    let got = iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "Reader")]).await;
    assert!(got.starts_with(&format!("<GetRoleResponse xmlns=\"{IAM_NS}\"><GetRoleResult><Role>")), "{got}");
    assert_eq!(tag(&got, "RoleId").unwrap(), role_id);
    assert_eq!(tag(&got, "CreateDate").unwrap(), date);
    let missing = iam(&app, &[("Action", "GetRole"), ("RoleName", "Nobody")]).await;
    assert_eq!(error(&missing, 404, "NoSuchEntity", IAM_NS), "The role with name Nobody cannot be found.");

    // ListRoles pages by MaxItems with Marker/IsTruncated, and filters by PathPrefix.
    iam_ok(
        &app,
        &[("Action", "CreateRole"), ("RoleName", "Admin"), ("Path", "/ops/"), ("AssumeRolePolicyDocument", &doc)],
    )
    .await;
    let first = iam_ok(&app, &[("Action", "ListRoles"), ("MaxItems", "2")]).await;
    assert_eq!(tags(&first, "RoleName"), vec!["Admin", "Reader"]);
    assert_eq!(tag(&first, "IsTruncated").unwrap(), "true");
    let marker = tag(&first, "Marker").unwrap();
    let rest = iam_ok(&app, &[("Action", "ListRoles"), ("MaxItems", "2"), ("Marker", &marker)]).await;
    assert_eq!(tags(&rest, "RoleName"), vec!["Writer"]);
    assert_eq!((tag(&rest, "IsTruncated").unwrap(), tag(&rest, "Marker")), ("false".to_string(), None));
    assert!(rest.contains("<Roles><member><Path>/</Path><RoleName>Writer</RoleName>"), "{rest}");
    let all = iam_ok(&app, &[("Action", "ListRoles")]).await;
    assert_eq!(tags(&all, "RoleName"), vec!["Admin", "Reader", "Writer"]);
    let apps = iam_ok(&app, &[("Action", "ListRoles"), ("PathPrefix", "/apps/")]).await;
    assert_eq!(tags(&apps, "RoleName"), vec!["Reader"]);
    let none = iam_ok(&app, &[("Action", "ListRoles"), ("PathPrefix", "/nothing/")]).await;
    assert!(none.contains("<Roles></Roles><IsTruncated>false</IsTruncated>"), "{none}");

    // Inline policies: put (create, then replace), get (URL-encoded), delete.
    iam_ok(
        &app,
        &[("Action", "PutRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "s3"), ("PolicyDocument", S3_READ)],
    )
    .await;
    let replaced = S3_READ.replace("b/*", "c/*");
    let put = iam_ok(
        &app,
        &[("Action", "PutRolePolicy"), ("RoleName", "reader"), ("PolicyName", "s3"), ("PolicyDocument", &replaced)],
    )
    .await;
    assert!(put.starts_with(&format!("<PutRolePolicyResponse xmlns=\"{IAM_NS}\"><ResponseMetadata>")), "{put}");
    let pol = iam_ok(&app, &[("Action", "GetRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "s3")]).await;
    assert_eq!(tag(&pol, "RoleName").unwrap(), "Reader");
    assert_eq!(tag(&pol, "PolicyName").unwrap(), "s3");
    assert_eq!(decode(&tag(&pol, "PolicyDocument").unwrap()), replaced);
    let nope = iam(&app, &[("Action", "GetRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "other")]).await;
    assert_eq!(error(&nope, 404, "NoSuchEntity", IAM_NS), "The role policy with name other cannot be found.");

    // A role with inline policies cannot be deleted.
    let conflict = iam(&app, &[("Action", "DeleteRole"), ("RoleName", "Reader")]).await;
    assert_eq!(error(&conflict, 409, "DeleteConflict", IAM_NS), "Cannot delete entity, must delete policies first.");
    iam_ok(&app, &[("Action", "DeleteRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "s3")]).await;
    let again = iam(&app, &[("Action", "DeleteRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "s3")]).await;
    error(&again, 404, "NoSuchEntity", IAM_NS);
    let deleted = iam_ok(&app, &[("Action", "DeleteRole"), ("RoleName", "Reader")]).await;
    assert!(deleted.starts_with(&format!("<DeleteRoleResponse xmlns=\"{IAM_NS}\"><ResponseMetadata>")), "{deleted}");
    error(&iam(&app, &[("Action", "GetRole"), ("RoleName", "Reader")]).await, 404, "NoSuchEntity", IAM_NS);
    error(&iam(&app, &[("Action", "DeleteRole"), ("RoleName", "Reader")]).await, 404, "NoSuchEntity", IAM_NS);
    let orphan = iam(
        &app,
        &[("Action", "PutRolePolicy"), ("RoleName", "Reader"), ("PolicyName", "p"), ("PolicyDocument", S3_READ)],
    )
    .await;
    error(&orphan, 404, "NoSuchEntity", IAM_NS);

    // The JSON protocol still answers on the same path.
    app.ok("ListUserPools", json!({"MaxResults": 10})).await;
}

async fn create_role(app: &TestApp, name: &str, doc: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let mut p = vec![("Action", "CreateRole"), ("RoleName", name), ("AssumeRolePolicyDocument", doc)];
    p.extend_from_slice(extra);
    iam(app, &p).await
}

async fn put_policy(app: &TestApp, role: &str, name: &str, doc: String) -> (u16, String) {
    iam(app, &[("Action", "PutRolePolicy"), ("RoleName", role), ("PolicyName", name), ("PolicyDocument", &doc)]).await
}

#[tokio::test]
async fn iam_errors_are_aws_xml_with_aws_statuses() {
    let app = TestApp::spawn().await;
    let doc = trust("accounts.google.com", json!({}));
    let m = error(&create_role(&app, "bad name", &doc, &[]).await, 400, "ValidationError", IAM_NS);
    assert_eq!(
        m,
        "1 validation error detected: Value 'bad name' at 'roleName' failed to satisfy constraint: \
         Member must satisfy regular expression pattern: [\\w+=,.@-]+"
    );
    assert!(
        error(&create_role(&app, &"r".repeat(65), &doc, &[]).await, 400, "ValidationError", IAM_NS)
            .contains("length less than or equal to 64")
    );
    let m =
        error(&create_role(&app, "r", &doc, &[("MaxSessionDuration", "100")]).await, 400, "ValidationError", IAM_NS);
    assert!(m.contains("at 'maxSessionDuration'") && m.contains("greater than or equal to 3600"), "{m}");
    let m =
        error(&create_role(&app, "r", &doc, &[("MaxSessionDuration", "43201")]).await, 400, "ValidationError", IAM_NS);
    assert!(m.contains("less than or equal to 43200"), "{m}");
    error(&create_role(&app, "r", &doc, &[("MaxSessionDuration", "an hour")]).await, 400, "ValidationError", IAM_NS);
    for bad_path in ["apps/", "/apps", "//"] {
        error(&create_role(&app, "r", &doc, &[("Path", bad_path)]).await, 400, "ValidationError", IAM_NS);
    }
    let m = error(&iam(&app, &[("Action", "CreateRole"), ("RoleName", "r")]).await, 400, "ValidationError", IAM_NS);
    assert!(m.contains("Value null at 'assumeRolePolicyDocument'"), "{m}");
    let m = error(&iam(&app, &[("Action", "GetRole")]).await, 400, "ValidationError", IAM_NS);
    assert!(m.contains("Value null at 'roleName'"), "{m}");
    let m = error(
        &create_role(&app, "r", &doc, &[("Tags.member.1.Key", "team"), ("Tags.member.1.Value", "x")]).await,
        400,
        "ValidationError",
        IAM_NS,
    );
    assert!(m.contains("Tags"), "{m}");

    // Policy documents.
    let m = error(&create_role(&app, "r", "{nope", &[]).await, 400, "MalformedPolicyDocument", IAM_NS);
    assert_eq!(m, "This policy contains invalid Json");
    let with_resource = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*","Resource":"*"}]}"#;
    assert_eq!(
        error(&create_role(&app, "r", with_resource, &[]).await, 400, "MalformedPolicyDocument", IAM_NS),
        "Has prohibited field Resource"
    );
    let no_principal = r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity"}]}"#;
    assert_eq!(
        error(&create_role(&app, "r", no_principal, &[]).await, 400, "MalformedPolicyDocument", IAM_NS),
        "Missing required field Principal"
    );
    let big = trust("accounts.google.com", json!({"StringEquals": {"accounts.google.com:sub": "x".repeat(2100)}}));
    assert_eq!(
        error(&create_role(&app, "r", &big, &[]).await, 409, "LimitExceeded", IAM_NS),
        "Cannot exceed quota for ACLSizePerRole: 2048"
    );
    let m = error(&create_role(&app, "r", "caf\u{20ac}", &[]).await, 400, "ValidationError", IAM_NS);
    assert!(m.contains("regular expression pattern"), "{m}");
    // Nothing above made a role.
    error(&iam(&app, &[("Action", "GetRole"), ("RoleName", "r")]).await, 404, "NoSuchEntity", IAM_NS);

    assert_eq!(create_role(&app, "r", &doc, &[]).await.0, 200);
    let with_principal = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(
        error(&put_policy(&app, "r", "p", with_principal.into()).await, 400, "MalformedPolicyDocument", IAM_NS),
        "Policy document should not specify a principal."
    );
    let no_resource = r#"{"Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#;
    assert_eq!(
        error(&put_policy(&app, "r", "p", no_resource.into()).await, 400, "MalformedPolicyDocument", IAM_NS),
        "Policy statement must contain resources."
    );
    error(&put_policy(&app, "r", "bad name", S3_READ.into()).await, 400, "ValidationError", IAM_NS);
    // The inline policies of a role share 10,240 characters (white space not counted).
    let sized = |n: usize| {
        json!({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": format!("arn:aws:s3:::{}", "x".repeat(n))}]})
            .to_string()
    };
    assert_eq!(put_policy(&app, "r", "a", sized(6000)).await.0, 200);
    let m = error(&put_policy(&app, "r", "b", sized(6000)).await, 409, "LimitExceeded", IAM_NS);
    assert_eq!(m, "Maximum policy size of 10240 bytes exceeded for role r");
    assert_eq!(put_policy(&app, "r", "a", sized(3000)).await.0, 200, "replacing counts the new size only");
    assert_eq!(put_policy(&app, "r", "b", sized(6000)).await.0, 200);

    // Protocol-level errors.
    let (status, body) =
        query(&app, &[("Action", "CreateUser"), ("Version", "2010-05-08")], Some(&Signer::management(&app, "iam")))
            .await;
    assert_eq!(
        error(&(status, body), 400, "InvalidAction", IAM_NS),
        "Could not find operation CreateUser for version 2010-05-08"
    );
    let wrong_version = query(
        &app,
        &[("Action", "GetRole"), ("Version", "2011-06-15"), ("RoleName", "r")],
        Some(&Signer::management(&app, "iam")),
    )
    .await;
    error(&wrong_version, 400, "InvalidAction", STS_NS);
    let no_action = query(&app, &[("Version", "2010-05-08")], None).await;
    error(&no_action, 400, "MissingAction", IAM_NS);
    let dup = query(&app, &[("Action", "GetRole"), ("Action", "GetRole")], None).await;
    error(&dup, 400, "ValidationError", IAM_NS);
}

#[tokio::test]
async fn iam_takes_only_management_signatures() {
    let app = TestApp::spawn().await;
    let get = [("Action", "ListRoles"), ("Version", "2010-05-08")];
    let unsigned = query(&app, &get, None).await;
    assert_eq!(error(&unsigned, 403, "MissingAuthenticationToken", IAM_NS), "Request is missing Authentication Token");
    let mut wrong = Signer::management(&app, "iam");
    wrong.secret = "wrong/secret+key0000000000000000000000000".into();
    let m = error(&query(&app, &get, Some(&wrong)).await, 403, "SignatureDoesNotMatch", IAM_NS);
    assert!(m.starts_with("The request signature we calculated does not match"), "{m}");
    let mut unknown = Signer::management(&app, "iam");
    unknown.key = "AKIAUNKNOWNKEY000000".into();
    let m = error(&query(&app, &get, Some(&unknown)).await, 403, "InvalidClientTokenId", IAM_NS);
    assert_eq!(m, "The security token included in the request is invalid.");
    let other_service = Signer::management(&app, "sts");
    let m = error(&query(&app, &get, Some(&other_service)).await, 403, "SignatureDoesNotMatch", IAM_NS);
    assert_eq!(m, "Credential should be scoped to correct service: 'iam'. ");
    let mut stale = Signer::management(&app, "iam");
    stale.time = server_time(&app) - Duration::from_secs(20 * 60);
    let m = error(&query(&app, &get, Some(&stale)).await, 403, "SignatureDoesNotMatch", IAM_NS);
    assert!(m.starts_with("Signature expired"), "{m}");
    // A long-term key with a session token is not a valid credential.
    let mut with_token = Signer::management(&app, "iam");
    with_token.token = Some("x".repeat(120));
    error(&query(&app, &get, Some(&with_token)).await, 403, "InvalidClientTokenId", IAM_NS);
    assert_eq!(query(&app, &get, Some(&Signer::management(&app, "iam"))).await.0, 200);
}

/// Vended credentials as the test reads them from the XML.
#[derive(Debug, Clone)]
struct Creds {
    access_key_id: String,
    secret: String,
    session_token: String,
    expiration: i64,
}

fn creds(xml: &str) -> Creds {
    Creds {
        access_key_id: tag(xml, "AccessKeyId").expect("AccessKeyId"),
        secret: tag(xml, "SecretAccessKey").expect("SecretAccessKey"),
        session_token: tag(xml, "SessionToken").expect("SessionToken"),
        expiration: chrono::DateTime::parse_from_rfc3339(&tag(xml, "Expiration").expect("Expiration"))
            .expect("ISO 8601")
            .timestamp(),
    }
}

async fn assume(app: &TestApp, role_arn: &str, session: &str, token: &str, extra: &[(&str, &str)]) -> (u16, String) {
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

async fn caller_identity(app: &TestApp, signer: &Signer) -> (u16, String) {
    query(app, &[("Action", "GetCallerIdentity"), ("Version", "2011-06-15")], Some(signer)).await
}

/// The issuer of a user pool without its scheme: its `Federated` principal name.
fn provider(app: &TestApp, pool: &str) -> String {
    format!("127.0.0.1:{}/{pool}", app.port)
}

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
    app.services.issue_identity_token(pool, identity, &amr, 600).await.expect("identity token")
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

#[tokio::test]
async fn the_role_quota_is_enforced() {
    let app = TestApp::spawn().await;
    let store = &app.services.store;
    for i in 0..portcullis::iam::roles::MAX_ROLES {
        store
            .insert_role(&portcullis::store::iam::RoleRow {
                name: format!("bulk-{i:04}"),
                role_id: format!("AROABULK{i:013}"),
                path: "/".into(),
                assume_role_policy: "{}".into(),
                description: None,
                max_session_duration: 3600,
                created_at: 1,
            })
            .await
            .unwrap();
    }
    let doc = trust("accounts.google.com", json!({}));
    let over =
        iam(&app, &[("Action", "CreateRole"), ("RoleName", "one-too-many"), ("AssumeRolePolicyDocument", &doc)]).await;
    assert_eq!(error(&over, 409, "LimitExceeded", IAM_NS), "Cannot exceed quota for RolesPerAccount: 1000.");
}

#[tokio::test]
async fn store_rows_round_trip() {
    let app = TestApp::spawn().await;
    let s = &app.services.store;
    // Real times: the server's janitor purges credentials long expired by its clock.
    let now = app.clock.now();
    let role = portcullis::store::iam::RoleRow {
        name: "Mixed_Case".into(),
        role_id: "AROAAAAAAAAAAAAAAAAAA".into(),
        path: "/a%_b/".into(),
        assume_role_policy: "{}".into(),
        description: Some("d".into()),
        max_session_duration: 3600,
        created_at: 10,
    };
    s.insert_role(&role).await.unwrap();
    assert_eq!(s.get_role("mixed_case").await.unwrap(), Some(role.clone()));
    assert!(matches!(s.insert_role(&role).await, Err(portcullis::store::StoreError::Conflict)));
    // Path prefixes are compared literally (no LIKE wildcards).
    assert_eq!(s.list_roles("/a%", None, 10).await.unwrap().len(), 1);
    assert_eq!(s.list_roles("/ax", None, 10).await.unwrap().len(), 0);
    assert_eq!(s.list_roles("/a_", None, 10).await.unwrap().len(), 0);
    let p = portcullis::store::iam::RolePolicyRow {
        role_name: "Mixed_Case".into(),
        policy_name: "p".into(),
        document: "1".into(),
    };
    assert!(s.put_role_policy(&p).await.unwrap());
    assert!(
        s.put_role_policy(&portcullis::store::iam::RolePolicyRow { document: "2".into(), ..p.clone() }).await.unwrap()
    );
    assert_eq!(s.role_policies("Mixed_Case").await.unwrap()[0].document, "2");
    assert!(
        !s.put_role_policy(&portcullis::store::iam::RolePolicyRow { role_name: "nobody".into(), ..p.clone() })
            .await
            .unwrap()
    );
    assert_eq!(s.delete_role("MIXED_CASE", now).await.unwrap(), portcullis::store::iam::RoleDeletion::HasPolicies);
    let c = portcullis::store::iam::TemporaryCredentialRow {
        access_key_id: "ASIAAAAAAAAAAAAAAAAA".into(),
        secret_enc: "sealed".into(),
        session_token_hash: portcullis::crypto::TokenHash::of("h"),
        role_name: "Mixed_Case".into(),
        session_name: "s".into(),
        subject: "sub".into(),
        audience: "aud".into(),
        created_at: now,
        expires_at: now + 3600,
        revoked_at: None,
        role_id: Some(role.role_id.clone()),
    };
    assert!(!s.insert_temporary_credential(&c, "AROAOTHER").await.unwrap(), "another role id");
    assert!(s.insert_temporary_credential(&c, &role.role_id).await.unwrap());
    assert_eq!(s.get_temporary_credential(&c.access_key_id).await.unwrap(), Some(c.clone()));
    assert!(s.delete_role_policy("Mixed_Case", "p").await.unwrap());
    assert_eq!(s.delete_role("MIXED_CASE", now).await.unwrap(), portcullis::store::iam::RoleDeletion::Deleted);
    assert_eq!(s.delete_role("MIXED_CASE", now).await.unwrap(), portcullis::store::iam::RoleDeletion::NotFound);
    assert_eq!(s.get_temporary_credential(&c.access_key_id).await.unwrap().unwrap().revoked_at, Some(now));
    assert_eq!(s.purge_temporary_credentials(now + 3600).await.unwrap(), 0);
    assert_eq!(s.purge_temporary_credentials(now + 3601).await.unwrap(), 1);
}

/// Run the AWS CLI (`aws …`) with these credentials; `None` when it is not installed.
async fn aws_cli(args: &[&str], key: &str, secret: &str, token: Option<&str>) -> Option<(bool, String, String)> {
    let installed = std::process::Command::new("aws")
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok();
    if !installed {
        assert!(std::env::var_os("PORTCULLIS_REQUIRE_AWS_CLI").is_none(), "the `aws` CLI is required");
        eprintln!("the `aws` CLI is not installed: skipping `aws {}`", args.join(" "));
        return None;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = crate::aws_sdk::isolated_command("aws", dir.path());
    cmd.args(args)
        .args(["--region", "us-east-1", "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_MAX_ATTEMPTS", "1");
    if let Some(t) = token {
        cmd.env("AWS_SESSION_TOKEN", t);
    }
    Some(crate::aws_sdk::run_to_end(cmd, dir.path(), "aws").await)
}

/// The last line of a script's stdout: its JSON summary.
fn summary(ok: bool, stdout: &str, stderr: &str) -> Value {
    assert!(ok, "boto3 script failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("no JSON summary ({e}) in stdout:\n{stdout}"))
}

#[tokio::test]
async fn boto3_drives_iam_and_sts() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let id_token = tokens_via_browser(&app, &flow).await["id_token"].as_str().unwrap().to_string();
    let idp = provider(&app, &flow.pool);
    let env = [
        ("PORTCULLIS_ID_TOKEN", id_token.as_str()),
        ("PORTCULLIS_CLIENT_ID", flow.client_id.as_str()),
        ("PORTCULLIS_PROVIDER", idp.as_str()),
    ];
    let (ok, out, err) = crate::aws_sdk::run_script_with_env("iam_sts.py", &app.base, &["main"], &env).await;
    let main = summary(ok, &out, &err);
    let done: Vec<&str> = main["operations"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for op in [
        "CreateRole",
        "GetRole",
        "ListRoles",
        "PutRolePolicy",
        "GetRolePolicy",
        "DeleteRolePolicy",
        "DeleteRole",
        "AssumeRoleWithWebIdentity",
        "GetCallerIdentity",
    ] {
        assert!(done.contains(&op), "boto3 never completed {op}: {main}");
    }
    for (op, code) in [
        ("CreateRole", "EntityAlreadyExists"),
        ("CreateRole", "MalformedPolicyDocument"),
        ("CreateRole", "ValidationError"),
        ("GetRole", "NoSuchEntity"),
        ("GetRolePolicy", "NoSuchEntity"),
        ("PutRolePolicy", "MalformedPolicyDocument"),
        ("DeleteRole", "DeleteConflict"),
        ("DeleteRolePolicy", "NoSuchEntity"),
        ("AssumeRoleWithWebIdentity", "AccessDenied"),
        ("AssumeRoleWithWebIdentity", "InvalidIdentityToken"),
        ("AssumeRoleWithWebIdentity", "ValidationError"),
        ("GetCallerIdentity", "SignatureDoesNotMatch"),
        ("GetCallerIdentity", "InvalidClientTokenId"),
        ("ListRoles", "AccessDenied"),
        ("ListRoles", "SignatureDoesNotMatch"),
        ("ListRoles", "InvalidClientTokenId"),
    ] {
        let raised = main["errors"][op].as_array().is_some_and(|c| c.iter().any(|c| c == code));
        assert!(raised, "boto3 never saw {code} from {op}: {main}");
    }
    assert_eq!(main["server_errors"], json!([]), "{main}");
    // boto3 signs what the models sign: everything but AssumeRoleWithWebIdentity.
    for (op, how) in main["signing"].as_object().unwrap() {
        let want = if op == "AssumeRoleWithWebIdentity" { "unsigned" } else { "sigv4" };
        assert_eq!(how, &json!([want]), "{op}");
    }
    let v = &main["vended"];
    let (key, secret, token) = (
        v["AccessKeyId"].as_str().unwrap(),
        v["SecretAccessKey"].as_str().unwrap(),
        v["SessionToken"].as_str().unwrap(),
    );

    // The AWS CLI with the vended credentials, and with the management key.
    let sts = ["sts", "get-caller-identity", "--endpoint-url", app.base.as_str()];
    if let Some((ok, out, err)) = aws_cli(&sts, key, secret, Some(token)).await {
        assert!(ok, "aws sts get-caller-identity failed:\n{out}\n{err}");
        let who: Value = serde_json::from_str(&out).expect("aws CLI JSON");
        assert_eq!(who["Arn"], format!("arn:aws:sts::{ACCOUNT}:assumed-role/boto-web/alice"));
        assert_eq!(who["Account"], ACCOUNT);
        let iam_get = ["iam", "get-role", "--role-name", "boto-web", "--endpoint-url", app.base.as_str()];
        let (ok, out, err) = aws_cli(&iam_get, ACCESS_KEY, SECRET_KEY, None).await.unwrap();
        assert!(ok, "aws iam get-role failed:\n{out}\n{err}");
        let role: Value = serde_json::from_str(&out).expect("aws CLI JSON");
        assert_eq!(role["Role"]["Arn"], format!("arn:aws:iam::{ACCOUNT}:role/boto/boto-web"));
        assert_eq!(role["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Federated"], idp);
        let role_arn = format!("arn:aws:iam::{ACCOUNT}:role/boto/boto-web");
        let assume = [
            "sts",
            "assume-role-with-web-identity",
            "--no-sign-request",
            "--endpoint-url",
            app.base.as_str(),
            "--role-arn",
            role_arn.as_str(),
            "--role-session-name",
            "cli",
            "--web-identity-token",
            id_token.as_str(),
        ];
        let (ok, out, err) = aws_cli(&assume, "unused", "unused", None).await.unwrap();
        assert!(ok, "aws sts assume-role-with-web-identity failed:\n{out}\n{err}");
        let vended: Value = serde_json::from_str(&out).expect("aws CLI JSON");
        assert!(vended["Credentials"]["AccessKeyId"].as_str().unwrap().starts_with("ASIA"), "{vended}");
        assert_eq!(vended["AssumedRoleUser"]["Arn"], format!("arn:aws:sts::{ACCOUNT}:assumed-role/boto-web/cli"));
    }

    // An hour later by the server's clock: the credentials and the ID token have expired.
    app.clock.advance_secs(3601);
    let vended = v.to_string();
    let mut env = env.to_vec();
    env.push(("PORTCULLIS_VENDED", vended.as_str()));
    let (ok, out, err) = crate::aws_sdk::run_script_with_env("iam_sts.py", &app.base, &["expired"], &env).await;
    let expired = summary(ok, &out, &err);
    assert_eq!(expired["errors"]["GetCallerIdentity"], json!(["ExpiredToken"]), "{expired}");
    assert_eq!(expired["errors"]["AssumeRoleWithWebIdentity"], json!(["ExpiredTokenException"]), "{expired}");
    assert_eq!(expired["errors"]["DeleteRole"], json!(["SignatureDoesNotMatch"]), "{expired}");
    assert_eq!(expired["server_errors"], json!([]), "{expired}");
    if let Some((ok, out, err)) = aws_cli(&sts, key, secret, Some(token)).await {
        assert!(!ok, "expired credentials still worked: {out}");
        assert!(err.contains("ExpiredToken"), "{err}");
    }
    // What the script left: the role it assumed (signed with the server's clock here).
    iam_ok(&app, &[("Action", "DeleteRole"), ("RoleName", "boto-web")]).await;
    assert_eq!(app.services.store.count_roles().await.unwrap(), 0);
}
