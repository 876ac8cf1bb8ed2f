//! Self-service accounts over HTTP with real mail: sign-up, confirmation codes read from a real
//! SMTP sink, resend limits, forgot password, admin reset and confirm, invitations, and the
//! outbox default.

use crate::helpers::*;
use crate::smtp::spawn_with_mail;
use portcullis::config::Secret;
use serde_json::{Value, json};

/// A pool that verifies e-mail and requires a name, with a public code-flow client.
async fn signup_pool(app: &TestApp, pool_extra: Value, client_extra: Value) -> Flow {
    let mut pool = json!({
        "AutoVerifiedAttributes": ["email"],
        "Schema": [{"Name": "name", "AttributeDataType": "String", "Required": true, "Mutable": true}],
        "UsernameConfiguration": {"CaseSensitive": false},
    });
    merge(&mut pool, pool_extra);
    let pool = app.create_pool(pool).await;
    let (client_id, secret) = app.create_client(&pool, false, client_extra).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

fn attrs(email: &str) -> Value {
    json!([{"Name": "email", "Value": email}, {"Name": "name", "Value": "Bob"}])
}

async fn api_sign_up(app: &TestApp, f: &Flow, username: &str, email: &str) -> (u16, Value) {
    app.public_api(
        "SignUp",
        json!({"ClientId": f.client_id, "Username": username, "Password": PASSWORD, "UserAttributes": attrs(email)}),
    )
    .await
}

/// GET a page, returning its HTML (asserting 200).
async fn get_page(browser: &reqwest::Client, url: &str) -> String {
    let r = browser.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200, "GET {url}");
    r.text().await.unwrap()
}

/// POST a hosted form (CSRF from the page) with these fields.
async fn post_form(browser: &reqwest::Client, html: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = hidden(html, "_csrf");
    let mut form: Vec<(&str, &str)> = vec![("_csrf", &csrf)];
    form.extend_from_slice(fields);
    browser.post(form_action(html)).form(&form).send().await.unwrap()
}

async fn error_of(status: u16, v: &Value) -> String {
    assert_eq!(status, 400, "{v}");
    v["__type"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn sign_up_on_the_hosted_page_mails_a_code_and_confirmation_continues_to_the_app() {
    let (app, sink) = spawn_with_mail().await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    let browser = app.browser();
    let r = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    let login = get_page(&browser, &location(&r)).await;
    let signup = get_page(&browser, &link(&login, "signup-link")).await;
    assert!(signup.contains("autocomplete=\"new-password\""));
    assert!(signup.contains("name=\"userAttributes.name\"") && signup.contains("name=\"userAttributes.email\""));
    assert!(signup.contains("A special character"), "the policy is spelled out");

    let weak = post_form(
        &browser,
        &signup,
        &[
            ("username", "bob"),
            ("password", "short"),
            ("userAttributes.email", "bob@example.com"),
            ("userAttributes.name", "Bob"),
        ],
    )
    .await;
    assert_eq!(weak.status(), 400);
    let page = weak.text().await.unwrap();
    assert!(page.contains("Password did not conform with policy"), "{page}");
    assert!(page.contains("value=\"bob@example.com\""), "entered values are kept");
    assert_eq!(sink.count_to("bob@example.com"), 0, "no user, no mail");

    let r = post_form(
        &browser,
        &page,
        &[
            ("username", "bob"),
            ("password", PASSWORD),
            ("userAttributes.email", "bob@example.com"),
            ("userAttributes.name", "Bob"),
        ],
    )
    .await;
    assert_eq!(r.status(), 302);
    let confirm_url = location(&r);
    assert!(confirm_url.contains("/confirm?") && confirm_url.contains("username=bob"), "{confirm_url}");
    let mail = sink.nth_to("bob@example.com", 0).await;
    assert_eq!(mail.subject(), "Your verification code");
    let code = mail.code();
    assert_eq!(mail.text().trim(), format!("Your verification code is {code}."));
    assert!(mail.html().contains(&code));
    assert_eq!(mail.mail_from, "no-reply@verificationemail.com");

    let confirm = get_page(&browser, &confirm_url).await;
    assert!(confirm.contains("autocomplete=\"one-time-code\""));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = post_form(&browser, &confirm, &[("username", "bob"), ("code", wrong)]).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("Invalid verification code provided, please try again."));

    let done = post_form(&browser, &confirm, &[("username", "bob"), ("code", &code)]).await;
    assert_eq!(done.status(), 302);
    let back = location(&done);
    assert!(back.starts_with(CALLBACK), "confirmation continues the authorization request: {back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st8"));
    let tokens: Value = f.redeem(&app, &query_param(&back, "code").unwrap()).await.json().await.unwrap();
    let id = claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["cognito:username"], "bob");
    assert_eq!(id["email_verified"], true);

    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "bob"})).await;
    assert_eq!(user["UserStatus"], "CONFIRMED");
    // A session now exists: the next authorize goes straight back to the app.
    let again = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    assert!(location(&again).starts_with(CALLBACK));
}

#[tokio::test]
async fn sign_up_through_the_api_follows_cognito() {
    let (app, sink) = spawn_with_mail().await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    let (st, v) = app
        .public_api(
            "SignUp",
            json!({"ClientId": f.client_id, "Username": "carol", "Password": "weak", "UserAttributes": attrs("c@example.com")}),
        )
        .await;
    assert_eq!(error_of(st, &v).await, "InvalidPasswordException");
    let (st, v) = app
        .public_api(
            "SignUp",
            json!({"ClientId": f.client_id, "Username": "carol", "Password": PASSWORD, "UserAttributes": [{"Name": "email", "Value": "c@example.com"}]}),
        )
        .await;
    assert_eq!(error_of(st, &v).await, "InvalidParameterException", "name is required");

    let (st, v) = api_sign_up(&app, &f, "carol", "c@example.com").await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["UserConfirmed"], false);
    assert_eq!(
        v["CodeDeliveryDetails"],
        json!({"Destination": "c***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    );
    let listed = app.ok("ListUsers", json!({"UserPoolId": f.pool, "Filter": "username = \"carol\""})).await;
    assert_eq!(listed["Users"][0]["UserStatus"], "UNCONFIRMED");
    assert_eq!(listed["Users"][0]["Attributes"][0]["Value"], v["UserSub"]);
    let (st, v) = api_sign_up(&app, &f, "CAROL", "c2@example.com").await;
    assert_eq!(error_of(st, &v).await, "UsernameExistsException", "usernames are case-insensitive here");

    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"ClientId": f.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "carol", "PASSWORD": PASSWORD}}),
        )
        .await;
    assert_eq!(error_of(st, &v).await, "UserNotConfirmedException");

    let code = sink.nth_to("c@example.com", 0).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let confirm = |c: &str| json!({"ClientId": f.client_id, "Username": "carol", "ConfirmationCode": c});
    for _ in 0..5 {
        let (st, v) = app.public_api("ConfirmSignUp", confirm(wrong)).await;
        assert_eq!(error_of(st, &v).await, "CodeMismatchException");
    }
    let (st, v) = app.public_api("ConfirmSignUp", confirm(&code)).await;
    assert_eq!(error_of(st, &v).await, "ExpiredCodeException", "five wrong guesses kill the code");

    let (st, v) = app.public_api("ResendConfirmationCode", json!({"ClientId": f.client_id, "Username": "carol"})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    let fresh = sink.nth_to("c@example.com", 1).await.code();
    let (st, v) = app.public_api("ConfirmSignUp", confirm(&fresh)).await;
    assert_eq!(st, 200, "{v}");
    let (st, v) = app.public_api("ConfirmSignUp", confirm(&fresh)).await;
    assert_eq!(error_of(st, &v).await, "NotAuthorizedException", "already confirmed");
    let (st, v) = app.public_api("ResendConfirmationCode", json!({"ClientId": f.client_id, "Username": "carol"})).await;
    assert_eq!(error_of(st, &v).await, "InvalidParameterException");

    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"ClientId": f.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "carol", "PASSWORD": PASSWORD}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "carol"})).await;
    assert!(user["UserAttributes"].as_array().unwrap().contains(&json!({"Name": "email_verified", "Value": "true"})));
}

#[tokio::test]
async fn codes_expire_after_a_day_and_resends_are_limited() {
    let (app, sink) = spawn_with_mail().await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    assert_eq!(api_sign_up(&app, &f, "dave", "d@example.com").await.0, 200);
    let code = sink.nth_to("d@example.com", 0).await.code();
    app.clock.advance_secs(24 * 3600 + 1);
    let (st, v) = app
        .public_api("ConfirmSignUp", json!({"ClientId": f.client_id, "Username": "dave", "ConfirmationCode": code}))
        .await;
    assert_eq!(error_of(st, &v).await, "ExpiredCodeException");
    assert_eq!(v["message"], "Invalid code provided, please request a code again.");

    let resend = json!({"ClientId": f.client_id, "Username": "dave"});
    for _ in 0..5 {
        assert_eq!(app.public_api("ResendConfirmationCode", resend.clone()).await.0, 200);
    }
    let (st, v) = app.public_api("ResendConfirmationCode", resend.clone()).await;
    assert_eq!(error_of(st, &v).await, "LimitExceededException");
    assert_eq!(sink.count_to("d@example.com"), 6, "the refused resend sent nothing");
    app.clock.advance_secs(3601);
    assert_eq!(app.public_api("ResendConfirmationCode", resend).await.0, 200, "the window moved on");
}

#[tokio::test]
async fn secret_hash_is_required_for_clients_with_a_secret() {
    let (app, _sink) = spawn_with_mail().await;
    let pool = app.create_pool(json!({"AutoVerifiedAttributes": ["email"]})).await;
    let (client_id, secret) = app.create_client(&pool, true, json!({})).await;
    let body = |hash: Option<String>| {
        let mut b = json!({"ClientId": client_id, "Username": "erin", "Password": PASSWORD,
            "UserAttributes": [{"Name": "email", "Value": "e@example.com"}]});
        if let Some(h) = hash {
            b["SecretHash"] = json!(h);
        }
        b
    };
    let (st, v) = app.public_api("SignUp", body(None)).await;
    assert_eq!(error_of(st, &v).await, "NotAuthorizedException");
    let (st, v) =
        app.public_api("SignUp", body(Some(secret_hash(secret.as_deref().unwrap(), "erin", &client_id)))).await;
    assert_eq!(st, 200, "{v}");
}

pub(crate) fn secret_hash(secret: &str, username: &str, client_id: &str) -> String {
    use base64::Engine;
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{username}{client_id}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[tokio::test]
async fn admin_create_user_only_hides_and_blocks_sign_up() {
    let (app, _sink) = spawn_with_mail().await;
    let f = signup_pool(&app, json!({"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": true}}), json!({})).await;
    let browser = app.browser();
    let r = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    let login = get_page(&browser, &location(&r)).await;
    assert!(!login.contains("signup-link"));
    assert!(login.contains("forgot-password-link"));
    let signup_url = location(&r).replace("/login?", "/signup?");
    assert_eq!(browser.get(&signup_url).send().await.unwrap().status(), 403);
    let (st, v) = api_sign_up(&app, &f, "frank", "f@example.com").await;
    assert_eq!(error_of(st, &v).await, "NotAuthorizedException");
}

#[tokio::test]
async fn unconfirmed_user_who_knows_the_password_is_sent_to_confirm() {
    let (app, sink) = spawn_with_mail().await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    assert_eq!(api_sign_up(&app, &f, "gina", "g@example.com").await.0, 200);
    let browser = app.browser();
    let wrong = sign_in(&browser, &f.authorize_url(&app, ""), "gina", "Wrong-Pass-1").await;
    assert_eq!(wrong.status(), 400);
    assert!(wrong.text().await.unwrap().contains("Incorrect username or password."), "no hint the user exists");

    let r = sign_in(&browser, &f.authorize_url(&app, ""), "gina", PASSWORD).await;
    assert_eq!(r.status(), 302);
    assert!(location(&r).contains("/confirm?"), "{}", location(&r));
    let code = sink.nth_to("g@example.com", 1).await.code();
    let confirm = get_page(&browser, &location(&r)).await;
    let done = post_form(&browser, &confirm, &[("username", "gina"), ("code", &code)]).await;
    assert!(location(&done).starts_with(CALLBACK), "{}", location(&done));

    // Confirming from a browser that holds no confirmation session asks for the password.
    assert_eq!(api_sign_up(&app, &f, "hank", "h@example.com").await.0, 200);
    let code = sink.nth_to("h@example.com", 0).await.code();
    let other = app.browser();
    let url = format!("{}&username=hank", f.authorize_url(&app, "").replace("/oauth2/authorize?", "/confirm?"));
    let confirm = get_page(&other, &url).await;
    let done = post_form(&other, &confirm, &[("username", "hank"), ("code", &code)]).await;
    let to = location(&done);
    assert!(to.contains("/login?") && to.contains("notice=confirmed"), "{to}");
    assert!(get_page(&other, &to).await.contains("Your account is confirmed."));
}

#[tokio::test]
async fn forgot_password_through_the_hosted_pages() {
    let (app, sink) = spawn_with_mail().await;
    let f = setup_flow(&app, false, json!({})).await;
    let elsewhere = app.browser();
    let r = sign_in(&elsewhere, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert!(location(&r).starts_with(CALLBACK), "a session on another device");
    let browser = app.browser();
    let r = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    let login = get_page(&browser, &location(&r)).await;
    let forgot = get_page(&browser, &link(&login, "forgot-password-link")).await;
    let r = post_form(&browser, &forgot, &[("username", "alice")]).await;
    assert_eq!(r.status(), 302);
    let reset_url = location(&r);
    assert!(reset_url.contains("/confirmForgotPassword?"), "{reset_url}");
    let code = sink.nth_to("alice@example.com", 0).await.code();
    let reset = get_page(&browser, &reset_url).await;

    let new_password = "Brand-New-Pass-7";
    let mismatch = post_form(
        &browser,
        &reset,
        &[("username", "alice"), ("code", &code), ("password", new_password), ("confirm_password", "other")],
    )
    .await;
    assert!(mismatch.text().await.unwrap().contains("The passwords do not match."));
    let weak = post_form(
        &browser,
        &reset,
        &[("username", "alice"), ("code", &code), ("password", "weak"), ("confirm_password", "weak")],
    )
    .await;
    assert_eq!(weak.status(), 400);
    assert!(weak.text().await.unwrap().contains("Password did not conform with policy"));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let bad = post_form(
        &browser,
        &reset,
        &[("username", "alice"), ("code", wrong), ("password", new_password), ("confirm_password", new_password)],
    )
    .await;
    assert!(bad.text().await.unwrap().contains("Invalid verification code provided"));

    let ok = post_form(
        &browser,
        &reset,
        &[("username", "alice"), ("code", &code), ("password", new_password), ("confirm_password", new_password)],
    )
    .await;
    assert_eq!(ok.status(), 302);
    let to = location(&ok);
    assert!(to.contains("/login?") && to.contains("notice=password_reset"), "{to}");
    assert!(get_page(&browser, &to).await.contains("Your password has been reset."));

    let r = elsewhere.get(f.authorize_url(&app, "")).send().await.unwrap();
    assert!(location(&r).contains("/login?"), "the reset ended the other device's session");
    let old = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert_eq!(old.status(), 400, "the old password is gone");
    let new = sign_in(&app.browser(), &f.authorize_url(&app, ""), "alice", new_password).await;
    assert!(location(&new).starts_with(CALLBACK));
    let (st, v) = app
        .public_api(
            "ConfirmForgotPassword",
            json!({"ClientId": f.client_id, "Username": "alice", "ConfirmationCode": code, "Password": "Another-Pass-8"}),
        )
        .await;
    assert_eq!(error_of(st, &v).await, "ExpiredCodeException", "a code works once");
}

#[tokio::test]
async fn forgot_password_hides_unknown_users_only_when_the_client_asks() {
    let (app, sink) = spawn_with_mail().await;
    let f = setup_flow(&app, false, json!({"PreventUserExistenceErrors": "ENABLED"})).await;
    let (st, v) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "nobody"})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    let (st, v) = app
        .public_api(
            "ConfirmForgotPassword",
            json!({"ClientId": f.client_id, "Username": "nobody", "ConfirmationCode": "123456", "Password": PASSWORD}),
        )
        .await;
    assert_eq!(error_of(st, &v).await, "CodeMismatchException");
    assert!(sink.all().is_empty());

    // The hosted page answers the same way for a real and an unknown user.
    let browser = app.browser();
    let r = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    let login = get_page(&browser, &location(&r)).await;
    let forgot_url = link(&login, "forgot-password-link");
    for name in ["alice", "nobody"] {
        let page = get_page(&browser, &forgot_url).await;
        let r = post_form(&browser, &page, &[("username", name)]).await;
        assert_eq!(r.status(), 302, "{name}");
        assert!(location(&r).contains("/confirmForgotPassword?"));
    }

    let pool = app.create_pool(json!({})).await;
    let (legacy, _) = app.create_client(&pool, false, json!({"PreventUserExistenceErrors": "LEGACY"})).await;
    let (st, v) = app.public_api("ForgotPassword", json!({"ClientId": legacy, "Username": "nobody"})).await;
    assert_eq!(error_of(st, &v).await, "UserNotFoundException");
}

#[tokio::test]
async fn forgot_password_needs_a_verified_address_and_is_rate_limited() {
    let (app, sink) = spawn_with_mail().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.create_user(&f.pool, "ivan", PASSWORD, json!([{"Name": "email", "Value": "i@example.com"}])).await;
    let (st, v) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "ivan"})).await;
    assert_eq!(error_of(st, &v).await, "InvalidParameterException", "{v}");
    assert_eq!(sink.count_to("i@example.com"), 0);
    let body = json!({"ClientId": f.client_id, "Username": "alice"});
    for _ in 0..5 {
        assert_eq!(app.public_api("ForgotPassword", body.clone()).await.0, 200);
    }
    let (st, v) = app.public_api("ForgotPassword", body).await;
    assert_eq!(error_of(st, &v).await, "LimitExceededException");
    assert_eq!(v["message"], "Attempt limit exceeded, please try after some time.");
}

#[tokio::test]
async fn admin_reset_and_admin_confirm() {
    let (app, sink) = spawn_with_mail().await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    app.create_user(
        &f.pool,
        "judy",
        PASSWORD,
        json!([{"Name": "email", "Value": "j@example.com"}, {"Name": "email_verified", "Value": "true"}, {"Name": "name", "Value": "J"}]),
    )
    .await;
    app.ok("AdminResetUserPassword", json!({"UserPoolId": f.pool, "Username": "judy"})).await;
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "judy"})).await;
    assert_eq!(user["UserStatus"], "RESET_REQUIRED");
    let signin = json!({"ClientId": f.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "judy", "PASSWORD": PASSWORD}});
    let (st, v) = app.public_api("InitiateAuth", signin.clone()).await;
    assert_eq!(error_of(st, &v).await, "PasswordResetRequiredException");
    let code = sink.nth_to("j@example.com", 0).await.code();
    let (st, v) = app
        .public_api(
            "ConfirmForgotPassword",
            json!({"ClientId": f.client_id, "Username": "judy", "ConfirmationCode": code, "Password": "Judy-New-Pass-2"}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    let mut signin = signin;
    signin["AuthParameters"]["PASSWORD"] = json!("Judy-New-Pass-2");
    assert_eq!(app.public_api("InitiateAuth", signin).await.0, 200);

    assert_eq!(api_sign_up(&app, &f, "kim", "k@example.com").await.0, 200);
    app.ok("AdminConfirmSignUp", json!({"UserPoolId": f.pool, "Username": "kim"})).await;
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "kim"})).await;
    assert_eq!(user["UserStatus"], "CONFIRMED");
    let (st, v) = app.api("AdminConfirmSignUp", json!({"UserPoolId": f.pool, "Username": "kim"})).await;
    assert_eq!(error_of(st, &v).await, "NotAuthorizedException");
}

#[tokio::test]
async fn admin_create_user_mails_the_invitation_unless_suppressed() {
    let (app, sink) = spawn_with_mail().await;
    for bad in [
        json!({"AdminCreateUserConfig": {"InviteMessageTemplate": {"EmailMessage": "Your password is {####}"}}}),
        json!({"VerificationMessageTemplate": {"EmailMessage": "No code here"}}),
    ] {
        let mut body = json!({"PoolName": "bad-templates"});
        merge(&mut body, bad);
        let (st, v) = app.api("CreateUserPool", body).await;
        assert_eq!(error_of(st, &v).await, "InvalidParameterException", "{v}");
    }
    let pool = app
        .create_pool(json!({"AdminCreateUserConfig": {"InviteMessageTemplate": {
            "EmailSubject": "Welcome aboard", "EmailMessage": "<p>Hello {username}, your password is {####}</p>"}}}))
        .await;
    let (client_id, _) = app.create_client(&pool, false, json!({})).await;
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "leo", "DesiredDeliveryMediums": ["EMAIL"],
               "UserAttributes": [{"Name": "email", "Value": "leo@example.com"}]}),
    )
    .await;
    let mail = sink.nth_to("leo@example.com", 0).await;
    assert_eq!(mail.subject(), "Welcome aboard");
    let text = mail.text();
    let temp = text.trim().rsplit(' ').next().unwrap().to_string();
    assert!(text.starts_with("Hello leo, your password is "), "{text}");
    assert!(mail.html().contains("<p>Hello leo"));
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "leo", "PASSWORD": temp}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeName"], "NEW_PASSWORD_REQUIRED", "the mailed password is the temporary one");

    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "mia", "DesiredDeliveryMediums": ["EMAIL"], "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "email", "Value": "mia@example.com"}]}),
    )
    .await;
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "mia", "DesiredDeliveryMediums": ["EMAIL"], "MessageAction": "RESEND"}),
    )
    .await;
    assert_eq!(sink.nth_to("mia@example.com", 0).await.subject(), "Welcome aboard", "RESEND mails, SUPPRESS did not");
    assert_eq!(sink.count_to("mia@example.com"), 1);
}

#[tokio::test]
async fn mail_goes_to_the_outbox_folder_by_default() {
    let app = TestApp::spawn().await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    assert_eq!(api_sign_up(&app, &f, "nina", "n@example.com").await.0, 200);
    let outbox = app.config.data_dir.join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().filter_map(Result::ok).collect();
    assert_eq!(files.len(), 1, "one .eml in {}", outbox.display());
    let raw = std::fs::read(files[0].path()).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert!(msg.body_text(0).unwrap().starts_with("Your verification code is "));
}

#[tokio::test]
async fn unreachable_smtp_is_a_delivery_failure_that_keeps_the_account() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_with(move |c| c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{closed}")))).await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    let (st, v) = api_sign_up(&app, &f, "omar", "o@example.com").await;
    assert_eq!(error_of(st, &v).await, "CodeDeliveryFailureException");
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "omar"})).await;
    assert_eq!(user["UserStatus"], "UNCONFIRMED", "the account stays; a resend can deliver later");
}

/// Confirming a sign-up stands for the password only: when the pool requires MFA, the new user
/// sets up an authenticator before the app gets a code (issue 10).
#[tokio::test]
async fn confirmation_with_required_mfa_sets_up_an_authenticator_before_returning_to_the_app() {
    let (app, sink) = spawn_with_mail().await;
    let f = signup_pool(&app, json!({}), json!({})).await;
    app.ok(
        "SetUserPoolMfaConfig",
        json!({"UserPoolId": f.pool, "MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true}}),
    )
    .await;
    let browser = app.browser();
    let r = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    let login = get_page(&browser, &location(&r)).await;
    let page = get_page(&browser, &link(&login, "signup-link")).await;
    let fields = [
        ("username", "mia"),
        ("password", PASSWORD),
        ("userAttributes.email", "mia@example.com"),
        ("userAttributes.name", "Mia"),
    ];
    let r = post_form(&browser, &page, &fields).await;
    assert_eq!(r.status(), 302);
    let confirm = get_page(&browser, &location(&r)).await;
    let code = sink.nth_to("mia@example.com", 0).await.code();
    let done = post_form(&browser, &confirm, &[("username", "mia"), ("code", &code)]).await;
    let back = location(&done);
    assert!(!back.starts_with(CALLBACK), "no code for the app before MFA is set up: {back}");
    let setup = if done.status() == 302 {
        get_page(&browser, &back).await
    } else {
        assert_eq!(done.status(), 200);
        done.text().await.unwrap()
    };
    assert!(setup.contains("otpauth://totp/"), "the authenticator set-up page: {setup}");
}
