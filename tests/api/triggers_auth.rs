//! The sign-in and confirmation triggers against the fake Lambda Invoke API
//! ([`crate::triggers_fake`]): PreAuthentication (API password and SRP sign-ins, the hosted
//! login, `userNotFound` for hidden unknown users), PostAuthentication, PostConfirmation from a
//! code and from a password reset, and the durable retry of a failed PostConfirmation, delivered
//! by the janitor of a second app on the same database.

use crate::helpers::*;
use crate::triggers_fake::*;
use serde_json::{Value, json};

pub fn password_auth(f: &Flow, username: &str, password: &str, metadata: Value) -> Value {
    json!({
        "AuthFlow": "USER_PASSWORD_AUTH",
        "ClientId": f.client_id,
        "AuthParameters": {"USERNAME": username, "PASSWORD": password},
        "ClientMetadata": metadata,
    })
}

#[tokio::test]
async fn pre_and_post_authentication_around_api_and_hosted_sign_ins() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f =
        trigger_pool(&app, &[("PreAuthentication", "pre-auth"), ("PostAuthentication", "post-auth")], json!({})).await;
    app.create_user(&f.pool, "rita", PASSWORD, json!([{"Name": "email", "Value": "rita@example.com"}])).await;

    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "rita", PASSWORD, json!({"app": "m"}))).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["AuthenticationResult"]["IdToken"].is_string());
    let pre = fake.events_of("pre-auth");
    assert_eq!(pre.len(), 1);
    assert_eq!(pre[0]["triggerSource"], "PreAuthentication_Authentication");
    assert_eq!(pre[0]["userName"], "rita");
    assert_eq!(pre[0]["callerContext"]["clientId"], f.client_id);
    assert_eq!(pre[0]["request"]["userAttributes"]["email"], "rita@example.com");
    assert!(pre[0]["request"]["userAttributes"]["sub"].is_string());
    assert_eq!(pre[0]["request"]["validationData"], json!({"app": "m"}), "ClientMetadata, as Cognito passes it");
    assert!(pre[0]["request"].get("userNotFound").is_none());
    let post = fake.events_of("post-auth");
    assert_eq!(post.len(), 1);
    assert_eq!(post[0]["triggerSource"], "PostAuthentication_Authentication");
    assert_eq!(post[0]["request"]["newDeviceUsed"], false);

    // A wrong password: PreAuthentication ran, PostAuthentication did not.
    let (_, v) = app.public_api("InitiateAuth", password_auth(&f, "rita", "Wrong-Horse-1", json!({}))).await;
    assert_eq!(err_type(&v), "NotAuthorizedException");
    assert_eq!((fake.events_of("pre-auth").len(), fake.events_of("post-auth").len()), (2, 1));

    // A refusal stops the sign-in before the password is checked, in the API and on the page.
    fake.script("pre-auth", Script::Fail("Outside office hours"));
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "rita", PASSWORD, json!({}))).await;
    assert_eq!((status, err_type(&v)), (400, "UserLambdaValidationException"));
    assert_eq!(err_message(&v), "PreAuthentication failed with error Outside office hours.");
    let browser = app.browser();
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "rita", PASSWORD).await;
    let page = r.text().await.unwrap();
    assert!(page.contains("PreAuthentication failed with error Outside office hours."), "{page}");
    assert_eq!(fake.events_of("post-auth").len(), 1);

    // The hosted page hides unknown users: the function hears of them with userNotFound.
    fake.script("pre-auth", Script::Respond(json!({})));
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "nobody", PASSWORD).await;
    assert_eq!(r.status(), 400);
    let last = fake.events_of("pre-auth").pop().unwrap();
    assert_eq!(last["request"]["userNotFound"], true);
    assert_eq!(last["userName"], "nobody");
    // And a right password on the page signs in, with PostAuthentication after it.
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "rita", PASSWORD).await;
    assert!(location(&r).starts_with(CALLBACK), "{}", location(&r));
    assert_eq!(fake.events_of("post-auth").len(), 2);
}

#[tokio::test]
async fn the_api_tells_unknown_users_without_asking_the_function_unless_they_are_hidden() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("PreAuthentication", "pre-auth")], json!({})).await;
    let (_, v) = app.public_api("InitiateAuth", password_auth(&f, "ghost", PASSWORD, json!({}))).await;
    assert_eq!(err_type(&v), "UserNotFoundException");
    assert!(fake.calls().is_empty());
    let hidden =
        trigger_pool(&app, &[("PreAuthentication", "pre-auth")], json!({"PreventUserExistenceErrors": "ENABLED"}))
            .await;
    let (_, v) = app.public_api("InitiateAuth", password_auth(&hidden, "ghost", PASSWORD, json!({}))).await;
    assert_eq!(err_type(&v), "NotAuthorizedException");
    assert_eq!(fake.events_of("pre-auth")[0]["request"]["userNotFound"], true);
}

#[tokio::test]
async fn post_confirmation_follows_a_code_and_a_password_reset() {
    let fake = FakeLambda::start();
    let (app, sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("PostConfirmation", "welcome")], json!({})).await;
    let sign_up = json!({
        "ClientId": f.client_id, "Username": "sam", "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": "sam@example.com"}],
    });
    let (status, v) = app.public_api("SignUp", sign_up).await;
    assert_eq!(status, 200, "{v}");
    assert!(fake.calls().is_empty(), "nothing is confirmed yet");
    let code = sink.nth_to("sam@example.com", 0).await.code();
    let confirm = json!({"ClientId": f.client_id, "Username": "sam", "ConfirmationCode": code,
                         "ClientMetadata": {"ref": "mail"}});
    let (status, v) = app.public_api("ConfirmSignUp", confirm).await;
    assert_eq!(status, 200, "{v}");
    let e = &fake.events_of("welcome")[0];
    assert_eq!(e["triggerSource"], "PostConfirmation_ConfirmSignUp");
    assert_eq!(e["userName"], "sam");
    assert_eq!(e["request"]["userAttributes"]["email_verified"], "true");
    assert_eq!(e["request"]["clientMetadata"], json!({"ref": "mail"}));

    let (status, _) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "sam"})).await;
    assert_eq!(status, 200);
    let code = sink.nth_to("sam@example.com", 1).await.code();
    let reset =
        json!({"ClientId": f.client_id, "Username": "sam", "ConfirmationCode": code, "Password": "New-Horse-77"});
    let (status, v) = app.public_api("ConfirmForgotPassword", reset).await;
    assert_eq!(status, 200, "{v}");
    let events = fake.events_of("welcome");
    assert_eq!(events.len(), 2);
    assert_eq!(events[1]["triggerSource"], "PostConfirmation_ConfirmForgotPassword");
}

#[tokio::test]
async fn a_failed_post_confirmation_is_retried_after_a_restart() {
    let fake = FakeLambda::start();
    // The nodes' own retry workers stay out of the way: the passes here are the test's.
    let app = TestApp::spawn_with(|c| {
        configure(c, &fake);
        c.triggers.retry_every_secs = Some(3600);
    })
    .await;
    let f = trigger_pool(&app, &[("PostConfirmation", "flaky")], json!({})).await;
    fake.script("flaky", Script::Garbage);
    let sign_up = json!({"ClientId": f.client_id, "Username": "tess", "Password": PASSWORD});
    assert_eq!(app.public_api("SignUp", sign_up).await.0, 200);
    // The confirmation stands and is answered as done; the call waits in the queue.
    let (status, v) = app.api("AdminConfirmSignUp", json!({"UserPoolId": f.pool, "Username": "tess"})).await;
    assert_eq!(status, 200, "{v}");
    let queued = app.services.store.pool_trigger_retries(&f.pool.as_str().into()).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!((queued[0].trigger_name.as_str(), queued[0].attempts), ("PostConfirmation", 1));

    // Another app on the same database (a restart, or another node).
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = app.config.clone();
    config.listen = format!("127.0.0.1:{}", listener.local_addr().unwrap().port());
    let second = portcullis::startup::Application::build_on(config, app.clock.clone(), listener).await.unwrap();
    let node = second.services.clone();
    // Not due yet: nothing is sent.
    assert!(portcullis::startup::trigger_retry_pass(&node, "node-2").await);
    assert_eq!(fake.events_of("flaky").len(), 1);
    // Due, and failing again: rescheduled with a longer delay.
    app.clock.advance_secs(16);
    assert!(portcullis::startup::trigger_retry_pass(&node, "node-2").await);
    let queued = node.store.pool_trigger_retries(&f.pool.as_str().into()).await.unwrap();
    assert_eq!(queued[0].attempts, 2);
    assert_eq!(fake.events_of("flaky").len(), 2);
    // The function is back: the next due pass delivers it, once.
    fake.script("flaky", Script::Respond(json!({})));
    app.clock.advance_secs(31);
    assert!(portcullis::startup::trigger_retry_pass(&node, "node-2").await);
    assert!(node.store.pool_trigger_retries(&f.pool.as_str().into()).await.unwrap().is_empty());
    let sent = fake.events_of("flaky");
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2]["triggerSource"], "PostConfirmation_ConfirmSignUp");
    assert_eq!(sent[2]["userName"], "tess");
    app.clock.advance_secs(3600);
    assert!(portcullis::startup::trigger_retry_pass(&node, "node-2").await);
    assert_eq!(fake.events_of("flaky").len(), 3);
}

#[tokio::test]
async fn the_hosted_confirm_page_runs_post_confirmation() {
    let fake = FakeLambda::start();
    let (app, sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("PreSignUp", "pre"), ("PostConfirmation", "welcome")], json!({})).await;
    let browser = app.browser();
    let r = hosted_sign_up(&app, &f, &browser, "uma", "uma@example.com").await;
    assert_eq!(r.status(), 302);
    assert_eq!(fake.events_of("pre")[0]["triggerSource"], "PreSignUp_SignUp");
    let confirm = browser.get(location(&r)).send().await.unwrap().text().await.unwrap();
    let code = sink.nth_to("uma@example.com", 0).await.code();
    let csrf = hidden(&confirm, "_csrf");
    let form = [("_csrf", csrf.as_str()), ("username", "uma"), ("code", code.as_str())];
    let r = browser.post(form_action(&confirm)).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let e = fake.events_of("welcome");
    assert_eq!(e.len(), 1);
    assert_eq!(e[0]["triggerSource"], "PostConfirmation_ConfirmSignUp");
    assert_eq!(e[0]["callerContext"]["clientId"], f.client_id);
    assert_eq!(e[0]["request"]["userAttributes"]["email_verified"], "true");
}

#[tokio::test]
async fn pre_token_generation_v1_edits_the_id_token_and_the_groups() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("PreTokenGeneration", "claims")], json!({})).await;
    app.create_user(&f.pool, "vic", PASSWORD, json!([{"Name": "email", "Value": "vic@example.com"}])).await;
    app.ok("CreateGroup", json!({"UserPoolId": f.pool, "GroupName": "staff"})).await;
    app.ok("AdminAddUserToGroup", json!({"UserPoolId": f.pool, "Username": "vic", "GroupName": "staff"})).await;
    fake.script(
        "claims",
        Script::Respond(json!({"claimsOverrideDetails": {
            "claimsToAddOrOverride": {"tenant": "acme", "sub": "forged", "token_use": "access"},
            "claimsToSuppress": ["email", "iss"],
            "groupOverrideDetails": {"groupsToOverride": ["vip"]},
        }})),
    );
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "vic", PASSWORD, json!({}))).await;
    assert_eq!(status, 200, "{v}");
    let r = &v["AuthenticationResult"];
    let id = claims(r["IdToken"].as_str().unwrap());
    assert_eq!(id["tenant"], "acme");
    assert!(id.get("email").is_none(), "suppressed");
    assert_ne!(id["sub"], "forged", "reserved claims stay");
    assert_eq!(id["token_use"], "id");
    assert!(id["iss"].as_str().unwrap().ends_with(&f.pool));
    assert_eq!(id["cognito:groups"], json!(["vip"]));
    let access = claims(r["AccessToken"].as_str().unwrap());
    assert_eq!(access["cognito:groups"], json!(["vip"]));
    assert!(access.get("tenant").is_none(), "V1 changes the ID token's claims only");
    let e = &fake.events_of("claims")[0];
    assert_eq!(e["triggerSource"], "TokenGeneration_Authentication");
    assert_eq!(e["request"]["groupConfiguration"]["groupsToOverride"], json!(["staff"]));
    assert_eq!(e["request"]["userAttributes"]["email"], "vic@example.com");

    // The hosted sign-in's code grant: the same edits, source HostedAuth.
    let browser = app.browser();
    let page = sign_in(&browser, &f.authorize_url(&app, ""), "vic", PASSWORD).await;
    let code = query_param(&location(&page), "code").expect("code");
    let hosted: Value = f.redeem(&app, &code).await.json().await.unwrap();
    assert_eq!(claims(hosted["id_token"].as_str().unwrap())["tenant"], "acme");
    assert_eq!(fake.events_of("claims").last().unwrap()["triggerSource"], "TokenGeneration_HostedAuth");

    // The refresh grant asks again, with its own source; a refusal issues nothing.
    let refresh = json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": f.client_id,
                         "AuthParameters": {"REFRESH_TOKEN": r["RefreshToken"]}});
    fake.script("claims", Script::Fail("frozen account"));
    let (status, v) = app.public_api("InitiateAuth", refresh).await;
    assert_eq!((status, err_type(&v)), (400, "UserLambdaValidationException"), "{v}");
    assert_eq!(err_message(&v), "PreTokenGeneration failed with error frozen account.");
    assert_eq!(fake.events_of("claims").last().unwrap()["triggerSource"], "TokenGeneration_RefreshTokens");
}

#[tokio::test]
async fn a_failed_post_confirmation_is_retried_within_seconds_without_a_restart() {
    let fake = FakeLambda::start();
    let app = TestApp::spawn_with(|c| {
        configure(c, &fake);
        c.triggers.retry_every_secs = Some(1);
    })
    .await;
    let f = trigger_pool(&app, &[("PostConfirmation", "flaky")], json!({})).await;
    fake.script("flaky", Script::Garbage);
    let sign_up = json!({"ClientId": f.client_id, "Username": "rita", "Password": PASSWORD});
    assert_eq!(app.public_api("SignUp", sign_up).await.0, 200);
    let (status, v) = app.api("AdminConfirmSignUp", json!({"UserPoolId": f.pool, "Username": "rita"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(fake.events_of("flaky").len(), 1);
    fake.script("flaky", Script::Respond(json!({})));
    // Fifteen seconds on, the call is due, and the running node sends it on its own.
    app.clock.advance_secs(16);
    let pool = f.pool.as_str().into();
    for _ in 0..100 {
        if app.services.store.pool_trigger_retries(&pool).await.unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(app.services.store.pool_trigger_retries(&pool).await.unwrap().is_empty(), "delivered");
    let sent = fake.events_of("flaky");
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[1]["triggerSource"], "PostConfirmation_ConfirmSignUp");
    assert_eq!(sent[1]["userName"], "rita");
}

/// PostAuthentication's `newDeviceUsed`: true for a sign-in from a device the user has not
/// remembered in a pool that tracks devices, false once the remembered device proves itself.
#[tokio::test]
async fn post_authentication_tells_a_new_device_from_a_remembered_one() {
    use crate::devices::{DEVICE_PASSWORD, confirm, device_pool, password_sign_in, prove_device};
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let config = json!({"ChallengeRequiredOnNewDevice": false, "DeviceOnlyRememberedOnUserPrompt": false});
    let (f, _) = device_pool(&app, Some(config.clone()), "OFF").await;
    let update = json!({"UserPoolId": f.pool, "DeviceConfiguration": config,
                        "LambdaConfig": {"PostAuthentication": arn("post-auth")}});
    app.ok("UpdateUserPool", update).await;

    let r = password_sign_in(&app, &f, None).await["AuthenticationResult"].clone();
    let new = &r["NewDeviceMetadata"];
    let (key, group) = (new["DeviceKey"].as_str().unwrap(), new["DeviceGroupKey"].as_str().unwrap());
    assert_eq!(fake.events_of("post-auth")[0]["request"]["newDeviceUsed"], true);
    assert_eq!(confirm(&app, r["AccessToken"].as_str().unwrap(), key, group, DEVICE_PASSWORD).await.0, 200);

    // A key the user never confirmed is still a new device.
    password_sign_in(&app, &f, Some("us-east-1_0000-not-a-device")).await;
    assert_eq!(fake.events_of("post-auth")[1]["request"]["newDeviceUsed"], true);

    let v = password_sign_in(&app, &f, Some(key)).await;
    assert_eq!(v["ChallengeName"], "DEVICE_SRP_AUTH", "{v}");
    let (st, out) = prove_device(&app, &f, &v["Session"], key, group, DEVICE_PASSWORD).await;
    assert_eq!(st, 200, "{out}");
    let post = fake.events_of("post-auth");
    assert_eq!(post.len(), 3);
    assert_eq!(post[2]["request"]["newDeviceUsed"], false, "the remembered device signed in");
}
