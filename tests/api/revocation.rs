//! Global sign-out and disabling are exact to the millisecond (issue 10): within one second,
//! what was issued before is refused and what is issued after works.

use crate::helpers::*;
use serde_json::{Value, json};

async fn get_user(app: &TestApp, access: &str) -> (u16, Value) {
    app.public_api("GetUser", json!({"AccessToken": access})).await
}

async fn refresh(app: &TestApp, client: &str, token: &str) -> u16 {
    let body =
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client, "AuthParameters": {"REFRESH_TOKEN": token}});
    app.public_api("InitiateAuth", body).await.0
}

async fn sign_in(app: &TestApp, f: &Flow) -> Value {
    let (status, body) = initiate_auth(app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    body["AuthenticationResult"].clone()
}

#[tokio::test]
async fn a_sign_in_in_the_same_second_after_a_global_sign_out_works_and_the_one_before_does_not() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let f = setup_flow(&app, false, json!({})).await;
    let before = sign_in(&app, &f).await;
    let old_access = before["AccessToken"].as_str().unwrap();
    let old_refresh = before["RefreshToken"].as_str().unwrap();
    let old_code = code_via_browser(&app, &f, &app.browser()).await;
    app.clock.advance_millis(1);
    let (status, body) = app.public_api("GlobalSignOut", json!({"AccessToken": old_access})).await;
    assert_eq!(status, 200, "{body}");
    app.clock.advance_millis(1);

    let after = sign_in(&app, &f).await;
    let (status, body) = get_user(&app, after["AccessToken"].as_str().unwrap()).await;
    assert_eq!(status, 200, "a token from after the sign-out works: {body}");
    assert_eq!(refresh(&app, &f.client_id, after["RefreshToken"].as_str().unwrap()).await, 200);
    let new_code = code_via_browser(&app, &f, &app.browser()).await;
    assert_eq!(f.redeem(&app, &new_code).await.status(), 200, "a code from after the sign-out is honoured");

    let (status, body) = get_user(&app, old_access).await;
    assert_eq!((status, body["message"].as_str()), (400, Some("Access Token has been revoked")), "{body}");
    assert_eq!(refresh(&app, &f.client_id, old_refresh).await, 400);
    assert_eq!(f.redeem(&app, &old_code).await.status(), 400, "a code from before the sign-out is refused");
}

#[tokio::test]
async fn disabling_and_enabling_within_a_second_keeps_old_tokens_out_and_lets_new_ones_in() {
    let app = TestApp::spawn().await;
    app.clock.freeze();
    let f = setup_flow(&app, false, json!({})).await;
    let before = sign_in(&app, &f).await;
    app.clock.advance_millis(1);
    app.ok("AdminDisableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    app.ok("AdminEnableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    app.clock.advance_millis(1);
    let after = sign_in(&app, &f).await;
    assert_eq!(get_user(&app, after["AccessToken"].as_str().unwrap()).await.0, 200);
    assert_eq!(get_user(&app, before["AccessToken"].as_str().unwrap()).await.0, 400);
}
