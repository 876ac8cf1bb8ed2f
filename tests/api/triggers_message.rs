//! The CustomMessage trigger end to end: the mails of SignUp, ResendConfirmationCode,
//! ForgotPassword, AdminCreateUser and the hosted sign-up page worded by the function (caught by
//! a local SMTP sink), the event it gets (the `{####}` placeholder, never the code), an answer
//! without the placeholder keeping the pool's message, and a refusal failing the action.

use crate::helpers::*;
use crate::smtp::{Received, SmtpSink};
use crate::triggers_fake::*;
use serde_json::{Value, json};

/// An app with its Lambda endpoint at a new fake, its mail going to a new sink, and a pool whose
/// CustomMessage function is `msg`.
async fn message_app() -> (TestApp, FakeLambda, SmtpSink, Flow) {
    let fake = FakeLambda::start();
    let (app, sink) = trigger_app(&fake).await;
    let f = trigger_pool(&app, &[("CustomMessage", "msg")], json!({})).await;
    (app, fake, sink, f)
}

async fn sign_up(app: &TestApp, f: &Flow, username: &str) -> (u16, Value) {
    let body = json!({
        "ClientId": f.client_id,
        "Username": username,
        "Password": PASSWORD,
        "UserAttributes": [{"Name": "email", "Value": format!("{username}@example.com")}],
        "ClientMetadata": {"campaign": "spring"},
    });
    app.public_api("SignUp", body).await
}

const WORDED: &str = "<p>Welcome aboard! Your code: <b>{####}</b></p>";

fn worded() -> Script {
    Script::Respond(json!({"emailSubject": "Welcome to Acme", "emailMessage": WORDED, "smsMessage": "ignored"}))
}

/// The mail is the function's words with the real code in both parts.
fn assert_worded(mail: &Received) -> String {
    assert_eq!(mail.subject(), "Welcome to Acme");
    let code = mail.code();
    assert_eq!(mail.text(), format!("Welcome aboard! Your code: {code}"));
    assert!(mail.html().contains(&format!("<b>{code}</b>")), "{}", mail.html());
    code
}

/// The event of a call, with its code placeholder and without any code in it.
fn assert_event(e: &Value, source: &str, user: &str, code: &str) {
    assert_eq!(e["triggerSource"], source);
    assert_eq!(e["userName"], user);
    assert_eq!(e["request"]["codeParameter"], "{####}");
    assert_eq!(e["request"]["userAttributes"]["email"], format!("{user}@example.com"));
    assert!(e["request"]["userAttributes"]["sub"].is_string());
    assert!(!e.to_string().contains(code), "the function never sees the code: {e}");
}

#[tokio::test]
async fn sign_up_and_resend_mails_are_worded_by_the_function() {
    let (app, fake, sink, f) = message_app().await;
    fake.script("msg", worded());
    let (status, v) = sign_up(&app, &f, "ann").await;
    assert_eq!(status, 200, "{v}");
    let code = assert_worded(&sink.nth_to("ann@example.com", 0).await);
    let events = fake.events_of("msg");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_event(e, "CustomMessage_SignUp", "ann", &code);
    assert_eq!(e["version"], "1");
    assert_eq!(e["userPoolId"], f.pool);
    assert_eq!(e["request"]["usernameParameter"], Value::Null);
    assert_eq!(e["request"]["clientMetadata"], json!({"campaign": "spring"}));
    assert_eq!(e["callerContext"]["clientId"], f.client_id);
    assert_eq!(e["request"]["userAttributes"]["cognito:user_status"], "UNCONFIRMED");
    assert_eq!(e["response"], json!({}));

    let (status, v) =
        app.public_api("ResendConfirmationCode", json!({"ClientId": f.client_id, "Username": "ann"})).await;
    assert_eq!(status, 200, "{v}");
    let code = assert_worded(&sink.nth_to("ann@example.com", 1).await);
    let resent = &fake.events_of("msg")[1];
    assert_event(resent, "CustomMessage_ResendCode", "ann", &code);
    assert_eq!(resent["callerContext"]["clientId"], f.client_id);
    // The code substituted into the function's words is the one that confirms.
    let confirm = json!({"ClientId": f.client_id, "Username": "ann", "ConfirmationCode": code});
    let (status, v) = app.public_api("ConfirmSignUp", confirm).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn forgot_password_and_admin_create_user_mails_are_worded_by_the_function() {
    let (app, fake, sink, f) = message_app().await;
    let attrs = json!([{"Name": "email", "Value": "bob@example.com"}, {"Name": "email_verified", "Value": "true"}]);
    app.create_user(&f.pool, "bob", PASSWORD, attrs).await;
    fake.script("msg", worded());
    let (status, v) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "bob"})).await;
    assert_eq!(status, 200, "{v}");
    let code = assert_worded(&sink.nth_to("bob@example.com", 0).await);
    let forgot: Vec<Value> = fake.events_of("msg");
    assert_event(forgot.last().unwrap(), "CustomMessage_ForgotPassword", "bob", &code);
    assert_eq!(forgot.last().unwrap()["callerContext"]["clientId"], f.client_id);

    let invite = "Hello {username}, your temporary password is {####}";
    fake.script("msg", Script::Respond(json!({"emailSubject": "Join Acme", "emailMessage": invite})));
    let body = |name: &str| {
        json!({
            "UserPoolId": f.pool,
            "Username": name,
            "DesiredDeliveryMediums": ["EMAIL"],
            "UserAttributes": [{"Name": "email", "Value": format!("{name}@example.com")}],
            "ClientMetadata": {"by": "ops"},
        })
    };
    let (status, v) = app.api("AdminCreateUser", body("cleo")).await;
    assert_eq!(status, 200, "{v}");
    let mail = sink.nth_to("cleo@example.com", 0).await;
    assert_eq!(mail.subject(), "Join Acme");
    let text = mail.text();
    let temp = text.strip_prefix("Hello cleo, your temporary password is ").unwrap_or_else(|| panic!("{text}"));
    let e = fake.events_of("msg").pop().unwrap();
    assert_eq!(e["triggerSource"], "CustomMessage_AdminCreateUser");
    assert_eq!(e["request"]["usernameParameter"], "{username}");
    assert_eq!(e["request"]["codeParameter"], "{####}");
    assert_eq!(e["request"]["clientMetadata"], json!({"by": "ops"}));
    assert_eq!(e["callerContext"]["clientId"], "CLIENT_ID_NOT_APPLICABLE");
    assert!(!e.to_string().contains(temp), "the function never sees the temporary password");
    let (status, v) = admin_auth(&app, &f.pool, &f.client_id, "cleo", temp).await;
    assert_eq!((status, v["ChallengeName"].as_str()), (200, Some("NEW_PASSWORD_REQUIRED")), "{v}");

    // An invitation without the username placeholder keeps the pool's message, not its subject.
    fake.script("msg", Script::Respond(json!({"emailSubject": "Join Acme", "emailMessage": "Password: {####}"})));
    let (status, v) = app.api("AdminCreateUser", body("dina")).await;
    assert_eq!(status, 200, "{v}");
    let mail = sink.nth_to("dina@example.com", 0).await;
    assert_eq!(mail.subject(), "Join Acme");
    assert!(mail.text().starts_with("Your username is dina and temporary password is "), "{}", mail.text());

    // A refusal fails AdminCreateUser before the user is written.
    fake.script("msg", Script::Fail("no invitations today"));
    let (status, v) = app.api("AdminCreateUser", body("emil")).await;
    assert_eq!((status, err_type(&v)), (400, "UserLambdaValidationException"));
    assert_eq!(err_message(&v), "CustomMessage failed with error no invitations today.");
    let (status, _) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "emil"})).await;
    assert_eq!(status, 400, "no user without its invitation");
}

#[tokio::test]
async fn an_answer_without_the_code_keeps_the_message_and_a_refusal_fails_sign_up() {
    let (app, fake, sink, f) = message_app().await;
    fake.script("msg", Script::Respond(json!({"emailSubject": "Hi", "emailMessage": "Click the link"})));
    let (status, v) = sign_up(&app, &f, "finn").await;
    assert_eq!(status, 200, "{v}");
    let mail = sink.nth_to("finn@example.com", 0).await;
    assert_eq!(mail.subject(), "Hi", "the subject is the function's");
    assert_eq!(mail.text(), format!("Your verification code is {}.", mail.code()), "the pool's message stays");

    fake.script("msg", Script::Respond(json!({})));
    let (status, _) = sign_up(&app, &f, "gail").await;
    assert_eq!(status, 200);
    let mail = sink.nth_to("gail@example.com", 0).await;
    assert_eq!(mail.subject(), "Your verification code", "an empty answer keeps Cognito's default");

    fake.script("msg", Script::Fail("mail is down"));
    let (status, v) = sign_up(&app, &f, "hugo").await;
    assert_eq!((status, err_type(&v)), (400, "UserLambdaValidationException"));
    assert_eq!(err_message(&v), "CustomMessage failed with error mail is down.");
    assert_eq!(sink.count_to("hugo@example.com"), 0, "no mail and no code");
    // As Cognito: the user was signed up before its message failed, and may ask for a new code.
    fake.script("msg", worded());
    let (status, v) =
        app.public_api("ResendConfirmationCode", json!({"ClientId": f.client_id, "Username": "hugo"})).await;
    assert_eq!(status, 200, "{v}");
    assert_worded(&sink.nth_to("hugo@example.com", 0).await);
}

#[tokio::test]
async fn the_hosted_sign_up_page_sends_the_functions_words() {
    let (app, fake, sink, f) = message_app().await;
    fake.script("msg", worded());
    let browser = app.browser();
    let r = hosted_sign_up(&app, &f, &browser, "ida", "ida@example.com").await;
    assert!(r.status().is_success() || r.status().is_redirection(), "{}", r.status());
    let code = assert_worded(&sink.nth_to("ida@example.com", 0).await);
    assert_event(&fake.events_of("msg")[0], "CustomMessage_SignUp", "ida", &code);
}

#[tokio::test]
async fn attribute_codes_are_worded_by_the_function() {
    let (app, fake, sink, f) = message_app().await;
    let attrs = json!([{"Name": "email", "Value": "jo@example.com"}]);
    app.create_user(&f.pool, "jo", PASSWORD, attrs).await;
    let tokens = admin_tokens(&app, &f.pool, &f.client_id, "jo", PASSWORD).await;
    let access = tokens["AccessToken"].as_str().unwrap_or_default().to_string();
    fake.script("msg", worded());
    let ask = json!({"AccessToken": access, "AttributeName": "email"});
    let (status, v) = app.public_api("GetUserAttributeVerificationCode", ask).await;
    assert_eq!(status, 200, "{v}");
    let code = assert_worded(&sink.nth_to("jo@example.com", 0).await);
    assert_event(&fake.events_of("msg")[0], "CustomMessage_VerifyUserAttribute", "jo", &code);

    let update = json!({"AccessToken": access, "UserAttributes": [{"Name": "email", "Value": "jo2@example.com"}]});
    let (status, v) = app.public_api("UpdateUserAttributes", update).await;
    assert_eq!(status, 200, "{v}");
    let code = assert_worded(&sink.nth_to("jo2@example.com", 0).await);
    let e = &fake.events_of("msg")[1];
    assert_eq!(e["triggerSource"], "CustomMessage_UpdateUserAttribute");
    assert!(!e.to_string().contains(&code), "the function never sees the code: {e}");
}

#[tokio::test]
async fn the_email_sign_in_code_is_worded_by_the_function() {
    let (app, fake, sink, f) = message_app().await;
    let mfa = json!({"UserPoolId": f.pool, "MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {"Message": "Use {####}"}});
    app.ok("SetUserPoolMfaConfig", mfa).await;
    let attrs = json!([{"Name": "email", "Value": "kim@example.com"}, {"Name": "email_verified", "Value": "true"}]);
    app.create_user(&f.pool, "kim", PASSWORD, attrs).await;
    let email_mfa = json!({"UserPoolId": f.pool, "Username": "kim", "EmailMfaSettings": {"Enabled": true}});
    app.ok("AdminSetUserMFAPreference", email_mfa).await;
    fake.script("msg", worded());
    let (status, v) = initiate_auth(&app, &f.client_id, "kim", PASSWORD).await;
    assert_eq!((status, v["ChallengeName"].as_str()), (200, Some("EMAIL_OTP")), "{v}");
    let code = assert_worded(&sink.nth_to("kim@example.com", 0).await);
    let e = &fake.events_of("msg")[0];
    assert_event(e, "CustomMessage_Authentication", "kim", &code);
    assert_eq!(e["callerContext"]["clientId"], f.client_id);
}
