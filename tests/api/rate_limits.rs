//! Per client-IP limits on sign-in (SRP challenges too), sign-up and the code actions (counted
//! in the database, so every node shares them), and the bounded password-hashing queue: past
//! either, the API answers Cognito's TooManyRequestsException and the hosted pages a 429 page
//! with `Retry-After`.

use crate::helpers::*;
use crate::srp::{SrpClient, srp_sign_in, start};
use portcullis::web::client::parse_cidrs;
use serde_json::{Value, json};

fn too_many(status: u16, body: &Value) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body, &json!({"__type": "TooManyRequestsException", "message": "Too many requests"}));
}

#[tokio::test]
async fn api_sign_ins_past_the_per_ip_limit_are_refused_until_the_window_ends() {
    let app = TestApp::spawn_with(|c| c.rate_limit_sign_in = 3).await;
    let f = setup_flow(&app, false, json!({})).await;
    let (st, v) = initiate_auth(&app, &f.client_id, "alice", "Wrong-Pass-1").await;
    assert_eq!((st, v["__type"].as_str()), (400, Some("NotAuthorizedException")));
    let (st, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    let refresh = v["AuthenticationResult"]["RefreshToken"].as_str().unwrap().to_string();
    assert_eq!(initiate_auth(&app, &f.client_id, "nobody", PASSWORD).await.0, 400);
    // The fourth attempt, right password or not, is refused before any password is checked.
    let (st, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    too_many(st, &v);
    // Refreshing tokens is no password sign-in.
    let (st, v) = app
        .public_api(
            "InitiateAuth",
            json!({"AuthFlow": "REFRESH_TOKEN_AUTH", "ClientId": f.client_id,
                   "AuthParameters": {"REFRESH_TOKEN": refresh}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    // A client's own X-Forwarded-For does not buy a new allowance (no trusted proxy).
    let forged = initiate_auth_request(&app, &f.client_id, "alice", PASSWORD)
        .header("x-forwarded-for", "198.51.100.77")
        .header("forwarded", "for=198.51.100.78")
        .send()
        .await
        .unwrap();
    let st = forged.status().as_u16();
    too_many(st, &forged.json().await.unwrap());
    // An operator's signed AdminInitiateAuth is not limited by address.
    let (st, v) = app
        .api(
            "AdminInitiateAuth",
            json!({"UserPoolId": f.pool, "ClientId": f.client_id, "AuthFlow": "ADMIN_USER_PASSWORD_AUTH",
                   "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
        )
        .await;
    assert_eq!(st, 200, "{v}");
    // A new window, a new allowance.
    app.clock.advance_secs(301);
    assert_eq!(initiate_auth(&app, &f.client_id, "alice", PASSWORD).await.0, 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_allowance() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_sign_in = 1;
        c.trusted_proxies = parse_cidrs("127.0.0.0/8").unwrap();
    })
    .await;
    let f = setup_flow(&app, false, json!({})).await;
    let from = |ip: &'static str| {
        initiate_auth_request(&app, &f.client_id, "alice", PASSWORD).header("x-forwarded-for", ip).send()
    };
    assert_eq!(from("198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(from("198.51.100.2").await.unwrap().status(), 200);
    let r = from("198.51.100.1").await.unwrap();
    let st = r.status().as_u16();
    too_many(st, &r.json().await.unwrap());
}

#[tokio::test]
async fn api_sign_ups_and_code_actions_have_their_own_limits() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_sign_up = 1;
        c.rate_limit_send_code = 1;
        c.rate_limit_confirm_code = 1;
    })
    .await;
    let f = setup_flow(&app, false, json!({})).await;
    let sign_up = |name: &str| {
        app.public_api(
            "SignUp",
            json!({"ClientId": f.client_id, "Username": name, "Password": PASSWORD,
                   "UserAttributes": [{"Name": "email", "Value": format!("{name}@example.com")}]}),
        )
    };
    assert_eq!(sign_up("bob").await.0, 200);
    let (st, v) = sign_up("carol").await;
    too_many(st, &v);
    let resend = json!({"ClientId": f.client_id, "Username": "bob"});
    assert_eq!(app.public_api("ResendConfirmationCode", resend.clone()).await.0, 200);
    let (st, v) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "alice"})).await;
    too_many(st, &v);
    let confirm = json!({"ClientId": f.client_id, "Username": "bob", "ConfirmationCode": "000000"});
    let (st, v) = app.public_api("ConfirmSignUp", confirm.clone()).await;
    assert_eq!((st, v["__type"].as_str()), (400, Some("CodeMismatchException")), "{v}");
    let (st, v) = app.public_api("ConfirmSignUp", confirm).await;
    too_many(st, &v);
    // The operator's signed calls are not limited by address.
    app.ok(
        "AdminInitiateAuth",
        json!({"UserPoolId": f.pool, "ClientId": f.client_id,
        "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": {"USERNAME": "alice", "PASSWORD": PASSWORD}}),
    )
    .await;
}

/// USER_SRP_AUTH's first step (a PASSWORD_VERIFIER challenge, a 3072-bit modexp each) flooded
/// from one address is refused, for a known name or not; a whole SRP sign-in still costs one
/// attempt of the sign-in allowance, as a password sign-in does.
#[tokio::test]
async fn srp_challenges_past_the_per_ip_limit_are_refused() {
    let app = TestApp::spawn_with(|c| c.rate_limit_sign_in = 3).await;
    let flows =
        json!({"ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]});
    let f = setup_flow(&app, false, flows).await;
    // Two SRP sign-ins and a password sign-in: the sign-in allowance of three, no more.
    for _ in 0..2 {
        let (st, v) = srp_sign_in(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = initiate_auth(&app, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
    // The first step alone: a third challenge, then refusals, before any user is looked up.
    let (st, v) = start(&app, &f.client_id, "alice", &SrpClient::new()).await;
    assert_eq!((st, v["ChallengeName"].as_str()), (200, Some("PASSWORD_VERIFIER")), "{v}");
    for name in ["alice", "nobody", "alice"] {
        let (st, v) = start(&app, &f.client_id, name, &SrpClient::new()).await;
        too_many(st, &v);
    }
    // A new window, a new allowance.
    app.clock.advance_secs(301);
    let (st, v) = srp_sign_in(&app, &f.pool, &f.client_id, "alice", PASSWORD).await;
    assert_eq!(st, 200, "{v}");
}

/// The hosted sign-in form past the limit: the 429 page, in HTML, with Retry-After.
#[tokio::test]
async fn the_hosted_sign_in_page_past_the_limit_answers_429_with_retry_after() {
    let app = TestApp::spawn_with(|c| c.rate_limit_sign_in = 2).await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    for _ in 0..2 {
        let r = sign_in(&browser, &f.authorize_url(&app, ""), "alice", "Wrong-Pass-1").await;
        assert_eq!(r.status(), 400);
    }
    let r = sign_in(&browser, &f.authorize_url(&app, ""), "alice", PASSWORD).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert!(html.contains("Too many requests."), "{html}");

    // The forgot-password form counts code mails.
    let app = TestApp::spawn_with(|c| c.rate_limit_send_code = 1).await;
    let f = setup_flow(&app, false, json!({})).await;
    let browser = app.browser();
    let url = f.authorize_url(&app, "").replace("/oauth2/authorize?", "/forgotPassword?");
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let html = browser.get(&url).send().await.unwrap().text().await.unwrap();
        let r = browser
            .post(form_action(&html))
            .form(&[("_csrf", hidden(&html, "_csrf").as_str()), ("username", "alice")])
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            assert!(r.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(statuses, [302, 429]);
}

/// With no room to queue a password check, a burst of sign-ins is partly shed with
/// TooManyRequestsException rather than queued; nothing fails otherwise.
#[tokio::test]
async fn a_full_password_queue_sheds_sign_ins_with_too_many_requests() {
    let app = TestApp::spawn_with(|c| c.password_queue = 0).await;
    let f = setup_flow(&app, false, json!({})).await;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let req = initiate_auth_request(&app, &f.client_id, "alice", PASSWORD);
    let results = all_at_once(req, cores * 8 + 16).await;
    let shed: Vec<_> = results.iter().filter(|(st, _)| *st != 200).collect();
    assert!(!shed.is_empty(), "no sign-in was shed");
    assert!(shed.len() < results.len(), "every sign-in was shed");
    for (st, v) in shed {
        too_many(*st, v);
    }

    // The hosted sign-in form sheds with its 429 page.
    let browser = app.browser();
    let r = browser.get(f.authorize_url(&app, "")).send().await.unwrap();
    let html = browser.get(location(&r)).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "_csrf");
    let post = browser.post(form_action(&html)).form(&[
        ("_csrf", csrf.as_str()),
        ("username", "alice"),
        ("password", PASSWORD),
    ]);
    let statuses: Vec<u16> = all_at_once(post, cores * 8 + 16).await.into_iter().map(|(st, _)| st).collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(statuses.iter().all(|st| [302, 429].contains(st)), "{statuses:?}");
}

/// The shared counter reports when its window started (for Retry-After), on both databases.
#[tokio::test]
async fn the_rate_counter_reports_its_window_start() {
    let app = TestApp::spawn().await;
    let s = &app.services.store;
    // Times near the clock's: the janitor drops counters whose window ended a day ago.
    let t = app.services.now();
    assert_eq!(s.hit_rate_window("test:k", t, 300).await.unwrap(), (1, t));
    assert_eq!(s.hit_rate_window("test:k", t + 100, 300).await.unwrap(), (2, t));
    assert_eq!(s.hit_rate_counter("test:k", t + 299, 300).await.unwrap(), 3);
    assert_eq!(s.hit_rate_window("test:k", t + 300, 300).await.unwrap(), (1, t + 300));
    assert_eq!(s.hit_rate_window("test:other", t + 300, 300).await.unwrap(), (1, t + 300));
}
