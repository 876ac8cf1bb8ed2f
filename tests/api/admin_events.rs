//! The dashboard's event log through HTTP: sign-in events from the API and the hosted pages, the
//! audit trail of dashboard changes (with before/after, never a secret), a user's timeline, the
//! overview's charts and the CSV and JSON-lines exports.

use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard};
use crate::helpers::*;
use portcullis::config::AdminMfa;
use serde_json::{Value, json};

/// The figure of chart `id` on the overview: its total (a share without its `%`).
fn chart_total(html: &str, id: &str) -> i64 {
    let at = html.find(&format!("id=\"chart-{id}\"")).unwrap_or_else(|| panic!("no chart {id}"));
    let rest = &html[at..];
    let start = rest.find("class=\"chart-total\">").unwrap() + "class=\"chart-total\">".len();
    rest[start..start + rest[start..].find('<').unwrap()].trim_end_matches('%').parse().unwrap()
}

#[tokio::test]
async fn sign_in_events_and_dashboard_changes_are_in_the_log_the_timeline_and_the_charts() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f =
        setup_flow(&app, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}))
            .await;
    let pool = f.pool.clone();
    // One failed and one good API sign-in, and a failed hosted sign-in.
    let (status, _) = initiate_auth(&app, &f.client_id, "alice", "Wrong-Passw0rd!").await;
    assert_eq!(status, 400);
    let (status, _) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200);
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", "Another-Wrong1!").await;
    assert_eq!(r.status(), 400, "the hosted page refuses the wrong password");

    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let failures = admin.get(&app, &format!("/admin/events?pool={pool}&type=SignIn&outcome=Fail")).await;
    assert_eq!(failures.status(), 200);
    let html = failures.text().await.unwrap();
    assert_eq!(html.matches("(bad_password)").count(), 2, "the API and the hosted failure: {html}");
    assert!(!html.contains("Wrong-Passw0rd!") && !html.contains("Another-Wrong1!"), "no password in the log");

    // A dashboard change is audited, and shows on the user's page beside its sign-ins.
    let r = admin.post(&app, &format!("/admin/pools/{pool}/users/alice/disable"), &[]).await;
    assert_eq!(r.status(), 303);
    let audit = admin.get(&app, &format!("/admin/events?pool={pool}&category=audit")).await.text().await.unwrap();
    assert!(audit.contains("AdminDisableUser") && audit.contains("dashboard:root → user:alice"), "{audit}");
    let user = admin.get(&app, &format!("/admin/pools/{pool}/users/alice")).await.text().await.unwrap();
    let timeline = &user[user.find("Recent events").unwrap()..];
    assert!(timeline.contains("AdminDisableUser") && timeline.contains("bad_password"), "{timeline}");

    // Settings changes carry what changed, before and after.
    let r = admin.post(&app, &format!("/admin/pools/{pool}/settings"), &[("min_length", "14"), ("mfa", "OFF")]).await;
    assert_eq!(r.status(), 303);
    let export = admin.get(&app, &format!("/admin/events/export/json?pool={pool}&type=UpdateUserPool")).await;
    assert_eq!(export.status(), 200);
    assert!(export.headers()["content-disposition"].to_str().unwrap().contains("attachment"));
    let lines: Vec<Value> =
        export.text().await.unwrap().lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    let details = lines[0]["details"].to_string();
    assert!(details.contains("\"MinimumLength\"") && details.contains("14") && details.contains('8'), "{details}");

    // The overview counts the pool's sign-ins and failures.
    let overview = admin.get(&app, &format!("/admin?pool={pool}&range=24h")).await.text().await.unwrap();
    assert_eq!(chart_total(&overview, "sign-ins"), 1, "the one finished sign-in");
    assert_eq!(chart_total(&overview, "failures"), 2);
    assert!(overview.contains("<svg") && overview.contains("<rect"), "drawn on the server");
    let week = admin.get(&app, &format!("/admin?pool={pool}&range=7d")).await.text().await.unwrap();
    assert_eq!(chart_total(&week, "failures"), 2);
}

#[tokio::test]
async fn mfa_adoption_is_read_once_an_hour_and_charted_over_time() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = crate::mfa::mfa_pool(&app, "OPTIONAL", false).await;
    app.create_user(&f.pool, "bob", PASSWORD, json!([])).await;
    // An hour on: nobody has MFA. A second reading in the same hour (another node's) writes
    // nothing.
    app.clock.advance_secs(3600);
    assert!(app.services.events.take_mfa_adoption().await.unwrap());
    assert!(!app.services.events.take_mfa_adoption().await.unwrap(), "the hour is taken");
    // An hour later alice has an authenticator.
    app.clock.advance_secs(3600);
    let (status, tokens) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{tokens}");
    let access = tokens["AuthenticationResult"]["AccessToken"].as_str().unwrap();
    let (status, a) = app.public_api("AssociateSoftwareToken", json!({"AccessToken": access})).await;
    assert_eq!(status, 200, "{a}");
    let code = crate::mfa::totp_code(a["SecretCode"].as_str().unwrap(), app.services.now());
    let (status, v) = app.public_api("VerifySoftwareToken", json!({"AccessToken": access, "UserCode": code})).await;
    assert_eq!(status, 200, "{v}");
    assert!(app.services.events.take_mfa_adoption().await.unwrap());

    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let overview = admin.get(&app, &format!("/admin?pool={}&range=24h", f.pool)).await.text().await.unwrap();
    assert_eq!(chart_total(&overview, "mfa-adoption"), 50, "the last reading: alice of alice and bob");
    let chart = &overview[overview.find("id=\"chart-mfa-adoption\"").unwrap()..];
    let chart = &chart[..chart.find("</figure>").unwrap()];
    assert_eq!(chart.matches("<rect").count(), 2, "one bar per reading: {chart}");
    assert!(chart.contains("0 of 2 users (0%)") && chart.contains("1 of 2 users (50%)"), "{chart}");
    // Over every pool the system pool (the operator, without MFA) does not count.
    let all = admin.get(&app, "/admin?range=7d").await.text().await.unwrap();
    assert_eq!(chart_total(&all, "mfa-adoption"), 50, "{all}");
    // Readings go with the event retention.
    app.clock.advance_secs(2 * 86_400);
    app.services.events.purge(1).await.unwrap();
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let later = admin.get(&app, &format!("/admin?pool={}&range=30d", f.pool)).await;
    let later = later.text().await.unwrap();
    assert_eq!(chart_total(&later, "mfa-adoption"), 0, "no reading left: {later}");
}

#[tokio::test]
async fn the_csv_export_quotes_fields_and_defuses_formulas() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]})).await;
    // A sign-in attempt under a name that is a spreadsheet formula.
    let (status, _) = initiate_auth(&app, &client, "=cmd|' /C calc'!A0", PASSWORD).await;
    assert_eq!(status, 400);
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin.post(&app, &format!("/admin/pools/{pool}/users"), &[("username", "=HYPERLINK(\"x\")")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let csv = admin.get(&app, &format!("/admin/events/export/csv?pool={pool}")).await;
    assert!(csv.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    assert!(text.starts_with("id,time,pool,category,type,outcome"), "{text}");
    assert!(text.contains("\"user:=HYPERLINK(\"\"x\"\")\""), "quotes doubled: {text}");
    assert!(text.contains(",\"'=cmd|' /C calc'!A0\","), "a formula is defused: {text}");
    assert!(!text.contains(",\"="), "no field starts with a formula: {text}");
    let bad = admin.get(&app, "/admin/events?from=yesterday").await;
    assert_eq!(bad.status(), 400, "an unreadable date is a form error");
}

#[tokio::test]
async fn management_api_changes_are_audited_with_their_access_key_and_no_secret() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    app.create_user(&pool, "bob", PASSWORD, json!([])).await;
    app.ok(
        "AdminSetUserPassword",
        json!({"UserPoolId": pool, "Username": "bob", "Password": "Brand-New-Passw0rd!", "Permanent": true}),
    )
    .await;
    app.ok("AdminDisableUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    app.ok("ListUsers", json!({"UserPoolId": pool})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let export =
        admin.get(&app, &format!("/admin/events/export/json?pool={pool}&category=audit")).await.text().await.unwrap();
    let lines: Vec<Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let actions: Vec<&str> = lines.iter().map(|l| l["type"].as_str().unwrap()).collect();
    assert!(actions.contains(&"AdminDisableUser") && actions.contains(&"AdminSetUserPassword"), "{actions:?}");
    assert!(!actions.contains(&"ListUsers"), "reads are not audited");
    let disable = lines.iter().find(|l| l["type"] == "AdminDisableUser").unwrap();
    assert_eq!(disable["actor"], format!("key:{ACCESS_KEY}"));
    assert_eq!(disable["target"], "user:bob");
    assert!(!export.contains("Brand-New-Passw0rd!"), "the password is redacted: {export}");
}

#[tokio::test]
async fn iam_changes_through_the_query_api_are_audited_too() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let doc = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}]})
    .to_string();
    crate::aws_query::iam_ok(
        &app,
        &[("Action", "CreateRole"), ("RoleName", "Audited"), ("AssumeRolePolicyDocument", &doc)],
    )
    .await;
    crate::aws_query::iam_ok(&app, &[("Action", "GetRole"), ("RoleName", "Audited")]).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let export =
        admin.get(&app, "/admin/events/export/json?category=audit&type=CreateRole").await.text().await.unwrap();
    let lines: Vec<Value> = export.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1, "{export}");
    assert_eq!(
        (lines[0]["actor"].as_str(), lines[0]["target"].as_str()),
        (Some(format!("key:{ACCESS_KEY}").as_str()), Some("role:Audited"))
    );
    let reads = admin.get(&app, "/admin/events/export/json?category=audit&type=GetRole").await.text().await.unwrap();
    assert!(reads.trim().is_empty(), "reads are not audited");
}
