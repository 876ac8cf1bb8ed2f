//! Federation (issue #4): signing in through Google, Facebook and any OpenID Connect provider,
//! against the local fakes of `fake_idp`, through `/oauth2/idpresponse`: the users it creates
//! or links, how the app's state and PKCE stay with the app, the error pages for answers that
//! do not belong to the browser, and one pool signing in through another. What the app does
//! when the provider fails is in `federation_failures.rs`.

use crate::fake_idp::*;
use crate::federation_helpers::*;
use crate::helpers::*;
use serde_json::{Value, json};

#[tokio::test]
async fn google_sign_in_creates_an_external_user() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let t = trip(&app, &browser, &authorize(&app, &f, "identity_provider=Google")).await;

    // What went upstream.
    assert!(t.upstream.starts_with(&fake.url("/authorize?")), "{}", t.upstream);
    let sent = fake.last_authorize().expect("the fake saw /authorize");
    let idpresponse = app.url(&f.pool, "/oauth2/idpresponse");
    assert_eq!(sent.get("client_id"), Some(&fake.client_id()), "the upstream client id");
    assert_eq!(sent.get("redirect_uri"), Some(&idpresponse));
    assert_eq!(sent.get("response_type").map(String::as_str), Some("code"));
    assert_eq!(sent.get("scope").map(String::as_str), Some("openid email profile"));
    let upstream_state = sent.get("state").cloned().unwrap_or_default();
    assert!(upstream_state.len() >= 16, "an unguessable state: {upstream_state:?}");
    assert!(!upstream_state.contains(APP_STATE), "the app's state is not sent upstream");
    assert!(sent.get("nonce").is_some_and(|n| n.len() >= 16), "a nonce: {sent:?}");
    assert!(sent.get("code_challenge").is_some_and(|c| c.len() >= 43), "PKCE: {sent:?}");
    assert_eq!(sent.get("code_challenge_method").map(String::as_str), Some("S256"));
    assert_ne!(sent.get("code_challenge"), Some(&f.challenge), "the app's PKCE stays with the app");
    assert!(t.idpresponse.starts_with(&format!("{idpresponse}?")), "{}", t.idpresponse);
    assert_eq!(fake.token_requests(), 1, "the code was redeemed upstream");

    let c = redeem(&app, &f, &t.answer).await;
    let username = format!("Google_{JANE_SUB}");
    assert_eq!(c["cognito:username"], username);
    assert_eq!(c["email"], "jane@example.com");
    assert_eq!(c["name"], "Jane Doe");
    let identities = c["identities"].as_array().unwrap_or_else(|| panic!("identities claim: {c}"));
    assert_eq!(identities.len(), 1);
    let id = &identities[0];
    assert_eq!(id["userId"], JANE_SUB);
    assert_eq!(id["providerName"], "Google");
    assert_eq!(id["providerType"], "Google");
    assert_eq!(id["issuer"], Value::Null);
    assert!(id.get("primary").is_some() && id.get("dateCreated").is_some(), "{id}");

    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": username})).await;
    assert_eq!(user["UserStatus"], "EXTERNAL_PROVIDER");
    let attrs = attributes(&user);
    assert_eq!(attrs.get("email").map(String::as_str), Some("jane@example.com"));
    assert_eq!(attrs.get("name").map(String::as_str), Some("Jane Doe"));
    assert_eq!(attrs.get("sub"), c["sub"].as_str().map(str::to_string).as_ref());
    let stored: Value = serde_json::from_str(attrs.get("identities").expect("identities attribute")).unwrap();
    assert_eq!(stored[0]["userId"], JANE_SUB);
    assert_eq!(stored[0]["providerName"], "Google");

    // The upstream calls are in /metrics, by call and outcome.
    let metrics = app.http.get(format!("{}/metrics", app.base)).send().await.unwrap().text().await.unwrap();
    for call in ["keys", "token"] {
        let label = format!("call=\"{call}\"");
        assert!(
            metrics.lines().any(|l| l.starts_with("portcullis_upstream_request_duration_seconds_count{")
                && l.contains(&label)
                && l.contains("outcome=\"ok\"")),
            "no {call} upstream call in /metrics: {}",
            metrics.lines().filter(|l| l.contains("upstream")).collect::<Vec<_>>().join("\n")
        );
    }
}

#[tokio::test]
async fn idp_identifier_selects_the_provider() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let pool = app.create_pool(json!({})).await;
    let request = json!({"ProviderName": "Google", "ProviderType": "Google", "ProviderDetails": google_details(&fake),
                         "AttributeMapping": google_mapping(), "IdpIdentifiers": ["example.com"]});
    create_provider_with(&app, &pool, request).await;
    let f = client_for(&app, &pool, json!(["COGNITO", "Google"])).await;
    let c = upstream_sign_in(&app, &f, "idp_identifier=example.com").await;
    assert_eq!(c["cognito:username"], format!("Google_{JANE_SUB}"));
    assert_eq!(fake.authorize_requests(), 1);
}

#[tokio::test]
async fn a_returning_user_keeps_its_sub_and_gets_fresh_attributes() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let first = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    fake.set_user(json!({"sub": JANE_SUB, "email": "jane@example.com", "email_verified": true, "name": "Jane Smith"}));
    let second = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(second["sub"], first["sub"], "the same pool user");
    assert_eq!(second["cognito:username"], first["cognito:username"]);
    assert_eq!(second["name"], "Jane Smith", "attributes are updated at each sign-in");
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": format!("Google_{JANE_SUB}")})).await;
    assert_eq!(attributes(&user).get("name").map(String::as_str), Some("Jane Smith"));
}

#[tokio::test]
async fn a_linked_google_identity_signs_in_as_the_native_user() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let alice =
        app.create_user(&f.pool, "alice", PASSWORD, json!([{"Name": "email", "Value": "alice@example.com"}])).await;
    let alice_sub = attributes(&json!({"UserAttributes": alice["Attributes"]})).get("sub").cloned().expect("sub");
    app.ok(
        "AdminLinkProviderForUser",
        json!({"UserPoolId": f.pool,
               "DestinationUser": {"ProviderName": "Cognito", "ProviderAttributeValue": "alice"},
               "SourceUser": {"ProviderName": "Google", "ProviderAttributeName": "Cognito_Subject",
                              "ProviderAttributeValue": JANE_SUB}}),
    )
    .await;
    let c = upstream_sign_in(&app, &f, "identity_provider=Google").await;
    assert_eq!(c["cognito:username"], "alice");
    assert_eq!(c["sub"], alice_sub);
    let (status, body) =
        app.api("AdminGetUser", json!({"UserPoolId": f.pool, "Username": format!("Google_{JANE_SUB}")})).await;
    assert_eq!(status, 400, "no Google_ user was created: {body}");
    assert_eq!(body["__type"], "UserNotFoundException");
}

#[tokio::test]
async fn denied_consent_goes_back_to_the_app_as_access_denied() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_behavior(Behavior::Deny);
    let f = google_flow(&app, &fake).await;
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Google")).await;
    assert_eq!(query_param(&t.idpresponse, "error").as_deref(), Some("access_denied"));
    assert_eq!(app_error(&t.answer), "access_denied");
    assert_eq!(fake.token_requests(), 0);
}

#[tokio::test]
async fn idpresponse_with_a_wrong_or_unknown_state_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let upstream = go_upstream(&browser, &authorize(&app, &f, "identity_provider=Google")).await;
    let back = location(&browser.get(&upstream).send().await.unwrap());
    let code = query_param(&back, "code").expect("code");
    let callback = app.url(&f.pool, "/oauth2/idpresponse");
    let state = query_param(&back, "state").expect("state");
    let cases = [
        ("a changed state", format!("{callback}?code={code}&state={}x", urlencode(&state))),
        ("an unknown state", format!("{callback}?code={code}&state={}", portcullis::crypto::random_token())),
        ("no state", format!("{callback}?code={code}")),
        ("the app's state", format!("{callback}?code={code}&state={APP_STATE}")),
    ];
    for (what, url) in cases {
        assert_error_page(browser.get(&url).send().await.unwrap(), what).await;
    }
    assert_eq!(fake.token_requests(), 0, "no code is redeemed for an unknown state");
}

#[tokio::test]
async fn a_replayed_idpresponse_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let t = trip(&app, &browser, &authorize(&app, &f, "identity_provider=Google")).await;
    to_app(&t.answer);
    assert_error_page(browser.get(&t.idpresponse).send().await.unwrap(), "the same answer again").await;
    assert_eq!(fake.token_requests(), 1, "the replay is refused before going upstream");
}

#[tokio::test]
async fn idpresponse_in_another_browser_shows_an_error_page() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let browser = app.browser();
    let upstream = go_upstream(&browser, &authorize(&app, &f, "identity_provider=Google")).await;
    let back = location(&browser.get(&upstream).send().await.unwrap());
    // An attacker's browser (or a plain client) brings the answer: no binding cookie.
    assert_error_page(app.browser().get(&back).send().await.unwrap(), "another browser").await;
    assert_error_page(app.http.get(&back).send().await.unwrap(), "no cookies at all").await;
    assert_eq!(fake.token_requests(), 0);
}

#[tokio::test]
async fn a_provider_the_client_does_not_list_is_refused() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    let f = google_flow(&app, &fake).await;
    let cognito_only = client_for(&app, &f.pool, json!(["COGNITO"])).await;
    let r = app.browser().get(authorize(&app, &cognito_only, "identity_provider=Google")).send().await.unwrap();
    assert_eq!(app_error(&r), "invalid_request");
    let r = app.browser().get(authorize(&app, &f, "identity_provider=Nobody")).send().await.unwrap();
    assert_eq!(app_error(&r), "invalid_request", "an unknown provider");
    let r = app.browser().get(authorize(&app, &f, "idp_identifier=nowhere.example")).send().await.unwrap();
    assert_eq!(app_error(&r), "invalid_request", "an unknown identifier");
    assert_eq!(fake.authorize_requests(), 0);
}

#[tokio::test]
async fn the_hosted_login_page_offers_the_clients_providers() {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(jane());
    let f = google_flow(&app, &fake).await;
    let login = authorize(&app, &f, "").replace("/oauth2/authorize?", "/login?");
    let browser = app.browser();
    let r = browser.get(&login).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    let at = html.find("idpButton-customizable").unwrap_or_else(|| panic!("no provider button: {html}"));
    let tag_start = html[..at].rfind('<').unwrap();
    let tag_end = at + html[at..].find('>').unwrap();
    let tag = &html[tag_start..=tag_end];
    let href_at = tag.find("href=\"").unwrap_or_else(|| panic!("no href: {tag}")) + 6;
    let href = unescape(&tag[href_at..href_at + tag[href_at..].find('"').unwrap()]);
    let text_end = tag_end + 1 + html[tag_end + 1..].find('<').unwrap();
    assert_eq!(html[tag_end + 1..text_end].trim(), "Continue with Google");
    let href = if href.starts_with('/') { format!("{}{href}", app.base) } else { href };
    assert!(href.starts_with(&app.url(&f.pool, "/oauth2/authorize?")), "{href}");
    assert_eq!(query_param(&href, "identity_provider").as_deref(), Some("Google"));
    assert_eq!(query_param(&href, "client_id"), Some(f.client_id.clone()));
    assert_eq!(query_param(&href, "redirect_uri").as_deref(), Some(CALLBACK));
    assert_eq!(query_param(&href, "state").as_deref(), Some(APP_STATE));
    // The button works.
    let t = trip(&app, &browser, &href).await;
    assert_eq!(redeem(&app, &f, &t.answer).await["cognito:username"], format!("Google_{JANE_SUB}"));
}

#[tokio::test]
async fn facebook_sign_in_with_appsecret_proof() {
    let app = TestApp::spawn().await;
    let fb = FakeFacebook::start().await;
    fb.require_proof(true);
    fb.set_user(json!({"id": "10158000000000001", "email": "joe@example.com", "name": "Joe Bloggs",
                       "first_name": "Joe"}));
    let f = pool_with_provider(
        &app,
        "Facebook",
        "Facebook",
        facebook_details(&fb),
        json!({"email": "email", "name": "name", "username": "id"}),
    )
    .await;
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Facebook")).await;
    let sent = fb.last_authorize().expect("the dialog was opened");
    assert_eq!(sent.get("client_id"), Some(&fb.client_id()));
    assert_eq!(sent.get("redirect_uri"), Some(&app.url(&f.pool, "/oauth2/idpresponse")));
    assert_eq!(sent.get("scope").map(String::as_str), Some("public_profile,email"));
    assert!(sent.get("state").is_some_and(|s| !s.contains(APP_STATE)));
    let c = redeem(&app, &f, &t.answer).await;
    assert_eq!(fb.last_proof(), Some(Proof::Correct), "/me carries appsecret_proof");
    let mut fields = fb.last_me_fields().expect("/me was called");
    fields.sort();
    assert_eq!(fields, ["email", "id", "name"], "the fields of the attribute mapping");
    assert_eq!(c["cognito:username"], "Facebook_10158000000000001");
    assert_eq!(c["email"], "joe@example.com");
    assert_eq!(c["name"], "Joe Bloggs");
    let id = &c["identities"][0];
    assert_eq!(id["userId"], "10158000000000001");
    assert_eq!(id["providerName"], "Facebook");
    assert_eq!(id["providerType"], "Facebook");
    assert_eq!(id["issuer"], Value::Null);
    let user = app.ok("AdminGetUser", json!({"UserPoolId": f.pool, "Username": "Facebook_10158000000000001"})).await;
    assert_eq!(user["UserStatus"], "EXTERNAL_PROVIDER");
}

/// A generic OIDC provider configured from its issuer alone.
async fn oidc_sign_in(auth_method: Option<&str>) {
    let app = TestApp::spawn().await;
    let fake = FakeOidc::start().await;
    fake.set_user(json!({"sub": "corp-7", "email": "sam@corp.example", "email_verified": true}));
    let mut details = oidc_details(&fake.issuer(), &fake.client_id(), &fake.client_secret());
    if let Some(m) = auth_method {
        details["token_endpoint_auth_method"] = json!(m);
    }
    let f = pool_with_provider(&app, "Corp", "OIDC", details, json!({"email": "email", "username": "sub"})).await;
    let t = trip(&app, &app.browser(), &authorize(&app, &f, "identity_provider=Corp")).await;
    assert!(t.upstream.starts_with(&fake.url("/authorize?")), "the discovered endpoint: {}", t.upstream);
    let sent = fake.last_authorize().unwrap();
    assert_eq!(sent.get("scope").map(String::as_str), Some("openid email"));
    assert!(sent.contains_key("nonce") && sent.contains_key("code_challenge"), "{sent:?}");
    let c = redeem(&app, &f, &t.answer).await;
    assert_eq!(
        fake.last_token_auth_method().as_deref(),
        Some(auth_method.unwrap_or("client_secret_basic")),
        "client authentication at the token endpoint"
    );
    assert_eq!(c["cognito:username"], "Corp_corp-7");
    assert_eq!(c["email"], "sam@corp.example");
    let id = &c["identities"][0];
    assert_eq!(id["userId"], "corp-7");
    assert_eq!(id["providerName"], "Corp");
    assert_eq!(id["providerType"], "OIDC");
    assert_eq!(id["issuer"], fake.issuer());
}

#[tokio::test]
async fn oidc_provider_sign_in_with_client_secret_basic_and_post() {
    let rows = [("client_secret_basic, the default", None), ("client_secret_post", Some("client_secret_post"))];
    for_each_row(rows, oidc_sign_in).await;
}

#[tokio::test]
async fn one_pool_signs_in_through_another() {
    let a = TestApp::spawn().await;
    let b = TestApp::spawn().await;
    let pool_b = b.create_pool(json!({})).await;
    let idpresponse_b = b.url(&pool_b, "/oauth2/idpresponse");

    // A, upstream: a confidential client whose callback is B's idpresponse, and a user.
    let pool_a = a.create_pool(json!({})).await;
    let (client_a, secret_a) =
        a.create_client(&pool_a, true, json!({"CallbackURLs": [idpresponse_b], "AllowedOAuthFlows": ["code"]})).await;
    a.create_user(
        &pool_a,
        "alice",
        PASSWORD,
        json!([{"Name": "email", "Value": "alice@example.com"},
                                                      {"Name": "email_verified", "Value": "true"}]),
    )
    .await;
    let alice_a = a.ok("AdminGetUser", json!({"UserPoolId": pool_a, "Username": "alice"})).await;
    let alice_sub = attributes(&alice_a).get("sub").cloned().expect("sub");

    // B, downstream: A as an OIDC provider.
    let details = oidc_details(&a.url(&pool_a, ""), &client_a, secret_a.as_deref().expect("secret"));
    create_provider(&b, &pool_b, "Upstream", "OIDC", details, json!({"email": "email", "username": "sub"})).await;
    let f = client_for(&b, &pool_b, json!(["COGNITO", "Upstream"])).await;

    let browser = b.browser();
    let a_authorize = go_upstream(&browser, &authorize(&b, &f, "identity_provider=Upstream")).await;
    assert!(a_authorize.starts_with(&a.url(&pool_a, "/oauth2/authorize?")), "{a_authorize}");
    let r = sign_in(&browser, &a_authorize, "alice", PASSWORD).await;
    assert_eq!(r.status(), 302, "A signs alice in");
    let back = location(&r);
    assert!(back.starts_with(&format!("{idpresponse_b}?")), "A answers B: {back}");
    let answer = browser.get(&back).send().await.unwrap();
    let c = redeem(&b, &f, &answer).await;
    assert_eq!(c["cognito:username"], format!("Upstream_{alice_sub}"));
    assert_eq!(c["email"], "alice@example.com");
    assert_eq!(c["identities"][0]["issuer"], a.url(&pool_a, ""));
}
