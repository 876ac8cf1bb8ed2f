//! Lambda triggers end to end against a local fake of the Lambda Invoke API
//! ([`crate::triggers_fake`]): PreSignUp through SignUp and the hosted sign-up page (the event
//! JSON, autoConfirm/autoVerify, refusals writing nothing), the failure modes (a wrong SigV4 key,
//! a timeout, a bad answer), a Standard Webhooks route, and every call in `/metrics` and the
//! event log.

use crate::helpers::*;
use crate::triggers_fake::*;
use serde_json::{Value, json};

/// An app whose Lambda endpoint is `fake`.
async fn spawn_with_lambda(fake: &FakeLambda) -> TestApp {
    TestApp::spawn_with(|c| configure(c, fake)).await
}

async fn sign_up(app: &TestApp, f: &Flow, username: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({
        "ClientId": f.client_id,
        "Username": username,
        "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")}],
    });
    merge(&mut body, extra);
    app.public_api("SignUp", body).await
}

async fn user_status(app: &TestApp, pool: &str, username: &str) -> Option<(String, Value)> {
    let (status, v) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": username})).await;
    (status == 200)
        .then(|| (v["UserStatus"].as_str().unwrap_or_default().to_string(), attr_map(&v["UserAttributes"]).into()))
}

#[tokio::test]
async fn pre_sign_up_gets_cognitos_event_and_can_confirm_and_verify() {
    let fake = FakeLambda::start();
    let app = spawn_with_lambda(&fake).await;
    let f = trigger_pool(&app, &[("PreSignUp", "pre-signup"), ("PostConfirmation", "post-confirm")], json!({})).await;
    fake.script("pre-signup", Script::Respond(json!({"autoConfirmUser": true, "autoVerifyEmail": true})));
    let extra = json!({
        "ValidationData": [{"Name": "invite", "Value": "x42"}],
        "ClientMetadata": {"campaign": "spring"},
    });
    let (status, v) = sign_up(&app, &f, "ann", extra).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["UserConfirmed"], true);
    assert!(v.get("CodeDeliveryDetails").is_none(), "a confirmed user gets no code: {v}");

    let events = fake.events_of("pre-signup");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e["version"], "1");
    assert_eq!(e["triggerSource"], "PreSignUp_SignUp");
    assert_eq!(e["region"], app.config.region);
    assert_eq!(e["userPoolId"], f.pool);
    assert_eq!(e["userName"], "ann");
    assert_eq!(e["callerContext"]["clientId"], f.client_id);
    assert!(e["callerContext"]["awsSdkVersion"].is_string());
    assert_eq!(e["request"]["userAttributes"]["email"], "ann@example.com");
    assert_eq!(e["request"]["validationData"], json!({"invite": "x42"}));
    assert_eq!(e["request"]["clientMetadata"], json!({"campaign": "spring"}));
    assert_eq!(e["response"], json!({}));

    let (status, attrs) = user_status(&app, &f.pool, "ann").await.expect("the user exists");
    assert_eq!(status, "CONFIRMED");
    assert_eq!(attrs["email_verified"], "true");
    // The auto-confirmation is a confirmation: PostConfirmation follows.
    let post = fake.events_of("post-confirm");
    assert_eq!(post.len(), 1);
    assert_eq!(post[0]["triggerSource"], "PostConfirmation_ConfirmSignUp");
    assert_eq!(post[0]["request"]["userAttributes"]["cognito:user_status"], "CONFIRMED");
    assert_eq!(post[0]["request"]["clientMetadata"], json!({"campaign": "spring"}));

    // Without a decision the user waits for the code as ever.
    fake.script("pre-signup", Script::Respond(json!({})));
    let (status, v) = sign_up(&app, &f, "bob", json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["UserConfirmed"], false);
    assert_eq!(user_status(&app, &f.pool, "bob").await.unwrap().0, "UNCONFIRMED");
    assert_eq!(fake.events_of("pre-signup")[1]["request"]["validationData"], Value::Null);
    assert_eq!(fake.refused(), 0, "every call was signed with the configured key");
}

#[tokio::test]
async fn a_pre_sign_up_refusal_writes_nothing_through_the_api_and_the_hosted_page() {
    let fake = FakeLambda::start();
    let app = spawn_with_lambda(&fake).await;
    let f = trigger_pool(&app, &[("PreSignUp", "gatekeeper")], json!({})).await;
    fake.script("gatekeeper", Script::Fail("Sign-ups are closed"));
    let (status, v) = sign_up(&app, &f, "carl", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(err_type(&v), "UserLambdaValidationException");
    assert_eq!(err_message(&v), "PreSignUp failed with error Sign-ups are closed.");
    assert!(user_status(&app, &f.pool, "carl").await.is_none(), "no half-created user");

    let browser = app.browser();
    let r = hosted_sign_up(&app, &f, &browser, "dora", "dora@example.com").await;
    assert_eq!(r.status(), 400);
    let page = r.text().await.unwrap();
    assert!(page.contains("PreSignUp failed with error Sign-ups are closed."), "{page}");
    assert!(user_status(&app, &f.pool, "dora").await.is_none());
    let hosted = fake.events_of("gatekeeper");
    assert_eq!(hosted.len(), 2);
    assert_eq!(hosted[1]["triggerSource"], "PreSignUp_SignUp");
    assert_eq!(hosted[1]["request"]["userAttributes"]["email"], "dora@example.com");

    // The hosted page honours autoConfirmUser too: straight to the sign-in page.
    fake.script("gatekeeper", Script::Respond(json!({"autoConfirmUser": true})));
    let r = hosted_sign_up(&app, &f, &browser, "eve", "e@x.io").await;
    assert_eq!(r.status(), 302);
    assert!(location(&r).contains("notice=confirmed"), "{}", location(&r));
    assert_eq!(user_status(&app, &f.pool, "eve").await.unwrap().0, "CONFIRMED");
}

#[tokio::test]
async fn failures_are_cognitos_lambda_exceptions() {
    let fake = FakeLambda::start();
    // A wrong secret: the fake refuses the signature.
    let wrong = TestApp::spawn_with(|c| {
        configure(c, &fake);
        c.triggers.lambda_secret_access_key = Some(portcullis::config::Secret::new("not-the-secret"));
    })
    .await;
    let f = trigger_pool(&wrong, &[("PreSignUp", "pre")], json!({})).await;
    let (status, v) = sign_up(&wrong, &f, "fay", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(err_type(&v), "UnexpectedLambdaException", "{v}");
    assert_eq!(fake.refused(), 1);
    assert!(fake.calls().is_empty());

    let app = spawn_with_lambda(&fake).await;
    let f = trigger_pool(&app, &[("PreSignUp", "pre")], json!({})).await;
    for (script, exception) in [
        (Script::Garbage, "InvalidLambdaResponseException"),
        (Script::Respond(json!({"autoConfirmUser": "yes"})), "InvalidLambdaResponseException"),
        (Script::Status(500), "UnexpectedLambdaException"),
    ] {
        fake.script("pre", script.clone());
        let (status, v) = sign_up(&app, &f, "gus", json!({})).await;
        assert_eq!((status, err_type(&v)), (400, exception), "{script:?}: {v}");
        assert!(user_status(&app, &f.pool, "gus").await.is_none());
    }
    // No endpoint configured: unexpected, nothing written.
    let none = TestApp::spawn().await;
    let f2 = trigger_pool(&none, &[("PreSignUp", "pre")], json!({})).await;
    let (_, v) = sign_up(&none, &f2, "hal", json!({})).await;
    assert_eq!(err_type(&v), "UnexpectedLambdaException");

    // A function slower than 5 s: answered within about 6 s.
    fake.script("pre", Script::Slow(8));
    let at = std::time::Instant::now();
    let (status, v) = sign_up(&app, &f, "ivy", json!({})).await;
    let took = at.elapsed().as_secs_f64();
    assert_eq!((status, err_type(&v)), (400, "UnexpectedLambdaException"), "{v}");
    assert!(err_message(&v).starts_with("PreSignUp invocation failed due to error Socket timeout"), "{v}");
    assert!((4.5..6.5).contains(&took), "took {took} s");
}

#[tokio::test]
async fn a_webhook_route_is_signed_per_standard_webhooks() {
    let fake = FakeLambda::start();
    let app = TestApp::spawn_with(|c| {
        c.triggers.webhooks.insert(arn("hooked"), format!("{}/hook/hooked", fake.url));
        c.triggers.webhook_secret = Some(portcullis::config::Secret::new(WEBHOOK_SECRET));
    })
    .await;
    let f = trigger_pool(&app, &[("PreSignUp", "hooked")], json!({})).await;
    fake.script("hooked", Script::Respond(json!({"autoConfirmUser": true})));
    let (status, v) = sign_up(&app, &f, "jo", json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["UserConfirmed"], true);
    assert_eq!(fake.refused(), 0);
    assert_eq!(fake.events_of("hooked")[0]["triggerSource"], "PreSignUp_SignUp");
    // A refusal through the webhook reads as the function's.
    fake.script("hooked", Script::Fail("nope"));
    let (_, v) = sign_up(&app, &f, "kim", json!({})).await;
    assert_eq!(err_type(&v), "UserLambdaValidationException");

    // The wrong secret: the endpoint refuses, and the call is unexpected.
    let other = TestApp::spawn_with(|c| {
        c.triggers.webhooks.insert(arn("hooked"), format!("{}/hook/hooked", fake.url));
        c.triggers.webhook_secret = Some(portcullis::config::Secret::new("whsec_c29tZXRoaW5nIGVsc2U="));
    })
    .await;
    let f = trigger_pool(&other, &[("PreSignUp", "hooked")], json!({})).await;
    let (_, v) = sign_up(&other, &f, "lu", json!({})).await;
    assert_eq!(err_type(&v), "UnexpectedLambdaException");
    assert_eq!(fake.refused(), 1);
}

#[tokio::test]
async fn every_call_is_an_event_and_a_metric() {
    let fake = FakeLambda::start();
    let app = spawn_with_lambda(&fake).await;
    let f = trigger_pool(&app, &[("PreSignUp", "counted")], json!({})).await;
    let metric = |text: &str, outcome: &str| {
        let prefix = format!("portcullis_trigger_calls_total{{trigger=\"PreSignUp\",outcome=\"{outcome}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&prefix)).and_then(|n| n.parse::<f64>().ok()).unwrap_or(0.0)
    };
    let scrape = || async { app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap() };
    let before = scrape().await;
    sign_up(&app, &f, "mo", json!({})).await;
    fake.script("counted", Script::Fail("no"));
    sign_up(&app, &f, "ned", json!({})).await;
    let after = scrape().await;
    assert!(metric(&after, "ok") >= metric(&before, "ok") + 1.0, "{after}");
    assert!(metric(&after, "refused") >= metric(&before, "refused") + 1.0);
    assert!(after.contains("portcullis_trigger_call_duration_seconds_bucket"));

    let page = app.services.events.list(&Default::default(), 100, None).await.unwrap();
    let triggers: Vec<_> = page.events.iter().filter(|e| e.event_type == "Trigger").collect();
    assert_eq!(triggers.len(), 2);
    let refused = portcullis::events::details_of(triggers[0]);
    assert_eq!(triggers[0].outcome, "Fail");
    assert_eq!(refused["trigger"], "PreSignUp");
    assert_eq!(refused["source"], "PreSignUp_SignUp");
    assert_eq!(refused["result"], "refused");
    assert!(refused["latency_ms"].is_i64());
    assert_eq!(triggers[1].outcome, "Pass");
    assert_eq!(triggers[1].username.as_deref(), Some("mo"));
}

#[tokio::test]
async fn admin_create_user_runs_pre_sign_up_and_a_refusal_writes_nothing() {
    let fake = FakeLambda::start();
    let app = spawn_with_lambda(&fake).await;
    // A qualified ARN: the alias goes as `?Qualifier=`.
    let f = trigger_pool(&app, &[("PreSignUp", "admin-gate:live")], json!({})).await;
    fake.script("admin-gate", Script::Respond(json!({"autoVerifyEmail": true})));
    let body = |name: &str| {
        json!({
            "UserPoolId": f.pool,
            "Username": name,
            "MessageAction": "SUPPRESS",
            "UserAttributes": [{"Name": "email", "Value": format!("{name}@example.com")}],
            "ValidationData": [{"Name": "ticket", "Value": "T-1"}],
            "ClientMetadata": {"by": "ops"},
        })
    };
    let (status, v) = app.api("AdminCreateUser", body("olga")).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(fake.calls()[0].qualifier.as_deref(), Some("live"));
    let e = &fake.events_of("admin-gate")[0];
    assert_eq!(e["triggerSource"], "PreSignUp_AdminCreateUser");
    assert_eq!(e["userName"], "olga");
    assert_eq!(e["callerContext"]["clientId"], "CLIENT_ID_NOT_APPLICABLE");
    assert_eq!(e["request"]["validationData"], json!({"ticket": "T-1"}));
    assert_eq!(e["request"]["clientMetadata"], json!({"by": "ops"}));
    let (status, attrs) = user_status(&app, &f.pool, "olga").await.unwrap();
    assert_eq!(status, "FORCE_CHANGE_PASSWORD");
    assert_eq!(attrs["email_verified"], "true");

    fake.script("admin-gate", Script::Fail("not on the list"));
    let (status, v) = app.api("AdminCreateUser", body("pete")).await;
    assert_eq!((status, err_type(&v)), (400, "UserLambdaValidationException"));
    assert_eq!(err_message(&v), "PreSignUp failed with error not on the list.");
    assert!(user_status(&app, &f.pool, "pete").await.is_none());
}

#[tokio::test]
async fn the_first_federated_sign_in_runs_pre_sign_up_external_provider() {
    use crate::fake_idp::FakeOidc;
    use crate::federation_helpers::*;
    let fake = FakeLambda::start();
    let app = spawn_with_lambda(&fake).await;
    let idp = FakeOidc::start().await;
    idp.set_user(jane());
    let f = google_flow(&app, &idp).await;
    let lambda = json!({"LambdaConfig": {"PreSignUp": arn("fed-gate")}, "UserPoolId": f.pool});
    app.ok("UpdateUserPool", lambda).await;

    // A refusal: back to the app with the function's words, and no user.
    fake.script("fed-gate", Script::Fail("Only staff accounts"));
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Google")).await;
    assert_eq!(app_error(&t.answer), "invalid_request");
    let loc = location(&t.answer);
    let description = query_param(&loc, "error_description").unwrap();
    assert_eq!(description, "PreSignUp failed with error Only staff accounts.");
    let username = format!("Google_{JANE_SUB}");
    assert!(user_status(&app, &f.pool, &username).await.is_none(), "no half-created user");
    let e = &fake.events_of("fed-gate")[0];
    assert_eq!(e["triggerSource"], "PreSignUp_ExternalProvider");
    assert_eq!(e["userName"], username);
    assert_eq!(e["callerContext"]["clientId"], f.client_id);
    assert_eq!(e["request"]["userAttributes"]["email"], "jane@example.com");

    // Allowed: the user is created, once; a returning user is no sign-up.
    fake.script("fed-gate", Script::Respond(json!({"autoVerifyEmail": true})));
    let claims = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(claims["cognito:username"], username);
    let (status, _) = user_status(&app, &f.pool, &username).await.unwrap();
    assert_eq!(status, "EXTERNAL_PROVIDER");
    upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(fake.events_of("fed-gate").len(), 2);
}

#[tokio::test]
async fn the_dashboard_creates_users_through_pre_sign_up() {
    use crate::admin::{ADMIN, ADMIN_PASSWORD, sign_in_dashboard};
    let fake = FakeLambda::start();
    let app = TestApp::spawn_with(|c| {
        configure(c, &fake);
        c.admin_username = Some(ADMIN.into());
        c.admin_password = Some(portcullis::config::Secret::new(ADMIN_PASSWORD));
        c.admin_mfa = portcullis::config::AdminMfa::Optional;
    })
    .await;
    let f = trigger_pool(&app, &[("PreSignUp", "dash-gate")], json!({})).await;
    let admin = sign_in_dashboard(&app, ADMIN, ADMIN_PASSWORD, None, None).await;
    fake.script("dash-gate", Script::Fail("Use the HR system"));
    let path = format!("/admin/pools/{}/users", f.pool);
    let r = admin.post(&app, &path, &[("username", "walt"), ("email", "walt@example.com")]).await;
    let page = r.text().await.unwrap();
    assert!(page.contains("PreSignUp failed with error Use the HR system."), "{page}");
    assert!(user_status(&app, &f.pool, "walt").await.is_none());
    let e = &fake.events_of("dash-gate")[0];
    assert_eq!(e["triggerSource"], "PreSignUp_AdminCreateUser");
    assert_eq!(e["request"]["userAttributes"]["email"], "walt@example.com");

    fake.script("dash-gate", Script::Respond(json!({})));
    let r = admin.post(&app, &path, &[("username", "walt"), ("email", "walt@example.com")]).await;
    assert_eq!(r.status(), 303);
    assert_eq!(user_status(&app, &f.pool, "walt").await.unwrap().0, "FORCE_CHANGE_PASSWORD");
}

#[tokio::test]
async fn an_unavailable_function_is_tried_three_times_within_the_budget_and_a_refusal_once() {
    let fake = FakeLambda::start();
    let app = spawn_with_lambda(&fake).await;
    let f = trigger_pool(&app, &[("PreSignUp", "pre")], json!({})).await;
    for (script, attempts, exception) in [
        (Script::Status(500), 3, "UnexpectedLambdaException"),
        (Script::Status(429), 3, "UnexpectedLambdaException"),
        (Script::Status(404), 1, "UnexpectedLambdaException"),
        (Script::Fail("closed"), 1, "UserLambdaValidationException"),
        (Script::Garbage, 1, "InvalidLambdaResponseException"),
    ] {
        fake.script("pre", script.clone());
        let before = fake.events_of("pre").len();
        let at = std::time::Instant::now();
        let (status, v) = sign_up(&app, &f, "kit", json!({})).await;
        let took = at.elapsed().as_secs_f64();
        assert_eq!((status, err_type(&v)), (400, exception), "{script:?}: {v}");
        assert_eq!(fake.events_of("pre").len() - before, attempts, "{script:?}");
        assert!(took < 5.0, "{script:?} took {took} s");
    }
    assert!(user_status(&app, &f.pool, "kit").await.is_none());
}
