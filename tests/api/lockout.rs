//! Lockout that holds under races, on each backend, through HTTP: simultaneous guesses are
//! admitted only as far as the rule allows (the slot is taken in the database before the
//! password is checked, and a slot never resolved expires); second-factor guesses are limited
//! per user, not per challenge; a username no user has locks like one that exists; and a
//! mailed code's guess limit holds under simultaneous guesses too.

use crate::helpers::*;
use crate::mfa::{mfa_pool, respond, set_up_totp, totp_code};
use portcullis::clock::Clock;
use portcullis::store::guesses::Guesses;
use portcullis::userpool::lockout::{FAILURE_WINDOW_SECS, LOCKOUT_FREE_FAILURES, SLOT_SECS};
use serde_json::{Value, json};

const WRONG: &str = "Wrong-pass-1";
const INCORRECT: &str = "Incorrect username or password.";
const EXCEEDED: &str = "Password attempts exceeded";

/// (type, message) of an API answer.
fn error_of(status: u16, body: &Value) -> (u16, Option<&str>, Option<&str>) {
    (status, body["__type"].as_str(), body["message"].as_str())
}

async fn expect_refusal(app: &TestApp, client_id: &str, username: &str, password: &str, message: &str) {
    let (status, body) = initiate_auth(app, client_id, username, password).await;
    assert_eq!(error_of(status, &body), (400, Some("NotAuthorizedException"), Some(message)), "{body}");
}

/// How many answers said "Incorrect" (a guess was checked); every other one must be the lock.
fn checked(results: &[(u16, Value)]) -> usize {
    let mut n = 0;
    for (status, body) in results {
        match error_of(*status, body) {
            (400, Some("NotAuthorizedException"), Some(INCORRECT)) => n += 1,
            (400, Some("NotAuthorizedException"), Some(EXCEEDED)) => {}
            other => panic!("unexpected answer {other:?}: {body}"),
        }
    }
    n
}

async fn user_id(app: &TestApp, pool: &str, username: &str) -> String {
    let p = app.services.directory.pool(&pool.into()).await.unwrap();
    app.services.users.find_user(&p, &username.into()).await.unwrap().expect("user").id.to_string()
}

#[tokio::test]
async fn simultaneous_guesses_are_checked_only_up_to_the_failure_that_locks() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    let results = all_at_once(initiate_auth_request(&app, &f.client_id, "alice", WRONG), 10).await;
    assert_eq!(checked(&results), LOCKOUT_FREE_FAILURES as usize, "{results:?}");
    let id = user_id(&app, &f.pool, "alice").await;
    let stored = app.services.store.get_failures(&f.pool, Guesses::Password(&id)).await.unwrap();
    assert_eq!(stored.failures, LOCKOUT_FREE_FAILURES, "{stored:?}");
    expect_refusal(&app, &f.client_id, "alice", PASSWORD, EXCEEDED).await;
}

#[tokio::test]
async fn when_a_lock_expires_simultaneous_guesses_get_one_check_not_ten() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    for _ in 0..5 {
        expect_refusal(&app, &f.client_id, "alice", WRONG, INCORRECT).await;
    }
    expect_refusal(&app, &f.client_id, "alice", PASSWORD, EXCEEDED).await;
    app.clock.advance_secs(1);
    // The lock (1 s) is over: the next failure locks again, so only one guess may be checked.
    let results = all_at_once(initiate_auth_request(&app, &f.client_id, "alice", WRONG), 10).await;
    assert_eq!(checked(&results), 1, "{results:?}");
    let id = user_id(&app, &f.pool, "alice").await;
    assert_eq!(app.services.store.get_failures(&f.pool, Guesses::Password(&id)).await.unwrap().failures, 6);
    // The sixth failure locks for 2 s: even the right password waits.
    app.clock.advance_secs(1);
    expect_refusal(&app, &f.client_id, "alice", PASSWORD, EXCEEDED).await;
    app.clock.advance_secs(1);
    let (status, body) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_guess_in_flight_elsewhere_holds_back_the_next_and_an_abandoned_one_expires() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    for _ in 0..5 {
        expect_refusal(&app, &f.client_id, "alice", WRONG, INCORRECT).await;
    }
    app.clock.advance_secs(1);
    // Another node takes the one slot and dies before resolving it.
    let id = user_id(&app, &f.pool, "alice").await;
    let now = app.clock.now();
    let store = &app.services.store;
    let claim =
        store.claim_guess(&f.pool, Guesses::Password(&id), now, FAILURE_WINDOW_SECS, LOCKOUT_FREE_FAILURES, now + 60);
    assert!(claim.await.unwrap());
    // Not even the right password is checked while that guess may still fail and lock: the
    // account is not locked, so after waiting for the slot the request is shed as too many.
    let (status, body) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(error_of(status, &body), (400, Some("TooManyRequestsException"), Some("Too many requests")), "{body}");
    app.clock.advance_secs(SLOT_SECS);
    let (status, body) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    // The right password cleared the count.
    assert_eq!(store.get_failures(&f.pool, Guesses::Password(&id)).await.unwrap().failures, 0);
}

#[tokio::test]
async fn the_janitor_drops_only_counters_with_nothing_left_to_say() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let id = user_id(&app, &f.pool, "alice").await;
    let (store, of, t) = (&app.services.store, Guesses::Password(&id), 1_000_000);
    assert!(
        store.claim_guess(&f.pool, of, t, FAILURE_WINDOW_SECS, LOCKOUT_FREE_FAILURES, t + SLOT_SECS).await.unwrap()
    );
    assert_eq!(store.count_failed_guess(&f.pool, of, t, FAILURE_WINDOW_SECS).await.unwrap(), 1);
    store.release_guess(&f.pool, of, t + 2000).await.unwrap();
    let quiet = |now: i64| now - FAILURE_WINDOW_SECS;
    // Still locked, or a failure within the window: kept.
    assert_eq!(store.purge_stale_failures(t + 1000, quiet(t + 1000)).await.unwrap(), 0);
    assert_eq!(store.purge_stale_failures(t + 2001, quiet(t + 900)).await.unwrap(), 0);
    assert_eq!(store.get_failures(&f.pool, Guesses::Password(&id)).await.unwrap().failures, 1);
    assert_eq!(store.purge_stale_failures(t + 2001, quiet(t + 2001)).await.unwrap(), 1);
    assert_eq!(store.get_failures(&f.pool, Guesses::Password(&id)).await.unwrap().failures, 0);
}

// ---------------------------------------------------------------------------------------------
// Second factors: counted per user

fn wrong_for(code: &str) -> &'static str {
    if code == "000000" { "111111" } else { "000000" }
}

/// A password sign-in that must succeed: its challenge (name, session).
async fn password_step(app: &TestApp, f: &Flow) -> (String, Value) {
    let (status, v) = initiate_auth(app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(status, 200, "{v}");
    (v["ChallengeName"].as_str().expect("challenge").to_string(), v["Session"].clone())
}

#[tokio::test]
async fn wrong_codes_across_fresh_challenges_lock_the_second_factor_and_a_right_password_does_not_reset_it() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    app.clock.freeze();
    let secret = set_up_totp(&app, &f).await;
    app.clock.advance_secs(30);
    let code = totp_code(&secret, app.clock.now());
    // Five wrong answers spread over three sign-ins (each a right password), one a recovery code.
    for answers in [
        vec![json!({"SOFTWARE_TOKEN_MFA_CODE": wrong_for(&code)}); 2],
        vec![json!({"RECOVERY_CODE": "aaaaa-bbbbb"}); 2],
        vec![json!({"SOFTWARE_TOKEN_MFA_CODE": wrong_for(&code)})],
    ] {
        let (name, session) = password_step(&app, &f).await;
        assert_eq!(name, "SOFTWARE_TOKEN_MFA");
        for a in answers {
            let (st, e) = respond(&app, &f, "SOFTWARE_TOKEN_MFA", &session, a).await;
            assert_eq!((st, e["__type"].as_str()), (400, Some("CodeMismatchException")), "{e}");
        }
    }
    // A fresh challenge does not bring fresh guesses: the right code is refused while locked.
    let (_, session) = password_step(&app, &f).await;
    let (st, e) = respond(&app, &f, "SOFTWARE_TOKEN_MFA", &session, json!({"SOFTWARE_TOKEN_MFA_CODE": code})).await;
    assert_eq!(error_of(st, &e), (400, Some("NotAuthorizedException"), Some(EXCEEDED)), "{e}");
    // Once the lock (1 s) is over the right code works, and clears the count.
    app.clock.advance_secs(1);
    let code = totp_code(&secret, app.clock.now());
    let (st, ok) = respond(&app, &f, "SOFTWARE_TOKEN_MFA", &session, json!({"SOFTWARE_TOKEN_MFA_CODE": code})).await;
    assert_eq!(st, 200, "{ok}");
    assert!(ok["AuthenticationResult"]["AccessToken"].is_string());
    let id = user_id(&app, &f.pool, "alice").await;
    let stored = app.services.store.get_failures(&f.pool, Guesses::SecondFactor(&id)).await.unwrap();
    assert_eq!(stored.failures, 0, "{stored:?}");
}

#[tokio::test]
async fn simultaneous_codes_after_a_second_factor_lock_get_one_check() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    app.clock.freeze();
    let secret = set_up_totp(&app, &f).await;
    app.clock.advance_secs(30);
    let wrong = wrong_for(&totp_code(&secret, app.clock.now())).to_string();
    for _ in 0..5 {
        let (_, session) = password_step(&app, &f).await;
        let (st, e) =
            respond(&app, &f, "SOFTWARE_TOKEN_MFA", &session, json!({"SOFTWARE_TOKEN_MFA_CODE": wrong})).await;
        assert_eq!((st, e["__type"].as_str()), (400, Some("CodeMismatchException")), "{e}");
    }
    app.clock.advance_secs(1);
    let (_, session) = password_step(&app, &f).await;
    let req = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.RespondToAuthChallenge")
        .body(
            json!({"ClientId": f.client_id, "ChallengeName": "SOFTWARE_TOKEN_MFA", "Session": session,
                   "ChallengeResponses": {"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": wrong}})
            .to_string(),
        );
    let results = all_at_once(req, 5).await;
    let mismatches = results.iter().filter(|(_, b)| b["__type"] == "CodeMismatchException").count();
    let locked = results.iter().filter(|(s, b)| *s == 400 && b["message"] == EXCEEDED).count();
    assert_eq!((mismatches, locked), (1, 4), "{results:?}");
}

#[tokio::test]
async fn wrong_set_up_codes_count_against_the_second_factor_across_sessions() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    app.clock.freeze();
    for tries in [3, 2] {
        let (name, session) = password_step(&app, &f).await;
        assert_eq!(name, "MFA_SETUP");
        let (_, a) = app.public_api("AssociateSoftwareToken", json!({"Session": session})).await;
        let wrong = wrong_for(&totp_code(a["SecretCode"].as_str().expect("secret"), app.clock.now()));
        for _ in 0..tries {
            let (st, e) = app.public_api("VerifySoftwareToken", json!({"Session": session, "UserCode": wrong})).await;
            assert_eq!((st, e["__type"].as_str()), (400, Some("EnableSoftwareTokenMFAException")), "{e}");
        }
    }
    let (_, session) = password_step(&app, &f).await;
    let (_, a) = app.public_api("AssociateSoftwareToken", json!({"Session": session})).await;
    let secret = a["SecretCode"].as_str().expect("secret").to_string();
    let code = totp_code(&secret, app.clock.now());
    let (st, e) = app.public_api("VerifySoftwareToken", json!({"Session": session, "UserCode": code})).await;
    assert_eq!(error_of(st, &e), (400, Some("NotAuthorizedException"), Some(EXCEEDED)), "{e}");
    app.clock.advance_secs(1);
    let code = totp_code(&secret, app.clock.now());
    let (st, v) = app.public_api("VerifySoftwareToken", json!({"Session": session, "UserCode": code})).await;
    assert_eq!((st, v["Status"].as_str()), (200, Some("SUCCESS")), "{v}");
}

// ---------------------------------------------------------------------------------------------
// Usernames no user has

#[tokio::test]
async fn an_unknown_username_locks_exactly_like_a_known_one_when_existence_is_hidden() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({"PreventUserExistenceErrors": "ENABLED"})).await;
    app.clock.freeze();
    for _ in 0..5 {
        expect_refusal(&app, &f.client_id, "alice", WRONG, INCORRECT).await;
        expect_refusal(&app, &f.client_id, "nobody", WRONG, INCORRECT).await;
    }
    for name in ["alice", "nobody"] {
        expect_refusal(&app, &f.client_id, name, WRONG, EXCEEDED).await;
    }
    app.clock.advance_secs(1);
    // The sixth failure of each counts and locks again (2 s).
    for name in ["alice", "nobody"] {
        expect_refusal(&app, &f.client_id, name, WRONG, INCORRECT).await;
        expect_refusal(&app, &f.client_id, name, WRONG, EXCEEDED).await;
    }
    // Another unknown name has its own count.
    expect_refusal(&app, &f.client_id, "someone-else", WRONG, INCORRECT).await;
}

#[tokio::test]
async fn without_prevent_user_existence_errors_unknown_users_stay_user_not_found() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    for _ in 0..7 {
        let (status, body) = initiate_auth(&app, &f.client_id, "nobody", WRONG).await;
        assert_eq!(
            error_of(status, &body),
            (400, Some("UserNotFoundException"), Some("User does not exist.")),
            "{body}"
        );
    }
}

async fn page_says(r: reqwest::Response, message: &str) {
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
    let html = r.text().await.unwrap();
    assert!(html.contains(message), "page lacks {message:?}: {html}");
}

#[tokio::test]
async fn the_hosted_page_locks_an_unknown_username_like_a_known_one() {
    let app = TestApp::spawn().await;
    // The client does not hide user existence from the API; the page hides it anyway.
    let f = setup_flow(&app, false, json!({})).await;
    app.clock.freeze();
    let b = app.browser();
    let url = f.authorize_url(&app, "");
    for _ in 0..5 {
        page_says(sign_in(&b, &url, "nobody", WRONG).await, INCORRECT).await;
        page_says(sign_in(&b, &url, "alice", WRONG).await, INCORRECT).await;
    }
    page_says(sign_in(&b, &url, "nobody", WRONG).await, EXCEEDED).await;
    page_says(sign_in(&b, &url, "alice", WRONG).await, EXCEEDED).await;
}

// ---------------------------------------------------------------------------------------------
// Mailed codes: the same mistake (a limit read before the check)

#[tokio::test]
async fn simultaneous_guesses_at_a_confirmation_code_stop_at_its_limit() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"AutoVerifiedAttributes": ["email"]})).await;
    let (client_id, _) = app.create_client(&pool, false, json!({})).await;
    let (st, v) = app
        .public_api(
            "SignUp",
            json!({"ClientId": client_id, "Username": "carol", "Password": PASSWORD,
                   "UserAttributes": [{"Name": "email", "Value": "c@example.com"}]}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    // The mailed code is one of a million; "000000" is wrong but for that one chance.
    let req = app
        .http
        .post(format!("{}/", app.base))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", "AWSCognitoIdentityProviderService.ConfirmSignUp")
        .body(json!({"ClientId": client_id, "Username": "carol", "ConfirmationCode": "000000"}).to_string());
    // Fifteen: the hourly limit of ConfirmSignUp, so none is refused before its guess is counted.
    let results = all_at_once(req, 15).await;
    let kind = |t: &str| results.iter().filter(|(s, b)| *s == 400 && b["__type"] == t).count();
    assert_eq!((kind("CodeMismatchException"), kind("ExpiredCodeException")), (5, 10), "{results:?}");
}

/// POST the hosted /mfa form on `page` with a TOTP code.
async fn post_code(b: &reqwest::Client, page: &str, code: &str) -> reqwest::Response {
    let form = [
        ("_csrf", hidden(page, "_csrf")),
        ("session", hidden(page, "session")),
        ("challenge", "SOFTWARE_TOKEN_MFA".to_string()),
        ("code", code.to_string()),
    ];
    b.post(form_action(page)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn the_hosted_code_page_counts_wrong_codes_per_user_and_shows_the_lock() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    app.clock.freeze();
    let secret = set_up_totp(&app, &f).await;
    app.clock.advance_secs(30);
    let code = totp_code(&secret, app.clock.now());
    let b = app.browser();
    let url = f.authorize_url(&app, "");
    for tries in [3, 2] {
        let r = sign_in(&b, &url, "alice", PASSWORD).await;
        assert_eq!(r.status(), 200);
        let mut page = r.text().await.unwrap();
        for _ in 0..tries {
            let r = post_code(&b, &page, wrong_for(&code)).await;
            assert_eq!(r.status(), 400);
            page = r.text().await.unwrap();
            assert!(page.contains("Invalid code or auth state for the user."), "{page}");
        }
    }
    let r = sign_in(&b, &url, "alice", PASSWORD).await;
    let page = r.text().await.unwrap();
    let r = post_code(&b, &page, &code).await;
    page_says(r, EXCEEDED).await;
}

/// More simultaneous right guesses than may be in flight at once are not a lockout: the later
/// ones wait for a slot and are all signed in.
#[tokio::test]
async fn a_burst_of_right_passwords_all_sign_in() {
    let app = TestApp::spawn().await;
    let f = setup_flow(&app, false, json!({})).await;
    let results = all_at_once(initiate_auth_request(&app, &f.client_id, "alice", PASSWORD), 12).await;
    for (status, body) in &results {
        assert_eq!(*status, 200, "{body}");
    }
}
