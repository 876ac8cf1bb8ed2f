//! Multi-factor sign-in over HTTP: MFA_SETUP with TOTP, SOFTWARE_TOKEN_MFA with skew and replay
//! rules, e-mail OTP through a real SMTP sink, SELECT_MFA_TYPE and preferences, the pool's MFA
//! configuration, and the hosted set-up page with recovery codes.

use crate::helpers::*;
use crate::smtp::spawn_with_mail;
use portcullis::clock::Clock;
use serde_json::{Value, json};

pub(crate) fn totp_code(secret_b32: &str, at: i64) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_b32).expect("base32 secret");
    let t = totp_rs::Builder::new().with_secret(secret).build().expect("totp");
    t.generate(at as u64).to_string()
}

fn now(app: &TestApp) -> i64 {
    app.clock.now()
}

pub(crate) async fn mfa_pool(app: &TestApp, mode: &str, email: bool) -> Flow {
    let f = setup_flow(app, false, json!({})).await;
    let mut cfg =
        json!({"UserPoolId": f.pool, "MfaConfiguration": mode, "SoftwareTokenMfaConfiguration": {"Enabled": true}});
    if email {
        cfg["EmailMfaConfiguration"] = json!({"Subject": "Sign-in code", "Message": "Use {####} to sign in."});
    }
    let out = app.ok("SetUserPoolMfaConfig", cfg).await;
    assert_eq!(out["MfaConfiguration"], mode);
    f
}

async fn initiate(app: &TestApp, f: &Flow) -> Value {
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"ClientId": f.client_id, "AuthFlow": "USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    v
}

pub(crate) async fn respond(app: &TestApp, f: &Flow, name: &str, session: &Value, responses: Value) -> (u16, Value) {
    let mut r = json!({"USERNAME": "alice"});
    merge(&mut r, responses);
    app.public_api(
        "RespondToAuthChallenge",
        json!({"ClientId": f.client_id, "ChallengeName": name, "Session": session, "ChallengeResponses": r}),
    )
    .await
}

/// Walk MFA_SETUP through the API; returns the TOTP secret.
pub(crate) async fn set_up_totp(app: &TestApp, f: &Flow) -> String {
    let v = initiate(app, f).await;
    assert_eq!(v["ChallengeName"], "MFA_SETUP");
    assert_eq!(v["ChallengeParameters"]["MFAS_CAN_SETUP"], "[\"SOFTWARE_TOKEN_MFA\"]");
    let (st, a) = app.public_api("AssociateSoftwareToken", json!({"Session": v["Session"]})).await;
    assert_eq!(st, 200, "{a}");
    let secret = a["SecretCode"].as_str().unwrap().to_string();
    assert!(secret.len() >= 16 && secret.chars().all(|c| c.is_ascii_alphanumeric()));
    let code = totp_code(&secret, now(app));
    let (st, ver) = app.public_api("VerifySoftwareToken", json!({"Session": a["Session"], "UserCode": code})).await;
    assert_eq!(st, 200, "{ver}");
    assert_eq!(ver["Status"], "SUCCESS");
    let (st, done) = respond(app, f, "MFA_SETUP", &ver["Session"], json!({})).await;
    assert_eq!(st, 200, "{done}");
    assert!(done["AuthenticationResult"]["AccessToken"].is_string());
    secret
}

#[tokio::test]
async fn required_mfa_sets_up_totp_on_first_sign_in_then_asks_for_codes() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    let v = initiate(&app, &f).await;
    let (st, bad) = app.public_api("AssociateSoftwareToken", json!({"Session": v["Session"]})).await;
    assert_eq!(st, 200);
    let wrong = if totp_code(bad["SecretCode"].as_str().unwrap(), now(&app)) == "000000" { "111111" } else { "000000" };
    let (st, e) = app.public_api("VerifySoftwareToken", json!({"Session": v["Session"], "UserCode": wrong})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("EnableSoftwareTokenMFAException")));
    let (st, e) = respond(&app, &f, "MFA_SETUP", &v["Session"], json!({})).await;
    assert_eq!(st, 400, "no tokens before a verified authenticator: {e}");

    let secret = set_up_totp(&app, &f).await;
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(user["UserMFASettingList"], json!(["SOFTWARE_TOKEN_MFA"]));

    app.clock.advance_secs(30);
    let v = initiate(&app, &f).await;
    assert_eq!(v["ChallengeName"], "SOFTWARE_TOKEN_MFA");
    assert!(v.get("AuthenticationResult").is_none());
    let code = totp_code(&secret, now(&app));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (st, e) =
        respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": wrong})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("CodeMismatchException")));
    let (st, ok) =
        respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": code})).await;
    assert_eq!(st, 200, "{ok}");
    let at = ok["AuthenticationResult"]["AccessToken"].as_str().unwrap();
    assert_eq!(claims(at)["username"], "alice");

    // The same code (same time step) never works twice.
    let v = initiate(&app, &f).await;
    let (st, e) =
        respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": code})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("CodeMismatchException")), "replay refused");
    // A session answered wrongly too often is dead even for the right code.
    for _ in 0..4 {
        respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": wrong})).await;
    }
    app.clock.advance_secs(30);
    let fresh = totp_code(&secret, now(&app));
    let (st, e) =
        respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": fresh})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("NotAuthorizedException")), "{e}");
}

#[tokio::test]
async fn totp_accepts_one_step_of_skew_each_way_and_no_more() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    let secret = set_up_totp(&app, &f).await;
    for (offset, accepted) in [(-60, false), (-30, true), (30, true), (90, false)] {
        app.clock.advance_secs(120);
        let v = initiate(&app, &f).await;
        let code = totp_code(&secret, now(&app) + offset);
        let (st, _) =
            respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": code})).await;
        assert_eq!(st == 200, accepted, "offset {offset}s");
    }
}

#[tokio::test]
async fn email_otp_select_mfa_type_and_preferences() {
    let (app, sink) = spawn_with_mail().await;
    let f = mfa_pool(&app, "OPTIONAL", true).await;
    // OPTIONAL and no factor: straight in.
    assert!(initiate(&app, &f).await["AuthenticationResult"].is_object());

    app.ok(
        "AdminSetUserMFAPreference",
        json!({"UserPoolId": f.pool, "Username": "alice", "EmailMfaSettings": {"Enabled": true}}),
    )
    .await;
    let v = initiate(&app, &f).await;
    assert_eq!(v["ChallengeName"], "EMAIL_OTP");
    assert_eq!(v["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"], "a***@e***");
    let mail = sink.nth_to("alice@example.com", 0).await;
    assert_eq!(mail.subject(), "Sign-in code");
    let code = mail.code();
    assert_eq!(mail.text().trim(), format!("Use {code} to sign in."));
    let (st, ok) = respond(&app, &f, "EMAIL_OTP", &v["Session"], json!({"EMAIL_OTP_CODE": code})).await;
    assert_eq!(st, 200, "{ok}");
    let access = ok["AuthenticationResult"]["AccessToken"].as_str().unwrap().to_string();

    // Add an authenticator with the access token: two factors and no preference → choose.
    let (st, a) = app.public_api("AssociateSoftwareToken", json!({"AccessToken": access})).await;
    assert_eq!(st, 200, "{a}");
    let secret = a["SecretCode"].as_str().unwrap().to_string();
    let (st, ver) = app
        .public_api("VerifySoftwareToken", json!({"AccessToken": access, "UserCode": totp_code(&secret, now(&app))}))
        .await;
    assert_eq!((st, ver["Status"].as_str()), (200, Some("SUCCESS")));
    let (st, me) = app.public_api("GetUser", json!({"AccessToken": access})).await;
    assert_eq!(st, 200);
    assert_eq!(me["UserMFASettingList"], json!(["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]));

    let v = initiate(&app, &f).await;
    assert_eq!(v["ChallengeName"], "SELECT_MFA_TYPE");
    assert_eq!(v["ChallengeParameters"]["MFAS_CAN_CHOOSE"], "[\"SOFTWARE_TOKEN_MFA\",\"EMAIL_OTP\"]");
    let (st, next) = respond(&app, &f, "SELECT_MFA_TYPE", &v["Session"], json!({"ANSWER": "EMAIL_OTP"})).await;
    assert_eq!(st, 200, "{next}");
    assert_eq!(next["ChallengeName"], "EMAIL_OTP");
    let code = sink.nth_to("alice@example.com", 1).await.code();
    let (st, _) = respond(&app, &f, "EMAIL_OTP", &next["Session"], json!({"EMAIL_OTP_CODE": code})).await;
    assert_eq!(st, 200);

    let (st, _) = app
        .public_api(
            "SetUserMFAPreference",
            json!({"AccessToken": access, "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true}}),
        )
        .await;
    assert_eq!(st, 200);
    let v = initiate(&app, &f).await;
    assert_eq!(v["ChallengeName"], "SOFTWARE_TOKEN_MFA", "the preferred factor is asked directly");
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    assert_eq!(user["PreferredMfaSetting"], "SOFTWARE_TOKEN_MFA");
}

#[tokio::test]
async fn pool_mfa_configuration_round_trips_and_is_validated() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let cfg = app.ok("GetUserPoolMfaConfig", json!({"UserPoolId": pool})).await;
    assert_eq!(cfg["MfaConfiguration"], "OFF");
    let (st, e) = app
        .api(
            "SetUserPoolMfaConfig",
            json!({"UserPoolId": pool, "MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": false}}),
        )
        .await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("InvalidParameterException")));
    app.ok(
        "SetUserPoolMfaConfig",
        json!({"UserPoolId": pool, "MfaConfiguration": "OPTIONAL", "EmailMfaConfiguration": {"Message": "Code {####}"}}),
    )
    .await;
    app.ok("UpdateUserPool", json!({"UserPoolId": pool, "MfaConfiguration": "OPTIONAL"})).await;
    let cfg = app.ok("GetUserPoolMfaConfig", json!({"UserPoolId": pool})).await;
    assert_eq!(cfg["MfaConfiguration"], "OPTIONAL");
    assert_eq!(cfg["EmailMfaConfiguration"]["Message"], "Code {####}", "UpdateUserPool keeps the factors");
    let d = app.ok("DescribeUserPool", json!({"UserPoolId": pool})).await;
    assert_eq!(d["UserPool"]["MfaConfiguration"], "OPTIONAL");
}

#[tokio::test]
async fn hosted_pages_set_up_an_authenticator_show_recovery_codes_and_accept_them_once() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    let browser = app.browser();
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert_eq!(r.status(), 200);
    let setup = r.text().await.unwrap();
    assert!(setup.contains("<svg"), "a server-rendered QR code");
    let start = setup.find("id=\"totp-secret\">").unwrap() + "id=\"totp-secret\">".len();
    let secret = setup[start..start + setup[start..].find('<').unwrap()].to_string();
    assert!(setup.contains("otpauth://totp/"), "the URI is shown as text");
    assert!(setup.contains("autocomplete=\"one-time-code\""));

    let post = |html: String, fields: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        async move {
            let mut form = vec![("_csrf", hidden(&html, "_csrf")), ("session", hidden(&html, "session"))];
            form.extend(fields);
            browser.post(form_action(&html)).form(&form).send().await.unwrap()
        }
    };
    let code = totp_code(&secret, now(&app));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let again = post(setup.clone(), vec![("code", wrong.to_string())]).await;
    assert_eq!(again.status(), 400);
    let again = again.text().await.unwrap();
    assert!(again.contains(&secret), "a wrong code keeps the same secret");
    let codes_page = post(again, vec![("code", code)]).await;
    assert_eq!(codes_page.status(), 200);
    let codes_page = codes_page.text().await.unwrap();
    let codes: Vec<String> =
        codes_page.split("<li><code>").skip(1).map(|s| s[..s.find('<').unwrap()].to_string()).collect();
    assert_eq!(codes.len(), 10);
    let done = post(codes_page, vec![]).await;
    assert!(location(&done).starts_with(CALLBACK), "{}", location(&done));

    // A new browser: password, then a recovery code instead of the app's code.
    let other = app.browser();
    let r = sign_in(&other, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    let page = r.text().await.unwrap();
    assert!(page.contains("name=\"recovery_code\""));
    let form = vec![
        ("_csrf", hidden(&page, "_csrf")),
        ("session", hidden(&page, "session")),
        ("challenge", "SOFTWARE_TOKEN_MFA".to_string()),
        ("recovery_code", codes[0].to_uppercase()),
    ];
    let done = other.post(form_action(&page)).form(&form).send().await.unwrap();
    assert!(location(&done).starts_with(CALLBACK), "recovery codes are case-insensitive");

    let third = app.browser();
    let r = sign_in(&third, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    let page = r.text().await.unwrap();
    let form = vec![
        ("_csrf", hidden(&page, "_csrf")),
        ("session", hidden(&page, "session")),
        ("challenge", "SOFTWARE_TOKEN_MFA".to_string()),
        ("recovery_code", codes[0].clone()),
    ];
    let reused = third.post(form_action(&page)).form(&form).send().await.unwrap();
    assert_eq!(reused.status(), 400, "a recovery code works once");
    assert!(reused.text().await.unwrap().contains("Invalid code or auth state for the user."));
}
