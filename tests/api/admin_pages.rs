//! The dashboard's pages beyond the first slice, through HTTP: bulk actions (the dry-run count,
//! then the confirmed change, on a selection or on a whole search), groups and signing keys,
//! each checked through the Cognito API or the JWKS; an app client's branding and the previews
//! of its hosted pages (framed by the dashboard only, in each language, inert).

use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard, spawn_dashboard};
use crate::helpers::*;
use portcullis::config::AdminMfa;
use portcullis::ids::Username;
use portcullis::operators::Role;
use serde_json::{Value, json};

async fn users_with_emails(app: &TestApp, pool: &str, names: &[&str], domain: &str) {
    for n in names {
        app.create_user(
            pool,
            n,
            PASSWORD,
            json!([{"Name": "email", "Value": format!("{n}@{domain}")}, {"Name": "email_verified", "Value": "true"}]),
        )
        .await;
    }
}

/// An OIDC provider named `Corp` in the pool (never called: enough to link identities).
async fn corp_provider(app: &TestApp, pool: &str) {
    app.ok(
        "CreateIdentityProvider",
        json!({"UserPoolId": pool, "ProviderName": "Corp", "ProviderType": "OIDC",
               "ProviderDetails": {"client_id": "c", "client_secret": "s", "authorize_scopes": "openid",
                                   "oidc_issuer": "https://idp.example.com", "attributes_request_method": "GET"}}),
    )
    .await;
}

/// The usernames the users page lists, sorted.
fn listed_users(html: String) -> Vec<String> {
    let mut names: Vec<String> = html
        .split("<td><a href=\"/admin/pools/")
        .skip(1)
        .map(|s| s[s.find('>').unwrap() + 1..s.find("</a>").unwrap()].to_string())
        .collect();
    names.sort();
    names
}

async fn enabled(app: &TestApp, pool: &str, name: &str) -> Value {
    get_user(app, pool, name).await["Enabled"].clone()
}

#[tokio::test]
async fn bulk_actions_count_first_then_change_the_selection_or_the_whole_search() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    users_with_emails(&app, &pool, &["a1", "a2", "a3"], "team.example").await;
    users_with_emails(&app, &pool, &["b1"], "else.example").await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let bulk = format!("/admin/pools/{pool}/bulk");

    // The ticked users: a dry run shows the count and changes nothing.
    let dry =
        admin.post(&app, &bulk, &[("action", "disable"), ("scope", "selected"), ("user", "a1"), ("user", "b1")]).await;
    assert_eq!(dry.status(), 200);
    let html = dry.text().await.unwrap();
    assert!(html.contains("<strong>2</strong> users"), "{html}");
    assert_eq!(enabled(&app, &pool, "a1").await, true, "a dry run changes nothing");
    let done = admin
        .post(
            &app,
            &bulk,
            &[("action", "disable"), ("scope", "selected"), ("user", "a1"), ("user", "b1"), ("confirm", "yes")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(done.contains("Done: 2 of 2 users."), "{done}");
    assert_eq!((enabled(&app, &pool, "a1").await, enabled(&app, &pool, "b1").await), (json!(false), json!(false)));
    assert_eq!(enabled(&app, &pool, "a2").await, true);

    // The whole search: every user whose e-mail starts with "a".
    let search = [("scope", "search"), ("field", "email"), ("q", "a")];
    let mut form = vec![("action", "add-group"), ("group", "team")];
    form.extend_from_slice(&search);
    app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": "team"})).await;
    let dry = admin.post(&app, &bulk, &form).await.text().await.unwrap();
    assert!(dry.contains("<strong>3</strong> users") && dry.contains("starts with"), "{dry}");
    form.push(("confirm", "yes"));
    let done = admin.post(&app, &bulk, &form).await.text().await.unwrap();
    assert!(done.contains("Done: 3 of 3 users."), "{done}");
    let members = app.ok("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "team"})).await;
    assert_eq!(members["Users"].as_array().unwrap().len(), 3);

    // A failing user is reported and the others go on.
    let done = admin
        .post(
            &app,
            &bulk,
            &[("action", "delete"), ("scope", "selected"), ("user", "a3"), ("user", "ghost"), ("confirm", "yes")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(done.contains("Done: 1 of 2 users.") && done.contains("ghost"), "{done}");
    let (status, _) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "a3"})).await;
    assert_eq!(status, 400, "a3 was deleted");

    // Viewers may not, even a dry run.
    let t = app.services.operators.create_operator(&Username::from("v"), Role::Viewer).await.unwrap();
    let viewer = sign_in_dashboard(&app, "v", &t, Some("New-Passw0rd!x"), None).await;
    let r = viewer
        .post(&app, &bulk, &[("action", "enable"), ("scope", "selected"), ("user", "a1"), ("confirm", "yes")])
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(enabled(&app, &pool, "a1").await, false);
}

#[tokio::test]
async fn groups_and_signing_keys_are_managed_from_their_pages() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    users_with_emails(&app, &pool, &["m1"], "x.example").await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin
        .post(
            &app,
            &format!("/admin/pools/{pool}/groups"),
            &[("name", "staff"), ("description", "Staff"), ("precedence", "3")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let g = app.ok("GetGroup", json!({"UserPoolId": pool, "GroupName": "staff"})).await;
    assert_eq!((g["Group"]["Description"].as_str(), g["Group"]["Precedence"].as_i64()), (Some("Staff"), Some(3)));
    let r = admin.post(&app, &format!("/admin/pools/{pool}/users/m1/add-group"), &[("group", "staff")]).await;
    assert_eq!(r.status(), 303);
    let page = admin.get(&app, &format!("/admin/pools/{pool}/groups/staff")).await.text().await.unwrap();
    assert!(page.contains(">m1<"), "{page}");
    let dup = admin.post(&app, &format!("/admin/pools/{pool}/groups"), &[("name", "staff")]).await;
    assert_eq!(dup.status(), 400, "Cognito's GroupExists, as a form error");
    let r = admin.post(&app, &format!("/admin/pools/{pool}/groups/staff/delete"), &[]).await;
    assert_eq!(r.status(), 303);
    let (status, body) = app.api("GetGroup", json!({"UserPoolId": pool, "GroupName": "staff"})).await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));

    // Keys: the page lists what the JWKS publishes; rotation is for admins only.
    let jwks: Value =
        app.http.get(app.url(&pool, "/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    let page = admin.get(&app, &format!("/admin/pools/{pool}/keys")).await.text().await.unwrap();
    for k in jwks["keys"].as_array().unwrap() {
        assert!(page.contains(k["kid"].as_str().unwrap()), "every published key is listed");
    }
    let t = app.services.operators.create_operator(&Username::from("op"), Role::Operator).await.unwrap();
    let operator = sign_in_dashboard(&app, "op", &t, Some("New-Passw0rd!x"), None).await;
    let refused = operator.post(&app, &format!("/admin/pools/{pool}/keys/rotate"), &[]).await;
    assert_eq!(refused.status(), 403);
    let active_before = app.services.user_pools.signing_keys(&pool.as_str().into()).await.unwrap();
    let r = admin.post(&app, &format!("/admin/pools/{pool}/keys/rotate"), &[]).await;
    assert_eq!(r.status(), 303);
    let after = app.services.user_pools.signing_keys(&pool.as_str().into()).await.unwrap();
    let active =
        |keys: &[portcullis::userpool::SigningKey]| keys.iter().find(|k| k.state == "active").unwrap().kid.clone();
    assert_ne!(active(&after), active(&active_before), "a new active key");
}

#[tokio::test]
async fn the_settings_form_changes_what_it_shows_and_keeps_every_other_setting() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let lambda = "arn:aws:lambda:local:000000000000:function:pre";
    let pool = app.create_pool(json!({"LambdaConfig": {"PreSignUp": lambda}, "UserPoolTags": {"team": "a"}})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let page = admin.get(&app, &format!("/admin/pools/{pool}/settings")).await.text().await.unwrap();
    assert!(page.contains("name=\"min_length\" type=\"number\" min=\"6\" max=\"99\" value=\"8\""), "{page}");
    let settings = format!("/admin/pools/{pool}/settings");
    let bad = admin.post(&app, &settings, &[("email_message", "no code here"), ("mfa", "OFF")]).await;
    assert_eq!(bad.status(), 400);
    let r = admin
        .post(
            &app,
            &settings,
            &[
                ("name", "renamed"),
                ("min_length", "12"),
                ("require_lowercase", "on"),
                ("mfa", "ON"),
                ("email_subject", "Your code"),
                ("email_message", "Code: {####}"),
                ("deletion_protection", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"].clone();
    assert_eq!(d["Name"], "renamed");
    let policy = &d["Policies"]["PasswordPolicy"];
    assert_eq!((policy["MinimumLength"].as_i64(), policy["RequireUppercase"].as_bool()), (Some(12), Some(false)));
    assert_eq!(d["MfaConfiguration"], "ON");
    assert_eq!(d["VerificationMessageTemplate"]["EmailMessage"], "Code: {####}");
    assert_eq!(d["DeletionProtection"], "ACTIVE");
    assert_eq!(d["LambdaConfig"]["PreSignUp"], lambda, "settings the form does not show are kept");
    assert_eq!(d["UserPoolTags"]["team"], "a");
    let mfa = app.ok("GetUserPoolMfaConfig", json!({"UserPoolId": pool})).await;
    assert_eq!(mfa["SoftwareTokenMfaConfiguration"]["Enabled"], true, "MFA on enables TOTP");
}

#[tokio::test]
async fn mfa_factors_their_code_mail_and_new_custom_attributes_are_set_from_the_settings_page() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let settings = format!("/admin/pools/{pool}/settings");
    let mfa_config = || app.ok("GetUserPoolMfaConfig", json!({"UserPoolId": pool}));
    let before = mfa_config().await;
    // Required MFA with no factor, or a code mail without the code, is refused and changes nothing.
    let none = admin.post(&app, &settings, &[("factors", "1"), ("mfa", "ON")]).await;
    assert_eq!(none.status(), 400);
    assert!(none.text().await.unwrap().contains("At least one MFA factor"));
    let no_code = admin
        .post(&app, &settings, &[("factors", "1"), ("mfa", "ON"), ("email_mfa", "on"), ("mfa_message", "Hi")])
        .await;
    assert_eq!(no_code.status(), 400);
    // The service's refusal, shown on the page (the page has no check of its own).
    let page = no_code.text().await.unwrap();
    assert!(page.contains("The sign-in code message must contain {####}, where the code goes."), "{page}");
    assert_eq!(mfa_config().await, before);

    let r = admin
        .post(
            &app,
            &settings,
            &[
                ("factors", "1"),
                ("mfa", "ON"),
                ("email_mfa", "on"),
                ("mfa_subject", "Sign-in code"),
                ("mfa_message", "Your code is {####}."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let mfa = mfa_config().await;
    assert_eq!(mfa["MfaConfiguration"], "ON");
    assert_eq!(mfa["SoftwareTokenMfaConfiguration"]["Enabled"], false, "TOTP was left unticked");
    assert_eq!(mfa["EmailMfaConfiguration"], json!({"Subject": "Sign-in code", "Message": "Your code is {####}."}));
    let page = admin.get(&app, &settings).await.text().await.unwrap();
    assert!(page.contains("Your code is {####}.</textarea>") && page.contains("name=\"email_mfa\" checked"), "{page}");
    // Back to TOTP only: the e-mail factor goes.
    let r = admin.post(&app, &settings, &[("factors", "1"), ("mfa", "OPTIONAL"), ("totp", "on")]).await;
    assert_eq!(r.status(), 303);
    let mfa = mfa_config().await;
    assert_eq!(mfa["SoftwareTokenMfaConfiguration"]["Enabled"], true);
    assert!(mfa["EmailMfaConfiguration"].is_null(), "{mfa}");

    // The schema grows from the same page, and is listed there.
    let attributes = format!("/admin/pools/{pool}/attributes");
    let r = admin.post(&app, &attributes, &[("custom_attributes", "plan\ncustom:seats: Number")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"]["SchemaAttributes"].clone();
    let ty = |n: &str| d.as_array().unwrap().iter().find(|a| a["Name"] == n).map(|a| a["AttributeDataType"].clone());
    assert_eq!((ty("custom:plan"), ty("custom:seats")), (Some(json!("String")), Some(json!("Number"))));
    let again = admin.post(&app, &attributes, &[("custom_attributes", "plan")]).await;
    assert_eq!(again.status(), 400);
    assert!(again.text().await.unwrap().contains("Existing attribute already has name custom:plan"));
    let page = admin.get(&app, &settings).await.text().await.unwrap();
    assert!(page.contains("custom:seats</td><td>Number"), "{page}");
    let audit = admin.get(&app, &format!("/admin/events?pool={pool}&type=AddCustomAttributes")).await;
    assert!(audit.text().await.unwrap().contains("AddCustomAttributes"));
}

#[tokio::test]
async fn a_users_sign_ins_sessions_identities_factors_and_attributes_are_managed_from_its_page() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = setup_flow(
        &app,
        false,
        json!({"ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}),
    )
    .await;
    let pool = f.pool.clone();
    let tokens = admin_tokens(&app, &pool, &f.client_id, "alice", PASSWORD).await;
    let refresh = tokens["RefreshToken"].as_str().unwrap().to_string();
    let browser = app.browser();
    let code = code_via_browser(&app, &f, &browser).await;
    assert_eq!(f.redeem(&app, &code).await.status(), 200);
    corp_provider(&app, &pool).await;

    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let user_page = format!("/admin/pools/{pool}/users/alice");
    let page = admin.get(&app, &user_page).await.text().await.unwrap();
    let origins: Vec<String> =
        page.split("name=\"origin\" value=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_string()).collect();
    assert_eq!(origins.len(), 2, "the API and the hosted sign-in both have live refresh tokens: {page}");
    let sessions: Vec<String> =
        page.split("name=\"session\" value=\"").skip(1).map(|s| s[..s.find('"').unwrap()].to_string()).collect();
    assert_eq!(sessions.len(), 1, "one hosted-page session");

    // Revoke the API sign-in: its refresh token stops working, the other stays.
    let api_origin = portcullis_origin(tokens["AccessToken"].as_str().unwrap());
    assert!(origins.contains(&api_origin));
    let r = admin.post(&app, &format!("{user_page}/revoke-sign-in"), &[("origin", api_origin.as_str())]).await;
    assert_eq!(r.status(), 303);
    let (status, body) = app
        .api(
            "AdminInitiateAuth",
            json!({"UserPoolId": pool, "ClientId": f.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH",
                   "AuthParameters": {"REFRESH_TOKEN": refresh}}),
        )
        .await;
    assert_eq!((status, err_type(&body)), (400, "NotAuthorizedException"), "{body}");
    let again = admin.post(&app, &format!("{user_page}/revoke-sign-in"), &[("origin", api_origin.as_str())]).await;
    assert_eq!(again.status(), 400, "already revoked");

    // End the hosted session: the next authorize shows the sign-in form again.
    let r = admin.post(&app, &format!("{user_page}/end-session"), &[("session", sessions[0].as_str())]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(authorize_target(&browser, &f.authorize_url(&app, "")).await, "login");

    // Attributes: a change and a new one; the API sees both.
    let r = admin
        .post(
            &app,
            &format!("{user_page}/attributes"),
            &[("attr.name", "Alice Liddell"), ("new_name", "given_name"), ("new_value", "Alice")],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let attrs = attr_map(&get_user(&app, &pool, "alice").await["UserAttributes"]);
    assert_eq!((attrs["name"].as_str(), attrs["given_name"].as_str()), (Some("Alice Liddell"), Some("Alice")));
    assert_eq!(attrs["email"], "alice@example.com", "fields left as they were are not rewritten");

    // Link and unlink an upstream identity.
    let r =
        admin.post(&app, &format!("{user_page}/link"), &[("provider", "Corp"), ("provider_user_id", "corp-42")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let page = admin.get(&app, &user_page).await.text().await.unwrap();
    assert!(page.contains("Corp: <span class=\"mono\">corp-42</span>"), "{page}");
    let r = admin
        .post(&app, &format!("{user_page}/unlink"), &[("provider", "Corp"), ("provider_user_id", "corp-42")])
        .await;
    assert_eq!(r.status(), 303);
    let page = admin.get(&app, &user_page).await.text().await.unwrap();
    assert!(!page.contains("corp-42"));
    let audit = admin.get(&app, &format!("/admin/events?pool={pool}&category=audit")).await.text().await.unwrap();
    for action in [
        "RevokeToken",
        "EndHostedSession",
        "AdminUpdateUserAttributes",
        "AdminLinkProviderForUser",
        "AdminDisableProviderForUser",
    ] {
        assert!(audit.contains(action), "{action} is audited");
    }
}

/// The sign-in origin (`origin_jti`) an access token names.
fn portcullis_origin(access_token: &str) -> String {
    let c = claims(access_token);
    c["origin_jti"].as_str().unwrap_or_else(|| panic!("no origin_jti in {c}")).to_string()
}

#[tokio::test]
async fn reset_mfa_makes_the_user_set_up_an_authenticator_again() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = crate::mfa::mfa_pool(&app, "ON", false).await;
    crate::mfa::set_up_totp(&app, &f).await;
    let (_, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(v["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin.post(&app, &format!("/admin/pools/{}/users/alice/reset-mfa", f.pool), &[]).await;
    assert_eq!(r.status(), 303);
    let (_, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(v["ChallengeName"], "MFA_SETUP", "{v}");
}

#[tokio::test]
async fn the_outbox_viewer_shows_development_mail_to_administrators_only() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin
        .post(
            &app,
            &format!("/admin/pools/{pool}/users"),
            &[
                ("username", "newbie"),
                ("email", "newbie@example.com"),
                ("email_verified", "on"),
                ("send_invitation", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let list = admin.get(&app, "/admin/outbox").await.text().await.unwrap();
    assert!(list.contains("newbie@example.com"), "{list}");
    let link = list.split("href=\"/admin/outbox/").nth(1).expect("a message link");
    let name = &link[..link.find('"').unwrap()];
    let message = admin.get(&app, &format!("/admin/outbox/{name}")).await.text().await.unwrap();
    assert!(message.contains("newbie"), "the invitation as written: {message}");
    for bad in ["..%2Fmaster.key", "master.key", "x.eml"] {
        assert_eq!(admin.get(&app, &format!("/admin/outbox/{bad}")).await.status(), 404, "{bad}");
    }
    let t = app.services.operators.create_operator(&Username::from("op"), Role::Operator).await.unwrap();
    let operator = sign_in_dashboard(&app, "op", &t, Some("New-Passw0rd!x"), None).await;
    assert_eq!(operator.get(&app, "/admin/outbox").await.status(), 403, "codes and passwords are for admins");
}

#[tokio::test]
async fn an_app_client_is_edited_from_its_page_and_keeps_what_the_form_does_not_show() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app
        .create_client(
            &pool,
            true,
            json!({"ReadAttributes": ["email"], "CallbackURLs": ["https://old.example/cb"], "AllowedOAuthFlows": ["code"],
                   "AllowedOAuthScopes": ["openid"], "AllowedOAuthFlowsUserPoolClient": true,
                   "SupportedIdentityProviders": ["COGNITO"], "RefreshTokenRotation": {"Feature": "DISABLED", "RetryGracePeriodSeconds": 5}}),
        )
        .await;
    app.ok(
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "https://api.example", "Name": "api",
               "Scopes": [{"ScopeName": "read", "ScopeDescription": "Read"}]}),
    )
    .await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let path = format!("/admin/pools/{pool}/clients/{client}");
    let page = admin.get(&app, &path).await.text().await.unwrap();
    assert!(page.contains("value=\"https://api.example/read\""), "resource-server scopes are offered: {page}");
    assert!(page.contains("https://old.example/cb"));
    let r = admin
        .post(
            &app,
            &path,
            &[
                ("name", "renamed"),
                ("callback_urls", "https://new.example/cb"),
                ("flow", "code"),
                ("scope", "openid"),
                ("scope", "https://api.example/read"),
                ("idp", "COGNITO"),
                ("auth_flow", "ALLOW_REFRESH_TOKEN_AUTH"),
                ("access_validity", "30"),
                ("access_unit", "minutes"),
                ("revocation", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let c = app.ok("DescribeUserPoolClient", json!({"UserPoolId": pool, "ClientId": client})).await["UserPoolClient"]
        .clone();
    assert_eq!(c["ClientName"], "renamed");
    assert_eq!(c["CallbackURLs"], json!(["https://new.example/cb"]));
    assert_eq!(c["AllowedOAuthScopes"], json!(["openid", "https://api.example/read"]));
    assert_eq!(
        (c["AccessTokenValidity"].as_i64(), c["TokenValidityUnits"]["AccessToken"].as_str()),
        (Some(30), Some("minutes"))
    );
    assert_eq!(c["ReadAttributes"], json!(["email"]), "kept: the form does not show it");
    assert_eq!(c["RefreshTokenRotation"]["RetryGracePeriodSeconds"], 5, "kept");
    assert!(c["ClientSecret"].is_string(), "the secret stays");

    let bad = admin
        .post(&app, &path, &[("callback_urls", "http://evil.example/cb"), ("flow", "code"), ("scope", "openid")])
        .await;
    assert_eq!(bad.status(), 400, "the service's URL rule, as a form error");
    let r = admin.post(&app, &format!("{path}/delete"), &[]).await;
    assert_eq!(r.status(), 400, "needs the confirmation box");
    let r = admin.post(&app, &format!("{path}/delete"), &[("confirm", "on")]).await;
    assert_eq!(r.status(), 303);
    let (status, _) = app.api("DescribeUserPoolClient", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn domains_resource_servers_and_identity_providers_are_added_and_removed_by_admins() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let base = format!("/admin/pools/{pool}/integrations");
    let r = admin.post(&app, &format!("{base}/add-domain"), &[("domain", "shop-login")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let d = app.ok("DescribeUserPoolDomain", json!({"Domain": "shop-login"})).await;
    assert_eq!(d["DomainDescription"]["UserPoolId"], pool.as_str());
    let r = admin
        .post(
            &app,
            &format!("{base}/add-server"),
            &[("identifier", "https://api.example"), ("name", "api"), ("scopes", "read: Read\r\nwrite: Write")],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let rs = app.ok("DescribeResourceServer", json!({"UserPoolId": pool, "Identifier": "https://api.example"})).await;
    assert_eq!(rs["ResourceServer"]["Scopes"].as_array().unwrap().len(), 2);
    let r = admin
        .post(
            &app,
            &format!("{base}/add-provider"),
            &[
                ("type", "OIDC"),
                ("name", "Corp"),
                ("client_id", "corp-client"),
                ("client_secret", "corp-s3cret-value"),
                ("authorize_scopes", "openid email"),
                ("oidc_issuer", "https://idp.example.com"),
                ("mapping", "email = email"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let p = app.ok("DescribeIdentityProvider", json!({"UserPoolId": pool, "ProviderName": "Corp"})).await;
    assert_eq!(p["IdentityProvider"]["ProviderDetails"]["client_id"], "corp-client");
    let page = admin.get(&app, &base).await.text().await.unwrap();
    assert!(page.contains("corp-client") && !page.contains("corp-s3cret-value"), "the secret is never shown");
    let audit =
        admin.get(&app, &format!("/admin/events/export/csv?pool={pool}&category=audit")).await.text().await.unwrap();
    assert!(
        audit.contains("CreateIdentityProvider") && !audit.contains("corp-s3cret-value"),
        "audited, without the secret"
    );
    let bad = admin
        .post(&app, &format!("{base}/add-provider"), &[("type", "OIDC"), ("name", "Bad"), ("client_id", "x")])
        .await;
    assert_eq!(bad.status(), 400, "the service's validation, as a form error");

    let t = app.services.operators.create_operator(&Username::from("op"), Role::Operator).await.unwrap();
    let operator = sign_in_dashboard(&app, "op", &t, Some("New-Passw0rd!x"), None).await;
    let refused = operator.post(&app, &format!("{base}/delete-provider"), &[("name", "Corp")]).await;
    assert_eq!(refused.status(), 403, "providers are admin settings");

    for (what, field, value) in [
        ("delete-provider", "name", "Corp"),
        ("delete-server", "identifier", "https://api.example"),
        ("delete-domain", "domain", "shop-login"),
    ] {
        let r = admin.post(&app, &format!("{base}/{what}"), &[(field, value)]).await;
        assert_eq!(r.status(), 303, "{what}");
    }
    let (status, _) = app.api("DescribeIdentityProvider", json!({"UserPoolId": pool, "ProviderName": "Corp"})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn users_are_found_by_status_enabled_state_and_group() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    users_with_emails(&app, &pool, &["u1", "u2", "u3"], "x.example").await;
    app.ok("AdminCreateUser", json!({"UserPoolId": pool, "Username": "fresh", "MessageAction": "SUPPRESS"})).await;
    app.ok("AdminDisableUser", json!({"UserPoolId": pool, "Username": "u2"})).await;
    app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": "vip"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": "u3", "GroupName": "vip"})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let users = format!("/admin/pools/{pool}/users");
    let get = |q: &str| {
        let (admin, app, users) = (&admin, &app, &users);
        let q = q.to_string();
        async move { admin.get(app, &format!("{users}?{q}")).await.text().await.unwrap() }
    };
    assert_eq!(listed_users(get("field=status&q=Disabled").await), ["u2"]);
    assert_eq!(listed_users(get("field=cognito:user_status&q=FORCE").await), ["fresh"]);
    assert_eq!(listed_users(get("field=group&q=vip").await), ["u3"]);
    let dry = admin
        .post(
            &app,
            &format!("/admin/pools/{pool}/bulk"),
            &[("action", "enable"), ("scope", "search"), ("field", "group"), ("q", "vip")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(dry.contains("<strong>1</strong> user"), "a bulk action on a group's members: {dry}");
}

#[tokio::test]
async fn a_clients_style_sheet_is_set_from_its_page_and_previewed_in_each_language() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = setup_flow(&app, false, json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let path = format!("/admin/pools/{}/clients/{}", f.pool, f.client_id);
    let css = ".submitButton-customizable {background-color: #0a7d4f;}";
    let r = admin.post(&app, &format!("{path}/branding"), &[("css", css)]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let got = app.ok("GetUICustomization", json!({"UserPoolId": f.pool, "ClientId": f.client_id})).await;
    assert_eq!(got["UICustomization"]["CSS"], css);
    let bad = admin
        .post(&app, &format!("{path}/branding"), &[("css", "body { background: url(https://evil.example/x) }")])
        .await;
    assert_eq!(bad.status(), 400, "the service's style-sheet rules, as a form error");

    let page = admin.get(&app, &path).await.text().await.unwrap();
    let german = page
        .split("href=\"")
        .map(|s| unescape(&s[..s.find('"').unwrap_or(0)]))
        .find(|u| u.contains("lang=de"))
        .expect("a German preview link");
    let browser = app.browser();
    let r = browser.get(&german).send().await.unwrap();
    let login = location(&r);
    let html = browser.get(&login).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("<html lang=\"de\">"), "the page in German");
    assert!(html.contains(&format!("/ui/css/{}.css", f.client_id)), "with the client's style sheet");
}

#[tokio::test]
async fn a_retired_key_stops_being_published_and_a_password_reset_is_forced_from_the_pages() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    users_with_emails(&app, &pool, &["r1"], "x.example").await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let keys = format!("/admin/pools/{pool}/keys");
    assert_eq!(admin.post(&app, &format!("{keys}/rotate"), &[]).await.status(), 303);
    let all = app.services.user_pools.signing_keys(&pool.as_str().into()).await.unwrap();
    let retired = all.iter().find(|k| k.state == "retired").expect("a retired key").kid.clone();
    let active = all.iter().find(|k| k.state == "active").unwrap().kid.clone();
    assert_eq!(
        admin.post(&app, &format!("{keys}/retire"), &[("kid", active.as_str())]).await.status(),
        400,
        "never the active key"
    );
    assert_eq!(admin.post(&app, &format!("{keys}/retire"), &[("kid", retired.as_str())]).await.status(), 303);
    let jwks: Value =
        app.http.get(app.url(&pool, "/.well-known/jwks.json")).send().await.unwrap().json().await.unwrap();
    let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().filter_map(|k| k["kid"].as_str()).collect();
    assert!(!kids.contains(&retired.as_str()) && kids.contains(&active.as_str()), "{kids:?}");

    let r = admin.post(&app, &format!("/admin/pools/{pool}/users/r1/reset-password"), &[]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    assert_eq!(get_user(&app, &pool, "r1").await["UserStatus"], "RESET_REQUIRED");
}

#[tokio::test]
async fn a_pool_is_created_with_its_sign_in_names_required_and_custom_attributes() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let bad = admin.post(&app, "/admin/pools", &[("name", "p"), ("custom_attributes", "plan: Colour")]).await;
    assert_eq!(bad.status(), 400, "an unknown attribute type is a form error");
    let r = admin
        .post(
            &app,
            "/admin/pools",
            &[
                ("name", "crm"),
                ("sign_in", "aliases"),
                ("case_insensitive", "on"),
                ("required", "email"),
                ("required", "name"),
                ("custom_attributes", "plan\r\nseats: Number"),
                ("mfa", "OFF"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let pool = location(&r).trim_start_matches("/admin/pools/").split('?').next().unwrap().to_string();
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"].clone();
    assert_eq!(d["AliasAttributes"], json!(["email", "preferred_username"]));
    assert_eq!(d["UsernameConfiguration"]["CaseSensitive"], false);
    let schema = d["SchemaAttributes"].as_array().unwrap();
    let attr = |n: &str| schema.iter().find(|a| a["Name"] == n).cloned().unwrap_or(Value::Null);
    assert_eq!((attr("email")["Required"].as_bool(), attr("name")["Required"].as_bool()), (Some(true), Some(true)));
    assert_eq!(attr("custom:plan")["AttributeDataType"], "String");
    assert_eq!(attr("custom:seats")["AttributeDataType"], "Number");
}

#[tokio::test]
async fn the_invitation_mail_is_set_from_the_settings_form_and_checked_like_the_api() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let settings = format!("/admin/pools/{pool}/settings");
    let bad =
        admin.post(&app, &settings, &[("mfa", "OFF"), ("invite_message", "Welcome, your password is {####}")]).await;
    assert_eq!(bad.status(), 400, "an invitation must name {{username}} too");
    let r = admin
        .post(
            &app,
            &settings,
            &[
                ("mfa", "OFF"),
                ("invite_subject", "Welcome aboard"),
                ("invite_message", "Hi {username}, use {####} once."),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"].clone();
    let t = &d["AdminCreateUserConfig"]["InviteMessageTemplate"];
    assert_eq!(
        (t["EmailSubject"].as_str(), t["EmailMessage"].as_str()),
        (Some("Welcome aboard"), Some("Hi {username}, use {####} once."))
    );
}

#[tokio::test]
async fn users_are_found_by_mfa_and_by_linked_provider() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = crate::mfa::mfa_pool(&app, "ON", false).await;
    crate::mfa::set_up_totp(&app, &f).await;
    let pool = f.pool.clone();
    users_with_emails(&app, &pool, &["plain", "linked"], "x.example").await;
    corp_provider(&app, &pool).await;
    app.ok(
        "AdminLinkProviderForUser",
        json!({"UserPoolId": pool,
               "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "linked"},
               "SourceUser": {"ProviderName": "Corp", "ProviderAttributeName": "Cognito_Subject", "ProviderAttributeValue": "corp-1"}}),
    )
    .await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let users = format!("/admin/pools/{pool}/users");
    let mfa = admin.get(&app, &format!("{users}?field=mfa")).await.text().await.unwrap();
    assert_eq!(listed_users(mfa), ["alice"]);
    let corp = admin.get(&app, &format!("{users}?field=provider&q=Corp")).await.text().await.unwrap();
    assert_eq!(listed_users(corp), ["linked"]);
    let (status, body) = app.api("ListUsers", json!({"UserPoolId": pool, "Filter": "mfa = \"x\""})).await;
    assert_eq!((status, err_type(&body)), (400, "InvalidParameterException"), "ListUsers keeps Cognito's filters");
}

#[tokio::test]
async fn users_are_found_by_custom_attributes_in_the_dashboard_only() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool =
        app.create_pool(json!({"Schema": [{"Name": "plan", "AttributeDataType": "String", "Mutable": true}]})).await;
    app.create_user(&pool, "gold1", PASSWORD, json!([{"Name": "custom:plan", "Value": "gold"}])).await;
    app.create_user(&pool, "free1", PASSWORD, json!([{"Name": "custom:plan", "Value": "free"}])).await;
    app.create_user(&pool, "later", PASSWORD, json!([])).await;
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool, "Username": "later",
        "UserAttributes": [{"Name": "custom:plan", "Value": "golden"}]}),
    )
    .await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let users = format!("/admin/pools/{pool}/users");
    let prefix = admin.get(&app, &format!("{users}?field=custom&q=custom%3Aplan%3Dgold")).await.text().await.unwrap();
    assert_eq!(listed_users(prefix), ["gold1", "later"], "a prefix, the updated user included");
    let exact =
        admin.get(&app, &format!("{users}?field=custom&q=custom%3Aplan%3Dgold&exact=1")).await.text().await.unwrap();
    assert_eq!(listed_users(exact), ["gold1"]);
    let bad = admin.get(&app, &format!("{users}?field=custom&q=plan")).await;
    assert_eq!(bad.status(), 400, "custom:name=value is asked for");
    let (status, body) = app.api("ListUsers", json!({"UserPoolId": pool, "Filter": "custom:plan = \"gold\""})).await;
    assert_eq!((status, err_type(&body)), (400, "InvalidParameterException"), "ListUsers keeps Cognito's filters");
}

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

#[tokio::test]
async fn a_clients_logo_is_uploaded_as_a_file_and_the_style_sheet_stays() {
    use base64::Engine;
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = setup_flow(&app, false, json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let path = format!("/admin/pools/{}/clients/{}", f.pool, f.client_id);
    let css = ".submitButton-customizable {background-color: #0a7d4f;}";
    assert_eq!(admin.post(&app, &format!("{path}/branding"), &[("css", css)]).await.status(), 303);
    let png = base64::engine::general_purpose::STANDARD.decode(PNG).unwrap();
    let upload = |csrf: String, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("_csrf", csrf)
            .part("file", reqwest::multipart::Part::bytes(bytes).file_name("logo.png").mime_str("image/png").unwrap());
        admin.browser.post(format!("{}{path}/logo", app.base)).multipart(form).send()
    };
    let r = upload(admin.csrf.clone(), png.clone()).await.unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let got = app.ok("GetUICustomization", json!({"UserPoolId": f.pool, "ClientId": f.client_id})).await;
    assert_eq!(got["UICustomization"]["CSS"], css, "the style sheet stays");
    assert!(got["UICustomization"]["ImageUrl"].is_string(), "{got}");
    let foreign = upload("0".repeat(64), png.clone()).await.unwrap();
    assert_eq!(foreign.status(), 403, "the CSRF token is checked on file forms too");
    let not_an_image = upload(admin.csrf.clone(), b"GIF89a not a png".to_vec()).await.unwrap();
    assert_eq!(not_an_image.status(), 400, "the service's image check, as a form error");
    let too_big = upload(admin.csrf.clone(), vec![0u8; 200 * 1024]).await.unwrap();
    assert_eq!(too_big.status(), 400, "past the upload limit");
}

/// A response header's value ("" when absent).
fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// The value of `attr` in an HTML tag's text, unescaped.
fn attr(tag: &str, attr: &str) -> String {
    let marker = format!(" {attr}=\"");
    let start = tag.find(&marker).unwrap_or_else(|| panic!("no {attr} in {tag}")) + marker.len();
    unescape(&tag[start..start + tag[start..].find('"').unwrap()])
}

/// Every `<iframe>` of a page: (src, title, sandbox).
fn iframes(html: &str) -> Vec<(String, String, String)> {
    html.split("<iframe")
        .skip(1)
        .map(|rest| {
            let tag = &rest[..rest.find('>').unwrap()];
            (attr(tag, "src"), attr(tag, "title"), attr(tag, "sandbox"))
        })
        .collect()
}

/// The href of a page's client style sheet (the one after the default theme) and the src of
/// its logo.
fn branding_of(html: &str) -> (String, String) {
    let theme = html.find("href=\"/static/portcullis.css\">").expect("the default theme");
    let css = attr(&html[theme + 10..html[theme..].find("</head>").unwrap() + theme], "href");
    let logo = attr(&html[html.find("<img").expect("a logo")..], "src");
    (css, logo)
}

/// Every pool event (sign-ins, changes), to show that a preview records none.
async fn pool_events(app: &TestApp, pool: &str) -> usize {
    let filter = portcullis::events::EventFilter { pool_id: Some(pool.into()), ..Default::default() };
    app.services.events.list(&filter, 1000, None).await.unwrap().events.len()
}

/// A preview answer's policy: framed by the dashboard's origin only, forms that cannot be sent,
/// sandboxed, not cached, no cookie.
fn assert_framed_by_the_dashboard_only(r: &reqwest::Response, what: &str) {
    let csp = header(r, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'self'") && !csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("form-action 'none'") && csp.contains("sandbox allow-same-origin"), "{what}: {csp}");
    assert!(csp.contains("default-src 'none'") && !csp.contains("script-src"), "{what}: still strict: {csp}");
    assert_eq!(header(r, "x-frame-options"), "SAMEORIGIN", "{what}");
    assert_eq!(header(r, "cache-control"), "no-store", "{what}");
    assert!(r.headers().get("set-cookie").is_none(), "{what}: a preview sets no cookie (no CSRF, no session)");
}

#[tokio::test]
async fn a_clients_hosted_pages_are_previewed_in_the_dashboard_in_each_language_with_its_branding() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let f = setup_flow(&app, false, json!({"ClientName": "Storefront"})).await;
    let (pool, client) = (f.pool.clone(), f.client_id.clone());
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let path = format!("/admin/pools/{pool}/clients/{client}");
    let css = ".submitButton-customizable {background-color: #0a7d4f;}";
    assert_eq!(admin.post(&app, &format!("{path}/branding"), &[("css", css)]).await.status(), 303);
    app.ok("SetUICustomization", json!({"UserPoolId": pool, "ClientId": client, "CSS": css, "ImageFile": PNG})).await;
    let t = app.services.operators.create_operator(&Username::from("v"), Role::Viewer).await.unwrap();
    let viewer = sign_in_dashboard(&app, "v", &t, Some("New-Passw0rd!x"), None).await;
    let events = pool_events(&app, &pool).await;

    // The client's page frames one preview per language; it may frame our own pages, and is
    // itself never framed.
    let r = viewer.get(&app, &path).await;
    assert_eq!(r.status(), 200);
    let csp = header(&r, "content-security-policy");
    assert!(csp.contains("frame-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let frames = iframes(&r.text().await.unwrap());
    let want: Vec<(String, String, String)> = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
        .iter()
        .map(|(code, name)| {
            (
                format!("{path}/preview/login?lang={code}"),
                format!("Sign-in page preview, {name}"),
                "allow-same-origin".into(),
            )
        })
        .collect();
    assert_eq!(frames, want);

    let words = [("fr", "Connexion", "Créer un compte"), ("de", "Anmelden", "Konto erstellen")];
    for (lang, sign_in_word, sign_up_heading) in words {
        let url = format!("{path}/preview/login?lang={lang}");
        let r = viewer.get(&app, &url).await;
        assert_eq!(r.status(), 200, "{lang}");
        assert_framed_by_the_dashboard_only(&r, &url);
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")) && html.contains(sign_in_word), "{lang}: {html}");
        assert!(html.contains("Storefront"), "the client's name, as its users read it");
        // The client's own style sheet and logo, linked from the dashboard's origin (the CSP's
        // 'self'), as the hosted page links them.
        let (css_url, logo_url) = branding_of(&html);
        let base = format!("{}/{pool}/ui/", app.base);
        assert!(css_url.starts_with(&format!("{base}css/{client}.css?v=")), "{css_url}");
        assert!(logo_url.starts_with(&format!("{base}logo/{client}.png?v=")), "{logo_url}");
        assert_eq!(app.http.get(&css_url).send().await.unwrap().text().await.unwrap(), css);
        assert_eq!(app.http.get(&logo_url).send().await.unwrap().status(), 200);
        // Inert: the form goes nowhere real, carries no token, and the links lead to the other
        // previews, never to a hosted page or a sign-in.
        assert_eq!(form_action(&html), url);
        assert_eq!(hidden(&html, "_csrf"), "");
        assert!(!html.contains("/oauth2/authorize") && !html.contains(&format!("/{pool}/login")), "{html}");
        let signup = link(&html, "signup-link");
        assert_eq!(signup, format!("{path}/preview/signup?lang={lang}"));
        assert_eq!(link(&html, "forgot-password-link"), format!("{path}/preview/forgotPassword?lang={lang}"));
        let r = viewer.get(&app, &signup).await;
        assert_framed_by_the_dashboard_only(&r, &signup);
        let html = r.text().await.unwrap();
        assert!(html.contains(sign_up_heading) && html.contains(&format!("css/{client}.css?v=")), "{lang}: {html}");
        let forgot = viewer.get(&app, &format!("{path}/preview/forgotPassword?lang={lang}")).await;
        assert_eq!(forgot.status(), 200);
        assert!(forgot.text().await.unwrap().contains("name=\"forgotPasswordForm\""));
    }
    // Without `lang`, the language the hosted pages would pick: the browser's.
    let r = viewer.browser.get(format!("{}{path}/preview/login", app.base)).header("accept-language", "de").send();
    assert!(r.await.unwrap().text().await.unwrap().contains("<html lang=\"de\">"));

    // Live: a new style sheet shows at once (a new version in the link).
    let (before, _) =
        branding_of(&viewer.get(&app, &format!("{path}/preview/login?lang=en")).await.text().await.unwrap());
    let green = ".submitButton-customizable {background-color: #123456;}";
    assert_eq!(admin.post(&app, &format!("{path}/branding"), &[("css", green)]).await.status(), 303);
    let (after, _) =
        branding_of(&viewer.get(&app, &format!("{path}/preview/login?lang=en")).await.text().await.unwrap());
    assert_ne!(before, after, "a new version");
    assert_eq!(app.http.get(&after).send().await.unwrap().text().await.unwrap(), green);
    assert_eq!(pool_events(&app, &pool).await, events + 1, "only the change is recorded; the previews record nothing");

    // The real hosted page is still never framed.
    let browser = app.browser();
    let login = location(&browser.get(f.authorize_url(&app, "&lang=fr")).send().await.unwrap());
    let r = browser.get(&login).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(header(&r, "content-security-policy").contains("frame-ancestors 'none'"));
    assert_eq!(header(&r, "x-frame-options"), "DENY");

    // Signed-in operators only, on the dashboard's host only, and only the previewed pages.
    let preview = format!("{}{path}/preview/login?lang=fr", app.base);
    let r = app.browser().get(&preview).send().await.unwrap();
    assert_eq!(r.status(), 302, "without a session: sign in first");
    assert!(location(&r).contains(&format!("/{}/oauth2/authorize?", crate::admin::system_pool(&app))));
    let r = viewer.browser.get(&preview).header("host", "auth.example.com").send().await.unwrap();
    assert_eq!(r.status(), 404, "no dashboard on another host");
    assert_eq!(viewer.get(&app, &format!("{path}/preview/mfa")).await.status(), 404);
    let other = app.create_pool(json!({})).await;
    let r = viewer.get(&app, &format!("/admin/pools/{other}/clients/{client}/preview/login")).await;
    assert_eq!(r.status(), 404, "a client is previewed under its own pool only");
}

#[tokio::test]
async fn previews_show_what_the_pool_and_client_allow_and_say_when_there_are_no_hosted_pages() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}})).await;
    corp_provider(&app, &pool).await;
    let (client, _) = app.create_client(&pool, false, json!({"SupportedIdentityProviders": ["COGNITO", "Corp"]})).await;
    let bare = app.ok("CreateUserPoolClient", json!({"UserPoolId": pool, "ClientName": "api-only"})).await;
    let bare = bare["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let path = format!("/admin/pools/{pool}/clients/{client}");

    // No sign-up in this pool: no sign-up link in the preview, and none to preview.
    let page = admin.get(&app, &path).await.text().await.unwrap();
    assert!(page.contains("?preview=forgotPassword") && !page.contains("?preview=signup"), "{page}");
    let html = admin.get(&app, &format!("{path}/preview/login?lang=en")).await.text().await.unwrap();
    assert!(!html.contains("signup-link"), "{html}");
    // The provider's button is shown, and goes nowhere (it would start a sign-in).
    assert!(html.contains("<a class=\"button idpButton-customizable\" href=\"#\">Continue with Corp</a>"), "{html}");
    // The previews show the page the client page asks for.
    let page = admin.get(&app, &format!("{path}?preview=forgotPassword")).await.text().await.unwrap();
    assert!(
        iframes(&page).iter().all(|(src, title, _)| src.contains("/preview/forgotPassword?lang=")
            && title.starts_with("Forgot password page preview")),
        "{page}"
    );

    // A client without hosted pages: nothing framed, and its preview says why (framed too).
    let page = admin.get(&app, &format!("/admin/pools/{pool}/clients/{bare}")).await.text().await.unwrap();
    assert!(iframes(&page).is_empty() && page.contains("needs a callback URL"), "{page}");
    let r = admin.get(&app, &format!("/admin/pools/{pool}/clients/{bare}/preview/login?lang=de")).await;
    assert_eq!(r.status(), 400);
    assert_framed_by_the_dashboard_only(&r, "a client without hosted pages");
    assert!(r.text().await.unwrap().contains("Diese Anwendung hat keine gehosteten Seiten"));
}
