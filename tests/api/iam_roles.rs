//! IAM over the AWS Query protocol (form bodies on `POST /`, XML answers): roles and inline
//! policies, their errors with AWS's statuses, SigV4 with management keys only, the role quota,
//! and the store's rows for roles, policies and temporary credentials.

use crate::aws_query::*;
use crate::helpers::*;
use portcullis::clock::Clock;
use portcullis::crypto::TokenHash;
use serde_json::json;
use std::time::Duration;

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8().expect("utf-8").into_owned()
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
async fn update_assume_role_policy_replaces_the_trust_policy_checked_as_create_role_checks_it() {
    let app = TestApp::spawn().await;
    let google = trust("accounts.google.com", json!({}));
    iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "Web"), ("AssumeRolePolicyDocument", &google)]).await;
    let cognito = trust(
        "cognito-identity.amazonaws.com",
        json!({"StringEquals": {"cognito-identity.amazonaws.com:aud": "local:11111111-2222-3333-4444-555555555555"}}),
    );
    let done =
        iam_ok(&app, &[("Action", "UpdateAssumeRolePolicy"), ("RoleName", "web"), ("PolicyDocument", &cognito)]).await;
    assert!(
        done.starts_with(&format!("<UpdateAssumeRolePolicyResponse xmlns=\"{IAM_NS}\"><ResponseMetadata>")),
        "{done}"
    );
    let got = iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "Web")]).await;
    assert_eq!(decode(&tag(&got, "AssumeRolePolicyDocument").unwrap()), cognito);

    let update = async |doc: &str| {
        iam(&app, &[("Action", "UpdateAssumeRolePolicy"), ("RoleName", "Web"), ("PolicyDocument", doc)]).await
    };
    assert_eq!(
        error(&update("{nope").await, 400, "MalformedPolicyDocument", IAM_NS),
        "This policy contains invalid Json"
    );
    let with_resource = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:*","Resource":"*"}]}"#;
    assert_eq!(
        error(&update(with_resource).await, 400, "MalformedPolicyDocument", IAM_NS),
        "Has prohibited field Resource"
    );
    let got = iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "Web")]).await;
    assert_eq!(decode(&tag(&got, "AssumeRolePolicyDocument").unwrap()), cognito, "a refused policy changes nothing");
    let missing =
        iam(&app, &[("Action", "UpdateAssumeRolePolicy"), ("RoleName", "Nobody"), ("PolicyDocument", &google)]).await;
    assert_eq!(error(&missing, 404, "NoSuchEntity", IAM_NS), "The role with name Nobody cannot be found.");
    let m = error(
        &iam(&app, &[("Action", "UpdateAssumeRolePolicy"), ("RoleName", "Web")]).await,
        400,
        "ValidationError",
        IAM_NS,
    );
    assert!(m.contains("Value null at 'policyDocument'"), "{m}");
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
    // The trust policy is replaced in place (by name in any case); nothing else changes.
    assert!(s.set_role_trust_policy("MIXED_case", "{\"x\":1}").await.unwrap());
    let trusted = s.get_role("Mixed_Case").await.unwrap().unwrap();
    assert_eq!(trusted, portcullis::store::iam::RoleRow { assume_role_policy: "{\"x\":1}".into(), ..role.clone() });
    assert!(!s.set_role_trust_policy("nobody", "{}").await.unwrap());
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
        session_token_hash: TokenHash::of("h"),
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

#[tokio::test]
async fn managed_policies_keep_iams_quotas_and_go_with_their_roles() {
    let app = TestApp::spawn().await;
    let doc = trust("accounts.google.com", json!({"StringEquals": {"accounts.google.com:aud": "app-1"}}));
    iam_ok(&app, &[("Action", "CreateRole"), ("RoleName", "Sender"), ("AssumeRolePolicyDocument", &doc)]).await;
    let mut arns = Vec::new();
    for i in 0..11 {
        let created = iam_ok(
            &app,
            &[("Action", "CreatePolicy"), ("PolicyName", &format!("p{i:02}")), ("PolicyDocument", S3_READ)],
        )
        .await;
        arns.push(tag(&created, "Arn").unwrap());
    }
    assert_eq!(arns[0], format!("arn:aws:iam::{ACCOUNT}:policy/p00"));
    for arn in &arns[..10] {
        iam_ok(&app, &[("Action", "AttachRolePolicy"), ("RoleName", "sender"), ("PolicyArn", arn)]).await;
    }
    let (status, body) =
        iam(&app, &[("Action", "AttachRolePolicy"), ("RoleName", "Sender"), ("PolicyArn", &arns[10])]).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(tag(&body, "Code").unwrap(), "LimitExceeded");
    assert_eq!(tag(&body, "Message").unwrap(), "Cannot exceed quota for PoliciesPerRole: 10");
    // Paged by name.
    let page = iam_ok(&app, &[("Action", "ListAttachedRolePolicies"), ("RoleName", "Sender"), ("MaxItems", "4")]).await;
    assert_eq!(tags(&page, "PolicyName"), ["p00", "p01", "p02", "p03"]);
    assert_eq!(tag(&page, "IsTruncated").unwrap(), "true");
    let marker = tag(&page, "Marker").unwrap();
    let rest = iam_ok(
        &app,
        &[("Action", "ListAttachedRolePolicies"), ("RoleName", "Sender"), ("MaxItems", "10"), ("Marker", &marker)],
    )
    .await;
    assert_eq!(tags(&rest, "PolicyName").len(), 6);
    // A policy over 6,144 characters is refused.
    let big = format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::{}"}}]}}"#,
        "b".repeat(6200)
    );
    let (status, body) =
        iam(&app, &[("Action", "CreatePolicy"), ("PolicyName", "big"), ("PolicyDocument", &big)]).await;
    assert_eq!((status, tag(&body, "Code").unwrap()), (409, "LimitExceeded".to_string()), "{body}");
    // Detached from everything, the role and then the policies go.
    for arn in &arns[..10] {
        iam_ok(&app, &[("Action", "DetachRolePolicy"), ("RoleName", "Sender"), ("PolicyArn", arn)]).await;
    }
    iam_ok(&app, &[("Action", "DeleteRole"), ("RoleName", "Sender")]).await;
    for arn in &arns {
        iam_ok(&app, &[("Action", "DeletePolicy"), ("PolicyArn", arn)]).await;
    }
    let listed = iam_ok(&app, &[("Action", "ListPolicies")]).await;
    assert!(tags(&listed, "Arn").is_empty(), "{listed}");
}
