//! The dashboard's identity-pool and IAM pages in a real browser: a role mapping rule typed into
//! the editor is seen through the API, the credential simulator run from its form passes every
//! step, and every page (identity pools, a pool, an identity, IAM roles, a role, the simulator)
//! fits a desktop and a phone screen with every input labelled (screenshots in
//! `$PORTCULLIS_SCREENSHOTS`).

use crate::helpers::*;
use crate::{Driver, Screen, browser_available, check_layout_on};
use portcullis::config::AdminMfa;
use serde_json::json;

const ADMIN: &str = "root";
const ADMIN_PASSWORD: &str = "Dashboard-Passw0rd!";
const SCREENS: &[Screen] = &[("desktop", 1280, 900, false), ("phone", 390, 844, true)];
const AUTH_ROLE: &str = "arn:aws:iam::000000000000:role/web-users";
const ADMIN_ROLE: &str = "arn:aws:iam::000000000000:role/web-admins";

/// Every input labelled, every button named, and the layout on both screens.
async fn check_page(driver: &Driver, name: &str) {
    let unlabelled = driver
        .script(
            "const named = e => e.labels.length > 0 || e.getAttribute('aria-label') || e.getAttribute('aria-labelledby'); \
             return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')] \
               .filter(e => !named(e) || ![...e.labels].every(l => l.textContent.trim())) \
               .map(e => e.outerHTML) \
               .concat([...document.querySelectorAll('button')].filter(b => !b.textContent.trim()).map(b => b.outerHTML));",
        )
        .await;
    assert_eq!(unlabelled, json!([]), "{name}: inputs without a label, buttons without a name");
    check_layout_on(driver, name, SCREENS).await;
}

/// The page at `path` under the server.
async fn open(driver: &Driver, app: &TestApp, path: &str) {
    driver.goto(&format!("{}{path}", app.base)).await;
    driver.wait_for_url(&format!("{}{path}", app.base)).await;
}

fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn identity_pool_and_iam_pages_work_and_fit_desktop_and_phone_screens() {
    if !browser_available() {
        return;
    }
    let app = TestApp::spawn_with(|c| {
        c.admin_username = Some(ADMIN.into());
        c.admin_password = Some(portcullis::config::Secret::new(ADMIN_PASSWORD));
        c.admin_mfa = AdminMfa::Optional;
    })
    .await;
    // A user pool with alice in `admins`, an identity pool in front of it (and a developer
    // provider), the roles its identities assume, and one identity.
    let flow = setup_flow(&app, false, json!({})).await;
    app.ok("CreateGroup", json!({"UserPoolId": flow.pool, "GroupName": "admins"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": flow.pool, "Username": "alice", "GroupName": "admins"})).await;
    let provider = format!("cognito-idp.local.amazonaws.com/{}", flow.pool);
    let created = app
        .identity_ok(
            "CreateIdentityPool",
            json!({"IdentityPoolName": "storefront identities", "AllowUnauthenticatedIdentities": false,
                   "DeveloperProviderName": "login.shop.example",
                   "CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": flow.client_id}]}),
        )
        .await;
    let pool = created["IdentityPoolId"].as_str().unwrap().to_string();
    let trust = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": pool},
                      "ForAnyValue:StringLike": {"cognito-identity.amazonaws.com:amr": "authenticated"}}}]})
    .to_string();
    for name in ["web-users", "web-admins"] {
        let role = portcullis::iam::roles::NewRole {
            name: name.into(),
            assume_role_policy_document: trust.clone(),
            ..Default::default()
        };
        app.services.iam.create_role(role).await.unwrap();
    }
    app.identity_ok("SetIdentityPoolRoles", json!({"IdentityPoolId": pool, "Roles": {"authenticated": AUTH_ROLE}}))
        .await;
    let identity = app
        .identity_ok(
            "GetOpenIdTokenForDeveloperIdentity",
            json!({"IdentityPoolId": pool, "Logins": {"login.shop.example": "customer-42"}}),
        )
        .await["IdentityId"]
        .as_str()
        .unwrap()
        .to_string();
    let driver = Driver::start().await;

    driver.goto(&format!("{}/admin", app.base)).await;
    let system = app.services.operators.system().unwrap().pool_id.to_string();
    driver.wait_for_url(&app.url(&system, "/login")).await;
    driver.type_into("input[name=username]", ADMIN).await;
    driver.type_into("input[name=password]", ADMIN_PASSWORD).await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.wait_for_url(&format!("{}/admin", app.base)).await;

    open(&driver, &app, "/admin/identity-pools").await;
    driver.find("#ip-name").await;
    check_page(&driver, "admin-identity-pools").await;

    // The role mappings editor: a Rules mapping typed in and saved, seen through the API.
    let pool_path = format!("/admin/identity-pools/{}", segment(&pool));
    open(&driver, &app, &pool_path).await;
    driver.click("#m0_type option[value=Rules]").await;
    driver.click("#m0_ambiguous option[value=Deny]").await;
    driver.type_into("#m0_r0_claim", "cognito:groups").await;
    driver.click("#m0_r0_match option[value=Contains]").await;
    driver.type_into("#m0_r0_value", "admin").await;
    driver.type_into("#m0_r0_role", ADMIN_ROLE).await;
    driver.click("form[action$='/roles'] button[type=submit]").await;
    driver.wait_for_url(&format!("{}{pool_path}?notice=roles", app.base)).await;
    let roles = app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": pool})).await;
    let key = format!("{provider}:{}", flow.client_id);
    assert_eq!(
        roles["RoleMappings"][&key]["RulesConfiguration"]["Rules"],
        json!([{"Claim": "cognito:groups", "MatchType": "Contains", "Value": "admin", "RoleARN": ADMIN_ROLE}])
    );
    check_page(&driver, "admin-identity-pool").await;

    open(&driver, &app, &format!("{pool_path}/identities/{}", segment(&identity))).await;
    assert!(driver.text("main").await.contains("customer-42"));
    check_page(&driver, "admin-identity").await;

    open(&driver, &app, &format!("/admin/iam/roles?for_pool={}&kind=authenticated", segment(&pool))).await;
    check_page(&driver, "admin-iam-roles").await;
    open(&driver, &app, "/admin/iam/roles/web-admins").await;
    check_page(&driver, "admin-iam-role").await;

    // The simulator, from its form: every step passes, through rule 1 to web-admins.
    let token = admin_tokens(&app, &flow.pool, &flow.client_id, "alice", PASSWORD).await["IdToken"]
        .as_str()
        .unwrap()
        .to_string();
    open(&driver, &app, &format!("{pool_path}/simulate")).await;
    driver.type_into("#sim-token", &token).await;
    driver.click("form[action$='/simulate'] button[type=submit]").await;
    driver.find("ol.steps").await;
    let outcome = driver.text("#conclusion").await;
    assert_eq!(outcome, format!("GetCredentialsForIdentity would vend credentials for the role {ADMIN_ROLE}."));
    assert!(driver.text("ol.steps").await.contains("Rule 1 matches: cognito:groups Contains admin."));
    check_page(&driver, "admin-identity-simulator").await;
}
