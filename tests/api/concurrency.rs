//! Races, on each backend, through HTTP: two simultaneous redemptions of one authorization code
//! or one (rotating) refresh token never both succeed, simultaneous wrong passwords are all
//! counted towards the lockout, and simultaneous client secret additions never pass the limit.

use crate::helpers::*;
use serde_json::json;

const N: usize = 8;

fn successes(results: &[(u16, serde_json::Value)]) -> usize {
    results.iter().filter(|(s, _)| *s == 200).count()
}

#[tokio::test]
async fn simultaneous_redemptions_of_one_code_yield_exactly_one_token_set() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let code = code_via_browser(&app, &f, &app.browser()).await;
    let req = app.http.post(app.url(&f.pool, "/oauth2/token")).form(&[
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", f.verifier.as_str()),
        ("client_id", f.client_id.as_str()),
    ]);
    let results = all_at_once(req, N).await;
    assert_eq!(successes(&results), 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    }
    let winner = &results.iter().find(|(s, _)| *s == 200).expect("one success").1;
    assert!(winner["access_token"].is_string() && winner["refresh_token"].is_string(), "{winner}");
    // Every losing request was a replay, and a replay revokes what the code issued, even when it
    // ran before the winner had stored its refresh token.
    let ui = app
        .http
        .get(app.url(&f.pool, "/oauth2/userInfo"))
        .bearer_auth(winner["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(ui.status(), 401);
    let refresh = f.refresh_request(&app, winner["refresh_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(refresh.status(), 400);
}

#[tokio::test]
async fn simultaneous_refreshes_of_one_rotating_refresh_token_yield_exactly_one_success() {
    let app = TestApp::spawn().await;
    let f =
        setup_flow(&app, false, json!({"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}))
            .await;
    let t = tokens_via_browser(&app, &f).await;
    let old = t["refresh_token"].as_str().expect("refresh token").to_string();
    let refresh = |rt: &str| f.refresh_request(&app, rt);
    let results = all_at_once(refresh(&old), N).await;
    assert_eq!(successes(&results), 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    }
    let winner = &results.iter().find(|(s, _)| *s == 200).expect("one success").1;
    let rotated = winner["refresh_token"].as_str().expect("rotation returns a new refresh token");
    assert_ne!(rotated, old);
    // The old token is spent: presented again (past the zero grace period) it is a reuse, which
    // ends the whole family, the winner's new token too.
    assert_eq!(refresh(&old).send().await.unwrap().status(), 400);
    assert_eq!(refresh(rotated).send().await.unwrap().status(), 400);
}

#[tokio::test]
async fn simultaneous_api_refreshes_of_one_rotating_refresh_token_yield_exactly_one_success() {
    let app = TestApp::spawn().await;
    let f =
        setup_flow(&app, false, json!({"RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": 0}}))
            .await;
    let (status, signed_in) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{signed_in}");
    let rt = signed_in["AuthenticationResult"]["RefreshToken"].as_str().expect("refresh token");
    let req = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.GetTokensFromRefreshToken")
        .body(json!({"ClientId": f.client_id, "RefreshToken": rt}).to_string());
    let results = all_at_once(req, N).await;
    assert_eq!(successes(&results), 1, "{results:?}");
    for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
        // Refused while the winner swaps the token, or, once it has, as a reuse.
        let kind = body["__type"].as_str().unwrap_or_default();
        assert!(status == &400 && ["NotAuthorizedException", "RefreshTokenReuseException"].contains(&kind), "{body}");
    }
}

#[tokio::test]
async fn simultaneous_wrong_passwords_are_all_counted_and_lock_the_account() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let sub = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await["UserAttributes"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["Name"] == "sub"))
        .and_then(|x| x["Value"].as_str())
        .expect("sub")
        .to_string();
    app.clock.freeze();
    let req = initiate_auth_request(&app, &f.client_id, "alice", "Wrong-pass-1");
    let results = all_at_once(req, 10).await;
    let mut counted = 0;
    for (status, body) in &results {
        assert_eq!((*status, body["__type"].as_str()), (400, Some("NotAuthorizedException")), "{body}");
        match body["message"].as_str() {
            Some("Incorrect username or password.") => counted += 1,
            // Not admitted (five guesses already in flight or counted, or the lock they set):
            // never checked nor counted, by design.
            Some("Password attempts exceeded") => {}
            other => panic!("unexpected message {other:?}"),
        }
    }
    assert!(counted >= 5, "at least five attempts got past the lock check: {results:?}");
    // Every failure that was reported was recorded: no lost updates.
    let stored =
        app.services.store.get_failures(&f.pool, portcullis::store::guesses::Guesses::Password(&sub)).await.unwrap();
    assert_eq!(stored.failures, counted, "{stored:?}");
    let (status, body) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!((status, body["message"].as_str()), (400, Some("Password attempts exceeded")), "{body}");
}

#[tokio::test]
async fn simultaneous_client_secret_additions_never_pass_the_limit_of_two() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, true, json!({})).await;
    let add = json!({"UserPoolId": pool, "ClientId": client});
    // A few rounds, each from one secret (the first: the client's own, not yet rotated), so a
    // race that slips through once is caught.
    for round in 0..4 {
        let results =
            futures_util::future::join_all((0..N).map(|_| app.api("AddUserPoolClientSecret", add.clone()))).await;
        assert_eq!(successes(&results), 1, "round {round}: one more secret, no more: {results:?}");
        for (status, body) in results.iter().filter(|(s, _)| *s != 200) {
            assert_eq!((*status, body["__type"].as_str()), (400, Some("LimitExceededException")), "{body}");
        }
        let listed = app.ok("ListUserPoolClientSecrets", add.clone()).await;
        assert_eq!(listed["ClientSecrets"].as_array().map(Vec::len), Some(2), "round {round}: {listed}");
        let added = &results.iter().find(|(s, _)| *s == 200).expect("one success").1;
        let id = added["ClientSecretDescriptor"]["ClientSecretId"].as_str().expect("the new secret's id");
        app.ok("DeleteUserPoolClientSecret", json!({"UserPoolId": pool, "ClientId": client, "ClientSecretId": id}))
            .await;
    }
}

#[tokio::test]
async fn simultaneous_client_secret_deletions_never_leave_a_client_without_one() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&pool, true, json!({})).await;
    let add = json!({"UserPoolId": pool, "ClientId": client});
    for round in 0..4 {
        app.ok("AddUserPoolClientSecret", add.clone()).await;
        let listed = app.ok("ListUserPoolClientSecrets", add.clone()).await;
        let ids: Vec<String> = listed["ClientSecrets"]
            .as_array()
            .expect("secrets")
            .iter()
            .map(|d| d["ClientSecretId"].as_str().expect("id").to_string())
            .collect();
        assert_eq!(ids.len(), 2, "round {round}: {listed}");
        // Both at once, each several times: one of the two may go, never both.
        let deletes = ids.iter().cycle().take(N).map(|id| {
            app.api("DeleteUserPoolClientSecret", json!({"UserPoolId": pool, "ClientId": client, "ClientSecretId": id}))
        });
        let results = futures_util::future::join_all(deletes).await;
        assert_eq!(successes(&results), 1, "round {round}: one deletion, no more: {results:?}");
        let left = app.ok("ListUserPoolClientSecrets", add.clone()).await;
        let left_ids = left["ClientSecrets"].as_array().map(Vec::len);
        assert_eq!(left_ids, Some(1), "round {round}: {left}");
        let kept = left["ClientSecrets"][0]["ClientSecretId"].as_str().unwrap().to_string();
        assert!(ids.contains(&kept));
        let d = app.ok("DescribeUserPoolClient", add.clone()).await;
        assert!(d["UserPoolClient"]["ClientSecret"].as_str().is_some_and(|s| !s.is_empty()), "{d}");
    }
}
