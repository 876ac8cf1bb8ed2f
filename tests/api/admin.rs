//! The dashboard (`/admin`) through HTTP: bootstrap and sign-in through the system pool's
//! hosted UI (new password, TOTP set-up, codes), roles enforced on every request, CSRF bound to
//! the session, the system pool hidden from the Cognito API, and pools, clients and users made
//! in the dashboard seen through the API.

use crate::helpers::*;
use crate::mfa::totp_code;
use portcullis::clock::Clock;
use portcullis::config::AdminMfa;
use portcullis::ids::Username;
use portcullis::operators::Role;
use serde_json::json;

pub(crate) const ADMIN: &str = "root";
pub(crate) const ADMIN_PASSWORD: &str = "Dashboard-Passw0rd!";

pub(crate) async fn spawn_dashboard(mfa: AdminMfa) -> TestApp {
    TestApp::spawn_with(|c| {
        c.admin_username = Some(ADMIN.into());
        c.admin_password = Some(portcullis::config::Secret::new(ADMIN_PASSWORD));
        c.admin_mfa = mfa;
    })
    .await
}

pub(crate) fn system_pool(app: &TestApp) -> String {
    app.services.operators.system().expect("system pool").pool_id.to_string()
}

/// A signed-in operator: the browser (its cookies) and the session's CSRF token.
pub struct Operator {
    pub browser: reqwest::Client,
    pub csrf: String,
    /// The TOTP secret set up at the first sign-in, if any.
    pub totp: Option<String>,
    /// The session cookie's value (to replay it from another client).
    pub session: String,
}

impl Operator {
    pub async fn get(&self, app: &TestApp, path: &str) -> reqwest::Response {
        self.browser.get(format!("{}{path}", app.base)).send().await.unwrap()
    }

    /// POST a dashboard form with this session's CSRF token.
    pub async fn post(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut form = vec![("_csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.browser.post(format!("{}{path}", app.base)).form(&form).send().await.unwrap()
    }
}

/// Post a hosted form of `html` with its hidden CSRF and session fields and `fields`.
async fn post_hosted(browser: &reqwest::Client, html: &str, fields: &[(&str, String)]) -> reqwest::Response {
    let mut form = vec![("_csrf", hidden(html, "_csrf")), ("session", hidden(html, "session"))];
    form.extend(fields.iter().map(|(k, v)| (*k, v.clone())));
    browser.post(form_action(html)).form(&form).send().await.unwrap()
}

/// Open `/admin` in a fresh browser and sign in through the hosted UI, answering whatever it
/// asks: a new password (`new_password`), TOTP set-up or a code (`totp`, set up when asked).
pub async fn sign_in_dashboard(
    app: &TestApp,
    username: &str,
    password: &str,
    new_password: Option<&str>,
    mut totp: Option<String>,
) -> Operator {
    let browser = app.browser();
    let r = browser.get(format!("{}/admin", app.base)).send().await.unwrap();
    assert_eq!(r.status(), 302, "an unauthenticated /admin starts the sign-in");
    let authorize = location(&r);
    let expected = format!("{}/{}/oauth2/authorize?", app.base, system_pool(app));
    assert!(authorize.starts_with(&expected), "to the system pool's hosted UI: {authorize}");
    assert!(authorize.contains("code_challenge_method=S256"), "with PKCE: {authorize}");
    let mut r = sign_in(&browser, &authorize, username, password).await;
    for _ in 0..6 {
        if r.status() == 302 {
            break;
        }
        assert_eq!(r.status(), 200, "hosted step failed");
        let html = r.text().await.unwrap();
        r = if html.contains("name=\"confirm_password\"") {
            let p = new_password.expect("a new password was asked for").to_string();
            post_hosted(&browser, &html, &[("password", p.clone()), ("confirm_password", p)]).await
        } else if html.contains("id=\"totp-secret\">") {
            let start = html.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
            let secret = html[start..start + html[start..].find('<').unwrap()].to_string();
            let code = totp_code(&secret, app.clock.now());
            totp = Some(secret);
            post_hosted(&browser, &html, &[("code", code)]).await
        } else if html.contains("name=\"recoveryCodesForm\"") {
            post_hosted(&browser, &html, &[]).await
        } else if html.contains("name=\"mfaForm\"") {
            let code = totp_code(totp.as_deref().expect("a TOTP secret"), app.clock.now());
            let challenge = hidden(&html, "challenge");
            post_hosted(&browser, &html, &[("challenge", challenge), ("code", code)]).await
        } else {
            panic!("unexpected hosted page: {html}");
        };
    }
    let callback = location(&r);
    assert!(callback.starts_with(&format!("{}/admin/callback?", app.base)), "back to the dashboard: {callback}");
    let r = browser.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), 303, "the callback starts a session: {}", r.text().await.unwrap_or_default());
    assert_eq!(location(&r), "/admin");
    let session = cookie_value(&set_cookie(&r, "portcullis_admin").expect("a session cookie"));
    let page = browser.get(format!("{}/admin", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(username), "the overview names the operator");
    Operator { browser, csrf: hidden(&html, "_csrf"), totp, session }
}

#[tokio::test]
async fn bootstrap_admin_signs_in_with_totp_set_up_and_the_system_pool_stays_hidden() {
    let app = spawn_dashboard(AdminMfa::Required).await;
    let system = system_pool(&app);
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    assert!(admin.totp.is_some(), "TOTP is set up at the first sign-in when MFA is required");

    // A second sign-in asks for a code from the authenticator.
    app.clock.advance_secs(31);
    let again = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, admin.totp.clone()).await;
    assert_ne!(again.csrf, admin.csrf, "each session has its own CSRF token");

    // The Cognito API neither lists nor touches the system pool, its client or its tokens.
    let pools = app.ok("ListUserPools", json!({"MaxResults": 60})).await;
    assert!(pools["UserPools"].as_array().unwrap().iter().all(|p| p["Id"] != system.as_str()));
    let (status, body) = app.api("DescribeUserPool", json!({"UserPoolId": system})).await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));
    let (status, body) = app.api("AdminDeleteUser", json!({"UserPoolId": system, "Username": ADMIN})).await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));
    let client = app.services.operators.system().unwrap().client_id.to_string();
    let (status, body) = initiate_auth(&app, &client, ADMIN, ADMIN_PASSWORD).await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));
    let (status, body) =
        app.public_api("SignUp", json!({"ClientId": client, "Username": "intruder", "Password": PASSWORD})).await;
    assert_eq!((status, err_type(&body)), (400, "ResourceNotFoundException"));
    // The dashboard has no page for it either.
    assert_eq!(admin.get(&app, &format!("/admin/pools/{system}")).await.status(), 404);
}

#[tokio::test]
async fn an_operator_made_on_the_command_line_sets_a_password_and_gets_the_operators_role() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let temporary = app.services.operators.create_operator(&Username::from("olivia"), Role::Operator).await.unwrap();
    let op = sign_in_dashboard(&app, "olivia", &temporary, Some("New-Passw0rd!x"), None).await;
    assert!(op.totp.is_none(), "MFA optional: no set-up forced");
    let page = op.get(&app, "/admin").await.text().await.unwrap();
    assert!(page.contains(">operators<"), "the role is shown: {page}");

    // Operators manage users but not pools.
    let r = op.post(&app, "/admin/pools", &[("name", "not-allowed")]).await;
    assert_eq!(r.status(), 403);
    let pools = app.ok("ListUserPools", json!({"MaxResults": 60})).await;
    assert!(pools["UserPools"].as_array().unwrap().is_empty(), "nothing was created");
    let pool = app.create_pool(json!({})).await;
    let r = op.post(&app, &format!("/admin/pools/{pool}/users"), &[("username", "made-by-operator")]).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let user = get_user(&app, &pool, "made-by-operator").await;
    assert_eq!(user["UserStatus"], "FORCE_CHANGE_PASSWORD");
}

#[tokio::test]
async fn viewers_are_refused_every_change_even_with_a_valid_csrf_token() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    app.create_user(&pool, "bob", PASSWORD, json!([])).await;
    let temporary = app.services.operators.create_operator(&Username::from("victor"), Role::Viewer).await.unwrap();
    let viewer = sign_in_dashboard(&app, "victor", &temporary, Some("New-Passw0rd!x"), None).await;
    assert_eq!(viewer.get(&app, &format!("/admin/pools/{pool}/users/bob")).await.status(), 200, "viewers read");
    let user = format!("/admin/pools/{pool}/users/bob");
    let changes: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/pools".into(), vec![("name", "p")]),
        (format!("/admin/pools/{pool}/clients"), vec![("name", "c")]),
        (format!("/admin/pools/{pool}/users"), vec![("username", "u")]),
        (format!("/admin/pools/{pool}/settings"), vec![("name", "renamed"), ("mfa", "OFF")]),
        (format!("/admin/pools/{pool}/attributes"), vec![("custom_attributes", "plan")]),
        // The role is checked before the path's pool is looked up: no answer tells pools apart.
        ("/admin/pools/local_nothere/settings".into(), vec![("name", "x")]),
        ("/admin/identity-pools/local%3Anothere/settings".into(), vec![("name", "x")]),
        (format!("{user}/disable"), vec![]),
        (format!("{user}/enable"), vec![]),
        (format!("{user}/sign-out"), vec![]),
        (format!("{user}/confirm"), vec![]),
        (format!("{user}/set-password"), vec![("password", "Another-Passw0rd!"), ("permanent", "on")]),
        (format!("{user}/add-group"), vec![("group", "g")]),
        (format!("{user}/delete"), vec![("confirm", "on")]),
    ];
    for (path, fields) in &changes {
        let r = viewer.post(&app, path, fields).await;
        assert_eq!(r.status(), 403, "POST {path} by a viewer");
    }
    let bob = get_user(&app, &pool, "bob").await;
    assert_eq!(bob["Enabled"], true, "nothing changed");
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"].clone();
    assert_ne!(d["Name"], "renamed");
    assert!(!d["SchemaAttributes"].to_string().contains("custom:plan"));
    let (_, clients) = app.api("ListUserPoolClients", json!({"UserPoolId": pool, "MaxResults": 60})).await;
    assert!(clients["UserPoolClients"].as_array().unwrap().is_empty());
    let (status, _) = initiate_auth(&app, "x", "bob", PASSWORD).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn csrf_tokens_belong_to_one_session_and_die_with_it() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    app.create_user(&pool, "bob", PASSWORD, json!([])).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let other = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let disable = format!("/admin/pools/{pool}/users/bob/disable");

    let missing = admin.browser.post(format!("{}{disable}", app.base)).form(&[("x", "1")]).send().await.unwrap();
    assert_eq!(missing.status(), 403, "no token");
    let foreign = admin
        .browser
        .post(format!("{}{disable}", app.base))
        .form(&[("_csrf", other.csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 403, "another session's token");
    assert_eq!(get_user(&app, &pool, "bob").await["Enabled"], true);

    // Sign-out ends the session; its cookie and token are then worth nothing.
    let out = admin.post(&app, "/admin/sign-out", &[]).await;
    assert_eq!(out.status(), 303);
    assert!(location(&out).contains(&format!("/{}/logout?", system_pool(&app))), "the hosted session ends too");
    let replay = app
        .http
        .post(format!("{}{disable}", app.base))
        .header("cookie", format!("portcullis_admin={}", admin.session))
        .form(&[("_csrf", admin.csrf.as_str())]);
    assert_eq!(replay.send().await.unwrap().status(), 401, "a signed-out session and its token are refused");
    assert_eq!(get_user(&app, &pool, "bob").await["Enabled"], true);
    // The other session still works.
    assert_eq!(other.post(&app, &disable, &[]).await.status(), 303);
    assert_eq!(get_user(&app, &pool, "bob").await["Enabled"], false);
}

#[tokio::test]
async fn sessions_end_after_the_idle_timeout_and_pages_outside_public_url_do_not_exist() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    app.clock.advance_secs(14 * 60);
    assert_eq!(admin.get(&app, "/admin/pools").await.status(), 200, "still active");
    app.clock.advance_secs(16 * 60);
    let r = admin.get(&app, "/admin/pools").await;
    assert_eq!(r.status(), 302, "idle too long: sign in again");
    assert!(location(&r).contains("/oauth2/authorize?"));
    let r = admin.post(&app, "/admin/pools", &[("name", "late")]).await;
    assert_eq!(r.status(), 401, "a change without a session is refused, not redirected");
    // Without a session, a pool that does not exist is not told apart from one that does.
    let r = admin.get(&app, "/admin/pools/local_nothere/users").await;
    assert_eq!(r.status(), 302, "sign in first, whatever the pool");
    let r = admin.post(&app, "/admin/pools/local_nothere/settings", &[("name", "x")]).await;
    assert_eq!(r.status(), 401);

    let elsewhere =
        app.http.get(format!("{}/admin", app.base)).header("host", "auth.example.com").send().await.unwrap();
    assert_eq!(elsewhere.status(), 404, "no dashboard on another host");
}

#[tokio::test]
async fn pools_clients_and_users_made_in_the_dashboard_are_seen_through_the_api() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin
        .post(
            &app,
            "/admin/pools",
            &[
                ("name", "shop"),
                ("min_length", "10"),
                ("require_numbers", "on"),
                ("mfa", "OPTIONAL"),
                ("self_sign_up", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let pool = location(&r).trim_start_matches("/admin/pools/").split('?').next().unwrap().to_string();
    let described = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    let policy = &described["UserPool"]["Policies"]["PasswordPolicy"];
    assert_eq!((policy["MinimumLength"].as_i64(), policy["RequireUppercase"].as_bool()), (Some(10), Some(false)));
    assert_eq!(described["UserPool"]["MfaConfiguration"], "OPTIONAL");

    let r = admin
        .post(
            &app,
            &format!("/admin/pools/{pool}/clients"),
            &[
                ("name", "web"),
                ("generate_secret", "on"),
                ("callback_urls", "https://app.example.com/cb\r\nhttps://app.example.com/cb2"),
                ("flow", "code"),
                ("scope", "openid"),
                ("scope", "email"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let id_at = html.find("id=\"created-client-id\">").unwrap() + "id=\"created-client-id\">".len();
    let client_id = &html[id_at..id_at + 26];
    assert!(html.contains("id=\"created-client-secret\""), "the secret is shown once");
    assert!(html.contains("aws cognito-idp create-user-pool-client"), "with the CLI snippet");
    let c = app.ok("DescribeUserPoolClient", json!({"UserPoolId": pool, "ClientId": client_id})).await;
    assert_eq!(
        c["UserPoolClient"]["CallbackURLs"],
        json!(["https://app.example.com/cb", "https://app.example.com/cb2"])
    );
    assert_eq!(c["UserPoolClient"]["AllowedOAuthScopes"], json!(["openid", "email"]));
    let later = admin.get(&app, &format!("/admin/pools/{pool}")).await.text().await.unwrap();
    assert!(later.contains(client_id) && !later.contains("created-client-secret"), "never shown again");

    for (name, email) in [("ann", "ann@shop.example"), ("andy", "andy@shop.example"), ("zoe", "zoe@other.example")] {
        let r = admin
            .post(
                &app,
                &format!("/admin/pools/{pool}/users"),
                &[("username", name), ("email", email), ("email_verified", "on")],
            )
            .await;
        assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    }
    let found = admin.get(&app, &format!("/admin/pools/{pool}/users?field=email&q=an")).await.text().await.unwrap();
    assert!(found.contains(">ann<") && found.contains(">andy<") && !found.contains(">zoe<"), "{found}");
    let r = admin.post(&app, &format!("/admin/pools/{pool}/users/zoe/disable"), &[]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(get_user(&app, &pool, "zoe").await["Enabled"], false);
    let r = admin.post(&app, &format!("/admin/pools/{pool}/users/zoe/delete"), &[]).await;
    assert_eq!(r.status(), 400, "deletion needs the confirmation box");
    let r = admin.post(&app, &format!("/admin/pools/{pool}/users/zoe/delete"), &[("confirm", "on")]).await;
    assert_eq!(r.status(), 303);
    let (status, body) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "zoe"})).await;
    assert_eq!((status, err_type(&body)), (400, "UserNotFoundException"));
}

#[tokio::test]
async fn a_removed_role_or_a_disabled_operator_loses_the_dashboard_at_once() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let system = system_pool(&app);
    let temporary = app.services.operators.create_operator(&Username::from("olivia"), Role::Operator).await.unwrap();
    let op = sign_in_dashboard(&app, "olivia", &temporary, Some("New-Passw0rd!x"), None).await;
    let name = Username::from("olivia");
    app.services.users.remove_user_from_group(&system.as_str().into(), &name, "operators").await.unwrap();
    assert_eq!(op.get(&app, "/admin").await.status(), 403, "no role, no pages");
    app.services.users.add_user_to_group(&system.as_str().into(), &name, "viewers").await.unwrap();
    assert_eq!(op.get(&app, "/admin").await.status(), 200);
    app.services.users.admin_set_enabled(&system.as_str().into(), &name, false).await.unwrap();
    assert_eq!(op.get(&app, "/admin").await.status(), 302, "a disabled operator is signed out");
}

#[tokio::test]
async fn admin_create_user_on_the_command_line_works_while_the_server_runs() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let out = crate::keys::cli(&app, &["admin", "create-user", "--username", "carol", "--group", "viewers"], &[]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let temporary = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Temporary password: "))
        .expect("the temporary password is printed")
        .to_string();
    let carol = sign_in_dashboard(&app, "carol", &temporary, Some("Carols-Passw0rd!"), None).await;
    let page = carol.get(&app, "/admin").await.text().await.unwrap();
    assert!(page.contains(">viewers<"), "{page}");
    assert!(!page.contains("Create a user pool"), "viewers are not offered changes");

    let bad = crate::keys::cli(&app, &["admin", "create-user", "--username", "dave", "--group", "root"], &[]).await;
    assert!(!bad.status.success(), "an unknown group is refused");
}

#[tokio::test]
async fn dashboard_pages_carry_the_strict_security_headers_and_cookies() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let browser = app.browser();
    let r = browser.get(format!("{}/admin", app.base)).send().await.unwrap();
    let login = set_cookie(&r, "portcullis_admin_login").expect("the sign-in in progress");
    assert!(login.contains("HttpOnly") && login.contains("Path=/admin"), "{login}");
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin.get(&app, "/admin/pools").await;
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'none'") && !csp.contains("script-src")
    );
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["cache-control"], "no-store");
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script"), "no script on any page");
    assert!(html.contains("<label for=\"pool-name\">"), "inputs are labelled");
}

#[tokio::test]
async fn identity_pools_cannot_trust_the_system_pool() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let system = system_pool(&app);
    let client = app.services.operators.system().unwrap().client_id.to_string();
    let provider = format!("cognito-idp.local.amazonaws.com/{system}");
    let (status, body) = app
        .identity_api(
            "CreateIdentityPool",
            json!({"IdentityPoolName": "ops", "AllowUnauthenticatedIdentities": false,
                   "CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": client}]}),
        )
        .await;
    assert_eq!((status, err_type(&body)), (400, "InvalidParameterException"), "{body}");
    let (status, body) = app
        .identity_public(
            "GetId",
            json!({"IdentityPoolId": "local:00000000-0000-0000-0000-000000000000", "Logins": {provider: "x.y.z"}}),
        )
        .await;
    assert_eq!((status, err_type(&body)), (400, "NotAuthorizedException"), "{body}");
}

#[tokio::test]
async fn administrators_manage_operators_and_the_last_administrator_stays() {
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    let r = admin.post(&app, "/admin/operators", &[("username", "olga"), ("role", "operators")]).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let at = html.find("id=\"temporary-password\">").unwrap() + "id=\"temporary-password\">".len();
    // The page escapes it (a temporary password may hold `&`).
    let temporary = unescape(&html[at..at + html[at..].find('<').unwrap()]);
    let olga = sign_in_dashboard(&app, "olga", &temporary, Some("Olgas-Passw0rd!"), None).await;
    assert_eq!(olga.get(&app, "/admin/operators").await.status(), 403, "operator accounts are for admins");
    let r = olga.post(&app, &format!("/admin/pools/{pool}/users"), &[("username", "by-olga")]).await;
    assert_eq!(r.status(), 303);

    // Demoted to viewer: the next change is refused.
    assert_eq!(admin.post(&app, "/admin/operators/olga/role", &[("role", "viewers")]).await.status(), 303);
    let r = olga.post(&app, &format!("/admin/pools/{pool}/users"), &[("username", "by-olga-2")]).await;
    assert_eq!(r.status(), 403);
    // The last administrator can be neither demoted nor disabled.
    assert_eq!(admin.post(&app, &format!("/admin/operators/{ADMIN}/role"), &[("role", "viewers")]).await.status(), 400);
    assert_eq!(admin.post(&app, &format!("/admin/operators/{ADMIN}/disable"), &[]).await.status(), 400);
    // Disabled: signed out at once.
    assert_eq!(admin.post(&app, "/admin/operators/olga/disable", &[]).await.status(), 303);
    assert_eq!(olga.get(&app, "/admin").await.status(), 302);
    let list = admin.get(&app, "/admin/operators").await.text().await.unwrap();
    assert!(list.contains("<td>olga</td><td>viewers</td>"), "{list}");
    let r = admin.post(&app, "/admin/operators/olga/reset-password", &[]).await;
    assert!(r.text().await.unwrap().contains("id=\"temporary-password\""), "a new temporary password, shown once");
}
