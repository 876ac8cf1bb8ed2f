//! The triggers a federated sign-in fires, as Cognito's: PreSignUp_ExternalProvider and
//! PostConfirmation_ConfirmSignUp on the first one, PreAuthentication and PostAuthentication on
//! every one; a PreAuthentication refusal ends at the app's callback with the function's words,
//! like any failed federation.

use crate::fake_idp::FakeOidc;
use crate::federation_helpers::*;
use crate::helpers::*;
use crate::triggers_fake::*;
use serde_json::json;

#[tokio::test]
async fn federated_sign_ins_fire_the_confirmation_and_authentication_triggers() {
    let fake = FakeLambda::start();
    let app = TestApp::spawn_with(|c| configure(c, &fake)).await;
    let idp = FakeOidc::start().await;
    idp.set_user(jane());
    let f = google_flow(&app, &idp).await;
    let lambda = json!({
        "PreSignUp": arn("pre-signup"),
        "PostConfirmation": arn("post-confirm"),
        "PreAuthentication": arn("pre-auth"),
        "PostAuthentication": arn("post-auth"),
    });
    app.ok("UpdateUserPool", json!({"UserPoolId": f.pool, "LambdaConfig": lambda})).await;
    let username = format!("Google_{JANE_SUB}");
    let counts = || ["pre-signup", "post-confirm", "pre-auth", "post-auth"].map(|n| fake.events_of(n).len());

    let claims = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(claims["cognito:username"], username);
    assert_eq!(counts(), [1, 1, 1, 1]);
    let sources = fake.calls().iter().map(|c| c.event["triggerSource"].clone()).collect::<Vec<_>>();
    let expected = [
        "PreSignUp_ExternalProvider",
        "PostConfirmation_ConfirmSignUp",
        "PreAuthentication_Authentication",
        "PostAuthentication_Authentication",
    ];
    assert_eq!(sources, expected.map(|s| json!(s)), "in Cognito's order");
    for call in fake.calls() {
        let e = &call.event;
        assert_eq!(e["userName"], username, "{e}");
        assert_eq!(e["callerContext"]["clientId"], f.client_id, "{e}");
        assert_eq!(e["request"]["userAttributes"]["email"], "jane@example.com", "{e}");
    }
    let confirmed = &fake.events_of("post-confirm")[0];
    assert_eq!(confirmed["request"]["userAttributes"]["cognito:user_status"], "EXTERNAL_PROVIDER");
    assert_eq!(fake.events_of("post-auth")[0]["request"]["newDeviceUsed"], false);

    // A returning user: no sign-up, no confirmation; authentication again.
    upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(counts(), [1, 1, 2, 2]);

    // A refusal: back to the app with the function's words, and no PostAuthentication.
    fake.script("pre-auth", Script::Fail("Upstream accounts are paused"));
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Google")).await;
    assert_eq!(app_error(&t.answer), "invalid_request");
    let description = query_param(&location(&t.answer), "error_description").unwrap();
    assert_eq!(description, "PreAuthentication failed with error Upstream accounts are paused.");
    assert_eq!(counts(), [1, 1, 3, 2]);
}
