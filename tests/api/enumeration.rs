//! No user enumeration with PreventUserExistenceErrors=ENABLED (finding 5 of issue 10, but
//! lockout): recovery and confirmation answer an unknown username, a disabled user and a user
//! with no verified address exactly as they answer a real user, on the API and the hosted pages.

use crate::helpers::*;
use crate::smtp::spawn_with_mail;
use portcullis::config::Secret;
use serde_json::{Value, json};

/// alice: real, verified e-mail. dora: disabled. ivan: unverified e-mail. carl (real, verified)
/// and ghost (unknown) are never sent a code. nobody: unknown.
const NAMES: [&str; 4] = ["alice", "dora", "ivan", "nobody"];

/// A flow whose client hides user existence, with the users above.
async fn hiding_flow(app: &TestApp, pool_extra: Value) -> Flow {
    let pool = app.create_pool(pool_extra).await;
    let (client_id, secret) = app.create_client(&pool, false, json!({"PreventUserExistenceErrors": "ENABLED"})).await;
    let verified = |e: &str| json!([{"Name": "email", "Value": e}, {"Name": "email_verified", "Value": "true"}]);
    app.create_user(&pool, "alice", PASSWORD, verified("alice@example.com")).await;
    app.create_user(&pool, "carl", PASSWORD, verified("carl@example.com")).await;
    app.create_user(&pool, "dora", PASSWORD, verified("dora@example.com")).await;
    app.ok("AdminDisableUser", json!({"UserPoolId": pool, "Username": "dora"})).await;
    app.create_user(&pool, "ivan", PASSWORD, json!([{"Name": "email", "Value": "ivan@example.com"}])).await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

/// `x***@y***`, the shape of every masked address.
fn is_masked(d: &str) -> bool {
    let c: Vec<char> = d.chars().collect();
    c.len() == 9
        && c[0].is_alphanumeric()
        && c[1..4].iter().all(|&x| x == '*')
        && c[4] == '@'
        && c[5].is_alphanumeric()
        && c[6..].iter().all(|&x| x == '*')
}

/// A response with its only per-user part, the masked destination, checked and blanked.
fn normalised(status: u16, mut v: Value) -> (u16, Value) {
    if let Some(d) = v["CodeDeliveryDetails"]["Destination"].as_str() {
        assert!(is_masked(d), "not a masked address: {d}");
        v["CodeDeliveryDetails"]["Destination"] = json!("<masked>");
    }
    (status, v)
}

async fn call(app: &TestApp, action: &str, f: &Flow, name: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({"ClientId": f.client_id, "Username": name});
    merge(&mut body, extra);
    let (status, v) = app.public_api(action, body).await;
    normalised(status, v)
}

/// The same answer for every name in `names`; returns it.
async fn alike(app: &TestApp, f: &Flow, action: &str, names: &[&str], extra: Value) -> (u16, Value) {
    let first = call(app, action, f, names[0], extra.clone()).await;
    for name in &names[1..] {
        assert_eq!(
            call(app, action, f, name, extra.clone()).await,
            first,
            "{action}: {name} differs from {}",
            names[0]
        );
    }
    first
}

fn reset(code: &str, password: &str) -> Value {
    json!({"ConfirmationCode": code, "Password": password})
}

#[tokio::test]
async fn recovery_answers_unknown_disabled_and_unverified_users_like_real_ones() {
    let (app, sink) = spawn_with_mail().await;
    let f = hiding_flow(&app, json!({})).await;

    // Before any code was asked for: an expired code for everyone.
    let (status, v) = alike(&app, &f, "ConfirmForgotPassword", &["carl", "ghost"], reset("123456", PASSWORD)).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("ExpiredCodeException")), "{v}");

    let (status, v) = alike(&app, &f, "ForgotPassword", &NAMES, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(
        v["CodeDeliveryDetails"],
        json!({"Destination": "<masked>", "DeliveryMedium": "EMAIL", "AttributeName": "email"})
    );
    let code = sink.nth_to("alice@example.com", 0).await.code();
    let wrong = if code == "000000" { "111111" } else { "000000" };

    // The unknown user's simulated address is the same on every call.
    let (_, a) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "nobody"})).await;
    let (_, b) = app.public_api("ForgotPassword", json!({"ClientId": f.client_id, "Username": "nobody"})).await;
    assert_eq!(a, b);

    // A weak password is refused before the code is looked at, for everyone.
    let (status, v) = alike(&app, &f, "ConfirmForgotPassword", &NAMES, reset(wrong, "weak")).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("InvalidPasswordException")), "{v}");
    // A wrong code: the same mismatch, five times, then the code is used up for everyone.
    for _ in 0..5 {
        let (status, v) = alike(&app, &f, "ConfirmForgotPassword", &NAMES, reset(wrong, PASSWORD)).await;
        assert_eq!((status, v["__type"].as_str()), (400, Some("CodeMismatchException")), "{v}");
    }
    let (status, v) = alike(&app, &f, "ConfirmForgotPassword", &NAMES, reset(wrong, PASSWORD)).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("ExpiredCodeException")), "{v}");
    // The rate limit of ForgotPassword (five an hour) holds for every name: nobody has had
    // three calls, the others one.
    for _ in 0..2 {
        assert_eq!(alike(&app, &f, "ForgotPassword", &["alice", "dora", "ivan"], json!({})).await.0, 200);
    }
    for _ in 0..2 {
        assert_eq!(alike(&app, &f, "ForgotPassword", &NAMES, json!({})).await.0, 200);
    }
    let (status, v) = alike(&app, &f, "ForgotPassword", &NAMES, json!({})).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("LimitExceededException")), "{v}");
    // Deliveries to a hiding client's users are not awaited: wait for alice's fifth.
    sink.nth_to("alice@example.com", 4).await;
    assert_eq!((sink.count_to("alice@example.com"), sink.all().len()), (5, 5), "only alice is ever mailed");
}

#[tokio::test]
async fn a_failed_delivery_is_not_reported_to_a_hiding_client() {
    // Unknown users never have a delivery to wait for or to fail, so real ones must not either.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let app = TestApp::spawn_with(move |c| c.smtp_url = Some(Secret::new(format!("smtp://127.0.0.1:{closed}")))).await;
    let f = hiding_flow(&app, json!({})).await;
    let (status, v) = alike(&app, &f, "ForgotPassword", &NAMES, json!({})).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn admin_only_recovery_refuses_unknown_users_too() {
    let app = TestApp::spawn().await;
    let f = hiding_flow(
        &app,
        json!({"AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "admin_only"}]}}),
    )
    .await;
    let (status, v) = alike(&app, &f, "ForgotPassword", &NAMES, json!({})).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("NotAuthorizedException")), "{v}");
}

#[tokio::test]
async fn confirmation_answers_unknown_and_confirmed_users_alike() {
    let (app, sink) = spawn_with_mail().await;
    let f = hiding_flow(&app, json!({"AutoVerifiedAttributes": ["email"]})).await;
    let (status, v) = alike(&app, &f, "ConfirmSignUp", &["carl", "ghost"], json!({"ConfirmationCode": "123456"})).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("ExpiredCodeException")), "{v}");

    let (status, v) = alike(&app, &f, "ResendConfirmationCode", &NAMES, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["CodeDeliveryDetails"]["DeliveryMedium"], "EMAIL");
    assert!(sink.all().is_empty(), "nobody here awaits confirmation");
    let (status, v) = alike(&app, &f, "ConfirmSignUp", &NAMES, json!({"ConfirmationCode": "123456"})).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("CodeMismatchException")), "{v}");
    assert_eq!(
        app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "alice"})).await["UserStatus"],
        "CONFIRMED"
    );
}

/// A hosted page's HTML with its per-request parts (CSRF token, the username) blanked.
fn page_shape(html: &str, name: &str) -> String {
    html.replace(&hidden(html, "_csrf"), "CSRF").replace(name, "NAME")
}

/// POST a hosted form at `url` (CSRF from `page`): (status, location, page shape).
async fn post(
    b: &reqwest::Client,
    url: &str,
    page: &str,
    name: &str,
    fields: &[(&str, &str)],
) -> (u16, String, String) {
    let csrf = hidden(page, "_csrf");
    let mut form = vec![("_csrf", csrf.as_str()), ("username", name)];
    form.extend_from_slice(fields);
    let r = b.post(url).form(&form).send().await.expect("post");
    let (status, to) = (r.status().as_u16(), location(&r).replace(name, "NAME"));
    let html = r.text().await.expect("body");
    let shape = if html.contains("_csrf") { page_shape(&html, name) } else { html };
    (status, to, shape)
}

#[tokio::test]
async fn the_hosted_pages_answer_alike() {
    let app = TestApp::spawn().await;
    let f = hiding_flow(&app, json!({"AutoVerifiedAttributes": ["email"]})).await;
    let b = app.browser();
    let r = b.get(f.authorize_url(&app, "")).send().await.expect("authorize");
    let login = location(&r);
    let page_at = |path: &str| login.replace("/login?", &format!("/{path}?"));
    let page = b.get(page_at("forgotPassword")).send().await.expect("page").text().await.expect("html");

    let mut answers = Vec::new();
    for name in NAMES {
        let forgot = post(&b, &page_at("forgotPassword"), &page, name, &[]).await;
        let weak = post(
            &b,
            &page_at("confirmForgotPassword"),
            &page,
            name,
            &[("code", "123456"), ("password", "weak"), ("confirm_password", "weak")],
        )
        .await;
        let wrong = post(
            &b,
            &page_at("confirmForgotPassword"),
            &page,
            name,
            &[("code", "000000"), ("password", PASSWORD), ("confirm_password", PASSWORD)],
        )
        .await;
        let resend = post(&b, &page_at("resendcode"), &page, name, &[]).await;
        let confirm = post(&b, &page_at("confirm"), &page, name, &[("code", "000000")]).await;
        answers.push((name, [forgot, weak, wrong, resend, confirm]));
    }
    let (first, expected) = &answers[0];
    assert_eq!(expected[0].0, 302, "forgotPassword goes on to the reset page");
    assert!(expected[0].1.contains("/confirmForgotPassword?"), "{}", expected[0].1);
    assert!(expected[1].2.contains("Password did not conform with policy"), "{}", expected[1].2);
    for (name, got) in &answers[1..] {
        for (i, (a, b)) in expected.iter().zip(got.iter()).enumerate() {
            assert_eq!(a, b, "step {i}: {name} differs from {first}");
        }
    }
}

#[tokio::test]
async fn simulated_codes_expire_like_real_ones_and_are_cleaned_up() {
    let app = TestApp::spawn().await;
    let f = hiding_flow(&app, json!({})).await;
    assert_eq!(alike(&app, &f, "ForgotPassword", &["alice", "nobody"], json!({})).await.0, 200);
    let (status, v) = alike(&app, &f, "ConfirmForgotPassword", &["alice", "nobody"], reset("000000", PASSWORD)).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("CodeMismatchException")), "{v}");

    // A forgot-password code lives an hour, a simulated one too.
    app.clock.advance_secs(3601);
    let (status, v) = alike(&app, &f, "ConfirmForgotPassword", &["alice", "nobody"], reset("000000", PASSWORD)).await;
    assert_eq!((status, v["__type"].as_str()), (400, Some("ExpiredCodeException")), "{v}");

    let store = &app.services.store;
    let now = app.services.now();
    store.put_simulated_code("phantom:test", "forgot_password", now - 1).await.expect("put");
    store.put_simulated_code("phantom:live", "forgot_password", now + 60).await.expect("put");
    store.delete_expired_account_codes(now).await.expect("cleanup");
    assert!(store.get_simulated_code("phantom:test", "forgot_password").await.expect("get").is_none());
    assert_eq!(store.get_simulated_code("phantom:live", "forgot_password").await.expect("get"), Some((now + 60, 0)));
}
