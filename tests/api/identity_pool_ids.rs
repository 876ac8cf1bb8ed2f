//! GetId and GetOpenIdToken: guests where the pool allows them, the basic flow behind
//! `AllowClassicFlow`, one identity per login whichever form of the user pool's key, under
//! concurrency too, and the server-side token check of signed-out and deleted users.

use crate::helpers::*;
use crate::identity_pool_helpers::*;
use serde_json::json;

#[tokio::test]
async fn guests_get_identities_only_where_the_pool_allows_them() {
    let app = TestApp::spawn().await;
    let open = create_identity_pool(&app, json!({"AllowUnauthenticatedIdentities": true})).await;
    let closed = create_identity_pool(&app, json!({})).await;
    let a = get_id_ok(&app, &open, json!({})).await;
    let (status, v) = app.identity_public("GetId", json!({"IdentityPoolId": open})).await;
    assert_eq!(status, 200);
    assert_ne!(v["IdentityId"], json!(a), "every guest call makes a new identity");

    let (status, e) = get_id(&app, &closed, json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"));
    assert_eq!(e["message"], "Unauthenticated access is not supported for this identity pool.");
    let (_, e) = get_id(&app, "local:00000000-0000-0000-0000-000000000000", json!({})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");

    // A guest's OpenID token: sub = identity, aud = pool, amr unauthenticated, 10 minutes.
    let (status, v) = open_id_token(&app, &a, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["IdentityId"], json!(a));
    let c = claims(v["Token"].as_str().unwrap());
    assert_eq!((c["sub"].as_str(), c["aud"].as_str()), (Some(a.as_str()), Some(open.as_str())));
    assert_eq!(c["amr"], json!(["unauthenticated"]));
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 600);

    // Guests lose access when the pool stops allowing them.
    app.identity_ok(
        "UpdateIdentityPool",
        json!({"IdentityPoolId": open, "IdentityPoolName": "closed now", "AllowUnauthenticatedIdentities": false}),
    )
    .await;
    let (_, e) = open_id_token(&app, &a, json!({})).await;
    assert_eq!(e["message"], "Unauthenticated access is not supported for this identity pool.");
    let (_, e) = open_id_token(&app, "local:00000000-0000-0000-0000-000000000000", json!({})).await;
    assert_eq!(err_type(&e), "ResourceNotFoundException");
}

/// GetOpenIdToken is the basic (classic) flow: refused, with Cognito's words, unless the pool
/// has `AllowClassicFlow`; turning it on lets the same identity get its token.
#[tokio::test]
async fn the_basic_flow_needs_allow_classic_flow() {
    let app = TestApp::spawn().await;
    let pool =
        create_identity_pool(&app, json!({"AllowUnauthenticatedIdentities": true, "AllowClassicFlow": false})).await;
    let guest = get_id_ok(&app, &pool, json!({})).await;
    let (status, e) = open_id_token(&app, &guest, json!({})).await;
    assert_eq!((status, err_type(&e)), (400, "InvalidParameterException"), "{e}");
    assert_eq!(e["message"], "Basic (classic) flow is not enabled, please use enhanced flow.");
    app.identity_ok(
        "UpdateIdentityPool",
        json!({"IdentityPoolId": pool, "IdentityPoolName": "basic", "AllowUnauthenticatedIdentities": true,
               "AllowClassicFlow": true}),
    )
    .await;
    let (status, v) = open_id_token(&app, &guest, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["IdentityId"], json!(guest));
}

#[tokio::test]
async fn get_id_gives_one_identity_per_login_in_either_key_form() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    let id = get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await;
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): token})).await, id);
    assert_eq!(get_id_ok(&app, &s.pool, json!({aws_provider(&s.flow.pool): token})).await, id);
    let fresh = id_token(&app, &s.flow.client_id, "alice").await;
    assert_eq!(get_id_ok(&app, &s.pool, json!({s.provider.clone(): fresh})).await, id);
    assert_eq!(logins_of(&app, &id).await, json!([s.provider]));

    // The token's audience must be a configured client; forged, expired and Cognito tokens fail.
    let (other_client, _) = app.create_client(&s.flow.pool, false, json!({"ClientName": "other"})).await;
    let other = id_token(&app, &other_client, "alice").await;
    let (status, e) = get_id(&app, &s.pool, json!({s.provider.clone(): other})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let sig_at = token.rfind('.').unwrap() + 20;
    let flipped = if &token[sig_at..sig_at + 1] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &token[..sig_at], &token[sig_at + 1..]);
    let (_, e) = get_id(&app, &s.pool, json!({s.provider.clone(): forged})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    let (_, v) = open_id_token(&app, &id, json!({s.provider.clone(): token})).await;
    let cognito_token = v["Token"].as_str().expect("token").to_string();
    let (_, e) = get_id(&app, &s.pool, json!({"cognito-identity.amazonaws.com": cognito_token})).await;
    assert_eq!(
        (err_type(&e), e["message"].as_str()),
        ("NotAuthorizedException", Some("Invalid login token. Can't pass in a Cognito token."))
    );
    let (_, e) = get_id(&app, &s.pool, json!({"accounts.google.com": "not-configured"})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    app.clock.advance_secs(3601);
    let (_, e) = get_id(&app, &s.pool, json!({s.provider.clone(): token})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
}

#[tokio::test]
async fn concurrent_get_id_with_one_login_makes_one_identity() {
    let app = TestApp::spawn().await;
    let s = setup(&app, json!({})).await;
    let token = id_token(&app, &s.flow.client_id, "alice").await;
    let req = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityService.GetId")
        .body(json!({"IdentityPoolId": s.pool, "Logins": {s.provider.clone(): token}}).to_string());
    let answers = all_at_once(req, 8).await;
    assert!(answers.iter().all(|(status, _)| *status == 200), "{answers:?}");
    let first = answers[0].1["IdentityId"].clone();
    assert!(answers.iter().all(|(_, v)| v["IdentityId"] == first), "{answers:?}");
    let listed = app.identity_ok("ListIdentities", json!({"IdentityPoolId": s.pool, "MaxResults": 60})).await;
    assert_eq!(listed["Identities"].as_array().unwrap().len(), 1, "{listed}");
}

#[tokio::test]
async fn server_side_token_check_refuses_logins_of_signed_out_users() {
    let app = TestApp::spawn().await;
    let flow = setup_flow(&app, false, json!({})).await;
    let provider = provider(&app, &flow.pool);
    let checked = create_identity_pool(
        &app,
        json!({"CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": flow.client_id, "ServerSideTokenCheck": true}]}),
    )
    .await;
    let unchecked = create_identity_pool(
        &app,
        json!({"CognitoIdentityProviders": [{"ProviderName": provider, "ClientId": flow.client_id}]}),
    )
    .await;
    let token = id_token(&app, &flow.client_id, "alice").await;
    let id = get_id_ok(&app, &checked, json!({provider.clone(): token})).await;
    app.ok("AdminUserGlobalSignOut", json!({"UserPoolId": flow.pool, "Username": "alice"})).await;
    let (status, e) = get_id(&app, &checked, json!({provider.clone(): token})).await;
    assert_eq!((status, err_type(&e)), (400, "NotAuthorizedException"), "{e}");
    let (_, e) = open_id_token(&app, &id, json!({provider.clone(): token})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
    get_id_ok(&app, &unchecked, json!({provider.clone(): token})).await;
    // A new sign-in works again; a deleted user's tokens do not.
    app.clock.advance_secs(1);
    let fresh = id_token(&app, &flow.client_id, "alice").await;
    assert_eq!(get_id_ok(&app, &checked, json!({provider.clone(): fresh})).await, id);
    app.ok("AdminDeleteUser", json!({"UserPoolId": flow.pool, "Username": "alice"})).await;
    let (_, e) = get_id(&app, &checked, json!({provider.clone(): fresh})).await;
    assert_eq!(err_type(&e), "NotAuthorizedException", "{e}");
}
