//! Users through the signed JSON API: creating and reading them in Cognito's shapes, temporary
//! and permanent passwords against the pool's policy, and what disabling, deleting and signing
//! out a user do to sign-in and to the tokens it holds.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn admin_create_user_returns_cognito_shapes_and_rejects_duplicates() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let created = app
        .ok(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "alice", "MessageAction": "SUPPRESS",
                   "UserAttributes": [{"Name": "email", "Value": "alice@example.com"}, {"Name": "name", "Value": "Alice"}]}),
        )
        .await;
    let u = &created["User"];
    assert_eq!(u["Username"], "alice");
    assert_eq!(u["UserStatus"], "FORCE_CHANGE_PASSWORD");
    assert_eq!(u["Enabled"], true);
    assert_eq!(u["Attributes"][0]["Name"], "sub", "sub comes first: {u}");

    let g = get_user(&app, &pool, "alice").await;
    assert_eq!(g["Username"], "alice");
    assert_eq!(g["UserStatus"], "FORCE_CHANGE_PASSWORD");
    assert_eq!(g["Enabled"], true);
    let attrs = attr_map(&g["UserAttributes"]);
    let sub = attrs["sub"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(sub).is_ok(), "sub is a UUID: {sub}");
    assert_eq!(attrs["email"], "alice@example.com");
    assert_eq!(attrs["name"], "Alice");
    assert_eq!(attr_map(&u["Attributes"])["sub"], sub, "the same sub from create and get");
    for field in ["UserCreateDate", "UserLastModifiedDate"] {
        let t = g[field].as_f64().unwrap_or_else(|| panic!("{field} is an epoch number: {g}"));
        assert!((t - now_secs() as f64).abs() < 120.0, "{field} is epoch seconds: {t}");
    }
    assert!(g.get("Attributes").is_none(), "AdminGetUser flattens to UserAttributes");

    // The username is taken; whether the second call carries attributes or not.
    let (status, e) =
        app.api("AdminCreateUser", json!({"UserPoolId": pool, "Username": "alice", "MessageAction": "SUPPRESS"})).await;
    assert_eq!((status, err_type(&e)), (400, "UsernameExistsException"), "{e}");
    let (_, e) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "nobody"})).await;
    assert_eq!((err_type(&e), err_message(&e)), ("UserNotFoundException", "User does not exist."));
    let (_, e) = app
        .api("AdminCreateUser", json!({"UserPoolId": "local_nosuchpoo", "Username": "x", "MessageAction": "SUPPRESS"}))
        .await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn temporary_passwords_follow_the_pool_policy() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"Policies": {"PasswordPolicy": {"MinimumLength": 20}}})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;

    // A generated temporary password: the user exists and must change it at first sign-in.
    let u =
        app.ok("AdminCreateUser", json!({"UserPoolId": pool, "Username": "gen", "MessageAction": "SUPPRESS"})).await;
    assert_eq!(u["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");
    // The generator (no mail transport shows it to us) satisfies the pool's own policy.
    let p = app.services.directory.pool(&pool.as_str().into()).await.unwrap();
    for _ in 0..50 {
        let temp = portcullis::userpool::password::generate_temporary(p.password_policy());
        assert!(temp.chars().count() >= 20, "{temp}");
        portcullis::userpool::password::check_policy(p.password_policy(), &temp)
            .unwrap_or_else(|e| panic!("generated {temp:?} breaks the policy: {e}"));
    }

    // A given temporary password is checked against the policy, naming the rule it breaks.
    let (_, e) = app
        .api(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "short", "TemporaryPassword": "Aa1!", "MessageAction": "SUPPRESS"}),
        )
        .await;
    assert_eq!(err_type(&e), "InvalidPasswordException", "{e}");
    assert_eq!(err_message(&e), "Password did not conform with policy: Password not long enough");
    let (_, e) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "short"})).await;
    assert_eq!(err_type(&e), "UserNotFoundException", "a rejected create leaves no user behind");

    // A conforming one signs in to NEW_PASSWORD_REQUIRED.
    let temp = "Temporary-Passw0rd-long";
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "given", "TemporaryPassword": temp, "MessageAction": "SUPPRESS"}),
    )
    .await;
    let (status, v) = admin_auth(&app, &pool, &client, "given", temp).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ChallengeName"], "NEW_PASSWORD_REQUIRED");
    assert!(v.get("AuthenticationResult").is_none());
}

#[tokio::test]
async fn set_user_password_moves_status_and_reports_the_broken_rule() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    app.ok("AdminCreateUser", json!({"UserPoolId": pool, "Username": "bob", "MessageAction": "SUPPRESS"})).await;
    let set = |password: &'static str, permanent: bool| {
        app.api(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": "bob", "Password": password, "Permanent": permanent}),
        )
    };

    let (status, _) = set(PASSWORD, true).await;
    assert_eq!(status, 200);
    assert_eq!(get_user(&app, &pool, "bob").await["UserStatus"], "CONFIRMED");
    let t = admin_tokens(&app, &pool, &client, "bob", PASSWORD).await;
    assert!(t["AccessToken"].is_string() && t["IdToken"].is_string() && t["RefreshToken"].is_string());

    let (status, _) = set("Another-Passw0rd", false).await;
    assert_eq!(status, 200);
    assert_eq!(get_user(&app, &pool, "bob").await["UserStatus"], "FORCE_CHANGE_PASSWORD");
    let (_, v) = admin_auth(&app, &pool, &client, "bob", "Another-Passw0rd").await;
    assert_eq!(v["ChallengeName"], "NEW_PASSWORD_REQUIRED", "{v}");
    let (_, v) = admin_auth(&app, &pool, &client, "bob", PASSWORD).await;
    assert_eq!(err_type(&v), "NotAuthorizedException", "the old password no longer works: {v}");

    let weak = [
        ("Aa1!", "Password not long enough"),
        ("ALLUPPER-1234", "Password must have lowercase characters"),
        ("alllower-1234", "Password must have uppercase characters"),
        ("NoDigits-here", "Password must have numeric characters"),
        ("NoSymbols1234", "Password must have symbol characters"),
    ];
    for_each_row(weak.map(|(password, rule)| (password, (password, rule))), async |(password, rule)| {
        let (status, e) = set(password, true).await;
        assert_eq!((status, err_type(&e)), (400, "InvalidPasswordException"), "{e}");
        assert_eq!(err_message(&e), format!("Password did not conform with policy: {rule}"));
    })
    .await;
    assert_eq!(
        get_user(&app, &pool, "bob").await["UserStatus"],
        "FORCE_CHANGE_PASSWORD",
        "rejected passwords change nothing"
    );
    let (_, e) = app
        .api(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": "ghost", "Password": PASSWORD, "Permanent": true}),
        )
        .await;
    assert_eq!(err_type(&e), "UserNotFoundException");
}

#[tokio::test]
async fn disabling_a_user_refuses_sign_in_and_kills_its_tokens() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser_tokens = tokens_via_browser(&app, &f).await;
    let api_tokens = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    let refresh_form = |rt: &str| f.refresh_request(&app, rt).send();
    assert_eq!(refresh_form(browser_tokens["refresh_token"].as_str().unwrap()).await.unwrap().status(), 200);

    app.ok("AdminDisableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(get_user(&app, &f.pool, "alice").await["Enabled"], false);

    let (status, e) = admin_auth(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    assert_eq!((status, err_type(&e), err_message(&e)), (400, "NotAuthorizedException", "User is disabled."));
    let page = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert_ne!(page.status(), 302, "no code for a disabled user");
    assert!(page.text().await.unwrap().contains("User is disabled."));
    // A wrong password still reads as a wrong password (disabled status is not leaked to guessers).
    let (_, e) = admin_auth(&app, &f.pool, &f.client_id, "alice", "Wrong-passw0rd").await;
    assert_eq!(err_message(&e), "Incorrect username or password.");

    // Tokens issued before are dead: userInfo, GetUser, both refresh paths.
    for at in [browser_tokens["access_token"].as_str().unwrap(), api_tokens["AccessToken"].as_str().unwrap()] {
        assert_eq!(userinfo(&app, &f.pool, at).await.status(), 401);
    }
    let (_, e) = app.public_api("GetUser", json!({"AccessToken": api_tokens["AccessToken"]})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    let r = refresh_form(browser_tokens["refresh_token"].as_str().unwrap()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    let refresh_api = |rt: Value| {
        app.public_api(
            "InitiateAuth",
            json!({"ClientId": f.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": rt}}),
        )
    };
    let (_, e) = refresh_api(api_tokens["RefreshToken"].clone()).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");

    // Enabling lets the user sign in again; what disabling invalidated stays invalid.
    app.ok("AdminEnableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(get_user(&app, &f.pool, "alice").await["Enabled"], true);
    let (_, e) = refresh_api(api_tokens["RefreshToken"].clone()).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    assert_eq!(userinfo(&app, &f.pool, browser_tokens["access_token"].as_str().unwrap()).await.status(), 401);
    app.clock.advance_secs(1);
    let fresh = tokens_via_browser(&app, &f).await;
    assert_eq!(userinfo(&app, &f.pool, fresh["access_token"].as_str().unwrap()).await.status(), 200);
}

#[tokio::test]
async fn deleting_a_user_ends_sign_in_and_tokens() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let t = tokens_via_browser(&app, &f).await;
    let at = t["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, &f.pool, at).await.status(), 200);
    app.ok("AdminCreateUser", json!({"UserPoolId": f.pool, "Username": "other", "MessageAction": "SUPPRESS"})).await;
    app.ok("CreateGroup", json!({"UserPoolId": f.pool, "GroupName": "staff"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": "staff"})).await;

    app.ok("AdminDeleteUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;

    let (_, e) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(err_type(&e), "UserNotFoundException");
    let (_, e) = app.api("AdminDeleteUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(err_type(&e), "UserNotFoundException", "deleting twice");
    let (_, e) = admin_auth(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(err_type(&e), "UserNotFoundException", "LEGACY clients reveal the missing user: {e}");
    let page = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert_eq!(page.status(), 400);
    assert!(page.text().await.unwrap().contains("Incorrect username or password."));

    let r = userinfo(&app, &f.pool, at).await;
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let r = f.refresh_request(&app, t["refresh_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(r.status(), 400);

    let list = app.ok("ListUsers", json!({"UserPoolId": f.pool})).await;
    let names: Vec<&str> = list["Users"].as_array().unwrap().iter().map(|u| u["Username"].as_str().unwrap()).collect();
    assert_eq!(names, ["other"]);
    let members = app.ok("ListUsersInGroup", json!({"UserPoolId": f.pool, "GroupName": "staff"})).await;
    assert_eq!(members["Users"], json!([]));
    // The username is free again, for a new person with a new sub.
    let again = app
        .ok("AdminCreateUser", json!({"UserPoolId": f.pool, "Username": "alice", "MessageAction": "SUPPRESS"}))
        .await;
    assert_ne!(attr_map(&again["User"]["Attributes"])["sub"], claims(t["id_token"].as_str().unwrap())["sub"]);
}

/// GlobalSignOut (by access token) and AdminUserGlobalSignOut: every token issued before is
/// refused (access token at userInfo and GetUser, refresh token); a new sign-in works.
#[tokio::test]
async fn global_sign_out_invalidates_every_issued_token() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let refresh = |rt: Value| {
        app.public_api(
            "InitiateAuth",
            json!({"ClientId": f.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH", "AuthParameters": {"REFRESH_TOKEN": rt}}),
        )
    };
    for admin in [false, true] {
        let t = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
        let (status, _) = app.public_api("GetUser", json!({"AccessToken": t["AccessToken"]})).await;
        assert_eq!(status, 200);
        if admin {
            app.ok("AdminUserGlobalSignOut", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
        } else {
            let (status, v) = app.public_api("GlobalSignOut", json!({"AccessToken": t["AccessToken"]})).await;
            assert_eq!(status, 200, "{v}");
        }
        let (_, e) = app.public_api("GetUser", json!({"AccessToken": t["AccessToken"]})).await;
        assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
        let (_, e) = refresh(t["RefreshToken"].clone()).await;
        assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
        // A signed-out access token cannot sign out again.
        let (_, e) = app.public_api("GlobalSignOut", json!({"AccessToken": t["AccessToken"]})).await;
        assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
        app.clock.advance_secs(1);
        let fresh = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
        let (status, _) = app.public_api("GetUser", json!({"AccessToken": fresh["AccessToken"]})).await;
        assert_eq!(status, 200, "signing in again works");
    }
    let (status, e) = app.api("AdminUserGlobalSignOut", json!({"UserPoolId": f.pool, "Username": "nobody"})).await;
    assert_eq!((status, err_type(&e)), (400, "UserNotFoundException"));
}
