//! A user's own profile through the public API with an access token (ChangePassword, attribute
//! updates and verification, DeleteUserAttributes, DeleteUser, SetUserSettings,
//! GetUserAuthFactors) and the administrator's counterparts, with what each does to sign-in.

use crate::helpers::*;
use crate::smtp::spawn_with_mail;
use portcullis::events::{Category, EventFilter};
use serde_json::{Value, json};

/// A pool that auto-verifies e-mail, a public client, and alice signed in: (pool, client, token).
async fn signed_in(app: &TestApp, pool_extra: Value) -> (String, String, String) {
    let mut body = json!({"AutoVerifiedAttributes": ["email"]});
    merge(&mut body, pool_extra);
    let pool = app.create_pool(body).await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    app.create_user(
        &pool,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "True"}]),
    )
    .await;
    let t = admin_tokens(app, &pool, &client, "alice", PASSWORD).await;
    (pool, client, t["AccessToken"].as_str().unwrap().to_string())
}

async fn user_attrs(app: &TestApp, pool: &str, name: &str) -> serde_json::Map<String, Value> {
    attr_map(&get_user(app, pool, name).await["UserAttributes"])
}

#[tokio::test]
async fn change_password_needs_the_previous_one_and_the_policy_and_moves_sign_in_to_the_new_one() {
    let app = TestApp::spawn().await;
    let (pool, client, token) = signed_in(&app, json!({})).await;
    let change = |previous: &str, proposed: &str| {
        app.public_api(
            "ChangePassword",
            json!({"AccessToken": token, "PreviousPassword": previous, "ProposedPassword": proposed}),
        )
    };
    let (status, e) = change("Wrong-Horse-9", "Another-Horse-7").await;
    assert_eq!(
        (status, err_type(&e), err_message(&e)),
        (400, "NotAuthorizedException", "Incorrect username or password.")
    );
    let (_, e) = change(PASSWORD, "short").await;
    assert_eq!(err_type(&e), "InvalidPasswordException", "{e}");
    let (_, e) = app
        .public_api(
            "ChangePassword",
            json!({"AccessToken": "not.a.token", "PreviousPassword": PASSWORD, "ProposedPassword": "Another-Horse-7"}),
        )
        .await;
    assert_eq!(err_type(&e), "NotAuthorizedException");

    let (status, v) = change(PASSWORD, "Another-Horse-7").await;
    assert_eq!((status, v), (200, json!({})));
    // The change made the SRP verifier of the new password at once (before any password sign-in).
    let (srp_client, _) = app
        .create_client(&pool, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}))
        .await;
    let (status, v) = crate::srp::srp_sign_in(&app, &pool, &srp_client, "alice", "Another-Horse-7").await;
    assert_eq!(status, 200, "SRP with the new password: {v}");
    let (status, _) = crate::srp::srp_sign_in(&app, &pool, &srp_client, "alice", PASSWORD).await;
    assert_eq!(status, 400, "SRP with the old password");
    let (_, e) = admin_auth(&app, &pool, &client, "alice", PASSWORD).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "the old password no longer works");
    admin_tokens(&app, &pool, &client, "alice", "Another-Horse-7").await;

    let filter =
        EventFilter { pool_id: Some(pool.as_str().into()), category: Some(Category::Auth), ..EventFilter::default() };
    let events = app.services.events.list(&filter, 100, None).await.unwrap().events;
    let changes: Vec<&str> =
        events.iter().filter(|e| e.event_type == "PasswordChange").map(|e| e.outcome.as_str()).collect();
    assert!(changes.contains(&"Pass") && changes.contains(&"Fail"), "both changes recorded: {changes:?}");
}

#[tokio::test]
async fn wrong_previous_passwords_lock_like_sign_in() {
    let app = TestApp::spawn().await;
    let (_, _, token) = signed_in(&app, json!({})).await;
    let mut last = Value::Null;
    for _ in 0..6 {
        last = app
            .public_api(
                "ChangePassword",
                json!({"AccessToken": token, "PreviousPassword": "Wrong-Horse-9", "ProposedPassword": "Another-Horse-7"}),
            )
            .await
            .1;
    }
    // The fifth failure locks, so the sixth is refused whatever it says (or the hourly limit).
    let (_, e) = app
        .public_api(
            "ChangePassword",
            json!({"AccessToken": token, "PreviousPassword": PASSWORD, "ProposedPassword": "Another-Horse-7"}),
        )
        .await;
    assert!(
        matches!(err_type(&e), "NotAuthorizedException" | "LimitExceededException"),
        "the right password is refused while locked: {e} (last {last})"
    );
}

#[tokio::test]
async fn a_new_email_is_stored_unverified_and_a_code_verifies_it() {
    let (app, sink) = spawn_with_mail().await;
    let (pool, client, token) = signed_in(&app, json!({})).await;
    let (status, v) = app
        .public_api(
            "UpdateUserAttributes",
            json!({"AccessToken": token, "UserAttributes": [{"Name": "email", "Value": "new@example.com"}, {"Name": "name", "Value": "Al"}]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let list = v["CodeDeliveryDetailsList"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["AttributeName"], "email");
    assert_eq!(list[0]["DeliveryMedium"], "EMAIL");
    let a = user_attrs(&app, &pool, "alice").await;
    assert_eq!((a["email"].as_str(), a["email_verified"].as_str()), (Some("new@example.com"), Some("false")));
    assert_eq!(a["name"], "Al");

    let code = sink.nth_to("new@example.com", 0).await.code();
    let verify = |code: &str| {
        app.public_api("VerifyUserAttribute", json!({"AccessToken": token, "AttributeName": "email", "Code": code}))
    };
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (_, e) = verify(wrong).await;
    assert_eq!(err_type(&e), "CodeMismatchException");
    let (status, _) = verify(&code).await;
    assert_eq!(status, 200);
    assert_eq!(user_attrs(&app, &pool, "alice").await["email_verified"], "true");
    let (_, e) = verify(&code).await;
    assert_eq!(err_type(&e), "ExpiredCodeException", "a code works once");
    admin_tokens(&app, &pool, &client, "alice", PASSWORD).await;
}

#[tokio::test]
async fn with_verification_before_update_the_old_email_stays_until_the_new_one_is_verified() {
    let (app, sink) = spawn_with_mail().await;
    let extra = json!({"AliasAttributes": ["email"],
        "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]}});
    let (pool, client, token) = signed_in(&app, extra).await;
    let (status, v) = app
        .public_api(
            "UpdateUserAttributes",
            json!({"AccessToken": token, "UserAttributes": [{"Name": "email", "Value": "new@example.com"}]}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["CodeDeliveryDetailsList"][0]["AttributeName"], "email");
    let a = user_attrs(&app, &pool, "alice").await;
    assert_eq!((a["email"].as_str(), a["email_verified"].as_str()), (Some("alice@example.com"), Some("true")));
    admin_tokens(&app, &pool, &client, "alice@example.com", PASSWORD).await;

    sink.nth_to("new@example.com", 0).await;
    // Asking again sends a new code to the address still waiting, not to the old one.
    let (status, v) = app
        .public_api("GetUserAttributeVerificationCode", json!({"AccessToken": token, "AttributeName": "email"}))
        .await;
    assert_eq!(status, 200, "{v}");
    let code = sink.nth_to("new@example.com", 1).await.code();
    assert_eq!(sink.count_to("alice@example.com"), 0);
    let (status, e) = app
        .public_api("VerifyUserAttribute", json!({"AccessToken": token, "AttributeName": "email", "Code": code}))
        .await;
    assert_eq!(status, 200, "{e}");
    let a = user_attrs(&app, &pool, "alice").await;
    assert_eq!((a["email"].as_str(), a["email_verified"].as_str()), (Some("new@example.com"), Some("true")));
    admin_tokens(&app, &pool, &client, "new@example.com", PASSWORD).await;
    let (_, e) = admin_auth(&app, &pool, &client, "alice@example.com", PASSWORD).await;
    assert_eq!(err_type(&e), "UserNotFoundException", "the old address no longer signs in");
}

#[tokio::test]
async fn verification_codes_can_be_asked_for_and_wrong_ones_are_limited() {
    let (app, sink) = spawn_with_mail().await;
    let (pool, _, token) = signed_in(&app, json!({})).await;
    let (status, v) = app
        .public_api("GetUserAttributeVerificationCode", json!({"AccessToken": token, "AttributeName": "email"}))
        .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["CodeDeliveryDetails"]["AttributeName"], "email");
    let code = sink.nth_to("alice@example.com", 0).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (_, e) = app
            .public_api("VerifyUserAttribute", json!({"AccessToken": token, "AttributeName": "email", "Code": wrong}))
            .await;
        assert_eq!(err_type(&e), "CodeMismatchException");
    }
    let (_, e) = app
        .public_api("VerifyUserAttribute", json!({"AccessToken": token, "AttributeName": "email", "Code": code}))
        .await;
    assert_eq!(err_type(&e), "ExpiredCodeException", "a code dies after five wrong guesses");
    let (_, e) = app
        .public_api("GetUserAttributeVerificationCode", json!({"AccessToken": token, "AttributeName": "phone_number"}))
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    assert!(user_attrs(&app, &pool, "alice").await.contains_key("email"));
}

#[tokio::test]
async fn attribute_writes_follow_write_attributes_and_required_attributes_stay() {
    let app = TestApp::spawn().await;
    let pool = app
        .create_pool(
            json!({"Schema": [{"Name": "name", "AttributeDataType": "String", "Required": true, "Mutable": true},
                                       {"Name": "plan", "AttributeDataType": "String", "Mutable": true}]}),
        )
        .await;
    let (client, _) =
        app.create_client(&pool, false, json!({"WriteAttributes": ["name", "email", "custom:plan"]})).await;
    app.create_user(
        &pool,
        "bob",
        PASSWORD,
        json!([{"Name": "name", "Value": "Bob"}, {"Name": "custom:plan", "Value": "free"}, {"Name": "family_name", "Value": "B"}]),
    )
    .await;
    let token = admin_tokens(&app, &pool, &client, "bob", PASSWORD).await["AccessToken"].as_str().unwrap().to_string();
    let update =
        |attrs: Value| app.public_api("UpdateUserAttributes", json!({"AccessToken": token, "UserAttributes": attrs}));
    let (_, e) = update(json!([{"Name": "family_name", "Value": "C"}])).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "not in WriteAttributes: {e}");
    let (_, e) = update(json!([{"Name": "email_verified", "Value": "true"}])).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");
    let (status, v) = update(json!([{"Name": "custom:plan", "Value": "pro"}])).await;
    assert_eq!((status, &v["CodeDeliveryDetailsList"]), (200, &json!([])));

    let delete = |names: Value| {
        app.public_api("DeleteUserAttributes", json!({"AccessToken": token, "UserAttributeNames": names}))
    };
    let (_, e) = delete(json!(["name"])).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "required: {e}");
    let (_, e) = delete(json!(["family_name"])).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");
    let (status, _) = delete(json!(["custom:plan"])).await;
    assert_eq!(status, 200);
    let a = user_attrs(&app, &pool, "bob").await;
    assert!(!a.contains_key("custom:plan") && a["name"] == "Bob");

    // The administrator may delete what the client may not, but never a required attribute.
    let admin_delete = |names: Value| {
        app.api(
            "AdminDeleteUserAttributes",
            json!({"UserPoolId": pool, "Username": "bob", "UserAttributeNames": names}),
        )
    };
    let (_, e) = admin_delete(json!(["name"])).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (_, e) = admin_delete(json!(["nonesuch"])).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (status, _) = admin_delete(json!(["family_name"])).await;
    assert_eq!(status, 200);
    assert!(!user_attrs(&app, &pool, "bob").await.contains_key("family_name"));
    let (_, e) = app
        .api(
            "AdminDeleteUserAttributes",
            json!({"UserPoolId": pool, "Username": "nobody", "UserAttributeNames": ["family_name"]}),
        )
        .await;
    assert_eq!(err_type(&e), "UserNotFoundException");
}

#[tokio::test]
async fn a_deleted_user_and_their_tokens_are_gone() {
    let app = TestApp::spawn().await;
    let (pool, client, token) = signed_in(&app, json!({})).await;
    let refresh =
        admin_tokens(&app, &pool, &client, "alice", PASSWORD).await["RefreshToken"].as_str().unwrap().to_string();
    let (status, _) = app.public_api("DeleteUser", json!({"AccessToken": token})).await;
    assert_eq!(status, 200);
    let (_, e) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client, "AuthParameters": {"REFRESH_TOKEN": refresh}}),
        )
        .await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "the refresh token is gone too: {e}");
    let (_, e) = app.public_api("GetUser", json!({"AccessToken": token})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    let (_, e) = admin_auth(&app, &pool, &client, "alice", PASSWORD).await;
    assert_eq!(err_type(&e), "UserNotFoundException");
    let (_, e) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(err_type(&e), "UserNotFoundException");
}

#[tokio::test]
async fn user_settings_and_auth_factors() {
    let app = TestApp::spawn().await;
    let (pool, _, token) =
        signed_in(&app, json!({"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}))
            .await;
    let (status, _) = app.public_api("SetUserSettings", json!({"AccessToken": token, "MFAOptions": []})).await;
    assert_eq!(status, 200);
    let sms = json!([{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]);
    let (_, e) = app.public_api("SetUserSettings", json!({"AccessToken": token, "MFAOptions": sms})).await;
    assert_eq!(
        (err_type(&e), err_message(&e)),
        ("InvalidParameterException", "User does not have delivery config set to turn on SMS_MFA")
    );
    let (_, e) = app
        .api("AdminSetUserSettings", json!({"UserPoolId": pool, "Username": "alice", "MFAOptions": [{"DeliveryMedium": "EMAIL", "AttributeName": "email"}]}))
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (status, _) =
        app.api("AdminSetUserSettings", json!({"UserPoolId": pool, "Username": "alice", "MFAOptions": []})).await;
    assert_eq!(status, 200);

    let (status, v) = app.public_api("GetUserAuthFactors", json!({"AccessToken": token})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["Username"], "alice");
    assert_eq!(v["ConfiguredUserAuthFactors"], json!(["PASSWORD", "EMAIL_OTP"]));
    let v = app.ok("AdminGetUserAuthFactors", json!({"UserPoolId": pool, "Username": "alice"})).await;
    assert_eq!(v["ConfiguredUserAuthFactors"], json!(["PASSWORD", "EMAIL_OTP"]));
    let (_, e) = app.api("AdminGetUserAuthFactors", json!({"UserPoolId": pool, "Username": "nobody"})).await;
    assert_eq!(err_type(&e), "UserNotFoundException");
}

#[tokio::test]
async fn fidelity_booleans_group_pages_totp_without_token_and_filter_errors() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"AliasAttributes": ["email"]})).await;
    let u = app
        .ok(
            "AdminCreateUser",
            json!({"UserPoolId": pool, "Username": "carl", "MessageAction": "SUPPRESS",
                   "UserAttributes": [{"Name": "email", "Value": "carl@example.com"}, {"Name": "email_verified", "Value": "True"}]}),
        )
        .await;
    assert_eq!(attr_map(&u["User"]["Attributes"])["email_verified"], "true");
    let (_, e) = app
        .api("AdminUpdateUserAttributes", json!({"UserPoolId": pool, "Username": "carl", "UserAttributes": [{"Name": "email_verified", "Value": "FALSE"}]}))
        .await;
    assert_eq!(e, json!({}));
    assert_eq!(user_attrs(&app, &pool, "carl").await["email_verified"], "false");

    for g in ["g1", "g2", "g3"] {
        app.ok("CreateGroup", json!({"UserPoolId": pool, "GroupName": g})).await;
        app.ok("AdminAddUserToGroup", json!({"UserPoolId": pool, "Username": "carl", "GroupName": g})).await;
    }
    let page = |token: Option<&str>| {
        let mut body = json!({"UserPoolId": pool, "Username": "carl", "Limit": 2});
        if let Some(t) = token {
            body["NextToken"] = json!(t);
        }
        app.ok("AdminListGroupsForUser", body)
    };
    let first = page(None).await;
    assert_eq!(first["Groups"].as_array().unwrap().len(), 2);
    let next = first["NextToken"].as_str().expect("a next page").to_string();
    let second = page(Some(&next)).await;
    assert_eq!(second["Groups"].as_array().unwrap().len(), 1);
    assert!(second.get("NextToken").is_none());

    let (_, e) = app
        .api(
            "AdminSetUserMFAPreference",
            json!({"UserPoolId": pool, "Username": "carl", "SoftwareTokenMfaSettings": {"Enabled": true}}),
        )
        .await;
    assert_eq!(
        (err_type(&e), err_message(&e)),
        ("InvalidParameterException", "User does not have delivery config set to turn on SOFTWARE_TOKEN_MFA")
    );
    let (_, e) = app.api("ListUsers", json!({"UserPoolId": pool, "Filter": "email = carl"})).await;
    assert_eq!((err_type(&e), err_message(&e)), ("InvalidParameterException", "Error while parsing filter."));
}

#[tokio::test]
async fn admin_profile_changes_are_audited() {
    let app = TestApp::spawn().await;
    let (pool, _, _) = signed_in(&app, json!({})).await;
    app.ok("AdminSetUserSettings", json!({"UserPoolId": pool, "Username": "alice", "MFAOptions": []})).await;
    app.ok(
        "AdminDeleteUserAttributes",
        json!({"UserPoolId": pool, "Username": "alice", "UserAttributeNames": ["email_verified"]}),
    )
    .await;
    app.ok("AdminGetUserAuthFactors", json!({"UserPoolId": pool, "Username": "alice"})).await;
    let (client, _) = app.create_client(&pool, true, json!({})).await;
    let given = "given0secret0value0abcdef123";
    app.ok("AddUserPoolClientSecret", json!({"UserPoolId": pool, "ClientId": client, "ClientSecret": given})).await;
    let filter =
        EventFilter { pool_id: Some(pool.as_str().into()), category: Some(Category::Audit), ..EventFilter::default() };
    let events = app.services.events.list(&filter, 100, None).await.unwrap().events;
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert!(types.contains(&"AdminSetUserSettings") && types.contains(&"AdminDeleteUserAttributes"), "{types:?}");
    assert!(!types.contains(&"AdminGetUserAuthFactors"), "reads are not audited");
    let added = events.iter().find(|e| e.event_type == "AddUserPoolClientSecret").expect("secret rotation audited");
    assert!(!added.details.as_deref().unwrap_or_default().contains(given), "never the secret: {:?}", added.details);
}

/// InitiateAuth with USER_PASSWORD_AUTH and a SECRET_HASH made with `secret`.
async fn sign_in_with_secret(app: &TestApp, client: &str, secret: &str) -> (u16, Value) {
    let hash = portcullis::userpool::clients::secret_hash(secret, "alice", client);
    app.public_api(
        "InitiateAuth",
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client,
               "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": hash}}),
    )
    .await
}

/// The token endpoint's refresh grant with `client_secret_post`: its status.
async fn refresh_at_token_endpoint(app: &TestApp, pool: &str, client: &str, secret: &str, refresh: &str) -> u16 {
    let form =
        [("grant_type", "refresh_token"), ("client_id", client), ("client_secret", secret), ("refresh_token", refresh)];
    app.http.post(app.url(pool, "/oauth2/token")).form(&form).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_rotated_client_secret_and_the_old_one_both_work_until_one_is_deleted() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, first) = app.create_client(&pool, true, json!({})).await;
    let first = first.unwrap();
    app.create_user(&pool, "alice", PASSWORD, json!([])).await;
    let ids = |v: &Value| -> Vec<String> {
        v["ClientSecrets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["ClientSecretId"].as_str().unwrap().to_string())
            .collect()
    };
    let listed = app.ok("ListUserPoolClientSecrets", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(ids(&listed).len(), 1);
    assert!(listed["ClientSecrets"][0].get("ClientSecretValue").is_none(), "values are never listed");
    let first_id = ids(&listed)[0].clone();

    let added = app.ok("AddUserPoolClientSecret", json!({"UserPoolId": pool, "ClientId": client})).await;
    let d = &added["ClientSecretDescriptor"];
    let second = d["ClientSecretValue"].as_str().expect("the new secret is shown once").to_string();
    let second_id = d["ClientSecretId"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    let listed = app.ok("ListUserPoolClientSecrets", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(ids(&listed), [first_id.clone(), second_id.clone()]);
    let (_, e) = app
        .api("AddUserPoolClientSecret", json!({"UserPoolId": pool, "ClientId": client, "ClientSecret": "x".repeat(30)}))
        .await;
    assert_eq!(err_type(&e), "LimitExceededException", "two at most: {e}");

    // Both secrets work for SECRET_HASH and at the token endpoint.
    let (status, v) = sign_in_with_secret(&app, &client, &first).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = sign_in_with_secret(&app, &client, &second).await;
    assert_eq!(status, 200, "{v}");
    let refresh = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    assert_eq!(refresh_at_token_endpoint(&app, &pool, &client, &first, &refresh).await, 200);
    assert_eq!(refresh_at_token_endpoint(&app, &pool, &client, &second, &refresh).await, 200);
    assert_ne!(refresh_at_token_endpoint(&app, &pool, &client, &"w".repeat(40), &refresh).await, 200);

    // The first secret goes: only the second works, and it cannot go too.
    let delete = |id: &str| {
        app.api("DeleteUserPoolClientSecret", json!({"UserPoolId": pool, "ClientId": client, "ClientSecretId": id}))
    };
    let (_, e) = delete("nonesuch").await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
    let (status, _) = delete(&first_id).await;
    assert_eq!(status, 200);
    let (_, e) = sign_in_with_secret(&app, &client, &first).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    assert_ne!(refresh_at_token_endpoint(&app, &pool, &client, &first, &refresh).await, 200);
    let (status, _) = sign_in_with_secret(&app, &client, &second).await;
    assert_eq!(status, 200);
    assert_eq!(refresh_at_token_endpoint(&app, &pool, &client, &second, &refresh).await, 200);
    let (_, e) = delete(&second_id).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "the last secret stays: {e}");
    let d = app.ok("DescribeUserPoolClient", json!({"UserPoolId": pool, "ClientId": client})).await;
    assert_eq!(d["UserPoolClient"]["ClientSecret"], json!(second), "the remaining secret is the client's");

    let (public, _) = app.create_client(&pool, false, json!({})).await;
    let (_, e) = app.api("AddUserPoolClientSecret", json!({"UserPoolId": pool, "ClientId": public})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (_, e) = app.api("ListUserPoolClientSecrets", json!({"UserPoolId": pool, "ClientId": "nonesuch"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

/// One DER element at the start of `der`: (its whole bytes, its content, the rest).
fn der_element(der: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let (len, head) = match der[1] {
        n if n < 0x80 => (n as usize, 2),
        n => {
            let k = (n & 0x7f) as usize;
            (der[2..2 + k].iter().fold(0usize, |a, b| a << 8 | *b as usize), 2 + k)
        }
    };
    (&der[..head + len], &der[head..head + len], &der[head + len..])
}

#[tokio::test]
async fn the_signing_certificate_is_an_x509_certificate_signed_by_the_pool_key() {
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let v = app.ok("GetSigningCertificate", json!({"UserPoolId": pool})).await;
    let b64 = v["Certificate"].as_str().unwrap();
    assert!(!b64.contains("BEGIN"), "base64 without PEM armour");
    let der = STANDARD.decode(b64).unwrap();
    let again = app.ok("GetSigningCertificate", json!({"UserPoolId": pool})).await;
    assert_eq!(again["Certificate"], v["Certificate"], "the same key gives the same certificate");

    // Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
    let (_, body, rest) = der_element(&der);
    assert!(rest.is_empty() && der[0] == 0x30);
    let (tbs, _, rest) = der_element(body);
    let (_, _, rest) = der_element(rest);
    let (_, bits, _) = der_element(rest);
    let signature = &bits[1..];
    assert!(tbs.windows(pool.len()).any(|w| w == pool.as_bytes()), "the subject names the pool");

    let keys = app.http.get(app.url(&pool, "/.well-known/jwks.json")).send().await.unwrap();
    let keys: Value = keys.json().await.unwrap();
    let verified = keys["keys"].as_array().unwrap().iter().any(|k| {
        let n = URL_SAFE_NO_PAD.decode(k["n"].as_str().unwrap()).unwrap();
        let e = URL_SAFE_NO_PAD.decode(k["e"].as_str().unwrap()).unwrap();
        let key = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e };
        key.verify(&aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256, tbs, signature).is_ok()
    });
    assert!(verified, "signed by one of the pool's published keys");
    let (_, e) = app.api("GetSigningCertificate", json!({"UserPoolId": "local_nonesuch"})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn a_domain_gets_a_new_login_version_and_certificate() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    app.ok("CreateUserPoolDomain", json!({"UserPoolId": pool, "Domain": "myprefix"})).await;
    let v = app
        .ok("UpdateUserPoolDomain", json!({"UserPoolId": pool, "Domain": "myprefix", "ManagedLoginVersion": 2}))
        .await;
    assert_eq!(v["ManagedLoginVersion"], 2);
    let d = app.ok("DescribeUserPoolDomain", json!({"Domain": "myprefix"})).await;
    assert_eq!(d["DomainDescription"]["ManagedLoginVersion"], 2);
    let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
    let (_, e) = app
        .api(
            "UpdateUserPoolDomain",
            json!({"UserPoolId": pool, "Domain": "myprefix", "CustomDomainConfig": {"CertificateArn": arn}}),
        )
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException", "a prefix domain has no certificate");
    let (_, e) = app
        .api("UpdateUserPoolDomain", json!({"UserPoolId": pool, "Domain": "myprefix", "ManagedLoginVersion": 3}))
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (_, e) =
        app.api("UpdateUserPoolDomain", json!({"UserPoolId": pool, "Domain": "other", "ManagedLoginVersion": 2})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");

    app.ok(
        "CreateUserPoolDomain",
        json!({"UserPoolId": pool, "Domain": "auth.example.com", "CustomDomainConfig": {"CertificateArn": arn}}),
    )
    .await;
    let new_arn = "arn:aws:acm:us-east-1:123456789012:certificate/def";
    let v = app
        .ok(
            "UpdateUserPoolDomain",
            json!({"UserPoolId": pool, "Domain": "auth.example.com", "CustomDomainConfig": {"CertificateArn": new_arn}}),
        )
        .await;
    assert_eq!(v["CloudFrontDomain"], "auth.example.com");
    let d = app.ok("DescribeUserPoolDomain", json!({"Domain": "auth.example.com"})).await;
    assert_eq!(d["DomainDescription"]["CustomDomainConfig"]["CertificateArn"], new_arn);
    assert_eq!(d["DomainDescription"]["ManagedLoginVersion"], 1, "unchanged when not given");
}

/// Operations `tests/boto3/profile.py` must complete.
const BOTO3_OPERATIONS: &[&str] = &[
    "ChangePassword",
    "UpdateUserAttributes",
    "GetUserAttributeVerificationCode",
    "DeleteUserAttributes",
    "AdminDeleteUserAttributes",
    "SetUserSettings",
    "AdminSetUserSettings",
    "GetUserAuthFactors",
    // AdminGetUserAuthFactors too where botocore's model has it (not in every release).
    "GetSigningCertificate",
    "UpdateUserPoolDomain",
    "AddUserPoolClientSecret",
    "ListUserPoolClientSecrets",
    "DeleteUserPoolClientSecret",
    "DeleteUser",
];

#[tokio::test]
async fn boto3_drives_the_profile_actions() {
    let app = TestApp::spawn().await;
    let (ok, stdout, stderr) = crate::aws_sdk::run_script("profile.py", &app.base, &[]).await;
    assert!(ok, "boto3 script failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or_default();
    let summary: Value = serde_json::from_str(last).unwrap_or_else(|e| panic!("no JSON summary ({e}):\n{stdout}"));
    let done: Vec<&str> = summary["operations"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    let missing: Vec<&&str> = BOTO3_OPERATIONS.iter().filter(|op| !done.contains(op)).collect();
    assert!(missing.is_empty(), "operations boto3 never completed: {missing:?}\n{summary}");
    for (op, code) in [
        ("ChangePassword", "NotAuthorizedException"),
        ("ChangePassword", "InvalidPasswordException"),
        ("VerifyUserAttribute", "CodeMismatchException"),
        ("SetUserSettings", "InvalidParameterException"),
        ("AddUserPoolClientSecret", "LimitExceededException"),
        ("AdminDeleteUserAttributes", "UserNotFoundException"),
    ] {
        let raised = summary["errors"][op].as_array().is_some_and(|c| c.iter().any(|c| c == code));
        assert!(raised, "boto3 never saw {code} from {op}\n{summary}");
    }
}
