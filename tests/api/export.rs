//! Exporting a pool's users (beyond Cognito): `portcullis users export` as CSV that re-imports
//! through an import job into another pool, as JSON lines, with password hashes only when asked;
//! and the dashboard's export, where only administrators get hashes, through a CSRF-checked
//! POST that is audited.

use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard};
use crate::helpers::*;
use crate::import_jobs::{call, import};
use crate::keys::cli;
use portcullis::config::AdminMfa;
use portcullis::ids::Username;
use portcullis::operators::Role;
use serde_json::{Value, json};

const PLAN: &str = r#"[{"Name": "plan", "AttributeDataType": "String", "Mutable": true}]"#;

/// A pool with a custom attribute and two users with passwords (one with a comma in a name).
async fn pool_with_users(app: &TestApp) -> String {
    let schema: Value = serde_json::from_str(PLAN).unwrap();
    let pool = app.create_pool(json!({"Schema": schema})).await;
    let alice = json!([
        {"Name": "email", "Value": "alice@example.com"},
        {"Name": "email_verified", "Value": "true"},
        {"Name": "custom:plan", "Value": "gold"},
        {"Name": "name", "Value": "Alice \"Al\" Smith, Jr."},
    ]);
    app.create_user(&pool, "alice", "Alice-Passw0rd!", alice).await;
    app.create_user(&pool, "bob", "Bob-Passw0rd!1", json!([{"Name": "phone_number", "Value": "+15551234567"}])).await;
    pool
}

async fn export(app: &TestApp, args: &[&str]) -> String {
    let out = cli(app, &[&["users", "export"], args].concat(), &[]).await;
    assert!(out.status.success(), "export failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn a_csv_export_reimports_through_an_import_job_into_another_pool() {
    let app = TestApp::spawn().await;
    let pool = pool_with_users(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("users.csv");
    let printed = export(&app, &["--pool", &pool, "--output", file.to_str().unwrap()]).await;
    assert!(printed.is_empty(), "with --output nothing goes to standard output");
    let csv = std::fs::read_to_string(&file).unwrap();
    let header = csv.lines().next().unwrap();
    let cognito = app.ok("GetCSVHeader", json!({"UserPoolId": pool})).await["CSVHeader"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect::<Vec<_>>()
        .join(",");
    assert_eq!(header, format!("{cognito},sub,cognito:user_status,cognito:enabled,created_date,last_modified_date"));
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.contains("\"Alice \"\"Al\"\" Smith, Jr.\""), "quoted: {csv}");
    assert!(!csv.contains("$argon2"), "no hash without --include-hashes");

    let schema: Value = serde_json::from_str(PLAN).unwrap();
    let second = app.create_pool(json!({"Schema": schema})).await;
    let done = import(&app, &second, &csv).await;
    assert_eq!(done["Status"], "Succeeded", "{done}");
    assert_eq!((done["ImportedUsers"].as_i64(), done["FailedUsers"].as_i64()), (Some(2), Some(0)), "{done}");
    let alice = app.ok("AdminGetUser", json!({"UserPoolId": second, "Username": "alice"})).await;
    assert_eq!(alice["UserStatus"], "RESET_REQUIRED");
    let before = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    let (mut a, mut b) = (attr_map(&alice["UserAttributes"]), attr_map(&before["UserAttributes"]));
    assert_ne!(a.remove("sub"), b.remove("sub"), "an imported user gets a sub of its own");
    assert_eq!(a, b, "every attribute made the trip");
    let bob = app.ok("AdminGetUser", json!({"UserPoolId": second, "Username": "bob"})).await;
    assert_eq!(attr_map(&bob["UserAttributes"])["phone_number"], "+15551234567");
}

/// Beyond Cognito: an export with hashes re-imports as users who keep their passwords; a row
/// whose hash does not parse fails alone.
#[tokio::test]
async fn an_export_with_hashes_reimports_users_who_sign_in_with_their_passwords() {
    let app = TestApp::spawn().await;
    let pool = pool_with_users(&app).await;
    let mut csv = export(&app, &["--pool", &pool, "--include-hashes"]).await;
    let columns = csv.lines().next().unwrap().split(',').count();
    // One more user, whose hash is not one: every column empty but the username and the hash.
    let mut row = vec![""; columns];
    row[columns - 1] = "$argon2id$v=19$broken";
    let username = csv.lines().next().unwrap().split(',').position(|c| c == "cognito:username").unwrap();
    row[username] = "carol";
    csv.push_str(&row.join(","));
    csv.push('\n');

    let schema: Value = serde_json::from_str(PLAN).unwrap();
    let second = app.create_pool(json!({"Schema": schema})).await;
    let done = import(&app, &second, &csv).await;
    assert_eq!(done["Status"], "Succeeded", "{done}");
    assert_eq!((done["ImportedUsers"].as_i64(), done["FailedUsers"].as_i64()), (Some(2), Some(1)), "{done}");
    let (client, _) =
        app.create_client(&second, false, json!({"ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH"]})).await;
    let alice = app.ok("AdminGetUser", json!({"UserPoolId": second, "Username": "alice"})).await;
    assert_eq!(alice["UserStatus"], "CONFIRMED", "a user with a hash needs no reset");
    let tokens = admin_tokens(&app, &second, &client, "alice", "Alice-Passw0rd!").await;
    assert!(tokens["AccessToken"].is_string(), "{tokens}");
    let (status, v) = admin_auth(&app, &second, &client, "bob", "not-bobs-password").await;
    assert_eq!((status, err_type(&v)), (400, "NotAuthorizedException"));
    let (status, v) = call(&app, "AdminGetUser", json!({"UserPoolId": second, "Username": "carol"})).await;
    assert_eq!((status, err_type(&v)), (400, "UserNotFoundException"), "the row with a broken hash failed");
}

#[tokio::test]
async fn json_lines_and_hashes_only_when_asked_for() {
    let app = TestApp::spawn().await;
    let pool = pool_with_users(&app).await;
    let plain = export(&app, &["--pool", &pool, "--format", "jsonl"]).await;
    let users: Vec<Value> = plain.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(users.len(), 2);
    // Users made in the same second come in the order of their sub.
    let alice = users.iter().find(|u| u["Username"] == "alice").expect("alice");
    assert_eq!(alice["UserStatus"], "CONFIRMED");
    assert_eq!(alice["Enabled"], true);
    assert_eq!(alice["Attributes"][0]["Name"], "sub", "sub first, as Cognito lists attributes");
    assert_eq!(attr_map(&alice["Attributes"])["custom:plan"], "gold");
    assert!(users.iter().all(|u| u.get("PasswordHash").is_none()), "{plain}");

    let with = export(&app, &["--pool", &pool, "--format", "jsonl", "--include-hashes"]).await;
    let users: Vec<Value> = with.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(users.iter().all(|u| u["PasswordHash"].as_str().is_some_and(|h| h.starts_with("$argon2id$"))), "{with}");
    let csv = export(&app, &["--pool", &pool, "--include-hashes"]).await;
    assert!(csv.lines().next().unwrap().ends_with(",password_hash"), "{csv}");
    assert_eq!(csv.lines().skip(1).filter(|l| l.contains(",\"$argon2id$")).count(), 2, "{csv}");

    let out = cli(&app, &["users", "export", "--pool", &pool, "--format", "xml"], &[]).await;
    assert!(!out.status.success());
    let out = cli(&app, &["users", "export", "--pool", "local_nothere1"], &[]).await;
    assert!(!out.status.success(), "an unknown pool is an error, not an empty file");
}

#[tokio::test]
async fn the_dashboard_exports_to_every_role_and_hashes_only_to_administrators() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = pool_with_users(&app).await;
    let path = format!("/admin/pools/{pool}/export-users");
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let page = admin.get(&app, &format!("/admin/pools/{pool}/users")).await.text().await.unwrap();
    assert!(
        page.contains(&format!("href=\"{path}?format=csv\"")) && page.contains("name=\"include_hashes\""),
        "{page}"
    );

    let mut roles = Vec::new();
    for (name, role) in [("olivia", Role::Operator), ("victor", Role::Viewer)] {
        let t = app.services.operators.create_operator(&Username::from(name), role).await.unwrap();
        roles.push(sign_in_dashboard(&app, name, &t, Some("New-Passw0rd!x"), None).await);
    }
    for op in roles.iter().chain([&admin]) {
        let r = op.get(&app, &format!("{path}?format=csv")).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert!(r.headers()["content-disposition"].to_str().unwrap().contains(&format!("{pool}-users.csv")));
        let body = r.text().await.unwrap();
        assert!(body.contains("alice@example.com") && !body.contains("$argon2"), "{body}");
        let r = op.post(&app, &path, &[("format", "jsonl"), ("include_hashes", "on")]).await;
        if std::ptr::eq(op, &admin) {
            assert_eq!(r.status(), 200);
            let body = r.text().await.unwrap();
            assert_eq!(body.lines().filter(|l| l.contains("\"PasswordHash\":\"$argon2id$")).count(), 2, "{body}");
        } else {
            assert_eq!(r.status(), 403, "operators and viewers get no hashes");
        }
    }
    let jsonl = admin.get(&app, &format!("{path}?format=jsonl")).await.text().await.unwrap();
    assert_eq!(jsonl.lines().count(), 2);
    assert_eq!(admin.get(&app, &format!("{path}?format=xml")).await.status(), 400);

    // A POST without the session's CSRF token is refused.
    let forged =
        admin.browser.post(format!("{}{path}", app.base)).form(&[("include_hashes", "on")]).send().await.unwrap();
    assert_eq!(forged.status(), 403);

    let audit = admin
        .get(&app, &format!("/admin/events/export/json?pool={pool}&category=audit&type=ExportUsers"))
        .await
        .text()
        .await
        .unwrap();
    let events: Vec<&str> = audit.lines().filter(|l| l.contains("ExportUsers")).collect();
    assert_eq!(events.len(), 1, "the hash export is audited once: {audit}");
    assert!(events[0].contains("dashboard:root") && events[0].contains("include_hashes"), "{audit}");
}
