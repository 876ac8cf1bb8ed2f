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

/// The attempts one call makes with `script`: three while the function is unavailable.
fn attempts(script: &Script) -> usize {
    if matches!(script, Script::Status(500)) { 3 } else { 1 }
}

/// How many calls `function` has had, once it has had `at_least` (or after 15 s).
async fn called(fake: &FakeLambda, function: &str, at_least: usize) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while fake.events_of(function).len() < at_least && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    fake.events_of(function).len()
}

/// Wait until `name`'s live `purpose` code is the unredeemable one an undelivered code becomes.
async fn spoiled(app: &TestApp, f: &Flow, name: &str, purpose: &str) {
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": name})).await;
    let sub = user["Username"].as_str().expect("username");
    let store = &app.services.store;
    let row = store.get_user_by_username(&f.pool, sub).await.expect("store").expect("user");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let code = store.get_user_code(&row.id, purpose).await.expect("store").expect("a code row");
        if code.code_mac == "unredeemable" {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "the undelivered code was never spoiled");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// ForgotPassword does not wait for the CustomMessage function: a slow one takes as long for
/// an existing user as for a name nobody has (no function), and the code still arrives.
#[tokio::test]
async fn recovery_answers_before_the_custom_message_function_does() {
    let fake = FakeLambda::start();
    let (app, sink) = trigger_app(&fake).await;
    let f = hiding_pool(&app, &[("CustomMessage", "msg")]).await;
    app.create_user(&f.pool, ANN, PASSWORD, json!([{"Name": "email_verified", "Value": "true"}])).await;
    fake.script("msg", Script::Slow(3));
    let started = std::time::Instant::now();
    let (status, body) = by_name(&app, &f, "ForgotPassword", ANN).await;
    let took = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert!(took < std::time::Duration::from_millis(2500), "the answer waited {took:?} for the function");
    let code = sink.nth_to(ANN, 0).await.code();
    assert_eq!(code.len(), 6, "the code is mailed once the function has answered");
}

async fn by_name(app: &TestApp, f: &Flow, action: &str, name: &str) -> (u16, String) {
    app.public_api_raw(action, json!({"ClientId": f.client_id, "Username": name})).await
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
        // The function is asked after the answer: wait for its calls, then for the spoiled code.
        let asked = called(&fake, "msg", calls + 2 * attempts(&script)).await - calls;
        assert_eq!(asked, 2 * attempts(&script), "the function was asked for the real users only");
        spoiled(&app, &f, ANN, "forgot_password").await;
    }
    assert_eq!(sink.count_to(ANN), 0, "no mail without the function's words");
    // The code left behind answers like the unknown user's simulated one.
    let confirm = |name: &str| json!({"ClientId": f.client_id, "Username": name, "ConfirmationCode": "123456", "Password": "N3w-Passw0rd!"});
    let unknown = app.public_api_raw("ConfirmForgotPassword", confirm(AMY)).await;
    assert_eq!(app.public_api_raw("ConfirmForgotPassword", confirm(ANN)).await, unknown);
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
    let refused = app.public_api_raw("InitiateAuth", sign_in(ANN)).await;
    assert_eq!(refused.0, 400);
    assert!(refused.1.contains("Incorrect username or password."), "{}", refused.1);
    let bad_status = json!({"userAttributes": {"email": AMY}, "finalUserStatus": "ARCHIVED"});
    let scripts = [Script::Fail("unknown"), Script::Status(500), Script::Garbage, Script::Respond(bad_status)];
    for script in scripts {
        fake.script("migrate", script.clone());
        let calls = fake.events_of("migrate").len();
        assert_eq!(app.public_api_raw("InitiateAuth", sign_in(AMY)).await, refused, "{script:?}");
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
