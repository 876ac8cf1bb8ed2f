//! Refreshing through the API's GetTokensFromRefreshToken: without rotation the refresh token
//! stays; with RefreshTokenRotation each refresh replaces it, the replaced one still works for the
//! client's RetryGracePeriodSeconds, and a later reuse ends the whole sign-in (its family),
//! through the API and the token endpoint alike. A rotating client cannot use REFRESH_TOKEN_AUTH.

use crate::helpers::*;
use serde_json::{Value, json};

fn rotating(grace: i64) -> Value {
    json!({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
           "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": grace}})
}

async fn signed_in(app: &TestApp, client_id: &str) -> Value {
    let (status, v) = initiate_auth(app, client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{v}");
    v["AuthenticationResult"].clone()
}

async fn get_tokens(app: &TestApp, body: Value) -> (u16, Value) {
    app.public_api("GetTokensFromRefreshToken", body).await
}

#[tokio::test]
async fn without_rotation_the_refresh_token_stays_and_only_new_access_and_id_tokens_come() {
    let app = TestApp::spawn().await;
    let f =
        setup_flow(&app, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}))
            .await;
    let rt = signed_in(&app, &f.client_id).await["RefreshToken"].as_str().unwrap().to_string();
    for _ in 0..2 {
        let (status, v) = get_tokens(&app, json!({"ClientId": f.client_id, "RefreshToken": rt})).await;
        assert_eq!(status, 200, "{v}");
        let r = &v["AuthenticationResult"];
        assert!(r["AccessToken"].is_string() && r["IdToken"].is_string(), "{v}");
        assert!(r.get("RefreshToken").is_none() && v.get("ChallengeParameters").is_none(), "{v}");
        assert_eq!(r["TokenType"], "Bearer");
    }
    let (status, v) = get_tokens(&app, json!({"ClientId": f.client_id, "RefreshToken": "not-a-token"})).await;
    assert_eq!((status, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    let (status, v) = get_tokens(&app, json!({"ClientId": "nothere", "RefreshToken": rt})).await;
    assert_eq!((status, err_type(&v)), (400, "ResourceNotFoundException"), "{v}");
    // REFRESH_TOKEN_AUTH keeps working for a client without rotation.
    let (status, v) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": f.client_id, "AuthParameters": {"REFRESH_TOKEN": rt}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn with_rotation_each_refresh_replaces_the_token_and_a_reuse_ends_the_sign_in() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, rotating(0)).await;
    let first = signed_in(&app, &f.client_id).await;
    let rt0 = first["RefreshToken"].as_str().unwrap().to_string();
    let refresh = |rt: String| get_tokens(&app, json!({"ClientId": f.client_id, "RefreshToken": rt}));
    let (status, v) = refresh(rt0.clone()).await;
    assert_eq!(status, 200, "{v}");
    let rt1 = v["AuthenticationResult"]["RefreshToken"].as_str().expect("a new refresh token").to_string();
    assert_ne!(rt1, rt0);
    let (status, v) = refresh(rt1.clone()).await;
    assert_eq!(status, 200, "{v}");
    let rt2 = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    let access = v["AuthenticationResult"]["AccessToken"].as_str().unwrap().to_string();
    assert_eq!(app.public_api("GetUser", json!({"AccessToken": access})).await.0, 200);

    // A rotating client may not use REFRESH_TOKEN_AUTH.
    let (status, v) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": f.client_id, "AuthParameters": {"REFRESH_TOKEN": rt2}}),
        )
        .await;
    assert_eq!((status, err_message(&v)), (400, "REFRESH_TOKEN_AUTH flow not enabled for this client"), "{v}");

    // rt0 again: a reuse. The family ends: the current token and the access tokens it minted.
    let (status, v) = refresh(rt0).await;
    assert_eq!((status, err_type(&v)), (400, "RefreshTokenReuseException"), "{v}");
    let (status, v) = refresh(rt2).await;
    assert_eq!((status, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    let (status, v) = app.public_api("GetUser", json!({"AccessToken": access})).await;
    assert_eq!((status, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    // Another sign-in of the same user is not touched.
    let other = signed_in(&app, &f.client_id).await["RefreshToken"].as_str().unwrap().to_string();
    assert_eq!(refresh(other).await.0, 200);
}

#[tokio::test]
async fn a_replaced_token_still_refreshes_within_the_grace_period_and_not_after() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, rotating(30)).await;
    let rt0 = signed_in(&app, &f.client_id).await["RefreshToken"].as_str().unwrap().to_string();
    let refresh = |rt: String| get_tokens(&app, json!({"ClientId": f.client_id, "RefreshToken": rt}));
    let (status, v) = refresh(rt0.clone()).await;
    assert_eq!(status, 200, "{v}");
    // The answer was lost; the client retries with rt0 within the grace period.
    app.clock.advance_secs(20);
    let (status, v) = refresh(rt0.clone()).await;
    assert_eq!(status, 200, "a retry within 30 s: {v}");
    let rt_retry = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    // Past the grace period, rt0 is a reuse, and the family ends.
    app.clock.advance_secs(11);
    let (status, v) = refresh(rt0).await;
    assert_eq!((status, err_type(&v)), (400, "RefreshTokenReuseException"), "{v}");
    assert_eq!(refresh(rt_retry).await.0, 400);
}

#[tokio::test]
async fn a_confidential_client_proves_its_secret_and_the_token_endpoint_detects_reuse_too() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, true, rotating(0)).await;
    let secret = f.secret.clone().expect("a secret");
    let hash = crate::signup::secret_hash(&secret, "alice", &f.client_id);
    let (status, v) = app
        .api(
            "AdminInitiateAuth",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD, "SECRET_HASH": hash}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let rt0 = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    for wrong in [json!({}), json!({"ClientSecret": "x".repeat(40)})] {
        let mut body = json!({"ClientId": f.client_id, "RefreshToken": rt0});
        merge(&mut body, wrong);
        let (status, v) = get_tokens(&app, body).await;
        assert_eq!((status, err_type(&v)), (400, "NotAuthorizedException"), "{v}");
    }
    let (status, v) =
        get_tokens(&app, json!({"ClientId": f.client_id, "ClientSecret": secret, "RefreshToken": rt0})).await;
    assert_eq!(status, 200, "{v}");
    let rt1 = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    // The token endpoint rotates the same family, and refuses the reuse of rt0 as invalid_grant.
    let token = |rt: &str| {
        app.http
            .post(app.url(&f.pool, "/oauth2/token"))
            .basic_auth(&f.client_id, Some(&secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", rt)])
    };
    let r = token(&rt1).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let rt2 = r.json::<Value>().await.unwrap()["refresh_token"].as_str().unwrap().to_string();
    let r = token(&rt0).send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_grant");
    assert_eq!(token(&rt2).send().await.unwrap().status(), 400, "the family is revoked");
}
