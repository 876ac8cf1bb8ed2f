//! PreTokenGeneration V2_0 and V3_0 against the fake Lambda Invoke API
//! ([`crate::triggers_fake`]): claims of both tokens added, overridden (arrays and objects too)
//! and suppressed, reserved claims untouched, `scopesToAdd`/`scopesToSuppress` in the access
//! token's `scope`, group override; the client_credentials grant (V3 only); every
//! `triggerSource` (Authentication, NewPasswordChallenge, AuthenticateDevice, RefreshTokens,
//! HostedAuth, ClientCredentials); `clientMetadata`; malformed answers.

use crate::devices::{DEVICE_PASSWORD, confirm, flows, password_sign_in, prove_device};
use crate::helpers::*;
use crate::triggers_auth::password_auth;
use crate::triggers_fake::*;
use serde_json::{Value, json};

/// A pool whose PreTokenGenerationConfig is `version` with function `function`, e-mail verified
/// by code, a public client with `client_extra`, and `extra` merged into the pool.
async fn versioned_pool(app: &TestApp, version: &str, function: &str, extra: Value, client_extra: Value) -> Flow {
    let mut body = json!({"LambdaConfig": {"PreTokenGenerationConfig": {"LambdaVersion": version,
                                                                      "LambdaArn": arn(function)}},
                          "AutoVerifiedAttributes": ["email"]});
    merge(&mut body, extra);
    let pool = app.create_pool(body).await;
    let (client_id, secret) = app.create_client(&pool, false, client_extra).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

/// The answer every V2 test function gives: changes to both tokens and their groups.
fn v2_answer() -> Value {
    json!({
        "claimsOverrideDetails": {"claimsToAddOrOverride": {"v1_field": "ignored"}},
        "claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {
                "claimsToAddOrOverride": {"tenant": "acme", "tags": ["a", 1, true], "sub": "forged",
                                          "cognito:username": "mallory", "email_verified": false},
                "claimsToSuppress": ["email", "iss", "aud"],
            },
            "accessTokenGeneration": {
                "claimsToAddOrOverride": {"perm": {"read": true, "level": 3}, "client_id": "evil",
                                          "scope": "everything", "username": "mallory", "token_use": "id"},
                "claimsToSuppress": ["username", "sub", "exp"],
                "scopesToAdd": ["api/read", "openid", "aws.cognito.signin.user.admin"],
                "scopesToSuppress": ["aws.cognito.signin.user.admin", "email"],
            },
            "groupOverrideDetails": {"groupsToOverride": ["vip"], "iamRolesToOverride": [], "preferredRole": null},
        },
    })
}

#[tokio::test]
async fn v2_changes_both_tokens_spares_reserved_claims_and_edits_the_scope() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = versioned_pool(&app, "V2_0", "v2", json!({}), json!({})).await;
    app.create_user(&f.pool, "vic", PASSWORD, json!([{"Name": "email", "Value": "vic@example.com"}])).await;
    app.ok("CreateGroup", json!({"UserPoolId": f.pool, "GroupName": "staff"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": f.pool, "Username": "vic", "GroupName": "staff"})).await;
    fake.script("v2", Script::Respond(v2_answer()));

    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "vic", PASSWORD, json!({"k": "v"}))).await;
    assert_eq!(status, 200, "{v}");
    let r = &v["AuthenticationResult"];
    let id = claims(r["IdToken"].as_str().unwrap());
    assert_eq!(
        (&id["tenant"], &id["tags"], &id["email_verified"]),
        (&json!("acme"), &json!(["a", 1, true]), &json!(false))
    );
    assert!(id.get("email").is_none(), "suppressed: {id}");
    assert!(id.get("v1_field").is_none(), "a V1 answer is ignored for V2: {id}");
    assert_ne!(id["sub"], "forged");
    assert_eq!(
        (&id["cognito:username"], &id["aud"], &id["token_use"]),
        (&json!("vic"), &json!(f.client_id), &json!("id"))
    );
    assert!(id["iss"].as_str().unwrap().ends_with(&f.pool));
    assert_eq!(id["cognito:groups"], json!(["vip"]));
    assert!(id.get("perm").is_none(), "access-token claims stay in the access token");

    let access = claims(r["AccessToken"].as_str().unwrap());
    assert_eq!(access["perm"], json!({"read": true, "level": 3}));
    assert_eq!(
        (&access["client_id"], &access["username"], &access["token_use"]),
        (&json!(f.client_id), &json!("vic"), &json!("access"))
    );
    assert!(access["sub"].is_string() && access["exp"].is_i64(), "{access}");
    assert_eq!(access["scope"], "api/read", "suppressed the admin scope, added api/read, not openid: {access}");
    assert_eq!(access["cognito:groups"], json!(["vip"]));
    assert!(access.get("tenant").is_none());

    let e = &fake.events_of("v2")[0];
    assert_eq!((&e["version"], &e["triggerSource"]), (&json!("2"), &json!("TokenGeneration_Authentication")));
    assert_eq!(e["userName"], "vic");
    assert_eq!(e["request"]["scopes"], json!(["aws.cognito.signin.user.admin"]));
    assert_eq!(e["request"]["groupConfiguration"]["groupsToOverride"], json!(["staff"]));
    assert_eq!(e["request"]["userAttributes"]["email"], "vic@example.com");
    assert!(e["request"].get("clientMetadata").is_none(), "InitiateAuth's ClientMetadata does not reach it: {e}");

    // The hosted sign-in's code grant: the granted scopes in the event and the access token.
    let browser = app.browser();
    let page = sign_in(&browser, &f.authorize_url(&app, ""), "vic", PASSWORD).await;
    let code = query_param(&location(&page), "code").expect("code");
    let hosted: Value = f.redeem(&app, &code).await.json().await.unwrap();
    let e = fake.events_of("v2").last().unwrap().clone();
    assert_eq!(e["triggerSource"], "TokenGeneration_HostedAuth");
    assert_eq!(e["request"]["scopes"], json!(["openid", "email", "profile"]));
    let access = claims(hosted["access_token"].as_str().unwrap());
    assert_eq!(access["scope"], "openid profile api/read", "{access}");
    assert_eq!(claims(hosted["id_token"].as_str().unwrap())["tenant"], "acme");

    // The token endpoint's refresh grant asks again.
    let refreshed: Value =
        f.refresh_request(&app, hosted["refresh_token"].as_str().unwrap()).send().await.unwrap().json().await.unwrap();
    assert_eq!(claims(refreshed["access_token"].as_str().unwrap())["perm"]["level"], 3, "{refreshed}");
    assert_eq!(fake.events_of("v2").last().unwrap()["triggerSource"], "TokenGeneration_RefreshTokens");
}

#[tokio::test]
async fn new_password_and_refresh_say_their_source_and_carry_client_metadata() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = versioned_pool(&app, "V2_0", "v2", json!({}), json!({})).await;
    fake.script("v2", Script::Respond(json!({})));
    let temp = "Temp-Passw0rd!";
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": f.pool, "Username": "nina", "TemporaryPassword": temp, "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "email", "Value": "nina@example.com"}]}),
    )
    .await;
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "nina", temp, json!({"step": "one"}))).await;
    assert_eq!((status, v["ChallengeName"].as_str()), (200, Some("NEW_PASSWORD_REQUIRED")), "{v}");
    assert!(fake.events_of("v2").is_empty());
    let (status, v) = app
        .public_api(
            "RespondToAuthChallenge",
            json!({"ClientId": f.client_id, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": v["Session"],
                   "ChallengeResponses": {"USERNAME": "nina", "NEW_PASSWORD": PASSWORD},
                   "ClientMetadata": {"step": "two", "n": 5}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let e = fake.events_of("v2")[0].clone();
    assert_eq!(e["triggerSource"], "TokenGeneration_NewPasswordChallenge");
    assert_eq!(e["request"]["clientMetadata"], json!({"step": "two"}), "strings only: {e}");

    let refresh = v["AuthenticationResult"]["RefreshToken"].clone();
    let (status, v) = app
        .public_api(
            "GetTokensFromRefreshToken",
            json!({"ClientId": f.client_id, "RefreshToken": refresh, "ClientMetadata": {"why": "refresh"}}),
        )
        .await;
    assert_eq!(status, 200, "{v}");
    let e = fake.events_of("v2").last().unwrap().clone();
    assert_eq!(e["triggerSource"], "TokenGeneration_RefreshTokens");
    assert_eq!(e["request"]["clientMetadata"], json!({"why": "refresh"}));
}

#[tokio::test]
async fn a_remembered_device_sign_in_says_authenticate_device() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let devices = json!({"DeviceConfiguration": {"ChallengeRequiredOnNewDevice": false,
                                                 "DeviceOnlyRememberedOnUserPrompt": false}});
    let f = versioned_pool(&app, "V1_0", "v1", devices, flows()).await;
    app.create_user(&f.pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let r = password_sign_in(&app, &f, None).await["AuthenticationResult"].clone();
    assert_eq!(fake.events_of("v1")[0]["triggerSource"], "TokenGeneration_Authentication");
    let (key, group) = (
        r["NewDeviceMetadata"]["DeviceKey"].as_str().unwrap(),
        r["NewDeviceMetadata"]["DeviceGroupKey"].as_str().unwrap(),
    );
    assert_eq!(confirm(&app, r["AccessToken"].as_str().unwrap(), key, group, DEVICE_PASSWORD).await.0, 200);
    let v = password_sign_in(&app, &f, Some(key)).await;
    assert_eq!(v["ChallengeName"], "DEVICE_SRP_AUTH", "{v}");
    let (st, out) = prove_device(&app, &f, &v["Session"], key, group, DEVICE_PASSWORD).await;
    assert_eq!(st, 200, "{out}");
    let e = fake.events_of("v1").last().unwrap().clone();
    assert_eq!((&e["version"], &e["triggerSource"]), (&json!("1"), &json!("TokenGeneration_AuthenticateDevice")));
}

/// A confidential client_credentials client of `f.pool` allowed `api/read` and `api/write`.
async fn machine_client(app: &TestApp, pool: &str) -> (String, String) {
    app.ok(
        "CreateResourceServer",
        json!({"UserPoolId": pool, "Identifier": "api", "Name": "api",
               "Scopes": [{"ScopeName": "read", "ScopeDescription": "r"}, {"ScopeName": "write", "ScopeDescription": "w"}]}),
    )
    .await;
    let (id, secret) = app
        .create_client(
            pool,
            true,
            json!({"AllowedOAuthFlows": ["client_credentials"], "AllowedOAuthScopes": ["api/read", "api/write"]}),
        )
        .await;
    (id, secret.expect("secret"))
}

async fn client_token(app: &TestApp, pool: &str, client: (&str, &str), metadata: Option<&str>) -> (u16, Value) {
    let mut form = vec![("grant_type", "client_credentials"), ("client_id", client.0), ("client_secret", client.1)];
    if let Some(m) = metadata {
        form.push(("aws_client_metadata", m));
    }
    let r = app.http.post(app.url(pool, "/oauth2/token")).form(&form).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn v3_changes_client_credentials_tokens_and_v2_is_not_asked_for_them() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = versioned_pool(&app, "V3_0", "v3", json!({}), json!({})).await;
    let (id, secret) = machine_client(&app, &f.pool).await;
    fake.script("v3", Script::Respond(v2_answer()));
    let (status, v) = client_token(&app, &f.pool, (&id, &secret), Some(r#"{"tenant":"t1","n":2}"#)).await;
    assert_eq!(status, 200, "{v}");
    assert!(v.get("id_token").is_none());
    let access = claims(v["access_token"].as_str().unwrap());
    assert_eq!(access["perm"], json!({"read": true, "level": 3}));
    assert_eq!(
        (&access["sub"], &access["client_id"], &access["token_use"]),
        (&json!(id), &json!(id), &json!("access"))
    );
    assert_eq!(access["scope"], "api/read api/write", "{access}");
    assert!(access.get("cognito:groups").is_none(), "no groups for a client: {access}");
    let e = fake.events_of("v3")[0].clone();
    assert_eq!((&e["version"], &e["triggerSource"]), (&json!("3"), &json!("TokenGeneration_ClientCredentials")));
    assert!(e.get("userName").is_none() && e["request"].get("userAttributes").is_none(), "{e}");
    assert_eq!(e["callerContext"]["clientId"], id);
    assert_eq!(e["request"]["scopes"], json!(["api/read", "api/write"]));
    assert_eq!(e["request"]["clientMetadata"], json!({"tenant": "t1"}));

    // Scopes a function suppresses leave the token.
    fake.script(
        "v3",
        Script::Respond(json!({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {
            "scopesToSuppress": ["api/write"], "scopesToAdd": ["api/admin"]}}})),
    );
    let (_, v) = client_token(&app, &f.pool, (&id, &secret), None).await;
    assert_eq!(claims(v["access_token"].as_str().unwrap())["scope"], "api/read api/admin");

    // A V2 function is for users only: a client's token does not call it.
    let g = versioned_pool(&app, "V2_0", "v2", json!({}), json!({})).await;
    let (id, secret) = machine_client(&app, &g.pool).await;
    fake.script("v2", Script::Respond(v2_answer()));
    let (status, v) = client_token(&app, &g.pool, (&id, &secret), None).await;
    assert_eq!(status, 200, "{v}");
    assert!(claims(v["access_token"].as_str().unwrap()).get("perm").is_none());
    assert!(fake.events_of("v2").is_empty());
}

#[tokio::test]
async fn malformed_v2_answers_are_invalid_lambda_responses() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = versioned_pool(&app, "V3_0", "v3", json!({}), json!({})).await;
    app.create_user(&f.pool, "vic", PASSWORD, json!([{"Name": "email", "Value": "vic@example.com"}])).await;
    let bad = [
        json!({"claimsAndScopeOverrideDetails": "all"}),
        json!({"claimsAndScopeOverrideDetails": {"idTokenGeneration": []}}),
        json!({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"claimsToAddOrOverride": "x"}}}),
        json!({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"scopesToAdd": "api/read"}}}),
        json!({"claimsAndScopeOverrideDetails": {"accessTokenGeneration": {"claimsToSuppress": [1]}}}),
        json!({"claimsAndScopeOverrideDetails": {"idTokenGeneration": {"claimsToAddOrOverride":
            {"email_verified": {"really": true}}}}}),
        json!({"claimsAndScopeOverrideDetails": {"groupOverrideDetails": {"groupsToOverride": "vip"}}}),
    ];
    for answer in bad {
        fake.script("v3", Script::Respond(answer.clone()));
        let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "vic", PASSWORD, json!({}))).await;
        assert_eq!((status, err_type(&v)), (400, "InvalidLambdaResponseException"), "{answer}: {v}");
    }
    // On the token endpoint a broken function is the server's dependency failing (502), a
    // refusal is the function's words as a refused request (400); neither is a 500.
    let (id, secret) = machine_client(&app, &f.pool).await;
    fake.script("v3", Script::Respond(json!({"claimsAndScopeOverrideDetails": 7})));
    let (status, v) = client_token(&app, &f.pool, (&id, &secret), None).await;
    assert_eq!((status, v["error"].as_str()), (502, Some("server_error")), "{v}");
    fake.script("v3", Script::Fail("no tokens for robots"));
    let (status, v) = client_token(&app, &f.pool, (&id, &secret), None).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_request")), "{v}");
    let description = v["error_description"].as_str().unwrap_or_default();
    assert!(description.contains("no tokens for robots"), "{v}");
    let (status, v) = client_token(&app, &f.pool, (&id, &secret), Some("[1]")).await;
    assert_eq!((status, v["error"].as_str()), (400, Some("invalid_request")), "{v}");
}
