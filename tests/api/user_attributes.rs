//! User attributes through the signed JSON API: required and custom attributes by the schema,
//! updates that unverify a changed email and guard aliases, email-as-username pools, and the
//! client's ReadAttributes limiting what tokens, userInfo and GetUser reveal.

use crate::helpers::*;
use serde_json::{Value, json};

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

    // (why, username, attributes, what the message must name)
    let refused = [
        ("a required attribute missing", "noemail", json!([{"Name": "name", "Value": "N"}]), Some("email")),
        (
            "a custom attribute without its prefix",
            "bare",
            json!([{"Name": "email", "Value": "b@x.io"}, {"Name": "tenant", "Value": "acme"}]),
            None,
        ),
        (
            "longer than MaxLength",
            "long",
            json!([{"Name": "email", "Value": "l@x.io"}, {"Name": "custom:tenant", "Value": "acme-corp"}]),
            Some("custom:tenant"),
        ),
        (
            "shorter than MinLength",
            "tiny",
            json!([{"Name": "email", "Value": "t@x.io"}, {"Name": "custom:tenant", "Value": "a"}]),
            None,
        ),
        (
            "above MaxValue",
            "seats",
            json!([{"Name": "email", "Value": "s@x.io"}, {"Name": "custom:seats", "Value": "101"}]),
            None,
        ),
        ("not an email address", "mail", json!([{"Name": "email", "Value": "not-an-email"}]), None),
        (
            "sub is not writable",
            "subby",
            json!([{"Name": "email", "Value": "s@x.io"}, {"Name": "sub", "Value": "mine"}]),
            None,
        ),
    ];
    let rows = refused.map(|(why, name, attrs, names)| (why, (name, attrs, names)));
    for_each_row(rows, async |(name, attrs, names)| {
        let (_, e) = create(name, attrs).await;
        assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
        if let Some(attribute) = names {
            assert!(err_message(&e).contains(attribute), "the message names {attribute}: {e}");
        }
    })
    .await;

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
    let refused = [
        ("immutable after creation", json!([{"Name": "custom:tenant", "Value": "evil"}])),
        ("a required attribute cannot be removed", json!([{"Name": "email", "Value": ""}])),
        (
            "longer than the 2048 characters of any attribute",
            json!([{"Name": "custom:plan", "Value": "x".repeat(2049)}]),
        ),
    ];
    for_each_row(refused, async |attrs| {
        let (_, e) = update(attrs).await;
        assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
    })
    .await;
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
        (err_type(&e), err_message(&e)),
        ("UsernameExistsException", "An account with the given email already exists.")
    );
    let (_, e) =
        app.api("AdminCreateUser", json!({"UserPoolId": pool, "Username": "erin", "MessageAction": "SUPPRESS"})).await;
    assert_eq!(err_type(&e), "InvalidParameterException", "{e}");
    // Lookups by the email work everywhere but the ListUsers username filter.
    assert_eq!(get_user(&app, &pool, "erin@example.com").await["Username"], u["User"]["Username"]);
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

#[tokio::test]
async fn custom_attributes_are_added_to_a_pool_later_and_never_twice() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"Schema": [{"Name": "tenant", "AttributeDataType": "String"}]})).await;
    let add = |attrs: Value| app.api("AddCustomAttributes", json!({"UserPoolId": pool, "CustomAttributes": attrs}));
    let (status, out) = add(json!([
        {"Name": "tier", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "5"}},
        {"Name": "seats", "AttributeDataType": "Number", "Mutable": false},
        {"Name": "email", "AttributeDataType": "String"},
    ]))
    .await;
    assert_eq!((status, out.clone()), (200, json!({})), "{out}");
    let schema = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"]["SchemaAttributes"].clone();
    let find = |name: &str| schema.as_array().unwrap().iter().find(|a| a["Name"] == name).cloned();
    assert_eq!(find("custom:tier").unwrap()["StringAttributeConstraints"]["MaxLength"], "5");
    assert_eq!(find("custom:seats").unwrap()["Mutable"], false);
    assert!(find("custom:email").is_some(), "a standard name is a custom one here");
    assert!(find("custom:tenant").is_some(), "the attributes before stay");

    // The new attributes take values under their constraints.
    app.create_user(&pool, "alice", PASSWORD, json!([{"Name": "custom:tier", "Value": "gold"}])).await;
    let (status, e) = app
        .api(
            "AdminUpdateUserAttributes",
            json!({"UserPoolId": pool, "Username": "alice", "UserAttributes": [{"Name": "custom:tier", "Value": "platinum"}]}),
        )
        .await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "longer than MaxLength 5: {e}");

    // All or none: a batch naming an existing attribute adds nothing.
    let (status, e) =
        add(json!([{"Name": "fresh", "AttributeDataType": "String"}, {"Name": "tier", "AttributeDataType": "String"}]))
            .await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"));
    assert_eq!(err_message(&e), "custom:tier: Existing attribute already has name custom:tier.", "{e}");
    let (status, e) = add(json!([{"Name": "vip", "AttributeDataType": "String", "Required": true}])).await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");
    let (status, e) = add(json!([{"Name": "untyped"}])).await;
    assert_eq!(
        (status, err_message(&e)),
        (400, "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."),
        "{e}"
    );
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");
    let after = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"]["SchemaAttributes"].clone();
    assert_eq!(after, schema, "nothing added by the refused calls");

    // At most 25 at a time, and 50 in a pool.
    let many = |from: usize, n: usize| {
        (from..from + n).map(|i| json!({"Name": format!("a{i}"), "AttributeDataType": "Number"})).collect::<Vec<_>>()
    };
    let (status, e) = add(json!(many(0, 26))).await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");
    assert_eq!(add(json!(many(0, 25))).await.0, 200);
    let (status, e) = add(json!(many(25, 25))).await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "4 + 25 + 25 is over 50: {e}");
    assert_eq!(add(json!(many(25, 21))).await.0, 200, "50 in all");

    let (status, e) = app
        .api("AddCustomAttributes", json!({"UserPoolId": "us-east-1_nothere", "CustomAttributes": [{"Name": "x"}]}))
        .await;
    assert_eq!((status, err_type(&e)), (400, "ResourceNotFoundException"));
}

#[tokio::test]
async fn bad_schemas_are_refused_with_cognitos_messages() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"Name": "email", "AttributeDataType": "Number"}),
            "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email",
        ),
        (
            json!({"Name": "email", "DeveloperOnlyAttribute": true}),
            "You can not change AttributeDataType or set developerOnlyAttribute for standard schema attribute email",
        ),
        (
            json!({"Name": "plan"}),
            "Invalid AttributeDataType input, consider using the provided AttributeDataType enum.",
        ),
        (
            json!({"Name": "email", "AttributeDataType": "String", "StringAttributeConstraints": {"MinLength": "x"}}),
            "Invalid StringAttributeConstraints for schema attribute email",
        ),
        (
            json!({"Name": "email", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "-1"}}),
            "Invalid StringAttributeConstraints for schema attribute email",
        ),
        (
            json!({"Name": "updated_at", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MinValue": "1.5"}}),
            "Invalid NumberAttributeConstraints for schema attribute updated_at",
        ),
        (
            json!({"Name": "email", "AttributeDataType": "String", "StringAttributeConstraints": {"MaxLength": "2049"}}),
            "user.email: String attributes cannot have a length of more than 2048",
        ),
        (
            json!({"Name": "email", "AttributeDataType": "String", "StringAttributeConstraints": {"MinLength": "2", "MaxLength": "1"}}),
            "user.email: Max length cannot be less than min length.",
        ),
        (
            json!({"Name": "updated_at", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MinValue": "2", "MaxValue": "1"}}),
            "user.updated_at: Max value cannot be less than min value.",
        ),
    ];
    for (attribute, message) in cases {
        let (status, e) = app.api("CreateUserPool", json!({"PoolName": "p", "Schema": [attribute]})).await;
        assert_eq!((status, err_type(&e), err_message(&e)), (400, "InvalidParameterException", message), "{attribute}");
    }
    let (_, pools) = app.api("ListUserPools", json!({"MaxResults": 60})).await;
    assert_eq!(pools["UserPools"], json!([]), "no pool was made");
    // What Cognito accepts: negative numbers, the largest length, constraints of the type only.
    let pool = app
        .create_pool(json!({"Schema": [
            {"Name": "score", "AttributeDataType": "Number", "NumberAttributeConstraints": {"MinValue": "-10", "MaxValue": "10"}},
            {"Name": "bio", "AttributeDataType": "String", "StringAttributeConstraints": {"MinLength": "0", "MaxLength": "2048"}},
        ]}))
        .await;
    let schema = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"]["SchemaAttributes"].clone();
    let score = schema.as_array().unwrap().iter().find(|a| a["Name"] == "custom:score").unwrap();
    assert_eq!(score["NumberAttributeConstraints"], json!({"MinValue": "-10", "MaxValue": "10"}));
}
