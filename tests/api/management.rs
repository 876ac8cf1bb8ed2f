//! The Cognito management API through the real HTTP surface.

use crate::helpers::*;
use serde_json::{Value, json};
use std::time::{Duration, SystemTime};

#[tokio::test]
async fn pool_lifecycle_with_defaults_and_validation() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"Policies": {"PasswordPolicy": {"MinimumLength": 10}}})).await;
    let (region, rest) = pool.split_once('_').unwrap();
    assert_eq!(region, "local");
    assert_eq!(rest.len(), 9);
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    let p = &d["UserPool"];
    assert_eq!(p["Arn"], format!("arn:aws:cognito-idp:local:000000000000:userpool/{pool}"));
    assert_eq!(p["Policies"]["PasswordPolicy"]["MinimumLength"], 10);
    assert_eq!(p["Policies"]["PasswordPolicy"]["RequireSymbols"], true);
    assert_eq!(p["MfaConfiguration"], "OFF");
    assert_eq!(p["EstimatedNumberOfUsers"], 0);
    assert!(p["SchemaAttributes"].as_array().unwrap().iter().any(|a| a["Name"] == "email"));

    let (status, err) = app.api("DescribeUserPool", json!({"UserPoolId": "local_doesnotexist1"})).await;
    assert_eq!((status, err["__type"].as_str()), (400, Some("ResourceNotFoundException")));
    let (status, err) =
        app.api("CreateUserPool", json!({"PoolName": "x", "Policies": {"PasswordPolicy": {"MinimumLength": 3}}})).await;
    assert_eq!(status, 400);
    assert_eq!(err["__type"], "InvalidParameterException");
    assert!(err["message"].as_str().unwrap().contains("policies.passwordPolicy.minimumLength"), "{err}");

    let list = app.ok("ListUserPools", json!({"MaxResults": 10})).await;
    assert_eq!(list["UserPools"].as_array().unwrap().len(), 1);
    app.ok("UpdateUserPool", json!({"UserPoolId": pool, "DeletionProtection": "ACTIVE"})).await;
    let (_, err) = app.api("DeleteUserPool", json!({"UserPoolId": pool})).await;
    assert_eq!(err["__type"], "InvalidParameterException");
    app.ok("UpdateUserPool", json!({"UserPoolId": pool})).await;
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    assert_eq!(
        d["UserPool"]["Policies"]["PasswordPolicy"]["MinimumLength"], 8,
        "unspecified settings return to defaults"
    );
    app.ok("DeleteUserPool", json!({"UserPoolId": pool})).await;
    let (_, err) = app.api("DescribeUserPool", json!({"UserPoolId": pool})).await;
    assert_eq!(err["__type"], "ResourceNotFoundException");
}

#[tokio::test]
async fn sigv4_is_required_and_checked() {
    let app = TestApp::spawn().await;
    let (status, err) = app.public_api("ListUserPools", json!({"MaxResults": 1})).await;
    assert_eq!((status, err["__type"].as_str()), (403, Some("MissingAuthenticationTokenException")));
    let (status, err) =
        app.api_signed("ListUserPools", json!({"MaxResults": 1}), ACCESS_KEY, "wrong-secret", SystemTime::now()).await;
    assert_eq!((status, err["__type"].as_str()), (400, Some("InvalidSignatureException")));
    let (_, err) = app
        .api_signed("ListUserPools", json!({"MaxResults": 1}), "AKIAUNKNOWN000000000", SECRET_KEY, SystemTime::now())
        .await;
    assert_eq!(err["__type"], "UnrecognizedClientException");
    let old = SystemTime::now() - Duration::from_secs(16 * 60);
    let (status, err) = app.api_signed("ListUserPools", json!({"MaxResults": 1}), ACCESS_KEY, SECRET_KEY, old).await;
    assert_eq!((status, err["__type"].as_str()), (400, Some("InvalidSignatureException")));
    assert!(err["message"].as_str().unwrap().contains("Signature expired"), "{err}");
    let ok = SystemTime::now() - Duration::from_secs(14 * 60);
    let (status, _) = app.api_signed("ListUserPools", json!({"MaxResults": 1}), ACCESS_KEY, SECRET_KEY, ok).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn malformed_requests_get_the_protocol_error_format() {
    let app = TestApp::spawn().await;
    let post = |target: &'static str, ct: &'static str, body: Vec<u8>| {
        app.http
            .post(format!("{}/", app.base))
            .header("x-amz-target", target)
            .header("content-type", ct)
            .body(body)
            .send()
    };
    for (target, ct, body, ty) in [
        (
            "AWSCognitoIdentityProviderService.InitiateAuth",
            "application/x-amz-json-1.1",
            b"{not json".to_vec(),
            "SerializationException",
        ),
        (
            "AWSCognitoIdentityProviderService.InitiateAuth",
            "application/x-amz-json-1.1",
            vec![0xff, 0xfe],
            "SerializationException",
        ),
        (
            "AWSCognitoIdentityProviderService.NoSuchAction",
            "application/x-amz-json-1.1",
            b"{}".to_vec(),
            "UnknownOperationException",
        ),
        ("AWSCognitoIdentityProviderService.InitiateAuth", "text/plain", b"{}".to_vec(), "SerializationException"),
        (
            "AWSCognitoIdentityProviderService.InitiateAuth",
            "application/x-amz-json-1.1",
            b"[]".to_vec(),
            "SerializationException",
        ),
    ] {
        let r = post(target, ct, body).await.unwrap();
        assert_eq!(r.status(), 400);
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["__type"], ty, "{v}");
    }
    let big = vec![b'a'; 2 * 1024 * 1024];
    let r = post("AWSCognitoIdentityProviderService.InitiateAuth", "application/x-amz-json-1.1", big).await.unwrap();
    assert_eq!(r.status(), 413);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["__type"], "SerializationException");
    // Huge headers are refused by the HTTP layer, not by a crash.
    let r = app
        .http
        .post(format!("{}/", app.base))
        .header("x-amz-target", "AWSCognitoIdentityProviderService.InitiateAuth")
        .header("x-padding", "a".repeat(64 * 1024))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    let ready = app.http.get(format!("{}/health/ready", app.base)).send().await.unwrap();
    assert_eq!(ready.status(), 200, "the server still answers");
}

#[tokio::test]
async fn clients_follow_cognito_rules() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (id, secret) = app.create_client(&pool, true, json!({})).await;
    assert_eq!(id.len(), 26);
    assert!(secret.unwrap().len() >= 40);
    let d = app.ok("DescribeUserPoolClient", json!({"UserPoolId": pool, "ClientId": id})).await;
    let c = &d["UserPoolClient"];
    assert_eq!(c["RefreshTokenValidity"], 30);
    assert_eq!(c["EnableTokenRevocation"], true);
    assert_eq!(c["TokenValidityUnits"]["AccessToken"], "hours");

    let bad = |extra: serde_json::Value| {
        let mut body = json!({"UserPoolId": pool, "ClientName": "c"});
        merge(&mut body, extra);
        app.api("CreateUserPoolClient", body)
    };
    let (_, e) = bad(json!({"CallbackURLs": ["http://evil.example/cb"]})).await;
    assert_eq!(e["__type"], "InvalidParameterException");
    let (_, e) = bad(json!({"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["openid"], "AllowedOAuthFlowsUserPoolClient": true, "GenerateSecret": true})).await;
    assert_eq!(e["__type"], "InvalidOAuthFlowException");
    let (_, e) = bad(json!({"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["api/read"], "AllowedOAuthFlowsUserPoolClient": true, "GenerateSecret": true})).await;
    assert_eq!(e["__type"], "ScopeDoesNotExistException");
    let (_, e) = bad(json!({"AccessTokenValidity": 2, "TokenValidityUnits": {"AccessToken": "days"}})).await;
    assert_eq!(e["__type"], "InvalidParameterException");

    let list = app.ok("ListUserPoolClients", json!({"UserPoolId": pool, "MaxResults": 10})).await;
    assert_eq!(list["UserPoolClients"].as_array().unwrap().len(), 1);
    app.ok("DeleteUserPoolClient", json!({"UserPoolId": pool, "ClientId": id})).await;
    let (_, e) = app.api("DescribeUserPoolClient", json!({"UserPoolId": pool, "ClientId": id})).await;
    assert_eq!(e["__type"], "ResourceNotFoundException");
}

#[tokio::test]
async fn every_action_rejects_junk_input_without_a_server_error() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let actions = [
        "CreateUserPool",
        "DescribeUserPool",
        "ListUserPools",
        "UpdateUserPool",
        "DeleteUserPool",
        "CreateUserPoolClient",
        "DescribeUserPoolClient",
        "ListUserPoolClients",
        "UpdateUserPoolClient",
        "DeleteUserPoolClient",
        "CreateUserPoolDomain",
        "DescribeUserPoolDomain",
        "DeleteUserPoolDomain",
        "CreateResourceServer",
        "DescribeResourceServer",
        "UpdateResourceServer",
        "ListResourceServers",
        "DeleteResourceServer",
        "AdminCreateUser",
        "AdminGetUser",
        "AdminDeleteUser",
        "AdminSetUserPassword",
        "AdminUpdateUserAttributes",
        "AdminDisableUser",
        "AdminEnableUser",
        "ListUsers",
        "CreateGroup",
        "GetGroup",
        "UpdateGroup",
        "ListGroups",
        "DeleteGroup",
        "AdminAddUserToGroup",
        "AdminRemoveUserFromGroup",
        "AdminListGroupsForUser",
        "ListUsersInGroup",
        "InitiateAuth",
        "AdminInitiateAuth",
        "RespondToAuthChallenge",
        "AdminRespondToAuthChallenge",
        "RevokeToken",
        "GetUser",
    ];
    let bodies = [
        json!({}),
        json!({"UserPoolId": 7, "Username": [], "ClientId": {}}),
        json!({"UserPoolId": pool, "Username": "nobody", "ClientId": "nope", "GroupName": "g", "Identifier": "x",
               "Domain": "nodomain", "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "x"},
               "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": "s".repeat(30), "Token": "t", "AccessToken": "a.b.c",
               "PoolName": "p", "ClientName": "c", "Name": "n", "Password": "x", "UserAttributes": [{"Name": "nope", "Value": "1"}],
               "MaxResults": 5, "Filter": "email = ", "PaginationToken": "bogus", "NextToken": "zz"}),
    ];
    for action in actions {
        for body in &bodies {
            let (status, v) = app.api(action, body.clone()).await;
            assert!((200..500).contains(&status), "{action} with {body} answered {status}: {v}");
            if status != 200 {
                assert!(v["__type"].is_string(), "{action}: {v}");
            }
        }
    }
}

#[tokio::test]
async fn domains_are_prefixes_or_custom_names() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let cert = json!({"CertificateArn": "arn:aws:acm:us-east-1:000000000000:certificate/abc"});
    let create = |domain: &str, custom: bool| {
        let mut body = json!({"UserPoolId": pool, "Domain": domain});
        if custom {
            body["CustomDomainConfig"] = cert.clone();
        }
        app.api("CreateUserPoolDomain", body)
    };
    // The model's pattern is one label; a custom domain is a full name made of such labels.
    let too_long = format!("{}com", "a.".repeat(126));
    for bad in ["-app", "a..b", "auth.example.com.", "a_b", &"a".repeat(64), &too_long] {
        let (status, e) = app.api("DescribeUserPoolDomain", json!({"Domain": bad})).await;
        assert_eq!((status, e["__type"].as_str()), (400, Some("InvalidParameterException")), "{bad}: {e}");
    }
    let (_, e) = create("auth.example.com", false).await;
    assert_eq!(e["__type"], "InvalidParameterException", "a dotted prefix: {e}");
    let (_, e) = create("myprefix", true).await;
    assert_eq!(e["__type"], "InvalidParameterException", "a custom domain without dots: {e}");

    let made = app
        .ok(
            "CreateUserPoolDomain",
            json!({"UserPoolId": pool, "Domain": "auth.example.com", "CustomDomainConfig": cert}),
        )
        .await;
    assert_eq!(made["CloudFrontDomain"], "auth.example.com");
    let d = app.ok("DescribeUserPoolDomain", json!({"Domain": "Auth.Example.COM"})).await;
    assert_eq!(d["DomainDescription"]["UserPoolId"], pool.as_str());
    assert_eq!(d["DomainDescription"]["CustomDomainConfig"], cert);
    let (status, _) = create("myprefix", false).await;
    assert_eq!(status, 200, "a pool has a prefix besides its custom domain");
    let p = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    assert_eq!(
        (p["UserPool"]["Domain"].as_str(), p["UserPool"]["CustomDomain"].as_str()),
        (Some("myprefix"), Some("auth.example.com"))
    );
}

#[tokio::test]
async fn pools_describe_the_legacy_verification_messages_with_cognitos_defaults() {
    let app = TestApp::spawn().await;
    let (status, created) = app.api("CreateUserPool", json!({"PoolName": "p"})).await;
    assert_eq!(status, 200, "{created}");
    let p = &created["UserPool"];
    assert_eq!(p["SmsVerificationMessage"], "Your verification code is {####}. ");
    assert_eq!(p["EmailVerificationMessage"], "Your verification code is {####}. ");
    assert_eq!(p["EmailVerificationSubject"], "Your verification code");
    let pool = app
        .create_pool(json!({"VerificationMessageTemplate": {"EmailMessage": "Code {####}", "EmailSubject": "Hi"},
                            "SmsVerificationMessage": "SMS {####}"}))
        .await;
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"].clone();
    assert_eq!(
        (&d["EmailVerificationMessage"], &d["EmailVerificationSubject"], &d["SmsVerificationMessage"]),
        (&json!("Code {####}"), &json!("Hi"), &json!("SMS {####}"))
    );
}

#[tokio::test]
async fn clients_naming_attributes_the_pool_lacks_are_refused_in_cognitos_words() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let create = |extra: serde_json::Value| {
        let mut body = json!({"UserPoolId": pool, "ClientName": "c"});
        merge(&mut body, extra);
        app.api("CreateUserPoolClient", body)
    };
    let (status, e) = create(json!({"ReadAttributes": ["email", "custom:nope"]})).await;
    assert_eq!((status, err_message(&e)), (400, "Invalid read attributes specified while creating a client"), "{e}");
    let (status, e) = create(json!({"WriteAttributes": ["nickname", "shoe_size"]})).await;
    assert_eq!((status, err_message(&e)), (400, "Invalid write attributes specified while creating a client"), "{e}");
    let (client, _) = app.create_client(&pool, false, json!({"ReadAttributes": ["email", "email_verified"]})).await;
    let (status, e) = app
        .api(
            "UpdateUserPoolClient",
            json!({"UserPoolId": pool, "ClientId": client, "WriteAttributes": ["custom:nope"]}),
        )
        .await;
    assert_eq!((status, err_message(&e)), (400, "Invalid write attributes specified while updating a client"), "{e}");
}

#[tokio::test]
async fn a_pools_tags_are_read_added_and_removed_by_its_arn_under_the_tag_rules() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"UserPoolTags": {"team": "core"}})).await;
    let arn =
        app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await["UserPool"]["Arn"].as_str().unwrap().to_string();
    assert_eq!(app.ok("ListTagsForResource", json!({"ResourceArn": arn})).await["Tags"], json!({"team": "core"}));

    app.ok("TagResource", json!({"ResourceArn": arn, "Tags": {"cost": "42", "team": "identity"}})).await;
    app.ok("UntagResource", json!({"ResourceArn": arn, "TagKeys": ["cost", "absent"]})).await;
    assert_eq!(app.ok("ListTagsForResource", json!({"ResourceArn": arn})).await["Tags"], json!({"team": "identity"}));
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    assert_eq!(d["UserPool"]["UserPoolTags"], json!({"team": "identity"}), "the pool's UserPoolTags");
    // UpdateUserPool without UserPoolTags keeps them, as Cognito does.
    app.ok("UpdateUserPool", json!({"UserPoolId": pool, "MfaConfiguration": "OFF"})).await;
    assert_eq!(app.ok("ListTagsForResource", json!({"ResourceArn": arn})).await["Tags"], json!({"team": "identity"}));

    for (tags, what) in [
        (json!({"aws:owner": "x"}), "reserved prefix"),
        (json!({"k": "v".repeat(257)}), "value too long"),
        (Value::Object((0..50).map(|i| (format!("k{i}"), json!("v"))).collect()), "51 with the one there"),
    ] {
        let (st, e) = app.api("TagResource", json!({"ResourceArn": arn, "Tags": tags})).await;
        assert_eq!((st, err_type(&e)), (400, "InvalidParameterException"), "{what}: {e}");
    }
    let (st, e) = app.api("CreateUserPool", json!({"PoolName": "p", "UserPoolTags": {"AWS:x": "y"}})).await;
    assert_eq!((st, err_type(&e)), (400, "InvalidParameterException"), "{e}");

    let gone = arn.replace(&pool, &format!("{}x", pool));
    let other_account = arn.replacen(":000000000000:", ":111111111111:", 1);
    assert_ne!(other_account, arn);
    for other in [gone, other_account] {
        let (st, e) = app.api("ListTagsForResource", json!({"ResourceArn": other})).await;
        assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{other}: {e}");
    }
}
