//! Client authentication is one rule on every grant and surface (issue 10, finding 1), and an
//! authorization code is checked before it is spent (so a code alone cannot spoil a login).

use crate::helpers::*;
use portcullis::userpool::clients::secret_hash;
use serde_json::{Value, json};

/// A well-formed secret that is not the client's.
const WRONG_SECRET: &str = "wrongwrongwrongwrongwrongwrongwrongwrong";

async fn password_sign_in(app: &TestApp, client: &str, secret: &str, username: &str) -> Value {
    let (status, body) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": client, "AuthParameters": {
                "USERNAME": username, "PASSWORD": PASSWORD, "SECRET_HASH": secret_hash(secret, username, client)}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["AuthenticationResult"].clone()
}

async fn refresh(app: &TestApp, client: &str, token: &str, hash: Option<&str>) -> (u16, Value) {
    let mut params = json!({"REFRESH_TOKEN": token});
    if let Some(h) = hash {
        params["SECRET_HASH"] = json!(h);
    }
    app.public_api(
        "InitiateAuth",
        json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": client, "AuthParameters": params}),
    )
    .await
}

fn assert_secret_hash_refused((status, body): (u16, Value), client: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "NotAuthorizedException", "{body}");
    assert_eq!(body["message"], format!("Unable to verify secret hash for client {client}"));
}

#[tokio::test]
async fn refresh_token_auth_requires_the_secret_hash_of_a_confidential_client() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, true, json!({})).await;
    let secret = f.secret.clone().expect("secret");
    let tokens = password_sign_in(&app, &f.client_id, &secret, "alice").await;
    let rt = tokens["RefreshToken"].as_str().expect("refresh token");

    assert_secret_hash_refused(refresh(&app, &f.client_id, rt, None).await, &f.client_id);
    assert_secret_hash_refused(refresh(&app, &f.client_id, rt, Some("d3Jvbmc=")).await, &f.client_id);
    let other_user = secret_hash(&secret, "mallory", &f.client_id);
    assert_secret_hash_refused(refresh(&app, &f.client_id, rt, Some(&other_user)).await, &f.client_id);
    let wrong_secret = secret_hash("not-the-secret", "alice", &f.client_id);
    assert_secret_hash_refused(refresh(&app, &f.client_id, rt, Some(&wrong_secret)).await, &f.client_id);

    let good = secret_hash(&secret, "alice", &f.client_id);
    let (status, body) = refresh(&app, &f.client_id, rt, Some(&good)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["AuthenticationResult"]["AccessToken"].is_string());

    // AdminInitiateAuth's refresh flow follows the same rule.
    let (status, body) = app
        .api(
            "AdminInitiateAuth",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH",
                   "AuthParameters": {"REFRESH_TOKEN": rt}}),
        )
        .await;
    assert_secret_hash_refused((status, body), &f.client_id);
}

#[tokio::test]
async fn refresh_secret_hash_is_over_the_internal_username_in_email_username_pools() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"UsernameAttributes": ["email"]})).await;
    let (client, secret) = app.create_client(&pool, true, json!({})).await;
    let secret = secret.expect("secret");
    let user = app.create_user(&pool, "carol@example.com", PASSWORD, json!([])).await;
    let sub = user["Username"].as_str().expect("internal username").to_string();
    let tokens = password_sign_in(&app, &client, &secret, "carol@example.com").await;
    let rt = tokens["RefreshToken"].as_str().expect("refresh token");

    let by_email = secret_hash(&secret, "carol@example.com", &client);
    assert_secret_hash_refused(refresh(&app, &client, rt, Some(&by_email)).await, &client);
    let by_sub = secret_hash(&secret, &sub, &client);
    let (status, body) = refresh(&app, &client, rt, Some(&by_sub)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_public_client_refreshes_without_a_hash_and_may_not_present_a_secret() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({"EnableTokenRevocation": true})).await;
    let (status, body) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    let rt = body["AuthenticationResult"]["RefreshToken"].as_str().expect("refresh token").to_string();
    let (status, body) = refresh(&app, &f.client_id, &rt, None).await;
    assert_eq!(status, 200, "{body}");

    // The token endpoint refuses a secret from a client that has none, as before; RevokeToken
    // now follows the same rule instead of ignoring it.
    let r = app
        .http
        .post(app.url(&f.pool, "/oauth2/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("client_id", &f.client_id),
            ("client_secret", "x"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.expect("json")["error"], "invalid_client");
    let (status, body) = app
        .public_api("RevokeToken", json!({"ClientId": f.client_id, "Token": rt, "ClientSecret": WRONG_SECRET}))
        .await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");
    let (status, body) = refresh(&app, &f.client_id, &rt, None).await;
    assert_eq!(status, 200, "the refused revocation revoked nothing: {body}");
}

#[tokio::test]
async fn revoke_token_requires_the_client_secret() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, true, json!({"EnableTokenRevocation": true})).await;
    let secret = f.secret.clone().expect("secret");
    let tokens = password_sign_in(&app, &f.client_id, &secret, "alice").await;
    let rt = tokens["RefreshToken"].as_str().expect("refresh token");
    for given in [None, Some(WRONG_SECRET)] {
        let mut body = json!({"ClientId": f.client_id, "Token": rt});
        if let Some(g) = given {
            body["ClientSecret"] = json!(g);
        }
        let (status, body) = app.public_api("RevokeToken", body).await;
        assert_eq!((status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");
    }
    let good = secret_hash(&secret, "alice", &f.client_id);
    assert_eq!(refresh(&app, &f.client_id, rt, Some(&good)).await.0, 200, "nothing was revoked");
    // Only refresh tokens are revoked: an access token is refused, as Cognito does.
    let at = tokens["AccessToken"].as_str().expect("access token");
    let (status, body) =
        app.public_api("RevokeToken", json!({"ClientId": f.client_id, "Token": at, "ClientSecret": secret})).await;
    assert_eq!((status, body["__type"].as_str()), (400, Some("UnsupportedTokenTypeException")), "{body}");
    let (status, _) =
        app.public_api("RevokeToken", json!({"ClientId": f.client_id, "Token": rt, "ClientSecret": secret})).await;
    assert_eq!(status, 200);
    assert_eq!(refresh(&app, &f.client_id, rt, Some(&good)).await.0, 400, "revoked");
}

/// Redeem `code` with the given form fields (no client authentication besides the form).
async fn redeem_with(app: &TestApp, f: &Flow, fields: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![("grant_type", "authorization_code")];
    form.extend_from_slice(fields);
    app.http.post(app.url(&f.pool, "/oauth2/token")).form(&form).send().await.expect("token")
}

#[tokio::test]
async fn a_code_presented_with_the_wrong_verifier_redirect_or_client_is_not_spent() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let (other_client, _) = app.create_client(&f.pool, false, json!({})).await;
    let code = code_via_browser(&app, &f, &app.browser()).await;

    let attempts: [Vec<(&str, &str)>; 4] = [
        vec![
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("client_id", &f.client_id),
            ("code_verifier", "x".repeat(43).leak()),
        ],
        vec![("code", &code), ("redirect_uri", CALLBACK), ("client_id", &f.client_id)],
        vec![
            ("code", &code),
            ("redirect_uri", "http://localhost:3000/other"),
            ("client_id", &f.client_id),
            ("code_verifier", &f.verifier),
        ],
        vec![("code", &code), ("redirect_uri", CALLBACK), ("client_id", &other_client), ("code_verifier", &f.verifier)],
    ];
    for fields in &attempts {
        let r = redeem_with(&app, &f, fields).await;
        assert_eq!(r.status(), 400);
        assert_eq!(r.json::<Value>().await.expect("json")["error"], "invalid_grant");
    }
    // The legitimate client still redeems it, once.
    let r = f.redeem(&app, &code).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(f.redeem(&app, &code).await.status(), 400);
}

#[tokio::test]
async fn a_replay_by_the_right_client_still_revokes_and_a_foreign_one_does_not() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let (other_client, _) = app.create_client(&f.pool, false, json!({})).await;
    let code = code_via_browser(&app, &f, &app.browser()).await;
    let t: Value = f.redeem(&app, &code).await.json().await.expect("json");
    let rt = t["refresh_token"].as_str().expect("refresh token");

    // Someone else replaying the spent code spoils nothing.
    let fields = [
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("client_id", &other_client),
        ("code_verifier", &f.verifier),
    ];
    assert_eq!(redeem_with(&app, &f, &fields).await.status(), 400);
    assert_eq!(refresh(&app, &f.client_id, rt, None).await.0, 200);

    // The client itself replaying it revokes what the first redemption issued (RFC 6749 §4.1.2).
    assert_eq!(f.redeem(&app, &code).await.status(), 400);
    assert_eq!(refresh(&app, &f.client_id, rt, None).await.0, 400);
}
