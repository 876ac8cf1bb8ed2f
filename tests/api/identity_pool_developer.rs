//! Developer-authenticated identities: GetOpenIdTokenForDeveloperIdentity, lookup, merge and
//! unlink of developer users, and the developer's token proving an identity.

use crate::helpers::*;
use crate::identity_pool_helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn developer_authenticated_identities() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({"DeveloperProviderName": "login.example"})).await;
    let dev = |user: &str, extra: Value| {
        let mut body = json!({"IdentityPoolId": s.pool, "Logins": {"login.example": user}});
        merge(&mut body, extra);
        body
    };
    let first = app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({}))).await;
    let id1 = first["IdentityId"].as_str().unwrap().to_string();
    let c = claims(first["Token"].as_str().unwrap());
    assert_eq!(c["sub"], json!(id1));
    assert_eq!(c["aud"], json!(s.pool));
    assert_eq!(c["amr"], json!(["authenticated", "login.example", format!("login.example:{}:user-1", s.pool)]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 900);
    let again =
        app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({"TokenDuration": 3600}))).await;
    assert_eq!(again["IdentityId"], json!(id1));
    let c = claims(again["Token"].as_str().unwrap());
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 3600);

    // The developer user cannot move to another identity.
    let id2 = app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-2", json!({}))).await["IdentityId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_ne!(id1, id2);
    let (status, e) =
        app.identity_api("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({"IdentityId": id2}))).await;
    assert_eq!((status, err_type(&e)), (400, "DeveloperUserAlreadyRegisteredException"), "{e}");
    // A user-pool login joins the developer identity.
    let alice = id_token(&app, &s.flow.client_id, "alice").await;
    let linked = app
        .identity_ok("GetOpenIdTokenForDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id2, "Logins": {"login.example": "user-2", s.provider.clone(): alice}}))
        .await;
    assert_eq!(linked["IdentityId"], json!(id2));
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): alice})).await, id2);

    // Lookup both ways, and a mismatch.
    let by_user = app
        .identity_ok(
            "LookupDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "DeveloperUserIdentifier": "user-1", "MaxResults": 10}),
        )
        .await;
    assert_eq!(by_user["IdentityId"], json!(id1));
    assert_eq!(by_user["DeveloperUserIdentifierList"], json!(["user-1"]));
    let (_, e) = app
        .identity_api(
            "LookupDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "IdentityId": id2, "DeveloperUserIdentifier": "user-1"}),
        )
        .await;
    assert_eq!(err_type(&e), "ResourceConflictException");
    let (_, e) = app
        .identity_api("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "DeveloperUserIdentifier": "nobody"}))
        .await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
    let (_, e) = app.identity_api("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool})).await;
    assert_eq!(err_type(&e), "InvalidParameterException");

    // Merge user-2's identity into user-1's; lookup pages through both users.
    let merged = app
        .identity_ok("MergeDeveloperIdentities", json!({"IdentityPoolId": s.pool, "DeveloperProviderName": "login.example", "SourceUserIdentifier": "user-2", "DestinationUserIdentifier": "user-1"}))
        .await;
    assert_eq!(merged["IdentityId"], json!(id1));
    let page1 = app
        .identity_ok("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id1, "MaxResults": 1}))
        .await;
    assert_eq!(page1["DeveloperUserIdentifierList"], json!(["user-1"]));
    let page2 = app
        .identity_ok(
            "LookupDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "IdentityId": id1, "MaxResults": 1, "NextToken": page1["NextToken"]}),
        )
        .await;
    assert_eq!(page2["DeveloperUserIdentifierList"], json!(["user-2"]));
    assert!(page2.get("NextToken").is_none());
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): alice})).await, id1, "alice moved with the merge");
    let (_, e) = app
        .identity_api("MergeDeveloperIdentities", json!({"IdentityPoolId": s.pool, "DeveloperProviderName": "other.example", "SourceUserIdentifier": "user-2", "DestinationUserIdentifier": "user-1"}))
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");

    // Unlink: only from the identity it belongs to.
    let (_, e) = app
        .identity_api("UnlinkDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id2, "DeveloperProviderName": "login.example", "DeveloperUserIdentifier": "user-2"}))
        .await;
    assert_eq!(err_type(&e), "ResourceConflictException");
    app.identity_ok("UnlinkDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id1, "DeveloperProviderName": "login.example", "DeveloperUserIdentifier": "user-2"}))
        .await;
    let after = app.identity_ok("LookupDeveloperIdentity", json!({"IdentityPoolId": s.pool, "IdentityId": id1})).await;
    assert_eq!(after["DeveloperUserIdentifierList"], json!(["user-1"]));

    // The developer's token proves the identity to the unsigned calls.
    let token = app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({}))).await["Token"].clone();
    let (status, v) = open_id_token(&app, &id1, json!({"cognito-identity.amazonaws.com": token})).await;
    assert_eq!(status, 200, "{v}");
    assert!(claims(v["Token"].as_str().unwrap())["amr"].as_array().unwrap().contains(&json!("login.example")));
    // (id2 now lives in id1, so the token works for it too; not for another identity.)
    let (_, v) = open_id_token(&app, &id2, json!({"cognito-identity.amazonaws.com": token})).await;
    assert_eq!(v["IdentityId"], json!(id1));
    let id3 =
        app.identity_ok("GetOpenIdTokenForDeveloperIdentity", dev("user-3", json!({}))).await["IdentityId"].clone();
    let (_, e) = open_id_token(&app, id3.as_str().unwrap(), json!({"cognito-identity.amazonaws.com": token})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");

    // Signed only; the developer provider must be in the logins and only there.
    let (status, e) = app.identity_public("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({}))).await;
    assert_eq!((status, err_type(&e)), (403, "MissingAuthenticationTokenException"));
    let (_, e) = app
        .identity_api(
            "GetOpenIdTokenForDeveloperIdentity",
            json!({"IdentityPoolId": s.pool, "Logins": {s.provider.clone(): alice}}),
        )
        .await;
    assert_eq!(err_type(&e), "InvalidParameterException");
    let (_, e) = get_id(&app, &s.pool, json!({"login.example": "user-1"})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException");
    let (_, e) =
        app.identity_api("GetOpenIdTokenForDeveloperIdentity", dev("user-1", json!({"TokenDuration": 86401}))).await;
    assert_eq!(err_type(&e), "ValidationException", "the model's maximum: {e}");
}
