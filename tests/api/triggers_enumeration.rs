//! No user enumeration through the triggers: with PreventUserExistenceErrors=ENABLED a failed
//! or refusing function answers an existing user's request exactly (status and bytes) as the
//! request of a name no user has is answered. The pool signs in with e-mail, so the simulated
//! delivery of `amy@example.com` and the real one of `ann@example.com` both read `a***@e***`.

use crate::helpers::*;
use crate::triggers_fake::*;
use serde_json::{Value, json};

const ANN: &str = "ann@example.com";
const AMY: &str = "amy@example.com";

/// An e-mail-username pool with these functions and a client that hides user existence.
async fn hiding_pool(app: &TestApp, functions: &[(&str, &str)]) -> Flow {
    let lambda: serde_json::Map<String, Value> =
        functions.iter().map(|(k, f)| (k.to_string(), json!(arn(f)))).collect();
    let pool = app
        .create_pool(
            json!({"LambdaConfig": lambda, "UsernameAttributes": ["email"], "AutoVerifiedAttributes": ["email"]}),
        )
        .await;
    let client = json!({"PreventUserExistenceErrors": "ENABLED"});
    let (client_id, secret) = app.create_client(&pool, false, client).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

/// The status and the exact bytes of an unsigned call's answer.
async fn raw(app: &TestApp, action: &str, body: Value) -> (u16, String) {
    let resp = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{action}"))
        .body(body.to_string())
        .send()
        .await
        .expect("send");
    (resp.status().as_u16(), resp.text().await.expect("body"))
}

/// The attempts one call makes with `script`: three while the function is unavailable.
fn attempts(script: &Script) -> usize {
    if matches!(script, Script::Status(500)) { 3 } else { 1 }
}

async fn by_name(app: &TestApp, f: &Flow, action: &str, name: &str) -> (u16, String) {
    raw(app, action, json!({"ClientId": f.client_id, "Username": name})).await
}

#[tokio::test]
async fn a_custom_message_refusal_answers_recovery_as_for_an_unknown_user() {
    let fake = FakeLambda::start();
    let (app, sink) = trigger_app(&fake).await;
    let f = hiding_pool(&app, &[("CustomMessage", "msg")]).await;
    app.create_user(&f.pool, ANN, PASSWORD, json!([{"Name": "email_verified", "Value": "true"}])).await;
    let sign_up = json!({"ClientId": f.client_id, "Username": "ali@example.com", "Password": PASSWORD});
    let (status, v) = app.public_api("SignUp", sign_up).await;
    assert_eq!(status, 200, "{v}");

    for script in [Script::Fail("no mail today"), Script::Status(500), Script::Garbage] {
        fake.script("msg", script.clone());
        let calls = fake.events_of("msg").len();
        let unknown = by_name(&app, &f, "ForgotPassword", AMY).await;
        assert_eq!(unknown.0, 200, "{}", unknown.1);
        assert!(unknown.1.contains("a***@e***"), "{}", unknown.1);
        assert_eq!(by_name(&app, &f, "ForgotPassword", ANN).await, unknown, "{script:?}");
        // ali is unconfirmed: the code is resent to them, and the function refuses it.
        let unknown = by_name(&app, &f, "ResendConfirmationCode", "abe@example.com").await;
        assert_eq!(unknown.0, 200, "{}", unknown.1);
        assert_eq!(by_name(&app, &f, "ResendConfirmationCode", "ali@example.com").await, unknown, "{script:?}");
        let asked = fake.events_of("msg").len() - calls;
        assert_eq!(asked, 2 * attempts(&script), "the function was asked for the real users only");
    }
    assert_eq!(sink.count_to(ANN), 0, "no mail without the function's words");
    // The code left behind answers like the unknown user's simulated one.
    let confirm = |name: &str| json!({"ClientId": f.client_id, "Username": name, "ConfirmationCode": "123456", "Password": "N3w-Passw0rd!"});
    let unknown = raw(&app, "ConfirmForgotPassword", confirm(AMY)).await;
    assert_eq!(raw(&app, "ConfirmForgotPassword", confirm(ANN)).await, unknown);
    assert!(unknown.1.contains("CodeMismatchException"), "{}", unknown.1);

    // Once the function answers again, the real user gets a working code.
    fake.script("msg", Script::Respond(json!({})));
    let (status, _) = by_name(&app, &f, "ForgotPassword", ANN).await;
    assert_eq!(status, 200);
    let code = sink.nth_to(ANN, 0).await.code();
    let mut body = confirm(ANN);
    body["ConfirmationCode"] = json!(code);
    let (status, v) = app.public_api("ConfirmForgotPassword", body).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn a_failing_migration_function_answers_as_an_unknown_user() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = hiding_pool(&app, &[("UserMigration", "migrate")]).await;
    app.create_user(&f.pool, ANN, PASSWORD, json!([{"Name": "email_verified", "Value": "true"}])).await;
    let sign_in = |name: &str| {
        json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": f.client_id,
               "AuthParameters": {"USERNAME": name, "PASSWORD": "Wrong-Horse-1"}})
    };
    let refused = raw(&app, "InitiateAuth", sign_in(ANN)).await;
    assert_eq!(refused.0, 400);
    assert!(refused.1.contains("Incorrect username or password."), "{}", refused.1);
    let bad_status = json!({"userAttributes": {"email": AMY}, "finalUserStatus": "ARCHIVED"});
    let scripts = [Script::Fail("unknown"), Script::Status(500), Script::Garbage, Script::Respond(bad_status)];
    for script in scripts {
        fake.script("migrate", script.clone());
        let calls = fake.events_of("migrate").len();
        assert_eq!(raw(&app, "InitiateAuth", sign_in(AMY)).await, refused, "{script:?}");
        let unknown_forgot = by_name(&app, &f, "ForgotPassword", "abe@example.com").await;
        assert_eq!(unknown_forgot.0, 200, "{script:?}: {}", unknown_forgot.1);
        assert!(unknown_forgot.1.contains("a***@e***"), "{}", unknown_forgot.1);
        assert_eq!(fake.events_of("migrate").len() - calls, 2 * attempts(&script), "the function was asked");
    }
    let (status, _) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": AMY})).await;
    assert_eq!(status, 400, "nobody was migrated");
}

#[tokio::test]
async fn sign_up_of_a_taken_name_is_username_exists_whatever_pre_sign_up_says() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = hiding_pool(&app, &[("PreSignUp", "pre")]).await;
    app.create_user(&f.pool, ANN, PASSWORD, json!([{"Name": "email_verified", "Value": "true"}])).await;
    fake.script("pre", Script::Fail("closed"));
    let asked = fake.events_of("pre").len();
    let body = |name: &str| json!({"ClientId": f.client_id, "Username": name, "Password": PASSWORD});
    let (status, v) = app.public_api("SignUp", body(ANN)).await;
    assert_eq!((status, err_type(&v)), (400, "UsernameExistsException"), "{v}");
    assert_eq!(fake.events_of("pre").len(), asked, "the function is not asked about a name that is taken");
    let (status, v) = app.public_api("SignUp", body(AMY)).await;
    assert_eq!((status, err_type(&v)), (400, "UserLambdaValidationException"), "{v}");
    assert_eq!(fake.events_of("pre").len(), asked + 1);
}
