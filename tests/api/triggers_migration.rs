//! The UserMigration trigger against the fake Lambda Invoke API ([`crate::triggers_fake`]):
//! an unknown user met at a password sign-in (API, admin API, hosted login page) or at
//! ForgotPassword is asked of the function and created with its attributes and status; the
//! function is not asked again for them; a refusal is UserNotFoundException (hidden when the
//! client prevents user-existence errors); USER_SRP_AUTH never calls it.

use crate::helpers::*;
use crate::srp::{SrpClient, start};
use crate::triggers_auth::password_auth;
use crate::triggers_fake::*;
use serde_json::{Value, json};

const FLOWS: &str = r#"{"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}"#;

fn flows() -> Value {
    serde_json::from_str(FLOWS).unwrap()
}

/// The function's answer for a user with a verified `email`.
fn found(email: &str, status: Option<&str>) -> Script {
    let mut r = json!({"userAttributes": {"email": email, "email_verified": "true"}, "messageAction": "SUPPRESS"});
    if let Some(s) = status {
        r["finalUserStatus"] = json!(s);
    }
    Script::Respond(r)
}

#[tokio::test]
async fn sign_ins_migrate_unknown_users_once_through_the_api_the_admin_api_and_the_hosted_page() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("UserMigration", "migrate")], flows()).await;
    fake.script("migrate", found("lee@example.com", Some("CONFIRMED")));

    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "lee", PASSWORD, json!({"from": "app"}))).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["AuthenticationResult"]["IdToken"].is_string());
    let e = &fake.events_of("migrate")[0];
    assert_eq!(e["triggerSource"], "UserMigration_Authentication");
    assert_eq!(e["userName"], "lee");
    assert_eq!(e["callerContext"]["clientId"], f.client_id);
    assert_eq!(e["request"]["password"], PASSWORD);
    assert_eq!(e["request"]["clientMetadata"], json!({"from": "app"}));
    let user = get_user(&app, &f.pool, "lee").await;
    assert_eq!(user["UserStatus"], "CONFIRMED");
    let attrs = attr_map(&user["UserAttributes"]);
    assert_eq!((attrs["email"].as_str(), attrs["email_verified"].as_str()), (Some("lee@example.com"), Some("true")));

    // Now a user like any other: the function is not asked again, the password is theirs.
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "lee", PASSWORD, json!({}))).await;
    assert_eq!(status, 200, "{v}");
    let (_, v) = app.public_api("InitiateAuth", password_auth(&f, "lee", "Wrong-Horse-1", json!({}))).await;
    assert_eq!(err_type(&v), "NotAuthorizedException");
    assert_eq!(fake.events_of("migrate").len(), 1);

    // USER_SRP_AUTH never sees the password, so it cannot migrate (as Cognito).
    let (_, v) = start(&app, &f.client_id, "sam", &SrpClient::new()).await;
    assert_eq!(err_type(&v), "UserNotFoundException", "{v}");
    assert_eq!(fake.events_of("migrate").len(), 1);

    // ADMIN_USER_PASSWORD_AUTH and the hosted login page migrate too.
    fake.script("migrate", found("ada@example.com", None));
    admin_tokens(&app, &f.pool, &f.client_id, "ada", PASSWORD).await;
    fake.script("migrate", found("kim@example.com", None));
    let r = sign_in(&app.browser(), &f.authorize_url(&app, ""), "kim", PASSWORD).await;
    assert!(location(&r).starts_with(CALLBACK), "{}", location(&r));
    let names: Vec<Value> = fake.events_of("migrate").iter().map(|e| e["userName"].clone()).collect();
    assert_eq!(names, vec![json!("lee"), json!("ada"), json!("kim")]);
    assert_eq!(get_user(&app, &f.pool, "kim").await["UserStatus"], "CONFIRMED");
}

#[tokio::test]
async fn a_refusal_is_user_not_found_writes_nothing_and_is_hidden_when_existence_is() {
    let fake = FakeLambda::start();
    let (app, _sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("UserMigration", "migrate")], flows()).await;
    fake.script("migrate", Script::Fail("Bad password"));
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "lee", PASSWORD, json!({}))).await;
    assert_eq!((status, err_type(&v)), (400, "UserNotFoundException"), "{v}");
    assert_eq!(err_message(&v), "UserMigration failed with error Bad password.");
    let (_, v) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "lee"})).await;
    assert_eq!(err_type(&v), "UserNotFoundException");

    let mut extra = flows();
    extra["PreventUserExistenceErrors"] = json!("ENABLED");
    let (hidden, _) = app.create_client(&f.pool, false, extra).await;
    let body = json!({"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": hidden,
                      "AuthParameters": {"USERNAME": "lee", "PASSWORD": PASSWORD}});
    let (_, v) = app.public_api("InitiateAuth", body).await;
    assert_eq!((err_type(&v), err_message(&v)), ("NotAuthorizedException", "Incorrect username or password."));
    assert_eq!(fake.events_of("migrate").len(), 2);

    // An answer that is not Cognito's shape is InvalidLambdaResponse, and writes nothing.
    fake.script(
        "migrate",
        Script::Respond(json!({"userAttributes": {"email": "lee@example.com"},
                                                  "finalUserStatus": "UNCONFIRMED"})),
    );
    let (_, v) = app.public_api("InitiateAuth", password_auth(&f, "lee", PASSWORD, json!({}))).await;
    assert_eq!(err_type(&v), "InvalidLambdaResponseException", "{v}");
    let (_, v) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "lee"})).await;
    assert_eq!(err_type(&v), "UserNotFoundException");

    // finalUserStatus RESET_REQUIRED lands: the sign-in asks for the reset.
    fake.script("migrate", found("lee@example.com", Some("RESET_REQUIRED")));
    let (_, v) = app.public_api("InitiateAuth", password_auth(&f, "lee", PASSWORD, json!({}))).await;
    assert_eq!(err_type(&v), "PasswordResetRequiredException", "{v}");
    assert_eq!(get_user(&app, &f.pool, "lee").await["UserStatus"], "RESET_REQUIRED");
}

#[tokio::test]
async fn forgot_password_migrates_the_user_reset_required_and_mails_the_code() {
    let fake = FakeLambda::start();
    let (app, sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("UserMigration", "migrate")], flows()).await;
    fake.script("migrate", found("fay@example.com", Some("CONFIRMED")));
    let (status, v) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "fay"})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    let e = &fake.events_of("migrate")[0];
    assert_eq!(e["triggerSource"], "UserMigration_ForgotPassword");
    assert!(e["request"].get("password").is_none(), "{e}");
    assert_eq!(get_user(&app, &f.pool, "fay").await["UserStatus"], "RESET_REQUIRED");

    let code = sink.nth_to("fay@example.com", 0).await.code();
    let new = "Brand-New-Horse-7";
    let confirm = json!({"ClientId": f.client_id, "Username": "fay", "ConfirmationCode": code, "Password": new});
    let (status, v) = app.public_api("ConfirmForgotPassword", confirm).await;
    assert_eq!(status, 200, "{v}");
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "fay", new, json!({}))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(fake.events_of("migrate").len(), 1);

    // A refusal at ForgotPassword is UserNotFoundException too.
    fake.script("migrate", Script::Fail("No such user"));
    let (_, v) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "gus"})).await;
    assert_eq!(
        (err_type(&v), err_message(&v)),
        ("UserNotFoundException", "UserMigration failed with error No such user.")
    );
}

#[tokio::test]
async fn a_migration_checks_the_password_policy_and_the_delivery_mediums() {
    let fake = FakeLambda::start();
    let (app, sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("UserMigration", "migrate")], flows()).await;
    let answer = |extra: Value| {
        let mut r = json!({"userAttributes": {"email": "ned@example.com", "email_verified": "true"}});
        merge(&mut r, extra);
        Script::Respond(r)
    };
    let absent = async || {
        let body = json!({"UserPoolId": f.pool, "Username": "ned"});
        err_type(&app.api("AdminGetUser", body).await.1).to_string()
    };

    // A legacy password the pool's policy refuses: refused, and nobody is written.
    fake.script("migrate", answer(json!({})));
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "ned", "short", json!({}))).await;
    assert_eq!((status, err_type(&v)), (400, "InvalidPasswordException"), "{v}");
    assert_eq!(absent().await, "UserNotFoundException");

    // desiredDeliveryMediums other than EMAIL and SMS is not Cognito's answer.
    fake.script("migrate", answer(json!({"desiredDeliveryMediums": ["PIGEON"]})));
    let (_, v) = app.public_api("InitiateAuth", password_auth(&f, "ned", PASSWORD, json!({}))).await;
    assert_eq!(err_type(&v), "InvalidLambdaResponseException", "{v}");
    assert_eq!(absent().await, "UserNotFoundException");

    // RESEND by SMS and e-mail (absent messageAction is the same): a CONFIRMED sign-in
    // migration sends no message; the user signs in.
    let resend = json!({"messageAction": "RESEND", "desiredDeliveryMediums": ["SMS", "EMAIL"]});
    fake.script("migrate", answer(resend));
    let (status, v) = app.public_api("InitiateAuth", password_auth(&f, "ned", PASSWORD, json!({}))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(get_user(&app, &f.pool, "ned").await["UserStatus"], "CONFIRMED");
    assert_eq!(sink.count_to("ned@example.com"), 0, "no welcome message");
}
