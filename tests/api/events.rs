//! The event log over HTTP: sign-ins through the API and the hosted pages, MFA steps, lockouts,
//! sign-up and recovery, token grants, all visible through Cognito's AdminListUserAuthEvents
//! (newest first, paged, gated by the pool's add-on) and through the event service; no event
//! holds a password or a code. The store's listing filters, counts and retention run on both
//! databases with a fixed clock.

use crate::helpers::*;
use crate::mfa::{mfa_pool, respond, set_up_totp, totp_code};
use crate::smtp::spawn_with_mail;
use portcullis::clock::{Clock, ManualClock};
use portcullis::events::{AuthEvent, AuthEventType, EventFilter, Events, Outcome, Reason, SeriesQuery};
use portcullis::store::Store;
use portcullis::store::events::EventRow;
use portcullis::web::client::parse_cidrs;
use serde_json::{Value, json};
use std::sync::Arc;

/// A pool whose add-on keeps auth events for the API (`AdvancedSecurityMode` AUDIT), a public
/// client and alice.
async fn audited_flow(app: &TestApp) -> Flow {
    let pool = app.create_pool(json!({"UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"}})).await;
    let (client_id, secret) = app.create_client(&pool, false, json!({})).await;
    app.create_user(
        &pool,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"}, {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

async fn list(app: &TestApp, pool: &str, username: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({"UserPoolId": pool, "Username": username});
    merge(&mut body, extra);
    app.api("AdminListUserAuthEvents", body).await
}

/// Every event of `pool`, newest first, from the event service.
/// The pool's sign-in events (not the audit trail of the management calls), newest first.
async fn rows(app: &TestApp, pool: &str) -> Vec<EventRow> {
    let filter = EventFilter {
        pool_id: Some(pool.into()),
        category: Some(portcullis::events::Category::Auth),
        ..EventFilter::default()
    };
    app.services.events.list(&filter, 1000, None).await.expect("list").events
}

/// Every event of the pool, the audit trail included.
async fn every_row(app: &TestApp, pool: &str) -> Vec<EventRow> {
    let filter = EventFilter { pool_id: Some(pool.into()), ..EventFilter::default() };
    app.services.events.list(&filter, 1000, None).await.expect("list").events
}

/// (type, outcome, reason) of rows, oldest first.
fn kinds(rows: &[EventRow]) -> Vec<(String, String, Option<String>)> {
    rows.iter().rev().map(|r| (r.event_type.clone(), r.outcome.clone(), r.reason.clone())).collect()
}

fn kind(t: &str, o: &str, r: Option<&str>) -> (String, String, Option<String>) {
    (t.into(), o.into(), r.map(str::to_string))
}

fn steps(e: &Value) -> Vec<(String, String)> {
    e["ChallengeResponses"]
        .as_array()
        .expect("ChallengeResponses")
        .iter()
        .map(|c| (c["ChallengeName"].as_str().unwrap().into(), c["ChallengeResponse"].as_str().unwrap().into()))
        .collect()
}

fn step(name: &str, response: &str) -> (String, String) {
    (name.into(), response.into())
}

#[tokio::test]
async fn initiate_auth_failures_and_successes_are_listed_newest_first_with_the_callers_address() {
    let app = TestApp::spawn_with(|c| c.trusted_proxies = parse_cidrs("127.0.0.0/8").unwrap()).await;
    let f = audited_flow(&app).await;
    let wrong = initiate_auth_request(&app, &f.client_id, "alice", "Not-The-Password-1")
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 400);
    let (st, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");

    let (st, v) = list(&app, &f.pool, "alice", json!({})).await;
    assert_eq!(st, 200, "{v}");
    let events = v["AuthEvents"].as_array().unwrap();
    assert!(v.get("NextToken").is_none(), "{v}");
    // Newest first: the sign-in, the failure, then the password the admin set.
    let types: Vec<(&str, &str)> =
        events.iter().map(|e| (e["EventType"].as_str().unwrap(), e["EventResponse"].as_str().unwrap())).collect();
    assert_eq!(types, [("SignIn", "Pass"), ("SignIn", "Fail"), ("PasswordChange", "Pass")]);
    assert_eq!(steps(&events[0]), [step("Password", "Success")]);
    assert_eq!(steps(&events[1]), [step("Password", "Failure")]);
    assert_eq!(events[0]["EventContextData"]["IpAddress"], "127.0.0.1");
    assert_eq!(events[1]["EventContextData"]["IpAddress"], "203.0.113.9", "the address behind the trusted proxy");
    assert_eq!(events[2]["EventContextData"], json!({}), "a signed admin call has no client address");
    for e in events {
        assert_eq!(
            e["EventRisk"],
            json!({"RiskDecision": "NoRisk", "RiskLevel": "Low", "CompromisedCredentialsDetected": false})
        );
        let date = e["CreationDate"].as_f64().expect("epoch seconds");
        assert!((date - app.clock.now() as f64).abs() < 5.0, "{date}");
        assert!(e["EventId"].as_str().is_some_and(|id| !id.is_empty()));
    }
    // The service keeps the reason and the client.
    let all = rows(&app, &f.pool).await;
    let failed = all.iter().find(|r| r.outcome == "Fail").unwrap();
    assert_eq!(failed.reason.as_deref(), Some("bad_password"));
    assert_eq!(failed.client_id.as_deref(), Some(f.client_id.as_str()));
    assert_eq!(failed.username.as_deref(), Some("alice"));
}

#[tokio::test]
async fn hosted_sign_ins_and_token_grants_are_recorded_like_the_apis() {
    let app = TestApp::spawn().await;
    let f = audited_flow(&app).await;
    let browser = app.browser();
    let failed = sign_in(&browser, &f.authorize_url(&app, ""), "alice", "Wrong-Pass-123").await;
    assert_eq!(failed.status(), 400);
    let nobody = sign_in(&app.browser(), &f.authorize_url(&app, ""), "mallory", "Wrong-Pass-123").await;
    assert_eq!(nobody.status(), 400);
    let tokens = tokens_via_browser(&app, &f).await;
    let refreshed = f.refresh_request(&app, tokens["refresh_token"].as_str().unwrap()).send().await.unwrap();
    assert_eq!(refreshed.status(), 200);

    let (st, v) = list(&app, &f.pool, "alice", json!({})).await;
    assert_eq!(st, 200, "{v}");
    let events = v["AuthEvents"].as_array().unwrap();
    let types: Vec<(&str, &str)> =
        events.iter().map(|e| (e["EventType"].as_str().unwrap(), e["EventResponse"].as_str().unwrap())).collect();
    assert_eq!(types, [("SignIn", "Pass"), ("SignIn", "Fail"), ("PasswordChange", "Pass")], "Cognito's types only");
    assert_eq!(events[0]["EventContextData"]["IpAddress"], "127.0.0.1");

    let sub = get_user(&app, &f.pool, "alice").await["UserAttributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["Name"] == "sub")
        .unwrap()["Value"]
        .as_str()
        .unwrap()
        .to_string();
    let all = rows(&app, &f.pool).await;
    assert_eq!(
        kinds(&all),
        [
            kind("PasswordChange", "Pass", None),
            kind("SignIn", "Fail", Some("bad_password")),
            kind("SignIn", "Fail", Some("user_not_found")),
            kind("SignIn", "Pass", None),
            kind("TokenGrant", "Pass", None),
            kind("TokenGrant", "Pass", None),
        ]
    );
    let unknown = &all[3];
    assert_eq!((unknown.username.as_deref(), unknown.user_sub.as_ref()), (Some("mallory"), None));
    for (grant, row) in [("refresh_token", &all[0]), ("authorization_code", &all[1])] {
        assert_eq!(row.user_sub.as_deref(), Some(sub.as_str()), "{grant}");
        assert_eq!(row.client_id.as_deref(), Some(f.client_id.as_str()));
        assert_eq!(row.ip.as_deref(), Some("127.0.0.1"));
        assert_eq!(portcullis::events::details_of(row), json!({"grant_type": grant}));
    }
    // A code used twice is a failed grant.
    let code = code_via_browser(&app, &f, &app.browser()).await;
    assert_eq!(f.redeem(&app, &code).await.status(), 200);
    assert_eq!(f.redeem(&app, &code).await.status(), 400);
    let latest = &rows(&app, &f.pool).await[0];
    assert_eq!((latest.event_type.as_str(), latest.reason.as_deref()), ("TokenGrant", Some("invalid_grant")));
}

#[tokio::test]
async fn listing_needs_the_add_on_an_existing_user_and_pages_with_next_token() {
    let app = TestApp::spawn().await;
    let plain = setup_flow(&app, false, json!({})).await;
    let (st, e) = list(&app, &plain.pool, "alice", json!({})).await;
    assert_eq!((st, err_type(&e)), (400, "UserPoolAddOnNotEnabledException"), "{e}");
    let enforced = app.create_pool(json!({"UserPoolAddOns": {"AdvancedSecurityMode": "ENFORCED"}})).await;
    let (st, v) = list(&app, &enforced, "nobody", json!({})).await;
    assert_eq!((st, err_type(&v)), (400, "UserNotFoundException"), "{v}");
    let (st, v) = list(&app, "local_nope12345", "alice", json!({})).await;
    assert_eq!((st, err_type(&v)), (400, "ResourceNotFoundException"), "{v}");

    let f = audited_flow(&app).await;
    for password in ["Wrong-1-aaaa", "Wrong-2-bbbb", PASSWORD, "Wrong-3-cccc", PASSWORD] {
        initiate_auth(&app, &f.client_id, "alice", password).await;
    }
    let (_, everything) = list(&app, &f.pool, "alice", json!({"MaxResults": 0})).await;
    let all: Vec<Value> = everything["AuthEvents"].as_array().unwrap().clone();
    assert_eq!(all.len(), 6, "five sign-ins and the admin's password");
    let dates: Vec<f64> = all.iter().map(|e| e["CreationDate"].as_f64().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first: {dates:?}");

    let (mut paged, mut token) = (Vec::new(), None::<Value>);
    for page in 0.. {
        let mut extra = json!({"MaxResults": 4});
        if let Some(t) = &token {
            extra["NextToken"] = t.clone();
        }
        let (st, v) = list(&app, &f.pool, "alice", extra).await;
        assert_eq!(st, 200, "{v}");
        paged.extend(v["AuthEvents"].as_array().unwrap().iter().cloned());
        token = v.get("NextToken").cloned();
        if token.is_none() {
            assert_eq!(page, 1);
            break;
        }
    }
    assert_eq!(paged, all, "pages of 4 make up the whole list, in order");
    let (st, e) = list(&app, &f.pool, "alice", json!({"NextToken": "not-a-token"})).await;
    assert_eq!((st, err_type(&e)), (400, "InvalidParameterException"), "{e}");
    let (st, e) = list(&app, &f.pool, "alice", json!({"MaxResults": 61})).await;
    assert_eq!((st, err_type(&e)), (400, "InvalidParameterException"), "{e}");
}

#[tokio::test]
async fn mfa_steps_and_lockouts_are_sign_in_events() {
    let app = TestApp::spawn().await;
    let f = mfa_pool(&app, "ON", false).await;
    let secret = set_up_totp(&app, &f).await;
    app.clock.advance_secs(30);
    let (_, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    let code = totp_code(&secret, app.clock.now());
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (st, _) =
        respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": wrong})).await;
    assert_eq!(st, 400);
    let (st, _) =
        respond(&app, &f, "SOFTWARE_TOKEN_MFA", &v["Session"], json!({"SOFTWARE_TOKEN_MFA_CODE": code})).await;
    assert_eq!(st, 200);
    let all = rows(&app, &f.pool).await;
    assert_eq!(
        kinds(&all),
        [
            kind("PasswordChange", "Pass", None),
            kind("SignIn", "InProgress", None),
            kind("SignIn", "Pass", None),
            kind("SignIn", "InProgress", None),
            kind("SignIn", "Fail", Some("mfa_failed")),
            kind("SignIn", "Pass", None),
        ]
    );
    let details: Vec<Value> = all.iter().rev().map(portcullis::events::details_of).collect();
    assert_eq!(details[1]["next_challenge"], "MFA_SETUP");
    assert_eq!(details[2]["mfa_setup"], true);
    let ok = json!({"challenge": "Password", "success": true});
    assert_eq!(details[4]["challenges"], json!([ok, {"challenge": "Mfa", "success": false}]));
    assert_eq!(details[5]["challenges"], json!([ok, {"challenge": "Mfa", "success": true}]));
    assert_eq!(details[5]["factor"], "SOFTWARE_TOKEN_MFA");

    // Five wrong passwords lock the user; the next guess is refused as a lockout.
    app.clock.freeze();
    for _ in 0..6 {
        initiate_auth(&app, &f.client_id, "alice", "Wrong-Pass-99").await;
    }
    let latest = &rows(&app, &f.pool).await[0];
    assert_eq!((latest.outcome.as_str(), latest.reason.as_deref()), ("Fail", Some("locked_out")));
}

#[tokio::test]
async fn no_event_holds_a_password_or_a_code() {
    let (app, sink) = spawn_with_mail().await;
    let pool = app
        .create_pool(json!({"AutoVerifiedAttributes": ["email"], "UserPoolAddOns": {"AdvancedSecurityMode": "AUDIT"}}))
        .await;
    let (client, _) = app.create_client(&pool, false, json!({})).await;
    let (first, wrong, reset, admin) = ("Sign-Up-Pass-41", "Typo-Pass-Nope-7", "Reset-Pass-Zz-93", "Admin-Set-Pw-55");
    let call = |action: &'static str, body: Value| {
        let mut body = body;
        body["ClientId"] = json!(client);
        let app = &app;
        async move { app.public_api(action, body).await }
    };
    let attrs = json!([{"Name": "email", "Value": "carol@example.com"}]);
    let (st, v) = call("SignUp", json!({"Username": "carol", "Password": first, "UserAttributes": attrs})).await;
    assert_eq!(st, 200, "{v}");
    let code = sink.nth_to("carol@example.com", 0).await.code();
    let bad_code = if code == "000000" { "111111" } else { "000000" };
    call("ConfirmSignUp", json!({"Username": "carol", "ConfirmationCode": bad_code})).await;
    let (st, _) = call("ConfirmSignUp", json!({"Username": "carol", "ConfirmationCode": code})).await;
    assert_eq!(st, 200);
    initiate_auth(&app, &client, "carol", wrong).await;
    initiate_auth(&app, &client, "carol", first).await;
    let (st, v) = call("ForgotPassword", json!({"Username": "carol"})).await;
    assert_eq!(st, 200, "the confirmation verified the address: {v}");
    let reset_code = sink.nth_to("carol@example.com", 1).await.code();
    let (st, v) =
        call("ConfirmForgotPassword", json!({"Username": "carol", "ConfirmationCode": reset_code, "Password": reset}))
            .await;
    assert_eq!(st, 200, "{v}");
    app.ok(
        "AdminSetUserPassword",
        json!({"UserPoolId": pool, "Username": "carol", "Password": admin, "Permanent": true}),
    )
    .await;

    let all = rows(&app, &pool).await;
    assert_eq!(
        kinds(&all),
        [
            kind("SignUp", "Pass", None),
            kind("Confirmation", "Fail", Some("bad_code")),
            kind("Confirmation", "Pass", None),
            kind("SignIn", "Fail", Some("bad_password")),
            kind("SignIn", "Pass", None),
            kind("ForgotPassword", "Pass", None),
            kind("PasswordChange", "Pass", None),
            kind("PasswordChange", "Pass", None),
        ]
    );
    let everything = every_row(&app, &pool).await;
    assert!(everything.iter().any(|r| r.event_type == "AdminSetUserPassword"), "the management call is audited");
    // Every stored field but the actor (the access key's id, whose zeros would match a code).
    let stored = format!(
        "{:?}",
        everything.iter().map(|r| (&r.details, &r.username, &r.target, &r.reason, &r.feedback)).collect::<Vec<_>>()
    );
    for secret in [first, wrong, reset, admin, code.as_str(), bad_code, reset_code.as_str()] {
        assert!(!stored.contains(secret), "{secret} is in an event: {stored}");
    }
    assert!(all.iter().all(|r| r.username.as_deref() == Some("carol")));
}

/// A migrated store on a fresh database, and the guard that drops it.
async fn store() -> (Store, (TestDatabase, tempfile::TempDir)) {
    let dir = tempfile::tempdir().unwrap();
    let mut db = TestDatabase::create(dir.path()).await;
    let store = Store::connect(&db.url, 4).await.expect("connect and migrate");
    db.close_on_drop(store.clone());
    (store, (db, dir))
}

const DAY: i64 = 86_400;

#[tokio::test]
async fn events_store_filters_counts_and_retention_with_a_fixed_clock() {
    let (s, _guard) = store().await;
    let clock = Arc::new(ManualClock::new());
    clock.freeze();
    let events = Events::new(s.clone(), clock.clone());
    let start = clock.now_millis();
    let pool = portcullis::ids::PoolId::from("local_events1");
    let other = portcullis::ids::PoolId::from("local_events2");
    let at = |day: i64| start + day * DAY * 1000;
    // Day 0: an old failure; day 80: a sign-in from another address; day 100: now.
    events
        .record_auth(
            AuthEvent::failed(&pool, AuthEventType::SignIn, Reason::BadPassword)
                .username("bob")
                .details(json!({"password": "hunter2", "nested": {"client_secret": "s"}})),
        )
        .await;
    clock.advance_secs(80 * DAY);
    let ip = portcullis::userpool::throttle::Source::Address("192.0.2.4".parse().unwrap());
    events.record_auth(AuthEvent::new(&pool, AuthEventType::SignIn, Outcome::Pass).username("bob").source(ip)).await;
    events.record_auth(AuthEvent::new(&other, AuthEventType::SignUp, Outcome::Pass).username("eve")).await;
    clock.advance_secs(20 * DAY);
    events.record_auth(AuthEvent::new(&pool, AuthEventType::TokenGrant, Outcome::Pass).username("bob")).await;

    let in_pool = EventFilter { pool_id: Some(pool.clone()), ..EventFilter::default() };
    let page = events.list(&in_pool, 10, None).await.unwrap();
    let times: Vec<i64> = page.events.iter().map(|e| e.at).collect();
    assert_eq!(times, [at(100), at(80), at(0)]);
    let redacted = portcullis::events::details_of(&page.events[2]);
    assert_eq!(redacted, json!({"password": "(redacted)", "nested": {"client_secret": "(redacted)"}}));
    for (filter, expected) in [
        (EventFilter { ip: Some("192.0.2.4".into()), ..in_pool.clone() }, 1),
        (EventFilter { outcome: Some(Outcome::Fail), ..in_pool.clone() }, 1),
        (EventFilter { event_types: vec!["SignIn".into(), "SignUp".into()], ..EventFilter::default() }, 3),
        (EventFilter { username: Some("eve".into()), ..EventFilter::default() }, 1),
        (EventFilter { from: Some(at(50)), to: Some(at(90)), ..EventFilter::default() }, 2),
        (EventFilter { category: Some(portcullis::events::Category::Audit), ..EventFilter::default() }, 0),
    ] {
        let n = events.list(&filter, 10, None).await.unwrap().events.len();
        assert_eq!(n, expected, "{filter:?}");
    }
    // Pages of one, in the same order.
    let first = events.list(&in_pool, 1, None).await.unwrap();
    let second = events.list(&in_pool, 1, first.next.as_ref()).await.unwrap();
    assert_eq!((first.events[0].at, second.events[0].at), (at(100), at(80)));

    // Daily buckets over the whole range, every pool, then one pool.
    let q = SeriesQuery { pool_id: None, from: at(0), to: at(101), bucket_secs: DAY };
    let points = events.series(&q).await.unwrap();
    let seen: Vec<(i64, &str, &str, i64)> =
        points.iter().map(|p| (p.start, p.event_type.as_str(), p.outcome.as_str(), p.count)).collect();
    assert_eq!(
        seen,
        [
            (at(0), "SignIn", "Fail", 1),
            (at(80), "SignIn", "Pass", 1),
            (at(80), "SignUp", "Pass", 1),
            (at(100), "TokenGrant", "Pass", 1)
        ]
    );
    assert_eq!(points[0].reason.as_deref(), Some("bad_password"));
    let one = events.series(&SeriesQuery { pool_id: Some(other.clone()), ..q.clone() }).await.unwrap();
    assert_eq!(one.len(), 1);
    assert!(events.series(&SeriesQuery { bucket_secs: 0, ..q.clone() }).await.is_err());
    assert!(events.series(&SeriesQuery { bucket_secs: 1, ..q }).await.is_err(), "too many buckets");

    // Retention: 0 keeps everything; 90 days drops the day-0 event only.
    assert_eq!(events.purge(0).await.unwrap(), 0);
    assert_eq!(events.purge(90).await.unwrap(), 1);
    let left = EventFilter::default();
    assert_eq!(events.list(&left, 10, None).await.unwrap().events.len(), 3);
    assert_eq!(events.purge(90).await.unwrap(), 0, "idempotent");

    // Feedback lands on the event of its pool only.
    let newest = events.list(&in_pool, 1, None).await.unwrap().events.remove(0);
    let fb = portcullis::events::FeedbackValue::Invalid;
    assert!(!events.set_feedback(&other, &newest.id, fb, "Admin").await.unwrap());
    assert!(events.set_feedback(&pool, &newest.id, fb, "Admin").await.unwrap());
    let got = events.event(&newest.id).await.unwrap().unwrap();
    assert_eq!(portcullis::events::feedback_of(&got).map(|f| f.value), Some(fb));
}

#[tokio::test]
async fn administrators_give_feedback_on_a_users_own_auth_events_only() {
    let app = TestApp::spawn().await;
    let f = audited_flow(&app).await;
    app.create_user(&f.pool, "bob", PASSWORD, json!([])).await;
    let (st, _) = initiate_auth(&app, &f.client_id, "alice", "Not-The-Password-1").await;
    assert_eq!(st, 400);
    let (_, v) = list(&app, &f.pool, "alice", json!({})).await;
    let id = v["AuthEvents"][0]["EventId"].as_str().unwrap().to_string();
    let feedback = |user: &str, id: &str, value: &str| {
        app.api(
            "AdminUpdateAuthEventFeedback",
            json!({"UserPoolId": f.pool, "Username": user, "EventId": id, "FeedbackValue": value}),
        )
    };
    assert_eq!(feedback("alice", &id, "Invalid").await, (200, json!({})));
    let (_, v) = list(&app, &f.pool, "alice", json!({})).await;
    let given = &v["AuthEvents"][0]["EventFeedback"];
    assert_eq!((given["FeedbackValue"].as_str(), given["Provider"].as_str()), (Some("Invalid"), Some("Admin")), "{v}");
    // Another user's event, an unknown event, an unknown user.
    let (st, e) = feedback("bob", &id, "Valid").await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
    let (st, e) = feedback("alice", "0190-nothere", "Valid").await;
    assert_eq!((st, err_type(&e)), (400, "ResourceNotFoundException"), "{e}");
    let (st, e) = feedback("nobody", &id, "Valid").await;
    assert_eq!((st, err_type(&e)), (400, "UserNotFoundException"), "{e}");
    let (_, v) = list(&app, &f.pool, "alice", json!({})).await;
    assert_eq!(v["AuthEvents"][0]["EventFeedback"]["FeedbackValue"], "Invalid", "unchanged by the refusals");
    // Without the add-on, Cognito's refusal.
    let plain = app.create_pool(json!({})).await;
    app.create_user(&plain, "carol", PASSWORD, json!([])).await;
    let (st, e) = app
        .api(
            "AdminUpdateAuthEventFeedback",
            json!({"UserPoolId": plain, "Username": "carol", "EventId": id, "FeedbackValue": "Valid"}),
        )
        .await;
    assert_eq!((st, err_type(&e)), (400, "UserPoolAddOnNotEnabledException"), "{e}");
}
