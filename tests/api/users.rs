//! Users and groups through the signed JSON API, and what they do to sign-in and tokens.

use crate::helpers::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

/// AdminInitiateAuth with ADMIN_USER_PASSWORD_AUTH (the client must have no secret).
async fn admin_auth(app: &TestApp, pool: &str, client: &str, username: &str, password: &str) -> (u16, Value) {
    app.api(
        "AdminInitiateAuth",
        json!({"UserPoolId": pool, "ClientId": client, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
               "AuthParameters": {"USERNAME": username, "PASSWORD": password}}),
    )
    .await
}

/// Sign in through the API and return the AuthenticationResult.
async fn admin_tokens(app: &TestApp, pool: &str, client: &str, username: &str, password: &str) -> Value {
    let (status, v) = admin_auth(app, pool, client, username, password).await;
    assert_eq!(status, 200, "sign-in of {username} failed: {v}");
    v["AuthenticationResult"].clone()
}

fn err_type(v: &Value) -> &str {
    v["__type"].as_str().unwrap_or_default()
}

fn message(v: &Value) -> &str {
    v["message"].as_str().unwrap_or_default()
}

/// `[{Name, Value}]` as a map.
fn attr_map(list: &Value) -> serde_json::Map<String, Value> {
    list.as_array()
        .expect("attribute list")
        .iter()
        .map(|a| (a["Name"].as_str().unwrap().to_string(), a["Value"].clone()))
        .collect()
}

async fn get_user(app: &TestApp, pool: &str, username: &str) -> Value {
    app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": username})).await
}

async fn userinfo(app: &TestApp, pool: &str, access_token: &str) -> reqwest::Response {
    app.http.get(app.url(pool, "/oauth2/userInfo")).bearer_auth(access_token).send().await.unwrap()
}

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
    assert_eq!((err_type(&e), message(&e)), ("UserNotFoundException", "User does not exist."));
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
    let p = app.services.pool(&pool).await.unwrap();
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
    assert_eq!(message(&e), "Password did not conform with policy: Password not long enough");
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

    for (password, rule) in [
        ("Aa1!", "Password not long enough"),
        ("ALLUPPER-1234", "Password must have lowercase characters"),
        ("alllower-1234", "Password must have uppercase characters"),
        ("NoDigits-here", "Password must have numeric characters"),
        ("NoSymbols1234", "Password must have symbol characters"),
    ] {
        let (status, e) = set(password, true).await;
        assert_eq!((status, err_type(&e)), (400, "InvalidPasswordException"), "{password}: {e}");
        assert_eq!(message(&e), format!("Password did not conform with policy: {rule}"), "{password}");
    }
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
async fn required_and_custom_attributes_follow_the_schema() {
    let app = TestApp::spawn().await;
    let pool = app
        .create_pool(json!({"Schema": [
            {"Name": "email", "AttributeDataType": "String", "Required": true, "Mutable": true},
            {"Name": "tenant", "AttributeDataType": "String", "Mutable": false,
             "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "5"}},
            {"Name": "plan", "AttributeDataType": "String", "Mutable": true},
            {"Name": "seats", "AttributeDataType": "Number", "Mutable": true,
             "NumberAttributeConstraints": {"MinValue": "1", "MaxValue": "100"}},
        ]}))
        .await;
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    let schema = d["UserPool"]["SchemaAttributes"].as_array().unwrap().clone();
    let tenant = schema.iter().find(|a| a["Name"] == "custom:tenant").expect("custom: prefix added");
    assert_eq!(tenant["Mutable"], false);
    let create = |name: &'static str, attrs: Value| {
        app.api(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": name, "MessageAction": "SUPPRESS", "UserAttributes": attrs}),
        )
    };

    let (_, e) = create("noemail", json!([{"Name": "name", "Value": "N"}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
    assert!(message(&e).contains("email"), "the message names the missing attribute: {e}");

    let (_, e) =
        create("bare", json!([{"Name": "email", "Value": "b@x.io"}, {"Name": "tenant", "Value": "acme"}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "custom attributes need their prefix: {e}");
    let (_, e) =
        create("long", json!([{"Name": "email", "Value": "l@x.io"}, {"Name": "custom:tenant", "Value": "acme-corp"}]))
            .await;
    assert_eq!(err_type(&e), "InvalidParameterException", "longer than MaxLength: {e}");
    assert!(message(&e).contains("custom:tenant"), "{e}");
    let (_, e) =
        create("tiny", json!([{"Name": "email", "Value": "t@x.io"}, {"Name": "custom:tenant", "Value": "a"}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "shorter than MinLength: {e}");
    let (_, e) =
        create("seats", json!([{"Name": "email", "Value": "s@x.io"}, {"Name": "custom:seats", "Value": "101"}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "above MaxValue: {e}");
    let (_, e) = create("mail", json!([{"Name": "email", "Value": "not-an-email"}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
    let (_, e) = create("subby", json!([{"Name": "email", "Value": "s@x.io"}, {"Name": "sub", "Value": "mine"}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "sub is not writable: {e}");

    let (status, v) = create(
        "carol",
        json!([{"Name": "email", "Value": "carol@x.io"}, {"Name": "custom:tenant", "Value": "acme"},
               {"Name": "custom:plan", "Value": "free"}, {"Name": "custom:seats", "Value": "5"}]),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let update = |attrs: Value| {
        app.api("AdminUpdateUserAttributes", json!({"UserPoolId": pool, "Username": "carol", "UserAttributes": attrs}))
    };
    let (_, e) = update(json!([{"Name": "custom:tenant", "Value": "evil"}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "immutable after creation: {e}");
    let (_, e) = update(json!([{"Name": "email", "Value": ""}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "a required attribute cannot be removed: {e}");
    let (_, e) = update(json!([{"Name": "custom:plan", "Value": "x".repeat(2049)}])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
    let (status, _) =
        update(json!([{"Name": "custom:plan", "Value": "pro"}, {"Name": "custom:seats", "Value": "50"}])).await;
    assert_eq!(status, 200);
    let attrs = attr_map(&get_user(&app, &pool, "carol").await["UserAttributes"]);
    assert_eq!(attrs["custom:tenant"], "acme");
    assert_eq!(attrs["custom:plan"], "pro");
    assert_eq!(attrs["custom:seats"], "50", "custom values are strings on the wire");
    assert_eq!(attrs["email"], "carol@x.io");
}

#[tokio::test]
async fn updating_attributes_unverifies_a_changed_email_and_guards_aliases() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"AliasAttributes": ["email"]})).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    let verified =
        |email: &str| json!([{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}]);
    app.create_user(&pool, "alice", PASSWORD, verified("alice@example.com")).await;
    app.create_user(&pool, "bob", PASSWORD, verified("bob@example.com")).await;

    // A verified email is a sign-in alias, unique in the pool.
    admin_tokens(&app, &pool, &client, "alice@example.com", PASSWORD).await;
    let (status, e) = app
        .api(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "mallory", "MessageAction": "SUPPRESS",
                   "UserAttributes": verified("alice@example.com")}),
        )
        .await;
    assert_eq!((status, err_type(&e)), (400, "AliasExistsException"), "{e}");
    let (_, e) = app
        .api(
            "AdminUpdateUserAttributes",
            json!({"UserPoolId": pool, "Username": "bob", "UserAttributes": verified("alice@example.com")}),
        )
        .await;
    assert_eq!(err_type(&e), "AliasExistsException", "{e}");
    assert_eq!(attr_map(&get_user(&app, &pool, "bob").await["UserAttributes"])["email"], "bob@example.com");
    // An unverified copy is no alias and does not conflict.
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "carol", "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "email", "Value": "alice@example.com"}]}),
    )
    .await;
    // Usernames that look like emails are refused when email is an alias.
    let (_, e) = app
        .api(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "dave@example.com", "MessageAction": "SUPPRESS"}),
        )
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");

    // Changing the email clears email_verified, and the old alias stops working.
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool, "Username": "alice", "UserAttributes": [{"Name": "email", "Value": "alice@new.example"}]}),
    )
    .await;
    let attrs = attr_map(&get_user(&app, &pool, "alice").await["UserAttributes"]);
    assert_eq!(attrs["email"], "alice@new.example");
    assert_eq!(attrs["email_verified"], "false");
    let (_, v) = admin_auth(&app, &pool, &client, "alice@example.com", PASSWORD).await;
    assert!(v["AuthenticationResult"].is_null(), "the old email no longer signs in: {v}");
    let (_, v) = admin_auth(&app, &pool, &client, "alice@new.example", PASSWORD).await;
    assert!(v["AuthenticationResult"].is_null(), "the unverified new email is no alias yet: {v}");
    admin_tokens(&app, &pool, &client, "alice", PASSWORD).await;

    // Setting the same email again, or the flag explicitly with it, keeps what was said.
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool, "Username": "alice", "UserAttributes": verified("alice@new.example")}),
    )
    .await;
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool, "Username": "alice", "UserAttributes": [{"Name": "email", "Value": "alice@new.example"}, {"Name": "name", "Value": "Alice"}]}),
    )
    .await;
    let attrs = attr_map(&get_user(&app, &pool, "alice").await["UserAttributes"]);
    assert_eq!(attrs["email_verified"], "true", "an unchanged email stays verified");
    assert_eq!(attrs["name"], "Alice");
    admin_tokens(&app, &pool, &client, "alice@new.example", PASSWORD).await;
    // An empty value deletes an attribute.
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": pool, "Username": "alice", "UserAttributes": [{"Name": "name", "Value": ""}]}),
    )
    .await;
    assert!(!attr_map(&get_user(&app, &pool, "alice").await["UserAttributes"]).contains_key("name"));

    // ForceAliasCreation moves a taken alias to the new user; the old holder's copy is unverified.
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "bobby", "MessageAction": "SUPPRESS", "ForceAliasCreation": true,
               "TemporaryPassword": PASSWORD, "UserAttributes": verified("bob@example.com")}),
    )
    .await;
    let bob = attr_map(&get_user(&app, &pool, "bob").await["UserAttributes"]);
    assert_eq!((bob["email"].as_str(), bob["email_verified"].as_str()), (Some("bob@example.com"), Some("false")));
    assert_eq!(get_user(&app, &pool, "bob@example.com").await["Username"], "bobby");
    let (_, v) = admin_auth(&app, &pool, &client, "bob@example.com", PASSWORD).await;
    assert_eq!(v["ChallengeName"], "NEW_PASSWORD_REQUIRED", "the alias now signs bobby in: {v}");
    admin_tokens(&app, &pool, &client, "bob", PASSWORD).await;
    let (_, e) = app
        .api(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "bob", "MessageAction": "SUPPRESS", "ForceAliasCreation": true}),
        )
        .await;
    assert_eq!(err_type(&e), "UsernameExistsException", "ForceAliasCreation does not take usernames: {e}");
}

#[tokio::test]
async fn email_as_username_pools_reject_a_second_account_for_one_email() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"UsernameAttributes": ["email"]})).await;
    let u = app
        .ok("AdminCreateUser", json!({"UserPoolId": pool, "Username": "erin@example.com", "MessageAction": "SUPPRESS"}))
        .await;
    let attrs = attr_map(&u["User"]["Attributes"]);
    assert_eq!(u["User"]["Username"], attrs["sub"], "the real username is the sub");
    assert_eq!(attrs["email"], "erin@example.com");
    let (_, e) = app
        .api(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "erin@example.com", "MessageAction": "SUPPRESS"}),
        )
        .await;
    assert_eq!(
        (err_type(&e), message(&e)),
        ("UsernameExistsException", "An account with the given email already exists.")
    );
    let (_, e) =
        app.api("AdminCreateUser", json!({"UserPoolId": pool, "Username": "erin", "MessageAction": "SUPPRESS"})).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
    // Lookups by the email work everywhere but the ListUsers username filter.
    assert_eq!(get_user(&app, &pool, "erin@example.com").await["Username"], u["User"]["Username"]);
}

#[tokio::test]
async fn disabling_a_user_refuses_sign_in_and_kills_its_tokens() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser_tokens = tokens_via_browser(&app, &f).await;
    let api_tokens = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    let refresh_form = |rt: &str| {
        app.http
            .post(app.url(&f.pool, "/oauth2/token"))
            .form(&[("grant_type", "refresh_token"), ("client_id", f.client_id.as_str()), ("refresh_token", rt)])
            .send()
    };
    assert_eq!(refresh_form(browser_tokens["refresh_token"].as_str().unwrap()).await.unwrap().status(), 200);

    app.ok("AdminDisableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(get_user(&app, &f.pool, "alice").await["Enabled"], false);

    let (status, e) = admin_auth(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    assert_eq!((status, err_type(&e), message(&e)), (400, "NotAuthorizedException", "User is disabled."));
    let page = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert_ne!(page.status(), 302, "no code for a disabled user");
    assert!(page.text().await.unwrap().contains("User is disabled."));
    // A wrong password still reads as a wrong password (disabled status is not leaked to guessers).
    let (_, e) = admin_auth(&app, &f.pool, &f.client_id, "alice", "Wrong-passw0rd").await;
    assert_eq!(message(&e), "Incorrect username or password.");

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
    let r = app
        .http
        .post(app.url(&f.pool, "/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", f.client_id.as_str()),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
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

/// Seven users with different names, emails and states.
async fn populate(app: &TestApp, pool: &str) -> Vec<(String, String)> {
    let people = [
        ("alice", "alice@example.com", "Alice"),
        ("albert", "albert@other.org", "Albert"),
        ("bob", "bob@example.com", "Bob"),
        ("carol", "carol@example.com", "Carol"),
        ("dave", "dave@other.org", "Dave"),
        ("Alfred", "alfred@example.com", "Alfred"),
        ("erin", "erin@example.com", "Erin"),
    ];
    let mut out = Vec::new();
    for (name, email, display) in people {
        let v = app
            .ok(
                "AdminCreateUser",
                json!({"UserPoolId": pool, "Username": name, "MessageAction": "SUPPRESS", "TemporaryPassword": PASSWORD,
                       "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "name", "Value": display}]}),
            )
            .await;
        out.push((name.to_string(), attr_map(&v["User"]["Attributes"])["sub"].as_str().unwrap().to_string()));
    }
    for name in ["alice", "bob", "dave"] {
        app.ok(
            "AdminSetUserPassword",
            json!({"UserPoolId": pool, "Username": name, "Password": PASSWORD, "Permanent": true}),
        )
        .await;
    }
    app.ok("AdminDisableUser", json!({"UserPoolId": pool, "Username": "dave"})).await;
    out
}

async fn list_names(app: &TestApp, pool: &str, filter: &str) -> BTreeSet<String> {
    let v = app.ok("ListUsers", json!({"UserPoolId": pool, "Filter": filter})).await;
    assert!(v.get("PaginationToken").is_none(), "{v}");
    v["Users"].as_array().unwrap().iter().map(|u| u["Username"].as_str().unwrap().to_string()).collect()
}

fn usernames(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[tokio::test]
async fn list_users_filters_like_cognito() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let subs = populate(&app, &pool).await;
    let everyone: Vec<&str> = subs.iter().map(|(n, _)| n.as_str()).collect();

    assert_eq!(list_names(&app, &pool, "").await, usernames(&everyone));
    assert_eq!(list_names(&app, &pool, "username = \"alice\"").await, usernames(&["alice"]));
    assert_eq!(list_names(&app, &pool, "username ^= \"al\"").await, usernames(&["alice", "albert"]), "case-sensitive");
    assert_eq!(list_names(&app, &pool, "username=\"Alfred\"").await, usernames(&["Alfred"]), "spaces are optional");
    assert_eq!(list_names(&app, &pool, "username = \"nobody\"").await, usernames(&[]));
    assert_eq!(list_names(&app, &pool, "email = \"bob@example.com\"").await, usernames(&["bob"]));
    assert_eq!(list_names(&app, &pool, "email ^= \"al\"").await, usernames(&["alice", "albert", "Alfred"]));
    assert_eq!(list_names(&app, &pool, "email = \"bob\"").await, usernames(&[]), "= is exact, not prefix");
    assert_eq!(list_names(&app, &pool, "name ^= \"Al\"").await, usernames(&["alice", "albert", "Alfred"]));
    let (_, carol_sub) = subs.iter().find(|(n, _)| n == "carol").unwrap();
    assert_eq!(list_names(&app, &pool, &format!("sub = \"{carol_sub}\"")).await, usernames(&["carol"]));
    assert_eq!(list_names(&app, &pool, &format!("sub ^= \"{}\"", &carol_sub[..8])).await, usernames(&["carol"]));
    assert_eq!(list_names(&app, &pool, "status = \"Disabled\"").await, usernames(&["dave"]));
    assert_eq!(
        list_names(&app, &pool, "status = \"Enabled\"").await,
        usernames(&["alice", "albert", "bob", "carol", "Alfred", "erin"])
    );
    assert_eq!(
        list_names(&app, &pool, "cognito:user_status = \"CONFIRMED\"").await,
        usernames(&["alice", "bob", "dave"])
    );
    assert_eq!(
        list_names(&app, &pool, "cognito:user_status = \"force_change_password\"").await,
        usernames(&["albert", "carol", "Alfred", "erin"]),
        "user status matches case-insensitively"
    );

    // AttributesToGet narrows each user's attributes; the rest of UserType stays.
    let v = app
        .ok("ListUsers", json!({"UserPoolId": pool, "Filter": "username = \"bob\"", "AttributesToGet": ["email"]}))
        .await;
    let bob = &v["Users"][0];
    assert_eq!(bob["Attributes"], json!([{"Name": "email", "Value": "bob@example.com"}]));
    assert_eq!(bob["UserStatus"], "CONFIRMED");
    assert_eq!(bob["Enabled"], true);
    assert!(bob["UserCreateDate"].is_number());
    let v = app.ok("ListUsers", json!({"UserPoolId": pool, "Filter": "username = \"bob\""})).await;
    let all = attr_map(&v["Users"][0]["Attributes"]);
    assert!(all.contains_key("sub") && all.contains_key("email") && all.contains_key("name"), "{v}");

    for bad in [
        "email = bob@example.com",
        "email \"bob\"",
        "email ~= \"bob\"",
        "custom:tier = \"x\"",
        "favourite = \"x\"",
        "status = \"Maybe\"",
        "email = \"a\" and name = \"b\"",
        "= \"x\"",
    ] {
        let (status, e) = app.api("ListUsers", json!({"UserPoolId": pool, "Filter": bad})).await;
        assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{bad}: {e}");
    }
}

#[tokio::test]
async fn list_users_pages_cover_everyone_exactly_once() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let subs = populate(&app, &pool).await;
    // More users in the same second as others: order must not depend on time alone.
    app.clock.advance_secs(5);
    for name in ["frank", "grace", "heidi"] {
        app.ok(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": name, "MessageAction": "SUPPRESS", "TemporaryPassword": PASSWORD}),
        )
        .await;
    }
    let expected: BTreeSet<String> =
        subs.iter().map(|(n, _)| n.clone()).chain(["frank", "grace", "heidi"].map(String::from)).collect();
    assert_eq!(expected.len(), 10);

    for (limit, filter) in [(3, ""), (1, ""), (4, ""), (10, ""), (2, "email ^= \"al\""), (2, "status = \"Enabled\"")] {
        let mut seen = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut body = json!({"UserPoolId": pool, "Limit": limit, "Filter": filter});
            if let Some(t) = &token {
                body["PaginationToken"] = json!(t);
            }
            let v = app.ok("ListUsers", body).await;
            let users = v["Users"].as_array().unwrap();
            assert!(users.len() <= limit, "a page holds at most Limit users");
            seen.extend(users.iter().map(|u| u["Username"].as_str().unwrap().to_string()));
            pages += 1;
            assert!(pages < 20, "pagination does not terminate");
            match v["PaginationToken"].as_str() {
                Some(t) => {
                    assert_eq!(users.len(), limit, "only the last page is short");
                    token = Some(t.to_string());
                }
                None => break,
            }
        }
        let unique: BTreeSet<String> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "limit {limit} filter {filter:?}: duplicates in {seen:?}");
        let want = if filter.is_empty() { expected.clone() } else { list_names(&app, &pool, filter).await };
        assert_eq!(unique, want, "limit {limit} filter {filter:?}");
    }

    for bogus in ["bogus", "dGFtcGVyZWQ", "MTIzOmFiYzpkZWFkYmVlZg"] {
        let (status, e) = app.api("ListUsers", json!({"UserPoolId": pool, "Limit": 2, "PaginationToken": bogus})).await;
        assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{bogus}: {e}");
    }
    // A token is bound to this server's key and cannot be edited to skip ahead.
    let v = app.ok("ListUsers", json!({"UserPoolId": pool, "Limit": 2})).await;
    let mut t = v["PaginationToken"].as_str().unwrap().to_string();
    let last = t.pop().unwrap();
    t.push(if last == 'A' { 'B' } else { 'A' });
    let (_, e) = app.api("ListUsers", json!({"UserPoolId": pool, "Limit": 2, "PaginationToken": t})).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
}

#[tokio::test]
async fn groups_lifecycle_and_memberships() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    app.create_user(&pool, "alice", PASSWORD, json!([])).await;
    app.create_user(&pool, "bob", PASSWORD, json!([])).await;

    let g = app
        .ok(
            "CreateGroup",
            json!({"UserPoolId": pool, "GroupName": "admins", "Description": "Administrators", "Precedence": 1,
                   "RoleArn": "arn:aws:iam::000000000000:role/Admin"}),
        )
        .await;
    let g = &g["Group"];
    assert_eq!(g["GroupName"], "admins");
    assert_eq!(g["UserPoolId"], pool);
    assert_eq!(g["Description"], "Administrators");
    assert_eq!(g["Precedence"], 1);
    assert_eq!(g["RoleArn"], "arn:aws:iam::000000000000:role/Admin");
    assert!(g["CreationDate"].is_number() && g["LastModifiedDate"].is_number());
    assert_eq!(app.ok("GetGroup", json!({"UserPoolId": pool, "GroupName": "admins"})).await["Group"], *g);
    let (status, e) = app.api("CreateGroup", json!({"UserPoolId": pool, "GroupName": "admins"})).await;
    assert_eq!((status, err_type(&e)), (400, "GroupExistsException"), "{e}");
    let plain = app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert!(plain["Group"].get("Precedence").is_none() && plain["Group"].get("RoleArn").is_none(), "{plain}");

    for (user, group) in [("alice", "admins"), ("alice", "readers"), ("bob", "readers"), ("bob", "readers")] {
        app.ok("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": user, "GroupName": group})).await;
    }
    let (_, e) =
        app.api("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": "alice", "GroupName": "nope"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException", "{e}");
    let (_, e) =
        app.api("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": "ghost", "GroupName": "admins"})).await;
    assert_eq!(err_type(&e), "UserNotFoundException", "{e}");

    let names = |v: &Value, list: &str, key: &str| -> Vec<String> {
        v[list].as_array().unwrap().iter().map(|x| x[key].as_str().unwrap().to_string()).collect()
    };
    let readers = app.ok("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert_eq!(names(&readers, "Users", "Username").into_iter().collect::<BTreeSet<_>>(), usernames(&["alice", "bob"]));
    assert!(readers["Users"][0]["UserStatus"].is_string(), "members are UserType: {readers}");
    let page = app.ok("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "readers", "Limit": 1})).await;
    assert_eq!(page["Users"].as_array().unwrap().len(), 1);
    let rest = app
        .ok(
            "ListUsersInGroup",
            json!({"UserPoolId": pool, "GroupName": "readers", "Limit": 1, "NextToken": page["NextToken"]}),
        )
        .await;
    assert_eq!(rest["Users"].as_array().unwrap().len(), 1);
    assert_ne!(rest["Users"][0]["Username"], page["Users"][0]["Username"]);
    let (_, e) = app.api("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "nope"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");

    let alice = app.ok("AdminListGroupsForUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(names(&alice, "Groups", "GroupName"), ["admins", "readers"]);
    assert_eq!(alice["Groups"][0]["RoleArn"], "arn:aws:iam::000000000000:role/Admin");

    app.ok("AdminRemoveUserFromGroup", json!({"UserPoolId": pool, "Username": "alice", "GroupName": "readers"})).await;
    let alice = app.ok("AdminListGroupsForUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(names(&alice, "Groups", "GroupName"), ["admins"]);

    let list = app.ok("ListGroups", json!({"UserPoolId": pool})).await;
    assert_eq!(names(&list, "Groups", "GroupName"), ["admins", "readers"]);
    app.ok("DeleteGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    let (_, e) = app.api("GetGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
    let bob = app.ok("AdminListGroupsForUser", json!({"UserPoolId": pool, "Username": "bob"})).await;
    assert_eq!(bob["Groups"], json!([]), "deleting a group ends its memberships");
    // A group created again with the old name starts empty.
    app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    let readers = app.ok("ListUsersInGroup", json!({"UserPoolId": pool, "GroupName": "readers"})).await;
    assert_eq!(readers["Users"], json!([]));
}

#[tokio::test]
async fn group_membership_shapes_the_token_claims() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let role = |n: &str| format!("arn:aws:iam::000000000000:role/{n}");
    for (name, precedence, arn) in [
        ("readers", Some(10), None),
        ("admins", Some(1), Some(role("Admin"))),
        ("beta", None, Some(role("Beta"))),
        ("editors", Some(5), Some(role("Editor"))),
    ] {
        let mut body = json!({"UserPoolId": f.pool, "GroupName": name});
        if let Some(p) = precedence {
            body["Precedence"] = json!(p);
        }
        if let Some(a) = arn {
            body["RoleArn"] = json!(a);
        }
        app.ok("CreateGroup", body).await;
        app.ok("AdminAddUserToGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": name})).await;
    }
    let ordered = json!(["admins", "editors", "readers", "beta"]);

    let t = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    let id = claims(t["IdToken"].as_str().unwrap());
    let at = claims(t["AccessToken"].as_str().unwrap());
    assert_eq!(id["cognito:groups"], ordered, "groups in precedence order, unset last");
    assert_eq!(at["cognito:groups"], ordered);
    assert_eq!(id["cognito:preferred_role"], role("Admin"), "the lowest precedence's role");
    let roles: BTreeSet<String> =
        id["cognito:roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap().to_string()).collect();
    assert_eq!(roles, [role("Admin"), role("Beta"), role("Editor")].into_iter().collect());
    assert!(at.get("cognito:roles").is_none() && at.get("cognito:preferred_role").is_none(), "ID token only");

    let b = tokens_via_browser(&app, &f).await;
    assert_eq!(claims(b["id_token"].as_str().unwrap())["cognito:groups"], ordered);
    assert_eq!(claims(b["access_token"].as_str().unwrap())["cognito:groups"], ordered);

    // Two groups at the same precedence with different roles: no preferred role.
    app.ok("CreateGroup", json!({"UserPoolId": f.pool, "GroupName": "ops", "Precedence": 1, "RoleArn": role("Ops")}))
        .await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": "ops"})).await;
    let id = claims(admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await["IdToken"].as_str().unwrap());
    assert!(id.get("cognito:preferred_role").is_none(), "tie with different roles: {id}");
    assert_eq!(id["cognito:roles"].as_array().unwrap().len(), 4);
    // The same role at the tie is still preferred.
    app.ok("UpdateGroup", json!({"UserPoolId": f.pool, "GroupName": "ops", "Precedence": 1, "RoleArn": role("Admin")}))
        .await;
    let id = claims(admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await["IdToken"].as_str().unwrap());
    assert_eq!(id["cognito:preferred_role"], role("Admin"));
    assert_eq!(id["cognito:roles"].as_array().unwrap().len(), 3, "roles are listed once: {id}");

    // Leaving and deleting groups shows in the next tokens, also on refresh.
    app.ok("AdminRemoveUserFromGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": "admins"})).await;
    for g in ["readers", "beta", "ops"] {
        app.ok("DeleteGroup", json!({"UserPoolId": f.pool, "GroupName": g})).await;
    }
    let r = app
        .http
        .post(app.url(&f.pool, "/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("client_id", f.client_id.as_str()),
            ("refresh_token", b["refresh_token"].as_str().unwrap()),
        ])
        .send()
        .await
        .unwrap();
    let refreshed: Value = r.json().await.unwrap();
    let id = claims(refreshed["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:groups"], json!(["editors"]));
    assert_eq!(id["cognito:preferred_role"], role("Editor"));
    app.ok("AdminRemoveUserFromGroup", json!({"UserPoolId": f.pool, "Username": "alice", "GroupName": "editors"}))
        .await;
    let t = admin_tokens(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    for tok in ["IdToken", "AccessToken"] {
        let c = claims(t[tok].as_str().unwrap());
        assert!(c.get("cognito:groups").is_none(), "no groups, no claim: {c}");
        assert!(c.get("cognito:roles").is_none() && c.get("cognito:preferred_role").is_none());
    }
}

#[tokio::test]
async fn client_read_attributes_limit_what_tokens_and_userinfo_reveal() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"Schema": [{"Name": "tier", "AttributeDataType": "String"}]})).await;
    let (limited, _) =
        app.create_client(&pool, false, json!({"ReadAttributes": ["email", "email_verified", "given_name"]})).await;
    let (open, _) = app.create_client(&pool, false, json!({})).await;
    app.create_user(
        &pool,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"},
               {"Name": "name", "Value": "Alice"}, {"Name": "given_name", "Value": "Al"},
               {"Name": "custom:tier", "Value": "gold"}]),
    )
    .await;

    let (verifier, challenge) = pkce();
    let flow = |client: &str| Flow {
        pool: pool.clone(),
        client_id: client.to_string(),
        secret: None,
        verifier: verifier.clone(),
        challenge: challenge.clone(),
    };
    let limited_flow = flow(&limited);
    let t = tokens_via_browser(&app, &limited_flow).await;
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["given_name"], "Al");
    for hidden in ["name", "custom:tier"] {
        assert!(id.get(hidden).is_none(), "{hidden} is not readable by this client: {id}");
    }
    assert_eq!(id["cognito:username"], "alice", "token claims are not attributes");
    let ui: Value = userinfo(&app, &pool, t["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(ui["email"], "alice@example.com");
    assert_eq!(ui["given_name"], "Al");
    assert!(ui.get("name").is_none() && ui.get("custom:tier").is_none(), "{ui}");
    assert_eq!(ui["sub"], id["sub"]);

    // API sign-in: the ID token and GetUser are limited the same way.
    let api = admin_tokens(&app, &pool, &limited, "alice", PASSWORD).await;
    let id = claims(api["IdToken"].as_str().unwrap());
    assert!(id.get("name").is_none() && id.get("custom:tier").is_none(), "{id}");
    assert_eq!(id["email"], "alice@example.com");
    let (status, me) = app.public_api("GetUser", json!({"AccessToken": api["AccessToken"]})).await;
    assert_eq!(status, 200, "{me}");
    let attrs = attr_map(&me["UserAttributes"]);
    assert!(attrs.contains_key("sub"), "GetUser always names the sub: {me}");
    assert!(!attrs.contains_key("name") && !attrs.contains_key("custom:tier"), "{me}");
    assert_eq!(attrs["email"], "alice@example.com");

    // A client without ReadAttributes reads everything.
    let t = tokens_via_browser(&app, &flow(&open)).await;
    let id = claims(t["id_token"].as_str().unwrap());
    assert_eq!(id["name"], "Alice");
    assert_eq!(id["custom:tier"], "gold");
    let ui: Value = userinfo(&app, &pool, t["access_token"].as_str().unwrap()).await.json().await.unwrap();
    assert_eq!(ui["name"], "Alice");
    let api = admin_tokens(&app, &pool, &open, "alice", PASSWORD).await;
    let (_, me) = app.public_api("GetUser", json!({"AccessToken": api["AccessToken"]})).await;
    assert_eq!(attr_map(&me["UserAttributes"])["custom:tier"], "gold");

    // Unknown attributes cannot be granted.
    let (_, e) = app
        .api(
            "CreateUserPoolClient",
            json!({"UserPoolId": pool, "ClientName": "bad", "ReadAttributes": ["custom:nope"]}),
        )
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
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
