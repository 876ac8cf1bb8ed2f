//! Real AWS SDKs and the AWS CLI against the server, asserting what they parsed:
//! `tests/boto3/management.py` drives boto3 through endpoint override over pools, clients,
//! domains, resource servers, users, groups, identity providers and linked identities, sign-in
//! and errors; `tests/boto3/iam_sts.py` over IAM and STS (with the AWS CLI after it);
//! `tests/boto3/identity.py` over identity pools; and the README's walk with the AWS CLI from a
//! browser sign-in to GetCallerIdentity with identity-pool credentials. boto3 is
//! installed into `target/pydeps` when Python lacks it; a missing `python3` fails the test, a
//! missing `aws` CLI skips its part unless `PORTCULLIS_REQUIRE_AWS_CLI` is set.

use crate::aws_query::{ACCOUNT, iam_ok};
use crate::helpers::*;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const SCRIPT_TIMEOUT: Duration = Duration::from_secs(300);

pub(crate) fn python() -> String {
    std::env::var("PORTCULLIS_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Run `tests/boto3/{script}` against `endpoint` (with `args` after it) with a timeout;
/// (exit success, stdout, stderr).
pub(crate) async fn run_script(script: &str, endpoint: &str, args: &[&str]) -> (bool, String, String) {
    run_script_with_env(script, endpoint, args, &[]).await
}

/// As [`run_script`], with more environment for the script. boto3 is importable, and the test
/// management key is in `PORTCULLIS_TEST_ACCESS_KEY` / `PORTCULLIS_TEST_SECRET_KEY`.
pub(crate) async fn run_script_with_env(
    script: &str,
    endpoint: &str,
    args: &[&str],
    env: &[(&str, &str)],
) -> (bool, String, String) {
    let python = python();
    let pythonpath = boto3_path(&python);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3").join(script);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = isolated_command(&python, dir.path());
    cmd.arg(&script)
        .arg(endpoint)
        .args(args)
        .env("PORTCULLIS_TEST_ACCESS_KEY", ACCESS_KEY)
        .env("PORTCULLIS_TEST_SECRET_KEY", SECRET_KEY)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    match pythonpath {
        Some(p) => cmd.env("PYTHONPATH", p),
        None => cmd.env_remove("PYTHONPATH"),
    };
    run_to_end(cmd, dir.path(), &format!("`{python}` {}", script.display())).await
}

/// `program` with only what the caller passes: no AWS profile, config file, credentials,
/// proxy or endpoint from the host. `dir` is a scratch directory for the run.
pub(crate) fn isolated_command(program: &str, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .stdin(Stdio::null());
    for var in [
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        "AWS_ENDPOINT_URL_COGNITO_IDENTITY",
        "AWS_ENDPOINT_URL_IAM",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Run `cmd` to its end with a timeout, without blocking the runtime the server under test
/// runs on: (exit success, stdout, stderr). Output goes through files in `dir`.
pub(crate) async fn run_to_end(mut cmd: Command, dir: &Path, what: &str) -> (bool, String, String) {
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    cmd.stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"));
    let mut child =
        cmd.spawn().unwrap_or_else(|e| panic!("{what} is required for this test and could not be run: {e}"));
    let deadline = Instant::now() + SCRIPT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} timed out after {SCRIPT_TIMEOUT:?}; stderr:\n{}",
                std::fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stdout = std::fs::read_to_string(&out_path).expect("read stdout");
    let stderr = std::fs::read_to_string(&err_path).expect("read stderr");
    (status.success(), stdout, stderr)
}

/// Every management operation the script must have completed with HTTP 200.
const OPERATIONS: &[&str] = &[
    "CreateUserPool",
    "DescribeUserPool",
    "ListUserPools",
    "UpdateUserPool",
    "DeleteUserPool",
    "CreateUserPoolClient",
    "DescribeUserPoolClient",
    "ListUserPoolClients",
    "UpdateUserPoolClient",
    "DeleteUserPoolClient",
    "CreateUserPoolDomain",
    "DescribeUserPoolDomain",
    "DeleteUserPoolDomain",
    "CreateResourceServer",
    "DescribeResourceServer",
    "ListResourceServers",
    "DeleteResourceServer",
    "AdminCreateUser",
    "AdminGetUser",
    "AdminSetUserPassword",
    "AdminUpdateUserAttributes",
    "AdminDisableUser",
    "AdminEnableUser",
    "ListUsers",
    "AdminDeleteUser",
    "CreateGroup",
    "GetGroup",
    "ListGroups",
    "AdminAddUserToGroup",
    "AdminListGroupsForUser",
    "ListUsersInGroup",
    "AdminRemoveUserFromGroup",
    "DeleteGroup",
    "UpdateResourceServer",
    "UpdateGroup",
    "InitiateAuth",
    "AdminInitiateAuth",
    "RespondToAuthChallenge",
    "RevokeToken",
    "GetUser",
    "CreateIdentityProvider",
    "DescribeIdentityProvider",
    "UpdateIdentityProvider",
    "ListIdentityProviders",
    "GetIdentityProviderByIdentifier",
    "DeleteIdentityProvider",
    "AdminLinkProviderForUser",
    "AdminDisableProviderForUser",
];

/// Operations the model marks as unsigned (authorised by client id or token, not SigV4).
const UNSIGNED: &[&str] = &["InitiateAuth", "RespondToAuthChallenge", "RevokeToken", "GetUser"];

/// Errors boto3 must have raised, as (operation, error code).
const ERRORS: &[(&str, &str)] = &[
    ("DescribeUserPool", "ResourceNotFoundException"),
    ("DescribeUserPool", "InvalidParameterException"),
    ("CreateUserPool", "InvalidParameterException"),
    ("DeleteUserPool", "InvalidParameterException"),
    ("AdminCreateUser", "UsernameExistsException"),
    ("AdminCreateUser", "InvalidPasswordException"),
    ("AdminCreateUser", "AliasExistsException"),
    ("AdminSetUserPassword", "InvalidPasswordException"),
    ("AdminSetUserPassword", "UserNotFoundException"),
    ("AdminGetUser", "UserNotFoundException"),
    ("AdminUpdateUserAttributes", "InvalidParameterException"),
    ("ListUsers", "InvalidParameterException"),
    ("CreateUserPoolClient", "ScopeDoesNotExistException"),
    ("DescribeUserPoolClient", "ResourceNotFoundException"),
    ("DescribeResourceServer", "ResourceNotFoundException"),
    ("CreateGroup", "GroupExistsException"),
    ("GetGroup", "ResourceNotFoundException"),
    ("AdminAddUserToGroup", "UserNotFoundException"),
    ("CreateUserPoolDomain", "InvalidParameterException"),
    ("InitiateAuth", "NotAuthorizedException"),
    ("GetUser", "NotAuthorizedException"),
    ("ListUserPools", "InvalidSignatureException"),
    ("DescribeUserPool", "UnrecognizedClientException"),
    ("CreateIdentityProvider", "DuplicateProviderException"),
    ("CreateIdentityProvider", "InvalidParameterException"),
    ("DescribeIdentityProvider", "ResourceNotFoundException"),
    ("UpdateIdentityProvider", "UnsupportedIdentityProviderException"),
    ("GetIdentityProviderByIdentifier", "ResourceNotFoundException"),
    ("CreateUserPoolClient", "InvalidParameterException"),
    ("AdminLinkProviderForUser", "AliasExistsException"),
    ("AdminLinkProviderForUser", "UserNotFoundException"),
];

#[tokio::test]
async fn boto3_drives_the_management_api() {
    let app = TestApp::spawn().await;
    let (ok, stdout, stderr) = run_script("management.py", &app.base, &[]).await;
    assert!(ok, "boto3 script failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let summary: Value =
        serde_json::from_str(last).unwrap_or_else(|e| panic!("no JSON summary ({e}) in stdout:\n{stdout}"));

    let done: Vec<&str> =
        summary["operations"].as_array().expect("operations").iter().filter_map(Value::as_str).collect();
    let missing: Vec<&&str> = OPERATIONS.iter().filter(|op| !done.contains(op)).collect();
    assert!(missing.is_empty(), "operations boto3 never completed: {missing:?}\n{summary}");
    for (op, code) in ERRORS {
        let raised = summary["errors"][op].as_array().is_some_and(|c| c.iter().any(|c| c == code));
        assert!(raised, "boto3 never saw {code} from {op}\n{summary}");
    }
    assert_eq!(summary["server_errors"], json!([]), "5xx answers: {summary}");
    // boto3 signs what the model signs and nothing else; the server took both kinds.
    for op in OPERATIONS {
        let want = if UNSIGNED.contains(op) { "unsigned" } else { "sigv4" };
        assert_eq!(summary["signing"][op], json!([want]), "{op} sent as {}", summary["signing"][op]);
    }
    assert!(summary["calls"].as_u64().unwrap_or(0) > 100, "{summary}");

    // What boto3 left behind, seen from our own signed client: every pool it made is gone.
    let pools = app.ok("ListUserPools", json!({"MaxResults": 60})).await;
    assert_eq!(pools["UserPools"], json!([]), "the script deletes its pools");
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
    let mut cmd = isolated_command("aws", dir.path());
    cmd.args(args)
        .args(["--region", "us-east-1", "--output", "json"])
        .env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_MAX_ATTEMPTS", "1");
    if let Some(t) = token {
        cmd.env("AWS_SESSION_TOKEN", t);
    }
    Some(run_to_end(cmd, dir.path(), "aws").await)
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
    let (ok, out, err) = run_script_with_env("iam_sts.py", &app.base, &["main"], &env).await;
    let main = summary(ok, &out, &err);
    let done: Vec<&str> = main["operations"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    for op in [
        "CreateRole",
        "GetRole",
        "ListRoles",
        "PutRolePolicy",
        "GetRolePolicy",
        "DeleteRolePolicy",
        "CreatePolicy",
        "GetPolicy",
        "GetPolicyVersion",
        "ListPolicies",
        "AttachRolePolicy",
        "ListAttachedRolePolicies",
        "DetachRolePolicy",
        "DeletePolicy",
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
    let (ok, out, err) = run_script_with_env("iam_sts.py", &app.base, &["expired"], &env).await;
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

/// Operations `tests/boto3/identity.py` must complete with HTTP 200.
const IDENTITY_OPERATIONS: &[&str] = &[
    "CreateIdentityPool",
    "DescribeIdentityPool",
    "ListIdentityPools",
    "UpdateIdentityPool",
    "DeleteIdentityPool",
    "SetIdentityPoolRoles",
    "GetIdentityPoolRoles",
    "TagResource",
    "UntagResource",
    "ListTagsForResource",
    "GetId",
    "GetOpenIdToken",
    "UnlinkIdentity",
    "DescribeIdentity",
    "ListIdentities",
    "DeleteIdentities",
    "GetOpenIdTokenForDeveloperIdentity",
    "LookupDeveloperIdentity",
    "MergeDeveloperIdentities",
    "UnlinkDeveloperIdentity",
];

/// What the model marks `smithy.api#noAuth`: boto3 sends these unsigned.
const IDENTITY_UNSIGNED: &[&str] = &["GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "UnlinkIdentity"];

/// Errors boto3 must have raised (and parsed into its modeled exceptions), as (operation, code).
const IDENTITY_ERRORS: &[(&str, &str)] = &[
    ("UpdateIdentityPool", "InvalidParameterException"),
    ("CreateIdentityPool", "InvalidParameterException"),
    ("DescribeIdentityPool", "ResourceNotFoundException"),
    ("SetIdentityPoolRoles", "InvalidParameterException"),
    ("GetId", "NotAuthorizedException"),
    ("GetOpenIdToken", "ResourceConflictException"),
    ("UnlinkIdentity", "NotAuthorizedException"),
    ("GetOpenIdTokenForDeveloperIdentity", "DeveloperUserAlreadyRegisteredException"),
    ("LookupDeveloperIdentity", "ResourceConflictException"),
    ("LookupDeveloperIdentity", "ResourceNotFoundException"),
    ("GetCredentialsForIdentity", "NotAuthorizedException"),
    ("GetCredentialsForIdentity", "InvalidIdentityPoolConfigurationException"),
    ("DescribeIdentity", "ResourceNotFoundException"),
    ("DeleteIdentityPool", "ResourceNotFoundException"),
];

async fn identity_summary(app: &TestApp, args: &[&str]) -> Value {
    let (ok, stdout, stderr) = run_script("identity.py", &app.base, args).await;
    let summary = summary(ok, &stdout, &stderr);
    let done: Vec<&str> =
        summary["operations"].as_array().expect("operations").iter().filter_map(Value::as_str).collect();
    let missing: Vec<&&str> = IDENTITY_OPERATIONS.iter().filter(|op| !done.contains(op)).collect();
    assert!(missing.is_empty(), "operations boto3 never completed: {missing:?}\n{summary}");
    for (op, code) in IDENTITY_ERRORS {
        let raised = summary["errors"][op].as_array().is_some_and(|c| c.iter().any(|c| c == code));
        assert!(raised, "boto3 never saw {code} from {op}\n{summary}");
    }
    assert_eq!(summary["server_errors"], json!([]), "5xx answers: {summary}");
    for (op, how) in summary["signing"].as_object().expect("signing") {
        let want = if IDENTITY_UNSIGNED.contains(&op.as_str()) { "unsigned" } else { "sigv4" };
        assert_eq!(how, &json!([want]), "{op} sent as {how}");
    }
    summary
}

#[tokio::test]
async fn boto3_drives_the_identity_api() {
    let app = TestApp::spawn().await;
    identity_summary(&app, &[]).await;
    let left = app.identity_ok("ListIdentityPools", json!({"MaxResults": 60})).await;
    assert_eq!(left["IdentityPools"], json!([]), "the script deletes its identity pools");
}

#[tokio::test]
async fn boto3_gets_identity_credentials_and_checks_them_with_sts() {
    let app = TestApp::spawn().await;
    let summary = identity_summary(&app, &["--credentials"]).await;
    let done = summary["operations"].as_array().expect("operations");
    for op in ["GetCredentialsForIdentity", "CreateRole", "GetCallerIdentity"] {
        assert!(done.contains(&json!(op)), "{op} never completed\n{summary}");
    }
}

/// `aws …` against the server with these keys, which must succeed: its JSON output (`None`
/// when the CLI is not installed).
async fn aws_json(app: &TestApp, args: &[&str], key: &str, secret: &str, token: Option<&str>) -> Option<Value> {
    let mut all = args.to_vec();
    all.extend(["--endpoint-url", app.base.as_str()]);
    let (ok, stdout, stderr) = aws_cli(&all, key, secret, token).await?;
    assert!(ok, "aws {} failed\n{stderr}", args.join(" "));
    Some(if stdout.trim().is_empty() { json!({}) } else { serde_json::from_str(&stdout).expect("JSON output") })
}

#[tokio::test]
async fn the_readme_walk_from_a_browser_sign_in_to_get_caller_identity() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let id_token = tokens_via_browser(&app, &flow).await["id_token"].as_str().unwrap().to_string();
    let provider = provider(&app, &flow.pool);
    let cli = |args: Vec<String>| {
        let app = &app;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            aws_json(app, &args, ACCESS_KEY, SECRET_KEY, None).await
        }
    };
    let Some(created) = cli(vec![
        "cognito-identity".into(),
        "create-identity-pool".into(),
        "--identity-pool-name".into(),
        "web".into(),
        "--no-allow-unauthenticated-identities".into(),
        "--cognito-identity-providers".into(),
        format!("ProviderName={provider},ClientId={}", flow.client_id),
    ])
    .await
    else {
        return;
    };
    let pool = created["IdentityPoolId"].as_str().unwrap().to_string();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}]});
    cli(vec![
        "iam".into(),
        "create-role".into(),
        "--role-name".into(),
        "web-users".into(),
        "--assume-role-policy-document".into(),
        trust.to_string(),
    ])
    .await;
    cli(vec![
        "cognito-identity".into(),
        "set-identity-pool-roles".into(),
        "--identity-pool-id".into(),
        pool.clone(),
        "--roles".into(),
        "authenticated=arn:aws:iam::000000000000:role/web-users".into(),
    ])
    .await;
    let logins = json!({provider.clone(): id_token}).to_string();
    let id = cli(vec![
        "cognito-identity".into(),
        "get-id".into(),
        "--identity-pool-id".into(),
        pool.clone(),
        "--logins".into(),
        logins.clone(),
    ])
    .await
    .unwrap()["IdentityId"]
        .as_str()
        .unwrap()
        .to_string();
    let creds = cli(vec![
        "cognito-identity".into(),
        "get-credentials-for-identity".into(),
        "--identity-id".into(),
        id.clone(),
        "--logins".into(),
        logins,
    ])
    .await
    .unwrap();
    assert_eq!(creds["IdentityId"], json!(id));
    let c = &creds["Credentials"];
    let caller = aws_json(
        &app,
        &["sts", "get-caller-identity"],
        c["AccessKeyId"].as_str().unwrap(),
        c["SecretKey"].as_str().unwrap(),
        c["SessionToken"].as_str(),
    )
    .await
    .unwrap();
    assert_eq!(caller["Arn"], "arn:aws:sts::000000000000:assumed-role/web-users/CognitoIdentityCredentials");
}
