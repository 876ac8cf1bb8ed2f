//! Identity pools through the signed JSON API (`AWSCognitoIdentityService.*`): creating,
//! describing, listing, updating and deleting pools, input validated like Cognito, roles and
//! role mappings, tags, and the identities of a pool.

use crate::helpers::*;
use crate::identity_pool_helpers::*;
use serde_json::{Value, json};
use std::time::SystemTime;

#[tokio::test]
async fn identity_pools_are_created_described_listed_updated_and_deleted() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let up = provider(&app, &flow.pool);
    let created = app
        .identity_ok(
            "CreateIdentityPool",
            json!({
                "IdentityPoolName": "my pool", "AllowUnauthenticatedIdentities": true, "AllowClassicFlow": true,
                "SupportedLoginProviders": {"accounts.google.com": "google-client.apps.example"},
                "DeveloperProviderName": "login.example",
                "CognitoIdentityProviders": [{"ProviderName": up, "ClientId": flow.client_id, "ServerSideTokenCheck": true}],
                "IdentityPoolTags": {"team": "blue"},
            }),
        )
        .await;
    let id = created["IdentityPoolId"].as_str().unwrap().to_string();
    assert!(id.starts_with("local:") && id.len() == "local:".len() + 36, "{id}");
    assert_eq!(created["IdentityPoolName"], "my pool");
    assert_eq!(created["AllowClassicFlow"], true);
    assert_eq!(created["CognitoIdentityProviders"][0]["ServerSideTokenCheck"], true);
    assert_eq!(created["IdentityPoolTags"], json!({"team": "blue"}));
    let described = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!(described, created);

    // Paging, one at a time.
    let second = create_identity_pool(&app, json!({})).await;
    let page1 = app.identity_ok("ListIdentityPools", json!({"MaxResults": 1})).await;
    assert_eq!(page1["IdentityPools"].as_array().unwrap().len(), 1);
    let token = page1["NextToken"].as_str().expect("next token");
    let page2 = app.identity_ok("ListIdentityPools", json!({"MaxResults": 1, "NextToken": token})).await;
    let mut seen =
        vec![page1["IdentityPools"][0]["IdentityPoolId"].clone(), page2["IdentityPools"][0]["IdentityPoolId"].clone()];
    seen.sort_by_key(|v| v.to_string());
    let mut want = vec![json!(id), json!(second)];
    want.sort_by_key(|v| v.to_string());
    assert_eq!(seen, want);
    assert!(page2.get("NextToken").is_none(), "{page2}");
    assert_eq!(
        page2["IdentityPools"][0]["IdentityPoolName"],
        if page2["IdentityPools"][0]["IdentityPoolId"] == id { "my pool" } else { "test identity pool" }
    );

    // Update replaces the document; the developer provider stays; tags stay unless given.
    let updated = app
        .identity_ok(
            "UpdateIdentityPool",
            json!({"IdentityPoolId": id, "IdentityPoolName": "renamed", "AllowUnauthenticatedIdentities": false}),
        )
        .await;
    assert_eq!(updated["IdentityPoolName"], "renamed");
    assert_eq!(updated["AllowClassicFlow"], false);
    assert_eq!(updated["SupportedLoginProviders"], json!({}));
    assert_eq!(updated["CognitoIdentityProviders"], json!([]));
    assert_eq!(updated["DeveloperProviderName"], "login.example");
    assert_eq!(updated["IdentityPoolTags"], json!({"team": "blue"}));
    let (status, e) = app
        .identity_api("UpdateIdentityPool", json!({"IdentityPoolId": id, "IdentityPoolName": "renamed", "AllowUnauthenticatedIdentities": false, "DeveloperProviderName": "other.example"}))
        .await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");

    app.identity_ok("DeleteIdentityPool", json!({"IdentityPoolId": id})).await;
    let (status, e) = app.identity_api("DescribeIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!((status, err_type(&e)), (400, "ResourceNotFoundException"));
    assert_eq!(e["message"], format!("IdentityPool '{id}' not found."));
    let (_, e) = app.identity_api("DeleteIdentityPool", json!({"IdentityPoolId": id})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn identity_pool_input_is_validated_like_cognito() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let bad = |body: Value| {
        let app = &app;
        async move {
            let (status, e) = app.identity_api("CreateIdentityPool", body).await;
            assert_eq!(status, 400, "{e}");
            e
        }
    };
    let e = bad(json!({"IdentityPoolName": "no/slash", "AllowUnauthenticatedIdentities": false})).await;
    assert_eq!(err_type(&e), "ValidationException", "AWS's validator, as Cognito identity answers it");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("1 validation error detected: Value 'no/slash' at 'identityPoolName'"),
        "{e}"
    );
    let e = bad(json!({"IdentityPoolName": "p"})).await;
    assert!(e["message"].as_str().unwrap().contains("Value null at 'allowUnauthenticatedIdentities'"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": "yes"})).await;
    assert_eq!(err_type(&e), "SerializationException");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "SupportedLoginProviders": {"https://login.example.com": "x"}})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "SupportedLoginProviders": {aws_provider(&flow.pool): "x"}})).await;
    assert!(e["message"].as_str().unwrap().contains("user pools go in CognitoIdentityProviders"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false,
                       "CognitoIdentityProviders": [{"ProviderName": aws_provider(&flow.pool), "ClientId": "nosuchclient"}]})).await;
    assert!(e["message"].as_str().unwrap().contains("has no app client nosuchclient"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false,
                       "CognitoIdentityProviders": [{"ProviderName": "evil.example.com/local_abc", "ClientId": flow.client_id}]})).await;
    assert!(e["message"].as_str().unwrap().contains("Invalid Cognito identity provider name"), "{e}");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "OpenIdConnectProviderARNs": ["arn:aws:iam::123:oidc/x"]})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let e = bad(json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": false, "DeveloperProviderName": "cognito-identity.amazonaws.com"})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (status, e) = app.identity_api("ListIdentityPools", json!({"MaxResults": 0})).await;
    assert_eq!((status, err_type(&e)), (400, "ValidationException"));
    assert!(err_message(&e).contains("Value '0' at 'maxResults'"), "{e}");
    let (status, e) = app.identity_api("NoSuchAction", json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "UnknownOperationException"));

    // Management actions are signed; unsigned ones are refused before anything else.
    let (status, e) = app
        .identity_public("CreateIdentityPool", json!({"IdentityPoolName": "p", "AllowUnauthenticatedIdentities": true}))
        .await;
    assert_eq!((status, err_type(&e)), (403, "MissingAuthenticationTokenException"));
    let (status, e) = app
        .json_signed(
            "AWSCognitoIdentityService.ListIdentityPools",
            "cognito-identity",
            json!({"MaxResults": 5}),
            ACCESS_KEY,
            "wrong-secret",
            SystemTime::now(),
        )
        .await;
    assert_eq!((status, err_type(&e)), (400, "InvalidSignatureException"));
    // An OpenID Connect issuer by host and path takes its client id here.
    create_identity_pool(&app, json!({"SupportedLoginProviders": {"login.example.com/realms/x": "client-1"}})).await;
    // Either form of a user pool's name is accepted.
    create_identity_pool(
        &app,
        json!({"CognitoIdentityProviders": [{"ProviderName": aws_provider(&flow.pool), "ClientId": flow.client_id}]}),
    )
    .await;
}

#[tokio::test]
async fn roles_and_role_mappings_are_checked_and_returned() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"SupportedLoginProviders": {"graph.facebook.com": "1234567890"}})).await;
    let key = format!("{}:{}", s.provider, s.flow.client_id);
    let empty = app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": s.pool})).await;
    assert_eq!(empty, json!({"IdentityPoolId": s.pool, "Roles": {}}));
    let mappings = json!({
        key.clone(): {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
            {"Claim": "cognito:groups", "MatchType": "Contains", "Value": "admins", "RoleARN": "arn:aws:iam::000000000000:role/admin"}]}},
        "graph.facebook.com": {"Type": "Token", "AmbiguousRoleResolution": "AuthenticatedRole"},
    });
    app.identity_ok(
        "SetIdentityPoolRoles",
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": AUTH_ROLE, "unauthenticated": GUEST_ROLE}, "RoleMappings": mappings}),
    )
    .await;
    let got = app.identity_ok("GetIdentityPoolRoles", json!({"IdentityPoolId": s.pool})).await;
    assert_eq!(
        got,
        json!({"IdentityPoolId": s.pool, "Roles": {"authenticated": AUTH_ROLE, "unauthenticated": GUEST_ROLE}, "RoleMappings": mappings})
    );

    let refused = |body: Value| {
        let app = &app;
        let pool = s.pool.clone();
        async move {
            let mut b = json!({"IdentityPoolId": pool, "Roles": {"authenticated": AUTH_ROLE}});
            merge(&mut b, body);
            let (status, e) = app.identity_api("SetIdentityPoolRoles", b).await;
            // The model's constraints answer AWS's ValidationException; the service's rules
            // Cognito's InvalidParameterException.
            let model = e["message"].as_str().unwrap_or_default().contains("validation error detected");
            let expected = if model { "ValidationException" } else { "InvalidParameterException" };
            assert_eq!((status, err_type(&e)), (400, expected), "{e}");
            e["message"].as_str().unwrap_or_default().to_string()
        }
    };
    assert!(
        refused(json!({"Roles": {"authenticated": "arn:aws:iam::12345:role/short-account"}}))
            .await
            .contains("Invalid authenticated role ARN")
    );
    assert!(refused(json!({"Roles": {"admin": AUTH_ROLE}})).await.contains("Map keys must satisfy constraint"));
    assert!(
        refused(json!({"RoleMappings": {"accounts.google.com": {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}}))
            .await
            .contains("not a login provider")
    );
    assert!(
        refused(json!({"RoleMappings": {s.provider.clone(): {"Type": "Token", "AmbiguousRoleResolution": "Deny"}}}))
            .await
            .contains("not a login provider")
    );
    assert!(
        refused(json!({"RoleMappings": {key.clone(): {"Type": "Rules", "AmbiguousRoleResolution": "Deny"}}}))
            .await
            .contains("RulesConfiguration is required")
    );
    assert!(
        refused(json!({"RoleMappings": {key.clone(): {"Type": "Token"}}})).await.contains("AmbiguousRoleResolution")
    );
    assert!(refused(json!({"RoleMappings": {key.clone(): {"Type": "Rules", "AmbiguousRoleResolution": "Deny", "RulesConfiguration": {"Rules": [
        {"Claim": "a", "MatchType": "Like", "Value": "b", "RoleARN": AUTH_ROLE}]}}}})).await.contains("Member must satisfy enum value set: [Equals, Contains, StartsWith, NotEqual]"));
    let (_, e) = app
        .identity_api(
            "SetIdentityPoolRoles",
            json!({"IdentityPoolId": "local:00000000-0000-0000-0000-000000000000", "Roles": {}}),
        )
        .await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

#[tokio::test]
async fn identity_pools_take_tags() {
    let app = TestApp::spawn().await;
    let pool = create_identity_pool(&app, json!({"IdentityPoolTags": {"a": "1"}})).await;
    let arn = format!("arn:aws:cognito-identity:local:000000000000:identitypool/{pool}");
    app.identity_ok("TagResource", json!({"ResourceArn": arn, "Tags": {"b": "2", "a": "one"}})).await;
    let tags = app.identity_ok("ListTagsForResource", json!({"ResourceArn": arn})).await;
    assert_eq!(tags["Tags"], json!({"a": "one", "b": "2"}));
    app.identity_ok("UntagResource", json!({"ResourceArn": arn, "TagKeys": ["a"]})).await;
    let described = app.identity_ok("DescribeIdentityPool", json!({"IdentityPoolId": pool})).await;
    assert_eq!(described["IdentityPoolTags"], json!({"b": "2"}));
    let missing = "arn:aws:cognito-identity:local:000000000000:identitypool/local:00000000-0000-0000-0000-000000000000";
    let (_, e) = app.identity_api("ListTagsForResource", json!({"ResourceArn": missing})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
    let (_, e) = app.identity_api("TagResource", json!({"ResourceArn": arn, "Tags": {"aws:x": "y"}})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");
}

#[tokio::test]
async fn identities_are_described_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let pool = create_identity_pool(&app, json!({"AllowUnauthenticatedIdentities": true})).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(get_id_ok(&app, &pool, json!({})).await);
    }
    let d = app.identity_ok("DescribeIdentity", json!({"IdentityId": ids[0]})).await;
    assert_eq!(d["IdentityId"], json!(ids[0]));
    assert_eq!(d["Logins"], json!([]));
    assert!(d["CreationDate"].is_number() && d["LastModifiedDate"].is_number(), "{d}");
    let mut listed = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut body = json!({"IdentityPoolId": pool, "MaxResults": 2});
        if let Some(n) = &next {
            body["NextToken"] = json!(n);
        }
        let page = app.identity_ok("ListIdentities", body).await;
        assert_eq!(page["IdentityPoolId"], json!(pool));
        listed.extend(
            page["Identities"].as_array().unwrap().iter().map(|i| i["IdentityId"].as_str().unwrap().to_string()),
        );
        match page["NextToken"].as_str() {
            Some(n) => next = Some(n.to_string()),
            None => break,
        }
    }
    let mut want = ids.clone();
    want.sort();
    listed.sort();
    assert_eq!(listed, want);
    let (_, e) = app
        .identity_api("ListIdentities", json!({"IdentityPoolId": pool, "MaxResults": 2, "NextToken": "garbage!"}))
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");

    let gone = "local:00000000-0000-0000-0000-000000000000";
    let del = app.identity_ok("DeleteIdentities", json!({"IdentityIdsToDelete": [ids[0], gone]})).await;
    assert_eq!(del["UnprocessedIdentityIds"], json!([]));
    let (status, e) = app.identity_api("DescribeIdentity", json!({"IdentityId": ids[0]})).await;
    assert_eq!((status, err_type(&e)), (400, "ResourceNotFoundException"));
    assert_eq!(e["message"], format!("Identity '{}' not found.", ids[0]));
    let (_, e) = app.identity_api("DeleteIdentities", json!({"IdentityIdsToDelete": []})).await;
    assert_eq!(err_type(&e), "ValidationException");
    // Deleting the pool deletes its identities.
    app.identity_ok("DeleteIdentityPool", json!({"IdentityPoolId": pool})).await;
    let (_, e) = app.identity_api("DescribeIdentity", json!({"IdentityId": ids[1]})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}
