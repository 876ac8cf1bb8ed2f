//! Attributes a user writes (finding 3 of issue 10): SignUp and the NEW_PASSWORD_REQUIRED answer,
//! on the API and the hosted pages, go through one writer. No `*_verified` flag can be claimed,
//! the client's WriteAttributes apply, and a changed e-mail is no longer verified.

use crate::helpers::*;
use serde_json::{Value, json};

const TEMP: &str = "Temp-Pass-1x";
const UNAUTHORIZED: &str = "A client attempted to write unauthorized attribute";

/// A pool (e-mail not required) with a public client (`client_extra` merged in), and `tina`
/// created by an administrator with a verified e-mail and a temporary password.
async fn pool_with_tina(app: &TestApp, client_extra: Value) -> Flow {
    let pool = app.create_pool(json!({})).await;
    let (client_id, secret) = app.create_client(&pool, false, client_extra).await;
    app.ok(
        "AdminCreateUser",
        json!({"UserPoolId": pool, "Username": "tina", "TemporaryPassword": TEMP, "MessageAction": "SUPPRESS",
               "UserAttributes": [{"Name": "email", "Value": "tina@example.com"},
                                  {"Name": "email_verified", "Value": "true"}]}),
    )
    .await;
    let (verifier, challenge) = pkce();
    Flow { pool, client_id, secret, verifier, challenge }
}

/// tina's attributes as a map, through AdminGetUser.
async fn attributes_of(app: &TestApp, pool: &str, username: &str) -> Value {
    let u = app.ok("AdminGetUser", json!({"UserPoolId": pool, "Username": username})).await;
    let mut out = serde_json::Map::new();
    for a in u["UserAttributes"].as_array().into_iter().flatten() {
        out.insert(a["Name"].as_str().unwrap_or_default().to_string(), a["Value"].clone());
    }
    Value::Object(out)
}

/// InitiateAuth with the temporary password: the NEW_PASSWORD_REQUIRED session.
async fn challenge_session(app: &TestApp, f: &Flow) -> String {
    let (status, v) = initiate_auth(app, &f.client_id, "tina", TEMP).await;
    assert_eq!((status, v["ChallengeName"].as_str()), (200, Some("NEW_PASSWORD_REQUIRED")), "{v}");
    v["Session"].as_str().expect("session").to_string()
}

async fn answer(app: &TestApp, f: &Flow, session: &str, attrs: Value) -> (u16, Value) {
    let mut responses = json!({"USERNAME": "tina", "NEW_PASSWORD": PASSWORD});
    merge(&mut responses, attrs);
    app.public_api(
        "RespondToAuthChallenge",
        json!({"ClientId": f.client_id, "ChallengeName": "NEW_PASSWORD_REQUIRED", "Session": session,
               "ChallengeResponses": responses}),
    )
    .await
}

fn refused_as_unauthorized(status: u16, v: &Value) {
    assert_eq!((status, v["__type"].as_str()), (400, Some("NotAuthorizedException")), "{v}");
    assert!(v["message"].as_str().unwrap_or_default().starts_with(UNAUTHORIZED), "{v}");
}

#[tokio::test]
async fn the_new_password_challenge_cannot_claim_a_verified_email() {
    let app = TestApp::spawn().await;
    let f = pool_with_tina(&app, json!({})).await;
    // Unverify tina's address, as for a user whose e-mail was never proven.
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": f.pool, "Username": "tina",
               "UserAttributes": [{"Name": "email_verified", "Value": "false"}]}),
    )
    .await;
    let session = challenge_session(&app, &f).await;
    let (status, v) = answer(&app, &f, &session, json!({"userAttributes.email_verified": "true"})).await;
    refused_as_unauthorized(status, &v);
    let (status, v) = answer(&app, &f, &session, json!({"userAttributes.phone_number_verified": "true"})).await;
    refused_as_unauthorized(status, &v);
    assert_eq!(attributes_of(&app, &f.pool, "tina").await["email_verified"], "false", "nothing was stored");

    // The session survives the refusal; without the claim the answer is accepted.
    let (status, v) = answer(&app, &f, &session, json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["AuthenticationResult"]["IdToken"].is_string(), "{v}");
    assert_eq!(attributes_of(&app, &f.pool, "tina").await["email_verified"], "false");
}

#[tokio::test]
async fn changing_a_non_required_email_in_the_challenge_leaves_it_unverified() {
    let app = TestApp::spawn().await;
    let f = pool_with_tina(&app, json!({})).await;
    let session = challenge_session(&app, &f).await;
    let (status, v) = answer(&app, &f, &session, json!({"userAttributes.email": "mallory@example.com"})).await;
    assert_eq!(status, 200, "writable and not required, so it may change: {v}");
    let a = attributes_of(&app, &f.pool, "tina").await;
    assert_eq!((a["email"].as_str(), a["email_verified"].as_str()), (Some("mallory@example.com"), Some("false")));
    let id = claims(v["AuthenticationResult"]["IdToken"].as_str().expect("id token"));
    assert_eq!(id["email_verified"], false, "{id}");
}

#[tokio::test]
async fn a_write_restricted_client_cannot_write_other_attributes() {
    let app = TestApp::spawn().await;
    let f = pool_with_tina(&app, json!({"WriteAttributes": ["name"]})).await;

    // In the challenge.
    let session = challenge_session(&app, &f).await;
    let (status, v) = answer(&app, &f, &session, json!({"userAttributes.email": "mallory@example.com"})).await;
    refused_as_unauthorized(status, &v);
    let (status, v) = answer(&app, &f, &session, json!({"userAttributes.given_name": "T"})).await;
    refused_as_unauthorized(status, &v);
    let a = attributes_of(&app, &f.pool, "tina").await;
    assert_eq!((a["email"].as_str(), a["email_verified"].as_str()), (Some("tina@example.com"), Some("true")));
    assert!(a.get("given_name").is_none(), "{a}");
    let (status, v) = answer(&app, &f, &session, json!({"userAttributes.name": "Tina"})).await;
    assert_eq!(status, 200, "a writable attribute is accepted: {v}");
    assert_eq!(attributes_of(&app, &f.pool, "tina").await["name"], "Tina");

    // In SignUp.
    let sign_up = |username: &'static str, attrs: Value| {
        app.public_api(
            "SignUp",
            json!({"ClientId": f.client_id, "Username": username, "Password": PASSWORD, "UserAttributes": attrs}),
        )
    };
    let (status, v) = sign_up("sam", json!([{"Name": "email", "Value": "sam@example.com"}])).await;
    refused_as_unauthorized(status, &v);
    let (status, v) =
        sign_up("sam", json!([{"Name": "name", "Value": "Sam"}, {"Name": "email_verified", "Value": "true"}])).await;
    refused_as_unauthorized(status, &v);
    let (_, v) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "sam"})).await;
    assert_eq!(v["__type"], "UserNotFoundException", "a refused sign-up leaves no user: {v}");
    let (status, v) = sign_up("sam", json!([{"Name": "name", "Value": "Sam"}])).await;
    assert_eq!(status, 200, "{v}");
}

#[tokio::test]
async fn sign_up_cannot_claim_a_verified_email() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({})).await;
    let (client_id, _) = app.create_client(&pool, false, json!({})).await;
    let (status, v) = app
        .public_api(
            "SignUp",
            json!({"ClientId": client_id, "Username": "sam", "Password": PASSWORD,
                   "UserAttributes": [{"Name": "email", "Value": "sam@example.com"},
                                      {"Name": "email_verified", "Value": "true"}]}),
        )
        .await;
    refused_as_unauthorized(status, &v);
    let (_, v) = app.api("AdminGetUser", json!({"UserPoolId": pool, "Username": "sam"})).await;
    assert_eq!(v["__type"], "UserNotFoundException", "{v}");
}

/// The hosted new-password page for tina: (browser, page HTML).
async fn new_password_page(app: &TestApp, f: &Flow) -> (reqwest::Client, String) {
    let b = app.browser();
    let r = sign_in(&b, &f.authorize_url(app, ""), "tina", TEMP).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("page");
    assert!(form_action(&page).contains("/newPassword?"), "{page}");
    (b, page)
}

async fn post_new_password(b: &reqwest::Client, page: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let (csrf, session) = (hidden(page, "_csrf"), hidden(page, "session"));
    let mut form = vec![
        ("_csrf", csrf.as_str()),
        ("session", session.as_str()),
        ("password", PASSWORD),
        ("confirm_password", PASSWORD),
    ];
    form.extend_from_slice(extra);
    b.post(form_action(page)).form(&form).send().await.expect("post")
}

#[tokio::test]
async fn the_hosted_new_password_page_applies_the_same_rules() {
    let app = TestApp::spawn().await;
    let f = pool_with_tina(&app, json!({"WriteAttributes": ["name", "email"]})).await;
    app.ok(
        "AdminUpdateUserAttributes",
        json!({"UserPoolId": f.pool, "Username": "tina",
               "UserAttributes": [{"Name": "email_verified", "Value": "false"}]}),
    )
    .await;
    let (b, page) = new_password_page(&app, &f).await;

    // A forged field claiming the address is verified: refused, nothing stored, no sign-in.
    let r = post_new_password(&b, &page, &[("userAttributes.email_verified", "true")]).await;
    assert!(!location(&r).starts_with(CALLBACK), "the forged claim signed in");
    assert!(r.text().await.expect("page").contains(UNAUTHORIZED));
    // An attribute outside the client's WriteAttributes.
    let r = post_new_password(&b, &page, &[("userAttributes.given_name", "T")]).await;
    assert!(!location(&r).starts_with(CALLBACK), "a non-writable attribute was accepted");
    let a = attributes_of(&app, &f.pool, "tina").await;
    assert_eq!(a["email_verified"], "false", "{a}");
    assert!(a.get("given_name").is_none(), "{a}");

    // A changed e-mail is accepted (writable) and stays unverified.
    let r = post_new_password(&b, &page, &[("userAttributes.email", "mallory@example.com")]).await;
    assert!(location(&r).starts_with(CALLBACK), "{}", location(&r));
    let a = attributes_of(&app, &f.pool, "tina").await;
    assert_eq!((a["email"].as_str(), a["email_verified"].as_str()), (Some("mallory@example.com"), Some("false")));
}

#[tokio::test]
async fn the_hosted_sign_up_page_cannot_claim_a_verified_email() {
    let app = TestApp::spawn().await;
    let pool = app.create_pool(json!({"AutoVerifiedAttributes": ["email"]})).await;
    let (client_id, secret) = app.create_client(&pool, false, json!({})).await;
    let (verifier, challenge) = pkce();
    let f = Flow { pool, client_id, secret, verifier, challenge };
    let b = app.browser();
    let r = b.get(f.authorize_url(&app, "")).send().await.expect("authorize");
    let signup_url = location(&r).replace("/login?", "/signup?");
    let page = b.get(&signup_url).send().await.expect("signup page").text().await.expect("html");
    let csrf = hidden(&page, "_csrf");
    let r = b
        .post(form_action(&page))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("username", "sam"),
            ("password", PASSWORD),
            ("userAttributes.email", "sam@example.com"),
            ("userAttributes.email_verified", "true"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("page").contains(UNAUTHORIZED));
    let (_, v) = app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "sam"})).await;
    assert_eq!(v["__type"], "UserNotFoundException", "{v}");
}
