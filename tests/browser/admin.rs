//! The dashboard (`/admin`) in a real browser: the bootstrap administrator signs in through the
//! system pool's hosted pages and sets up TOTP there; a pool, an app client and users made by
//! filling in the dashboard's forms are seen through boto3; a search and a disable; a viewer
//! sees no change forms and is refused every change, even a forged POST that carries the
//! browser's own cookie and the viewer's valid CSRF token; a signed-out session's cookie and
//! token replayed are refused; every dashboard page fits a desktop and a phone screen, with
//! every input labelled (screenshots in `$PORTCULLIS_SCREENSHOTS`), an app client's page among
//! them with its style sheet saved and its hosted pages previewed in a frame per language
//! (branded, inert, taking no focus, a link inside a frame leading to the next preview); and a
//! bulk disable of every user a search matches, reviewed then confirmed, seen in the event log
//! beside a failed hosted sign-in, with the log's own filter form.

use crate::helpers::*;
use crate::{Driver, Screen, WAIT, browser_available, check_layout_on, screenshot_dir, totp_code};
use portcullis::clock::Clock;
use portcullis::config::AdminMfa;
use portcullis::ids::Username;
use portcullis::operators::Role;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const ADMIN: &str = "root";
const ADMIN_PASSWORD: &str = "Dashboard-Passw0rd!";
/// The screens of the dashboard's screenshots.
const SCREENS: &[Screen] = &[("desktop", 1280, 900, false), ("phone", 390, 844, true)];

/// A server with the bootstrap administrator `root` (`PORTCULLIS_ADMIN_USERNAME`/`PASSWORD`).
async fn spawn_dashboard(mfa: AdminMfa) -> TestApp {
    TestApp::spawn_with(|c| {
        c.admin_username = Some(ADMIN.into());
        c.admin_password = Some(portcullis::config::Secret::new(ADMIN_PASSWORD));
        c.admin_mfa = mfa;
    })
    .await
}

fn system_pool(app: &TestApp) -> String {
    app.services.operators.system().expect("system pool").pool_id.to_string()
}

impl Driver {
    /// The text of every element matching `css`, now.
    async fn texts(&self, css: &str) -> Vec<String> {
        let mut out = Vec::new();
        for el in self.find_all(css).await {
            let v = self.cmd_ok(reqwest::Method::GET, &format!("/element/{el}/text"), None).await;
            out.push(v.as_str().unwrap_or_default().to_string());
        }
        out
    }

    async fn clear(&self, css: &str) {
        let el = self.find(css).await;
        self.cmd_ok(reqwest::Method::POST, &format!("/element/{el}/clear"), Some(json!({}))).await;
    }

    /// Wait until the browser is at exactly `url` (a prefix is not enough: `/admin` is a
    /// prefix of `/admin/callback?…`) and the page has loaded.
    async fn wait_at(&self, url: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            let at = self.current_url().await;
            if at == url && self.script_while_loading("return document.readyState").await == "complete" {
                return;
            }
            assert!(Instant::now() < deadline, "browser stayed at {at}, expected {url}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Click `css`, a form's submit button, and wait until the answer's page at `url` has replaced
    /// the page clicked on. A form whose answer shows the same page again (a change saved, then
    /// the page anew) leaves the URL as it was, so the URL alone cannot tell the two pages apart:
    /// the old document is marked, as [`Driver::forge_post`] marks it.
    async fn submit_and_wait_at(&self, css: &str, url: &str) {
        self.script("document.documentElement.dataset.before = 'submitted'; return 0").await;
        self.click(css).await;
        let deadline = Instant::now() + WAIT;
        loop {
            let state = self
                .script_while_loading("return document.documentElement.dataset.before ? 'old' : document.readyState")
                .await;
            let at = self.current_url().await;
            if state == "complete" && at == url {
                return;
            }
            assert!(Instant::now() < deadline, "the form of {css} showed no new page at {url}: {at} is {state}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A script's answer, or WebDriver's error object while a page is loading (no document to
    /// run it in yet).
    async fn script_while_loading(&self, body: &str) -> Value {
        self.cmd(reqwest::Method::POST, "/execute/sync", Some(json!({"script": body, "args": []}))).await
    }

    /// The browser's cookie `name` for the current page (WebDriver sees HttpOnly cookies too).
    async fn cookie(&self, name: &str) -> Option<Value> {
        let v = self.cmd(reqwest::Method::GET, &format!("/cookie/{name}"), None).await;
        v.get("error").is_none().then_some(v)
    }

    /// A forged change: a form built in the page by script (WebDriver's script runs outside
    /// the page's CSP, which allows no script of the page's own) and posted to `path` with
    /// `fields`, as a hostile page of the same origin would; the browser sends its cookies with
    /// it. Returns the answer's HTTP status and the `h1` of the page it showed.
    async fn forge_post(&self, path: &str, fields: &[(&str, &str)]) -> (u64, String) {
        let fields: Vec<[&str; 2]> = fields.iter().map(|(k, v)| [*k, *v]).collect();
        let script = "const [action, fields] = arguments; \
             document.documentElement.dataset.before = 'forged'; \
             const f = document.createElement('form'); f.method = 'post'; f.action = action; \
             for (const [k, v] of fields) { const i = document.createElement('input'); \
               i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i); } \
             document.body.appendChild(f); f.submit(); return true;";
        self.cmd_ok(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": [path, fields]})))
            .await;
        // The old document is marked: wait for the answer's page to replace it.
        let deadline = Instant::now() + WAIT;
        loop {
            let state = self
                .script_while_loading("return document.documentElement.dataset.before ? 'old' : document.readyState")
                .await;
            if state == "complete" {
                break;
            }
            assert!(Instant::now() < deadline, "the forged POST {path} showed no page");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let status = self.script("return performance.getEntriesByType('navigation')[0].responseStatus").await;
        (status.as_u64().expect("the navigation's status"), self.text("h1").await)
    }
}

/// Open `/admin` in the browser, land on the system pool's hosted sign-in page and submit a
/// username and password; the browser is then on whatever the hosted UI asks next.
async fn open_dashboard_and_sign_in(driver: &Driver, app: &TestApp, username: &str, password: &str) {
    driver.goto(&format!("{}/admin", app.base)).await;
    driver.wait_for_url(&app.url(&system_pool(app), "/login")).await;
    driver.type_into("input[name=username]", username).await;
    driver.type_into("input[name=password]", password).await;
    driver.click("button[name=signInSubmitButton]").await;
}

/// The page at `path` under the server, once it has loaded.
async fn open(driver: &Driver, app: &TestApp, path: &str) {
    driver.goto(&format!("{}{path}", app.base)).await;
    driver.wait_at(&format!("{}{path}", app.base)).await;
}

/// Who the dashboard's header says is signed in: (username, role).
async fn signed_in_as(driver: &Driver) -> (String, String) {
    (driver.text("header .who .name").await, driver.text("header .who .role").await)
}

#[tokio::test]
async fn bootstrap_admin_signs_in_with_totp_set_up_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = spawn_dashboard(AdminMfa::Required).await;
    let mut driver = Driver::start().await;

    // First sign-in: password, then the authenticator set-up the system pool requires.
    open_dashboard_and_sign_in(&driver, &app, ADMIN, ADMIN_PASSWORD).await;
    driver.find("figure.qr svg").await;
    let secret = driver.text("#totp-secret").await;
    assert!(secret.len() >= 16 && secret.chars().all(|c| c.is_ascii_alphanumeric()), "secret {secret:?}");
    let uri = driver.text("#otpauth-uri").await;
    assert!(uri.starts_with("otpauth://totp/") && uri.contains(&format!("secret={secret}")), "{uri}");
    driver.type_into("input[name=code]", &totp_code(&secret, app.clock.now())).await;
    driver.click("button[name=verifyButton]").await;
    driver.find("#recovery-codes").await;
    assert_eq!(driver.find_all("#recovery-codes li").await.len(), 10, "ten recovery codes are shown once");
    driver.click("button[name=continueButton]").await;

    // Back on the dashboard's overview, which names the operator and the role.
    driver.wait_at(&format!("{}/admin", app.base)).await;
    assert_eq!(signed_in_as(&driver).await, (ADMIN.to_string(), "admins".to_string()));
    assert_eq!(driver.text("main h1").await, "Overview");
    let cookie = driver.cookie("portcullis_admin").await.expect("a dashboard session cookie");
    assert_eq!((&cookie["httpOnly"], &cookie["path"]), (&json!(true), &json!("/admin")), "{cookie}");
    assert!(driver.cookie("portcullis_admin_login").await.is_none(), "the sign-in in progress is over");

    // The factor was stored: a new browser, thirty seconds later, is asked for the
    // authenticator's code (not a set-up), and a wrong code does not get in.
    driver.restart_browser().await;
    app.clock.advance_secs(31);
    open_dashboard_and_sign_in(&driver, &app, ADMIN, ADMIN_PASSWORD).await;
    driver.find("form[name=mfaForm]").await;
    assert!(driver.find_all("figure.qr").await.is_empty(), "no second set-up");
    assert_eq!(driver.property("input[name=challenge]", "value").await, "SOFTWARE_TOKEN_MFA");
    let right = totp_code(&secret, app.clock.now());
    let wrong = format!("{:06}", (right.parse::<u32>().unwrap() + 1) % 1_000_000);
    driver.type_into("input[name=code]", &wrong).await;
    driver.click("button[name=verifyButton]").await;
    assert!(!driver.text("#form-error").await.is_empty(), "the wrong code is refused");
    assert!(driver.current_url().await.starts_with(&app.url(&system_pool(&app), "/")), "still signing in");
    driver.clear("input[name=code]").await;
    driver.type_into("input[name=code]", &right).await;
    driver.click("button[name=verifyButton]").await;
    driver.wait_at(&format!("{}/admin", app.base)).await;
    assert_eq!(signed_in_as(&driver).await, (ADMIN.to_string(), "admins".to_string()));
}

#[tokio::test]
async fn dashboard_changes_in_a_real_browser_are_seen_through_boto3() {
    if !browser_available() {
        return;
    }
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let driver = Driver::start().await;
    open_dashboard_and_sign_in(&driver, &app, ADMIN, ADMIN_PASSWORD).await;
    driver.wait_at(&format!("{}/admin", app.base)).await;
    assert_eq!(signed_in_as(&driver).await.1, "admins");

    // A pool, through the "Create a user pool" form of the pools page (reached by its link).
    driver.click("header nav a[href='/admin/pools']").await;
    driver.wait_at(&format!("{}/admin/pools", app.base)).await;
    assert_eq!(driver.text("main h2").await, "Create a user pool");
    driver.type_into("#pool-name", "shop").await;
    driver.clear("#min-length").await;
    driver.type_into("#min-length", "10").await;
    driver.click("input[name=require_symbols]").await;
    driver.click("#mfa option[value=OPTIONAL]").await;
    driver.click("form[action='/admin/pools'] button[type=submit]").await;
    let at = driver.wait_for_url(&format!("{}/admin/pools/", app.base)).await;
    assert_eq!(query_param(&at, "notice").as_deref(), Some("created"), "{at}");
    let pool = at.trim_start_matches(&format!("{}/admin/pools/", app.base)).split('?').next().unwrap().to_string();
    assert_eq!(driver.text("main h1").await, "shop");
    assert_eq!(driver.text("main p.notice").await, "The pool was created.");

    // An app client with a secret, through the pool page's form; the id and secret shown once.
    driver.type_into("#client-name", "web").await;
    driver.click("input[name=generate_secret]").await;
    driver.type_into("#callback-urls", "https://app.example.com/cb").await;
    driver.click("input[name=flow][value=code]").await;
    driver.click("input[name=scope][value=openid]").await;
    driver.click("input[name=scope][value=email]").await;
    driver.click("form[action$='/clients'] button[type=submit]").await;
    let client = driver.text("#created-client-id").await;
    let secret = driver.text("#created-client-secret").await;
    assert_eq!(client.len(), 26, "client id {client:?}");
    assert!(secret.len() >= 40, "secret {secret:?}");
    let cli = driver.property("#cli", "value").await;
    let cli = cli.as_str().unwrap_or_default();
    assert!(cli.contains(&format!("--user-pool-id {pool}")) && cli.contains("--generate-secret"), "{cli}");
    assert!(driver.texts("main table tbody td.mono").await.contains(&client), "the client is listed");

    // Two users from the users page (linked from the pool's page).
    driver.goto(&format!("{}/admin/pools/{pool}", app.base)).await;
    assert!(driver.find_all("#created-client-secret").await.is_empty(), "the secret is never shown again");
    driver.click("nav.links a").await;
    let users_page = format!("{}/admin/pools/{pool}/users", app.base);
    driver.wait_at(&users_page).await;
    for (name, email) in [("ann", "ann@shop.example"), ("zoe", "zoe@other.example")] {
        driver.type_into("#new-username", name).await;
        driver.type_into("#new-email", email).await;
        driver.click("form[method=post][action$='/users'] button[type=submit]").await;
        let at = driver.wait_for_url(&format!("{users_page}/{name}?")).await;
        assert_eq!(query_param(&at, "notice").as_deref(), Some("user_created"));
        assert_eq!(driver.text("main h1").await, name);
        assert_eq!(driver.text("#user-status").await, "FORCE_CHANGE_PASSWORD");
        driver.click("p.crumbs a[href$='/users']").await;
        driver.wait_at(&users_page).await;
    }
    let mut listed = driver.texts("main table tbody td a[href*='/users/']").await;
    listed.sort();
    assert_eq!(listed, ["ann", "zoe"]);

    // A search by e-mail prefix lists only the matching user.
    driver.click("#field option[value=email]").await;
    driver.type_into("#q", "an").await;
    driver.click("form[role=search] button[type=submit]").await;
    let at = driver.wait_for_url(&format!("{users_page}?")).await;
    assert_eq!((query_param(&at, "field").as_deref(), query_param(&at, "q").as_deref()), (Some("email"), Some("an")));
    assert_eq!(driver.texts("main table tbody td a[href*='/users/']").await, ["ann"]);
    assert_eq!(driver.texts("main table tbody td:nth-child(3)").await, ["ann@shop.example"]);
    assert_eq!(driver.property("#q", "value").await, "an", "the search is kept in its box");

    // Open the user found and disable it.
    driver.click("main table tbody a").await;
    driver.wait_at(&format!("{users_page}/ann")).await;
    assert_eq!(driver.text("#user-enabled").await, "yes");
    driver.click("form[action$='/disable'] button").await;
    let at = driver.wait_for_url(&format!("{users_page}/ann?")).await;
    assert_eq!(query_param(&at, "notice").as_deref(), Some("changed"));
    assert_eq!(driver.text("#user-enabled").await, "no (disabled)");
    assert!(driver.find_all("form[action$='/disable']").await.is_empty(), "Disable became Enable");
    driver.find("form[action$='/enable'] button").await;

    // What the server stored, through the JSON API…
    let described = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    let policy = &described["UserPool"]["Policies"]["PasswordPolicy"];
    assert_eq!((policy["MinimumLength"].as_i64(), policy["RequireSymbols"].as_bool()), (Some(10), Some(false)));
    assert_eq!(described["UserPool"]["MfaConfiguration"], "OPTIONAL");
    let c = app.ok("DescribeUserPoolClient", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(c["UserPoolClient"]["ClientSecret"], secret.as_str());
    assert_eq!(get_user(&app, &pool, "ann").await["Enabled"], false);
    assert_eq!(get_user(&app, &pool, "zoe").await["Enabled"], true);

    // …and through boto3.
    let seen = boto3("dashboard.py", &app.base, &[&pool, &client, "an"]).await;
    assert_eq!(seen["pool"]["Id"], pool.as_str());
    assert_eq!(seen["pool"]["Name"], "shop");
    assert_eq!(seen["pool"]["MfaConfiguration"], "OPTIONAL");
    assert_eq!(seen["pool"]["PasswordPolicy"]["MinimumLength"], 10);
    assert_eq!(seen["pool"]["PasswordPolicy"]["RequireSymbols"], false);
    assert_eq!(seen["pool"]["PasswordPolicy"]["RequireUppercase"], true);
    assert_eq!(
        seen["client"],
        json!({"ClientId": client, "ClientName": "web", "ClientSecret": secret,
               "CallbackURLs": ["https://app.example.com/cb"], "AllowedOAuthFlows": ["code"],
               "AllowedOAuthScopes": ["openid", "email"], "AllowedOAuthFlowsUserPoolClient": true}),
    );
    assert_eq!(
        seen["users"],
        json!({"ann": {"Enabled": false, "UserStatus": "FORCE_CHANGE_PASSWORD", "email": "ann@shop.example"},
               "zoe": {"Enabled": true, "UserStatus": "FORCE_CHANGE_PASSWORD", "email": "zoe@other.example"}}),
    );
    assert_eq!(seen["found"], json!(["ann"]), "boto3's ListUsers filter finds what the page's search found");
    assert_eq!(seen["pools"], json!(["shop"]), "one pool, and the system pool is not listed");
}

#[tokio::test]
async fn viewer_is_refused_and_csrf_replay_is_refused_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let pool = app.create_pool(json!({"PoolName": "shop"})).await;
    app.create_user(&pool, "bob", PASSWORD, json!([{"Name": "email", "Value": "bob@shop.example"}])).await;
    let temporary = app.services.operators.create_operator(&Username::from("v"), Role::Viewer).await.unwrap();
    let driver = Driver::start().await;

    // First sign-in of an operator made on the command line: a new password, then the dashboard.
    open_dashboard_and_sign_in(&driver, &app, "v", &temporary).await;
    driver.find("form[name=newPasswordForm]").await;
    driver.type_into("input[name=password]", "Viewer-Passw0rd!x").await;
    driver.type_into("input[name=confirm_password]", "Viewer-Passw0rd!x").await;
    driver.click("form[name=newPasswordForm] button[type=submit]").await;
    driver.wait_at(&format!("{}/admin", app.base)).await;
    assert_eq!(signed_in_as(&driver).await, ("v".to_string(), "viewers".to_string()));

    // Every page reads, and none offers a change: no form in the page posts anything.
    let user = format!("/admin/pools/{pool}/users/bob");
    for (path, h1) in [
        ("/admin".to_string(), "Overview"),
        ("/admin/pools".to_string(), "User pools"),
        (format!("/admin/pools/{pool}"), "shop"),
        (format!("/admin/pools/{pool}/users"), "Users"),
        (user.clone(), "bob"),
    ] {
        open(&driver, &app, &path).await;
        assert_eq!(driver.text("main h1").await, h1, "{path}");
        assert_eq!(driver.find_all("main form[method=post]").await, Vec::<String>::new(), "{path} offers a change");
        assert!(driver.find_all("main button:not(form[method=get] button)").await.is_empty(), "{path} has a button");
    }
    assert_eq!(driver.texts("main dd#user-enabled").await, ["yes"]);
    driver.find("#user-status").await;

    // Forged POSTs from the viewer's own browser (its session cookie goes along) with the
    // viewer's valid CSRF token, read from the page: each is refused with 403.
    let csrf = driver.property("header input[name=_csrf]", "value").await.as_str().unwrap_or_default().to_string();
    assert_eq!(csrf.len(), 64, "the session's CSRF token: {csrf:?}");
    let changes: Vec<(String, Vec<(&str, &str)>)> = vec![
        ("/admin/pools".into(), vec![("name", "forged")]),
        (format!("/admin/pools/{pool}/clients"), vec![("name", "forged")]),
        (format!("/admin/pools/{pool}/users"), vec![("username", "forged")]),
        (format!("{user}/disable"), vec![]),
        (format!("{user}/sign-out"), vec![]),
        (format!("{user}/set-password"), vec![("password", "Another-Passw0rd!"), ("permanent", "on")]),
        (format!("{user}/add-group"), vec![("group", "forged")]),
        (format!("{user}/delete"), vec![("confirm", "on")]),
    ];
    for (path, fields) in &changes {
        open(&driver, &app, &user).await;
        let mut form = vec![("_csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let (status, h1) = driver.forge_post(path, &form).await;
        assert_eq!((status, h1.as_str()), (403, "Not allowed"), "a viewer's POST {path}");
    }
    // Nothing changed.
    let pools = app.ok("ListUserPools", json!({"MaxResults": 60})).await;
    assert_eq!(pools["UserPools"].as_array().unwrap().len(), 1, "{pools}");
    let clients = app.ok("ListUserPoolClients", json!({"UserPoolId": pool, "MaxResults": 60})).await;
    assert_eq!(clients["UserPoolClients"], json!([]));
    let users = app.ok("ListUsers", json!({"UserPoolId": pool})).await;
    assert_eq!(users["Users"].as_array().unwrap().len(), 1, "{users}");
    let bob = get_user(&app, &pool, "bob").await;
    assert_eq!((bob["Enabled"].as_bool(), bob["UserStatus"].as_str()), (Some(true), Some("CONFIRMED")));
    let groups = app.ok("AdminListGroupsForUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    assert_eq!(groups["Groups"], json!([]));

    // Sign-out (a POST from the header) ends the session; the browser drops the cookie.
    open(&driver, &app, &user).await;
    let cookie = driver.cookie("portcullis_admin").await.expect("the session cookie");
    let session = cookie["value"].as_str().unwrap().to_string();
    driver.click("header .who button[type=submit]").await;
    driver.wait_at(&format!("{}/admin/signed-out", app.base)).await;
    assert_eq!(driver.text("h1").await, "Signed out");
    assert!(driver.cookie("portcullis_admin").await.is_none(), "the browser dropped the session cookie");

    // The old cookie put back into the browser and the old token replayed: refused as signed
    // out (401, where the live session got 403), and nothing changes.
    driver
        .cmd_ok(
            reqwest::Method::POST,
            "/cookie",
            Some(json!({"cookie": {"name": "portcullis_admin", "value": session, "path": "/admin", "httpOnly": true}})),
        )
        .await;
    let (status, h1) = driver.forge_post(&format!("{user}/disable"), &[("_csrf", &csrf)]).await;
    assert_eq!((status, h1.as_str()), (401, "Signed out"), "a signed-out session's cookie and token");
    // The same from outside the browser.
    let replay = app
        .http
        .post(format!("{}{user}/disable", app.base))
        .header("cookie", format!("portcullis_admin={session}"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 401);
    assert_eq!(get_user(&app, &pool, "bob").await["Enabled"], true);
    // A page with the old cookie starts a new sign-in (the hosted session ended too).
    driver.goto(&format!("{}/admin", app.base)).await;
    driver.wait_for_url(&app.url(&system_pool(&app), "/login")).await;
}

/// Check a dashboard page at 1280×900 and 390×844 (see `check_layout_on`), after checking that
/// every input, select and textarea has a label and every button a name.
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

#[tokio::test]
async fn every_dashboard_page_fits_desktop_and_phone_screens() {
    if !browser_available() {
        return;
    }
    let app = spawn_dashboard(AdminMfa::Optional).await;
    // Pools with users, for the overview and the lists.
    let shop = app.create_pool(json!({"PoolName": "shop"})).await;
    app.create_pool(json!({"PoolName": "staff-directory-with-a-long-name-for-the-tables"})).await;
    for (name, email) in
        [("ann", "ann@shop.example"), ("andy", "andy.longname-for-wrapping@shop.example"), ("zoe", "zoe@other.example")]
    {
        app.create_user(
            &shop,
            name,
            PASSWORD,
            json!([{"Name": "email", "Value": email}, {"Name": "name", "Value": "A Name"}]),
        )
        .await;
    }
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": shop, "Username": "invited", "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "email", "Value": "ann.invited@shop.example"}]}),
    )
    .await;
    app.ok("CreateGroup", json!({"UserPoolId": shop, "GroupName": "staff"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": shop, "Username": "ann", "GroupName": "staff"})).await;
    let driver = Driver::start().await;

    // The system pool's sign-in page, then the overview.
    driver.goto(&format!("{}/admin", app.base)).await;
    driver.wait_for_url(&app.url(&system_pool(&app), "/login")).await;
    check_page(&driver, "admin-sign-in").await;
    driver.type_into("input[name=username]", ADMIN).await;
    driver.type_into("input[name=password]", ADMIN_PASSWORD).await;
    driver.click("button[name=signInSubmitButton]").await;
    driver.wait_at(&format!("{}/admin", app.base)).await;
    assert_eq!(driver.texts("main table tbody td:first-child").await.len(), 2, "the overview lists the pools");
    check_page(&driver, "admin-overview").await;

    open(&driver, &app, "/admin/pools").await;
    driver.find("#pool-name").await;
    check_page(&driver, "admin-pools").await;

    // A pool's page with an app client just created (secret and CLI command shown).
    open(&driver, &app, &format!("/admin/pools/{shop}")).await;
    driver.type_into("#client-name", "storefront").await;
    driver.click("input[name=generate_secret]").await;
    driver.type_into("#callback-urls", "https://shop.example.com/auth/callback\nhttps://localhost:3000/cb").await;
    driver.type_into("#logout-urls", "https://shop.example.com/").await;
    driver.click("input[name=flow][value=code]").await;
    for scope in ["openid", "email", "profile"] {
        driver.click(&format!("input[name=scope][value='{scope}']")).await;
    }
    driver.click("form[action$='/clients'] button[type=submit]").await;
    driver.find("#created-client-secret").await;
    check_page(&driver, "admin-pool-client-created").await;

    // The client's page with its branding previewed in each language.
    check_branding_previews(&driver, &app, &shop).await;

    // The users list with a search, and a user's page.
    open(&driver, &app, &format!("/admin/pools/{shop}/users")).await;
    driver.type_into("#q", "an").await;
    driver.click("form[role=search] button[type=submit]").await;
    driver.wait_for_url(&format!("{}/admin/pools/{shop}/users?", app.base)).await;
    let mut found = driver.texts("main table tbody td a[href*='/users/']").await;
    found.sort();
    assert_eq!(found, ["andy", "ann", "invited"]);
    check_page(&driver, "admin-users-search").await;
    if screenshot_dir().is_some() {
        // On a phone the table scrolls sideways in its box: what is past the screen's edge.
        driver.emulate_screen(Some((390, 844, true))).await;
        driver.script("const s = document.querySelector('main .scroll'); s.scrollLeft = s.scrollWidth; return 0").await;
        driver.screenshot("admin-users-search-phone-scrolled").await;
        driver.emulate_screen(None).await;
    }
    driver.click("main table tbody a[href$='/ann']").await;
    driver.wait_at(&format!("{}/admin/pools/{shop}/users/ann", app.base)).await;
    assert_eq!(driver.text("main h1").await, "ann");
    check_page(&driver, "admin-user").await;

    // A refusal: a change whose form is not this session's.
    let (status, h1) = driver.forge_post(&format!("/admin/pools/{shop}/users/ann/disable"), &[("_csrf", "0")]).await;
    assert_eq!((status, h1.as_str()), (403, "Form expired"));
    check_page(&driver, "admin-refused").await;
    assert_eq!(get_user(&app, &shop, "ann").await["Enabled"], true);
    // The same forged form with this session's token goes through (so the refusals of these
    // tests are the server's, not a failure of the forgery).
    open(&driver, &app, "/admin").await;
    let csrf = driver.property("header input[name=_csrf]", "value").await.as_str().unwrap_or_default().to_string();
    let (status, h1) = driver.forge_post(&format!("/admin/pools/{shop}/users/ann/disable"), &[("_csrf", &csrf)]).await;
    assert_eq!((status, h1.as_str()), (200, "ann"), "followed to the user's page");
    assert_eq!(get_user(&app, &shop, "ann").await["Enabled"], false);

    // Signed out.
    open(&driver, &app, "/admin").await;
    driver.click("header .who button[type=submit]").await;
    driver.wait_at(&format!("{}/admin/signed-out", app.base)).await;
    check_page(&driver, "admin-signed-out").await;
}

/// A 1×1 PNG (red, half transparent): the logo, drawn larger by the style sheet.
const LOGO_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

/// What each framed preview of the page shows, once all have loaded (the document, its logo and
/// every style sheet it links): language, heading, the submit button's colour, the logo's
/// natural width, whether it links the client's style sheet (`css`: `loaded`, or `none` when the
/// page links none), where the frame is.
async fn framed_previews(driver: &Driver) -> Value {
    let script = "return [...document.querySelectorAll('main iframe')].map(f => { \
           const d = f.contentDocument; \
           if (!d || d.readyState !== 'complete' || d.location.href === 'about:blank') return null; \
           const b = d.querySelector('.submitButton-customizable'); \
           const img = d.querySelector('img.logo-customizable'); \
           const sheets = [...d.querySelectorAll('link[rel=stylesheet]')]; \
           const css = !sheets.some(l => l.href.includes('/ui/css/')) ? 'none' \
             : sheets.every(l => l.sheet) ? 'loaded' : 'loading'; \
           return {lang: d.documentElement.lang, h1: d.querySelector('h1') && d.querySelector('h1').textContent, \
             button: b && getComputedStyle(b).backgroundColor, logo: img && img.complete ? img.naturalWidth : 0, \
             css, at: d.location.pathname + d.location.search}; })";
    let deadline = Instant::now() + WAIT;
    loop {
        let v = driver.script(script).await;
        let loaded = v
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|f| f["logo"].as_u64() == Some(1) && f["css"] != "loading"));
        if loaded {
            return v;
        }
        assert!(Instant::now() < deadline, "the previews did not load: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The branding of the pool's first client saved from its page (the style sheet through the form,
/// the logo through the API), then the page's previews: each language's sign-in page with that
/// branding, inert (a form sent from a frame goes nowhere), a link inside a frame leading to the
/// next preview, and the page checked at both sizes (with the previews in view).
async fn check_branding_previews(driver: &Driver, app: &TestApp, pool: &str) {
    let clients = app.ok("ListUserPoolClients", json!({"UserPoolId": pool, "MaxResults": 10})).await;
    let client = clients["UserPoolClients"][0]["ClientId"].as_str().expect("a client").to_string();
    app.ok("SetUICustomization", json!({"UserPoolId": pool, "ClientId": client, "ImageFile": LOGO_PNG})).await;
    let path = format!("/admin/pools/{pool}/clients/{client}");
    open(driver, app, &path).await;
    driver
        .type_into(
            "#c-css",
            ".submitButton-customizable { background-color: #0a7d4f; }\n\
         .background-customizable { background-color: #fffdf5; border-color: #0a7d4f; }\n\
         .banner-customizable { text-align: center; }\n\
         .logo-customizable { width: 56px; height: 56px; }\n\
         .label-customizable { color: #7a2e0e; }",
        )
        .await;
    // The answer is this page again, with the previews of what was saved.
    driver.submit_and_wait_at("form[action$='/branding'] button[type=submit]", &format!("{}{path}", app.base)).await;
    let shown = framed_previews(driver).await;
    let expect = |lang: &str, h1: &str| {
        json!({"lang": lang, "h1": h1, "button": "rgb(10, 125, 79)", "logo": 1, "css": "loaded",
               "at": format!("{path}/preview/login?lang={lang}")})
    };
    assert_eq!(shown, json!([expect("en", "Sign in"), expect("fr", "Connexion"), expect("de", "Anmelden")]));
    // The frames took no focus and did not scroll the page (the sandbox blocks their autofocus).
    assert_eq!(
        driver.script("return [document.activeElement === document.body, window.scrollY]").await,
        json!([true, 0])
    );

    // Inside the French frame: the sign-in form goes nowhere; the sign-up link shows the
    // sign-up preview (the frame's request carries the dashboard's cookie).
    driver.cmd_ok(reqwest::Method::POST, "/frame", Some(json!({"id": 1}))).await;
    driver.type_into("input[name=username]", "alice").await;
    driver.click("button[name=signInSubmitButton]").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        driver.script("return location.pathname + location.search").await,
        json!(format!("{path}/preview/login?lang=fr"))
    );
    driver.click("#signup-link").await;
    let deadline = Instant::now() + WAIT;
    while driver.script_while_loading("return document.readyState === 'complete' && location.pathname").await
        != json!(format!("{path}/preview/signup"))
    {
        assert!(Instant::now() < deadline, "the sign-up preview did not open in the frame");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(driver.text("h1").await, "Créer un compte");
    driver.cmd_ok(reqwest::Method::POST, "/frame/parent", Some(json!({}))).await;

    // The page at both sizes (frames in view: desktop side by side, phone stacked).
    open(driver, app, &path).await;
    framed_previews(driver).await;
    check_page(driver, "admin-client-previews").await;
    if screenshot_dir().is_some() {
        for (label, width, height, mobile) in SCREENS {
            driver.emulate_screen(Some((*width, *height, *mobile))).await;
            driver.script("document.getElementById('branding').scrollIntoView(); return 0").await;
            driver.screenshot(&format!("admin-client-previews-branding-{label}")).await;
        }
        driver.emulate_screen(None).await;
    }
}

/// The cells' text of every row of the table `css` (as the page renders it), row by row.
async fn table_rows(driver: &Driver, css: &str) -> Vec<Vec<String>> {
    let script =
        format!("return [...document.querySelectorAll({css:?})].map(r => [...r.cells].map(c => c.innerText.trim()));");
    serde_json::from_value(driver.script(&script).await).expect("rows of cells")
}

#[tokio::test]
async fn bulk_action_and_event_log_in_a_real_browser() {
    if !browser_available() {
        return;
    }
    let app = spawn_dashboard(AdminMfa::Optional).await;
    let callback = crate::callback_server().await;
    let pool = app.create_pool(json!({"PoolName": "team"})).await;
    let (client, _) =
        app.create_client(&pool, false, json!({"CallbackURLs": [callback], "AllowedOAuthFlows": ["code"]})).await;
    for (name, email) in
        [("t1", "t1@team.example"), ("t2", "t2@team.example"), ("t3", "t3@team.example"), ("x", "x@else.example")]
    {
        app.create_user(&pool, name, PASSWORD, json!([{"Name": "email", "Value": email}])).await;
    }
    let driver = Driver::start().await;

    // A failed hosted sign-in: t1 with a wrong password on the pool's own sign-in page.
    let (_, challenge) = pkce();
    driver.goto(&crate::authorize_url(&app, &pool, &client, &callback, "bulk", &challenge)).await;
    driver.wait_for_url(&app.url(&pool, "/login")).await;
    driver.type_into("input[name=username]", "t1").await;
    driver.type_into("input[name=password]", "Wrong-Passw0rd!").await;
    driver.click("button[name=signInSubmitButton]").await;
    assert_eq!(driver.text("#form-error").await, "Incorrect username or password.");
    assert!(driver.current_url().await.starts_with(&app.url(&pool, "/")), "still on the hosted pages");

    // The dashboard: search the users by e-mail prefix "t".
    open_dashboard_and_sign_in(&driver, &app, ADMIN, ADMIN_PASSWORD).await;
    driver.wait_at(&format!("{}/admin", app.base)).await;
    let users_page = format!("{}/admin/pools/{pool}/users", app.base);
    open(&driver, &app, &format!("/admin/pools/{pool}/users")).await;
    driver.click("#field option[value=email]").await;
    driver.type_into("#q", "t").await;
    driver.click("form[role=search] button[type=submit]").await;
    driver.wait_at(&format!("{users_page}?field=email&q=t")).await;
    let mut found = driver.texts("main table tbody td a[href*='/users/']").await;
    found.sort();
    assert_eq!(found, ["t1", "t2", "t3"]);

    // Disable every user the search matches: first the count, and nothing changes yet…
    driver.click("#bulk-action option[value=disable]").await;
    driver.click("input[name=scope][value=search]").await;
    assert_eq!(driver.find_all("input[name=user]:checked").await.len(), 0, "no user is ticked");
    driver.click("form#bulk fieldset.bulk button[type=submit]").await;
    driver.wait_at(&format!("{}/admin/pools/{pool}/bulk", app.base)).await;
    assert_eq!(driver.text("main h1").await, "Disable");
    assert_eq!(driver.text("#bulk-count strong").await, "3");
    assert_eq!(driver.text("#bulk-count").await, "Disable: 3 users, every user whose E-mail starts with “t”.");
    assert_eq!(get_user(&app, &pool, "t1").await["Enabled"], true, "the review changes nothing");
    check_page(&driver, "admin-bulk-confirm").await;
    // …then confirmed.
    let confirm = driver.text("main form[action$='/bulk'] button[type=submit]").await;
    assert_eq!(confirm, "Disable 3 users");
    driver.click("main form[action$='/bulk'] button[type=submit]").await;
    assert_eq!(driver.text("#bulk-result").await, "Done: 3 of 3 users.");
    for (name, enabled) in [("t1", false), ("t2", false), ("t3", false), ("x", true)] {
        let user = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": name})).await;
        assert_eq!(user["Enabled"], enabled, "{name}: {user}");
    }

    // The event log of the pool: the failed hosted sign-in and the three audited changes.
    let events = format!("/admin/events?pool={pool}");
    open(&driver, &app, &events).await;
    assert_eq!(driver.property("#f-pool", "value").await, pool.as_str(), "the filter shows the pool");
    let rows = table_rows(&driver, "main table.events tbody tr").await;
    let failed: Vec<&Vec<String>> = rows.iter().filter(|r| r[1] == "SignIn" && r[2].starts_with("Fail")).collect();
    assert_eq!(failed.len(), 1, "one failed sign-in: {rows:?}");
    assert_eq!((failed[0][2].as_str(), failed[0][3].as_str()), ("Fail (bad_password)", "t1"), "{rows:?}");
    assert_eq!(failed[0][5], client, "the hosted page's client: {rows:?}");
    assert!(failed[0].iter().all(|c| !c.contains("Wrong-Passw0rd!")), "no password in the log");
    let mut disabled: Vec<&str> = rows
        .iter()
        .filter(|r| r[1] == "AdminDisableUser audit" && r[3].starts_with("dashboard:root → "))
        .map(|r| r[3].trim_start_matches("dashboard:root → "))
        .collect();
    disabled.sort();
    assert_eq!(disabled, ["user:t1", "user:t2", "user:t3"], "{rows:?}");
    check_page(&driver, "admin-events").await;
    if screenshot_dir().is_some() {
        // The table scrolls sideways in its box: its right-hand columns (client, IP, details).
        driver.emulate_screen(Some((1280, 900, false))).await;
        driver.script("const s = document.querySelector('main .scroll'); s.scrollLeft = s.scrollWidth; return 0").await;
        driver.screenshot("admin-events-desktop-scrolled").await;
        driver.emulate_screen(None).await;
    }

    // The page's filter form: only the audit trail.
    driver.click("#f-category option[value=audit]").await;
    driver.click("main form[role=search] button[type=submit]").await;
    // The form sends every field, in its order (the old URL is a prefix of none of this).
    let at = format!("{}/admin/events?pool={pool}&category=audit&type=&outcome=&user=&client=&ip=&from=&to=", app.base);
    driver.wait_at(&at).await;
    assert_eq!(driver.property("#f-category", "value").await, "audit");
    let audit = table_rows(&driver, "main table.events tbody tr").await;
    assert!(audit.iter().all(|r| r[1].ends_with(" audit")), "only audit rows: {audit:?}");
    assert!(audit.iter().all(|r| r[1] != "SignIn"), "no sign-in rows: {audit:?}");
    let by_dashboard = audit.iter().filter(|r| r[1] == "AdminDisableUser audit" && r[3].starts_with("dashboard:root"));
    assert_eq!(by_dashboard.count(), 3, "{audit:?}");
    assert_eq!(audit.len(), rows.iter().filter(|r| r[1].ends_with(" audit")).count(), "the same audit rows");
    check_page(&driver, "admin-events-audit").await;
}

/// Run `tests/boto3/{script}` with boto3 against `endpoint` (with `args` after it) and the test
/// management key; what it printed last, as JSON. boto3 is installed into `target/pydeps` when
/// Python lacks it.
async fn boto3(script: &str, endpoint: &str, args: &[&str]) -> Value {
    let python = std::env::var("PORTCULLIS_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let pythonpath = boto3_path(&python);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/boto3").join(script);
    let dir = tempfile::tempdir().unwrap();
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut cmd = Command::new(&python);
    cmd.arg(&script)
        .arg(endpoint)
        .args(args)
        .env("PORTCULLIS_TEST_ACCESS_KEY", ACCESS_KEY)
        .env("PORTCULLIS_TEST_SECRET_KEY", SECRET_KEY)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // Nothing from the host's AWS set-up: no profile, config, credentials or endpoint.
        .env("AWS_CONFIG_FILE", dir.path().join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.path().join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    match pythonpath {
        Some(p) => cmd.env("PYTHONPATH", p),
        None => cmd.env_remove("PYTHONPATH"),
    };
    // Waited for without blocking the runtime the server under test answers on.
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("`{python}` is required for this test: {e}"));
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} timed out", script.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let stdout = std::fs::read_to_string(&out).unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(status.success(), "{} failed:\n{stdout}\n{stderr}", script.display());
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).unwrap_or_else(|e| panic!("{} printed no JSON ({e}):\n{stdout}", script.display()))
}
