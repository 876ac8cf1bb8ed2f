//! Choice-based sign-in (USER_AUTH) over HTTP: SELECT_CHALLENGE with the user's first factors,
//! PREFERRED_CHALLENGE taken at once, PASSWORD / PASSWORD_SRP / EMAIL_OTP to tokens, MFA after a
//! password but not after a mailed code, the pool's SignInPolicy checked, and names no user has
//! answered like users under PreventUserExistenceErrors.

use crate::helpers::*;
use crate::mfa::totp_code;
use crate::smtp::{SmtpSink, spawn_with_mail};
use crate::srp::{SrpClient, proof, timestamp};
use portcullis::clock::Clock;
use serde_json::{Value, json};

const ALICE: &str = "alice@example.com";

/// A pool allowing PASSWORD and EMAIL_OTP first, with this MFA mode and TOTP; a USER_AUTH client
/// (hiding unknown users when `hide`); alice with a verified address, bob without one.
async fn passwordless_pool(app: &TestApp, mfa: &str, hide: bool) -> Flow {
    let pool = app
        .create_pool(json!({"Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}))
        .await;
    let prevent = if hide { "ENABLED" } else { "LEGACY" };
    let flows = json!({"ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                       "PreventUserExistenceErrors": prevent});
    let (client_id, _) = app.create_client(&pool, false, flows).await;
    let verified = json!([{"Name": "email", "Value": ALICE}, {"Name": "email_verified", "Value": "true"}]);
    app.create_user(&pool, "alice", PASSWORD, verified).await;
    app.create_user(&pool, "bob", PASSWORD, json!([{"Name": "email", "Value": "bob@example.com"}])).await;
    let mfa_config =
        json!({"UserPoolId": pool, "MfaConfiguration": mfa, "SoftwareTokenMfaConfiguration": {"Enabled": true}});
    app.ok("SetUserPoolMfaConfig", mfa_config).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret: None, verifier, challenge }
}

async fn start(app: &TestApp, f: &Flow, params: Value) -> (u16, Value) {
    app.public_api("InitiateAuth", json!({"AuthFlow": "USER_AUTH", "ClientId": f.client_id, "AuthParameters": params}))
        .await
}

async fn respond(app: &TestApp, f: &Flow, name: &str, session: &Value, responses: Value) -> (u16, Value) {
    let body =
        json!({"ClientId": f.client_id, "ChallengeName": name, "Session": session, "ChallengeResponses": responses});
    app.public_api("RespondToAuthChallenge", body).await
}

fn signed_in_as(v: &Value, username: &str) {
    let id = v["AuthenticationResult"]["IdToken"].as_str().unwrap_or_else(|| panic!("no tokens: {v}"));
    assert_eq!(claims(id)["cognito:username"], username);
}

/// alice chooses EMAIL_OTP: the code mailed to her signs her in, once.
async fn sign_in_by_code(app: &TestApp, sink: &SmtpSink, f: &Flow, session: &Value, nth: usize) -> Value {
    let (st, v) =
        respond(app, f, "SELECT_CHALLENGE", session, json!({"USERNAME": "alice", "ANSWER": "EMAIL_OTP"})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeName"], "EMAIL_OTP", "{v}");
    assert_eq!(v["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"], "EMAIL");
    assert_eq!(v["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"], "a***@e***");
    let code = sink.nth_to(ALICE, nth).await.code();
    let (st, out) =
        respond(app, f, "EMAIL_OTP", &v["Session"], json!({"USERNAME": "alice", "EMAIL_OTP_CODE": code})).await;
    assert_eq!(st, 200, "{out}");
    let (st, again) =
        respond(app, f, "EMAIL_OTP", &v["Session"], json!({"USERNAME": "alice", "EMAIL_OTP_CODE": code})).await;
    assert_eq!((st, again["__type"].as_str()), (400, Some("NotAuthorizedException")), "a code signs in once: {again}");
    out
}

#[tokio::test]
async fn user_auth_offers_the_users_factors_and_takes_the_preferred_one() {
    let (app, sink) = spawn_with_mail().await;
    let f = passwordless_pool(&app, "OFF", false).await;

    let (st, v) = start(&app, &f, json!({"USERNAME": "alice"})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["ChallengeName"], "SELECT_CHALLENGE");
    assert_eq!(v["AvailableChallenges"], json!(["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]));
    assert_eq!(v["ChallengeParameters"]["USERNAME"], "alice");
    let select = v["Session"].clone();

    // A wrong code is a CodeMismatch and leaves the challenge open; the right one signs in.
    let (st, c) =
        respond(&app, &f, "SELECT_CHALLENGE", &select, json!({"USERNAME": "alice", "ANSWER": "EMAIL_OTP"})).await;
    assert_eq!(st, 200, "{c}");
    let code = sink.nth_to(ALICE, 0).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (st, e) =
        respond(&app, &f, "EMAIL_OTP", &c["Session"], json!({"USERNAME": "alice", "EMAIL_OTP_CODE": wrong})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("CodeMismatchException")), "{e}");
    let (st, out) =
        respond(&app, &f, "EMAIL_OTP", &c["Session"], json!({"USERNAME": "alice", "EMAIL_OTP_CODE": code})).await;
    assert_eq!(st, 200, "{out}");
    signed_in_as(&out, "alice");

    // The same choice again from the same SELECT_CHALLENGE session: a new code.
    signed_in_as(&sign_in_by_code(&app, &sink, &f, &select, 1).await, "alice");

    // PASSWORD chosen, and PASSWORD preferred: no SELECT_CHALLENGE.
    let (st, out) = respond(
        &app,
        &f,
        "SELECT_CHALLENGE",
        &select,
        json!({"USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD}),
    )
    .await;
    assert_eq!(st, 200, "{out}");
    signed_in_as(&out, "alice");
    let (st, out) =
        start(&app, &f, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD})).await;
    assert_eq!(st, 200, "{out}");
    signed_in_as(&out, "alice");
    let wrong = json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": "Wrong-Horse-1"});
    let (st, e) = start(&app, &f, wrong).await;
    assert_eq!((st, e["message"].as_str()), (400, Some("Incorrect username or password.")), "{e}");

    // PASSWORD_SRP preferred: the SRP exchange of USER_SRP_AUTH.
    let c = SrpClient::new();
    let (st, v) =
        start(&app, &f, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD_SRP", "SRP_A": c.big_a})).await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("PASSWORD_VERIFIER")), "{v}");
    let r = proof(&c, &f.pool, &v["ChallengeParameters"], PASSWORD, &timestamp(app.clock.now()));
    let (st, out) = respond(&app, &f, "PASSWORD_VERIFIER", &Value::Null, r).await;
    assert_eq!(st, 200, "{out}");
    signed_in_as(&out, "alice");

    // bob has no verified address: EMAIL_OTP is not his, and preferring it asks him to choose.
    let (st, v) = start(&app, &f, json!({"USERNAME": "bob", "PREFERRED_CHALLENGE": "EMAIL_OTP"})).await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        (v["ChallengeName"].as_str(), &v["AvailableChallenges"]),
        (Some("SELECT_CHALLENGE"), &json!(["PASSWORD", "PASSWORD_SRP"]))
    );
    let (st, e) =
        respond(&app, &f, "SELECT_CHALLENGE", &v["Session"], json!({"USERNAME": "bob", "ANSWER": "EMAIL_OTP"})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("InvalidParameterException")), "{e}");
    assert_eq!(sink.count_to("bob@example.com"), 0);

    // A SELECT_CHALLENGE session is the pool's client's own and is answered by its name only.
    let (st, e) = respond(
        &app,
        &f,
        "SELECT_CHALLENGE",
        &json!("forged-session-0123456789abcdef"),
        json!({"USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD}),
    )
    .await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("NotAuthorizedException")), "{e}");
    app.clock.advance_secs(4 * 60);
    let (st, e) = respond(
        &app,
        &f,
        "SELECT_CHALLENGE",
        &select,
        json!({"USERNAME": "alice", "ANSWER": "PASSWORD", "PASSWORD": PASSWORD}),
    )
    .await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("NotAuthorizedException")), "an expired selection: {e}");
}

#[tokio::test]
async fn user_auth_refusals_follow_the_client_and_the_policy() {
    let (app, _sink) = spawn_with_mail().await;
    let f = passwordless_pool(&app, "OFF", false).await;
    let (st, e) = start(&app, &f, json!({"USERNAME": "nobody"})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("UserNotFoundException")), "{e}");
    let (st, e) = start(&app, &f, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "SMS_OTP"})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("InvalidParameterException")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("SMS"), "{e}");
    let (st, e) = start(&app, &f, json!({})).await;
    assert_eq!((st, e["__type"].as_str()), (400, Some("InvalidParameterException")), "{e}");
    app.ok("AdminDisableUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await;
    let (st, e) = start(&app, &f, json!({"USERNAME": "alice"})).await;
    assert_eq!((st, e["message"].as_str()), (400, Some("User is disabled.")), "{e}");

    // AdminInitiateAuth takes USER_AUTH too.
    let admin = json!({"AuthFlow": "USER_AUTH", "UserPoolId": f.pool, "ClientId": f.client_id,
        "AuthParameters": {"USERNAME": "bob", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD}});
    signed_in_as(&app.ok("AdminInitiateAuth", admin).await, "bob");

    // A client without ALLOW_USER_AUTH.
    let (other, _) = app.create_client(&f.pool, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH"]})).await;
    let body = json!({"AuthFlow": "USER_AUTH", "ClientId": other, "AuthParameters": {"USERNAME": "bob"}});
    let (st, e) = app.public_api("InitiateAuth", body).await;
    assert_eq!((st, e["message"].as_str()), (400, Some("USER_AUTH flow not enabled for this client")), "{e}");

    // The policy: PASSWORD stays, SMS_OTP and unknown names are refused; the default is PASSWORD.
    for factors in [json!(["EMAIL_OTP"]), json!(["PASSWORD", "SMS_OTP"]), json!(["PASSWORD", "FACE"])] {
        let body = json!({"PoolName": "p", "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": factors}}});
        let (st, e) = app.api("CreateUserPool", body).await;
        assert_eq!((st, e["__type"].as_str()), (400, Some("InvalidParameterException")), "{factors}: {e}");
    }
    let plain = app.create_pool(json!({})).await;
    let (client, _) = app.create_client(&plain, false, json!({"ExplicitAuthFlows": ["ALLOW_USER_AUTH"]})).await;
    app.create_user(
        &plain,
        "cy",
        PASSWORD,
        json!([{"Name": "email", "Value": "cy@example.com"}, {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    let body = json!({"AuthFlow": "USER_AUTH", "ClientId": client, "AuthParameters": {"USERNAME": "cy"}});
    let (st, v) = app.public_api("InitiateAuth", body).await;
    assert_eq!((st, &v["AvailableChallenges"]), (200, &json!(["PASSWORD", "PASSWORD_SRP"])), "{v}");
}

#[tokio::test]
async fn mfa_follows_a_password_first_factor_and_not_a_mailed_code() {
    let (app, sink) = spawn_with_mail().await;
    let f = passwordless_pool(&app, "OPTIONAL", false).await;
    // alice turns on an authenticator app with her tokens.
    let (_, v) =
        start(&app, &f, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD})).await;
    let access = v["AuthenticationResult"]["AccessToken"].clone();
    let (st, a) = app.public_api("AssociateSoftwareToken", json!({"AccessToken": access})).await;
    assert_eq!(st, 200, "{a}");
    let secret = a["SecretCode"].as_str().unwrap().to_string();
    let verify = json!({"AccessToken": access, "UserCode": totp_code(&secret, app.clock.now())});
    assert_eq!(app.public_api("VerifySoftwareToken", verify).await.0, 200);
    let prefer = json!({"AccessToken": access, "SoftwareTokenMfaSettings": {"Enabled": true, "PreferredMfa": true}});
    assert_eq!(app.public_api("SetUserMFAPreference", prefer).await.0, 200);
    app.clock.advance_secs(30);
    let (st, v) =
        start(&app, &f, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD})).await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("SOFTWARE_TOKEN_MFA")), "{v}");
    let answer = json!({"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp_code(&secret, app.clock.now())});
    let (st, out) = respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], answer).await;
    assert_eq!(st, 200, "{out}");
    signed_in_as(&out, "alice");

    let (_, v) = start(&app, &f, json!({"USERNAME": "alice"})).await;
    signed_in_as(&sign_in_by_code(&app, &sink, &f, &v["Session"], 0).await, "alice");

    // With MFA required a mailed code alone does not sign in: it is not offered.
    let g = passwordless_pool(&app, "ON", false).await;
    let (st, v) = start(&app, &g, json!({"USERNAME": "alice", "PREFERRED_CHALLENGE": "EMAIL_OTP"})).await;
    assert_eq!((st, &v["AvailableChallenges"]), (200, &json!(["PASSWORD", "PASSWORD_SRP"])), "{v}");
}

#[tokio::test]
async fn hidden_names_get_the_users_choice_and_a_code_that_never_works() {
    let (app, sink) = spawn_with_mail().await;
    let f = passwordless_pool(&app, "OFF", true).await;
    let mut sessions = Vec::new();
    for name in ["alice", "nobody", "bob"] {
        let (st, v) = start(&app, &f, json!({"USERNAME": name})).await;
        assert_eq!(st, 200, "{v}");
        assert_eq!(v["AvailableChallenges"], json!(["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"]), "{name}");
        assert_eq!(v["ChallengeParameters"]["USERNAME"], name);
        let (st, c) =
            respond(&app, &f, "SELECT_CHALLENGE", &v["Session"], json!({"USERNAME": name, "ANSWER": "EMAIL_OTP"}))
                .await;
        assert_eq!((st, c["ChallengeName"].as_str()), (200, Some("EMAIL_OTP")), "{name}: {c}");
        let keys: Vec<&String> = c["ChallengeParameters"].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["CODE_DELIVERY_DELIVERY_MEDIUM", "CODE_DELIVERY_DESTINATION", "USER_ID_FOR_SRP"], "{name}");
        sessions.push((name, c["Session"].clone()));
    }
    // Only alice gets a code; a wrong code reads the same for all three, five times, then the
    // session is over for all three.
    let code = sink.nth_to(ALICE, 0).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for round in 0..6 {
        let mut answers = Vec::new();
        for (name, session) in &sessions {
            let body = json!({"ClientId": f.client_id, "ChallengeName": "EMAIL_OTP", "Session": session,
                              "ChallengeResponses": {"USERNAME": name, "EMAIL_OTP_CODE": wrong}});
            answers.push(app.public_api_raw("RespondToAuthChallenge", body).await);
        }
        assert!(answers.iter().all(|a| *a == answers[0]), "round {round}: {answers:?}");
        let expected = if round < 5 { "CodeMismatchException" } else { "NotAuthorizedException" };
        assert!(answers[0].1.contains(expected), "round {round}: {answers:?}");
    }
    assert_eq!(sink.all().len(), 1, "nobody and bob were sent nothing");
}

/// Amplify JS v6 signs in with USER_AUTH (`tests/node/passwordless.cjs`): EMAIL_OTP preferred
/// with a wrong code first, the first-factor selection, PASSWORD preferred.
#[tokio::test]
async fn amplify_v6_signs_in_with_user_auth_and_a_mailed_code() {
    let Some(modules) = crate::node::js_modules_or_skip("amplify_v6_signs_in_with_user_auth_and_a_mailed_code") else {
        return;
    };
    let (app, sink) = spawn_with_mail().await;
    let f = passwordless_pool(&app, "OFF", false).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = crate::aws_sdk::isolated_command("node", dir.path());
    cmd.arg(crate::node::script("passwordless.cjs")).arg(&app.base).env("NODE_PATH", &modules);
    for (k, v) in [
        ("PWL_POOL", f.pool.as_str()),
        ("PWL_CLIENT", &f.client_id),
        ("PWL_USER", "alice"),
        ("PWL_PASSWORD", PASSWORD),
        ("PWL_EMAIL", ALICE),
    ] {
        cmd.env(k, v);
    }
    let (ok, out, err) = crate::node::run_answering_codes(cmd, dir.path(), &sink, "node passwordless.cjs").await;
    let s = crate::node::summary(ok, &out, &err, "aws-amplify passwordless.cjs");
    let passed = json!(["email code preferred", "first factor selection", "password preferred"]);
    assert_eq!(s["passed"], passed, "{s}");
    assert_eq!(sink.count_to(ALICE), 2, "one code a code sign-in");
}

/// In a pool that signs in by e-mail, challenges carry the generated username: a name nobody has
/// gets a stand-in of the same shape, and its code goes "to" its own masked address, as a user's.
#[tokio::test]
async fn e_mail_pools_answer_a_name_nobody_has_like_a_user_behind_generated_usernames() {
    let (app, sink) = spawn_with_mail().await;
    let pool = app
        .create_pool(json!({"UsernameAttributes": ["email"],
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}}}))
        .await;
    let extra = json!({"ExplicitAuthFlows": ["ALLOW_USER_AUTH"], "PreventUserExistenceErrors": "ENABLED"});
    let (client_id, _) = app.create_client(&pool, false, extra).await;
    app.create_user(&pool, "ann@example.com", PASSWORD, json!([{"Name": "email_verified", "Value": "true"}])).await;
    let (verifier, challenge) = pkce();
    let f = Flow { pool, client_id, secret: None, verifier, challenge };
    for name in ["ann@example.com", "amy@example.com"] {
        let (st, v) = start(&app, &f, json!({"USERNAME": name})).await;
        assert_eq!(st, 200, "{v}");
        let shown = v["ChallengeParameters"]["USERNAME"].as_str().unwrap().to_string();
        assert!(uuid::Uuid::parse_str(&shown).is_ok(), "{name}: a generated username, not {shown}");
        let (st, c) =
            respond(&app, &f, "SELECT_CHALLENGE", &v["Session"], json!({"USERNAME": shown, "ANSWER": "EMAIL_OTP"}))
                .await;
        assert_eq!(st, 200, "{c}");
        assert_eq!(c["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"], "a***@e***", "{name}: {c}");
        assert_eq!(c["ChallengeParameters"]["USER_ID_FOR_SRP"], shown.as_str(), "{name}");
    }
    assert_eq!(sink.nth_to("ann@example.com", 0).await.code().len(), 6);
    assert_eq!(sink.all().len(), 1, "amy was sent nothing");
}
